# SPDX-License-Identifier: LGPL-2.1-or-later
"""Holders a real kernel has that a scan of group and cdev descriptors misses
(doc/holders.md): a process keeping only a VFIO device file (its group and
container closed), then only a mapping of the device's BAR 0 (every
descriptor closed). vfioreset must name it in `plan` (as a holder where the
kernel's fdinfo names the function, Linux >= 6.18; as an uncertain holder
before), refuse a reset, and refuse an unbind at once instead of waiting for
it until the deadline."""
import fcntl  # noqa: F401 - the holder child needs these three in the initramfs
import mmap  # noqa: F401
import os
import struct  # noqa: F401
import subprocess
import sys
import time

from guest_lib import SYSPCI, Scenario, link_name
from guest_ops import cli, find_by_driver

# The child: a VMM's way to a device file, then what it keeps (argv: group, bdf).
HOLD = r"""
import fcntl, mmap, os, struct, sys
group, bdf = sys.argv[1], sys.argv[2]
IO = lambda nr: (ord(';') << 8) | nr   # _IO(VFIO_TYPE, VFIO_BASE + n)
container = os.open("/dev/vfio/vfio", os.O_RDWR)
g = os.open(f"/dev/vfio/{group}", os.O_RDWR)
fcntl.ioctl(g, IO(104), struct.pack("i", container))      # VFIO_GROUP_SET_CONTAINER
fcntl.ioctl(container, IO(102), 3)                         # VFIO_SET_IOMMU, TYPE1v2
dev = fcntl.ioctl(g, IO(106), bytearray(bdf.encode() + b"\0"), True)  # GET_DEVICE_FD
os.close(g)
os.close(container)
print("device", flush=True)
sys.stdin.readline()
# VFIO_DEVICE_GET_REGION_INFO of BAR 0: argsz, flags, index, cap_offset, size, offset.
info = bytearray(struct.pack("IIIIQQ", 32, 0, 0, 0, 0, 0))
fcntl.ioctl(dev, IO(108), info, True)
_, flags, _, _, size, offset = struct.unpack("IIIIQQ", info)
m = mmap.mmap(dev, min(size, 4096), mmap.MAP_SHARED, mmap.PROT_READ, offset=offset)
os.close(dev)
print("mapping", flush=True)
sys.stdin.readline()
"""


def fdinfo_names_devices():
    """Does this kernel put vfio-device-syspath in a device file's fdinfo (6.18)?"""
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    return (major, minor) >= (6, 18)


def held_as(sc, bdf, pid, how):
    """`plan` names @pid as a holder of @bdf, certain or uncertain as the kernel allows."""
    st, data, err = cli("plan", bdf)
    p = (data or {}).get("plans", [{}])[0]
    certain, maybe = p.get("holders") or [], p.get("uncertain_holders") or []
    want_certain = how == "device" and fdinfo_names_devices()
    if pid not in (certain if want_certain else maybe):
        sc.fail(f"{bdf} ({how} only): plan holders {certain}, uncertain {maybe}; "
                f"want pid {pid} {'certain' if want_certain else 'uncertain'}")
    st, data, err = cli("reset", bdf)
    r = (data or {}).get("results", [{}])[0]
    sc.check(f"{bdf} ({how} only): reset exit status", st, 1)
    sc.check(f"{bdf} ({how} only): reset outcome", r.get("outcome"), "refused")
    start = time.monotonic()
    st, data, err = cli("unbind", "--timeout", "5000", bdf)
    r = (data or {}).get("results", [{}])[0]
    sc.check(f"{bdf} ({how} only): unbind exit status", st, 1)
    sc.check(f"{bdf} ({how} only): unbind state_unknown", r.get("state_unknown"), False)
    if time.monotonic() - start >= 5:
        sc.fail(f"{bdf} ({how} only): the unbind waited for the holder until its deadline")
    sc.check(f"{bdf} ({how} only): driver", link_name(bdf, "driver"), "vfio-pci")
    return f"{how}: {'held' if want_certain else 'may be held'} by {pid}"


def scenario_holders():
    """(19) A device file alone, then a BAR mapping alone, keep the device in use."""
    sc = Scenario("holders")
    bdf = find_by_driver("e1000e", alone=True)
    if bdf is None:
        sc.fail("no lone e1000e in this guest")
        sc.finish("nothing to hold")
        return
    st, _, err = cli("bind", bdf)
    if st != 0:
        sc.fail(f"bind {bdf}: exit {st}: {err}")
        sc.finish(bdf)
        return
    done = []
    group = link_name(bdf, "iommu_group")
    child = subprocess.Popen([sys.executable, "-I", "-S", "-c", HOLD, group, bdf],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if child.stdout.readline().strip() != "device":
            raise RuntimeError("the holder could not get a device file")
        # The kernel's own view: the device file keeps the group's open file.
        try:
            os.close(os.open(f"/dev/vfio/{group}", os.O_RDWR))
            sc.note(f"/dev/vfio/{group} opened while another process holds only a device file")
        except OSError as e:
            sc.note(f"/dev/vfio/{group} while a device file alone is held: {os.strerror(e.errno)}")
        done.append(held_as(sc, bdf, child.pid, "device"))
        child.stdin.write("\n")
        child.stdin.flush()
        if child.stdout.readline().strip() != "mapping":
            raise RuntimeError("the holder could not map BAR 0")
        done.append(held_as(sc, bdf, child.pid, "mapping"))
    except (RuntimeError, OSError) as e:
        sc.fail(str(e))
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    st, _, err = cli("restore", bdf)
    if st != 0:
        sc.fail(f"restore {bdf}: exit {st}: {err}")
    sc.finish(f"{bdf}: {'; '.join(done)}")


SCENARIOS = [
    ("holders", scenario_holders),
]
