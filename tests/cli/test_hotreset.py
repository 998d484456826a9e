#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`hot-reset-check`: the prediction on the QEMU topology of
doc/kernel-behaviour.md (tests/fixtures/qemu-q35.ini) with the drivers of each
recorded case, against what the real kernels answered; the JSON shape and
exit codes of the CLI contract. When the mock harness is available
(VFR_MOCK, the vfioreset-mock front end), the prediction is also compared
with the --kernel answer the simulated kernel gives on the same tree."""
import configparser
import json
import os
import shlex
import subprocess
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
FIXTURES = os.environ["VFR_FIXTURES"]
MOCK = os.environ.get("VFR_MOCK")
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))

EINVAL, ENODEV, EPERM = 22, 19, 1
CHECK_KEYS = {"address", "allowed", "errno", "affected", "mode", "source", "groups_to_pass",
              "prepare", "summary", "reason_code"}
AFFECTED_KEYS = {"address", "iommu_group", "blocker", "reason", "reason_code", "state", "detail",
                 "devid"}


def q35(drivers=None, host=None):
    """qemu-q35.ini with some functions rebound: {address: driver}."""
    cp = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",),
                                   inline_comment_prefixes=None, strict=True)
    cp.optionxform = str
    cp.read(os.path.join(FIXTURES, "qemu-q35.ini"))
    for addr, driver in (drivers or {}).items():
        cp["device " + addr]["driver"] = driver
    for key, value in (host or {}).items():
        cp["host"][key] = value
    lines = []
    for section in cp.sections():
        lines.append("[%s]" % section)
        lines.extend("%s=%s" % (k, v) for k, v in cp[section].items())
        lines.append("")
    return "\n".join(lines)


VFIO = "vfio-pci"
LONE = {"0000:02:00.0": VFIO}
TWO_FN = {"0000:04:00.0": VFIO, "0000:04:00.1": VFIO}
BEHIND_BRIDGE = {"0000:06:01.0": VFIO, "0000:06:02.0": VFIO}
VF_ONLY = {"0000:01:10.0": VFIO}
VF_SET = {"0000:01:00.0": VFIO, "0000:01:10.0": VFIO, "0000:01:10.2": VFIO}
SLOW_LINK = {"0000:08:00.0": VFIO}


class HotResetCheck(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-hotreset-")
        self.n = 0

    def tearDown(self):
        self.tmp.cleanup()

    def root(self, description):
        self.n += 1
        ini = os.path.join(self.tmp.name, "host%d.ini" % self.n)
        with open(ini, "w", encoding="utf-8") as f:
            f.write(description)
        root = os.path.join(self.tmp.name, "root%d" % self.n)
        subprocess.run([MKFIXTURE, ini, root], check=True)
        return root

    def run_cli(self, root, *args):
        return subprocess.run(WRAPPER + [VFIORESET, "--root", root] + list(args),
                              capture_output=True, text=True, check=False)

    def check(self, root, *args, status=None):
        p = self.run_cli(root, "--json", "hot-reset-check", *args)
        if status is not None:
            self.assertEqual(p.returncode, status, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(set(doc), {"checks"})
        for c in doc["checks"]:
            self.assertTrue(CHECK_KEYS <= set(c), c)
            self.assertEqual(c["allowed"], c["errno"] == 0)
            self.assertEqual(c["source"], "prediction")
            for a in c["affected"]:
                self.assertEqual(set(a), AFFECTED_KEYS)
                self.assertEqual(a["blocker"], a["state"] == "blocker")
                self.assertEqual(a["blocker"], a["reason"] is not None)
            if c["allowed"]:
                self.assertFalse(any(a["blocker"] for a in c["affected"]))
        return doc["checks"]

    def one(self, root, *args, status=None):
        checks = self.check(root, *args, status=status)
        self.assertEqual(len(checks), 1)
        return checks[0]

    def affected(self, c):
        return {a["address"]: a for a in c["affected"]}

    # --- the recorded cases of doc/kernel-behaviour.md, group path ---

    def test_lone_function(self):
        root = self.root(q35(LONE))
        c = self.one(root, "0000:02:00.0", status=0)
        self.assertTrue(c["allowed"])
        self.assertEqual(c["mode"], "group")
        self.assertEqual([a["address"] for a in c["affected"]], ["0000:02:00.0"])
        self.assertEqual(c["groups_to_pass"], [11])
        self.assertEqual(c["prepare"], ["0000:02:00.0"])
        self.assertEqual(c["affected"][0]["iommu_group"], 11)

    def test_lone_function_below_slow_link(self):
        root = self.root(q35(SLOW_LINK))
        c = self.one(root, "0000:08:00.0", status=0)
        self.assertTrue(c["allowed"])
        self.assertEqual([a["address"] for a in c["affected"]], ["0000:08:00.0"])
        self.assertEqual(c["groups_to_pass"], [16])

    def test_two_function_device(self):
        root = self.root(q35(TWO_FN))
        c = self.one(root, "0000:04:00.0", status=0)
        aff = self.affected(c)
        self.assertEqual(sorted(aff), ["0000:04:00.0", "0000:04:00.1"])
        self.assertEqual({a["iommu_group"] for a in aff.values()}, {13})
        # The sibling is owned through the shared group, not opened.
        self.assertEqual(aff["0000:04:00.1"]["state"], "owned")
        self.assertEqual(c["groups_to_pass"], [13])
        self.assertEqual(c["prepare"], ["0000:04:00.0"])

    def test_partial_binding(self):
        root = self.root(q35({"0000:04:00.0": VFIO}))
        c = self.one(root, "0000:04:00.0", status=1)
        self.assertEqual(c["errno"], EINVAL)
        self.assertEqual(c["reason_code"], "not-vfio-bound")
        a = self.affected(c)["0000:04:00.1"]
        self.assertTrue(a["blocker"])
        self.assertIn("e1000e", a["reason"])

    def test_behind_bridge(self):
        root = self.root(q35(BEHIND_BRIDGE))
        c = self.one(root, "0000:06:01.0", status=0)
        self.assertEqual(sorted(self.affected(c)), ["0000:06:01.0", "0000:06:02.0"])
        self.assertEqual(c["groups_to_pass"], [14])
        # A reset of its own secondary bus does not affect the bridge above...
        c = self.one(root, "0000:05:00.0", status=1)
        # ...but a reset of the bridge's bus takes it and everything below.
        aff = self.affected(c)
        self.assertEqual(sorted(aff), ["0000:05:00.0", "0000:06:01.0", "0000:06:02.0"])
        self.assertEqual(aff["0000:05:00.0"]["reason_code"], "not-vfio-bound")
        self.assertIn("bridge", aff["0000:05:00.0"]["reason"])
        self.assertFalse(aff["0000:06:01.0"]["blocker"])

    def test_vf_with_pf_on_host_driver(self):
        root = self.root(q35(VF_ONLY))
        c = self.one(root, "0000:01:10.0", status=1)
        aff = self.affected(c)
        # "igb VF -> 3 entries (PF group, its own group, the other VF's group)"
        self.assertEqual(sorted(aff), ["0000:01:00.0", "0000:01:10.0", "0000:01:10.2"])
        self.assertEqual([aff[a]["iommu_group"] for a in sorted(aff)], [10, 17, 18])
        self.assertEqual(c["errno"], EINVAL)
        self.assertIn("igb", aff["0000:01:00.0"]["reason"])
        self.assertEqual(aff["0000:01:10.2"]["reason_code"], "not-vfio-bound")
        self.assertEqual(c["groups_to_pass"], [10, 17, 18])

    def test_vf_set_needs_every_group(self):
        root = self.root(q35(VF_SET))
        c = self.one(root, "0000:01:10.0", status=1)
        aff = self.affected(c)
        self.assertEqual(aff["0000:01:00.0"]["reason_code"], "group-not-held")
        self.assertEqual(aff["0000:01:10.2"]["reason_code"], "group-not-held")
        c = self.one(root, "0000:01:10.0", "--holding", "0000:01:00.0,0000:01:10.2", status=0)
        self.assertEqual(c["groups_to_pass"], [10, 17, 18])
        self.assertEqual(c["prepare"], ["0000:01:00.0", "0000:01:10.0", "0000:01:10.2"])
        # Naming several functions makes them one VM's, like --holding.
        checks = self.check(root, "0000:01:10.0", "0000:01:00.0", "0000:01:10.2", status=0)
        self.assertEqual([c["address"] for c in checks],
                         ["0000:01:10.0", "0000:01:00.0", "0000:01:10.2"])

    def test_root_bus(self):
        root = self.root(q35({"0000:00:03.0": VFIO}))
        c = self.one(root, "0000:00:03.0", status=1)
        self.assertEqual(c["errno"], ENODEV)
        self.assertEqual(c["reason_code"], "no-reset-method")
        self.assertIn("root bus", c["summary"])

    # --- cdev path ---

    def test_cdev(self):
        root = self.root(q35(dict(**LONE, **TWO_FN, **VF_ONLY), host={"vfio_cdev": "true"}))
        c = self.one(root, "0000:02:00.0", "--cdev", status=0)
        self.assertEqual(c["mode"], "cdev")
        self.assertEqual(c["groups_to_pass"], [])
        c = self.one(root, "0000:04:00.0", "--cdev", status=0)
        self.assertEqual(self.affected(c)["0000:04:00.1"]["state"], "owned")
        c = self.one(root, "0000:01:10.0", "--cdev", status=1)
        aff = self.affected(c)
        self.assertTrue(aff["0000:01:00.0"]["blocker"])
        self.assertTrue(aff["0000:01:10.2"]["blocker"])
        self.assertEqual(aff["0000:01:10.0"]["state"], "opened")

    def test_cdev_unopened_foreign_group_blocks(self):
        root = self.root(q35(VF_SET, host={"vfio_cdev": "true"}))
        c = self.one(root, "0000:01:10.0", "--cdev", "--holding", "0000:01:00.0", status=1)
        aff = self.affected(c)
        self.assertEqual(aff["0000:01:10.2"]["reason_code"], "not-in-context")
        self.assertEqual(aff["0000:01:00.0"]["state"], "opened")
        self.one(root, "0000:01:10.0", "--cdev", "-H", "0000:01:00.0", "-H", "0000:01:10.2",
                 status=0)

    # --- output and input ---

    def test_human_output(self):
        root = self.root(q35(VF_ONLY))
        p = self.run_cli(root, "hot-reset-check", "0000:01:10.0")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("0000:01:10.0: no hot reset (EINVAL)", p.stdout)
        self.assertIn("0000:01:00.0 is bound to igb", p.stdout)

    def test_bad_input(self):
        root = self.root(q35())
        for args in (["hot-reset-check"],
                     ["hot-reset-check", "0000:02:00"],
                     ["hot-reset-check", "0000:09:00.0"],
                     ["hot-reset-check", "0000:02:00.0", "--holding", "02:00.0,zz"],
                     ["hot-reset-check", "0000:02:00.0", "--holding", "0000:0a:00.0"],
                     # An empty entry is a mistake, as in every list option.
                     ["hot-reset-check", "0000:02:00.0", "--holding", "0000:01:00.0,"],
                     ["hot-reset-check", "0000:02:00.0", "--holding", "0000:01:00.0,,0000:01:10.2"],
                     ["hot-reset-check", "0000:02:00.0", "--holding", ""],
                     ["hot-reset-check", "0000:02:00.0", "--no-such-option"]):
            p = self.run_cli(root, *args)
            self.assertEqual(p.returncode, 2, (args, p.stdout, p.stderr))
            self.assertEqual(p.stdout, "")
            self.assertIn("vfioreset:", p.stderr)

    def test_kernel_mode_without_vfio(self):
        # A generated tree has plain files where /dev/vfio nodes would be:
        # the ioctls fail, and the command says which function and why.
        root = self.root(q35(LONE))
        p = self.run_cli(root, "hot-reset-check", "--kernel", "0000:02:00.0")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("0000:02:00.0", p.stderr)
        root = self.root(q35())
        p = self.run_cli(root, "--json", "hot-reset-check", "--kernel", "0000:02:00.0")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("no /dev/vfio/11", p.stderr)


# The recorded cases, each as (drivers, [vfio_cdev], target, holding).
AGREEMENT_CASES = [
    (LONE, False, "0000:02:00.0", []),
    (TWO_FN, False, "0000:04:00.0", []),
    (BEHIND_BRIDGE, False, "0000:06:01.0", []),
    (VF_ONLY, False, "0000:01:10.0", []),
    (VF_SET, False, "0000:01:10.0", []),
    (VF_SET, False, "0000:01:10.0", ["0000:01:00.0", "0000:01:10.2"]),
    (LONE, True, "0000:02:00.0", []),
    (TWO_FN, True, "0000:04:00.0", []),
    (VF_ONLY, True, "0000:01:10.0", []),
    (VF_SET, True, "0000:01:10.0", ["0000:01:00.0"]),
    (VF_SET, True, "0000:01:10.0", ["0000:01:00.0", "0000:01:10.2"]),
    # Below QEMU's default root port: INFO and the prediction allow it (the
    # ENOTTY comes from the reset itself, afterwards).
    (SLOW_LINK, False, "0000:08:00.0", []),
    (SLOW_LINK, True, "0000:08:00.0", []),
    # Several named functions are one VM's: each is held before any is asked about.
    (VF_SET, False, ["0000:01:10.0", "0000:01:00.0", "0000:01:10.2"], []),
    (VF_SET, True, ["0000:01:10.2", "0000:01:10.0"], []),
]


@unittest.skipUnless(MOCK, "needs the mock harness (VFR_MOCK)")
class PredictionMatchesKernel(unittest.TestCase):
    """The same question asked twice on one tree under the simulated kernel:
    predicted from sysfs, and answered by the hot-reset INFO ioctl."""

    def ask(self, root, args):
        env = dict(os.environ, VFIORESET_ROOT="")
        p = subprocess.run([MOCK, root, "--", VFIORESET, "--json", "hot-reset-check"] + args,
                           capture_output=True, text=True, check=False, env=env)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return p.returncode, json.loads(p.stdout)["checks"]

    def test_agreement(self):
        with tempfile.TemporaryDirectory(prefix="vfr-hotreset-") as tmp:
            for i, (drivers, cdev, target, holding) in enumerate(AGREEMENT_CASES):
                with self.subTest(target=target, cdev=cdev, holding=holding, drivers=drivers):
                    ini = os.path.join(tmp, "%d.ini" % i)
                    with open(ini, "w", encoding="utf-8") as f:
                        f.write(q35(drivers, host={"vfio_cdev": "true" if cdev else "false"}))
                    root = os.path.join(tmp, "root%d" % i)
                    subprocess.run([MKFIXTURE, ini, root], check=True)
                    targets = target if isinstance(target, list) else [target]
                    args = targets + (["--cdev"] if cdev else [])
                    if holding:
                        args += ["--holding", ",".join(holding)]
                    rp, preds = self.ask(root, args)
                    rk, kerns = self.ask(root, args + ["--kernel"])
                    self.assertEqual(rp, rk)
                    self.assertEqual(len(preds), len(targets))
                    self.assertEqual(len(kerns), len(targets))
                    for pred, kern in zip(preds, kerns):
                        self.same(pred, kern, cdev)

    def test_holding_refused_by_the_kernel(self):
        # A bridge on shpchp leaves its group non-viable: the --holding function
        # cannot be held, and each check still comes back, with the kernel's EPERM.
        with tempfile.TemporaryDirectory(prefix="vfr-hotreset-") as tmp:
            ini = os.path.join(tmp, "h.ini")
            with open(ini, "w", encoding="utf-8") as f:
                f.write(q35(dict(BEHIND_BRIDGE, **{"0000:05:00.0": "shpchp"})))
            root = os.path.join(tmp, "root")
            subprocess.run([MKFIXTURE, ini, root], check=True)
            rc, checks = self.ask(root, ["0000:06:01.0", "--holding", "0000:06:02.0", "--kernel"])
            self.assertEqual(rc, 1)
            self.assertEqual(len(checks), 1)
            self.assertFalse(checks[0]["allowed"])
            self.assertEqual(checks[0]["errno_name"], "EPERM")
            self.assertIn("cannot hold 0000:06:02.0", checks[0]["error"])
            self.assertIn("not viable", checks[0]["error"])

    def same(self, pred, kern, cdev):
        self.assertEqual(kern["source"], "kernel")
        self.assertIsNone(kern["error"])
        self.assertEqual((pred["allowed"], pred["errno"]),
                         (kern["allowed"], kern["errno"]), kern)
        self.assertEqual(pred["mode"], kern["mode"])
        self.assertEqual(pred["groups_to_pass"], kern["groups_to_pass"])
        self.assertEqual(pred["prepare"], kern["prepare"])
        def strip(c):
            return [(a["address"], a["state"], a["reason_code"]) for a in c["affected"]]
        self.assertEqual(strip(pred), strip(kern))
        if not cdev:
            self.assertEqual([a["iommu_group"] for a in pred["affected"]],
                             [a["iommu_group"] for a in kern["affected"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
