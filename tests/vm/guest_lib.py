# SPDX-License-Identifier: LGPL-2.1-or-later
"""What every guest scenario module shares: the result protocol (see guest.py)
and the kernel's own view of a function, from the guest's sysfs."""
import json
import os
import re
import subprocess
import sys

VFIORESET = "/usr/bin/vfioreset"
LSPCI = "/usr/bin/lspci"
SYSPCI = "/sys/bus/pci/devices"
FIXTURE = "/vm/qemu-q35.ini"
BDF_RE = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")

PARAMS = {"name": "?", "break": False}
RESULTS = []


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Scenario:
    """Collects the mismatches of one scenario and prints its result."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.notes = []

    def fail(self, msg):
        self.failures.append(msg)
        out(f"VFR-DETAIL {self.name}: FAIL {msg}")

    def note(self, msg):
        self.notes.append(msg)
        out(f"VFR-DETAIL {self.name}: note {msg}")

    def check(self, what, have, want):
        if have != want:
            self.fail(f"{what}: vfioreset {have!r}, kernel {want!r}")

    def finish(self, summary, skip=False):
        status = "SKIP" if skip else ("FAIL" if self.failures else "PASS")
        if self.failures:
            summary = f"{len(self.failures)} mismatches; {summary}"
        out(f"VFR-RESULT {status} {self.name}: {summary}")
        RESULTS.append(status)


# --- what the kernel shows ------------------------------------------------

def read_attr(bdf, name):
    try:
        with open(os.path.join(SYSPCI, bdf, name), encoding="ascii") as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def link_name(bdf, name):
    try:
        return os.path.basename(os.readlink(os.path.join(SYSPCI, bdf, name)))
    except FileNotFoundError:
        return None


def write_attr(path, text):
    """A plain sysfs write; returns 0 or the errno the kernel gave."""
    try:
        with open(path, "w", encoding="ascii") as f:
            f.write(text)
        return 0
    except OSError as e:
        return e.errno


def kernel_facts(bdf):
    """The facts of one function as the kernel's sysfs shows them, in the
    spelling of `vfioreset --json` (DESIGN.md section 5)."""
    driver = link_name(bdf, "driver")
    group = link_name(bdf, "iommu_group")
    methods = read_attr(bdf, "reset_method")
    parent = os.path.basename(os.path.dirname(os.path.realpath(os.path.join(SYSPCI, bdf))))
    vfio_dev = os.path.isdir(os.path.join(SYSPCI, bdf, "vfio-dev"))
    if driver is None:
        dtype = "none"
    elif driver == "vfio-pci":
        dtype = "vfio-pci"
    elif vfio_dev:
        dtype = "vfio-variant"
    elif driver == "pci-stub":
        dtype = "pci-stub"
    elif driver == "pciback":
        dtype = "xen-pciback"
    else:
        dtype = "host"
    return {
        "vendor": read_attr(bdf, "vendor")[2:],
        "device": read_attr(bdf, "device")[2:],
        "class": read_attr(bdf, "class")[2:],
        "driver": driver,
        "driver_type": dtype,
        "iommu_group": int(group) if group is not None else None,
        "reset_methods": None if methods is None else methods.split(),
        "parent": parent if BDF_RE.match(parent) else None,
        "physfn": link_name(bdf, "physfn"),
    }


def sys_functions():
    return sorted(os.listdir(SYSPCI))


def run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def vfioreset_json(*args):
    p = run([VFIORESET, "--json", *args])
    if p.returncode != 0:
        raise RuntimeError(f"vfioreset --json {' '.join(args)} exited {p.returncode}: "
                           f"{p.stderr.strip()}")
    return json.loads(p.stdout)
