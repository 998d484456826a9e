# SPDX-License-Identifier: LGPL-2.1-or-later
"""The reset engine's safety contract against a real kernel (doc/reset-safety.md):
a PF's reset reaches its VFs; a host object scanned before another process
rebound a function does not reset it on the old facts; a reset left stuck in
the kernel is honoured by every later process."""
import errno
import json
import os
import subprocess
import sys

from guest_lib import SYSPCI, Scenario, link_name, read_attr, sys_functions
from guest_ops import VFIORESET, cli, find_by_driver

STALE_RESET = "/usr/bin/vfr-vm-stale-reset"
PENDING = "/run/vfioreset/pending"


def config_command(bdf):
    """The Command register, read from config space as the kernel gives it."""
    with open(os.path.join(SYSPCI, bdf, "config"), "rb", buffering=0) as f:
        f.seek(4)
        b = f.read(2)
    return b[0] | b[1] << 8


def set_config_command(bdf, value):
    with open(os.path.join(SYSPCI, bdf, "config"), "r+b", buffering=0) as f:
        f.seek(4)
        f.write(bytes([value & 0xff, value >> 8]))


def virtfns(pf):
    return sorted(link_name(pf, e) for e in os.listdir(os.path.join(SYSPCI, pf))
                  if e.startswith("virtfn"))


class Holder:
    """Another process holding a vfio node open, as a running VM does."""

    def __init__(self, path):
        code = ("import os, sys\nfd = os.open(sys.argv[1], os.O_RDWR)\n"
                "print('held', flush=True)\nsys.stdin.read()\n")
        self.p = subprocess.Popen([sys.executable, "-I", "-S", "-c", code, path],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if line != "held":
            self.release()
            raise RuntimeError(f"could not hold {path}")
        self.pid = self.p.pid

    def release(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def scenario_vf_reach():
    """(16) An FLR of the igb PF resets its VFs (NOTES: the kernel checks no VF
    user). With one VF on vfio-pci held open by another process, `reset
    --allow-host-drivers PF` is refused naming that VF, and the VF's Command
    register reads what it did before; released, the PF's reset lists every
    VF as affected and the kernel shows the VF reset with it."""
    sc = Scenario("vf-reach")
    pfs = [b for b in sys_functions() if int(read_attr(b, "sriov_numvfs") or 0) > 0]
    if not pfs:
        sc.finish("no PF with VFs (QEMU without igb)", skip=True)
        return
    pf = pfs[0]
    vfs = virtfns(pf)
    vf = vfs[0]
    st, data, err = cli("bind", vf)
    if st != 0:
        sc.fail(f"bind {vf}: exit {st}: {err.strip()}")
        sc.finish(pf)
        return
    try:
        set_config_command(vf, config_command(vf) | 0x6)
        before = config_command(vf)
        holder = Holder(f"/dev/vfio/{link_name(vf, 'iommu_group')}")
        try:
            st, data, err = cli("reset", "--allow-host-drivers", pf)
            r = (data or {}).get("results", [{}])[0]
            sc.check(f"{pf} held VF: exit status", st, 1)
            sc.check(f"{pf} held VF: outcome", r.get("outcome"), "refused")
            msg = r.get("message") or ""
            if vf not in msg or f"process {holder.pid}" not in msg:
                sc.fail(f"{pf}: the refusal does not name {vf} and pid {holder.pid}: {msg}")
            sc.check(f"{vf} Command after the refused PF reset", config_command(vf), before)
        finally:
            holder.release()
        st, data, err = cli("reset", "--allow-host-drivers", pf)
        r = (data or {}).get("results", [{}])[0]
        sc.check(f"{pf}: exit status", st, 0)
        sc.check(f"{pf}: outcome", r.get("outcome"), "reset")
        sc.check(f"{pf}: affected", r.get("affected"), sorted([pf] + vfs))
        after = config_command(vf)
        if after & 0x6:
            sc.fail(f"{vf}: Command {after:#06x} after the PF's {r.get('method')}: the kernel "
                    "did not reset the VF with its PF")
        how = f"refused while {vf} was held; then {r.get('method')} reset {r.get('affected')}"
    finally:
        st, _, err = cli("restore", vf)
        if st != 0:
            sc.fail(f"restore {vf}: exit {st}: {err.strip()}")
    sc.finish(how)


def scenario_stale_host():
    """(17) A manager's host object, scanned while the lone e1000e was on
    vfio-pci, after another process gave it back to e1000e: the reset reads
    the facts again at the write and refuses (no host drivers allowed),
    naming the change; e1000e keeps its Command register and its device."""
    sc = Scenario("stale-host")
    lone = find_by_driver("e1000e", alone=True)
    if not lone or not os.path.exists(STALE_RESET):
        sc.fail("no lone e1000e, or the stale-host program is missing")
        sc.finish("-")
        return
    st, _, err = cli("bind", lone)
    if st != 0:
        sc.fail(f"bind {lone}: exit {st}: {err.strip()}")
        sc.finish(lone)
        return
    p = subprocess.Popen([STALE_RESET, lone], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    scanned = p.stdout.readline().strip()
    sc.check(f"{lone} driver when scanned", scanned, "scanned vfio-pci")
    st, _, err = cli("restore", lone)
    sc.check(f"restore {lone} by another process", st, 0)
    before = config_command(lone)
    try:
        out, err = p.communicate("go\n", timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        sc.fail(f"{lone}: the reset from the old host object did not return")
        sc.finish(lone)
        return
    lines = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    sc.check(f"{lone} rc", lines.get("rc"), str(-errno.EPERM))
    msg = lines.get("message", "")
    if f"{lone} driver: was vfio-pci (vfio-pci), now e1000e (host)" not in msg:
        sc.fail(f"{lone}: the refusal does not name the change: {msg}")
    sc.check(f"{lone} driver after", link_name(lone, "driver"), "e1000e")
    sc.check(f"{lone} Command after", config_command(lone), before)
    sc.finish(f"{lone}: {msg[:160]}")


def quick(sc, *args):
    """`vfioreset --json ARGS` that must answer within 5 s: (exit, JSON, stderr). A
    process stuck in the kernel cannot be killed: it is left behind, not waited
    for, and the scenario fails naming the command."""
    p = subprocess.Popen([VFIORESET, "--json", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        sc.fail(f"vfioreset {' '.join(args)} did not return within 5 s")
        return None, None, ""
    try:
        data = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        data = None
    return p.returncode, data, stderr


def record_list(bdf, key):
    """A list of the pending record of @bdf (key=a;b;...)."""
    with open(os.path.join(PENDING, bdf), encoding="ascii") as f:
        for line in f:
            if line.startswith(key + "="):
                return {x for x in line.strip().split("=", 1)[1].split(";") if x}
    return set()


def blocked_config_reads():
    """The functions whose config space a reader cannot read now: each read runs in
    a process of its own, and one still asleep after 2 s is left there (a reader
    sleeping behind a stuck reset cannot be killed)."""
    blocked = set()
    for bdf in sys_functions():
        q = subprocess.Popen(["/bin/busybox", "cat", os.path.join(SYSPCI, bdf, "config")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            q.wait(timeout=2)
        except subprocess.TimeoutExpired:
            blocked.add(bdf)
    return blocked


def scenario_pending():
    """(18) After reset-deadline left an igbvf VF's reset blocked in the kernel
    (6.12 and the cdev kernel): the kernel blocks config reads of the VF and of
    the root port above its PF, and the record marks both as locked; `list`,
    and `show` and `plan` of every function return within 5 s, naming the
    pending reset where it holds the function (its config space is not read);
    a second reset and a bind of the VF, and a reset of its PF, fail fast
    naming it."""
    sc = Scenario("pending")
    records = sorted(os.listdir(PENDING)) if os.path.isdir(PENDING) else []
    if not records:
        sc.finish("no reset is pending (the reset completed on this kernel)", skip=True)
        return
    vf = records[0]
    pf = link_name(vf, "physfn")
    pending = {}
    blocked = blocked_config_reads()
    locked = record_list(vf, "config_locked")
    if not blocked <= locked:
        sc.fail(f"the kernel blocks config reads of {sorted(blocked - locked)}, which the "
                f"record does not mark as locked ({sorted(locked)})")
    st, data, err = quick(sc, "list")
    dev = next((d for d in (data or {}).get("devices", []) if d["address"] == vf), {})
    pending = dev.get("pending") or {}
    if "has been pending in the kernel" not in (pending.get("message") or ""):
        sc.fail(f"list: {vf} does not name the pending reset: {dev.get('pending')}")
    for bdf in sys_functions():
        st, data, err = quick(sc, "show", bdf)
        sc.check(f"show {bdf} exit status", st, 0)
        st, data, err = quick(sc, "plan", "--allow-host-drivers", bdf)
        sc.check(f"plan {bdf} exit status", st, 0)
    st, data, err = quick(sc, "plan", vf)
    sc.check(f"plan {vf} refused", (data or {}).get("plans", [{}])[0].get("refused"), True)
    st, data, err = quick(sc, "reset", "--allow-host-drivers", vf)
    r = (data or {}).get("results", [{}])[0]
    sc.check(f"reset {vf} outcome", r.get("outcome"), "refused")
    if "pending in the kernel" not in (r.get("message") or ""):
        sc.fail(f"reset {vf}: {r.get('message')}")
    st, data, err = quick(sc, "bind", vf)
    sc.check(f"bind {vf} exit status", st, 1)
    if "pending in the kernel" not in err:
        sc.fail(f"bind {vf}: {err.strip()}")
    if pf:
        st, data, err = quick(sc, "reset", "--allow-host-drivers", pf)
        r = (data or {}).get("results", [{}])[0]
        sc.check(f"reset {pf} outcome", r.get("outcome"), "refused")
        if vf not in (r.get("message") or ""):
            sc.fail(f"reset {pf}: does not name {vf}: {r.get('message')}")
    other = other_program(sc, vf)
    sc.finish(f"{vf}: {pending.get('message')}; config reads the kernel blocks: "
              f"{', '.join(sorted(blocked))}; {other}")


def other_program(sc, vf):
    """The same stuck call as another program's: without the record, the
    process asleep in the kernel with the VF's reset file open still makes
    the plan refuse, naming that process."""
    record = os.path.join(PENDING, vf)
    aside = os.path.join(os.path.dirname(PENDING), "aside-" + vf)
    os.rename(record, aside)
    try:
        st, data, err = quick(sc, "plan", "--allow-host-drivers", vf)
    finally:
        os.rename(aside, record)
    plan = (data or {}).get("plans", [{}])[0]
    sc.check(f"plan {vf} without the record refused", plan.get("refused"), True)
    why = " ".join(m.get("reason") or "" for m in plan.get("excluded", []))
    if "asleep in the kernel" not in why:
        sc.fail(f"plan {vf} without the record does not name the sleeper: {plan}")
    return f"without the record: {why.split(':')[0] if why else '?'}"


BEFORE_DEADLINE = [
    ("vf-reach", scenario_vf_reach),
    ("stale-host", scenario_stale_host),
]

AFTER_DEADLINE = [
    ("pending", scenario_pending),
]
