#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks vfr-mkfixture's trees against lspci, an independent decoder.

For each description (tests/fixtures/*.ini and a `--synthesize 300` host by
default) the tree is generated in a temporary directory and read back with

    lspci -D {-vvv | -nvmm | -xxxx} -A linux-sysfs -O sysfs.path=TMP/sys/bus/pci

For every function that is not corrupt (no corrupt=, no missing=), the
expectations are derived here from the description alone, following
FIXTURES.md, and compared with what lspci decodes: the IDs, class and
revision; the header type and multifunction bit; the size of config space;
bridges' bus numbers; the capability list (exactly the declared ones, in
number); DevCap FLReset+/- (lspci prints it for endpoints only); AFCap TP/FLR;
PM NoSoftRst+/- and the D-state; ACS; SR-IOV totals, offset, stride and VF
device ID; the PCIe Device/Port type; the bound driver and the IOMMU group.
A description with corrupt or missing attributes is read through a view
holding only the checked functions (lspci exits on a function without a
vendor file).

Usage: check-fixture-lspci.py [--mkfixture PATH] [--synthesize N] [INI...]
The generator comes from --mkfixture, $VFR_MKFIXTURE, or
build/tests/mock-sysfs/ in the source tree; the descriptions from
$VFR_FIXTURES or tests/fixtures/. Prints a mismatch per line and ends with
"N passed, M failed"; exits 1 when anything failed, 77 (skip) without lspci.
Python standard library only.
"""
import argparse
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))
FIXTURES = os.environ.get("VFR_FIXTURES") or os.path.join(os.path.dirname(HERE), "fixtures")

# kind: (bridge, pcie, header type, default class, lspci's name of the PCIe type)
KINDS = {
    "endpoint": (False, True, 0, 0x020000, "Endpoint"),
    "pci-endpoint": (False, False, 0, 0x020000, None),
    "rc-endpoint": (False, True, 0, 0x020000, "Root Complex Integrated Endpoint"),
    "root-port": (True, True, 1, 0x060400, "Root Port"),
    "upstream-port": (True, True, 1, 0x060400, "Upstream Port"),
    "downstream-port": (True, True, 1, 0x060400, "Downstream Port"),
    "pcie-pci-bridge": (True, True, 1, 0x060400, "PCI-Express to PCI/PCI-X Bridge"),
    "pci-bridge": (True, False, 1, 0x060400, None),
    "cardbus": (True, False, 2, 0x060700, None),
}
# lspci prints FLReset in DevCap for these PCIe types only.
FLR_SHOWN = {"endpoint", "rc-endpoint"}


class Dev:
    pass


def rid(d):
    return d.bus << 8 | d.slot << 3 | d.fn


def parse_addr(text):
    m = re.fullmatch(r"([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])", text)
    if not m:
        raise ValueError(f"bad address {text!r}")
    return int(m[1], 16), int(m[2], 16), int(m[3], 16), int(m[4])


def load(path):
    """The description as FIXTURES.md defines it, with derived facts."""
    cp = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",),
                                   inline_comment_prefixes=("#",), strict=True,
                                   empty_lines_in_values=False)
    cp.optionxform = str
    cp.read(path)
    devs = {}
    for sec in cp.sections():
        if not sec.startswith("device "):
            continue
        s = cp[sec]
        d = Dev()
        d.addr = sec[7:].lower()
        d.domain, d.bus, d.slot, d.fn = parse_addr(d.addr)
        d.kind = s.get("kind", "endpoint")
        d.bridge, d.pcie, d.htype, dclass, d.exp_name = KINDS[d.kind]
        d.vendor = int(s["vendor"], 16)
        d.device = int(s["device"], 16)
        d.subvendor = int(s.get("subsystem_vendor", s["vendor"]), 16)
        d.subdevice = int(s.get("subsystem_device", s["device"]), 16)
        d.cls = int(s.get("class", "%06x" % dclass), 16)
        d.rev = int(s.get("revision", "0"), 16)
        d.parent = s.get("parent", "").lower() or None
        d.physfn = s.get("physfn", "").lower() or None
        d.driver = s.get("driver") or None
        d.group = s.get("iommu_group")
        d.power = s.get("power_state", "D0")
        d.caps = {c.strip() for c in s.get("caps", "pm").split(",") if c.strip()}
        d.corrupt = s.get("corrupt", "")
        d.missing = s.get("missing", "")
        d.dangling = {c.strip() for c in s.get("dangling", "").split(",") if c.strip()}
        d.escaping = {c.strip() for c in s.get("escaping", "").split(",") if c.strip()}
        d.secondary = int(s["secondary"], 16) if "secondary" in s else None
        d.total_vfs = int(s["total_vfs"]) if "total_vfs" in s else None
        d.mf_key = s.get("multifunction")
        d.vf_offset_key = int(s["vf_offset"]) if "vf_offset" in s else None
        d.vf_stride_key = int(s["vf_stride"]) if "vf_stride" in s else None
        d.vfs = []
        devs[d.addr] = d

    order = sorted(devs.values(), key=lambda d: (d.domain, rid(d)))
    for d in order:
        pf = devs.get(d.physfn) if d.physfn and "physfn" not in d.dangling else None
        d.pf = pf
        if pf:
            pf.vfs.append(d)
            d.parent = pf.parent  # a VF sits beside its PF
    children = {}
    for d in order:
        children.setdefault(d.parent, []).append(d)
    for d in order:
        d.children = children.get(d.addr, [])

    # Bridges: the bus of what is behind them, else the lowest free bus.
    used = {}
    for d in order:
        used.setdefault(d.domain, set()).add(d.bus)
    for d in order:
        if d.bridge:
            plain = [c for c in d.children if not c.pf]
            if plain:
                d.secondary = plain[0].bus
            if d.secondary is not None:
                used[d.domain].add(d.secondary)
    for d in order:
        if d.bridge and d.secondary is None:
            d.secondary = min(b for b in range(d.bus + 1, 256) if b not in used[d.domain])
            used[d.domain].add(d.secondary)

    def sub(d):
        m = d.secondary
        for c in d.children:
            m = max(m, c.bus, sub(c) if c.bridge else 0)
        return m
    for d in order:
        if d.bridge:
            d.subordinate = sub(d)

    # SR-IOV routing as FIXTURES.md defines it.
    for d in order:
        if "sriov" in d.caps:
            n = len(d.vfs)
            d.vf_offset = rid(d.vfs[0]) - rid(d) if n else (d.vf_offset_key or 128)
            d.vf_stride = rid(d.vfs[1]) - rid(d.vfs[0]) if n > 1 and d.vf_stride_key is None \
                else (d.vf_stride_key if d.vf_stride_key is not None else 2)
            d.vf_device = d.vfs[0].device if n else d.device
            d.total = d.total_vfs if d.total_vfs is not None else max(8, n)

    # Header Type bit 7: another function (not a VF) in the same slot.
    slots = {}
    for d in order:
        if not d.physfn:
            key = (d.domain, d.bus, d.slot)
            slots[key] = slots.get(key, 0) + 1
    for d in order:
        d.mf = not d.physfn and slots[(d.domain, d.bus, d.slot)] > 1
        if d.mf_key is not None:
            d.mf = d.mf_key in ("true", "1")
    return order


def lspci(sysfs, *args):
    r = subprocess.run(["lspci", "-D", *args, "-A", "linux-sysfs", "-O",
                        f"sysfs.path={sysfs}"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"lspci {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def blocks(text):
    """lspci output split into {address: block}; -vmm blocks start with "Slot:"."""
    out = {}
    for block in text.strip().split("\n\n"):
        first = block.split("\n", 1)[0]
        if first.startswith("Slot:\t"):
            out[first.split("\t", 1)[1]] = block
        elif first:
            out[first.split()[0]] = block
    return out


def section(block, start, stop):
    """The lines from the one containing `start` up to the next containing `stop`."""
    m = re.search(re.escape(start) + r".*?(?=" + re.escape(stop) + r"|\Z)", block, re.S)
    return m[0] if m else ""


def check_device(d, vvv, vmm, hexdump):
    """Returns [(what, expected, got)] for every mismatch."""
    bad = []

    def expect(what, want, got):
        if want != got:
            bad.append((what, want, got))

    # lspci -nvmm: IDs from sysfs, subsystem IDs from config space (header type 0).
    f = dict(line.split(":\t", 1) for line in vmm.splitlines() if ":\t" in line)
    expect("Vendor", "%04x" % d.vendor, f.get("Vendor"))
    expect("Device", "%04x" % d.device, f.get("Device"))
    expect("Class", "%04x" % (d.cls >> 8), f.get("Class"))
    expect("ProgIf", "%02x" % (d.cls & 0xff), f.get("ProgIf"))
    expect("Rev", "%02x" % d.rev if d.rev else None, f.get("Rev"))
    if d.htype == 0:
        expect("SVendor", "%04x" % d.subvendor, f.get("SVendor"))
        expect("SDevice", "%04x" % d.subdevice, f.get("SDevice"))
    if "driver" not in d.dangling | d.escaping:
        expect("Driver", d.driver, f.get("Driver"))
    if "iommu_group" not in d.dangling | d.escaping:
        expect("IOMMUGroup", d.group, f.get("IOMMUGroup"))

    # lspci -xxxx: the raw image.
    cfg = bytes.fromhex("".join(line.split(":", 1)[1] for line in hexdump.splitlines()[1:]
                                if re.match(r"^[0-9a-f]{2,3}:", line)))
    expect("config size", 4096 if d.pcie else 256, len(cfg))
    if len(cfg) >= 64:
        expect("header type", d.htype | (0x80 if d.mf else 0), cfg[0x0e])
        ids = 0xffffffff if d.physfn else d.device << 16 | d.vendor
        expect("config vendor/device", "%08x" % ids, "%08x" % int.from_bytes(cfg[0:4], "little"))

    # lspci -vvv: decoded capabilities.
    caps = re.findall(r"^\tCapabilities: \[([0-9a-f]+)(?: v\d+)?\] (.*)$", vvv, re.M)
    names = [name for _, name in caps]
    n_std = (len(d.caps & {"pm", "pm-nosoftrst"}) + ("msi" in d.caps) + ("msix" in d.caps)
             + d.pcie + len(d.caps & {"af-flr", "af-tp"}))
    n_ext = len(d.caps & {"acs", "sriov"}) if d.pcie else 0
    expect("number of capabilities", n_std + n_ext, len(caps))
    if "!!!" in vvv:
        bad.append(("lspci complaint", "none", [l for l in vvv.splitlines() if "!!!" in l]))

    pm = [n for n in names if n.startswith("Power Management")]
    expect("PM capability", bool(d.caps & {"pm", "pm-nosoftrst"}), bool(pm))
    if pm:
        st = re.search(r"Status: (D\d) NoSoftRst([+-])", vvv)
        state = {"D3hot": "D3", "D3cold": "D3"}.get(d.power, d.power)
        if d.power in ("unknown", "error"):
            state = "D0"
        expect("PM state", state, st and st[1])
        expect("NoSoftRst", "+" if "pm-nosoftrst" in d.caps else "-", st and st[2])

    exp = [n for n in names if n.startswith("Express")]
    expect("PCI Express capability", d.pcie, bool(exp))
    if exp:
        m = re.match(r"Express \(v2\) (.*?)(?: \(Slot[+-]\))?, MSI 00$", exp[0])
        expect("PCIe type", d.exp_name, m and m[1])
        devcap = section(vvv, "DevCap:", "DevCtl:")
        flr = re.search(r"FLReset([+-])", devcap)
        if d.kind in FLR_SHOWN:
            expect("DevCap FLReset", "+" if "flr" in d.caps else "-", flr and flr[1])

    af = re.search(r"AFCap: TP([+-]) FLR([+-])", vvv)
    if d.caps & {"af-flr", "af-tp"}:
        expect("AFCap", "TP+ FLR" + ("+" if "af-flr" in d.caps else "-"),
               af and f"TP{af[1]} FLR{af[2]}")
    else:
        expect("AF capability", None, af and af[0])

    expect("MSI", "msi" in d.caps, any(n.startswith("MSI:") for n in names))
    expect("MSI-X", "msix" in d.caps, any(n.startswith("MSI-X:") for n in names))
    expect("ACS", "acs" in d.caps and d.pcie, "Access Control Services" in names)
    sriov = "Single Root I/O Virtualization (SR-IOV)" in names
    expect("SR-IOV", "sriov" in d.caps and d.pcie, sriov)
    if sriov:
        n = len(d.vfs)
        m = re.search(r"Initial VFs: (\d+), Total VFs: (\d+), Number of VFs: (\d+)", vvv)
        expect("Initial/Total/Number of VFs", (d.total, d.total, n),
               m and tuple(int(x) for x in m.groups()))
        m = re.search(r"VF offset: (\d+), stride: (\d+), Device ID: ([0-9a-f]+)", vvv)
        expect("VF offset/stride/device", (d.vf_offset, d.vf_stride, "%04x" % d.vf_device),
               m and (int(m[1]), int(m[2]), m[3]))

    if d.bridge:
        m = re.search(r"Bus: primary=(\w+), secondary=(\w+), subordinate=(\w+)", vvv)
        expect("bus numbers", ("%02x" % d.bus, "%02x" % d.secondary, "%02x" % d.subordinate),
               m and m.groups())
    return bad


def check_fixture(name, ini, mkfixture, tmp, results):
    root = os.path.join(tmp, name)
    r = subprocess.run([mkfixture, ini, root], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL {name}: vfr-mkfixture exited {r.returncode}: {r.stderr.strip()}")
        results[1] += 1
        return
    devs = load(ini)
    checked = [d for d in devs if not d.corrupt and not d.missing]
    sysfs = os.path.join(root, "sys", "bus", "pci")
    if len(checked) != len(devs):
        # lspci gives up on a function without a vendor file: show it the others.
        sysfs = os.path.join(tmp, name + "-view")
        os.makedirs(os.path.join(sysfs, "devices"))
        for d in checked:
            os.symlink(os.path.realpath(os.path.join(root, "sys/bus/pci/devices", d.addr)),
                       os.path.join(sysfs, "devices", d.addr))
    try:
        vvv = blocks(lspci(sysfs, "-vvv"))
        vmm = blocks(lspci(sysfs, "-nvmm", "-k"))
        hexd = blocks(lspci(sysfs, "-xxxx"))
    except RuntimeError as e:
        print(f"FAIL {name}: {e}")
        results[1] += len(checked)
        return
    failed = 0
    for d in checked:
        if d.addr not in vvv or d.addr not in vmm or d.addr not in hexd:
            print(f"FAIL {name} {d.addr}: lspci does not list it")
            failed += 1
            continue
        bad = check_device(d, vvv[d.addr], vmm[d.addr], hexd[d.addr])
        for what, want, got in bad:
            print(f"FAIL {name} {d.addr} ({d.kind}): {what}: expected {want!r}, lspci: {got!r}")
        failed += bool(bad)
    extra = set(vvv) - {d.addr for d in checked}
    for addr in sorted(extra):
        print(f"FAIL {name} {addr}: lspci lists a function that is not described")
        failed += 1
    print(f"{name}: {len(checked) - failed} of {len(checked)} functions agree with lspci"
          + (f" ({len(devs) - len(checked)} corrupt ones skipped)" if len(checked) < len(devs)
             else ""))
    results[0] += len(checked) - failed
    results[1] += failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mkfixture", default=os.environ.get("VFR_MKFIXTURE"))
    ap.add_argument("--synthesize", type=int, default=300, metavar="N",
                    help="also check a synthetic host of N functions (0: none)")
    ap.add_argument("--seed", default="0")
    ap.add_argument("ini", nargs="*", help="descriptions (default: tests/fixtures/*.ini)")
    args = ap.parse_args()

    if not shutil.which("lspci"):
        print("lspci not found: skipped")
        return 77
    mk = args.mkfixture
    guess = os.path.join(os.path.dirname(os.path.dirname(HERE)), "build", "tests",
                         "mock-sysfs", "vfr-mkfixture")
    if not mk and os.access(guess, os.X_OK):
        mk = guess
    if not mk:
        print("no vfr-mkfixture: pass --mkfixture or set VFR_MKFIXTURE", file=sys.stderr)
        return 2
    mk = os.path.abspath(mk)
    inis = args.ini or sorted(os.path.join(FIXTURES, f) for f in os.listdir(FIXTURES)
                              if f.endswith(".ini"))
    results = [0, 0]
    with tempfile.TemporaryDirectory(prefix="vfr-lspci-") as tmp:
        for ini in inis:
            check_fixture(os.path.splitext(os.path.basename(ini))[0], ini, mk, tmp, results)
        if args.synthesize:
            ini = os.path.join(tmp, "synth.ini")
            with open(ini, "w") as f:
                subprocess.run([mk, "--synthesize", str(args.synthesize), "--seed", args.seed],
                               stdout=f, check=True)
            check_fixture(f"synthesize-{args.synthesize}", ini, mk, tmp, results)
    print(f"{results[0]} passed, {results[1]} failed")
    return 1 if results[1] else 0


if __name__ == "__main__":
    sys.exit(main())
