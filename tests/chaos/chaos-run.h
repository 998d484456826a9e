/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the processes of one run share, and the parts of the run. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "chaos.h"

/*
 * How far past its deadline a call may return before it counts as a wait
 * past the deadline: generous, since two busy cores can starve a process
 * for seconds; a call that never returns is caught all the same.
 */
#define CHAOS_MARGIN_MS 10000

struct chaos_run {
	const char *root; /* the fixture, VFR_MOCK_ROOT */
	struct chaos_host *host;
};

double chaos_now_ms(void);
char *chaos_journal_since(const char *root, size_t from, size_t *ret_end);
size_t chaos_journal_size(const char *root);

/* A worker: runs the operations read from @in_fd, answers on @out_fd; never returns. */
void chaos_worker_run(const struct chaos_run *run, int index, int in_fd, int out_fd);
/* The kernel's chaos: fault rules, reset behaviour, vanish and rescan, hangs let go. */
void chaos_kernel_run(const struct chaos_run *run, int in_fd, int out_fd);
/* Kills the stuck processes the library's pending records name (their hangs end). */
int chaos_release_hangs(const char *root);

/*
 * fork() for a manager that will be killed: 0 in the child; in the parent
 * its pid, and in *ret_gone_fd a descriptor that reads EOF once neither
 * the child nor any clone of it (a spawn not yet exec'd) holds a copy of
 * its descriptors (chaos-crash.c). -1 when it cannot fork.
 */
pid_t chaos_crash_fork(int *ret_gone_fd);

/*
 * After the child of chaos_crash_fork() was killed and reaped: waits until
 * no copy of its descriptors is left and no binding lock under @root is
 * still held for it. 0, -ETIMEDOUT after @timeout_ms.
 */
int chaos_crash_wait_gone(const char *root, int gone_fd, pid_t pid, int timeout_ms);
