/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel calls with a deadline (lib/deadline.h) under the simulated kernel:
 * vfioreset-call's answer for each kind of call (a store, VFIO_DEVICE_RESET,
 * the hot reset with group fds and from a cdev); a hung store returns at
 * its deadline with the pid of the process still in the kernel, which is
 * vfioreset-call holding nothing but what the call needs; a killed one is
 * an unknown outcome, never success; abandoned ones are reaped; threads;
 * a missing program; and a stuck call that holds VFIO files keeps them
 * held after the caller let go of its copies, until it dies.
 */
#include "mock.h"

#include <dirent.h>
#include <linux/vfio.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <vfioreset/vfioreset.h>

#include "../mock-sysfs/preload/vfio-uapi.h"
#include "deadline.h"

#define DEV "/sys/bus/pci/devices/"
#define PORT(fn, group)                                                                    \
	"[device 0000:00:1c." fn "]\nkind=root-port\nvendor=8086\ndevice=a110\n"             \
	"driver=pcieport\niommu_group=" group "\n"
#define FUNC(addr, port, driver, group, extra)                                              \
	"[device " addr "]\nvendor=8086\ndevice=10d3\nparent=0000:00:1c." port "\n"          \
	"driver=" driver "\niommu_group=" group "\ncaps=pm,msix,flr\n" extra
#define HOST                                                                               \
	"[host]\nvfio_cdev=true\n[driver vfio-pci]\n[driver e1000e]\n"                     \
	PORT("0", "1") PORT("1", "2") PORT("2", "3") PORT("3", "4") PORT("4", "5")          \
	FUNC("0000:01:00.0", "0", "e1000e", "10", "reset_method=flr\n")                    \
	FUNC("0000:02:00.0", "1", "vfio-pci", "11", "reset_method=flr\n")                  \
	FUNC("0000:02:00.1", "1", "vfio-pci", "17", "reset_method=\n")                     \
	FUNC("0000:03:00.0", "2", "vfio-pci", "12", "reset_method=flr\nreset_hang=flr\n")  \
	FUNC("0000:04:00.0", "3", "vfio-pci", "13", "reset_method=flr\n")                  \
	FUNC("0000:04:00.1", "3", "vfio-pci", "14", "reset_method=flr\n")                  \
	FUNC("0000:05:00.0", "4", "vfio-pci", "15", "reset_method=flr\n")                  \
	FUNC("0000:05:00.1", "4", "vfio-pci", "16", "reset_method=flr\nreset_hang=bus\n")

/* Generous: the deadline is what is tested, not the machine's speed (valgrind runs this). */
#define MARGIN_MS 5000

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

static int xioctl(int fd, unsigned long request, void *arg)
{
	int r = ioctl(fd, request, arg);

	return r < 0 ? -errno : r;
}

static int open_rw(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* An attribute of a function, open for writing as sysfs_write_deadline() opens it. */
static int attr_fd(const char *addr, const char *name)
{
	g_autofree char *path = g_strconcat(DEV, addr, "/", name, NULL);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static int path_fd(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* What a VMM holds for a function opened through its group. */
struct held {
	int container, group, device;
};

static struct held hold(int group, const char *addr)
{
	g_autofree char *node = g_strdup_printf("/dev/vfio/%d", group);
	struct held h;

	h.group = open_rw(node);
	assert_true(h.group >= 0);
	h.container = open_rw("/dev/vfio/vfio");
	assert_true(h.container >= 0);
	assert_int_equal(xioctl(h.group, VFIO_GROUP_SET_CONTAINER, &h.container), 0);
	assert_int_equal(xioctl(h.container, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU),
			 0);
	h.device = ioctl(h.group, VFIO_GROUP_GET_DEVICE_FD, addr);
	assert_true(h.device >= 0);
	return h;
}

static void release(struct held *h)
{
	close(h->device);
	close(h->group);
	close(h->container);
}

static char *proc_link(pid_t pid, const char *name)
{
	g_autofree char *link = g_strdup_printf("/proc/%d/%s", (int)pid, name);

	return g_file_read_link(link, NULL);
}

/* The running vfioreset-call children of this process (the deadline's), or 0. */
static pid_t find_call(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	assert_non_null(d);
	while (!found && (de = readdir(d))) {
		g_autofree char *stat_path = NULL, *stat = NULL, *exe = NULL;
		const char *paren;
		pid_t pid = (pid_t)atoi(de->d_name);
		int ppid = 0;
		char state = 0;

		if (pid <= 0)
			continue;
		stat_path = g_strdup_printf("/proc/%d/stat", (int)pid);
		if (!g_file_get_contents(stat_path, &stat, NULL, NULL) ||
		    !(paren = strrchr(stat, ')')) || sscanf(paren + 1, " %c %d", &state, &ppid) != 2)
			continue;
		exe = proc_link(pid, "exe");
		if (ppid == getpid() && state != 'Z' && exe &&
		    g_str_has_suffix(exe, "/vfioreset-call"))
			found = pid;
	}
	closedir(d);
	return found;
}

static void assert_killed(pid_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
}

/* ---- each kind of call ---- */

static void test_store_answers(void **state)
{
	struct mock *m = *state;
	pid_t stuck = 0;
	int fd;

	/* The reset store: success, and the kernel's errno for a bad value. */
	fd = attr_fd("0000:01:00.0", "reset");
	assert_int_equal(deadline_store(fd, "1", 10000, &stuck), 0);
	assert_true(journal_has(m, "reset 0000:01:00.0 flr ok"));
	assert_int_equal(deadline_store(fd, "2", 10000, &stuck), -EINVAL);
	/* A fault rule applies in the program as in the caller. */
	fault_add(m, "write /sys/devices/*/0000:01:00.0/reset errno=EIO times=1");
	assert_int_equal(deadline_store(fd, "1", 10000, &stuck), -EIO);
	assert_int_equal(deadline_store(fd, "1", 10000, &stuck), 0);
	close(fd);
	assert_int_equal(stuck, 0); /* only set on a timeout */

	/* The binding stores, each one store of the kernel. */
	fd = attr_fd("0000:01:00.0", "driver_override");
	assert_int_equal(deadline_store(fd, "vfio-pci\n", 10000, NULL), 0);
	close(fd);
	assert_true(journal_has(m, "driver_override 0000:01:00.0 vfio-pci"));
	fd = path_fd("/sys/bus/pci/drivers/e1000e/unbind");
	assert_int_equal(deadline_store(fd, "0000:01:00.0", 10000, NULL), 0);
	assert_int_equal(deadline_store(fd, "0000:01:00.0", 10000, NULL), -ENODEV);
	close(fd);
	assert_true(journal_has(m, "unbind 0000:01:00.0 e1000e"));
	/* The override alone decides: e1000e may not have it. */
	fd = path_fd("/sys/bus/pci/drivers/e1000e/bind");
	assert_int_equal(deadline_store(fd, "0000:01:00.0", 10000, NULL), -ENODEV);
	close(fd);
	fd = path_fd("/sys/bus/pci/drivers_probe");
	assert_int_equal(deadline_store(fd, "0000:01:00.0", 10000, NULL), 0);
	close(fd);
	assert_true(journal_has(m, "drivers_probe 0000:01:00.0 vfio-pci"));
	assert_attr("/sys/bus/pci/devices/0000:01:00.0/driver_override", "vfio-pci");
	assert_true(path_exists("/sys/bus/pci/drivers/vfio-pci/0000:01:00.0"));
}

static void test_vfio_reset_answers(void **state)
{
	struct mock *m = *state;
	struct held h = hold(11, "0000:02:00.0"), none = hold(17, "0000:02:00.1");

	assert_int_equal(deadline_vfio_reset(h.device, 10000, NULL), 0);
	assert_true(journal_has(m, "device_reset 0000:02:00.0"));
	assert_true(journal_has(m, "reset 0000:02:00.0 flr ok"));
	/* No method at the device's open: vfio-pci refuses, and says so in the program too. */
	assert_int_equal(deadline_vfio_reset(none.device, 10000, NULL), -EINVAL);
	assert_false(journal_has(m, "device_reset 0000:02:00.1"));
	/* The program got a device file, not just any descriptor. */
	assert_int_equal(deadline_vfio_reset(h.group, 10000, NULL), -ENOTTY);
	release(&none);
	release(&h);
}

static void test_hot_reset_answers(void **state)
{
	struct mock *m = *state;
	struct held a = hold(13, "0000:04:00.0"), b = hold(14, "0000:04:00.1");
	int groups[] = { a.group, b.group };

	/* One group fd short: the kernel's EINVAL; a container is no group. */
	assert_int_equal(deadline_vfio_hot_reset(a.device, groups, 1, 10000, NULL), -EINVAL);
	groups[1] = a.container;
	assert_int_equal(deadline_vfio_hot_reset(a.device, groups, 2, 10000, NULL), -EINVAL);
	groups[1] = b.group;
	/* A group-opened device must give group fds. */
	assert_int_equal(deadline_vfio_hot_reset(a.device, NULL, 0, 10000, NULL), -EINVAL);
	assert_int_equal(deadline_vfio_hot_reset(a.device, groups, 2, 10000, NULL), 0);
	assert_true(journal_has(m, "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok"));
	release(&b);
	release(&a);
}

/* cdev: bind to an iommufd; the device file alone carries the ownership. */
static int bound_cdev(const char *addr, int iommufd)
{
	g_autofree char *dir = g_strconcat(DEV, addr, "/vfio-dev", NULL);
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = iommufd };
	g_autofree char *node = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);
	int fd;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "vfio", 4) == 0)
			node = g_strconcat("/dev/vfio/devices/", de->d_name, NULL);
	closedir(d);
	assert_non_null(node);
	fd = open_rw(node);
	assert_true(fd >= 0);
	assert_int_equal(xioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
	return fd;
}

static void test_cdev_answers(void **state)
{
	struct mock *m = *state;
	int iommufd = open_rw("/dev/iommu"), other, a, b;

	assert_true(iommufd >= 0);
	a = bound_cdev("0000:04:00.0", iommufd);
	/* The sibling is owned by another context: not this one's to reset. */
	other = open_rw("/dev/iommu");
	b = bound_cdev("0000:04:00.1", other);
	assert_int_equal(deadline_vfio_hot_reset(a, NULL, 0, 10000, NULL), -EINVAL);
	close(b);
	close(other);
	b = bound_cdev("0000:04:00.1", iommufd);
	assert_int_equal(deadline_vfio_hot_reset(a, NULL, 0, 10000, NULL), 0);
	assert_true(journal_has(m, "hot_reset 0000:04:00.0 0000:04:00.0,0000:04:00.1 ok"));
	/* A cdev gives no group fds. */
	assert_int_equal(deadline_vfio_hot_reset(a, &iommufd, 1, 10000, NULL), -EINVAL);
	assert_int_equal(deadline_vfio_reset(b, 10000, NULL), 0);
	assert_true(journal_has(m, "device_reset 0000:04:00.1"));
	close(b);
	close(a);
	close(iommufd);
}

/* ---- a hung call ---- */

/* What the stuck program has open: the go-ahead, /dev/null, the answer pipe, the call's file. */
static void assert_fds_of_stuck(const struct mock *m, pid_t pid, const char *target,
				const char *const *foreign)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/fd", (int)pid);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	bool seen[5] = { false };

	assert_non_null(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *link = g_strconcat(dir, "/", name, NULL);
		g_autofree char *to = g_file_read_link(link, NULL);
		int fd = atoi(name);

		assert_non_null(to);
		for (const char *const *f = foreign; *f; f++)
			if (strcmp(to, *f) == 0)
				fail_msg("the caller's %s reached the program as fd %d", to, fd);
		if (fd == 0)
			assert_true(g_str_has_prefix(to, "pipe:")); /* the go-ahead, read */
		else if (fd <= 2)
			assert_string_equal(to, "/dev/null");
		else if (fd == 3)
			assert_true(g_str_has_prefix(to, "pipe:"));
		else if (fd == 4)
			assert_true(g_str_has_suffix(to, target));
		else if (!g_str_has_prefix(to, m->root))
			/* The simulated kernel's own files (its root, its lock) may be open; nothing else. */
			fail_msg("the program has fd %d open on %s", fd, to);
		if (fd <= 4)
			seen[fd] = true;
	}
	for (int fd = 0; fd <= 4; fd++)
		assert_true(seen[fd]);
}

static void test_hung_store(void **state)
{
	struct mock *m = *state;
	g_autofree char *own_path = g_build_filename(m->dir, "vmm-own-file", NULL);
	g_autofree char *exe = NULL, *cmdline = NULL, *status_path = NULL, *status = NULL;
	const char *foreign[3] = { own_path, NULL, NULL };
	int fd = attr_fd("0000:03:00.0", "reset");
	/* A VMM's own descriptors, without close-on-exec: not the program's business. */
	int own = open(own_path, O_WRONLY | O_CREAT, 0600), own_pipe[2];
	gint64 start, ms;
	pid_t stuck = 0;
	size_t len = 0;
	char state_c = 0;
	int ppid = 0;

	assert_true(own >= 0);
	assert_int_equal(pipe(own_pipe), 0);
	{
		g_autofree char *link = g_strdup_printf("fd/%d", own_pipe[0]);

		foreign[1] = proc_link(getpid(), link);
	}

	start = g_get_monotonic_time();
	assert_int_equal(deadline_store(fd, "1", 300, &stuck), -ETIMEDOUT);
	ms = (g_get_monotonic_time() - start) / 1000;
	assert_true(ms >= 300);
	assert_true(ms < 300 + MARGIN_MS);
	wait_journal(m, "reset 0000:03:00.0 flr hang");

	/* The pid is the process in the store: vfioreset-call, our child, still there. */
	assert_true(stuck > 0);
	exe = proc_link(stuck, "exe");
	assert_non_null(exe);
	assert_true(g_str_has_suffix(exe, "/vfioreset-call"));
	{
		g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)stuck);

		assert_true(g_file_get_contents(path, &cmdline, &len, NULL));
		assert_int_equal(len, sizeof("vfioreset-call\0store\0" "1"));
		assert_memory_equal(cmdline, "vfioreset-call\0store\0" "1", len);
	}
	status_path = g_strdup_printf("/proc/%d/stat", (int)stuck);
	assert_true(g_file_get_contents(status_path, &status, NULL, NULL));
	assert_int_equal(sscanf(strrchr(status, ')') + 1, " %c %d", &state_c, &ppid), 2);
	assert_int_equal(ppid, getpid());
	assert_true(state_c != 'Z');
	assert_fds_of_stuck(m, stuck, "/reset", foreign);

	assert_killed(stuck);
	g_free((char *)foreign[1]);
	close(own_pipe[0]);
	close(own_pipe[1]);
	close(own);
	close(fd);
}

struct waiting_call {
	int fd;
	int timeout_ms;
	int r;
	pid_t stuck;
};

static void *call_thread(void *arg)
{
	struct waiting_call *w = arg;

	w->r = deadline_store(w->fd, "1", w->timeout_ms, &w->stuck);
	return NULL;
}

/* Killed before it answered: the store's outcome is unknown, never success. */
static void test_killed_is_unknown(void **state)
{
	struct mock *m = *state;
	struct waiting_call w = { .fd = attr_fd("0000:03:00.0", "reset"), .timeout_ms = 600000 };
	pthread_t t;
	pid_t pid;

	assert_int_equal(pthread_create(&t, NULL, call_thread, &w), 0);
	wait_journal(m, "reset 0000:03:00.0 flr hang");
	pid = find_call();
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.r, -EIO);
	assert_int_equal(w.stuck, 0);
	/* Reaped by the call itself. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	close(w.fd);
}

/* A program left at its deadline is reaped by a later call once it has ended. */
static void test_abandoned_is_reaped(void **state)
{
	siginfo_t info = { 0 };
	pid_t stuck = 0;
	int fd = attr_fd("0000:03:00.0", "reset"), ok = attr_fd("0000:01:00.0", "reset");

	(void)state;
	assert_int_equal(deadline_store(fd, "1", 100, &stuck), -ETIMEDOUT);
	assert_true(stuck > 0);
	assert_int_equal(kill(stuck, SIGKILL), 0);
	/* Ended, not reaped: the zombie waits for the library. */
	assert_int_equal(waitid(P_PID, (id_t)stuck, &info, WEXITED | WNOWAIT), 0);
	assert_int_equal(deadline_store(ok, "1", 10000, NULL), 0);
	assert_int_equal(waitpid(stuck, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	close(ok);
	close(fd);
}

/* ---- callers ---- */

#define THREADS 6
#define CALLS 5

struct writer {
	char *path;
	int r[CALLS];
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < CALLS; i++) {
		g_autofree char *text = g_strdup_printf("%s %d\n", w->path, i);
		int fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		w->r[i] = fd < 0 ? -errno : deadline_store(fd, text, 10000, NULL);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

/* Calls from several threads at once each get their own program and their own answer. */
static void test_threaded_caller(void **state)
{
	struct mock *m = *state;
	struct writer w[THREADS];
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++) {
		w[i].path = g_strdup_printf("%s/out-%d", m->dir, i);
		assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		g_autofree char *text = NULL;
		g_autoptr(GString) want = g_string_new(NULL);

		assert_int_equal(pthread_join(t[i], NULL), 0);
		for (int k = 0; k < CALLS; k++) {
			assert_int_equal(w[i].r[k], 0);
			g_string_append_printf(want, "%s %d\n", w[i].path, k);
		}
		assert_true(g_file_get_contents(w[i].path, &text, NULL, NULL));
		assert_string_equal(text, want->str);
		g_free(w[i].path);
	}
}

/* No program: an error naming the path, before anything is changed. */
static void test_missing_program(void **state)
{
	struct mock *m = *state;
	g_autofree char *saved = g_strdup(getenv("VFIORESET_CALL"));
	const char *missing = "/nonexistent/libexec/vfioreset-call";
	struct vfr_reset_options *opts = NULL;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_device *dev = NULL;
	struct vfr_error *err = NULL;
	struct vfr_host *host = NULL;
	struct vfr_ctx *ctx = NULL;
	int fd = attr_fd("0000:01:00.0", "reset");

	assert_int_equal(vfr_ctx_new(NULL, &ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(ctx, &host, NULL), 0);
	assert_int_equal(vfr_host_lookup(host, "0000:01:00.0", &dev, NULL), 0);
	setenv("VFIORESET_CALL", missing, 1);
	assert_int_equal(deadline_store(fd, "1", 1000, NULL), -ENOENT);
	assert_int_equal(deadline_check(&err), -ENOENT);
	assert_non_null(strstr(vfr_error_get_message(err), missing));
	vfr_error_free(err);
	err = NULL;

	vfr_reset_options_new(&opts);
	vfr_reset_options_set_flags(opts, VFR_RESET_ALLOW_HOST_DRIVERS);
	vfr_reset_options_set_timeout(opts, 1000);
	assert_int_equal(vfr_reset_batch_run(&dev, 1, opts, &batch, &err), -ENOENT);
	assert_null(batch);
	assert_non_null(strstr(vfr_error_get_message(err), missing));
	assert_false(journal_has(m, "reset 0000:01:00.0 flr ok"));
	vfr_error_free(err);
	err = NULL;
	/* Without a deadline nothing needs the program. */
	vfr_reset_options_set_timeout(opts, -1);
	assert_int_equal(vfr_reset_batch_run(&dev, 1, opts, &batch, &err), 0);
	assert_true(vfr_reset_batch_is_ok(batch));
	assert_true(journal_has(m, "reset 0000:01:00.0 flr ok"));
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(opts);

	if (saved)
		setenv("VFIORESET_CALL", saved, 1);
	else
		unsetenv("VFIORESET_CALL");
	close(fd);
	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
}

/* ---- what a stuck call holds ---- */

/*
 * A hot reset stuck in the bus reset holds the device and group files it
 * was given. The caller closes its own copies: the groups stay open and the
 * device stays in use (an unbind waits), as in the kernel, until the stuck
 * program dies.
 */
static void test_stuck_call_holds_its_files(void **state)
{
	struct mock *m = *state;
	struct held a = hold(15, "0000:05:00.0"), b = hold(16, "0000:05:00.1");
	int groups[] = { a.group, b.group }, unbind;
	pid_t stuck = 0, unbinder = 0;

	assert_int_equal(deadline_vfio_hot_reset(a.device, groups, 2, 200, &stuck), -ETIMEDOUT);
	wait_journal(m, "hot_reset 0000:05:00.0 0000:05:00.0,0000:05:00.1 hang");
	assert_true(stuck > 0);
	release(&a);
	release(&b);

	assert_int_equal(open_rw("/dev/vfio/15"), -EBUSY);
	assert_int_equal(open_rw("/dev/vfio/16"), -EBUSY);
	unbind = path_fd("/sys/bus/pci/drivers/vfio-pci/unbind");
	assert_int_equal(deadline_store(unbind, "0000:05:00.0", 200, &unbinder), -ETIMEDOUT);
	wait_journal(m, "wait 0000:05:00.0 vfio-pci");
	assert_true(unbinder > 0 && unbinder != stuck);

	/* Its death closes its files: the unbind goes on, the groups can be opened. */
	assert_killed(stuck);
	wait_journal(m, "unbind 0000:05:00.0 vfio-pci");
	a.group = open_rw("/dev/vfio/16");
	assert_true(a.group >= 0);
	close(a.group);
	close(unbind);
}

/* Each case on its own tree of HOST. */
#define T(fn) MOCK_CASE(fn, setup, teardown, .host = HOST)

int main(int argc, char **argv)
{
	const struct vfr_test tests[] = {
		T(test_store_answers),
		T(test_vfio_reset_answers),
		T(test_hot_reset_answers),
		T(test_cdev_answers),
		T(test_hung_store),
		T(test_killed_is_unknown),
		T(test_abandoned_is_reaped),
		T(test_threaded_caller),
		T(test_missing_program),
		T(test_stuck_call_holds_its_files),
	};

	return vfr_test_main(argc, argv, tests, VFR_TEST_N(tests));
}
