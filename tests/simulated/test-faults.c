/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every fault kind of the harness against the library's public API with
 * root "/": an errno on open, read, readlink and stat, short reads, a delay,
 * a hang, a function that vanishes before or during the questions, rules
 * declared in the description and added at run time, after= and times=.
 * The library must answer each with a clear error (an errno and a sentence
 * in the function's problems), never a crash; valgrind and ASan check that
 * nothing leaks.
 */
#include "mock.h"

#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>

#include <vfioreset/vfioreset.h>

#define HOST                                                                               \
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"  \
	"iommu_group=1\n"                                                                  \
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"             \
	"driver=e1000e\niommu_group=2\nreset_method=pm bus\ncaps=pm,msi,msix,flr\n"        \
	"[device 0000:01:00.1]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"             \
	"driver=e1000e\niommu_group=2\nreset_method=pm\ncaps=pm,msi,msix\n"

#define FN "0000:01:00.0"

struct scan {
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	struct vfr_device *dev; /* FN */
};

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

static void scan(struct scan *s)
{
	assert_int_equal(vfr_ctx_new(NULL, &s->ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(s->ctx, &s->host, NULL), 0);
	s->dev = NULL;
	vfr_host_lookup(s->host, FN, &s->dev, NULL);
}

static void scan_free(struct scan *s)
{
	vfr_host_unref(s->host);
	vfr_ctx_unref(s->ctx);
}

/* Whether a problem of @dev contains @needle. */
static bool has_problem(struct vfr_device *dev, const char *needle)
{
	for (size_t i = 0; i < vfr_device_get_n_problems(dev); i++)
		if (strstr(vfr_device_get_problem(dev, i), needle))
			return true;
	return false;
}

static void test_open_errno_fails_the_scan(void **state)
{
	struct vfr_ctx *ctx = NULL;
	struct vfr_host *host = NULL;
	struct vfr_error *err = NULL;

	(void)state;
	assert_int_equal(vfr_ctx_new(NULL, &ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(ctx, &host, &err), -EACCES);
	assert_null(host);
	assert_non_null(err);
	assert_non_null(strstr(vfr_error_get_message(err), "sys/bus/pci/devices"));
	assert_non_null(strstr(vfr_error_get_message(err), "Permission denied"));
	vfr_error_free(err);
	vfr_ctx_unref(ctx);
}

static void test_open_errno_on_attributes(void **state)
{
	struct scan s;
	uint16_t id = 0;

	(void)state;
	scan(&s);
	assert_int_equal(vfr_device_get_vendor_id(s.dev, &id), -EIO);
	assert_true(has_problem(s.dev, "vendor attribute cannot be read"));
	/* The device id still comes from its own attribute. */
	assert_int_equal(vfr_device_get_device_id(s.dev, &id), 0);
	assert_int_equal(id, 0x10d3);
	scan_free(&s);
}

static void test_read_errno_on_config(void **state)
{
	unsigned int caps = 0;
	struct scan s;

	(void)state;
	scan(&s);
	assert_int_equal(vfr_device_get_capabilities(s.dev, &caps, NULL), -EIO);
	assert_true(has_problem(s.dev, "cannot read config space"));
	scan_free(&s);
}

static void test_short_read_of_config(void **state)
{
	unsigned int caps = 0;
	struct scan s;

	(void)state;
	scan(&s);
	assert_int_equal(vfr_device_get_capabilities(s.dev, &caps, NULL), -EIO);
	assert_true(has_problem(s.dev, "config space is only 32 bytes"));
	scan_free(&s);
}

static void test_short_read_of_uevent(void **state)
{
	uint16_t vendor = 0, device = 0;
	uint32_t class = 0;
	struct scan s;

	(void)state;
	/* "PCI_CLASS=20000\nPCI_": the ids the cut-off uevent lacks come from their files. */
	scan(&s);
	assert_int_equal(vfr_device_get_vendor_id(s.dev, &vendor), 0);
	assert_int_equal(vfr_device_get_device_id(s.dev, &device), 0);
	assert_int_equal(vfr_device_get_class(s.dev, &class), 0);
	assert_int_equal(vendor, 0x8086);
	assert_int_equal(device, 0x10d3);
	assert_int_equal(class, 0x020000);
	scan_free(&s);
}

static void test_readlink_errno(void **state)
{
	const char *driver = NULL;
	struct scan s;

	(void)state;
	scan(&s);
	assert_int_equal(vfr_device_get_driver(s.dev, &driver), -EIO);
	assert_true(has_problem(s.dev, "driver link cannot be read"));
	scan_free(&s);
}

static void test_readlink_errno_in_the_scan(void **state)
{
	struct vfr_device *other = NULL;
	struct scan s;

	(void)state;
	/* The scan reads each bus/pci/devices entry; this one cannot be read (the rule). */
	scan(&s);
	assert_non_null(s.dev);
	assert_true(has_problem(s.dev, "not a readable link"));
	assert_null(vfr_device_get_parent(s.dev));
	assert_int_equal(vfr_host_lookup(s.host, "0000:01:00.1", &other, NULL), 0);
	assert_int_equal(vfr_device_get_n_problems(other), 0);
	scan_free(&s);
}

static void test_stat_errno(void **state)
{
	enum vfr_driver_type type;
	struct scan s;

	(void)state;
	/*
	 * Whether vfio-dev exists decides the driver type; the check itself
	 * fails. The directory's listing would answer it: that fails first
	 * (its rule below), and the name is asked for.
	 */
	scan(&s);
	assert_int_equal(vfr_device_get_driver_type(s.dev, &type), -EIO);
	scan_free(&s);
}

static void test_listing_errno(void **state)
{
	enum vfr_driver_type type;
	const char *const *methods;
	const char *driver;
	uint16_t vendor;
	int group;
	struct scan s;

	/*
	 * Without a listing of its directory, each name is asked for: the same
	 * answers (test_stat_errno shows that the rule does fail the listing).
	 */
	(void)state;
	scan(&s);
	assert_int_equal(vfr_device_get_vendor_id(s.dev, &vendor), 0);
	assert_int_equal(vfr_device_get_driver(s.dev, &driver), 0);
	assert_int_equal(vfr_device_get_driver_type(s.dev, &type), 0);
	assert_int_equal(vfr_device_get_iommu_group(s.dev, &group), 0);
	assert_int_equal(vfr_device_get_reset_methods(s.dev, &methods), 0);
	assert_int_equal(vfr_device_get_n_problems(s.dev), 0);
	scan_free(&s);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_delay(void **state)
{
	uint16_t vendor = 0;
	struct scan s;
	int64_t start;

	(void)state;
	scan(&s);
	start = now_ms();
	assert_int_equal(vfr_device_get_vendor_id(s.dev, &vendor), 0);
	assert_true(now_ms() - start >= 150);
	assert_int_equal(vendor, 0x8086);
	scan_free(&s);
}

/* A hang ends only with the process; the journal says when it is stuck. */
static void test_hang(void **state)
{
	struct mock *m = *state;
	g_autofree char *journal = mock_path(m, ".vfr-mock/journal");
	char events[4096];
	int in, status;
	pid_t pid;

	assert_int_equal(close(open(journal, O_WRONLY | O_CREAT, 0644)), 0);
	in = inotify_init1(IN_CLOEXEC);
	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, journal, IN_MODIFY) >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vfr_ctx *ctx = NULL;
		struct vfr_host *host = NULL;

		if (vfr_ctx_new(NULL, &ctx, NULL) == 0)
			vfr_host_scan(ctx, &host, NULL);
		_exit(0);
	}
	while (!journal_has(m, "hang /sys/bus/pci/devices"))
		assert_true(read(in, events, sizeof(events)) > 0);
	close(in);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
}

/* Gone while the scan reads the list: its entry cannot be followed. */
static void test_vanish_during_the_scan(void **state)
{
	struct mock *m = *state;
	struct scan s;

	scan(&s);
	assert_non_null(s.dev);
	assert_true(has_problem(s.dev, "not a readable link"));
	assert_false(path_exists("/sys/bus/pci/devices/" FN));
	assert_true(journal_has(m, "vanish " FN));
	scan_free(&s);
	/* The next scan does not see it at all. */
	scan(&s);
	assert_null(s.dev);
	assert_int_equal(vfr_host_get_n_devices(s.host), 2);
	scan_free(&s);
}

/* Scanned, then gone before the first question about it. */
static void test_vanish_before_the_getters(void **state)
{
	struct mock *m = *state;
	unsigned int caps = 0;
	uint16_t vendor = 0;
	struct scan s;

	scan(&s);
	fault_add(m, "vanish " FN " after=0");
	assert_int_equal(vfr_device_get_vendor_id(s.dev, &vendor), -ENODEV);
	assert_true(has_problem(s.dev, "vanished"));
	assert_int_equal(vfr_device_get_capabilities(s.dev, &caps, NULL), -ENODEV);
	assert_true(has_problem(s.dev, "gone"));
	scan_free(&s);
}

/* Gone between two questions, with its directory already open in the library. */
static void test_vanish_between_getters(void **state)
{
	struct mock *m = *state;
	const char *driver = NULL;
	unsigned int caps = 0;
	uint16_t vendor = 0;
	int group = -1;
	struct scan s;

	scan(&s);
	assert_int_equal(vfr_device_get_vendor_id(s.dev, &vendor), 0);
	fault_add(m, "vanish " FN " after=0");
	assert_int_equal(vfr_device_get_capabilities(s.dev, &caps, NULL), -ENODEV);
	assert_true(has_problem(s.dev, "gone"));
	/*
	 * Links below the removed directory read ENOENT, as in a real kernel;
	 * that must not pass for "no driver" or "no group".
	 */
	assert_int_equal(vfr_device_get_driver(s.dev, &driver), -ENODEV);
	assert_int_equal(vfr_device_get_iommu_group(s.dev, &group), -ENODEV);
	assert_true(has_problem(s.dev, "vanished"));
	scan_free(&s);
}

static void test_vanish_after_n_accesses(void **state)
{
	struct mock *m = *state;
	uint16_t vendor = 0, device = 0;
	struct scan s;
	int gone_at = -1;

	scan(&s);
	for (int i = 0; i < 20 && gone_at < 0; i++) {
		struct vfr_ctx *ctx = s.ctx;
		struct vfr_host *host = NULL;
		struct vfr_device *dev = NULL;

		assert_int_equal(vfr_host_scan(ctx, &host, NULL), 0);
		if (vfr_host_lookup(host, FN, &dev, NULL) < 0 ||
		    vfr_device_get_vendor_id(dev, &vendor) < 0 ||
		    vfr_device_get_device_id(dev, &device) < 0)
			gone_at = i;
		vfr_host_unref(host);
	}
	assert_true(gone_at > 0);
	assert_true(journal_has(m, "vanish " FN));
	scan_free(&s);
}

static void test_fault_from_the_description(void **state)
{
	unsigned int caps = 0;
	struct scan s;
	(void)state;

	scan(&s);
	assert_int_equal(vfr_device_get_capabilities(s.dev, &caps, NULL), -ENODEV);
	assert_true(has_problem(s.dev, "cannot read config space"));
	scan_free(&s);
}

static void test_after_and_times(void **state)
{
	unsigned int caps = 0;
	struct scan s;

	(void)state;
	/* Only the first read fails: a second context reads it fine. */
	scan(&s);
	assert_int_equal(vfr_device_get_capabilities(s.dev, &caps, NULL), -EIO);
	scan_free(&s);
	scan(&s);
	assert_int_equal(vfr_device_get_capabilities(s.dev, &caps, NULL), 0);
	assert_true(caps & VFR_CAP_FLR);
	scan_free(&s);
}

/* `cat` of FN's config in a new program (the preload comes with the environment): its status. */
static int cat_config(void)
{
	const char *argv[] = { "/bin/sh", "-c", "cat /sys/bus/pci/devices/" FN "/config >/dev/null",
			       NULL };
	int status = -1;

	assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
				 NULL, NULL, NULL, &status, NULL));
	return status;
}

/*
 * The counts belong to the simulated host, not to a process: `times=1` is
 * one failure, whichever program meets it first, as a rule on a real
 * device would be.
 */
static void test_counts_shared_by_processes(void **state)
{
	struct mock *m = *state;
	unsigned int caps = 0;
	struct scan s;

	fault_add(m, "read /sys/devices/*/" FN "/config errno=EIO times=1");
	assert_true(cat_config() != 0);
	assert_int_equal(cat_config(), 0);
	/* ... and this process, which has read the rule too, finds it used up. */
	scan(&s);
	assert_int_equal(vfr_device_get_capabilities(s.dev, &caps, NULL), 0);
	scan_free(&s);

	/* A line taken out and put back is a new rule with new counts. */
	fault_add(m, "# nothing");
	{
		g_autofree char *faults = mock_path(m, ".vfr-mock/faults");

		assert_true(g_file_set_contents(faults, "# emptied\n", -1, NULL));
		scan(&s);
		scan_free(&s);
	}
	fault_add(m, "read /sys/devices/*/" FN "/config errno=EIO times=1");
	assert_true(cat_config() != 0);
	assert_int_equal(cat_config(), 0);
}

/* Each case on its own tree of HOST, with the rules it declares. */
#define T(fn, ...) MOCK_CASE(fn, setup, teardown, .host = HOST, __VA_ARGS__)
#define CONFIG "/sys/devices/*/" FN "/config"

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		T(test_open_errno_fails_the_scan, .faults = "open /sys/bus/pci/devices errno=EACCES"),
		/* uevent first (the library reads ids from it), then the vendor attribute. */
		T(test_open_errno_on_attributes,
		  .faults = "open /sys/devices/*/" FN "/uevent errno=EIO\n"
			    "open /sys/devices/*/" FN "/vendor errno=EIO\n"),
		/* The library reads config below the function's directory, for libpci too. */
		T(test_read_errno_on_config, .faults = "read " CONFIG " errno=EIO"),
		T(test_short_read_of_config, .faults = "read " CONFIG " short=32"),
		T(test_short_read_of_uevent, .faults = "read /sys/devices/*/" FN "/uevent short=20"),
		T(test_readlink_errno, .faults = "readlink /sys/devices/*/" FN "/driver errno=EIO"),
		T(test_readlink_errno_in_the_scan,
		  .faults = "readlink /sys/bus/pci/devices/" FN " errno=EIO"),
		T(test_stat_errno, .faults = "read /sys/devices/*/" FN " errno=EIO\n"
					     "stat /sys/devices/*/" FN "/vfio-dev errno=EIO\n"),
		T(test_listing_errno, .faults = "read /sys/devices/*/" FN " errno=EIO"),
		T(test_delay, .faults = "read /sys/devices/*/" FN "/uevent delay=150"),
		T(test_hang, .faults = "open /sys/bus/pci/devices hang"),
		T(test_vanish_during_the_scan, .faults = "vanish " FN " after=0"),
		T(test_vanish_before_the_getters),
		T(test_vanish_between_getters),
		/* Four accesses of the function succeed, then it is gone. */
		T(test_vanish_after_n_accesses, .faults = "vanish " FN " after=4"),
		/* A [fault] section of the description, not a declared rule. */
		MOCK_CASE(test_fault_from_the_description, NULL, NULL,
			  .host = HOST "[fault config]\nop=read\npath=" CONFIG "\nerrno=ENXIO\n"),
		T(test_after_and_times, .faults = "read " CONFIG " errno=EIO times=1"),
		T(test_counts_shared_by_processes),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
