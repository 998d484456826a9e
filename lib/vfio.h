/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO layer: the only code that calls ioctl(). Device fds come from a
 * group (container, group, VFIO_GROUP_GET_DEVICE_FD) or from a cdev bound
 * to an iommufd (Linux >= 6.6); the node paths are ROOT/dev/vfio/...
 * Every call returns 0 or the ioctl's -errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "internal.h"

/* One entry of the kernel's hot-reset INFO answer. */
struct vfio_dependent {
	struct vfr_address addr; /* the domain is the kernel's 16-bit segment */
	uint32_t id;             /* group id, or in devid form a devid / 0 / 0xFFFFFFFF */
};

/* VFIO_DEVICE_GET_INFO: the device's flags (VFIO_DEVICE_FLAGS_RESET, ...). */
int vfio_device_info_flags(int device_fd, uint32_t *ret_flags) _nonnull_(2) _must_check_;

/* VFIO_DEVICE_RESET. */
int vfio_device_reset(int device_fd) _must_check_;

/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: sized from the kernel's ENOSPC
 * answer (a header-only answer carries no flags, so the full call is always
 * made) and retried a bounded number of times on EAGAIN (a function appeared
 * during the walk). @ret_flags has VFIO_PCI_HOT_RESET_FLAG_DEV_ID set when
 * the ids are devids (the device is cdev-opened). g_free(*ret_entries).
 */
int vfio_get_hot_reset_info(int device_fd, uint32_t *ret_flags, struct vfio_dependent **ret_entries,
			    size_t *ret_n) _nonnull_(2, 3, 4) _must_check_;

/*
 * VFIO_DEVICE_PCI_HOT_RESET. A group-opened device passes every affected
 * group's fd; a cdev-opened one an empty array (@n 0): the kernel rejects
 * the other combination with EINVAL.
 */
int vfio_pci_hot_reset(int device_fd, const int *group_fds, size_t n) _must_check_;

/* Opens ROOT/dev/vfio/vfio and checks the API version. */
int vfio_container_open(const struct vfr_ctx *ctx, int *ret_fd) _nonnull_(1, 2) _must_check_;

/*
 * Opens group @group's node (ROOT/dev/vfio/N, or noiommu-N) and checks it
 * is viable: -ENOENT when no node exists (no function of the group is bound
 * to a vfio driver), -EPERM when not viable, -EBUSY when it is open
 * elsewhere.
 */
int vfio_group_open(const struct vfr_ctx *ctx, int group, int *ret_fd) _nonnull_(1, 3) _must_check_;

/* VFIO_GROUP_GET_STATUS: VFIO_GROUP_FLAGS_VIABLE, ... */
int vfio_group_status(int group_fd, uint32_t *ret_flags);

/*
 * Puts @group_fd into @container_fd; the first group also sets the IOMMU
 * type (type1v2, type1, or noiommu as the container offers).
 */
int vfio_group_set_container(int group_fd, int container_fd, bool first) _must_check_;

/* VFIO_GROUP_GET_DEVICE_FD for the function @name ("0000:01:00.0"). */
int vfio_group_get_device_fd(int group_fd, const char *name, int *ret_fd) _nonnull_(3) _must_check_;

/* Opens ROOT/dev/iommu. */
int vfio_iommufd_open(const struct vfr_ctx *ctx, int *ret_fd) _nonnull_(1, 2) _must_check_;

/* Opens ROOT/dev/vfio/devices/@node ("vfio3", "noiommu-vfio3"). */
int vfio_cdev_open(const struct vfr_ctx *ctx, const char *node, int *ret_fd)
	_nonnull_(1, 3) _must_check_;

/*
 * VFIO_DEVICE_BIND_IOMMUFD: @iommufd < 0 binds a noiommu cdev (no context).
 * The kernel answers EBUSY while the device's group is open.
 */
int vfio_cdev_bind(int cdev_fd, int iommufd, uint32_t *ret_devid) _nonnull_(3) _must_check_;
