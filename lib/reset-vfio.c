/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO resets with a deadline. VFIO_DEVICE_RESET and
 * VFIO_DEVICE_PCI_HOT_RESET run the kernel's reset in the caller's context,
 * under the device's locks, until the reset and the readiness wait are
 * done: like a sysfs reset store they cannot be interrupted, and a broken
 * device can keep them there. So, as sysfs-deadline.c does for a store, the
 * ioctl runs in a grandchild process that holds only the fds the ioctl
 * needs and a pipe for its answer; the caller waits on the pipe with a
 * deadline, and a stuck ioctl is an orphan of init, not part of the caller
 * (whose exit would otherwise wait for it).
 *
 * The kernel accepts the ioctls from another process: VFIO checks the files
 * passed (the device file, the group files), not the process.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "reset-exec.h"
#include "vfio.h"

struct vfio_call {
	bool hot;
	int device_fd;
	const int *group_fds;
	size_t n_group_fds;
};

static int call(const struct vfio_call *c)
{
	if (c->hot)
		return vfio_pci_hot_reset(c->device_fd, c->group_fds, c->n_group_fds);
	return vfio_device_reset(c->device_fd);
}

static int compare_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Closes every fd but the sorted @keep ones; only system calls (after fork). */
static void close_all_but(const int *keep, size_t n)
{
	unsigned int from = 0;

	for (size_t i = 0; i <= n; i++) {
		unsigned int to = i < n ? (unsigned int)keep[i] : ~0U;

		if (i < n && to < from)
			continue; /* a duplicate */
		if (to > from && close_range(from, i < n ? to - 1 : ~0U, 0) < 0) {
			for (long fd = from; fd < (i < n ? (long)to : 65536); fd++)
				close((int)fd);
		}
		if (i < n)
			from = to + 1;
	}
}

_Noreturn static void run_caller(const struct vfio_call *c, const int *keep, size_t n_keep,
				 int result_fd)
{
	int r;

	if (fork() != 0) /* the intermediate child: exit, the grandchild is init's now */
		_exit(0);
	close_all_but(keep, n_keep);
	r = call(c);
	/*
	 * The VFIO files are closed before the answer is sent: once the
	 * caller has it, no process of ours but the caller holds them (a
	 * reset right after must not find this one among the holders).
	 */
	close_all_but(&result_fd, 1);
	if (write(result_fd, &r, sizeof(r)) < 0)
		_exit(1);
	_exit(0);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int call_deadline(const struct vfio_call *c, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	g_autofree int *keep = NULL;
	size_t n_keep = 0;
	int pipefd[2], r;
	pid_t pid;

	if (timeout_ms < 0)
		return call(c);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	/* Everything the grandchild needs is prepared before fork(): the caller has threads. */
	keep = g_new(int, c->n_group_fds + 2);
	keep[n_keep++] = c->device_fd;
	for (size_t i = 0; i < c->n_group_fds; i++)
		keep[n_keep++] = c->group_fds[i];
	keep[n_keep++] = pipefd[1];
	qsort(keep, n_keep, sizeof(int), compare_int);

	pid = fork();
	if (pid == 0)
		run_caller(c, keep, n_keep, pipefd[1]);
	close(pipefd[1]);
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		return r;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		int64_t left = end - now_ms();
		int n, result;

		n = poll(&p, 1, (int)MAX(left, 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		/* EOF: the grandchild died before it could say how the ioctl went. */
		r = read(pipefd[0], &result, sizeof(result)) == (ssize_t)sizeof(result) ? result
											 : -EIO;
		break;
	}
	close(pipefd[0]);
	return r;
}

int reset_vfio_device(int device_fd, int timeout_ms)
{
	struct vfio_call c = { .hot = false, .device_fd = device_fd };

	if (device_fd < 0)
		return -EBADF;
	return call_deadline(&c, timeout_ms);
}

int reset_vfio_hot(int device_fd, const int *group_fds, size_t n, int timeout_ms)
{
	struct vfio_call c = {
		.hot = true, .device_fd = device_fd, .group_fds = group_fds, .n_group_fds = n,
	};

	if (device_fd < 0)
		return -EBADF;
	return call_deadline(&c, timeout_ms);
}
