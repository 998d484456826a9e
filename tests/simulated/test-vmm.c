/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a VMM needs, against the simulated kernel on the QEMU topology
 * (tests/fixtures/qemu-q35.ini, qemu-q35-cdev.ini): the nodes it opens and
 * the files its manager must let it open; the VMM's own group and device
 * fds handed to the library (a hot reset with them, and what is refused);
 * the resets of one bus merged into one hot reset; the Command register
 * left alone when asked; the holders and how they hold; SR-IOV numbering,
 * network interfaces and the refresh of what was read.
 */
#include "mock-lib.h"

#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <vfioreset/vfioreset.h>

#define DEV "/sys/bus/pci/devices/"
#define LONE "0000:02:00.0"
#define FN0 "0000:04:00.0"
#define FN1 "0000:04:00.1"

struct env {
	struct mock *m;
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	/* What the VMM opened itself, as QEMU does. */
	int container, group_fd, device_fd[2];
};

static void to_vfio(const char *addr)
{
	g_autofree char *override = g_strconcat(DEV, addr, "/driver_override", NULL);
	g_autofree char *unbind = g_strconcat(DEV, addr, "/driver/unbind", NULL);
	int r;

	assert_int_equal(attr_write(override, "vfio-pci"), 0);
	r = attr_write(unbind, addr);
	assert_true(r == 0 || r == -ENOENT);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", addr), 0);
}

static struct env *env_text(const char *text, const char *fixture, const char *const *bound)
{
	struct env *e = g_new0(struct env, 1);

	e->m = text ? mock_new(text, NULL) : mock_fixture(fixture);
	e->container = e->group_fd = e->device_fd[0] = e->device_fd[1] = -1;
	for (const char *const *a = bound; a && *a; a++)
		to_vfio(*a);
	assert_int_equal(vfr_ctx_new("/", &e->ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(e->ctx, &e->host, NULL), 0);
	return e;
}

static struct env *env_new(const char *fixture, const char *const *bound)
{
	return env_text(NULL, fixture, bound);
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (!e)
		return 0;
	for (int i = 0; i < 2; i++)
		if (e->device_fd[i] >= 0)
			close(e->device_fd[i]);
	if (e->group_fd >= 0)
		close(e->group_fd);
	if (e->container >= 0)
		close(e->container);
	vfr_host_unref(e->host);
	vfr_ctx_unref(e->ctx);
	mock_free(e->m);
	g_free(e);
	return 0;
}

static struct vfr_device *dev_of(struct env *e, const char *addr)
{
	return mock_device(e->host, addr);
}

static int group_of(struct env *e, const char *addr)
{
	int group = -1;

	assert_int_equal(vfr_device_get_iommu_group(dev_of(e, addr), &group), 0);
	return group;
}

/* The VMM's own open, as QEMU's vfio_get_group() and vfio_get_device() do it. */
static void vmm_open(struct env *e, const char *const *addrs)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char node[64];

	snprintf(node, sizeof(node), "/dev/vfio/%d", group_of(e, addrs[0]));
	e->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	e->group_fd = open(node, O_RDWR | O_CLOEXEC);
	assert_true(e->container >= 0 && e->group_fd >= 0);
	assert_int_equal(ioctl(e->group_fd, VFIO_GROUP_GET_STATUS, &status), 0);
	assert_true(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(ioctl(e->group_fd, VFIO_GROUP_SET_CONTAINER, &e->container), 0);
	assert_int_equal(ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	for (int i = 0; i < 2 && addrs[i]; i++) {
		e->device_fd[i] = ioctl(e->group_fd, VFIO_GROUP_GET_DEVICE_FD, addrs[i]);
		assert_true(e->device_fd[i] >= 0);
	}
}

static size_t journal_count(const struct mock *m, const char *prefix)
{
	g_autofree char *path = mock_path(m, ".vfr-mock/journal");
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	size_t n = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		n += g_str_has_prefix(*l, prefix);
	return n;
}

static struct vfr_reset_options *hot_only(struct vfr_vfio_holding *holding, unsigned int flags)
{
	static const char *const hot[] = { "hot", NULL };
	struct vfr_reset_options *o = NULL;

	assert_int_equal(vfr_reset_options_new(&o), 0);
	assert_int_equal(vfr_reset_options_set_timeout(o, 10000), 0);
	assert_int_equal(vfr_reset_options_set_methods(o, hot), 0);
	assert_int_equal(vfr_reset_options_set_flags(o, flags), 0);
	assert_int_equal(vfr_reset_options_set_vfio_holding(o, holding), 0);
	return o;
}

static uint16_t command_of(const char *addr)
{
	g_autofree char *path = g_strconcat(DEV, addr, "/config", NULL);
	uint8_t b[2] = { 0xff, 0xff };
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 2, 4), 2);
	close(fd);
	return (uint16_t)(b[0] | b[1] << 8);
}

/* ---- nodes and files ---- */

/* Group mode: the group node and the container; the sysfs files libvirt labels. */
static void test_access_group(void **state)
{
	static const char *const bound[] = { LONE, NULL };
	struct env *e = *state = env_new("qemu-q35.ini", bound);
	struct vfr_device *dev = dev_of(e, LONE);
	struct vfr_access_list *l = NULL;
	g_autofree char *res0 = mock_path(e->m, "sys/devices/pci0000:00/0000:00:02.1/" LONE
					  "/resource0");
	g_autofree char *group_node = g_strdup_printf("/dev/vfio/%d", group_of(e, LONE));
	g_autoptr(GString) paths = g_string_new(NULL);
	const char *node = NULL;

	assert_int_equal(vfr_device_get_vfio_group_node(dev, &node), 0);
	assert_string_equal(node, group_node);
	/* Debian's kernels have no cdev. */
	assert_int_equal(vfr_device_get_vfio_cdev(dev, &node), -ENOENT);

	/* The fixture has no BAR files: one is made behind the simulated kernel's back. */
	unsetenv("VFR_MOCK_ROOT");
	assert_true(g_file_set_contents(res0, "", 0, NULL));
	setenv("VFR_MOCK_ROOT", e->m->root, 1);
	assert_int_equal(vfr_device_list_access(dev, &l, NULL), 0);
	for (size_t i = 0; i < vfr_access_list_get_n(l); i++)
		g_string_append_printf(paths, "%s %s\n",
				       vfr_access_kind_to_string(vfr_access_list_get_kind(l, i)),
				       vfr_access_list_get_path(l, i));
	assert_true(g_str_has_prefix(paths->str, "group-node /dev/vfio/"));
	assert_non_null(strstr(paths->str, "container /dev/vfio/vfio\n"));
	assert_null(strstr(paths->str, "iommufd"));
	assert_non_null(strstr(paths->str, "/0000:02:00.0/config\n"));
	assert_non_null(strstr(paths->str, "/0000:02:00.0/resource0\n"));
	assert_non_null(strstr(paths->str, "/0000:02:00.0/reset\n"));
	assert_null(strstr(paths->str, "/vendor\n"));
	/* A tree made for tests holds plain files: no device number is made up. */
	assert_int_equal(vfr_access_list_get_major(l, 0), -1);
	assert_int_equal(vfr_access_list_get_kind(l, 99), VFR_ACCESS_SYSFS);
	assert_null(vfr_access_list_get_path(l, 99));
	vfr_access_list_free(l);

	assert_true(vfr_driver_type_is_vfio(VFR_DRIVER_VFIO_PCI));
	assert_true(vfr_driver_type_is_vfio(VFR_DRIVER_VFIO_VARIANT));
	assert_false(vfr_driver_type_is_vfio(VFR_DRIVER_PCI_STUB));
	assert_false(vfr_driver_type_is_vfio(VFR_DRIVER_HOST));
	assert_int_equal(vfr_device_list_access(NULL, &l, NULL), -EINVAL);
}

/* The cdev kernel: the cdev with the number the kernel gave it, and /dev/iommu. */
static void test_access_cdev(void **state)
{
	static const char *const bound[] = { LONE, NULL };
	struct env *e = *state = env_new("qemu-q35-cdev.ini", bound);
	struct vfr_device *dev = dev_of(e, LONE);
	g_autofree char *dev_attr = NULL;
	struct vfr_access_list *l = NULL;
	const char *node = NULL;
	unsigned int major = 0, minor = 0;
	bool cdev = false, iommufd = false;

	assert_int_equal(vfr_device_get_vfio_cdev(dev, &node), 0);
	assert_true(g_str_has_prefix(node, "/dev/vfio/devices/vfio"));
	assert_true(path_exists(node));
	dev_attr = g_strdup_printf(DEV LONE "/vfio-dev/%s/dev", node + strlen("/dev/vfio/devices/"));
	{
		g_autofree char *text = attr_read(dev_attr);

		assert_int_equal(sscanf(text, "%u:%u", &major, &minor), 2);
	}
	assert_int_equal(vfr_device_list_access(dev, &l, NULL), 0);
	for (size_t i = 0; i < vfr_access_list_get_n(l); i++) {
		if (vfr_access_list_get_kind(l, i) == VFR_ACCESS_CDEV) {
			cdev = true;
			assert_string_equal(vfr_access_list_get_path(l, i), node);
			assert_int_equal(vfr_access_list_get_major(l, i), (int)major);
			assert_int_equal(vfr_access_list_get_minor(l, i), (int)minor);
		}
		iommufd |= vfr_access_list_get_kind(l, i) == VFR_ACCESS_IOMMUFD &&
			   strcmp(vfr_access_list_get_path(l, i), "/dev/iommu") == 0;
	}
	assert_true(cdev && iommufd);
	vfr_access_list_free(l);
	/* Unbound from vfio, after a refresh: no cdev any more. */
	assert_int_equal(attr_write(DEV LONE "/driver/unbind", LONE), 0);
	assert_int_equal(vfr_device_refresh(dev), 0);
	assert_int_equal(vfr_device_get_vfio_cdev(dev, &node), -ENOENT);
}

/* ---- the VMM's own fds ---- */

/* QEMU's flow: its container, group and device fds, handed over; the hot reset uses them. */
static void test_adopted_group_fds(void **state)
{
	static const char *const pair[] = { FN0, FN1, NULL };
	struct env *e = *state = env_new("qemu-q35.ini", pair);
	struct vfr_vfio_holding *h = NULL;
	struct vfr_hot_reset_check *check = NULL;
	struct vfr_reset_options *o;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_error *err = NULL;
	struct vfr_device *devs[2] = { dev_of(e, FN0), dev_of(e, FN1) };
	int group = group_of(e, FN0);

	vmm_open(e, pair);
	assert_int_equal(vfr_vfio_holding_new(e->host, VFR_HOT_RESET_MODE_GROUP, &h), 0);
	/* Another file is not the group's node, whatever it answers. */
	assert_int_equal(vfr_vfio_holding_adopt_group(h, group, e->container, &err), -EINVAL);
	assert_non_null(strstr(vfr_error_get_message(err), "is not an open /dev/vfio/"));
	vfr_error_free(g_steal_pointer(&err));
	assert_int_equal(vfr_vfio_holding_adopt_group(h, group, e->group_fd, NULL), 0);
	assert_int_equal(vfr_vfio_holding_adopt_group(h, group, e->group_fd, NULL), 0);
	/* A group fd is no device fd. */
	assert_true(vfr_vfio_holding_adopt_device(h, devs[0], e->group_fd, NULL) < 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(vfr_vfio_holding_adopt_device(h, devs[i], e->device_fd[i], NULL), 0);
	assert_int_equal(vfr_vfio_holding_get_device_fd(h, devs[1]), e->device_fd[1]);

	assert_int_equal(vfr_vfio_holding_check_hot_reset(h, devs[0], &check, NULL), 0);
	if (!vfr_hot_reset_check_is_allowed(check))
		fail_msg("%s", vfr_hot_reset_check_get_summary(check));
	assert_int_equal(vfr_hot_reset_check_get_n_groups(check), 1);
	vfr_hot_reset_check_free(check);

	o = hot_only(h, 0);
	assert_int_equal(vfr_reset_batch_run(devs, 1, o, &batch, NULL), 0);
	if (!vfr_reset_batch_is_ok(batch))
		fail_msg("%s", vfr_reset_result_get_message(vfr_reset_batch_get_result(batch, 0)));
	vfr_reset_batch_free(batch);
	assert_true(journal_has(e->m, "hot_reset " FN0 " " FN0 "," FN1 " ok"));
	vfr_reset_options_free(o);
	vfr_vfio_holding_free(h);

	/* The VMM's fds are its own: freeing the holding closed none of them. */
	assert_true(fcntl(e->group_fd, F_GETFD) >= 0);
	assert_true(fcntl(e->device_fd[0], F_GETFD) >= 0);
	{
		struct vfio_group_status status = { .argsz = sizeof(status) };

		assert_int_equal(ioctl(e->group_fd, VFIO_GROUP_GET_STATUS, &status), 0);
	}
	/* A cdev holding proves nothing with group fds. */
	assert_int_equal(vfr_vfio_holding_new(e->host, VFR_HOT_RESET_MODE_CDEV, &h), 0);
	assert_int_equal(vfr_vfio_holding_adopt_group(h, group, e->group_fd, NULL), -EINVAL);
	vfr_vfio_holding_free(h);
}

/* ---- one bus, one hot reset ---- */

/* Both functions of the pair in one batch: one VFIO_DEVICE_PCI_HOT_RESET, both results say so. */
static void test_merged_bus_reset(void **state)
{
	static const char *const pair[] = { FN0, FN1, NULL };
	struct env *e = *state = env_new("qemu-q35.ini", pair);
	struct vfr_device *devs[2] = { dev_of(e, FN0), dev_of(e, FN1) };
	struct vfr_vfio_holding *h = NULL;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_reset_options *o;

	vmm_open(e, pair);
	assert_int_equal(vfr_vfio_holding_new(e->host, VFR_HOT_RESET_MODE_GROUP, &h), 0);
	assert_int_equal(vfr_vfio_holding_adopt_group(h, group_of(e, FN0), e->group_fd, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(vfr_vfio_holding_adopt_device(h, devs[i], e->device_fd[i], NULL), 0);
	assert_int_equal(command_of(FN1) & 0x6, 0x6);
	o = hot_only(h, 0);
	assert_int_equal(vfr_reset_batch_run(devs, 2, o, &batch, NULL), 0);
	for (size_t i = 0; i < 2; i++) {
		struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, i);

		if (!vfr_reset_result_is_ok(res))
			fail_msg("%s", vfr_reset_result_get_message(res));
		assert_string_equal(vfr_reset_result_get_method(res), "hot");
		assert_int_equal(vfr_reset_result_get_n_attempts(res), 1);
		assert_int_equal(vfr_reset_result_get_n_affected(res), 2);
		assert_int_equal(vfr_reset_result_get_n_merged(res), 1);
	}
	assert_null(vfr_reset_result_get_merged_with(vfr_reset_batch_get_result(batch, 0)));
	assert_string_equal(vfr_reset_result_get_merged(vfr_reset_batch_get_result(batch, 0), 0),
			    FN1);
	assert_string_equal(vfr_reset_result_get_merged_with(vfr_reset_batch_get_result(batch, 1)),
			    FN0);
	assert_string_equal(vfr_reset_result_get_merged(vfr_reset_batch_get_result(batch, 1), 0),
			    FN0);
	assert_null(vfr_reset_result_get_merged(vfr_reset_batch_get_result(batch, 1), 1));
	/* One ioctl: the same attempt, of the same duration, in both results. */
	assert_true(vfr_reset_result_get_attempt_ms(vfr_reset_batch_get_result(batch, 0), 0) ==
		    vfr_reset_result_get_attempt_ms(vfr_reset_batch_get_result(batch, 1), 0));
	vfr_reset_batch_free(batch);
	/* One reset of the bus, issued on the first function's fd. */
	assert_int_equal(journal_count(e->m, "hot_reset "), 1);
	assert_true(journal_has(e->m, "hot_reset " FN0 " " FN0 "," FN1 " ok"));
	/* The function served by it was quiesced before it, like the one it was issued on. */
	assert_int_equal(command_of(FN0) & 0x7, 0);
	assert_int_equal(command_of(FN1) & 0x7, 0);
	vfr_reset_options_free(o);
	vfr_vfio_holding_free(h);
}

/* Adds reset behaviour to @addr's line of .vfr-mock/devices (read at each reset). */
static void device_keys(const struct mock *m, const char *addr, const char *keys)
{
	g_autofree char *path = mock_path(m, ".vfr-mock/devices");
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out = g_string_new(NULL);

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (!**l)
			continue;
		g_string_append(out, *l);
		if (g_str_has_prefix(*l, addr) && (*l)[strlen(addr)] == ' ')
			g_string_append_printf(out, " %s", keys);
		g_string_append_c(out, '\n');
	}
	assert_true(g_file_set_contents(path, out->str, (gssize)out->len, NULL));
	g_string_free(out, TRUE);
}

/* The merged hot reset fails: both results carry its errno; it is not tried again. */
static void test_merged_bus_reset_fails(void **state)
{
	static const char *const pair[] = { FN0, FN1, NULL };
	struct env *e = *state = env_new("qemu-q35.ini", pair);
	struct vfr_device *devs[2] = { dev_of(e, FN0), dev_of(e, FN1) };
	struct vfr_vfio_holding *h = NULL;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_reset_options *o;

	vmm_open(e, pair);
	device_keys(e->m, FN1, "reset_errno=bus:EIO");
	assert_int_equal(vfr_vfio_holding_new(e->host, VFR_HOT_RESET_MODE_GROUP, &h), 0);
	assert_int_equal(vfr_vfio_holding_adopt_group(h, group_of(e, FN0), e->group_fd, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(vfr_vfio_holding_adopt_device(h, devs[i], e->device_fd[i], NULL), 0);
	o = hot_only(h, 0);
	assert_int_equal(vfr_reset_batch_run(devs, 2, o, &batch, NULL), 0);
	for (size_t i = 0; i < 2; i++) {
		struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, i);

		assert_false(vfr_reset_result_is_ok(res));
		assert_int_equal(vfr_reset_result_get_outcome(res), VFR_RESET_OUTCOME_FAILED);
		assert_int_equal(vfr_reset_result_get_n_attempts(res), 1);
		assert_string_equal(vfr_reset_result_get_attempt_method(res, 0), "hot");
		assert_int_equal(vfr_reset_result_get_attempt_error(res, 0), -EIO);
		assert_int_equal(vfr_reset_result_get_n_merged(res), 1);
	}
	assert_string_equal(vfr_reset_result_get_merged_with(vfr_reset_batch_get_result(batch, 1)),
			    FN0);
	vfr_reset_batch_free(batch);
	assert_int_equal(journal_count(e->m, "hot_reset "), 1);
	assert_true(journal_has(e->m, "hot_reset " FN0 " " FN0 "," FN1 " EIO"));
	vfr_reset_options_free(o);
	vfr_vfio_holding_free(h);
}

/* ---- the Command register ---- */

/* A VMM that stopped its device and saved its state asks to leave the Command register alone. */
static void test_keep_command(void **state)
{
	static const char *const lone[] = { LONE, NULL };
	struct env *e = *state = env_new("qemu-q35.ini", lone);
	struct vfr_device *dev = dev_of(e, LONE);
	struct vfr_vfio_holding *h = NULL;
	struct vfr_reset_options *o;
	struct vfr_error *err = NULL;

	vmm_open(e, lone);
	assert_int_equal(vfr_vfio_holding_new(e->host, VFR_HOT_RESET_MODE_GROUP, &h), 0);
	assert_int_equal(vfr_vfio_holding_adopt_group(h, group_of(e, LONE), e->group_fd, NULL), 0);
	assert_int_equal(vfr_vfio_holding_adopt_device(h, dev, e->device_fd[0], NULL), 0);
	assert_int_equal(command_of(LONE) & 0x7, 0x6);
	o = hot_only(h, VFR_RESET_KEEP_COMMAND);
	if (vfr_device_reset(dev, o, &err) < 0)
		fail_msg("%s", vfr_error_get_message(err));
	assert_true(journal_has(e->m, "hot_reset " LONE " " LONE " ok"));
	assert_int_equal(command_of(LONE) & 0x7, 0x6);
	/* Without the flag the reset clears it first. */
	assert_int_equal(vfr_reset_options_set_flags(o, 0), 0);
	assert_int_equal(vfr_device_reset(dev, o, NULL), 0);
	assert_int_equal(command_of(LONE) & 0x7, 0);
	assert_int_equal(vfr_reset_options_set_flags(o, 1u << 20), -EINVAL);
	vfr_reset_options_free(o);
	vfr_vfio_holding_free(h);
}

/* ---- holders ---- */

/* Another process with the group open holds it through its group node. */
static void test_holders_how(void **state)
{
	static const char *const lone[] = { LONE, NULL };
	struct env *e = *state = env_new("qemu-q35.ini", lone);
	struct vfr_holders *hs = NULL;
	int ready[2], release[2];
	pid_t child;
	char c;

	g_autofree char *node = g_strdup_printf("/dev/vfio/%d", group_of(e, LONE));

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd = open(node, O_RDWR | O_CLOEXEC);

		close(release[1]);
		(void)!write(ready[1], fd >= 0 ? "y" : "n", 1);
		(void)!read(release[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(vfr_device_find_holders(dev_of(e, LONE), &hs, NULL), 0);
	assert_int_equal(vfr_holders_get_n(hs), 1);
	assert_int_equal(vfr_holders_get_pid(hs, 0), child);
	assert_int_equal(vfr_holders_get_how(hs, 0), VFR_HOLDER_GROUP);
	assert_int_equal(vfr_holders_get_how(hs, 1), 0);
	assert_int_equal(vfr_holders_get_self(hs), 0);
	vfr_holders_free(hs);
	close(release[1]);
	assert_int_equal(waitpid(child, NULL, 0), child);
	close(ready[0]);
}

/* ---- SR-IOV, network interfaces, refresh ---- */

static const char sriov_host[] =
	"[driver igb]\n"
	"[driver igbvf]\n"
	"[driver e1000e]\n"
	"[driver vfio-pci]\n"
	"[driver pcieport]\n"
	"builtin=true\n"
	"[device 0000:00:1c.0]\n"
	"kind=root-port\nvendor=8086\ndevice=a110\ndriver=pcieport\niommu_group=0\n"
	"[device 0000:01:00.0]\n"
	"parent=0000:00:1c.0\n"
	"vendor=8086\ndevice=10c9\n"
	"caps=pm,msix,flr,sriov\n"
	"total_vfs=7\n"
	"vf_offset=128\nvf_stride=2\n"
	"driver=igb\n"
	"iommu_group=1\n"
	"net=enp1s0f0\n"
	"reset_method=flr\n"
	"[device 0000:01:10.0]\n"
	"vendor=8086\ndevice=10ca\ncaps=msix,flr\nreset_method=flr\n"
	"physfn=0000:01:00.0\n"
	"driver=igbvf\n"
	"iommu_group=2\n"
	"net=enp1s0f0v0\n"
	"[device 0000:01:10.2]\n"
	"vendor=8086\ndevice=10ca\ncaps=msix,flr\nreset_method=flr\n"
	"physfn=0000:01:00.0\n"
	"driver=igbvf\n"
	"iommu_group=3\n"
	"net=enp1s0f0v1\n";

static void test_sriov(void **state)
{
	struct env *e = *state = env_text(sriov_host, NULL, NULL);
	struct vfr_device *pf = dev_of(e, "0000:01:00.0");
	struct vfr_device *vf1 = dev_of(e, "0000:01:10.2");
	const char *const *names = NULL;
	unsigned int total = 0, num = 0;
	int index = -1;

	assert_int_equal(vfr_device_get_sriov_totalvfs(pf, &total), 0);
	assert_int_equal(total, 7);
	assert_int_equal(vfr_device_get_sriov_numvfs(pf, &num), 0);
	assert_int_equal(num, 2);
	assert_int_equal(vfr_device_get_vf_index(vf1, &index), 0);
	assert_int_equal(index, 1);
	assert_int_equal(vfr_device_get_vf_index(dev_of(e, "0000:01:10.0"), &index), 0);
	assert_int_equal(index, 0);
	assert_ptr_equal(vfr_device_get_physfn(vf1), pf);
	/* A PF is no VF; a VF has no SR-IOV of its own. */
	assert_int_equal(vfr_device_get_vf_index(pf, &index), -ENOENT);
	assert_int_equal(vfr_device_get_sriov_totalvfs(vf1, &total), -ENOENT);

	assert_int_equal(vfr_device_get_net_interfaces(pf, &names), 0);
	assert_string_equal(names[0], "enp1s0f0");
	assert_null(names[1]);
	assert_int_equal(vfr_device_get_net_interfaces(vf1, &names), 0);
	assert_string_equal(names[0], "enp1s0f0v1");
	assert_int_equal(vfr_device_get_net_interfaces(dev_of(e, "0000:00:1c.0"), &names), 0);
	assert_null(names[0]);

	/* Bound to vfio-pci, the VF's interface is gone: read again after a refresh. */
	to_vfio("0000:01:10.2");
	assert_int_equal(vfr_device_get_net_interfaces(vf1, &names), 0);
	assert_string_equal(names[0], "enp1s0f0v1"); /* what was read, until refreshed */
	assert_int_equal(vfr_host_refresh(e->host, NULL), 0);
	assert_int_equal(vfr_device_get_net_interfaces(vf1, &names), 0);
	assert_null(names[0]);
	/* And back with its driver. */
	assert_int_equal(attr_write(DEV "0000:01:10.2/driver_override", "\n"), 0);
	assert_int_equal(attr_write(DEV "0000:01:10.2/driver/unbind", "0000:01:10.2"), 0);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", "0000:01:10.2"), 0);
	assert_int_equal(vfr_device_refresh(vf1), 0);
	assert_int_equal(vfr_device_get_net_interfaces(vf1, &names), 0);
	assert_string_equal(names[0], "enp1s0f0v1");

	/* A third VF: the host changed in a way a refresh cannot show. */
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "0"), 0);
	assert_int_equal(vfr_host_refresh(e->host, NULL), 1);
	assert_int_equal(vfr_device_refresh(vf1), -ENODEV);
	assert_int_equal(attr_write(DEV "0000:01:00.0/sriov_numvfs", "3"), 0);
	assert_int_equal(vfr_device_get_sriov_numvfs(pf, &num), 0);
	assert_int_equal(num, 3);
	assert_int_equal(vfr_host_refresh(e->host, NULL), 1);
}

/* Each case in a process of its own (mock.h); each makes the tree it needs. */
int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		MOCK_CASE(test_access_group, NULL, teardown),
		MOCK_CASE(test_access_cdev, NULL, teardown),
		MOCK_CASE(test_adopted_group_fds, NULL, teardown),
		MOCK_CASE(test_merged_bus_reset, NULL, teardown),
		MOCK_CASE(test_merged_bus_reset_fails, NULL, teardown),
		MOCK_CASE(test_keep_command, NULL, teardown),
		MOCK_CASE(test_holders_how, NULL, teardown),
		MOCK_CASE(test_sriov, NULL, teardown),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
