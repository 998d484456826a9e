/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Holders the kernel has but a scan of group and cdev descriptors missed,
 * under the simulated kernel: a process holding only a device file (its
 * group closed), only a mapping of the cdev, only a mapping of a resource
 * file; and the caller holding the function itself. A reset is refused
 * for each, an unbind refused at once instead of waiting for the holder
 * (or for the caller itself) until its deadline.
 */
#include "mock.h"

#include <linux/vfio.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"
#define FN "0000:02:00.0" /* e1000e in the q35 fixture, group 11 */

struct env {
	struct mock *m;
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	pid_t child;
	int release; /* write end: the child exits when it reads */
};

static void to_vfio(const char *addr)
{
	g_autofree char *override = g_strconcat(DEV, addr, "/driver_override", NULL);
	g_autofree char *unbind = g_strconcat(DEV, addr, "/driver/unbind", NULL);

	assert_int_equal(attr_write(override, "vfio-pci"), 0);
	assert_int_equal(attr_write(unbind, addr), 0);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", addr), 0);
}

static void rescan(struct env *e)
{
	vfr_host_unref(e->host);
	assert_int_equal(vfr_host_scan(e->ctx, &e->host, NULL), 0);
}

/* On the case's tree, as it declares it. */
static struct env *env_new(bool vfio)
{
	struct env *e = g_new0(struct env, 1);

	e->m = mock_current();
	e->child = -1;
	e->release = -1;
	if (vfio)
		to_vfio(FN);
	assert_int_equal(vfr_ctx_new("/", &e->ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(e->ctx, &e->host, NULL), 0);
	return e;
}

static int setup_vfio(void **state)
{
	*state = env_new(true);
	return 0;
}

static int setup_host_driver(void **state)
{
	*state = env_new(false);
	return 0;
}

static void child_end(struct env *e)
{
	int status;

	if (e->child <= 0)
		return;
	close(e->release);
	assert_int_equal(waitpid(e->child, &status, 0), e->child);
	e->child = -1;
}

static int teardown(void **state)
{
	struct env *e = *state;

	child_end(e);
	vfr_host_unref(e->host);
	vfr_ctx_unref(e->ctx);
	mock_free(e->m);
	g_free(e);
	return 0;
}

static struct vfr_device *fn(struct env *e)
{
	struct vfr_device *dev = NULL;

	assert_int_equal(vfr_host_lookup(e->host, FN, &dev, NULL), 0);
	return dev;
}

/* A VMM's way to a device file: container, group, IOMMU, GET_DEVICE_FD. -errno on failure. */
static int device_file(int *ret_group, int *ret_container)
{
	int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	int group = open("/dev/vfio/11", O_RDWR | O_CLOEXEC);
	int fd;

	if (container < 0 || group < 0 ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0 ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return -errno;
	fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, FN);
	if (fd < 0)
		return -errno;
	*ret_group = group;
	*ret_container = container;
	return fd;
}

/*
 * Runs @hold in a child, which keeps what it holds until the test ends;
 * returns once it holds it.
 */
static void hold_in_child(struct env *e, bool (*hold)(void))
{
	int ready[2], release[2];
	char c = 'n';

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	e->child = fork();
	assert_true(e->child >= 0);
	if (e->child == 0) {
		close(release[1]);
		c = hold() ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		/* Until the test closes its end. */
		if (read(release[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	e->release = release[1];
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(c, 'y');
}

/* Only a device file: the group and the container are closed again. */
static bool hold_device_file(void)
{
	int group = -1, container = -1;
	int fd = device_file(&group, &container);

	if (fd < 0)
		return false;
	close(group);
	close(container);
	return true;
}

static struct vfr_reset_batch *reset(struct env *e, unsigned int flags)
{
	struct vfr_reset_options *o = NULL;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_device *dev = fn(e);

	assert_int_equal(vfr_reset_options_new(&o), 0);
	assert_int_equal(vfr_reset_options_set_policy(o, VFR_RESET_NO_STRICT), 0);
	assert_int_equal(vfr_reset_options_set_flags(o, flags), 0);
	assert_int_equal(vfr_reset_options_set_timeout(o, 5000), 0);
	assert_int_equal(vfr_reset_batch_run(&dev, 1, o, &batch, NULL), 0);
	vfr_reset_options_free(o);
	return batch;
}

static int unbind(struct env *e, struct vfr_error **err)
{
	struct vfr_binding *b = NULL;
	int r;

	assert_int_equal(vfr_binding_new(e->host, &b), 0);
	assert_int_equal(vfr_binding_add_device(b, fn(e)), 0);
	assert_int_equal(vfr_binding_set_timeout(b, 3000, 1000), 0);
	r = vfr_binding_unbind(b, err);
	vfr_binding_unref(b);
	return r;
}

static bool nothing_reset(struct env *e)
{
	return !journal_has(e->m, "reset " FN " pm ok") && !journal_has(e->m, "reset " FN " pm EIO");
}

/*
 * A VMM that closed its group keeps the device through its device file.
 * A kernel before 6.18 does not say which function such a file is: the
 * process may hold this one, and that is what is said.
 */
static void test_device_file_only(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;
	struct vfr_error *err = NULL;

	hold_in_child(e, hold_device_file);
	batch = reset(e, 0);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_int_equal(vfr_reset_result_get_error(res), -EBUSY);
	assert_int_equal(vfr_reset_result_get_n_holders(res), 0);
	assert_int_equal(vfr_reset_result_get_n_uncertain_holders(res), 1);
	assert_int_equal(vfr_reset_result_get_uncertain_holder(res, 0), e->child);
	assert_non_null(strstr(vfr_reset_result_get_message(res), "does not name"));
	assert_true(nothing_reset(e));
	vfr_reset_batch_free(batch);

	/* The unbind is refused at once, not left waiting on the holder. */
	assert_int_equal(unbind(e, &err), -EBUSY);
	assert_non_null(strstr(vfr_error_get_message(err), "may be held"));
	vfr_error_free(err);
	assert_false(journal_has(e->m, "wait " FN " vfio-pci"));

	/* The holder gone, both go ahead. */
	child_end(e);
	rescan(e);
	batch = reset(e, 0);
	assert_int_equal(vfr_reset_result_get_n_uncertain_holders(vfr_reset_batch_get_result(batch, 0)),
			 0);
	assert_false(nothing_reset(e));
	vfr_reset_batch_free(batch);
	assert_int_equal(unbind(e, NULL), 0);
}

/* QEMU's way: the group stays open beside its device file. */
static bool hold_group_and_device_file(void)
{
	int group = -1, container = -1;

	return device_file(&group, &container) >= 0;
}

/*
 * A VMM that keeps its group open (QEMU does) took its device files from
 * that group: it holds FN for certain, and another vfio-bound function,
 * in another group, is not held by it - a manager resets the devices of a
 * VM that ended while others run.
 */
static void test_vmm_with_group_holds_only_its_group(void **state)
{
	struct env *e = *state;
	struct vfr_reset_options *o = NULL;
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;
	struct vfr_device *other = NULL;

	to_vfio("0000:07:00.0");
	rescan(e);
	hold_in_child(e, hold_group_and_device_file);

	batch = reset(e, 0);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_int_equal(vfr_reset_result_get_outcome(res), VFR_RESET_OUTCOME_REFUSED);
	assert_int_equal(vfr_reset_result_get_n_holders(res), 1);
	assert_int_equal(vfr_reset_result_get_holder(res, 0), e->child);
	vfr_reset_batch_free(batch);

	assert_int_equal(vfr_host_lookup(e->host, "0000:07:00.0", &other, NULL), 0);
	assert_int_equal(vfr_reset_options_new(&o), 0);
	assert_int_equal(vfr_reset_options_set_timeout(o, 5000), 0);
	assert_int_equal(vfr_reset_batch_run(&other, 1, o, &batch, NULL), 0);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_int_equal(vfr_reset_result_get_n_uncertain_holders(res), 0);
	assert_int_equal(vfr_reset_result_get_outcome(res), VFR_RESET_OUTCOME_RESET);
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

static char *cdev_node(void)
{
	g_autofree char *dir = g_strconcat(DEV, FN, "/vfio-dev", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	char *node;

	assert_non_null(d);
	node = g_strconcat("/dev/vfio/devices/", g_dir_read_name(d), NULL);
	g_dir_close(d);
	return node;
}

/* A mapping of @path, its descriptor closed. */
static bool map_and_close(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return false;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return p != MAP_FAILED;
}

static bool map_cdev(void)
{
	g_autofree char *node = cdev_node();

	return map_and_close(node);
}

/* Only a mapping of the cdev's BARs: the kernel keeps the device file for it. */
static void test_cdev_mapping_only(void **state)
{
	struct env *e = *state;
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;
	struct vfr_holders *h = NULL;

	hold_in_child(e, map_cdev);
	assert_int_equal(vfr_device_find_holders(fn(e), &h, NULL), 0);
	assert_int_equal(vfr_holders_get_n(h), 1);
	assert_int_equal(vfr_holders_get_pid(h, 0), e->child);
	assert_int_equal(vfr_holders_get_self(h), 0);
	vfr_holders_free(h);
	batch = reset(e, 0);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_int_equal(vfr_reset_result_get_n_holders(res), 1);
	assert_int_equal(vfr_reset_result_get_holder(res, 0), e->child);
	assert_true(nothing_reset(e));
	vfr_reset_batch_free(batch);
}

static bool map_resource(void)
{
	return map_and_close(DEV FN "/resource0");
}

/* A BAR mapped through sysfs by a user of a host-driven function. */
static void test_resource_mapping(void **state)
{
	struct env *e = *state;
	g_autofree char *res0 = mock_path(e->m, "sys/devices/pci0000:00/0000:00:02.1/" FN "/resource0");
	struct vfr_reset_batch *batch;
	struct vfr_reset_result *res;

	/* The fixture has no BAR files: one is made behind the simulated kernel's back. */
	unsetenv("VFR_MOCK_ROOT");
	assert_true(g_file_set_contents(res0, "", 0, NULL));
	setenv("VFR_MOCK_ROOT", e->m->root, 1);
	hold_in_child(e, map_resource);
	batch = reset(e, VFR_RESET_ALLOW_HOST_DRIVERS);
	res = vfr_reset_batch_get_result(batch, 0);
	assert_false(vfr_reset_result_is_ok(res));
	assert_int_equal(vfr_reset_result_get_n_holders(res), 1);
	assert_true(nothing_reset(e));
	vfr_reset_batch_free(batch);
}

/*
 * The caller itself holds the function (a VMM's manager that did not let
 * go): its unbind would wait for itself until the deadline. Refused.
 */
static void test_self_holding(void **state)
{
	struct env *e = *state;
	struct vfr_vfio_holding *hold = NULL;
	struct vfr_holders *h = NULL;
	struct vfr_error *err = NULL;

	assert_int_equal(vfr_vfio_holding_new(e->host, VFR_HOT_RESET_MODE_GROUP, &hold), 0);
	if (vfr_vfio_holding_add(hold, fn(e), &err) < 0)
		fail_msg("%s", vfr_error_get_message(err));
	assert_int_equal(vfr_device_find_holders(fn(e), &h, NULL), 0);
	assert_int_equal(vfr_holders_get_n(h), 0);
	assert_int_equal(vfr_holders_get_self(h), 1);
	vfr_holders_free(h);
	assert_int_equal(unbind(e, &err), -EBUSY);
	assert_non_null(strstr(vfr_error_get_message(err), "held by this process"));
	vfr_error_free(err);
	assert_false(journal_has(e->m, "wait " FN " vfio-pci"));
	vfr_vfio_holding_free(hold);
	assert_int_equal(unbind(e, NULL), 0);
}

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		MOCK_CASE(test_device_file_only, setup_vfio, teardown,
			  .fixture = "qemu-q35.ini"),
		MOCK_CASE(test_cdev_mapping_only, setup_vfio, teardown,
			  .fixture = "qemu-q35-cdev.ini"),
		MOCK_CASE(test_resource_mapping, setup_host_driver, teardown,
			  .fixture = "qemu-q35.ini"),
		MOCK_CASE(test_self_holding, setup_vfio, teardown,
			  .fixture = "qemu-q35.ini"),
		MOCK_CASE(test_vmm_with_group_holds_only_its_group, setup_vfio, teardown,
			  .fixture = "qemu-q35.ini"),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
