#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`vfioreset list --json` on this machine's real /sys reports exactly the
functions of /sys/bus/pci/devices, with the ids, class, driver, IOMMU group,
reset_method list and parent the kernel shows. Skips (77) without PCI."""
import json
import os
import subprocess
import sys

SYS = "/sys/bus/pci/devices"


def attr(dev, name):
    try:
        with open(os.path.join(SYS, dev, name), encoding="ascii") as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def link_base(dev, name):
    try:
        return os.path.basename(os.readlink(os.path.join(SYS, dev, name)))
    except FileNotFoundError:
        return None


def main():
    if not os.path.isdir(SYS) or not os.listdir(SYS):
        print("no PCI functions in /sys: nothing to compare")
        return 77
    out = subprocess.run([os.environ["VFIORESET"], "--root", "/", "--json", "list"],
                         check=True, capture_output=True, text=True).stdout
    devices = {d["address"]: d for d in json.loads(out)["devices"]}
    kernel = sorted(os.listdir(SYS))
    failures = []
    if sorted(devices) != kernel:
        failures.append(f"functions differ: kernel {kernel}, vfioreset {sorted(devices)}")
    for addr in kernel:
        d = devices.get(addr)
        if d is None:
            continue
        want = {
            "vendor": attr(addr, "vendor")[2:],
            "device": attr(addr, "device")[2:],
            "class": attr(addr, "class")[2:],
            "driver": link_base(addr, "driver"),
            "iommu_group": int(link_base(addr, "iommu_group"))
            if link_base(addr, "iommu_group") else None,
        }
        methods = attr(addr, "reset_method")
        want["reset_methods"] = None if methods is None else methods.split()
        parent = os.path.basename(os.path.dirname(os.path.realpath(os.path.join(SYS, addr))))
        want["parent"] = parent if parent in kernel else None
        for key, value in want.items():
            if d.get(key) != value:
                failures.append(f"{addr}: {key} is {d.get(key)!r}, the kernel says {value!r}")
        if d["driver"] and d["driver_type"] == "none":
            failures.append(f"{addr}: bound to {d['driver']} but driver_type none")
    for f in failures:
        print(f)
    print(f"{len(kernel)} functions compared, {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
