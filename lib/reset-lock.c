/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A reset and a change of binding must not overlap: a function unbound,
 * probed or handed to another driver while it (or its bus) is being reset
 * ends up with a driver that probed a device in reset, or with a reset that
 * tore state out from under a driver that just bound. The binding code
 * holds a per-function lock (bind-state.c, ROOT/run/vfioreset/ADDR.lock)
 * for the whole of its operation; a batch takes the same lock for every
 * function any of its resets touches, in address order as the binding code
 * does, so the two can never wait for each other in a cycle.
 *
 * A lock still held at the deadline refuses the resets that need it; the
 * others go on. When a lock had to be waited for, the binding may have
 * changed meanwhile, so the plans that touch it are made again under the
 * lock (reset-batch.c).
 */
#include <string.h>
#include <unistd.h>

#include "bind-state.h"
#include "reset-lock.h"

#define LOG_DOMAIN "reset"

struct reset_locks {
	int dirfd;            /* ROOT/run/vfioreset, -1: no locking possible */
	GHashTable *held;     /* name -> fd + 1 */
	GHashTable *failed;   /* name -> -errno */
	GHashTable *contended; /* names that had to be waited for */
	GHashTable *holders;  /* name -> pid that held it at the deadline */
};

static int by_address(gconstpointer a, gconstpointer b)
{
	const char *s = *(const char *const *)a, *t = *(const char *const *)b;
	struct vfr_address x, y;

	if (vfr_address_parse(s, &x, NULL) == 0 && vfr_address_parse(t, &y, NULL) == 0)
		return vfr_address_compare(&x, &y);
	return strcmp(s, t);
}

/* The keys of @set (borrowed), in address order. */
static GPtrArray *sorted_names(GHashTable *set)
{
	GPtrArray *names = g_ptr_array_sized_new(g_hash_table_size(set));
	GHashTableIter it;
	gpointer name;

	g_hash_table_iter_init(&it, set);
	while (g_hash_table_iter_next(&it, &name, NULL))
		g_ptr_array_add(names, name);
	g_ptr_array_sort(names, by_address);
	return names;
}

/* Milliseconds left before @deadline: -1 without one, 0 once passed. */
static int wait_ms(gint64 deadline)
{
	gint64 left;

	if (!deadline)
		return -1;
	left = deadline - g_get_monotonic_time();
	return left <= 0 ? 0 : (int)MIN(left / 1000 + 1, (gint64)G_MAXINT);
}

static int take(struct reset_locks *l, const char *name, gint64 deadline, bool may_wait)
{
	pid_t holder = 0;
	int fd;

	if (l->dirfd < 0 || g_hash_table_contains(l->held, name))
		return 0;
	fd = bind_lock_take(l->dirfd, name, 0, &holder);
	if (fd == -EBUSY && may_wait) {
		g_hash_table_add(l->contended, g_strdup(name));
		fd = bind_lock_take(l->dirfd, name, wait_ms(deadline), &holder);
	}
	if (fd < 0) {
		g_hash_table_insert(l->failed, g_strdup(name), GINT_TO_POINTER(fd));
		if (fd == -EBUSY && holder > 0)
			g_hash_table_insert(l->holders, g_strdup(name), GINT_TO_POINTER(holder));
		return fd;
	}
	g_hash_table_remove(l->failed, name);
	g_hash_table_insert(l->held, g_strdup(name), GINT_TO_POINTER(fd + 1));
	return 0;
}

struct reset_locks *reset_locks_take(struct vfr_ctx *ctx, struct vfr_reset_plan *const *plans,
				     size_t n, gint64 deadline)
{
	struct reset_locks *l = g_new0(struct reset_locks, 1);
	g_autoptr(GHashTable) all = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) names = NULL;
	struct vfr_error *err = NULL;
	int r;

	l->held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	l->failed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	l->contended = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	l->holders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	l->dirfd = -1;
	if (n == 0)
		return l;
	r = bind_state_open(ctx, &l->dirfd, &err);
	if (r < 0) {
		/*
		 * Where the state directory cannot be used, no binding can be
		 * changed through this library either (it needs the same
		 * directory), so there is nothing to serialise with.
		 */
		vfr_warn(ctx, "no binding locks: %s", vfr_error_get_message(err));
		vfr_error_free(err);
		l->dirfd = -1;
		return l;
	}
	for (size_t i = 0; i < n; i++) {
		g_autoptr(GHashTable) fp = reset_plan_affected(plans[i]);
		GHashTableIter it;
		gpointer name;

		g_hash_table_iter_init(&it, fp);
		while (g_hash_table_iter_next(&it, &name, NULL))
			g_hash_table_add(all, name);
	}
	names = sorted_names(all);
	/*
	 * Every lock is tried, in address order, even after one timed out: the
	 * resets that do not need that one still run, and holding a subset
	 * taken in order keeps the order's guarantee.
	 */
	for (guint i = 0; i < names->len; i++)
		take(l, names->pdata[i], deadline, true);
	return l;
}

static const char *first_missing(struct reset_locks *l, const struct vfr_reset_plan *plan,
				 int *ret_error)
{
	g_autoptr(GHashTable) fp = reset_plan_affected(plan);
	g_autoptr(GPtrArray) names = NULL;

	if (l->dirfd < 0)
		return NULL;
	names = sorted_names(fp);
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		gpointer error;

		if (g_hash_table_contains(l->held, name))
			continue;
		if (g_hash_table_lookup_extended(l->failed, name, NULL, &error))
			*ret_error = GPOINTER_TO_INT(error);
		else
			*ret_error = -ENOLCK;
		/* The name lives in the plan, which outlives the caller's use of it. */
		return name;
	}
	return NULL;
}

int reset_locks_cover(struct reset_locks *l, const struct vfr_reset_plan *plan,
		      const char **ret_name)
{
	int error = 0;
	const char *name = first_missing(l, plan, &error);

	if (!name)
		return 0;
	*ret_name = name;
	return error;
}

pid_t reset_locks_holder(struct reset_locks *l, const char *name)
{
	return l ? (pid_t)GPOINTER_TO_INT(g_hash_table_lookup(l->holders, name)) : 0;
}

bool reset_locks_waited(struct reset_locks *l, const struct vfr_reset_plan *plan)
{
	g_autoptr(GHashTable) fp = reset_plan_affected(plan);
	GHashTableIter it;
	gpointer name;

	g_hash_table_iter_init(&it, fp);
	while (g_hash_table_iter_next(&it, &name, NULL))
		if (g_hash_table_contains(l->contended, name))
			return true;
	return false;
}

int reset_locks_extend(struct reset_locks *l, const struct vfr_reset_plan *plan,
		       const char **ret_name)
{
	g_autoptr(GHashTable) fp = reset_plan_affected(plan);
	g_autoptr(GPtrArray) names = sorted_names(fp);

	/* Out of address order now: only without waiting, so no cycle can form. */
	for (guint i = 0; i < names->len; i++)
		take(l, names->pdata[i], 0, false);
	return reset_locks_cover(l, plan, ret_name);
}

void reset_locks_release(struct reset_locks *l)
{
	GHashTableIter it;
	gpointer fd;

	if (!l)
		return;
	g_hash_table_iter_init(&it, l->held);
	while (g_hash_table_iter_next(&it, NULL, &fd))
		bind_lock_release(GPOINTER_TO_INT(fd) - 1);
	g_hash_table_destroy(l->held);
	g_hash_table_destroy(l->failed);
	g_hash_table_destroy(l->contended);
	g_hash_table_destroy(l->holders);
	if (l->dirfd >= 0)
		close(l->dirfd);
	g_free(l);
}
