#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`owner add|remove|list`, `bind --as` and `show`'s acs_path and owner
through the CLI under the mock harness: the persisted list's text and JSON,
refusals of another owner's functions with nothing written, usage errors."""
import json
import os
import shlex
import subprocess
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
MOCK = os.environ["VFR_MOCK"]
FIXTURES = os.environ["VFR_FIXTURES"]
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))


class Owner(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "root")
        subprocess.run([MKFIXTURE, os.path.join(FIXTURES, "manager.ini"), self.root],
                       check=True)

    def tearDown(self):
        self.tmp.cleanup()

    def cli(self, *args, status=0):
        p = subprocess.run([MOCK, self.root, "--"] + WRAPPER + [VFIORESET, *args],
                           capture_output=True, text=True, check=False)
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        return p

    def journal(self):
        path = os.path.join(self.root, ".vfr-mock/journal")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()

    def test_add_list_remove(self):
        self.assertEqual(self.cli("owner", "list").stdout, "")
        p = self.cli("owner", "add", "vm1", "02:00.0", "0000:01:00.0")
        self.assertEqual(p.stdout, "0000:01:00.0 vm1\n0000:02:00.0 vm1\n")
        self.cli("owner", "add", "vm2", "0000:06:00.0")
        p = self.cli("--json", "owner", "list")
        self.assertEqual(json.loads(p.stdout), {"owners": [
            {"address": "0000:01:00.0", "owner": "vm1"},
            {"address": "0000:02:00.0", "owner": "vm1"},
            {"address": "0000:06:00.0", "owner": "vm2"}]})
        self.assertEqual(self.cli("owner", "list", "vm2").stdout, "0000:06:00.0 vm2\n")
        # Another owner's function: refused, the rest declared.
        p = self.cli("owner", "add", "vm2", "0000:01:00.0", "0000:07:00.0", status=1)
        self.assertIn("0000:01:00.0 is declared for vm1, not for vm2", p.stderr)
        self.assertEqual(p.stdout, "0000:06:00.0 vm2\n0000:07:00.0 vm2\n")
        p = self.cli("owner", "remove", "vm2", "0000:01:00.0", status=1)
        self.assertIn("declared for vm1", p.stderr)
        # Without functions: all of the owner's.
        self.assertEqual(self.cli("owner", "remove", "vm1").stdout, "")
        self.assertEqual(self.cli("owner", "list").stdout,
                         "0000:06:00.0 vm2\n0000:07:00.0 vm2\n")
        with open(os.path.join(self.root, "run/vfioreset/owners"), encoding="utf-8") as f:
            self.assertIn("0000:06:00.0=vm2", f.read())
        self.assertEqual(self.journal(), [])

    def test_bind_as(self):
        self.cli("owner", "add", "vm1", "0000:01:00.0")
        p = self.cli("--json", "bind", "--as", "vm2", "0000:01:00.0", status=1)
        res = json.loads(p.stdout)["results"][0]
        self.assertEqual((res["ok"], res["errno"], res["driver_before"]), (False, 1, "e1000e"))
        self.assertIn("declared for vm1", res["message"])
        self.assertEqual(self.journal(), [])
        self.cli("bind", "--as", "vm1", "0000:01:00.0", "0000:02:00.0")
        self.assertEqual(self.cli("owner", "list").stdout,
                         "0000:01:00.0 vm1\n0000:02:00.0 vm1\n")
        p = self.cli("--json", "show", "0000:02:00.0")
        self.assertEqual(json.loads(p.stdout)["devices"][0]["owner"], "vm1")
        self.cli("restore", "--as", "vm1", "0000:01:00.0", "0000:02:00.0")
        self.assertEqual(self.cli("owner", "list").stdout, "")

    def test_group_flag_takes_the_sibling(self):
        p = self.cli("--json", "bind", "--group", "0000:03:00.0", status=0)
        # Both ports are bound: the group flag takes the sibling along.
        self.assertEqual([r["driver_after"] for r in json.loads(p.stdout)["results"]],
                         ["vfio-pci", "vfio-pci"])

    def test_show_acs_path(self):
        p = self.cli("--json", "show", "0000:07:00.0", "0000:06:00.0", "0000:01:00.0")
        devs = json.loads(p.stdout)["devices"]
        self.assertEqual(devs[0]["acs_path"], {
            "isolated": False, "port": "0000:05:01.0",
            "missing": ["source-validation", "request-redirect", "completion-redirect",
                        "upstream-forwarding"]})
        self.assertFalse(devs[0]["assignable_strict_acs"])
        self.assertEqual(devs[1]["acs_path"], {"isolated": True, "port": None, "missing": []})
        self.assertTrue(devs[2]["assignable_strict_acs"])
        self.assertIsNone(devs[2]["owner"])
        p = self.cli("show", "0000:07:00.0")
        self.assertIn("acs path:        0000:05:01.0 lacks source-validation, "
                      "request-redirect, completion-redirect, upstream-forwarding", p.stdout)
        # list keeps its keys: the ACS walk is show's.
        dev = json.loads(self.cli("--json", "list").stdout)["devices"][0]
        self.assertNotIn("acs_path", dev)

    def test_usage(self):
        for args in (["owner"], ["owner", "add", "vm1"], ["owner", "frob"],
                     ["owner", "add", "vm1", "nonsense"], ["owner", "list", "a", "b"],
                     ["owner", "add", "bad\x01name", "0000:01:00.0"],
                     ["bind", "--as", "bad\nname", "0000:01:00.0"]):
            with self.subTest(args=args):
                self.cli(*args, status=2)
        self.assertEqual(self.journal(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
