/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VFIO ioctls, with the sizing and retry rules of the uAPI. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib.h>

#include "vfio-uapi.h"
#include "beneath.h"
#include "vfio.h"

#define LOG_DOMAIN "vfio"

/* The kernel adds functions to a bus between two calls only on hotplug. */
#define INFO_ATTEMPTS 8

static int xioctl(int fd, unsigned long request, void *arg)
{
	int r;

	do
		r = ioctl(fd, request, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int vfio_device_info_flags(int device_fd, uint32_t *ret_flags)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int r = xioctl(device_fd, VFIO_DEVICE_GET_INFO, &info);

	if (r < 0)
		return r;
	*ret_flags = info.flags;
	return 0;
}

int vfio_device_reset(int device_fd)
{
	int r = xioctl(device_fd, VFIO_DEVICE_RESET, NULL);

	return r < 0 ? r : 0;
}

int vfio_get_hot_reset_info(int device_fd, uint32_t *ret_flags, struct vfio_dependent **ret_entries,
			    size_t *ret_n)
{
	/* Most affected sets are a function or two; a bigger one costs one more call. */
	uint32_t room = 8;

	for (int attempt = 0; attempt < INFO_ATTEMPTS; attempt++) {
		size_t size = sizeof(struct vfio_pci_hot_reset_info) +
			      room * sizeof(struct vfr_vfio_dependent_device);
		g_autofree struct vfio_pci_hot_reset_info *info = g_malloc0(size);
		const struct vfr_vfio_dependent_device *dev;
		struct vfio_dependent *entries;
		int r;

		info->argsz = (uint32_t)size;
		r = xioctl(device_fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
		if (r == -ENOSPC && info->count > room && info->count < 65536) {
			room = info->count;
			continue;
		}
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return r;
		if (info->count > room)
			return -EIO;
		dev = (const struct vfr_vfio_dependent_device *)(info + 1);
		entries = g_new0(struct vfio_dependent, info->count ? info->count : 1);
		for (uint32_t i = 0; i < info->count; i++) {
			entries[i].addr.domain = dev[i].segment;
			entries[i].addr.bus = dev[i].bus;
			entries[i].addr.slot = dev[i].devfn >> 3;
			entries[i].addr.function = dev[i].devfn & 7;
			entries[i].id = dev[i].group_id;
		}
		*ret_flags = info->flags;
		*ret_entries = entries;
		*ret_n = info->count;
		return 0;
	}
	return -EAGAIN;
}

int vfio_pci_hot_reset(int device_fd, const int *group_fds, size_t n)
{
	size_t size = sizeof(struct vfio_pci_hot_reset) + n * sizeof(__s32);
	g_autofree struct vfio_pci_hot_reset *reset = NULL;
	int r;

	if (n > 65536)
		return -EINVAL;
	reset = g_malloc0(size);
	reset->argsz = (uint32_t)size;
	reset->count = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		reset->group_fds[i] = group_fds[i];
	r = xioctl(device_fd, VFIO_DEVICE_PCI_HOT_RESET, reset);
	return r < 0 ? r : 0;
}

/*
 * ROOT/@rel, through the one opener: a VFIO node is a character device
 * (a regular file in a tree made for tests); a link in its place, say to
 * the host's own /dev/vfio/N from a captured tree, is never followed.
 */
static int open_node(const struct vfr_ctx *ctx, const char *rel, int *ret_fd)
{
	int fd = ctx_open(ctx, rel, O_RDWR, 0, BENEATH_CHR | BENEATH_REG);

	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

int vfio_container_open(const struct vfr_ctx *ctx, int *ret_fd)
{
	int fd = -1, r;

	r = open_node(ctx, "dev/vfio/vfio", &fd);
	if (r < 0)
		return r;
	r = xioctl(fd, VFIO_GET_API_VERSION, NULL);
	if (r >= 0 && r != VFIO_API_VERSION)
		r = -EPROTO;
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int vfio_group_open(const struct vfr_ctx *ctx, int group, int *ret_fd)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char rel[64];
	int fd = -1, r;

	snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
	r = open_node(ctx, rel, &fd);
	if (r == -ENOENT) {
		/* vfio's fake groups for devices without an IOMMU. */
		snprintf(rel, sizeof(rel), "dev/vfio/noiommu-%d", group);
		r = open_node(ctx, rel, &fd);
	}
	if (r < 0)
		return r;
	r = xioctl(fd, VFIO_GROUP_GET_STATUS, &status);
	if (r >= 0 && !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		r = -EPERM;
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int vfio_group_status(int group_fd, uint32_t *ret_flags)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int r = xioctl(group_fd, VFIO_GROUP_GET_STATUS, &status);

	if (r < 0)
		return r;
	*ret_flags = status.flags;
	return 0;
}

int vfio_group_set_container(int group_fd, int container_fd, bool first)
{
	static const int types[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, VFIO_NOIOMMU_IOMMU };
	int r;

	r = xioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd);
	if (r < 0 || !first)
		return r < 0 ? r : 0;
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (xioctl(container_fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)types[i]) > 0)
			return MIN(xioctl(container_fd, VFIO_SET_IOMMU,
					  (void *)(uintptr_t)types[i]), 0);
	return -ENOTSUP;
}

int vfio_group_get_device_fd(int group_fd, const char *name, int *ret_fd)
{
	int r = xioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, (void *)name);

	if (r < 0)
		return r;
	*ret_fd = r;
	return 0;
}

int vfio_iommufd_open(const struct vfr_ctx *ctx, int *ret_fd)
{
	return open_node(ctx, "dev/iommu", ret_fd);
}

int vfio_cdev_open(const struct vfr_ctx *ctx, const char *node, int *ret_fd)
{
	g_autofree char *rel = g_build_filename("dev/vfio/devices", node, NULL);

	return open_node(ctx, rel, ret_fd);
}

int vfio_cdev_bind(int cdev_fd, int iommufd, uint32_t *ret_devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .flags = 0, .iommufd = iommufd,
	};
	int r = xioctl(cdev_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	if (r < 0)
		return r;
	*ret_devid = bind.out_devid;
	return 0;
}
