/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure path logic of the sysfs layer: link targets never lead outside the root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sysfs.h"

static void test_resolve(void **state)
{
	char buf[256];

	assert_int_equal(sysfs_resolve_link("bus/pci/devices",
					    "../../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0",
					    buf, sizeof(buf)), 0);
	assert_string_equal(buf, "devices/pci0000:00/0000:00:1c.0/0000:01:00.0");

	assert_int_equal(sysfs_resolve_link("devices/pci0000:00/0000:00:1c.0/0000:01:00.0",
					    "../../../../bus/pci/drivers/e1000e", buf,
					    sizeof(buf)), 0);
	assert_string_equal(buf, "bus/pci/drivers/e1000e");

	assert_int_equal(sysfs_resolve_link("devices/pci0000:00/0000:00:02.0", "./../0000:00:02.1",
					    buf, sizeof(buf)), 0);
	assert_string_equal(buf, "devices/pci0000:00/0000:00:02.1");
}

static void test_resolve_refuses_escape(void **state)
{
	char buf[256] = "untouched";

	assert_int_equal(sysfs_resolve_link("bus/pci/devices", "../../../../etc", buf, sizeof(buf)),
			 -EXDEV);
	assert_int_equal(sysfs_resolve_link("bus/pci/devices", "/sys/devices/x", buf, sizeof(buf)),
			 -EXDEV);
	assert_int_equal(sysfs_resolve_link("bus", "", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(sysfs_resolve_link("a/b", "../../../a/b", buf, sizeof(buf)), -EXDEV);
	assert_int_equal(sysfs_resolve_link("a", "b/c/d/e/f", buf, 4), -ENAMETOOLONG);
}

static void test_basename(void **state)
{
	assert_string_equal(sysfs_basename("bus/pci/drivers/vfio-pci"), "vfio-pci");
	assert_string_equal(sysfs_basename("vfio-pci"), "vfio-pci");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_refuses_escape),
		cmocka_unit_test(test_basename),
	};

	return cmocka_run_group_tests_name("sysfs-path", tests, NULL, NULL);
}
