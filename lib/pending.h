/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel calls abandoned at their deadline, remembered host-wide.
 *
 * A sysfs `reset` store or a VFIO reset ioctl that does not return keeps
 * the kernel's locks of the functions it resets: the device lock, and the
 * config access lock, under which every later reader of the function's
 * config space (lspci, this library, any process) sleeps uninterruptibly
 * for as long as the call is stuck - for ever with a broken driver. The
 * readers of the bridges above it can sleep too (seen on 6.12: the root
 * port above the PF of a VF whose reset was stuck), so a reset's record
 * marks its upstream bridges' config space as locked as well. Every call
 * with a deadline is therefore recorded before it starts (deadline.h,
 * deadline_announce) and the record removed when it returns in time; a
 * caller that gave up at its deadline, or died, leaves the record,
 * ROOT/run/vfioreset/pending/ADDR, naming the stuck process, and every
 * process honours it while that process lives: no config read of the
 * functions it holds, no reset or change of binding that would reach them.
 *
 * A stuck process cannot exit before its call returns (it sleeps in the
 * kernel), so "its pid is gone, or a zombie, or another process with that
 * pid" means the call is over. Such a record is removed by the next
 * operation that changes something (with a log line), which also puts
 * back the reset_method list the stuck reset had pinned. Read-only
 * operations only skip it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "macro.h"
#include "internal.h"

struct vfr_pending_call {
	char *address;      /* the function the call was made on */
	char *operation;    /* "reset", "unbind", "bind", "drivers_probe", "driver_override" */
	char *method;       /* reset: the method ("flr", "vfio", "hot"...); else NULL */
	char **affected;    /* every function the stuck call holds (NULL-terminated, non-empty) */
	char **config_locked; /* whose config reads would sleep behind it (NULL-terminated), or NULL */
	pid_t pid;          /* the process blocked in the call */
	uint64_t pid_start; /* its start time (/proc/PID/stat field 22): a reused pid is not it */
	int64_t since;      /* when the call was made, seconds since the epoch */
	char *reset_method; /* reset through sysfs: the list to put back once it returned */
	char *message;      /* pending_call_describe(), made on first public use */
	/*
	 * Not a record: another program's process seen asleep in the kernel
	 * with the function's reset or config file open (holders.h,
	 * HOLDER_STUCK). What was seen, said as it is; operation "unknown".
	 */
	char *observed;
};

/* A call seen, not recorded: process @pid asleep on @name's reset or config file. */
struct vfr_pending_call *pending_call_observed(const char *name, pid_t pid);

void pending_call_free(struct vfr_pending_call *call);
struct vfr_pending_call *pending_call_dup(const struct vfr_pending_call *call);
typedef struct vfr_pending_call pending_call_t;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(pending_call_t, pending_call_free)

/* Would a read of @name's config space sleep behind the stuck call? */
bool pending_call_locks_config(const struct vfr_pending_call *call, const char *name);

/* Does @call hold function @name? */
bool pending_call_holds(const struct vfr_pending_call *call, const char *name);

/*
 * /proc/PID/stat at @path below @dirfd (AT_FDCWD: absolute): the state
 * letter and, when @ret_start is given, the start time (field 22); -ESRCH
 * when it cannot be read or parsed.
 */
int proc_stat_read(int dirfd, const char *path, char *ret_state, uint64_t *ret_start);

/* Has the stuck process gone (its call returned)? Reads /proc. */
bool pending_call_returned(const struct vfr_pending_call *call);

/*
 * "a reset (flr) of 0000:01:10.0 has been pending in the kernel since
 * 2026-12-06 20:31:07 (pid 4242)"; g_free.
 */
char *pending_call_describe(const struct vfr_pending_call *call);

/*
 * The start time of process @pid (clock ticks since boot), -ESRCH when it
 * is gone or a zombie (its call has returned). Any thread.
 */
int pending_process_start(pid_t pid, uint64_t *ret_start) _nonnull_(2);

/*
 * Fills @call's pid_start and since for the stuck process @pid and writes
 * the record atomically into @pending_fd (ROOT/run/vfioreset/pending),
 * replacing an older one of the same function. Any thread: system calls
 * and allocations only.
 */
int pending_record(int pending_fd, struct vfr_pending_call *call, pid_t pid) _must_check_;

/*
 * Opens ROOT/run/vfioreset/pending: -ENOENT when it does not exist and
 * @create is false.
 */
int pending_dir_open(const struct vfr_ctx *ctx, bool create, int *ret_fd)
	_nonnull_(1, 3) _must_check_;

/*
 * The records of calls still pending (a GPtrArray of struct vfr_pending_call *,
 * free func set). Records that cannot be read or parsed, or are not regular
 * files, are reported once at LOG_WARNING and ignored; those whose process
 * is gone are left alone (pending_reap() removes them). No directory: an
 * empty list.
 */
int pending_load(struct vfr_ctx *ctx, int pending_fd, GPtrArray **ret) _nonnull_(1, 3) _must_check_;

/*
 * Removes the records of calls that have returned, each with a log line,
 * putting back the reset_method list a stuck sysfs reset pinned when it is
 * still the pinned method. For operations that change the host.
 */
void pending_reap(struct vfr_ctx *ctx, int pending_fd) _nonnull_(1);
