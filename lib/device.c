/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A function's facts, read from its sysfs directory when first asked for,
 * once each. A value that cannot be read or parsed becomes an errno for that
 * getter and a sentence in the function's problem list, never a guess.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "beneath.h"
#include "device-private.h"
#include "modindex.h"
#include "pending.h"
#include "sysfs.h"

#define LOG_DOMAIN "device"

struct vfr_device *device_new(struct vfr_host *host, const struct vfr_address *addr)
{
	struct vfr_device *dev = g_new0(struct vfr_device, 1);

	dev->host = host;
	dev->addr = *addr;
	vfr_address_format(addr, dev->name, sizeof(dev->name));
	dev->iommu_group = -1;
	dev->numa_node = -1;
	return dev;
}

void device_free(struct vfr_device *dev)
{
	if (dev->children)
		g_ptr_array_free(dev->children, TRUE);
	if (dev->virtfns)
		g_ptr_array_free(dev->virtfns, TRUE);
	if (dev->problems)
		g_ptr_array_free(dev->problems, TRUE);
	g_free(dev->syspath);
	g_free(dev->driver);
	g_free(dev->driver_override);
	g_free(dev->modalias);
	g_free(dev->power_state);
	g_free(dev->vendor_name);
	g_free(dev->device_name);
	g_strfreev(dev->reset_methods);
	g_free(dev->group_node);
	g_free(dev->cdev_node);
	g_strfreev(dev->net_names);
	pending_call_free(dev->pending);
	if (dev->retired)
		g_ptr_array_free(dev->retired, TRUE);
	if (dev->retired_pending)
		g_ptr_array_free(dev->retired_pending, TRUE);
	g_free(dev);
}

static void retire(struct vfr_device *dev, void *p)
{
	if (!p)
		return;
	if (!dev->retired)
		dev->retired = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(dev->retired, p);
}

void device_invalidate(struct vfr_device *dev)
{
	retire(dev, dev->driver);
	retire(dev, dev->driver_override);
	retire(dev, dev->modalias);
	retire(dev, dev->power_state);
	/* A strv is its strings plus the vector, each g_free()-able. */
	for (char **m = dev->reset_methods; m && *m; m++)
		retire(dev, *m);
	retire(dev, dev->reset_methods);
	retire(dev, dev->group_node);
	retire(dev, dev->cdev_node);
	for (char **m = dev->net_names; m && *m; m++)
		retire(dev, *m);
	retire(dev, dev->net_names);
	dev->group_node = dev->cdev_node = NULL;
	dev->net_names = NULL;
	if (dev->pending) {
		if (!dev->retired_pending)
			dev->retired_pending = g_ptr_array_new_with_free_func(
				(GDestroyNotify)pending_call_free);
		g_ptr_array_add(dev->retired_pending, dev->pending);
		dev->pending = NULL;
	}
	dev->driver = dev->driver_override = dev->modalias = dev->power_state = NULL;
	dev->reset_methods = NULL;
	dev->has_vfio_dev = false;
	dev->listed_at = 0;
	dev->loaded = 0;
	dev->from_uevent = 0;
	dev->iommu_group = -1;
}

void device_add_problem(struct vfr_device *dev, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!dev->problems)
		dev->problems = g_ptr_array_new_with_free_func(g_free);
	vfr_dbg(dev->host->ctx, "%s: %s", dev->name, msg);
	g_ptr_array_add(dev->problems, msg);
}

static const char *const entry_names[_ENTRY_MAX] = {
	[ENTRY_UEVENT] = "uevent",
	[ENTRY_CONFIG] = "config",
	[ENTRY_DRIVER] = "driver",
	[ENTRY_IOMMU_GROUP] = "iommu_group",
	[ENTRY_DRIVER_OVERRIDE] = "driver_override",
	[ENTRY_NUMA_NODE] = "numa_node",
	[ENTRY_POWER_STATE] = "power_state",
	[ENTRY_RESET_METHOD] = "reset_method",
	[ENTRY_PHYSFN] = "physfn",
	[ENTRY_VFIO_DEV] = "vfio-dev",
	[ENTRY_MODALIAS] = "modalias",
	[ENTRY_VENDOR] = "vendor",
	[ENTRY_DEVICE] = "device",
	[ENTRY_SUBSYSTEM_VENDOR] = "subsystem_vendor",
	[ENTRY_SUBSYSTEM_DEVICE] = "subsystem_device",
	[ENTRY_CLASS] = "class",
	[ENTRY_REVISION] = "revision",
};

/*
 * How long a listing is believed. Getters of one function come in a row,
 * within microseconds; a caller that comes back to it later, after
 * another process may have bound it or made it a VF's PF, gets a new one.
 */
#define LISTING_TRUST_US (200 * 1000)

void device_list_dir(struct vfr_device *dev, int fd, bool rewind)
{
	struct vfr_ctx *ctx = dev->host->ctx;
	bool sysfs = ctx_sys_is_sysfs(ctx);
	struct stat st;
	int n;

	dev->listed_at = 0;
	/* In the kernel's sysfs nobody but the kernel replaces an entry: no owner to check. */
	if (!sysfs && fstat(fd, &st) < 0)
		return;
	n = sysfs_list_kinds(fd, rewind, ctx_sys_listing_fills(ctx), entry_names, _ENTRY_MAX,
			     dev->entry_kind);
	if (n < 0)
		return;
	dev->dir_trusted = sysfs || beneath_dir_trusted(&st);
	dev->dir_empty = n == 0;
	dev->listed_at = g_get_monotonic_time();
	if (n > 0 && dev->entry_kind[ENTRY_PHYSFN] == SYSFS_ABSENT)
		dev->physfn_absent = true;
	/* The SR-IOV index will want a VF's physfn link: read it while the directory is open. */
	else if (n > 0 && !(dev->loaded & (1u << ATTR_PHYSFN)) && device_load(dev, ATTR_PHYSFN) < 0)
		return; /* the getter answers its status, kept with the attribute */
}

/* The listing's kind of @name, or -1 when there is no usable listing or @name is not in it. */
static int listed_kind(struct vfr_device *dev, const char *name)
{
	if (!dev->listed_at || dev->host->cached_dev != dev ||
	    g_get_monotonic_time() - dev->listed_at > LISTING_TRUST_US)
		return -1;
	for (int i = 0; i < _ENTRY_MAX; i++)
		if (strcmp(entry_names[i], name) == 0)
			return dev->entry_kind[i];
	return -1;
}

/* Opens attribute @name below @fd, the directory of @dev, for reading: an fd or -errno. */
static int open_attr(struct vfr_device *dev, int fd, const char *name)
{
	unsigned int types = BENEATH_REG | (ctx_sys_is_nodev(dev->host->ctx) ? BENEATH_NODEV : 0);
	int kind = listed_kind(dev, name);

	if (kind == SYSFS_ABSENT)
		return -ENOENT;
	if (kind < 0)
		return beneath_open(fd, name, O_RDONLY, 0, types);
	return beneath_open_entry(fd, name, (unsigned char)kind, dev->dir_trusted, O_RDONLY, types);
}

/* Reads attribute @name of @dev into @buf; -ENODEV when the function vanished. */
static int read_attr(struct vfr_device *dev, const char *name, char *buf, size_t size)
{
	int fd = host_device_dirfd(dev->host, dev), r;

	if (fd < 0)
		return fd;
	fd = open_attr(dev, fd, name);
	if (fd < 0)
		return fd;
	r = sysfs_read_fd(fd, buf, size);
	host_close_later(dev->host, fd);
	return r;
}

/*
 * Essential attributes every kernel has: their absence is a problem worth
 * reporting. Optional ones (power_state, reset_method, ...) are just absent.
 */
static void note_failure(struct vfr_device *dev, const char *name, int r, bool essential)
{
	if (r == -ENOENT && !essential)
		return;
	if (r == -ENODEV)
		device_add_problem(dev, "the function vanished (reading %s)", name);
	else if (r == -ELOOP || r == -EMEDIUMTYPE)
		device_add_problem(dev, "its %s attribute is not a regular file (a link, a FIFO, a "
				   "socket or a device node): not read", name);
	else if (r == -EXDEV)
		device_add_problem(dev, "its sysfs directory is reached through a symbolic link: "
				   "not followed (reading %s)", name);
	else if (r == -ENOENT)
		device_add_problem(dev, "it has no %s attribute", name);
	else if (r == -EIO && !dev->syspath)
		; /* already explained by the scan */
	else
		device_add_problem(dev, "its %s attribute cannot be read: %s", name,
				   g_strerror(-r));
}

/* "0x8086" -> 0x8086, exactly as the kernel prints ids: "0x" and hex digits. */
int device_parse_hex(const char *text, uint32_t max, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 16);
	if (strncmp(text, "0x", 2) != 0 || end == text + 2 || *end != '\0' || errno || v > max)
		return -EIO;
	*ret = (uint32_t)v;
	return 0;
}

int device_parse_int(const char *text, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || errno || v < INT32_MIN || v > INT32_MAX)
		return -EIO;
	*ret = (int)v;
	return 0;
}

char **device_parse_reset_methods(const char *text)
{
	g_autofree char *copy = g_strdup(text);
	char **methods;

	/* Space-separated in priority order; empty when every method is disabled. */
	methods = g_strsplit_set(g_strstrip(copy), " ", -1);
	if (methods[0] && !*methods[0]) {
		g_strfreev(methods);
		methods = g_new0(char *, 1);
	}
	return methods;
}

static int load_hex(struct vfr_device *dev, const char *name, uint32_t max, uint32_t *ret)
{
	char buf[64];
	int r;

	r = read_attr(dev, name, buf, sizeof(buf));
	if (r < 0) {
		note_failure(dev, name, r, true);
		return r;
	}
	if (device_parse_hex(buf, max, ret) < 0) {
		device_add_problem(dev, "its %s attribute reads '%s', not a hex number up to 0x%x",
				   name, buf, max);
		return -EIO;
	}
	return 0;
}

/*
 * The kernel's uevent attribute carries PCI_ID, PCI_SUBSYS_ID, PCI_CLASS and
 * MODALIAS (from the same struct pci_dev fields as the single attributes):
 * one read instead of six. Keys it lacks fall back to their own attribute.
 */
static bool parse_id_pair(const char *value, uint16_t *a, uint16_t *b)
{
	unsigned int x, y;
	int n = 0;

	if (sscanf(value, "%4x:%4x%n", &x, &y, &n) != 2 || value[n] != '\0')
		return false;
	*a = (uint16_t)x;
	*b = (uint16_t)y;
	return true;
}

#define UEVENT_ATTRS                                                                    \
	(1u << ATTR_VENDOR | 1u << ATTR_DEVICE | 1u << ATTR_SUBSYSTEM_VENDOR |            \
	 1u << ATTR_SUBSYSTEM_DEVICE | 1u << ATTR_CLASS | 1u << ATTR_MODALIAS)

void device_parse_uevent(struct vfr_device *dev, char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, '=');
		char *end;

		if (!value)
			continue;
		*value++ = '\0';
		if (strcmp(line, "PCI_ID") == 0 && parse_id_pair(value, &dev->ids[0], &dev->ids[1])) {
			dev->from_uevent |= 1u << ATTR_VENDOR | 1u << ATTR_DEVICE;
		} else if (strcmp(line, "PCI_SUBSYS_ID") == 0 &&
			   parse_id_pair(value, &dev->ids[2], &dev->ids[3])) {
			dev->from_uevent |= 1u << ATTR_SUBSYSTEM_VENDOR | 1u << ATTR_SUBSYSTEM_DEVICE;
		} else if (strcmp(line, "PCI_CLASS") == 0) {
			unsigned long v = strtoul(value, &end, 16);

			if (end != value && *end == '\0' && v <= 0xffffff) {
				dev->class_code = (uint32_t)v;
				dev->from_uevent |= 1u << ATTR_CLASS;
			}
		} else if (strcmp(line, "MODALIAS") == 0 && *value) {
			/* A key given twice: the last one counts (found by fuzzing). */
			g_free(dev->modalias);
			dev->modalias = g_strdup(value);
			dev->from_uevent |= 1u << ATTR_MODALIAS;
		}
	}
}

static int load_uevent(struct vfr_device *dev)
{
	char buf[4096];
	int r = read_attr(dev, "uevent", buf, sizeof(buf));

	if (r < 0)
		return r;
	device_parse_uevent(dev, buf);
	return 0;
}

static int load_id(struct vfr_device *dev, const char *name, uint16_t *ret)
{
	uint32_t v;
	int r = load_hex(dev, name, 0xffff, &v);

	if (r == 0)
		*ret = (uint16_t)v;
	return r;
}

static int load_string(struct vfr_device *dev, const char *name, char **ret, bool essential)
{
	char buf[4096];
	int r = read_attr(dev, name, buf, sizeof(buf));

	if (r < 0) {
		note_failure(dev, name, r, essential);
		return r;
	}
	*ret = g_strdup(buf);
	return 0;
}

static int load_int(struct vfr_device *dev, const char *name, int *ret)
{
	char buf[64];
	int r = read_attr(dev, name, buf, sizeof(buf));

	if (r < 0) {
		note_failure(dev, name, r, false);
		return r;
	}
	if (device_parse_int(buf, ret) < 0) {
		device_add_problem(dev, "its %s attribute reads '%s', not a number", name, buf);
		return -EIO;
	}
	return 0;
}

/*
 * Reads link @name and resolves it against the function's directory; the
 * result must lie below @prefix ("bus/pci/drivers/"), directly when @flat,
 * and exist. Returns the
 * resolved path, -ENOENT when there is no such link.
 */
static int load_link(struct vfr_device *dev, const char *name, const char *prefix, bool flat,
		     char *resolved, size_t size)
{
	char target[4096];
	int r;

	if (!dev->syspath)
		return -EIO;
	if (strcmp(name, "physfn") == 0 && dev->physfn_absent)
		return -ENOENT; /* a function that is no VF does not become one */
	if (dev->host->cached_dev == dev) {
		int kind = listed_kind(dev, name);

		/* What the listing lacks is not asked for, unless the directory looked removed. */
		if (kind == SYSFS_ABSENT && !dev->dir_empty)
			r = -ENOENT;
		else
			r = sysfs_readlink(dev->host->cached_fd, name, target, sizeof(target));
		/* A missing link below a removed directory means the function is gone. */
		if (r == -ENOENT && (kind != SYSFS_ABSENT || dev->dir_empty) &&
		    sysfs_exists(ctx_get_sys_fd(dev->host->ctx), dev->syspath) == 0)
			r = -ENODEV;
	} else {
		/* One link does not warrant opening the directory (the SR-IOV index reads them all). */
		g_autofree char *path = g_build_filename(dev->syspath, name, NULL);

		/* ENOENT here may also mean the function vanished; its next read says so. */
		r = sysfs_readlink(ctx_get_sys_fd(dev->host->ctx), path, target, sizeof(target));
	}
	if (r == -ENODEV) {
		note_failure(dev, name, r, false);
		return r;
	}
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		device_add_problem(dev, "its %s link cannot be read: %s", name, g_strerror(-r));
		return r;
	}
	if (sysfs_resolve_link(dev->syspath, target, resolved, size) < 0 ||
	    !g_str_has_prefix(resolved, prefix) ||
	    (flat && strchr(resolved + strlen(prefix), '/'))) {
		device_add_problem(dev, "its %s link (%s) does not lead to /sys/%s*", name, target,
				   prefix);
		return -EIO;
	}
	r = host_link_target_exists(dev->host, resolved);
	if (r <= 0) {
		device_add_problem(dev, "its %s link leads to /sys/%s, which does not exist", name,
				   resolved);
		return -EIO;
	}
	return 0;
}

/*
 * Does the bound driver's module carry a vfio_pci: alias matching this
 * function? 1 or 0; -1 when that cannot be known (a built-in driver, no
 * module index).
 */
static int driver_alias_match(struct vfr_device *dev)
{
	g_autoptr(GPtrArray) candidates = NULL;
	g_autofree char *path = g_build_filename("bus/pci/drivers", dev->driver, "module", NULL);
	struct vfr_ctx *ctx = dev->host->ctx;
	struct modindex *mi;
	const char *modalias, *why;
	char link[4096], why_buf[256];

	if (sysfs_readlink(ctx_get_sys_fd(ctx), path, link, sizeof(link)) < 0)
		return -1;
	if (vfr_device_get_modalias(dev, &modalias) < 0)
		return -1;
	if (ctx_get_modindex(ctx, &mi, &why) < 0) {
		vfr_dbg(ctx, "%s: no module index to classify %s: %s", dev->name, dev->driver, why);
		return -1;
	}
	if (modindex_vfio_candidates(mi, modalias, &candidates, why_buf, sizeof(why_buf)) < 0) {
		vfr_dbg(ctx, "%s: %s", dev->name, why_buf);
		return -1;
	}
	for (guint i = 0; i < candidates->len; i++) {
		const struct variant_candidate *c = candidates->pdata[i];

		if (strcmp(c->module, sysfs_basename(link)) == 0)
			return 1;
	}
	return 0;
}

static void classify_driver(struct vfr_device *dev)
{
	struct driver_evidence e = {
		.driver = dev->driver,
		.has_vfio_dev = dev->has_vfio_dev,
		.alias_match = -1,
	};

	if (dev->driver && !dev->has_vfio_dev)
		e.vfio_dev_mechanism = host_has_vfio_dev_mechanism(dev->host);
	dev->driver_type = driver_classify(&e, &dev->driver_source);
	/* Before a guess, ask the module index (only needed on kernels before 6.1). */
	if (dev->driver_source == VFR_DRIVER_SOURCE_HEURISTIC) {
		e.alias_match = driver_alias_match(dev);
		dev->driver_type = driver_classify(&e, &dev->driver_source);
	}
}

static int load_driver(struct vfr_device *dev)
{
	char resolved[4096];
	int fd, r;

	r = load_link(dev, "driver", "bus/pci/drivers/", true, resolved, sizeof(resolved));
	if (r == -ENOENT) {
		classify_driver(dev); /* unbound */
		return 0;
	}
	if (r < 0)
		return r;
	dev->driver = g_strdup(sysfs_basename(resolved));
	fd = host_device_dirfd(dev->host, dev);
	if (fd < 0)
		r = fd;
	else if ((r = listed_kind(dev, "vfio-dev")) == SYSFS_ABSENT)
		r = 0;
	else if (r == DT_LNK)
		r = -ELOOP; /* as sysfs_exists() says of a link */
	else if (r > 0)
		r = 1;
	else
		r = sysfs_exists(fd, "vfio-dev");
	if (r < 0)
		return r;
	dev->has_vfio_dev = r > 0;
	classify_driver(dev);
	return 0;
}

static int load_driver_override(struct vfr_device *dev)
{
	int r = load_string(dev, "driver_override", &dev->driver_override, false);

	/* The kernel prints "(null)" when no override is set. */
	if (r == 0 && (strcmp(dev->driver_override, "(null)") == 0 || !*dev->driver_override))
		g_clear_pointer(&dev->driver_override, g_free);
	return r;
}

static int load_iommu_group(struct vfr_device *dev)
{
	char resolved[4096], *end;
	const char *base;
	long group;
	int r;

	r = load_link(dev, "iommu_group", "kernel/iommu_groups/", true, resolved, sizeof(resolved));
	if (r < 0)
		return r;
	base = sysfs_basename(resolved);
	group = strtol(base, &end, 10);
	if (end == base || *end || group < 0 || group > INT32_MAX) {
		device_add_problem(dev, "its iommu_group link names '%s', not a group number", base);
		return -EIO;
	}
	dev->iommu_group = (int)group;
	return 0;
}

static int load_reset_method(struct vfr_device *dev)
{
	g_autofree char *text = NULL;
	int r = load_string(dev, "reset_method", &text, false);

	if (r < 0)
		return r;
	dev->reset_methods = device_parse_reset_methods(text);
	return 0;
}

static int load_pending(struct vfr_device *dev)
{
	const struct vfr_pending_call *call = host_pending_for(dev->host, dev->name, false);

	if (!call)
		return -ENOENT;
	dev->pending = pending_call_dup(call);
	return 0;
}

static int load_config(struct vfr_device *dev)
{
	const struct vfr_pending_call *call;
	struct pciconf *pc;
	char problem[256] = "";
	int fd, r;

	if (!dev->syspath)
		return -EIO;
	/*
	 * A reset stuck in the kernel holds the config access lock: a read would
	 * sleep with it. Asked now, not from what ATTR_PENDING once read: a call
	 * another process starts is recorded just before it starts (deadline.h),
	 * and the read must not follow it into the kernel.
	 */
	call = host_pending_for(dev->host, dev->name, false);
	if (call && pending_call_locks_config(call, dev->name)) {
		g_autofree char *what = pending_call_describe(call);

		device_add_problem(dev, "%s; config space not read", what);
		return -EBUSY;
	}
	r = ctx_get_pciconf(dev->host->ctx, &pc);
	if (r < 0) {
		device_add_problem(dev, "libpci could not be set up: %s", g_strerror(-r));
		return r;
	}
	fd = host_device_dirfd(dev->host, dev);
	if (fd == -ENODEV)
		device_add_problem(dev, "the function is gone: its sysfs directory no longer exists");
	if (fd < 0)
		return fd;
	fd = open_attr(dev, fd, "config");
	r = pciconf_read_fd(pc, fd, &dev->addr, &dev->config, problem, sizeof(problem));
	if (fd >= 0)
		host_close_later(dev->host, fd);
	/* Below a directory that was removed every name is gone. */
	if (r == -ENOENT && sysfs_exists(ctx_get_sys_fd(dev->host->ctx), dev->syspath) == 0) {
		r = -ENODEV;
		g_strlcpy(problem, "the function is gone: its sysfs directory no longer exists",
			  sizeof(problem));
	}
	if (problem[0])
		device_add_problem(dev, "%s", problem);
	return r;
}

static int load_physfn(struct vfr_device *dev)
{
	char resolved[4096];
	int r;

	r = load_link(dev, "physfn", "devices/", false, resolved, sizeof(resolved));
	if (r < 0)
		return r;
	if (vfr_address_parse(sysfs_basename(resolved), &dev->physfn_addr, NULL) < 0) {
		device_add_problem(dev, "its physfn link leads to %s, not to a PCI function",
				   resolved);
		return -EIO;
	}
	return 0;
}

static int load_names(struct vfr_device *dev)
{
	struct pciconf *pc;
	int r;

	r = device_load(dev, ATTR_VENDOR);
	if (r == 0)
		r = device_load(dev, ATTR_DEVICE);
	if (r == 0)
		r = ctx_get_pciconf(dev->host->ctx, &pc);
	if (r < 0)
		return r;
	dev->vendor_name = g_strdup(pciconf_vendor_name(pc, dev->ids[0]));
	dev->device_name = g_strdup(pciconf_device_name(pc, dev->ids[0], dev->ids[1]));
	return 0;
}

/* The revision is byte 8 of the header, which even an unprivileged reader sees. */
static int load_revision(struct vfr_device *dev)
{
	uint32_t v = 0;
	int r = device_load(dev, ATTR_CONFIG);

	if (r == 0 || r == -EACCES) {
		dev->revision = dev->config.revision;
		return 0;
	}
	r = load_hex(dev, "revision", 0xff, &v);
	dev->revision = (uint8_t)v;
	return r;
}

int device_load(struct vfr_device *dev, enum device_attr attr)
{
	int r;

	if (dev->loaded & (1u << attr))
		return dev->status[attr];

	if ((UEVENT_ATTRS & (1u << attr)) && device_load(dev, ATTR_UEVENT) == 0 &&
	    (dev->from_uevent & (1u << attr))) {
		dev->loaded |= 1u << attr;
		dev->status[attr] = 0;
		return 0;
	}

	switch (attr) {
	case ATTR_UEVENT:
		r = load_uevent(dev);
		break;
	case ATTR_VENDOR:
		r = load_id(dev, "vendor", &dev->ids[0]);
		break;
	case ATTR_DEVICE:
		r = load_id(dev, "device", &dev->ids[1]);
		break;
	case ATTR_SUBSYSTEM_VENDOR:
		r = load_id(dev, "subsystem_vendor", &dev->ids[2]);
		break;
	case ATTR_SUBSYSTEM_DEVICE:
		r = load_id(dev, "subsystem_device", &dev->ids[3]);
		break;
	case ATTR_CLASS:
		r = load_hex(dev, "class", 0xffffff, &dev->class_code);
		break;
	case ATTR_REVISION:
		r = load_revision(dev);
		break;
	case ATTR_DRIVER:
		r = load_driver(dev);
		break;
	case ATTR_DRIVER_OVERRIDE:
		r = load_driver_override(dev);
		break;
	case ATTR_IOMMU_GROUP:
		r = load_iommu_group(dev);
		break;
	case ATTR_NUMA_NODE:
		r = load_int(dev, "numa_node", &dev->numa_node);
		break;
	case ATTR_MODALIAS:
		r = load_string(dev, "modalias", &dev->modalias, true);
		break;
	case ATTR_POWER_STATE:
		r = load_string(dev, "power_state", &dev->power_state, false);
		break;
	case ATTR_RESET_METHOD:
		r = load_reset_method(dev);
		break;
	case ATTR_CONFIG:
		r = load_config(dev);
		break;
	case ATTR_PHYSFN:
		r = load_physfn(dev);
		break;
	case ATTR_NAMES:
		r = load_names(dev);
		break;
	case ATTR_PENDING:
		r = load_pending(dev);
		break;
	default:
		r = -EINVAL;
	}
	dev->loaded |= 1u << attr;
	dev->status[attr] = r;
	return r;
}

/* ---- public getters ---- */

VFR_EXPORT struct vfr_host *vfr_device_get_host(const struct vfr_device *dev)
{
	assert_return(dev, NULL);
	return dev->host;
}

VFR_EXPORT void vfr_device_get_address(const struct vfr_device *dev, struct vfr_address *ret_addr)
{
	if (dev && ret_addr)
		*ret_addr = dev->addr;
}

VFR_EXPORT const char *vfr_device_get_name(const struct vfr_device *dev)
{
	assert_return(dev, NULL);
	return dev->name;
}

static int get_id(struct vfr_device *dev, enum device_attr attr, int index, uint16_t *ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, attr);
	if (r == 0)
		*ret = dev->ids[index];
	return r;
}

VFR_EXPORT int vfr_device_get_vendor_id(struct vfr_device *dev, uint16_t *ret)
{
	return get_id(dev, ATTR_VENDOR, 0, ret);
}

VFR_EXPORT int vfr_device_get_device_id(struct vfr_device *dev, uint16_t *ret)
{
	return get_id(dev, ATTR_DEVICE, 1, ret);
}

VFR_EXPORT int vfr_device_get_subsystem_vendor_id(struct vfr_device *dev, uint16_t *ret)
{
	return get_id(dev, ATTR_SUBSYSTEM_VENDOR, 2, ret);
}

VFR_EXPORT int vfr_device_get_subsystem_device_id(struct vfr_device *dev, uint16_t *ret)
{
	return get_id(dev, ATTR_SUBSYSTEM_DEVICE, 3, ret);
}

VFR_EXPORT int vfr_device_get_names(struct vfr_device *dev, const char **ret_vendor,
				    const char **ret_device)
{
	int r;

	assert_return(dev, -EINVAL);
	r = device_load(dev, ATTR_NAMES);
	if (r < 0)
		return r;
	if (ret_vendor)
		*ret_vendor = dev->vendor_name;
	if (ret_device)
		*ret_device = dev->device_name;
	return 0;
}

VFR_EXPORT int vfr_device_get_class(struct vfr_device *dev, uint32_t *ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, ATTR_CLASS);
	if (r == 0)
		*ret = dev->class_code;
	return r;
}

VFR_EXPORT int vfr_device_get_revision(struct vfr_device *dev, uint8_t *ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, ATTR_REVISION);
	if (r == 0)
		*ret = dev->revision;
	return r;
}

VFR_EXPORT int vfr_device_get_driver(struct vfr_device *dev, const char **ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, ATTR_DRIVER);
	if (r == 0)
		*ret = dev->driver;
	return r;
}

VFR_EXPORT int vfr_device_get_driver_type(struct vfr_device *dev, enum vfr_driver_type *ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, ATTR_DRIVER);
	if (r == 0)
		*ret = dev->driver_type;
	return r;
}

VFR_EXPORT int vfr_device_get_driver_type_source(struct vfr_device *dev,
						 enum vfr_driver_type_source *ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, ATTR_DRIVER);
	if (r == 0)
		*ret = dev->driver_source;
	return r;
}

static int get_string(struct vfr_device *dev, enum device_attr attr, char **field,
		      const char **ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, attr);
	if (r == 0)
		*ret = *field;
	return r;
}

VFR_EXPORT int vfr_device_get_driver_override(struct vfr_device *dev, const char **ret)
{
	return get_string(dev, ATTR_DRIVER_OVERRIDE, &dev->driver_override, ret);
}

VFR_EXPORT int vfr_device_get_modalias(struct vfr_device *dev, const char **ret)
{
	return get_string(dev, ATTR_MODALIAS, &dev->modalias, ret);
}

VFR_EXPORT int vfr_device_get_power_state(struct vfr_device *dev, const char **ret)
{
	return get_string(dev, ATTR_POWER_STATE, &dev->power_state, ret);
}

static int get_int(struct vfr_device *dev, enum device_attr attr, int *field, int *ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, attr);
	if (r == 0)
		*ret = *field;
	return r;
}

VFR_EXPORT int vfr_device_get_iommu_group(struct vfr_device *dev, int *ret)
{
	return get_int(dev, ATTR_IOMMU_GROUP, &dev->iommu_group, ret);
}

VFR_EXPORT int vfr_device_get_numa_node(struct vfr_device *dev, int *ret)
{
	return get_int(dev, ATTR_NUMA_NODE, &dev->numa_node, ret);
}

VFR_EXPORT int vfr_device_get_reset_methods(struct vfr_device *dev,
					    const char *const **ret_methods)
{
	int r;

	assert_return(dev && ret_methods, -EINVAL);
	r = device_load(dev, ATTR_RESET_METHOD);
	if (r == 0)
		*ret_methods = (const char *const *)dev->reset_methods;
	return r;
}

VFR_EXPORT int vfr_device_get_header_type(struct vfr_device *dev, enum vfr_header_type *ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, ATTR_CONFIG);
	/* Without root only the header is readable, and that is all this needs. */
	if (r < 0 && r != -EACCES) {
		*ret = VFR_HEADER_UNKNOWN;
		return r;
	}
	switch (dev->config.header_type & 0x7f) {
	case 0:
		*ret = VFR_HEADER_ENDPOINT;
		break;
	case 1:
		*ret = VFR_HEADER_BRIDGE;
		break;
	case 2:
		*ret = VFR_HEADER_CARDBUS;
		break;
	default:
		*ret = VFR_HEADER_UNKNOWN;
	}
	return 0;
}

VFR_EXPORT bool vfr_device_is_multifunction(struct vfr_device *dev)
{
	int r;

	assert_return(dev, false);
	r = device_load(dev, ATTR_CONFIG);
	return (r == 0 || r == -EACCES) && (dev->config.header_type & 0x80);
}

VFR_EXPORT int vfr_device_get_capabilities(struct vfr_device *dev, unsigned int *ret_caps,
					   struct vfr_error **reterr)
{
	int r;

	assert_return(dev && ret_caps, -EINVAL);
	r = device_load(dev, ATTR_CONFIG);
	if (r < 0) {
		const char *why = dev->problems && dev->problems->len
					  ? g_ptr_array_index(dev->problems, dev->problems->len - 1)
					  : g_strerror(-r);

		return error_set(reterr, r, dev->name, "%s: config space: %s", dev->name, why);
	}
	*ret_caps = dev->config.caps;
	return 0;
}

VFR_EXPORT struct vfr_device *vfr_device_get_parent(const struct vfr_device *dev)
{
	assert_return(dev, NULL);
	return dev->parent;
}

VFR_EXPORT size_t vfr_device_get_n_children(const struct vfr_device *dev)
{
	assert_return(dev, 0);
	return dev->children ? dev->children->len : 0;
}

VFR_EXPORT struct vfr_device *vfr_device_get_child(const struct vfr_device *dev, size_t index)
{
	assert_return(dev && dev->children && index < dev->children->len, NULL);
	return dev->children->pdata[index];
}

VFR_EXPORT struct vfr_device *vfr_device_get_physfn(const struct vfr_device *dev)
{
	assert_return(dev, NULL);
	host_index_virtfns(dev->host);
	return dev->physfn;
}

VFR_EXPORT size_t vfr_device_get_n_virtfns(const struct vfr_device *dev)
{
	assert_return(dev, 0);
	host_index_virtfns(dev->host);
	return dev->virtfns ? dev->virtfns->len : 0;
}

VFR_EXPORT struct vfr_device *vfr_device_get_virtfn(const struct vfr_device *dev, size_t index)
{
	assert_return(dev, NULL);
	host_index_virtfns(dev->host);
	if (!dev->virtfns || index >= dev->virtfns->len)
		return NULL;
	return dev->virtfns->pdata[index];
}

VFR_EXPORT int vfr_device_get_pending_call(struct vfr_device *dev,
					   const struct vfr_pending_call **ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, ATTR_PENDING);
	if (r == 0)
		*ret = dev->pending;
	return r;
}

VFR_EXPORT size_t vfr_device_get_n_problems(const struct vfr_device *dev)
{
	assert_return(dev, 0);
	return dev->problems ? dev->problems->len : 0;
}

VFR_EXPORT const char *vfr_device_get_problem(const struct vfr_device *dev, size_t index)
{
	assert_return(dev && dev->problems && index < dev->problems->len, NULL);
	return dev->problems->pdata[index];
}
