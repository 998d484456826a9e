/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO side of the simulated kernel: descriptors of /dev/vfio/vfio
 * (containers), /dev/vfio/N (groups), /dev/vfio/devices/vfioN (cdevs) and
 * /dev/iommu. The wrappers call these three hooks for every such
 * descriptor; the fd table tells which node it is (fi->node).
 *
 * Extension point, not done yet (issue 3, next step): the ioctls of
 * <linux/vfio.h> and <linux/iommufd.h> with the kernel's semantics and
 * errnos (shared/research/seed-004-hot-reset.md, shared/vm/NOTES.md):
 * container and group state (API version, extensions, viability from the
 * group's members and their drivers, SET_CONTAINER/SET_IOMMU,
 * GET_DEVICE_FD, single open of a group), cdev + iommufd (BIND_IOMMUFD,
 * EBUSY while the group is open, devids), DEVICE_GET_INFO, DEVICE_RESET
 * (through the same reset methods as kernel-reset.c), hot-reset INFO and
 * HOT_RESET. Per-descriptor state belongs in a table keyed by fd here,
 * created in vfio_open() and freed in vfio_close(); state several processes
 * must agree on (which groups are open) belongs below ROOT/.vfr-mock/vfio/.
 *
 * Until then the nodes are plain files: opening them works, and every ioctl
 * fails with ENOTTY, as an ioctl on a regular file does.
 */
#include "preload.h"

#include <errno.h>

/* 0, or -errno to refuse the open (a group opened twice: EBUSY). */
int vfio_open(const struct vfr_root *r, int fd, const char *node, int flags)
{
	(void)r;
	(void)fd;
	(void)node;
	(void)flags;
	return 0;
}

/* true when handled: *@ret is the ioctl's result (errno set when -1). */
bool vfio_ioctl(const struct vfr_root *r, int fd, const struct fd_info *fi,
		unsigned long request, void *arg, int *ret)
{
	(void)r;
	(void)fd;
	(void)fi;
	(void)request;
	(void)arg;
	*ret = -1;
	errno = ENOTTY;
	return true;
}

/* The descriptor is being closed: drop its state. */
void vfio_close(int fd)
{
	(void)fd;
}
