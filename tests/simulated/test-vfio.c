/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated kernel's VFIO ioctls against what real kernels answered
 * (doc/kernel-behaviour.md: Debian 6.1 and 6.12 for the group path, the 6.12
 * cdev build for /dev/vfio/devices and /dev/iommu) on the q35 topology of
 * tests/fixtures/qemu-q35.ini and qemu-q35-cdev.ini, each recorded answer
 * one test, plus the rules of doc/hot-reset.md.
 * Cross-process behaviour (one open of a group, unbind waiting for the
 * device's user) runs in forked children.
 */
#include "mock.h"

#include <dirent.h>
#include <linux/vfio.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "../mock-sysfs/preload/vfio-uapi.h"

#define DEV "/sys/bus/pci/devices/"
#define NOT_OWNED 0xffffffffu

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

/* ioctl()'s result, or -errno. */
static int xioctl(int fd, unsigned long request, void *arg)
{
	int r = ioctl(fd, request, arg);

	return r < 0 ? -errno : r;
}

static int xopen(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* driver_override + unbind + drivers_probe, as libvirt does it. */
static void to_vfio(const char *addr)
{
	g_autofree char *ov = g_strconcat(DEV, addr, "/driver_override", NULL);
	g_autofree char *unbind = g_strconcat(DEV, addr, "/driver/unbind", NULL);
	g_autofree char *drv = g_strconcat(DEV, addr, "/driver", NULL);
	g_autofree char *vfio_dev = g_strconcat(DEV, addr, "/vfio-dev", NULL);

	assert_int_equal(attr_write(ov, "vfio-pci\n"), 0);
	if (path_exists(drv))
		assert_int_equal(attr_write(unbind, addr), 0);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", addr), 0);
	assert_true(path_exists(vfio_dev));
}

static int open_group(int group)
{
	g_autofree char *path = g_strdup_printf("/dev/vfio/%d", group);

	return xopen(path);
}

/* A container with @group set on it and the type1v2 IOMMU. */
static int container_for(int group)
{
	int c = xopen("/dev/vfio/vfio");

	assert_true(c >= 0);
	assert_int_equal(xioctl(group, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(xioctl(c, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU), 0);
	return c;
}

static int device_fd(int group, const char *addr)
{
	int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, addr);

	if (fd < 0)
		fail_msg("GET_DEVICE_FD %s: %s", addr, strerror(errno));
	return fd;
}

/* What a VMM holds for one function opened through its group. */
struct held {
	int container, group, device;
};

static struct held hold(int group, const char *addr)
{
	struct held h;

	h.group = open_group(group);
	assert_true(h.group >= 0);
	h.container = container_for(h.group);
	h.device = device_fd(h.group, addr);
	return h;
}

static void release(struct held *h)
{
	close(h->device);
	close(h->group);
	close(h->container);
}

/* /dev/vfio/devices/vfioN of a vfio-bound function. */
static char *cdev_of(const char *addr)
{
	g_autofree char *dir = g_strconcat(DEV, addr, "/vfio-dev", NULL);
	DIR *d = opendir(dir);
	struct dirent *de;
	char *path = NULL;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "vfio", 4) == 0)
			path = g_strconcat("/dev/vfio/devices/", de->d_name, NULL);
	closedir(d);
	assert_non_null(path);
	return path;
}

struct info {
	struct vfio_pci_hot_reset_info hdr;
	struct vfr_pci_dependent_device dev[8];
};

static int hot_reset_info(int fd, struct info *info)
{
	memset(info, 0, sizeof(*info));
	info->hdr.argsz = sizeof(*info);
	return xioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
}

static void assert_entry(const struct vfr_pci_dependent_device *e, unsigned int bus,
			 unsigned int slot, unsigned int fn, uint32_t id)
{
	assert_int_equal(e->segment, 0);
	assert_int_equal(e->bus, bus);
	assert_int_equal(e->devfn, slot << 3 | fn);
	assert_int_equal(e->group_id, id);
}

struct reset {
	struct vfio_pci_hot_reset hdr;
	int32_t fds[8];
};

/* VFIO_DEVICE_PCI_HOT_RESET with the group fds given (none: the cdev form). */
static int hot_reset(int fd, size_t n, const int *fds)
{
	struct reset req = { .hdr = { .argsz = sizeof(req), .count = (uint32_t)n } };

	for (size_t i = 0; i < n; i++)
		req.fds[i] = fds[i];
	return xioctl(fd, VFIO_DEVICE_PCI_HOT_RESET, &req);
}

static void test_container(void **state)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	int c = xopen("/dev/vfio/vfio");
	(void)state;

	assert_true(c >= 0);
	assert_int_equal(xioctl(c, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
	assert_int_equal(xioctl(c, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU), 1);
	assert_int_equal(xioctl(c, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_TYPE1_IOMMU), 1);
	assert_int_equal(xioctl(c, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_SPAPR_TCE_IOMMU), 0);
	assert_int_equal(xioctl(c, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_NOIOMMU_IOMMU), 0);
	/* No group yet: no IOMMU, and nothing to ask it. */
	assert_int_equal(xioctl(c, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU), -EINVAL);
	assert_int_equal(xioctl(c, VFIO_IOMMU_GET_INFO, &info), -EINVAL);
	close(c);
}

static void test_group_lifecycle(void **state)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	int g, c, d, bad = 1000;
	(void)state;

	to_vfio("0000:02:00.0");
	g = open_group(11);
	assert_true(g >= 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	c = xopen("/dev/vfio/vfio");
	assert_true(c >= 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &bad), -EBADF);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &g), -EBADFD);
	/* A container without an IOMMU gives no device. */
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), -EINVAL);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:02:00.0"), -EINVAL);
	assert_int_equal(xioctl(c, VFIO_SET_IOMMU, (void *)(unsigned long)9), -ENODEV);
	assert_int_equal(xioctl(c, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(xioctl(c, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU), -EINVAL);
	assert_int_equal(xioctl(c, VFIO_IOMMU_GET_INFO, &info), 0);
	assert_true(info.flags & VFIO_IOMMU_INFO_PGSIZES);
	assert_true(info.iova_pgsizes & 4096);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* By name, and only this group's vfio devices. */
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:03:00.0"), -ENODEV);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_DEVICE_FD, "bogus"), -ENODEV);
	d = device_fd(g, "0000:02:00.0");
	/* The device keeps the container in use. */
	assert_int_equal(xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), -EBUSY);
	close(d);
	assert_int_equal(xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), -EINVAL);
	/* The last group gone, the container forgot its IOMMU. */
	assert_int_equal(xioctl(c, VFIO_IOMMU_GET_INFO, &info), -EINVAL);
	close(g);
	close(c);
}

static void test_device_info_and_reset(void **state)
{
	struct mock *m = *state;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct held h;

	to_vfio("0000:02:00.0");
	h = hold(11, "0000:02:00.0");
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(info.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(info.num_regions, VFIO_PCI_NUM_REGIONS);
	assert_int_equal(info.num_irqs, VFIO_PCI_NUM_IRQS);
	info.argsz = 8;
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_RESET, NULL), 0);
	assert_true(journal_has(m, "device_reset 0000:02:00.0"));
	assert_true(journal_has(m, "reset 0000:02:00.0 pm ok"));
	/* Device ioctls are for device files; group ioctls for groups. */
	assert_int_equal(xioctl(h.group, VFIO_DEVICE_RESET, NULL), -ENOTTY);
	assert_int_equal(xioctl(h.device, VFIO_GROUP_GET_STATUS, &info), -ENOTTY);
	release(&h);
}

/* The e1000 whose only method is the stale bus: no RESET flag, and the reset is refused. */
static void test_stale_bus_no_reset_flag(void **state)
{
	struct mock *m = *state;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct held h;

	to_vfio("0000:06:01.0");
	to_vfio("0000:06:02.0");
	h = hold(14, "0000:06:01.0");
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(info.flags, VFIO_DEVICE_FLAGS_PCI);
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_RESET, NULL), -EINVAL);
	assert_false(journal_has(m, "device_reset 0000:06:01.0"));
	release(&h);
}

static void test_second_open_ebusy(void **state)
{
	int g, status, ready[2];
	char byte;
	pid_t pid;
	(void)state;

	to_vfio("0000:02:00.0");
	g = open_group(11);
	assert_true(g >= 0);
	assert_int_equal(open_group(11), -EBUSY);
	/* Another process: busy too, the state is the kernel's, not the process's. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(g); /* the inherited file would keep the group open itself */
		_exit(open_group(11) == -EBUSY ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(g);

	/* A holder that dies releases the group. */
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open_group(11);

		if (write(ready[1], fd >= 0 ? "y" : "n", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &byte, 1), 1);
	assert_int_equal(byte, 'y');
	assert_int_equal(open_group(11), -EBUSY);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	g = open_group(11);
	assert_true(g >= 0);
	close(g);
	close(ready[0]);
	close(ready[1]);
}

/* A duplicate is the same open file: the group stays open until the last one closes. */
static void test_dup_shares_the_file(void **state)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int g, g2;
	(void)state;

	to_vfio("0000:02:00.0");
	g = open_group(11);
	assert_true(g >= 0);
	g2 = dup(g);
	assert_true(g2 >= 0);
	close(g);
	assert_int_equal(open_group(11), -EBUSY);
	assert_int_equal(xioctl(g2, VFIO_GROUP_GET_STATUS, &st), 0);
	close(g2);
	g = open_group(11);
	assert_true(g >= 0);
	close(g);
}

/* One function of the two-function e1000e on vfio-pci, the other on e1000e. */
static void test_partial_binding_eperm(void **state)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int g, c;
	(void)state;

	to_vfio("0000:04:00.0");
	g = open_group(13);
	assert_true(g >= 0);
	c = xopen("/dev/vfio/vfio");
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_int_equal(st.flags, 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), -EPERM);
	/* The second function on vfio-pci too: viable. */
	to_vfio("0000:04:00.1");
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	close(g);
	close(c);
}

static void test_info_header_only_enospc(void **state)
{
	struct vfio_pci_hot_reset_info hdr = { .argsz = sizeof(hdr), .flags = 7, .count = 99 };
	struct held h;
	(void)state;

	to_vfio("0000:02:00.0");
	h = hold(11, "0000:02:00.0");
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hdr), -ENOSPC);
	assert_int_equal(hdr.count, 1);
	assert_int_equal(hdr.flags, 0);
	hdr.argsz = 11;
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hdr), -EINVAL);
	release(&h);
}

static void test_info_lone_e1000e(void **state)
{
	struct info info;
	struct held h;
	(void)state;

	to_vfio("0000:02:00.0");
	h = hold(11, "0000:02:00.0");
	assert_int_equal(hot_reset_info(h.device, &info), 0);
	assert_int_equal(info.hdr.flags, 0);
	assert_int_equal(info.hdr.count, 1);
	assert_entry(&info.dev[0], 2, 0, 0, 11);
	release(&h);
}

static void test_info_two_function(void **state)
{
	struct info info;
	struct held h;
	(void)state;

	to_vfio("0000:04:00.0");
	to_vfio("0000:04:00.1");
	h = hold(13, "0000:04:00.0");
	assert_int_equal(hot_reset_info(h.device, &info), 0);
	assert_int_equal(info.hdr.count, 2);
	assert_entry(&info.dev[0], 4, 0, 0, 13);
	assert_entry(&info.dev[1], 4, 0, 1, 13);
	release(&h);
}

static void test_info_behind_bridge(void **state)
{
	struct info info;
	struct held h;
	(void)state;

	to_vfio("0000:06:01.0");
	to_vfio("0000:06:02.0");
	h = hold(14, "0000:06:01.0");
	assert_int_equal(hot_reset_info(h.device, &info), 0);
	assert_int_equal(info.hdr.count, 2);
	assert_entry(&info.dev[0], 6, 1, 0, 14);
	assert_entry(&info.dev[1], 6, 2, 0, 14);
	release(&h);
}

/*
 * VFs made by `echo 2 > sriov_numvfs`, each in a group of its own. The PF
 * is on vfio-pci here: that takes its enable_sriov parameter.
 */
static void remake_vfs(void)
{
	assert_int_equal(attr_write("/sys/module/vfio_pci/parameters/enable_sriov", "Y\n"), 0);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "0"), 0);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "2"), 0);
	assert_true(path_exists("/sys/kernel/iommu_groups/17/devices/0000:01:10.0"));
	assert_true(path_exists("/sys/kernel/iommu_groups/18/devices/0000:01:10.2"));
}

static void test_info_vf(void **state)
{
	struct info info;
	struct held h;
	(void)state;

	remake_vfs();
	to_vfio("0000:01:10.0");
	h = hold(17, "0000:01:10.0");
	assert_int_equal(hot_reset_info(h.device, &info), 0);
	assert_int_equal(info.hdr.count, 3);
	assert_entry(&info.dev[0], 1, 0, 0, 10);
	assert_entry(&info.dev[1], 1, 0x10, 0, 17);
	assert_entry(&info.dev[2], 1, 0x10, 2, 18);
	/* The PF is on igb: not in the dev_set, so no fd array makes it resettable. */
	assert_int_equal(hot_reset(h.device, 1, &h.group), -EINVAL);
	release(&h);
}

/* The rtl8139 on the root bus: no bridge to reset it. */
static void test_root_bus_enodev(void **state)
{
	struct info info;
	struct held h;
	(void)state;

	to_vfio("0000:00:03.0");
	h = hold(8, "0000:00:03.0");
	assert_int_equal(hot_reset_info(h.device, &info), -ENODEV);
	assert_int_equal(hot_reset(h.device, 1, &h.group), -ENODEV);
	release(&h);
}

static void test_hot_reset_group_fds(void **state)
{
	struct mock *m = *state;
	struct vfio_pci_hot_reset bad = { .argsz = sizeof(bad), .flags = 1, .count = 1 };
	int fds[3], closed;
	struct held h;

	to_vfio("0000:04:00.0");
	to_vfio("0000:04:00.1");
	h = hold(13, "0000:04:00.0");
	/* Group-opened: at least one fd. */
	assert_int_equal(hot_reset(h.device, 0, NULL), -EINVAL);
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_PCI_HOT_RESET, &bad), -EINVAL);
	/* Only group files prove ownership. */
	assert_int_equal(hot_reset(h.device, 1, &h.container), -EINVAL);
	assert_int_equal(hot_reset(h.device, 1, &h.device), -EINVAL);
	closed = dup(h.group);
	close(closed);
	assert_int_equal(hot_reset(h.device, 1, &closed), -EBADF);
	/* No more fds than affected functions; duplicates are fine. */
	fds[0] = fds[1] = fds[2] = h.group;
	assert_int_equal(hot_reset(h.device, 3, fds), -EINVAL);
	assert_false(journal_has(m, "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok"));
	assert_int_equal(hot_reset(h.device, 2, fds), 0);
	assert_true(journal_has(m, "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok"));
	release(&h);
}

/* The VF case with the PF on vfio-pci too: every group must be proven. */
static void test_hot_reset_missing_group(void **state)
{
	struct mock *m = *state;
	int groups[3];
	struct held h;
	(void)state;

	/* Unbinding igb disables SR-IOV: the VFs come back under vfio-pci. */
	to_vfio("0000:01:00.0");
	remake_vfs();
	to_vfio("0000:01:10.0");
	to_vfio("0000:01:10.2");
	h = hold(17, "0000:01:10.0");
	groups[0] = open_group(10);
	groups[1] = h.group;
	groups[2] = open_group(18);
	assert_true(groups[0] >= 0 && groups[2] >= 0);
	assert_int_equal(hot_reset(h.device, 2, groups), -EINVAL);
	assert_int_equal(hot_reset(h.device, 2, groups + 1), -EINVAL);
	assert_int_equal(hot_reset(h.device, 3, groups), 0);
	assert_true(journal_has(m, "hot_reset 0000:01:10.0 0000:01:00.0,0000:01:10.0,0000:01:10.2 ok"));
	close(groups[0]);
	close(groups[2]);
	release(&h);
}

/* A fast emulated root port: the bus reset reports ENOTTY (its `bus` errno). */
static void test_hot_reset_errno(void **state)
{
	struct mock *m = *state;
	g_autofree char *devices = mock_path(m, ".vfr-mock/devices");
	g_autofree char *text = NULL, *edited = NULL;
	struct held h;

	assert_true(g_file_get_contents(devices, &text, NULL, NULL));
	/* The first line of a function wins: the new behaviour goes first. */
	edited = g_strconcat("0000:02:00.0 probed_reset_method=pm,bus reset_errno=bus:ENOTTY\n",
			     text, NULL);
	assert_true(g_file_set_contents(devices, edited, -1, NULL));
	to_vfio("0000:02:00.0");
	h = hold(11, "0000:02:00.0");
	assert_int_equal(hot_reset(h.device, 1, &h.group), -ENOTTY);
	assert_true(journal_has(m, "hot_reset 0000:02:00.0 0000:02:00.0 ENOTTY"));
	/* The function reset takes pm first and is not disturbed. */
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_RESET, NULL), 0);
	release(&h);
}

/*
 * The e1000e below 00:02.6, QEMU's root port at its default link settings:
 * INFO names it alone, the hot reset happens and still returns ENOTTY (the
 * link never reports active), and its function reset (pm) works.
 */
static void test_hot_reset_slow_link(void **state)
{
	struct mock *m = *state;
	struct info info;
	struct held h;

	to_vfio("0000:08:00.0");
	h = hold(16, "0000:08:00.0");
	assert_int_equal(hot_reset_info(h.device, &info), 0);
	assert_int_equal(info.hdr.count, 1);
	assert_entry(&info.dev[0], 8, 0, 0, 16);
	assert_int_equal(hot_reset(h.device, 1, &h.group), -ENOTTY);
	assert_true(journal_has(m, "hot_reset 0000:08:00.0 0000:08:00.0 ENOTTY"));
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_RESET, NULL), 0);
	assert_true(journal_has(m, "reset 0000:08:00.0 pm ok"));
	release(&h);
}

/* The harness's ioctl fault rules reach device files by "/dev/vfio/GROUP/ADDR". */
static void test_ioctl_fault(void **state)
{
	struct mock *m = *state;
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct held h;

	to_vfio("0000:02:00.0");
	h = hold(11, "0000:02:00.0");
	fault_add(m, "ioctl /dev/vfio/11/0000:02:00.0 errno=EIO times=1");
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_RESET, NULL), -EIO);
	assert_false(journal_has(m, "device_reset 0000:02:00.0"));
	assert_int_equal(xioctl(h.group, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_int_equal(xioctl(h.device, VFIO_DEVICE_RESET, NULL), 0);
	release(&h);
}

/* The kernel's unbind waits until the device's user lets go. */
static void test_unbind_waits_for_holder(void **state)
{
	struct mock *m = *state;
	int go[2], ready[2], status;
	pid_t holder, unbinder;
	char byte;

	to_vfio("0000:02:00.0");
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		struct held h = hold(11, "0000:02:00.0");

		if (write(ready[1], "y", 1) != 1 || read(go[0], &byte, 1) != 1)
			_exit(2);
		close(h.device); /* the group and container may stay */
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &byte, 1), 1);
	unbinder = fork();
	assert_true(unbinder >= 0);
	if (unbinder == 0)
		_exit(attr_write("/sys/bus/pci/drivers/vfio-pci/unbind", "0000:02:00.0") == 0 ? 0 : 1);
	wait_journal(m, "wait 0000:02:00.0 vfio-pci");
	assert_int_equal(waitpid(unbinder, &status, WNOHANG), 0);
	assert_true(path_exists(DEV "0000:02:00.0/driver"));
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(unbinder, &status, 0), unbinder);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(journal_has(m, "unbind 0000:02:00.0 vfio-pci"));
	assert_false(path_exists(DEV "0000:02:00.0/driver"));
	kill(holder, SIGKILL);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

/* cdev: bind to an iommufd, in the caller's process. */
static int bind_cdev(const char *addr, int iommufd, uint32_t *devid)
{
	g_autofree char *path = cdev_of(addr);
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = iommufd };
	int fd = xopen(path), r;

	assert_true(fd >= 0);
	r = xioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (r < 0) {
		close(fd);
		return r;
	}
	*devid = bind.out_devid;
	return fd;
}

static void test_cdev_bind_and_owned(void **state)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct vfio_pci_hot_reset_info hdr = { .argsz = sizeof(hdr) };
	g_autofree char *path = NULL;
	struct info info;
	uint32_t devid = 0;
	int g, iommufd, fd, c, sibling;
	(void)state;

	to_vfio("0000:04:00.0");
	to_vfio("0000:04:00.1");
	assert_true(path_exists("/dev/iommu"));
	path = cdev_of("0000:04:00.0");
	iommufd = xopen("/dev/iommu");
	assert_true(iommufd >= 0);
	g = open_group(13);
	assert_true(g >= 0);
	fd = xopen(path);
	assert_true(fd >= 0);
	/* Nothing but BIND_IOMMUFD before the bind. */
	assert_int_equal(xioctl(fd, VFIO_DEVICE_GET_INFO, &dinfo), -EINVAL);
	bind.iommufd = iommufd;
	assert_int_equal(xioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EBUSY);
	close(g);
	bind.iommufd = fd;
	assert_int_equal(xioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EBADFD);
	bind.iommufd = iommufd;
	assert_int_equal(xioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
	assert_int_equal(bind.out_devid, 1);
	assert_int_equal(xioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind), -EINVAL);
	/* Bound through the cdev: the group cannot be opened. */
	assert_int_equal(open_group(13), -EBUSY);

	assert_int_equal(xioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hdr), -ENOSPC);
	assert_int_equal(hdr.count, 2);
	assert_int_equal(hdr.flags, 0);
	assert_int_equal(hot_reset_info(fd, &info), 0);
	assert_int_equal(info.hdr.flags,
			 VFIO_PCI_HOT_RESET_FLAG_DEV_ID | VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	assert_int_equal(info.hdr.count, 2);
	assert_entry(&info.dev[0], 4, 0, 0, 1);
	assert_entry(&info.dev[1], 4, 0, 1, VFIO_PCI_DEVID_OWNED);
	/* cdev-opened: exactly no fds. */
	c = xopen("/dev/vfio/vfio");
	assert_int_equal(hot_reset(fd, 1, &c), -EINVAL);
	assert_int_equal(hot_reset(fd, 0, NULL), 0);
	close(c);

	/* The sibling bound in the same context gets the next devid. */
	sibling = bind_cdev("0000:04:00.1", iommufd, &devid);
	assert_true(sibling >= 0);
	assert_int_equal(devid, 2);
	assert_int_equal(hot_reset_info(fd, &info), 0);
	assert_entry(&info.dev[1], 4, 0, 1, 2);
	close(sibling);
	close(fd);
	close(iommufd);
}

static void test_cdev_vf_not_owned(void **state)
{
	struct info info;
	uint32_t devid = 0;
	int iommufd, fd;
	(void)state;

	remake_vfs();
	to_vfio("0000:01:10.0");
	iommufd = xopen("/dev/iommu");
	fd = bind_cdev("0000:01:10.0", iommufd, &devid);
	assert_true(fd >= 0);
	assert_int_equal(devid, 1);
	assert_int_equal(hot_reset_info(fd, &info), 0);
	assert_int_equal(info.hdr.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID);
	assert_int_equal(info.hdr.count, 3);
	assert_entry(&info.dev[0], 1, 0, 0, NOT_OWNED);
	assert_entry(&info.dev[1], 1, 0x10, 0, 1);
	assert_entry(&info.dev[2], 1, 0x10, 2, NOT_OWNED);
	assert_int_equal(hot_reset(fd, 0, NULL), -EINVAL);
	close(fd);
	close(iommufd);
}

/* Another iommufd is another context: its devices are not this one's. */
static void test_cdev_other_context(void **state)
{
	struct info info;
	uint32_t devid = 0;
	int a, b, fa, fb;
	(void)state;

	remake_vfs();
	to_vfio("0000:01:10.0");
	to_vfio("0000:01:10.2");
	a = xopen("/dev/iommu");
	b = xopen("/dev/iommu");
	fa = bind_cdev("0000:01:10.0", a, &devid);
	assert_true(fa >= 0);
	assert_int_equal(devid, 1);
	fb = bind_cdev("0000:01:10.2", b, &devid);
	assert_true(fb >= 0);
	assert_int_equal(devid, 1); /* ids count per context */
	assert_int_equal(hot_reset_info(fa, &info), 0);
	assert_int_equal(info.hdr.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID);
	assert_entry(&info.dev[1], 1, 0x10, 0, 1);
	assert_entry(&info.dev[2], 1, 0x10, 2, NOT_OWNED);
	close(fb);
	/* In the caller's context instead, the other VF has its id there. */
	fb = bind_cdev("0000:01:10.2", a, &devid);
	assert_true(fb >= 0);
	assert_int_equal(devid, 2);
	assert_int_equal(hot_reset_info(fa, &info), 0);
	assert_entry(&info.dev[2], 1, 0x10, 2, 2);
	close(fb);
	close(fa);
	close(a);
	close(b);
}

/* One IOMMU group, one context: the sibling cannot be bound to another iommufd. */
static void test_cdev_group_one_context(void **state)
{
	uint32_t devid = 0;
	int a, b, fa;
	(void)state;

	to_vfio("0000:04:00.0");
	to_vfio("0000:04:00.1");
	a = xopen("/dev/iommu");
	b = xopen("/dev/iommu");
	fa = bind_cdev("0000:04:00.0", a, &devid);
	assert_true(fa >= 0);
	assert_int_equal(bind_cdev("0000:04:00.1", b, &devid), -EBUSY);
	close(fa);
	fa = bind_cdev("0000:04:00.1", b, &devid);
	assert_true(fa >= 0);
	close(fa);
	close(a);
	close(b);
}

static void test_cdev_ioas_attach(void **state)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	uint32_t devid = 0;
	int iommufd, fd;
	(void)state;

	to_vfio("0000:02:00.0");
	iommufd = xopen("/dev/iommu");
	assert_int_equal(xioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc), 0);
	assert_int_equal(alloc.out_ioas_id, 1);
	fd = bind_cdev("0000:02:00.0", iommufd, &devid);
	assert_true(fd >= 0);
	assert_int_equal(devid, 2); /* one id space per context */
	at.pt_id = 99;
	assert_int_equal(xioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -ENOENT);
	at.pt_id = alloc.out_ioas_id;
	assert_int_equal(xioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	assert_int_equal(at.pt_id, 3); /* the IOAS's automatic page table */
	destroy.id = alloc.out_ioas_id;
	assert_int_equal(xioctl(iommufd, IOMMU_DESTROY, &destroy), -EBUSY);
	assert_int_equal(xioctl(fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	assert_int_equal(xioctl(iommufd, IOMMU_DESTROY, &destroy), 0);
	assert_int_equal(xioctl(iommufd, IOMMU_DESTROY, &destroy), -ENOENT);
	close(fd);
	close(iommufd);
}

/* Without CONFIG_IOMMUFD the nodes are not there, and what is there has no ioctls. */
static void test_no_cdev_on_group_kernels(void **state)
{
	(void)state;

	to_vfio("0000:02:00.0");
	assert_false(path_exists("/dev/iommu"));
	assert_false(path_exists("/dev/vfio/devices"));
}

/* The bridge on shpchp makes the group behind it non-viable until it is unbound. */
static void test_shpchp_bridge_non_viable(void **state)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int g, c;
	(void)state;

	to_vfio("0000:06:01.0");
	to_vfio("0000:06:02.0");
	g = open_group(14);
	assert_true(g >= 0);
	c = xopen("/dev/vfio/vfio");
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_int_equal(st.flags, 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), -EPERM);
	assert_int_equal(attr_write("/sys/bus/pci/drivers/shpchp/unbind", "0000:05:00.0"), 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	close(g);
	close(c);
}

/* A bound cdev held by a process that dies: the unbind waits, then goes on. */
static void test_unbind_waits_for_cdev_holder(void **state)
{
	struct mock *m = *state;
	int ready[2], status;
	pid_t holder, unbinder;
	char byte;

	to_vfio("0000:02:00.0");
	assert_int_equal(pipe(ready), 0);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		uint32_t devid;
		int iommufd = xopen("/dev/iommu");

		if (bind_cdev("0000:02:00.0", iommufd, &devid) < 0 || write(ready[1], "y", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &byte, 1), 1);
	unbinder = fork();
	assert_true(unbinder >= 0);
	if (unbinder == 0)
		_exit(attr_write("/sys/bus/pci/drivers/vfio-pci/unbind", "0000:02:00.0") == 0 ? 0 : 1);
	wait_journal(m, "wait 0000:02:00.0 vfio-pci");
	assert_int_equal(waitpid(unbinder, &status, WNOHANG), 0);
	assert_int_equal(kill(holder, SIGKILL), 0);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_int_equal(waitpid(unbinder, &status, 0), unbinder);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_false(path_exists("/dev/vfio/devices/vfio0"));
	close(ready[0]);
	close(ready[1]);
}

/* A function's line in .vfr-mock/devices: the first line of a function wins. */
static void behaviour_first(const struct mock *m, const char *line)
{
	g_autofree char *devices = mock_path(m, ".vfr-mock/devices");
	g_autofree char *text = NULL, *edited = NULL;

	assert_true(g_file_get_contents(devices, &text, NULL, NULL));
	edited = g_strconcat(line, "\n", text, NULL);
	assert_true(g_file_set_contents(devices, edited, -1, NULL));
}

/*
 * Blocks until the journal has @line (inotify); fails instead of waiting
 * forever when @returned (the read end of a pipe the process writes to
 * once its call is back) becomes readable first: the call did not block.
 */
static void wait_blocked(const struct mock *m, const char *line, int returned)
{
	g_autofree char *journal = mock_path(m, ".vfr-mock/journal");
	char events[4096];
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, journal, IN_MODIFY) >= 0);
	while (!journal_has(m, line)) {
		struct pollfd p[2] = { { .fd = in, .events = POLLIN },
				       { .fd = returned, .events = POLLIN } };

		assert_true(poll(p, 2, -1) > 0);
		if (p[1].revents && !journal_has(m, line))
			fail_msg("the call returned without '%s' in the journal", line);
		while (read(in, events, sizeof(events)) > 0)
			;
	}
	close(in);
}

static void assert_killed(pid_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/*
 * pci_reset_bus() only tries the device locks of the functions it resets:
 * one of them in the middle of its own reset (a sysfs reset that hangs
 * holds 04:00.1's lock) makes the hot reset fail with EAGAIN at once.
 */
static void test_hot_reset_eagain_mid_reset(void **state)
{
	struct mock *m = *state;
	const char *ok = "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok";
	int returned[2];
	pid_t resetter;
	struct held h;

	behaviour_first(m, "0000:04:00.1 probed_reset_method=pm reset_hang=pm");
	to_vfio("0000:04:00.0");
	to_vfio("0000:04:00.1");
	assert_int_equal(pipe(returned), 0);
	resetter = fork();
	assert_true(resetter >= 0);
	if (resetter == 0) {
		int r = attr_write(DEV "0000:04:00.1/reset", "1");

		_exit(write(returned[1], "r", 1) == 1 && r == 0 ? 0 : 1);
	}
	close(returned[1]);
	wait_blocked(m, "reset 0000:04:00.1 pm hang", returned[0]);

	h = hold(13, "0000:04:00.0");
	assert_int_equal(hot_reset(h.device, 1, &h.group), -EAGAIN);
	assert_true(journal_has(m, "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 EAGAIN"));
	assert_false(journal_has(m, ok));
	/* The lock goes with the process stuck in the reset; then the bus resets. */
	assert_killed(resetter);
	assert_int_equal(hot_reset(h.device, 1, &h.group), 0);
	assert_true(journal_has(m, ok));
	release(&h);
	close(returned[0]);
}

/*
 * The bus reset itself hangs (reset_hang=bus): the caller of
 * VFIO_DEVICE_PCI_HOT_RESET blocks in the ioctl with its group open, the
 * rest of the kernel goes on, and killing the caller lets the group go.
 */
static void test_hot_reset_hang(void **state)
{
	struct mock *m = *state;
	const char *hang = "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 hang";
	int returned[2], status;
	pid_t vmm;
	struct held h;

	behaviour_first(m, "0000:04:00.0 probed_reset_method=pm stale_reset_method=bus "
			   "reset_hang=bus");
	to_vfio("0000:04:00.0");
	to_vfio("0000:04:00.1");
	assert_int_equal(pipe(returned), 0);
	vmm = fork();
	assert_true(vmm >= 0);
	if (vmm == 0) {
		struct held c = hold(13, "0000:04:00.0");
		int r = hot_reset(c.device, 1, &c.group);

		_exit(write(returned[1], "r", 1) == 1 && r == 0 ? 0 : 1);
	}
	close(returned[1]);
	wait_blocked(m, hang, returned[0]);
	assert_int_equal(waitpid(vmm, &status, WNOHANG), 0);
	assert_false(journal_has(m, "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok"));
	/* Only the bus is stuck: other functions can still be rebound. */
	to_vfio("0000:02:00.0");
	/* The stuck process still holds group 13. */
	assert_int_equal(open_group(13), -EBUSY);

	assert_killed(vmm);
	assert_true(path_exists(DEV "0000:04:00.0/vfio-dev"));
	behaviour_first(m, "0000:04:00.0 probed_reset_method=pm stale_reset_method=bus");
	h = hold(13, "0000:04:00.0");
	assert_int_equal(hot_reset(h.device, 1, &h.group), 0);
	assert_true(journal_has(m, "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok"));
	release(&h);
	close(returned[0]);
}

/* Each case on its own tree: the q35 host with group files only, or with cdevs too. */
#define T(fn) MOCK_CASE(fn, setup, teardown, .fixture = "qemu-q35.ini")
#define C(fn) MOCK_CASE(fn, setup, teardown, .fixture = "qemu-q35-cdev.ini")

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		T(test_container),
		T(test_group_lifecycle),
		T(test_device_info_and_reset),
		T(test_stale_bus_no_reset_flag),
		T(test_second_open_ebusy),
		T(test_dup_shares_the_file),
		T(test_partial_binding_eperm),
		T(test_info_header_only_enospc),
		T(test_info_lone_e1000e),
		T(test_info_two_function),
		T(test_info_behind_bridge),
		T(test_info_vf),
		T(test_root_bus_enodev),
		T(test_hot_reset_group_fds),
		T(test_hot_reset_missing_group),
		T(test_hot_reset_errno),
		T(test_hot_reset_slow_link),
		T(test_ioctl_fault),
		T(test_unbind_waits_for_holder),
		T(test_no_cdev_on_group_kernels),
		T(test_hot_reset_eagain_mid_reset),
		T(test_hot_reset_hang),
		C(test_cdev_bind_and_owned),
		C(test_cdev_vf_not_owned),
		C(test_cdev_other_context),
		C(test_cdev_group_one_context),
		C(test_cdev_ioas_attach),
		C(test_shpchp_bridge_non_viable),
		C(test_unbind_waits_for_cdev_holder),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
