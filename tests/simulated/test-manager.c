/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a VM manager relies on, against the simulated kernel: a group that
 * would not be viable refused before any write, bind then restore as the
 * identity, persisted owners honoured by bindings and resets, and the ACS
 * verdict of the switch ports above a function. Each operation scans
 * afresh, as a new process would.
 */
#include "mock-lib.h"

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"

/* A root port, a switch with three downstream ports (ACS on, half on, none) and an endpoint below each. */
static const char switch_ini[] =
	"[host]\nvfio_dev=true\n"
	"[driver vfio-pci]\n"
	"[driver pcieport]\nbuiltin=true\n"
	"[device 0000:00:01.0]\n"
	"kind=root-port\nvendor=8086\ndevice=a110\ndriver=pcieport\ncaps=msi\niommu_group=1\n"
	"[device 0000:01:00.0]\n"
	"kind=upstream-port\nvendor=10b5\ndevice=8747\nparent=0000:00:01.0\ndriver=pcieport\n"
	"iommu_group=2\n"
	"[device 0000:02:08.0]\n"
	"kind=downstream-port\nvendor=10b5\ndevice=8747\nparent=0000:01:00.0\ndriver=pcieport\n"
	"caps=msi,acs\niommu_group=3\n"
	"[device 0000:02:09.0]\n"
	"kind=downstream-port\nvendor=10b5\ndevice=8747\nparent=0000:01:00.0\ndriver=pcieport\n"
	"caps=msi,acs\nacs_ctrl=0011\niommu_group=4\n"
	"[device 0000:02:0a.0]\n"
	"kind=downstream-port\nvendor=10b5\ndevice=8747\nparent=0000:01:00.0\ndriver=pcieport\n"
	"caps=msi\niommu_group=5\n"
	"[device 0000:03:00.0]\n"
	"vendor=8086\ndevice=10d3\nparent=0000:02:08.0\ndriver=e1000e\niommu_group=6\n"
	"reset_method=flr\ncaps=pm,flr\n"
	"[device 0000:04:00.0]\n"
	"vendor=8086\ndevice=10d3\nparent=0000:02:09.0\ndriver=e1000e\niommu_group=7\n"
	"reset_method=flr\ncaps=pm,flr\n"
	"[device 0000:05:00.0]\n"
	"vendor=8086\ndevice=10d3\nparent=0000:02:0a.0\ndriver=e1000e\niommu_group=5\n"
	"reset_method=flr\ncaps=pm,flr\n"
	/* Put on vfio-pci at boot by an administrator (vfio-pci.ids= or a udev rule). */
	"[device 0000:00:02.0]\n"
	"vendor=8086\ndevice=10d3\ndriver=vfio-pci\ndriver_override=vfio-pci\niommu_group=8\n"
	"reset_method=flr\ncaps=pm,flr\n";

/* Each case runs in a process of its own on the tree it declares (mock.h). */
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

/* The simulated kernel's journal: every write it took, one per line; "" when none. */
static char *journal(const struct mock *m)
{
	g_autofree char *path = mock_path(m, ".vfr-mock/journal");
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

enum op { OP_BIND, OP_RESTORE };

/* One binding from a fresh scan; returns its result, with the message in *@ret_msg (g_free). */
static int bind_op(enum op op, const char *const *addrs, unsigned int flags, const char *owner,
		   char **ret_msg)
{
	struct vfr_host *host = mock_scan();
	struct vfr_binding *b = NULL;
	struct vfr_error *err = NULL;
	int r;

	assert_int_equal(vfr_binding_new(host, &b), 0);
	for (; *addrs; addrs++)
		assert_int_equal(vfr_binding_add_device(b, mock_device(host, *addrs)), 0);
	assert_int_equal(vfr_binding_set_flags(b, flags), 0);
	assert_int_equal(vfr_binding_set_owner(b, owner), 0);
	assert_int_equal(vfr_binding_set_timeout(b, 5000, -1), 0);
	r = op == OP_BIND ? vfr_binding_bind(b, &err) : vfr_binding_restore(b, &err);
	if (ret_msg)
		*ret_msg = g_strdup(err ? vfr_error_get_message(err) : "");
	else if (r < 0)
		fail_msg("binding failed (%d): %s", r, vfr_error_get_message(err));
	vfr_error_free(err);
	vfr_binding_unref(b);
	vfr_host_unref(host);
	return r;
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' does not say '%s'", text, part);
}

/* ---- viability before any change ---- */

/*
 * The cdev kernel's pcie-pci-bridge is on shpchp: group 14 can never be
 * viable while it is. The bind is refused before the first write: no
 * override, no unbind, no module load, no record.
 */
static void test_group_refused_before_any_write(void **state)
{
	struct mock *m = *state;
	const char *fn[] = { "0000:06:01.0", NULL };
	g_autofree char *msg = NULL, *text = NULL, *rec = NULL;

	assert_int_equal(bind_op(OP_BIND, fn, VFR_BINDING_GROUP, NULL, &msg), -EPERM);
	assert_has(msg, "0000:05:00.0");
	assert_has(msg, "shpchp");
	assert_has(msg, "nothing was changed");
	text = journal(m);
	assert_string_equal(text, "");
	mock_assert_driver("0000:06:01.0", "e1000");
	mock_assert_driver("0000:06:02.0", "8139cp");
	rec = mock_path(m, "run/vfioreset/0000:06:01.0.state");
	assert_false(path_exists(rec));
}

/* The public question a manager asks first, and the same errno from a VFIO holding. */
static void test_viable_if_bound(void **state)
{
	struct vfr_host *host = mock_scan();
	struct vfr_device *a = mock_device(host, "0000:04:00.0"), *b = mock_device(host, "0000:04:00.1");
	struct vfr_device *both[] = { a, b };
	struct vfr_device *blocker = NULL;
	(void)state;

	assert_int_equal(vfr_host_check_group_viable_if_bound(host, 13, both, 1, &blocker), 0);
	assert_ptr_equal(blocker, b);
	assert_int_equal(vfr_host_check_group_viable_if_bound(host, 13, both, 2, &blocker), 1);
	assert_null(blocker);
	/* Nothing counted as bound: as it is now, e1000e on both. */
	assert_int_equal(vfr_host_check_group_viable_if_bound(host, 13, NULL, 0, &blocker), 0);
	assert_int_equal(vfr_host_check_group_viable_if_bound(host, 999, both, 2, NULL), -ENOENT);
	vfr_host_unref(host);
}

/* A group made non-viable after the bind: the check after the moves gives the same errno. */
static void test_not_viable_errno_matches_holding(void **state)
{
	const char *fn[] = { "0000:04:00.0", NULL };
	struct vfr_vfio_holding *h = NULL;
	struct vfr_host *host;
	int r;
	(void)state;

	/* Only one of the pair on vfio-pci: bound, the group noted as not viable. */
	assert_int_equal(bind_op(OP_BIND, fn, 0, NULL, NULL), 0);
	host = mock_scan();
	assert_int_equal(vfr_vfio_holding_new(host, VFR_HOT_RESET_MODE_GROUP, &h), 0);
	r = vfr_vfio_holding_add(h, mock_device(host, "0000:04:00.0"), NULL);
	vfr_vfio_holding_free(h);
	vfr_host_unref(host);
	assert_int_equal(r, -EPERM);
}

/* ---- bind then restore is the identity ---- */

static void test_admin_vfio_binding_survives_restore(void **state)
{
	struct mock *m = *state;
	const char *fn[] = { "0000:00:02.0", NULL };
	g_autofree char *text = NULL;

	assert_int_equal(bind_op(OP_BIND, fn, 0, NULL, NULL), 0);
	assert_int_equal(bind_op(OP_RESTORE, fn, 0, NULL, NULL), 0);
	mock_assert_driver("0000:00:02.0", "vfio-pci");
	assert_attr(DEV "0000:00:02.0/driver_override", "vfio-pci");
	/* Nothing to do either way: the kernel saw no write at all. */
	text = journal(m);
	assert_string_equal(text, "");
	{
		g_autofree char *rec = mock_path(m, "run/vfioreset/0000:00:02.0.state");

		assert_false(path_exists(rec));
	}
}

/* ---- owners that last ---- */

static void persist(const char *owner, const char *addr)
{
	struct vfr_ctx *ctx = NULL;
	struct vfr_address a;

	assert_int_equal(vfr_ctx_new("/", &ctx, NULL), 0);
	assert_int_equal(vfr_address_parse(addr, &a, NULL), 0);
	assert_int_equal(vfr_owners_persist_add(ctx, owner, &a, NULL), 0);
	vfr_ctx_unref(ctx);
}

static struct vfr_owners *load(void)
{
	struct vfr_ctx *ctx = NULL;
	struct vfr_owners *o = NULL;

	assert_int_equal(vfr_ctx_new("/", &ctx, NULL), 0);
	assert_int_equal(vfr_owners_load(ctx, &o, NULL), 0);
	vfr_ctx_unref(ctx);
	return o;
}

static void test_owners_persist_and_conflict(void **state)
{
	struct vfr_ctx *ctx = NULL;
	struct vfr_owners *o;
	struct vfr_error *err = NULL;
	struct vfr_address a;
	(void)state;

	persist("vm1", "0000:03:00.0");
	persist("vm2", "0000:04:00.0");
	persist("vm1", "0000:03:00.0"); /* again: no-op */
	o = load();
	assert_int_equal(vfr_owners_get_n(o), 2);
	assert_string_equal(vfr_owners_get_address(o, 0), "0000:03:00.0");
	assert_string_equal(vfr_owners_get_owner(o, 0), "vm1");
	assert_string_equal(vfr_owners_get_owner(o, 1), "vm2");
	vfr_owners_unref(o);

	assert_int_equal(vfr_ctx_new("/", &ctx, NULL), 0);
	assert_int_equal(vfr_address_parse("0000:04:00.0", &a, NULL), 0);
	assert_int_equal(vfr_owners_persist_add(ctx, "vm1", &a, &err), -EEXIST);
	assert_has(vfr_error_get_message(err), "vm2");
	vfr_error_free(err);
	err = NULL;
	assert_int_equal(vfr_owners_persist_remove(ctx, "vm1", &a, &err), -EPERM);
	vfr_error_free(err);
	assert_int_equal(vfr_owners_persist_add(ctx, "bad\nname", &a, NULL), -EINVAL);
	assert_int_equal(vfr_owners_persist_remove(ctx, "vm2", &a, NULL), 0);
	vfr_ctx_unref(ctx);
	o = load();
	assert_int_equal(vfr_owners_get_n(o), 1);
	vfr_owners_unref(o);
}

static void test_binding_honours_owners(void **state)
{
	struct mock *m = *state;
	const char *mine[] = { "0000:03:00.0", NULL };
	const char *mixed[] = { "0000:03:00.0", "0000:04:00.0", NULL };
	g_autofree char *msg = NULL, *msg2 = NULL, *msg3 = NULL, *text = NULL;
	struct vfr_owners *o;

	persist("vm1", "0000:03:00.0");
	persist("vm2", "0000:04:00.0");
	/* Not on someone else's behalf. */
	assert_int_equal(bind_op(OP_BIND, mine, 0, "vm2", &msg), -EPERM);
	assert_has(msg, "declared for vm1");
	/* Without an owner: one owner per binding. */
	assert_int_equal(bind_op(OP_BIND, mixed, 0, NULL, &msg2), -EPERM);
	assert_has(msg2, "vm2");
	text = journal(m);
	assert_string_equal(text, "");
	mock_assert_driver("0000:03:00.0", "e1000e");

	/* For its owner: bound, and 05:00.0 brought in for vm1 is declared too. */
	{
		const char *two[] = { "0000:03:00.0", "0000:05:00.0", NULL };

		assert_int_equal(bind_op(OP_BIND, two, 0, "vm1", NULL), 0);
	}
	mock_assert_driver("0000:03:00.0", "vfio-pci");
	o = load();
	assert_int_equal(vfr_owners_get_n(o), 3);
	assert_string_equal(vfr_owners_get_address(o, 2), "0000:05:00.0");
	assert_string_equal(vfr_owners_get_owner(o, 2), "vm1");
	vfr_owners_unref(o);
	/* Not restored by vm2 either; by vm1 it is, and withdrawn. */
	assert_int_equal(bind_op(OP_RESTORE, mine, 0, "vm2", &msg3), -EPERM);
	mock_assert_driver("0000:03:00.0", "vfio-pci");
	{
		const char *two[] = { "0000:03:00.0", "0000:05:00.0", NULL };

		assert_int_equal(bind_op(OP_RESTORE, two, 0, "vm1", NULL), 0);
	}
	mock_assert_driver("0000:03:00.0", "e1000e");
	o = load();
	assert_int_equal(vfr_owners_get_n(o), 1);
	assert_string_equal(vfr_owners_get_owner(o, 0), "vm2");
	vfr_owners_unref(o);
}

/* A bind that rolls back withdraws the declarations it made, and only those. */
static void test_rolled_back_bind_withdraws(void **state)
{
	struct mock *m = *state;
	const char *two[] = { "0000:03:00.0", "0000:05:00.0", NULL };
	g_autofree char *msg = NULL;
	struct vfr_owners *o;

	persist("vm1", "0000:03:00.0");
	fault_add(m, "write /sys/bus/pci/drivers/e1000e/unbind errno=EBUSY after=1");
	assert_int_equal(bind_op(OP_BIND, two, 0, "vm1", &msg), -EBUSY);
	mock_assert_driver("0000:03:00.0", "e1000e");
	o = load();
	assert_int_equal(vfr_owners_get_n(o), 1);
	assert_string_equal(vfr_owners_get_address(o, 0), "0000:03:00.0");
	vfr_owners_unref(o);
}

/* A reset made for vm2 does not touch what the file says is vm1's. */
static void test_reset_honours_persisted_owners(void **state)
{
	struct mock *m = *state;
	struct vfr_reset_options *opts = NULL;
	struct vfr_host *host;
	struct vfr_error *err = NULL;
	g_autofree char *text = NULL;

	persist("vm1", "0000:03:00.0");
	host = mock_scan();
	assert_int_equal(vfr_reset_options_new(&opts), 0);
	assert_int_equal(vfr_reset_options_set_flags(opts, VFR_RESET_ALLOW_HOST_DRIVERS), 0);
	assert_int_equal(vfr_reset_options_set_owners(opts, NULL, "vm2"), 0);
	assert_int_equal(vfr_device_reset(mock_device(host, "0000:03:00.0"), opts, &err), -EPERM);
	assert_has(vfr_error_get_message(err), "vm1");
	vfr_error_free(err);
	text = journal(m);
	assert_null(strstr(text, "reset 0000:03:00.0"));
	/* For vm1 it is reset. */
	assert_int_equal(vfr_reset_options_set_owners(opts, NULL, "vm1"), 0);
	assert_int_equal(vfr_device_reset(mock_device(host, "0000:03:00.0"), opts, NULL), 0);
	vfr_reset_options_free(opts);
	vfr_host_unref(host);
}

/* ---- assignability ---- */

static void test_acs_path(void **state)
{
	struct vfr_host *host = mock_scan();
	struct vfr_device *port = NULL;
	struct vfr_error *err = NULL;
	unsigned int missing = 0, ctrl = 0;
	(void)state;

	/* Below a port with SV RR CR UF on. */
	assert_int_equal(vfr_device_check_acs_path(mock_device(host, "0000:03:00.0"), &port, &missing), 1);
	assert_null(port);
	assert_int_equal(vfr_device_check_assignable(mock_device(host, "0000:03:00.0"), true, NULL), 0);
	/* Below a port with only SV and UF on: RR and CR are missing. */
	assert_int_equal(vfr_device_get_acs_control(mock_device(host, "0000:02:09.0"), &ctrl), 0);
	assert_int_equal(ctrl, VFR_ACS_SOURCE_VALIDATION | VFR_ACS_UPSTREAM_FORWARDING);
	assert_int_equal(vfr_device_check_acs_path(mock_device(host, "0000:04:00.0"), &port, &missing), 0);
	assert_string_equal(vfr_device_get_name(port), "0000:02:09.0");
	assert_int_equal(missing, VFR_ACS_REQUEST_REDIRECT | VFR_ACS_COMPLETION_REDIRECT);
	assert_int_equal(vfr_device_check_assignable(mock_device(host, "0000:04:00.0"), true, &err), -EPERM);
	assert_has(vfr_error_get_message(err), "0000:02:09.0");
	assert_has(vfr_error_get_message(err), "request-redirect, completion-redirect");
	vfr_error_free(err);
	assert_int_equal(vfr_device_check_assignable(mock_device(host, "0000:04:00.0"), false, NULL), 0);
	/* Below a port without the capability. */
	assert_int_equal(vfr_device_check_acs_path(mock_device(host, "0000:05:00.0"), &port, &missing), 0);
	assert_string_equal(vfr_device_get_name(port), "0000:02:0a.0");
	assert_int_equal(missing, VFR_ACS_ISOLATING);
	assert_int_equal(vfr_device_get_acs_control(mock_device(host, "0000:02:0a.0"), &ctrl), -ENOENT);
	/* Root ports are not checked (00:01.0 has no ACS), nor a function on the root bus. */
	assert_int_equal(vfr_device_check_acs_path(mock_device(host, "0000:02:08.0"), NULL, NULL), 1);
	assert_int_equal(vfr_device_check_acs_path(mock_device(host, "0000:00:02.0"), NULL, NULL), 1);
	vfr_host_unref(host);
}

static void test_acs_unreadable_port(void **state)
{
	struct mock *m = *state;
	struct vfr_host *host;
	struct vfr_error *err = NULL;

	fault_add(m, "read /sys/devices/*/0000:02:09.0/config errno=EIO");
	host = mock_scan();
	assert_int_equal(vfr_device_check_acs_path(mock_device(host, "0000:04:00.0"), NULL, NULL), -EIO);
	assert_int_equal(vfr_device_check_assignable(mock_device(host, "0000:04:00.0"), false, &err),
			 -EIO);
	assert_has(vfr_error_get_message(err), "0000:02:09.0");
	vfr_error_free(err);
	vfr_host_unref(host);
}

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		MOCK_CASE(test_group_refused_before_any_write, setup, teardown, .fixture = "qemu-q35-cdev.ini"),
		MOCK_CASE(test_viable_if_bound, setup, teardown, .fixture = "qemu-q35.ini"),
		MOCK_CASE(test_not_viable_errno_matches_holding, setup, teardown, .fixture = "qemu-q35.ini"),
		MOCK_CASE(test_admin_vfio_binding_survives_restore, setup, teardown, .host = switch_ini),
		MOCK_CASE(test_owners_persist_and_conflict, setup, teardown, .host = switch_ini),
		MOCK_CASE(test_binding_honours_owners, setup, teardown, .host = switch_ini),
		MOCK_CASE(test_rolled_back_bind_withdraws, setup, teardown, .host = switch_ini),
		MOCK_CASE(test_reset_honours_persisted_owners, setup, teardown, .host = switch_ini),
		MOCK_CASE(test_acs_path, setup, teardown, .host = switch_ini),
		MOCK_CASE(test_acs_unreadable_port, setup, teardown, .host = switch_ini),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
