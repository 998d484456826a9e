/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The harness itself: which paths it redirects and through which libc entry
 * points, sysfs's rules for opening attributes, the kernel's answers to
 * bind, unbind, drivers_probe, new_id, remove_id, remove and rescan, fault
 * rules on write and ioctl, and descriptors that outlive their device.
 */
#include "mock.h"

#include <dirent.h>
#include <linux/openat2.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define DEV "/sys/bus/pci/devices/"

#define HOST                                                                               \
	"[driver vfio-pci]\n"                                                              \
	"[device 0000:00:1c.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"  \
	"iommu_group=1\n"                                                                  \
	"[device 0000:01:00.0]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"             \
	"driver=e1000e\niommu_group=2\nreset_method=pm bus\ncaps=pm,msi,msix\n"            \
	"[device 0000:01:00.1]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c.0\n"             \
	"iommu_group=2\nreset_method=pm\ncaps=pm,msi,msix\n"                               \
	"[device 0000:00:1d.0]\nkind=root-port\nvendor=1b36\ndevice=000c\ndriver=pcieport\n"  \
	"iommu_group=3\n"                                                                  \
	"[device 0000:02:00.0]\nkind=pcie-pci-bridge\nvendor=1b36\ndevice=000e\n"            \
	"parent=0000:00:1d.0\niommu_group=4\n"                                             \
	"[device 0000:03:01.0]\nkind=pci-endpoint\nvendor=8086\ndevice=100e\n"               \
	"parent=0000:02:00.0\ndriver=e1000\niommu_group=4\nreset_method=bus\ncaps=\n"

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

static void test_allow_list(void **state)
{
	struct mock *m = *state;
	g_autofree char *proc = mock_path(m, "proc");
	g_autofree char *proc_modules = mock_path(m, "proc/modules");
	char buf[PATH_MAX];
	struct stat st;

	assert_int_equal(access("/sys/bus/pci/devices/0000:01:00.0", F_OK), 0);
	assert_int_equal(access("/sys/bus/pci/devices/0000:05:00.0", F_OK), -1);
	/* Component-wise: /system is not /sys, /dev/null is not /dev/vfio. */
	assert_int_equal(stat("/system", &st) == 0, syscall(SYS_newfstatat, AT_FDCWD, "/system",
							    &st, 0) == 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(stat("/proc/self/status", &st), 0);
	/* Redirected even when the fixture has nothing there: the host's must not leak. */
	assert_int_equal(access("/proc/modules", F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(g_mkdir_with_parents(proc, 0755), 0);
	assert_true(g_file_set_contents(proc_modules, "vfio_pci 16384 0 - Live 0x0\n", -1, NULL));
	assert_attr("/proc/modules", "vfio_pci 16384 0 - Live 0x0");
	assert_int_equal(access("/lib/modules", F_OK), -1);
	assert_int_equal(access("/dev/iommu", F_OK), 0); /* vfio_cdev by default */
	/* ".." resolves inside the fixture after a symlink, as the kernel does. */
	assert_int_equal(access(DEV "0000:01:00.0/../../../../bus/pci/drivers/e1000e", F_OK), 0);
	/* realpath() answers in the fixture's terms. */
	assert_non_null(realpath(DEV "0000:01:00.0", buf));
	assert_string_equal(buf, "/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0");
}

static void test_root_is_read_on_every_call(void **state)
{
	struct mock *a = *state;
	struct mock *b = mock_new("[device 0000:05:00.0]\nvendor=10ec\ndevice=8139\n", NULL);

	assert_int_equal(access(DEV "0000:05:00.0", F_OK), 0);
	assert_int_equal(access(DEV "0000:01:00.0", F_OK), -1);
	setenv("VFR_MOCK_ROOT", a->root, 1);
	assert_int_equal(access(DEV "0000:01:00.0", F_OK), 0);
	assert_int_equal(access(DEV "0000:05:00.0", F_OK), -1);
	setenv("VFR_MOCK_ROOT", b->root, 1);
	assert_attr(DEV "0000:05:00.0/vendor", "0x10ec");
	mock_free(b);
	/* Without a root nothing is redirected. */
	assert_int_equal(access("/sys", F_OK) == 0,
			 syscall(SYS_faccessat, AT_FDCWD, "/sys", F_OK) == 0);
	setenv("VFR_MOCK_ROOT", a->root, 1);
}

/* openat2(2), or openat() where it is missing (valgrind 3.19 does not know it). */
static int open2(int dirfd, const char *path, struct open_how *how)
{
	int fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));

	if (fd < 0 && errno == ENOSYS)
		fd = openat(dirfd, path, (int)how->flags | O_NOFOLLOW);
	return fd;
}

static void test_entry_points(void **state)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	struct open_how abs = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC };
	struct dirent **list = NULL;
	struct dirent *de;
	char buf[256];
	struct stat st;
	ssize_t n;
	FILE *f;
	DIR *d;
	int sys, fd, found = 0;
	(void)state;

	/* fopen, and a stream of a write mode, which must reach the kernel on flush. */
	f = fopen(DEV "0000:01:00.0/vendor", "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_string_equal(buf, "0x8086\n");
	fclose(f);
	f = fopen(DEV "0000:01:00.1/driver_override", "w");
	assert_non_null(f);
	fprintf(f, "vfio-pci\n");
	assert_int_equal(fclose(f), 0);
	assert_attr(DEV "0000:01:00.1/driver_override", "vfio-pci");

	/* opendir/readdir and scandir. */
	d = opendir("/sys/bus/pci/drivers");
	assert_non_null(d);
	while ((de = readdir(d)))
		found += strcmp(de->d_name, "e1000e") == 0;
	closedir(d);
	assert_int_equal(found, 1);
	n = scandir("/sys/kernel/iommu_groups", &list, NULL, alphasort);
	assert_int_equal(n, 6); /* ., .., 1 2 3 4 */
	for (ssize_t i = 0; i < n; i++)
		free(list[i]);
	free(list);

	/* The library's way: openat2 for directories, openat/readlinkat/fstatat below. */
	sys = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(sys >= 0);
	fd = open2(sys, "bus/pci/devices", &how);
	assert_true(fd >= 0);
	n = readlinkat(fd, "0000:01:00.0", buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "../../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0");
	close(fd);
	fd = open2(sys, "devices/pci0000:00/0000:00:1c.0/0000:01:00.0", &how);
	assert_true(fd >= 0);
	assert_int_equal(fstatat(fd, "config", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_size, 4096);
	assert_int_equal(lstat(DEV "0000:01:00.0", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(DEV "0000:01:00.0", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	close(fd);
	close(sys);

	/* openat2 with an absolute path is redirected like open(). */
	fd = open2(AT_FDCWD, "/sys/bus/pci/drivers/e1000e", &abs);
	assert_true(fd >= 0);
	assert_int_equal(fstatat(fd, "0000:01:00.0", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	close(fd);

	/* chdir into the fixture, then relative paths. */
	assert_int_equal(chdir("/sys/bus/pci/devices/0000:01:00.0"), 0);
	assert_attr("device", "0x10d3");
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(access("device", F_OK), -1);
}

static void test_sysfs_open_rules(void **state)
{
	int fd;
	(void)state;

	/* Root or not: a read-only attribute cannot be opened for writing, nor reset for reading. */
	assert_int_equal(open(DEV "0000:01:00.0/vendor", O_WRONLY), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(open(DEV "0000:01:00.0/reset", O_RDONLY), -1);
	assert_int_equal(errno, EACCES);
	/* O_TRUNC is ignored: `echo x > attr` leaves the value until the write. */
	fd = open(DEV "0000:01:00.0/driver_override", O_WRONLY | O_TRUNC | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_attr(DEV "0000:01:00.0/driver_override", "(null)");
	assert_int_equal(write(fd, "pci-stub", 8), 8);
	close(fd);
	assert_attr(DEV "0000:01:00.0/driver_override", "pci-stub");
	/* A plain attribute keeps what was written last, not a mix of bytes. */
	assert_int_equal(attr_write(DEV "0000:01:00.0/numa_node", "0\n"), 0);
	assert_attr(DEV "0000:01:00.0/numa_node", "0");
}

static void test_bind_and_unbind_errnos(void **state)
{
	struct mock *m = *state;
	(void)m;

	/* Not a device, not bound to this driver, already bound, no match. */
	assert_int_equal(attr_write("/sys/bus/pci/drivers/e1000e/bind", "0000:09:00.0"), -ENODEV);
	assert_int_equal(attr_write("/sys/bus/pci/drivers/e1000/unbind", "0000:01:00.0"), -ENODEV);
	assert_int_equal(attr_write("/sys/bus/pci/drivers/e1000e/bind", "0000:01:00.0\n"), -EBUSY);
	assert_int_equal(attr_write("/sys/bus/pci/drivers/e1000/bind", "0000:01:00.1"), -ENODEV);
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", "0000:09:00.0"), -ENODEV);
	/* 01:00.1 is unbound; its id is e1000e's: probing binds it. */
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", "0000:01:00.1"), 0);
	assert_true(path_exists("/sys/bus/pci/drivers/e1000e/0000:01:00.1"));
	assert_attr(DEV "0000:01:00.1/enable", "1");
	assert_true(journal_has(m, "bind 0000:01:00.1 e1000e"));
	assert_int_equal(attr_write("/sys/bus/pci/drivers/e1000e/unbind", "0000:01:00.1"), 0);
	assert_false(path_exists(DEV "0000:01:00.1/driver"));
	assert_attr(DEV "0000:01:00.1/enable", "0");
	/* With an override only that driver matches, through bind as well. */
	assert_int_equal(attr_write(DEV "0000:01:00.1/driver_override", "vfio-pci"), 0);
	assert_int_equal(attr_write("/sys/bus/pci/drivers/e1000e/bind", "0000:01:00.1"), -ENODEV);
	assert_int_equal(attr_write("/sys/bus/pci/drivers/vfio-pci/bind", "0000:01:00.1"), 0);
	assert_true(path_exists("/dev/vfio/2"));
	assert_true(path_exists("/dev/vfio/devices/vfio0"));
	assert_true(path_exists(DEV "0000:01:00.1/vfio-dev/vfio0"));
	{
		g_autofree char *uevent = attr_read(DEV "0000:01:00.1/uevent");

		assert_true(g_str_has_prefix(uevent, "DRIVER=vfio-pci\n"));
	}
}

static void test_new_id_and_remove_id(void **state)
{
	struct mock *m = *state;
	(void)m;

	assert_int_equal(attr_write("/sys/bus/pci/drivers/vfio-pci/new_id", "8086"), -EINVAL);
	/* e1000e's own table has 8086:10d3 already. */
	assert_int_equal(attr_write("/sys/bus/pci/drivers/e1000e/new_id", "8086 10d3"), -EEXIST);
	/* new_id binds every free device that matches: 01:00.1 is free. */
	assert_int_equal(attr_write("/sys/bus/pci/drivers/vfio-pci/new_id", "8086 10d3\n"), 0);
	assert_true(path_exists("/sys/bus/pci/drivers/vfio-pci/0000:01:00.1"));
	assert_false(path_exists("/sys/bus/pci/drivers/vfio-pci/0000:01:00.0"));
	assert_int_equal(attr_write("/sys/bus/pci/drivers/vfio-pci/remove_id", "8086 10d3"), 0);
	assert_int_equal(attr_write("/sys/bus/pci/drivers/vfio-pci/remove_id", "8086 10d3"),
			 -ENODEV);
	assert_true(journal_has(m, "new_id vfio-pci 8086 10d3"));
}

static void test_remove_and_rescan(void **state)
{
	struct mock *m = *state;
	(void)m;

	/* The bridge and the e1000 behind it: children first, group and bus links go. */
	assert_int_equal(attr_write(DEV "0000:02:00.0/remove", "1"), 0);
	assert_false(path_exists(DEV "0000:02:00.0"));
	assert_false(path_exists(DEV "0000:03:01.0"));
	assert_false(path_exists("/sys/kernel/iommu_groups/4"));
	assert_false(path_exists("/sys/bus/pci/drivers/e1000/0000:03:01.0"));
	assert_false(path_exists("/sys/class/pci_bus/0000:03"));
	assert_true(journal_has(m, "remove 0000:03:01.0"));
	assert_true(journal_has(m, "remove 0000:02:00.0"));
	/* A rescan of another bus does not bring them back; the root port's does. */
	assert_int_equal(attr_write(DEV "0000:01:00.0/rescan", "1"), 0);
	assert_false(path_exists(DEV "0000:02:00.0"));
	assert_int_equal(attr_write("/sys/devices/pci0000:00/0000:00:1d.0/pci_bus/0000:02/rescan",
				    "1"),
			 0);
	assert_true(path_exists(DEV "0000:02:00.0"));
	assert_true(path_exists(DEV "0000:03:01.0"));
	/* Their group was freed with them: a new one, the lowest free number (0 here). */
	assert_true(path_exists("/sys/kernel/iommu_groups/0/devices/0000:02:00.0"));
	assert_true(path_exists("/sys/kernel/iommu_groups/0/devices/0000:03:01.0"));
	assert_false(path_exists("/sys/kernel/iommu_groups/4"));
	assert_true(path_exists("/sys/class/pci_bus/0000:03"));
	/* Enumerated again, and probed: the e1000 is back on its driver. */
	assert_true(path_exists("/sys/bus/pci/drivers/e1000/0000:03:01.0"));
	assert_attr(DEV "0000:03:01.0/reset_method", "bus");

	assert_int_equal(attr_write(DEV "0000:01:00.1/remove", "1"), 0);
	assert_true(path_exists("/sys/kernel/iommu_groups/2/devices/0000:01:00.0"));
	assert_int_equal(attr_write("/sys/bus/pci/rescan", "1\n"), 0);
	assert_true(path_exists("/sys/kernel/iommu_groups/2/devices/0000:01:00.1"));
	assert_int_equal(attr_write("/sys/bus/pci/rescan", "x"), -EINVAL);
}

static void test_descriptor_outlives_its_device(void **state)
{
	char buf[64];
	int fd = open(DEV "0000:01:00.1/vendor", O_RDONLY);
	int w = open(DEV "0000:01:00.1/driver_override", O_WRONLY);
	(void)state;

	assert_true(fd >= 0 && w >= 0);
	assert_int_equal(attr_write(DEV "0000:01:00.1/remove", "1"), 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(write(w, "x", 1), -1);
	assert_int_equal(errno, ENODEV);
	close(fd);
	close(w);
}

static void test_write_through_other_descriptors(void **state)
{
	struct mock *m = *state;
	g_auto(GStrv) env = g_get_environ();
	const char *argv[] = { "sh", "-c", "printf pci-stub | dd status=none >&9", NULL };
	int fd, dupfd, status = -1;

	/* A dup of a recorded descriptor. */
	fd = open(DEV "0000:01:00.0/driver_override", O_WRONLY);
	dupfd = dup(fd);
	close(fd);
	assert_int_equal(write(dupfd, "vfio-pci\n", 9), 9);
	close(dupfd);
	assert_attr(DEV "0000:01:00.0/driver_override", "vfio-pci");

	/* Inherited over exec: dd never opened it, the preload finds it by its inode. */
	fd = open(DEV "0000:01:00.1/driver_override", O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(9, F_GETFD), -1); /* free, so dup2() takes nothing away */
	assert_int_equal(dup2(fd, 9), 9);
	assert_true(g_spawn_sync(NULL, (char **)argv, env,
				 G_SPAWN_SEARCH_PATH | G_SPAWN_LEAVE_DESCRIPTORS_OPEN, NULL, NULL,
				 NULL, NULL, &status, NULL));
	close(9);
	close(fd);
	assert_int_equal(status, 0);
	assert_attr(DEV "0000:01:00.1/driver_override", "pci-stub");
	assert_true(journal_has(m, "driver_override 0000:01:00.1 pci-stub"));
}

static void test_write_and_ioctl_faults(void **state)
{
	struct mock *m = *state;
	int fd;

	/* The declared rule: the first write fails. */
	assert_int_equal(attr_write(DEV "0000:01:00.0/driver_override", "vfio-pci"), -EIO);
	assert_attr(DEV "0000:01:00.0/driver_override", "(null)");
	assert_int_equal(attr_write(DEV "0000:01:00.0/driver_override", "vfio-pci"), 0);

	/* The container answers; a fault rule overrides the answer. */
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	fault_add(m, "ioctl /dev/vfio/vfio errno=EPERM");
	assert_int_equal(ioctl(fd, VFIO_GET_API_VERSION), -1);
	assert_int_equal(errno, EPERM);
	close(fd);
	/* open faults apply to /dev too. */
	fault_add(m, "open /dev/vfio/* errno=EBUSY after=1");
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), -1);
	assert_int_equal(errno, EBUSY);
}

static void test_faults_file_is_reread(void **state)
{
	struct mock *m = *state;
	g_autofree char *faults = mock_path(m, ".vfr-mock/faults");

	/* The declared rule, then none, then a bad and a good one. */
	assert_int_equal(access(DEV "0000:01:00.0", F_OK), -1);
	assert_int_equal(errno, ENXIO);
	assert_true(g_file_set_contents(faults, "# none\n", -1, NULL));
	assert_int_equal(access(DEV "0000:01:00.0", F_OK), 0);
	/* A bad rule is reported and skipped, the good ones still apply. */
	assert_true(g_file_set_contents(faults,
					"bogus /sys/x\nreadlink " DEV "0000:01:00.0 errno=ELOOP\n",
					-1, NULL));
	assert_int_equal(readlink(DEV "0000:01:00.0", (char[64]){ 0 }, 64), -1);
	assert_int_equal(errno, ELOOP);
}

struct worker {
	const char *addr;
	int failures;
};

static void *work(void *data)
{
	struct worker *w = data;
	g_autofree char *reset = g_strconcat(DEV, w->addr, "/reset", NULL);
	g_autofree char *uevent = g_strconcat(DEV, w->addr, "/uevent", NULL);
	g_autofree char *driver = g_strconcat(DEV, w->addr, "/driver", NULL);
	char buf[256];
	struct stat st;

	for (int i = 0; i < 50; i++) {
		g_autofree char *text = attr_read(uevent);

		w->failures += !text || !strstr(text, "PCI_ID=8086:");
		w->failures += stat(reset, &st) != 0;
		w->failures += readlink(driver, buf, sizeof(buf)) <= 0;
		w->failures += attr_write(reset, "1") != 0;
	}
	return NULL;
}

/* Threads of one process share the descriptor table, the rules and the lock. */
static void test_threads(void **state)
{
	struct mock *m = *state;
	struct worker workers[] = { { "0000:01:00.0", 0 }, { "0000:01:00.1", 0 },
				    { "0000:03:01.0", 0 }, { "0000:01:00.0", 0 } };
	g_autofree char *journal = mock_path(m, ".vfr-mock/journal");
	g_autofree char *text = NULL;
	pthread_t threads[G_N_ELEMENTS(workers)];
	unsigned int resets = 0;

	/* 01:00.1 needs a driver for its driver link. */
	assert_int_equal(attr_write("/sys/bus/pci/drivers_probe", "0000:01:00.1"), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(workers); i++)
		assert_int_equal(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(workers); i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(workers[i].failures, 0);
	}
	assert_true(g_file_get_contents(journal, &text, NULL, NULL));
	for (const char *p = text; (p = strstr(p, "\nreset ")); p++)
		resets++;
	assert_int_equal(resets, 50 * G_N_ELEMENTS(workers));
}

/* Each case on its own tree of HOST, with the rules it declares. */
#define T(fn, ...) MOCK_CASE(fn, setup, teardown, .host = HOST, __VA_ARGS__)

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		T(test_allow_list),
		T(test_root_is_read_on_every_call),
		T(test_entry_points),
		T(test_sysfs_open_rules),
		T(test_bind_and_unbind_errnos),
		T(test_new_id_and_remove_id),
		T(test_remove_and_rescan),
		T(test_descriptor_outlives_its_device),
		T(test_write_through_other_descriptors),
		T(test_write_and_ioctl_faults,
		  .faults = "write /sys/devices/*/0000:01:00.0/driver_override errno=EIO times=1"),
		T(test_faults_file_is_reread,
		  .faults = "stat /sys/bus/pci/devices/0000:01:00.0 errno=ENXIO"),
		T(test_threads),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
