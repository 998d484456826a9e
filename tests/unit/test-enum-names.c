/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The enum name tables: every name parses back to its value, and no two collide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "enum-names.h"

static const struct {
	const char *what;
	const struct enum_name *table;
	int n; /* values 0..n-1, every one named */
} tables[] = {
	{ "driver type", enum_names_driver_type, 6 },
	{ "driver type source", enum_names_driver_type_source, 5 },
	{ "header type", enum_names_header_type, 4 },
	{ "hot reset mode", enum_names_hot_reset_mode, 2 },
	{ "hot reset state", enum_names_hot_reset_state, 3 },
	{ "hot reset reason", enum_names_hot_reset_reason, 10 },
	{ "reset policy", enum_names_reset_policy, 3 },
	{ "reset mechanism", enum_names_reset_mechanism, 3 },
	{ "reset outcome", enum_names_reset_outcome, 6 },
};

static void test_both_directions(void **state)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const struct enum_name *table = tables[t].table;
		int n = 0;

		for (const struct enum_name *e = table; e->name; e++, n++) {
			int value = -1;

			assert_int_equal(enum_from_string(table, e->name, &value), 0);
			assert_int_equal(value, e->value);
			assert_string_equal(enum_to_string(table, value), e->name);
			for (const struct enum_name *o = e + 1; o->name; o++) {
				assert_int_not_equal(o->value, e->value);
				assert_true(strcmp(o->name, e->name) != 0);
			}
		}
		assert_int_equal(n, tables[t].n);
		for (int v = 0; v < tables[t].n; v++)
			assert_non_null(enum_to_string(table, v));
		assert_null(enum_to_string(table, tables[t].n));
		assert_null(enum_to_string(table, -1));
	}
}

static void test_parse_is_exact(void **state)
{
	int value = 42;

	assert_int_equal(enum_from_string(enum_names_reset_policy, "Strict", &value), -EINVAL);
	assert_int_equal(enum_from_string(enum_names_reset_policy, "", &value), -EINVAL);
	assert_int_equal(enum_from_string(enum_names_reset_policy, "strict ", &value), -EINVAL);
	assert_int_equal(enum_from_string(enum_names_reset_policy, NULL, &value), -EINVAL);
	assert_int_equal(value, 42);
}

/* The public functions answer from the same tables. */
static void test_public_functions(void **state)
{
	enum vfr_reset_policy policy = VFR_RESET_SKIP;

	assert_string_equal(vfr_driver_type_to_string(VFR_DRIVER_VFIO_VARIANT), "vfio-variant");
	assert_string_equal(vfr_driver_type_source_to_string(VFR_DRIVER_SOURCE_MODULE_ALIAS),
			    "module-alias");
	assert_string_equal(vfr_header_type_to_string(VFR_HEADER_CARDBUS), "cardbus");
	assert_string_equal(vfr_hot_reset_mode_to_string(VFR_HOT_RESET_MODE_CDEV), "cdev");
	assert_string_equal(vfr_hot_reset_state_to_string(VFR_HOT_RESET_STATE_BLOCKER), "blocker");
	assert_string_equal(vfr_hot_reset_reason_to_string(VFR_HOT_RESET_REASON_WRONG_FD_ARRAY),
			    "wrong-fd-array");
	assert_string_equal(vfr_reset_mechanism_to_string(VFR_RESET_MECH_VFIO_HOT), "vfio-hot-reset");
	assert_string_equal(vfr_reset_outcome_to_string(VFR_RESET_OUTCOME_SKIPPED), "skipped");
	assert_null(vfr_reset_outcome_to_string((enum vfr_reset_outcome)99));
	assert_int_equal(vfr_reset_policy_from_string("no-strict", &policy), 0);
	assert_int_equal(policy, VFR_RESET_NO_STRICT);
	assert_string_equal(vfr_reset_policy_to_string(policy), "no-strict");
	assert_int_equal(vfr_reset_policy_from_string("nostrict", &policy), -EINVAL);
	assert_int_equal(policy, VFR_RESET_NO_STRICT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_parse_is_exact),
		cmocka_unit_test(test_public_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
