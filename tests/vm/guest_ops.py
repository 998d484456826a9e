# SPDX-License-Identifier: LGPL-2.1-or-later
"""Scenarios that change the guest: binding and restoring drivers, reset
plans and resets. Each compares vfioreset's answer with what the kernel then
shows (its sysfs links, its reset_method, its errnos)."""
import configparser
import json
import os
import subprocess

from guest_lib import (
    FIXTURE, PARAMS, SYSPCI, VFIORESET, Scenario, kernel_facts, link_name, read_attr, run,
    sys_functions, write_attr)


def fixture_stale():
    """address -> the reset methods the fixture marks stale (doc/kernel-behaviour.md: probed
    before a sibling or a subordinate bus existed)."""
    cp = configparser.ConfigParser(interpolation=None, strict=False,
                                   comment_prefixes=("#", ";"), empty_lines_in_values=False)
    cp.read(FIXTURE, encoding="utf-8")
    stale = {}
    for section in cp.sections():
        if section.startswith("device ") and "stale_reset_method" in cp[section]:
            stale[section.split()[1]] = cp[section]["stale_reset_method"].split()
    return stale


def cli(*args, timeout=120, env=None):
    """(exit status, parsed --json output or None, stderr)."""
    p = subprocess.run([VFIORESET, "--json", *args], capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, **(env or {})))
    try:
        data = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        data = None
    return p.returncode, data, p.stderr.strip()


def is_bridge(bdf):
    cls = read_attr(bdf, "class")
    return cls is not None and cls[2:6] == "0604"


def below_parent(bdf):
    """Every function below @bdf's upstream bridge: what a bus reset touches."""
    parent = os.path.dirname(os.path.realpath(os.path.join(SYSPCI, bdf)))
    found = []
    for root, dirs, _ in os.walk(parent):
        for d in dirs:
            if d.count(":") == 2 and os.path.exists(os.path.join(root, d, "config")):
                found.append(d)
    return sorted(set(found))


# --- binding -------------------------------------------------------------------

def bind_round_trip(sc, bdfs, group):
    before = {b: link_name(b, "driver") for b in bdfs}
    args = ["bind", "--group", bdfs[0]] if group else ["bind", *bdfs]
    status, data, err = cli(*args)
    if status != 0 or not data:
        sc.fail(f"`vfioreset {' '.join(args)}` exited {status}: {err}")
        return f"{bdfs}: bind failed"
    results = {r["address"]: r for r in data.get("results", [])}
    for b in bdfs:
        r = results.get(b)
        kernel = link_name(b, "driver")
        if r is None:
            sc.fail(f"{b}: no result from bind ({sorted(results)})")
            continue
        sc.check(f"{b} driver_before", r.get("driver_before"), before[b])
        sc.check(f"{b} driver_after", r.get("driver_after"), kernel)
        if kernel != "vfio-pci":
            sc.fail(f"{b}: after bind the kernel shows driver {kernel}")
        group = link_name(b, "iommu_group")
        if not os.path.exists(f"/dev/vfio/{group}"):
            sc.fail(f"{b}: /dev/vfio/{group} missing after bind")
    # restore from a fresh process: the original drivers come from the record
    args = ["restore", *(["--group"] if group else []), *(bdfs[:1] if group else bdfs)]
    status, data, err = cli(*args)
    if status != 0:
        sc.fail(f"`vfioreset {' '.join(args)}` exited {status}: {err}")
    for b in bdfs:
        after = link_name(b, "driver")
        want = before[b] if not PARAMS["break"] else "vfio-pci"
        sc.check(f"{b} driver after restore", after, want)
        sc.check(f"{b} driver_override after restore", read_attr(b, "driver_override"),
                 "(null)")
    return f"{'+'.join(bdfs)} {before[bdfs[0]]} -> vfio-pci -> {link_name(bdfs[0], 'driver')}"


def find_by_driver(driver, alone):
    for bdf in sys_functions():
        if link_name(bdf, "driver") != driver:
            continue
        if (len(below_parent(bdf)) == 1) == alone:
            return bdf
    return None


def scenario_bind():
    """(7) `bind` then `restore` (a fresh process) of a lone e1000e, the nvme
    and the two-function e1000e (--group) leave the drivers they found."""
    sc = Scenario("bind")
    done = []
    lone = find_by_driver("e1000e", alone=True)
    nvme = find_by_driver("nvme", alone=True)
    pair = find_by_driver("e1000e", alone=False)
    for bdfs, group in (([lone], False), ([nvme], False)):
        if bdfs[0] is None:
            sc.fail("a function of the topology of doc/kernel-behaviour.md is missing")
            continue
        done.append(bind_round_trip(sc, bdfs, group))
    if pair:
        done.append(bind_round_trip(sc, [b for b in below_parent(pair)], True))
    else:
        sc.fail("no two-function e1000e in this guest")
    sc.finish("; ".join(done))


# --- plans and resets --------------------------------------------------------------

def kernel_live_methods(bdf, listed):
    """The methods of @listed the kernel accepts to pin now; the list is put
    back afterwards, or re-probed when the kernel refuses the old list."""
    path = os.path.join(SYSPCI, bdf, "reset_method")
    live = [m for m in listed.split() if write_attr(path, m) == 0]
    if write_attr(path, listed) != 0:
        write_attr(path, "default")
    return live


def scenario_plan():
    """(8) `plan` of every function: bridges refused; the kernel's methods in
    its order, minus the stale `bus` entries doc/kernel-behaviour.md records, which are
    excluded with a reason; a bus reset touches everything below the parent."""
    sc = Scenario("plan")
    stale = fixture_stale()
    functions = sys_functions()
    status, data, err = cli("plan", "--allow-host-drivers", *functions)
    if data is None:
        sc.fail(f"`vfioreset plan` exited {status}: {err}")
        sc.finish("no plans")
        return
    plans = {p["address"]: p for p in data.get("plans", [])}
    ready = 0
    for bdf in functions:
        p = plans.get(bdf)
        if p is None:
            sc.fail(f"{bdf}: no plan")
            continue
        kernel = read_attr(bdf, "reset_method")
        sysfs = [m["method"] for m in p["methods"] if m["mechanism"] == "sysfs"]
        excluded = {e["method"]: e["reason"] for e in p.get("excluded", [])}
        if is_bridge(bdf):
            if p["ready"] or sysfs:
                sc.fail(f"{bdf} is a bridge and the plan offers {sysfs}")
            continue
        want = [m for m in (kernel or "").split() if m not in stale.get(bdf, [])]
        if PARAMS["break"]:
            want = (kernel or "").split()
        if sysfs != want and not PARAMS["break"]:
            # The fixture records the kernel at boot; VFs made since (sriov)
            # can make more entries stale. Ask the kernel: a method it
            # refuses to pin (EINVAL) is stale now.
            live = kernel_live_methods(bdf, kernel)
            sc.note(f"{bdf}: the kernel pins {live} of '{kernel}'")
            want = live
        sc.check(f"{bdf} sysfs methods", sysfs, want)
        for m in (kernel or "").split():
            if m not in want and "stale" not in excluded.get(m, ""):
                sc.fail(f"{bdf}: stale '{m}' not excluded as stale ({excluded.get(m)!r})")
        for m in p["methods"]:
            if m["method"] == "bus":
                sc.check(f"{bdf} bus affected", sorted(m["affected"]), below_parent(bdf))
        sc.check(f"{bdf} ready", p["ready"], bool(want))
        ready += bool(want)
    sc.finish(f"{len(plans)} plans, {ready} functions with a method")


def scenario_reset():
    """(9) `reset` of every resettable endpoint (VFs excepted: a VF under
    igbvf can block for ever, see reset-deadline): the first live method of
    the kernel's list works, the stale `bus` is moved past (ENOTTY),
    reset_method is left as the kernel had it (or the part of it the kernel
    still takes, never re-probed), the driver stays bound; the e1000 whose only method is the stale `bus` fails
    under strict and is reported, once, under no-strict."""
    sc = Scenario("reset")
    stale = fixture_stale()
    summary = []
    for bdf in sys_functions():
        kernel = read_attr(bdf, "reset_method")
        if kernel is None or is_bridge(bdf) or link_name(bdf, "physfn"):
            continue
        driver = link_name(bdf, "driver")
        live = [m for m in kernel.split() if m not in stale.get(bdf, [])]
        status, data, err = cli("reset", "--allow-host-drivers", "--timeout", "20000", bdf)
        r = (data or {}).get("results", [{}])[0]
        if not live:
            if status != 1 or r.get("ok") is not False:
                sc.fail(f"{bdf}: no live method, want exit 1 and ok false; got {status} {r}")
            status2, data2, err2 = cli("reset", "--allow-host-drivers", "--policy", "no-strict",
                                       bdf, env={"VFIORESET_LOG": "warning"})
            r2 = (data2 or {}).get("results", [{}])[0]
            if status2 != 0 or not r2.get("ok") or not r2.get("ignored_by_policy"):
                sc.fail(f"{bdf}: no-strict should succeed flagged; got {status2} {r2}")
            if err2.count("no-strict") != 1:
                sc.fail(f"{bdf}: want one warning naming the no-strict policy, got {err2!r}")
            summary.append(f"{bdf} none (no-strict ignored)")
            continue
        if status != 0 or not r.get("ok"):
            sc.fail(f"{bdf}: reset exited {status}: {err}; {r}")
            continue
        sc.check(f"{bdf} method", r.get("method"), live[0])
        sc.check(f"{bdf} driver after reset", link_name(bdf, "driver"), driver)
        sc.check(f"{bdf} timed_out", r.get("timed_out"), False)
        after = read_attr(bdf, "reset_method")
        if after != kernel and after.split() != live:
            sc.fail(f"{bdf}: reset_method left as '{after}', was '{kernel}'")
        summary.append(f"{bdf} {r.get('method')}")
    sc.finish(", ".join(summary))


def stuck_calls():
    """(pid, state, VmRSS in KiB, command line) of each vfioreset-call running:
    the processes a deadline left in the kernel."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if not os.readlink(f"/proc/{pid}/exe").endswith("/vfioreset-call"):
                continue
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{pid}/status") as f:
                rss = next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), -1)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        found.append((int(pid), state, rss, cmdline))
    return found


def scenario_reset_deadline():
    """(10) doc/kernel-behaviour.md: a sysfs reset of an igb VF still bound to igbvf blocks
    for ever. `reset --timeout` returns at the deadline, saying so, and the
    store is left in vfioreset-call (not in a copy of the caller), still in
    the kernel. Runs last: the stuck store keeps the VF's device lock."""
    sc = Scenario("reset-deadline")
    vfs = [b for b in sys_functions() if link_name(b, "physfn") and
           link_name(b, "driver") == "igbvf"]
    if not vfs:
        sc.finish("no VF bound to igbvf (QEMU without igb)", skip=True)
        return
    bdf = vfs[0]
    p = subprocess.Popen([VFIORESET, "--json", "reset", "--allow-host-drivers",
                          "--timeout", "3000", bdf],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        sc.fail(f"{bdf}: vfioreset did not return within 30 s of a 3 s deadline")
        sc.finish(bdf)
        return
    try:
        r = json.loads(stdout)["results"][0]
    except (ValueError, KeyError, IndexError):
        sc.fail(f"{bdf}: no result (exit {p.returncode}): {stderr.strip()}")
        sc.finish(bdf)
        return
    if r.get("timed_out"):
        # The store is still blocked in the kernel: the result must say so.
        sc.check(f"{bdf} ok", r.get("ok"), False)
        sc.check(f"{bdf} exit status", p.returncode, 1)
        sc.check(f"{bdf} method", r.get("method"), None)
        stuck = [c for c in stuck_calls() if c[3] == "vfioreset-call store 1"]
        if len(stuck) != 1:
            sc.fail(f"{bdf}: want one vfioreset-call left in the store, found {stuck_calls()}")
            how = "blocked; returned at the deadline"
        else:
            pid, state, rss, _ = stuck[0]
            # Still in the store, not exited: 6.12 showed D or R (igbvf's
            # wait sleeps and polls).
            if state in ("Z", "X"):
                sc.fail(f"{bdf}: the vfioreset-call left in the store has exited ({state})")
            how = (f"blocked; returned at the deadline, the store left in vfioreset-call "
                   f"{pid} (state {state}, VmRSS {rss} KiB)")
    else:
        # This kernel's igbvf let the reset finish: then it must have worked.
        sc.check(f"{bdf} ok", r.get("ok"), True)
        sc.check(f"{bdf} exit status", p.returncode, 0)
        how = "did not block on this kernel"
    sc.finish(f"{bdf}: {how}; exit {p.returncode}, attempts {r.get('attempts')}")


# --- hot reset: the prediction against the kernel's own INFO answer ---------------

def cdev_kernel():
    return os.path.isdir("/sys/class/vfio-dev") and os.path.exists("/dev/iommu")


def check_pairs(check):
    return sorted((a["address"], bool(a["blocker"])) for a in check.get("affected", []))


def hot_case(sc, name, held, target, want_entries, want_allowed, cdev):
    """Bind @held to vfio-pci, then compare `hot-reset-check` predicted and
    asked of the kernel (--kernel) for @target; restore the drivers."""
    before = {b: link_name(b, "driver") for b in held}
    mode = ["--cdev"] if cdev else []
    status, data, err = cli("bind", *held)
    if status != 0:
        sc.fail(f"{name}: `vfioreset bind {' '.join(held)}` exited {status}: {err}")
        cli("restore", *held)
        return f"{name}: bind failed"
    holding = ["--holding", ",".join(held)]
    _, pred, perr = cli("hot-reset-check", *mode, *holding, target)
    _, kern, kerr = cli("hot-reset-check", "--kernel", *mode, *holding, target)
    status, _, err = cli("restore", *held)
    if status != 0:
        sc.fail(f"{name}: restore exited {status}: {err}")
    for b in held:
        if link_name(b, "driver") != before[b]:
            sc.fail(f"{name}: {b} has driver {link_name(b, 'driver')} after restore, "
                    f"had {before[b]}")
    if not pred or not kern:
        sc.fail(f"{name}: no answer (prediction: {perr!r}; kernel: {kerr!r})")
        return f"{name}: no answer"
    p, k = pred["checks"][0], kern["checks"][0]
    if k.get("source") != "kernel":
        sc.fail(f"{name}: --kernel did not ask the kernel: {k.get('error') or k}")
        return f"{name}: kernel not asked"
    want = want_allowed if not PARAMS["break"] else not want_allowed
    sc.check(f"{name} kernel allowed", k["allowed"], want)
    sc.check(f"{name} kernel entries", len(k["affected"]), want_entries)
    sc.check(f"{name} predicted allowed", p["allowed"], k["allowed"])
    sc.check(f"{name} predicted errno", p["errno"], k["errno"])
    sc.check(f"{name} predicted entries/blockers", check_pairs(p), check_pairs(k))
    return f"{name} {'allowed' if k['allowed'] else 'denied ' + str(k.get('errno_name'))}" \
           f" ({len(k['affected'])})"


def partial_case(sc, pair):
    """One function of the two-function group on vfio-pci, the other left on
    e1000e: the kernel refuses the group (SET_CONTAINER: EPERM, doc/kernel-behaviour.md), and
    the prediction names the other function as the blocker."""
    held, other = pair[0], pair[1]
    driver = link_name(other, "driver")
    status, _, err = cli("bind", held)
    if status != 0:
        sc.fail(f"partial: bind {held} exited {status}: {err}")
    _, pred, _ = cli("hot-reset-check", held)
    _, kern, _ = cli("hot-reset-check", "--kernel", held)
    cli("restore", held)
    sc.check(f"partial: {held} driver after restore", link_name(held, "driver"), driver)
    p = (pred or {}).get("checks", [{}])[0]
    k = (kern or {}).get("checks", [{}])[0]
    blockers = [a["address"] for a in p.get("affected", []) if a.get("blocker")]
    sc.check("partial: predicted allowed", p.get("allowed"), False)
    sc.check("partial: predicted blockers", blockers, [other])
    reason = next((a.get("reason") or "" for a in p.get("affected", [])
                   if a["address"] == other), "")
    if driver not in reason:
        sc.fail(f"partial: the blocker's reason does not name {driver}: {reason!r}")
    sc.check("partial: kernel allowed", k.get("allowed"), False)
    sc.check("partial: kernel errno (SET_CONTAINER)", k.get("errno_name"), "EPERM")
    return f"partial {held} denied, blocker {' '.join(blockers)}; kernel {k.get('errno_name')}"


def scenario_hot_reset_check():
    """(11) the hot-reset cases of doc/kernel-behaviour.md, group mode (and cdev mode on the cdev
    kernel): lone e1000e 1 entry, two-function e1000e 2, the two devices
    behind the pcie-pci-bridge 2, an igb VF with its PF on igb 3 and denied,
    one function of the pair held and the other on e1000e denied; the
    prediction from sysfs equals the kernel's INFO answer, entry by entry."""
    sc = Scenario("hot-reset-check")
    lone = find_by_driver("e1000e", alone=True)
    pair = find_by_driver("e1000e", alone=False)
    behind = [b for b in sys_functions() if link_name(b, "driver") in ("e1000", "8139cp")
              and not is_bridge(b) and len(below_parent(b)) == 2]
    vfs = [b for b in sys_functions() if link_name(b, "physfn")]
    bridge = None
    if behind:
        bridge = os.path.basename(os.path.dirname(os.path.realpath(
            os.path.join(SYSPCI, behind[0]))))
    done = []
    # A bridge bound to shpchp (built into the cdev kernel) makes the group
    # behind it non-viable: unbind it for the cases that need that group.
    bridge_driver = link_name(bridge, "driver") if bridge else None
    if bridge_driver:
        write_attr(os.path.join(SYSPCI, bridge, "driver", "unbind"), bridge)
    for cdev in ([False, True] if cdev_kernel() else [False]):
        tag = "cdev " if cdev else ""
        if lone:
            done.append(hot_case(sc, f"{tag}lone {lone}", [lone], lone, 1, True, cdev))
        if pair:
            pair2 = below_parent(pair)
            done.append(hot_case(sc, f"{tag}pair {pair2[0]}", pair2, pair2[0], 2, True, cdev))
        if len(behind) == 2:
            done.append(hot_case(sc, f"{tag}behind-bridge", behind, behind[0], 2, True, cdev))
        if vfs:
            done.append(hot_case(sc, f"{tag}vf {vfs[0]}", [vfs[0]], vfs[0], 3, False, cdev))
    if pair:
        done.append(partial_case(sc, below_parent(pair)))
    if bridge_driver:
        write_attr(f"/sys/bus/pci/drivers/{bridge_driver}/bind", bridge)
        sc.check(f"{bridge} driver after the checks", link_name(bridge, "driver"), bridge_driver)
    if not lone or not pair or len(behind) != 2:
        sc.fail("the topology of doc/kernel-behaviour.md is incomplete in this guest")
    sc.finish("; ".join(done))


def scenario_slow_link():
    """(12) doc/kernel-behaviour.md: below a root port at QEMU's default link settings, a bus
    reset resets the device but the kernel returns ENOTTY. vfioreset, told to
    use `bus` only, reports exactly the kernel's errno for it, fails under
    strict, and leaves the driver bound and reset_method as it was."""
    sc = Scenario("slow-link")
    bdf = next((b for b in sys_functions() if b.endswith(":00.0") and
                os.path.basename(os.path.dirname(os.path.realpath(
                    os.path.join(SYSPCI, b)))) == "0000:00:02.6"), None)
    if bdf is None:
        sc.fail("no function below the default-speed root port 0000:00:02.6")
        sc.finish("topology")
        return
    path = os.path.join(SYSPCI, bdf)
    listed = read_attr(bdf, "reset_method")
    driver = link_name(bdf, "driver")
    if "bus" not in (listed or "").split():
        sc.fail(f"{bdf}: the kernel lists '{listed}', no bus reset to try")
        sc.finish(bdf)
        return
    # The kernel's own answer first.
    err = write_attr(os.path.join(path, "reset_method"), "bus")
    kernel_errno = err or write_attr(os.path.join(path, "reset"), "1")
    write_attr(os.path.join(path, "reset_method"), listed)
    status, data, stderr = cli("reset", "--allow-host-drivers", "--method", "bus",
                               "--timeout", "20000", bdf)
    r = (data or {}).get("results", [{}])[0]
    attempts = r.get("attempts") or []
    if not attempts:
        sc.fail(f"{bdf}: no attempt reported (exit {status}: {stderr})")
    else:
        sc.check(f"{bdf} attempt method", attempts[0].get("method"), "bus")
        sc.check(f"{bdf} attempt errno", attempts[0].get("errno"), kernel_errno)
    want_ok = kernel_errno == 0
    sc.check(f"{bdf} ok", r.get("ok"), want_ok)
    sc.check(f"{bdf} exit status", status, 0 if want_ok else 1)
    sc.check(f"{bdf} driver after", link_name(bdf, "driver"), driver)
    sc.check(f"{bdf} reset_method after", read_attr(bdf, "reset_method"), listed)
    sc.finish(f"{bdf}: kernel bus reset errno {kernel_errno}; vfioreset "
              f"{[(a.get('method'), a.get('errno')) for a in attempts]}")


def hot_reset_case(sc, name, held, target, method, cdev, want_errno):
    """Bind @held, reset @target with only @method through the CLI's own VFIO
    holding, restore. @want_errno: the errno of the one attempt the kernel
    answers (doc/kernel-behaviour.md), or None when the plan must refuse (no attempt)."""
    before = {b: link_name(b, "driver") for b in held}
    status, _, err = cli("bind", *held)
    if status != 0:
        sc.fail(f"{name}: bind exited {status}: {err}")
    others = [b for b in held if b != target]
    args = ["reset", "--vfio", *(["--cdev"] if cdev else []),
            *(["--holding", ",".join(others)] if others else []),
            "--method", method, "--timeout", "20000", target]
    status, data, err = cli(*args)
    cli("restore", *held)
    for b in held:
        sc.check(f"{name}: {b} driver after restore", link_name(b, "driver"), before[b])
    r = (data or {}).get("results", [{}])[0]
    attempts = [(a.get("method"), a.get("errno")) for a in r.get("attempts") or []]
    if want_errno is None:
        sc.check(f"{name}: attempts", attempts, [])
        sc.check(f"{name}: exit status", status, 1)
        if "0000:" not in (r.get("message") or ""):
            sc.fail(f"{name}: the refusal does not name the blocking function: "
                    f"{r.get('message')!r}")
        return f"{name} refused"
    want = want_errno if not PARAMS["break"] else (want_errno + 1)
    sc.check(f"{name}: attempts", attempts, [(method, want)])
    sc.check(f"{name}: ok", r.get("ok"), want == 0)
    sc.check(f"{name}: exit status", status, 0 if want == 0 else 1)
    return f"{name} {method} errno {attempts[0][1] if attempts else '-'}"


def scenario_hot_reset():
    """(13) Resets through VFIO with the CLI holding the functions: hot reset
    of the lone e1000e and of the two-function device (all group fds, or an
    empty array on the cdev kernel) succeed; VFIO_DEVICE_RESET of the lone
    e1000e succeeds; an igb VF's hot reset is refused before any ioctl (its
    PF is on igb); below the default-speed root port the kernel's hot reset
    returns ENOTTY (doc/kernel-behaviour.md) and that is what the result says."""
    sc = Scenario("hot-reset")
    lone = find_by_driver("e1000e", alone=True)
    pair = find_by_driver("e1000e", alone=False)
    vfs = [b for b in sys_functions() if link_name(b, "physfn")]
    slow = next((b for b in sys_functions() if os.path.basename(os.path.dirname(
        os.path.realpath(os.path.join(SYSPCI, b)))) == "0000:00:02.6"), None)
    done = []
    for cdev in ([False, True] if cdev_kernel() else [False]):
        tag = "cdev " if cdev else ""
        if lone:
            done.append(hot_reset_case(sc, f"{tag}lone", [lone], lone, "hot", cdev, 0))
            done.append(hot_reset_case(sc, f"{tag}lone", [lone], lone, "vfio", cdev, 0))
        if pair:
            both = below_parent(pair)
            done.append(hot_reset_case(sc, f"{tag}pair", both, both[0], "hot", cdev, 0))
        if vfs:
            done.append(hot_reset_case(sc, f"{tag}vf", [vfs[0]], vfs[0], "hot", cdev, None))
        if slow:
            done.append(hot_reset_case(sc, f"{tag}slow-link", [slow], slow, "hot", cdev, 25))
    if not lone or not pair or not slow:
        sc.fail("the topology lacks a lone e1000e, the pair or the default-speed port")
    sc.finish("; ".join(done))


def kernel_accepts_group(bdf):
    """Whether the kernel lets a process take @bdf's group (GET_STATUS viable,
    SET_CONTAINER): `hot-reset-check --kernel` holds it first and reports the
    kernel's refusal as EPERM, "not viable"."""
    _, data, err = cli("hot-reset-check", "--kernel", bdf)
    k = (data or {}).get("checks", [{}])[0]
    if k.get("errno_name") == "EPERM" and "not viable" in (k.get("error") or ""):
        return False
    if k.get("source") != "kernel" or k.get("error"):
        raise RuntimeError(f"hot-reset-check --kernel {bdf}: {k.get('error') or err}")
    return True


def scenario_viability():
    """(14) Group viability as the kernel decides it: the two devices behind
    the pcie-pci-bridge bound to vfio-pci, the bridge left as it is. Where
    the bridge has a driver that does not leave DMA to vfio (shpchp, built
    into the cdev kernel) the kernel refuses the group (SET_CONTAINER:
    EPERM) and vfioreset's bind says the group is not viable, naming the
    bridge; where it has none, both say viable. Unbinding the bridge makes
    the kernel accept the group."""
    sc = Scenario("viability")
    behind = [b for b in sys_functions() if link_name(b, "driver") in ("e1000", "8139cp")
              and not is_bridge(b) and len(below_parent(b)) == 2]
    if len(behind) != 2:
        sc.fail("the two devices behind the pcie-pci-bridge are missing")
        sc.finish("topology")
        return
    bridge = os.path.basename(os.path.dirname(os.path.realpath(os.path.join(SYSPCI, behind[0]))))
    bridge_driver = link_name(bridge, "driver")
    before = {b: link_name(b, "driver") for b in behind}
    _, data, err = cli("bind", *behind)
    said = " ".join((r.get("message") or "") for r in (data or {}).get("results", []))
    vfr_viable = "not viable" not in said
    kernel_viable = kernel_accepts_group(behind[0])
    if PARAMS["break"]:
        kernel_viable = not kernel_viable
    sc.check("viable (vfioreset bind vs the kernel's SET_CONTAINER)", vfr_viable, kernel_viable)
    if not vfr_viable and bridge not in said:
        sc.fail(f"the non-viable group is not blamed on the bridge {bridge}: {said!r}")
    after_unbind = None
    if bridge_driver:
        write_attr(os.path.join(SYSPCI, bridge, "driver", "unbind"), bridge)
        after_unbind = kernel_accepts_group(behind[0])
        sc.check(f"kernel accepts the group once {bridge} is unbound", after_unbind, True)
        write_attr(f"/sys/bus/pci/drivers/{bridge_driver}/bind", bridge)
        sc.check(f"{bridge} driver back", link_name(bridge, "driver"), bridge_driver)
    cli("restore", *behind)
    for b in behind:
        sc.check(f"{b} driver after restore", link_name(b, "driver"), before[b])
    sc.finish(f"bridge {bridge} on {bridge_driver}: kernel {'viable' if kernel_viable else 'EPERM'}"
              f", vfioreset {'viable' if vfr_viable else 'not viable'}"
              + ("" if after_unbind is None else "; viable once the bridge is unbound"))


BEFORE_REPROBE = [
    ("plan", scenario_plan),
    ("reset", scenario_reset),
    ("bind", scenario_bind),
    ("viability", scenario_viability),
    ("hot-reset-check", scenario_hot_reset_check),
    ("slow-link", scenario_slow_link),
    ("hot-reset", scenario_hot_reset),
]
LAST = [
    ("reset-deadline", scenario_reset_deadline),
]
