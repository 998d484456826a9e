/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The binding locks a batch of resets holds while it runs (reset-lock.c):
 * the per-function locks of the binding code, for every function the
 * batch's resets touch.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

#include "macro.h"
#include "reset-plan.h"

struct reset_locks;

/*
 * Takes the lock of every function in the affected sets of @plans, in address
 * order, each waiting until @deadline (g_get_monotonic_time(); 0: without
 * limit). Never fails: what could not be taken is remembered.
 */
struct reset_locks *reset_locks_take(struct vfr_ctx *ctx, struct vfr_reset_plan *const *plans,
				     size_t n, gint64 deadline);

/*
 * 0 when every function @plan touches is locked; else the -errno of the
 * first one that is not (-EBUSY: another process held it at the deadline),
 * named in *@ret_name (borrowed from @plan).
 */
int reset_locks_cover(struct reset_locks *l, const struct vfr_reset_plan *plan,
		      const char **ret_name) _must_check_;

/* The process that held lock @name at the deadline, as the kernel names it; 0 when unknown. */
pid_t reset_locks_holder(struct reset_locks *l, const char *name);

/* Did a lock @plan needs have to be waited for (its binding may have changed)? */
bool reset_locks_waited(struct reset_locks *l, const struct vfr_reset_plan *plan);

/* Takes, without waiting, the locks of a new plan that are not held yet; then as _cover(). */
int reset_locks_extend(struct reset_locks *l, const struct vfr_reset_plan *plan,
		       const char **ret_name) _must_check_;

/* Releases every lock; NULL is accepted. */
void reset_locks_release(struct reset_locks *l);
