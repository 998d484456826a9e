/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hot reset through the library's kernel mode, against the simulated kernel
 * on the QEMU topology of doc/kernel-behaviour.md (tests/fixtures/qemu-q35.ini):
 * the functions of each recorded case are bound to vfio-pci through sysfs,
 * held as a VMM holds them (group fds in a container, or cdevs bound to one
 * iommufd), and the kernel's hot-reset INFO answer, evaluated, must be the
 * answer the real kernels gave — and the same as the prediction from sysfs.
 */
#include "mock-lib.h"

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"

/*
 * qemu-q35.ini with the cdev path on (as bzImage-6.12-cdev), and nothing
 * else changed; read by the runner, before any case.
 */
static char *q35_cdev_text(void)
{
	g_autofree char *ini = g_build_filename(getenv("VFR_FIXTURES"), "qemu-q35.ini", NULL);
	char *text = NULL, *at;

	if (!g_file_get_contents(ini, &text, NULL, NULL) ||
	    !(at = strstr(text, "vfio_cdev=false"))) {
		fprintf(stderr, "%s: cannot read it, or it has no vfio_cdev=false\n", ini);
		exit(EXIT_FAILURE);
	}
	memcpy(at, "vfio_cdev=true ", strlen("vfio_cdev=false"));
	return text;
}

/* driver_override, unbind, drivers_probe: the way a manager hands a function to vfio-pci. */
static void to_vfio(const char *addr)
{
	g_autofree char *override = g_strconcat(DEV, addr, "/driver_override", NULL);
	g_autofree char *unbind = g_strconcat(DEV, addr, "/driver/unbind", NULL);
	g_autofree char *link = g_strconcat(DEV, addr, "/driver", NULL);
	int r;

	assert_int_equal(attr_write(override, "vfio-pci"), 0);
	r = attr_write(unbind, addr);
	assert_true(r == 0 || r == -ENOENT);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", addr), 0);
	{
		char target[512];
		ssize_t n = readlink(link, target, sizeof(target) - 1);

		assert_true(n > 0);
		target[n] = '\0';
		assert_string_equal(strrchr(target, '/') + 1, "vfio-pci");
	}
}

/* Holds @held (NULL-terminated) in @mode and asks the kernel about @target. */
static struct vfr_hot_reset_check *ask_kernel(struct vfr_host *host, enum vfr_hot_reset_mode mode,
					      const char *target, const char *const *held)
{
	struct vfr_vfio_holding *h = NULL;
	struct vfr_hot_reset_check *c = NULL;
	struct vfr_error *err = NULL;

	assert_int_equal(vfr_vfio_holding_new(host, mode, &h), 0);
	for (const char *const *a = held; *a; a++)
		if (vfr_vfio_holding_add(h, mock_device(host, *a), &err) < 0)
			fail_msg("holding %s: %s", *a, vfr_error_get_message(err));
	assert_true(vfr_vfio_holding_get_device_fd(h, mock_device(host, target)) >= 0);
	if (vfr_vfio_holding_check_hot_reset(h, mock_device(host, target), &c, &err) < 0)
		fail_msg("checking %s: %s", target, vfr_error_get_message(err));
	assert_true(vfr_hot_reset_check_from_kernel(c));
	vfr_vfio_holding_free(h);
	return c;
}

static struct vfr_hot_reset_check *predict(struct vfr_host *host, enum vfr_hot_reset_mode mode,
					   const char *target, const char *const *held)
{
	struct vfr_address addrs[8];
	struct vfr_hot_reset_check *c = NULL;
	size_t n = 0;

	for (const char *const *a = held; *a; a++)
		assert_int_equal(vfr_address_parse(*a, &addrs[n++], NULL), 0);
	assert_int_equal(vfr_device_check_hot_reset(mock_device(host, target), addrs, n, mode, &c, NULL), 0);
	assert_false(vfr_hot_reset_check_from_kernel(c));
	return c;
}

/* The kernel's answer and the prediction, entry by entry. */
static void assert_same(const struct vfr_hot_reset_check *k, const struct vfr_hot_reset_check *p)
{
	assert_int_equal(vfr_hot_reset_check_is_allowed(k), vfr_hot_reset_check_is_allowed(p));
	assert_int_equal(vfr_hot_reset_check_get_errno(k), vfr_hot_reset_check_get_errno(p));
	assert_int_equal(vfr_hot_reset_check_get_mode(k), vfr_hot_reset_check_get_mode(p));
	assert_int_equal(vfr_hot_reset_check_get_n_affected(k), vfr_hot_reset_check_get_n_affected(p));
	for (size_t i = 0; i < vfr_hot_reset_check_get_n_affected(k); i++) {
		assert_string_equal(vfr_hot_reset_check_get_affected(k, i),
				    vfr_hot_reset_check_get_affected(p, i));
		assert_int_equal(vfr_hot_reset_check_get_affected_state(k, i),
				 vfr_hot_reset_check_get_affected_state(p, i));
		assert_int_equal(vfr_hot_reset_check_get_affected_reason(k, i),
				 vfr_hot_reset_check_get_affected_reason(p, i));
	}
	assert_int_equal(vfr_hot_reset_check_get_n_groups(k), vfr_hot_reset_check_get_n_groups(p));
	for (size_t i = 0; i < vfr_hot_reset_check_get_n_groups(k); i++)
		assert_int_equal(vfr_hot_reset_check_get_group(k, i), vfr_hot_reset_check_get_group(p, i));
}

/* Asks both ways, checks they agree, and returns the kernel's answer. */
static struct vfr_hot_reset_check *both(struct vfr_host *host, enum vfr_hot_reset_mode mode,
					const char *target, const char *const *held)
{
	struct vfr_hot_reset_check *k = ask_kernel(host, mode, target, held);
	struct vfr_hot_reset_check *p = predict(host, mode, target, held);

	assert_same(k, p);
	vfr_hot_reset_check_free(p);
	return k;
}

static void test_lone_function(void **state)
{
	struct mock *m = mock_current();
	static const char *const held[] = { "0000:02:00.0", NULL };
	struct vfr_hot_reset_check *c;
	struct vfr_host *host;

	to_vfio("0000:02:00.0");
	host = mock_scan();
	c = both(host, VFR_HOT_RESET_MODE_GROUP, "0000:02:00.0", held);
	/* "lone e1000e -> 1 entry"; with all affected group fds -> 0. */
	assert_true(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_n_affected(c), 1);
	assert_int_equal(vfr_hot_reset_check_get_affected_group(c, 0), 11);
	assert_int_equal(vfr_hot_reset_check_get_affected_state(c, 0), VFR_HOT_RESET_STATE_OPENED);
	assert_int_equal(vfr_hot_reset_check_get_n_groups(c), 1);
	assert_int_equal(vfr_hot_reset_check_get_group(c, 0), 11);
	vfr_hot_reset_check_free(c);
	vfr_host_unref(host);
	mock_free(m);
}

static void test_two_functions_and_bridge(void **state)
{
	struct mock *m = mock_current();
	static const char *const two[] = { "0000:04:00.0", NULL };
	static const char *const behind[] = { "0000:06:01.0", NULL };
	struct vfr_hot_reset_check *c;
	struct vfr_host *host;

	to_vfio("0000:04:00.0");
	to_vfio("0000:04:00.1");
	to_vfio("0000:06:01.0");
	to_vfio("0000:06:02.0");
	host = mock_scan();
	/* Two entries, one group: the unopened sibling is owned through it. */
	c = both(host, VFR_HOT_RESET_MODE_GROUP, "0000:04:00.0", two);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_n_affected(c), 2);
	assert_int_equal(vfr_hot_reset_check_get_affected_state(c, 1), VFR_HOT_RESET_STATE_OWNED);
	vfr_hot_reset_check_free(c);
	/* "bridge devices -> 2 entries, same group" */
	c = both(host, VFR_HOT_RESET_MODE_GROUP, "0000:06:01.0", behind);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_n_affected(c), 2);
	assert_int_equal(vfr_hot_reset_check_get_affected_group(c, 1), 14);
	vfr_hot_reset_check_free(c);
	vfr_host_unref(host);
	mock_free(m);
}

static void test_vf_pf_on_host_driver(void **state)
{
	struct mock *m = mock_current();
	static const char *const held[] = { "0000:01:10.0", NULL };
	struct vfr_hot_reset_check *c;
	struct vfr_host *host;

	to_vfio("0000:01:10.0");
	host = mock_scan();
	/* "igb VF -> 3 entries"; "missing a group (PF not on vfio) -> EINVAL" */
	c = both(host, VFR_HOT_RESET_MODE_GROUP, "0000:01:10.0", held);
	assert_false(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	assert_int_equal(vfr_hot_reset_check_get_n_affected(c), 3);
	assert_int_equal(vfr_hot_reset_check_get_affected_group(c, 0), 10);
	assert_int_equal(vfr_hot_reset_check_get_affected_group(c, 1), 17);
	assert_int_equal(vfr_hot_reset_check_get_affected_group(c, 2), 18);
	assert_int_equal(vfr_hot_reset_check_get_affected_reason(c, 0),
			 VFR_HOT_RESET_REASON_NOT_VFIO_BOUND);
	assert_non_null(strstr(vfr_hot_reset_check_get_summary(c), "igb"));
	vfr_hot_reset_check_free(c);
	vfr_host_unref(host);
	mock_free(m);
}

static void test_vf_set(void **state)
{
	struct mock *m = mock_current();
	static const char *const vf[] = { "0000:01:10.0", NULL };
	static const char *const all[] = { "0000:01:10.0", "0000:01:00.0", "0000:01:10.2", NULL };
	struct vfr_hot_reset_check *c;
	struct vfr_host *host;

	/*
	 * Unbinding igb disables SR-IOV and the VFs go; they come back under
	 * the PF's new driver (vfio-pci with enable_sriov) and are rebound.
	 */
	to_vfio("0000:01:00.0");
	assert_false(path_exists(DEV "0000:01:10.0"));
	assert_int_equal(attr_write("/sys/module/vfio_pci/parameters/enable_sriov", "Y\n"), 0);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "2"), 0);
	assert_true(path_exists(DEV "0000:01:10.2"));
	to_vfio("0000:01:10.0");
	to_vfio("0000:01:10.2");
	host = mock_scan();
	c = both(host, VFR_HOT_RESET_MODE_GROUP, "0000:01:10.0", vf);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	assert_int_equal(vfr_hot_reset_check_get_affected_reason(c, 0),
			 VFR_HOT_RESET_REASON_GROUP_NOT_HELD);
	vfr_hot_reset_check_free(c);
	c = both(host, VFR_HOT_RESET_MODE_GROUP, "0000:01:10.0", all);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_n_groups(c), 3);
	vfr_hot_reset_check_free(c);
	vfr_host_unref(host);
	mock_free(m);
}

static void test_cdev(void **state)
{
	struct mock *m = mock_current();
	static const char *const lone[] = { "0000:02:00.0", NULL };
	static const char *const two[] = { "0000:04:00.0", NULL };
	static const char *const vf[] = { "0000:01:10.0", NULL };
	struct vfr_hot_reset_check *c;
	struct vfr_host *host;

	to_vfio("0000:02:00.0");
	to_vfio("0000:04:00.0");
	to_vfio("0000:04:00.1");
	to_vfio("0000:01:10.0");
	host = mock_scan();
	/* flags DEV_ID|DEV_ID_OWNED; the caller's device has devid 1. */
	c = both(host, VFR_HOT_RESET_MODE_CDEV, "0000:02:00.0", lone);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_mode(c), VFR_HOT_RESET_MODE_CDEV);
	assert_true(vfr_hot_reset_check_get_affected_devid(c, 0) > 0);
	assert_int_equal(vfr_hot_reset_check_get_n_groups(c), 0);
	vfr_hot_reset_check_free(c);
	/* A same-group unopened sibling: devid 0, owned. */
	c = both(host, VFR_HOT_RESET_MODE_CDEV, "0000:04:00.0", two);
	assert_true(vfr_hot_reset_check_is_allowed(c));
	assert_int_equal(vfr_hot_reset_check_get_affected_devid(c, 1), 0);
	vfr_hot_reset_check_free(c);
	/* The VF case: PF and other VF at 0xffffffff, EINVAL. */
	c = both(host, VFR_HOT_RESET_MODE_CDEV, "0000:01:10.0", vf);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), EINVAL);
	assert_int_equal(vfr_hot_reset_check_get_affected_devid(c, 0), 0xffffffffLL);
	assert_int_equal(vfr_hot_reset_check_get_affected_devid(c, 2), 0xffffffffLL);
	vfr_hot_reset_check_free(c);
	vfr_host_unref(host);
	mock_free(m);
}

/* A function on the root bus: INFO itself answers ENODEV, a check, not a failure. */
static void test_root_bus(void **state)
{
	struct mock *m = mock_current();
	static const char *const held[] = { "0000:00:03.0", NULL };
	struct vfr_hot_reset_check *c;
	struct vfr_host *host;

	to_vfio("0000:00:03.0");
	host = mock_scan();
	c = both(host, VFR_HOT_RESET_MODE_GROUP, "0000:00:03.0", held);
	assert_int_equal(vfr_hot_reset_check_get_errno(c), ENODEV);
	assert_int_equal(vfr_hot_reset_check_get_reason(c), VFR_HOT_RESET_REASON_NO_RESET_METHOD);
	vfr_hot_reset_check_free(c);
	vfr_host_unref(host);
	mock_free(m);
}

/* Failures name the function and the cause, and release everything opened. */
static void test_failures(void **state)
{
	struct mock *m = mock_current();
	struct vfr_vfio_holding *h = NULL, *h2 = NULL;
	struct vfr_error *err = NULL;
	struct vfr_host *host;

	to_vfio("0000:02:00.0");
	host = mock_scan();

	/* Not bound to vfio: no group node. */
	assert_int_equal(vfr_vfio_holding_new(host, VFR_HOT_RESET_MODE_GROUP, &h), 0);
	assert_int_equal(vfr_vfio_holding_add(h, mock_device(host, "0000:03:00.0"), &err), -ENOENT);
	assert_non_null(strstr(vfr_error_get_message(err), "0000:03:00.0"));
	vfr_error_free(err);
	err = NULL;

	/* A group is opened once: a second holder meets EBUSY. */
	assert_int_equal(vfr_vfio_holding_add(h, mock_device(host, "0000:02:00.0"), NULL), 0);
	assert_int_equal(vfr_vfio_holding_new(host, VFR_HOT_RESET_MODE_GROUP, &h2), 0);
	assert_int_equal(vfr_vfio_holding_add(h2, mock_device(host, "0000:02:00.0"), &err), -EBUSY);
	assert_non_null(strstr(vfr_error_get_message(err), "0000:02:00.0"));
	vfr_error_free(err);
	err = NULL;
	vfr_vfio_holding_free(h2);
	vfr_vfio_holding_free(h);

	/* The group's ioctls failing: an error naming the function, the group and the errno. */
	fault_add(m, "ioctl /dev/vfio/11 errno=EIO");
	assert_int_equal(vfr_vfio_holding_new(host, VFR_HOT_RESET_MODE_GROUP, &h), 0);
	assert_int_equal(vfr_vfio_holding_add(h, mock_device(host, "0000:02:00.0"), &err), -EIO);
	assert_non_null(strstr(vfr_error_get_message(err), "0000:02:00.0"));
	assert_non_null(strstr(vfr_error_get_message(err), "group 11"));
	assert_true(vfr_vfio_holding_get_device_fd(h, mock_device(host, "0000:02:00.0")) < 0);
	vfr_error_free(err);
	vfr_vfio_holding_free(h);
	vfr_host_unref(host);
	mock_free(m);
}

/* Each case on its own tree of the q35 host, with the cdev path off or on. */
#define Q35(fn) MOCK_CASE(fn, NULL, NULL, .fixture = "qemu-q35.ini")
#define CDEV(fn) MOCK_CASE(fn, NULL, NULL, .host = cdev_host)

int main(int argc, char **argv)
{
	g_autofree char *cdev_host = q35_cdev_text();
	const struct vfr_test tests[] = {
		Q35(test_lone_function),
		Q35(test_two_functions_and_bridge),
		Q35(test_vf_pf_on_host_driver),
		Q35(test_vf_set),
		CDEV(test_cdev),
		Q35(test_root_bus),
		Q35(test_failures),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
