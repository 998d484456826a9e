#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the kernel the VM suite boots as "custom": Debian's linux-source-6.12
# with config-6.12-cdev beside this script (x86_64_defconfig plus IOMMUFD,
# VFIO_DEVICE_CDEV, VFIO_PCI, INTEL_IOMMU, PCI_IOV and the NIC/NVMe drivers of
# the test topology, everything built in, no modules), for the vfio cdev and
# iommufd paths Debian's own kernels lack.
#
#   tests/vm/kernel/build-cdev-kernel.sh [OUT]
#
# OUT defaults to ${VFR_VM_CACHE:-~/.cache/vfioreset-vm}/bzImage-6.12-cdev,
# where the VM suite (run-vm.py, scripts/check) finds it and boots it as
# "custom"; an image elsewhere is passed as VFR_VM_KERNEL=OUT. It takes
# about an hour on two cores.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
cache="${VFR_VM_CACHE:-$HOME/.cache/vfioreset-vm}"
out="$(realpath -m "${1:-$cache/bzImage-6.12-cdev}")"
mkdir -p "$(dirname "$out")"
work="$(mktemp -d "${TMPDIR:-/tmp}/vfr-kernel-XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
need="linux-source-6.12 build-essential bc bison flex libelf-dev libssl-dev xz-utils"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi

tar -C "$work" -xf /usr/src/linux-source-6.12.tar.xz
src="$(find "$work" -maxdepth 1 -type d -name 'linux-source-*' | head -n 1)"
cp "$here/config-6.12-cdev" "$src/.config"
make -C "$src" olddefconfig
make -C "$src" -j"$(nproc)" bzImage
cp "$src/arch/x86/boot/bzImage" "$out"
echo "built $out"
