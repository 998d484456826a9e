#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`vfioreset --json list --full` prints, byte for byte, what is checked in
under tests/cli/list-json/ for the checked-in fixtures, a synthesized host,
and a hostile copy of one (attributes that are FIFOs, links, directories,
device nodes, a directory other users may write to). The files were written
by the list that read each attribute through its own confined open; a faster
way of reading must not change a byte. The plain `list` prints the same but
the three attributes only --full reads (and the problems found reading
them).

`test_list_unchanged.py --update` rewrites them (after a deliberate change
of the output)."""
import json
import os
import shlex
import stat
import subprocess
import sys
import tempfile
import unittest

VFIORESET = os.environ.get("VFIORESET", "")
MKFIXTURE = os.environ.get("VFR_MKFIXTURE", "")
FIXTURES = os.environ.get("VFR_FIXTURES", "")
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))
EXPECTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "list-json")
UPDATE = False


def make_root(tmp, description_path, name, synthesize=None):
    root = os.path.join(tmp, name)
    if synthesize:
        ini = os.path.join(tmp, name + ".ini")
        with open(ini, "wb") as f:
            subprocess.run([MKFIXTURE, "--synthesize", str(synthesize), "--seed", "0"],
                           stdout=f, check=True)
        description_path = ini
    subprocess.run([MKFIXTURE, description_path, root], check=True)
    return root


def devdir(root, address):
    link = os.path.join(root, "sys", "bus", "pci", "devices", address)
    return os.path.normpath(os.path.join(os.path.dirname(link), os.readlink(link)))


def replace(path, make):
    if os.path.isdir(path) and not os.path.islink(path):
        os.rmdir(path)
    elif os.path.lexists(path):
        os.unlink(path)
    make(path)


def make_hostile(root):
    """Attributes that are not regular files, in a directory only root may
    change and in one every user may write to (whose entries can change
    between a listing and an open)."""
    d = devdir(root, "0000:01:00.0")
    replace(os.path.join(d, "numa_node"), os.mkfifo)
    replace(os.path.join(d, "power_state"), lambda p: os.symlink("uevent", p))
    replace(os.path.join(d, "driver_override"), os.mkdir)
    d = devdir(root, "0000:02:00.0")
    replace(os.path.join(d, "config"), os.mkfifo)
    replace(os.path.join(d, "uevent"), lambda p: os.symlink("../uevent", p))
    d = devdir(root, "0000:02:01.0")
    replace(os.path.join(d, "reset_method"), os.mkfifo)
    os.chmod(d, 0o777)
    replace(os.path.join(d, "numa_node"), os.mkfifo)
    d = devdir(root, "0000:02:02.0")
    os.chmod(d, 0o1777)
    replace(os.path.join(d, "config"), lambda p: os.symlink("/dev/zero", p))
    d = devdir(root, "0000:02:03.0")
    if os.geteuid() == 0:
        # /dev/null's numbers, as a tree on a mount without nodev could hold.
        replace(os.path.join(d, "power_state"),
                lambda p: os.mknod(p, 0o644 | stat.S_IFCHR, os.makedev(1, 3)))
    else:
        replace(os.path.join(d, "power_state"), os.mkfifo)
    replace(os.path.join(d, "iommu_group"), lambda p: os.symlink("../../../nowhere", p))


FULL_ONLY = ("driver_override", "numa_node", "power_state")


def list_json(root, *options):
    env = dict(os.environ)
    env.pop("VFIORESET_ROOT", None)
    p = subprocess.run(WRAPPER + [VFIORESET, "--root", root, "--json", "list", *options],
                       capture_output=True, env=env, check=False, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"list exited with {p.returncode}: {p.stderr.decode()}")
    return p.stdout


CASES = [
    ("mixed", "mixed.ini", None, None),
    ("qemu-q35", "qemu-q35.ini", None, None),
    ("qemu-q35-cdev", "qemu-q35-cdev.ini", None, None),
    ("corrupt", "corrupt.ini", None, None),
    ("synthesized-300", None, 300, None),
    ("mixed-hostile", "mixed.ini", None, make_hostile),
]


class ListUnchanged(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_plain(self, name, full, plain):
        for f, p in zip(full["devices"], plain["devices"], strict=True):
            for key in FULL_ONLY:
                self.assertIn(key, f)
                del f[key]
            f["problems"] = [t for t in f["problems"]
                             if not any(key in t for key in FULL_ONLY)]
            self.assertEqual(p, f, f"{name}: plain list of {p['address']}")

    def test_list_json_unchanged(self):
        for name, ini, synthesize, mutate in CASES:
            with self.subTest(case=name):
                root = make_root(self.tmp.name, ini and os.path.join(FIXTURES, ini), name,
                                 synthesize)
                if mutate:
                    mutate(root)
                out = list_json(root, "--full")
                self.check_plain(name, json.loads(out), json.loads(list_json(root)))
                expected_path = os.path.join(EXPECTED, name + ".json")
                if UPDATE:
                    with open(expected_path, "wb") as f:
                        f.write(out)
                    continue
                with open(expected_path, "rb") as f:
                    expected = f.read()
                if out != expected:
                    got, want = out.decode().split("},{"), expected.decode().split("},{")
                    diff = next((f"function {i}:\n  got  {g}\n  want {w}"
                                 for i, (g, w) in enumerate(zip(got, want)) if g != w),
                                f"{len(got)} functions, {len(want)} expected")
                    self.fail(f"{name}: list's JSON changed; first difference in {diff}")


if __name__ == "__main__":
    if "--update" in sys.argv:
        sys.argv.remove("--update")
        UPDATE = True
    unittest.main()
