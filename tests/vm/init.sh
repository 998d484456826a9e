#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the test initramfs: mounts the kernel file systems, loads the
# modules listed in /vm/modules.list (dependencies first), runs the scenarios
# of /vm/guest.py and powers off. Its output is the serial console that
# tests/vm/run-vm.py reads.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "VFR-BOOT kernel $(uname -r)"
if [ -s /vm/modules.list ]; then
	while read -r mod; do
		insmod "$mod" || echo "VFR-WARN insmod $mod failed"
	done < /vm/modules.list
fi
# Keep the kernel's messages off the console while the scenarios print, so
# their lines arrive whole; guest.py prints the kernel log at the end.
echo 1 > /proc/sys/kernel/printk
export LD_LIBRARY_PATH="$(cat /vm/ld_library_path)"
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
export VFIORESET_LOG=err
export VFR_MOCK_PRELOAD=/usr/lib/vfr/vfr-preload.so
/usr/bin/python3 -I -S /vm/guest.py
echo "VFR-EXIT $?"
poweroff -f
