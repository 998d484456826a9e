#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/handover and examples/vmm under vfioreset-mock on the QEMU q35 host.

handover: what it prints
is checked against what the simulated kernel did (its links, records and
journal): the functions bound to vfio-pci, reset with the method the printed
plan put first, given back with --restore; a bind that fails is rolled back, a
reset that fails (an injected errno, a kernel method's errno, a hang past the
deadline) is reported per attempt and leaves the functions on vfio-pci.

vmm (a QEMU-like VMM): the files it lists are the kernel's, it opens the
functions through their groups or as cdevs, the hot-reset answer and the
reset use its own fds, the functions of one bus get one hot reset; a
function another process holds is named with that process, a hot reset that
hangs comes back at the deadline as unknown.
VFR_CLI_WRAPPER (e.g. valgrind ...) wraps every program run."""
import os
import re
import shlex
import subprocess
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
MOCK = os.environ["VFR_MOCK"]
FIXTURES = os.environ["VFR_FIXTURES"]
HANDOVER = os.path.join(os.environ["VFR_EXAMPLES"], "handover")
VMM = os.path.join(os.environ["VFR_EXAMPLES"], "vmm")
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))

LONE = "0000:02:00.0"  # e1000e alone in its IOMMU group, reset_method "pm bus"
PAIR = ["0000:04:00.0", "0000:04:00.1"]  # e1000e x2 in one group; 04:00.0's "bus" is stale
EIO = "Input/output error (errno 5)"


def plain_env():
    env = dict(os.environ)
    for name in ("VFIORESET_ROOT", "VFR_MOCK_ROOT", "LD_PRELOAD"):
        env.pop(name, None)
    return env


def plans(stdout):
    """{address: [methods in order]} from the "plan ADDR for OWNER:" blocks."""
    out, cur = {}, None
    for line in stdout.splitlines():
        m = re.match(r"plan (\S+) for \S+:", line)
        if m:
            cur = out.setdefault(m.group(1), [])
            continue
        m = re.match(r"  \d+\. (\S+) \(", line)
        if m and cur is not None:
            cur.append(m.group(1))
        elif not line.startswith("  "):
            cur = None
    return out


class Handover(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-handover-")
        self.root = os.path.join(self.tmp.name, "root")
        subprocess.run([MKFIXTURE, os.path.join(FIXTURES, "qemu-q35.ini"), self.root],
                       check=True, env=plain_env())

    def tearDown(self):
        self.tmp.cleanup()

    def run_mock(self, argv):
        """Output goes to files, not pipes: a writer abandoned at a deadline lives on
        (until tearDown removes the tree), and under valgrind it keeps the tool's copy
        of stderr, so a pipe would not reach EOF when the program exits."""
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run([MOCK, self.root, "--"] + WRAPPER + argv,
                               env=plain_env(), stdout=out, stderr=err, text=True,
                               timeout=300)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        return p

    def handover(self, *args, status=0):
        p = self.run_mock([HANDOVER, *args])
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        return p

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def driver(self, addr):
        link = self.path("sys/bus/pci/devices", addr, "driver")
        return os.path.basename(os.readlink(link)) if os.path.islink(link) else None

    def group_node(self, addr):
        """ROOT/dev/vfio/GROUP of @addr (the number is read, not assumed)."""
        link = os.readlink(self.path("sys/bus/pci/devices", addr, "iommu_group"))
        return self.path("dev/vfio", os.path.basename(link))

    def record(self, addr):
        return os.path.exists(self.path("run/vfioreset", addr + ".state"))

    def journal(self):
        try:
            with open(self.path(".vfr-mock/journal"), encoding="utf-8") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def resets(self, addr):
        """The kernel's reset lines for @addr: [(method, outcome), ...]."""
        return [tuple(line.split()[2:4]) for line in self.journal()
                if line.startswith(f"reset {addr} ")]

    def fault(self, rule):
        with open(self.path(".vfr-mock/faults"), "a", encoding="ascii") as f:
            f.write(rule + "\n")

    def device_keys(self, addr, keys):
        """Adds reset behaviour to @addr's line in .vfr-mock/devices (read on each reset)."""
        name = self.path(".vfr-mock/devices")
        with open(name, encoding="ascii") as f:
            lines = f.read().splitlines()
        lines = [f"{line} {keys}" if line.split()[0] == addr else line for line in lines]
        with open(name, "w", encoding="ascii") as f:
            f.write("\n".join(lines) + "\n")

    def assert_reset_as_planned(self, out, addr):
        """The plan's first method is the one that worked, and the one the kernel ran."""
        first = plans(out)[addr][0]
        self.assertIn(f"reset {addr}: ok with {first}\n", out)
        self.assertEqual(self.resets(addr), [(first, "ok")])
        return first

    def test_lone_function_stays_bound_for_the_next_vm(self):
        out = self.handover(LONE).stdout
        self.assertIn(f"bind: {LONE} e1000e -> vfio-pci\n", out)
        self.assertEqual(plans(out), {LONE: ["pm", "bus"]})
        self.assertIn("  1. pm (sysfs) affects 0000:02:00.0\n", out)
        self.assertIn("  2. bus (sysfs) affects 0000:02:00.0\n", out)
        self.assertRegex(out, r"  excluded vfio: needs 0000:02:00.0 held open")
        self.assertEqual(self.assert_reset_as_planned(out, LONE), "pm")
        self.assertIn(f"ready: {LONE} on vfio-pci for vm\n", out)
        # The kernel's view: bound before it was reset, still bound, the list put back.
        j = self.journal()
        self.assertLess(j.index(f"bind {LONE} vfio-pci"), j.index(f"reset {LONE} pm ok"))
        self.assertEqual(self.driver(LONE), "vfio-pci")
        self.assertTrue(os.path.exists(self.group_node(LONE)))
        with open(self.path("sys/bus/pci/devices", LONE, "reset_method"), encoding="ascii") as f:
            self.assertEqual(f.read(), "pm bus\n")
        # The original driver is on record for a later restore.
        self.assertTrue(self.record(LONE))

    def test_two_functions_restored(self):
        out = self.handover("--owner", "vm-b", "--restore", *PAIR).stdout
        for addr in PAIR:
            self.assertIn(f"bind: {addr} e1000e -> vfio-pci\n", out)
            self.assertIn(f"restore: {addr} vfio-pci -> e1000e\n", out)
            self.assertIn(f"plan {addr} for vm-b:\n", out)
        self.assertEqual(plans(out), {PAIR[0]: ["pm"], PAIR[1]: ["pm"]})
        # The kernel lists "bus" for 04:00.0, but probed it before 04:00.1 existed.
        self.assertRegex(out, r"  excluded bus: stale: the kernel probed it before 0000:04:00.1")
        j = self.journal()
        for addr in PAIR:
            self.assert_reset_as_planned(out, addr)
            self.assertLess(j.index(f"bind {addr} vfio-pci"), j.index(f"reset {addr} pm ok"))
            self.assertLess(j.index(f"reset {addr} pm ok"), j.index(f"bind {addr} e1000e"))
            self.assertEqual(self.driver(addr), "e1000e")
            self.assertFalse(self.record(addr))
        self.assertNotIn("ready:", out)
        self.assertFalse(os.path.exists(self.group_node(PAIR[0])))

    def test_group_comes_along(self):
        """Naming one function hands over its whole IOMMU group, each member reset."""
        out = self.handover(PAIR[0]).stdout
        self.assertEqual(sorted(plans(out)), PAIR)
        for addr in PAIR:
            self.assertIn(f"bind: {addr} e1000e -> vfio-pci\n", out)
            self.assert_reset_as_planned(out, addr)
            self.assertEqual(self.driver(addr), "vfio-pci")

    def test_next_handover_then_restore_from_the_record(self):
        """A second hand-over finds the functions on vfio-pci; the record made by the
        first process still says where they came from."""
        self.handover(LONE)
        out = self.handover("--owner", "vm-c", "--restore", LONE).stdout
        self.assertIn(f"bind: {LONE} vfio-pci -> vfio-pci\n", out)
        self.assertIn(f"restore: {LONE} vfio-pci -> e1000e\n", out)
        self.assertEqual(self.resets(LONE), [("pm", "ok"), ("pm", "ok")])
        self.assertEqual(self.driver(LONE), "e1000e")
        self.assertFalse(self.record(LONE))

    def test_reset_attribute_fails(self):
        """Every write to 02:00.0's reset fails with EIO: each planned method is tried,
        each errno printed, and the function stays on vfio-pci despite --restore."""
        self.fault(f"write /sys/devices/*/{LONE}/reset errno=EIO")
        p = self.handover("--restore", LONE, status=1)
        self.assertIn(f"reset {LONE}: FAILED: ", p.stdout)
        self.assertIn(f"  pm: {EIO}\n", p.stdout)
        self.assertIn(f"  bus: {EIO}\n", p.stdout)
        self.assertIn("stay on vfio-pci", p.stderr)
        self.assertNotIn("restore:", p.stdout)
        # The fault failed the writes before the kernel: no reset ran.
        self.assertEqual(self.resets(LONE), [])
        self.assertEqual(self.driver(LONE), "vfio-pci")
        self.assertTrue(self.record(LONE))
        # What stderr advises works from a fresh process.
        p = self.run_mock([VFIORESET, "restore", LONE])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.driver(LONE), "e1000e")

    def test_kernel_method_fails(self):
        """The kernel's pm reset of 04:00.1 fails with EIO (its only method): the batch
        fails, 04:00.0 is still reset, and neither function is given back."""
        self.device_keys(PAIR[1], "reset_errno=pm:EIO")
        p = self.handover("--restore", *PAIR, status=1)
        self.assertEqual(self.resets(PAIR[1]), [("pm", "EIO")])
        self.assertIn(f"reset {PAIR[1]}: FAILED: ", p.stdout)
        self.assertIn(f"  pm: {EIO}\n", p.stdout)
        self.assert_reset_as_planned(p.stdout, PAIR[0])
        self.assertNotIn("restore:", p.stdout)
        for addr in PAIR:
            self.assertEqual(self.driver(addr), "vfio-pci")
            self.assertTrue(self.record(addr))

    def test_reset_past_the_deadline(self):
        """A pm reset that never returns: the program gets control back at the deadline
        and says the state is unknown; the function stays on vfio-pci."""
        self.device_keys(LONE, "reset_hang=pm")
        # Long enough for the steps before the write even under valgrind; the write
        # itself never returns. (Its "hang" journal line is the abandoned writer's
        # and may come after the program has exited, so it is not waited for.)
        p = self.handover("--timeout", "2000", "--restore", LONE, status=1)
        self.assertNotIn(("pm", "ok"), self.resets(LONE))
        self.assertIn(f"reset {LONE}: FAILED: ", p.stdout)
        self.assertIn("  timed out: ", p.stdout)
        self.assertIn("  pm: Connection timed out (errno 110)\n", p.stdout)
        self.assertEqual(self.driver(LONE), "vfio-pci")

    def test_previous_vm_still_holds_the_group(self):
        """The previous VM's process still has the group open: the reset is refused
        with its pid, and the function stays on vfio-pci."""
        self.handover(LONE)
        holder = subprocess.Popen(
            [MOCK, self.root, "--", "sh", "-c",
             f'exec 3<>/dev/vfio/{os.path.basename(self.group_node(LONE))}; echo $$; read x'],
            env=plain_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            pid = int(holder.stdout.readline())  # printed once the group is open
            p = self.handover("--restore", LONE, status=1)
        finally:
            holder.stdin.close()
            holder.wait(timeout=60)
            holder.stdout.close()
        self.assertIn(f"reset {LONE}: FAILED: ", p.stdout)
        self.assertIn(f"  held open by pid {pid}\n", p.stdout)
        self.assertEqual(self.resets(LONE), [("pm", "ok")])  # the first hand-over's only
        self.assertEqual(self.driver(LONE), "vfio-pci")

    def test_bind_rolled_back(self):
        """04:00.1's unbind from e1000e fails: 04:00.0, already moved, goes back, and
        nothing is reset."""
        self.fault("write /sys/bus/pci/drivers/e1000e/unbind errno=EBUSY after=1")
        p = self.handover(*PAIR, status=1)
        self.assertIn("Device or resource busy", p.stderr)
        self.assertIn(PAIR[1], p.stderr)
        self.assertRegex(p.stdout, rf"bind: {PAIR[0]} e1000e -> e1000e \(.*rolled back")
        self.assertNotIn("plan ", p.stdout)
        self.assertIn(f"bind {PAIR[0]} vfio-pci", self.journal())
        for addr in PAIR:
            self.assertEqual(self.resets(addr), [])
            self.assertEqual(self.driver(addr), "e1000e")

    def test_bad_input(self):
        for args, needle in (([], "usage:"), (["--owner"], "usage:"),
                             (["--timeout", "soon", LONE], "usage:"),
                             (["--frobnicate", LONE], "usage:"),
                             ([LONE, "0000:04:00.9"], "0000:04:00.9"),
                             ([LONE, "nonsense"], "nonsense")):
            with self.subTest(args=args):
                p = self.handover(*args, status=2)
                self.assertIn(needle, p.stderr)
                self.assertEqual(p.stdout, "")
        # Nothing reached the kernel.
        self.assertEqual(self.journal(), [])
        self.assertEqual(self.driver(LONE), "e1000e")


class VmmFlow(unittest.TestCase):
    """examples/vmm on functions a manager bound to vfio-pci (vfioreset bind)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-vmm-")
        self.root = os.path.join(self.tmp.name, "root")

    def tearDown(self):
        self.tmp.cleanup()

    make = Handover.setUp
    run_mock = Handover.run_mock
    path = Handover.path
    journal = Handover.journal
    device_keys = Handover.device_keys
    group_node = Handover.group_node

    def host(self, fixture, *bound):
        subprocess.run([MKFIXTURE, os.path.join(FIXTURES, fixture), self.root],
                       check=True, env=plain_env())
        if bound:
            p = self.run_mock([VFIORESET, "bind", *bound])
            self.assertEqual(p.returncode, 0, p.stderr)

    def vmm(self, *args, status=0):
        p = self.run_mock([VMM, *args])
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        return p

    def hot_resets(self):
        return [line for line in self.journal() if line.startswith("hot_reset ")]

    def test_group_mode_one_bus_one_reset(self):
        """Both functions of the two-function e1000e: the VMM's group fd proves ownership,
        and the bus is reset once, on the first function's fd."""
        self.host("qemu-q35.ini", *PAIR)
        out = self.vmm("--method", "hot", *PAIR).stdout
        node = "/dev/vfio/" + os.path.basename(self.group_node(PAIR[0]))
        for addr in PAIR:
            self.assertIn(f"access {addr}: group-node {node}\n", out)
            self.assertIn(f"access {addr}: container /dev/vfio/vfio\n", out)
            self.assertRegex(out, rf"access {addr}: sysfs /sys/devices/\S+/{addr}/config\n")
            self.assertNotIn("iommufd", out)
            self.assertIn(f"hot-reset {addr}: {addr}: hot reset allowed (group mode", out)
        self.assertIn(f"reset {PAIR[0]}: ok with hot (one reset of the bus, for 1 function "
                      "more)\n", out)
        self.assertIn(f"reset {PAIR[1]}: ok with hot (one reset of the bus, issued on "
                      f"{PAIR[0]})\n", out)
        self.assertEqual(self.hot_resets(), [f"hot_reset {PAIR[0]} {','.join(PAIR)} ok"])

    def test_device_reset_first(self):
        """As QEMU does: the device's own reset where it has one, no bus reset at all."""
        self.host("qemu-q35.ini", *PAIR)
        out = self.vmm(*PAIR).stdout
        for addr in PAIR:
            self.assertIn(f"reset {addr}: ok with vfio\n", out)
            self.assertIn(f"device_reset {addr}", self.journal())
        self.assertEqual(self.hot_resets(), [])

    def test_vf_hot_reset_refused(self):
        """The VF's PF stays on igb: the kernel's answer names it, and the VF's own
        reset (FLR) is used instead."""
        self.host("qemu-q35.ini", "0000:01:10.0")
        out = self.vmm("0000:01:10.0").stdout
        self.assertIn("hot-reset 0000:01:10.0: 0000:01:10.0: no hot reset (EINVAL): "
                      "0000:01:00.0 is bound to igb", out)
        self.assertIn("reset 0000:01:10.0: ok with vfio\n", out)
        self.assertEqual(self.hot_resets(), [])

    def test_cdev_mode(self):
        """The cdev kernel: the cdev and /dev/iommu are what the VMM opens; the hot reset
        passes an empty fd array."""
        self.host("qemu-q35-cdev.ini", LONE)
        out = self.vmm("--cdev", "--method", "hot", LONE).stdout
        cdev = os.listdir(self.path("sys/bus/pci/devices", LONE, "vfio-dev"))[0]
        with open(self.path("sys/bus/pci/devices", LONE, "vfio-dev", cdev, "dev"),
                  encoding="ascii") as f:
            number = f.read().strip()
        self.assertIn(f"access {LONE}: cdev /dev/vfio/devices/{cdev} c {number} rw\n", out)
        self.assertIn(f"access {LONE}: iommufd /dev/iommu\n", out)
        self.assertNotIn("group-node", out)
        self.assertIn(f"hot-reset {LONE}: {LONE}: hot reset allowed (cdev mode", out)
        self.assertIn(f"reset {LONE}: ok with hot\n", out)
        self.assertEqual(self.hot_resets(), [f"hot_reset {LONE} {LONE} ok"])

    def test_held_function(self):
        """Another process has the group open: the VMM cannot open it, and says who."""
        self.host("qemu-q35.ini", LONE)
        holder = subprocess.Popen(
            [MOCK, self.root, "--", "sh", "-c",
             f'exec 3<>/dev/vfio/{os.path.basename(self.group_node(LONE))}; echo $$; read x'],
            env=plain_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            pid = int(holder.stdout.readline())  # printed once the group is open
            p = self.vmm(LONE, status=1)
        finally:
            holder.stdin.close()
            holder.wait(timeout=60)
            holder.stdout.close()
        self.assertIn("Device or resource busy", p.stderr)
        self.assertIn(f"vmm: {LONE}: held by pid {pid}\n", p.stderr)
        self.assertNotIn("reset ", p.stdout)
        self.assertEqual([l for l in self.journal() if "reset" in l], [])

    def test_hot_reset_hangs(self):
        """The bus reset never returns: the VMM gets control back at the deadline, both
        functions' state unknown, the call still pending in the kernel."""
        self.host("qemu-q35.ini", *PAIR)
        self.device_keys(PAIR[1], "reset_hang=bus")
        p = self.vmm("--method", "hot", "--timeout", "2000", *PAIR, status=1)
        for addr in PAIR:
            self.assertIn(f"reset {addr}: unknown: ", p.stdout)
        self.assertIn("did not return within the deadline", p.stdout)
        self.assertRegex(p.stdout, r"  still pending in the kernel: pid \d+\n")
        self.assertIn(f"issued on {PAIR[0]}", p.stdout)
        self.assertNotIn(f"hot_reset {PAIR[0]} {','.join(PAIR)} ok", self.journal())

    def test_bad_input(self):
        self.host("qemu-q35.ini")
        for args, needle in (([], "usage:"), (["--timeout", "0", LONE], "usage:"),
                             (["--frobnicate", LONE], "usage:"),
                             ([LONE], "not bound to a vfio driver"),
                             (["--method", "reboot", LONE], "not bound"),
                             (["0000:04:00.9"], "0000:04:00.9")):
            with self.subTest(args=args):
                p = self.vmm(*args, status=2)
                self.assertIn(needle, p.stderr)
        self.assertEqual(self.journal(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
