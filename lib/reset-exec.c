/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One function's reset, through the kernel: quiesce, then each candidate of
 * the plan in turn until one works, then a readiness check; all within the
 * reset's deadline.
 *
 * A sysfs method is pinned in reset_method before `1` is written to reset,
 * so the kernel runs exactly that method and the result can say which one
 * worked (a plain `reset` runs the first of its list that works and does not
 * tell). The original list is put back afterwards, exactly: reset_method is
 * an administrator's choice as much as the kernel's. It is probed once, at
 * enumeration, and can list a method that no longer probes (the stale `bus`
 * of a function enumerated before its siblings): the pin then fails with
 * EINVAL and changes nothing, or the reset fails with ENOTTY; and the
 * original list itself may be refused when it is written back. Then the
 * part of it the kernel still takes is written back, never more: `default`
 * would re-probe every method the hardware has (an administrator's `bus`
 * became `flr pm bus`).
 *
 * `vfio` and `hot` are ioctls on the caller's device fd (reset-vfio.c),
 * under the same deadline. A VFIO_DEVICE_RESET that returns 0 only says the
 * kernel ran one of its methods: on some devices `pm` keeps register state
 * (doc/kernel-behaviour.md), which nothing here can verify.
 */
#include <string.h>

#include <unistd.h>

#include "pciconf.h"
#include "deadline.h"
#include "pending.h"
#include "reset-exec.h"
#include "state-dir.h"
#include "sysfs.h"

/*
 * The Command register and its enable bits: PCI Local Bus Specification 3.0
 * §6.2.2; PCI Express Base Specification 5.0 §7.5.1.1.3.
 */
#define PCI_COMMAND_OFFSET 0x04
#define PCI_COMMAND_IO 0x1     /* bit 0, I/O Space Enable */
#define PCI_COMMAND_MEMORY 0x2 /* bit 1, Memory Space Enable */
#define PCI_COMMAND_MASTER 0x4 /* bit 2, Bus Master Enable */

/* Without a deadline, readiness is polled as long as the kernel itself would. */
#define READY_LIMIT_MS 60000

static void note(struct vfr_reset_result *res, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct vfr_reset_result *res, int priority, const char *fmt, ...)
{
	struct reset_note n = { .priority = priority };
	va_list ap;

	va_start(ap, fmt);
	n.text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_array_append_val(res->notes, n);
}

static void fail(struct vfr_reset_result *res, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct vfr_reset_result *res, int error, const char *fmt, ...)
{
	va_list ap;

	res->error = error;
	g_free(res->message);
	va_start(ap, fmt);
	res->message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

/* Milliseconds left before @deadline (at least 1 while not passed); -1 without one; 0 when passed. */
static int remaining_ms(gint64 deadline)
{
	gint64 left;

	if (!deadline)
		return -1;
	left = deadline - g_get_monotonic_time();
	if (left <= 0)
		return 0;
	return (int)MAX(1, MIN(left / 1000, (gint64)G_MAXINT));
}

/*
 * Bus mastering off before the reset: a function that keeps doing DMA
 * while it is reset, or right after the new owner got it, writes into
 * memory nobody expects it to. 0xFFFF is what a removed function or one in
 * D3cold answers: nothing is written to it then.
 *
 * Only the target is quiesced, also for `bus` and `hot`: the kernel saves
 * every affected function's config space before a bus reset and restores it
 * after (pci_dev_save_and_disable / pci_dev_restore), so the others come
 * back as their owners left them - which is theirs to decide. The target's
 * saved Command is the cleared one written here, so it stays quiet.
 */
static int quiesce(struct reset_job *job)
{
	struct vfr_reset_result *res = job->res;
	uint16_t cmd, quiet;
	int r;

	r = pciconf_cfg_read16(job->dirfd, PCI_COMMAND_OFFSET, &cmd);
	if (r < 0) {
		fail(res, r, "%s: cannot read its Command register: %s", res->name,
		     g_strerror(-r));
		return r;
	}
	if (cmd == 0xffff) {
		fail(res, -ENODEV, "%s: its Command register reads 0xFFFF: the function is gone "
		     "or in D3cold; nothing was written", res->name);
		return -ENODEV;
	}
	quiet = cmd & (uint16_t)~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (quiet == cmd)
		return 0;
	r = pciconf_cfg_write16(job->dirfd, PCI_COMMAND_OFFSET, quiet);
	if (r < 0) {
		fail(res, r, "%s: cannot clear bus master and decoding in its Command register: %s",
		     res->name, g_strerror(-r));
		return r;
	}
	note(res, LOG_DEBUG, "%s: Command 0x%04x -> 0x%04x", res->name, cmd, quiet);
	return 0;
}

/* One store at offset 0: a whole write is one store() of the kernel. */
static int store_at0(int fd, const char *text, size_t len)
{
	ssize_t n;

	do
		n = pwrite(fd, text, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int reset_method_restore_fd(int fd, const char *original)
{
	const char *tok[RESET_METHOD_MAX_TOKENS];
	size_t tok_len[RESET_METHOD_MAX_TOKENS], n_tok = 0, len = 0;
	char subset[RESET_METHOD_TEXT];
	int r;

	/* An empty list is written as a lone newline: a zero-length write stores nothing. */
	r = *original ? store_at0(fd, original, strlen(original)) : store_at0(fd, "\n", 1);
	if (r != -EINVAL)
		return r;
	/* Refused: a method in it no longer probes. Each alone, in order; the kept ones together. */
	for (const char *p = original; *p && n_tok < RESET_METHOD_MAX_TOKENS;) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n) {
			tok[n_tok] = p;
			tok_len[n_tok++] = n;
		}
		p += n;
	}
	for (size_t i = 0; i < n_tok; i++) {
		if (len + tok_len[i] + 1 >= sizeof(subset) || store_at0(fd, tok[i], tok_len[i]) < 0)
			continue;
		if (len)
			subset[len++] = ' ';
		memcpy(subset + len, tok[i], tok_len[i]);
		len += tok_len[i];
	}
	if (!len)
		subset[len++] = '\n'; /* nothing of it is valid now: no method, never one more */
	subset[len] = '\0';
	r = store_at0(fd, subset, len);
	return r < 0 ? r : 1;
}

/* Which of its methods the function's reset_method lists now, in words, after a reset. */
static void check_methods(struct reset_job *job, const char *original)
{
	char now[RESET_METHOD_TEXT];
	int r = sysfs_read(job->dirfd, "reset_method", now, sizeof(now));

	if (r < 0) {
		note(job->res, LOG_WARNING, "%s: reset_method cannot be read back: %s",
		     job->res->name, g_strerror(-r));
		return;
	}
	if (strcmp(g_strstrip(now), original) == 0)
		return;
	/* A stale entry (bus, probed before a sibling appeared) is what makes this happen. */
	note(job->res, LOG_NOTICE,
	     "%s: reset_method was '%s'; the kernel no longer takes all of it, so only '%s' was "
	     "put back", job->res->name, original, now);
}

/*
 * A call left blocked in the kernel at the deadline keeps the locks of what
 * it resets: the record tells every process to keep away while the stuck
 * process lives (pending.h), and carries the reset_method list to put back
 * once it returned.
 */
static int write_record(struct reset_job *job, const struct reset_candidate *c, pid_t pid,
			const char *original_methods)
{
	struct vfr_reset_result *res = job->res;
	g_autoptr(GPtrArray) locked = g_ptr_array_new();
	struct vfr_pending_call call = {
		.address = res->name,
		.operation = (char *)"reset",
		.method = c->method,
		.affected = c->affected,
		.reset_method = (char *)original_methods,
	};

	/* Its own config space, what it resets, and the bridges above (pending.h says why). */
	for (size_t i = 0; i < c->n_affected; i++)
		g_ptr_array_add(locked, c->affected[i]);
	for (char **u = job->upstream; u && *u; u++)
		g_ptr_array_add(locked, *u);
	g_ptr_array_add(locked, NULL);
	call.config_locked = (char **)locked->pdata;
	if (pid <= 0 || job->pending_fd < 0)
		return -EBADF;
	return pending_record(job->pending_fd, &call, pid);
}

static void record_pending(struct reset_job *job, const struct reset_candidate *c, pid_t stuck,
			   const char *original_methods)
{
	struct vfr_reset_result *res = job->res;
	int r;

	res->pending_pid = (int)stuck;
	if (stuck <= 0 || job->pending_fd < 0) {
		note(res, LOG_WARNING, "%s: the stuck %s reset could not be recorded for other "
		     "processes%s", res->name, c->method,
		     job->pending_fd < 0 ? " (no state directory)" : "");
		return;
	}
	r = write_record(job, c, stuck, original_methods);
	if (r < 0)
		note(res, LOG_WARNING, "%s: the stuck %s reset could not be recorded for other "
		     "processes: %s", res->name, c->method, g_strerror(-r));
}

/*
 * The record is written before the call starts (deadline_announce): a
 * caller killed meanwhile, or still waiting, leaves a call other processes
 * must keep away from. It goes once the answer came back in time.
 */
struct announced {
	struct reset_job *job;
	const struct reset_candidate *c;
	const char *original_methods;
	struct deadline_announce hook;
	bool written;
};

static void announce_reset(pid_t pid, void *data)
{
	struct announced *a = data;

	a->written = write_record(a->job, a->c, pid, a->original_methods) == 0;
}

static void announce_start(struct announced *a, struct reset_job *job,
			   const struct reset_candidate *c, const char *original_methods)
{
	*a = (struct announced){ .job = job, .c = c, .original_methods = original_methods,
				 .hook = { .started = announce_reset } };
	a->hook.data = a;
	deadline_announce_set(&a->hook);
}

/* After the call: a record of a call that did not time out is removed. */
static void announce_done(struct announced *a, int r)
{
	deadline_announce_set(NULL);
	if (r != -ETIMEDOUT && a->written && state_file_remove(a->job->pending_fd, a->job->res->name) < 0)
		note(a->job->res, LOG_WARNING, "%s: the record of the %s reset that returned could "
		     "not be removed; it goes once its process is gone", a->job->res->name,
		     a->c->method);
}

/* A kernel without reset_method: its own choice, nothing to pin or to put back. */
static int reset_default(struct reset_job *job, const struct reset_candidate *c)
{
	pid_t stuck = 0;
	int left = remaining_ms(job->deadline);
	struct announced a;
	int r;

	announce_start(&a, job, c, NULL);
	r = left == 0 ? -ETIMEDOUT : sysfs_write_deadline(job->dirfd, "reset", "1", left, &stuck);
	announce_done(&a, r);
	if (r == -ETIMEDOUT && stuck > 0)
		record_pending(job, c, stuck, NULL);
	return r;
}

static int reset_sysfs(struct reset_job *job, const struct reset_candidate *c)
{
	const char *method = c->method;
	char original[RESET_METHOD_TEXT];
	struct announced a;
	pid_t stuck = 0;
	bool restore;
	int methods_fd, r, left;

	if (strcmp(method, "default") == 0)
		return reset_default(job, c);

	r = sysfs_read(job->dirfd, "reset_method", original, sizeof(original));
	if (r < 0)
		return r;
	g_strstrip(original);
	restore = strcmp(original, method) != 0;
	methods_fd = sysfs_open_attr_for_write(job->dirfd, "reset_method");
	if (methods_fd < 0)
		return methods_fd;
	/*
	 * reset_method's store only runs the methods' probes (config reads); it
	 * takes no device lock, so unlike `reset` it cannot block behind a
	 * driver: a plain write, without the deadline's process. EINVAL: the
	 * method no longer probes, and the list stays as it was.
	 */
	r = store_at0(methods_fd, method, strlen(method));
	if (r == -EINVAL)
		note(job->res, LOG_INFO, "%s: the kernel no longer accepts %s in reset_method; the "
		     "list stays '%s'", job->res->name, method, original);
	if (r < 0)
		goto out;
	left = remaining_ms(job->deadline);
	announce_start(&a, job, c, original);
	r = left == 0 ? -ETIMEDOUT : sysfs_write_deadline(job->dirfd, "reset", "1", left, &stuck);
	announce_done(&a, r);
	if (r == -ETIMEDOUT && stuck > 0) {
		/*
		 * The pinned method cannot be put back now: the store probes its
		 * methods with config reads, which sleep until the reset returns.
		 * The record tells every process meanwhile; whoever finds the call
		 * returned puts the list back (pending.c), the same way as here.
		 */
		if (restore)
			note(job->res, LOG_WARNING, "%s: reset_method stays pinned to '%s' while the "
			     "reset is pending; '%s' is put back once it returned", job->res->name,
			     method, original);
		record_pending(job, c, stuck, original);
		goto out;
	}
	if (restore) {
		reset_method_restore_fd(methods_fd, original);
		check_methods(job, original);
	}
	if (r == -ENOTTY)
		note(job->res, LOG_INFO, "%s: %s returned ENOTTY", job->res->name, method);
out:
	close(methods_fd);
	return r;
}

static int reset_vfio(struct reset_job *job, const struct reset_candidate *c)
{
	pid_t stuck = 0;
	struct announced a;
	int r;

	announce_start(&a, job, c, NULL);
	r = reset_vfio_device(job->device_fd, remaining_ms(job->deadline), &stuck);
	announce_done(&a, r);
	if (r == -ETIMEDOUT && stuck > 0)
		record_pending(job, c, stuck, NULL);
	return r;
}

/*
 * A group-opened device proves ownership with the fd of every affected
 * group, a cdev-opened one with an empty array: the kernel rejects the
 * other combination with EINVAL. A bus reset under a root port that
 * advertises link-active reporting but never reports the link (QEMU's
 * default pcie-root-port) returns ENOTTY although the functions were
 * reset: the attempt is recorded as failed all the same, the errno is the
 * kernel's, and the policy decides.
 */
static int reset_hot(struct reset_job *job, const struct reset_candidate *c)
{
	struct announced a;
	pid_t stuck = 0;
	int r;

	if (!c->cdev && job->group_fds_error < 0) {
		note(job->res, LOG_WARNING, "%s: the VFIO holding no longer holds every group the "
		     "hot reset needs", job->res->name);
		return job->group_fds_error;
	}
	/* The functions this one hot reset serves are reset now too: quiet them first. */
	for (guint i = 0; job->followers && i < job->followers->len; i++) {
		struct reset_job *f = job->followers->pdata[i];
		bool reached = false;

		for (size_t k = 0; k < c->n_affected && !reached; k++)
			reached = strcmp(c->affected[k], f->res->name) == 0;
		if (reached && f->quiesce && quiesce(f) < 0)
			f->quiesce_failed = true;
	}
	announce_start(&a, job, c, NULL);
	r = reset_vfio_hot(job->device_fd, c->cdev ? NULL : job->group_fds,
			   c->cdev ? 0 : job->n_group_fds, remaining_ms(job->deadline), &stuck);
	announce_done(&a, r);
	if (r == -ETIMEDOUT && stuck > 0)
		record_pending(job, c, stuck, NULL);
	if (r == -ENOTTY)
		note(job->res, LOG_INFO, "%s: the hot reset returned ENOTTY; on a root port whose "
		     "link never reports active the bus may have been reset all the same",
		     job->res->name);
	return r;
}

/*
 * The kernel waits for readiness itself before a reset store returns, so
 * this normally succeeds at the first read; it catches a function that
 * fell off the bus. Ready is what the kernel's pci_dev_wait() checks: not
 * all ones. A VF's vendor id reads 0xFFFF by design, so the Command
 * register counts too.
 */
static int wait_ready(struct reset_job *job)
{
	gint64 start = g_get_monotonic_time();
	gint64 limit = job->deadline ? job->deadline : start + (gint64)READY_LIMIT_MS * 1000;
	gulong delay_us = 1000;

	for (;;) {
		uint16_t vendor = 0xffff, cmd = 0xffff;
		int r = pciconf_cfg_read16(job->dirfd, 0x00, &vendor);

		if (r == 0)
			r = pciconf_cfg_read16(job->dirfd, PCI_COMMAND_OFFSET, &cmd);
		if (r < 0 && r != -EIO)
			return r;
		if (r == 0 && (vendor != 0xffff || cmd != 0xffff))
			return 0;
		if (g_get_monotonic_time() + (gint64)delay_us > limit)
			return -ETIMEDOUT;
		g_usleep(delay_us);
		delay_us = MIN(delay_us * 2, 100000ul);
	}
}

/*
 * An attempt, and what it may have reset: a method that failed may have
 * reset some of its affected set before it failed (a bus reset that
 * returned ENOTTY after the link stayed down did), so every attempt's set
 * counts.
 */
static void attempt(struct vfr_reset_result *res, const struct reset_candidate *c, int error,
		    gint64 start)
{
	struct reset_attempt a = {
		.method = g_strdup(c->method),
		.error = error,
		.ms = (double)(g_get_monotonic_time() - start) / 1000.0,
	};

	g_array_append_val(res->attempts, a);
	for (size_t i = 0; i < c->n_affected; i++)
		if (!g_ptr_array_find_with_equal_func(res->affected, c->affected[i], g_str_equal,
						      NULL))
			g_ptr_array_add(res->affected, g_strdup(c->affected[i]));
}

/*
 * A follower whose leader made the hot reset: its outcome is the leader's.
 * Returns true when that settles the result; false when the follower goes
 * on with its own methods other than `hot` (the kernel refused the reset
 * with an answer, and a second try on another fd would get the same).
 */
static bool take_leaders_hot(struct reset_job *job)
{
	const struct reset_job *leader = job->leader;
	struct vfr_reset_result *res = job->res;
	struct reset_attempt a = { .method = g_strdup("hot"), .error = leader->hot_error,
				   .ms = leader->hot_ms };
	int r;

	g_array_append_val(res->attempts, a);
	for (size_t i = 0; i < leader->hot_candidate->n_affected; i++)
		g_ptr_array_add(res->affected, g_strdup(leader->hot_candidate->affected[i]));
	if (job->quiesce_failed)
		return true; /* quiesce() said why; the bus was reset all the same */
	if (leader->hot_error == -ETIMEDOUT) {
		res->timed_out = res->unknown = true;
		res->pending_pid = leader->res->pending_pid;
		fail(res, -ETIMEDOUT, "%s: the hot reset of its bus, issued on %s, did not return "
		     "within the deadline; the function's state is unknown", res->name,
		     leader->res->name);
		return true;
	}
	if (leader->hot_error < 0)
		return false;
	r = wait_ready(job);
	if (r < 0) {
		res->unknown = true;
		fail(res, r == -ETIMEDOUT ? -EIO : r, "%s: reset with hot (issued on %s), but it "
		     "did not become readable again", res->name, leader->res->name);
		return true;
	}
	res->ok = true;
	res->method = g_strdup("hot");
	return true;
}

bool reset_job_served_by_leader(const struct reset_job *job)
{
	const struct reset_candidate *c = job->leader ? job->leader->hot_candidate : NULL;

	if (!job->leader || !job->leader->hot_issued || !c)
		return false;
	/* The leader was planned again at its write: its reset must still reach this one. */
	for (size_t i = 0; i < c->n_affected; i++)
		if (strcmp(c->affected[i], job->res->name) == 0)
			return true;
	return false;
}

void reset_job_run(struct reset_job *job)
{
	struct vfr_reset_result *res = job->res;
	GPtrArray *methods = res->plan->methods;
	bool skip_hot = false;

	if (reset_job_served_by_leader(job)) {
		if (take_leaders_hot(job))
			return;
		skip_hot = true;
	} else if (job->quiesce && quiesce(job) < 0) {
		return;
	}
	for (guint i = 0; i < methods->len; i++) {
		const struct reset_candidate *c = methods->pdata[i];
		gint64 start = g_get_monotonic_time();
		int r;

		if (skip_hot && c->mechanism == VFR_RESET_MECH_VFIO_HOT)
			continue;
		if (remaining_ms(job->deadline) == 0) {
			/* Nothing is pending, but the function was not reset: a failure. */
			res->timed_out = true;
			fail(res, -ETIMEDOUT, "%s: the deadline passed before %s could be tried",
			     res->name, c->method);
			return;
		}
		switch (c->mechanism) {
		case VFR_RESET_MECH_SYSFS:
			r = reset_sysfs(job, c);
			break;
		case VFR_RESET_MECH_VFIO_DEVICE:
			r = reset_vfio(job, c);
			break;
		case VFR_RESET_MECH_VFIO_HOT:
			if (job->followers) /* before: reset_hot() quiesces them */
				job->hot_candidate = c;
			r = reset_hot(job, c);
			if (job->followers) {
				job->hot_issued = true;
				job->hot_error = r;
			}
			break;
		default:
			r = -EOPNOTSUPP;
		}
		attempt(res, c, r, start);
		/* The functions it served took this very attempt: the same duration. */
		if (job->hot_issued && c == job->hot_candidate)
			job->hot_ms = g_array_index(res->attempts, struct reset_attempt,
						    res->attempts->len - 1).ms;
		if (r == -ETIMEDOUT) {
			/* The kernel holds the function's lock until the store returns: stop here. */
			res->timed_out = res->unknown = true;
			if (res->pending_pid > 0)
				fail(res, r, "%s: %s did not return within the deadline; it is still "
				     "pending in the kernel (pid %d) and the function's state is "
				     "unknown", res->name, c->method, res->pending_pid);
			else
				fail(res, r, "%s: %s did not return within the deadline; the function's "
				     "state is unknown", res->name, c->method);
			return;
		}
		if (r < 0)
			continue;
		r = wait_ready(job);
		if (r < 0) {
			res->unknown = true;
			fail(res, r == -ETIMEDOUT ? -EIO : r,
			     "%s: reset with %s, but it did not become readable again%s%s", res->name,
			     c->method, r == -ETIMEDOUT ? "" : ": ", r == -ETIMEDOUT ? "" : g_strerror(-r));
			return;
		}
		res->ok = true;
		res->method = g_strdup(c->method);
		return;
	}
}
