/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated kernel against what real kernels answered (doc/kernel-behaviour.md,
 * Debian 6.1 and 6.12 under QEMU) on the q35 topology of
 * tests/fixtures/qemu-q35.ini: each recorded answer is one test. Runs under
 * vfr-preload.so and writes /sys as a shell would.
 */
#include "mock.h"

#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"

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

/* The library's view of one function, through the public API and root "/". */
static struct vfr_device *lookup(struct vfr_host **host, const char *addr)
{
	struct vfr_ctx *ctx = NULL;
	struct vfr_device *dev = NULL;

	assert_int_equal(vfr_ctx_new("/", &ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(ctx, host, NULL), 0);
	vfr_ctx_unref(ctx);
	assert_int_equal(vfr_host_lookup(*host, addr, &dev, NULL), 0);
	return dev;
}

static void test_reset_method_strings(void **state)
{
	static const struct {
		const char *addr, *methods; /* NULL: no reset nor reset_method file */
	} want[] = {
		{ "0000:01:00.0", "flr pm bus" }, /* igb PF */
		{ "0000:01:10.0", "flr" },	  /* igb VF */
		{ "0000:02:00.0", "pm bus" },	  /* e1000e */
		{ "0000:03:00.0", "flr pm bus" }, /* virtio-net */
		{ "0000:04:00.0", "pm bus" },	  /* two-function e1000e, fn 0 */
		{ "0000:04:00.1", "pm" },	  /* fn 1 */
		{ "0000:05:00.0", "pm bus" },	  /* pcie-pci-bridge */
		{ "0000:06:01.0", "bus" },	  /* conventional e1000 behind it */
		{ "0000:07:00.0", "flr bus" },	  /* nvme */
		{ "0000:08:00.0", "pm bus" },	  /* e1000e below the slow-link port */
		{ "0000:00:03.0", NULL },	  /* rtl8139 */
		{ "0000:06:02.0", NULL },
		{ "0000:00:02.0", NULL }, /* a root port */
		{ "0000:00:02.6", NULL },
		{ "0000:00:1f.0", NULL }, /* ICH9 LPC, AHCI, SMBus */
		{ "0000:00:1f.2", NULL },
		{ "0000:00:1f.3", NULL },
	};
	(void)state;

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autofree char *rm = g_strconcat(DEV, want[i].addr, "/reset_method", NULL);
		g_autofree char *reset = g_strconcat(DEV, want[i].addr, "/reset", NULL);
		struct vfr_host *host = NULL;
		struct vfr_device *dev = lookup(&host, want[i].addr);
		const char *const *methods = NULL;
		int r = vfr_device_get_reset_methods(dev, &methods);

		if (want[i].methods) {
			g_autofree char *joined = NULL;

			assert_attr(rm, want[i].methods);
			assert_true(path_exists(reset));
			assert_int_equal(r, 0);
			joined = g_strjoinv(" ", (char **)methods);
			assert_string_equal(joined, want[i].methods);
		} else {
			assert_false(path_exists(rm));
			assert_false(path_exists(reset));
			assert_int_equal(r, -ENOENT);
		}
		vfr_host_unref(host);
	}
}

/*
 * The groups the 6.12 kernel logged ("Adding to iommu group N") for the
 * guest run-vm.py boots: the ICH9 functions share one, bridges' subtrees
 * follow the root bus.
 */
static void test_iommu_groups_as_logged(void **state)
{
	static const struct {
		const char *addr;
		int group;
	} want[] = {
		{ "0000:00:00.0", 0 },	{ "0000:00:02.0", 1 },	{ "0000:00:02.1", 2 },
		{ "0000:00:02.2", 3 },	{ "0000:00:02.3", 4 },	{ "0000:00:02.4", 5 },
		{ "0000:00:02.5", 6 },	{ "0000:00:02.6", 7 },	{ "0000:00:03.0", 8 },
		{ "0000:00:1f.0", 9 },	{ "0000:00:1f.2", 9 },	{ "0000:00:1f.3", 9 },
		{ "0000:01:00.0", 10 }, { "0000:02:00.0", 11 }, { "0000:03:00.0", 12 },
		{ "0000:04:00.0", 13 }, { "0000:04:00.1", 13 }, { "0000:05:00.0", 14 },
		{ "0000:06:01.0", 14 }, { "0000:06:02.0", 14 }, { "0000:07:00.0", 15 },
		{ "0000:08:00.0", 16 }, { "0000:01:10.0", 17 }, { "0000:01:10.2", 18 },
	};
	struct vfr_host *host = NULL;
	(void)state;

	lookup(&host, "0000:00:00.0");
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		struct vfr_device *dev = NULL;
		int group = -1;

		assert_int_equal(vfr_host_lookup(host, want[i].addr, &dev, NULL), 0);
		assert_int_equal(vfr_device_get_iommu_group(dev, &group), 0);
		if (group != want[i].group)
			fail_msg("%s: group %d, the kernel said %d", want[i].addr, group,
				 want[i].group);
	}
	/* Nothing more: the guest has exactly these functions. */
	assert_int_equal(vfr_host_get_n_devices(host), G_N_ELEMENTS(want));
	vfr_host_unref(host);
}

/* The e1000 behind the bridge lists only a stale "bus": the reset cannot run. */
static void test_stale_bus_reset_enotty(void **state)
{
	struct mock *m = *state;

	assert_int_equal(attr_write(DEV "0000:06:01.0/reset", "1"), -ENOTTY);
	assert_true(journal_has(m, "reset 0000:06:01.0 bus ENOTTY"));
	/* Where a working method comes first, it runs and the stale bus is never tried. */
	assert_int_equal(attr_write(DEV "0000:04:00.0/reset", "1"), 0);
	assert_true(journal_has(m, "reset 0000:04:00.0 pm ok"));
}

/*
 * The e1000e below 00:02.6, the root port at QEMU's default link settings:
 * its `bus` is live (writable to reset_method), the bus reset happens, and
 * the kernel still answers ENOTTY because the link never reports active.
 */
static void test_slow_link_bus_enotty(void **state)
{
	struct mock *m = *state;

	assert_int_equal(attr_write(DEV "0000:08:00.0/reset", "1"), 0);
	assert_true(journal_has(m, "reset 0000:08:00.0 pm ok"));
	assert_int_equal(attr_write(DEV "0000:08:00.0/reset_method", "bus\n"), 0);
	assert_attr(DEV "0000:08:00.0/reset_method", "bus");
	assert_int_equal(attr_write(DEV "0000:08:00.0/reset", "1"), -ENOTTY);
	assert_true(journal_has(m, "reset 0000:08:00.0 bus ENOTTY"));
	/* The device is left as it was: still bound, still on e1000e. */
	assert_true(path_exists("/sys/bus/pci/drivers/e1000e/0000:08:00.0"));
	assert_int_equal(attr_write(DEV "0000:08:00.0/reset_method", "default\n"), 0);
	assert_attr(DEV "0000:08:00.0/reset_method", "pm bus");
}

static void test_stale_bus_reset_method_einval(void **state)
{
	static const char *const stale[] = { "0000:04:00.0", "0000:05:00.0", "0000:06:01.0" };
	static const char *const listed[] = { "pm bus", "pm bus", "bus" };
	(void)state;

	for (size_t i = 0; i < G_N_ELEMENTS(stale); i++) {
		g_autofree char *rm = g_strconcat(DEV, stale[i], "/reset_method", NULL);

		assert_int_equal(attr_write(rm, "bus\n"), -EINVAL);
		assert_attr(rm, listed[i]);
	}
	/* A bus reset that is possible is accepted: the lone e1000e. */
	assert_int_equal(attr_write(DEV "0000:02:00.0/reset_method", "bus\n"), 0);
	assert_attr(DEV "0000:02:00.0/reset_method", "bus");
}

static void test_default_reprobes(void **state)
{
	static const char *const stale[] = { "0000:04:00.0", "0000:05:00.0", "0000:06:01.0" };
	static const char *const probed[] = { "pm", "pm", "" };
	(void)state;

	for (size_t i = 0; i < G_N_ELEMENTS(stale); i++) {
		g_autofree char *rm = g_strconcat(DEV, stale[i], "/reset_method", NULL);
		g_autofree char *reset = g_strconcat(DEV, stale[i], "/reset", NULL);

		assert_int_equal(attr_write(rm, "default\n"), 0);
		assert_attr(rm, probed[i]);
		/* The attributes were made at enumeration; an empty list keeps them. */
		assert_true(path_exists(reset));
	}
	{
		struct vfr_host *host = NULL;
		struct vfr_device *dev = lookup(&host, "0000:06:01.0");
		const char *const *methods = NULL;

		assert_int_equal(vfr_device_get_reset_methods(dev, &methods), 0);
		assert_null(methods[0]); /* [] in JSON: present and empty */
		vfr_host_unref(host);
	}
	/* With nothing left, the reset fails as pci_reset_supported() says. */
	assert_int_equal(attr_write(DEV "0000:06:01.0/reset", "1"), -ENOTTY);
}

static void test_unknown_method_einval(void **state)
{
	(void)state;

	assert_int_equal(attr_write(DEV "0000:02:00.0/reset_method", "bogus\n"), -EINVAL);
	assert_attr(DEV "0000:02:00.0/reset_method", "pm bus");
	/* Known but unsupported by the function (no FLR on the e1000e). */
	assert_int_equal(attr_write(DEV "0000:02:00.0/reset_method", "flr pm\n"), -EINVAL);
	assert_attr(DEV "0000:02:00.0/reset_method", "pm bus");
	/* A valid list is taken in the order written. */
	assert_int_equal(attr_write(DEV "0000:03:00.0/reset_method", "pm flr\n"), 0);
	assert_attr(DEV "0000:03:00.0/reset_method", "pm flr");
}

/* driver_override + unbind + drivers_probe: what libvirt and driverctl do. */
static void to_vfio(const char *addr)
{
	g_autofree char *ov = g_strconcat(DEV, addr, "/driver_override", NULL);
	g_autofree char *unbind = g_strconcat(DEV, addr, "/driver/unbind", NULL);

	assert_int_equal(attr_write(ov, "vfio-pci\n"), 0);
	assert_int_equal(attr_write(unbind, addr), 0);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", addr), 0);
}

/*
 * Only a PF driver with sriov_configure changes the VFs: vfio-pci only with
 * its enable_sriov parameter, and then the new VFs are vfio-pci's.
 */
static void test_sriov_numvfs_needs_pf_driver_support(void **state)
{
	(void)state;

	to_vfio("0000:01:00.0");
	/* igb's remove disabled SR-IOV; vfio-pci cannot enable it again. */
	assert_false(path_exists(DEV "0000:01:10.0"));
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "2"), -ENOENT);
	assert_false(path_exists(DEV "0000:01:10.0"));
	assert_attr(DEV "0000:01:00.0/sriov_numvfs", "0");
	assert_attr("/sys/module/vfio_pci/parameters/enable_sriov", "N");

	assert_int_equal(attr_write("/sys/module/vfio_pci/parameters/enable_sriov", "Y\n"), 0);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "2"), 0);
	assert_attr(DEV "0000:01:10.0/driver_override", "vfio-pci");
	assert_true(path_exists("/sys/bus/pci/drivers/vfio-pci/0000:01:10.0"));
	assert_true(path_exists("/sys/bus/pci/drivers/vfio-pci/0000:01:10.2"));
	assert_false(path_exists("/sys/bus/pci/drivers/igbvf/0000:01:10.0"));
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "0"), 0);
	assert_int_equal(attr_write("/sys/module/vfio_pci/parameters/enable_sriov", "N\n"), 0);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "2"), -ENOENT);

	/* Back on igb, the VFs come back and autoprobe binds igbvf. */
	assert_int_equal(attr_write(DEV "0000:01:00.0/driver_override", "\n"), 0);
	assert_int_equal(attr_write(DEV "0000:01:00.0/driver/unbind", "0000:01:00.0"), 0);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", "0000:01:00.0"), 0);
	assert_true(path_exists("/sys/bus/pci/drivers/igb/0000:01:00.0"));
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "2"), 0);
	assert_true(path_exists("/sys/bus/pci/drivers/igbvf/0000:01:10.0"));
}

static void test_reset_vfio_bound_allowed(void **state)
{
	struct mock *m = *state;
	char target[256];
	ssize_t n;

	to_vfio("0000:02:00.0");
	n = readlink(DEV "0000:02:00.0/driver", target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_true(g_str_has_suffix(target, "/vfio-pci"));
	assert_int_equal(attr_write(DEV "0000:02:00.0/reset", "1\n"), 0);
	assert_true(journal_has(m, "reset 0000:02:00.0 pm ok"));
}

static void test_bind_vfio_pci(void **state)
{
	struct vfr_host *host = NULL;
	struct vfr_device *dev;
	enum vfr_driver_type type;
	const char *driver;
	(void)state;

	assert_false(path_exists("/dev/vfio/11"));
	to_vfio("0000:02:00.0");
	assert_true(path_exists(DEV "0000:02:00.0/vfio-dev/vfio0"));
	assert_attr(DEV "0000:02:00.0/vfio-dev/vfio0/dev", "511:0");
	assert_true(path_exists("/dev/vfio/11"));
	assert_true(path_exists("/dev/vfio/vfio"));
	assert_true(path_exists("/sys/bus/pci/drivers/vfio-pci/0000:02:00.0"));
	assert_false(path_exists("/sys/bus/pci/drivers/e1000e/0000:02:00.0"));
	/* Debian's kernels have no CONFIG_IOMMUFD: no cdev. */
	assert_false(path_exists("/dev/vfio/devices"));

	dev = lookup(&host, "0000:02:00.0");
	assert_int_equal(vfr_device_get_driver(dev, &driver), 0);
	assert_string_equal(driver, "vfio-pci");
	assert_int_equal(vfr_device_get_driver_type(dev, &type), 0);
	assert_int_equal(type, VFR_DRIVER_VFIO_PCI);
	vfr_host_unref(host);

	/* And back: the vfio nodes go with the last vfio member of the group. */
	assert_int_equal(attr_write("/sys/bus/pci/drivers/vfio-pci/unbind", "0000:02:00.0\n"), 0);
	assert_false(path_exists(DEV "0000:02:00.0/vfio-dev"));
	assert_false(path_exists("/dev/vfio/11"));
	assert_int_equal(attr_write(DEV "0000:02:00.0/driver_override", "\n"), 0);
	assert_attr(DEV "0000:02:00.0/driver_override", "(null)");
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", "0000:02:00.0"), 0);
	assert_true(path_exists("/sys/bus/pci/drivers/e1000e/0000:02:00.0"));
}

/* One function of the two-function e1000e on vfio-pci, the other on e1000e. */
static void test_partial_group_binding(void **state)
{
	struct vfr_host *host = NULL;
	struct vfr_device *dev;
	enum vfr_driver_type type;
	int group;
	(void)state;

	to_vfio("0000:04:00.0");
	assert_true(path_exists("/dev/vfio/13"));
	assert_true(path_exists(DEV "0000:04:00.0/vfio-dev"));
	assert_false(path_exists(DEV "0000:04:00.1/vfio-dev"));

	dev = lookup(&host, "0000:04:00.0");
	assert_int_equal(vfr_device_get_iommu_group(dev, &group), 0);
	assert_int_equal(group, 13);
	assert_int_equal(vfr_host_get_n_group_devices(host, 13), 2);
	assert_int_equal(vfr_device_get_driver_type(dev, &type), 0);
	assert_int_equal(type, VFR_DRIVER_VFIO_PCI);
	assert_int_equal(vfr_device_get_driver_type(vfr_host_get_group_device(host, 13, 1), &type),
			 0);
	assert_int_equal(type, VFR_DRIVER_HOST);
	vfr_host_unref(host);

	/* Both on vfio-pci, then one leaves: the group node stays for the other. */
	to_vfio("0000:04:00.1");
	assert_int_equal(attr_write("/sys/bus/pci/drivers/vfio-pci/unbind", "0000:04:00.0"), 0);
	assert_true(path_exists("/dev/vfio/13"));
	assert_int_equal(attr_write("/sys/bus/pci/drivers/vfio-pci/unbind", "0000:04:00.1"), 0);
	assert_false(path_exists("/dev/vfio/13"));
}

static void test_sriov_numvfs(void **state)
{
	struct vfr_host *host = NULL;
	struct vfr_device *pf;
	(void)state;

	/* Two VFs exist (the description has them, as after `echo 2`). */
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "3"), -EBUSY);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "9"), -ERANGE);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "0"), 0);
	assert_false(path_exists(DEV "0000:01:10.0"));
	assert_false(path_exists(DEV "0000:01:00.0/virtfn0"));
	assert_false(path_exists("/sys/kernel/iommu_groups/17"));
	assert_false(path_exists("/sys/kernel/iommu_groups/18"));

	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "2\n"), 0);
	assert_attr(DEV "0000:01:00.0/sriov_numvfs", "2");
	assert_attr(DEV "0000:01:10.0/reset_method", "flr");
	assert_attr(DEV "0000:01:10.2/reset_method", "flr");
	assert_true(path_exists("/sys/kernel/iommu_groups/17/devices/0000:01:10.0"));
	assert_true(path_exists("/sys/kernel/iommu_groups/18/devices/0000:01:10.2"));
	assert_true(path_exists("/sys/bus/pci/drivers/igbvf/0000:01:10.2"));

	pf = lookup(&host, "0000:01:00.0");
	assert_int_equal(vfr_device_get_n_virtfns(pf), 2);
	assert_string_equal(vfr_device_get_name(vfr_device_get_virtfn(pf, 1)), "0000:01:10.2");
	assert_ptr_equal(vfr_device_get_physfn(vfr_device_get_virtfn(pf, 0)), pf);
	vfr_host_unref(host);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "1"), -EBUSY);
}

static int group_of(const char *addr)
{
	g_autofree char *link = g_strconcat(DEV, addr, "/iommu_group", NULL);
	g_autofree char *target = g_file_read_link(link, NULL);

	assert_non_null(target);
	return atoi(strrchr(target, '/') + 1);
}

/*
 * IOMMU group numbers are an IDA: a group freed with its last member frees
 * its number, and a new group takes the lowest free one. A function that
 * comes back alone gets a new group; one whose group mates are back (the
 * other function of a device without ACS) joins theirs.
 */
static void test_group_numbers_reused(void **state)
{
	(void)state;

	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "0"), 0);
	assert_int_equal(attr_write(DEV "0000:02:00.0/remove", "1"), 0);
	assert_false(path_exists("/sys/kernel/iommu_groups/11"));
	/* The VFs take 11, then 17. */
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "2"), 0);
	assert_int_equal(group_of("0000:01:10.0"), 11);
	assert_int_equal(group_of("0000:01:10.2"), 17);
	/* 02:00.0 is alone behind its port: a new group, not the VF's old number. */
	assert_int_equal(attr_write("/sys/bus/pci/rescan", "1"), 0);
	assert_int_equal(group_of("0000:02:00.0"), 18);
	assert_false(path_exists("/sys/kernel/iommu_groups/11/devices/0000:02:00.0"));

	/* The port and both functions of the e1000e go, and come back. */
	assert_int_equal(attr_write("/sys/bus/pci/devices/0000:00:02.3/remove", "1"), 0);
	assert_false(path_exists("/sys/kernel/iommu_groups/4"));
	assert_false(path_exists("/sys/kernel/iommu_groups/13"));
	assert_int_equal(attr_write("/sys/bus/pci/rescan", "1"), 0);
	assert_int_equal(group_of("0000:00:02.3"), 4);
	assert_int_equal(group_of("0000:04:00.0"), 13);
	assert_int_equal(group_of("0000:04:00.1"), 13);
}

/*
 * A sysfs reset of an igbvf VF whose interface was never up blocked forever.
 * The harness's reset_hang= gives the same: the write never returns, only
 * killing the process ends it (the journal line says it is stuck).
 */
/* A VF whose reset hangs. */
#define VF_HOST                                                                    \
	"[driver igbvf]\nids=8086:10ca\n"                                             \
	"[device 0000:00:02.0]\nkind=root-port\nvendor=1b36\ndevice=000c\n"          \
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10c9\nparent=0000:00:02.0\n"     \
	"driver=igb\ncaps=pm,msix,flr,sriov\nreset_method=flr pm bus\n"              \
	"[device 0000:01:10.0]\nvendor=8086\ndevice=10ca\nphysfn=0000:01:00.0\n"     \
	"driver=igbvf\ncaps=msix,flr\nreset_method=flr\nreset_hang=flr\niommu_group=3\n"

static void test_vf_reset_hangs(void **state)
{
	struct mock *m = mock_current();
	g_autofree char *journal = mock_path(m, ".vfr-mock/journal");
	char events[4096];
	int in, status;
	pid_t pid;
	(void)state;

	assert_int_equal(close(open(journal, O_WRONLY | O_CREAT, 0644)), 0);
	in = inotify_init1(IN_CLOEXEC);
	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, journal, IN_MODIFY) >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(attr_write(DEV "0000:01:10.0/reset", "1") == 0 ? 0 : 1);
	while (!journal_has(m, "reset 0000:01:10.0 flr hang"))
		assert_true(read(in, events, sizeof(events)) > 0);
	close(in);
	/* Stuck, not finished: the child has not exited. */
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	mock_free(m);
}

/* Each case on its own tree of the q35 fixture. */
#define T(fn) MOCK_CASE(fn, setup, teardown, .fixture = "qemu-q35.ini")

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		T(test_reset_method_strings),
		T(test_iommu_groups_as_logged),
		T(test_stale_bus_reset_enotty),
		T(test_slow_link_bus_enotty),
		T(test_stale_bus_reset_method_einval),
		T(test_default_reprobes),
		T(test_unknown_method_einval),
		T(test_reset_vfio_bound_allowed),
		T(test_bind_vfio_pci),
		T(test_partial_group_binding),
		T(test_sriov_numvfs),
		T(test_sriov_numvfs_needs_pf_driver_support),
		T(test_group_numbers_reused),
		MOCK_CASE(test_vf_reset_hangs, NULL, NULL, .host = VF_HOST),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
