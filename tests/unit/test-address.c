/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <vfioreset/vfioreset.h>

static void check_ok(const char *text, uint32_t domain, uint8_t bus, uint8_t slot, uint8_t fn,
		     const char *canonical)
{
	struct vfr_address a = { 0 };
	char buf[VFR_ADDRESS_STRLEN];

	assert_int_equal(vfr_address_parse(text, &a, NULL), 0);
	assert_int_equal(a.domain, domain);
	assert_int_equal(a.bus, bus);
	assert_int_equal(a.slot, slot);
	assert_int_equal(a.function, fn);
	assert_int_equal(vfr_address_format(&a, buf, sizeof(buf)), (int)strlen(canonical));
	assert_string_equal(buf, canonical);
}

static void test_parse_valid(void **state)
{
	check_ok("0000:01:00.0", 0, 1, 0, 0, "0000:01:00.0");
	check_ok("01:00.1", 0, 1, 0, 1, "0000:01:00.1");
	check_ok("0000:ff:1f.7", 0, 0xff, 0x1f, 7, "0000:ff:1f.7");
	/* VMD domains need five digits. */
	check_ok("10000:e0:06.0", 0x10000, 0xe0, 6, 0, "10000:e0:06.0");
	check_ok("ffffffff:00:00.0", 0xffffffff, 0, 0, 0, "ffffffff:00:00.0");
	check_ok("0000:3B:00.1", 0, 0x3b, 0, 1, "0000:3b:00.1");
}

static void check_bad(const char *text, const char *needle)
{
	struct vfr_address a = { .domain = 0x1234, .bus = 0x56 };
	struct vfr_error *err = NULL;

	assert_int_equal(vfr_address_parse(text, &a, &err), -EINVAL);
	assert_non_null(err);
	assert_int_equal(vfr_error_get_code(err), -EINVAL);
	/* The message quotes the input and says what is wrong. */
	if (text)
		assert_non_null(strstr(vfr_error_get_message(err), text));
	assert_non_null(strstr(vfr_error_get_message(err), needle));
	/* Untouched on failure. */
	assert_int_equal(a.domain, 0x1234);
	assert_int_equal(a.bus, 0x56);
	vfr_error_free(err);
}

static void test_parse_invalid(void **state)
{
	check_bad(NULL, "no PCI address");
	check_bad("", "bus");
	check_bad("0000:01:00", "followed by '.'");
	check_bad("0000:01:00.8", "above 7");
	check_bad("0000:01:20.0", "above 1f");
	check_bad("0000:1:00.0", "bus");
	check_bad("000:01:00.0", "domain");
	check_bad("123456789:01:00.0", "domain");
	check_bad("0000:01:00.0 ", "function");
	check_bad(" 0000:01:00.0", "domain");
	check_bad("0x00:01:00.0", "domain");
	check_bad("0000:01:00.0:", "function");
	check_bad("0000:01:00.a", "function");
	check_bad("0000:g1:00.0", "bus");
	check_bad("0000-01-00.0", "bus");
	check_bad("0000:01:000.0", "device");
}

static void test_format_small_buffer(void **state)
{
	struct vfr_address a = { .domain = 0x10000, .bus = 1 };
	char buf[8];

	assert_int_equal(vfr_address_format(&a, buf, sizeof(buf)), -ENOSPC);
	a.function = 9;
	assert_int_equal(vfr_address_format(&a, buf, sizeof(buf)), -EINVAL);
}

static void test_compare(void **state)
{
	struct vfr_address a = { .domain = 0, .bus = 2, .slot = 0, .function = 0 };
	struct vfr_address b = { .domain = 0, .bus = 1, .slot = 3, .function = 7 };
	struct vfr_address c = { .domain = 1, .bus = 0, .slot = 0, .function = 0 };

	assert_true(vfr_address_compare(&a, &b) > 0);
	assert_true(vfr_address_compare(&b, &a) < 0);
	assert_true(vfr_address_compare(&a, &c) < 0);
	assert_int_equal(vfr_address_compare(&a, &a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_compare),
	};

	return cmocka_run_group_tests_name("address", tests, NULL, NULL);
}
