# SPDX-License-Identifier: LGPL-2.1-or-later
"""The `hostdev` scenario: examples/hostdev (a virhostdev-style manager on the
public API) prepares and releases functions for two domains on the guest's
kernel, each step a fresh process that finds the domains' claims in
/run/vfioreset/owners; the kernel's own links say where each function is."""
import os
import subprocess

from guest_lib import SYSPCI, Scenario, link_name, read_attr
from guest_ops import find_by_driver

HOSTDEV = "/usr/bin/vfr-hostdev"
OWNERS = "/run/vfioreset/owners"


def hostdev(*args):
    p = subprocess.run([HOSTDEV, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def claims():
    try:
        with open(OWNERS, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line and line[0] != "#")


def group_node(bdf):
    return os.path.join("/dev/vfio", os.path.basename(
        os.readlink(os.path.join(SYSPCI, bdf, "iommu_group"))))


def scenario_hostdev():
    """(manager) prepare vm1 the lone e1000e and vm2 the nvme: each on vfio-pci with
    its group node, claimed in the persisted list; vm2 refused vm1's function and vm1
    one function of the two-function e1000e (its sibling keeps e1000e), nothing moved;
    `list` from a new process names both; release vm1, then vm2: the original drivers,
    override cleared, claims withdrawn."""
    sc = Scenario("hostdev")
    lone = find_by_driver("e1000e", alone=True)
    nvme = find_by_driver("nvme", alone=True)
    pair = find_by_driver("e1000e", alone=False)
    if not (lone and nvme and pair and os.path.exists(HOSTDEV)):
        sc.fail("no lone e1000e, nvme or two-function e1000e, or hostdev is missing")
        sc.finish("-")
        return
    sibling = next(b for b in sorted(os.listdir(SYSPCI))
                   if b != pair and b[:-1] == pair[:-1])
    for domain, bdf, driver in (("vm1", lone, "e1000e"), ("vm2", nvme, "nvme")):
        st, out, err = hostdev("prepare", domain, bdf)
        sc.check(f"prepare {domain} {bdf}: exit", st, 0)
        if st:
            sc.note(f"{out} {err}".strip())
        sc.check(f"{bdf} driver after prepare", link_name(bdf, "driver"), "vfio-pci")
        sc.check(f"{bdf} group node", os.path.exists(group_node(bdf)), True)
        if f"bind {bdf}: {driver} -> vfio-pci" not in out:
            sc.fail(f"prepare {domain}: no bind line for {bdf}: {out!r}")
    sc.check("claims after prepare", claims(), {lone: "vm1", nvme: "vm2"})

    st, out, _ = hostdev("prepare", "vm2", lone)
    sc.check(f"prepare vm2 {lone} (vm1's): exit", st, 1)
    if f"in use by domain vm1" not in out:
        sc.fail(f"the refusal does not name vm1: {out!r}")
    sc.check(f"{lone} driver after the refusal", link_name(lone, "driver"), "vfio-pci")
    st, out, _ = hostdev("prepare", "vm1", pair)
    sc.check(f"prepare vm1 {pair} (sibling on e1000e): exit", st, 1)
    if f"{sibling} is bound to e1000e" not in out:
        sc.fail(f"the refusal does not name {sibling}: {out!r}")
    sc.check(f"{pair} driver after the refusal", link_name(pair, "driver"), "e1000e")
    sc.check(f"{pair} override after the refusal", read_attr(pair, "driver_override"),
             "(null)")

    st, out, _ = hostdev("list")
    sc.check("list: exit", st, 0)
    sc.check("list", out.splitlines(), sorted([f"vm1 {lone} vfio-pci active",
                                               f"vm2 {nvme} vfio-pci active"],
                                              key=lambda l: l.split()[1]))

    for domain, bdf, driver in (("vm1", lone, "e1000e"), ("vm2", nvme, "nvme")):
        st, out, err = hostdev("release", domain)
        sc.check(f"release {domain}: exit", st, 0)
        if st:
            sc.note(f"{out} {err}".strip())
        sc.check(f"{bdf} driver after release", link_name(bdf, "driver"), driver)
        sc.check(f"{bdf} override after release", read_attr(bdf, "driver_override"),
                 "(null)")
    sc.check("claims after release", claims(), {})
    sc.finish(f"vm1 {lone}, vm2 {nvme}; refused {pair} (sibling {sibling})")


SCENARIOS = [("hostdev", scenario_hostdev)]
