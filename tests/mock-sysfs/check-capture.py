#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`vfr-mkfixture --capture` describes the host it reads.

- Round trips: every description of tests/fixtures/ (one also as a kernel
  before 5.15) and a synthesized host is generated, captured and generated
  again; vfioreset's `list`, `show` and `plan` of every function are the same
  on both trees, a second capture is the first one word for word, and for
  the q35 guests (whose descriptions follow the kernel's rules) the harness's
  kernel state (.vfr-mock: reset behaviour, drivers, SR-IOV templates) too.
- This machine: its real /sys captured, `vfioreset --json list` and `show`
  under vfioreset-mock on the capture equal the real ones.
- Values that cannot be read are said, never guessed silently.
- vfioreset-mock refuses a copied tree, and runs on its capture; bind works
  on a tree without ROOT/run.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
MOCK = os.environ["VFR_MOCK"]
FIXTURES = os.environ["VFR_FIXTURES"]


def plain_env():
    env = dict(os.environ)
    for name in ("VFIORESET_ROOT", "VFR_MOCK_ROOT", "LD_PRELOAD"):
        env.pop(name, None)
    env["VFIORESET_LOG"] = "err"
    return env


def run(argv, check=True):
    p = subprocess.run(argv, env=plain_env(), capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr}")
    return p


def capture(root):
    """The description of @root without its first line (which names @root)."""
    return run([MKFIXTURE, "--capture", root]).stdout


def body(description):
    return description.split("\n", 1)[1]


def cli(root, *args):
    """vfioreset's answer on the tree @root, with @root taken out of it."""
    p = run([VFIORESET, "--root", root, *args], check=False)
    return p.returncode, p.stdout.replace(root, ""), p.stderr.replace(root, "")


def addresses(root):
    return [d["address"] for d in json.loads(cli(root, "--json", "list")[1])["devices"]]


def mock_state(root):
    """What the harness's kernel knows beyond the tree, as text per file."""
    state = {}
    base = os.path.join(root, ".vfr-mock")
    for dirpath, _, names in os.walk(base):
        if "/template" in dirpath:
            continue
        for n in names:
            path = os.path.join(dirpath, n)
            if os.path.islink(path):
                continue
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            state[os.path.relpath(path, base)] = sorted(lines)
    return state


class RoundTrip(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-capture-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def round_trip(self, name, ini, kernel_rules):
        a = os.path.join(self.dir, name, "a")
        b = os.path.join(self.dir, name, "b")
        run([MKFIXTURE, ini, a])
        first = capture(a)
        captured = os.path.join(self.dir, name, "captured.ini")
        with open(captured, "w", encoding="utf-8") as f:
            f.write(first)
        run([MKFIXTURE, captured, b])
        funcs = addresses(a)
        self.assertTrue(funcs)
        self.assertEqual(addresses(b), funcs)
        for args in (["--json", "list"], ["list"], ["--json", "show", *funcs],
                     ["--json", "plan", "--allow-host-drivers", *funcs]):
            with self.subTest(fixture=name, args=args[:2]):
                self.assertEqual(cli(b, *args), cli(a, *args))
        with self.subTest(fixture=name, what="a second capture"):
            self.assertEqual(body(capture(b)), body(first))
        if kernel_rules:
            with self.subTest(fixture=name, what="the harness's kernel state"):
                self.assertEqual(mock_state(b), mock_state(a))
        return first

    def test_fixtures(self):
        for f in sorted(os.listdir(FIXTURES)):
            if f.endswith(".ini"):
                self.round_trip(f[:-4], os.path.join(FIXTURES, f), f.startswith("qemu-q35"))

    def test_before_5_15(self):
        """[host] reset_method=false: only `reset`; capture derives the lists."""
        with open(os.path.join(FIXTURES, "qemu-q35.ini"), encoding="utf-8") as f:
            text = f.read().replace("[host]\n", "[host]\nreset_method=false\n", 1)
        ini = os.path.join(self.dir, "old.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write(text)
        first = self.round_trip("old", ini, False)
        self.assertIn("\nreset_method=false\n", first)
        self.assertIn("derived: reset_method: this kernel lists no methods", first)
        e1000 = first.split("[device 0000:02:00.0]", 1)[1].split("\n\n", 1)[0]
        self.assertIn("\nreset_method=pm bus\n", e1000 + "\n")

    def test_synthesized(self):
        ini = os.path.join(self.dir, "synth.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write(run([MKFIXTURE, "--synthesize", "300", "--seed", "3"]).stdout)
        self.round_trip("synth", ini, False)

    def test_stale_bus_derived(self):
        """The kernel's rule, from the tree: a `bus` whose function now shares its bus."""
        with open(os.path.join(FIXTURES, "qemu-q35.ini"), encoding="utf-8") as f:
            text = f.read().replace("stale_reset_method=bus\n", "")
        ini = os.path.join(self.dir, "unmarked.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write(text)
        root = os.path.join(self.dir, "unmarked")
        run([MKFIXTURE, ini, root])
        got = capture(root)
        for addr, why in (("0000:04:00.0", "another function shares bus 04"),
                          ("0000:05:00.0", "a bridge"),
                          ("0000:06:01.0", "another function shares bus 06"),
                          ("0000:01:00.0", "2 other functions share bus 01")):
            section = got.split(f"[device {addr}]")[0].rsplit("\n\n", 1)[-1] + \
                got.split(f"[device {addr}]", 1)[1].split("\n\n", 1)[0]
            self.assertIn("stale_reset_method=bus", section, addr)
            self.assertIn(why, section, addr)
        self.assertNotIn("stale", got.split("[device 0000:02:00.0]", 1)[1].split("\n\n", 1)[0])
        port = got.split("[device 0000:00:02.6]", 1)[1].split("\n\n", 1)[0]
        self.assertIn("link_active=false", port)


class Unreadable(unittest.TestCase):
    """What cannot be read is said where the value would be."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-capture-")
        self.root = os.path.join(self.tmp.name, "root")
        run([MKFIXTURE, os.path.join(FIXTURES, "qemu-q35.ini"), self.root])
        self.dev = os.path.realpath(os.path.join(self.root, "sys/bus/pci/devices/0000:02:00.0"))

    def tearDown(self):
        self.tmp.cleanup()

    def section(self, text, addr):
        head = text.split(f"[device {addr}]")[0].rsplit("\n\n", 1)[-1]
        return head + text.split(f"[device {addr}]", 1)[1].split("\n\n", 1)[0]

    def test_unreadable_vendor(self):
        os.unlink(os.path.join(self.dev, "vendor"))
        os.mkdir(os.path.join(self.dev, "vendor"))  # read() fails with EISDIR, even for root
        p = run([MKFIXTURE, "--capture", self.root])
        sec = self.section(p.stdout, "0000:02:00.0")
        self.assertIn("# not read: vendor (Is a directory); 0x8086 from config space", sec)
        self.assertIn("vendor=8086", sec)
        self.assertIn("1 values of", p.stderr)

    def test_header_only(self):
        """A copy made without root has 64 bytes of config space per function."""
        cfg = os.path.join(self.dev, "config")
        with open(cfg, "rb") as f:
            head = f.read(64)
        os.chmod(cfg, 0o644)
        with open(cfg, "wb") as f:
            f.write(head)
        p = run([MKFIXTURE, "--capture", self.root])
        sec = self.section(p.stdout, "0000:02:00.0")
        self.assertIn("# not read: capabilities (config space gives only its 64-byte "
                      "header: read without root?); none used", sec)
        self.assertIn("\ncaps=\n", sec + "\n")
        self.assertNotIn("corrupt=", sec)

    def test_missing_attribute(self):
        os.unlink(os.path.join(self.dev, "class"))
        sec = self.section(capture(self.root), "0000:02:00.0")
        self.assertIn("class: no attribute (missing=); 0x020000 from config space", sec)
        self.assertIn("missing=class", sec)

    def test_no_sysfs(self):
        p = run([MKFIXTURE, "--capture", self.tmp.name], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("sys/bus/pci/devices", p.stderr)
        self.assertEqual(p.stdout, "")


class Harness(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vfr-capture-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_copied_tree_is_refused_and_its_capture_runs(self):
        tree = os.path.join(self.dir, "tree")
        copy = os.path.join(self.dir, "copy")
        run([MKFIXTURE, os.path.join(FIXTURES, "qemu-q35.ini"), tree])
        shutil.copytree(tree, copy, symlinks=True, ignore=shutil.ignore_patterns(".vfr-mock"))
        p = run([MOCK, copy, "--", VFIORESET, "--json", "list"], check=False)
        self.assertEqual(p.returncode, 125)
        self.assertIn("not a vfr-mkfixture tree", p.stderr)
        self.assertIn(f"vfr-mkfixture --capture {copy}", p.stderr)
        self.assertEqual(p.stdout, "")
        # The preload alone refuses it too, rather than serve reads and ignore writes.
        env = dict(plain_env(), VFR_MOCK_ROOT=copy,
                   LD_PRELOAD=os.environ["VFR_MOCK_PRELOAD"])
        p = subprocess.run(["sh", "-c", "echo 1 > /sys/bus/pci/devices/0000:06:01.0/reset"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not a vfr-mkfixture tree", p.stderr)

        ini = os.path.join(self.dir, "copy.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write(capture(copy))
        want = run([VFIORESET, "--root", tree, "--json", "list"]).stdout.replace(tree, "")
        got = run([MOCK, ini, "--", VFIORESET, "--json", "list"]).stdout
        self.assertEqual(got, want)
        # The stale bus the copy cannot show is derived: the kernel's ENOTTY.
        p = run([MOCK, ini, "--", "sh", "-c",
                 "echo 1 > /sys/bus/pci/devices/0000:06:01.0/reset"], check=False)
        self.assertNotEqual(p.returncode, 0)

    def test_bind_without_run(self):
        tree = os.path.join(self.dir, "norun")
        run([MKFIXTURE, os.path.join(FIXTURES, "qemu-q35.ini"), tree])
        shutil.rmtree(os.path.join(tree, "run"), ignore_errors=True)
        p = run([MOCK, tree, "--", VFIORESET, "bind", "0000:02:00.0"], check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(os.path.join(tree, "run/vfioreset/0000:02:00.0.state")))
        p = run([MOCK, tree, "--", VFIORESET, "restore", "0000:02:00.0"], check=False)
        self.assertEqual(p.returncode, 0, p.stderr)


class ThisMachine(unittest.TestCase):
    """This machine's real /sys, captured and replayed."""

    @unittest.skipUnless(os.path.isdir("/sys/bus/pci/devices") and
                         os.listdir("/sys/bus/pci/devices"), "no PCI functions here")
    def test_list_and_show_agree(self):
        with tempfile.TemporaryDirectory(prefix="vfr-capture-") as tmp:
            ini = os.path.join(tmp, "host.ini")
            p = run([MKFIXTURE, "--capture"])
            with open(ini, "w", encoding="utf-8") as f:
                f.write(p.stdout)
            real = run([VFIORESET, "--json", "list"]).stdout
            funcs = [d["address"] for d in json.loads(real)["devices"]]
            self.assertEqual(run([MOCK, ini, "--", VFIORESET, "--json", "list"]).stdout, real)
            self.assertEqual(
                run([MOCK, ini, "--", VFIORESET, "--json", "show", *funcs]).stdout,
                run([VFIORESET, "--json", "show", *funcs]).stdout)
            print(f"this machine: {len(funcs)} functions; {p.stderr.strip() or 'all read'}",
                  file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
