/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset engine under the simulated kernel: for each row of the
 * real-kernel table of doc/kernel-behaviour.md (tests/fixtures/qemu-q35.ini) the
 * plan and the outcome that kernel implies; stale methods found only when
 * written; a hanging reset and the deadline; the policies; quiesce; the
 * holders of a vfio group.
 */
#include "mock-lib.h"

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <syslog.h>

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"

struct env {
	struct mock *m;
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	GPtrArray *warnings;
};

static void on_log(void *userdata, int priority, const char *domain, const char *message)
{
	struct env *e = userdata;
	(void)domain;

	if (priority == LOG_WARNING)
		g_ptr_array_add(e->warnings, g_strdup(message));
}

static struct env *env_new(struct mock *m)
{
	struct env *e = g_new0(struct env, 1);

	e->m = m;
	e->warnings = g_ptr_array_new_with_free_func(g_free);
	assert_int_equal(vfr_ctx_new("/", &e->ctx, NULL), 0);
	vfr_ctx_set_log_fn(e->ctx, on_log, e);
	vfr_ctx_set_log_priority(e->ctx, LOG_INFO);
	assert_int_equal(vfr_host_scan(e->ctx, &e->host, NULL), 0);
	return e;
}

/* The case's tree, as it declares it. */
static int setup(void **state)
{
	*state = env_new(mock_current());
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	vfr_host_unref(e->host);
	vfr_ctx_unref(e->ctx);
	mock_free(e->m);
	g_ptr_array_free(e->warnings, TRUE);
	g_free(e);
	return 0;
}

static struct vfr_device *dev_of(struct env *e, const char *addr)
{
	return mock_device(e->host, addr);
}

static char *plan_methods(struct vfr_reset_plan *plan)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < vfr_reset_plan_get_n_methods(plan); i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", vfr_reset_plan_get_method(plan, i));
	return g_string_free(s, FALSE);
}

static const char *excluded_reason(struct vfr_reset_plan *plan, const char *method)
{
	for (size_t i = 0; i < vfr_reset_plan_get_n_excluded(plan); i++)
		if (strcmp(vfr_reset_plan_get_excluded_method(plan, i), method) == 0)
			return vfr_reset_plan_get_excluded_reason(plan, i);
	return "";
}

/* One function through the engine with host drivers allowed (the q35 guest's drivers). */
static struct vfr_reset_batch *reset_one(struct env *e, const char *addr,
					 enum vfr_reset_policy policy, int timeout_ms)
{
	struct vfr_device *dev = dev_of(e, addr);
	struct vfr_reset_options *o =
		mock_reset_options(policy, VFR_RESET_ALLOW_HOST_DRIVERS, timeout_ms);
	struct vfr_reset_batch *batch = NULL;

	assert_int_equal(vfr_reset_batch_run(&dev, 1, o, &batch, NULL), 0);
	vfr_reset_options_free(o);
	assert_int_equal(vfr_reset_batch_get_n(batch), 1);
	return batch;
}

static void attempts_are(const struct vfr_reset_result *res, const char *want)
{
	GString *s = g_string_new(NULL);
	g_autofree char *got = NULL;

	for (size_t i = 0; i < vfr_reset_result_get_n_attempts(res); i++) {
		int err = vfr_reset_result_get_attempt_error(res, i);

		g_string_append_printf(s, "%s%s:%d", i ? "," : "",
				       vfr_reset_result_get_attempt_method(res, i), -err);
	}
	got = g_string_free(s, FALSE);
	assert_string_equal(got, want);
}

/* The rows whose reset works on the real kernel: the method that runs, and the list after. */
static void test_working_rows(void **state)
{
	static const struct {
		const char *addr, *plan, *method, *after;
	} rows[] = {
		/* igb PF: bus stale since its VFs; as on the kernel, the list is re-probed. */
		{ "0000:01:00.0", "flr,pm", "flr", "flr pm" },
		{ "0000:01:10.0", "flr", "flr", "flr" },           /* igb VF */
		{ "0000:02:00.0", "pm,bus", "pm", "pm bus" },      /* lone e1000e */
		{ "0000:03:00.0", "flr,pm,bus", "flr", "flr pm bus" }, /* virtio-net */
		/* fn0: its stale bus is refused when the list is put back: the rest is. */
		{ "0000:04:00.0", "pm", "pm", "pm" },
		{ "0000:04:00.1", "pm", "pm", "pm" },
		{ "0000:07:00.0", "flr,bus", "flr", "flr bus" }, /* nvme */
		{ "0000:08:00.0", "pm,bus", "pm", "pm bus" },    /* e1000e below 00:02.6 */
	};
	struct env *e = *state;

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct vfr_reset_batch *batch = reset_one(e, rows[i].addr, VFR_RESET_STRICT, 5000);
		struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);
		g_autofree char *plan = plan_methods(vfr_reset_result_get_plan(res));
		g_autofree char *line = g_strdup_printf("reset %s %s ok", rows[i].addr, rows[i].method);
		g_autofree char *rm = g_strconcat(DEV, rows[i].addr, "/reset_method", NULL);

		assert_string_equal(plan, rows[i].plan);
		if (!vfr_reset_result_is_ok(res))
			fail_msg("%s: %s", rows[i].addr, vfr_reset_result_get_message(res));
		assert_string_equal(vfr_reset_result_get_method(res), rows[i].method);
		assert_false(vfr_reset_result_is_timed_out(res));
		assert_false(vfr_reset_result_is_ignored_by_policy(res));
		assert_true(journal_has(e->m, line));
		assert_attr(rm, rows[i].after);
		vfr_reset_batch_free(batch);
	}
	assert_int_equal(e->warnings->len, 0);
}

/* The rows the real kernel cannot reset: refused up front, nothing written. */
static void test_refused_rows(void **state)
{
	static const struct {
		const char *addr, *method, *reason;
	} rows[] = {
		{ "0000:05:00.0", "pm", "0000:05:00.0 is a bridge: only endpoints are reset" },
		{ "0000:06:01.0", "bus", "stale: the kernel probed it before 0000:06:02.0 appeared" },
		{ "0000:00:03.0", "kernel", "no reset_method attribute" },  /* rtl8139 */
		{ "0000:06:02.0", "kernel", "no reset_method attribute" },
		{ "0000:00:02.0", "kernel", "is a bridge" },                /* root port */
		{ "0000:00:1f.2", "kernel", "no reset_method attribute" },  /* ICH9 AHCI */
	};
	struct env *e = *state;

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct vfr_reset_batch *batch = reset_one(e, rows[i].addr, VFR_RESET_STRICT, 5000);
		struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);
		struct vfr_reset_plan *plan = vfr_reset_result_get_plan(res);
		g_autofree char *attempt = g_strdup_printf("reset %s", rows[i].addr);

		assert_false(vfr_reset_plan_is_ready(plan));
		assert_non_null(strstr(excluded_reason(plan, rows[i].method), rows[i].reason));
		assert_false(vfr_reset_result_is_ok(res));
		assert_int_equal(vfr_reset_result_get_error(res), -ENOTTY);
		assert_int_equal(vfr_reset_result_get_n_attempts(res), 0);
		assert_non_null(strstr(vfr_reset_result_get_message(res), rows[i].addr));
		vfr_reset_batch_free(batch);
	}
	/* Nothing reached the kernel: no reset, no reset_method write. */
	{
		g_autofree char *path = mock_path(e->m, ".vfr-mock/journal");
		g_autofree char *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL))
			assert_null(strstr(text, "reset"));
	}
}

/* Without permission, a function under a host driver is left alone. */
/*
 * The e1000e below 00:02.6, the root port at QEMU's default link settings:
 * the bus reset happens, yet the kernel answers ENOTTY (it waits for a link
 * that never reports active). The result carries that errno, strict fails,
 * and the function keeps its driver and its reset_method list.
 */
static void test_slow_link_bus(void **state)
{
	static const char *const bus[] = { "bus", NULL };
	struct env *e = *state;
	struct vfr_device *dev = dev_of(e, "0000:08:00.0");
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, VFR_RESET_ALLOW_HOST_DRIVERS, 5000);
	struct vfr_reset_batch *batch = NULL;
	struct vfr_reset_result *res;

	assert_int_equal(vfr_reset_options_set_methods(o, bus), 0);
	assert_int_equal(vfr_reset_batch_run(&dev, 1, o, &batch, NULL), 0);
	vfr_reset_options_free(o);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_int_equal(vfr_reset_result_get_error(res), -ENOTTY);
	attempts_are(res, "bus:25");
	assert_non_null(strstr(vfr_reset_result_get_message(res), "0000:08:00.0"));
	assert_true(journal_has(e->m, "reset 0000:08:00.0 bus ENOTTY"));
	assert_attr(DEV "0000:08:00.0/reset_method", "pm bus");
	assert_true(path_exists("/sys/bus/pci/drivers/e1000e/0000:08:00.0"));
	vfr_reset_batch_free(batch);
}

static void test_host_driver_needs_permission(void **state)
{
	struct env *e = *state;
	struct vfr_device *dev = dev_of(e, "0000:02:00.0");
	struct vfr_error *err = NULL;

	assert_int_equal(vfr_device_reset(dev, NULL, &err), -EPERM);
	assert_non_null(strstr(vfr_error_get_message(err), "bound to e1000e, a host driver"));
	vfr_error_free(err);
	assert_false(journal_has(e->m, "reset 0000:02:00.0 pm ok"));
}

static const char HOST[] = "[driver vfio-pci]\n"
			   "[device 0000:00:1c.0]\nkind=root-port\nvendor=8086\ndevice=a110\n"
			   "driver=pcieport\niommu_group=1\n"
			   "[device 0000:00:1d.0]\nkind=root-port\nvendor=8086\ndevice=a111\n"
			   "driver=pcieport\niommu_group=2\n"
			   "[device 0000:00:1e.0]\nkind=root-port\nvendor=8086\ndevice=a112\n"
			   "driver=pcieport\niommu_group=3\n"
			   /* The plan cannot see this stale bus: alone on its bus. */
			   "[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"
			   "driver=vfio-pci\niommu_group=4\ncaps=pm,msi,flr\n"
			   "reset_method=flr bus\nstale_reset_method=bus\nreset_errno=flr:EIO\n"
			   /* Every method fails. */
			   "[device 0000:02:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1d.0\n"
			   "driver=vfio-pci\niommu_group=5\ncaps=pm,msi,flr\n"
			   "reset_method=flr pm\nreset_errno=EIO\n"
			   /* The reset never returns, as with a VF bound to igbvf. */
			   "[device 0000:03:00.0]\nvendor=8086\ndevice=10ca\nparent=0000:00:1e.0\n"
			   "driver=vfio-pci\niommu_group=6\ncaps=msix,flr\n"
			   "reset_method=flr\nreset_hang=flr\n";

/* EINVAL from the pin (a stale bus): re-probed with default, the next method tried. */
static void test_stale_found_when_pinned(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch = reset_one(e, "0000:01:00.0", VFR_RESET_STRICT, 5000);
	struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);
	g_autofree char *plan = plan_methods(vfr_reset_result_get_plan(res));

	assert_string_equal(plan, "flr,bus");
	assert_false(vfr_reset_result_is_ok(res));
	/* Strict: every attempt with its errno. */
	attempts_are(res, "flr:5,bus:22");
	assert_int_equal(vfr_reset_result_get_error(res), -EINVAL);
	assert_non_null(strstr(vfr_reset_result_get_message(res), "flr: Input/output error"));
	assert_true(journal_has(e->m, "reset 0000:01:00.0 flr EIO"));
	/* The list now says what the kernel can do. */
	assert_attr(DEV "0000:01:00.0/reset_method", "flr");
	vfr_reset_batch_free(batch);
}

static void test_no_strict_one_warning(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch = reset_one(e, "0000:02:00.0", VFR_RESET_NO_STRICT, 5000);
	struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);

	assert_true(vfr_reset_result_is_ok(res));
	assert_true(vfr_reset_result_is_ignored_by_policy(res));
	assert_null(vfr_reset_result_get_method(res));
	attempts_are(res, "flr:5,pm:5");
	assert_int_equal(e->warnings->len, 1);
	assert_string_equal(g_ptr_array_index(e->warnings, 0),
			    "reset of 0000:02:00.0 failed, ignored because of the no-strict policy");
	assert_true(vfr_reset_batch_is_ok(batch));
	vfr_reset_batch_free(batch);
	assert_attr(DEV "0000:02:00.0/reset_method", "flr pm");
}

static void test_strict_fails(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, 0, 5000);
	struct vfr_error *err = NULL;

	assert_int_equal(vfr_device_reset(dev_of(e, "0000:02:00.0"), o, &err), -EIO);
	assert_non_null(strstr(vfr_error_get_message(err),
			       "0000:02:00.0: every reset method failed (flr: Input/output error, "
			       "pm: Input/output error)"));
	vfr_error_free(err);
	vfr_reset_options_free(o);
	assert_int_equal(e->warnings->len, 0);
}

static void test_skip_is_said(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch = reset_one(e, "0000:01:00.0", VFR_RESET_SKIP, 5000);
	struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);

	assert_true(vfr_reset_result_is_ok(res));
	assert_true(vfr_reset_result_is_skipped(res));
	assert_int_equal(vfr_reset_result_get_n_attempts(res), 0);
	assert_non_null(strstr(vfr_reset_result_get_message(res), "skipped"));
	assert_int_equal(e->warnings->len, 1);
	assert_false(journal_has(e->m, "reset 0000:01:00.0 flr EIO"));
	vfr_reset_batch_free(batch);
}

/*
 * A reset that never returns: control comes back at the deadline, state
 * unknown. The deadline leaves room for the work before the write on a
 * loaded machine (spent there, the reset would fail untried, not hang).
 */
static void test_hang_deadline(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch = reset_one(e, "0000:03:00.0", VFR_RESET_STRICT, 1500);
	struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);

	assert_false(vfr_reset_result_is_ok(res));
	assert_true(vfr_reset_result_is_timed_out(res));
	assert_int_equal(vfr_reset_result_get_error(res), -ETIMEDOUT);
	attempts_are(res, "flr:110");
	assert_non_null(strstr(vfr_reset_result_get_message(res), "state is unknown"));
	assert_true(journal_has(e->m, "reset 0000:03:00.0 flr hang"));
	vfr_reset_batch_free(batch);
}

static uint16_t command_of(const char *addr)
{
	g_autofree char *path = g_strconcat(DEV, addr, "/config", NULL);
	uint8_t b[2] = { 0xff, 0xff };
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 2, 4), 2);
	close(fd);
	return (uint16_t)(b[0] | b[1] << 8);
}

/* Bus master and decoding off before the reset of a vfio-bound function. */
static void test_quiesce(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch;

	assert_int_equal(command_of("0000:01:00.0") & 0x7, 0x6); /* memory + bus master, as bound */
	batch = reset_one(e, "0000:01:00.0", VFR_RESET_NO_STRICT, 5000);
	assert_int_equal(command_of("0000:01:00.0") & 0x7, 0);
	vfr_reset_batch_free(batch);
}

/*
 * A function in D3cold, or surprise-removed under its driver, reads all
 * 0xFF: nothing is written to it (no Command write, no reset), and the
 * result names it and says why.
 */
static void test_reads_all_ones(void **state)
{
	struct env *e = *state;
	g_autofree char *path = g_strconcat(DEV, "0000:01:00.0/config", NULL);
	uint8_t ones[64];
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;
	int fd;

	memset(ones, 0xff, sizeof(ones));
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, ones, sizeof(ones), 0), (ssize_t)sizeof(ones));
	close(fd);

	batch = reset_one(e, "0000:01:00.0", VFR_RESET_STRICT, 5000);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_int_equal(vfr_reset_result_get_error(res), -ENODEV);
	assert_non_null(strstr(vfr_reset_result_get_message(res), "0000:01:00.0"));
	assert_non_null(strstr(vfr_reset_result_get_message(res), "0xFFFF"));
	assert_int_equal(vfr_reset_result_get_n_attempts(res), 0);
	assert_false(journal_has(e->m, "reset 0000:01:00.0 flr EIO"));
	assert_int_equal(command_of("0000:01:00.0"), 0xffff);
	vfr_reset_batch_free(batch);
}

/* Removed between the scan and the reset: a clear error, no crash, nothing written. */
static void test_removed_before_reset(void **state)
{
	struct env *e = *state;
	struct vfr_device *dev = dev_of(e, "0000:02:00.0");
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, 0, 5000);
	struct vfr_reset_batch *batch = NULL;
	struct vfr_reset_result *res;

	assert_int_equal(attr_write(DEV "0000:02:00.0/remove", "1"), 0);
	assert_int_equal(vfr_reset_batch_run(&dev, 1, o, &batch, NULL), 0);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_int_equal(vfr_reset_result_get_n_attempts(res), 0);
	assert_int_equal(vfr_reset_result_get_error(res), -ENODEV);
	assert_non_null(strstr(vfr_reset_result_get_message(res), "0000:02:00.0 is gone"));
	assert_false(journal_has(e->m, "reset 0000:02:00.0 flr EIO"));
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

/* Disjoint functions in one batch: one result each, in the order given. */
static void test_batch_order(void **state)
{
	struct env *e = *state;
	struct vfr_device *devs[] = { dev_of(e, "0000:02:00.0"), dev_of(e, "0000:01:00.0") };
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, 0, 5000);
	struct vfr_reset_batch *batch = NULL;

	assert_int_equal(vfr_reset_batch_run(devs, 2, o, &batch, NULL), 0);
	assert_int_equal(vfr_reset_batch_get_n(batch), 2);
	assert_string_equal(vfr_reset_result_get_address(vfr_reset_batch_get_result(batch, 0)),
			    "0000:02:00.0");
	assert_string_equal(vfr_reset_result_get_address(vfr_reset_batch_get_result(batch, 1)),
			    "0000:01:00.0");
	assert_false(vfr_reset_batch_is_ok(batch));
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

/* Another process holding the group: refused with its pid; whatever the policy. */
static void test_holders_refused(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_NO_STRICT, 0, 5000);
	struct vfr_reset_batch *batch = NULL;
	struct vfr_device *dev = dev_of(e, "0000:01:00.0");
	struct vfr_reset_result *res;
	int ready[2], release[2], status;
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/vfio/4", O_RDWR);

		c = fd >= 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(release[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'y');

	assert_int_equal(vfr_reset_batch_run(&dev, 1, o, &batch, NULL), 0);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_false(vfr_reset_result_is_ignored_by_policy(res));
	assert_int_equal(vfr_reset_result_get_error(res), -EBUSY);
	assert_int_equal(vfr_reset_result_get_n_holders(res), 1);
	assert_int_equal(vfr_reset_result_get_holder(res, 0), pid);
	assert_int_equal(vfr_reset_result_get_n_attempts(res), 0);
	assert_false(journal_has(e->m, "reset 0000:01:00.0 flr EIO"));
	vfr_reset_batch_free(batch);

	/* Once the holder is gone, the reset goes ahead. */
	assert_int_equal(write(release[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(vfr_reset_options_set_flags(o, VFR_RESET_WAIT_HOLDERS), 0);
	assert_int_equal(vfr_reset_batch_run(&dev, 1, o, &batch, NULL), 0);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_int_equal(vfr_reset_result_get_n_holders(res), 0);
	assert_true(journal_has(e->m, "reset 0000:01:00.0 flr EIO"));
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
	close(ready[0]);
	close(ready[1]);
	close(release[0]);
	close(release[1]);
}

/* Waits (inotify on the journal, at most @ms) for @line to be journalled. */
static bool journal_wait(const struct mock *m, const char *line, int ms)
{
	g_autofree char *journal = mock_path(m, ".vfr-mock/journal");
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	int in = inotify_init1(IN_CLOEXEC);
	bool found;

	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, journal, IN_MODIFY) >= 0);
	while (!(found = journal_has(m, line)) && g_get_monotonic_time() < end) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		char buf[4096];

		if (poll(&p, 1, (int)MAX((end - g_get_monotonic_time()) / 1000, 1)) > 0 &&
		    read(in, buf, sizeof(buf)) < 0)
			break;
	}
	close(in);
	return found;
}

static const char METHODS[] = "[driver vfio-pci]\n"
			      "[device 0000:00:1c.0]\nkind=root-port\nvendor=8086\ndevice=a110\n"
			      "driver=pcieport\niommu_group=1\n"
			      "[device 0000:00:1d.0]\nkind=root-port\nvendor=8086\ndevice=a111\n"
			      "driver=pcieport\niommu_group=2\n"
			      /* An administrator kept only bus; the kernel probes all three. */
			      "[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"
			      "driver=vfio-pci\niommu_group=3\ncaps=pm,flr\n"
			      "reset_method=bus\nprobed_reset_method=flr pm bus\n"
			      "reset_errno=bus:ENOTTY\n"
			      /* A reset that returns, but only after the caller's deadline. */
			      "[device 0000:02:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1d.0\n"
			      "driver=vfio-pci\niommu_group=4\ncaps=pm,flr\n"
			      "reset_method=flr pm\nreset_latency_ms=flr:1500\n";

/*
 * A failed reset puts reset_method back exactly: the kernel answering
 * ENOTTY used to make the library write `default`, which turned an
 * administrator's `bus` into `flr pm bus`.
 */
static void test_methods_kept_after_failure(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch = reset_one(e, "0000:01:00.0", VFR_RESET_STRICT, 5000);
	struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);

	assert_false(vfr_reset_result_is_ok(res));
	attempts_are(res, "bus:25");
	assert_attr(DEV "0000:01:00.0/reset_method", "bus");
	assert_false(journal_has(e->m, "reset_method 0000:01:00.0 flr pm bus"));
	vfr_reset_batch_free(batch);
}

/*
 * Waits for the library's own vfioreset-call @pid to end, without reaping
 * it (the library does, later): a zombie is a call that returned.
 */
static bool process_wait(pid_t pid)
{
	siginfo_t info = { 0 };

	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			return false;
	return info.si_pid == pid;
}

/*
 * A reset abandoned at its deadline leaves its pin only while the kernel
 * still runs it (writing reset_method meanwhile would sleep behind it):
 * the next operation that writes, once the call returned, puts the list
 * back as it was.
 */
static void test_methods_back_after_deadline(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch = reset_one(e, "0000:02:00.0", VFR_RESET_STRICT, 1500);
	struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);
	pid_t stuck = (pid_t)vfr_reset_result_get_pending_pid(res);

	if (!vfr_reset_result_is_timed_out(res))
		fail_msg("%s", vfr_reset_result_get_message(res));
	assert_true(stuck > 0);
	assert_attr(DEV "0000:02:00.0/reset_method", "flr");
	vfr_reset_batch_free(batch);
	assert_true(journal_wait(e->m, "reset 0000:02:00.0 flr ok", 10000));
	assert_true(process_wait(stuck));
	/* Any writing operation finds the call returned: here a reset of another function. */
	vfr_reset_batch_free(reset_one(e, "0000:01:00.0", VFR_RESET_NO_STRICT, 5000));
	assert_attr(DEV "0000:02:00.0/reset_method", "flr pm");
}

/* Each case on its own tree: the q35 fixture, HOST or METHODS. */
#define Q35(fn) MOCK_CASE(fn, setup, teardown, .fixture = "qemu-q35.ini")
#define H(fn) MOCK_CASE(fn, setup, teardown, .host = HOST)
#define M(fn) MOCK_CASE(fn, setup, teardown, .host = METHODS)

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		Q35(test_working_rows),
		Q35(test_refused_rows),
		Q35(test_slow_link_bus),
		Q35(test_host_driver_needs_permission),
		H(test_stale_found_when_pinned),
		H(test_no_strict_one_warning),
		H(test_strict_fails),
		H(test_skip_is_said),
		H(test_hang_deadline),
		H(test_quiesce),
		H(test_batch_order),
		H(test_reads_all_ones),
		H(test_removed_before_reset),
		H(test_holders_refused),
		M(test_methods_kept_after_failure),
		M(test_methods_back_after_deadline),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
