#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`bind`, `unbind`, `restore` through the CLI under the mock harness: the JSON
shape, exit statuses, rollback on injected faults, a stuck write, a holder,
and restore from a fresh process."""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
MOCK = os.environ["VFR_MOCK"]
FIXTURES = os.environ["VFR_FIXTURES"]
MKMODULES = os.path.join(os.path.dirname(__file__), "..", "kmod", "mkmodules.py")
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))
RELEASE = "6.99.0-vfr"
KEYS = {"address", "ok", "driver_before", "driver_after", "errno", "done", "rolled_back",
        "state_unknown", "holders", "message"}


class Bind(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "root")
        subprocess.run([MKFIXTURE, os.path.join(FIXTURES, "qemu-q35.ini"), self.root],
                       check=True)
        # vfr-mkfixture makes ROOT/run, as a host has /run, for ROOT/run/vfioreset.
        assert os.path.isdir(os.path.join(self.root, "run"))

    def tearDown(self):
        self.tmp.cleanup()

    def run_cli(self, *args, stdin=None):
        return subprocess.run([MOCK, self.root, "--"] + WRAPPER + [VFIORESET, *args],
                              capture_output=True, text=True, check=False, input=stdin)

    def json_op(self, *args, status=0):
        p = self.run_cli("--json", *args)
        self.assertEqual(p.returncode, status, p.stderr)
        results = json.loads(p.stdout)["results"]
        for r in results:
            self.assertEqual(set(r), KEYS)
        return results, p.stderr

    def driver(self, addr):
        link = os.path.join(self.root, "sys/bus/pci/devices", addr, "driver")
        return os.path.basename(os.readlink(link)) if os.path.islink(link) else None

    def fault(self, rule):
        with open(os.path.join(self.root, ".vfr-mock/faults"), "a", encoding="ascii") as f:
            f.write(rule + "\n")

    def test_cdev_node_is_enough(self):
        # A kernel without vfio group support (CONFIG_VFIO_GROUP=n) makes only
        # /dev/vfio/devices/vfioN: the bind waits for any of the nodes.
        subprocess.run([MKFIXTURE, "--force", os.path.join(FIXTURES, "qemu-q35-cdev.ini"),
                        self.root], check=True)
        self.fault("stat /dev/vfio/11 errno=ENOENT")
        res, _ = self.json_op("bind", "--timeout", "2000", "0000:02:00.0")
        self.assertTrue(res[0]["ok"], res)
        self.assertEqual(self.driver("0000:02:00.0"), "vfio-pci")

    def test_round_trip_from_fresh_processes(self):
        res, _ = self.json_op("bind", "0000:02:00.0")
        self.assertEqual(res, [{"address": "0000:02:00.0", "ok": True, "errno": 0,
                                "driver_before": "e1000e", "driver_after": "vfio-pci",
                                "done": True, "rolled_back": False, "state_unknown": False,
                                "holders": [], "message": None}])
        self.assertEqual(self.driver("0000:02:00.0"), "vfio-pci")
        state = os.path.join(self.root, "run/vfioreset/0000:02:00.0.state")
        with open(state, encoding="utf-8") as f:
            self.assertIn("driver=e1000e", f.read())
        res, _ = self.json_op("restore", "0000:02:00.0")
        self.assertEqual((res[0]["driver_before"], res[0]["driver_after"]),
                         ("vfio-pci", "e1000e"))
        self.assertFalse(os.path.exists(state))
        self.assertEqual(self.driver("0000:02:00.0"), "e1000e")

    def test_human_output(self):
        p = self.run_cli("bind", "0000:02:00.0")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "0000:02:00.0: e1000e -> vfio-pci\n")
        p = self.run_cli("unbind", "0000:02:00.0")
        self.assertEqual(p.stdout, "0000:02:00.0: vfio-pci -> (none)\n")
        p = self.run_cli("restore", "0000:02:00.0")
        self.assertEqual(p.stdout, "0000:02:00.0: (none) -> e1000e\n")

    def test_bad_usage(self):
        for args in (["bind"], ["bind", "0000:02:00.9"], ["bind", "0000:99:00.0"],
                     ["bind", "--driver", "x", "--variant", "0000:02:00.0"],
                     ["bind", "--driver", "a/b", "0000:02:00.0"],
                     ["bind", "--driver", "..", "0000:02:00.0"],
                     ["unbind", "--variant", "02:00.0"],
                     # A write given no time can only end as "state unknown".
                     ["bind", "--timeout", "0", "0000:02:00.0"],
                     ["bind", "--timeout", "-7", "0000:02:00.0"],
                     ["restore", "--lock-timeout", "-2", "0000:02:00.0"]):
            p = self.run_cli(*args)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
        self.assertEqual(self.driver("0000:02:00.0"), "e1000e")

    def test_unbind_ebusy_rolls_back(self):
        self.fault("write /sys/bus/pci/drivers/e1000e/unbind errno=EBUSY")
        res, err = self.json_op("bind", "0000:02:00.0", status=1)
        self.assertIn("0000:02:00.0", err)
        self.assertIn("Device or resource busy", err)
        r = res[0]
        self.assertEqual((r["ok"], r["errno"], r["rolled_back"], r["driver_after"]),
                         (False, 16, True, "e1000e"))
        self.assertEqual(self.driver("0000:02:00.0"), "e1000e")
        self.assertFalse(os.path.exists(os.path.join(self.root, "run/vfioreset/0000:02:00.0.state")))

    def test_vanished_after_the_probe_is_a_failure(self):
        # The function is surprise-removed after N path operations, for every N that falls
        # inside the command: never "ok" with no driver after it.
        seen_ok = seen_failed = False
        for n in range(0, 300):
            subprocess.run([MKFIXTURE, "--force", os.path.join(FIXTURES, "qemu-q35.ini"),
                            self.root], check=True)
            self.fault(f"vanish 0000:02:00.0 after={n}")
            p = self.run_cli("--json", "bind", "--timeout", "2000", "0000:02:00.0")
            if "vanish 0000:02:00.0" not in self.journal():
                break
            res = json.loads(p.stdout)["results"] if p.stdout else []
            for r in res:
                with self.subTest(after=n):
                    self.assertFalse(r["ok"] and r["driver_after"] is None, r)
                    if r["ok"]:
                        self.assertEqual(r["driver_after"], "vfio-pci")
            self.assertEqual(p.returncode, 0 if res and all(r["ok"] for r in res) else 1)
            seen_ok |= p.returncode == 0
            seen_failed |= p.returncode == 1
        else:
            self.fail("the function still vanished within the command after 300 operations")
        self.assertTrue(seen_failed)

    def test_longest_override_is_recorded_and_read_back(self):
        # An unbound function with the longest driver_override the kernel takes.
        fn = "0000:03:00.0"
        p = subprocess.run([MOCK, self.root, "--", "sh", "-c",
                            f"echo {fn} > /sys/bus/pci/drivers/virtio-pci/unbind"], check=False)
        self.assertEqual(p.returncode, 0)
        override = "x" * 4050
        with open(os.path.join(self.root, "sys/bus/pci/devices", fn, "driver_override"), "w",
                  encoding="ascii") as f:
            f.write(override + "\n")
        res, _ = self.json_op("bind", fn)
        self.assertEqual(res[0]["driver_after"], "vfio-pci")
        res, _ = self.json_op("restore", fn)
        self.assertEqual(res[0]["driver_after"], None)
        with open(os.path.join(self.root, "sys/bus/pci/devices", fn, "driver_override"),
                  encoding="ascii") as f:
            self.assertEqual(f.read(), override + "\n")

    def test_a_probe_failing_once_is_rolled_back(self):
        # Counted for the host: the deadline child's failed probe is the one failure, the
        # rollback's probe (another child) works.
        self.fault("write /sys/bus/pci/drivers_probe errno=EIO times=1")
        res, _ = self.json_op("bind", "0000:02:00.0", status=1)
        self.assertEqual((res[0]["errno"], res[0]["rolled_back"], res[0]["driver_after"]),
                         (5, True, "e1000e"))
        self.assertEqual(self.driver("0000:02:00.0"), "e1000e")

    def test_lock_wait_has_an_end(self):
        # Without --lock-timeout a held lock is waited for 30 s, then named, never for ever.
        state = os.path.join(self.root, "run/vfioreset")
        os.makedirs(state, mode=0o700)
        script = ("import fcntl, os, sys\n"
                  "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
                  "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                  "print('locked', flush=True)\n"
                  "sys.stdin.read()\n")
        holder = subprocess.Popen([sys.executable, "-c", script,
                                   os.path.join(state, "0000:02:00.0.lock")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(holder.stdout.readline().strip(), "locked")
            p = subprocess.run([MOCK, self.root, "--"] + WRAPPER + [VFIORESET, "bind",
                                                                    "0000:02:00.0"],
                               capture_output=True, text=True, check=False, timeout=90)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn(f"(pid {holder.pid})", p.stderr)
            self.assertIn("after 30000 ms", p.stderr)
        finally:
            holder.stdin.close()
            holder.wait()
        self.assertEqual(self.driver("0000:02:00.0"), "e1000e")

    def test_missing_driver(self):
        res, err = self.json_op("bind", "--driver", "no-such-driver", "0000:02:00.0", status=1)
        self.assertIn("no_such_driver", err)
        self.assertEqual(res[0]["errno"], 2)
        self.assertEqual(self.driver("0000:02:00.0"), "e1000e")

    def test_stuck_unbind_reports_unknown_state(self):
        self.fault("write /sys/bus/pci/drivers/e1000e/unbind hang")
        res, err = self.json_op("bind", "--timeout", "300", "0000:02:00.0", status=1)
        self.assertIn("state unknown", err)
        self.assertTrue(res[0]["state_unknown"])
        self.assertFalse(res[0]["rolled_back"])
        self.assertEqual(res[0]["errno"], 110)

    def test_holder_named(self):
        self.json_op("bind", "0000:02:00.0")
        holder = subprocess.Popen(
            [MOCK, self.root, "--", sys.executable, "-c",
             "import os,sys; f=open('/dev/vfio/11','rb'); print(os.getpid(), flush=True);"
             " sys.stdin.read()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            pid = int(holder.stdout.readline())
            res, err = self.json_op("restore", "0000:02:00.0", status=1)
            self.assertEqual(res[0]["holders"], [pid])
            self.assertIn(str(pid), err)
            self.assertEqual(self.driver("0000:02:00.0"), "vfio-pci")
        finally:
            holder.stdin.close()
            holder.wait()
        self.json_op("restore", "0000:02:00.0")
        self.assertEqual(self.driver("0000:02:00.0"), "e1000e")

    def test_group(self):
        res, _ = self.json_op("bind", "--group", "0000:04:00.1")
        self.assertEqual([(r["address"], r["driver_after"]) for r in res],
                         [("0000:04:00.0", "vfio-pci"), ("0000:04:00.1", "vfio-pci")])
        res, _ = self.json_op("restore", "--group", "0000:04:00.0")
        self.assertEqual([r["driver_after"] for r in res], ["e1000e", "e1000e"])

    def test_pf_with_bound_vfs_refused(self):
        res, err = self.json_op("unbind", "0000:01:00.0", status=1)
        self.assertIn("0000:01:10.0", err)
        self.assertEqual(self.driver("0000:01:00.0"), "igb")

    def test_variant(self):
        mods = os.path.join(self.tmp.name, "mods")
        subprocess.run([sys.executable, MKMODULES, mods, RELEASE,
                        "vfio_pci=vfio_pci:v*d*sv*sd*bc*sc*i*",
                        "twin_a_vfio=vfio_pci:v00001AF4d*sv*sd*bc*sc*i*",
                        "twin_b_vfio=vfio_pci:v00001AF4d*sv*sd*bc*sc*i*"], check=True)
        moddir = os.path.join(mods, "lib", "modules", RELEASE)
        res, _ = self.json_op("--modules-dir", moddir, "bind", "--variant", "0000:02:00.0")
        self.assertEqual(res[0]["driver_after"], "vfio-pci")
        # Two equally specific variants: no guess.
        res, err = self.json_op("--modules-dir", moddir, "bind", "--variant", "0000:03:00.0",
                                status=1)
        self.assertIn("twin_a_vfio", err)
        self.assertEqual(self.driver("0000:03:00.0"), "virtio-pci")

    def variant_modules(self):
        """The q35 host's kernel has virtio_vfio_pci on disk, not loaded."""
        subprocess.run([sys.executable, MKMODULES, self.root, RELEASE,
                        "vfio_pci=vfio_pci:v*d*sv*sd*bc*sc*i*",
                        "virtio_vfio_pci=vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i*,"
                        "vfio_pci:v00001AF4d00001042sv*sd*bc*sc*i*"], check=True)
        with open(os.path.join(self.root, ".vfr-mock/release"), "w", encoding="ascii") as f:
            f.write(RELEASE + "\n")

    def journal(self):
        with open(os.path.join(self.root, ".vfr-mock/journal"), encoding="utf-8") as f:
            return f.read().splitlines()

    def test_variant_module_loaded(self):
        self.variant_modules()
        self.assertFalse(os.path.exists(os.path.join(self.root, "sys/module/virtio_vfio_pci")))
        res, _ = self.json_op("bind", "--variant", "0000:03:00.0")
        self.assertEqual((res[0]["driver_before"], res[0]["driver_after"]),
                         ("virtio-pci", "virtio_vfio_pci"))
        journal = self.journal()
        self.assertIn("load virtio_vfio_pci ok", journal)
        # Loaded before the function is touched.
        self.assertLess(journal.index("load virtio_vfio_pci ok"),
                        journal.index("unbind 0000:03:00.0 virtio-pci"))
        self.assertEqual(self.driver("0000:03:00.0"), "virtio_vfio_pci")
        dev = os.path.join(self.root, "sys/bus/pci/devices/0000:03:00.0")
        self.assertEqual(os.listdir(os.path.join(dev, "vfio-dev")), ["vfio0"])
        self.assertTrue(os.path.exists(os.path.join(self.root, "dev/vfio/12")))
        with open(os.path.join(self.root, "sys/module/virtio_vfio_pci/initstate"),
                  encoding="ascii") as f:
            self.assertEqual(f.read(), "live\n")
        p = self.run_cli("show", "0000:03:00.0")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("virtio_vfio_pci", p.stdout)

        res, _ = self.json_op("restore", "0000:03:00.0")
        self.assertEqual((res[0]["driver_before"], res[0]["driver_after"]),
                         ("virtio_vfio_pci", "virtio-pci"))
        self.assertEqual(self.driver("0000:03:00.0"), "virtio-pci")
        self.assertFalse(os.path.exists(os.path.join(dev, "vfio-dev")))
        self.assertFalse(os.path.exists(os.path.join(self.root, "dev/vfio/12")))
        with open(os.path.join(dev, "driver_override"), encoding="ascii") as f:
            self.assertEqual(f.read(), "(null)\n")

    def test_variant_module_load_refused(self):
        self.variant_modules()
        # A kernel in lockdown refuses the module.
        self.fault("write /sys/module/virtio_vfio_pci errno=EPERM")
        res, err = self.json_op("bind", "--variant", "0000:03:00.0", status=1)
        self.assertEqual((res[0]["ok"], res[0]["errno"], res[0]["driver_after"]),
                         (False, 1, "virtio-pci"))
        self.assertIn("0000:03:00.0", err)
        self.assertIn("virtio_vfio_pci", err)
        self.assertIn("Operation not permitted", err)
        journal = self.journal()
        self.assertIn("load virtio_vfio_pci EPERM", journal)
        self.assertNotIn("driver_override 0000:03:00.0 virtio_vfio_pci", journal)
        self.assertEqual(self.driver("0000:03:00.0"), "virtio-pci")
        self.assertFalse(os.path.exists(os.path.join(self.root, "sys/module/virtio_vfio_pci")))
        self.assertFalse(os.path.exists(os.path.join(self.root,
                                                     "run/vfioreset/0000:03:00.0.state")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
