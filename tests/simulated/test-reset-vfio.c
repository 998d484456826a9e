/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset engine's VFIO mechanisms against the simulated kernel, on the
 * QEMU topology of doc/kernel-behaviour.md (tests/fixtures/qemu-q35.ini and
 * qemu-q35-cdev.ini): functions bound to vfio-pci and held as a VMM holds
 * them (a vfr_vfio_holding), reset with `vfio` (VFIO_DEVICE_RESET) and
 * `hot` (VFIO_DEVICE_PCI_HOT_RESET, group fds or an empty array); what
 * blocks a hot reset, named in the plan; the ENOTTY of QEMU's default root
 * port; and the binding locks a reset takes.
 */
#include "mock-lib.h"

#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/wait.h>

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"

struct env {
	struct mock *m;
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	struct vfr_vfio_holding *holding;
	struct vfr_reset_options *opts;
};

/* driver_override, unbind, drivers_probe: the way a manager hands a function to vfio-pci. */
static void to_vfio(const char *addr)
{
	g_autofree char *override = g_strconcat(DEV, addr, "/driver_override", NULL);
	g_autofree char *unbind = g_strconcat(DEV, addr, "/driver/unbind", NULL);
	int r;

	assert_int_equal(attr_write(override, "vfio-pci"), 0);
	r = attr_write(unbind, addr);
	assert_true(r == 0 || r == -ENOENT);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", addr), 0);
}

/*
 * On the case's tree (as it declares it): binds @bound (NULL-terminated) to
 * vfio-pci, scans, holds @held in @mode.
 */
static struct env *env_new(const char *const *bound, enum vfr_hot_reset_mode mode,
			   const char *const *held)
{
	struct env *e = g_new0(struct env, 1);

	e->m = mock_current();
	for (const char *const *a = bound; a && *a; a++)
		to_vfio(*a);
	assert_int_equal(vfr_ctx_new("/", &e->ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(e->ctx, &e->host, NULL), 0);
	assert_int_equal(vfr_vfio_holding_new(e->host, mode, &e->holding), 0);
	for (const char *const *a = held; a && *a; a++) {
		struct vfr_device *dev = NULL;
		struct vfr_error *err = NULL;

		assert_int_equal(vfr_host_lookup(e->host, *a, &dev, NULL), 0);
		if (vfr_vfio_holding_add(e->holding, dev, &err) < 0)
			fail_msg("%s", vfr_error_get_message(err));
	}
	assert_int_equal(vfr_reset_options_new(&e->opts), 0);
	assert_int_equal(vfr_reset_options_set_timeout(e->opts, 10000), 0);
	assert_int_equal(vfr_reset_options_set_vfio_holding(e->opts, e->holding), 0);
	return e;
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (!e)
		return 0;
	vfr_reset_options_free(e->opts);
	vfr_vfio_holding_free(e->holding);
	vfr_host_unref(e->host);
	vfr_ctx_unref(e->ctx);
	mock_free(e->m);
	g_free(e);
	return 0;
}

static struct vfr_device *dev_of(struct env *e, const char *addr)
{
	return mock_device(e->host, addr);
}

static struct vfr_address address_of(const struct vfr_device *dev)
{
	struct vfr_address a;

	vfr_device_get_address(dev, &a);
	return a;
}

static struct vfr_reset_plan *plan_of(struct env *e, const char *addr)
{
	struct vfr_reset_plan *plan = NULL;
	struct vfr_error *err = NULL;

	if (vfr_reset_plan_new(dev_of(e, addr), e->opts, &plan, &err) < 0)
		fail_msg("%s", vfr_error_get_message(err));
	return plan;
}

static char *methods_of(const struct vfr_reset_plan *plan)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < vfr_reset_plan_get_n_methods(plan); i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", vfr_reset_plan_get_method(plan, i));
	return g_string_free(s, FALSE);
}

static void assert_methods(const struct vfr_reset_plan *plan, const char *want)
{
	g_autofree char *got = methods_of(plan);

	assert_string_equal(got, want);
}

static const char *reason_of(const struct vfr_reset_plan *plan, const char *method)
{
	for (size_t i = 0; i < vfr_reset_plan_get_n_excluded(plan); i++)
		if (strcmp(vfr_reset_plan_get_excluded_method(plan, i), method) == 0)
			return vfr_reset_plan_get_excluded_reason(plan, i);
	return NULL;
}

static void assert_reason(const struct vfr_reset_plan *plan, const char *method, const char *part)
{
	const char *why = reason_of(plan, method);

	if (!why || !strstr(why, part))
		fail_msg("%s excluded for '%s', expected '%s'", method, why ? why : "(not excluded)",
			 part);
}

static void restrict_to(struct env *e, const char *methods)
{
	g_auto(GStrv) list = g_strsplit(methods, ",", -1);

	assert_int_equal(vfr_reset_options_set_methods(e->opts, (const char *const *)list), 0);
}

/* One function's reset through the engine; the batch is the caller's to free. */
static struct vfr_reset_batch *reset(struct env *e, const char *addr)
{
	struct vfr_device *dev = dev_of(e, addr);
	struct vfr_reset_batch *batch = NULL;
	struct vfr_error *err = NULL;

	if (vfr_reset_batch_run(&dev, 1, e->opts, &batch, &err) < 0)
		fail_msg("%s", vfr_error_get_message(err));
	return batch;
}

static void attempts_are(const struct vfr_reset_result *res, const char *want)
{
	GString *s = g_string_new(NULL);
	g_autofree char *got = NULL;

	for (size_t i = 0; i < vfr_reset_result_get_n_attempts(res); i++)
		g_string_append_printf(s, "%s%s:%d", i ? "," : "",
				       vfr_reset_result_get_attempt_method(res, i),
				       -vfr_reset_result_get_attempt_error(res, i));
	got = g_string_free(s, FALSE);
	assert_string_equal(got, want);
}

static void assert_reset_with(struct env *e, const char *addr, const char *method)
{
	struct vfr_reset_batch *batch = reset(e, addr);
	struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);
	g_autofree char *one = g_strdup_printf("%s:0", method);

	if (!vfr_reset_result_is_ok(res) || !vfr_reset_result_get_method(res))
		fail_msg("%s", vfr_reset_result_get_message(res));
	assert_string_equal(vfr_reset_result_get_method(res), method);
	assert_false(vfr_reset_result_is_ignored_by_policy(res));
	attempts_are(res, one);
	assert_true(vfr_reset_result_get_attempt_ms(res, 0) >= 0.0);
	vfr_reset_batch_free(batch);
}

static size_t journal_count(const struct mock *m, const char *prefix)
{
	g_autofree char *path = mock_path(m, ".vfr-mock/journal");
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	size_t n = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		n += g_str_has_prefix(*l, prefix);
	return n;
}

/* The lone e1000e on vfio-pci, held through its group: `vfio`, then `hot` with its group fd. */
static void test_lone_function(void **state)
{
	static const char *const addrs[] = { "0000:02:00.0", NULL };
	struct env *e = *state = env_new(addrs, VFR_HOT_RESET_MODE_GROUP, addrs);
	struct vfr_reset_plan *plan = plan_of(e, "0000:02:00.0");

	assert_methods(plan, "vfio,pm,bus,hot");
	assert_int_equal(vfr_reset_plan_get_mechanism(plan, 0), VFR_RESET_MECH_VFIO_DEVICE);
	assert_int_equal(vfr_reset_plan_get_mechanism(plan, 3), VFR_RESET_MECH_VFIO_HOT);
	assert_int_equal(vfr_reset_plan_get_n_affected(plan, 3), 1);
	vfr_reset_plan_unref(plan);

	restrict_to(e, "vfio");
	assert_reset_with(e, "0000:02:00.0", "vfio");
	assert_true(journal_has(e->m, "device_reset 0000:02:00.0"));
	/* VFIO_DEVICE_RESET runs the kernel's own list: pm first. */
	assert_true(journal_has(e->m, "reset 0000:02:00.0 pm ok"));

	restrict_to(e, "hot");
	assert_reset_with(e, "0000:02:00.0", "hot");
	assert_true(journal_has(e->m, "hot_reset 0000:02:00.0 0000:02:00.0 ok"));

	/* The order is the plan's, whatever the order asked. */
	restrict_to(e, "hot,pm");
	plan = plan_of(e, "0000:02:00.0");
	assert_methods(plan, "pm,hot");
	assert_reason(plan, "vfio", "not requested (the methods were restricted to hot, pm)");
	assert_reason(plan, "bus", "not requested");
	vfr_reset_plan_unref(plan);
	/* A requested method the kernel does not list is said so. */
	restrict_to(e, "flr");
	plan = plan_of(e, "0000:02:00.0");
	assert_false(vfr_reset_plan_is_ready(plan));
	assert_reason(plan, "flr", "the kernel does not offer flr for 0000:02:00.0");
	vfr_reset_plan_unref(plan);
	{
		const char *bad[] = { "pm", "reboot", NULL };

		assert_int_equal(vfr_reset_options_set_methods(e->opts, bad), -EINVAL);
	}
}

/* A bare group-opened device fd: `vfio` works, `hot` needs the group fds only a holding has. */
static void test_bare_group_fd(void **state)
{
	static const char *const addrs[] = { "0000:02:00.0", NULL };
	struct env *e = *state = env_new(addrs, VFR_HOT_RESET_MODE_GROUP, addrs);
	struct vfr_device *dev = dev_of(e, "0000:02:00.0");
	int fd = vfr_vfio_holding_get_device_fd(e->holding, dev);
	struct vfr_address addr = address_of(dev);
	struct vfr_reset_options *o = NULL;
	struct vfr_reset_plan *plan = NULL;

	assert_true(fd >= 0);
	assert_int_equal(vfr_reset_options_new(&o), 0);
	assert_int_equal(vfr_reset_options_set_device_fd(o, &addr, fd), 0);
	assert_int_equal(vfr_reset_plan_new(dev, o, &plan, NULL), 0);
	assert_methods(plan, "vfio,pm,bus");
	assert_reason(plan, "hot", "open through its group");
	vfr_reset_plan_unref(plan);
	vfr_reset_options_free(o);

	/* Without anything held: the prediction is mentioned. */
	assert_int_equal(vfr_reset_options_set_vfio_holding(e->opts, NULL), 0);
	plan = plan_of(e, "0000:02:00.0");
	assert_methods(plan, "pm,bus");
	assert_reason(plan, "vfio", "none was passed");
	assert_reason(plan, "hot", "needs a VFIO holding");
	assert_reason(plan, "hot", "predicted from sysfs for a holding of it alone: 0000:02:00.0: "
		      "hot reset allowed");
	vfr_reset_plan_unref(plan);
}

/* The two-function e1000e, both on vfio-pci and held: one hot reset resets both. */
static void test_two_functions(void **state)
{
	static const char *const addrs[] = { "0000:04:00.0", "0000:04:00.1", NULL };
	struct env *e = *state = env_new(addrs, VFR_HOT_RESET_MODE_GROUP, addrs);
	struct vfr_reset_plan *plan = plan_of(e, "0000:04:00.0");
	size_t hot = vfr_reset_plan_get_n_methods(plan) - 1;

	/* fn0's bus is stale; the hot reset probes the bus afresh. */
	assert_methods(plan, "vfio,pm,hot");
	assert_reason(plan, "bus", "stale");
	assert_int_equal(vfr_reset_plan_get_n_affected(plan, hot), 2);
	assert_string_equal(vfr_reset_plan_get_affected(plan, hot, 0), "0000:04:00.0");
	assert_string_equal(vfr_reset_plan_get_affected(plan, hot, 1), "0000:04:00.1");
	vfr_reset_plan_unref(plan);

	restrict_to(e, "hot");
	assert_reset_with(e, "0000:04:00.0", "hot");
	assert_true(journal_has(e->m, "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok"));
}

/* One function of the pair still on e1000e: its group cannot be held, the plan names it. */
static void test_two_functions_one_host(void **state)
{
	static const char *const bound[] = { "0000:04:00.0", NULL };
	struct env *e = *state = env_new(bound, VFR_HOT_RESET_MODE_GROUP, NULL);
	struct vfr_error *err = NULL;
	struct vfr_reset_plan *plan;

	assert_int_equal(vfr_vfio_holding_add(e->holding, dev_of(e, "0000:04:00.0"), &err), -EPERM);
	assert_non_null(strstr(vfr_error_get_message(err), "not viable"));
	vfr_error_free(err);

	plan = plan_of(e, "0000:04:00.0");
	assert_methods(plan, "pm");
	assert_reason(plan, "vfio", "none was passed");
	assert_reason(plan, "hot", "the VFIO holding passed does not hold it");
	assert_reason(plan, "hot", "0000:04:00.1 is bound to e1000e, not to a vfio-pci driver");
	vfr_reset_plan_unref(plan);

	restrict_to(e, "hot");
	{
		struct vfr_reset_batch *batch = reset(e, "0000:04:00.0");
		struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);

		assert_false(vfr_reset_result_is_ok(res));
		assert_int_equal(vfr_reset_result_get_error(res), -ENOTTY);
		assert_int_equal(vfr_reset_result_get_n_attempts(res), 0);
		assert_non_null(strstr(vfr_reset_result_get_message(res), "0000:04:00.1 is bound to "
								       "e1000e"));
		vfr_reset_batch_free(batch);
	}
	assert_int_equal(journal_count(e->m, "hot_reset "), 0);
}

/* The VF on vfio-pci, its PF on igb: the kernel's answer names the PF; `vfio` (flr) works. */
static void test_vf_with_host_pf(void **state)
{
	static const char *const addrs[] = { "0000:01:10.0", NULL };
	struct env *e = *state = env_new(addrs, VFR_HOT_RESET_MODE_GROUP, addrs);
	struct vfr_reset_plan *plan = plan_of(e, "0000:01:10.0");

	assert_methods(plan, "vfio,flr");
	assert_reason(plan, "hot", "0000:01:10.0: no hot reset (EINVAL): 0000:01:00.0 is bound to "
		      "igb, not to a vfio-pci driver");
	vfr_reset_plan_unref(plan);

	restrict_to(e, "vfio");
	assert_reset_with(e, "0000:01:10.0", "vfio");
	assert_true(journal_has(e->m, "device_reset 0000:01:10.0"));
	assert_true(journal_has(e->m, "reset 0000:01:10.0 flr ok"));
	assert_int_equal(journal_count(e->m, "hot_reset "), 0);
}

/* The cdev kernel: held as a cdev bound to one iommufd, the hot reset passes an empty array. */
static void test_cdev(void **state)
{
	static const char *const addrs[] = { "0000:02:00.0", NULL };
	struct env *e = *state = env_new(addrs, VFR_HOT_RESET_MODE_CDEV, addrs);
	struct vfr_device *dev = dev_of(e, "0000:02:00.0");
	struct vfr_reset_options *o = NULL;
	struct vfr_reset_plan *plan = plan_of(e, "0000:02:00.0");

	assert_methods(plan, "vfio,pm,bus,hot");
	vfr_reset_plan_unref(plan);
	restrict_to(e, "hot");
	/* The kernel answers EINVAL to a cdev passing fds: success means the array was empty. */
	assert_reset_with(e, "0000:02:00.0", "hot");
	assert_true(journal_has(e->m, "hot_reset 0000:02:00.0 0000:02:00.0 ok"));

	/* The caller's own cdev fd, without a holding, is enough for both. */
	struct vfr_address addr = address_of(dev);

	assert_int_equal(vfr_reset_options_new(&o), 0);
	assert_int_equal(vfr_reset_options_set_device_fd(
				 o, &addr, vfr_vfio_holding_get_device_fd(e->holding, dev)), 0);
	assert_int_equal(vfr_reset_plan_new(dev, o, &plan, NULL), 0);
	assert_methods(plan, "vfio,pm,bus,hot");
	vfr_reset_plan_unref(plan);
	vfr_reset_options_free(o);
}

/*
 * QEMU's default root port: the bus is reset but the kernel says ENOTTY
 * (doc/kernel-behaviour.md). The attempt is recorded with the kernel's errno; the policy
 * decides what the caller is told.
 */
static void test_hot_enotty(void **state)
{
	static const char *const addrs[] = { "0000:02:00.0", NULL };
	struct env *e = *state = env_new(addrs, VFR_HOT_RESET_MODE_GROUP, addrs);
	g_autofree char *devices = mock_path(e->m, ".vfr-mock/devices");
	g_autofree char *text = NULL, *edited = NULL;
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;

	assert_true(g_file_get_contents(devices, &text, NULL, NULL));
	{
		g_auto(GStrv) parts = g_strsplit(text, "0000:02:00.0 ", 2);

		assert_int_equal(g_strv_length(parts), 2);
		edited = g_strconcat(parts[0], "0000:02:00.0 reset_errno=bus:ENOTTY ", parts[1], NULL);
	}
	assert_true(g_file_set_contents(devices, edited, -1, NULL));

	restrict_to(e, "hot");
	batch = reset(e, "0000:02:00.0");
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_int_equal(vfr_reset_result_get_error(res), -ENOTTY);
	attempts_are(res, "hot:25");
	assert_true(journal_has(e->m, "hot_reset 0000:02:00.0 0000:02:00.0 ENOTTY"));
	vfr_reset_batch_free(batch);

	/* The next candidate: pm works. */
	restrict_to(e, "hot,pm");
	batch = reset(e, "0000:02:00.0");
	res = vfr_reset_batch_get_result(batch, 0);
	if (!vfr_reset_result_is_ok(res))
		fail_msg("%s", vfr_reset_result_get_message(res));
	assert_string_equal(vfr_reset_result_get_method(res), "pm");
	vfr_reset_batch_free(batch);

	/* hot alone under no-strict: a success the result flags. */
	restrict_to(e, "hot");
	assert_int_equal(vfr_reset_options_set_policy(e->opts, VFR_RESET_NO_STRICT), 0);
	batch = reset(e, "0000:02:00.0");
	res = vfr_reset_batch_get_result(batch, 0);
	assert_true(vfr_reset_result_is_ok(res));
	assert_true(vfr_reset_result_is_ignored_by_policy(res));
	assert_null(vfr_reset_result_get_method(res));
	attempts_are(res, "hot:25");
	vfr_reset_batch_free(batch);
	assert_int_equal(journal_count(e->m, "hot_reset 0000:02:00.0 0000:02:00.0 ENOTTY"), 2);
}

/* Holds ROOT/run/vfioreset/@addr.lock as the binding code does; returns the fd. */
static int hold_lock(const struct mock *m, const char *addr)
{
	g_autofree char *dir = mock_path(m, "run/vfioreset");
	g_autofree char *rel = g_strconcat("run/vfioreset/", addr, ".lock", NULL);
	g_autofree char *path = mock_path(m, rel);
	int fd;

	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	return fd;
}

/* A binding under way on a function the hot reset touches: refused at the deadline, named. */
static void test_lock_times_out(void **state)
{
	static const char *const addrs[] = { "0000:04:00.0", "0000:04:00.1", NULL };
	struct env *e = *state = env_new(addrs, VFR_HOT_RESET_MODE_GROUP, addrs);
	int fd = hold_lock(e->m, "0000:04:00.1");
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;

	restrict_to(e, "hot");
	assert_int_equal(vfr_reset_options_set_timeout(e->opts, 100), 0);
	/* The policy does not hide it: nothing was tried. */
	assert_int_equal(vfr_reset_options_set_policy(e->opts, VFR_RESET_NO_STRICT), 0);
	batch = reset(e, "0000:04:00.0");
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_int_equal(vfr_reset_result_get_error(res), -EBUSY);
	assert_string_equal(vfr_reset_result_get_locked(res), "0000:04:00.1");
	assert_non_null(strstr(vfr_reset_result_get_message(res),
			       "0000:04:00.0: not reset: 0000:04:00.1 is locked by another process"));
	assert_int_equal(vfr_reset_result_get_n_attempts(res), 0);
	vfr_reset_batch_free(batch);
	assert_int_equal(journal_count(e->m, "hot_reset "), 0);

	/* Only pm: 04:00.1 is not touched, so its lock does not matter. */
	assert_int_equal(vfr_reset_options_set_timeout(e->opts, 10000), 0);
	restrict_to(e, "pm");
	assert_reset_with(e, "0000:04:00.0", "pm");
	close(fd);
	restrict_to(e, "hot");
	assert_reset_with(e, "0000:04:00.0", "hot");
}

/* A reset waits for a held lock and runs once it is released. */
static void test_lock_waits(void **state)
{
	static const char *const addrs[] = { "0000:02:00.0", NULL };
	/* The child holds the function: another process holding it would refuse the reset. */
	struct env *e = *state = env_new(addrs, VFR_HOT_RESET_MODE_GROUP, NULL);
	int fd = hold_lock(e->m, "0000:02:00.0");
	g_autofree char *dir = mock_path(e->m, "run/vfioreset");
	int in = inotify_init1(IN_CLOEXEC);
	int alive[2];
	int status = -1;
	pid_t pid;

	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, dir, IN_OPEN) >= 0);
	/* The write end dies with the child: a child that fails early ends the wait. */
	assert_int_equal(pipe2(alive, O_CLOEXEC), 0);
	restrict_to(e, "hot");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vfr_reset_batch *batch;
		struct vfr_reset_result *res;
		bool ok;

		/* flock belongs to the open file: the parent's copy must be the only one. */
		close(fd);
		if (vfr_vfio_holding_add(e->holding, dev_of(e, "0000:02:00.0"), NULL) < 0)
			_exit(2);
		batch = reset(e, "0000:02:00.0");
		res = vfr_reset_batch_get_result(batch, 0);
		ok = vfr_reset_result_is_ok(res);
		if (!ok)
			fprintf(stderr, "child: %s\n", vfr_reset_result_get_message(res));
		vfr_reset_batch_free(batch);
		_exit(ok ? 0 : 1);
	}
	close(alive[1]);
	/* The child opened the lock file: it is at the lock now. */
	for (;;) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		struct pollfd pf[2] = { { .fd = in, .events = POLLIN },
					{ .fd = alive[0], .events = POLLIN } };
		ssize_t n;
		bool seen = false;

		assert_true(poll(pf, 2, -1) > 0);
		if (!(pf[0].revents & POLLIN))
			fail_msg("the reset ended before it reached the lock");
		n = read(in, buf, sizeof(buf));
		assert_true(n > 0);
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			seen |= ev->len && strcmp(ev->name, "0000:02:00.0.lock") == 0;
			p += sizeof(*ev) + ev->len;
		}
		if (seen)
			break;
	}
	assert_int_equal(journal_count(e->m, "hot_reset "), 0);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(journal_has(e->m, "hot_reset 0000:02:00.0 0000:02:00.0 ok"));
	close(alive[0]);
	close(in);
}

/* Each case on its own tree: the q35 host with group files only, or with cdevs too. */
#define Q35(fn) MOCK_CASE(fn, NULL, teardown, .fixture = "qemu-q35.ini")
#define CDEV(fn) MOCK_CASE(fn, NULL, teardown, .fixture = "qemu-q35-cdev.ini")

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		Q35(test_lone_function),
		Q35(test_bare_group_fd),
		Q35(test_two_functions),
		Q35(test_two_functions_one_host),
		Q35(test_vf_with_host_pf),
		CDEV(test_cdev),
		Q35(test_hot_enotty),
		Q35(test_lock_times_out),
		Q35(test_lock_waits),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
