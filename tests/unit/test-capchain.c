/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* capchain_check() on config-space images built here, one per fault kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg-image.h"

#include "capchain.h"

/* Links traditional capabilities at @at[0..n-1] in that order, IDs 1, 2, 3, ... */
static void chain_trad(struct image *m, const uint8_t *at, size_t n)
{
	put16(m, 0x06, 0x0010); /* Status: capability list */
	m->b[0x34] = n ? at[0] : 0;
	for (size_t i = 0; i < n; i++) {
		m->b[at[i]] = (uint8_t)(i + 1);
		m->b[at[i] + 1] = i + 1 < n ? at[i + 1] : 0;
	}
}

/* Links extended capabilities at @at[0..n-1] (at[0] should be 0x100). */
static void chain_ext(struct image *m, const uint16_t *at, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t next = i + 1 < n ? at[i + 1] : 0;
		put32(m, at[i], (uint32_t)(i % 0x20 + 1) | 1u << 16 | next << 20);
	}
}

static int check(const struct image *m, char *problem, size_t size)
{
	memset(problem, 'x', size); /* so a missing terminator or stale text shows */
	return capchain_check(m->b, m->len, problem, size);
}

static void test_sound_lists(void **state)
{
	static const uint8_t trad[] = { 0x40, 0x50, 0x70, 0xa0 };
	static const uint16_t ext[] = { 0x100, 0x148, 0x200, 0x180 };
	struct image m;
	char problem[128];

	image_init(&m, 4096);
	chain_trad(&m, trad, 4);
	chain_ext(&m, ext, 4);
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");

	/* A conventional 256-byte image, and one with an empty list. */
	image_init(&m, 256);
	chain_trad(&m, trad, 4);
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");
	image_init(&m, 256);
	chain_trad(&m, trad, 0);
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
}

static void test_status_bit_gates_the_list(void **state)
{
	struct image m;
	char problem[128];

	/* Without Status bit 4, 0x34 is not a pointer: garbage there is no fault. */
	image_init(&m, 256);
	m.b[0x34] = 0x08;
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");

	put16(&m, 0x06, 0x0010);
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "capability pointer at 0x34 points into the header (0x08)");
}

static void test_trad_into_header(void **state)
{
	static const uint8_t trad[] = { 0x40, 0x60 };
	struct image m;
	char problem[128];

	image_init(&m, 256);
	chain_trad(&m, trad, 2);
	m.b[0x61] = 0x3c; /* last entry points just below 0x40 */
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "capability pointer at 0x61 points into the header (0x3c)");
}

static void test_trad_low_bits_masked(void **state)
{
	static const uint8_t trad[] = { 0x40, 0x50 };
	struct image m;
	char problem[128];

	/* Reserved low bits set in both pointers: masked, the list is sound. */
	image_init(&m, 256);
	chain_trad(&m, trad, 2);
	m.b[0x34] = 0x43;
	m.b[0x41] = 0x52;
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");

	/* 0x51 masks to 0x50, its own start: a loop, not a pointer to 0x51. */
	m.b[0x51] = 0x51;
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "capability list loops back to 0x50");
}

static void test_trad_loop(void **state)
{
	static const uint8_t trad[] = { 0x40, 0x50, 0x60 };
	struct image m;
	char problem[128];

	image_init(&m, 256);
	chain_trad(&m, trad, 3);
	m.b[0x61] = 0x50;
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "capability list loops back to 0x50");

	/* An entry pointing at itself. */
	image_init(&m, 256);
	chain_trad(&m, trad, 1);
	m.b[0x41] = 0x40;
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "capability list loops back to 0x40");
}

static void test_trad_ff_ends_list(void **state)
{
	static const uint8_t trad[] = { 0x40, 0x50 };
	struct image m;
	char problem[128];

	/* ID 0xff is where the kernel and libpci stop; what follows is not looked at. */
	image_init(&m, 256);
	chain_trad(&m, trad, 2);
	m.b[0x50] = 0xff;
	m.b[0x51] = 0x40;
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
}

static void test_trad_past_end(void **state)
{
	static const uint8_t trad[] = { 0x40 };
	struct image m;
	char problem[128];

	/* An unprivileged reader's 64 bytes: the first capability is beyond them. */
	image_init(&m, 64);
	chain_trad(&m, trad, 1);
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "capability pointer at 0x34 points past the end of config "
				     "space (0x40, 64 bytes readable)");
}

static void test_cardbus_pointer(void **state)
{
	static const uint8_t trad[] = { 0x80 };
	struct image m;
	char problem[128];

	/* A CardBus bridge keeps its pointer at 0x14; 0x34 is an I/O window there. */
	image_init(&m, 256);
	m.b[0x0e] = 0x02;
	chain_trad(&m, trad, 1);
	m.b[0x14] = 0x80;
	m.b[0x34] = 0x04;
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	m.b[0x14] = 0x20;
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "capability pointer at 0x14 points into the header (0x20)");
}

static void test_ext_absent(void **state)
{
	struct image m;
	char problem[128];

	image_init(&m, 4096);
	put32(&m, 0x100, 0xffffffff);
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	put32(&m, 0x100, 0);
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);

	/* A looping extended list beyond a 256-byte image is not looked at. */
	put32(&m, 0x100, 0x0d | 1u << 16 | 0x100u << 20);
	m.len = 256;
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	m.len = 4096;
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
}

static void test_ext_below_0x100(void **state)
{
	static const uint16_t ext[] = { 0x100, 0x140 };
	struct image m;
	char problem[128];

	image_init(&m, 4096);
	chain_ext(&m, ext, 2);
	put32(&m, 0x140, 0x0b | 1u << 16 | 0x80u << 20);
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem,
			    "extended capability pointer at 0x140 points below 0x100 (0x80)");
}

static void test_ext_loop(void **state)
{
	static const uint16_t ext[] = { 0x100, 0x140, 0x200 };
	struct image m;
	char problem[128];

	image_init(&m, 4096);
	chain_ext(&m, ext, 3);
	put32(&m, 0x200, 0x10 | 1u << 16 | 0x140u << 20);
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "extended capability list loops back to 0x140");

	/* Low two bits of the next pointer are reserved: 0x103 is 0x100. */
	image_init(&m, 4096);
	put32(&m, 0x100, 0x0d | 1u << 16 | 0x103u << 20);
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "extended capability list loops back to 0x100");
}

static void test_ext_all_ones_entry_ends_list(void **state)
{
	static const uint16_t ext[] = { 0x100, 0x140 };
	struct image m;
	char problem[128];

	image_init(&m, 4096);
	chain_ext(&m, ext, 2);
	put32(&m, 0x140, 0xffffffff);
	put32(&m, 0xffc, 0xffffffff); /* where its "next" would lead, looping */
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");
}

static void test_ext_past_end(void **state)
{
	static const uint16_t ext[] = { 0x100, 0x300 };
	struct image m;
	char problem[128];

	/* capchain takes any length; a 512-byte image ends before 0x300. */
	image_init(&m, 512);
	chain_ext(&m, ext, 2);
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "extended capability pointer at 0x100 points past the end of "
				     "config space (0x300, 512 bytes readable)");
}

static void test_ext_too_many(void **state)
{
	uint16_t ext[481];
	struct image m;
	char problem[128];

	/* Distinct, dword-spaced entries: no loop, but more than 8-byte capabilities fit. */
	for (size_t i = 0; i < 481; i++)
		ext[i] = (uint16_t)(0x100 + 4 * i);
	image_init(&m, 4096);
	chain_ext(&m, ext, 480);
	assert_int_equal(check(&m, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");

	chain_ext(&m, ext, 481);
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "extended capability list has more than 480 entries");
}

static void test_first_fault_wins(void **state)
{
	static const uint8_t trad[] = { 0x40, 0x50 };
	struct image m;
	char problem[128];

	image_init(&m, 4096);
	chain_trad(&m, trad, 2);
	m.b[0x51] = 0x40;
	put32(&m, 0x100, 0x0d | 1u << 16 | 0x100u << 20);
	assert_int_equal(check(&m, problem, sizeof(problem)), 1);
	assert_string_equal(problem, "capability list loops back to 0x40");
}

static void test_problem_buffer(void **state)
{
	static const uint8_t trad[] = { 0x40 };
	struct image m;
	char small[16];

	image_init(&m, 256);
	chain_trad(&m, trad, 1);
	m.b[0x41] = 0x40;
	/* No buffer at all, an empty one, a short one: the verdict is the same. */
	assert_int_equal(capchain_check(m.b, m.len, NULL, 0), 1);
	assert_int_equal(capchain_check(m.b, m.len, small, 0), 1);
	assert_int_equal(check(&m, small, sizeof(small)), 1);
	assert_string_equal(small, "capability list");
	assert_int_equal(capchain_check(NULL, 0, small, sizeof(small)), 0);
	assert_string_equal(small, "");
}

static void test_find(void **state)
{
	static const uint8_t trad[] = { 0x40, 0x50, 0x70 };
	struct image m;

	image_init(&m, 256);
	chain_trad(&m, trad, 3);
	assert_int_equal(capchain_find(m.b, m.len, 2), 0x50);
	assert_int_equal(capchain_find(m.b, m.len, 3), 0x70);
	assert_int_equal(capchain_find(m.b, m.len, 9), 0);

	/* CardBus: the list starts at 0x14. */
	m.b[0x0e] = 0x02;
	m.b[0x14] = 0x70;
	m.b[0x34] = 0;
	assert_int_equal(capchain_find(m.b, m.len, 3), 0x70);
	assert_int_equal(capchain_find(m.b, m.len, 1), 0);

	/* A loop ends the search instead of spinning. */
	m.b[0x0e] = 0x00;
	m.b[0x34] = 0x40;
	m.b[0x71] = 0x40;
	assert_int_equal(capchain_find(m.b, m.len, 9), 0);
	assert_int_equal(capchain_find(NULL, 0, 1), 0);
}

/*
 * Images shorter than a header (0 bytes included, found by fuzzing): the
 * image ends where an inaccessible page begins, so a read past it faults
 * with or without a sanitizer.
 */
static void test_short_images(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char problem[128];

	(void)state;
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	for (size_t len = 0; len <= 0x40; len++) {
		uint8_t *cfg = map + page - len;

		/* Everything set: a capability list, a CardBus header, pointers everywhere. */
		memset(cfg, 0xff, len);
		if (len > 0x0e)
			cfg[0x0e] = 0x02;
		assert_int_equal(capchain_check(cfg, len, problem, sizeof(problem)) >= 0, 1);
		assert_int_equal(capchain_find(cfg, len, 0x01) < len || len == 0, 1);
	}
	munmap(map, (size_t)page * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sound_lists),
		cmocka_unit_test(test_status_bit_gates_the_list),
		cmocka_unit_test(test_trad_into_header),
		cmocka_unit_test(test_trad_low_bits_masked),
		cmocka_unit_test(test_trad_loop),
		cmocka_unit_test(test_trad_ff_ends_list),
		cmocka_unit_test(test_trad_past_end),
		cmocka_unit_test(test_cardbus_pointer),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_short_images),
		cmocka_unit_test(test_ext_absent),
		cmocka_unit_test(test_ext_below_0x100),
		cmocka_unit_test(test_ext_loop),
		cmocka_unit_test(test_ext_all_ones_entry_ends_list),
		cmocka_unit_test(test_ext_past_end),
		cmocka_unit_test(test_ext_too_many),
		cmocka_unit_test(test_first_fault_wins),
		cmocka_unit_test(test_problem_buffer),
	};

	return cmocka_run_group_tests_name("capchain", tests, NULL, NULL);
}
