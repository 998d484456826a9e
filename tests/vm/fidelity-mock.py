#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The VM suite's fidelity scenario with the mock harness in the kernel's
place: each q35 guest description is generated into a tree, and
guest_fidelity.py runs under vfioreset-mock on it, so it captures the
simulated guest and replays the capture beside it. The harness must answer
on the capture of a host exactly as on the host: a difference here is the
capture's or the harness's, which the VM suite would otherwise blame on the
kernel. Prints the scenario's lines; exit status 1 on a mismatch."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ["VFR_FIXTURES"]


def main():
    failed = False
    for name in ("qemu-q35.ini", "qemu-q35-cdev.ini"):
        with tempfile.TemporaryDirectory(prefix="vfr-fidelity-") as tmp:
            tree = os.path.join(tmp, "guest")
            env = {k: v for k, v in os.environ.items()
                   if k not in ("VFR_MOCK_ROOT", "VFIORESET_ROOT")}
            subprocess.run([os.environ["VFR_MKFIXTURE"], os.path.join(FIXTURES, name), tree],
                           check=True, env=env)
            env.update(VFR_FIDELITY_VFIORESET=os.environ["VFIORESET"],
                       VFR_FIDELITY_MKFIXTURE=os.environ["VFR_MKFIXTURE"],
                       VFR_FIDELITY_MOCK=os.environ["VFR_MOCK"],
                       VFR_FIDELITY_WORK=os.path.join(tmp, "fidelity"),
                       VFIORESET_LOG="err")
            p = subprocess.run([os.environ["VFR_MOCK"], tree, "--", sys.executable,
                                os.path.join(HERE, "guest_fidelity.py")],
                               env=env, capture_output=True, text=True, timeout=600)
            print(f"== {name}\n{p.stdout}{p.stderr}", flush=True)
            failed |= p.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
