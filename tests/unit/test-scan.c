/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scan, the index and the lazy facts, on trees made by vfr-mkfixture from
 * descriptions written here; each test makes its own tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <vfioreset/vfioreset.h>

#include "bus-reset.h"

struct fixture {
	char *dir;
	char *root;
	struct vfr_ctx *ctx;
	struct vfr_host *host;
};

static const char host_description[] =
	"[device 0000:00:00.0]\nkind=endpoint\nvendor=8086\ndevice=29c0\nclass=060000\n"
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"
	"iommu_group=1\n"
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\ndriver=e1000e\n"
	"iommu_group=2\nreset_method=pm bus\ncaps=pm,flr\n"
	"[device 0000:01:00.1]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"
	"driver=vfio-pci\niommu_group=2\nreset_method=\ncaps=pm-nosoftrst,af-flr\n"
	"[device 0000:80:00.0]\nkind=root-port\nvendor=1b36\ndevice=000c\niommu_group=3\n"
	"[device 0000:81:00.0]\nvendor=8086\ndevice=10c9\nparent=0000:80:00.0\ndriver=igb\n"
	"iommu_group=4\nreset_method=flr pm bus\ncaps=pm,flr,sriov\n"
	"[device 0000:81:10.0]\nvendor=8086\ndevice=10ca\nparent=0000:80:00.0\nphysfn=0000:81:00.0\n"
	"driver=mlx5_vfio_pci\niommu_group=5\nreset_method=flr\ncaps=flr\n"
	"[device 0000:81:10.2]\nvendor=8086\ndevice=10ca\nparent=0000:80:00.0\nphysfn=0000:81:00.0\n"
	"driver=igbvf\niommu_group=6\nreset_method=flr\ncaps=flr\n";

static const char corrupt_description[] =
	"[device 0000:00:01.0]\nvendor=8086\ndevice=1001\ncaps=pm,flr\ncorrupt=cap-loop\n"
	"[device 0000:00:02.0]\nvendor=8086\ndevice=1002\ncorrupt=all-ones\n"
	"[device 0000:00:03.0]\nvendor=8086\ndevice=1003\ncorrupt=truncated\n"
	"[device 0000:00:04.0]\nvendor=8086\ndevice=1004\nmissing=vendor,class,uevent\n"
	"[device 0000:00:05.0]\nvendor=8086\ndevice=1005\ndriver=e1000e\ndangling=driver\n"
	"[device 0000:00:06.0]\nvendor=8086\ndevice=1006\niommu_group=7\nescaping=iommu_group\n";

static struct fixture *make_fixture(const char *description)
{
	struct fixture *f = g_new0(struct fixture, 1);
	g_autofree char *ini = NULL;
	g_autofree char *err_out = NULL;
	const char *mk = getenv("VFR_MKFIXTURE");
	int status = -1;

	assert_non_null(mk);
	f->dir = g_dir_make_tmp("vfr-scan-XXXXXX", NULL);
	assert_non_null(f->dir);
	ini = g_build_filename(f->dir, "host.ini", NULL);
	f->root = g_build_filename(f->dir, "root", NULL);
	assert_true(g_file_set_contents(ini, description, -1, NULL));
	{
		const char *argv[] = { mk, ini, f->root, NULL };

		assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
					 NULL, &err_out, &status, NULL));
	}
	if (status != 0)
		fail_msg("vfr-mkfixture failed: %s", err_out);
	assert_int_equal(vfr_ctx_new(f->root, &f->ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(f->ctx, &f->host, NULL), 0);
	return f;
}

static void rm_rf(const char *path)
{
	const char *argv[] = { "rm", "-rf", path, NULL };

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
		     NULL);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vfr_host_unref(f->host);
	vfr_ctx_unref(f->ctx);
	rm_rf(f->dir);
	g_free(f->dir);
	g_free(f->root);
	g_free(f);
	return 0;
}

static int setup_host(void **state)
{
	*state = make_fixture(host_description);
	return 0;
}

/* The QEMU topology of the real-kernel notes, as the fixture describes it. */
static int setup_q35(void **state)
{
	g_autofree char *path = g_build_filename(getenv("VFR_FIXTURES"), "qemu-q35.ini", NULL);
	g_autofree char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	*state = make_fixture(text);
	return 0;
}

static int setup_corrupt(void **state)
{
	*state = make_fixture(corrupt_description);
	return 0;
}

static struct vfr_device *dev(struct fixture *f, const char *name)
{
	struct vfr_device *d = NULL;

	assert_int_equal(vfr_host_lookup(f->host, name, &d, NULL), 0);
	return d;
}

static bool has_problem(struct vfr_device *d, const char *needle)
{
	for (size_t i = 0; i < vfr_device_get_n_problems(d); i++)
		if (strstr(vfr_device_get_problem(d, i), needle))
			return true;
	return false;
}

static void test_index(void **state)
{
	struct fixture *f = *state;
	struct vfr_device *rp = dev(f, "0000:00:1c.0"), *d;
	struct vfr_error *err = NULL;

	assert_int_equal(vfr_host_get_n_devices(f->host), 8);
	/* Address order. */
	assert_string_equal(vfr_device_get_name(vfr_host_get_device(f->host, 0)), "0000:00:00.0");
	assert_string_equal(vfr_device_get_name(vfr_host_get_device(f->host, 7)), "0000:81:10.2");
	assert_null(vfr_host_get_device(f->host, 8));

	/* Parents come from the hierarchy; bus 0x80 is a root bus too. */
	assert_null(vfr_device_get_parent(rp));
	assert_ptr_equal(vfr_device_get_parent(dev(f, "01:00.1")), rp);
	assert_null(vfr_device_get_parent(dev(f, "0000:80:00.0")));
	assert_ptr_equal(vfr_device_get_parent(dev(f, "0000:81:10.2")), dev(f, "0000:80:00.0"));
	assert_int_equal(vfr_device_get_n_children(rp), 2);
	assert_ptr_equal(vfr_device_get_child(rp, 1), dev(f, "0000:01:00.1"));
	assert_null(vfr_device_get_child(rp, 2));

	/* Lookups: bad input and absent functions say so. */
	assert_int_equal(vfr_host_lookup(f->host, "0000:01:00", &d, &err), -EINVAL);
	assert_non_null(strstr(vfr_error_get_message(err), "'0000:01:00'"));
	vfr_error_free(err);
	err = NULL;
	assert_int_equal(vfr_host_lookup(f->host, "0000:05:00.0", &d, &err), -ENODEV);
	assert_string_equal(vfr_error_get_address(err), "0000:05:00.0");
	assert_non_null(strstr(vfr_error_get_message(err), "no such PCI function"));
	vfr_error_free(err);
}

static void test_groups_and_sriov(void **state)
{
	struct fixture *f = *state;
	struct vfr_device *pf = dev(f, "0000:81:00.0");

	assert_int_equal(vfr_host_get_n_group_devices(f->host, 2), 2);
	assert_ptr_equal(vfr_host_get_group_device(f->host, 2, 0), dev(f, "0000:01:00.0"));
	assert_ptr_equal(vfr_host_get_group_device(f->host, 2, 1), dev(f, "0000:01:00.1"));
	assert_int_equal(vfr_host_get_n_group_devices(f->host, 99), 0);
	assert_null(vfr_host_get_group_device(f->host, 2, 2));

	assert_int_equal(vfr_device_get_n_virtfns(pf), 2);
	assert_ptr_equal(vfr_device_get_virtfn(pf, 0), dev(f, "0000:81:10.0"));
	assert_ptr_equal(vfr_device_get_physfn(dev(f, "0000:81:10.2")), pf);
	assert_null(vfr_device_get_physfn(pf));
	assert_int_equal(vfr_device_get_n_virtfns(dev(f, "0000:81:10.2")), 0);
}

static void test_facts(void **state)
{
	struct fixture *f = *state;
	struct vfr_device *e = dev(f, "0000:01:00.0"), *v = dev(f, "0000:01:00.1");
	const char *const *methods;
	enum vfr_driver_type type;
	enum vfr_header_type header;
	const char *s;
	unsigned int caps;
	uint16_t id;
	uint32_t cls;
	int group;

	assert_int_equal(vfr_device_get_vendor_id(e, &id), 0);
	assert_int_equal(id, 0x8086);
	assert_int_equal(vfr_device_get_device_id(e, &id), 0);
	assert_int_equal(id, 0x10d3);
	assert_int_equal(vfr_device_get_class(e, &cls), 0);
	assert_int_equal(cls, 0x020000);
	assert_int_equal(vfr_device_get_driver(e, &s), 0);
	assert_string_equal(s, "e1000e");
	assert_int_equal(vfr_device_get_driver_type(e, &type), 0);
	assert_int_equal(type, VFR_DRIVER_HOST);
	assert_int_equal(vfr_device_get_driver_type(v, &type), 0);
	assert_int_equal(type, VFR_DRIVER_VFIO_PCI);
	assert_int_equal(vfr_device_get_driver_type(dev(f, "0000:81:10.0"), &type), 0);
	assert_int_equal(type, VFR_DRIVER_VFIO_VARIANT);
	assert_int_equal(vfr_device_get_driver(dev(f, "0000:00:00.0"), &s), 0);
	assert_null(s);
	assert_int_equal(vfr_device_get_driver_type(dev(f, "0000:00:00.0"), &type), 0);
	assert_int_equal(type, VFR_DRIVER_NONE);
	assert_int_equal(vfr_device_get_driver_override(e, &s), 0);
	assert_null(s);
	assert_int_equal(vfr_device_get_iommu_group(e, &group), 0);
	assert_int_equal(group, 2);
	assert_int_equal(vfr_device_get_iommu_group(dev(f, "0000:00:00.0"), &group), -ENOENT);

	/* reset_method: a list, an empty attribute, and no attribute are three answers. */
	assert_int_equal(vfr_device_get_reset_methods(e, &methods), 0);
	assert_string_equal(methods[0], "pm");
	assert_string_equal(methods[1], "bus");
	assert_null(methods[2]);
	assert_int_equal(vfr_device_get_reset_methods(v, &methods), 0);
	assert_null(methods[0]);
	assert_int_equal(vfr_device_get_reset_methods(dev(f, "0000:00:00.0"), &methods), -ENOENT);

	/* Config space, through libpci. */
	assert_int_equal(vfr_device_get_capabilities(e, &caps, NULL), 0);
	assert_true(caps & VFR_CAP_FLR);
	assert_true(caps & VFR_CAP_PM_RESET);
	assert_false(caps & VFR_CAP_AF_FLR);
	assert_int_equal(vfr_device_get_capabilities(v, &caps, NULL), 0);
	assert_true(caps & VFR_CAP_AF_FLR);
	assert_true(caps & VFR_CAP_PM);
	assert_false(caps & VFR_CAP_PM_RESET); /* NoSoftRst set */
	assert_int_equal(vfr_device_get_capabilities(dev(f, "0000:81:00.0"), &caps, NULL), 0);
	assert_true(caps & VFR_CAP_SRIOV);
	assert_int_equal(vfr_device_get_header_type(dev(f, "0000:00:1c.0"), &header), 0);
	assert_int_equal(header, VFR_HEADER_BRIDGE);
	assert_int_equal(vfr_device_get_header_type(e, &header), 0);
	assert_int_equal(header, VFR_HEADER_ENDPOINT);
	assert_true(vfr_device_is_multifunction(e));
	assert_false(vfr_device_is_multifunction(dev(f, "0000:00:00.0")));
	for (size_t i = 0; i < vfr_host_get_n_devices(f->host); i++)
		assert_int_equal(vfr_device_get_n_problems(vfr_host_get_device(f->host, i)), 0);
}

static void test_vanished(void **state)
{
	struct fixture *f = *state;
	struct vfr_device *d = dev(f, "0000:01:00.1");
	g_autofree char *path = g_build_filename(f->root, "sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.1",
						 NULL);
	unsigned int caps;
	uint16_t id;

	rm_rf(path);
	assert_int_equal(vfr_device_get_vendor_id(d, &id), -ENODEV);
	assert_true(has_problem(d, "vanished"));
	assert_int_equal(vfr_device_get_capabilities(d, &caps, NULL), -ENODEV);
	/* Its neighbours are unaffected. */
	assert_int_equal(vfr_device_get_vendor_id(dev(f, "0000:01:00.0"), &id), 0);
}

static void test_corrupt(void **state)
{
	struct fixture *f = *state;
	struct vfr_error *err = NULL;
	unsigned int caps = 0;
	const char *s;
	uint16_t id;
	uint32_t cls;
	int group;

	/* A loop: what was found before it is kept, the loop is reported. */
	assert_int_equal(vfr_device_get_capabilities(dev(f, "0000:00:01.0"), &caps, NULL), 0);
	assert_true(has_problem(dev(f, "0000:00:01.0"), "loop"));

	assert_int_equal(vfr_device_get_capabilities(dev(f, "0000:00:02.0"), &caps, &err), -EIO);
	assert_non_null(strstr(vfr_error_get_message(err), "0000:00:02.0"));
	assert_non_null(strstr(vfr_error_get_message(err), "0xFF"));
	vfr_error_free(err);
	err = NULL;

	assert_int_equal(vfr_device_get_capabilities(dev(f, "0000:00:03.0"), &caps, &err), -EIO);
	assert_non_null(strstr(vfr_error_get_message(err), "48 bytes"));
	vfr_error_free(err);

	assert_int_equal(vfr_device_get_vendor_id(dev(f, "0000:00:04.0"), &id), -ENOENT);
	assert_int_equal(vfr_device_get_class(dev(f, "0000:00:04.0"), &cls), -ENOENT);
	assert_true(has_problem(dev(f, "0000:00:04.0"), "no vendor attribute"));
	assert_int_equal(vfr_device_get_device_id(dev(f, "0000:00:04.0"), &id), 0);

	assert_int_equal(vfr_device_get_driver(dev(f, "0000:00:05.0"), &s), -EIO);
	assert_true(has_problem(dev(f, "0000:00:05.0"), "does not exist"));

	assert_int_equal(vfr_device_get_iommu_group(dev(f, "0000:00:06.0"), &group), -EIO);
	assert_true(has_problem(dev(f, "0000:00:06.0"), "does not lead to"));
}

static void collect_log(void *userdata, int priority, const char *domain, const char *message)
{
	g_string_append_printf(userdata, "%d %s %s\n", priority, domain, message);
}

/* @expected: the affected set as "a b c", or NULL for a function on a root bus. */
static void check_scope(struct fixture *f, const char *name, const char *expected, bool probe)
{
	struct vfr_device *d = dev(f, name);
	struct vfr_device **devs = NULL;
	size_t n = 0;
	int r = scope_bus_affected(d, &devs, &n);

	if (!expected) {
		assert_int_equal(r, -ENOTTY);
	} else {
		g_autoptr(GString) got = g_string_new(NULL);

		assert_int_equal(r, 0);
		for (size_t i = 0; i < n; i++)
			g_string_append_printf(got, "%s%s", i ? " " : "", vfr_device_get_name(devs[i]));
		assert_string_equal(got->str, expected);
	}
	g_free(devs);
	if (scope_bus_method_probe(d, NULL) != probe)
		fail_msg("%s: bus method probe should be %s", name, probe ? "true" : "false");
}

/*
 * Bus reset scopes, and the live `bus` probe that tells the stale entries of
 * the notes (04:00.0, 05:00.0, 06:01.0) from the real ones (02:00.0, 07:00.0,
 * 08:00.0).
 */
static void test_bus_scope(void **state)
{
	struct fixture *f = *state;

	check_scope(f, "0000:02:00.0", "0000:02:00.0", true);
	check_scope(f, "0000:07:00.0", "0000:07:00.0", true);
	/* Below the slow-link port the probe succeeds; the reset itself gets ENOTTY. */
	check_scope(f, "0000:08:00.0", "0000:08:00.0", true);
	check_scope(f, "0000:04:00.0", "0000:04:00.0 0000:04:00.1", false);
	check_scope(f, "0000:04:00.1", "0000:04:00.0 0000:04:00.1", false);
	check_scope(f, "0000:05:00.0", "0000:05:00.0 0000:06:01.0 0000:06:02.0", false);
	check_scope(f, "0000:06:01.0", "0000:06:01.0 0000:06:02.0", false);
	/* VFs sit on their PF's bus: once they exist, the PF is no longer alone. */
	check_scope(f, "0000:01:10.2", "0000:01:00.0 0000:01:10.0 0000:01:10.2", false);
	check_scope(f, "0000:00:03.0", NULL, false);
	/* What makes the live probe fail is named: the sibling, or the function below a bridge. */
	{
		const char *who = "unset";

		assert_false(scope_bus_method_probe(dev(f, "0000:04:00.0"), &who));
		assert_string_equal(who, "0000:04:00.1");
		assert_false(scope_bus_method_probe(dev(f, "0000:05:00.0"), &who));
		assert_string_equal(who, "0000:06:01.0");
		assert_true(scope_bus_method_probe(dev(f, "0000:02:00.0"), &who));
		assert_null(who);
	}
	check_scope(f, "0000:00:1f.2", NULL, false);
	check_scope(f, "0000:00:02.3", NULL, false);
}

static void test_bad_roots(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("vfr-root-XXXXXX", NULL);
	g_autoptr(GString) log = g_string_new(NULL);
	struct vfr_error *err = NULL;
	struct vfr_host *host = NULL;
	struct vfr_ctx *ctx = NULL;

	assert_int_equal(vfr_ctx_new("/nonexistent/vfioreset", &ctx, &err), -ENOENT);
	assert_null(ctx);
	assert_non_null(strstr(vfr_error_get_message(err), "/nonexistent/vfioreset"));
	vfr_error_free(err);
	err = NULL;

	/* A root with no sys: the scan says what is missing. */
	assert_int_equal(vfr_ctx_new(dir, &ctx, NULL), 0);
	vfr_ctx_set_log_fn(ctx, collect_log, log);
	vfr_ctx_set_log_priority(ctx, LOG_DEBUG);
	assert_int_equal(vfr_ctx_get_log_priority(ctx), LOG_DEBUG);
	assert_int_equal(vfr_host_scan(ctx, &host, &err), -ENOENT);
	assert_null(host);
	assert_non_null(strstr(vfr_error_get_message(err), "no sys directory"));
	vfr_error_free(err);
	vfr_ctx_unref(ctx);
	g_rmdir(dir);

	assert_int_equal(vfr_ctx_new(NULL, NULL, NULL), -EINVAL);
	assert_null(vfr_ctx_unref(NULL));
	assert_null(vfr_host_unref(NULL));
}

static void test_env_root(void **state)
{
	struct fixture *f = *state;
	struct vfr_ctx *ctx = NULL;

	g_setenv("VFIORESET_ROOT", f->root, TRUE);
	g_setenv("VFIORESET_LOG", "debug", TRUE);
	assert_int_equal(vfr_ctx_new(NULL, &ctx, NULL), 0);
	g_unsetenv("VFIORESET_ROOT");
	g_unsetenv("VFIORESET_LOG");
	assert_string_equal(vfr_ctx_get_root(ctx), f->root);
	assert_int_equal(vfr_ctx_get_log_priority(ctx), LOG_DEBUG);
	vfr_ctx_unref(ctx);
}

/* A function directory of a hand-made tree: ROOT/sys/@path with a vendor and a header. */
static void make_function(const char *root, const char *path)
{
	g_autofree char *dir = g_build_filename(root, "sys", path, NULL);
	g_autofree char *vendor = g_build_filename(dir, "vendor", NULL);

	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_true(g_file_set_contents(vendor, "0x8086\n", -1, NULL));
}

static void link_function(const char *root, const char *name, const char *target)
{
	g_autofree char *devices = g_build_filename(root, "sys/bus/pci/devices", NULL);
	g_autofree char *link = g_build_filename(devices, name, NULL);

	assert_int_equal(g_mkdir_with_parents(devices, 0755), 0);
	assert_int_equal(symlink(target, link), 0);
}

/*
 * Two functions, each placed below the other: parents that loop. Walking
 * the topology (a bus reset's scope) used to recurse until the stack ran
 * out; the loop is now a problem of every function on it.
 */
static void test_parent_cycle(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("vfr-cycle-XXXXXX", NULL);
	g_autofree struct vfr_device **affected = NULL;
	struct vfr_reset_plan *plan = NULL;
	struct vfr_host *host = NULL;
	struct vfr_ctx *ctx = NULL;
	struct vfr_device *a = NULL, *b = NULL, *c = NULL;
	size_t n = 0;

	(void)state;
	make_function(dir, "devices/pci0000:00/0000:06:00.0/0000:05:00.0");
	make_function(dir, "devices/pci0000:00/0000:05:00.0/0000:06:00.0");
	make_function(dir, "devices/pci0000:00/0000:05:00.0/0000:06:00.0/0000:07:00.0");
	link_function(dir, "0000:05:00.0", "../../../devices/pci0000:00/0000:06:00.0/0000:05:00.0");
	link_function(dir, "0000:06:00.0", "../../../devices/pci0000:00/0000:05:00.0/0000:06:00.0");
	link_function(dir, "0000:07:00.0",
		      "../../../devices/pci0000:00/0000:05:00.0/0000:06:00.0/0000:07:00.0");
	assert_int_equal(vfr_ctx_new(dir, &ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(ctx, &host, NULL), 0);
	assert_int_equal(vfr_host_lookup(host, "0000:05:00.0", &a, NULL), 0);
	assert_int_equal(vfr_host_lookup(host, "0000:06:00.0", &b, NULL), 0);
	assert_int_equal(vfr_host_lookup(host, "0000:07:00.0", &c, NULL), 0);
	assert_true(has_problem(a, "parents loop"));
	assert_true(has_problem(b, "parents loop"));
	assert_null(vfr_device_get_parent(a));
	assert_null(vfr_device_get_parent(b));
	/* Below the loop the tree is whole. */
	assert_ptr_equal(vfr_device_get_parent(c), b);
	assert_int_equal(scope_bus_affected(c, &affected, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(scope_bus_affected(a, &affected, &n), -ENOTTY);
	assert_int_equal(vfr_reset_plan_new(c, NULL, &plan, NULL), 0);
	vfr_reset_plan_unref(plan);
	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
	rm_rf(dir);
}

/* 01:00.0 and 0000:01:00.0 in one listing are one function, the kernel's spelling kept. */
static void test_two_spellings(void **state)
{
	struct fixture *f = *state;
	g_autofree char *link = g_build_filename(f->root, "sys/bus/pci/devices/01:00.0", NULL);
	struct vfr_host *host = NULL;
	struct vfr_device *d = NULL;
	size_t n = 0;

	assert_int_equal(symlink("../../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0", link), 0);
	assert_int_equal(vfr_host_scan(f->ctx, &host, NULL), 0);
	for (size_t i = 0; i < vfr_host_get_n_devices(host); i++)
		n += strcmp(vfr_device_get_name(vfr_host_get_device(host, i)), "0000:01:00.0") == 0;
	assert_int_equal(n, 1);
	assert_int_equal(vfr_host_get_n_devices(host), vfr_host_get_n_devices(f->host));
	assert_int_equal(vfr_host_lookup(host, "01:00.0", &d, NULL), 0);
	assert_true(has_problem(d, "a second time, as '01:00.0'"));
	vfr_host_unref(host);
}

/* An empty root is an unset variable, never the host; a symlinked sys is not followed. */
static void test_root_refusals(void **state)
{
	struct fixture *f = *state;
	g_autofree char *dir = g_dir_make_tmp("vfr-root-XXXXXX", NULL);
	g_autofree char *sys = g_build_filename(dir, "sys", NULL);
	g_autofree char *real_sys = g_build_filename(f->root, "sys", NULL);
	struct vfr_error *err = NULL;
	struct vfr_host *host = NULL;
	struct vfr_ctx *ctx = NULL;

	assert_int_equal(vfr_ctx_new("", &ctx, &err), -EINVAL);
	assert_null(ctx);
	assert_non_null(strstr(vfr_error_get_message(err), "empty"));
	vfr_error_free(err);
	err = NULL;

	assert_int_equal(symlink(real_sys, sys), 0);
	assert_int_equal(vfr_ctx_new(dir, &ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(ctx, &host, &err), -ELOOP);
	assert_null(host);
	assert_non_null(strstr(vfr_error_get_message(err), "not followed"));
	vfr_error_free(err);
	vfr_ctx_unref(ctx);
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index, setup_host, teardown),
		cmocka_unit_test_setup_teardown(test_groups_and_sriov, setup_host, teardown),
		cmocka_unit_test_setup_teardown(test_facts, setup_host, teardown),
		cmocka_unit_test_setup_teardown(test_vanished, setup_host, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup_corrupt, teardown),
		cmocka_unit_test_setup_teardown(test_env_root, setup_host, teardown),
		cmocka_unit_test_setup_teardown(test_bus_scope, setup_q35, teardown),
		cmocka_unit_test(test_bad_roots),
		cmocka_unit_test(test_parent_cycle),
		cmocka_unit_test_setup_teardown(test_two_spellings, setup_host, teardown),
		cmocka_unit_test_setup_teardown(test_root_refusals, setup_host, teardown),
	};

	return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}
