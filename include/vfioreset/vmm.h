/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/error.h>
#include <vfioreset/device.h>

VFR_BEGIN_DECLS

struct vfr_device;
struct vfr_host;

/**
 * What a VMM opens for a PCI function, and what its manager must let it
 * open.
 *
 * A VMM reaches a function bound to a vfio driver in one of two ways: through
 * its IOMMU group (/dev/vfio/N, or /dev/vfio/noiommu-N for a function
 * without an IOMMU, with the container /dev/vfio/vfio), or through its
 * device cdev (/dev/vfio/devices/vfioN, Linux >= 6.6, with /dev/iommu).
 * A manager confining the VMM (cgroup device rules, SELinux or DAC labels,
 * a mount namespace) must allow those nodes and the function's sysfs files a
 * VMM reads or maps (config, resourceN, rom, reset), as libvirt's
 * virPCIDeviceFileIterate() and virPCIDeviceGetVfioPath() list them.
 *
 * Paths are absolute as seen below the context's root: "/dev/vfio/12" is
 * ROOT/dev/vfio/12. They are computed from the kernel's own files (the
 * iommu_group link, the vfio-dev directory, the nodes in ROOT/dev), never
 * guessed.
 */

/**
 * vfr_device_get_vfio_group_node:
 * @ret: (out) (transfer none): "/dev/vfio/12", or "/dev/vfio/noiommu-12"
 *       when that is the node the kernel made for the group.
 *
 * The node exists while a function of the group is bound to a vfio driver;
 * the path is given also before (a manager prepares its rules first), and
 * vfr_access_list_get_major() says whether it exists.
 * Returns: 0; -ENOENT when the function is in no IOMMU group (and no
 *          noiommu group); -ENODEV when it is gone.
 * Since: 0.1
 */
int vfr_device_get_vfio_group_node(struct vfr_device *dev, const char **ret);

/**
 * vfr_device_get_vfio_cdev:
 * @ret: (out) (transfer none): "/dev/vfio/devices/vfio3" (or
 *       ".../noiommu-vfio3").
 * Returns: 0; -ENOENT when the function has no vfio device cdev (not bound
 *          to a vfio driver, or a kernel without vfio-dev in sysfs, before
 *          6.1, or without the cdev, before 6.6); -ENODEV when gone.
 * Since: 0.1
 */
int vfr_device_get_vfio_cdev(struct vfr_device *dev, const char **ret);

/* What an entry of a struct vfr_access_list is. */
enum vfr_access_kind {
	VFR_ACCESS_GROUP_NODE = 0, /* /dev/vfio/N or noiommu-N: group mode */
	VFR_ACCESS_CONTAINER = 1,  /* /dev/vfio/vfio: group mode */
	VFR_ACCESS_CDEV = 2,       /* /dev/vfio/devices/vfioN: cdev mode */
	VFR_ACCESS_IOMMUFD = 3,    /* /dev/iommu: cdev mode */
	VFR_ACCESS_SYSFS = 4,      /* config, resourceN[_wc], rom, reset of the function */
	_VFR_ACCESS_KIND_FORCE_INT = INT32_MAX,
};

/**
 * struct vfr_access_list:
 *
 * Every file a process must be allowed to open to use one function through
 * VFIO, in a fixed order (group node, container, cdev, iommufd, then the
 * sysfs files by name), each with its kind and, for a device node, its
 * major:minor (for a cgroup device rule). The nodes of both modes are
 * listed where the kernel has them; a manager picks the kinds of the mode
 * its VMM uses. Owned by the caller.
 */
struct vfr_access_list;

/**
 * vfr_device_list_access:
 * @ret: (out): untouched on failure; free with vfr_access_list_free().
 *
 * Reads the function's sysfs directory and ROOT/dev now.
 * Returns: 0; -ENODEV when the function is gone; -errno when its sysfs
 *          directory cannot be read.
 * Since: 0.1
 */
int vfr_device_list_access(struct vfr_device *dev, struct vfr_access_list **ret,
			   struct vfr_error **reterr);
/** vfr_access_list_free: NULL is accepted. Since: 0.1 */
void vfr_access_list_free(struct vfr_access_list *list);
/** vfr_access_list_get_n: Since: 0.1 */
size_t vfr_access_list_get_n(const struct vfr_access_list *list);
/** vfr_access_list_get_path: (transfer none) (nullable): NULL out of range. Since: 0.1 */
const char *vfr_access_list_get_path(const struct vfr_access_list *list, size_t index);
/** vfr_access_list_get_kind: Since: 0.1 */
enum vfr_access_kind vfr_access_list_get_kind(const struct vfr_access_list *list, size_t index);
/**
 * vfr_access_list_get_major / vfr_access_list_get_minor:
 * Returns: the device number of a character device node that exists
 *          (from the kernel's `dev` attribute for a cdev, else from the
 *          node), -1 for a sysfs file, a node not made yet (the group's,
 *          before a function is bound to vfio) or one that is not a device
 *          node (a tree made for tests).
 * Since: 0.1
 */
int vfr_access_list_get_major(const struct vfr_access_list *list, size_t index);
int vfr_access_list_get_minor(const struct vfr_access_list *list, size_t index);

/** vfr_access_kind_to_string: "group-node", "container", "cdev", "iommufd", "sysfs". Since: 0.1 */
const char *vfr_access_kind_to_string(enum vfr_access_kind kind);

/**
 * vfr_driver_type_is_vfio:
 * Returns: true for VFR_DRIVER_VFIO_PCI and VFR_DRIVER_VFIO_VARIANT, the
 *          drivers through which a VMM reaches a function (the ones a
 *          hot reset's dev_set is made of).
 * Since: 0.1
 */
bool vfr_driver_type_is_vfio(enum vfr_driver_type type);

/**
 * vfr_device_refresh:
 *
 * Forgets what was read of @dev (driver, override, group, reset methods,
 * config facts, network interfaces, a pending call) so its getters read
 * sysfs again; the address and topology stay. Strings handed out before
 * stay valid until the host is freed. Costs nothing now; each getter then
 * pays its read again (bench/bench-refresh).
 * Returns: 0; -ENODEV when the function is gone.
 * Since: 0.1
 */
int vfr_device_refresh(struct vfr_device *dev);

/**
 * vfr_host_refresh:
 *
 * vfr_device_refresh() for every function, and one read of
 * ROOT/sys/bus/pci/devices to tell whether functions appeared or vanished
 * (VFs created or removed, hotplug), which a refresh cannot show: the
 * topology is the scan's, so scan again then. The cost is one directory
 * read; the facts are read again as they are asked for (bench/bench-refresh
 * has the figures).
 * Returns: 0 when the same functions exist; 1 when some appeared or
 *          vanished (scan again); -errno when the directory cannot be read.
 * Since: 0.1
 */
int vfr_host_refresh(struct vfr_host *host, struct vfr_error **reterr);

static inline void vfr_access_list_freep(struct vfr_access_list **p)
{
	if (*p)
		vfr_access_list_free(*p);
}

VFR_END_DECLS
