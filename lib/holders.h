/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds a function through VFIO: the processes the kernel waits for
 * when the function is unbound from its vfio driver (the unbind blocks
 * until every device file is closed), and whose state a reset would pull
 * from under them. Every way the kernel lets a process hold a function:
 *
 * - its group node open (/dev/vfio/GROUP, /dev/vfio/noiommu-GROUP);
 * - its cdev open (/dev/vfio/devices/vfioN);
 * - a device file of it: an anonymous file, "anon_inode:[vfio-device]",
 *   which the kernel names in /proc/PID/fdinfo ("vfio-device-syspath")
 *   only since Linux 6.18;
 * - a mapping of its BARs, which keeps a device file alive after every
 *   descriptor is closed: of the cdev, of a device file, or of its sysfs
 *   resourceN files (/proc/PID/maps).
 *
 * Where the kernel does not say which function a device file or a mapping
 * of one is (before 6.18, and mappings always), the process is an
 * *uncertain* holder of every vfio-bound function asked about: it may hold
 * this one, and nothing here can tell. Callers report that, never "no
 * holders".
 *
 * The calling process is looked at like any other and reported apart
 * (`self`): a caller that still holds a function and asks to unbind it
 * would wait for itself.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <glib.h>

#include "internal.h"

struct vfr_device;

/* How a process holds a function (a mask). */
enum holder_how {
	HOLDER_GROUP = 1u << 0,  /* the group node */
	HOLDER_CDEV = 1u << 1,   /* the cdev node */
	HOLDER_DEVICE = 1u << 2, /* a device file the kernel names */
	HOLDER_MMAP = 1u << 3,   /* a mapping of the cdev or of a resource file */
	HOLDER_UNNAMED = 1u << 4, /* an unnamed device file or a mapping of one (uncertain) */
	/*
	 * Not a holder of VFIO: a process asleep in the kernel (state D) with
	 * the function's `reset` or `config` open - a reset another tool made
	 * that is stuck, or a reader sleeping behind one (pending.h).
	 */
	HOLDER_STUCK = 1u << 5,
};

struct holder {
	pid_t pid;
	unsigned int how; /* enum holder_how */
};

/* What one scan found for one function. */
struct holders {
	GArray *certain;   /* struct holder, by pid: other processes that hold it */
	GArray *uncertain; /* struct holder, by pid: other processes that may (HOLDER_UNNAMED) */
	GArray *stuck;     /* struct holder, by pid: processes asleep on its reset or config */
	unsigned int self; /* how this process holds it, 0 when it does not */
	bool self_uncertain; /* this process holds an unnamed device file or mapping */
};

void holders_clear(struct holders *h);

/*
 * For @n functions at once, in one pass over /proc: @ret[k] for devs[k]
 * (holders_clear() each). @ret_uninspectable (optional) counts the
 * processes whose descriptors or mappings could not be read (other users',
 * without privilege): they are neither holders nor not.
 */
int holders_find_many(struct vfr_device *const *devs, size_t n, struct holders *ret,
		      size_t *ret_uninspectable, struct vfr_error **reterr);

/* The same over another /proc (a test's crafted one). */
int holders_find_many_at(const char *proc, struct vfr_device *const *devs, size_t n,
			 struct holders *ret, size_t *ret_uninspectable, struct vfr_error **reterr);

/*
 * Pure: "1234 (group node), 5678 (device file)" for @n holders, and "and
 * 2 processes that could not be inspected". g_free the result.
 */
char *holders_describe(const struct holder *list, size_t n, size_t uninspectable);

/*
 * Pure parsers, for the scan and its tests: the function address an
 * fdinfo text names in "vfio-device-syspath:" (0, or -ENOENT without such
 * a line: a kernel before 6.18); one /proc/PID/maps line (0, -EINVAL when
 * it is not one), its device, inode and path (borrowed from @line, may be
 * "").
 */
int holders_parse_fdinfo(const char *text, struct vfr_address *ret_addr);
int holders_parse_maps_line(const char *line, unsigned int *ret_major, unsigned int *ret_minor,
			    unsigned long *ret_ino, const char **ret_path);
