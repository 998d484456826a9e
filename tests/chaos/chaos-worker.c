/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A worker: one process making library calls the way a VM manager or a VMM
 * does, one operation per line it is sent, answering with what came back
 * and with every violation of an invariant it can see on its own: the
 * results name their function and cause, `ok` only where the kernel's
 * write returned (the journal has its success line), no wait past the
 * deadline plus a margin, outcomes consistent with the policy, no reset
 * reaching a function declared for another owner.
 */
#include "chaos-run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vfioreset/vfioreset.h>

struct worker {
	const struct chaos_run *run;
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	struct vfr_owners *owners;
	/* Hold attempts, oldest first; a failed one is kept (NULL) so the generator can count. */
	struct vfr_vfio_holding *hold[2];
	char held[2][16];
	char held_mode[2][8];
	int n_held;
	GString *out;  /* the answer's fields */
	GString *viol; /* violations, "; "-separated */
};

double chaos_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void violation(struct worker *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void violation(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->viol->len)
		g_string_append(w->viol, "; ");
	va_start(ap, fmt);
	g_string_append_vprintf(w->viol, fmt, ap);
	va_end(ap);
}

static const char *opt(char **tok, const char *key, const char *dflt)
{
	size_t n = strlen(key);

	for (char **t = tok + 1; *t; t++)
		if (strncmp(*t, key, n) == 0 && (*t)[n] == '=')
			return *t + n + 1;
	return dflt;
}

static int opt_int(char **tok, const char *key, int dflt)
{
	const char *v = opt(tok, key, NULL);

	return v ? atoi(v) : dflt;
}

static void scan(struct worker *w)
{
	struct vfr_host *host = NULL;

	if (vfr_host_scan(w->ctx, &host, NULL) == 0) {
		/* Holdings borrow the old host's devices: keep it alive through them. */
		vfr_host_unref(w->host);
		w->host = host;
	}
}

/* The function, scanning again once when the host object does not know it (it came back). */
static struct vfr_device *lookup(struct worker *w, const char *addr)
{
	struct vfr_device *dev = NULL;

	if (vfr_host_lookup(w->host, addr, &dev, NULL) == 0)
		return dev;
	scan(w);
	if (vfr_host_lookup(w->host, addr, &dev, NULL) == 0)
		return dev;
	return NULL;
}

/* The journal's bytes from @from to its end now. */
char *chaos_journal_since(const char *root, size_t from, size_t *ret_end)
{
	g_autofree char *path = g_build_filename(root, ".vfr-mock", "journal", NULL);
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, NULL))
		len = 0;
	if (ret_end)
		*ret_end = len;
	return g_strdup(from < len ? text + from : "");
}

size_t chaos_journal_size(const char *root)
{
	g_autofree char *path = g_build_filename(root, ".vfr-mock", "journal", NULL);
	struct stat st;

	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static bool has_line(char **lines, const char *line)
{
	return g_strv_contains((const char *const *)lines, line);
}

static bool has_prefix_suffix(char **lines, const char *prefix, const char *suffix)
{
	for (char **l = lines; *l; l++)
		if (g_str_has_prefix(*l, prefix) && g_str_has_suffix(*l, suffix))
			return true;
	return false;
}

/* A hot reset's journal line "hot_reset CALLER A,B ok" naming @addr among the reset. */
static bool has_hot_reset(char **lines, const char *addr)
{
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = NULL;

		if (!g_str_has_prefix(*l, "hot_reset ") || !g_str_has_suffix(*l, " ok"))
			continue;
		f = g_strsplit(*l, " ", -1);
		if (g_strv_length(f) == 4) {
			g_auto(GStrv) list = g_strsplit(f[2], ",", -1);

			if (g_strv_contains((const char *const *)list, addr))
				return true;
		}
	}
	return false;
}

static bool names_a_function(const char *text)
{
	return text && strstr(text, "0000:") != NULL;
}

static void check_error(struct worker *w, const char *what, int r, struct vfr_error *err)
{
	if (r >= 0)
		return;
	if (!err || !vfr_error_get_message(err) || !*vfr_error_get_message(err))
		violation(w, "%s returned %d without saying why", what, r);
	else if (!names_a_function(vfr_error_get_message(err)) && !vfr_error_get_address(err))
		violation(w, "%s: error names no function: '%s'", what, vfr_error_get_message(err));
}

static void do_binding(struct worker *w, char **tok)
{
	const char *verb = tok[0];
	struct vfr_device *dev = lookup(w, tok[1]);
	struct vfr_binding *b __attribute__((cleanup(vfr_binding_unrefp))) = NULL;
	struct vfr_error *err = NULL;
	const char *driver = opt(tok, "driver", "vfio-pci");
	bool variant = opt_int(tok, "variant", 0), group = opt_int(tok, "group", 0);
	int write_ms = opt_int(tok, "write", 1000), lock_ms = opt_int(tok, "lock", 1000), r;
	size_t j0 = chaos_journal_size(w->run->root);
	g_autofree char *journal = NULL;
	g_auto(GStrv) lines = NULL;
	double t0, ms, budget;

	if (!dev) {
		g_string_append(w->out, "\tgone");
		return;
	}
	if (vfr_binding_new(w->host, &b) < 0 || vfr_binding_add_device(b, dev) < 0) {
		violation(w, "binding of %s could not be made", tok[1]);
		return;
	}
	vfr_binding_set_flags(b, (group ? VFR_BINDING_GROUP : 0) | (variant ? VFR_BINDING_VARIANT : 0));
	if (!variant)
		vfr_binding_set_driver(b, driver);
	vfr_binding_set_timeout(b, write_ms, lock_ms);
	t0 = chaos_now_ms();
	if (g_str_equal(verb, "bind"))
		r = vfr_binding_bind(b, &err);
	else if (g_str_equal(verb, "unbind"))
		r = vfr_binding_unbind(b, &err);
	else
		r = vfr_binding_restore(b, &err);
	ms = chaos_now_ms() - t0;
	journal = chaos_journal_since(w->run->root, j0, NULL);
	lines = g_strsplit(journal, "\n", -1);
	check_error(w, verb, r, err);
	/*
	 * The lock wait, then per function a few writes (override, unbind,
	 * bind or probe, the rollback's) each bounded by write_ms, and the
	 * wait for the vfio nodes.
	 */
	budget = (lock_ms > 0 ? lock_ms : 0) +
		 (double)write_ms * (6.0 * (double)vfr_binding_get_n_devices(b) + 2.0);
	if (ms > budget + CHAOS_MARGIN_MS)
		violation(w, "%s of %s took %.0f ms, past its budget %.0f ms + %d", verb, tok[1], ms,
			  budget, CHAOS_MARGIN_MS);
	g_string_append_printf(w->out, "\tms=%.0f\trc=%d", ms, r);
	for (size_t i = 0; i < vfr_binding_get_n_devices(b); i++) {
		struct vfr_device *d = vfr_binding_get_device(b, i);
		const char *name = d ? vfr_device_get_name(d) : "?";
		const char *before = vfr_binding_get_driver_before(b, i);
		const char *after = vfr_binding_get_driver_after(b, i);
		const char *msg = vfr_binding_get_message(b, i);
		int status = vfr_binding_get_status(b, i);
		bool rolled = vfr_binding_is_rolled_back(b, i), unknown = vfr_binding_is_state_unknown(b, i);

		if (r == 0 && status != 0)
			violation(w, "%s returned 0 but %s has status %d", verb, name, status);
		if (status < 0 && (!msg || !*msg))
			violation(w, "%s of %s failed (%d) without a message", verb, name, status);
		if (unknown && status == 0)
			violation(w, "%s: %s is in an unknown state yet reported done", verb, name);
		if (rolled && !unknown && g_strcmp0(before, after) != 0)
			violation(w, "%s: %s rolled back to %s but reads %s", verb, name,
				  before ? before : "(none)", after ? after : "(none)");
		if (status == 0 && g_str_equal(verb, "bind")) {
			const char *want = variant ? after : driver;
			g_autofree char *bind_line = g_strdup_printf("bind %s %s", name, want ? want : "");
			g_autofree char *probe_line = g_strdup_printf("drivers_probe %s %s", name, want ? want : "");

			if (!after || (!variant && strcmp(after, driver) != 0))
				violation(w, "bind of %s to %s succeeded but it reads %s", name,
					  variant ? "its variant" : driver, after ? after : "(none)");
			else if (g_strcmp0(before, after) != 0 && !has_line(lines, bind_line) &&
				 !has_line(lines, probe_line))
				/* Its line may come later (a removal journals its unbind after the link went). */
				g_string_append_printf(w->out, "\tclaim=bind %s %s", name, after);
		}
		if (status == 0 && g_str_equal(verb, "unbind")) {
			g_autofree char *unbind_line = g_strdup_printf("unbind %s %s", name, before ? before : "");

			if (after)
				violation(w, "unbind of %s succeeded but it reads %s", name, after);
			else if (before && !has_line(lines, unbind_line))
				g_string_append_printf(w->out, "\tclaim=unbind %s %s", name, before);
		}
		g_string_append_printf(w->out, "\tb=%s,%d,%s,%d,%d,%s", name, status,
				       after ? after : "-", rolled, unknown, before ? before : "-");
	}
	vfr_error_free(err);
}

static struct vfr_vfio_holding *own_holding(struct worker *w, const char *addr)
{
	for (int i = 0; i < w->n_held; i++)
		if (w->hold[i] && strcmp(w->held[i], addr) == 0)
			return w->hold[i];
	return NULL;
}

static void check_reset_result(struct worker *w, struct vfr_reset_result *res, const char *want,
			       enum vfr_reset_policy policy, unsigned flags, const char *caller,
			       char **lines)
{
	const char *addr = vfr_reset_result_get_address(res), *msg = vfr_reset_result_get_message(res);
	const char *method = vfr_reset_result_get_method(res);
	enum vfr_reset_outcome outcome = vfr_reset_result_get_outcome(res);
	bool ok = vfr_reset_result_is_ok(res);
	const struct chaos_fn *target = chaos_host_find(w->run->host, addr);
	const char *me = caller ? caller : target ? chaos_owner_name(target->owner) : NULL;

	if (strcmp(addr, want) != 0)
		violation(w, "reset of %s answered for %s", want, addr);
	if (!msg || !strstr(msg, addr))
		violation(w, "reset result of %s does not name it: '%s'", addr, msg ? msg : "(null)");
	if (ok != (outcome == VFR_RESET_OUTCOME_RESET || outcome == VFR_RESET_OUTCOME_IGNORED ||
		   outcome == VFR_RESET_OUTCOME_SKIPPED))
		violation(w, "reset of %s: ok=%d with outcome %s", addr, ok,
			  vfr_reset_outcome_to_string(outcome));
	if (ok && vfr_reset_result_is_timed_out(res))
		violation(w, "reset of %s timed out yet is ok", addr);
	if (outcome == VFR_RESET_OUTCOME_IGNORED && policy != VFR_RESET_NO_STRICT)
		violation(w, "reset of %s ignored under policy %s", addr, vfr_reset_policy_to_string(policy));
	if (outcome == VFR_RESET_OUTCOME_SKIPPED && policy != VFR_RESET_SKIP)
		violation(w, "reset of %s skipped under policy %s", addr, vfr_reset_policy_to_string(policy));
	if (policy == VFR_RESET_SKIP && outcome == VFR_RESET_OUTCOME_RESET)
		violation(w, "reset of %s carried out under the skip policy", addr);
	if (!ok && (!msg || !*msg))
		violation(w, "failed reset of %s says no cause", addr);
	if (outcome == VFR_RESET_OUTCOME_RESET) {
		bool seen;

		if (!method) {
			violation(w, "reset of %s worked by no method", addr);
			return;
		}
		if (strcmp(method, "hot") == 0) {
			seen = has_hot_reset(lines, addr);
		} else if (strcmp(method, "vfio") == 0 || strcmp(method, "default") == 0) {
			g_autofree char *prefix = g_strdup_printf("reset %s ", addr);

			seen = has_prefix_suffix(lines, prefix, " ok");
		} else {
			g_autofree char *line = g_strdup_printf("reset %s %s ok", addr, method);

			seen = has_line(lines, line);
		}
		if (!seen)
			violation(w, "reset of %s by %s reported done, but the kernel never completed it",
				  addr, method);
		for (size_t i = 0; i < vfr_reset_result_get_n_affected(res); i++) {
			const char *a = vfr_reset_result_get_affected(res, i);
			const struct chaos_fn *f = a ? chaos_host_find(w->run->host, a) : NULL;
			const char *owner = f ? chaos_owner_name(f->owner) : NULL;

			if (owner && g_strcmp0(owner, me) != 0 && !(flags & VFR_RESET_ALLOW_OTHER_OWNERS))
				violation(w, "reset of %s for %s reached %s of %s", addr, me ? me : "nobody",
					  a, owner);
		}
	}
}

static void do_reset(struct worker *w, char **tok)
{
	g_auto(GStrv) addrs = g_strsplit(tok[1], ",", -1);
	g_autoptr(GPtrArray) devs = g_ptr_array_new();
	struct vfr_reset_options *opts __attribute__((cleanup(vfr_reset_options_freep))) = NULL;
	struct vfr_reset_batch *batch __attribute__((cleanup(vfr_reset_batch_freep))) = NULL;
	struct vfr_vfio_holding *temp = NULL, *use = NULL;
	struct vfr_error *err = NULL;
	enum vfr_reset_policy policy = VFR_RESET_STRICT;
	const char *caller = opt(tok, "caller", "-"), *hold = opt(tok, "hold", "none");
	const char *methods = opt(tok, "methods", "all");
	unsigned flags = (unsigned)opt_int(tok, "flags", 0);
	int timeout = opt_int(tok, "timeout", 1000), r;
	size_t j0 = chaos_journal_size(w->run->root);
	g_autofree char *journal = NULL;
	g_auto(GStrv) lines = NULL;
	double t0, ms;

	/* Functions of one host object: scan again first when one is unknown to it. */
	for (char **a = addrs; *a; a++) {
		struct vfr_device *dev = NULL;

		if (vfr_host_lookup(w->host, *a, &dev, NULL) < 0) {
			scan(w);
			break;
		}
	}
	for (char **a = addrs; *a; a++) {
		struct vfr_device *dev = NULL;

		if (vfr_host_lookup(w->host, *a, &dev, NULL) == 0 && !g_ptr_array_find(devs, dev, NULL))
			g_ptr_array_add(devs, dev);
	}
	if (!devs->len) {
		g_string_append(w->out, "\tgone");
		return;
	}
	vfr_reset_policy_from_string(opt(tok, "policy", "strict"), &policy);
	vfr_reset_options_new(&opts);
	vfr_reset_options_set_policy(opts, policy);
	vfr_reset_options_set_flags(opts, flags);
	vfr_reset_options_set_timeout(opts, timeout);
	vfr_reset_options_set_owners(opts, w->owners, strcmp(caller, "-") ? caller : NULL);
	if (strcmp(methods, "all") != 0) {
		g_auto(GStrv) m = g_strsplit(methods, ",", -1);

		vfr_reset_options_set_methods(opts, (const char *const *)m);
	}
	if (strcmp(hold, "own") == 0) {
		use = own_holding(w, vfr_device_get_name(devs->pdata[0]));
	} else if (strcmp(hold, "none") != 0 &&
		   vfr_vfio_holding_new(w->host, strcmp(hold, "cdev") == 0 ? VFR_HOT_RESET_MODE_CDEV
									    : VFR_HOT_RESET_MODE_GROUP,
					&temp) == 0) {
		for (guint i = 0; i < devs->len; i++)
			vfr_vfio_holding_add(temp, devs->pdata[i], NULL);
		use = temp;
	}
	if (use)
		vfr_reset_options_set_vfio_holding(opts, use);
	t0 = chaos_now_ms();
	r = vfr_reset_batch_run((struct vfr_device *const *)devs->pdata, devs->len, opts, &batch, &err);
	ms = chaos_now_ms() - t0;
	journal = chaos_journal_since(w->run->root, j0, NULL);
	lines = g_strsplit(journal, "\n", -1);
	check_error(w, "reset", r, err);
	vfr_error_free(err);
	if (ms > timeout + CHAOS_MARGIN_MS)
		violation(w, "reset of %s took %.0f ms, past its deadline %d ms + %d", tok[1], ms,
			  timeout, CHAOS_MARGIN_MS);
	g_string_append_printf(w->out, "\tms=%.0f\trc=%d", ms, r);
	for (size_t i = 0; r == 0 && i < vfr_reset_batch_get_n(batch); i++) {
		struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, i);
		const char *m = vfr_reset_result_get_method(res);

		check_reset_result(w, res, vfr_device_get_name(devs->pdata[i]), policy, flags,
				   strcmp(caller, "-") ? caller : NULL, lines);
		g_string_append_printf(w->out, "\tr=%s,%s,%s,", vfr_reset_result_get_address(res),
				       vfr_reset_outcome_to_string(vfr_reset_result_get_outcome(res)),
				       m ? m : "-");
		for (size_t k = 0; k < vfr_reset_result_get_n_affected(res); k++)
			g_string_append_printf(w->out, "%s%s", k ? "+" : "",
					       vfr_reset_result_get_affected(res, k));
	}
	vfr_vfio_holding_free(temp);
}

static void do_hotcheck(struct worker *w, char **tok)
{
	struct vfr_device *dev = lookup(w, tok[1]);
	enum vfr_hot_reset_mode mode = strcmp(opt(tok, "mode", "group"), "cdev") == 0
					       ? VFR_HOT_RESET_MODE_CDEV : VFR_HOT_RESET_MODE_GROUP;
	g_auto(GStrv) with = g_strsplit(opt(tok, "with", ""), ",", -1);
	g_autoptr(GArray) held = g_array_new(FALSE, FALSE, sizeof(struct vfr_address));
	struct vfr_vfio_holding *holding __attribute__((cleanup(vfr_vfio_holding_freep))) = NULL;
	struct vfr_hot_reset_check *check __attribute__((cleanup(vfr_hot_reset_check_freep))) = NULL;
	struct vfr_error *err = NULL;
	const char *summary;
	int r;

	if (!dev) {
		g_string_append(w->out, "\tgone");
		return;
	}
	if (opt_int(tok, "kernel", 0)) {
		if (vfr_vfio_holding_new(w->host, mode, &holding) < 0 ||
		    vfr_vfio_holding_add(holding, dev, NULL) < 0) {
			g_string_append(w->out, "\tnot-held");
			return;
		}
		for (char **a = with; *a && **a; a++) {
			struct vfr_device *o = NULL;

			if (vfr_host_lookup(w->host, *a, &o, NULL) == 0)
				vfr_vfio_holding_add(holding, o, NULL);
		}
		r = vfr_vfio_holding_check_hot_reset(holding, dev, &check, &err);
	} else {
		for (char **a = with; *a && **a; a++) {
			struct vfr_address addr;

			if (vfr_address_parse(*a, &addr, NULL) == 0)
				g_array_append_val(held, addr);
		}
		r = vfr_device_check_hot_reset(dev, (struct vfr_address *)held->data, held->len, mode,
					       &check, &err);
	}
	check_error(w, "hot-reset check", r, err);
	vfr_error_free(err);
	g_string_append_printf(w->out, "\trc=%d", r);
	if (r < 0)
		return;
	summary = vfr_hot_reset_check_get_summary(check);
	if (!summary || !strstr(summary, tok[1]))
		violation(w, "hot-reset check of %s does not name it: '%s'", tok[1], summary ? summary : "");
	if (vfr_hot_reset_check_is_allowed(check) != (vfr_hot_reset_check_get_errno(check) == 0) ||
	    vfr_hot_reset_check_is_allowed(check) !=
		    (vfr_hot_reset_check_get_reason(check) == VFR_HOT_RESET_REASON_NONE))
		violation(w, "hot-reset check of %s: allowed=%d errno=%d reason=%s", tok[1],
			  vfr_hot_reset_check_is_allowed(check), vfr_hot_reset_check_get_errno(check),
			  vfr_hot_reset_reason_to_string(vfr_hot_reset_check_get_reason(check)));
	g_string_append_printf(w->out, "\tallowed=%d", vfr_hot_reset_check_is_allowed(check));
}

static void do_hold(struct worker *w, char **tok)
{
	struct vfr_device *dev;
	struct vfr_vfio_holding *h = NULL;

	if (w->n_held == 2) {
		g_string_append(w->out, "\tnot-held");
		return;
	}
	if (opt_int(tok, "bind", 0)) {
		/* A manager hands the function to vfio-pci first, then its VMM opens it. */
		g_autofree char *line = g_strdup_printf("bind %s group=0 variant=0 driver=vfio-pci "
							"write=1000 lock=500", tok[1]);
		g_auto(GStrv) btok = g_strsplit(line, " ", -1);

		do_binding(w, btok);
	}
	dev = lookup(w, tok[1]);
	if (!dev ||
	    vfr_vfio_holding_new(w->host,
				 strcmp(opt(tok, "mode", "group"), "cdev") == 0 ? VFR_HOT_RESET_MODE_CDEV
										: VFR_HOT_RESET_MODE_GROUP,
				 &h) < 0 ||
	    vfr_vfio_holding_add(h, dev, NULL) < 0) {
		vfr_vfio_holding_free(h);
		h = NULL;
		g_string_append(w->out, "\tnot-held");
	} else {
		g_string_append_printf(w->out, "\theld=%s,%s", tok[1], opt(tok, "mode", "group"));
	}
	w->hold[w->n_held] = h;
	g_strlcpy(w->held[w->n_held], tok[1], sizeof(w->held[0]));
	g_strlcpy(w->held_mode[w->n_held], opt(tok, "mode", "group"), sizeof(w->held_mode[0]));
	w->n_held++;
}

/* Releases the oldest hold attempt. */
static void unhold(struct worker *w)
{
	if (!w->n_held)
		return;
	if (w->hold[0])
		g_string_append_printf(w->out, "\tunheld=%s", w->held[0]);
	vfr_vfio_holding_free(w->hold[0]);
	w->hold[0] = w->hold[1];
	memcpy(w->held[0], w->held[1], sizeof(w->held[0]));
	memcpy(w->held_mode[0], w->held_mode[1], sizeof(w->held_mode[0]));
	w->hold[1] = NULL;
	w->n_held--;
}

/*
 * A manager that dies part-way: the operation runs in a child killed after
 * @after ms (a fault's timing, not a synchronisation). What it leaves - a
 * record, a lock, a helper still in the kernel - is the next round's host.
 */
static void do_crash(struct worker *w, char **tok)
{
	int after = opt_int(tok, "after", 10), gone_fd = -1;
	pid_t pid;

	fflush(NULL);
	pid = chaos_crash_fork(&gone_fd);
	if (pid == 0) {
		g_auto(GStrv) rest = g_strdupv(tok + 1);
		GString *out = w->out, *viol = w->viol;

		if (g_str_equal(rest[0], "reset"))
			do_reset(w, rest);
		else
			do_binding(w, rest);
		if (getenv("VFR_CHAOS_VERBOSE"))
			fprintf(stderr, "crashing child %d:%s %s\n", (int)getpid(), out->str, viol->str);
		_exit(0);
	}
	if (pid < 0)
		return;
	usleep((useconds_t)after * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* Dead, but a spawn it had not exec'd yet may still hold its locks (chaos-crash.c). */
	if (chaos_crash_wait_gone(w->run->root, gone_fd, pid, 30000) < 0)
		violation(w, "30 s after the crash, a clone of the killed manager %d still held "
			  "its descriptors or a binding lock", (int)pid);
	close(gone_fd);
	g_string_append_printf(w->out, "\tcrashed=%d", (int)pid);
}

static void host_unref(void *host)
{
	vfr_host_unref(host);
}

void chaos_worker_run(const struct chaos_run *run, int index, int in_fd, int out_fd)
{
	struct worker w = { .run = run };
	FILE *in = fdopen(in_fd, "r");
	char line[4096];
	g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func(host_unref);

	(void)index;
	if (vfr_ctx_new("/", &w.ctx, NULL) < 0)
		_exit(3);
	vfr_ctx_set_log_priority(w.ctx, 2 /* LOG_CRIT: results carry what matters */);
	vfr_owners_new(&w.owners);
	for (guint i = 0; i < run->host->fns->len; i++) {
		const struct chaos_fn *f = run->host->fns->pdata[i];
		struct vfr_address a;

		if (f->owner && vfr_address_parse(f->addr, &a, NULL) == 0)
			vfr_owners_add(w.owners, chaos_owner_name(f->owner), &a, NULL);
	}
	scan(&w);
	w.out = g_string_new(NULL);
	w.viol = g_string_new(NULL);
	while (fgets(line, sizeof(line), in)) {
		g_auto(GStrv) tok = NULL;

		line[strcspn(line, "\n")] = '\0';
		g_string_truncate(w.out, 0);
		g_string_truncate(w.viol, 0);
		tok = g_strsplit(line, " ", -1);
		if (opt_int(tok, "scan", 0))
			scan(&w);
		if (!tok[0] || g_str_equal(tok[0], "nop")) {
		} else if (g_str_equal(tok[0], "scan")) {
			scan(&w);
		} else if (g_str_equal(tok[0], "bind") || g_str_equal(tok[0], "unbind") ||
			   g_str_equal(tok[0], "restore")) {
			do_binding(&w, tok);
		} else if (g_str_equal(tok[0], "reset")) {
			do_reset(&w, tok);
		} else if (g_str_equal(tok[0], "hotcheck")) {
			do_hotcheck(&w, tok);
		} else if (g_str_equal(tok[0], "crash") && tok[1]) {
			do_crash(&w, tok);
		} else if (g_str_equal(tok[0], "hold")) {
			do_hold(&w, tok);
		} else if (g_str_equal(tok[0], "unhold")) {
			unhold(&w);
		} else if (g_str_equal(tok[0], "quit")) {
			break;
		}
		/* Keep every host a holding was made from alive until the end. */
		g_ptr_array_add(hosts, vfr_host_ref(w.host));
		while (hosts->len > 64 && !w.n_held)
			g_ptr_array_remove_index(hosts, 0);
		/* What it holds now, whole: the coordinator keeps no books of its own. */
		g_string_append(w.out, "\tholding=");
		for (int i = 0; i < w.n_held; i++)
			if (w.hold[i])
				g_string_append_printf(w.out, "%s:%s+", w.held[i], w.held_mode[i]);
		dprintf(out_fd, "done%s%s%s\n", w.out->str, w.viol->len ? "\tviol=" : "", w.viol->str);
	}
	for (int i = 0; i < 2; i++)
		vfr_vfio_holding_free(w.hold[i]);
	g_ptr_array_free(g_steal_pointer(&hosts), TRUE);
	vfr_host_unref(w.host);
	vfr_owners_unref(w.owners);
	vfr_ctx_unref(w.ctx);
	_exit(0);
}
