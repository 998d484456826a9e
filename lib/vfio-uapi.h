/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO uAPI the library uses beyond what the build host's <linux/vfio.h>
 * may have. The oldest supported headers are Linux 6.1's, which lack the
 * vfio cdev and iommufd binding (6.6) and the devid form of the hot-reset
 * INFO (6.6). Every definition is guarded so a newer header wins; values
 * and layouts are those of the merged kernel. Support is detected at run
 * time (the INFO flags, whether /dev/vfio/devices exists), never assumed.
 */
#pragma once

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

/* Hot-reset INFO in devid form: the calling device is cdev-opened (>= 6.6). */
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID (1 << 0)
#endif
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED (1 << 1)
#endif
/*
 * One entry of the INFO array. 6.1 names the first field group_id only;
 * from 6.6 it is a union with devid. The same 8 bytes either way, so the
 * library uses its own name for the struct rather than the header's.
 */
struct vfr_vfio_dependent_device {
	union {
		__u32 group_id;
		__u32 devid;
	};
	__u16 segment;
	__u8 bus;
	__u8 devfn;
};

_Static_assert(sizeof(struct vfr_vfio_dependent_device) == 8, "INFO entries are 8 bytes");
_Static_assert(sizeof(struct vfio_pci_hot_reset_info) == 12, "the INFO header is 12 bytes");
_Static_assert(sizeof(struct vfio_pci_hot_reset) == 12, "the HOT_RESET header is 12 bytes");

/* The vfio cdev bound to an iommufd (Linux >= 6.6). */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

#ifndef VFIO_NOIOMMU_IOMMU
#define VFIO_NOIOMMU_IOMMU 8
#endif
