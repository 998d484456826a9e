#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`plan` and `reset` through the CLI: the JSON shapes of vfioreset(1), the
exit codes, the policies, on the q35 fixture (plan with --root, reset under
the mock harness through vfioreset-mock). VFR_CLI_WRAPPER (e.g. valgrind
...) wraps every vfioreset run."""
import fcntl
import json
import os
import select
import shlex
import subprocess
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
FIXTURES = os.environ["VFR_FIXTURES"]
MOCK = os.environ["VFR_MOCK"]
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))

HANG = """
[device 0000:00:1c.0]
kind=root-port
vendor=8086
device=a110
driver=pcieport
iommu_group=1
[device 0000:01:00.0]
vendor=8086
device=10ca
parent=0000:00:1c.0
driver=vfio-pci
iommu_group=2
caps=msix,flr
reset_method=flr
reset_hang=flr
"""


def clean_env():
    env = dict(os.environ)
    # VFIORESET_LOG unset: the CLI's own default, warnings on stderr.
    for name in ("VFIORESET_ROOT", "VFR_MOCK_ROOT", "LD_PRELOAD", "VFIORESET_LOG"):
        env.pop(name, None)
    return env


class Reset(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-reset-cli-")
        self.root = self.make(os.path.join(FIXTURES, "qemu-q35.ini"), "q35")

    def tearDown(self):
        self.tmp.cleanup()

    def make(self, ini, name):
        root = os.path.join(self.tmp.name, name)
        subprocess.run([MKFIXTURE, ini, root], check=True, env=clean_env())
        return root

    def run_root(self, *args):
        return subprocess.run(WRAPPER + [VFIORESET, "--root", self.root] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=120)

    def run_mock(self, root, *args):
        return subprocess.run([MOCK, root, "--"] + WRAPPER + [VFIORESET] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=120)

    def journal(self, root):
        path = os.path.join(root, ".vfr-mock", "journal")
        return open(path).read().splitlines() if os.path.exists(path) else []

    def test_plan_shape(self):
        r = self.run_root("--json", "plan", "0000:04:00.0", "05:00.0", "--allow-host-drivers")
        self.assertEqual(r.returncode, 0, r.stderr)
        plans = json.loads(r.stdout)["plans"]
        self.assertEqual([p["address"] for p in plans], ["0000:04:00.0", "0000:05:00.0"])
        fn0, bridge = plans
        self.assertEqual(set(fn0), {"address", "policy", "ready", "refused", "methods", "excluded",
                                    "holders", "uncertain_holders"})
        self.assertFalse(fn0["refused"])
        self.assertEqual((fn0["holders"], fn0["uncertain_holders"]), ([], []))
        self.assertEqual(fn0["policy"], "strict")
        self.assertTrue(fn0["ready"])
        self.assertEqual(fn0["methods"],
                         [{"method": "pm", "mechanism": "sysfs", "note": None,
                           "affected": ["0000:04:00.0"]}])
        reasons = {e["method"]: e["reason"] for e in fn0["excluded"]}
        self.assertEqual(reasons["bus"], "stale: the kernel probed it before 0000:04:00.1 appeared")
        self.assertIn("not to a vfio driver", reasons["vfio"])
        self.assertFalse(bridge["ready"])
        self.assertEqual(bridge["methods"], [])
        self.assertIn("only endpoints are reset", {e["method"]: e["reason"]
                                                   for e in bridge["excluded"]}["pm"])

    def test_plan_policy_and_owner(self):
        r = self.run_root("--json", "plan", "02:00.0", "--policy", "no-strict")
        plan = json.loads(r.stdout)["plans"][0]
        self.assertEqual(plan["policy"], "no-strict")
        self.assertFalse(plan["ready"])  # e1000e is under its host driver
        self.assertIn("a host driver", plan["excluded"][1]["reason"])
        r = self.run_root("--json", "plan", "02:00.0", "--allow-host-drivers",
                          "--owner", "vm2=02:00.0", "--as", "vm1")
        plan = json.loads(r.stdout)["plans"][0]
        self.assertFalse(plan["ready"])
        self.assertIn("0000:02:00.0 belongs to vm2, not to vm1", plan["excluded"][0]["reason"])

    def test_bad_input(self):
        for args, word in ((["plan", "0000:09:00.0"], "0000:09:00.0"),
                           (["plan", "00:02.9"], "00:02.9"),
                           (["plan", "02:00.0", "--policy", "lenient"], "lenient"),
                           (["plan", "02:00.0", "--owner", "vm1"], "vm1"),
                           (["plan"], "plan"),
                           (["reset", "zz:00.0"], "zz:00.0")):
            r = self.run_root(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(word, r.stderr)
            self.assertEqual(r.stdout, "")

    def test_reset_strict_and_no_strict(self):
        r = self.run_mock(self.root, "--json", "reset", "02:00.0", "06:01.0",
                          "--allow-host-drivers")
        self.assertEqual(r.returncode, 1, r.stderr)
        ok, failed = json.loads(r.stdout)["results"]
        self.assertEqual(set(ok) >= {"address", "ok", "method", "timed_out", "ignored_by_policy",
                                     "attempts"}, True)
        self.assertTrue(ok["ok"])
        self.assertEqual(ok["method"], "pm")
        self.assertEqual([(a["method"], a["errno"]) for a in ok["attempts"]], [("pm", 0)])
        self.assertFalse(failed["ok"])
        self.assertIsNone(failed["method"])
        self.assertFalse(failed["ignored_by_policy"])
        self.assertIn("reset 0000:02:00.0 pm ok", self.journal(self.root))

        r = self.run_mock(self.root, "--json", "reset", "06:01.0", "--allow-host-drivers",
                          "--policy", "no-strict")
        self.assertEqual(r.returncode, 0, r.stderr)
        res = json.loads(r.stdout)["results"][0]
        self.assertTrue(res["ok"])
        self.assertTrue(res["ignored_by_policy"])
        warnings = [l for l in r.stderr.splitlines() if "warning" in l]
        self.assertEqual(warnings, ["vfioreset: warning: reset of 0000:06:01.0 failed, "
                                    "ignored because of the no-strict policy"])

    def test_reset_skip(self):
        r = self.run_mock(self.root, "reset", "02:00.0", "--policy", "skip")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("skipped because of the skip policy", r.stdout)
        self.assertIn("reset of 0000:02:00.0 skipped", r.stderr)
        self.assertFalse(any(l.startswith("reset ") for l in self.journal(self.root)))

    def test_reset_hang_returns_at_deadline(self):
        ini = os.path.join(self.tmp.name, "hang.ini")
        with open(ini, "w") as f:
            f.write(HANG)
        root = self.make(ini, "hang")
        r = self.run_mock(root, "--json", "reset", "01:00.0", "--timeout", "1000")
        self.assertEqual(r.returncode, 1, r.stderr)
        res = json.loads(r.stdout)["results"][0]
        self.assertTrue(res["timed_out"])
        self.assertEqual([(a["method"], a["errno"]) for a in res["attempts"]], [("flr", 110)])
        self.assertIn("reset 0000:01:00.0 flr hang", self.journal(root))


    def test_stuck_reset_is_remembered(self):
        """A reset that does not return is never ok (no-strict included), and every later
        process knows: `list`, `show` and `plan` answer without reading its config space
        (a reader would sleep with the stuck reset), a second reset and a restore are
        refused naming it; once the stuck process is gone, all is as before."""
        ini = os.path.join(self.tmp.name, "hang.ini")
        with open(ini, "w") as f:
            f.write(HANG)
        root = self.make(ini, "hang")
        r = self.run_mock(root, "--json", "reset", "01:00.0", "--timeout", "1000",
                          "--policy", "no-strict")
        self.assertEqual(r.returncode, 1, r.stderr)
        res = json.loads(r.stdout)["results"][0]
        self.assertEqual((res["ok"], res["outcome"], res["ignored_by_policy"]),
                         (False, "unknown", False))
        pid = res["pending_pid"]
        self.assertIsInstance(pid, int)
        self.assertNotIn("ignored because of the no-strict policy", r.stderr)
        try:
            r = self.run_mock(root, "--json", "list")
            self.assertEqual(r.returncode, 0, r.stderr)
            dev, = [d for d in json.loads(r.stdout)["devices"] if d["address"] == "0000:01:00.0"]
            self.assertEqual(dev["pending"]["pid"], pid)
            self.assertEqual(dev["pending"]["method"], "flr")
            self.assertIsNone(dev["capabilities"])
            self.assertIn("has been pending in the kernel since", dev["pending"]["message"])
            port, = [d for d in json.loads(r.stdout)["devices"] if d["address"] == "0000:00:1c.0"]
            self.assertEqual(port["pending"]["address"], "0000:01:00.0")
            r = self.run_mock(root, "show", "01:00.0")
            self.assertIn(f"(pid {pid})", r.stdout)
            r = self.run_mock(root, "--json", "plan", "01:00.0")
            self.assertTrue(json.loads(r.stdout)["plans"][0]["refused"])
            r = self.run_mock(root, "--json", "reset", "01:00.0", "--timeout", "1000")
            self.assertEqual(r.returncode, 1)
            self.assertEqual(json.loads(r.stdout)["results"][0]["outcome"], "refused")
            r = self.run_mock(root, "restore", "01:00.0")
            self.assertEqual(r.returncode, 1)
            self.assertIn("pending in the kernel", r.stderr)
            self.assertNotIn("wait config 0000:01:00.0", self.journal(root))
            self.assertNotIn("wait config 0000:00:1c.0", self.journal(root))
        finally:
            fd = os.pidfd_open(pid)
            os.kill(pid, 9)
            select.select([fd], [], [])
            os.close(fd)
        r = self.run_mock(root, "--json", "list")
        dev, = [d for d in json.loads(r.stdout)["devices"] if d["address"] == "0000:01:00.0"]
        self.assertIsNone(dev["pending"])
        self.assertIsNotNone(dev["capabilities"])


class VfioReset(unittest.TestCase):
    """`plan --vfio` and `reset --vfio [--cdev]`: the CLI holds the functions as a VMM
    does, so `vfio` (VFIO_DEVICE_RESET) and `hot` (VFIO_DEVICE_PCI_HOT_RESET) can run."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-reset-vfio-cli-")

    def tearDown(self):
        self.tmp.cleanup()

    def make(self, fixture, *bound):
        root = os.path.join(self.tmp.name, fixture)
        subprocess.run([MKFIXTURE, os.path.join(FIXTURES, fixture), root], check=True,
                       env=clean_env())
        if bound:
            r = self.run_mock(root, "bind", *bound)
            self.assertEqual(r.returncode, 0, r.stderr)
        return root

    def run_mock(self, root, *args):
        return subprocess.run([MOCK, root, "--"] + WRAPPER + [VFIORESET] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=120)

    def journal(self, root):
        with open(os.path.join(root, ".vfr-mock", "journal"), encoding="utf-8") as f:
            return f.read().splitlines()

    def reset(self, root, *args, status=0):
        r = self.run_mock(root, "--json", "reset", *args)
        self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        return json.loads(r.stdout)["results"]

    def plan(self, root, *args):
        r = self.run_mock(root, "--json", "plan", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["plans"][0], r.stderr

    def test_lone_function_group(self):
        root = self.make("qemu-q35.ini", "0000:02:00.0")
        plan, _ = self.plan(root, "--vfio", "02:00.0")
        self.assertEqual([(m["method"], m["mechanism"]) for m in plan["methods"]],
                         [("vfio", "vfio-device-reset"), ("pm", "sysfs"), ("bus", "sysfs"),
                          ("hot", "vfio-hot-reset")])
        # Without --vfio nothing is held: the plan says what is missing.
        plan, _ = self.plan(root, "02:00.0")
        reasons = {e["method"]: e["reason"] for e in plan["excluded"]}
        self.assertIn("needs a VFIO holding", reasons["hot"])
        self.assertIn("none was passed", reasons["vfio"])

        res, = self.reset(root, "--vfio", "--method", "vfio", "02:00.0")
        self.assertEqual((res["ok"], res["method"]), (True, "vfio"))
        self.assertEqual([(a["method"], a["errno"]) for a in res["attempts"]], [("vfio", 0)])
        self.assertIn("device_reset 0000:02:00.0", self.journal(root))
        res, = self.reset(root, "--vfio", "--method", "hot", "02:00.0")
        self.assertEqual(res["method"], "hot")
        self.assertIn("hot_reset 0000:02:00.0 0000:02:00.0 ok", self.journal(root))
        # The holding is gone with the process: unbinding does not wait for it.
        r = self.run_mock(root, "restore", "02:00.0")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_two_functions(self):
        root = self.make("qemu-q35.ini", "0000:04:00.0", "0000:04:00.1")
        plan, _ = self.plan(root, "--vfio", "04:00.0", "--holding", "04:00.1")
        hot = [m for m in plan["methods"] if m["method"] == "hot"]
        self.assertEqual(hot[0]["affected"], ["0000:04:00.0", "0000:04:00.1"])
        res, = self.reset(root, "--vfio", "-M", "hot", "04:00.0", "-H", "04:00.1")
        self.assertEqual(res["method"], "hot")
        self.assertIn("hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok", self.journal(root))

    def test_one_function_on_host_driver(self):
        root = self.make("qemu-q35.ini", "0000:04:00.0")
        plan, err = self.plan(root, "--vfio", "04:00.0")
        self.assertIn("0000:04:00.0: not held through VFIO", err)
        self.assertIn("not viable", err)
        reasons = {e["method"]: e["reason"] for e in plan["excluded"]}
        self.assertIn("0000:04:00.1 is bound to e1000e", reasons["hot"])
        res, = self.reset(root, "--vfio", "--method", "hot", "04:00.0", status=1)
        self.assertEqual(res["attempts"], [])
        self.assertIn("0000:04:00.1 is bound to e1000e", res["message"])
        self.assertFalse(any(l.startswith("hot_reset") for l in self.journal(root)))

    def test_vf_with_pf_on_igb(self):
        root = self.make("qemu-q35.ini", "0000:01:10.0")
        plan, _ = self.plan(root, "--vfio", "01:10.0")
        self.assertEqual([m["method"] for m in plan["methods"]], ["vfio", "flr"])
        reasons = {e["method"]: e["reason"] for e in plan["excluded"]}
        self.assertIn("0000:01:00.0 is bound to igb, not to a vfio-pci driver", reasons["hot"])
        res, = self.reset(root, "--vfio", "01:10.0")
        self.assertEqual(res["method"], "vfio")
        self.assertIn("reset 0000:01:10.0 flr ok", self.journal(root))

    def test_cdev(self):
        root = self.make("qemu-q35-cdev.ini", "0000:02:00.0")
        res, = self.reset(root, "--vfio", "--cdev", "--method", "hot", "02:00.0")
        self.assertEqual(res["method"], "hot")
        self.assertIn("hot_reset 0000:02:00.0 0000:02:00.0 ok", self.journal(root))

    def test_hot_enotty(self):
        root = self.make("qemu-q35.ini", "0000:02:00.0")
        devices = os.path.join(root, ".vfr-mock", "devices")
        with open(devices, encoding="utf-8") as f:
            text = f.read().replace("0000:02:00.0 ", "0000:02:00.0 reset_errno=bus:ENOTTY ")
        with open(devices, "w", encoding="utf-8") as f:
            f.write(text)
        res, = self.reset(root, "--vfio", "--method", "hot", "02:00.0", status=1)
        self.assertEqual([(a["method"], a["errno"]) for a in res["attempts"]], [("hot", 25)])
        self.assertFalse(res["ignored_by_policy"])
        res, = self.reset(root, "--vfio", "--method", "hot", "02:00.0", "--policy", "no-strict")
        self.assertTrue(res["ok"] and res["ignored_by_policy"])
        self.assertIsNone(res["method"])
        self.assertEqual(self.journal(root).count("hot_reset 0000:02:00.0 0000:02:00.0 ENOTTY"), 2)

    def test_slow_link(self):
        # The e1000e below 00:02.6, QEMU's root port at its default link
        # settings: bus and hot reset happen, and the kernel says ENOTTY.
        root = self.make("qemu-q35.ini")
        res, = self.reset(root, "--allow-host-drivers", "--method", "bus", "08:00.0", status=1)
        self.assertEqual([(a["method"], a["errno"]) for a in res["attempts"]], [("bus", 25)])
        self.assertIn("reset 0000:08:00.0 bus ENOTTY", self.journal(root))
        dev = os.path.join(root, "sys/bus/pci/devices/0000:08:00.0")
        self.assertEqual(os.path.basename(os.readlink(os.path.join(dev, "driver"))), "e1000e")
        with open(os.path.join(dev, "reset_method"), encoding="ascii") as f:
            self.assertEqual(f.read(), "pm bus\n")
        r = self.run_mock(root, "bind", "0000:08:00.0")
        self.assertEqual(r.returncode, 0, r.stderr)
        res, = self.reset(root, "--vfio", "--method", "hot", "08:00.0", status=1)
        self.assertEqual([(a["method"], a["errno"]) for a in res["attempts"]], [("hot", 25)])
        self.assertIn("hot_reset 0000:08:00.0 0000:08:00.0 ENOTTY", self.journal(root))

    def test_locked_by_a_binding(self):
        root = self.make("qemu-q35.ini", "0000:04:00.0", "0000:04:00.1")
        lock = os.path.join(root, "run", "vfioreset", "0000:04:00.1.lock")
        os.makedirs(os.path.dirname(lock), exist_ok=True)
        with open(lock, "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            res, = self.reset(root, "--vfio", "-M", "hot", "04:00.0", "-H", "04:00.1",
                              "--timeout", "100", status=1)
        self.assertEqual(res["locked"], "0000:04:00.1")
        self.assertEqual(res["errno"], 16)
        self.assertIn("0000:04:00.1 is locked by another process", res["message"])
        self.assertFalse(any(l.startswith("hot_reset") for l in self.journal(root)))

    def test_bad_input(self):
        root = self.make("qemu-q35.ini")
        for args, word in ((["--method", "reboot", "02:00.0"], "reboot"),
                           (["--method", "pm,", "02:00.0"], "--method"),
                           (["--cdev", "02:00.0"], "--cdev"),
                           (["--holding", "04:00.1", "02:00.0"], "--holding"),
                           (["--vfio", "--holding", "0000:09:00.0", "02:00.0"], "0000:09:00.0"),
                           (["--vfio", "--holding", "04:00.1,", "02:00.0"], "--holding"),
                           (["--vfio", "--holding", "", "02:00.0"], "--holding")):
            for cmd in ("plan", "reset"):
                r = self.run_mock(root, cmd, *args)
                self.assertEqual(r.returncode, 2, (cmd, args, r.stderr))
                self.assertIn(word, r.stderr)
                self.assertEqual(r.stdout, "")
        # Bad input is found before anything reaches the kernel.
        journal = os.path.join(root, ".vfr-mock", "journal")
        self.assertFalse(os.path.exists(journal) and os.path.getsize(journal))


if __name__ == "__main__":
    unittest.main(verbosity=2)
