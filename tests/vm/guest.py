# SPDX-License-Identifier: LGPL-2.1-or-later
"""Scenarios that run inside the QEMU guest (started by /init, see init.sh).

Every assertion compares vfioreset with what the guest's kernel itself shows:
its sysfs, its `lspci -vvv`, its reactions to sysfs writes. Each scenario
prints one line on the console,

    VFR-RESULT PASS|FAIL|SKIP NAME: summary

preceded by `VFR-DETAIL NAME: ...` lines that explain a failure. The host side
(run-vm.py) collects these lines. /vm/params.json carries the boot's name and
the VFR_VM_BREAK knob.

Run on the host as `python3 -I -S guest.py --print-imports` it only lists the
files of the modules it imports, for run-vm.py to copy into the initramfs.
"""
import configparser
import json
import os
import re
import subprocess
import sys
import traceback

# Run with -I (isolated), which leaves the script's own directory off the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lspci_decode import lspci_blocks, lspci_capabilities  # noqa: E402

from guest_lib import (  # noqa: E402
    BDF_RE, FIXTURE, LSPCI, PARAMS, RESULTS, SYSPCI, VFIORESET, Scenario, kernel_facts,
    link_name, out, read_attr, run, sys_functions, vfioreset_json, write_attr)
import guest_fidelity  # noqa: E402
import guest_ops  # noqa: E402
import guest_safety  # noqa: E402
import guest_holders  # noqa: E402
import guest_manager  # noqa: E402
import guest_vmm  # noqa: E402


def guest_lspci_blocks():
    """address -> its `lspci -D -vvv -nn` block, from the guest's own lspci."""
    p = run([LSPCI, "-D", "-vvv", "-nn"])
    if p.returncode != 0:
        raise RuntimeError(f"lspci exited {p.returncode}: {p.stderr.strip()}")
    return lspci_blocks(p.stdout)


# --- scenarios --------------------------------------------------------------

def rebind(bdf, driver):
    """driver_override + unbind + drivers_probe, as a manager moves a function;
    DRIVER None clears the override and lets the kernel pick. 0 or an errno."""
    dev = os.path.join(SYSPCI, bdf)
    err = write_attr(os.path.join(dev, "driver_override"), driver or "\n")
    if not err and os.path.exists(os.path.join(dev, "driver")):
        err = write_attr(os.path.join(dev, "driver", "unbind"), bdf)
    return err or write_attr("/sys/bus/pci/drivers_probe", bdf)


def scenario_sriov_vfio():
    """(0) A PF handed to vfio-pci makes no VFs unless vfio-pci's enable_sriov
    parameter is set (ENOENT from sriov_numvfs); with it set, the VFs it makes
    get driver_override vfio-pci and never meet their host driver. What the
    simulated kernel does (doc/kernel-behaviour.md). Runs before `sriov`, and
    leaves the PF on its driver without VFs."""
    sc = Scenario("sriov-vfio")
    pfs = [b for b in sys_functions() if int(read_attr(b, "sriov_totalvfs") or 0) > 0]
    param = "/sys/module/vfio_pci/parameters/enable_sriov"
    if not pfs:
        sc.finish("no SR-IOV function in this guest (QEMU without igb)", skip=True)
        return
    pf = pfs[0]
    host = link_name(pf, "driver")
    err = rebind(pf, "vfio-pci")
    if err or link_name(pf, "driver") != "vfio-pci":
        sc.fail(f"{pf}: could not hand it to vfio-pci (errno {err}, driver "
                f"{link_name(pf, 'driver')})")
        rebind(pf, None)
        sc.finish(f"{pf} not on vfio-pci")
        return
    if not os.path.exists(param):
        sc.fail(f"{param} is missing although vfio-pci drives {pf}")
    before = open(param, encoding="ascii").read().strip() if os.path.exists(param) else None
    sc.check("enable_sriov by default", before, "N")
    err = write_attr(os.path.join(SYSPCI, pf, "sriov_numvfs"), "2")
    sc.check(f"{pf} on vfio-pci: echo 2 > sriov_numvfs errno", err, 2)  # ENOENT
    made = []
    if write_attr(param, "Y") == 0:
        err = write_attr(os.path.join(SYSPCI, pf, "sriov_numvfs"), "2")
        sc.check(f"{pf} on vfio-pci with enable_sriov=Y: echo 2 > sriov_numvfs errno", err, 0)
        vfs = sorted(link_name(pf, e) for e in os.listdir(os.path.join(SYSPCI, pf))
                     if e.startswith("virtfn"))
        for vf in vfs:
            sc.check(f"{vf} driver_override", read_attr(vf, "driver_override"), "vfio-pci")
            sc.check(f"{vf} driver", link_name(vf, "driver"), "vfio-pci")
            made.append(f"{vf} on {link_name(vf, 'driver')}")
        if len(vfs) != 2:
            sc.fail(f"{pf}: VFs {vfs} after echo 2 > sriov_numvfs with enable_sriov=Y")
        write_attr(os.path.join(SYSPCI, pf, "sriov_numvfs"), "0")
        write_attr(param, "N")
    else:
        sc.note(f"{param} cannot be written: the VFs under vfio-pci are not tried")
    err = rebind(pf, None)
    sc.check(f"{pf} given back to {host}", (err, link_name(pf, "driver")), (0, host))
    sc.finish(f"{pf} on vfio-pci: sriov_numvfs ENOENT with enable_sriov=N; with Y: "
              f"{', '.join(made) or 'not tried'}; back on {link_name(pf, 'driver')}")


def scenario_sriov():
    """(0) Every SR-IOV PF (igb, when QEMU has it) gets two VFs through
    `echo 2 > sriov_numvfs`; `show` reports the kernel's virtfn and physfn
    links. Runs first, so that the later scenarios see the VFs too."""
    sc = Scenario("sriov")
    pfs = [b for b in sys_functions() if int(read_attr(b, "sriov_totalvfs") or 0) > 0]
    if not pfs:
        sc.finish("no SR-IOV function in this guest (QEMU without igb)", skip=True)
        return
    made = []
    for pf in pfs:
        err = write_attr(os.path.join(SYSPCI, pf, "sriov_numvfs"), "2")
        if err:
            sc.fail(f"{pf}: echo 2 > sriov_numvfs: errno {err}")
            continue
        vfs = sorted(link_name(pf, e) for e in os.listdir(os.path.join(SYSPCI, pf))
                     if e.startswith("virtfn"))
        if len(vfs) != 2:
            sc.fail(f"{pf}: the kernel shows VFs {vfs} after echo 2 > sriov_numvfs")
        d = show_one(pf)
        sc.check(f"{pf} virtfns", sorted(d.get("virtfns") or []), vfs)
        sc.check(f"{pf} capabilities.sriov", (d["capabilities"] or {}).get("sriov"), True)
        for vf in vfs:
            v = show_one(vf)
            want = kernel_facts(vf)
            for k in ("physfn", "driver", "iommu_group", "reset_methods"):
                sc.check(f"{vf} {k}", v[k], want[k])
            made.append(f"{vf} ({want['driver']}, group {want['iommu_group']}, "
                        f"reset_method {want['reset_methods']})")
    sc.finish(f"PFs {' '.join(pfs)}; VFs {', '.join(made)}")


def scenario_list():
    """(1) `vfioreset --json list` lists exactly the guest's functions with
    the facts its sysfs shows."""
    sc = Scenario("list")
    data = vfioreset_json("list")
    listed = [d["address"] for d in data["devices"]]
    functions = sys_functions()
    if listed != functions:
        sc.fail(f"listed {listed}, /sys/bus/pci/devices has {functions}")
    keys = ("vendor", "device", "class", "driver", "driver_type", "iommu_group",
            "reset_methods", "parent", "physfn")
    counts = {"absent": 0, "empty": 0}
    for d in data["devices"]:
        if d["address"] not in functions:
            continue
        want = kernel_facts(d["address"])
        for k in keys:
            sc.check(f"{d['address']} {k}", d.get(k, "<missing key>"), want[k])
        if want["reset_methods"] is None:
            counts["absent"] += 1
        elif not want["reset_methods"]:
            counts["empty"] += 1
    # --full adds what the plain listing spares, read from the kernel's sysfs as well.
    full = {d["address"]: d for d in vfioreset_json("list", "--full")["devices"]}
    for d in data["devices"]:
        f = full.get(d["address"], {})
        sc.check(f"{d['address']} list --full keeps the rest",
                 {k: v for k, v in f.items()
                  if k not in ("driver_override", "numa_node", "power_state")}, d)
        override = read_attr(d["address"], "driver_override")
        numa = read_attr(d["address"], "numa_node")
        sc.check(f"{d['address']} driver_override", f.get("driver_override", "<missing>"),
                 None if override in (None, "(null)", "") else override)
        sc.check(f"{d['address']} numa_node", f.get("numa_node", "<missing>"),
                 None if numa is None else int(numa))
        # Runtime PM may move it between two reads: a state the kernel names is enough.
        power = f.get("power_state", "<missing>")
        if read_attr(d["address"], "power_state") is None:
            sc.check(f"{d['address']} power_state", power, None)
        elif power not in ("D0", "D1", "D2", "D3hot", "D3cold", "unknown"):
            sc.fail(f"{d['address']}: power_state {power!r} is no state the kernel names")
    sc.finish(f"{len(functions)} functions, {len(keys)} facts each and 3 more with --full; "
              f"reset_method absent on {counts['absent']}, empty on {counts['empty']}")


def scenario_capabilities():
    """(2) Capabilities and ids agree with the guest's `lspci -vvv`."""
    sc = Scenario("capabilities")
    data = vfioreset_json("list")
    blocks = guest_lspci_blocks()
    if sorted(blocks) != sorted(d["address"] for d in data["devices"]):
        listed = [d["address"] for d in data["devices"]]
        sc.fail(f"lspci shows {sorted(blocks)}, vfioreset {listed}")
    seen = {"flr": 0, "af_flr": 0, "pm_reset": 0, "acs": 0, "sriov": 0}
    for d in data["devices"]:
        block = blocks.get(d["address"])
        if block is None:
            continue
        if d["capabilities"] is None:
            sc.fail(f"{d['address']}: capabilities null although root reads config space "
                    f"(problems: {d.get('problems')})")
            continue
        first = block.splitlines()[0]
        ids = re.findall(r"\[([0-9a-f]{4}):([0-9a-f]{4})\]", first)
        cls = re.search(r"\[([0-9a-f]{4})\]:", first)
        want_ids = [ids[-1][0], ids[-1][1], cls.group(1) if cls else None] if ids else None
        sc.check(f"{d['address']} ids", [d["vendor"], d["device"], d["class"][:4]], want_ids)
        bridge = "Bus: primary=" in block
        sc.check(f"{d['address']} bridge header", d["header_type"] in ("bridge", "cardbus"),
                 bridge)
        want = lspci_capabilities(block)
        for k, v in want.items():
            sc.check(f"{d['address']} capabilities.{k}", d["capabilities"].get(k), v)
            seen[k] += v
    sc.finish(f"{len(blocks)} functions; lspci shows " +
              ", ".join(f"{k} on {n}" for k, n in seen.items()))


def fixture_devices():
    cp = configparser.ConfigParser(interpolation=None, strict=False,
                                   comment_prefixes=("#", ";"), empty_lines_in_values=False)
    cp.read(FIXTURE, encoding="utf-8")
    devices = {}
    for section in cp.sections():
        if section.startswith("device "):
            devices[section.split()[1]] = dict(cp[section])
    return devices


def scenario_reset_methods():
    """(3) The reset_method lists of tests/fixtures/qemu-q35.ini (what
    doc/kernel-behaviour.md records) are what this kernel shows for the same functions."""
    sc = Scenario("reset-methods")
    fixture = fixture_devices()
    functions = set(sys_functions())
    compared = 0
    for bdf, desc in sorted(fixture.items()):
        if bdf not in functions:
            sc.note(f"{bdf} ({desc.get('vendor')}:{desc.get('device')}, "
                    f"{desc.get('driver', 'no driver')}) is in the fixture, not in this guest")
            continue
        have_ids = [read_attr(bdf, "vendor")[2:], read_attr(bdf, "device")[2:]]
        if have_ids != [desc.get("vendor"), desc.get("device")]:
            sc.fail(f"{bdf}: fixture describes {desc.get('vendor')}:{desc.get('device')}, "
                    f"the guest has {have_ids[0]}:{have_ids[1]} there")
            continue
        compared += 1
        # Other facts the fixture records: differences are reported, not failed.
        facts = kernel_facts(bdf)
        if facts["driver"] != desc.get("driver"):
            sc.note(f"{bdf} driver: fixture {desc.get('driver')}, kernel {facts['driver']}")
        if str(facts["iommu_group"]) != desc.get("iommu_group"):
            sc.note(f"{bdf} iommu_group: fixture {desc.get('iommu_group')}, "
                    f"kernel {facts['iommu_group']}")
        want = desc.get("reset_method")
        have = read_attr(bdf, "reset_method")
        if have != want:
            fix = "absent" if want is None else f"'{want}'"
            ker = "absent" if have is None else f"'{have}'"
            sc.fail(f"{bdf} reset_method: fixture qemu-q35.ini {fix}, kernel {ker}")
        has_reset = os.path.exists(os.path.join(SYSPCI, bdf, "reset"))
        if has_reset != (have is not None):
            sc.fail(f"{bdf}: the kernel shows reset {'present' if has_reset else 'absent'} "
                    f"and reset_method {'absent' if have is None else 'present'}")
    extra = sorted(functions - set(fixture))
    sc.finish(f"{compared} functions compared with qemu-q35.ini; not in the fixture: "
              f"{' '.join(extra) or 'none'}")


def lone_function(driver):
    """The function bound to DRIVER that is alone below its parent bridge."""
    for bdf in sys_functions():
        if link_name(bdf, "driver") != driver:
            continue
        parent = os.path.dirname(os.path.realpath(os.path.join(SYSPCI, bdf)))
        siblings = [e for e in os.listdir(parent) if BDF_RE.match(e)]
        if len(siblings) == 1 and BDF_RE.match(os.path.basename(parent)):
            return bdf
    return None


def show_one(bdf):
    data = vfioreset_json("show", bdf)
    return data["devices"][0] if len(data["devices"]) == 1 else None


def scenario_vfio_bind():
    """(4) Bound to vfio-pci by plain sysfs writes, `show` reports driver
    vfio-pci of type vfio-pci; restored, e1000e is back."""
    sc = Scenario("vfio-bind")
    bdf = lone_function("e1000e")
    if bdf is None:
        sc.fail("no e1000e alone below a bridge in this guest")
        sc.finish("nothing to bind")
        return
    dev = os.path.join(SYSPCI, bdf)
    if not os.path.isdir("/sys/bus/pci/drivers/vfio-pci"):
        sc.fail("the kernel has no vfio-pci driver (module not loaded?)")
        sc.finish(bdf)
        return
    err = write_attr(os.path.join(dev, "driver_override"), "vfio-pci")
    err = err or write_attr(os.path.join(dev, "driver", "unbind"), bdf)
    err = err or write_attr("/sys/bus/pci/drivers_probe", bdf)
    if err:
        sc.fail(f"binding {bdf} to vfio-pci through sysfs: errno {err}")
    want = kernel_facts(bdf)
    if want["driver"] != "vfio-pci":
        sc.fail(f"{bdf}: the kernel bound {want['driver']}, not vfio-pci")
    d = show_one(bdf)
    expect_type = "host" if PARAMS["break"] else "vfio-pci"
    if PARAMS["break"]:
        sc.note("VFR_VM_BREAK: expecting driver_type 'host' on purpose")
    sc.check(f"{bdf} driver", d["driver"], "vfio-pci")
    sc.check(f"{bdf} driver_type", d["driver_type"], expect_type)
    sc.check(f"{bdf} driver_override", d.get("driver_override"), "vfio-pci")
    sc.check(f"{bdf} iommu_group", d["iommu_group"], want["iommu_group"])
    vfio_dev = sorted(os.listdir(os.path.join(dev, "vfio-dev"))) \
        if os.path.isdir(os.path.join(dev, "vfio-dev")) else []
    group_node = os.path.exists(f"/dev/vfio/{want['iommu_group']}")
    bound = f"bound: {d['driver']}/{d['driver_type']}, vfio-dev {vfio_dev}, " \
            f"/dev/vfio/{want['iommu_group']} {'present' if group_node else 'absent'}"
    if not group_node:
        sc.fail(f"/dev/vfio/{want['iommu_group']} missing after the bind")

    err = write_attr(os.path.join(dev, "driver_override"), "\n")
    err = err or write_attr(os.path.join(dev, "driver", "unbind"), bdf)
    err = err or write_attr("/sys/bus/pci/drivers_probe", bdf)
    if err:
        sc.fail(f"restoring {bdf}: errno {err}")
    want = kernel_facts(bdf)
    if want["driver"] != "e1000e":
        sc.fail(f"{bdf}: after the restore the kernel bound {want['driver']}, not e1000e")
    d = show_one(bdf)
    sc.check(f"{bdf} driver after restore", d["driver"], want["driver"])
    sc.check(f"{bdf} driver_type after restore", d["driver_type"], "host")
    sc.check(f"{bdf} driver_override after restore", d.get("driver_override"), None)
    sc.finish(f"{bdf} {bound}; restored: {d['driver']}/{d['driver_type']}")


def scenario_bad_address():
    """(5) `show` of a malformed address and of an absent one exits 2."""
    sc = Scenario("bad-address")
    functions = set(sys_functions())
    absent = next(f"0000:{b:02x}:1f.7" for b in range(0xff, 0, -1)
                  if f"0000:{b:02x}:1f.7" not in functions)
    codes = {}
    for what, addr in (("malformed", "00:zz.9"), ("absent", absent)):
        for args in ([VFIORESET, "show", addr], [VFIORESET, "--json", "show", addr]):
            p = run(args)
            codes[f"{what} {' '.join(args[1:])}"] = p.returncode
            if p.returncode != 2:
                sc.fail(f"`{' '.join(args[1:])}` ({what}) exited {p.returncode}, want 2; "
                        f"stderr {p.stderr.strip()!r}")
            elif not p.stderr.strip():
                sc.fail(f"`{' '.join(args[1:])}` ({what}) exited 2 without a message")
    sc.finish(", ".join(f"{k} -> {v}" for k, v in codes.items()))


def scenario_reprobe():
    """(6) `echo default > reset_method` makes the kernel probe again (doc/kernel-behaviour.md:
    the stale `bus` entries go, the e1000's list becomes empty); vfioreset then
    reports the new lists, an empty one as [] and not as null."""
    sc = Scenario("reprobe")
    changed = []
    for bdf in sys_functions():
        before = read_attr(bdf, "reset_method")
        if before is None:
            continue
        err = write_attr(os.path.join(SYSPCI, bdf, "reset_method"), "default")
        if err:
            sc.fail(f"{bdf}: echo default > reset_method: errno {err}")
        after = read_attr(bdf, "reset_method")
        if after != before:
            changed.append(f"{bdf} '{before}' -> '{after}'")
    data = vfioreset_json("list")
    empty = 0
    for d in data["devices"]:
        want = kernel_facts(d["address"])["reset_methods"]
        sc.check(f"{d['address']} reset_methods after re-probe", d["reset_methods"], want)
        empty += want == []
    if not empty:
        sc.fail("no function shows an empty reset_method after the re-probe "
                "(doc/kernel-behaviour.md: the e1000 behind the pcie-pci-bridge does)")
    sc.finish(f"re-probed: {', '.join(changed) or 'nothing changed'}; {empty} empty")


SCENARIOS = [
    ("sriov-vfio", scenario_sriov_vfio),
    ("sriov", scenario_sriov),
    ("list", scenario_list),
    ("capabilities", scenario_capabilities),
    ("reset-methods", scenario_reset_methods),
    ("vfio-bind", scenario_vfio_bind),
    ("bad-address", scenario_bad_address),
    *guest_manager.SCENARIOS,
    *guest_fidelity.SCENARIOS,
    *guest_ops.BEFORE_REPROBE,
    *guest_vmm.SCENARIOS,
    ("reprobe", scenario_reprobe),
    *guest_holders.SCENARIOS,
    *guest_safety.BEFORE_DEADLINE,
    *guest_ops.LAST,
    *guest_safety.AFTER_DEADLINE,
]


def print_imports():
    """Exercise what the scenarios use, then list the module files."""
    subprocess.run(["true"], capture_output=True, text=True, timeout=10)
    json.loads('{"a": [1]}')
    configparser.ConfigParser(interpolation=None).read_string("[a]\nb=c\n")
    traceback.format_exc()
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if f:
            print(f)


def main():
    if sys.argv[1:] == ["--print-imports"]:
        print_imports()
        return 0
    try:
        with open("/vm/params.json", encoding="utf-8") as f:
            PARAMS.update(json.load(f))
    except OSError as e:
        out(f"VFR-DETAIL params: {e}")
    out(f"VFR-START {PARAMS['name']} {os.uname().release}")
    for name, fn in SCENARIOS:
        if PARAMS.get("scenarios") and name not in PARAMS["scenarios"]:
            continue
        try:
            fn()
        except Exception:  # a scenario that breaks is a failure, not the end
            for line in traceback.format_exc().splitlines():
                out(f"VFR-DETAIL {name}: {line}")
            out(f"VFR-RESULT FAIL {name}: raised an exception")
            RESULTS.append("FAIL")
    out("VFR-DMESG-BEGIN")
    p = run(["dmesg"])
    for line in p.stdout.splitlines():
        out(f"VFR-DMESG {line}")
    out(f"VFR-DONE {len(RESULTS)}")
    return 1 if "FAIL" in RESULTS else 0


if __name__ == "__main__":
    sys.exit(main())
