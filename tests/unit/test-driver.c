/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "device-private.h"

static void test_classify(void **state)
{
	assert_int_equal(driver_classify(NULL, false), VFR_DRIVER_NONE);
	assert_int_equal(driver_classify("vfio-pci", true), VFR_DRIVER_VFIO_PCI);
	assert_int_equal(driver_classify("mlx5_vfio_pci", true), VFR_DRIVER_VFIO_VARIANT);
	/* Without the kernel's vfio-dev word, a "vfio" name is not taken on trust. */
	assert_int_equal(driver_classify("mlx5_vfio_pci", false), VFR_DRIVER_HOST);
	assert_int_equal(driver_classify("pci-stub", false), VFR_DRIVER_PCI_STUB);
	assert_int_equal(driver_classify("pciback", false), VFR_DRIVER_XEN_PCIBACK);
	assert_int_equal(driver_classify("e1000e", false), VFR_DRIVER_HOST);
}

static void test_names(void **state)
{
	static const char *const want[] = { "none", "host", "vfio-pci", "vfio-variant",
					     "pci-stub", "xen-pciback" };

	for (int i = 0; i <= VFR_DRIVER_XEN_PCIBACK; i++)
		assert_string_equal(vfr_driver_type_to_string((enum vfr_driver_type)i), want[i]);
	assert_null(vfr_driver_type_to_string((enum vfr_driver_type)42));
	assert_string_equal(vfr_header_type_to_string(VFR_HEADER_CARDBUS), "cardbus");
	assert_null(vfr_header_type_to_string((enum vfr_header_type)42));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("driver", tests, NULL, NULL);
}
