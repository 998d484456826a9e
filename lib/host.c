/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One pass over /sys/bus/pci/devices builds the index: address -> function
 * (a sorted array, searched by bisection), the parent of each function taken
 * from its place in the sysfs device hierarchy, and the children of each
 * bridge. The IOMMU-group and SR-IOV indexes are built on first use, from
 * the same per-function reads the getters cache.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beneath.h"
#include "device-private.h"
#include "sysfs.h"

#define LOG_DOMAIN "scan"

#define DEVICES_DIR "bus/pci/devices"

struct scanned {
	struct vfr_device *dev;
	const char *entry; /* its name in bus/pci/devices, as spelled there */
	struct vfr_address parent;
	bool has_parent;
};

static void close_cached(struct vfr_host *host, bool now);

static int compare_scanned(const void *a, const void *b)
{
	return vfr_address_compare(&((const struct scanned *)a)->dev->addr,
				   &((const struct scanned *)b)->dev->addr);
}

struct vfr_device *host_find(const struct vfr_host *host, const struct vfr_address *addr)
{
	size_t lo = 0, hi = host->n_devices;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = vfr_address_compare(&host->devices[mid]->addr, addr);

		if (c == 0)
			return host->devices[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The directory holding a function is its parent bridge, or a root bus
 * ("pci0000:00", also "pci10000:e0" below a VMD endpoint). Bus numbers are
 * not used: root buses need not be bus 0, and VFs can sit on other buses
 * than their bridge's secondary bus.
 */
static void parse_hierarchy(struct scanned *s, const char *link)
{
	struct vfr_device *dev = s->dev;
	g_autofree char *updir = NULL;
	char resolved[4096];
	const char *up;

	if (sysfs_resolve_link(DEVICES_DIR, link, resolved, sizeof(resolved)) < 0 ||
	    !g_str_has_prefix(resolved, "devices/")) {
		device_add_problem(dev, "its bus/pci/devices link (%s) leads outside /sys/devices",
				   link);
		return;
	}
	if (strcmp(sysfs_basename(resolved), dev->name) != 0) {
		device_add_problem(dev, "its bus/pci/devices link leads to %s, not to its own name",
				   resolved);
		return;
	}
	dev->syspath = g_strdup(resolved);
	updir = g_path_get_dirname(resolved);
	up = sysfs_basename(updir);
	if (vfr_address_parse(up, &s->parent, NULL) == 0)
		s->has_parent = true;
	else if (!g_str_has_prefix(up, "pci"))
		device_add_problem(dev, "it sits below %s, neither a bridge nor a root bus", updir);
}

static void link_parent(struct vfr_host *host, struct scanned *s)
{
	struct vfr_device *parent;

	if (!s->has_parent)
		return;
	parent = host_find(host, &s->parent);
	if (!parent) {
		char name[VFR_ADDRESS_STRLEN];

		vfr_address_format(&s->parent, name, sizeof(name));
		device_add_problem(s->dev, "its parent %s is not listed in bus/pci/devices", name);
		return;
	}
	s->dev->parent = parent;
	if (!parent->children)
		parent->children = g_ptr_array_new();
	g_ptr_array_add(parent->children, s->dev);
}

/*
 * One function, one object: a tree can list an address twice, in two
 * spellings (04:00.1 and 0000:04:00.1, which parse alike). The kernel's
 * own spelling wins, the other entry is ignored and said so. @scanned is
 * sorted; returns how many are left.
 */
static size_t merge_spellings(struct scanned *scanned, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n;) {
		size_t end = i + 1, keep = i;

		while (end < n && vfr_address_compare(&scanned[end].dev->addr, &scanned[i].dev->addr) == 0)
			end++;
		for (size_t k = i; k < end; k++)
			if (strcmp(scanned[k].entry, scanned[k].dev->name) == 0) {
				keep = k;
				break;
			}
		for (size_t k = i; k < end; k++) {
			if (k == keep)
				continue;
			device_add_problem(scanned[keep].dev,
					   "bus/pci/devices lists it a second time, as '%s'; that entry "
					   "is ignored", scanned[k].entry);
			device_free(scanned[k].dev);
		}
		scanned[out++] = scanned[keep];
		i = end;
	}
	return out;
}

static void unlink_parent(struct vfr_device *dev)
{
	if (!dev->parent)
		return;
	if (dev->parent->children) {
		g_ptr_array_remove(dev->parent->children, dev);
		if (dev->parent->children->len == 0)
			g_clear_pointer(&dev->parent->children, g_ptr_array_unref);
	}
	dev->parent = NULL;
}

/*
 * Parents come from where each function's directory sits, so a crafted
 * tree can make them loop (A below B, B below A). Nothing that walks the
 * topology may go round for ever: every function on a loop loses its
 * parent, with a problem saying why. Linear: each function is walked up
 * from once (0 not seen, 1 on the current walk, 2 done).
 */
static void break_cycles(struct vfr_host *host)
{
	g_autofree guint8 *state = g_new0(guint8, host->n_devices ? host->n_devices : 1);
	g_autoptr(GPtrArray) walk = g_ptr_array_new();
	g_autoptr(GHashTable) index = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (size_t i = 0; i < host->n_devices; i++)
		g_hash_table_insert(index, host->devices[i], GSIZE_TO_POINTER(i));
	for (size_t i = 0; i < host->n_devices; i++) {
		struct vfr_device *d = host->devices[i];
		gsize at;

		g_ptr_array_set_size(walk, 0);
		while (d && state[at = GPOINTER_TO_SIZE(g_hash_table_lookup(index, d))] == 0) {
			state[at] = 1;
			g_ptr_array_add(walk, d);
			d = d->parent;
		}
		if (d && state[GPOINTER_TO_SIZE(g_hash_table_lookup(index, d))] == 1) {
			/* @d is on this walk: from it to the end of the walk is the loop. */
			GString *loop = g_string_new(NULL);
			guint from = 0;

			while (walk->pdata[from] != d)
				from++;
			for (guint k = from; k < walk->len; k++)
				g_string_append_printf(loop, "%s -> ",
						       ((struct vfr_device *)walk->pdata[k])->name);
			g_string_append(loop, d->name);
			for (guint k = from; k < walk->len; k++) {
				struct vfr_device *m = walk->pdata[k];

				device_add_problem(m, "its parents loop (%s): no parent is taken",
						   loop->str);
				unlink_parent(m);
			}
			g_string_free(loop, TRUE);
		}
		for (guint k = 0; k < walk->len; k++)
			state[GPOINTER_TO_SIZE(g_hash_table_lookup(index, walk->pdata[k]))] = 2;
	}
}

VFR_EXPORT int vfr_host_scan(struct vfr_ctx *ctx, struct vfr_host **ret_host,
			     struct vfr_error **reterr)
{
	g_autofree struct scanned *scanned = NULL;
	g_auto(GStrv) names = NULL;
	struct vfr_host *host;
	size_t n_names, n = 0;
	const char *root;
	int dfd, sys_fd, sys_error, r;

	assert_return(ctx && ret_host, -EINVAL);

	root = vfr_ctx_get_root(ctx);
	sys_fd = ctx_get_sys_fd(ctx);
	sys_error = ctx_get_sys_error(ctx);
	if (sys_fd < 0 && sys_error == -ENOENT)
		return error_set(reterr, -ENOENT, NULL, "%s has no sys directory", root);
	if (sys_fd < 0)
		return error_set(reterr, sys_error, NULL, "%s%ssys: %s; not followed", root,
				 g_str_has_suffix(root, "/") ? "" : "/",
				 sys_error == -ELOOP || sys_error == -ENOTDIR
					 ? "not a directory but a symbolic link or a file"
					 : g_strerror(-sys_error));
	/* One open: the listing and every link read go through the same fd. */
	r = sysfs_open_dir(sys_fd, DEVICES_DIR, &dfd);
	if (r >= 0) {
		r = sysfs_list(dfd, ".", &names, &n_names);
		if (r < 0)
			close(dfd);
	}
	if (r < 0)
		return error_set(reterr, r, NULL, "cannot list %s%ssys/" DEVICES_DIR ": %s",
				 root, g_str_has_suffix(root, "/") ? "" : "/",
				 g_strerror(-r));

	host = g_new0(struct vfr_host, 1);
	host->refcount = 1;
	host->ctx = vfr_ctx_ref(ctx);
	host->cached_fd = -1;
	host->vfio_dev_mechanism = -1;
	scanned = g_new0(struct scanned, n_names);

	for (size_t i = 0; i < n_names; i++) {
		struct vfr_address addr;
		char link[4096];

		if (vfr_address_parse(names[i], &addr, NULL) < 0) {
			vfr_warn(ctx, "ignoring '%s' in /sys/" DEVICES_DIR ": not a PCI address",
				 names[i]);
			continue;
		}
		scanned[n].dev = device_new(host, &addr);
		scanned[n].entry = names[i];
		r = sysfs_readlink(dfd, names[i], link, sizeof(link));
		if (r < 0)
			device_add_problem(scanned[n].dev,
					   "its bus/pci/devices entry is not a readable link: %s",
					   g_strerror(-r));
		else
			parse_hierarchy(&scanned[n], link);
		n++;
	}
	close(dfd);

	qsort(scanned, n, sizeof(*scanned), compare_scanned);
	n = merge_spellings(scanned, n);
	host->devices = g_new(struct vfr_device *, n + 1);
	for (size_t i = 0; i < n; i++)
		host->devices[i] = scanned[i].dev;
	host->devices[n] = NULL;
	host->n_devices = n;
	for (size_t i = 0; i < n; i++)
		link_parent(host, &scanned[i]);
	break_cycles(host);

	vfr_dbg(ctx, "scan found %zu PCI functions", n);
	*ret_host = host;
	return 0;
}

VFR_EXPORT struct vfr_host *vfr_host_ref(struct vfr_host *host)
{
	assert_return(host, NULL);
	host->refcount++;
	return host;
}

VFR_EXPORT struct vfr_host *vfr_host_unref(struct vfr_host *host)
{
	if (!host || --host->refcount > 0)
		return NULL;
	close_cached(host, true);
	for (size_t i = 0; i < host->n_devices; i++)
		device_free(host->devices[i]);
	g_free(host->devices);
	if (host->groups)
		g_hash_table_destroy(host->groups);
	if (host->driver_dirs)
		g_hash_table_destroy(host->driver_dirs);
	if (host->group_dirs)
		g_hash_table_destroy(host->group_dirs);
	if (host->pending)
		g_ptr_array_unref(host->pending);

	if (host->observed)
		g_ptr_array_unref(host->observed);
	vfr_ctx_unref(host->ctx);
	g_free(host);
	return NULL;
}

VFR_EXPORT struct vfr_ctx *vfr_host_get_ctx(const struct vfr_host *host)
{
	assert_return(host, NULL);
	return host->ctx;
}

VFR_EXPORT size_t vfr_host_get_n_devices(const struct vfr_host *host)
{
	assert_return(host, 0);
	return host->n_devices;
}

VFR_EXPORT struct vfr_device *vfr_host_get_device(const struct vfr_host *host, size_t index)
{
	assert_return(host && index < host->n_devices, NULL);
	return host->devices[index];
}

VFR_EXPORT int vfr_host_find_device(const struct vfr_host *host, const struct vfr_address *addr,
				    struct vfr_device **ret_dev)
{
	struct vfr_device *dev;

	assert_return(host && addr && ret_dev, -EINVAL);
	dev = host_find(host, addr);
	if (!dev)
		return -ENODEV;
	*ret_dev = dev;
	return 0;
}

VFR_EXPORT int vfr_host_lookup(const struct vfr_host *host, const char *text,
			       struct vfr_device **ret_dev, struct vfr_error **reterr)
{
	struct vfr_address addr;
	struct vfr_device *dev;
	char name[VFR_ADDRESS_STRLEN];
	int r;

	assert_return(host && ret_dev, -EINVAL);
	r = vfr_address_parse(text, &addr, reterr);
	if (r < 0)
		return r;
	dev = host_find(host, &addr);
	if (!dev) {
		vfr_address_format(&addr, name, sizeof(name));
		return error_set(reterr, -ENODEV, name, "%s: no such PCI function", name);
	}
	*ret_dev = dev;
	return 0;
}

/*
 * One open directory at a time: callers ask for the facts of one function in
 * a row, and keeping one fd per function would run into RLIMIT_NOFILE on
 * large hosts.
 */
int host_device_open_dir(struct vfr_host *host, struct vfr_device *dev)
{
	int fd, r;

	if (!dev->syspath)
		return -EIO;
	r = sysfs_open_dir(ctx_get_sys_fd(host->ctx), dev->syspath, &fd);
	if (r == -ENOENT)
		return -ENODEV;
	return r < 0 ? r : fd;
}

void host_close_later(struct vfr_host *host, int fd)
{
	if (host->cached_fd < 0 || host->n_later_fds >= G_N_ELEMENTS(host->later_fds))
		close(fd);
	else
		host->later_fds[host->n_later_fds++] = fd;
}

/* What one function's directory and the attributes read below it take, at most. */
#define FDS_PER_FUNCTION 16

static int compare_fds(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * Closes the descriptors kept for later. Those numbered without a gap close
 * in one call: every number in such a run is one of these, open until this
 * call, so no other descriptor of the process can be among them. (Where
 * close_range() is missing, one by one.)
 */
static void close_later(struct vfr_host *host)
{
	unsigned int n = host->n_later_fds;
	int *fds = host->later_fds;

	host->n_later_fds = 0;
	qsort(fds, n, sizeof(fds[0]), compare_fds);
	for (unsigned int i = 0, end; i < n; i = end) {
		for (end = i + 1; end < n && fds[end] == fds[end - 1] + 1; end++)
			;
		if (end - i > 1 &&
		    close_range((unsigned int)fds[i], (unsigned int)fds[end - 1], 0) == 0)
			continue;
		for (unsigned int k = i; k < end; k++)
			close(fds[k]);
	}
}

/*
 * Gives up the open directory. Its descriptor and those of the attributes
 * read below it are closed with those of the next functions, a few dozen
 * in one call, unless @now (the host is done with them, or a function's
 * own descriptors would not fit).
 */
static void close_cached(struct vfr_host *host, bool now)
{
	if (host->cached_fd >= 0) {
		if (host->n_later_fds >= G_N_ELEMENTS(host->later_fds))
			close_later(host);
		host->later_fds[host->n_later_fds++] = host->cached_fd;
	}
	host->cached_fd = -1;
	if (host->cached_dev)
		host->cached_dev->listed_at = 0;
	host->cached_dev = NULL;
	/* Room for the next function's directory and the attributes it reads. */
	if (now || host->n_later_fds + FDS_PER_FUNCTION > G_N_ELEMENTS(host->later_fds))
		close_later(host);
}

int host_device_dirfd(struct vfr_host *host, struct vfr_device *dev)
{
	int fd, r;

	if (host->cached_dev == dev) {
		if (!dev->listed_at)
			device_list_dir(dev, host->cached_fd, true);
		return host->cached_fd;
	}
	if (!dev->syspath)
		return -EIO;
	close_cached(host, false);
	/* Readable, not O_PATH: it is listed once, and its entries are opened by what that says. */
	r = sysfs_open_dir_listable(ctx_get_sys_fd(host->ctx), dev->syspath, &fd);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	host->cached_dev = dev;
	host->cached_fd = fd;
	device_list_dir(dev, fd, false);
	return fd;
}

/* The names of @relpath's entries that are no link (NULL when it cannot be listed). */
static GHashTable *list_dirs(struct vfr_host *host, const char *relpath)
{
	GHashTable *names;
	struct dirent *de;
	DIR *dir;
	int fd;

	if (sysfs_open_dir_listable(ctx_get_sys_fd(host->ctx), relpath, &fd) < 0)
		return NULL;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return NULL;
	}
	names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while ((de = readdir(dir)))
		if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN && de->d_name[0] != '.')
			g_hash_table_add(names, g_strdup(de->d_name));
	closedir(dir);
	return names;
}

int host_link_target_exists(struct vfr_host *host, const char *resolved)
{
	static const char drivers[] = "bus/pci/drivers/", groups[] = "kernel/iommu_groups/";
	GHashTable **set = NULL;
	const char *name = NULL;

	if (g_str_has_prefix(resolved, drivers)) {
		set = &host->driver_dirs;
		name = resolved + strlen(drivers);
	} else if (g_str_has_prefix(resolved, groups)) {
		set = &host->group_dirs;
		name = resolved + strlen(groups);
	}
	/* A PF (physfn) is a function the scan found there: its directory was listed then. */
	if (g_str_has_prefix(resolved, "devices/")) {
		struct vfr_address addr;
		struct vfr_device *fn;

		if (vfr_address_parse(sysfs_basename(resolved), &addr, NULL) == 0 &&
		    (fn = host_find(host, &addr)) && fn->syspath && strcmp(fn->syspath, resolved) == 0)
			return 1;
	}
	/* A function's driver and group are among a few dozen directories: one listing each. */
	if (set && !strchr(name, '/') && beneath_name_valid(name)) {
		if (!*set)
			*set = list_dirs(host, set == &host->driver_dirs ? "bus/pci/drivers"
									 : "kernel/iommu_groups");
		if (*set && g_hash_table_contains(*set, name))
			return 1;
	}
	return sysfs_exists(ctx_get_sys_fd(host->ctx), resolved);
}

static void free_group(gpointer p)
{
	g_ptr_array_free(p, TRUE);
}

static GHashTable *group_index(struct vfr_host *host)
{
	if (host->groups)
		return host->groups;
	host->groups = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_group);
	for (size_t i = 0; i < host->n_devices; i++) {
		struct vfr_device *dev = host->devices[i];
		GPtrArray *members;
		int group;

		if (vfr_device_get_iommu_group(dev, &group) < 0)
			continue;
		members = g_hash_table_lookup(host->groups, GINT_TO_POINTER(group));
		if (!members) {
			members = g_ptr_array_new();
			g_hash_table_insert(host->groups, GINT_TO_POINTER(group), members);
		}
		g_ptr_array_add(members, dev);
	}
	return host->groups;
}

VFR_EXPORT size_t vfr_host_get_n_group_devices(const struct vfr_host *host, int group)
{
	GPtrArray *members;

	assert_return(host, 0);
	members = g_hash_table_lookup(group_index((struct vfr_host *)host), GINT_TO_POINTER(group));
	return members ? members->len : 0;
}

VFR_EXPORT struct vfr_device *vfr_host_get_group_device(const struct vfr_host *host, int group,
							size_t index)
{
	GPtrArray *members;

	assert_return(host, NULL);
	members = g_hash_table_lookup(group_index((struct vfr_host *)host), GINT_TO_POINTER(group));
	if (!members || index >= members->len)
		return NULL;
	return members->pdata[index];
}

/* Each VF's `physfn` link names its PF; the PF's list is the inverse. */
void host_index_virtfns(struct vfr_host *host)
{
	if (host->virtfns_indexed)
		return;
	host->virtfns_indexed = true;
	for (size_t i = 0; i < host->n_devices; i++) {
		struct vfr_device *vf = host->devices[i], *pf;

		if (device_load(vf, ATTR_PHYSFN) < 0)
			continue;
		pf = host_find(host, &vf->physfn_addr);
		if (!pf) {
			device_add_problem(vf, "its physfn link names a PF that is not listed");
			continue;
		}
		vf->physfn = pf;
		if (!pf->virtfns)
			pf->virtfns = g_ptr_array_new();
		g_ptr_array_add(pf->virtfns, vf);
	}
}

/*
 * Linux >= 6.1 gives every device bound to a vfio driver a vfio-dev
 * directory, and has /sys/class/vfio-dev once vfio is loaded; where that
 * class exists, a function without vfio-dev is not vfio-driven.
 */
bool host_has_vfio_dev_mechanism(struct vfr_host *host)
{
	if (host->vfio_dev_mechanism < 0)
		host->vfio_dev_mechanism = sysfs_exists(ctx_get_sys_fd(host->ctx), "class/vfio-dev") > 0;
	return host->vfio_dev_mechanism > 0;
}
