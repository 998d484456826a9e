/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset API: a batch plans every function, refuses what must not be
 * reset (no method left, another process still holding the function's vfio
 * nodes), takes the binding locks of every function the resets touch, runs
 * the rest (reset-parallel.c), then applies the policy and logs, all from
 * the calling thread.
 */
#include <string.h>
#include <unistd.h>

#include "bind-state.h"
#include "device-private.h"
#include "holders.h"
#include "hotreset.h"
#include "reset-exec.h"
#include "reset-lock.h"
#include "sysfs.h"

#define LOG_DOMAIN "reset"

struct vfr_reset_batch {
	GPtrArray *results; /* struct vfr_reset_result * */
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
static char *exclusions_text(const struct vfr_reset_plan *plan)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < plan->excluded->len; i++) {
		const struct reset_exclusion *e = plan->excluded->pdata[i];

		g_string_append_printf(s, "%s%s: %s", i ? "; " : "", e->method, e->reason);
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

static void prescan_free(struct holders *prescan, size_t n)
{
	for (size_t i = 0; prescan && i < n; i++)
		holders_clear(&prescan[i]);
}

static void set_holders(GArray *into, const GArray *from)
{
	g_array_set_size(into, 0);
	for (guint i = 0; i < from->len; i++) {
		int pid = (int)g_array_index(from, struct holder, i).pid;

		g_array_append_val(into, pid);
	}
}

/*
 * Hand-over safety: while another process holds the function (its group,
 * its cdev, a device file, a mapping of its BARs), the previous owner's
 * mappings and interrupts are still attached; a reset now would be undone
 * by it or would pull the device from under it. A process that may hold it
 * where the kernel does not say (an unnamed device file) counts too:
 * unknown is not "nobody". The caller's own holding is its own business.
 * Refused, or waited for with backoff up to the deadline. Returns true
 * when the reset may go on.
 */
static bool no_holders(struct vfr_device *dev, struct vfr_reset_result *res,
			  struct holders *first, bool wait, gint64 deadline)
{
	gulong delay_us = 1000;
	gint64 start = g_get_monotonic_time();

	for (;;) {
		struct holders now = { 0 }, *h = &now;
		g_autofree char *who = NULL;
		struct vfr_error *err = NULL;
		int r = 0;

		if (first) {
			/* The batch's one pass over /proc answered the first time. */
			h = first;
			first = NULL;
		} else {
			r = holders_find_many(&dev, 1, &now, NULL, &err);
		}

		if (r < 0) {
			set_message(res, r, g_strdup_printf("%s: not reset: cannot tell who holds it: %s",
							    res->name, vfr_error_get_message(err)));
			vfr_error_free(err);
			return false;
		}
		if (h->certain->len == 0 && h->uncertain->len == 0) {
			holders_clear(&now);
			return true;
		}
		if (wait && (!deadline || g_get_monotonic_time() + (gint64)delay_us < deadline)) {
			holders_clear(&now);
			g_usleep(delay_us);
			delay_us = MIN(delay_us * 2, 200000ul);
			continue;
		}
		set_holders(res->holders, h->certain);
		set_holders(res->uncertain_holders, h->uncertain);
		if (h->certain->len) {
			who = holders_describe((const struct holder *)h->certain->data, h->certain->len,
					       0);
			set_message(res, -EBUSY,
				    wait ? g_strdup_printf("%s: not reset: still held by %s after "
							   "waiting %lld ms", res->name, who,
							   (long long)((g_get_monotonic_time() - start) /
								       1000))
					 : g_strdup_printf("%s: not reset: it is still held by %s (the "
							   "previous owner's state is attached)",
							   res->name, who));
		} else {
			who = holders_describe((const struct holder *)h->uncertain->data,
					       h->uncertain->len, 0);
			set_message(res, -EBUSY,
				    g_strdup_printf("%s: not reset: it may still be held: %s %s, and "
						    "this kernel does not say which function (before "
						    "Linux 6.18)", res->name,
						    h->uncertain->len == 1 ? "process" : "processes",
						    who));
		}
		holders_clear(&now);
		return false;
	}
}

/* `hot` in group mode: the fds of the groups its check named, from the caller's holding. */
static void job_group_fds(struct reset_job *job, const struct vfr_reset_options *opts)
{
	const struct vfr_reset_plan *plan = job->res->plan;

	for (guint i = 0; i < plan->methods->len; i++) {
		const struct reset_candidate *c = plan->methods->pdata[i];

		if (c->mechanism != VFR_RESET_MECH_VFIO_HOT || c->cdev)
			continue;
		job->group_fds = g_new0(int, c->n_groups + 1);
		for (size_t k = 0; k < c->n_groups; k++) {
			int fd = opts && opts->holding
					 ? hotreset_holding_group_fd(opts->holding, c->groups[k])
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

static struct reset_job *job_new(struct vfr_device *dev, struct vfr_reset_result *res,
				 const struct vfr_reset_options *opts, gint64 deadline)
{
	struct reset_job *job;
	enum vfr_driver_type type = VFR_DRIVER_HOST;
	/* A descriptor of the job's own: jobs run on threads, the host's cached one is not theirs. */
	int fd = host_device_open_dir(dev->host, dev);

	if (fd < 0) {
		set_message(res, fd, g_strdup_printf("%s: its sysfs directory cannot be opened: %s",
						     res->name, g_strerror(-fd)));
		return NULL;
	}
	job = g_new0(struct reset_job, 1);
	job->res = res;
	job->dirfd = fd;
	job->device_fd = reset_options_vfio_fd(opts, dev);
	job->deadline = deadline;
	job_group_fds(job, opts);
	/*
	 * A host driver quiesces its device itself (reset_prepare); clearing
	 * its Command register behind its back would be saved and restored by
	 * the kernel's reset as cleared, leaving the driver without DMA.
	 */
	vfr_device_get_driver_type(dev, &type);
	job->quiesce = type != VFR_DRIVER_HOST;
	return job;
}

static void job_free(struct reset_job *job)
{
	if (!job)
		return;
	close(job->dirfd);
	g_free(job->group_fds);
	g_free(job);
}

static void invalidate_footprint(struct vfr_device *dev, const struct vfr_reset_plan *plan)
{
	g_autoptr(GHashTable) fp = reset_plan_footprint(plan);
	GHashTableIter it;
	gpointer name;

	device_invalidate(dev);
	g_hash_table_iter_init(&it, fp);
	while (g_hash_table_iter_next(&it, &name, NULL)) {
		struct vfr_address addr;
		struct vfr_device *d;

		if (vfr_address_parse(name, &addr, NULL) == 0 && (d = host_find(dev->host, &addr)) &&
		    d != dev)
			device_invalidate(d);
	}
}

static void finish(struct vfr_device *dev, struct vfr_reset_result *res,
		   enum vfr_reset_policy policy)
{
	struct vfr_ctx *ctx = dev->host->ctx;

	for (guint i = 0; i < res->notes->len; i++) {
		const struct reset_note *n = &g_array_index(res->notes, struct reset_note, i);

		vfr_log_cond(ctx, n->priority, "%s", n->text);
	}
	if (res->skipped)
		return;
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
	/* A reset refused for hand-over safety is not a failed method: no policy hides it. */
	if (policy == VFR_RESET_NO_STRICT && !res->refused) {
		res->ok = true;
		res->ignored = true;
		vfr_warn(ctx, "reset of %s failed, ignored because of the no-strict policy",
			 res->name);
		return;
	}
	vfr_info(ctx, "%s", res->message);
}

static bool no_method(struct vfr_reset_result *res)
{
	g_autofree char *why = NULL;

	if (vfr_reset_plan_is_ready(res->plan))
		return false;
	why = exclusions_text(res->plan);
	/* ENODEV for a function that is gone, as a store to it would answer. */
	set_message(res, res->plan->gone ? -ENODEV : -ENOTTY,
		    g_strdup_printf("%s: no reset method can be used: %s", res->name, why));
	return true;
}

static void locked(struct vfr_reset_result *res, const char *name, int error, pid_t holder,
		   gint64 start)
{
	g_autofree char *who = holder > 0 ? g_strdup_printf(" (pid %ld)", (long)holder)
					  : g_strdup("");

	res->refused = true;
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

/*
 * A lock that had to be waited for was held by a change of binding: the
 * facts of the plan may be stale, so it is made again, under the locks.
 * Returns the job to run (@job itself when nothing had to change), or NULL.
 */
static struct reset_job *replan(struct vfr_device *dev, struct reset_job *job,
				struct reset_locks *locks, const struct vfr_reset_options *opts,
				gint64 deadline, gint64 start)
{
	struct vfr_reset_result *res = job->res;
	struct vfr_reset_plan *plan = NULL;
	struct vfr_error *err = NULL;
	const char *name = NULL;
	int r;

	invalidate_footprint(dev, res->plan);
	r = vfr_reset_plan_new(dev, opts, &plan, &err);
	job_free(job);
	if (r < 0) {
		set_message(res, r, g_strdup(vfr_error_get_message(err)));
		vfr_error_free(err);
		return NULL;
	}
	vfr_reset_plan_unref(res->plan);
	res->plan = plan;
	if (no_method(res))
		return NULL;
	r = reset_locks_extend(locks, plan, &name);
	if (r < 0) {
		locked(res, name, r, reset_locks_holder(locks, name), start);
		return NULL;
	}
	return job_new(dev, res, opts, deadline);
}

VFR_EXPORT int vfr_reset_batch_run(struct vfr_device *const *devs, size_t n_devs,
				   const struct vfr_reset_options *opts,
				   struct vfr_reset_batch **ret_batch, struct vfr_error **reterr)
{
	g_autofree struct reset_job **jobs = NULL;
	g_autofree struct vfr_device **job_devs = NULL;
	g_autofree struct vfr_reset_plan **plans = NULL;
	g_autofree struct holders *prescan = NULL;
	struct reset_locks *locks = NULL;
	struct vfr_reset_batch *batch;
	enum vfr_reset_policy policy = opts ? opts->policy : VFR_RESET_STRICT;
	int timeout_ms = opts ? opts->timeout_ms : 60000;
	gint64 deadline = 0, start;
	size_t n_jobs = 0, n_run = 0;

	assert_return((devs || n_devs == 0) && ret_batch, -EINVAL);
	for (size_t i = 0; i < n_devs; i++)
		assert_return(devs[i], -EINVAL);

	/* Every function's deadline counts from here: waiting for holders and locks uses it up too. */
	start = g_get_monotonic_time();
	if (timeout_ms >= 0)
		deadline = start + (gint64)timeout_ms * 1000 + 1;
	batch = g_new0(struct vfr_reset_batch, 1);
	batch->results = g_ptr_array_new_with_free_func(result_free);
	jobs = g_new0(struct reset_job *, n_devs ? n_devs : 1);
	job_devs = g_new0(struct vfr_device *, n_devs ? n_devs : 1);
	plans = g_new0(struct vfr_reset_plan *, n_devs ? n_devs : 1);
	/* The holders of every function in one pass over /proc; a failure is found again per function. */
	if (policy != VFR_RESET_SKIP) {
		prescan = g_new0(struct holders, n_devs ? n_devs : 1);
		if (holders_find_many(devs, n_devs, prescan, NULL, NULL) < 0)
			g_clear_pointer(&prescan, g_free);
	}

	for (size_t i = 0; i < n_devs; i++) {
		struct vfr_device *dev = devs[i];
		struct vfr_reset_plan *plan = NULL;
		struct vfr_reset_result *res;
		int r = vfr_reset_plan_new(dev, opts, &plan, reterr);

		if (r < 0) {
			for (size_t k = 0; k < n_jobs; k++)
				job_free(jobs[k]);
			vfr_reset_batch_free(batch);
			prescan_free(prescan, n_devs);
			return r;
		}
		res = result_new(dev->name, plan);
		g_ptr_array_add(batch->results, res);
		if (policy == VFR_RESET_SKIP) {
			res->ok = res->skipped = true;
			res->message = g_strdup_printf("%s: not reset, skipped because of the skip "
						       "policy", dev->name);
			vfr_warn(dev->host->ctx, "reset of %s skipped because of the skip policy",
				 dev->name);
			continue;
		}
		if (no_method(res))
			continue;
		if (!no_holders(dev, res, prescan ? &prescan[i] : NULL,
				   opts && (opts->flags & VFR_RESET_WAIT_HOLDERS), deadline)) {
			res->refused = true;
			continue;
		}
		jobs[n_jobs] = job_new(dev, res, opts, deadline);
		job_devs[n_jobs] = dev;
		if (jobs[n_jobs])
			n_jobs++;
	}

	if (n_jobs) {
		for (size_t k = 0; k < n_jobs; k++)
			plans[k] = jobs[k]->res->plan;
		locks = reset_locks_take(job_devs[0]->host->ctx, plans, n_jobs, deadline);
	}
	for (size_t k = 0; k < n_jobs; k++) {
		struct reset_job *job = jobs[k];
		const char *name = NULL;
		int r = reset_locks_cover(locks, job->res->plan, &name);

		if (r < 0) {
			locked(job->res, name, r, reset_locks_holder(locks, name), start);
			job_free(job);
			continue;
		}
		if (reset_locks_waited(locks, job->res->plan))
			job = replan(job_devs[k], job, locks, opts, deadline, start);
		if (job)
			jobs[n_run++] = job;
	}

	reset_jobs_run(jobs, n_run);
	/* Bindings wait until the last reset is done: a reset under way is still a reset. */
	reset_locks_release(locks);

	for (size_t k = 0; k < n_run; k++)
		job_free(jobs[k]);
	for (size_t i = 0; i < n_devs; i++) {
		struct vfr_reset_result *res = batch->results->pdata[i];

		finish(devs[i], res, policy);
		invalidate_footprint(devs[i], res->plan);
	}
	prescan_free(prescan, n_devs);
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
