#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The vm suite: boots real kernels under QEMU (TCG) with the q35 topology of
doc/kernel-behaviour.md and runs guest.py's scenarios inside them.

For each kernel it builds an initramfs (busybox-static, the kernel's modules
with their dependencies, the vfioreset CLI and library with their shared
libraries and the library's vfioreset-call beside it, the host's lspci and
python3, guest.py), boots it with a bounded time, reads the `VFR-RESULT`
lines from the serial console and prints one line per scenario and kernel.
Exit status: 0 all passed, 1 something failed,
77 QEMU cannot run here at all.

Kernels: Debian's `linux-image-amd64` (6.1) and `linux-image-6.12-amd64`,
fetched with `apt-get download` into $VFR_VM_CACHE (default
~/.cache/vfioreset-vm), plus the vfio cdev kernel as "custom": $VFR_VM_KERNEL
(a bzImage with everything built in) when set, else $VFR_VM_CACHE/
bzImage-6.12-cdev when kernel/build-cdev-kernel.sh has built it there. QEMU: the system's; when it has no igb (QEMU < 8.0), QEMU from
the backports suite unpacked into the same cache, if it can be had.
Arguments or $VFR_VM_ONLY (comma-separated: 6.1, 6.12, custom) choose a
subset. See README.md beside this file for every knob.
"""
import concurrent.futures
import json
import os
import re
import selectors
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("VFR_SOURCE_ROOT") or os.path.dirname(os.path.dirname(HERE))
CACHE = os.environ.get("VFR_VM_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "vfioreset-vm")
# The vfio cdev/iommufd kernel, where kernel/build-cdev-kernel.sh puts it by default.
CDEV_KERNEL = os.path.join(CACHE, "bzImage-6.12-cdev")
BUILD_CDEV_HINT = (f"build it with tests/vm/kernel/build-cdev-kernel.sh (about an hour on two "
                   f"cores; it lands in {CDEV_KERNEL}), or point VFR_VM_KERNEL at a prebuilt one")
BOOT_TIMEOUT = int(os.environ.get("VFR_VM_TIMEOUT", "300"))
JOBS = int(os.environ.get("VFR_VM_JOBS", "2"))
QEMU = os.environ.get("VFR_VM_QEMU") or "qemu-system-x86_64"
QEMU_ARGS = []  # -L firmware directories of a privately unpacked QEMU
SKIP = 77

# name -> Debian package (a metapackage that depends on the real image).
DEBIAN_KERNELS = {"6.1": "linux-image-amd64", "6.12": "linux-image-6.12-amd64"}
MODULES = ["vfio", "vfio_iommu_type1", "vfio_pci", "vfio_pci_core", "irqbypass",
           "e1000e", "e1000", "virtio_pci", "virtio_net", "nvme", "8139cp"]
SCENARIOS = ["sriov", "list", "capabilities", "reset-methods", "vfio-bind", "bad-address",
             "fidelity", "reprobe"]

# Debian packages the harness needs, by the program it runs. scripts/setup
# installs the same packages; this only covers a run without it.
TOOLS = {QEMU: "qemu-system-x86", "busybox": "busybox-static", "lspci": "pciutils",
         "depmod": "kmod", "xz": "xz-utils", "dpkg-deb": "dpkg"}

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])

PRINT_LOCK = threading.Lock()
APT_LOCK = threading.Lock()


def log(msg):
    with PRINT_LOCK:
        print(msg, flush=True)


def sh(args, **kw):
    kw.setdefault("check", True)
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(args, **kw)


# --- packages ---------------------------------------------------------------

def as_root(args):
    return args if os.geteuid() == 0 else ["sudo", "-n", *args]


def apt_update_once(state={"done": False}):
    if not state["done"]:
        state["done"] = True
        sh(as_root(["apt-get", "update", "-qq"]), check=False)


def ensure_tools():
    missing = []
    for tool, pkg in TOOLS.items():
        if shutil.which(tool, path=SBIN_PATH) is None:
            missing.append(pkg)
    if sh(["dpkg-query", "-W", "-f=${Status}", "busybox-static"],
          check=False).stdout.find("ok installed") < 0:
        missing.append("busybox-static")
    missing = sorted(set(missing))
    if missing:
        log(f"vm: installing {' '.join(missing)}")
        apt_update_once()
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        p = sh(as_root(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        *missing]), check=False, env=env)
        if p.returncode != 0:
            log(f"vm: apt-get install failed: {p.stderr.strip()}")


def qemu_usable():
    """None when QEMU can run, else why not."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} not found and could not be installed"
    p = sh([QEMU, "-machine", "help"], check=False)
    if p.returncode != 0 or not re.search(r"^q35\s", p.stdout, re.M):
        return f"{QEMU} -machine help: no q35 ({p.stderr.strip()})"
    for dev in ("pcie-root-port", "intel-iommu", "e1000e", "nvme", "pcie-pci-bridge"):
        if not qemu_has(dev):
            return f"{QEMU} has no {dev} device"
    return None


def qemu_has(device, cache={}):
    if device not in cache:
        # `-device NAME,help` rather than `-device help`, which loads every
        # module of the QEMU build and fails on a privately unpacked QEMU.
        try:
            p = sh([QEMU, "-device", f"{device},help"], check=False)
        except OSError:
            return False
        cache[device] = p.returncode == 0 and f"{device} options:" in p.stdout
    return cache[device]


def backports_qemu():
    """QEMU from <codename>-backports (10.x, which has igb) unpacked into the
    cache with a private APT configuration (own sources, lists and archives;
    /etc/apt untouched). Returns (qemu binary, [-L dirs]) or None."""
    release = {}
    with open("/etc/os-release", encoding="utf-8") as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            release[k] = v.strip('"')
    codename = release.get("VERSION_CODENAME")
    if release.get("ID") != "debian" or not codename:
        return None
    dest = os.path.join(CACHE, f"qemu-{codename}-backports")
    root = os.path.join(dest, "root")
    qemu = os.path.join(root, "usr", "bin", "qemu-system-x86_64")
    fw = [os.path.join(root, "usr", "share", d) for d in ("qemu", "seabios")]
    if os.path.exists(os.path.join(dest, ".done")):
        return qemu, fw
    # The mirrors the system already uses for <codename>, with the backports suite.
    sources = []
    for path in [os.path.join("/etc/apt/sources.list.d", n)
                 for n in sorted(os.listdir("/etc/apt/sources.list.d"))
                 if n.endswith(".sources")]:
        with open(path, encoding="utf-8") as f:
            for stanza in f.read().split("\n\n"):
                fields = dict(re.findall(r"^([\w-]+):\s*(.*)$", stanza, re.M))
                if codename in fields.get("Suites", "").split() and \
                        "deb" in fields.get("Types", "").split():
                    sources.append(fields)
    if os.path.exists("/etc/apt/sources.list"):
        with open("/etc/apt/sources.list", encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*deb\s+(\[[^]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)", line)
                if m and m.group(3) == codename:
                    sources.append({"URIs": m.group(2), "Components": m.group(4)})
    if not sources:
        return None
    shutil.rmtree(dest, ignore_errors=True)
    apt = os.path.join(dest, "apt")
    for d in ("lists/partial", "cache/archives/partial", "sources.list.d", "preferences.d",
              "download"):
        os.makedirs(os.path.join(apt, d))
    with open(os.path.join(apt, "sources.list.d", "backports.sources"), "w",
              encoding="utf-8") as f:
        for src in sources:
            f.write(f"Types: deb\nURIs: {src['URIs']}\nSuites: {codename}-backports\n"
                    f"Components: {src.get('Components', 'main')}\n")
            if src.get("Signed-By"):
                f.write(f"Signed-By: {src['Signed-By']}\n")
            f.write("\n")
    conf = os.path.join(apt, "apt.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f'Dir::State::Lists "{apt}/lists";\nDir::Cache "{apt}/cache";\n'
                f'Dir::Etc::SourceList "/dev/null";\n'
                f'Dir::Etc::SourceParts "{apt}/sources.list.d";\n'
                f'Dir::Etc::Preferences "/dev/null";\n'
                f'Dir::Etc::PreferencesParts "{apt}/preferences.d";\n')
    env = dict(os.environ, APT_CONFIG=conf)
    dl = os.path.join(apt, "download")
    os.chmod(dl, 0o755)
    log(f"vm: fetching QEMU from {codename}-backports (private APT configuration in {apt})")
    if sh(["apt-get", "update", "-qq"], env=env, check=False).returncode != 0:
        return None
    for pkg in ("qemu-system-x86", "qemu-system-common", "qemu-system-data", "seabios"):
        p = sh(["apt-get", "download", "-q", f"{pkg}/{codename}-backports"], env=env, cwd=dl,
               check=False)
        if p.returncode != 0:
            p = sh(["apt-get", "download", "-q", pkg], env=env, cwd=dl, check=False)
        if p.returncode != 0:
            log(f"vm: apt-get download {pkg}: {p.stderr.strip()}")
            return None
    for deb in sorted(os.listdir(dl)):
        sh(["dpkg-deb", "-x", os.path.join(dl, deb), root])
    shutil.rmtree(apt, ignore_errors=True)
    if sh([qemu, "--version"], check=False).returncode != 0:
        return None
    open(os.path.join(dest, ".done"), "w", encoding="utf-8").close()
    return qemu, fw


def choose_qemu():
    """The system QEMU unless VFR_VM_QEMU names one; without igb (QEMU < 8.0)
    the backports QEMU is used when it can be had (VFR_VM_BACKPORTS=0: never)."""
    global QEMU
    if os.environ.get("VFR_VM_QEMU") or os.environ.get("VFR_VM_BACKPORTS") == "0" or \
            shutil.which(QEMU) is None or qemu_has("igb"):
        return
    try:
        found = backports_qemu()
    except (OSError, subprocess.SubprocessError) as e:
        log(f"vm: no backports QEMU: {e}")
        found = None
    if found is None:
        log("vm: no backports QEMU; the system QEMU has no igb, so no SR-IOV scenario")
        return
    QEMU = found[0]
    QEMU_ARGS[:] = [a for d in found[1] for a in ("-L", d)]
    qemu_has.__defaults__[0].clear()


# --- kernels ----------------------------------------------------------------

def apt_candidate(pkg):
    p = sh(["apt-cache", "policy", pkg], check=False)
    m = re.search(r"Candidate:\s*(\S+)", p.stdout)
    return None if not m or m.group(1) == "(none)" else m.group(1)


def apt_image_package(meta):
    """The real linux-image-KVER package a metapackage depends on."""
    p = sh(["apt-cache", "depends", meta], check=False)
    m = re.search(r"Depends:\s*(linux-image-\S+)", p.stdout)
    return m.group(1) if m else None


def debian_kernel(name, meta):
    """(vmlinuz, modules root, kernel release), fetched and unpacked once into
    the cache; the last unpacked version is used when apt cannot answer."""
    os.makedirs(CACHE, exist_ok=True)
    record = os.path.join(CACHE, f"{meta}.current")
    version = apt_candidate(meta)
    if version is None:
        apt_update_once()
        version = apt_candidate(meta)
    real = apt_image_package(meta) if version else None
    real_version = apt_candidate(real) if real else None
    if real and real_version:
        log(f"vm: {meta} {version} -> {real} {real_version} (apt-cache policy)")
        dest = os.path.join(CACHE, f"{real}_{real_version}".replace(":", "%3a"))
        if not os.path.exists(os.path.join(dest, ".done")):
            fetch_kernel(real, real_version, dest)
        with open(record, "w", encoding="utf-8") as f:
            f.write(dest)
    elif os.path.exists(record):
        with open(record, encoding="utf-8") as f:
            dest = f.read().strip()
        log(f"vm: apt has no {meta}; using the cached {os.path.basename(dest)}")
    else:
        raise RuntimeError(f"apt knows no {meta} and nothing is cached in {CACHE}")
    root = os.path.join(dest, "root")
    kver = os.listdir(os.path.join(root, "lib", "modules"))[0]
    return os.path.join(root, "boot", f"vmlinuz-{kver}"), root, kver


def fetch_kernel(pkg, version, dest):
    shutil.rmtree(dest, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="dl-", dir=CACHE)
    os.chmod(tmp, 0o755)  # apt's _apt user downloads into it
    try:
        log(f"vm: apt-get download {pkg}={version}")
        sh(["apt-get", "download", "-q", f"{pkg}={version}"], cwd=tmp)
        deb = next(f for f in os.listdir(tmp) if f.endswith(".deb"))
        root = os.path.join(dest, "root")
        os.makedirs(root)
        sh(["dpkg-deb", "-x", os.path.join(tmp, deb), root])
        kver = os.listdir(os.path.join(root, "lib", "modules"))[0]
        sh([shutil.which("depmod", path=SBIN_PATH) or "depmod", "-b", root, kver])
        open(os.path.join(dest, ".done"), "w", encoding="utf-8").close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def module_files(root, kver, names):
    """Module files (host paths) in load order, dependencies first."""
    ordered = []
    for name in names:
        modprobe = shutil.which("modprobe", path=SBIN_PATH) or "modprobe"
        p = sh([modprobe, "-d", root, "-S", kver, "--show-depends", name], check=False)
        if p.returncode != 0:
            raise RuntimeError(f"modprobe --show-depends {name} ({kver}): {p.stderr.strip()}")
        for line in p.stdout.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in ordered:
                ordered.append(parts[1])
    return ordered


# --- initramfs ----------------------------------------------------------------

class Cpio:
    """A newc cpio archive written from memory; every entry owned by root."""

    def __init__(self):
        self.entries = {}

    def dir(self, path):
        path = path.strip("/")
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            self.entries.setdefault("/".join(parts[:i]), (stat.S_IFDIR | 0o755, b""))

    def file(self, path, data, mode=0o644):
        path = path.strip("/")
        if "/" in path:
            self.dir(os.path.dirname(path))
        self.entries[path] = (stat.S_IFREG | mode, data)

    def copy(self, host_path, guest_path=None, mode=None):
        with open(host_path, "rb") as f:
            data = f.read()
        if mode is None:
            mode = os.stat(host_path).st_mode & 0o777
        self.file(guest_path or host_path, data, mode)

    def symlink(self, path, target):
        path = path.strip("/")
        self.dir(os.path.dirname(path))
        self.entries[path] = (stat.S_IFLNK | 0o777, target.encode())

    def write(self, out_path):
        with open(out_path, "wb") as f:
            ino = 1
            for name in sorted(self.entries, key=lambda n: (n.count("/"), n)):
                mode, data = self.entries[name]
                self._entry(f, ino, name, mode, data)
                ino += 1
            self._entry(f, 0, "TRAILER!!!", 0, b"")

    @staticmethod
    def _entry(f, ino, name, mode, data):
        nlink = 2 if stat.S_ISDIR(mode) else 1
        fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0]
        hdr = b"070701" + b"".join(b"%08x" % v for v in fields)
        f.write(hdr + name.encode() + b"\0")
        f.write(b"\0" * ((4 - (110 + len(name) + 1) % 4) % 4))
        f.write(data)
        f.write(b"\0" * ((4 - len(data) % 4) % 4))


def shared_libraries(binary):
    """Resolved paths of what `ldd BINARY` lists, the loader included."""
    libs = []
    for line in sh(["ldd", binary]).stdout.splitlines():
        m = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:
            libs.append(m.group(1))
    return libs


def library_path(soname):
    """Where the dynamic loader finds SONAME on this machine (ldconfig's cache)."""
    for line in sh(["/sbin/ldconfig", "-p"]).stdout.splitlines():
        name, _, path = line.strip().partition(" => ")
        if name.split(" ", 1)[0] == soname and "x86-64" in name:
            return path
    raise RuntimeError(f"{soname} is not installed (ldconfig -p)")


def harness_program(name, vfioreset):
    """$NAME, else the build tree's file beside the CLI's (meson sets both)."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(vfioreset)))
    default = {"VFR_MKFIXTURE": "tests/mock-sysfs/vfr-mkfixture",
               "VFR_MOCK": "tests/mock-sysfs/vfioreset-mock",
               "VFR_MOCK_PRELOAD": "tests/mock-sysfs/preload/vfr-preload.so"}[name]
    path = os.environ.get(name) or os.path.join(build, default)
    if not os.path.exists(path):
        raise RuntimeError(f"{path} does not exist (set {name})")
    return path


def guest_python():
    """The interpreter for the guest: the system's (Debian's python3 links no
    libpython), else the one running this."""
    return os.path.realpath(shutil.which("python3", path="/usr/bin") or sys.executable)


def python_files(python):
    """The stdlib files guest.py imports under PYTHON, plus encodings and os.py
    (the landmark python uses to find its prefix)."""
    p = sh([python, "-I", "-S", os.path.join(HERE, "guest.py"), "--print-imports"])
    files = set(p.stdout.split())
    stdlib, tag = sh([python, "-I", "-S", "-c", "import os, sys; "
                      "print(os.path.dirname(os.__file__), sys.implementation.cache_tag)"]
                     ).stdout.split()
    files.add(os.path.join(stdlib, "os.py"))
    for dirpath, _, names in os.walk(os.path.join(stdlib, "encodings")):
        files.update(os.path.join(dirpath, n) for n in names)
    result = set()
    for f in files:
        if not f.startswith(stdlib) or f.endswith(os.path.join(HERE, "guest.py")):
            continue
        result.add(f)
        if f.endswith(".py"):
            pyc = os.path.join(os.path.dirname(f), "__pycache__",
                               os.path.basename(f)[:-3] + f".{tag}.pyc")
            if os.path.exists(pyc):
                result.add(pyc)
    return sorted(result)


def build_initramfs(out_path, name, vfioreset, modules, params):
    cpio = Cpio()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "etc",
              "root", "vm", "lib64"):
        cpio.dir(d)
    busybox = shutil.which("busybox")
    cpio.copy(busybox, "/bin/busybox")
    cpio.symlink("/bin/sh", "busybox")
    cpio.copy(os.path.join(HERE, "init.sh"), "/init", mode=0o755)
    cpio.copy(os.path.join(HERE, "guest.py"), "/vm/guest.py")
    for module in ("lspci_decode.py", "guest_lib.py", "guest_ops.py", "guest_safety.py",
                   "guest_holders.py", "guest_fidelity.py", "guest_manager.py",
                   "guest_vmm.py"):
        cpio.copy(os.path.join(HERE, module), "/vm/" + module)
    # The cdev kernel builds in drivers (shpchp, ahci, i801_smbus) Debian's
    # kernels leave to modules: it has a fixture of its own.
    fixture = os.environ.get("VFR_VM_FIXTURE") or os.path.join(
        SOURCE_ROOT, "tests", "fixtures",
        "qemu-q35-cdev.ini" if name == "custom" else "qemu-q35.ini")
    cpio.copy(fixture, "/vm/qemu-q35.ini")
    cpio.file("/vm/params.json", json.dumps(params).encode())

    python = guest_python()
    programs = {vfioreset: "/usr/bin/vfioreset", shutil.which("lspci"): "/usr/bin/lspci",
                python: python}
    stale_reset = os.environ.get("VFR_VM_STALE_RESET")
    if stale_reset:
        programs[stale_reset] = "/usr/bin/vfr-vm-stale-reset"
    # examples/hostdev, the manager the `hostdev` scenario runs.
    hostdev = os.environ.get("VFR_VM_HOSTDEV")
    if hostdev:
        programs[hostdev] = "/usr/bin/vfr-hostdev"
    # The mock harness, to replay the guest's capture next to its kernel (fidelity).
    for name, guest in (("VFR_MKFIXTURE", "/usr/bin/vfr-mkfixture"),
                        ("VFR_MOCK", "/usr/bin/vfioreset-mock"),
                        ("VFR_MOCK_PRELOAD", "/usr/lib/vfr/vfr-preload.so")):
        programs[harness_program(name, vfioreset)] = guest
    if python != "/usr/bin/python3":
        cpio.symlink("/usr/bin/python3", python)
    libdirs = []
    # libvfioreset dlopen()s libkmod when it wants a module index (lib/modindex.c): no
    # ldd lists it, so it comes with its own libraries (copied, as programs are not).
    programs[library_path("libkmod.so.2")] = None
    for host, guest in programs.items():
        if guest:
            cpio.copy(host, guest)
        for lib in shared_libraries(host) + ([] if guest else [host]):
            if os.path.basename(lib).startswith("ld-linux"):
                cpio.copy(os.path.realpath(lib), lib)
                continue
            guest_lib = lib
            if not lib.startswith(("/lib", "/usr/lib")):  # the build tree's libvfioreset
                guest_lib = "/usr/lib/vfr/" + os.path.basename(lib)
            cpio.copy(os.path.realpath(lib), guest_lib)
            if os.path.basename(lib).startswith("libvfioreset."):
                # Kernel calls with a deadline run in vfioreset-call, which a
                # library that is not the installed one finds beside itself.
                call = os.path.join(os.path.dirname(os.path.realpath(lib)), "vfioreset-call")
                if not os.access(call, os.X_OK):
                    raise RuntimeError(f"{call} is missing: build it with the library")
                cpio.copy(call, os.path.join(os.path.dirname(guest_lib), "vfioreset-call"))
            if os.path.dirname(guest_lib) not in libdirs:
                libdirs.append(os.path.dirname(guest_lib))
    cpio.file("/vm/ld_library_path", ":".join(libdirs).encode())
    for f in python_files(python):
        cpio.copy(f)
    for ids in ("/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids"):
        if os.path.exists(ids):
            cpio.copy(os.path.realpath(ids), ids)

    guest_modules = []
    for host_path, guest_path in modules:
        if host_path.endswith(".xz"):
            data = sh(["xz", "-dc", host_path], text=False).stdout
        elif host_path.endswith(".zst"):
            data = sh(["zstd", "-dc", host_path], text=False).stdout
        else:
            with open(host_path, "rb") as f:
                data = f.read()
        cpio.file(guest_path, data)
        guest_modules.append(guest_path)
    cpio.file("/vm/modules.list", "".join(m + "\n" for m in guest_modules).encode())
    cpio.write(out_path)
    if os.environ.get("VFR_VM_LIST_INITRAMFS"):
        for path, (mode, data) in sorted(cpio.entries.items(), key=lambda e: -len(e[1][1])):
            print(f"{len(data):10d} {path}")


# --- booting ----------------------------------------------------------------

def qemu_command(kernel, initrd, nvme_image, igb):
    """The q35 topology of doc/kernel-behaviour.md: root ports (x-speed=5,x-width=1) at 00:02.0-5,
    igb (when QEMU has it) or nothing on the first, a lone e1000e, virtio-net,
    a two-function e1000e, a pcie-pci-bridge with e1000 and rtl8139, nvme, and
    an rtl8139 on the root bus; and at 00:02.6 a root port left at QEMU's
    default link settings with a lone e1000e, where a bus reset works but the
    kernel returns ENOTTY (doc/kernel-behaviour.md: the link-active wait times out)."""
    cmd = [QEMU, *QEMU_ARGS, "-machine", "q35,kernel-irqchip=split", "-accel", "tcg", "-cpu", "max",
           "-m", "1024", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
           "-serial", "stdio", "-monitor", "none", "-no-reboot",
           "-kernel", kernel, "-initrd", initrd,
           "-append", "console=ttyS0 intel_iommu=on iommu=pt panic=-1",
           "-device", "intel-iommu,intremap=on,caching-mode=on"]
    for fn in range(6):
        mf = ",multifunction=on" if fn == 0 else ""
        cmd += ["-device", f"pcie-root-port,id=rp{fn},bus=pcie.0,addr=0x2.{fn}{mf},"
                           f"chassis={fn + 1},x-speed=5,x-width=1"]
    if igb:
        cmd += ["-device", "igb,bus=rp0,addr=0.0,romfile="]
    cmd += ["-device", "e1000e,bus=rp1,addr=0.0,romfile=",
            "-device", "virtio-net-pci,bus=rp2,addr=0.0,romfile=",
            "-device", "e1000e,bus=rp3,addr=0.0,multifunction=on,romfile=",
            "-device", "e1000e,bus=rp3,addr=0.1,romfile=",
            "-device", "pcie-pci-bridge,id=pb,bus=rp4,addr=0.0",
            "-device", "e1000,bus=pb,addr=1.0,romfile=",
            "-device", "rtl8139,bus=pb,addr=2.0,romfile=",
            "-drive", f"file={nvme_image},if=none,id=nvm0,format=raw",
            "-device", "nvme,drive=nvm0,serial=vfr0,bus=rp5,addr=0.0",
            "-device", "rtl8139,bus=pcie.0,addr=0x3.0,romfile=",
            "-device", "pcie-root-port,id=rp6,bus=pcie.0,addr=0x2.6,chassis=7",
            "-device", "e1000e,bus=rp6,addr=0.0,romfile="]
    return cmd


def boot(name, kernel, initrd, workdir, logdir):
    """Boots once; returns (scenario -> (status, summary), detail lines, seconds,
    error or None, console log path)."""
    nvme = os.path.join(workdir, "nvme.img")
    with open(nvme, "wb") as f:
        f.truncate(1 << 20)
    cmd = qemu_command(kernel, initrd, nvme, qemu_has("igb"))
    console_path = os.path.join(logdir, f"console-{name}.log")
    results, details, error = {}, [], None
    start = time.monotonic()
    with open(console_path, "w", encoding="utf-8", errors="replace") as console:
        console.write("# " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf, done = b"", False
        deadline = start + BOOT_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                error = f"no VFR-DONE within {BOOT_TIMEOUT} s; QEMU killed"
                break
            if not sel.select(timeout=min(left, 5)):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                console.write(line + "\n")
                m = re.search(r"VFR-RESULT (PASS|FAIL|SKIP) ([\w-]+): ?(.*)", line)
                f = re.search(r"VFR-FIDELITY (\S+) (\d+) (\d+)", line)
                if m:
                    results[m.group(2)] = (m.group(1), m.group(3))
                elif f:
                    results["<fidelity>"] = (f.group(1), int(f.group(2)), int(f.group(3)))
                elif re.search(r"VFR-(DETAIL|WARN) ", line):
                    details.append(re.split(r"VFR-(?:DETAIL|WARN) ", line, maxsplit=1)[1])
                elif "VFR-DONE" in line:
                    done = True
            if done:
                break
        if buf:
            console.write(buf.decode("utf-8", "replace") + "\n")
        # After VFR-DONE the guest powers off at once; give it a bounded moment.
        try:
            proc.wait(timeout=30 if done else 0.1)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if not done and error is None:
            error = f"QEMU exited {proc.returncode} before VFR-DONE"
        sel.close()
        proc.stdout.close()
    return results, details, time.monotonic() - start, error, console_path


def prepare(name, spec, builddir, vfioreset, params_extra):
    """Builds the initramfs of one boot; returns (kernel, initrd)."""
    if spec["kind"] == "debian":
        with APT_LOCK:
            vmlinuz, root, kver = debian_kernel(name, spec["package"])
        names = MODULES + (["igb", "igbvf"] if qemu_has("igb") else [])
        files = module_files(root, kver, names)
        modules = []
        for f in files:
            rel = os.path.relpath(f, root)
            modules.append((f, "/" + re.sub(r"\.(xz|zst|gz)$", "", rel)))
    else:
        vmlinuz, modules = spec["image"], []
    initrd = os.path.join(builddir, f"initramfs-{name}.cpio")
    params = {"name": name, **params_extra}
    build_initramfs(initrd, name, vfioreset, modules, params)
    return vmlinuz, initrd


def main(argv):
    vfioreset = os.environ.get("VFIORESET")
    if not vfioreset or not os.access(vfioreset, os.X_OK):
        print("vm: set VFIORESET to the built vfioreset CLI (meson test does)")
        return 1
    outdir = os.environ.get("VFR_VM_WORKDIR") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(vfioreset))), "tests", "vm-work")
    os.makedirs(outdir, exist_ok=True)

    boots = {n: {"kind": "debian", "package": p} for n, p in DEBIAN_KERNELS.items()}
    custom = os.environ.get("VFR_VM_KERNEL")
    if custom:
        if not os.path.exists(custom):
            print(f"vm: VFR_VM_KERNEL={custom} does not exist")
            return 1
        boots["custom"] = {"kind": "image", "image": os.path.abspath(custom)}
    elif os.path.exists(CDEV_KERNEL):
        boots["custom"] = {"kind": "image", "image": CDEV_KERNEL}
    only = argv or [n for n in os.environ.get("VFR_VM_ONLY", "").split(",") if n]
    if "custom" in only and "custom" not in boots:
        print(f"vm: no vfio cdev kernel: {BUILD_CDEV_HINT}")
        return 1
    if "custom" not in boots:
        print(f"vm: the vfio cdev/iommufd paths are not tested: {BUILD_CDEV_HINT}", flush=True)
    if only:
        unknown = [n for n in only if n not in boots]
        if unknown:
            print(f"vm: unknown boot {unknown}; have {sorted(boots)}")
            return 1
        boots = {n: s for n, s in boots.items() if n in only}
    params_extra = {"break": os.environ.get("VFR_VM_BREAK", "") not in ("", "0"),
                    # VFR_VM_SCENARIOS=sriov,vmm: only these (a quick run of what changed).
                    "scenarios": [n for n in os.environ.get("VFR_VM_SCENARIOS", "").split(",")
                                  if n]}

    ensure_tools()
    choose_qemu()
    why = qemu_usable()
    if why:
        print(f"vm: skipped: {why}")
        return SKIP
    igb = qemu_has("igb")
    version = sh([QEMU, "--version"], check=False).stdout.split("\n")[0]
    print(f"vm: {QEMU} ({version}) {'with' if igb else 'without'} igb; boots {', '.join(boots)}; "
          f"{JOBS} at a time, {BOOT_TIMEOUT} s each; logs in {outdir}", flush=True)

    t0 = time.monotonic()
    failures = 0
    summary = []
    figures = []

    def one(name):
        spec = boots[name]
        workdir = tempfile.mkdtemp(prefix=f"vm-{name}-", dir=outdir)
        try:
            t = time.monotonic()
            kernel, initrd = prepare(name, spec, workdir, vfioreset, params_extra)
            prep = time.monotonic() - t
            log(f"vm: {name}: initramfs {os.path.getsize(initrd) >> 20} MiB in {prep:.1f} s, "
                f"booting {kernel}")
            res = boot(name, kernel, initrd, workdir, outdir)
            return name, prep, res
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, JOBS)) as pool:
        futures = {pool.submit(one, n): n for n in boots}
        for fut in concurrent.futures.as_completed(futures):
            name = futures[fut]
            try:
                _, prep, (results, details, secs, error, console) = fut.result()
            except Exception as e:  # preparing a boot failed: that boot fails
                failures += 1
                log(f"FAIL {name}: {e}")
                summary.append(f"{name}: FAIL before boot")
                continue
            for line in details:
                log(f"  {name} {line}")
            for sc in params_extra["scenarios"] or SCENARIOS:
                status, text = results.get(sc, ("FAIL", "no result from the guest"))
                if status == "FAIL":
                    failures += 1
                log(f"{status} {name} {sc}: {text}")
            fidelity = results.pop("<fidelity>", None)
            if fidelity:
                release, agree, total = fidelity
                figures.append(f"{name} ({release}) {agree}/{total} fields, "
                               f"{100.0 * agree / max(total, 1):.2f}%")
            for sc in sorted(set(results) - set(params_extra["scenarios"] or SCENARIOS)):
                log(f"{results[sc][0]} {name} {sc}: {results[sc][1]}")
                failures += results[sc][0] == "FAIL"
            if error:
                failures += 1
                with open(console, encoding="utf-8", errors="replace") as f:
                    tail = f.read().splitlines()[-20:]
                log(f"FAIL {name} boot: {error}; the console's last lines ({console}):\n" +
                    "\n".join(f"  | {t}" for t in tail))
            summary.append(f"{name}: boot {secs:.0f} s" + (f", {error}" if error else ""))
    print(f"vm: {'; '.join(summary)}; whole run {time.monotonic() - t0:.0f} s")
    if figures:
        print(f"vm: fidelity of the mock harness: {'; '.join(figures)}")
    print(f"vm: {'FAILED' if failures else 'all passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
