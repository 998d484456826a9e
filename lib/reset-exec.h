/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Carrying out reset plans. A job is one function's reset, prepared in the
 * calling thread (plan, holders, its own directory fd) so that running it
 * needs nothing but system calls on its own descriptors: jobs whose
 * affected sets are disjoint run on threads of their own
 * (reset-parallel.c), and nothing shared with the host index is touched
 * there. Log lines are kept in the result and emitted by the calling thread.
 */
#pragma once

#include <glib.h>

#include "macro.h"
#include "reset-plan.h"

struct reset_attempt {
	char *method;
	int error; /* 0 or -errno */
	double ms;
};

struct reset_note {
	int priority;
	char *text;
};

struct vfr_reset_result {
	char *name;
	struct vfr_reset_plan *plan;
	bool ok, timed_out, ignored, skipped;
	/* not started, to protect someone (owners, host drivers, holders, locks, stuck calls) */
	bool refused;
	/* a kernel call did not return, or the function did not come back: no policy hides it */
	bool unknown;
	int pending_pid; /* the process left blocked in the kernel call, or 0 */
	char *locked; /* the function whose binding lock was still held at the deadline */
	char *method; /* the one that worked */
	char *merged_with; /* the batch target whose one hot reset served this one, or NULL */
	GPtrArray *merged; /* char *: the other batch targets of that same hot reset */
	int error;
	char *message;
	GArray *attempts; /* struct reset_attempt */
	GPtrArray *affected; /* char *: what the attempted methods may have reset, address order */
	GArray *holders;  /* int */
	GArray *uncertain_holders; /* int: may hold it, the kernel does not say */
	GArray *notes;    /* struct reset_note, for the calling thread to log */
};

struct reset_job {
	struct vfr_reset_result *res;
	struct vfr_device *dev; /* for the calling thread only (the check at the write) */
	int pending_fd; /* ROOT/run/vfioreset/pending (borrowed), -1: calls left behind go unrecorded */
	char **upstream; /* the bridges above the target, nearest first (for a stuck call's record) */
	int dirfd;      /* the function's sysfs directory, O_PATH, owned */
	int device_fd;  /* the caller's vfio device fd, or -1 */
	/* `hot` in group mode: the affected groups' fds (borrowed from the holding). */
	int *group_fds;
	size_t n_group_fds;
	int group_fds_error; /* 0, or -errno when a group's fd is not held */
	bool quiesce;   /* clear the Command enables first (not under a host driver) */
	/*
	 * One hot reset for a bus (reset-batch.c merges them): a follower's
	 * reset is its leader's `hot`; the leader quiesces its followers
	 * before it and records the outcome for them. Same thread, in order.
	 */
	struct reset_job *leader;
	GPtrArray *followers; /* struct reset_job *, borrowed */
	bool quiesce_failed;  /* a follower its leader could not quiesce (its result says why) */
	bool hot_issued;      /* the leader made its hot reset: */
	int hot_error;        /* its 0 or -errno */
	double hot_ms;
	const struct reset_candidate *hot_candidate; /* borrowed from the leader's plan */
	gint64 deadline; /* g_get_monotonic_time() limit; 0: none */
};

/*
 * reset-vfio.c: VFIO_DEVICE_RESET and VFIO_DEVICE_PCI_HOT_RESET within
 * @timeout_ms (< 0: without limit): the ioctl's 0 or -errno, -ETIMEDOUT
 * when it is still running at the deadline (its outcome is then unknown, and
 * *@ret_stuck the pid of the process blocked in it).
 */
int reset_vfio_device(int device_fd, int timeout_ms, pid_t *ret_stuck) _must_check_;
int reset_vfio_hot(int device_fd, const int *group_fds, size_t n, int timeout_ms,
		   pid_t *ret_stuck) _must_check_;

/* reset_method texts: what the kernel prints fits easily; methods in one list. */
#define RESET_METHOD_TEXT 256
#define RESET_METHOD_MAX_TOKENS 16

/*
 * Writes @original back to reset_method through @fd (opened for writing).
 * When the kernel refuses it (EINVAL: a method in it no longer probes),
 * writes back the methods of it that the kernel still takes, each tried
 * alone, in their order - never more than @original, possibly none.
 * Returns 0 (exactly @original), 1 (a part of it), or -errno. After a
 * reset, and by whoever finds a reset left pending has returned (pending.c):
 * before, the writes would sleep behind it.
 */
int reset_method_restore_fd(int fd, const char *original);

/* Was @job reset by its leader's hot reset (reset-batch.c merges them)? */
bool reset_job_served_by_leader(const struct reset_job *job);

/* Runs one job to its end (any thread). */
void reset_job_run(struct reset_job *job);

/*
 * Right before jobs write anything, the calling thread checks them: sets
 * go[k] for each of @jobs that may run; it may change them (plans,
 * descriptors) meanwhile.
 */
typedef void (*reset_check_fn)(struct reset_job **jobs, size_t n, bool *go, void *data);

/*
 * reset-parallel.c: runs @jobs, those whose plans' affected sets share a
 * function one after the other, the others at the same time. @check runs
 * in the calling thread (the one that called this) right before each job:
 * the first job of every thread in one call, each later one when its
 * thread gets to it.
 */
void reset_jobs_run(struct reset_job **jobs, size_t n, reset_check_fn check, void *data);
