/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO resets with a deadline. VFIO_DEVICE_RESET and
 * VFIO_DEVICE_PCI_HOT_RESET run the kernel's reset in the caller's context,
 * under the device's locks, until the reset and the readiness wait are
 * done: like a sysfs reset store they cannot be interrupted, and a broken
 * device can keep them there. So they run in vfioreset-call (deadline.h),
 * which gets only the device and group files and closes them before it
 * answers, so a reset right after does not find it among the holders.
 *
 * The kernel accepts the ioctls from another process: VFIO checks the files
 * passed (the device file, the group files, the iommufd a cdev is bound
 * to), not the process.
 */
#include "deadline.h"
#include "reset-exec.h"
#include "vfio.h"

int reset_vfio_device(int device_fd, int timeout_ms, pid_t *ret_stuck)
{
	if (device_fd < 0)
		return -EBADF;
	if (timeout_ms < 0)
		return vfio_device_reset(device_fd);
	return deadline_vfio_reset(device_fd, timeout_ms, ret_stuck);
}

int reset_vfio_hot(int device_fd, const int *group_fds, size_t n, int timeout_ms,
		   pid_t *ret_stuck)
{
	if (device_fd < 0)
		return -EBADF;
	if (timeout_ms < 0)
		return vfio_pci_hot_reset(device_fd, group_fds, n);
	return deadline_vfio_hot_reset(device_fd, group_fds, n, timeout_ms, ret_stuck);
}
