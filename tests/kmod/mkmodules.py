#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Makes a modules directory for tests: ROOT/lib/modules/RELEASE with one
tiny .ko per module carrying only a .modinfo section (name, license,
aliases), indexed by the real `depmod -b`.

    mkmodules.py ROOT RELEASE MODULE=ALIAS[,ALIAS...] ...
    mkmodules.py ROOT RELEASE --synthesize N   (N aliases over N/30 modules)

The .ko files are ELF64 relocatable objects written here directly, so no
compiler is needed and thousands of modules take a moment."""
import os
import struct
import subprocess
import sys


def elf_with_modinfo(modinfo: bytes) -> bytes:
    """A minimal ELF64 little-endian relocatable file: NULL, .modinfo, .shstrtab."""
    shstrtab = b"\0.modinfo\0.shstrtab\0"
    ehdr_size, shdr_size = 64, 64
    modinfo_off = ehdr_size
    shstr_off = modinfo_off + len(modinfo)
    shoff = (shstr_off + len(shstrtab) + 7) & ~7
    ehdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,
                       1, 62, 1, 0, 0, shoff, 0, ehdr_size, 0, 0, shdr_size, 3, 2)

    def shdr(name, typ, flags, off, size, align):
        return struct.pack("<IIQQQQIIQQ", name, typ, flags, 0, off, size, 0, 0, align, 0)

    sections = (shdr(0, 0, 0, 0, 0, 0)
                + shdr(1, 1, 2, modinfo_off, len(modinfo), 1)      # PROGBITS, ALLOC
                + shdr(10, 3, 0, shstr_off, len(shstrtab), 1))     # STRTAB
    body = ehdr + modinfo + shstrtab
    return body + b"\0" * (shoff - len(body)) + sections


def write_module(moddir, name, aliases):
    info = b"license=GPL\0name=" + name.encode() + b"\0"
    info += b"".join(b"alias=" + a.encode() + b"\0" for a in aliases)
    path = os.path.join(moddir, "kernel", "drivers", "test", name + ".ko")
    with open(path, "wb") as f:
        f.write(elf_with_modinfo(info))


def synthesize(n):
    """N aliases: mostly ordinary pci: aliases, with some vfio_pci: ones."""
    modules = {}
    per = 30
    for m in range(max(1, n // per)):
        aliases = []
        for k in range(per):
            vendor, device = 0x1000 + m, k
            if k % 10 == 0:
                aliases.append(f"vfio_pci:v{vendor:08X}d{device:08X}sv*sd*bc*sc*i*")
            else:
                aliases.append(f"pci:v{vendor:08X}d{device:08X}sv*sd*bc*sc*i*")
        modules[f"synth_{m:05d}"] = aliases
    modules["vfio_pci"] = ["vfio_pci:v*d*sv*sd*bc*sc*i*"]
    return modules


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, release = argv[1], argv[2]
    if argv[3:4] == ["--synthesize"]:
        modules = synthesize(int(argv[4]))
    else:
        modules = {}
        for spec in argv[3:]:
            name, _, aliases = spec.partition("=")
            modules[name] = [a for a in aliases.split(",") if a]
    moddir = os.path.join(root, "lib", "modules", release)
    os.makedirs(os.path.join(moddir, "kernel", "drivers", "test"), exist_ok=True)
    for name, aliases in modules.items():
        write_module(moddir, name, aliases)
    # What a kernel package ships beside its modules; depmod reads them.
    for extra in ("modules.builtin", "modules.builtin.modinfo", "modules.order"):
        open(os.path.join(moddir, extra), "a", encoding="ascii").close()
    subprocess.run(["depmod", "-b", root, release], check=True, stderr=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
