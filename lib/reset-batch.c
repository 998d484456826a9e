/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset API. A batch plans every function, refuses what must not be
 * reset, takes the binding locks of every function the resets touch and
 * runs the rest (reset-parallel.c); then applies the policy and logs, all
 * from the calling thread.
 *
 * The safety of a reset rests on facts that other processes can change at
 * any time: the drivers of the functions it reaches, who holds their vfio
 * nodes, VF Enable, reset_method, stuck calls. A plan records the facts it
 * was made from (plan->seen), and right before a job writes anything, the
 * check below reads them all again, under the locks: the same facts, the
 * job goes on; others, the plan is made again, and the reset goes on with
 * it, or is refused naming what changed. That one check, at that one
 * place, is what makes a stale host object (scanned long ago by a manager)
 * safe to reset from.
 */
#include <string.h>
#include <unistd.h>

#include "bind-state.h"
#include "deadline.h"
#include "device-private.h"
#include "hotreset-private.h"
#include "pending.h"
#include "reset-exec.h"
#include "reset-lock.h"
#include "bus-reset.h"
#include "sysfs.h"
#include "vfio-holding.h"

#define LOG_DOMAIN "reset"

struct vfr_reset_batch {
	GPtrArray *results; /* struct vfr_reset_result * */
};

/* One run of a batch: what the check at the write needs. */
struct run {
	const struct vfr_reset_options *opts;
	struct reset_locks *locks;
	int pending_fd; /* ROOT/run/vfioreset/pending, -1 when it cannot be had */
	gint64 start, deadline;
};

static struct vfr_reset_result *result_new(const char *name, struct vfr_reset_plan *plan)
{
	struct vfr_reset_result *res = g_new0(struct vfr_reset_result, 1);

	res->name = g_strdup(name);
	res->plan = plan;
	res->attempts = g_array_new(FALSE, TRUE, sizeof(struct reset_attempt));
	res->holders = g_array_new(FALSE, TRUE, sizeof(int));
	res->uncertain_holders = g_array_new(FALSE, TRUE, sizeof(int));
	res->notes = g_array_new(FALSE, TRUE, sizeof(struct reset_note));
	res->affected = g_ptr_array_new_with_free_func(g_free);
	res->merged = g_ptr_array_new_with_free_func(g_free);
	return res;
}

static void result_free(gpointer p)
{
	struct vfr_reset_result *res = p;

	for (guint i = 0; i < res->attempts->len; i++)
		g_free(g_array_index(res->attempts, struct reset_attempt, i).method);
	for (guint i = 0; i < res->notes->len; i++)
		g_free(g_array_index(res->notes, struct reset_note, i).text);
	g_array_free(res->attempts, TRUE);
	g_array_free(res->holders, TRUE);
	g_array_free(res->uncertain_holders, TRUE);
	g_array_free(res->notes, TRUE);
	g_ptr_array_free(res->affected, TRUE);
	g_ptr_array_free(res->merged, TRUE);
	g_free(res->merged_with);
	vfr_reset_plan_unref(res->plan);
	g_free(res->name);
	g_free(res->method);
	g_free(res->message);
	g_free(res->locked);
	g_free(res);
}

static void set_message(struct vfr_reset_result *res, int error, char *message)
{
	res->error = error;
	g_free(res->message);
	res->message = message;
}

/* "pm: NoSoftRst set; bus: stale, ..." */
static char *exclusions_text(const struct vfr_reset_plan *plan, bool safety_only)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < plan->excluded->len; i++) {
		const struct reset_exclusion *e = plan->excluded->pdata[i];

		if (safety_only && !e->safety)
			continue;
		g_string_append_printf(s, "%s%s: %s", s->len ? "; " : "", e->method, e->reason);
	}
	return g_string_free(s, FALSE);
}

static char *attempts_text(const struct vfr_reset_result *res)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < res->attempts->len; i++) {
		const struct reset_attempt *a = &g_array_index(res->attempts, struct reset_attempt, i);

		g_string_append_printf(s, "%s%s: %s", i ? ", " : "", a->method,
				       a->error ? g_strerror(-a->error) : "ok");
	}
	return g_string_free(s, FALSE);
}

/*
 * No method left in the plan: refused when a method was excluded to protect
 * someone (no policy hides that), else failed. @changed: what made the plan
 * change at the write, or NULL. Returns true when nothing can run.
 */
static bool no_method(struct vfr_reset_result *res, const char *changed)
{
	const struct vfr_reset_plan *plan = res->plan;
	g_autofree char *why = NULL, *since = NULL;

	if (vfr_reset_plan_is_ready(plan))
		return false;
	since = changed ? g_strdup_printf(" (changed since the plan: %s)", changed) : g_strdup("");
	g_array_set_size(res->holders, 0);
	if (plan->n_holders)
		g_array_append_vals(res->holders, plan->holders, plan->n_holders);
	g_array_set_size(res->uncertain_holders, 0);
	if (plan->n_uncertain_holders)
		g_array_append_vals(res->uncertain_holders, plan->uncertain_holders,
				    plan->n_uncertain_holders);
	if (reset_plan_is_refused(plan)) {
		why = exclusions_text(plan, true);
		res->refused = true;
		/* Busy while others hold it (it may pass); not permitted for the rest. */
		set_message(res, reset_plan_is_held_only(plan) ? -EBUSY : -EPERM, g_strdup_printf("%s: not reset, to protect what it would "
							 "reach: %s%s", res->name, why, since));
		return true;
	}
	why = exclusions_text(plan, false);
	/* ENODEV for a function that is gone, as a store to it would answer. */
	set_message(res, plan->gone ? -ENODEV : -ENOTTY,
		    g_strdup_printf("%s: no reset method can be used: %s%s", res->name, why, since));
	return true;
}

/* `hot` in group mode: the fds of the groups its check named, from the caller's holding. */
static void job_group_fds(struct reset_job *job, const struct vfr_reset_options *opts)
{
	const struct vfr_reset_plan *plan = job->res->plan;

	g_clear_pointer(&job->group_fds, g_free);
	job->n_group_fds = 0;
	job->group_fds_error = 0;
	for (guint i = 0; i < plan->methods->len; i++) {
		const struct reset_candidate *c = plan->methods->pdata[i];

		if (c->mechanism != VFR_RESET_MECH_VFIO_HOT || c->cdev)
			continue;
		job->group_fds = g_new0(int, c->n_groups + 1);
		for (size_t k = 0; k < c->n_groups; k++) {
			int fd = opts && opts->holding
					 ? vfio_holding_get_group_fd(opts->holding, c->groups[k])
					 : -ENOENT;

			if (fd < 0) {
				/* Planned from this holding's check: only a changed holding gets here. */
				job->group_fds_error = -EBADF;
				break;
			}
			job->group_fds[job->n_group_fds++] = fd;
		}
	}
}

/* Sets what the job needs from its plan (again, after the check made a new one). */
static void job_fit(struct reset_job *job, const struct vfr_reset_options *opts)
{
	enum vfr_driver_type type = VFR_DRIVER_HOST;

	job->device_fd = reset_options_vfio_fd(opts, job->dev);
	job_group_fds(job, opts);
	/*
	 * A host driver quiesces its device itself (reset_prepare); clearing
	 * its Command register behind its back would be saved and restored by
	 * the kernel's reset as cleared, leaving the driver without DMA.
	 */
	vfr_device_get_driver_type(job->dev, &type);
	job->quiesce = type != VFR_DRIVER_HOST &&
		       !(opts && (opts->flags & VFR_RESET_KEEP_COMMAND));
}

/* The bridges above @dev, nearest first. */
static char **upstream_of(struct vfr_device *dev)
{
	GPtrArray *names = g_ptr_array_new();

	for (struct vfr_device *b = dev->parent; b && names->len < 64; b = b->parent)
		g_ptr_array_add(names, g_strdup(b->name));
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

static struct reset_job *job_new(struct vfr_device *dev, struct vfr_reset_result *res,
				 const struct run *run)
{
	struct reset_job *job;
	/* A descriptor of the job's own: jobs run on threads, the host's cached one is not theirs. */
	int fd = host_device_open_dir(dev->host, dev);

	if (fd < 0) {
		set_message(res, fd, g_strdup_printf("%s: its sysfs directory cannot be opened: %s",
						     res->name, g_strerror(-fd)));
		return NULL;
	}
	job = g_new0(struct reset_job, 1);
	job->res = res;
	job->dev = dev;
	job->dirfd = fd;
	job->pending_fd = run->pending_fd;
	job->upstream = upstream_of(dev);
	job->deadline = run->deadline;
	job_fit(job, run->opts);
	return job;
}

static void job_free(struct reset_job *job)
{
	if (!job)
		return;
	close(job->dirfd);
	g_free(job->group_fds);
	if (job->followers)
		g_ptr_array_free(job->followers, TRUE);
	g_strfreev(job->upstream);
	g_free(job);
}

/* Forgets what was read of @dev and of everything a reset of it may reach. */
static void invalidate_reach(struct vfr_device *dev)
{
	g_autofree struct vfr_device **below = NULL;
	size_t n = 0;

	device_invalidate(dev);
	for (size_t i = 0; i < vfr_device_get_n_virtfns(dev); i++)
		device_invalidate(vfr_device_get_virtfn(dev, i));
	if (bus_reset_affected(dev, &below, &n) == 0)
		for (size_t i = 0; i < n; i++)
			device_invalidate(below[i]);
}

static void locked(struct vfr_reset_result *res, const char *name, int error, pid_t holder,
		   gint64 start)
{
	g_autofree char *who = holder > 0 ? g_strdup_printf(" (pid %ld)", (long)holder)
					  : g_strdup("");

	res->refused = true;
	g_free(res->locked);
	res->locked = g_strdup(name);
	if (error == -EBUSY)
		set_message(res, -EBUSY, g_strdup_printf(
			"%s: not reset: %s is locked by another process%s changing its binding "
			"(waited %lld ms)", res->name, name, who,
			(long long)((g_get_monotonic_time() - start) / 1000)));
	else
		set_message(res, error, g_strdup_printf("%s: not reset: the binding lock of %s "
							"cannot be taken: %s", res->name, name,
							g_strerror(-error)));
}

static void note(struct vfr_reset_result *res, int priority, char *text)
{
	struct reset_note n = { .priority = priority, .text = text };

	g_array_append_val(res->notes, n);
}

/* Would a backoff of @delay_us run past the deadline? */
static bool deadline_near(const struct run *run, gulong delay_us)
{
	return run->deadline && g_get_monotonic_time() + (gint64)delay_us >= run->deadline;
}

/*
 * The check at the write (reset-parallel.c calls it in this thread, right
 * before the jobs' first write, with every lock of their plans held): the
 * facts are read again, and the plans made again from them (one pass over
 * /proc for all of @jobs). Unchanged, a job runs as planned; changed, it
 * runs with the new plan when that one can (its new locks taken without
 * waiting, so no cycle can form), or is refused, saying what changed.
 */
static void check_at_write(struct reset_job **jobs, size_t n, bool *go, void *data)
{
	const struct run *run = data;
	g_autofree struct vfr_device **devs = g_new(struct vfr_device *, n);
	g_autofree struct vfr_reset_plan **plans = g_new0(struct vfr_reset_plan *, n);
	g_autofree bool *waiting = g_new0(bool, n);
	gulong delay_us = 1000;
	size_t left = n;

	for (size_t k = 0; k < n; k++) {
		devs[k] = jobs[k]->dev;
		waiting[k] = true;
		go[k] = false;
		/*
		 * Reset already, by its leader's hot reset, which was checked with
		 * everything it reaches (this function among them): only the
		 * outcome is left to record.
		 */
		if (reset_job_served_by_leader(jobs[k])) {
			waiting[k] = false;
			go[k] = true;
			left--;
		}
	}
	while (left > 0) {
		size_t n_wait = 0;

		for (size_t k = 0; k < n; k++)
			if (waiting[k])
				invalidate_reach(devs[k]);
		/* Only the jobs still waiting are planned again: compact them to the front. */
		{
			g_autofree struct vfr_device **some = g_new(struct vfr_device *, left);
			g_autofree struct vfr_reset_plan **made = g_new0(struct vfr_reset_plan *, left);
			size_t m = 0;

			for (size_t k = 0; k < n; k++)
				if (waiting[k])
					some[m++] = devs[k];
			reset_plans_make(some, m, run->opts, made);
			m = 0;
			for (size_t k = 0; k < n; k++)
				if (waiting[k])
					plans[k] = made[m++];
		}
		for (size_t k = 0; k < n; k++) {
			struct vfr_reset_result *res;
			g_autofree char *changed = NULL;
			const char *name = NULL;
			int r;

			if (!waiting[k])
				continue;
			res = jobs[k]->res;
			changed = reset_facts_diff((const char *const *)res->plan->seen,
						   (const char *const *)plans[k]->seen);
			vfr_reset_plan_unref(res->plan);
			res->plan = g_steal_pointer(&plans[k]);
			if (reset_plan_is_held_only(res->plan) && run->opts &&
			    (run->opts->flags & VFR_RESET_WAIT_HOLDERS) && !deadline_near(run, delay_us)) {
				n_wait++;
				continue; /* asked again after the backoff */
			}
			waiting[k] = false;
			left--;
			if (no_method(res, changed))
				continue;
			if (changed) {
				r = reset_locks_extend(run->locks, res->plan, &name);
				if (r < 0) {
					locked(res, name, r,
					       reset_locks_holder(run->locks, name), run->start);
					continue;
				}
				note(res, LOG_INFO, g_strdup_printf("%s: planned again before the write: "
								    "%s", res->name, changed));
				job_fit(jobs[k], run->opts);
			}
			go[k] = true;
		}
		if (n_wait) {
			/* Other processes still hold what they reach: there is no event to wait on. */
			g_usleep(delay_us);
			delay_us = MIN(delay_us * 2, 200000ul);
		}
	}
}

/* "A,B,C": the functions a candidate touches, as one comparable key. */
static char *affected_key(const struct reset_candidate *c)
{
	return g_strjoinv(",", c->affected);
}

/*
 * A VMM resetting the functions of one bus asks for one bus reset, not
 * one per function: a second hot reset of the same bus resets everything
 * again, after the first function's owner may already have restored it.
 * Jobs whose plans start with `hot` over the same functions (which
 * include every one of their targets) become the followers of the first:
 * they sit in one component of reset-parallel.c, so they run after it on
 * its thread, in batch order.
 */
static void merge_hot_resets(struct reset_job **jobs, size_t n)
{
	g_autofree char **keys = g_new0(char *, n ? n : 1);

	for (size_t k = 0; k < n; k++) {
		const struct vfr_reset_plan *plan = jobs[k]->res->plan;
		const struct reset_candidate *c = plan->methods->len ? plan->methods->pdata[0] : NULL;

		if (c && c->mechanism == VFR_RESET_MECH_VFIO_HOT && c->affected)
			keys[k] = affected_key(c);
	}
	for (size_t k = 0; k < n; k++) {
		for (size_t l = 0; keys[k] && l < k; l++) {
			struct reset_job *leader = jobs[l];

			if (!keys[l] || leader->leader || strcmp(keys[l], keys[k]) != 0)
				continue;
			jobs[k]->leader = leader;
			if (!leader->followers)
				leader->followers = g_ptr_array_new();
			g_ptr_array_add(leader->followers, jobs[k]);
			break;
		}
	}
	for (size_t k = 0; k < n; k++)
		g_free(keys[k]);
}

/* Who shared one hot reset with whom, for every result of the group. */
static void record_merges(struct reset_job **jobs, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct reset_job *leader = jobs[k];

		if (leader->leader || !leader->followers || !leader->hot_issued)
			continue;
		for (guint i = 0; i < leader->followers->len; i++) {
			struct reset_job *f = leader->followers->pdata[i];

			if (!reset_job_served_by_leader(f))
				continue;
			g_ptr_array_add(leader->res->merged, g_strdup(f->res->name));
			f->res->merged_with = g_strdup(leader->res->name);
			g_ptr_array_add(f->res->merged, g_strdup(leader->res->name));
			for (guint j = 0; j < leader->followers->len; j++)
				if (j != i && reset_job_served_by_leader(leader->followers->pdata[j]))
					g_ptr_array_add(f->res->merged,
							g_strdup(((struct reset_job *)
								  leader->followers->pdata[j])->res->name));
		}
	}
}

static int by_address(gconstpointer a, gconstpointer b)
{
	struct vfr_address x, y;
	const char *s = *(const char *const *)a, *t = *(const char *const *)b;

	if (vfr_address_parse(s, &x, NULL) == 0 && vfr_address_parse(t, &y, NULL) == 0)
		return vfr_address_compare(&x, &y);
	return strcmp(s, t);
}

static void finish(struct vfr_device *dev, struct vfr_reset_result *res,
		   enum vfr_reset_policy policy)
{
	struct vfr_ctx *ctx = dev->host->ctx;

	g_ptr_array_sort(res->affected, by_address);
	for (guint i = 0; i < res->notes->len; i++) {
		const struct reset_note *n = &g_array_index(res->notes, struct reset_note, i);

		vfr_log_cond(ctx, n->priority, "%s", n->text);
	}
	if (res->skipped)
		return;
	if (res->ok && res->merged_with) {
		set_message(res, 0, g_strdup_printf("%s: reset with %s, the one hot reset of its bus "
						    "issued on %s", res->name, res->method,
						    res->merged_with));
		vfr_info(ctx, "%s", res->message);
		return;
	}
	if (res->ok && res->merged->len && g_strcmp0(res->method, "hot") == 0) {
		g_autoptr(GString) others = g_string_new(NULL);

		for (guint i = 0; i < res->merged->len; i++)
			g_string_append_printf(others, "%s%s", i ? ", " : "",
					       (const char *)res->merged->pdata[i]);

		set_message(res, 0, g_strdup_printf("%s: reset with hot, one hot reset of its bus "
						    "for it and %s", res->name, others->str));
		vfr_info(ctx, "%s", res->message);
		return;
	}
	if (res->ok) {
		set_message(res, 0, g_strdup_printf("%s: reset with %s", res->name, res->method));
		vfr_info(ctx, "%s", res->message);
		return;
	}
	if (!res->message) {
		g_autofree char *tried = attempts_text(res);

		set_message(res, res->attempts->len
					 ? g_array_index(res->attempts, struct reset_attempt,
							 res->attempts->len - 1).error
					 : -ENOTTY,
			    g_strdup_printf("%s: every reset method failed (%s)", res->name, tried));
	}
	/*
	 * no-strict ignores failures the kernel answered. A reset refused to
	 * protect someone, a call that did not return and a deadline that ran
	 * out are never made a success: the function's state is not a failed
	 * reset's, and the next owner must not get it.
	 */
	if (policy == VFR_RESET_NO_STRICT && !res->refused && !res->unknown && !res->timed_out) {
		res->ok = true;
		res->ignored = true;
		vfr_warn(ctx, "reset of %s failed, ignored because of the no-strict policy",
			 res->name);
		return;
	}
	if (res->unknown || res->refused)
		vfr_warn(ctx, "%s", res->message);
	else
		vfr_info(ctx, "%s", res->message);
}

/* Where a call left blocked at its deadline is recorded; stale records are cleaned up first. */
static int open_pending(struct vfr_ctx *ctx)
{
	int fd;

	if (pending_dir_open(ctx, true, &fd) < 0) {
		vfr_dbg(ctx, "no pending records: %s/run/vfioreset/pending cannot be opened",
			vfr_ctx_get_root(ctx));
		return -1;
	}
	pending_reap(ctx, fd);
	return fd;
}

VFR_EXPORT int vfr_reset_batch_run(struct vfr_device *const *devs, size_t n_devs,
				   const struct vfr_reset_options *opts,
				   struct vfr_reset_batch **ret_batch, struct vfr_error **reterr)
{
	g_autofree struct reset_job **jobs = NULL;
	g_autofree struct vfr_reset_plan **plans = NULL;
	g_autofree struct vfr_reset_plan **job_plans = NULL;
	struct run run = { .opts = opts, .pending_fd = -1 };
	struct vfr_reset_batch *batch;
	enum vfr_reset_policy policy = opts ? opts->policy : VFR_RESET_STRICT;
	int timeout_ms = opts ? opts->timeout_ms : 60000;
	size_t n_jobs = 0, n_run = 0;

	assert_return((devs || n_devs == 0) && ret_batch, -EINVAL);
	for (size_t i = 0; i < n_devs; i++)
		assert_return(devs[i], -EINVAL);
	/* Refused before anything is touched when the deadline's program is missing. */
	if (timeout_ms >= 0 && policy != VFR_RESET_SKIP && n_devs > 0) {
		int r = deadline_check(reterr);

		if (r < 0)
			return r;
	}

	/* Every function's deadline counts from here: waiting for holders and locks uses it up too. */
	run.start = g_get_monotonic_time();
	if (timeout_ms >= 0)
		run.deadline = run.start + (gint64)timeout_ms * 1000 + 1;
	batch = g_new0(struct vfr_reset_batch, 1);
	batch->results = g_ptr_array_new_with_free_func(result_free);
	jobs = g_new0(struct reset_job *, n_devs ? n_devs : 1);
	plans = g_new0(struct vfr_reset_plan *, n_devs ? n_devs : 1);
	if (n_devs && policy != VFR_RESET_SKIP)
		run.pending_fd = open_pending(devs[0]->host->ctx);

	/* Every plan in one go: one pass over /proc for the holders of all they reach. */
	reset_plans_make(devs, n_devs, opts, plans);
	for (size_t i = 0; i < n_devs; i++) {
		struct vfr_device *dev = devs[i];
		struct vfr_reset_result *res;

		res = result_new(dev->name, g_steal_pointer(&plans[i]));
		g_ptr_array_add(batch->results, res);
		if (policy == VFR_RESET_SKIP) {
			res->ok = res->skipped = true;
			res->message = g_strdup_printf("%s: not reset, skipped because of the skip "
						       "policy", dev->name);
			vfr_warn(dev->host->ctx, "reset of %s skipped because of the skip policy",
				 dev->name);
			continue;
		}
		/* Held by someone else: refused now, unless told to wait (the check waits). */
		if (!(reset_plan_is_held_only(res->plan) && opts &&
		      (opts->flags & VFR_RESET_WAIT_HOLDERS)) &&
		    no_method(res, NULL))
			continue;
		jobs[n_jobs] = job_new(dev, res, &run);
		if (jobs[n_jobs])
			n_jobs++;
	}

	if (n_jobs) {
		job_plans = g_new(struct vfr_reset_plan *, n_jobs);
		for (size_t k = 0; k < n_jobs; k++)
			job_plans[k] = jobs[k]->res->plan;
		run.locks = reset_locks_take(jobs[0]->dev->host->ctx, job_plans, n_jobs,
					     run.deadline);
	}
	for (size_t k = 0; k < n_jobs; k++) {
		struct reset_job *job = jobs[k];
		const char *name = NULL;
		int r = reset_locks_cover(run.locks, job->res->plan, &name);

		if (r < 0) {
			locked(job->res, name, r, reset_locks_holder(run.locks, name), run.start);
			job_free(job);
			continue;
		}
		jobs[n_run++] = job;
	}

	merge_hot_resets(jobs, n_run);
	reset_jobs_run(jobs, n_run, check_at_write, &run);
	record_merges(jobs, n_run);
	/* Bindings wait until the last reset is done: a reset under way is still a reset. */
	reset_locks_release(run.locks);

	for (size_t k = 0; k < n_run; k++)
		job_free(jobs[k]);
	if (run.pending_fd >= 0)
		close(run.pending_fd);
	for (size_t i = 0; i < n_devs; i++) {
		struct vfr_reset_result *res = batch->results->pdata[i];

		finish(devs[i], res, policy);
		invalidate_reach(devs[i]);
	}
	*ret_batch = batch;
	return 0;
}

VFR_EXPORT size_t vfr_reset_batch_get_n(const struct vfr_reset_batch *batch)
{
	assert_return(batch, 0);
	return batch->results->len;
}

VFR_EXPORT struct vfr_reset_result *vfr_reset_batch_get_result(const struct vfr_reset_batch *batch,
							       size_t index)
{
	assert_return(batch && index < batch->results->len, NULL);
	return batch->results->pdata[index];
}

VFR_EXPORT bool vfr_reset_batch_is_ok(const struct vfr_reset_batch *batch)
{
	assert_return(batch, false);
	for (guint i = 0; i < batch->results->len; i++)
		if (!((struct vfr_reset_result *)batch->results->pdata[i])->ok)
			return false;
	return true;
}

VFR_EXPORT void vfr_reset_batch_free(struct vfr_reset_batch *batch)
{
	if (!batch)
		return;
	g_ptr_array_free(batch->results, TRUE);
	g_free(batch);
}

VFR_EXPORT int vfr_device_reset(struct vfr_device *dev, const struct vfr_reset_options *opts,
				struct vfr_error **reterr)
{
	struct vfr_reset_batch *batch = NULL;
	const struct vfr_reset_result *res;
	int r;

	assert_return(dev, -EINVAL);
	r = vfr_reset_batch_run(&dev, 1, opts, &batch, reterr);
	if (r < 0)
		return r;
	res = batch->results->pdata[0];
	r = res->ok ? 0 : error_set(reterr, res->error < 0 ? res->error : -EIO, res->name, "%s",
				     res->message);
	vfr_reset_batch_free(batch);
	return r;
}

/* ---- result getters ---- */

VFR_EXPORT const char *vfr_reset_result_get_address(const struct vfr_reset_result *res)
{
	assert_return(res, NULL);
	return res->name;
}

VFR_EXPORT struct vfr_reset_plan *vfr_reset_result_get_plan(const struct vfr_reset_result *res)
{
	assert_return(res, NULL);
	return res->plan;
}

VFR_EXPORT bool vfr_reset_result_is_ok(const struct vfr_reset_result *res)
{
	assert_return(res, false);
	return res->ok;
}

VFR_EXPORT const char *vfr_reset_result_get_method(const struct vfr_reset_result *res)
{
	assert_return(res, NULL);
	return res->method;
}

VFR_EXPORT bool vfr_reset_result_is_timed_out(const struct vfr_reset_result *res)
{
	assert_return(res, false);
	return res->timed_out;
}

VFR_EXPORT bool vfr_reset_result_is_ignored_by_policy(const struct vfr_reset_result *res)
{
	assert_return(res, false);
	return res->ignored;
}

VFR_EXPORT bool vfr_reset_result_is_skipped(const struct vfr_reset_result *res)
{
	assert_return(res, false);
	return res->skipped;
}

VFR_EXPORT enum vfr_reset_outcome vfr_reset_result_get_outcome(const struct vfr_reset_result *res)
{
	assert_return(res, VFR_RESET_OUTCOME_FAILED);
	if (res->skipped)
		return VFR_RESET_OUTCOME_SKIPPED;
	if (res->refused)
		return VFR_RESET_OUTCOME_REFUSED;
	if (res->unknown)
		return VFR_RESET_OUTCOME_UNKNOWN;
	if (res->ignored)
		return VFR_RESET_OUTCOME_IGNORED;
	return res->ok ? VFR_RESET_OUTCOME_RESET : VFR_RESET_OUTCOME_FAILED;
}

VFR_EXPORT size_t vfr_reset_result_get_n_affected(const struct vfr_reset_result *res)
{
	assert_return(res, 0);
	return res->affected->len;
}

VFR_EXPORT const char *vfr_reset_result_get_affected(const struct vfr_reset_result *res,
						     size_t index)
{
	assert_return(res && index < res->affected->len, NULL);
	return res->affected->pdata[index];
}

VFR_EXPORT int vfr_reset_result_get_pending_pid(const struct vfr_reset_result *res)
{
	assert_return(res, 0);
	return res->pending_pid;
}

VFR_EXPORT int vfr_reset_result_get_error(const struct vfr_reset_result *res)
{
	assert_return(res, -EINVAL);
	return res->error;
}

VFR_EXPORT const char *vfr_reset_result_get_message(const struct vfr_reset_result *res)
{
	assert_return(res, NULL);
	return res->message;
}

VFR_EXPORT size_t vfr_reset_result_get_n_attempts(const struct vfr_reset_result *res)
{
	assert_return(res, 0);
	return res->attempts->len;
}

static const struct reset_attempt *get_attempt(const struct vfr_reset_result *res, size_t i)
{
	if (!res || i >= res->attempts->len)
		return NULL;
	return &g_array_index(res->attempts, struct reset_attempt, i);
}

VFR_EXPORT const char *vfr_reset_result_get_attempt_method(const struct vfr_reset_result *res,
							   size_t index)
{
	const struct reset_attempt *a = get_attempt(res, index);

	return a ? a->method : NULL;
}

VFR_EXPORT int vfr_reset_result_get_attempt_error(const struct vfr_reset_result *res, size_t index)
{
	const struct reset_attempt *a = get_attempt(res, index);

	return a ? a->error : -EINVAL;
}

VFR_EXPORT double vfr_reset_result_get_attempt_ms(const struct vfr_reset_result *res, size_t index)
{
	const struct reset_attempt *a = get_attempt(res, index);

	return a ? a->ms : 0.0;
}

VFR_EXPORT const char *vfr_reset_result_get_locked(const struct vfr_reset_result *res)
{
	assert_return(res, NULL);
	return res->locked;
}

VFR_EXPORT const char *vfr_reset_result_get_merged_with(const struct vfr_reset_result *res)
{
	assert_return(res, NULL);
	return res->merged_with;
}

VFR_EXPORT size_t vfr_reset_result_get_n_merged(const struct vfr_reset_result *res)
{
	assert_return(res, 0);
	return res->merged->len;
}

VFR_EXPORT const char *vfr_reset_result_get_merged(const struct vfr_reset_result *res,
						   size_t index)
{
	assert_return(res && index < res->merged->len, NULL);
	return res->merged->pdata[index];
}

VFR_EXPORT size_t vfr_reset_result_get_n_holders(const struct vfr_reset_result *res)
{
	assert_return(res, 0);
	return res->holders->len;
}

VFR_EXPORT int vfr_reset_result_get_holder(const struct vfr_reset_result *res, size_t index)
{
	assert_return(res && index < res->holders->len, -1);
	return g_array_index(res->holders, int, index);
}

VFR_EXPORT size_t vfr_reset_result_get_n_uncertain_holders(const struct vfr_reset_result *res)
{
	assert_return(res, 0);
	return res->uncertain_holders->len;
}

VFR_EXPORT int vfr_reset_result_get_uncertain_holder(const struct vfr_reset_result *res,
						     size_t index)
{
	assert_return(res && index < res->uncertain_holders->len, -1);
	return g_array_index(res->uncertain_holders, int, index);
}
