# SPDX-License-Identifier: LGPL-2.1-or-later
"""What `lspci -vvv` says about the reset-related capabilities of each
function: shared by the host's lspci agreement check (tests/cli) and the
guest side of the real-kernel suite (copied into the initramfs)."""
import re


def lspci_blocks(text):
    """address -> its block of `lspci -D -vvv` output."""
    blocks = {}
    for block in text.split("\n\n"):
        if block.strip():
            blocks[block.split()[0]] = block
    return blocks


def lspci_capabilities(block):
    """The capability keys of vfioreset's JSON, as lspci decodes them."""
    pm = re.search(r"Power Management.*?Status: D\d\s+NoSoftRst([+-])", block, re.S)
    return {
        "flr": "FLReset+" in block,
        "af_flr": bool(re.search(r"AFCap:\s+TP\+\s+FLR\+", block)),
        "pm_reset": bool(pm and pm.group(1) == "-"),
        "acs": "Access Control Services" in block,
        "sriov": "Single Root I/O Virtualization" in block,
    }
