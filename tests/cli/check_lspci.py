#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`vfioreset list --json` agrees with `lspci -vvv`'s decoding of the same
generated trees: ids, class, header type, FLReset, AF TP+FLR, NoSoftRst, ACS
and SR-IOV, on every function whose config space is sound."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "vm"))
from lspci_decode import lspci_blocks, lspci_capabilities  # noqa: E402

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
FIXTURES = os.environ["VFR_FIXTURES"]


def lspci_output(root):
    """`lspci -vvv` of the tree below @root."""
    return subprocess.run(["lspci", "-D", "-vvv", "-nn", "-A", "linux-sysfs", "-O",
                           f"sysfs.path={root}/sys/bus/pci"],
                          check=True, capture_output=True, text=True).stdout


def lspci_ids(block):
    """[vendor, device, class] from the first line of an -nn block."""
    first = block.splitlines()[0]
    cls = re.search(r"\[([0-9a-f]{4})\]:", first)
    ids = re.findall(r"\[([0-9a-f]{4}):([0-9a-f]{4})\]", first)
    return [ids[-1][0], ids[-1][1], cls.group(1) if cls else None]


def compare(name, root):
    data = json.loads(subprocess.run([VFIORESET, "--root", root, "--json", "list"], check=True,
                                     capture_output=True, text=True).stdout)
    blocks = lspci_blocks(lspci_output(root))
    mismatches, compared = [], 0
    if sorted(blocks) != sorted(d["address"] for d in data["devices"]):
        mismatches.append(f"{name}: lspci and vfioreset list different functions")
    for d in data["devices"]:
        block = blocks.get(d["address"])
        if block is None or d["problems"] or d["capabilities"] is None:
            continue
        compared += 1
        vendor, device, cls = lspci_ids(block)
        if [d["vendor"], d["device"], d["class"][:4]] != [vendor, device, cls]:
            mismatches.append(f"{name} {d['address']}: ids {d['vendor']}:{d['device']} "
                              f"class {d['class']}, lspci {vendor}:{device} class {cls}")
        # lspci prints bus numbers for PCI-to-PCI and CardBus bridges alike.
        bridge = "Bus: primary=" in block
        if (d["header_type"] in ("bridge", "cardbus")) != bridge:
            mismatches.append(f"{name} {d['address']}: header_type {d['header_type']}, "
                              f"lspci {'shows' if bridge else 'shows no'} bridge bus numbers")
        want = lspci_capabilities(block)
        have = {k: d["capabilities"][k] for k in want}
        if have != want:
            mismatches.append(f"{name} {d['address']}: vfioreset {have}, lspci {want}")
    return compared, mismatches


def main():
    with tempfile.TemporaryDirectory() as tmp:
        hosts = []
        # lspci gives up on a host with a function that has no vendor file, so
        # the corrupt host is left to test_cli.py; it checks the problem reports.
        for fname in sorted(os.listdir(FIXTURES)):
            if fname.endswith(".ini") and fname != "corrupt.ini":
                hosts.append((fname, os.path.join(FIXTURES, fname)))
        synth = os.path.join(tmp, "synth.ini")
        with open(synth, "w", encoding="utf-8") as f:
            subprocess.run([MKFIXTURE, "--synthesize", "400"], stdout=f, check=True)
        hosts.append(("synthesized-400", synth))
        total, failures = 0, []
        for name, ini in hosts:
            root = os.path.join(tmp, name)
            subprocess.run([MKFIXTURE, ini, root], check=True)
            compared, mismatches = compare(name, root)
            print(f"{name}: {compared} functions compared, {len(mismatches)} mismatches")
            total += compared
            failures += mismatches
    for m in failures:
        print(m)
    print(f"{total - len(failures)} passed, {len(failures)} failed")
    return 1 if failures or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
