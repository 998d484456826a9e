# SPDX-License-Identifier: LGPL-2.1-or-later
"""How faithful the mock harness is to this kernel, measured.

The guest is captured with `vfr-mkfixture --capture /` and generated into a
tree; then every operation below runs twice, on the real kernel and with
`vfioreset-mock TREE --` in front, and the two answers are compared field by
field (their JSON flattened to paths, plus the exit status). Both hosts go
through the same operations in the same order, so an answer that differs
also shows whether the two hosts drifted apart. The agreement is printed as
`VFR-FIDELITY KERNEL AGREE TOTAL`, and every field that differs fails the
scenario.

Operations: list; plan of every function; reset (strict, and no-strict) of
every endpoint with a reset method but VFs (a VF on igbvf can block for
ever, see reset-deadline), and its bus reset where one is listed and live;
bind and restore of a lone e1000e, the nvme, the two-function e1000e
(--group) and the two functions behind the pcie-pci-bridge (whose group the
cdev kernel's shpchp makes non-viable); hot-reset-check predicted and asked
of the kernel (--kernel) while the cases of doc/kernel-behaviour.md are bound, and in cdev
mode on the cdev kernel.
"""
import json
import os
import subprocess
import time

from guest_lib import SYSPCI, Scenario, link_name, read_attr, sys_functions
from guest_ops import below_parent, cdev_kernel, find_by_driver, is_bridge

VFIORESET = os.environ.get("VFR_FIDELITY_VFIORESET", "/usr/bin/vfioreset")
MKFIXTURE = os.environ.get("VFR_FIDELITY_MKFIXTURE", "/usr/bin/vfr-mkfixture")
MOCK = os.environ.get("VFR_FIDELITY_MOCK", "/usr/bin/vfioreset-mock")
WORK = os.environ.get("VFR_FIDELITY_WORK", "/tmp/fidelity")
TREE = WORK + "/tree"
DESCRIPTION = WORK + "/host.ini"

# Fields whose value differs from run to run on any host: a duration and pids.
VOLATILE = {"ms"}
PIDS = {"holders", "pending_pid"}


def flatten(value, path="", out=None):
    out = {} if out is None else out
    key = path.rsplit(".", 1)[-1].split("[")[0]
    if key in PIDS and value not in (None, []):
        out[path] = f"<{len(value) if isinstance(value, list) else 1} pid(s)>"
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in VOLATILE:
                flatten(v, f"{path}.{k}" if path else k, out)
    elif isinstance(value, list):
        if not value:
            out[path] = []
        for i, v in enumerate(value):
            flatten(v, f"{path}[{i}]", out)
    else:
        out[path] = value
    return out


def run_json(argv, timeout=120):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    try:
        data = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        data = {"unparsable stdout": p.stdout}
    return p.returncode, data, p.stderr.strip()


class Fidelity:
    def __init__(self, sc):
        self.sc = sc
        self.agree = 0
        self.total = 0
        self.ops = 0

    def op(self, *args):
        """Runs `vfioreset --json ARGS` on the kernel and under the harness."""
        real = run_json([VFIORESET, "--json", *args])
        mock = run_json([MOCK, TREE, "--", VFIORESET, "--json", *args])
        self.ops += 1
        fields_real = flatten(real[1])
        fields_mock = flatten(mock[1])
        fields_real["<exit status>"] = real[0]
        fields_mock["<exit status>"] = mock[0]
        what = " ".join(args)
        for k in sorted(set(fields_real) | set(fields_mock)):
            self.total += 1
            a = fields_real.get(k, "<absent>")
            b = fields_mock.get(k, "<absent>")
            if a == b:
                self.agree += 1
            else:
                self.sc.fail(f"`{what}` {k}: kernel {a!r}, harness {b!r}")
        if real[0] not in (0, 1) or mock[0] not in (0, 1):
            self.sc.note(f"`{what}`: exit {real[0]} / {mock[0]}; stderr "
                         f"{real[2][-300:]!r} / {mock[2][-300:]!r}")
        return real[1]


def capture():
    """The guest described from its own files, then generated into TREE."""
    os.makedirs(WORK, exist_ok=True)
    p = subprocess.run([MKFIXTURE, "--capture", "/"], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"vfr-mkfixture --capture exited {p.returncode}: {p.stderr}")
    with open(DESCRIPTION, "w", encoding="utf-8") as f:
        f.write(p.stdout)
    g = subprocess.run([MKFIXTURE, "--force", DESCRIPTION, TREE], capture_output=True,
                       text=True, timeout=120)
    if g.returncode != 0:
        raise RuntimeError(f"vfr-mkfixture {DESCRIPTION}: {g.stderr}")
    return p.stdout, p.stderr.strip()


def resettable():
    """Endpoints with a reset_method, VFs left out."""
    return [b for b in sys_functions() if read_attr(b, "reset_method") is not None
            and not is_bridge(b) and not link_name(b, "physfn")]


def scenario_fidelity():
    """(F) The harness on a capture of this guest answers as this kernel does."""
    sc = Scenario("fidelity")
    start = time.monotonic()
    text, warnings = capture()
    said = []
    for line in text.splitlines():
        if line.startswith(("# not read", "# derived")):
            said.append(line[2:])
        elif line.startswith("["):
            # A section's comments come before it; the host's before [host].
            for n in said:
                sc.note(f"capture {line.strip('[]')}: {n}")
            said = []
    if warnings:
        sc.note(f"capture: {warnings}")
    f = Fidelity(sc)
    functions = sys_functions()

    f.op("list")
    f.op("plan", "--allow-host-drivers", *functions)
    for bdf in resettable():
        f.op("reset", "--allow-host-drivers", "--timeout", "20000", bdf)
        f.op("reset", "--allow-host-drivers", "--policy", "no-strict", "--timeout", "20000",
             bdf)
        listed = (read_attr(bdf, "reset_method") or "").split()
        if "bus" in listed:
            f.op("reset", "--allow-host-drivers", "--method", "bus", "--timeout", "20000", bdf)

    lone = find_by_driver("e1000e", alone=True)
    nvme = find_by_driver("nvme", alone=True)
    pair = find_by_driver("e1000e", alone=False)
    behind = [b for b in functions if link_name(b, "driver") in ("e1000", "8139cp")
              and not is_bridge(b) and len(below_parent(b)) == 2]
    vfs = [b for b in functions if link_name(b, "physfn")]
    cases = []
    if lone:
        cases.append(([lone], [lone], False))
    if nvme:
        cases.append(([nvme], [nvme], False))
    if pair:
        cases.append((below_parent(pair), [pair], True))
    if len(behind) == 2:
        cases.append((behind, behind, False))
    if vfs:
        cases.append(([vfs[0]], [vfs[0]], False))
    modes = [[], ["--cdev"]] if cdev_kernel() else [[]]
    for held, args, group in cases:
        f.op("bind", *(["--group"] if group else []), *args)
        holding = ["--holding", ",".join(held)]
        for mode in modes:
            f.op("hot-reset-check", *mode, *holding, held[0])
            f.op("hot-reset-check", "--kernel", *mode, *holding, held[0])
        f.op("restore", *(["--group"] if group else []), *args)
    f.op("list")

    pct = 100.0 * f.agree / f.total if f.total else 0.0
    print(f"VFR-FIDELITY {os.uname().release} {f.agree} {f.total}", flush=True)
    sc.finish(f"{f.ops} operations on the kernel and under vfioreset-mock on its capture: "
              f"{f.agree}/{f.total} fields agree ({pct:.2f}%); "
              f"{time.monotonic() - start:.0f} s")


SCENARIOS = [("fidelity", scenario_fidelity)]


if __name__ == "__main__":
    # Run on its own (fidelity-mock.py does, under vfioreset-mock): exit 1 on a mismatch.
    import sys

    from guest_lib import RESULTS

    scenario_fidelity()
    sys.exit(1 if "FAIL" in RESULTS else 0)
