/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a VMM opens for a function and what its manager must let it open:
 * the group node, the cdev, the container and /dev/iommu, and the sysfs
 * files a VMM reads or maps. Read from the kernel's own files: the
 * iommu_group link, the vfio-dev directory (and its `dev` attribute), the
 * nodes in ROOT/dev. Also the refresh of what was read.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "device-private.h"
#include "sysfs.h"

#define LOG_DOMAIN "vmm"

/* The one entry of vfio-dev/ ("vfio3", "noiommu-vfio3"); -ENOENT when there is none. */
static int cdev_name(struct vfr_device *dev, char **ret)
{
	g_auto(GStrv) names = NULL;
	size_t n = 0;
	int fd = host_device_dirfd(dev->host, dev);
	int r;

	if (fd < 0)
		return fd;
	r = sysfs_list(fd, "vfio-dev", &names, &n);
	if (r == -ENOENT || (r == 0 && n == 0))
		return -ENOENT;
	if (r < 0)
		return r;
	if (n > 1) {
		device_add_problem(dev, "its vfio-dev directory holds %zu entries, not one", n);
		return -EIO;
	}
	*ret = g_strdup(names[0]);
	return 0;
}

/*
 * vfio names a group without an IOMMU "noiommu-N" (its iommu_groups/N/name
 * is "vfio-noiommu"): the node says which, when it exists; the group's
 * name when it does not yet.
 */
static bool group_is_noiommu(struct vfr_device *dev, int group)
{
	char rel[64], name[64] = "";
	struct stat st;

	snprintf(rel, sizeof(rel), "dev/vfio/noiommu-%d", group);
	if (ctx_stat(dev->host->ctx, rel, &st) == 0)
		return true;
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/name", group);
	return sysfs_read(ctx_get_sys_fd(dev->host->ctx), rel, name, sizeof(name)) >= 0 &&
	       strcmp(g_strstrip(name), "vfio-noiommu") == 0;
}

VFR_EXPORT int vfr_device_get_vfio_group_node(struct vfr_device *dev, const char **ret)
{
	int group, r;

	assert_return(dev && ret, -EINVAL);
	if (!dev->group_node) {
		r = vfr_device_get_iommu_group(dev, &group);
		if (r < 0)
			return r;
		dev->group_node = group_is_noiommu(dev, group)
					  ? g_strdup_printf("/dev/vfio/noiommu-%d", group)
					  : g_strdup_printf("/dev/vfio/%d", group);
	}
	*ret = dev->group_node;
	return 0;
}

VFR_EXPORT int vfr_device_get_vfio_cdev(struct vfr_device *dev, const char **ret)
{
	g_autofree char *name = NULL;
	int r;

	assert_return(dev && ret, -EINVAL);
	if (!dev->cdev_node) {
		g_autofree char *path = NULL;
		struct stat st;

		r = cdev_name(dev, &name);
		if (r < 0)
			return r;
		/* vfio-dev/ is there since 6.1; the node only with CONFIG_VFIO_DEVICE_CDEV (>= 6.6). */
		path = g_strconcat("/dev/vfio/devices/", name, NULL);
		if (ctx_stat(dev->host->ctx, path + 1, &st) < 0)
			return -ENOENT;
		dev->cdev_node = g_steal_pointer(&path);
	}
	*ret = dev->cdev_node;
	return 0;
}

/* ---- the access list ---- */

struct access_entry {
	char *path;
	enum vfr_access_kind kind;
	int major, minor;
};

struct vfr_access_list {
	GArray *entries; /* struct access_entry */
};

static void add_entry(struct vfr_access_list *l, enum vfr_access_kind kind, char *path,
		      int major, int minor)
{
	struct access_entry e = { .path = path, .kind = kind, .major = major, .minor = minor };

	g_array_append_val(l->entries, e);
}

/* A node of ROOT/dev: its device number when it is a character device, else -1. */
static void add_node(struct vfr_access_list *l, struct vfr_device *dev,
		     enum vfr_access_kind kind, const char *path, bool only_if_present)
{
	struct stat st;
	int r = ctx_stat(dev->host->ctx, path + 1, &st);

	if (r < 0 && only_if_present)
		return;
	if (r == 0 && S_ISCHR(st.st_mode))
		add_entry(l, kind, g_strdup(path), (int)major(st.st_rdev), (int)minor(st.st_rdev));
	else
		add_entry(l, kind, g_strdup(path), -1, -1);
}

/* "511:3\n" from vfio-dev/NAME/dev: what the kernel registered the cdev as. */
static void cdev_number(struct vfr_device *dev, int *ret_major, int *ret_minor)
{
	g_autofree char *name = NULL, *rel = NULL;
	char text[32];
	unsigned int ma, mi;
	int fd = host_device_dirfd(dev->host, dev);

	*ret_major = *ret_minor = -1;
	if (fd < 0 || cdev_name(dev, &name) < 0)
		return;
	rel = g_strconcat("vfio-dev/", name, "/dev", NULL);
	if (sysfs_read(fd, rel, text, sizeof(text)) >= 0 && sscanf(text, "%u:%u", &ma, &mi) == 2) {
		*ret_major = (int)ma;
		*ret_minor = (int)mi;
	}
}

/* What libvirt's virPCIDeviceFileIterate() labels: the files a VMM reads or maps. */
static bool vmm_sysfs_file(const char *name)
{
	return strcmp(name, "config") == 0 || strcmp(name, "rom") == 0 ||
	       strcmp(name, "reset") == 0 || g_str_has_prefix(name, "resource");
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

VFR_EXPORT int vfr_device_list_access(struct vfr_device *dev, struct vfr_access_list **ret,
				      struct vfr_error **reterr)
{
	struct vfr_access_list *l;
	g_auto(GStrv) names = NULL;
	const char *node = NULL;
	size_t n = 0;
	int fd, r;

	assert_return(dev && ret, -EINVAL);
	fd = host_device_dirfd(dev->host, dev);
	if (fd < 0)
		return error_set(reterr, fd, dev->name, "%s: its sysfs directory cannot be opened: %s",
				 dev->name, g_strerror(-fd));
	r = sysfs_list(fd, ".", &names, &n);
	if (r < 0)
		return error_set(reterr, r == -ENOENT ? -ENODEV : r, dev->name,
				 "%s: its sysfs directory cannot be read: %s", dev->name,
				 g_strerror(-r));

	l = g_new0(struct vfr_access_list, 1);
	l->entries = g_array_new(FALSE, TRUE, sizeof(struct access_entry));
	if (vfr_device_get_vfio_group_node(dev, &node) == 0) {
		add_node(l, dev, VFR_ACCESS_GROUP_NODE, node, false);
		add_node(l, dev, VFR_ACCESS_CONTAINER, "/dev/vfio/vfio", true);
	}
	if (vfr_device_get_vfio_cdev(dev, &node) == 0) {
		int ma, mi;

		cdev_number(dev, &ma, &mi);
		add_entry(l, VFR_ACCESS_CDEV, g_strdup(node), ma, mi);
		add_node(l, dev, VFR_ACCESS_IOMMUFD, "/dev/iommu", true);
	}
	qsort(names, n, sizeof(*names), compare_names);
	for (size_t i = 0; i < n; i++)
		if (vmm_sysfs_file(names[i]))
			add_entry(l, VFR_ACCESS_SYSFS,
				  g_strdup_printf("/sys/%s/%s", dev->syspath, names[i]), -1, -1);
	*ret = l;
	return 0;
}

VFR_EXPORT void vfr_access_list_free(struct vfr_access_list *l)
{
	if (!l)
		return;
	for (guint i = 0; i < l->entries->len; i++)
		g_free(g_array_index(l->entries, struct access_entry, i).path);
	g_array_free(l->entries, TRUE);
	g_free(l);
}

VFR_EXPORT size_t vfr_access_list_get_n(const struct vfr_access_list *l)
{
	assert_return(l, 0);
	return l->entries->len;
}

static const struct access_entry *entry(const struct vfr_access_list *l, size_t i)
{
	return l && i < l->entries->len ? &g_array_index(l->entries, struct access_entry, i) : NULL;
}

VFR_EXPORT const char *vfr_access_list_get_path(const struct vfr_access_list *l, size_t index)
{
	const struct access_entry *e = entry(l, index);

	return e ? e->path : NULL;
}

VFR_EXPORT enum vfr_access_kind vfr_access_list_get_kind(const struct vfr_access_list *l,
							 size_t index)
{
	const struct access_entry *e = entry(l, index);

	return e ? e->kind : VFR_ACCESS_SYSFS;
}

VFR_EXPORT int vfr_access_list_get_major(const struct vfr_access_list *l, size_t index)
{
	const struct access_entry *e = entry(l, index);

	return e ? e->major : -1;
}

VFR_EXPORT int vfr_access_list_get_minor(const struct vfr_access_list *l, size_t index)
{
	const struct access_entry *e = entry(l, index);

	return e ? e->minor : -1;
}

VFR_EXPORT const char *vfr_access_kind_to_string(enum vfr_access_kind kind)
{
	switch (kind) {
	case VFR_ACCESS_GROUP_NODE:
		return "group-node";
	case VFR_ACCESS_CONTAINER:
		return "container";
	case VFR_ACCESS_CDEV:
		return "cdev";
	case VFR_ACCESS_IOMMUFD:
		return "iommufd";
	case VFR_ACCESS_SYSFS:
		return "sysfs";
	default:
		return NULL;
	}
}

VFR_EXPORT bool vfr_driver_type_is_vfio(enum vfr_driver_type type)
{
	return driver_type_is_vfio(type);
}

/* ---- refresh ---- */

VFR_EXPORT int vfr_device_refresh(struct vfr_device *dev)
{
	int r;

	assert_return(dev, -EINVAL);
	device_invalidate(dev);
	if (!dev->syspath)
		return -ENODEV;
	r = sysfs_exists(ctx_get_sys_fd(dev->host->ctx), dev->syspath);
	return r > 0 ? 0 : r == 0 ? -ENODEV : r;
}

VFR_EXPORT int vfr_host_refresh(struct vfr_host *host, struct vfr_error **reterr)
{
	g_auto(GStrv) names = NULL;
	size_t n = 0, known = 0;
	int r;

	assert_return(host, -EINVAL);
	for (size_t i = 0; i < host->n_devices; i++)
		device_invalidate(host->devices[i]);
	r = sysfs_list(ctx_get_sys_fd(host->ctx), "bus/pci/devices", &names, &n);
	if (r < 0)
		return error_set(reterr, r, NULL, "cannot read /sys/bus/pci/devices: %s",
				 g_strerror(-r));
	for (size_t i = 0; i < n; i++) {
		struct vfr_address addr;

		if (vfr_address_parse(names[i], &addr, NULL) < 0)
			continue;
		if (!host_find(host, &addr)) {
			vfr_dbg(host->ctx, "%s appeared since the scan", names[i]);
			return 1;
		}
		known++;
	}
	/* Every listed function is known; fewer than scanned means some vanished. */
	return known == host->n_devices ? 0 : 1;
}
