/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sysfs store with a deadline. write(2) on sysfs cannot be interrupted or
 * polled: the store runs in the writer's context until the driver returns,
 * and a broken driver can keep it there for ever, in uninterruptible sleep.
 *
 * A thread of our own would not do: a process cannot finish exiting while
 * one of its threads is stuck in the kernel, so the caller (a CLI, a
 * manager restarting) would hang at exit instead, with its descriptors -
 * stdout included - held open. So the store runs in a grandchild process
 * that holds only the attribute and a pipe for its result: the caller
 * waits on the pipe with a deadline, and a stuck writer is an orphan of
 * init, not part of the caller. The intermediate child exits at once, so
 * nothing is left for the caller to reap.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "internal.h"
#include "sysfs.h"

static void close_all_but(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 0 && close_range(0, (unsigned)lo - 1, 0) < 0)
		goto slow;
	if (hi > lo + 1 && close_range((unsigned)lo + 1, (unsigned)hi - 1, 0) < 0)
		goto slow;
	if (close_range((unsigned)hi + 1, ~0U, 0) < 0)
		goto slow;
	return;
slow:
	for (long fd = 0, max = sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
		if (fd != a && fd != b)
			close((int)fd);
}

/* Only async-signal-safe calls below fork(): the caller may have threads. */
_Noreturn static void run_writer(int fd, const char *text, size_t len, int result_fd)
{
	ssize_t n;
	int r;

	if (fork() != 0) /* the intermediate child: exit, the grandchild is init's now */
		_exit(0);
	close_all_but(fd, result_fd);
	do
		n = write(fd, text, len);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : ((size_t)n == len ? 0 : -EIO);
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

int sysfs_write_deadline(int dirfd, const char *name, const char *text, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	size_t len = strlen(text);
	int pipefd[2], fd, r = 0;
	pid_t pid;

	if (timeout_ms < 0)
		return sysfs_write(dirfd, name, text);

	fd = sysfs_open_attr_for_write(dirfd, name);
	if (fd < 0)
		return fd;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	pid = fork();
	if (pid == 0)
		run_writer(fd, text, len, pipefd[1]);
	close(fd);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -errno;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;

	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		int64_t left = end - now_ms();
		int n;

		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		/* The result, or EOF: the writer died (killed) before saying how the store went. */
		{
			int result;

			r = read(pipefd[0], &result, sizeof(result)) == (ssize_t)sizeof(result)
				    ? result
				    : -EIO;
		}
		break;
	}
	close(pipefd[0]);
	return r;
}
