/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO resets with a deadline. VFIO_DEVICE_RESET and
 * VFIO_DEVICE_PCI_HOT_RESET run the kernel's reset in the caller's context,
 * under the device's locks, until the reset and the readiness wait are
 * done: like a sysfs reset store they cannot be interrupted, and a broken
 * device can keep them there. So they go through deadline_call(), in a
 * child holding only the device and group files; it closes them before it
 * answers, so a reset right after does not find it among the holders.
 *
 * The kernel accepts the ioctls from another process: VFIO checks the files
 * passed (the device file, the group files), not the process.
 */
#include <glib.h>

#include "deadline.h"
#include "reset-exec.h"
#include "vfio.h"

struct vfio_call {
	bool hot;
	int device_fd;
	const int *group_fds;
	size_t n_group_fds;
};

static int call(const struct vfio_call *c)
{
	if (c->hot)
		return vfio_pci_hot_reset(c->device_fd, c->group_fds, c->n_group_fds);
	return vfio_device_reset(c->device_fd);
}

static int call_in_child(void *arg)
{
	return call(arg);
}

static int call_deadline(const struct vfio_call *c, int timeout_ms, pid_t *ret_stuck)
{
	g_autofree int *keep = g_new(int, c->n_group_fds + 1);
	size_t n_keep = 0;

	keep[n_keep++] = c->device_fd;
	for (size_t i = 0; i < c->n_group_fds; i++)
		keep[n_keep++] = c->group_fds[i];
	return deadline_call(call_in_child, (void *)c, keep, n_keep, timeout_ms, ret_stuck);
}

int reset_vfio_device(int device_fd, int timeout_ms, pid_t *ret_stuck)
{
	struct vfio_call c = { .hot = false, .device_fd = device_fd };

	if (device_fd < 0)
		return -EBADF;
	return call_deadline(&c, timeout_ms, ret_stuck);
}

int reset_vfio_hot(int device_fd, const int *group_fds, size_t n, int timeout_ms,
		   pid_t *ret_stuck)
{
	struct vfio_call c = {
		.hot = true, .device_fd = device_fd, .group_fds = group_fds, .n_group_fds = n,
	};

	if (device_fd < 0)
		return -EBADF;
	return call_deadline(&c, timeout_ms, ret_stuck);
}
