/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host index and the device handle, shared by host.c and device.c. */
#pragma once

#include <glib.h>

#include "internal.h"
#include "pciconf.h"

struct vfr_pending_call;

/* Attributes read lazily, once each; device.c has one loader per entry. */
enum device_attr {
	ATTR_UEVENT, /* ids, class and modalias in one read, when the kernel gives them */
	ATTR_VENDOR,
	ATTR_DEVICE,
	ATTR_SUBSYSTEM_VENDOR,
	ATTR_SUBSYSTEM_DEVICE,
	ATTR_CLASS,
	ATTR_REVISION,
	ATTR_DRIVER,
	ATTR_DRIVER_OVERRIDE,
	ATTR_IOMMU_GROUP,
	ATTR_NUMA_NODE,
	ATTR_MODALIAS,
	ATTR_POWER_STATE,
	ATTR_RESET_METHOD,
	ATTR_CONFIG,
	ATTR_PHYSFN,
	ATTR_NAMES,
	ATTR_PENDING, /* a stuck kernel call holding it (pending.h) */
	_ATTR_MAX,
};

/*
 * Entries of a function's directory the loaders open, each looked up in
 * one listing of the directory (sysfs_list_kinds()) instead of asked for:
 * what the listing lacks is not opened, and what it shows is opened by
 * its kind (beneath_open_entry()). device.c names them.
 */
enum device_entry {
	ENTRY_UEVENT,
	ENTRY_CONFIG,
	ENTRY_DRIVER,
	ENTRY_IOMMU_GROUP,
	ENTRY_DRIVER_OVERRIDE,
	ENTRY_NUMA_NODE,
	ENTRY_POWER_STATE,
	ENTRY_RESET_METHOD,
	ENTRY_PHYSFN,
	ENTRY_VFIO_DEV,
	ENTRY_MODALIAS,
	ENTRY_VENDOR,
	ENTRY_DEVICE,
	ENTRY_SUBSYSTEM_VENDOR,
	ENTRY_SUBSYSTEM_DEVICE,
	ENTRY_CLASS,
	ENTRY_REVISION,
	_ENTRY_MAX,
};

struct vfr_device {
	struct vfr_host *host; /* not a reference: the host owns its devices */
	struct vfr_address addr;
	char name[VFR_ADDRESS_STRLEN];
	char *syspath; /* below ROOT/sys: "devices/pci0000:00/0000:00:1c.0/0000:01:00.0"; NULL if unusable */

	/* The index, from the scan. */
	struct vfr_device *parent;
	GPtrArray *children; /* NULL when none */

	/* Filled by the host-wide SR-IOV pass (host_index_virtfns). */
	struct vfr_device *physfn;
	GPtrArray *virtfns;

	GPtrArray *problems; /* char *, NULL when none */
	/*
	 * Strings handed out before device_invalidate(): callers may still hold
	 * them (getters lend, they do not copy), so they live until device_free().
	 */
	GPtrArray *retired;
	GPtrArray *retired_pending; /* struct vfr_pending_call *, the same for ATTR_PENDING */

	uint32_t loaded;        /* bit per enum device_attr */
	uint32_t from_uevent;   /* bit per enum device_attr that uevent answered */
	int status[_ATTR_MAX];  /* 0 or -errno of that load */
	uint16_t ids[4];        /* vendor, device, subsystem vendor, subsystem device */
	uint32_t class_code;
	uint8_t revision;
	char *driver;
	char *driver_override;
	bool has_vfio_dev;
	enum vfr_driver_type driver_type;
	enum vfr_driver_type_source driver_source;
	int iommu_group;
	int numa_node;
	char *modalias;
	char *power_state;
	char *vendor_name;
	char *device_name;
	char **reset_methods;
	struct pciconf_facts config;
	struct vfr_address physfn_addr;
	struct vfr_pending_call *pending; /* ATTR_PENDING: a copy, retired on invalidation */

	/*
	 * The listing of its directory, taken when the host's one open
	 * directory became this function's: valid while that stays so, for
	 * LISTING_TRUST_US at most, and until device_invalidate().
	 */
	unsigned char entry_kind[_ENTRY_MAX]; /* d_type, or SYSFS_ABSENT */
	gint64 listed_at;                     /* g_get_monotonic_time(); 0: no listing */
	bool dir_trusted;                     /* beneath_dir_trusted() of the directory */
	bool dir_empty;                       /* the listing found nothing: removed meanwhile? */
	bool physfn_absent;                   /* a listing showed no physfn: it is no VF, for good */
	/* What a VMM opens and SR-IOV (vmm-access.c, sriov.c); NULL: not read yet. */
	char *group_node;  /* "/dev/vfio/12" */
	char *cdev_node;   /* "/dev/vfio/devices/vfio3" */
	char **net_names;  /* net/ entries, sorted */
};

struct vfr_host {
	int refcount;
	struct vfr_ctx *ctx;
	struct vfr_device **devices; /* sorted by address */
	size_t n_devices;

	/* One open device directory: getters of one function come in a row. */
	struct vfr_device *cached_dev;
	int cached_fd;
	/*
	 * Attributes read below it and the directories of the functions read
	 * before, closed together a few dozen at a time (host_close_later()):
	 * a close per function was a tenth of a listing's calls.
	 */
	int later_fds[64];
	unsigned int n_later_fds;

	GHashTable *groups; /* int group -> GPtrArray of devices; built on first use */
	/*
	 * Kernel calls other processes abandoned at their deadline (pending.h):
	 * read at the scan, and again when ROOT/run/vfioreset/pending changed,
	 * looked at no more often than every PENDING_RECHECK_MS.
	 */
	GPtrArray *pending; /* struct vfr_pending_call * */
	/*
	 * The directory as the last look saw it. racy: its mtime was too close
	 * to the look to tell a change made later in the same clock tick, so
	 * the next look reads the records again.
	 */
	bool pending_racy;
	struct timespec pending_mtime;
	ino_t pending_ino;
	gint64 pending_checked; /* g_get_monotonic_time() of the last look */
	/*
	 * Stuck calls of other programs, seen (not recorded) by the last pass
	 * over /proc of a reset plan: host_pending_set_observed().
	 */
	GPtrArray *observed; /* struct vfr_pending_call * */
	bool virtfns_indexed;
	int vfio_dev_mechanism; /* /sys/class/vfio-dev exists: 1, 0, or -1 not yet looked */
	/* Names in bus/pci/drivers and kernel/iommu_groups that are no link; NULL: not listed. */
	GHashTable *driver_dirs, *group_dirs;
};

/* device.c */
struct vfr_device *device_new(struct vfr_host *host, const struct vfr_address *addr);
void device_free(struct vfr_device *dev);
void device_add_problem(struct vfr_device *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int device_load(struct vfr_device *dev, enum device_attr attr) _must_check_;
/*
 * Forgets what was read from sysfs (driver, override, reset methods, config
 * facts...) so the next getter reads it again: after a bind, an unbind, a
 * reset_method change or a reset. The address and topology stay.
 */
void device_invalidate(struct vfr_device *dev);

/*
 * Pure parsers of what sysfs says, for the loaders and the fuzzers: an id
 * as the kernel prints it ("0x8086", up to @max), a decimal int, a
 * reset_method list (g_strfreev; empty: no method), and the uevent
 * attribute's keys into @dev (@text is modified).
 */
int device_parse_hex(const char *text, uint32_t max, uint32_t *ret) _must_check_;
int device_parse_int(const char *text, int *ret) _must_check_;
char **device_parse_reset_methods(const char *text);
void device_parse_uevent(struct vfr_device *dev, char *text);

/*
 * Lists @fd, the directory of @dev, into @dev (host_device_dirfd() calls
 * it); @rewind when @fd was listed before. Without a listing the loaders
 * ask for each name.
 */
void device_list_dir(struct vfr_device *dev, int fd, bool rewind);

/* host.c */
int host_device_dirfd(struct vfr_host *host, struct vfr_device *dev) _must_check_;
/*
 * Closes @fd, an attribute read below host_device_dirfd(), when that
 * directory is closed: the descriptors of a function's reads are then
 * numbered in a row and close in one call.
 */
void host_close_later(struct vfr_host *host, int fd);
/*
 * Whether @resolved (below the sysfs root), a function's link target,
 * exists and is no link: > 0, 0, or -errno, as sysfs_exists(). A
 * function's directory the scan found (a physfn) is known; the entries of
 * bus/pci/drivers/ and kernel/iommu_groups/ are listed once each; any
 * other path, and a name a listing lacks (it may be new), is asked for.
 */
int host_link_target_exists(struct vfr_host *host, const char *resolved);
/* The same directory in a descriptor of the caller's own (close it); -ENODEV when gone. */
int host_device_open_dir(struct vfr_host *host, struct vfr_device *dev) _must_check_;
struct vfr_device *host_find(const struct vfr_host *host, const struct vfr_address *addr);
void host_index_virtfns(struct vfr_host *host);
bool host_has_vfio_dev_mechanism(struct vfr_host *host);
/*
 * The live pending call that holds function @name, or keeps its config
 * space locked (pending_call_locks_config()), or NULL. @fresh looks at
 * the records now (before a write); otherwise a look less than
 * PENDING_RECHECK_MS old is trusted (config reads of a whole host).
 */
const struct vfr_pending_call *host_pending_for(struct vfr_host *host, const char *name, bool fresh);
/*
 * Replaces the stuck calls seen by a pass over /proc (takes @calls, may be
 * NULL); host_pending_for() answers them after the records. The functions
 * they name, and those of the calls they replace, are invalidated so that
 * their next read asks again.
 */
void host_pending_set_observed(struct vfr_host *host, GPtrArray *calls);

/* driver.c (pure) */
struct driver_evidence {
	const char *driver;      /* bound driver, NULL when none */
	bool has_vfio_dev;       /* the function shows vfio-dev/ */
	bool vfio_dev_mechanism; /* the kernel shows vfio-dev for vfio drivers (/sys/class/vfio-dev) */
	int alias_match;         /* the driver's module has a matching vfio_pci: alias: 1, 0, or -1 unknown */
};
enum vfr_driver_type driver_classify(const struct driver_evidence *e,
				     enum vfr_driver_type_source *ret_source);
