/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driver classification and variant ranking: the pure decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "device-private.h"
#include "modindex.h"
#include "variant-private.h"

static enum vfr_driver_type classify(const char *driver, bool vfio_dev, bool mechanism, int alias,
				     enum vfr_driver_type_source *source)
{
	struct driver_evidence e = {
		.driver = driver, .has_vfio_dev = vfio_dev, .vfio_dev_mechanism = mechanism,
		.alias_match = alias,
	};

	return driver_classify(&e, source);
}

static void test_classify(void **state)
{
	enum vfr_driver_type_source s;

	assert_int_equal(classify(NULL, false, true, -1, &s), VFR_DRIVER_NONE);
	assert_int_equal(s, VFR_DRIVER_SOURCE_NONE);
	assert_int_equal(classify("vfio-pci", true, true, -1, &s), VFR_DRIVER_VFIO_PCI);
	assert_int_equal(s, VFR_DRIVER_SOURCE_NAME);
	assert_int_equal(classify("pci-stub", false, false, -1, &s), VFR_DRIVER_PCI_STUB);
	assert_int_equal(classify("pciback", false, false, -1, &s), VFR_DRIVER_XEN_PCIBACK);

	/* vfio-dev decides, present or (where the kernel has it) absent. */
	assert_int_equal(classify("mlx5_vfio_pci", true, true, -1, &s), VFR_DRIVER_VFIO_VARIANT);
	assert_int_equal(s, VFR_DRIVER_SOURCE_VFIO_DEV);
	assert_int_equal(classify("fake_vfio_name", false, true, 1, &s), VFR_DRIVER_HOST);
	assert_int_equal(s, VFR_DRIVER_SOURCE_VFIO_DEV);

	/* Before 6.1: the module alias, then the name as a flagged guess. */
	assert_int_equal(classify("hisi_acc_vfio_pci", false, false, 1, &s),
			 VFR_DRIVER_VFIO_VARIANT);
	assert_int_equal(s, VFR_DRIVER_SOURCE_MODULE_ALIAS);
	assert_int_equal(classify("e1000e", false, false, 0, &s), VFR_DRIVER_HOST);
	assert_int_equal(s, VFR_DRIVER_SOURCE_MODULE_ALIAS);
	assert_int_equal(classify("mlx5_vfio_pci", false, false, -1, &s), VFR_DRIVER_VFIO_VARIANT);
	assert_int_equal(s, VFR_DRIVER_SOURCE_HEURISTIC);
	assert_int_equal(classify("e1000e", false, false, -1, &s), VFR_DRIVER_HOST);
	assert_int_equal(s, VFR_DRIVER_SOURCE_HEURISTIC);
}

static void test_names(void **state)
{
	static const char *const want[] = { "none", "host", "vfio-pci", "vfio-variant",
					     "pci-stub", "xen-pciback" };
	static const char *const sources[] = { "none", "name", "vfio-dev", "module-alias",
					       "heuristic" };

	for (int i = 0; i <= VFR_DRIVER_XEN_PCIBACK; i++)
		assert_string_equal(vfr_driver_type_to_string((enum vfr_driver_type)i), want[i]);
	for (int i = 0; i <= VFR_DRIVER_SOURCE_HEURISTIC; i++)
		assert_string_equal(
			vfr_driver_type_source_to_string((enum vfr_driver_type_source)i), sources[i]);
	assert_null(vfr_driver_type_to_string((enum vfr_driver_type)42));
	assert_null(vfr_driver_type_source_to_string((enum vfr_driver_type_source)42));
	assert_string_equal(vfr_header_type_to_string(VFR_HEADER_CARDBUS), "cardbus");
	assert_null(vfr_header_type_to_string((enum vfr_header_type)42));
}

static void test_specificity(void **state)
{
	unsigned int w, l, w2, l2;

	alias_specificity("vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*", &w, &l);
	assert_int_equal(w, 5);
	alias_specificity("vfio_pci:v*d*sv*sd*bc*sc*i*", &w, &l);
	assert_int_equal(w, 7);
	alias_specificity("vfio_pci:v0000[01]5B3d*", &w, &l);
	assert_int_equal(w, 2);
	/* Same number of wildcards, more literal text: more specific. */
	alias_specificity("vfio_pci:v000015B3d0000101E*", &w, &l);
	alias_specificity("vfio_pci:v000015B3d*", &w2, &l2);
	assert_int_equal(w, w2);
	assert_true(l > l2);
}

static struct variant_candidate *cand(const char *module, const char *alias)
{
	struct variant_candidate *c = g_new0(struct variant_candidate, 1);

	c->module = g_strdup(module);
	c->alias = g_strdup(alias);
	if (alias)
		alias_specificity(alias, &c->wildcards, &c->literals);
	return c;
}

static void test_rank(void **state)
{
	g_autoptr(GPtrArray) list =
		g_ptr_array_new_with_free_func((GDestroyNotify)variant_candidate_free);
	const struct variant_candidate *c;

	g_ptr_array_add(list, cand("vfio_pci", "vfio_pci:v*d*sv*sd*bc*sc*i*"));
	g_ptr_array_add(list, cand("vendor_any", "vfio_pci:v000015B3d*sv*sd*bc*sc*i*"));
	g_ptr_array_add(list, cand("unreadable", NULL));
	g_ptr_array_add(list, cand("twin_b", "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"));
	g_ptr_array_add(list, cand("twin_a", "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"));
	variant_rank(list);

	c = list->pdata[0];
	assert_string_equal(c->module, "twin_a");
	assert_true(c->tie);
	c = list->pdata[1];
	assert_string_equal(c->module, "twin_b");
	assert_true(c->tie);
	c = list->pdata[2];
	assert_string_equal(c->module, "vendor_any");
	assert_false(c->tie);
	c = list->pdata[3];
	assert_string_equal(c->module, "unreadable");
	c = list->pdata[4];
	assert_string_equal(c->module, "vfio_pci");
	assert_false(c->tie);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_specificity),
		cmocka_unit_test(test_rank),
	};

	return cmocka_run_group_tests_name("driver", tests, NULL, NULL);
}
