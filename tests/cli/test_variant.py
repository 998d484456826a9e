#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Driver classification and vfio variant discovery against modules
directories made by the real depmod, with `modprobe --resolve-alias` as the
reference for which modules match."""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
MKMODULES = os.path.join(os.path.dirname(__file__), "..", "kmod", "mkmodules.py")
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))
RELEASE = "6.99.0-vfr"

MODULES = {
    "mlx5_vfio_pci": ["vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*",
                      "vfio_pci:v000015B3d00001021sv*sd*bc*sc*i*"],
    "mlx_any_vfio": ["vfio_pci:v000015B3d*sv*sd*bc*sc*i*"],
    "twin_a_vfio": ["vfio_pci:v000015B3d00001021sv*sd*bc*sc*i*"],
    "partial_vfio": ["vfio_pci:v000015B3d0000101*sv*sd*bc*sc*i*"],
    "hisi_acc_vfio_pci": ["vfio_pci:v000019E5d0000A256sv*sd*bc*sc*i*"],
    "vfio_pci": ["vfio_pci:v*d*sv*sd*bc*sc*i*"],
    "e1000e": ["pci:v00008086d000010D3sv*sd*bc*sc*i*"],
    "fake_vfio": ["pci:v00001234d00005678sv*sd*bc*sc*i*"],
}

# [host] vfio_dev=false: a kernel before 6.1, where only the module alias tells.
HOST = """
[host]
vfio_dev=false
[device 0000:01:00.0]
vendor=15b3
device=101e
[device 0000:02:00.0]
vendor=15b3
device=1021
[device 0000:03:00.0]
vendor=19e5
device=a256
driver=hisi_acc_vfio_pci
[device 0000:04:00.0]
vendor=8086
device=10d3
driver=e1000e
[device 0000:05:00.0]
vendor=1234
device=5678
driver=fake_vfio
[device 0000:06:00.0]
vendor=8086
device=1521
driver=vfio-pci
iommu_group=6
vfio_dev=false
"""


def run(*args):
    return subprocess.run(WRAPPER + [VFIORESET, *args], capture_output=True, text=True,
                          check=False)


class Variant(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        ini = os.path.join(cls.tmp.name, "host.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write(HOST)
        cls.root = os.path.join(cls.tmp.name, "root")
        subprocess.run([MKFIXTURE, ini, cls.root], check=True)
        cls.mods = os.path.join(cls.tmp.name, "mods")
        subprocess.run([sys.executable, MKMODULES, cls.mods, RELEASE]
                       + [f"{m}={','.join(a)}" for m, a in MODULES.items()], check=True)
        cls.moddir = os.path.join(cls.mods, "lib", "modules", RELEASE)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def variant(self, addr):
        p = run("--root", self.root, "--modules-dir", self.moddir, "--json", "variant", addr)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def modprobe_set(self, addr):
        with open(os.path.join(self.root, "sys/bus/pci/devices", addr, "modalias"),
                  encoding="ascii") as f:
            modalias = f.read().strip()
        out = subprocess.run(["modprobe", "--resolve-alias", "-d", self.mods, "-S", RELEASE,
                              "vfio_" + modalias], capture_output=True, text=True).stdout
        return set(out.split())

    def test_order_and_reference_set(self):
        v = self.variant("0000:01:00.0")
        self.assertEqual(v["address"], "0000:01:00.0")
        names = [c["module"] for c in v["candidates"]]
        self.assertEqual(set(names), self.modprobe_set("0000:01:00.0"))
        # d0000101E (5 wildcards) before d0000101* (6, more literals) before d* (6) before vfio_pci.
        self.assertEqual(names, ["mlx5_vfio_pci", "partial_vfio", "mlx_any_vfio", "vfio_pci"])
        self.assertEqual([c["wildcards"] for c in v["candidates"]], [5, 6, 6, 7])
        self.assertEqual(v["candidates"][0]["alias"], MODULES["mlx5_vfio_pci"][0])
        self.assertFalse(any(c["tie"] for c in v["candidates"]))
        # vfio-pci is bound somewhere in the fixture, so its module is loaded.
        self.assertEqual(v["candidates"][-1]["driver"], "vfio-pci")
        self.assertIsNone(v["candidates"][0]["driver"])

    def test_ties_are_reported(self):
        v = self.variant("0000:02:00.0")
        names = [c["module"] for c in v["candidates"]]
        self.assertEqual(set(names), self.modprobe_set("0000:02:00.0"))
        self.assertEqual(names[:2], ["mlx5_vfio_pci", "twin_a_vfio"])
        self.assertTrue(v["candidates"][0]["tie"] and v["candidates"][1]["tie"])
        self.assertEqual(v["candidates"][0]["alias"], MODULES["mlx5_vfio_pci"][1])
        self.assertEqual(names[-1], "vfio_pci")

    def test_no_variant_only_generic(self):
        v = self.variant("0000:04:00.0")
        self.assertEqual([c["module"] for c in v["candidates"]], ["vfio_pci"])
        self.assertEqual(self.modprobe_set("0000:04:00.0"), {"vfio_pci"})

    def test_classification_by_module_alias(self):
        p = run("--root", self.root, "--modules-dir", self.moddir, "--json", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        devs = {d["address"]: d for d in json.loads(p.stdout)["devices"]}
        got = {a: (d["driver_type"], d["driver_type_source"]) for a, d in devs.items()}
        self.assertEqual(got["0000:01:00.0"], ("none", "none"))
        self.assertEqual(got["0000:03:00.0"], ("vfio-variant", "module-alias"))
        self.assertEqual(got["0000:04:00.0"], ("host", "module-alias"))
        # "vfio" in a name proves nothing when the module index says otherwise.
        self.assertEqual(got["0000:05:00.0"], ("host", "module-alias"))
        self.assertEqual(got["0000:06:00.0"], ("vfio-pci", "name"))

    def test_heuristic_without_index(self):
        missing = os.path.join(self.tmp.name, "no-such-modules")
        p = run("--root", self.root, "--modules-dir", missing, "--json", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        devs = {d["address"]: d for d in json.loads(p.stdout)["devices"]}
        self.assertEqual((devs["0000:03:00.0"]["driver_type"],
                          devs["0000:03:00.0"]["driver_type_source"]),
                         ("vfio-variant", "heuristic"))
        self.assertEqual((devs["0000:05:00.0"]["driver_type"],
                          devs["0000:05:00.0"]["driver_type_source"]),
                         ("vfio-variant", "heuristic"))
        self.assertEqual(devs["0000:04:00.0"]["driver_type_source"], "heuristic")

    def test_vfio_dev_decides_on_new_kernels(self):
        root = os.path.join(self.tmp.name, "new-kernel")
        ini = os.path.join(self.tmp.name, "new.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write(HOST.replace("vfio_dev=false\n[device 0000:01", "vfio_dev=true\n[device 0000:01"))
        subprocess.run([MKFIXTURE, ini, root], check=True)
        # Linux >= 6.1 with vfio loaded has the vfio-dev class.
        os.makedirs(os.path.join(root, "sys/class/vfio-dev"), exist_ok=True)
        p = run("--root", root, "--modules-dir", self.moddir, "--json", "list")
        devs = {d["address"]: d for d in json.loads(p.stdout)["devices"]}
        self.assertEqual((devs["0000:03:00.0"]["driver_type"],
                          devs["0000:03:00.0"]["driver_type_source"]),
                         ("vfio-variant", "vfio-dev"))
        self.assertEqual((devs["0000:04:00.0"]["driver_type"],
                          devs["0000:04:00.0"]["driver_type_source"]),
                         ("host", "vfio-dev"))

    def test_broken_index_is_an_error(self):
        empty = os.path.join(self.tmp.name, "empty-modules")
        os.makedirs(empty, exist_ok=True)
        corrupt = os.path.join(self.tmp.name, "corrupt-modules")
        os.makedirs(corrupt, exist_ok=True)
        with open(os.path.join(corrupt, "modules.alias.bin"), "wb") as f:
            f.write(b"\x12\x34garbage-not-an-index" * 8)
        for moddir, needle in [(os.path.join(self.tmp.name, "nowhere"), "no modules directory"),
                               (empty, "run depmod"), (corrupt, "not a module index")]:
            with self.subTest(moddir=moddir):
                p = run("--root", self.root, "--modules-dir", moddir, "variant", "0000:01:00.0")
                self.assertEqual(p.returncode, 1)
                self.assertIn("0000:01:00.0", p.stderr)
                self.assertIn(needle, p.stderr)
                self.assertEqual(p.stdout, "")

    def test_unusable_libkmod(self):
        # libkmod is loaded when an index is wanted: a host where it cannot be used gets
        # that as the cause of a variant lookup's failure, and still its listing.
        stub_dir = os.path.join(self.tmp.name, "unusable-libkmod")
        os.makedirs(stub_dir, exist_ok=True)
        shutil.copy(os.environ["VFR_KMOD_STUB"], os.path.join(stub_dir, "libkmod.so.2"))
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = stub_dir + ":" + env.get("LD_LIBRARY_PATH", "")
        p = subprocess.run(WRAPPER + [VFIORESET, "--root", self.root, "--modules-dir",
                                      self.moddir, "variant", "0000:01:00.0"],
                           capture_output=True, text=True, check=False, env=env)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("0000:01:00.0", p.stderr)
        self.assertIn("libkmod cannot be loaded: libkmod.so.2 has no kmod_new", p.stderr)
        p = subprocess.run(WRAPPER + [VFIORESET, "--root", self.root, "--modules-dir",
                                      self.moddir, "--json", "list"],
                           capture_output=True, text=True, check=False, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        devs = {d["address"]: d for d in json.loads(p.stdout)["devices"]}
        self.assertEqual((devs["0000:03:00.0"]["driver_type"],
                          devs["0000:03:00.0"]["driver_type_source"]),
                         ("vfio-variant", "heuristic"))

    def test_default_modules_dir_is_below_root(self):
        """Without --modules-dir: ROOT/lib/modules/<running kernel's release>."""
        root = os.path.join(self.tmp.name, "with-modules")
        ini = os.path.join(self.tmp.name, "host.ini")
        subprocess.run([MKFIXTURE, ini, root], check=True)
        release = os.uname().release
        subprocess.run([sys.executable, MKMODULES, root, release]
                       + [f"{m}={','.join(a)}" for m, a in MODULES.items()], check=True)
        p = run("--root", root, "--json", "variant", "0000:01:00.0")
        self.assertEqual(p.returncode, 0, p.stderr)
        v = json.loads(p.stdout)
        self.assertEqual(v["modules_dir"], os.path.join(root, "lib", "modules", release))
        self.assertEqual(v["candidates"][0]["module"], "mlx5_vfio_pci")
        devs = {d["address"]: d for d in json.loads(
            run("--root", root, "--json", "list").stdout)["devices"]}
        self.assertEqual(devs["0000:03:00.0"]["driver_type_source"], "module-alias")
        self.assertEqual((devs["0000:04:00.0"]["driver_type"],
                          devs["0000:04:00.0"]["driver_type_source"]), ("host", "module-alias"))

    def test_usage(self):
        self.assertEqual(run("--root", self.root, "variant").returncode, 2)
        self.assertEqual(run("--root", self.root, "variant", "01:00.0", "02:00.0").returncode, 2)
        self.assertEqual(run("--root", self.root, "variant", "0000:09:00.0").returncode, 2)
        p = run("--root", self.root, "--modules-dir", self.moddir, "variant", "01:00.0")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("1. mlx5_vfio_pci", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
