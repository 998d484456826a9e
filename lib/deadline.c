/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel calls with a deadline, in a child process (deadline.h says why). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"

/* Children left at a deadline, to reap when they finish. */
#define MAX_ABANDONED 64
static pid_t abandoned[MAX_ABANDONED];
static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;

static void reap_abandoned(void)
{
	pthread_mutex_lock(&abandoned_lock);
	for (size_t i = 0; i < MAX_ABANDONED; i++) {
		pid_t r;

		if (abandoned[i] <= 0)
			continue;
		r = waitpid(abandoned[i], NULL, WNOHANG);
		/* Done, or reaped by the program's own SIGCHLD handling (ECHILD). */
		if (r == abandoned[i] || (r < 0 && errno == ECHILD))
			abandoned[i] = 0;
	}
	pthread_mutex_unlock(&abandoned_lock);
}

static void abandon(pid_t pid)
{
	pthread_mutex_lock(&abandoned_lock);
	for (size_t i = 0; i < MAX_ABANDONED; i++) {
		if (abandoned[i] <= 0) {
			abandoned[i] = pid;
			break;
		}
	}
	/* More than that many stuck calls: the rest stay zombies if they ever finish. */
	pthread_mutex_unlock(&abandoned_lock);
}

static int compare_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Closes every descriptor but the sorted @keep ones; system calls only. */
static void close_all_but(const int *keep, size_t n)
{
	unsigned int from = 0;

	for (size_t i = 0; i <= n; i++) {
		unsigned int to = i < n ? (unsigned int)keep[i] : ~0U;

		if (i < n && to < from)
			continue; /* a duplicate */
		if (to > from && close_range(from, i < n ? to - 1 : ~0U, 0) < 0)
			for (long fd = from; fd < (i < n ? (long)to : 65536); fd++)
				close((int)fd);
		if (i < n)
			from = to + 1;
	}
}

_Noreturn static void run_child(int (*fn)(void *), void *arg, const int *keep, size_t n_keep,
				int result_fd)
{
	int r;

	close_all_but(keep, n_keep);
	r = fn(arg);
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

int deadline_call(int (*fn)(void *arg), void *arg, const int *keep, size_t n_keep,
		  int timeout_ms, pid_t *ret_stuck)
{
	int64_t end = now_ms() + timeout_ms;
	int pipefd[2], r = -ETIMEDOUT;
	int *fds;
	pid_t pid;

	if (timeout_ms < 0)
		return fn(arg);
	reap_abandoned();
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	/* Everything the child needs is made before fork(): the caller may have threads. */
	fds = malloc((n_keep + 1) * sizeof(int));
	if (!fds) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_keep; i++)
		fds[i] = keep[i];
	fds[n_keep] = pipefd[1];
	qsort(fds, n_keep + 1, sizeof(int), compare_int);

	pid = fork();
	if (pid == 0)
		run_child(fn, arg, fds, n_keep + 1, pipefd[1]);
	r = pid < 0 ? -errno : -ETIMEDOUT;
	free(fds);
	close(pipefd[1]);
	while (pid > 0) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		int64_t left = end - now_ms();
		int n, result;

		n = poll(&p, 1, left > 0 ? (int)left : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			abandon(pid);
			if (ret_stuck)
				*ret_stuck = pid;
			break;
		}
		/* EOF: the child died (killed) before it could say how the call went. */
		r = read(pipefd[0], &result, sizeof(result)) == (ssize_t)sizeof(result) ? result
											 : -EIO;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		break;
	}
	close(pipefd[0]);
	return r;
}
