#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark: `vfioreset --json list` against `lspci -D -nn -vvv` (and the
plain `lspci -D -nn`, which decodes nothing) on synthetic sysfs trees of N
PCI functions.

For every size N the fixture generator builds a tree
(`vfr-mkfixture --synthesize N > desc.ini; vfr-mkfixture desc.ini OUTDIR`),
then each tool is run once to warm up and R more times; the table shows the
median wall time, the peak resident memory (ru_maxrss from wait4), the
system calls per function (`perf stat` of the raw_syscalls tracepoint, at
full speed, where perf works; else `strace -f -c`, which slows every call
some thirty times and so inflates whatever a program does per interval of
time; `strace -f -c` also gives the breakdown by call), and the calls that
failed with ENOENT (`strace -f -Z`, one run). Each figure is reported
against the project's bars with PASS/MISS words; a MISS never makes this
script fail. It fails (status 1)
only when it cannot measure: a missing binary, or a tool that exits non-zero.

Python standard library only.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_SIZES = [256, 1024, 4096, 16384]
DEFAULT_RUNS = 5
DEFAULT_STRACE_MAX = 4096
# The project's bars (reported, never asserted).
SCALING_BAR = 16.0  # vfioreset time(16384) / time(1024): no worse than linear
SCALING_SIZES = (1024, 16384)
VS_LSPCI_BAR = 0.25  # vfioreset(4096) / lspci -vvv(4096)
VS_LSPCI_NN_BAR = 1.0  # vfioreset(4096) / lspci -nn(4096)
VS_LSPCI_SIZE = 4096
SYSCALLS_BAR = 14.0  # vfioreset system calls per function, at every size traced
TOOLS = ("vfioreset", "lspci", "lspci-nn")


class BenchError(Exception):
    pass


def parse_sizes(text):
    try:
        sizes = [int(s) for s in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}")
    if not sizes or any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return sizes


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def default_builddir():
    env = os.environ.get("MESON_BUILD_ROOT")
    if env:
        return env
    # `meson test` runs benchmarks from the build directory.
    if os.path.exists("build.ninja") and os.path.isdir("meson-private"):
        return os.getcwd()
    return None


def _enable_subreaper():
    """Makes this process the reaper of its orphaned descendants, so that it
    can wait4() for a grandchild started by /bin/sh. False when it cannot."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


PR_SET_CHILD_SUBREAPER = 36
# sh forks a subshell, prints its pid and exits, which reparents the
# subshell to us (the subreaper); the subshell waits for the "go" (EOF on
# its stdin) and then execs the tool, which we wait4() for. The subshell is
# forked from the small sh, not from Python, so the tool's ru_maxrss is its own.
SPAWN_SCRIPT = """out=$1; shift; exec 3<&0
{ read go <&3 || :; exec "$@" 3<&- </dev/null >"$out"; } >/dev/null &
echo $!"""


class Runner:
    """Runs a command once; returns (wall seconds, user+system CPU seconds,
    peak RSS in KiB).

    ru_maxrss of a process forked straight from Python is never below the
    RSS Python had when it forked: exec records the high-water mark of the
    old address space too. So, when it can, the runner lets a small /bin/sh
    fork the process (see SPAWN_SCRIPT) and wait4()s for it as its
    subreaper. The clock starts at the "go" and stops when wait4() returns;
    `overhead_ms` is the same measure of /bin/true.
    Without a subreaper it falls back to Popen + wait4(), and the peak
    memory is then an upper bound."""

    def __init__(self):
        self.clean = os.path.exists("/bin/sh") and _enable_subreaper()
        self.overhead_ms = 0.0
        if self.clean:
            walls = [self.run(["/bin/true"])[0] for _ in range(5)]
            self.overhead_ms = statistics.median(walls) * 1000.0

    def run(self, argv, out_path=os.devnull):
        with tempfile.TemporaryFile() as err:
            if self.clean:
                sh = subprocess.Popen(["/bin/sh", "-c", SPAWN_SCRIPT, "sh", out_path] + argv,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=err)
                pid_text = sh.stdout.readline()
                sh.stdout.close()
                sh.wait()
                try:
                    pid = int(pid_text)
                except ValueError:
                    sh.stdin.close()
                    raise BenchError(f"/bin/sh did not start {argv[0]}")
                start = time.perf_counter()
                sh.stdin.close()  # go
                try:
                    _, status, rusage = os.wait4(pid, 0)
                except ChildProcessError:
                    raise BenchError(f"lost {argv[0]} (pid {pid}): not reparented to us")
                wall = time.perf_counter() - start
                code = os.waitstatus_to_exitcode(status)
            else:
                with open(out_path, "wb") as out:
                    start = time.perf_counter()
                    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=err)
                    _, status, rusage = os.wait4(proc.pid, 0)
                    wall = time.perf_counter() - start
                proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here
            if code != 0:
                err.seek(0)
                msg = err.read().decode(errors="replace").strip()[-2000:]
                raise BenchError(f"{' '.join(argv)} exited with {code}: {msg}")
        return wall, rusage.ru_utime + rusage.ru_stime, rusage.ru_maxrss  # KiB on Linux


def parse_strace_summary(path):
    """Returns (total calls, [(calls, syscall), ...] by calls descending)."""
    total = None
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            tokens = line.split()
            if len(tokens) < 5 or tokens[0].startswith(("%", "-")):
                continue
            try:
                calls = int(tokens[3])
            except ValueError:
                continue
            if tokens[-1] == "total":
                total = calls
            else:
                rows.append((calls, tokens[-1]))
    if total is None:
        raise BenchError(f"no total line in strace summary {path}")
    rows.sort(reverse=True)
    return total, rows


def count_syscalls(strace, argv):
    with tempfile.NamedTemporaryFile(prefix="strace-", suffix=".txt") as out:
        # strace's own exit status is the traced command's.
        proc = subprocess.run([strace, "-f", "-c", "-o", out.name] + argv,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        if proc.returncode != 0:
            msg = proc.stderr.decode(errors="replace").strip()[-2000:]
            raise BenchError(f"strace -f -c {' '.join(argv)} exited with {proc.returncode}: {msg}")
        return parse_strace_summary(out.name)


def count_perf(perf, argv):
    """(system calls, of them failing with ENOENT) of one run at full speed."""
    with tempfile.NamedTemporaryFile(prefix="perf-", suffix=".txt") as out:
        proc = subprocess.run([perf, "stat", "-x", ",", "-o", out.name,
                               "-e", "raw_syscalls:sys_enter",
                               "-e", "raw_syscalls:sys_exit", "--filter", "ret == -2",
                               "--"] + argv,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        if proc.returncode != 0:
            msg = proc.stderr.decode(errors="replace").strip()[-2000:]
            raise BenchError(f"perf stat {' '.join(argv)} exited with {proc.returncode}: {msg}")
        counts = {}
        with open(out.name, encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = line.strip().split(",")
                if len(fields) > 2 and fields[2].startswith("raw_syscalls:"):
                    try:
                        counts[fields[2]] = int(fields[0])
                    except ValueError as e:
                        raise BenchError(f"perf stat could not count: {line.strip()}") from e
    if set(counts) != {"raw_syscalls:sys_enter", "raw_syscalls:sys_exit"}:
        raise BenchError(f"perf stat gave {counts}")
    return counts["raw_syscalls:sys_enter"], counts["raw_syscalls:sys_exit"]


def count_enoent(strace, argv):
    """The calls that failed with ENOENT, by the last component of the name
    they were given, "(below a directory)" when it was opened relative to a
    directory descriptor (a function's attributes are): (total, [(calls,
    "syscall name"), ...] descending)."""
    with tempfile.NamedTemporaryFile(prefix="strace-", suffix=".txt") as out:
        proc = subprocess.run([strace, "-f", "-Z", "-o", out.name] + argv,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        if proc.returncode != 0:
            msg = proc.stderr.decode(errors="replace").strip()[-2000:]
            raise BenchError(f"strace -f -Z {' '.join(argv)} exited with {proc.returncode}: {msg}")
        counts = {}
        with open(out.name, encoding="utf-8", errors="replace") as f:
            for line in f:
                if "ENOENT" not in line:
                    continue
                call = line.split("(", 1)[0].split()[-1]
                first = line.split("(", 1)[1].split(",", 1)[0] if "(" in line else ""
                q = line.find('"')
                name = line[q + 1:line.find('"', q + 1)] if q >= 0 else "?"
                below = first.isdigit() and not name.startswith("/")
                key = (f"{call} {os.path.basename(name.rstrip('/')) or name}"
                       + (" (below a directory)" if below else ""))
                counts[key] = counts.get(key, 0) + 1
    rows = sorted(((c, k) for k, c in counts.items()), reverse=True)
    return sum(counts.values()), rows


def count_listed(tool, path):
    """How many functions a tool's output lists (sanity check of the warm-up run)."""
    if tool == "vfioreset":
        with open(path, encoding="utf-8") as f:
            return len(json.load(f)["devices"])
    if tool == "lspci-nn":
        with open(path, encoding="utf-8", errors="replace") as f:
            return sum(1 for line in f if line.strip())
    with open(path, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if line[:1] not in ("", "\n", "\t", " "))


# The generator must not take the machine down if it runs away: it gets
# this much address space and time (a 16384-function tree needs ~100 MiB, ~15 s).
GENERATOR_AS_BYTES = 4 << 30
GENERATOR_TIMEOUT_S = 240


def _limit_generator():
    resource.setrlimit(resource.RLIMIT_AS, (GENERATOR_AS_BYTES, GENERATOR_AS_BYTES))


def run_generator(argv, stdout):
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                              stderr=subprocess.PIPE, preexec_fn=_limit_generator,
                              timeout=GENERATOR_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(argv)} took more than {GENERATOR_TIMEOUT_S} s")
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip()[-2000:]
        raise BenchError(f"{' '.join(argv)} exited with {proc.returncode} "
                         f"(address space limited to {GENERATOR_AS_BYTES >> 30} GiB): {msg}")


def make_tree(mkfixture, n, seed, workdir):
    desc = os.path.join(workdir, f"desc-{n}.ini")
    root = os.path.join(workdir, f"root-{n}")
    start = time.perf_counter()
    with open(desc, "wb") as f:
        run_generator([mkfixture, "--synthesize", str(n), "--seed", str(seed)], f)
    run_generator([mkfixture, desc, root], subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    os.unlink(desc)
    devices = os.path.join(root, "sys", "bus", "pci", "devices")
    try:
        functions = len(os.listdir(devices))
    except FileNotFoundError:
        raise BenchError(f"the fixture for N={n} has no {devices}")
    return root, functions, elapsed


def tool_argv(tool, binaries, root):
    if tool == "vfioreset":
        return [binaries["vfioreset"], "--root", root, "--json", "list"]
    verbose = ["-vvv"] if tool == "lspci" else []
    return [binaries["lspci"], "-D", "-nn"] + verbose + [
        "-A", "linux-sysfs", "-O", f"sysfs.path={os.path.join(root, 'sys', 'bus', 'pci')}"]


def measure_size(n, args, binaries, runner, workdir, log):
    root, functions, gen_s = make_tree(binaries["mkfixture"], n, args.seed, workdir)
    log(f"N={n}: fixture with {functions} functions generated in {gen_s:.1f} s")
    if functions != n:
        log(f"N={n}: warning: the tree holds {functions} functions, not {n}; "
            "per-function figures use the real count")
    result = {"n": n, "functions": functions, "fixture_seconds": round(gen_s, 3)}
    tools = [t for t in TOOLS if t in binaries or (t == "lspci-nn" and "lspci" in binaries)]
    argvs = {t: tool_argv(t, binaries, root) for t in tools}
    walls = {t: [] for t in tools}
    cpus = {t: [] for t in tools}
    rss = {t: [] for t in tools}
    listed = {}
    # Warm-up: page cache, pci.ids, and a check that the output is complete.
    for tool in tools:
        out_path = os.path.join(workdir, f"out-{tool}-{n}")
        runner.run(argvs[tool], out_path)
        listed[tool] = count_listed(tool, out_path)
        os.unlink(out_path)
        if listed[tool] != functions:
            log(f"N={n}: warning: {tool} listed {listed[tool]} of {functions} functions")
    # The tools take turns, so that a slow moment of the machine hits both.
    for _ in range(args.runs):
        for tool in tools:
            wall, cpu, maxrss = runner.run(argvs[tool])
            walls[tool].append(wall)
            cpus[tool].append(cpu)
            rss[tool].append(maxrss)
    for tool in TOOLS:
        if tool not in tools:
            result[tool] = None
            continue
        w = walls[tool]
        entry = {
            "median_ms": statistics.median(w) * 1000.0,
            "min_ms": min(w) * 1000.0,
            "max_ms": max(w) * 1000.0,
            "times_ms": [round(x * 1000.0, 3) for x in w],
            "cpu_median_ms": statistics.median(cpus[tool]) * 1000.0,
            "peak_mib": max(rss[tool]) / 1024.0,
            "listed": listed[tool],
            "syscalls": None,
            "syscalls_per_fn": None,
            "top_syscalls": None,
            "strace_seconds": None,
            "enoent": None,
            "enoent_top": None,
        }
        entry["syscalls_counter"] = None
        entry["syscalls_strace"] = None
        entry["enoent_full_speed"] = None
        # lspci -nn is only a time bar: its system calls are not counted.
        if binaries.get("perf") and n <= args.strace_max and tool != "lspci-nn":
            total, enoent = count_perf(binaries["perf"], argvs[tool])
            entry["syscalls"] = total
            entry["syscalls_per_fn"] = total / functions if functions else None
            entry["syscalls_counter"] = "perf"
            entry["enoent_full_speed"] = enoent
        if binaries.get("strace") and n <= args.strace_max and tool != "lspci-nn":
            t0 = time.perf_counter()
            total, rows = count_syscalls(binaries["strace"], argvs[tool])
            entry["strace_seconds"] = round(time.perf_counter() - t0, 2)
            entry["syscalls_strace"] = total
            if entry["syscalls_counter"] is None:
                entry["syscalls"] = total
                entry["syscalls_per_fn"] = total / functions if functions else None
                entry["syscalls_counter"] = "strace"
            entry["top_syscalls"] = [{"syscall": name, "calls": calls} for calls, name in rows[:8]]
            if tool == "vfioreset":
                total, rows = count_enoent(binaries["strace"], argvs[tool])
                entry["enoent"] = total
                entry["enoent_top"] = [{"call": name, "calls": calls} for calls, name in rows[:12]]
        result[tool] = entry
        log(f"N={n}: {tool}: median {entry['median_ms']:.1f} ms "
            f"(min {entry['min_ms']:.1f}, max {entry['max_ms']:.1f}; "
            f"CPU {entry['cpu_median_ms']:.1f}), "
            f"peak {entry['peak_mib']:.1f} MiB"
            + (f", {entry['syscalls_per_fn']:.1f} syscalls/fn ({entry['syscalls_counter']}"
               + (f"; {entry['syscalls_strace'] / functions:.1f} under strace, "
                  f"run {entry['strace_seconds']:.1f} s"
                  if entry["syscalls_strace"] is not None else "") + ")"
               if entry["syscalls_per_fn"] is not None else ""))
    v, l, nn = result["vfioreset"], result["lspci"], result["lspci-nn"]
    result["ratio"] = v["median_ms"] / l["median_ms"] if v and l and l["median_ms"] else None
    result["ratio_nn"] = v["median_ms"] / nn["median_ms"] if v and nn and nn["median_ms"] else None
    shutil.rmtree(root, ignore_errors=True)
    return result


def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def print_table(results, have_strace, have_lspci):
    headers = ["N", "vfioreset median ms", "lspci -vvv median ms", "ratio",
               "lspci -nn median ms", "ratio -nn",
               "vfioreset peak MiB", "lspci -vvv peak MiB", "lspci -nn peak MiB",
               "vfioreset syscalls/fn", "lspci -vvv syscalls/fn", "vfioreset ENOENT/fn"]
    rows = []
    nolspci = "n/a" if not have_lspci else "-"
    nostrace = "n/a" if not have_strace else "-"
    for r in results:
        v, l, nn = r["vfioreset"], r["lspci"] or {}, r["lspci-nn"] or {}
        rows.append([
            str(r["n"]),
            fmt(v["median_ms"], ".1f"),
            fmt(l.get("median_ms"), ".1f", nolspci),
            fmt(r["ratio"], ".2f") + ("x" if r["ratio"] is not None else ""),
            fmt(nn.get("median_ms"), ".1f", nolspci),
            fmt(r["ratio_nn"], ".2f") + ("x" if r["ratio_nn"] is not None else ""),
            fmt(v["peak_mib"], ".1f"),
            fmt(l.get("peak_mib"), ".1f", nolspci),
            fmt(nn.get("peak_mib"), ".1f", nolspci),
            fmt(v["syscalls_per_fn"], ".1f", nostrace),
            fmt(l.get("syscalls_per_fn"), ".1f", nostrace),
            fmt((v["enoent_full_speed"] if v["enoent_full_speed"] is not None else v["enoent"])
                / r["functions"] if v["enoent"] is not None else None, ".2f",
                nostrace),
        ])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.rjust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |")


def figures(results, key="median_ms"):
    """The time bars, from the median wall times (or from another entry key)."""
    by_n = {r["n"]: r for r in results}
    lo, hi = SCALING_SIZES
    scaling = {"what": f"vfioreset time({hi}) / time({lo})", "bar": SCALING_BAR,
               "value": None, "verdict": "n/a"}
    if lo in by_n and hi in by_n:
        scaling["value"] = by_n[hi]["vfioreset"][key] / by_n[lo]["vfioreset"][key]
        scaling["verdict"] = "PASS" if scaling["value"] <= SCALING_BAR else "MISS"
    at = by_n.get(VS_LSPCI_SIZE)
    out = [scaling]
    for tool, words, bar in (("lspci", "lspci -vvv", VS_LSPCI_BAR),
                             ("lspci-nn", "lspci -nn", VS_LSPCI_NN_BAR)):
        vs = {"what": f"vfioreset({VS_LSPCI_SIZE}) / {words}({VS_LSPCI_SIZE})", "bar": bar,
              "value": None, "verdict": "n/a"}
        if at and at["vfioreset"] and at.get(tool) and at[tool][key]:
            vs["value"] = at["vfioreset"][key] / at[tool][key]
            vs["verdict"] = "PASS" if vs["value"] <= bar else "MISS"
        out.append(vs)
    return tuple(out)


def count_figures(results):
    """The bars that are not times: syscalls per function and ENOENT at every
    size traced, peak memory against lspci -vvv's at every size."""
    traced = [r for r in results if r["vfioreset"]["syscalls_per_fn"] is not None]
    worst = max((r["vfioreset"]["syscalls_per_fn"] for r in traced), default=None)
    sysc = {"what": "vfioreset syscalls per function (worst size traced)", "bar": SYSCALLS_BAR,
            "value": worst, "verdict": "n/a" if worst is None else
            "PASS" if worst <= SYSCALLS_BAR else "MISS"}
    # A name below a function's directory that fails once per function, or more, is
    # one the listing of that directory showed absent. Absolute names are no
    # function's: the dynamic loader's search, and the pending-call records'
    # directory, looked at once per millisecond while the listing runs (under
    # strace, so some thirty times as often per function as at full speed).
    big = traced[-1] if traced else None
    per_fn = [t for t in (big["vfioreset"]["enoent_top"] or [])
              if t["call"].endswith("(below a directory)")
              and t["calls"] >= big["functions"] / 16] if big else []
    enoent_fig = {"what": "vfioreset calls that failed with ENOENT, at the largest size traced",
                  "value": big["vfioreset"]["enoent"] if big else None,
                  "names": [f"{t['call']} {t['calls']}" for t in
                            (big["vfioreset"]["enoent_top"] or [])] if big else [],
                  "per_function": [t["call"] for t in per_fn],
                  "verdict": "n/a" if not big else "MISS" if per_fn else "PASS"}
    pairs = [(r["vfioreset"]["peak_mib"], r["lspci"]["peak_mib"]) for r in results
             if r.get("lspci")]
    mem = {"what": "vfioreset peak memory <= lspci -vvv's, at every size",
           "value": max((v / l for v, l in pairs), default=None),
           "verdict": "n/a" if not pairs else
           "PASS" if all(v <= l for v, l in pairs) else "MISS"}
    return sysc, enoent_fig, mem


def print_figure(fig):
    if fig["value"] is None:
        print(f"{fig['what']}: n/a (size not measured; bar <= {fig['bar']:g}x)")
    else:
        print(f"{fig['what']}: {fig['value']:.2f}x  (bar <= {fig['bar']:g}x)  {fig['verdict']}")


# A tree takes about 80 KiB of tmpfs per function (1.3 GiB at 16384).
TREE_BYTES_PER_FUNCTION = 100 * 1024


def pick_tmpdir(largest):
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
    except OSError:
        return None
    if os.access(shm, os.W_OK | os.X_OK) and \
            st.f_bavail * st.f_frsize > 2 * largest * TREE_BYTES_PER_FUNCTION:
        return shm
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--builddir", default=None,
                    help="meson build directory (default: $MESON_BUILD_ROOT, "
                         "or the current directory when it is one)")
    ap.add_argument("--sizes", type=parse_sizes, default=DEFAULT_SIZES,
                    help="numbers of functions, comma or space separated "
                         f"(default: {','.join(map(str, DEFAULT_SIZES))})")
    ap.add_argument("--runs", type=positive_int, default=DEFAULT_RUNS,
                    help=f"timed runs per tool and size, after one warm-up (default: {DEFAULT_RUNS})")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed for vfr-mkfixture --synthesize (default: 0)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    ap.add_argument("--no-strace", action="store_true", help="skip the syscall counts")
    ap.add_argument("--strace-max", type=positive_int, default=DEFAULT_STRACE_MAX, metavar="N",
                    help="count syscalls only for sizes up to N (default: %(default)s; "
                         "strace costs tens of microseconds per call, and the count "
                         "per function does not depend on N)")
    ap.add_argument("--tmpdir", default=None,
                    help="where to build the trees (default: /dev/shm when it has room, "
                         "like sysfs in memory; else $TMPDIR)")
    args = ap.parse_args()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    builddir = args.builddir or default_builddir()
    if not builddir:
        ap.error("no build directory: pass --builddir or run from a meson build directory")
    builddir = os.path.abspath(builddir)
    binaries = {
        "vfioreset": os.path.join(builddir, "tools", "vfioreset"),
        "mkfixture": os.path.join(builddir, "tests", "mock-sysfs", "vfr-mkfixture"),
    }
    for name, path in binaries.items():
        if not os.access(path, os.X_OK):
            log(f"bench_list: {name} is not built: {path} (meson compile -C {builddir})")
            return 1
    notes = []
    lspci = shutil.which("lspci")
    if lspci:
        binaries["lspci"] = lspci
    else:
        notes.append("lspci not found: the lspci columns and the comparison are skipped")
    perf = None if args.no_strace else shutil.which("perf")
    if perf:
        try:
            count_perf(perf, ["/bin/true"])
            binaries["perf"] = perf
        except (BenchError, OSError) as e:
            notes.append(f"perf stat of raw_syscalls does not work here ({str(e)[:200]}): "
                         "system calls counted by strace, which inflates what is done "
                         "per interval of time")
            perf = None
    strace = None if args.no_strace else shutil.which("strace")
    if strace:
        try:
            count_syscalls(strace, ["/bin/true"])
        except (BenchError, OSError) as e:
            notes.append(f"strace does not work here ({str(e)[:200]}): "
                         "the syscall columns are skipped")
            strace = None
    if strace:
        binaries["strace"] = strace
    elif args.no_strace:
        notes.append("--no-strace: the syscall columns are skipped")
    elif not notes or "strace" not in notes[-1]:
        notes.append("strace not found: the syscall columns are skipped")
    for note in notes:
        log(note)

    sizes = sorted(set(args.sizes))
    if strace and any(n > args.strace_max for n in sizes):
        notes.append(f"syscalls counted only up to N={args.strace_max} (--strace-max)")
    tmpdir = args.tmpdir or pick_tmpdir(max(sizes))
    runner = Runner()
    if runner.clean:
        log(f"peak memory: tools are forked by /bin/sh and reaped by wait4() as subreaper; "
            f"/bin/true measures {runner.overhead_ms:.2f} ms that way")
    else:
        notes.append("peak memory is an upper bound: it includes this Python's RSS "
                     "(no subreaper, see Runner)")
    results = []
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="vfr-bench-", dir=tmpdir) as workdir:
            for n in sizes:
                results.append(measure_size(n, args, binaries, runner, workdir, log))
    except (BenchError, subprocess.CalledProcessError, OSError) as e:
        log(f"bench_list: {e}")
        return 1
    total_s = time.perf_counter() - start

    print(f"vfioreset list benchmark: median of {args.runs} runs after 1 warm-up, "
          f"{os.cpu_count()} CPUs, {platform.machine()} Linux {platform.release()}, "
          f"trees in {tmpdir or tempfile.gettempdir()}")
    print()
    print_table(results, bool(strace), bool(lspci))
    print()
    print("system calls and ENOENT per function counted by "
          + ("perf stat, at full speed" if perf else "strace"))
    print()
    scaling, vs, vs_nn = figures(results)
    print_figure(scaling)
    print_figure(vs)
    print_figure(vs_nn)
    sysc, enoent, mem = count_figures(results)
    if sysc["value"] is not None:
        print(f"{sysc['what']}: {sysc['value']:.1f}  (bar <= {SYSCALLS_BAR:g})  {sysc['verdict']}")
    if enoent["value"] is not None:
        print(f"{enoent['what']}: {enoent['value']}"
              + (f" ({', '.join(enoent['names'])})" if enoent["names"] else "")
              + "; failing for every function or more: "
              + (", ".join(enoent["per_function"]) or "none") + f"  {enoent['verdict']}")
    if mem["value"] is not None:
        print(f"{mem['what']}: worst {mem['value']:.2f}x  {mem['verdict']}")
    cpu_scaling, cpu_vs, cpu_vs_nn = figures(results, "cpu_median_ms")
    cpu_words = [f"{f['what']} {f['value']:.2f}x" for f in (cpu_scaling, cpu_vs, cpu_vs_nn)
                 if f["value"] is not None]
    if cpu_words:
        print("the same from CPU time (user+sys; less sensitive to a busy machine): "
              + ", ".join(cpu_words))
    traced = [r for r in results if r["vfioreset"]["syscalls"] is not None]
    if traced:
        big = traced[-1]
        for tool in ("vfioreset", "lspci"):
            entry = big.get(tool)
            if entry and entry["top_syscalls"]:
                top = ", ".join(f"{t['syscall']} {t['calls'] / big['functions']:.1f}"
                                for t in entry["top_syscalls"][:6])
                print(f"{tool} top syscalls per function at N={big['n']}: {top}")
    for note in notes:
        print(note)
    print(f"(benchmark took {total_s:.0f} s)")

    if args.json:
        doc = {
            "benchmark": "list",
            "runs": args.runs,
            "seed": args.seed,
            "sizes": sizes,
            "machine": {"cpus": os.cpu_count(), "arch": platform.machine(),
                        "kernel": platform.release(), "python": platform.python_version()},
            "commands": {
                "vfioreset": "vfioreset --root OUTDIR --json list",
                "lspci": "lspci -D -nn -vvv -A linux-sysfs -O sysfs.path=OUTDIR/sys/bus/pci",
                "lspci-nn": "lspci -D -nn -A linux-sysfs -O sysfs.path=OUTDIR/sys/bus/pci",
                "perf": "perf stat -x , -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit "
                        "--filter 'ret == -2' -- COMMAND" if perf else None,
                "strace": "strace -f -c -o FILE COMMAND" if strace else None,
                "enoent": "strace -f -Z -o FILE COMMAND" if strace else None,
            },
            "tmpdir": tmpdir or tempfile.gettempdir(),
            "memory_method": "wait4 on a grandchild forked by /bin/sh (subreaper)"
            if runner.clean else "wait4 on a child of Python (upper bound)",
            "spawn_overhead_ms": round(runner.overhead_ms, 3),
            "results": results,
            "scaling": scaling,
            "vs_lspci": vs,
            "vs_lspci_nn": vs_nn,
            "syscalls_per_fn": sysc,
            "enoent": enoent,
            "memory_vs_lspci": mem,
            "cpu_scaling": cpu_scaling,
            "cpu_vs_lspci": cpu_vs,
            "cpu_vs_lspci_nn": cpu_vs_nn,
            "notes": notes,
            "seconds": round(total_s, 1),
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
