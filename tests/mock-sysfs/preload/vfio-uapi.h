/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO and iommufd uAPI the simulated kernel answers, beyond what the
 * build host's <linux/vfio.h> has. The system headers may be as old as
 * Linux 6.1, which lacks the vfio cdev (VFIO_DEVICE_BIND_IOMMUFD and
 * friends, 6.6), the devid form of the hot-reset INFO (6.6) and
 * <linux/iommufd.h> (6.2). Every definition here is guarded, so a newer
 * header wins; values and layouts are the merged kernel's.
 *
 * The library carries the same definitions in lib/vfio-uapi.h. They are
 * kept apart on purpose: the simulated kernel is the library's oracle, and
 * a wrong number shared by both would pass every test.
 */
#pragma once

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

/* Hot-reset INFO in devid form (cdev-opened callers, Linux >= 6.6). */
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID (1 << 0)
#endif
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED (1 << 1)
#endif
#ifndef VFIO_PCI_DEVID_OWNED
#define VFIO_PCI_DEVID_OWNED 0
#endif
#ifndef VFIO_PCI_DEVID_NOT_OWNED
#define VFIO_PCI_DEVID_NOT_OWNED -1
#endif

/*
 * One entry of the INFO array: 6.1 names the first field group_id only;
 * from 6.6 it is a union with devid. Same 8 bytes either way.
 */
struct vfr_pci_dependent_device {
	union {
		__u32 group_id;
		__u32 devid;
	};
	__u16 segment;
	__u8 bus;
	__u8 devfn;
};

#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

#ifndef VFIO_DEVICE_DETACH_IOMMUFD_PT
struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#endif

/* <linux/iommufd.h>: the ioctls on /dev/iommu the harness answers. */
#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')
#endif
#ifndef IOMMU_DESTROY
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, 0x80)
#endif
#ifndef IOMMU_IOAS_ALLOC
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, 0x81)
#endif
#ifndef IOMMU_IOAS_MAP
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FIXED_IOVA (1 << 0)
#define IOMMU_IOAS_MAP_WRITEABLE (1 << 1)
#define IOMMU_IOAS_MAP_READABLE (1 << 2)
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, 0x85)
#endif
#ifndef IOMMU_IOAS_UNMAP
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, 0x86)
#endif
