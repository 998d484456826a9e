/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The safety contract of the reset engine, under the simulated kernel:
 * - a PF's reset reaches its VFs: a VF held by another process, or
 *   declared for another owner, refuses it; otherwise they are listed as
 *   affected and really reset (the kernel clears VF Enable);
 * - the facts a plan rests on are read again at the write: a host object
 *   scanned before another process rebound a function does not reset it
 *   under its new host driver; a changed reset_method is planned again;
 *   VFs enabled since the scan refuse the PF's reset;
 * - a call that does not return is never a success, whatever the policy,
 *   and is recorded: other processes read no config space of the function
 *   (a reader would sleep with the stuck reset), and refuse every reset or
 *   binding that reaches it, until the stuck process is gone;
 * - records that are not records are reported and ignored;
 * - a kernel without reset_method (before 5.15) gets `default`, with the
 *   widest reach the kernel may use.
 */
#include "mock-lib.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"

static const char HOST[] =
	"[driver vfio-pci]\n"
	"[driver igb]\nids=8086:10c9\n"
	"[driver igbvf]\nids=8086:10ca\n"
	"[driver e1000e]\nids=8086:10d3\n"
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=8086\ndevice=a110\n"
	"driver=pcieport\niommu_group=1\n"
	"[device 0000:00:1d.0]\nkind=root-port\nvendor=8086\ndevice=a111\n"
	"driver=pcieport\niommu_group=2\n"
	"[device 0000:00:1e.0]\nkind=root-port\nvendor=8086\ndevice=a112\n"
	"driver=pcieport\niommu_group=3\n"
	"[device 0000:00:1f.0]\nkind=root-port\nvendor=8086\ndevice=a113\n"
	"driver=pcieport\niommu_group=4\n"
	/* igb PF, one VF on vfio-pci (a VM's), one on igbvf whose reset hangs. */
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10c9\nparent=0000:00:1c.0\ndriver=igb\n"
	"caps=pm,msi,msix,flr,sriov\nreset_method=flr pm\niommu_group=10\n"
	"[device 0000:01:10.0]\nvendor=8086\ndevice=10ca\nphysfn=0000:01:00.0\n"
	"driver=vfio-pci\ncaps=msix,flr\nreset_method=flr\niommu_group=11\n"
	"[device 0000:01:10.2]\nvendor=8086\ndevice=10ca\nphysfn=0000:01:00.0\n"
	"driver=igbvf\ncaps=msix,flr\nreset_method=flr\nreset_hang=flr\niommu_group=12\n"
	/* A lone e1000e on vfio-pci. */
	"[device 0000:02:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1d.0\n"
	"driver=vfio-pci\ncaps=pm,msi,flr\nreset_method=flr pm\niommu_group=13\n"
	/* On vfio-pci, whose flr never returns. */
	"[device 0000:03:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1e.0\n"
	"driver=vfio-pci\ncaps=pm,msi,flr\nreset_method=flr pm\nreset_hang=flr\n"
	"iommu_group=14\n"
	/* A PF with SR-IOV and no VF yet. */
	"[device 0000:04:00.0]\nvendor=8086\ndevice=10c9\nparent=0000:00:1f.0\ndriver=igb\n"
	"caps=pm,msi,msix,flr,sriov\nvf_device=10ca\nreset_method=flr pm\niommu_group=15\n";

struct env {
	struct mock *m;
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	GPtrArray *logs; /* "PRIORITY message" */
	pid_t holder;    /* a child holding a vfio node, or 0 */
	int release;     /* write end: tells the holder to go */
	GArray *stuck;   /* pids of stuck deadline children to kill at the end */
};

static void on_log(void *userdata, int priority, const char *domain, const char *message)
{
	struct env *e = userdata;
	(void)domain;

	g_ptr_array_add(e->logs, g_strdup_printf("%d %s", priority, message));
}

static bool logged(struct env *e, int priority, const char *part)
{
	for (guint i = 0; i < e->logs->len; i++) {
		const char *line = e->logs->pdata[i];

		if (atoi(line) == priority && strstr(line, part))
			return true;
	}
	return false;
}

static void scan(struct env *e)
{
	vfr_host_unref(e->host);
	vfr_ctx_unref(e->ctx);
	assert_int_equal(vfr_ctx_new("/", &e->ctx, NULL), 0);
	vfr_ctx_set_log_fn(e->ctx, on_log, e);
	vfr_ctx_set_log_priority(e->ctx, LOG_INFO);
	assert_int_equal(vfr_host_scan(e->ctx, &e->host, NULL), 0);
}

static int setup(void **state)
{
	struct env *e = g_new0(struct env, 1);

	e->m = mock_current();
	e->logs = g_ptr_array_new_with_free_func(g_free);
	e->release = -1;
	e->stuck = g_array_new(FALSE, FALSE, sizeof(pid_t));
	scan(e);
	*state = e;
	return 0;
}

static void release_holder(struct env *e)
{
	int status;

	if (!e->holder)
		return;
	assert_int_equal(write(e->release, "x", 1), 1);
	assert_int_equal(waitpid(e->holder, &status, 0), e->holder);
	close(e->release);
	e->holder = 0;
	e->release = -1;
}

static int teardown(void **state)
{
	struct env *e = *state;

	release_holder(e);
	for (guint i = 0; i < e->stuck->len; i++) {
		pid_t pid = g_array_index(e->stuck, pid_t, i);

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	vfr_host_unref(e->host);
	vfr_ctx_unref(e->ctx);
	mock_free(e->m);
	g_ptr_array_free(e->logs, TRUE);
	g_array_free(e->stuck, TRUE);
	g_free(e);
	return 0;
}

static struct vfr_device *dev_of(struct env *e, const char *addr)
{
	return mock_device(e->host, addr);
}

/* One function through a batch; the result stays valid until the batch is freed. */
static struct vfr_reset_batch *reset(struct env *e, const char *addr,
				     const struct vfr_reset_options *o)
{
	struct vfr_device *dev = dev_of(e, addr);
	struct vfr_reset_batch *batch = NULL;

	assert_int_equal(vfr_reset_batch_run(&dev, 1, o, &batch, NULL), 0);
	return batch;
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

static void set_command(const char *addr, uint16_t value)
{
	g_autofree char *path = g_strconcat(DEV, addr, "/config", NULL);
	uint8_t b[2] = { (uint8_t)value, (uint8_t)(value >> 8) };
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, 2, 4), 2);
	close(fd);
}

/* A child that holds /dev/vfio/@group open, as a running VM does, until released. */
static void hold_group(struct env *e, int group)
{
	int ready[2], release[2];
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	e->holder = fork();
	assert_true(e->holder >= 0);
	if (e->holder == 0) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/vfio/%d", group);
		fd = open(path, O_RDWR);
		c = fd >= 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(release[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	close(ready[0]);
	e->release = release[1];
}

static bool affected_has(const struct vfr_reset_plan *plan, size_t method, const char *addr)
{
	for (size_t i = 0; i < vfr_reset_plan_get_n_affected(plan, method); i++)
		if (strcmp(vfr_reset_plan_get_affected(plan, method, i), addr) == 0)
			return true;
	return false;
}

static const char *message_of(struct vfr_reset_batch *batch)
{
	return vfr_reset_result_get_message(vfr_reset_batch_get_result(batch, 0));
}

/*
 * An FLR of the PF resets its VFs: while one is held by another process,
 * the PF's reset is refused naming it, whatever the policy, and the VF's
 * config space is left as it was. Once released, the reset lists the VFs
 * as affected, and the simulated kernel shows them reset.
 */
static void test_pf_reset_reaches_vfs(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_NO_STRICT, VFR_RESET_ALLOW_HOST_DRIVERS,
					      5000);
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;
	struct vfr_reset_plan *plan;
	g_autofree char *holder = NULL;

	set_command("0000:01:10.0", 0x0006);
	hold_group(e, 11);
	holder = g_strdup_printf("process %d", (int)e->holder);

	batch = reset(e, "0000:01:00.0", o);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_false(vfr_reset_result_is_ignored_by_policy(res));
	assert_int_equal(vfr_reset_result_get_outcome(res), VFR_RESET_OUTCOME_REFUSED);
	assert_int_equal(vfr_reset_result_get_error(res), -EBUSY);
	assert_non_null(strstr(message_of(batch), "0000:01:10.0 (a VF of 0000:01:00.0"));
	assert_non_null(strstr(message_of(batch), holder));
	plan = vfr_reset_result_get_plan(res);
	assert_true(vfr_reset_plan_is_refused(plan));
	assert_true(vfr_reset_plan_get_excluded_protects(plan, 0) ||
		    vfr_reset_plan_get_excluded_protects(plan, 1));
	assert_false(journal_has(e->m, "reset 0000:01:00.0 flr ok"));
	assert_int_equal(command_of("0000:01:10.0") & 0x7, 0x6);
	assert_int_equal(vfr_reset_result_get_n_affected(res), 0);
	vfr_reset_batch_free(batch);

	release_holder(e);
	batch = reset(e, "0000:01:00.0", o);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_int_equal(vfr_reset_result_get_outcome(res), VFR_RESET_OUTCOME_RESET);
	assert_string_equal(vfr_reset_result_get_method(res), "flr");
	plan = vfr_reset_result_get_plan(res);
	assert_true(affected_has(plan, 0, "0000:01:00.0"));
	assert_true(affected_has(plan, 0, "0000:01:10.0"));
	assert_true(affected_has(plan, 0, "0000:01:10.2"));
	assert_int_equal(vfr_reset_result_get_n_affected(res), 3);
	assert_string_equal(vfr_reset_result_get_affected(res, 0), "0000:01:00.0");
	assert_string_equal(vfr_reset_result_get_affected(res, 1), "0000:01:10.0");
	assert_string_equal(vfr_reset_result_get_affected(res, 2), "0000:01:10.2");
	assert_true(journal_has(e->m, "reset 0000:01:00.0 flr ok"));
	assert_true(journal_has(e->m, "vf_reset 0000:01:00.0 0000:01:10.0"));
	assert_int_equal(command_of("0000:01:10.0") & 0x7, 0);
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

/* The VF of another owner, and the VF under a host driver, refuse the PF's reset. */
static void test_pf_reset_other_owner(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, VFR_RESET_ALLOW_HOST_DRIVERS,
					      5000);
	struct vfr_owners *owners = NULL;
	struct vfr_address pf, vf;
	struct vfr_reset_batch *batch;

	assert_int_equal(vfr_address_parse("0000:01:00.0", &pf, NULL), 0);
	assert_int_equal(vfr_address_parse("0000:01:10.0", &vf, NULL), 0);
	assert_int_equal(vfr_owners_new(&owners), 0);
	assert_int_equal(vfr_owners_add(owners, "vmA", &pf, NULL), 0);
	assert_int_equal(vfr_owners_add(owners, "vmB", &vf, NULL), 0);
	assert_int_equal(vfr_reset_options_set_owners(o, owners, "vmA"), 0);

	batch = reset(e, "0000:01:00.0", o);
	assert_int_equal(vfr_reset_result_get_outcome(vfr_reset_batch_get_result(batch, 0)),
			 VFR_RESET_OUTCOME_REFUSED);
	assert_int_equal(vfr_reset_result_get_error(vfr_reset_batch_get_result(batch, 0)), -EPERM);
	assert_non_null(strstr(message_of(batch), "0000:01:10.0 (a VF of 0000:01:00.0, reset "
				"with it) belongs to vmB"));
	assert_false(journal_has(e->m, "reset 0000:01:00.0 flr ok"));
	vfr_reset_batch_free(batch);

	/* Without the host-driver permission, the igbvf-bound VF is named first... */
	assert_int_equal(vfr_reset_options_set_flags(o, VFR_RESET_ALLOW_OTHER_OWNERS), 0);
	batch = reset(e, "0000:01:00.0", o);
	assert_non_null(strstr(message_of(batch), "bound to igb, a host driver"));
	vfr_reset_batch_free(batch);
	vfr_owners_unref(owners);
	vfr_reset_options_free(o);
}

static int sysfs_write_text(const char *path, const char *text)
{
	return attr_write(path, text);
}

/*
 * A manager scanned while 02:00.0 was on vfio-pci; another process gave it
 * back to e1000e. The manager's old host object still says vfio-pci, but
 * the reset reads the facts again at the write: refused, naming the change,
 * and e1000e keeps its Command register.
 */
static void test_stale_host_driver(void **state)
{
	struct env *e = *state;
	struct vfr_device *dev = dev_of(e, "0000:02:00.0");
	struct vfr_error *err = NULL;
	const char *driver = NULL;

	assert_int_equal(vfr_device_get_driver(dev, &driver), 0);
	assert_string_equal(driver, "vfio-pci");
	assert_int_equal(sysfs_write_text("/sys/bus/pci/drivers/vfio-pci/unbind", "0000:02:00.0"), 0);
	assert_int_equal(sysfs_write_text("/sys/bus/pci/drivers/e1000e/bind", "0000:02:00.0"), 0);
	set_command("0000:02:00.0", 0x0006);
	/* The old object still answers from what it read. */
	assert_int_equal(vfr_device_get_driver(dev, &driver), 0);
	assert_string_equal(driver, "vfio-pci");

	assert_int_equal(vfr_device_reset(dev, NULL, &err), -EPERM);
	assert_non_null(strstr(vfr_error_get_message(err),
			       "0000:02:00.0 driver: was vfio-pci (vfio-pci), now e1000e (host)"));
	assert_non_null(strstr(vfr_error_get_message(err), "a host driver"));
	vfr_error_free(err);
	assert_false(journal_has(e->m, "reset 0000:02:00.0 flr ok"));
	assert_int_equal(command_of("0000:02:00.0") & 0x7, 0x6);
}

/* A changed reset_method is planned again at the write, and the reset goes on with it. */
static void test_stale_host_replanned(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, 0, 5000);
	struct vfr_reset_batch *batch;
	struct vfr_reset_plan *plan = NULL;

	assert_int_equal(vfr_reset_plan_new(dev_of(e, "0000:02:00.0"), o, &plan, NULL), 0);
	assert_string_equal(vfr_reset_plan_get_method(plan, 0), "flr");
	vfr_reset_plan_unref(plan);
	assert_int_equal(sysfs_write_text(DEV "0000:02:00.0/reset_method", "pm"), 0);

	batch = reset(e, "0000:02:00.0", o);
	assert_int_equal(vfr_reset_result_get_outcome(vfr_reset_batch_get_result(batch, 0)),
			 VFR_RESET_OUTCOME_RESET);
	assert_string_equal(vfr_reset_result_get_method(vfr_reset_batch_get_result(batch, 0)), "pm");
	assert_true(journal_has(e->m, "reset 0000:02:00.0 pm ok"));
	assert_false(journal_has(e->m, "reset 0000:02:00.0 flr ok"));
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

/* VFs enabled since the scan: the host object does not know what the reset reaches. */
static void test_vfs_enabled_after_scan(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, VFR_RESET_ALLOW_HOST_DRIVERS,
					      5000);
	struct vfr_reset_batch *batch;

	assert_int_equal(vfr_device_get_n_virtfns(dev_of(e, "0000:04:00.0")), 0);
	assert_int_equal(sysfs_write_text(DEV "0000:04:00.0/sriov_numvfs", "2"), 0);
	batch = reset(e, "0000:04:00.0", o);
	assert_int_equal(vfr_reset_result_get_outcome(vfr_reset_batch_get_result(batch, 0)),
			 VFR_RESET_OUTCOME_REFUSED);
	assert_non_null(strstr(message_of(batch), "0000:04:00.0 has 2 VFs enabled now, 0 when the "
				"host was scanned"));
	assert_false(journal_has(e->m, "reset 0000:04:00.0 flr ok"));
	vfr_reset_batch_free(batch);

	/* Scanned again, the VFs are known and reached. */
	scan(e);
	batch = reset(e, "0000:04:00.0", o);
	assert_int_equal(vfr_reset_result_get_outcome(vfr_reset_batch_get_result(batch, 0)),
			 VFR_RESET_OUTCOME_RESET);
	assert_int_equal(vfr_reset_plan_get_n_affected(
				 vfr_reset_result_get_plan(vfr_reset_batch_get_result(batch, 0)), 0), 3);
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

static char *pending_path(struct env *e, const char *addr)
{
	g_autofree char *rel = g_strconcat("run/vfioreset/pending/", addr, NULL);

	return mock_path(e->m, rel);
}

/*
 * Leaves a reset of 03:00.0 stuck in the kernel: the result, and its stuck
 * process kept. The deadline leaves room for the work before the write (a
 * pass over /proc, the plan, a spawn) on a loaded machine: spent there, it
 * would end the reset before it was tried, which is a failure, not a hang.
 */
static void leave_stuck(struct env *e)
{
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_NO_STRICT, 0, 1500);
	struct vfr_reset_batch *batch = reset(e, "0000:03:00.0", o);
	struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, 0);
	g_autofree char *record = pending_path(e, "0000:03:00.0");
	g_autofree char *text = NULL;
	g_autofree char *pid_line = NULL;
	pid_t pid;

	/* No policy turns a call that did not return into a success. */
	assert_false(vfr_reset_result_is_ok(res));
	assert_false(vfr_reset_result_is_ignored_by_policy(res));
	assert_true(vfr_reset_result_is_timed_out(res));
	assert_int_equal(vfr_reset_result_get_outcome(res), VFR_RESET_OUTCOME_UNKNOWN);
	assert_false(logged(e, LOG_WARNING, "ignored because of the no-strict policy"));
	pid = vfr_reset_result_get_pending_pid(res);
	assert_true(pid > 0);
	g_array_append_val(e->stuck, pid);
	assert_true(journal_has(e->m, "reset 0000:03:00.0 flr hang"));

	/* The record names the stuck process and the list its pin replaced. */
	assert_true(g_file_get_contents(record, &text, NULL, NULL));
	pid_line = g_strdup_printf("pid=%d\n", (int)pid);
	assert_non_null(strstr(text, pid_line));
	assert_non_null(strstr(text, "method=flr\n"));
	assert_non_null(strstr(text, "reset_method=flr pm\n"));
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

/* A restore of @addr is refused for the stuck call, which no config read joined. */
static void restore_refused_pending(struct env *e, const char *addr)
{
	g_autofree char *waited = g_strdup_printf("wait config %s", addr);
	struct vfr_binding *b = NULL;
	struct vfr_error *err = NULL;

	assert_int_equal(vfr_binding_new(e->host, &b), 0);
	assert_int_equal(vfr_binding_add_device(b, dev_of(e, addr)), 0);
	assert_int_equal(vfr_binding_restore(b, &err), -EBUSY);
	assert_non_null(strstr(vfr_error_get_message(err), "has been pending in the kernel"));
	vfr_error_free(err);
	vfr_binding_unref(b);
	assert_false(journal_has(e->m, waited));
}

/*
 * While the stuck process lives, another host object (as another process
 * would make) reads no config space of the function - the simulated
 * kernel, like the real one, would put the reader to sleep with the reset
 * - and says why; a second reset and a binding of it are refused naming
 * the stuck call.
 */
static void test_pending_honoured(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_NO_STRICT, 0, 2000);
	const struct vfr_pending_call *call = NULL;
	struct vfr_reset_batch *batch;
	unsigned int caps;
	pid_t pid;

	leave_stuck(e);
	pid = g_array_index(e->stuck, pid_t, 0);
	scan(e);
	assert_int_equal(vfr_device_get_pending_call(dev_of(e, "0000:03:00.0"), &call), 0);
	assert_int_equal(vfr_pending_call_get_pid(call), pid);
	assert_string_equal(vfr_pending_call_get_method(call), "flr");
	assert_non_null(strstr(vfr_pending_call_get_message(call),
				"a reset (flr) of 0000:03:00.0 has been pending in the kernel since"));
	assert_int_equal(vfr_device_get_capabilities(dev_of(e, "0000:03:00.0"), &caps, NULL),
			 -EBUSY);
	assert_false(journal_has(e->m, "wait config 0000:03:00.0"));
	/* The bridge above it too: a stuck reset can lock its upstream port's config (6.12). */
	assert_int_equal(vfr_device_get_capabilities(dev_of(e, "0000:00:1e.0"), &caps, NULL),
			 -EBUSY);
	assert_int_equal(vfr_device_get_pending_call(dev_of(e, "0000:00:1e.0"), &call), 0);
	assert_string_equal(vfr_pending_call_get_address(call), "0000:03:00.0");
	assert_false(journal_has(e->m, "wait config 0000:00:1e.0"));
	/* Another function is read as always. */
	assert_int_equal(vfr_device_get_capabilities(dev_of(e, "0000:02:00.0"), &caps, NULL), 0);

	batch = reset(e, "0000:03:00.0", o);
	assert_int_equal(vfr_reset_result_get_outcome(vfr_reset_batch_get_result(batch, 0)),
			 VFR_RESET_OUTCOME_REFUSED);
	assert_non_null(strstr(message_of(batch), "has been pending in the kernel"));
	assert_false(journal_has(e->m, "wait config 0000:03:00.0"));
	vfr_reset_batch_free(batch);

	restore_refused_pending(e, "0000:03:00.0");
	vfr_reset_options_free(o);
}

/*
 * Once the stuck process is gone (its call returned), the next operation
 * that changes something removes the record with a log line and puts back
 * the reset_method list the stuck reset had pinned.
 */
static void test_pending_reaped(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, 0, 2000);
	g_autofree char *record = NULL;
	struct vfr_reset_batch *batch;
	pid_t pid;

	leave_stuck(e);
	record = pending_path(e, "0000:03:00.0");
	assert_attr(DEV "0000:03:00.0/reset_method", "flr");
	pid = g_array_index(e->stuck, pid_t, 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	g_array_set_size(e->stuck, 0);

	scan(e);
	batch = reset(e, "0000:02:00.0", o);
	assert_int_equal(vfr_reset_result_get_outcome(vfr_reset_batch_get_result(batch, 0)),
			 VFR_RESET_OUTCOME_RESET);
	vfr_reset_batch_free(batch);
	assert_false(path_exists(record));
	assert_true(logged(e, LOG_NOTICE, "0000:03:00.0 has been pending"));
	assert_attr(DEV "0000:03:00.0/reset_method", "flr pm");
	vfr_reset_options_free(o);
}

/*
 * A record made in the clock tick of an earlier look leaves the directory's
 * mtime as that look saw it: the look that comes after still finds it. The
 * directory's mtime is put at or after the looks, as a change in a look's
 * own tick leaves it (here a little ahead, so that nothing depends on how
 * soon the look comes under valgrind).
 */
static void test_pending_same_tick(void **state)
{
	struct env *e = *state;
	g_autofree char *record = NULL, *text = NULL, *dir = NULL;
	struct timespec tick[2] = { { 0, UTIME_OMIT }, { 0, 0 } };
	struct vfr_binding *b = NULL;
	struct vfr_error *err = NULL;
	gsize len = 0;

	leave_stuck(e);
	record = pending_path(e, "0000:03:00.0");
	dir = mock_path(e->m, "run/vfioreset/pending");
	assert_true(g_file_get_contents(record, &text, &len, NULL));
	assert_int_equal(unlink(record), 0);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &tick[1]), 0);
	tick[1].tv_sec += 5;
	assert_int_equal(utimensat(AT_FDCWD, dir, tick, 0), 0);

	/* This host looks while there is no record... */
	scan(e);
	assert_int_equal(vfr_binding_new(e->host, &b), 0);
	assert_int_equal(vfr_binding_add_device(b, dev_of(e, "0000:02:00.0")), 0);
	assert_int_equal(vfr_binding_restore(b, &err), 0);
	vfr_binding_unref(b);
	/* ...then the record comes back within the same tick of the directory's clock. */
	assert_true(g_file_set_contents(record, text, (gssize)len, NULL));
	assert_int_equal(chmod(record, 0644), 0);
	assert_int_equal(utimensat(AT_FDCWD, dir, tick, 0), 0);

	restore_refused_pending(e, "0000:03:00.0");
}

/* A PF whose VF is held by a stuck call is not reset either. */
static void test_pending_vf_refuses_pf(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, VFR_RESET_ALLOW_HOST_DRIVERS, 1500);
	struct vfr_reset_batch *batch = reset(e, "0000:01:10.2", o);
	pid_t pid = vfr_reset_result_get_pending_pid(vfr_reset_batch_get_result(batch, 0));

	assert_true(pid > 0);
	g_array_append_val(e->stuck, pid);
	vfr_reset_batch_free(batch);
	scan(e);
	batch = reset(e, "0000:01:00.0", o);
	assert_int_equal(vfr_reset_result_get_outcome(vfr_reset_batch_get_result(batch, 0)),
			 VFR_RESET_OUTCOME_REFUSED);
	assert_non_null(strstr(message_of(batch), "0000:01:10.2 (a VF of 0000:01:00.0"));
	assert_non_null(strstr(message_of(batch), "pending in the kernel"));
	assert_false(journal_has(e->m, "reset 0000:01:00.0 flr ok"));
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

/* Records that are not records are reported and ignored; none blocks. */
static void test_bad_records(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, 0, 2000);
	g_autofree char *dir = mock_path(e->m, "run/vfioreset/pending");
	g_autofree char *garbage = g_build_filename(dir, "0000:02:00.0", NULL);
	g_autofree char *fifo = g_build_filename(dir, "0000:01:10.0", NULL);
	g_autofree char *link = g_build_filename(dir, "0000:04:00.0", NULL);
	g_autofree char *foreign = g_build_filename(dir, "0000:00:1c.0", NULL);
	struct vfr_reset_batch *batch;
	const struct vfr_pending_call *call;
	unsigned int caps;

	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_true(g_file_set_contents(garbage, "\x01\x02 not a key file", -1, NULL));
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	assert_true(g_file_set_contents(foreign, "[pending]\naddress=0000:00:1c.0\n"
					"operation=reset\naffected=not-an-address;\npid=1\n",
					-1, NULL));
	scan(e);
	assert_int_equal(vfr_device_get_pending_call(dev_of(e, "0000:02:00.0"), &call), -ENOENT);
	assert_int_equal(vfr_device_get_capabilities(dev_of(e, "0000:01:10.0"), &caps, NULL), 0);
	batch = reset(e, "0000:02:00.0", o);
	assert_int_equal(vfr_reset_result_get_outcome(vfr_reset_batch_get_result(batch, 0)),
			 VFR_RESET_OUTCOME_RESET);
	vfr_reset_batch_free(batch);
	assert_true(logged(e, LOG_WARNING, "pending/0000:02:00.0"));
	assert_true(logged(e, LOG_WARNING, "pending/0000:01:10.0: not a regular file"));
	assert_true(logged(e, LOG_WARNING, "pending/0000:04:00.0"));
	assert_true(logged(e, LOG_WARNING, "pending/0000:00:1c.0: 'not-an-address'"));
	vfr_reset_options_free(o);
}

/* The harness itself: a reader of config space sleeps while a reset holds the function. */
static void test_harness_cfg_access_lock(void **state)
{
	struct env *e = *state;
	pid_t resetter, reader;
	int status;

	resetter = fork();
	assert_true(resetter >= 0);
	if (resetter == 0)
		_exit(attr_write(DEV "0000:03:00.0/reset", "1") == 0 ? 0 : 1);
	wait_journal(e->m, "reset 0000:03:00.0 flr hang");
	reader = fork();
	assert_true(reader >= 0);
	if (reader == 0)
		_exit(command_of("0000:03:00.0") == 0xffff ? 1 : 0);
	wait_journal(e->m, "wait config 0000:03:00.0");
	/* The reader is asleep until the reset is over. */
	assert_int_equal(waitpid(reader, &status, WNOHANG), 0);
	assert_int_equal(kill(resetter, SIGKILL), 0);
	assert_int_equal(waitpid(resetter, &status, 0), resetter);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A kernel before 5.15: `reset` without `reset_method` (RHEL 8, Ubuntu 20.04). */
static const char OLD_KERNEL[] =
	"[host]\nreset_method=false\nvfio_dev=false\npower_state=false\nvfio_cdev=false\n"
	"[driver vfio-pci]\n[driver igb]\nids=8086:10c9\n[driver igbvf]\nids=8086:10ca\n"
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=8086\ndevice=a110\n"
	"driver=pcieport\niommu_group=1\n"
	"[device 0000:00:1d.0]\nkind=root-port\nvendor=8086\ndevice=a111\n"
	"driver=pcieport\niommu_group=2\n"
	/* Alone on its bus: the kernel may pick a bus reset. */
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"
	"driver=vfio-pci\ncaps=pm,msi\nreset_method=pm bus\niommu_group=10\n"
	/* A PF with a VF: no bus reset (the VF shares its bus), but the VF is reached. */
	"[device 0000:02:00.0]\nvendor=8086\ndevice=10c9\nparent=0000:00:1d.0\ndriver=igb\n"
	"caps=pm,msi,msix,flr,sriov\nreset_method=flr pm\niommu_group=11\n"
	"[device 0000:02:10.0]\nvendor=8086\ndevice=10ca\nphysfn=0000:02:00.0\n"
	"driver=igbvf\ncaps=msix,flr\nreset_method=flr\niommu_group=12\n";

/*
 * Such a kernel gets one method, `default`: no pin, the kernel's own
 * choice, and the widest affected set it may use, said so in the plan.
 */
static void test_kernel_without_reset_method(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = mock_reset_options(VFR_RESET_STRICT, VFR_RESET_ALLOW_HOST_DRIVERS,
					      5000);
	struct vfr_reset_plan *plan = NULL;
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;

	/* The case's tree is OLD_KERNEL's. */
	scan(e);
	assert_false(path_exists(DEV "0000:01:00.0/reset_method"));
	assert_true(path_exists(DEV "0000:01:00.0/reset"));

	assert_int_equal(vfr_reset_plan_new(dev_of(e, "0000:01:00.0"), o, &plan, NULL), 0);
	assert_int_equal(vfr_reset_plan_get_n_methods(plan), 1);
	assert_string_equal(vfr_reset_plan_get_method(plan, 0), "default");
	assert_non_null(strstr(vfr_reset_plan_get_method_note(plan, 0), "before Linux 5.15"));
	assert_non_null(strstr(vfr_reset_plan_get_method_note(plan, 0), "may use a bus reset"));
	vfr_reset_plan_unref(plan);

	batch = reset(e, "0000:01:00.0", o);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_int_equal(vfr_reset_result_get_outcome(res), VFR_RESET_OUTCOME_RESET);
	assert_string_equal(vfr_reset_result_get_method(res), "default");
	assert_true(journal_has(e->m, "reset 0000:01:00.0 pm ok"));
	vfr_reset_batch_free(batch);

	batch = reset(e, "0000:02:00.0", o);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_int_equal(vfr_reset_result_get_outcome(res), VFR_RESET_OUTCOME_RESET);
	plan = vfr_reset_result_get_plan(res);
	assert_non_null(strstr(vfr_reset_plan_get_method_note(plan, 0), "not alone on its bus"));
	assert_int_equal(vfr_reset_result_get_n_affected(res), 2);
	assert_string_equal(vfr_reset_result_get_affected(res, 1), "0000:02:10.0");
	assert_true(journal_has(e->m, "reset 0000:02:00.0 flr ok"));
	assert_true(journal_has(e->m, "vf_reset 0000:02:00.0 0000:02:10.0"));
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

/* Each case on its own tree: HOST, or a kernel without reset_method. */
int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		MOCK_CASE(test_pf_reset_reaches_vfs, setup, teardown, .host = HOST),
		MOCK_CASE(test_pf_reset_other_owner, setup, teardown, .host = HOST),
		MOCK_CASE(test_stale_host_driver, setup, teardown, .host = HOST),
		MOCK_CASE(test_stale_host_replanned, setup, teardown, .host = HOST),
		MOCK_CASE(test_vfs_enabled_after_scan, setup, teardown, .host = HOST),
		MOCK_CASE(test_pending_honoured, setup, teardown, .host = HOST),
		MOCK_CASE(test_pending_reaped, setup, teardown, .host = HOST),
		MOCK_CASE(test_pending_same_tick, setup, teardown, .host = HOST),
		MOCK_CASE(test_pending_vf_refuses_pf, setup, teardown, .host = HOST),
		MOCK_CASE(test_bad_records, setup, teardown, .host = HOST),
		MOCK_CASE(test_harness_cfg_access_lock, setup, teardown, .host = HOST),
		MOCK_CASE(test_kernel_without_reset_method, setup, teardown, .host = OLD_KERNEL),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
