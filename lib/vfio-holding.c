/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A holding of VFIO fds made the way a VMM makes them (group fds in a
 * container, or cdevs bound to an iommufd), to ask the kernel about a hot
 * reset for a VM and to reset through it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device-private.h"
#include "hotreset-private.h"
#include "sysfs.h"
#include "vfio-holding.h"
#include "vfio-uapi.h"
#include "vfio.h"

#define LOG_DOMAIN "hotreset"

struct held_group {
	int group;
	int fd;
	bool borrowed; /* the caller's (adopted): never closed here */
};

struct held_device {
	struct vfr_device *dev;
	int fd;
	bool borrowed;
};

struct vfr_vfio_holding {
	struct vfr_host *host;
	enum vfr_hot_reset_mode mode;
	int container_fd;
	int iommufd;
	GArray *groups;  /* struct held_group */
	GArray *devices; /* struct held_device */
};

VFR_EXPORT int vfr_vfio_holding_new(struct vfr_host *host, enum vfr_hot_reset_mode mode,
				    struct vfr_vfio_holding **ret)
{
	struct vfr_vfio_holding *h;

	assert_return(host && ret, -EINVAL);
	assert_return(mode == VFR_HOT_RESET_MODE_GROUP || mode == VFR_HOT_RESET_MODE_CDEV, -EINVAL);
	h = g_new0(struct vfr_vfio_holding, 1);
	h->host = vfr_host_ref(host);
	h->mode = mode;
	h->container_fd = -1;
	h->iommufd = -1;
	h->groups = g_array_new(FALSE, FALSE, sizeof(struct held_group));
	h->devices = g_array_new(FALSE, FALSE, sizeof(struct held_device));
	*ret = h;
	return 0;
}

VFR_EXPORT void vfr_vfio_holding_free(struct vfr_vfio_holding *h)
{
	if (!h)
		return;
	/* Devices before their groups, groups before the container. */
	for (guint i = 0; i < h->devices->len; i++)
		if (!g_array_index(h->devices, struct held_device, i).borrowed)
			close(g_array_index(h->devices, struct held_device, i).fd);
	for (guint i = 0; i < h->groups->len; i++)
		if (!g_array_index(h->groups, struct held_group, i).borrowed)
			close(g_array_index(h->groups, struct held_group, i).fd);
	if (h->container_fd >= 0)
		close(h->container_fd);
	if (h->iommufd >= 0)
		close(h->iommufd);
	g_array_free(h->devices, TRUE);
	g_array_free(h->groups, TRUE);
	vfr_host_unref(h->host);
	g_free(h);
}

static int find_device(const struct vfr_vfio_holding *h, const struct vfr_device *dev)
{
	for (guint i = 0; i < h->devices->len; i++) {
		const struct held_device *d = &g_array_index(h->devices, struct held_device, i);

		if (d->dev == dev)
			return d->fd;
	}
	return -ENOENT;
}

enum vfr_hot_reset_mode vfio_holding_get_mode(const struct vfr_vfio_holding *h)
{
	return h->mode;
}

int vfio_holding_get_group_fd(const struct vfr_vfio_holding *h, int group)
{
	for (guint i = 0; i < h->groups->len; i++)
		if (g_array_index(h->groups, struct held_group, i).group == group)
			return g_array_index(h->groups, struct held_group, i).fd;
	return -ENOENT;
}

VFR_EXPORT int vfr_vfio_holding_get_device_fd(const struct vfr_vfio_holding *h,
					      const struct vfr_device *dev)
{
	assert_return(h && dev, -EINVAL);
	return find_device(h, dev);
}

static int hold_group(struct vfr_vfio_holding *h, struct vfr_device *dev, int group,
		      struct vfr_error **reterr)
{
	struct held_group g = { .group = group, .fd = -1 };
	int r = vfio_holding_get_group_fd(h, group);

	if (r >= 0)
		return r; /* held already: one open per group */
	r = vfio_group_open(h->host->ctx, group, &g.fd);
	if (r == -ENOENT)
		return error_set(reterr, r, dev->name, "%s: no /dev/vfio/%d: no function of IOMMU "
				 "group %d is bound to a vfio driver", dev->name, group, group);
	if (r == -EPERM)
		return error_set(reterr, r, dev->name, "%s: IOMMU group %d is not viable: every "
				 "function in it must be bound to a vfio driver or to none",
				 dev->name, group);
	if (r == -EBUSY)
		return error_set(reterr, r, dev->name, "%s: IOMMU group %d is open elsewhere",
				 dev->name, group);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: cannot open IOMMU group %d: %s",
				 dev->name, group, g_strerror(-r));
	if (h->container_fd < 0) {
		r = vfio_container_open(h->host->ctx, &h->container_fd);
		if (r < 0) {
			close(g.fd);
			return error_set(reterr, r, dev->name, "%s: cannot open the VFIO container "
					 "/dev/vfio/vfio: %s", dev->name, g_strerror(-r));
		}
	}
	r = vfio_group_set_container(g.fd, h->container_fd, h->groups->len == 0);
	if (r < 0) {
		close(g.fd);
		return error_set(reterr, r, dev->name, "%s: cannot set IOMMU group %d into a "
				 "container: %s", dev->name, group, g_strerror(-r));
	}
	g_array_append_val(h->groups, g);
	return g.fd;
}

static int open_group_device(struct vfr_vfio_holding *h, struct vfr_device *dev, int *ret_fd,
			     struct vfr_error **reterr)
{
	int group, group_fd, r;

	r = vfr_device_get_iommu_group(dev, &group);
	if (r == -ENOENT)
		return error_set(reterr, r, dev->name,
				 "%s: cannot hold it through VFIO: it is in no IOMMU group",
				 dev->name);
	if (r < 0)
		return error_set(reterr, r, dev->name,
				 "%s: cannot hold it through VFIO: its IOMMU group cannot be read: %s",
				 dev->name, g_strerror(-r));
	group_fd = hold_group(h, dev, group, reterr);
	if (group_fd < 0)
		return group_fd;
	r = vfio_group_get_device_fd(group_fd, dev->name, ret_fd);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: cannot get its device from IOMMU group "
				 "%d: %s", dev->name, group, g_strerror(-r));
	return 0;
}

static int open_cdev(struct vfr_vfio_holding *h, struct vfr_device *dev, int *ret_fd,
		     struct vfr_error **reterr)
{
	g_auto(GStrv) names = NULL;
	const char *node = NULL;
	uint32_t devid;
	size_t n = 0;
	int dirfd, fd, r;

	dirfd = host_device_dirfd(h->host, dev);
	if (dirfd >= 0 && sysfs_list(dirfd, "vfio-dev", &names, &n) == 0 && n == 1)
		node = names[0];
	if (!node)
		return error_set(reterr, -ENOENT, dev->name, "%s: it has no vfio cdev (not bound to "
				 "a vfio driver, or a kernel without vfio-dev)", dev->name);
	if (h->iommufd < 0 && !g_str_has_prefix(node, "noiommu-")) {
		r = vfio_iommufd_open(h->host->ctx, &h->iommufd);
		if (r < 0)
			return error_set(reterr, r, dev->name, "%s: cannot open /dev/iommu: %s",
					 dev->name, g_strerror(-r));
	}
	r = vfio_cdev_open(h->host->ctx, node, &fd);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: cannot open /dev/vfio/devices/%s: %s",
				 dev->name, node, g_strerror(-r));
	/* A noiommu cdev binds without a context (iommufd -1). */
	r = vfio_cdev_bind(fd, g_str_has_prefix(node, "noiommu-") ? -1 : h->iommufd, &devid);
	if (r < 0) {
		close(fd);
		if (r == -EBUSY)
			return error_set(reterr, r, dev->name, "%s: cannot bind its cdev to an "
					 "iommufd: its IOMMU group is open through the group "
					 "interface", dev->name);
		return error_set(reterr, r, dev->name, "%s: cannot bind its cdev to an iommufd: %s",
				 dev->name, g_strerror(-r));
	}
	vfr_dbg(h->host->ctx, "%s: bound as devid %u", dev->name, devid);
	*ret_fd = fd;
	return 0;
}

VFR_EXPORT int vfr_vfio_holding_add(struct vfr_vfio_holding *h, struct vfr_device *dev,
				    struct vfr_error **reterr)
{
	struct held_device d = { .dev = dev, .fd = -1 };
	int r;

	assert_return(h && dev && dev->host == h->host, -EINVAL);
	if (find_device(h, dev) >= 0)
		return 0;
	if (h->mode == VFR_HOT_RESET_MODE_GROUP)
		r = open_group_device(h, dev, &d.fd, reterr);
	else
		r = open_cdev(h, dev, &d.fd, reterr);
	if (r < 0)
		return r;
	g_array_append_val(h->devices, d);
	return 0;
}

VFR_EXPORT int vfr_vfio_holding_check_hot_reset(struct vfr_vfio_holding *h,
						struct vfr_device *dev,
						struct vfr_hot_reset_check **ret_check,
						struct vfr_error **reterr)
{
	g_autofree struct vfr_address *opened = NULL;
	g_autofree int *groups = NULL;
	int fd;

	assert_return(h && dev && ret_check, -EINVAL);
	fd = find_device(h, dev);
	if (fd < 0)
		return error_set(reterr, -ENOENT, dev->name, "%s: not held, so its hot reset "
				 "cannot be asked about", dev->name);
	opened = g_new(struct vfr_address, h->devices->len + 1);
	for (guint i = 0; i < h->devices->len; i++)
		opened[i] = g_array_index(h->devices, struct held_device, i).dev->addr;
	groups = g_new(int, h->groups->len + 1);
	for (guint i = 0; i < h->groups->len; i++)
		groups[i] = g_array_index(h->groups, struct held_group, i).group;
	return vfr_hot_reset_check_fd(dev, fd, h->mode, groups, h->groups->len, opened,
				      h->devices->len, ret_check, reterr);
}

/* ---- the caller's own fds ---- */

/* Is @fd an open file of ROOT/@rel (the same inode)? */
static bool fd_is_node(const struct vfr_ctx *ctx, int fd, const char *rel)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && ctx_stat(ctx, rel, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

VFR_EXPORT int vfr_vfio_holding_adopt_group(struct vfr_vfio_holding *h, int group, int group_fd,
					    struct vfr_error **reterr)
{
	struct held_group g = { .group = group, .fd = group_fd, .borrowed = true };
	char rel[64], noiommu[64];
	int r;

	assert_return(h && group >= 0 && group_fd >= 0, -EINVAL);
	if (h->mode != VFR_HOT_RESET_MODE_GROUP)
		return error_set(reterr, -EINVAL, NULL, "IOMMU group %d: a holding of cdevs proves "
				 "ownership through its iommufd, not with group fds", group);
	r = vfio_holding_get_group_fd(h, group);
	if (r == group_fd)
		return 0;
	if (r >= 0)
		return error_set(reterr, -EEXIST, NULL, "IOMMU group %d is held already through "
				 "another fd", group);
	/* A hot reset proves ownership with it: it must be this group's node, no other file. */
	snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
	snprintf(noiommu, sizeof(noiommu), "dev/vfio/noiommu-%d", group);
	if (!fd_is_node(h->host->ctx, group_fd, rel) &&
	    !fd_is_node(h->host->ctx, group_fd, noiommu))
		return error_set(reterr, -EINVAL, NULL, "fd %d is not an open /dev/vfio/%d",
				 group_fd, group);
	{
		uint32_t flags = 0;

		r = vfio_group_status(group_fd, &flags);
		if (r < 0)
			return error_set(reterr, r, NULL, "IOMMU group %d: fd %d does not answer "
					 "VFIO_GROUP_GET_STATUS: %s", group, group_fd, g_strerror(-r));
	}
	g_array_append_val(h->groups, g);
	return 0;
}

VFR_EXPORT int vfr_vfio_holding_adopt_device(struct vfr_vfio_holding *h, struct vfr_device *dev,
					     int device_fd, struct vfr_error **reterr)
{
	struct held_device d = { .dev = dev, .fd = device_fd, .borrowed = true };
	uint32_t flags = 0;
	int r;

	assert_return(h && dev && dev->host == h->host && device_fd >= 0, -EINVAL);
	r = find_device(h, dev);
	if (r == device_fd)
		return 0;
	if (r >= 0)
		return error_set(reterr, -EEXIST, dev->name, "%s: held already through another "
				 "device fd", dev->name);
	if (h->mode == VFR_HOT_RESET_MODE_CDEV) {
		const char *node = NULL;
		g_autofree char *rel = NULL;

		r = vfr_device_get_vfio_cdev(dev, &node);
		if (r < 0)
			return error_set(reterr, r, dev->name, "%s: it has no vfio cdev to adopt "
					 "(not bound to a vfio driver, or no /dev/vfio/devices)",
					 dev->name);
		rel = g_strdup(node + 1); /* "dev/vfio/devices/vfioN" */
		if (!fd_is_node(h->host->ctx, device_fd, rel))
			return error_set(reterr, -EINVAL, dev->name, "%s: fd %d is not an open %s",
					 dev->name, device_fd, node);
	}
	r = vfio_device_info_flags(device_fd, &flags);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: fd %d does not answer "
				 "VFIO_DEVICE_GET_INFO (%s): not a VFIO device fd, or a cdev not "
				 "bound to an iommufd", dev->name, device_fd, g_strerror(-r));
	if (!(flags & VFIO_DEVICE_FLAGS_PCI))
		return error_set(reterr, -EINVAL, dev->name, "%s: fd %d is not a VFIO PCI device",
				 dev->name, device_fd);
	g_array_append_val(h->devices, d);
	return 0;
}
