# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a VMM and its manager get (doc/vmm.md), held against the kernel:
`show` names the group node, the container and (on the cdev kernel) the cdev
with the device numbers the kernel gave them, a VF's number as its PF's
virtfnN link says it, the PF's VF counts and the network interfaces in net/;
`reset --vfio --method hot` of both functions of the two-function e1000e is
one hot reset of their bus, both results saying so."""
import os
import stat

from guest_lib import SYSPCI, Scenario, link_name, read_attr, sys_functions
from guest_ops import below_parent, cdev_kernel, cli, find_by_driver


def show(bdf):
    status, data, err = cli("show", bdf)
    if status != 0 or not data:
        raise RuntimeError(f"show {bdf}: exit {status}: {err}")
    return data["devices"][0]


def node_number(path):
    st = os.stat(path)
    if not stat.S_ISCHR(st.st_mode):
        return None
    return (os.major(st.st_rdev), os.minor(st.st_rdev))


def check_access(sc, bdf, cdev):
    d = show(bdf)
    vfio = d.get("vfio") or {}
    group = link_name(bdf, "iommu_group")
    sc.check(f"{bdf}: group_node", vfio.get("group_node"), f"/dev/vfio/{group}")
    access = {a["kind"]: a for a in vfio.get("access") or []}
    for kind, path in (("group-node", f"/dev/vfio/{group}"), ("container", "/dev/vfio/vfio")):
        a = access.get(kind) or {}
        sc.check(f"{bdf}: {kind} path", a.get("path"), path)
        sc.check(f"{bdf}: {kind} number", (a.get("major"), a.get("minor")), node_number(path))
    sysfs = sorted(os.path.basename(a["path"]) for a in vfio.get("access") or []
                   if a["kind"] == "sysfs")
    want = sorted(n for n in os.listdir(os.path.join(SYSPCI, bdf))
                  if n in ("config", "rom", "reset") or n.startswith("resource"))
    sc.check(f"{bdf}: sysfs files", sysfs, want)
    if cdev:
        name = os.listdir(os.path.join(SYSPCI, bdf, "vfio-dev"))[0]
        path = f"/dev/vfio/devices/{name}"
        sc.check(f"{bdf}: cdev", vfio.get("cdev"), path)
        a = access.get("cdev") or {}
        number = tuple(int(x) for x in read_attr(bdf, f"vfio-dev/{name}/dev").split(":"))
        sc.check(f"{bdf}: cdev number (vfio-dev/dev)", (a.get("major"), a.get("minor")), number)
        sc.check(f"{bdf}: cdev number (node)", number, node_number(path))
        sc.check(f"{bdf}: iommufd", (access.get("iommufd") or {}).get("path"), "/dev/iommu")
    else:
        # A property of the function, not of how the VMM opens it: the cdev
        # is named wherever the kernel made its node.
        vdev = os.path.join(SYSPCI, bdf, "vfio-dev")
        names = os.listdir(vdev) if os.path.isdir(vdev) else []
        node = f"/dev/vfio/devices/{names[0]}" if names else None
        sc.check(f"{bdf}: cdev", vfio.get("cdev"),
                 node if node and os.path.exists(node) else None)
    sc.check(f"{bdf}: net once on vfio", d.get("net"), [])


def check_sriov(sc):
    pfs = [b for b in sys_functions() if os.path.exists(os.path.join(SYSPCI, b, "sriov_totalvfs"))]
    done = []
    for pf in pfs:
        d = show(pf)
        sc.check(f"{pf}: sriov", d.get("sriov"),
                 {"totalvfs": int(read_attr(pf, "sriov_totalvfs")),
                  "numvfs": int(read_attr(pf, "sriov_numvfs"))})
        net = os.path.join(SYSPCI, pf, "net")
        sc.check(f"{pf}: net", d.get("net"), sorted(os.listdir(net)) if os.path.isdir(net) else [])
        for entry in sorted(os.listdir(os.path.join(SYSPCI, pf))):
            if not entry.startswith("virtfn"):
                continue
            vf = os.path.basename(os.readlink(os.path.join(SYSPCI, pf, entry)))
            v = show(vf)
            sc.check(f"{vf}: vf_index", v.get("vf_index"), int(entry[len("virtfn"):]))
            sc.check(f"{vf}: physfn", v.get("physfn"), pf)
            done.append(f"{vf}=vf{v.get('vf_index')}")
    return done


def merged_reset(sc, both, cdev):
    tag = "cdev " if cdev else ""
    args = ["reset", "--vfio", *(["--cdev"] if cdev else []), "--method", "hot",
            "--timeout", "20000", *both]
    status, data, err = cli(*args)
    results = (data or {}).get("results") or []
    sc.check(f"{tag}pair: exit status", status, 0)
    if len(results) != 2:
        sc.fail(f"{tag}pair: {len(results)} results: {err}")
        return f"{tag}pair: no results"
    first, second = results
    for r in results:
        sc.check(f"{tag}{r['address']}: method", r.get("method"), "hot")
        sc.check(f"{tag}{r['address']}: attempts", len(r.get("attempts") or []), 1)
        sc.check(f"{tag}{r['address']}: affected", r.get("affected"), both)
    sc.check(f"{tag}pair: issued on", second.get("merged_with"), both[0])
    sc.check(f"{tag}pair: served", first.get("merged"), [both[1]])
    sc.check(f"{tag}pair: one attempt's time",
             second["attempts"][0]["ms"] if second.get("attempts") else None,
             first["attempts"][0]["ms"] if first.get("attempts") else None)
    return f"{tag}pair: one hot reset"


def scenario_vmm():
    sc = Scenario("vmm")
    pair = find_by_driver("e1000e", alone=False)
    if pair is None:
        sc.fail("no two-function e1000e in this guest")
        sc.finish("nothing to do")
        return
    both = below_parent(pair)
    done = []
    try:
        done += check_sriov(sc)
        before = {b: link_name(b, "driver") for b in both}
        status, _, err = cli("bind", *both)
        if status != 0:
            raise RuntimeError(f"bind {both}: exit {status}: {err}")
        try:
            for cdev in ([False, True] if cdev_kernel() else [False]):
                for b in both:
                    check_access(sc, b, cdev)
                done.append(merged_reset(sc, both, cdev))
        finally:
            cli("restore", *both)
            for b in both:
                sc.check(f"{b}: driver after restore", link_name(b, "driver"), before[b])
    except (RuntimeError, OSError, KeyError, ValueError) as e:
        sc.fail(str(e))
    sc.finish("; ".join(done))


SCENARIOS = [
    ("vmm", scenario_vmm),
]
