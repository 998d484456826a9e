/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Managed binding against the simulated kernel: round trips for host-driven,
 * stub and unbound functions, and each injected failure leaving the original
 * binding in place with the cause reported. Each operation scans afresh, as
 * a new process would, so the record on disk is what carries the original.
 */
#include "mock-lib.h"

#include <linux/vfio.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"

static const char host_ini[] =
	"[host]\n"
	"vfio_dev=true\n"
	"vfio_cdev=true\n"
	"[driver vfio-pci]\n"
	"[driver pci-stub]\n"
	"[driver pcieport]\n"
	"builtin=true\n"
	"[device 0000:00:1c.0]\n"
	"kind=root-port\nvendor=8086\ndevice=a110\ndriver=pcieport\niommu_group=1\n"
	"[device 0000:01:00.0]\n"
	"vendor=8086\ndevice=10d3\nparent=0000:00:1c.0\ndriver=e1000e\niommu_group=2\n"
	"reset_method=flr pm bus\ncaps=pm,msi,msix,flr\n"
	"[device 0000:00:1c.1]\n"
	"kind=root-port\nvendor=8086\ndevice=a111\ndriver=pcieport\niommu_group=3\n"
	"[device 0000:02:00.0]\n"
	"vendor=8086\ndevice=1533\nparent=0000:00:1c.1\ndriver=pci-stub\n"
	"driver_override=pci-stub\niommu_group=4\nreset_method=pm\n"
	"[device 0000:00:1c.2]\n"
	"kind=root-port\nvendor=8086\ndevice=a112\ndriver=pcieport\niommu_group=5\n"
	"[device 0000:03:00.0]\n"
	"vendor=1af4\ndevice=1041\nparent=0000:00:1c.2\niommu_group=6\n"
	"reset_method=flr\ncaps=pm,flr\n";

/*
 * The case's tree, as it declares it. The records live in ROOT/run/vfioreset;
 * vfr-mkfixture makes ROOT/run as a host has /run.
 */
static int setup(void **state)
{
	*state = mock_current();
	return 0;
}

static int teardown(void **state)
{
	mock_free(*state);
	return 0;
}

static void assert_override(const char *addr, const char *want)
{
	g_autofree char *path = g_strconcat(DEV, addr, "/driver_override", NULL);

	assert_attr(path, want);
}

static bool record_exists(const struct mock *m, const char *addr)
{
	g_autofree char *rel = g_strconcat("run/vfioreset/", addr, ".state", NULL);
	g_autofree char *path = mock_path(m, rel);

	return path_exists(path);
}

enum op { OP_BIND, OP_UNBIND, OP_RESTORE };

struct run {
	struct vfr_host *host;
	struct vfr_binding *b;
	struct vfr_error *err;
	int r;
};

static void run_free(struct run *run)
{
	vfr_binding_unref(run->b);
	vfr_host_unref(run->host);
	vfr_error_free(run->err);
	memset(run, 0, sizeof(*run));
}

/* One operation as a fresh process does it: a new context, a new scan. */
static void run_op(struct run *run, enum op op, const char *const *addrs, unsigned int flags,
		   const char *driver, int write_ms, int lock_ms)
{
	struct vfr_ctx *ctx = NULL;

	memset(run, 0, sizeof(*run));
	assert_int_equal(vfr_ctx_new("/", &ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(ctx, &run->host, NULL), 0);
	vfr_ctx_unref(ctx);
	assert_int_equal(vfr_binding_new(run->host, &run->b), 0);
	for (; *addrs; addrs++) {
		struct vfr_device *dev = NULL;

		assert_int_equal(vfr_host_lookup(run->host, *addrs, &dev, NULL), 0);
		assert_int_equal(vfr_binding_add_device(run->b, dev), 0);
	}
	assert_int_equal(vfr_binding_set_flags(run->b, flags), 0);
	assert_int_equal(vfr_binding_set_driver(run->b, driver), 0);
	assert_int_equal(vfr_binding_set_timeout(run->b, write_ms, lock_ms), 0);
	run->r = op == OP_BIND     ? vfr_binding_bind(run->b, &run->err)
		 : op == OP_UNBIND ? vfr_binding_unbind(run->b, &run->err)
				   : vfr_binding_restore(run->b, &run->err);
}

static void one(struct run *run, enum op op, const char *addr, const char *driver)
{
	const char *addrs[] = { addr, NULL };

	run_op(run, op, addrs, 0, driver, 5000, -1);
}

static void assert_ok(const struct run *run)
{
	if (run->r != 0)
		fail_msg("operation failed (%d): %s", run->r,
			 run->err ? vfr_error_get_message(run->err) : "(no message)");
	for (size_t i = 0; i < vfr_binding_get_n_devices(run->b); i++)
		assert_int_equal(vfr_binding_get_status(run->b, i), 0);
}

static void assert_message_has(const struct run *run, const char *part)
{
	const char *msg;

	assert_non_null(run->err);
	msg = vfr_error_get_message(run->err);
	if (!strstr(msg, part))
		fail_msg("'%s' does not say '%s'", msg, part);
}

/* bind -> reset -> restore, each step from a fresh scan. */
static void round_trip(const struct mock *m, const char *addr, const char *orig,
		       const char *orig_override, const char *group_node)
{
	g_autofree char *reset = g_strconcat(DEV, addr, "/reset", NULL);
	struct run run;

	one(&run, OP_BIND, addr, NULL);
	assert_ok(&run);
	assert_string_equal(vfr_binding_get_driver_after(run.b, 0), "vfio-pci");
	if (strcmp(orig, "-") == 0)
		assert_null(vfr_binding_get_driver_before(run.b, 0));
	else
		assert_string_equal(vfr_binding_get_driver_before(run.b, 0), orig);
	run_free(&run);
	mock_assert_driver(addr, "vfio-pci");
	assert_override(addr, "vfio-pci");
	assert_true(path_exists(group_node));
	assert_true(record_exists(m, addr));

	assert_int_equal(attr_write(reset, "1"), 0);

	one(&run, OP_RESTORE, addr, NULL);
	assert_ok(&run);
	run_free(&run);
	mock_assert_driver(addr, orig);
	assert_override(addr, orig_override);
	assert_false(path_exists(group_node));
	assert_false(record_exists(m, addr));
}

static void test_round_trip_host_driver(void **state)
{
	struct mock *m = *state;

	round_trip(m, "0000:01:00.0", "e1000e", "(null)", "/dev/vfio/2");
	assert_true(journal_has(m, "unbind 0000:01:00.0 e1000e"));
	assert_true(journal_has(m, "drivers_probe 0000:01:00.0 vfio-pci"));
	assert_true(journal_has(m, "unbind 0000:01:00.0 vfio-pci"));
	assert_true(journal_has(m, "drivers_probe 0000:01:00.0 e1000e"));
}

static void test_round_trip_stub(void **state)
{
	struct mock *m = *state;

	round_trip(m, "0000:02:00.0", "pci-stub", "pci-stub", "/dev/vfio/4");
	assert_true(journal_has(m, "unbind 0000:02:00.0 pci-stub"));
	assert_true(journal_has(m, "drivers_probe 0000:02:00.0 pci-stub"));
}

static void test_round_trip_unbound(void **state)
{
	struct mock *m = *state;

	round_trip(m, "0000:03:00.0", "-", "(null)", "/dev/vfio/6");
	/* Given back unbound: no probe after the vfio-pci unbind. */
	assert_true(journal_has(m, "unbind 0000:03:00.0 vfio-pci"));
	assert_false(journal_has(m, "drivers_probe 0000:03:00.0 -"));
}

/* A second bind keeps the first original: restore goes back to e1000e, not vfio-pci. */
static void test_record_keeps_first_original(void **state)
{
	struct run run;
	(void)state;

	one(&run, OP_BIND, "0000:01:00.0", NULL);
	assert_ok(&run);
	run_free(&run);
	one(&run, OP_BIND, "0000:01:00.0", "pci-stub");
	assert_ok(&run);
	run_free(&run);
	mock_assert_driver("0000:01:00.0", "pci-stub");
	one(&run, OP_RESTORE, "0000:01:00.0", NULL);
	assert_ok(&run);
	run_free(&run);
	mock_assert_driver("0000:01:00.0", "e1000e");
	assert_override("0000:01:00.0", "(null)");
}

static void test_unbind_and_restore(void **state)
{
	struct mock *m = *state;
	struct run run;

	one(&run, OP_UNBIND, "0000:01:00.0", NULL);
	assert_ok(&run);
	assert_null(vfr_binding_get_driver_after(run.b, 0));
	run_free(&run);
	mock_assert_driver("0000:01:00.0", "-");
	assert_true(record_exists(m, "0000:01:00.0"));
	one(&run, OP_RESTORE, "0000:01:00.0", NULL);
	assert_ok(&run);
	run_free(&run);
	mock_assert_driver("0000:01:00.0", "e1000e");
}

/* Checks the original binding of 01:00.0 is in place and nothing is recorded. */
static void assert_untouched(const struct mock *m)
{
	mock_assert_driver("0000:01:00.0", "e1000e");
	assert_override("0000:01:00.0", "(null)");
	assert_false(record_exists(m, "0000:01:00.0"));
	assert_false(path_exists("/dev/vfio/2"));
}

/* A record that exists but cannot be read is not replaced: the original it holds would be lost. */
static void test_unreadable_record_kept(void **state)
{
	struct mock *m = *state;
	g_autofree char *dir = mock_path(m, "run/vfioreset");
	g_autofree char *path = mock_path(m, "run/vfioreset/0000:01:00.0.state");
	g_autofree char *after = NULL;
	struct run run;

	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_true(g_file_set_contents(path, "not a record\n", -1, NULL));
	one(&run, OP_BIND, "0000:01:00.0", NULL);
	assert_int_equal(run.r, -EIO);
	assert_message_has(&run, "0000:01:00.0");
	assert_message_has(&run, "cannot be read");
	run_free(&run);
	/* Nothing was written to the kernel, and the record is as it was. */
	mock_assert_driver("0000:01:00.0", "e1000e");
	assert_override("0000:01:00.0", "(null)");
	assert_false(journal_has(m, "driver_override 0000:01:00.0 vfio-pci"));
	assert_true(g_file_get_contents(path, &after, NULL, NULL));
	assert_string_equal(after, "not a record\n");
}

static void test_fail_unbind_ebusy(void **state)
{
	struct mock *m = *state;
	struct run run;

	one(&run, OP_BIND, "0000:01:00.0", NULL);
	assert_int_equal(run.r, -EBUSY);
	assert_message_has(&run, "0000:01:00.0");
	assert_message_has(&run, "unbind");
	assert_int_equal(vfr_binding_get_status(run.b, 0), -EBUSY);
	assert_true(vfr_binding_is_rolled_back(run.b, 0));
	assert_false(vfr_binding_is_state_unknown(run.b, 0));
	assert_string_equal(vfr_binding_get_driver_after(run.b, 0), "e1000e");
	run_free(&run);
	assert_untouched(m);
	/* The override was set, then put back. */
	assert_true(journal_has(m, "driver_override 0000:01:00.0 vfio-pci"));
	assert_true(journal_has(m, "driver_override 0000:01:00.0 (null)"));
}

static void test_fail_probe_binds_nothing(void **state)
{
	struct mock *m = *state;
	g_autofree char *bind = mock_path(m, "sys/bus/pci/drivers/vfio-pci/bind");
	struct run run;

	/* vfio-pci's probe refuses the function: the kernel's probe then binds nothing. */
	unsetenv("VFR_MOCK_ROOT");
	assert_int_equal(unlink(bind), 0);
	setenv("VFR_MOCK_ROOT", m->root, 1);

	one(&run, OP_BIND, "0000:01:00.0", NULL);
	assert_int_equal(run.r, -EIO);
	assert_message_has(&run, "bound no driver");
	assert_true(vfr_binding_is_rolled_back(run.b, 0));
	run_free(&run);
	assert_untouched(m);
	assert_true(journal_has(m, "drivers_probe 0000:01:00.0 -"));
	assert_true(journal_has(m, "drivers_probe 0000:01:00.0 e1000e"));
}

static void test_fail_module_missing(void **state)
{
	struct mock *m = *state;
	g_autofree char *journal = mock_path(m, ".vfr-mock/journal");
	struct run run;

	one(&run, OP_BIND, "0000:01:00.0", "no-such-driver");
	assert_int_equal(run.r, -ENOENT);
	assert_message_has(&run, "no_such_driver");
	assert_int_equal(vfr_binding_get_status(run.b, 0), -ENOENT);
	run_free(&run);
	assert_untouched(m);
	/* Nothing was written to the kernel. */
	assert_false(path_exists(journal) && journal_has(m, "driver_override 0000:01:00.0 no-such-driver"));
	assert_false(journal_has(m, "unbind 0000:01:00.0 e1000e"));
}

static void test_fail_holder_present(void **state)
{
	struct mock *m = *state;
	int to_child[2], from_child[2];
	char c = 0, pidtext[32];
	struct run run;
	size_t n = 0;
	const int *holders;
	pid_t child;

	one(&run, OP_BIND, "0000:01:00.0", NULL);
	assert_ok(&run);
	run_free(&run);

	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* A VMM holding the group: opens it, says so, waits to be told to exit. */
		int fd = open("/dev/vfio/2", O_RDWR | O_CLOEXEC);

		c = fd >= 0 ? 'y' : 'n';
		if (write(from_child[1], &c, 1) != 1 || read(to_child[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(read(from_child[0], &c, 1), 1);
	assert_int_equal(c, 'y');

	one(&run, OP_RESTORE, "0000:01:00.0", NULL);
	assert_int_equal(run.r, -EBUSY);
	holders = vfr_binding_get_holders(run.b, 0, &n);
	assert_int_equal(n, 1);
	assert_int_equal(holders[0], child);
	snprintf(pidtext, sizeof(pidtext), "%d", (int)child);
	assert_message_has(&run, pidtext);
	run_free(&run);
	mock_assert_driver("0000:01:00.0", "vfio-pci");
	assert_false(journal_has(m, "unbind 0000:01:00.0 vfio-pci"));

	/* Once the holder is gone the restore goes through. */
	assert_int_equal(write(to_child[1], "x", 1), 1);
	assert_int_equal(waitpid(child, NULL, 0), child);
	close(to_child[0]);
	close(to_child[1]);
	close(from_child[0]);
	close(from_child[1]);
	one(&run, OP_RESTORE, "0000:01:00.0", NULL);
	assert_ok(&run);
	run_free(&run);
	assert_untouched(m);
}

static void test_fail_locked(void **state)
{
	struct mock *m = *state;
	const char *addrs[] = { "0000:03:00.0", "0000:01:00.0", NULL };
	g_autofree char *dir = mock_path(m, "run/vfioreset");
	g_autofree char *lock = mock_path(m, "run/vfioreset/0000:01:00.0.lock");
	struct run run;
	int fd;

	/* Another process is changing 01:00.0. */
	assert_int_equal(mkdir(dir, 0755), 0);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	if (fork() == 0) {
		/* flock is per open file: a child's own open is another holder. */
		struct run r2;

		bool ok;

		g_clear_pointer(&dir, g_free);
		g_clear_pointer(&lock, g_free);
		run_op(&r2, OP_BIND, addrs, 0, NULL, 5000, 0);
		ok = r2.r == -EBUSY && strstr(vfr_error_get_message(r2.err), "0000:01:00.0") &&
		     vfr_binding_get_status(r2.b, 1) == 1;
		run_free(&r2);
		_exit(ok ? 0 : 1);
	}
	{
		int status = -1;

		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	/* Neither function was touched: locks are all taken before any change. */
	mock_assert_driver("0000:03:00.0", "-");
	assert_untouched(m);
	close(fd);

	run_op(&run, OP_BIND, addrs, 0, NULL, 5000, 0);
	assert_ok(&run);
	run_free(&run);
}

static void test_pf_with_bound_vfs(void **state)
{
	struct mock *m = *state;
	struct run run;

	one(&run, OP_BIND, "0000:01:00.0", NULL);
	assert_int_equal(run.r, -EBUSY);
	assert_message_has(&run, "0000:01:10.0");
	assert_message_has(&run, "igbvf");
	run_free(&run);
	mock_assert_driver("0000:01:00.0", "igb");
	assert_false(journal_has(m, "driver_override 0000:01:00.0 vfio-pci"));
}

static void test_group_bind(void **state)
{
	const char *fn0[] = { "0000:04:00.0", NULL };
	const char *bridge_group[] = { "0000:06:01.0", NULL };
	struct run run;
	(void)state;

	/* One function of a two-function group: bound, but the group is not usable yet. */
	run_op(&run, OP_BIND, fn0, 0, NULL, 5000, -1);
	assert_ok(&run);
	assert_non_null(strstr(vfr_binding_get_message(run.b, 0), "0000:04:00.1"));
	run_free(&run);
	run_op(&run, OP_RESTORE, fn0, 0, NULL, 5000, -1);
	assert_ok(&run);
	run_free(&run);

	run_op(&run, OP_BIND, fn0, VFR_BINDING_GROUP, NULL, 5000, -1);
	assert_ok(&run);
	assert_int_equal(vfr_binding_get_n_devices(run.b), 2);
	run_free(&run);
	mock_assert_driver("0000:04:00.0", "vfio-pci");
	mock_assert_driver("0000:04:00.1", "vfio-pci");
	run_op(&run, OP_RESTORE, fn0, VFR_BINDING_GROUP, NULL, 5000, -1);
	assert_ok(&run);
	run_free(&run);
	mock_assert_driver("0000:04:00.0", "e1000e");
	mock_assert_driver("0000:04:00.1", "e1000e");

	/* The bridge of group 14 stays as it is; the two functions behind it move. */
	run_op(&run, OP_BIND, bridge_group, VFR_BINDING_GROUP, NULL, 5000, -1);
	assert_ok(&run);
	assert_int_equal(vfr_binding_get_n_devices(run.b), 2);
	assert_int_equal(vfr_host_check_group_viable(run.host, 14, NULL), 1);
	run_free(&run);
	mock_assert_driver("0000:06:01.0", "vfio-pci");
	mock_assert_driver("0000:06:02.0", "vfio-pci");
}

static void test_group_failure_rolls_back_all(void **state)
{
	struct mock *m = *state;
	const char *fn0[] = { "0000:04:00.0", NULL };
	struct run run;

	run_op(&run, OP_BIND, fn0, VFR_BINDING_GROUP, NULL, 5000, -1);
	assert_int_equal(run.r, -EBUSY);
	assert_message_has(&run, "0000:04:00.1");
	assert_int_equal(vfr_binding_get_status(run.b, 0), 1); /* done, then undone */
	assert_true(vfr_binding_is_rolled_back(run.b, 0));
	assert_int_equal(vfr_binding_get_status(run.b, 1), -EBUSY);
	run_free(&run);
	mock_assert_driver("0000:04:00.0", "e1000e");
	mock_assert_driver("0000:04:00.1", "e1000e");
	assert_override("0000:04:00.0", "(null)");
	assert_override("0000:04:00.1", "(null)");
	assert_false(record_exists(m, "0000:04:00.0"));
	assert_false(record_exists(m, "0000:04:00.1"));
	assert_true(journal_has(m, "drivers_probe 0000:04:00.0 e1000e"));
}

/* The hung write's thread stays blocked until the case's process ends. */
static void test_fail_hang(void **state)
{
	struct mock *m = *state;
	struct run run;

	const char *addrs[] = { "0000:01:00.0", NULL };

	run_op(&run, OP_BIND, addrs, 0, NULL, 200, -1);
	assert_int_equal(run.r, -ETIMEDOUT);
	assert_message_has(&run, "state unknown");
	assert_true(vfr_binding_is_state_unknown(run.b, 0));
	assert_false(vfr_binding_is_rolled_back(run.b, 0));
	run_free(&run);
	/* The unbind never reached the driver; the record stays for a later restore. */
	mock_assert_driver("0000:01:00.0", "e1000e");
	assert_true(record_exists(m, "0000:01:00.0"));
}

/*
 * Variant drivers whose module is not loaded yet: libkmod loads it through
 * finit_module(), which the harness answers as the kernel does (the module
 * goes live and registers its PCI driver). The modules directory is made by
 * tests/kmod/mkmodules.py and the real depmod, below the root, for the
 * release uname() reports there.
 */
#define RELEASE "6.99.0-vfr"
#define MODDIR "/lib/modules/" RELEASE "/kernel/drivers/test/"

int init_module(void *image, unsigned long len, const char *params);
int delete_module(const char *name, unsigned int flags);

static const char variant_ini[] =
	"[host]\n"
	"vfio_dev=true\n"
	"vfio_cdev=false\n"
	"[driver vfio-pci]\n"
	"[driver pcieport]\n"
	"builtin=true\n"
	"[device 0000:00:1c.0]\n"
	"kind=root-port\nvendor=8086\ndevice=a110\ndriver=pcieport\niommu_group=1\n"
	"[device 0000:01:00.0]\n"
	"vendor=15b3\ndevice=101e\nparent=0000:00:1c.0\ndriver=mlx5_core\niommu_group=2\n"
	"reset_method=flr\ncaps=pm,msix,flr\n"
	"[device 0000:00:1c.1]\n"
	"kind=root-port\nvendor=8086\ndevice=a111\ndriver=pcieport\niommu_group=3\n"
	"[device 0000:02:00.0]\n"
	"vendor=1af4\ndevice=1041\nparent=0000:00:1c.1\niommu_group=4\n";

static int setup_variant(void **state)
{
	const char *fixtures = getenv("VFR_FIXTURES");
	g_autofree char *script = NULL, *release = NULL, *err_out = NULL;
	g_autofree char *depmod = g_find_program_in_path("depmod");
	g_auto(GStrv) env = mock_clean_env();
	struct mock *m;
	int status = -1;

	if (!depmod)
		vfr_test_skip("no depmod to index the modules with");
	m = mock_current();
	script = g_build_filename(fixtures, "..", "kmod", "mkmodules.py", NULL);
	{
		const char *argv[] = {
			"python3", script, m->root, RELEASE,
			"vfio_pci=vfio_pci:v*d*sv*sd*bc*sc*i*",
			"mlx5_vfio_pci=vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*,"
			"vfio_pci:v000015B3d00001021sv*sd*bc*sc*i*",
			"virtio_pci=pci:v00001AF4d*sv*sd*bc*sc*i*",
			NULL,
		};

		assert_true(g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL,
					 NULL, &err_out, &status, NULL));
	}
	if (status != 0)
		fail_msg("mkmodules.py failed: %s", err_out);
	release = mock_path(m, ".vfr-mock/release");
	assert_true(g_file_set_contents(release, RELEASE "\n", -1, NULL));
	*state = m;
	return 0;
}

static void bind_variant(struct run *run, const char *addr)
{
	const char *addrs[] = { addr, NULL };

	run_op(run, OP_BIND, addrs, VFR_BINDING_VARIANT, NULL, 5000, -1);
}

static bool proc_modules_has(const char *name)
{
	g_autofree char *text = attr_read("/proc/modules");
	g_autofree char *head = g_strconcat(name, " ", NULL);
	g_auto(GStrv) lines = NULL;

	if (!text)
		return false;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		if (g_str_has_prefix(*l, head) && strstr(*l, " Live "))
			return true;
	return false;
}

static void test_variant_module_loaded_on_bind(void **state)
{
	struct mock *m = *state;
	struct run run;

	assert_false(path_exists("/sys/module/mlx5_vfio_pci"));
	bind_variant(&run, "0000:01:00.0");
	assert_ok(&run);
	assert_string_equal(vfr_binding_get_driver_before(run.b, 0), "mlx5_core");
	assert_string_equal(vfr_binding_get_driver_after(run.b, 0), "mlx5_vfio_pci");
	run_free(&run);
	assert_true(journal_has(m, "load mlx5_vfio_pci ok"));
	assert_attr("/sys/module/mlx5_vfio_pci/initstate", "live");
	assert_true(path_exists("/sys/module/mlx5_vfio_pci/drivers/pci:mlx5_vfio_pci"));
	assert_true(proc_modules_has("mlx5_vfio_pci"));
	mock_assert_driver("0000:01:00.0", "mlx5_vfio_pci");
	assert_override("0000:01:00.0", "mlx5_vfio_pci");
	assert_true(path_exists(DEV "0000:01:00.0/vfio-dev/vfio0"));
	assert_true(path_exists("/dev/vfio/2"));
	assert_true(record_exists(m, "0000:01:00.0"));

	one(&run, OP_RESTORE, "0000:01:00.0", NULL);
	assert_ok(&run);
	assert_string_equal(vfr_binding_get_driver_after(run.b, 0), "mlx5_core");
	run_free(&run);
	mock_assert_driver("0000:01:00.0", "mlx5_core");
	assert_override("0000:01:00.0", "(null)");
	assert_false(path_exists(DEV "0000:01:00.0/vfio-dev"));
	assert_false(path_exists("/dev/vfio/2"));
	assert_false(record_exists(m, "0000:01:00.0"));
	/* The kernel keeps the module; a second bind finds its driver and loads nothing. */
	assert_true(path_exists("/sys/bus/pci/drivers/mlx5_vfio_pci"));
	assert_true(journal_has(m, "unbind 0000:01:00.0 mlx5_vfio_pci"));
	bind_variant(&run, "0000:01:00.0");
	assert_ok(&run);
	run_free(&run);
	assert_false(journal_has(m, "load mlx5_vfio_pci EEXIST"));
	mock_assert_driver("0000:01:00.0", "mlx5_vfio_pci");
}

/* The kernel refuses the module (lockdown, an unsigned module): nothing moves. */
static void test_variant_module_load_fails(void **state)
{
	struct mock *m = *state;
	struct run run;

	bind_variant(&run, "0000:01:00.0");
	assert_int_equal(run.r, -EPERM);
	assert_int_equal(vfr_binding_get_status(run.b, 0), -EPERM);
	assert_message_has(&run, "0000:01:00.0");
	assert_message_has(&run, "mlx5_vfio_pci");
	assert_message_has(&run, g_strerror(EPERM));
	run_free(&run);
	assert_true(journal_has(m, "load mlx5_vfio_pci EPERM"));
	assert_false(path_exists("/sys/module/mlx5_vfio_pci"));
	assert_false(path_exists("/sys/bus/pci/drivers/mlx5_vfio_pci"));
	assert_false(proc_modules_has("mlx5_vfio_pci"));
	mock_assert_driver("0000:01:00.0", "mlx5_core");
	assert_override("0000:01:00.0", "(null)");
	assert_false(record_exists(m, "0000:01:00.0"));
	assert_false(journal_has(m, "driver_override 0000:01:00.0 mlx5_vfio_pci"));
	assert_false(journal_has(m, "unbind 0000:01:00.0 mlx5_core"));

	/* The rule fired once: the next attempt loads it and binds. */
	bind_variant(&run, "0000:01:00.0");
	assert_ok(&run);
	run_free(&run);
	assert_true(journal_has(m, "load mlx5_vfio_pci ok"));
	mock_assert_driver("0000:01:00.0", "mlx5_vfio_pci");
}

static char *file_contents(const char *path, size_t *len)
{
	char *text = NULL;
	gsize n = 0;

	assert_true(g_file_get_contents(path, &text, &n, NULL));
	*len = n;
	return text;
}

/* The loader itself: finit_module, init_module, delete_module as the kernel answers them. */
static void test_module_syscalls(void **state)
{
	struct mock *m = *state;
	g_autofree char *modules_dir = mock_path(m, ".vfr-mock/modules");
	g_autofree char *state_file = mock_path(m, ".vfr-mock/modules/virtio_pci");
	g_autofree char *image = NULL;
	char link[PATH_MAX];
	size_t len;
	ssize_t n;
	int fd;

	/* virtio_pci's source names its driver "virtio-pci"; the test says so. */
	assert_int_equal(g_mkdir_with_parents(modules_dir, 0755), 0);
	assert_true(g_file_set_contents(state_file, "driver virtio-pci\n", -1, NULL));
	mock_assert_driver("0000:02:00.0", "-");
	fd = open(MODDIR "virtio_pci.ko", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(syscall(SYS_finit_module, fd, "", 0), 0);
	assert_true(journal_has(m, "load virtio_pci ok"));
	/* driver_attach(): its pci: alias matches the free function. */
	mock_assert_driver("0000:02:00.0", "virtio-pci");
	assert_true(journal_has(m, "bind 0000:02:00.0 virtio-pci"));
	n = readlink("/sys/bus/pci/drivers/virtio-pci/module", link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, "../../../../module/virtio_pci");
	assert_true(path_exists("/sys/module/virtio_pci/drivers/pci:virtio-pci"));
	/* Live already: EEXIST, which libkmod takes as success. */
	assert_int_equal(syscall(SYS_finit_module, fd, "", 0), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(syscall(SYS_finit_module, fd, "", 0x80), -1);
	assert_int_equal(errno, EINVAL);
	close(fd);

	/* init_module(): the image from memory, as libkmod does for compressed files. */
	image = file_contents(MODDIR "mlx5_vfio_pci.ko", &len);
	assert_int_equal(init_module(image, len, ""), 0);
	assert_attr("/sys/module/mlx5_vfio_pci/initstate", "live");
	/* Its vfio_pci: ids are override-only: the function stays with its driver. */
	mock_assert_driver("0000:01:00.0", "mlx5_core");
	assert_int_equal(init_module((char *)"garbage", 7, ""), -1);
	assert_int_equal(errno, ENOEXEC);
	image[0] = 'X';
	assert_int_equal(init_module(image, len, ""), -1);
	assert_int_equal(errno, ENOEXEC);

	/* Unloading unbinds the driver's functions and takes everything away. */
	assert_int_equal(delete_module("virtio_pci", O_NONBLOCK), 0);
	assert_true(journal_has(m, "unbind 0000:02:00.0 virtio-pci"));
	assert_true(journal_has(m, "unload virtio_pci ok"));
	mock_assert_driver("0000:02:00.0", "-");
	assert_false(path_exists("/sys/bus/pci/drivers/virtio-pci"));
	assert_false(path_exists("/sys/module/virtio_pci"));
	assert_false(proc_modules_has("virtio_pci"));
	assert_true(proc_modules_has("mlx5_vfio_pci"));
	assert_int_equal(delete_module("virtio_pci", O_NONBLOCK), -1);
	assert_int_equal(errno, ENOENT);
}

/* A module whose device a user holds open is in use: delete_module refuses at once. */
static void test_module_in_use(void **state)
{
	struct mock *m = *state;
	struct run run;
	int group, container, device;

	bind_variant(&run, "0000:01:00.0");
	assert_ok(&run);
	run_free(&run);
	group = open("/dev/vfio/2", O_RDWR | O_CLOEXEC);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	assert_true(group >= 0 && container >= 0);
	assert_int_equal(ioctl(group, VFIO_GROUP_SET_CONTAINER, &container), 0);
	assert_int_equal(ioctl(container, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU),
			 0);
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.0");
	assert_true(device >= 0);

	assert_int_equal(delete_module("mlx5_vfio_pci", O_NONBLOCK), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	mock_assert_driver("0000:01:00.0", "mlx5_vfio_pci");
	close(device);
	close(group);
	close(container);
	assert_int_equal(delete_module("mlx5_vfio_pci", O_NONBLOCK), 0);
	assert_true(journal_has(m, "unbind 0000:01:00.0 mlx5_vfio_pci"));
	mock_assert_driver("0000:01:00.0", "-");
	assert_false(path_exists("/dev/vfio/2"));
}

/* Each case on its own tree: HOST_INI, the q35 fixture, or VARIANT_INI with its modules. */
#define H(fn, ...) MOCK_CASE(fn, setup, teardown, .host = host_ini, __VA_ARGS__)
#define Q35(fn) MOCK_CASE(fn, setup, teardown, .fixture = "qemu-q35.ini")
#define V(fn, ...) MOCK_CASE(fn, setup_variant, teardown, .host = variant_ini, __VA_ARGS__)
#define UNBIND "write /sys/bus/pci/drivers/e1000e/unbind "

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		H(test_round_trip_host_driver),
		H(test_round_trip_stub),
		H(test_round_trip_unbound),
		H(test_record_keeps_first_original),
		H(test_unbind_and_restore),
		H(test_unreadable_record_kept),
		H(test_fail_unbind_ebusy, .faults = UNBIND "errno=EBUSY"),
		H(test_fail_probe_binds_nothing),
		H(test_fail_module_missing),
		H(test_fail_holder_present),
		H(test_fail_locked),
		H(test_fail_hang, .faults = UNBIND "hang"),
		Q35(test_pf_with_bound_vfs),
		Q35(test_group_bind),
		/* The second function's unbind fails. */
		MOCK_CASE(test_group_failure_rolls_back_all, setup, teardown,
			  .fixture = "qemu-q35.ini", .faults = UNBIND "errno=EBUSY after=1"),
		V(test_variant_module_loaded_on_bind),
		V(test_variant_module_load_fails,
		  .faults = "write /sys/module/mlx5_vfio_pci errno=EPERM times=1"),
		V(test_module_syscalls),
		V(test_module_in_use),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
