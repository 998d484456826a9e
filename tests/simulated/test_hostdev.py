#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/hostdev (a virhostdev-style manager) under vfioreset-mock on
tests/fixtures/manager.ini: two domains side by side, the active list
persisted and found again by a new process, strict and no-strict ACS and
reset policies, refusals made before any write (a host sibling in the group,
another domain's function, a switch port without ACS, a missing variant
module), a function still held open at release and a reset that hangs. What
it prints is checked against what the simulated kernel did: its links, its
journal and the persisted owners. VFR_CLI_WRAPPER (e.g. valgrind ...) wraps
every program run."""
import os
import shlex
import subprocess
import sys
import tempfile
import unittest

MKFIXTURE = os.environ["VFR_MKFIXTURE"]
MOCK = os.environ["VFR_MOCK"]
FIXTURES = os.environ["VFR_FIXTURES"]
HOSTDEV = os.path.join(os.environ["VFR_EXAMPLES"], "hostdev")
MKMODULES = os.path.join(os.path.dirname(__file__), "..", "kmod", "mkmodules.py")
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))
RELEASE = "6.99.0-vfr"

NIC1 = "0000:01:00.0"      # e1000e alone in group 2
NIC2 = "0000:02:00.0"      # e1000e alone in group 4
PORT0 = "0000:03:00.0"     # igb port 0; port 1 (03:00.1) is the host's, same group
BEHIND_NO_ACS = "0000:07:00.0"  # below switch port 05:01.0, which has no ACS
VIRTIO = "0000:08:00.0"    # virtio-net, virtio_vfio_pci matches it
HANGS = "0000:09:00.0"     # its FLR never returns


def plain_env():
    env = dict(os.environ)
    for name in ("VFIORESET_ROOT", "VFR_MOCK_ROOT", "LD_PRELOAD"):
        env.pop(name, None)
    return env


class Hostdev(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-hostdev-")
        self.root = os.path.join(self.tmp.name, "root")
        subprocess.run([MKFIXTURE, os.path.join(FIXTURES, "manager.ini"), self.root],
                       check=True, env=plain_env())

    def tearDown(self):
        self.tmp.cleanup()

    def hostdev(self, *args, status=0):
        """Output goes to files: a writer abandoned at a deadline outlives the program."""
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run([MOCK, self.root, "--"] + WRAPPER + [HOSTDEV, *args],
                               env=plain_env(), stdout=out, stderr=err, text=True,
                               timeout=300)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        return p

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def driver(self, addr):
        link = self.path("sys/bus/pci/devices", addr, "driver")
        return os.path.basename(os.readlink(link)) if os.path.islink(link) else None

    def journal(self):
        try:
            with open(self.path(".vfr-mock/journal"), encoding="utf-8") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def writes_to(self, addr):
        return [line for line in self.journal() if addr in line.split()]

    def owners(self):
        """The persisted claims, as the file says them: {address: domain}."""
        try:
            with open(self.path("run/vfioreset/owners"), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return {}
        return dict(line.split("=", 1) for line in lines
                    if "=" in line and not line.startswith("#"))

    def active(self, status=0):
        return self.hostdev("list", status=status).stdout.splitlines()

    def test_two_domains_side_by_side(self):
        out = self.hostdev("prepare", "vm1", NIC1).stdout
        self.assertIn(f"bind {NIC1}: e1000e -> vfio-pci\n", out)
        self.assertIn(f"reset {NIC1}: ok with flr\n", out)
        self.hostdev("prepare", "vm2", NIC2)
        self.assertEqual(self.owners(), {NIC1: "vm1", NIC2: "vm2"})
        before = self.journal()
        # vm2 cannot take vm1's function: refused before anything is written.
        p = self.hostdev("prepare", "vm2", NIC1, status=1)
        self.assertIn(f"refused {NIC1}: in use by domain vm1\n", p.stdout)
        self.assertEqual(self.journal(), before)
        # A manager that restarted finds both domains' functions.
        self.assertEqual(self.active(), [f"vm1 {NIC1} vfio-pci active",
                                         f"vm2 {NIC2} vfio-pci active"])
        # vm1's release, from the persisted list alone, leaves vm2's function alone.
        out = self.hostdev("release", "vm1").stdout
        self.assertIn(f"release {NIC1}: vfio-pci -> e1000e\n", out)
        self.assertEqual(self.driver(NIC1), "e1000e")
        self.assertEqual(self.driver(NIC2), "vfio-pci")
        self.assertEqual(self.owners(), {NIC2: "vm2"})
        self.assertEqual([l for l in self.journal() if l.startswith(f"reset {NIC1} ")],
                         [f"reset {NIC1} flr ok"] * 2)  # prepared and released
        self.assertIn(f"reset {NIC2} flr ok", self.writes_to(NIC2))
        self.assertNotIn(f"unbind {NIC2} vfio-pci", self.journal())

    def test_stale_claim_reported_after_restart(self):
        self.hostdev("prepare", "vm2", NIC2)
        # Someone gives the function back behind the manager's back.
        subprocess.run([MOCK, self.root, "--", os.environ["VFIORESET"], "restore", NIC2],
                       env=plain_env(), check=True, capture_output=True)
        self.assertEqual(self.active(status=1), [f"vm2 {NIC2} e1000e stale"])

    def test_host_sibling_refused(self):
        p = self.hostdev("prepare", "vm1", PORT0, status=1)
        self.assertIn(f"refused {PORT0}: IOMMU group 6 would not be viable: "
                      "0000:03:00.1 is bound to igb\n", p.stdout)
        self.assertEqual(self.journal(), [])
        self.assertEqual(self.owners(), {})
        self.assertEqual(self.driver(PORT0), "igb")

    def test_strict_and_no_strict_acs(self):
        p = self.hostdev("prepare", "vm1", BEHIND_NO_ACS, status=1)
        self.assertIn(f"refused {BEHIND_NO_ACS}: ", p.stdout)
        self.assertIn("switch port 0000:05:01.0", p.stdout)
        self.assertEqual(self.journal(), [])
        p = self.hostdev("--no-strict-acs", "prepare", "vm1", BEHIND_NO_ACS)
        self.assertIn(f"prepared vm1: {BEHIND_NO_ACS}\n", p.stdout)
        self.assertEqual(self.driver(BEHIND_NO_ACS), "vfio-pci")

    def test_reset_policy_strict_and_no_strict(self):
        # NIC1's FLR and PM reset both fail with EIO.
        name = self.path(".vfr-mock/devices")
        with open(name, encoding="ascii") as f:
            lines = f.read().splitlines()
        with open(name, "w", encoding="ascii") as f:
            f.write("\n".join(f"{l} reset_errno=flr:EIO,pm:EIO" if l.split()[0] == NIC1 else l
                              for l in lines) + "\n")
        p = self.hostdev("prepare", "vm1", NIC1, status=1)
        self.assertIn(f"reset {NIC1}: FAILED: ", p.stdout)
        self.assertIn("not prepared: giving the functions back\n", p.stdout)
        self.assertEqual(self.driver(NIC1), "e1000e")
        self.assertEqual(self.owners(), {})
        p = self.hostdev("--policy", "no-strict", "prepare", "vm1", NIC1)
        self.assertIn(f"reset {NIC1}: FAILED, ignored with no method\n", p.stdout)
        self.assertEqual(self.driver(NIC1), "vfio-pci")
        self.assertEqual(self.owners(), {NIC1: "vm1"})

    def test_held_function_kept_at_release(self):
        self.hostdev("prepare", "vm1", NIC1)
        holder = subprocess.Popen(
            [MOCK, self.root, "--", "sh", "-c", 'exec 3<>/dev/vfio/2; echo $$; read x'],
            env=plain_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            pid = int(holder.stdout.readline())  # printed once the group is open
            p = self.hostdev("release", "vm1", status=1)
        finally:
            holder.stdin.close()
            holder.wait(timeout=60)
            holder.stdout.close()
        self.assertIn(f"  held open by pid {pid}\n", p.stdout)
        self.assertIn("kept for vm1: still held open", p.stdout)
        self.assertEqual(self.driver(NIC1), "vfio-pci")
        self.assertEqual(self.owners(), {NIC1: "vm1"})
        self.assertNotIn(f"unbind {NIC1} vfio-pci", self.journal())
        # The holder is gone: the next release goes through.
        self.hostdev("release", "vm1")
        self.assertEqual(self.driver(NIC1), "e1000e")
        self.assertEqual(self.owners(), {})

    def test_missing_variant_module(self):
        subprocess.run([sys.executable, MKMODULES, self.root, RELEASE,
                        "vfio_pci=vfio_pci:v*d*sv*sd*bc*sc*i*",
                        "virtio_vfio_pci=vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i*"],
                       check=True)
        with open(self.path(".vfr-mock/release"), "w", encoding="ascii") as f:
            f.write(RELEASE + "\n")
        # Indexed, but the file is gone (a half-removed package).
        for top, _, files in os.walk(self.path("lib/modules", RELEASE)):
            for name in files:
                if name == "virtio_vfio_pci.ko":
                    os.unlink(os.path.join(top, name))
        p = self.hostdev("--variant", "prepare", "vm1", VIRTIO, status=1)
        self.assertIn("virtio_vfio_pci", p.stdout)
        self.assertIn("No such file or directory", p.stdout)
        self.assertEqual(self.writes_to(VIRTIO), [])
        self.assertEqual(self.driver(VIRTIO), "virtio-pci")
        self.assertEqual(self.owners(), {})

    def test_hanging_reset(self):
        p = self.hostdev("--timeout", "2000", "prepare", "vm1", HANGS, status=1)
        self.assertIn(f"reset {HANGS}: FAILED: ", p.stdout)
        self.assertIn("  timed out: ", p.stdout)
        # Its state is unknown: not given back to a host driver, still vm1's.
        self.assertIn("left on vfio-pci for vm1", p.stdout)
        self.assertEqual(self.driver(HANGS), "vfio-pci")
        self.assertEqual(self.active(), [f"vm1 {HANGS} vfio-pci active"])
        self.assertNotIn(f"unbind {HANGS} vfio-pci", self.journal())

    def test_bad_usage(self):
        for args in ([], ["prepare", "vm1"], ["frobnicate"], ["--policy", "skip", "list"],
                     ["--timeout", "0", "list"], ["list", "extra"]):
            with self.subTest(args=args):
                p = self.hostdev(*args, status=2)
                self.assertIn("usage:", p.stderr)
        p = self.hostdev("prepare", "vm1", "0000:0a:00.0", status=2)
        self.assertIn("0000:0a:00.0", p.stderr)
        self.assertEqual(self.journal(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
