/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset plan from plain facts: the rows of the real-kernel table in
 * doc/kernel-behaviour.md, ownership, host drivers, the vfio mechanisms,
 * the VFs every method of a PF reaches, refusals, and the facts a plan
 * rests on (what the check at the write compares).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "reset-plan.h"

#define CAPS_PM (VFR_CAP_PM | VFR_CAP_PM_RESET)

/* An endpoint bound to a vfio driver, alone behind its bridge, with @methods. */
static struct reset_facts endpoint(const char *name, const char *const *methods,
				   unsigned int caps)
{
	return (struct reset_facts){
		.name = name,
		.driver = "vfio-pci",
		.driver_type = VFR_DRIVER_VFIO_PCI,
		.header = VFR_HEADER_ENDPOINT,
		.caps_known = true,
		.caps = caps,
		.kernel_methods = methods,
		.bus_probe_ok = true,
		.hot_allowed = -1,
	};
}

/* "flr,pm" */
static char *methods_of(const struct vfr_reset_plan *plan)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < vfr_reset_plan_get_n_methods(plan); i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", vfr_reset_plan_get_method(plan, i));
	return g_string_free(s, FALSE);
}

static const char *reason_of(const struct vfr_reset_plan *plan, const char *method)
{
	for (size_t i = 0; i < vfr_reset_plan_get_n_excluded(plan); i++)
		if (strcmp(vfr_reset_plan_get_excluded_method(plan, i), method) == 0)
			return vfr_reset_plan_get_excluded_reason(plan, i);
	return NULL;
}

static void assert_methods(const struct vfr_reset_plan *plan, const char *want)
{
	g_autofree char *got = methods_of(plan);

	assert_string_equal(got, want);
	assert_int_equal(vfr_reset_plan_is_ready(plan), *want != '\0');
}

static void assert_reason(const struct vfr_reset_plan *plan, const char *method, const char *want)
{
	const char *got = reason_of(plan, method);

	if (!got)
		fail_msg("%s is not excluded", method);
	if (!strstr(got, want))
		fail_msg("%s excluded because '%s', expected '%s'", method, got, want);
}

/* igb PF under igb: "flr pm bus", the bus shared with its VFs since sriov_numvfs. */
static void test_igb_pf(void **state)
{
	static const char *const m[] = { "flr", "pm", "bus", NULL };
	struct reset_facts f = endpoint("0000:01:00.0", m, VFR_CAP_FLR | CAPS_PM | VFR_CAP_SRIOV);
	struct vfr_reset_plan *plan;
	(void)state;

	f.driver = "igb";
	f.driver_type = VFR_DRIVER_HOST;
	f.flags = VFR_RESET_ALLOW_HOST_DRIVERS;
	f.bus_probe_ok = false;
	f.bus_sibling = "0000:01:10.0";
	plan = reset_plan_build(&f);
	assert_methods(plan, "flr,pm");
	assert_string_equal(vfr_reset_mechanism_to_string(vfr_reset_plan_get_mechanism(plan, 0)),
			    "sysfs");
	assert_int_equal(vfr_reset_plan_get_n_affected(plan, 0), 1);
	assert_string_equal(vfr_reset_plan_get_affected(plan, 0, 0), "0000:01:00.0");
	assert_reason(plan, "bus", "stale: the kernel probed it before 0000:01:10.0 appeared");
	assert_reason(plan, "vfio", "bound to igb, not to a vfio driver");
	assert_reason(plan, "hot", "bound to igb, not to a vfio driver");
	vfr_reset_plan_unref(plan);

	/* Without permission, a function under a host driver is not reset at all. */
	f.flags = 0;
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "flr", "0000:01:00.0 is bound to igb, a host driver");
	assert_reason(plan, "bus", "stale"); /* the more specific reason first */
	vfr_reset_plan_unref(plan);
}

static void test_igb_vf_and_virtio(void **state)
{
	static const char *const vf[] = { "flr", NULL };
	static const char *const virtio[] = { "flr", "pm", "bus", NULL };
	struct reset_facts f = endpoint("0000:01:10.0", vf, VFR_CAP_FLR);
	struct vfr_reset_plan *plan;
	(void)state;

	f.bus_probe_ok = false;
	f.bus_sibling = "0000:01:00.0";
	plan = reset_plan_build(&f);
	assert_methods(plan, "flr");
	vfr_reset_plan_unref(plan);

	f = endpoint("0000:03:00.0", virtio, VFR_CAP_FLR | CAPS_PM);
	plan = reset_plan_build(&f);
	assert_methods(plan, "flr,pm,bus");
	assert_int_equal(vfr_reset_plan_get_n_affected(plan, 2), 1);
	vfr_reset_plan_unref(plan);
}

static void test_lone_e1000e(void **state)
{
	static const char *const m[] = { "pm", "bus", NULL };
	struct reset_facts f = endpoint("0000:02:00.0", m, CAPS_PM);
	struct vfr_reset_plan *plan = reset_plan_build(&f);
	(void)state;

	assert_methods(plan, "pm,bus");
	assert_string_equal(vfr_reset_plan_get_affected(plan, 1, 0), "0000:02:00.0");
	vfr_reset_plan_unref(plan);
}

/* Two-function e1000e: fn0's "bus" is stale, fn1 only has "pm". */
static void test_two_function(void **state)
{
	static const char *const fn0[] = { "pm", "bus", NULL };
	static const char *const fn1[] = { "pm", NULL };
	struct reset_facts f = endpoint("0000:04:00.0", fn0, CAPS_PM);
	struct vfr_reset_plan *plan;
	(void)state;

	f.bus_probe_ok = false;
	f.bus_sibling = "0000:04:00.1";
	plan = reset_plan_build(&f);
	assert_methods(plan, "pm");
	assert_reason(plan, "bus", "stale: the kernel probed it before 0000:04:00.1 appeared");
	vfr_reset_plan_unref(plan);

	f = endpoint("0000:04:00.1", fn1, CAPS_PM);
	f.bus_probe_ok = false;
	f.bus_sibling = "0000:04:00.0";
	plan = reset_plan_build(&f);
	assert_methods(plan, "pm");
	assert_null(reason_of(plan, "bus"));
	vfr_reset_plan_unref(plan);
}

static void test_bridge_refused(void **state)
{
	static const char *const m[] = { "pm", "bus", NULL };
	struct reset_facts f = endpoint("0000:05:00.0", m, CAPS_PM);
	struct vfr_reset_plan *plan;
	(void)state;

	f.header = VFR_HEADER_BRIDGE;
	f.driver = NULL;
	f.driver_type = VFR_DRIVER_NONE;
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "pm", "0000:05:00.0 is a bridge: only endpoints are reset");
	assert_reason(plan, "bus", "only endpoints are reset");
	assert_reason(plan, "hot", "only endpoints are reset");
	vfr_reset_plan_unref(plan);

	/* A root port: no reset_method at all, still a bridge. */
	f.name = "0000:00:02.0";
	f.kernel_methods = NULL;
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "kernel", "is a bridge");
	vfr_reset_plan_unref(plan);
}

/* The conventional e1000 behind the pcie-pci-bridge: only a stale "bus". */
static void test_e1000_behind_bridge(void **state)
{
	static const char *const m[] = { "bus", NULL };
	struct reset_facts f = endpoint("0000:06:01.0", m, 0);
	struct vfr_reset_plan *plan;
	(void)state;

	f.caps_known = true;
	f.bus_probe_ok = false;
	f.bus_sibling = "0000:06:02.0";
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "bus", "before 0000:06:02.0 appeared");
	vfr_reset_plan_unref(plan);
}

/* nvme: "flr bus"; its PM capability has NoSoftRst set. */
static void test_nvme_and_nosoftrst(void **state)
{
	static const char *const m[] = { "flr", "bus", NULL };
	static const char *const with_pm[] = { "flr", "pm", NULL };
	struct reset_facts f = endpoint("0000:07:00.0", m, VFR_CAP_FLR | VFR_CAP_PM);
	struct vfr_reset_plan *plan = reset_plan_build(&f);
	(void)state;

	assert_methods(plan, "flr,bus");
	vfr_reset_plan_unref(plan);

	/* A kernel list that disagrees with config space: config space wins. */
	f.kernel_methods = with_pm;
	plan = reset_plan_build(&f);
	assert_methods(plan, "flr");
	assert_reason(plan, "pm", "NoSoftRst set");
	vfr_reset_plan_unref(plan);

	f.caps = VFR_CAP_PM | VFR_CAP_PM_RESET;
	f.kernel_methods = with_pm;
	plan = reset_plan_build(&f);
	assert_reason(plan, "flr", "does not advertise FLR");
	vfr_reset_plan_unref(plan);

	/* Without root, config space is unknown: the kernel's list is trusted. */
	f.caps_known = false;
	f.caps = 0;
	plan = reset_plan_build(&f);
	assert_methods(plan, "flr,pm");
	vfr_reset_plan_unref(plan);
}

static void test_no_methods(void **state)
{
	static const char *const empty[] = { NULL };
	struct reset_facts f = endpoint("0000:00:03.0", NULL, 0);
	struct vfr_reset_plan *plan = reset_plan_build(&f);
	(void)state;

	f.on_root_bus = true;
	assert_methods(plan, "");
	assert_reason(plan, "kernel", "no reset_method attribute");
	vfr_reset_plan_unref(plan);

	f.kernel_methods = empty;
	plan = reset_plan_build(&f);
	assert_reason(plan, "kernel", "reset_method is empty");
	assert_reason(plan, "hot", "root bus");
	vfr_reset_plan_unref(plan);
}

static void test_gone(void **state)
{
	static const char *const m[] = { "flr", NULL };
	struct reset_facts f = endpoint("0000:01:00.0", m, VFR_CAP_FLR);
	struct vfr_reset_plan *plan;
	(void)state;

	f.gone = true;
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "flr", "is gone");
	vfr_reset_plan_unref(plan);
}

/* cxl_bus resets the whole bus: its peers decide. */
static void test_bus_peers(void **state)
{
	static const char *const m[] = { "cxl_bus", NULL };
	struct reset_peer peers[] = {
		{ .name = "0000:04:00.1", .driver = "e1000e", .driver_type = VFR_DRIVER_HOST,
		  .relation = PEER_SAME_BUS },
		{ .name = "0000:05:00.0", .driver = "vfio-pci",
		  .driver_type = VFR_DRIVER_VFIO_PCI },
	};
	struct reset_facts f = endpoint("0000:04:00.0", m, 0);
	struct vfr_reset_plan *plan;
	(void)state;

	f.bus_peers = peers;
	f.n_bus_peers = G_N_ELEMENTS(peers);
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "cxl_bus",
		      "0000:04:00.1 on the same bus is bound to e1000e and not owned by you");
	vfr_reset_plan_unref(plan);

	f.flags = VFR_RESET_ALLOW_HOST_DRIVERS;
	plan = reset_plan_build(&f);
	assert_methods(plan, "cxl_bus");
	assert_int_equal(vfr_reset_plan_get_n_affected(plan, 0), 3);
	assert_string_equal(vfr_reset_plan_get_affected(plan, 0, 0), "0000:04:00.0");
	assert_string_equal(vfr_reset_plan_get_affected(plan, 0, 2), "0000:05:00.0");
	vfr_reset_plan_unref(plan);

	/* Another owner's function below the bus: never, unless explicitly allowed. */
	peers[1].owner = "vm2";
	f.owner = "vm1";
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "cxl_bus", "0000:05:00.0 below the same bus belongs to vm2");
	vfr_reset_plan_unref(plan);

	peers[1].owner = "vm1";
	plan = reset_plan_build(&f);
	assert_methods(plan, "cxl_bus");
	vfr_reset_plan_unref(plan);

	peers[1].owner = "vm2";
	f.flags |= VFR_RESET_ALLOW_OTHER_OWNERS;
	plan = reset_plan_build(&f);
	assert_methods(plan, "cxl_bus");
	vfr_reset_plan_unref(plan);
}

static void test_other_owner_target(void **state)
{
	static const char *const m[] = { "flr", NULL };
	struct reset_facts f = endpoint("0000:01:00.0", m, VFR_CAP_FLR);
	struct vfr_reset_plan *plan;
	(void)state;

	f.owner = "vm2";
	f.caller = "vm1";
	f.flags = VFR_RESET_ALLOW_OTHER_OWNERS | VFR_RESET_ALLOW_HOST_DRIVERS;
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "flr", "0000:01:00.0 belongs to vm2, not to vm1");
	vfr_reset_plan_unref(plan);

	f.caller = "vm2";
	plan = reset_plan_build(&f);
	assert_methods(plan, "flr");
	vfr_reset_plan_unref(plan);
}

static void test_vfio_mechanisms(void **state)
{
	static const char *const m[] = { "pm", NULL };
	struct reset_peer peer = { .name = "0000:04:00.1", .driver = "vfio-pci",
				   .driver_type = VFR_DRIVER_VFIO_PCI, .relation = PEER_SAME_BUS };
	struct reset_facts f = endpoint("0000:04:00.0", m, CAPS_PM);
	struct vfr_reset_plan *plan;
	(void)state;

	f.bus_peers = &peer;
	f.n_bus_peers = 1;
	plan = reset_plan_build(&f);
	assert_methods(plan, "pm");
	assert_reason(plan, "vfio", "none was passed");
	assert_reason(plan, "hot", "none was passed");
	vfr_reset_plan_unref(plan);

	f.have_device_fd = true;
	f.hot_allowed = 0;
	f.hot_blocker = "0000:04:00.1 is in group 13, which you do not hold";
	plan = reset_plan_build(&f);
	assert_methods(plan, "pm");
	assert_reason(plan, "vfio", "VFIO_DEVICE_FLAGS_RESET");
	assert_reason(plan, "hot", "group 13, which you do not hold");
	vfr_reset_plan_unref(plan);

	f.vfio_reset_flag = true;
	f.hot_allowed = 1;
	plan = reset_plan_build(&f);
	assert_methods(plan, "vfio,pm,hot");
	assert_int_equal(vfr_reset_plan_get_mechanism(plan, 0), VFR_RESET_MECH_VFIO_DEVICE);
	assert_int_equal(vfr_reset_plan_get_mechanism(plan, 2), VFR_RESET_MECH_VFIO_HOT);
	assert_string_equal(vfr_reset_mechanism_to_string(VFR_RESET_MECH_VFIO_HOT),
			    "vfio-hot-reset");
	assert_int_equal(vfr_reset_plan_get_n_affected(plan, 2), 2);
	assert_string_equal(vfr_reset_plan_get_affected(plan, 2, 1), "0000:04:00.1");
	vfr_reset_plan_unref(plan);
}

/* The kernel's affected set and proof of ownership travel with the `hot` candidate. */
static void test_hot_from_kernel_verdict(void **state)
{
	static const char *const m[] = { "pm", NULL };
	static const char *const affected[] = { "0000:04:00.0", "0000:04:00.1", NULL };
	static const int groups[] = { 11 };
	struct reset_facts f = endpoint("0000:04:00.0", m, CAPS_PM);
	struct vfr_reset_plan *plan;
	const struct reset_candidate *hot;
	(void)state;

	/* No verdict: the reason the facts carry, else what is missing. */
	plan = reset_plan_build(&f);
	assert_reason(plan, "hot", "needs a VFIO holding");
	vfr_reset_plan_unref(plan);
	f.hot_unknown = "0000:04:00.0 is open through its group";
	plan = reset_plan_build(&f);
	assert_reason(plan, "hot", "open through its group");
	vfr_reset_plan_unref(plan);

	/* No bus peers known from the topology: the kernel's list is the affected set. */
	f.have_device_fd = true;
	f.hot_allowed = 1;
	f.hot_affected = affected;
	f.hot_groups = groups;
	f.n_hot_groups = 1;
	plan = reset_plan_build(&f);
	assert_methods(plan, "pm,hot");
	hot = plan->methods->pdata[1];
	assert_int_equal(hot->n_affected, 2);
	assert_string_equal(hot->affected[1], "0000:04:00.1");
	assert_false(hot->cdev);
	assert_int_equal(hot->n_groups, 1);
	assert_int_equal(hot->groups[0], 11);
	vfr_reset_plan_unref(plan);

	/* cdev: an empty fd array, whatever groups were named. */
	f.hot_cdev = true;
	plan = reset_plan_build(&f);
	hot = plan->methods->pdata[1];
	assert_true(hot->cdev);
	assert_int_equal(hot->n_groups, 0);
	vfr_reset_plan_unref(plan);
}

/* A restriction keeps the plan's order and says why the rest is out. */
static void test_restricted(void **state)
{
	static const char *const m[] = { "flr", "pm", "bus", NULL };
	static const char *const only[] = { "bus", "hot", "flr", "af_flr", NULL };
	struct reset_facts f = endpoint("0000:03:00.0", m, VFR_CAP_FLR | CAPS_PM);
	struct vfr_reset_plan *plan;
	(void)state;

	f.only_methods = only;
	f.have_device_fd = true;
	f.vfio_reset_flag = true;
	f.hot_allowed = 1;
	plan = reset_plan_build(&f);
	assert_methods(plan, "flr,bus,hot");
	assert_reason(plan, "vfio", "not requested (the methods were restricted to bus, hot, flr, "
		      "af_flr)");
	assert_reason(plan, "pm", "not requested");
	assert_reason(plan, "af_flr", "the kernel does not offer af_flr for 0000:03:00.0");
	vfr_reset_plan_unref(plan);

	assert_true(reset_method_known("cxl_bus"));
	assert_true(reset_method_known("hot"));
	assert_false(reset_method_known("kernel"));
	assert_false(reset_method_known(NULL));
}

static void test_affected_and_policy(void **state)
{
	static const char *const m[] = { "cxl_bus", "flr", NULL };
	struct reset_peer peer = { .name = "0000:04:00.1", .driver_type = VFR_DRIVER_NONE };
	struct reset_facts f = endpoint("0000:04:00.0", m, VFR_CAP_FLR);
	struct vfr_reset_plan *plan;
	GHashTable *fp;
	enum vfr_reset_policy p;
	(void)state;

	f.bus_peers = &peer;
	f.n_bus_peers = 1;
	f.policy = VFR_RESET_NO_STRICT;
	plan = reset_plan_build(&f);
	assert_int_equal(vfr_reset_plan_get_policy(plan), VFR_RESET_NO_STRICT);
	fp = reset_plan_affected(plan);
	assert_int_equal(g_hash_table_size(fp), 2);
	assert_true(g_hash_table_contains(fp, "0000:04:00.1"));
	g_hash_table_unref(fp);
	vfr_reset_plan_unref(plan);

	assert_int_equal(vfr_reset_policy_from_string("no-strict", &p), 0);
	assert_int_equal(p, VFR_RESET_NO_STRICT);
	assert_int_equal(vfr_reset_policy_from_string("skip", &p), 0);
	assert_int_equal(p, VFR_RESET_SKIP);
	assert_int_equal(vfr_reset_policy_from_string("lenient", &p), -EINVAL);
	assert_int_equal(p, VFR_RESET_SKIP);
}

/*
 * Every method of a PF resets its VFs (VF Enable is cleared): a VF held by
 * another process, or of another owner, refuses each of them, naming it,
 * and the plan is refused (not failed); free, the VFs are in every
 * method's affected set, `vfio` included.
 */
static void test_pf_reaches_vfs(void **state)
{
	static const char *const m[] = { "flr", "pm", NULL };
	static const int holder[] = { 4242 };
	struct reset_peer vfs[] = {
		{ .name = "0000:01:10.0", .driver = "vfio-pci", .driver_type = VFR_DRIVER_VFIO_PCI,
		  .relation = PEER_VF, .holders = holder, .n_holders = 1 },
		{ .name = "0000:01:10.2", .driver = "igbvf", .driver_type = VFR_DRIVER_HOST,
		  .relation = PEER_VF },
	};
	struct reset_facts f = endpoint("0000:01:00.0", m, VFR_CAP_FLR | CAPS_PM | VFR_CAP_SRIOV);
	struct vfr_reset_plan *plan;
	(void)state;

	f.vfs = vfs;
	f.n_vfs = G_N_ELEMENTS(vfs);
	f.flags = VFR_RESET_ALLOW_HOST_DRIVERS;
	f.have_device_fd = true;
	f.vfio_reset_flag = true;
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_true(reset_plan_is_refused(plan));
	assert_true(reset_plan_is_held_only(plan));
	assert_reason(plan, "flr", "0000:01:10.0 (a VF of 0000:01:00.0, reset with it) is held "
		      "open through VFIO by process 4242");
	assert_reason(plan, "pm", "process 4242");
	assert_reason(plan, "vfio", "process 4242");
	vfr_reset_plan_unref(plan);

	vfs[0].n_holders = 0;
	vfs[0].owner = "vmB";
	f.caller = "vmA";
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_true(reset_plan_is_refused(plan));
	assert_false(reset_plan_is_held_only(plan));
	assert_reason(plan, "flr", "0000:01:10.0 (a VF of 0000:01:00.0, reset with it) belongs to "
		      "vmB");
	vfr_reset_plan_unref(plan);

	vfs[0].owner = NULL;
	plan = reset_plan_build(&f);
	assert_methods(plan, "vfio,flr,pm");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(vfr_reset_plan_get_n_affected(plan, i), 3);
		assert_string_equal(vfr_reset_plan_get_affected(plan, i, 1), "0000:01:10.0");
		assert_string_equal(vfr_reset_plan_get_affected(plan, i, 2), "0000:01:10.2");
	}
	vfr_reset_plan_unref(plan);

	/* A VF under its host driver needs the same permission as the PF. */
	f.flags = 0;
	f.driver = "vfio-pci";
	f.driver_type = VFR_DRIVER_VFIO_PCI;
	plan = reset_plan_build(&f);
	assert_methods(plan, "");
	assert_reason(plan, "flr", "0000:01:10.2 (a VF of 0000:01:00.0, reset with it) is bound to "
		      "igbvf and not owned by you");
	vfr_reset_plan_unref(plan);
}

/* What protects someone refuses; what cannot work fails; a stuck call and a stale host refuse. */
static void test_refused_or_failed(void **state)
{
	static const char *const m[] = { "pm", NULL };
	struct reset_facts f = endpoint("0000:02:00.0", m, VFR_CAP_PM);
	struct vfr_reset_plan *plan;
	(void)state;

	plan = reset_plan_build(&f); /* NoSoftRst: cannot work */
	assert_methods(plan, "");
	assert_false(reset_plan_is_refused(plan));
	assert_false(vfr_reset_plan_get_excluded_protects(plan, 0));
	vfr_reset_plan_unref(plan);

	f.caps = CAPS_PM;
	f.driver = "e1000e";
	f.driver_type = VFR_DRIVER_HOST;
	plan = reset_plan_build(&f);
	assert_true(reset_plan_is_refused(plan));
	assert_false(reset_plan_is_held_only(plan));
	vfr_reset_plan_unref(plan);

	f.driver = "vfio-pci";
	f.driver_type = VFR_DRIVER_VFIO_PCI;
	f.pending = "a reset (flr) of 0000:02:00.0 has been pending in the kernel since then";
	plan = reset_plan_build(&f);
	assert_true(reset_plan_is_refused(plan));
	assert_true(reset_plan_is_held_only(plan));
	assert_reason(plan, "pm", "has been pending in the kernel");
	vfr_reset_plan_unref(plan);

	f.pending = NULL;
	f.stale_host = "0000:02:00.0 has 2 VFs enabled now, 0 when the host was scanned";
	plan = reset_plan_build(&f);
	assert_true(reset_plan_is_refused(plan));
	assert_reason(plan, "pm", "scanned");
	vfr_reset_plan_unref(plan);
}

/* The facts a plan rests on, and what the check at the write says when they changed. */
static void test_facts_seen_and_diff(void **state)
{
	static const char *const m[] = { "flr", "pm", NULL };
	static const int holder[] = { 77 };
	struct reset_peer vf = { .name = "0000:01:10.0", .driver = "vfio-pci",
				 .driver_type = VFR_DRIVER_VFIO_PCI, .relation = PEER_VF };
	struct reset_facts f = endpoint("0000:01:00.0", m, VFR_CAP_FLR | CAPS_PM);
	g_auto(GStrv) before = NULL, same = NULL, after = NULL;
	g_autofree char *none = NULL, *diff = NULL;
	(void)state;

	f.vfs = &vf;
	f.n_vfs = 1;
	before = reset_facts_seen(&f);
	assert_true(g_strv_contains((const char *const *)before,
				    "0000:01:00.0 driver: vfio-pci (vfio-pci)"));
	assert_true(g_strv_contains((const char *const *)before, "0000:01:10.0 holders: none"));
	assert_true(g_strv_contains((const char *const *)before, "0000:01:00.0 reset_method: flr pm"));
	same = reset_facts_seen(&f);
	none = reset_facts_diff((const char *const *)before, (const char *const *)same);
	assert_null(none);

	f.driver = "e1000e";
	f.driver_type = VFR_DRIVER_HOST;
	vf.holders = holder;
	vf.n_holders = 1;
	after = reset_facts_seen(&f);
	diff = reset_facts_diff((const char *const *)before, (const char *const *)after);
	assert_non_null(diff);
	assert_non_null(strstr(diff, "0000:01:00.0 driver: was vfio-pci (vfio-pci), now e1000e (host)"));
	assert_non_null(strstr(diff, "0000:01:10.0 holders: was none, now 77"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_igb_pf),
		cmocka_unit_test(test_igb_vf_and_virtio),
		cmocka_unit_test(test_lone_e1000e),
		cmocka_unit_test(test_two_function),
		cmocka_unit_test(test_bridge_refused),
		cmocka_unit_test(test_e1000_behind_bridge),
		cmocka_unit_test(test_nvme_and_nosoftrst),
		cmocka_unit_test(test_no_methods),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_bus_peers),
		cmocka_unit_test(test_other_owner_target),
		cmocka_unit_test(test_vfio_mechanisms),
		cmocka_unit_test(test_hot_from_kernel_verdict),
		cmocka_unit_test(test_restricted),
		cmocka_unit_test(test_affected_and_policy),
		cmocka_unit_test(test_pf_reaches_vfs),
		cmocka_unit_test(test_refused_or_failed),
		cmocka_unit_test(test_facts_seen_and_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
