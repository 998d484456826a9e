/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hot-reset evaluator against the kernel's rules: Yi Liu's five-device
 * example of the hot-reset ownership review (seed-004 §3) and its variants,
 * the kernel's order of checks, and the answers real kernels gave
 * (shared/vm/NOTES.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hotreset-private.h"

#define NOT_OWNED HOTRESET_DEVID_NOT_OWNED

static struct vfr_address addr(uint8_t bus, uint8_t slot, uint8_t fn)
{
	struct vfr_address a = { .domain = 0, .bus = bus, .slot = slot, .function = fn };

	return a;
}

static struct hotreset_fact vfio_fact(uint8_t slot, int group, enum hotreset_hold hold,
				      uint32_t kernel_id)
{
	struct hotreset_fact f = {
		.addr = addr(1, slot, 0), .group = group, .driver = "vfio-pci", .vfio_core = true,
		.hold = hold, .kernel_id = kernel_id,
	};

	return f;
}

static struct vfr_hot_reset_check *evaluate(const struct hotreset_query *q)
{
	struct vfr_hot_reset_check *c = NULL;

	assert_int_equal(hotreset_evaluate(q, &c), 0);
	assert_non_null(c);
	assert_non_null(vfr_hot_reset_check_get_summary(c));
	assert_int_equal(vfr_hot_reset_check_get_n_affected(c), q->n_facts);
	/* A refusal always names its cause; an allowed check has no blocker. */
	for (size_t i = 0; i < q->n_facts; i++) {
		enum vfr_hot_reset_state s = vfr_hot_reset_check_get_affected_state(c, i);

		assert_non_null(vfr_hot_reset_check_get_affected_text(c, i));
		assert_true((s == VFR_HOT_RESET_STATE_BLOCKER) ==
			    (vfr_hot_reset_check_get_affected_reason(c, i) != VFR_HOT_RESET_REASON_NONE));
		if (vfr_hot_reset_check_is_allowed(c))
			assert_int_not_equal(s, VFR_HOT_RESET_STATE_BLOCKER);
	}
	assert_true(vfr_hot_reset_check_is_allowed(c) == (vfr_hot_reset_check_get_errno(c) == 0));
	assert_true(vfr_hot_reset_check_is_allowed(c) ==
		    (vfr_hot_reset_check_get_reason(c) == VFR_HOT_RESET_REASON_NONE));
	return c;
}

static void expect(const struct vfr_hot_reset_check *c, size_t i, enum vfr_hot_reset_state state,
		   enum vfr_hot_reset_reason reason)
{
	if (vfr_hot_reset_check_get_affected_state(c, i) != state ||
	    vfr_hot_reset_check_get_affected_reason(c, i) != reason)
		fail_msg("%s: %s/%s, expected %s/%s (%s)", vfr_hot_reset_check_get_affected(c, i),
			 vfr_hot_reset_state_to_string(vfr_hot_reset_check_get_affected_state(c, i)),
			 vfr_hot_reset_reason_to_string(vfr_hot_reset_check_get_affected_reason(c, i)),
			 vfr_hot_reset_state_to_string(state), vfr_hot_reset_reason_to_string(reason),
			 vfr_hot_reset_check_get_affected_text(c, i));
}

/*
 * Yi's setup: A and B share group 1; C, D, E have groups 2, 3, 4. A is
 * cdev-opened (the caller), B unopened, C group-opened, D cdev-opened in
 * another context, E unopened. The kernel answers from A:
 * {A: devid, B: 0, C: -1, D: -1, E: -1}, DEV_ID_OWNED clear.
 */
enum { A, B, C, D, E };

static void yi_facts(struct hotreset_fact f[5])
{
	f[A] = vfio_fact(0, 1, HOTRESET_HOLD_CDEV, 1);
	f[B] = vfio_fact(1, 1, HOTRESET_HOLD_NONE, 0);
	f[C] = vfio_fact(2, 2, HOTRESET_HOLD_GROUP, NOT_OWNED);
	f[D] = vfio_fact(3, 3, HOTRESET_HOLD_ELSEWHERE, NOT_OWNED);
	f[E] = vfio_fact(4, 4, HOTRESET_HOLD_NONE, NOT_OWNED);
}

static void check_yi_denied(const struct vfr_hot_reset_check *c)
{
	assert_false(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	expect(c, A, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	expect(c, B, VFR_HOT_RESET_STATE_OWNED, VFR_HOT_RESET_REASON_NONE);
	expect(c, C, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_MIXED_MODE);
	expect(c, D, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_OTHER_CONTEXT);
	expect(c, E, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_IN_CONTEXT);
	/* The first blocker in address order is the summary's. */
	assert_int_equal(vfr_hot_reset_check_get_reason(c), VFR_HOT_RESET_REASON_MIXED_MODE);
	assert_non_null(strstr(vfr_hot_reset_check_get_summary(c), "0000:01:02.0"));
	assert_int_equal(vfr_hot_reset_check_get_n_groups(c), 0);
}

static void test_yi_predicted(void **state)
{
	struct hotreset_fact f[5];
	static const int ctx_groups[] = { 1 };
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_CDEV, .reset_probe = true,
		.n_fds = -1, .held_groups = ctx_groups, .n_held_groups = 1, .facts = f, .n_facts = 5,
	};
	struct vfr_hot_reset_check *c;

	yi_facts(f);
	c = evaluate(&q);
	check_yi_denied(c);
	assert_int_equal(vfr_hot_reset_check_get_affected_devid(c, A), -1);
	vfr_hot_reset_check_free(c);
}

static void test_yi_kernel(void **state)
{
	struct hotreset_fact f[5];
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_CDEV, .reset_probe = true,
		.from_kernel = true, .n_fds = 0, .facts = f, .n_facts = 5,
	};
	struct vfr_hot_reset_check *c;

	yi_facts(f);
	c = evaluate(&q);
	check_yi_denied(c);
	assert_true(vfr_hot_reset_check_from_kernel(c));
	assert_int_equal(vfr_hot_reset_check_get_affected_devid(c, A), 1);
	assert_int_equal(vfr_hot_reset_check_get_affected_devid(c, B), 0);
	for (size_t i = C; i <= E; i++)
		assert_int_equal(vfr_hot_reset_check_get_affected_devid(c, i), 0xffffffffLL);
	vfr_hot_reset_check_free(c);
}

/* C, D and E all bound in A's context: resettable, B still owned through A's group. */
static void test_yi_all_bound(void **state)
{
	struct hotreset_fact f[5];
	static const int ctx_groups[] = { 1, 2, 3, 4 };
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_CDEV, .reset_probe = true,
		.n_fds = 0, .held_groups = ctx_groups, .n_held_groups = 4, .facts = f, .n_facts = 5,
	};
	struct vfr_hot_reset_check *c;

	yi_facts(f);
	f[C].hold = f[D].hold = f[E].hold = HOTRESET_HOLD_CDEV;
	c = evaluate(&q);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	expect(c, A, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	expect(c, B, VFR_HOT_RESET_STATE_OWNED, VFR_HOT_RESET_REASON_NONE);
	for (size_t i = C; i <= E; i++)
		expect(c, i, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	vfr_hot_reset_check_free(c);

	/* The kernel's answer for the same holding: ids for A, C, D, E, 0 for B. */
	f[C].kernel_id = 2;
	f[D].kernel_id = 3;
	f[E].kernel_id = 4;
	q.from_kernel = true;
	q.n_held_groups = 0;
	c = evaluate(&q);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	expect(c, B, VFR_HOT_RESET_STATE_OWNED, VFR_HOT_RESET_REASON_NONE);
	expect(c, E, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	vfr_hot_reset_check_free(c);
}

/* E unopened in its own group always blocks, whatever else the caller binds. */
static void test_yi_e_unopened(void **state)
{
	struct hotreset_fact f[5];
	static const int ctx_groups[] = { 1, 2, 3 };
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_CDEV, .reset_probe = true,
		.n_fds = -1, .held_groups = ctx_groups, .n_held_groups = 3, .facts = f, .n_facts = 5,
	};
	struct vfr_hot_reset_check *c;

	yi_facts(f);
	f[C].hold = f[D].hold = HOTRESET_HOLD_CDEV;
	c = evaluate(&q);
	assert_false(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	for (size_t i = A; i <= D; i++)
		assert_int_not_equal(vfr_hot_reset_check_get_affected_state(c, i),
				     VFR_HOT_RESET_STATE_BLOCKER);
	expect(c, E, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_IN_CONTEXT);
	assert_non_null(strstr(vfr_hot_reset_check_get_summary(c), "0000:01:04.0"));
	vfr_hot_reset_check_free(c);
}

/* The same five in group mode: every group fd proves ownership, opened or not. */
static void test_yi_group_mode(void **state)
{
	struct hotreset_fact f[5];
	static const int all[] = { 4, 3, 2, 1 };
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_GROUP, .reset_probe = true,
		.n_fds = -1, .held_groups = all, .n_held_groups = 4, .facts = f, .n_facts = 5,
	};
	struct vfr_hot_reset_check *c;

	yi_facts(f);
	f[A].hold = HOTRESET_HOLD_GROUP;
	f[D].hold = HOTRESET_HOLD_NONE;
	c = evaluate(&q);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	expect(c, A, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	expect(c, B, VFR_HOT_RESET_STATE_OWNED, VFR_HOT_RESET_REASON_NONE);
	expect(c, C, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	expect(c, E, VFR_HOT_RESET_STATE_OWNED, VFR_HOT_RESET_REASON_NONE);
	/* The minimal fd set: each affected group once, ascending. */
	assert_int_equal(vfr_hot_reset_check_get_n_groups(c), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(vfr_hot_reset_check_get_group(c, i), (int)i + 1);
	vfr_hot_reset_check_free(c);

	/* Group 4 not held: E blocks, QEMU's "depends on group 4 which is not owned". */
	q.n_held_groups = 3;
	q.held_groups = all + 1;
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	expect(c, E, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_GROUP_NOT_HELD);
	assert_int_equal(vfr_hot_reset_check_get_n_groups(c), 4);
	vfr_hot_reset_check_free(c);

	/* A cdev-held function cannot be proven by a group fd. */
	f[E].hold = HOTRESET_HOLD_CDEV;
	c = evaluate(&q);
	expect(c, E, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_MIXED_MODE);
	vfr_hot_reset_check_free(c);
}

/* `!!count == cdev_opened` and the group path's count limit: EINVAL. */
static void test_fd_array(void **state)
{
	struct hotreset_fact f[1] = { vfio_fact(0, 9, HOTRESET_HOLD_GROUP, 9) };
	static const int groups[] = { 9 };
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_GROUP, .reset_probe = true,
		.from_kernel = true, .n_fds = 0, .held_groups = groups, .n_held_groups = 1,
		.facts = f, .n_facts = 1,
	};
	struct vfr_hot_reset_check *c;

	/* NOTES.md: HOT_RESET with count 0 -> EINVAL; with the group fd -> 0. */
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	assert_int_equal(vfr_hot_reset_check_get_reason(c), VFR_HOT_RESET_REASON_WRONG_FD_ARRAY);
	/* Every function is fine; only the array is wrong. */
	expect(c, 0, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	vfr_hot_reset_check_free(c);
	q.n_fds = 1;
	c = evaluate(&q);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_affected_group(c, 0), 9);
	vfr_hot_reset_check_free(c);
	q.n_fds = 2; /* more fds than affected functions */
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_reason(c), VFR_HOT_RESET_REASON_WRONG_FD_ARRAY);
	vfr_hot_reset_check_free(c);

	/* cdev: any fd at all is wrong. */
	f[0].hold = HOTRESET_HOLD_CDEV;
	f[0].kernel_id = 1;
	q.mode = VFR_HOT_RESET_MODE_CDEV;
	q.n_fds = 1;
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	assert_int_equal(vfr_hot_reset_check_get_reason(c), VFR_HOT_RESET_REASON_WRONG_FD_ARRAY);
	assert_int_equal(vfr_hot_reset_check_get_n_groups(c), 0);
	vfr_hot_reset_check_free(c);
	q.n_fds = 0;
	c = evaluate(&q);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	vfr_hot_reset_check_free(c);
}

/* The kernel's order: ENODEV before EPERM before the HOT_RESET checks. */
static void test_order(void **state)
{
	struct hotreset_fact f[3] = {
		vfio_fact(0, 5, HOTRESET_HOLD_GROUP, 5),
		vfio_fact(1, -1, HOTRESET_HOLD_NONE, 0),
		vfio_fact(2, 6, HOTRESET_HOLD_NONE, 6),
	};
	static const int groups[] = { 5 };
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_GROUP, .reset_probe = true,
		.n_fds = 0, .held_groups = groups, .n_held_groups = 1, .facts = f, .n_facts = 3,
	};
	struct vfr_hot_reset_check *c;

	f[1].driver = NULL;
	f[1].vfio_core = false;
	f[2].driver = "e1000e";
	f[2].vfio_core = false;

	/* A function without a group fails INFO itself, before any fd is looked at. */
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EPERM);
	assert_int_equal(vfr_hot_reset_check_get_reason(c), VFR_HOT_RESET_REASON_NO_IOMMU_GROUP);
	expect(c, 1, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NO_IOMMU_GROUP);
	expect(c, 2, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND);
	assert_non_null(strstr(vfr_hot_reset_check_get_affected_text(c, 2), "e1000e"));
	vfr_hot_reset_check_free(c);

	/* No slot or bus reset wins over everything. */
	q.reset_probe = false;
	q.no_reset_why = "it sits on a root bus";
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), ENODEV);
	assert_int_equal(vfr_hot_reset_check_get_reason(c), VFR_HOT_RESET_REASON_NO_RESET_METHOD);
	assert_non_null(strstr(vfr_hot_reset_check_get_summary(c), "root bus"));
	expect(c, 0, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NO_RESET_METHOD);
	vfr_hot_reset_check_free(c);

	/* In cdev mode a missing group fails no INFO: it is only not owned. */
	q.reset_probe = true;
	q.mode = VFR_HOT_RESET_MODE_CDEV;
	f[0].hold = HOTRESET_HOLD_CDEV;
	f[1].driver = "vfio-pci";
	f[1].vfio_core = true;
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	expect(c, 1, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_IN_CONTEXT);
	expect(c, 2, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND);
	vfr_hot_reset_check_free(c);
}

/* Bridges are never dev_set members; unbound functions are not either. */
static void test_not_members(void **state)
{
	struct hotreset_fact f[2] = {
		vfio_fact(0, 12, HOTRESET_HOLD_GROUP, 12),
		vfio_fact(1, 12, HOTRESET_HOLD_NONE, 12),
	};
	static const int groups[] = { 12 };
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_GROUP, .reset_probe = true,
		.n_fds = -1, .held_groups = groups, .n_held_groups = 1, .facts = f, .n_facts = 2,
	};
	struct vfr_hot_reset_check *c;

	f[1].bridge = true;
	c = evaluate(&q);
	expect(c, 1, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND);
	assert_non_null(strstr(vfr_hot_reset_check_get_affected_text(c, 1), "bridge"));
	vfr_hot_reset_check_free(c);

	f[1].bridge = false;
	f[1].driver = NULL;
	f[1].vfio_core = false;
	c = evaluate(&q);
	expect(c, 1, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND);
	assert_non_null(strstr(vfr_hot_reset_check_get_affected_text(c, 1), "no driver"));
	vfr_hot_reset_check_free(c);
}

/* A noiommu bind gives no context: every entry is NOT_OWNED, the reset EINVAL. */
static void test_noiommu_cdev(void **state)
{
	struct hotreset_fact f[1] = { vfio_fact(0, 3, HOTRESET_HOLD_CDEV, NOT_OWNED) };
	struct hotreset_query q = {
		.target = addr(1, 0, 0), .mode = VFR_HOT_RESET_MODE_CDEV, .reset_probe = true,
		.noiommu = true, .n_fds = 0, .facts = f, .n_facts = 1,
	};
	struct vfr_hot_reset_check *c;

	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	expect(c, 0, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOIOMMU_CDEV);
	vfr_hot_reset_check_free(c);
	q.from_kernel = true;
	c = evaluate(&q);
	expect(c, 0, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOIOMMU_CDEV);
	vfr_hot_reset_check_free(c);
}

/*
 * The recorded answers of NOTES.md, as the kernel's INFO entries: the
 * evaluator must reach the kernel's HOT_RESET result from them.
 */
static void test_recorded_kernel_answers(void **state)
{
	struct vfr_hot_reset_check *c;
	/* igb VF 01:10.0: PF on igb (group 10), the other VF on igbvf (group 18). */
	struct hotreset_fact vf[3] = {
		{ .addr = addr(1, 0, 0), .group = 10, .driver = "igb", .kernel_id = 10 },
		vfio_fact(0x10, 17, HOTRESET_HOLD_GROUP, 17),
		{ .addr = addr(1, 0x10, 2), .group = 18, .driver = "igbvf", .kernel_id = 18 },
	};
	static const int vf_groups[] = { 17 };
	struct hotreset_query q = {
		.target = addr(1, 0x10, 0), .mode = VFR_HOT_RESET_MODE_GROUP, .reset_probe = true,
		.from_kernel = true, .n_fds = 1, .held_groups = vf_groups, .n_held_groups = 1,
		.facts = vf, .n_facts = 3,
	};
	/* Two-function e1000e: both on vfio-pci, one group, one fd. */
	struct hotreset_fact two[2] = {
		{ .addr = addr(4, 0, 0), .group = 13, .driver = "vfio-pci", .vfio_core = true,
		  .hold = HOTRESET_HOLD_GROUP, .kernel_id = 13 },
		{ .addr = addr(4, 0, 1), .group = 13, .driver = "vfio-pci", .vfio_core = true,
		  .kernel_id = 13 },
	};
	static const int two_groups[] = { 13 };

	/* "missing a group (VF case, PF not on vfio) -> EINVAL" */
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	expect(c, 0, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND);
	expect(c, 1, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	expect(c, 2, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND);
	assert_non_null(strstr(vfr_hot_reset_check_get_summary(c), "igb"));
	vfr_hot_reset_check_free(c);

	/* cdev: flags 0x1, PF and other VF at 0xffffffff -> EINVAL. */
	vf[1].hold = HOTRESET_HOLD_CDEV;
	vf[1].kernel_id = 1;
	vf[0].kernel_id = vf[2].kernel_id = NOT_OWNED;
	q.mode = VFR_HOT_RESET_MODE_CDEV;
	q.n_fds = 0;
	q.n_held_groups = 0;
	c = evaluate(&q);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	expect(c, 0, VFR_HOT_RESET_STATE_BLOCKER, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND);
	expect(c, 1, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	vfr_hot_reset_check_free(c);

	/* "with all affected group fds -> 0" */
	q.target = addr(4, 0, 0);
	q.mode = VFR_HOT_RESET_MODE_GROUP;
	q.n_fds = 1;
	q.facts = two;
	q.n_facts = 2;
	q.held_groups = two_groups;
	q.n_held_groups = 1;
	c = evaluate(&q);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	expect(c, 1, VFR_HOT_RESET_STATE_OWNED, VFR_HOT_RESET_REASON_NONE);
	vfr_hot_reset_check_free(c);

	/* cdev: flags 0x3, own devid 1, the unopened sibling 0 (OWNED) -> 0. */
	two[0].hold = HOTRESET_HOLD_CDEV;
	two[0].kernel_id = 1;
	two[1].kernel_id = 0;
	q.mode = VFR_HOT_RESET_MODE_CDEV;
	q.n_fds = 0;
	q.n_held_groups = 0;
	c = evaluate(&q);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	expect(c, 0, VFR_HOT_RESET_STATE_OPENED, VFR_HOT_RESET_REASON_NONE);
	expect(c, 1, VFR_HOT_RESET_STATE_OWNED, VFR_HOT_RESET_REASON_NONE);
	assert_int_equal(vfr_hot_reset_check_get_affected_devid(c, 0), 1);
	vfr_hot_reset_check_free(c);
}

static void test_bad_input(void **state)
{
	struct vfr_hot_reset_check *c = (void *)0x1;
	struct hotreset_query q = { .mode = 7, .reset_probe = true };

	assert_int_equal(hotreset_evaluate(NULL, &c), -EINVAL);
	assert_int_equal(hotreset_evaluate(&q, &c), -EINVAL);
	q.mode = VFR_HOT_RESET_MODE_GROUP;
	q.n_facts = 2; /* and no facts */
	assert_int_equal(hotreset_evaluate(&q, &c), -EINVAL);
	assert_ptr_equal(c, (void *)0x1);
	vfr_hot_reset_check_free(NULL);
	assert_null(vfr_hot_reset_check_get_affected(NULL, 0));
	assert_null(vfr_hot_reset_reason_to_string(99));
	assert_string_equal(vfr_hot_reset_reason_to_string(VFR_HOT_RESET_REASON_WRONG_FD_ARRAY),
			    "wrong-fd-array");
	assert_string_equal(vfr_hot_reset_state_to_string(VFR_HOT_RESET_STATE_OWNED), "owned");
	assert_string_equal(vfr_hot_reset_mode_to_string(VFR_HOT_RESET_MODE_CDEV), "cdev");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yi_predicted),
		cmocka_unit_test(test_yi_kernel),
		cmocka_unit_test(test_yi_all_bound),
		cmocka_unit_test(test_yi_e_unopened),
		cmocka_unit_test(test_yi_group_mode),
		cmocka_unit_test(test_fd_array),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_not_members),
		cmocka_unit_test(test_noiommu_cdev),
		cmocka_unit_test(test_recorded_kernel_answers),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
