/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs under vfr-preload.so: kernel rules the simulation once had wrong,
 * held to what the kernel does (doc/kernel-behaviour.md).
 *
 * - pci-pf-stub does not set driver_managed_dma: a group with a member on
 *   it is not viable (VFIO_GROUP_GET_STATUS without VIABLE).
 * - A group that is not viable cannot be claimed through a cdev either:
 *   VFIO_DEVICE_BIND_IOMMUFD fails with EPERM, as on the cdev kernel.
 * - vfio-pci cannot register a function that is in no IOMMU group (no
 *   noiommu): bind fails with EINVAL, drivers_probe leaves it unbound.
 * - Nor a bridge: vfio_pci_core_register_device() takes header type 0
 *   only, so a root port given to vfio-pci stays unbound (EINVAL).
 */
#include "test-tree.h"

#include <linux/vfio.h>
#include <sys/ioctl.h>

#include "preload/vfio-uapi.h"

#define DEV "/sys/bus/pci/devices/"

#define HOST                                                                                  \
	"[driver vfio-pci]\n"                                                                 \
	"[driver pci-pf-stub]\n"                                                              \
	"[driver pci-stub]\n"                                                                 \
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"  \
	"iommu_group=1\n"                                                                     \
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"              \
	"driver=vfio-pci\niommu_group=2\ncaps=pm,msi,msix\n"                                  \
	"[device 0000:01:00.1]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"              \
	"driver=pci-pf-stub\niommu_group=2\ncaps=pm,msi,msix\n"                               \
	"[device 0000:00:1d.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"  \
	"iommu_group=3\n"                                                                     \
	"[device 0000:02:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1d.0\n"              \
	"driver=vfio-pci\niommu_group=4\ncaps=pm,msi,msix\n"                                  \
	"[device 0000:02:00.1]\nvendor=8086\ndevice=10d3\nparent=0000:00:1d.0\n"              \
	"driver=pci-stub\niommu_group=4\ncaps=pm,msi,msix\n"                                  \
	"[device 0000:00:03.0]\nkind=pci-endpoint\nvendor=1af4\ndevice=1041\n"                \
	"driver=virtio-pci\ncaps=msix\n"                                                      \
	"[device 0000:00:04.0]\nkind=pci-endpoint\nvendor=1af4\ndevice=1041\ncaps=msix\n"

static int setup(void **state)
{
	*state = tree_new(HOST);
	return 0;
}

/* The group's VIABLE flag, from a process that opens it as a VMM would. */
static bool group_viable(int group)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(ioctl(fd, VFIO_GROUP_GET_STATUS, &status), 0);
	close(fd);
	return status.flags & VFIO_GROUP_FLAGS_VIABLE;
}

/* VFIO_DEVICE_BIND_IOMMUFD of the cdev vfioN to a new context: 0 or -errno. */
static int cdev_bind(int index)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char path[64];
	int dev, ictx, r;

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%d", index);
	dev = open(path, O_RDWR | O_CLOEXEC);
	ictx = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (dev < 0 || ictx < 0)
		fail_msg("%s or /dev/iommu: %s", path, strerror(errno));
	bind.iommufd = ictx;
	r = ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0 ? -errno : 0;
	close(dev);
	close(ictx);
	return r;
}

static void test_pf_stub_not_viable(void **state)
{
	struct tree *t = *state;

	(void)t;
	assert_false(group_viable(2)); /* 01:00.1 on pci-pf-stub */
	assert_true(group_viable(4));  /* 02:00.1 on pci-stub */
	assert_int_equal(cdev_bind(0), -EPERM); /* 01:00.0, the first on vfio-pci */
	assert_int_equal(cdev_bind(1), 0);	 /* 02:00.0 */
	/* Unbound, the member no longer owns the group's DMA. */
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers/pci-pf-stub/unbind", "0000:01:00.1"),
			 0);
	assert_true(group_viable(2));
	assert_int_equal(cdev_bind(0), 0);
}

static void test_vfio_needs_a_group(void **state)
{
	struct tree *t = *state;
	g_autofree char *driver = NULL;

	/* The managed way: override, unbind, probe. The probe fails; nothing is bound. */
	assert_int_equal(sysfs_write(DEV "0000:00:03.0/driver_override", "vfio-pci"), 0);
	assert_int_equal(sysfs_write(DEV "0000:00:03.0/driver/unbind", "0000:00:03.0"), 0);
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers_probe", "0000:00:03.0"), 0);
	assert_false(exists(DEV "0000:00:03.0/driver"));
	assert_false(exists(DEV "0000:00:03.0/vfio-dev"));
	assert_true(tree_journal_has(t, "bind 0000:00:03.0 vfio-pci EINVAL"));
	assert_true(tree_journal_has(t, "drivers_probe 0000:00:03.0 -"));
	/* The direct way: the probe's errno reaches the writer. */
	assert_int_equal(sysfs_write(DEV "0000:00:04.0/driver_override", "vfio-pci"), 0);
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:04.0"),
			 -EINVAL);
	assert_false(exists(DEV "0000:00:04.0/driver"));
	/* A function in a group binds as before. */
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers/vfio-pci/unbind", "0000:02:00.0"), 0);
	assert_int_equal(sysfs_write(DEV "0000:02:00.0/driver_override", "vfio-pci"), 0);
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers/vfio-pci/bind", "0000:02:00.0"), 0);
	driver = link_name(DEV "0000:02:00.0/driver");
	assert_string_equal(driver, "vfio-pci");
}

static void test_vfio_refuses_bridges(void **state)
{
	struct tree *t = *state;

	assert_int_equal(sysfs_write(DEV "0000:00:1d.0/driver_override", "vfio-pci"), 0);
	assert_int_equal(sysfs_write(DEV "0000:00:1d.0/driver/unbind", "0000:00:1d.0"), 0);
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:1d.0"),
			 -EINVAL);
	assert_false(exists(DEV "0000:00:1d.0/driver"));
	assert_false(exists(DEV "0000:00:1d.0/vfio-dev"));
	assert_true(tree_journal_has(t, "bind 0000:00:1d.0 vfio-pci EINVAL"));
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers_probe", "0000:00:1d.0"), 0);
	assert_false(exists(DEV "0000:00:1d.0/driver"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pf_stub_not_viable, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_vfio_needs_a_group, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_vfio_refuses_bridges, setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
