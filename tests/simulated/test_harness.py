#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Unmodified programs under the mock harness: the CLI and the examples give
the same answers with root "/" under vfr-preload.so as with --root (or their
ROOT argument) on the same tree, for every description in tests/fixtures/;
and vfioreset-mock runs a command against a description or a tree.
VFR_CLI_WRAPPER (e.g. valgrind ...) wraps every program run."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
FIXTURES = os.environ["VFR_FIXTURES"]
PRELOAD = os.environ["VFR_MOCK_PRELOAD"]
MOCK = os.environ["VFR_MOCK"]
EXAMPLES = os.environ["VFR_EXAMPLES"]
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))
MKMODULES = os.path.join(os.path.dirname(__file__), "..", "kmod", "mkmodules.py")
MODULES = {
    "mlx5_vfio_pci": ["vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"],
    "mlx_any_vfio": ["vfio_pci:v000015B3d*sv*sd*bc*sc*i*"],
    "vfio_pci": ["vfio_pci:v*d*sv*sd*bc*sc*i*"],
    "mlx5_core": ["pci:v000015B3d0000101Dsv*sd*bc*sc*i*", "pci:v000015B3d0000101Esv*sd*bc*sc*i*"],
}


# A wrapper's own lines (valgrind's "--123-- WARNING: ...") name its pid.
WRAPPER_LINE = re.compile(r"^(--|==)\d+(--|==).*\n?", re.M)


def fixtures():
    return sorted(f for f in os.listdir(FIXTURES) if f.endswith(".ini"))


def plain_env():
    env = dict(os.environ)
    for name in ("VFIORESET_ROOT", "VFR_MOCK_ROOT", "LD_PRELOAD"):
        env.pop(name, None)
    return env


def mock_env(root):
    env = plain_env()
    old = os.environ.get("LD_PRELOAD")
    env["LD_PRELOAD"] = f"{old}:{PRELOAD}" if old else PRELOAD
    env["VFR_MOCK_ROOT"] = root
    return env


def run(argv, env, wrap=True):
    return subprocess.run((WRAPPER if wrap else []) + argv, env=env, capture_output=True,
                          text=True, timeout=120)


class Harness(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-harness-")

    def tearDown(self):
        self.tmp.cleanup()

    def make_root(self, ini, name):
        root = os.path.join(self.tmp.name, name)
        subprocess.run([MKFIXTURE, ini, root], check=True, env=plain_env())
        return os.path.realpath(root)

    def agree(self, with_root, under_mock, root):
        """Runs with_root plainly and under_mock under the preload; both must agree."""
        a = run(with_root, plain_env())
        b = run(under_mock, mock_env(root))
        self.assertEqual(a.returncode, b.returncode, b.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertEqual(WRAPPER_LINE.sub("", a.stderr).replace(root, ""),
                         WRAPPER_LINE.sub("", b.stderr))
        return a

    def test_list_and_show_agree(self):
        for name in fixtures():
            with self.subTest(fixture=name):
                root = self.make_root(os.path.join(FIXTURES, name), name[:-4])
                p = self.agree([VFIORESET, "--root", root, "--json", "list"],
                               [VFIORESET, "--json", "list"], root)
                self.assertEqual(p.returncode, 0, p.stderr)
                addrs = [d["address"] for d in json.loads(p.stdout)["devices"]]
                self.assertTrue(addrs)
                self.agree([VFIORESET, "--root", root, "list"], [VFIORESET, "list"], root)
                self.agree([VFIORESET, "--root", root, "--json", "show"] + addrs,
                           [VFIORESET, "--json", "show"] + addrs, root)
                self.agree([VFIORESET, "--root", root, "show"] + addrs,
                           [VFIORESET, "show"] + addrs, root)

    def test_examples_agree(self):
        for name in fixtures():
            for example in ("list-vfio", "topology"):
                with self.subTest(fixture=name, example=example):
                    root = self.make_root(os.path.join(FIXTURES, name),
                                          f"{name[:-4]}-{example}")
                    prog = os.path.join(EXAMPLES, example)
                    p = self.agree([prog, root], [prog], root)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertTrue(p.stdout)

    @unittest.skipUnless(shutil.which("depmod") or os.path.exists("/usr/sbin/depmod"),
                         "needs depmod")
    def test_variant_lookup_through_libkmod(self):
        """libkmod reads /lib/modules/$(uname -r) under the preload: ROOT/.vfr-mock/release
        names the release, and the answers equal --root with --modules-dir."""
        root = self.make_root(os.path.join(FIXTURES, "mixed.ini"), "modules")
        release = "6.99.0-vfr-mock"
        subprocess.run([sys.executable, MKMODULES, root, release]
                       + [f"{m}={','.join(a)}" for m, a in MODULES.items()], check=True)
        with open(os.path.join(root, ".vfr-mock", "release"), "w", encoding="ascii") as f:
            f.write(release + "\n")
        moddir = os.path.join(root, "lib", "modules", release)
        for args in (["variant", "0000:04:00.2"], ["list"]):
            with self.subTest(args=args):
                a = run([VFIORESET, "--root", root, "--modules-dir", moddir, "--json"] + args,
                        plain_env())
                b = run([VFIORESET, "--json"] + args, mock_env(root))
                self.assertEqual(a.returncode, 0, a.stderr)
                self.assertEqual(b.returncode, 0, b.stderr)
                self.assertEqual(a.stdout.replace(root, ""), b.stdout)
        v = json.loads(run([VFIORESET, "--json", "variant", "0000:04:00.2"],
                           mock_env(root)).stdout)
        self.assertEqual(v["modules_dir"], f"/lib/modules/{release}")
        self.assertEqual(v["candidates"][0]["module"], "mlx5_vfio_pci")

    def test_state_lives_in_the_tree(self):
        """A bind made under the preload is what --root reads afterwards."""
        root = self.make_root(os.path.join(FIXTURES, "qemu-q35.ini"), "bound")
        dev = "/sys/bus/pci/devices/0000:02:00.0"
        script = (f"echo vfio-pci > {dev}/driver_override && "
                  f"echo 0000:02:00.0 > {dev}/driver/unbind && "
                  "echo 0000:02:00.0 > /sys/bus/pci/drivers_probe")
        p = run(["sh", "-c", script], mock_env(root), wrap=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.agree([VFIORESET, "--root", root, "--json", "show", "0000:02:00.0"],
                       [VFIORESET, "--json", "show", "0000:02:00.0"], root)
        d = json.loads(p.stdout)["devices"][0]
        self.assertEqual(d["driver"], "vfio-pci")
        self.assertEqual(d["driver_type"], "vfio-pci")
        self.assertTrue(os.path.exists(os.path.join(root, "dev/vfio/11")))

    def test_front_end_with_a_description(self):
        ini = os.path.join(FIXTURES, "mixed.ini")
        root = self.make_root(ini, "mixed")
        want = run([VFIORESET, "--root", root, "--json", "list"], plain_env())
        env = plain_env()
        env["VFR_MOCK_PRELOAD"] = PRELOAD
        p = run([MOCK, ini, "--"] + WRAPPER + [VFIORESET, "--json", "list"], env, wrap=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, want.stdout)
        # The command's exit status is the front end's; the tree is gone afterwards.
        p = run([MOCK, ini, "--", "sh", "-c", 'echo "$VFR_MOCK_ROOT"; exit 3'], env,
                wrap=False)
        self.assertEqual(p.returncode, 3)
        self.assertFalse(os.path.exists(p.stdout.strip()))

    def test_front_end_with_a_tree(self):
        root = self.make_root(os.path.join(FIXTURES, "qemu-q35.ini"), "kept")
        env = plain_env()
        env["VFR_MOCK_PRELOAD"] = PRELOAD
        p = run([MOCK, root, "--", "sh", "-c",
                 "echo 0 > /sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"], env, wrap=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(root, "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs")) as f:
            self.assertEqual(f.read(), "0\n")
        self.assertFalse(os.path.exists(os.path.join(root, "sys/bus/pci/devices/0000:01:10.0")))

    def test_front_end_errors(self):
        env = plain_env()
        env["VFR_MOCK_PRELOAD"] = PRELOAD
        bad = os.path.join(self.tmp.name, "bad.ini")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("[device 0000:00:01.0]\nvendor=zz\n")
        p = run([MOCK, bad, "--", "true"], env, wrap=False)
        self.assertEqual(p.returncode, 125)
        self.assertIn("vendor", p.stderr)
        ini = os.path.join(FIXTURES, "qemu-q35.ini")
        self.assertEqual(run([MOCK, ini], env, wrap=False).returncode, 125)
        self.assertEqual(run([MOCK, ini, "--", "/nonexistent/cmd"], env, wrap=False).returncode,
                         127)


if __name__ == "__main__":
    unittest.main(verbosity=2)
