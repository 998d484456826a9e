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
