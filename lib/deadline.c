/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel calls with a deadline, in a vfioreset-call of their own (deadline.h says why). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "deadline-protocol.h"
#include "deadline.h"

extern char **environ;

/* Programs left at a deadline, to reap when they finish. */
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

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One request: the command line, and the descriptors to place from CALL_FD_TARGET on. */
struct call {
	const char *op;
	const char *arg; /* NULL: none */
	int target;
	const int *groups;
	size_t n_groups;
};

/*
 * The descriptors the child gets. dup2() in the child runs in order, so a
 * source must not sit on a number an earlier dup2() fills: any source below
 * @first_free is first copied above it (close-on-exec, gone at the exec).
 */
struct placement {
	int fds[CALL_FD_GROUPS + CALL_MAX_GROUPS]; /* index: the number in the child */
	int copies[CALL_FD_GROUPS + CALL_MAX_GROUPS];
	size_t n_copies;
	int first_free;
};

/* @src, or a close-on-exec copy of it above the numbers the child gets. */
static int raise_fd(struct placement *p, int src)
{
	int copy;

	if (src < 0)
		return -EBADF;
	if (src >= p->first_free)
		return src;
	copy = fcntl(src, F_DUPFD_CLOEXEC, p->first_free);
	if (copy < 0)
		return -errno;
	p->copies[p->n_copies++] = copy;
	return copy;
}

static int place(struct placement *p, int dest, int src)
{
	src = raise_fd(p, src);
	if (src < 0)
		return src;
	p->fds[dest] = src;
	return 0;
}

static void placement_clear(struct placement *p)
{
	for (size_t i = 0; i < p->n_copies; i++)
		close(p->copies[i]);
	p->n_copies = 0;
}

static int placement_fill(struct placement *p, const struct call *c, int go_fd, int answer_fd,
			  int null_fd)
{
	int r = 0;

	p->first_free = CALL_FD_GROUPS + (int)c->n_groups;
	null_fd = raise_fd(p, null_fd);
	if (null_fd < 0)
		return null_fd;
	for (int fd = 1; fd < 3; fd++)
		p->fds[fd] = null_fd;
	r = place(p, 0, go_fd);
	if (r < 0)
		return r;
	r = place(p, CALL_FD_ANSWER, answer_fd);
	if (r == 0)
		r = place(p, CALL_FD_TARGET, c->target);
	for (size_t i = 0; i < c->n_groups && r == 0; i++)
		r = place(p, CALL_FD_GROUPS + (int)i, c->groups[i]);
	return r;
}

/*
 * posix_spawn() of the program with @p in place; the child's pid. Until
 * its execve() the child is a clone holding a copy of every descriptor of
 * the caller, binding locks included: a caller killed in that moment
 * leaves its locks held until the clone has exec'd, a moment later, and
 * the program then reads EOF for its go-ahead and makes no call.
 */
static int spawn(const char *path, const struct call *c, const struct placement *p,
		 pid_t *ret_pid, int64_t *ret_ns)
{
	char *argv[] = { (char *)CALL_PROGRAM, (char *)c->op, (char *)c->arg, NULL };
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none;
	int64_t start;
	pid_t pid;
	int r;

	r = posix_spawn_file_actions_init(&actions);
	if (r != 0)
		return -r;
	r = posix_spawnattr_init(&attr);
	if (r != 0) {
		posix_spawn_file_actions_destroy(&actions);
		return -r;
	}
	for (int fd = 0; fd < p->first_free && r == 0; fd++)
		r = posix_spawn_file_actions_adddup2(&actions, p->fds[fd], fd);
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
	/* The caller's own descriptors without close-on-exec are not the call's business. */
	if (r == 0)
		r = posix_spawn_file_actions_addclosefrom_np(&actions, p->first_free);
#endif
	/* A thread that blocked signals must not leave the program deaf to SIGTERM. */
	sigemptyset(&none);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (r == 0)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (r == 0) {
		start = now_ns();
		r = posix_spawn(&pid, path, &actions, &attr, argv, environ);
		*ret_ns = now_ns() - start;
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	if (r != 0)
		return -r;
	*ret_pid = pid;
	return 0;
}

/*
 * Waits for the answer until @end (CLOCK_MONOTONIC, ns) and reaps @pid; on
 * -ETIMEDOUT @pid is left running, for a later call to reap. A poll() that
 * fails (ENOMEM) leaves as little known as the deadline does: the program
 * may still make its call, so that is -ETIMEDOUT too, and the caller keeps
 * the call's record as it does for a call that did not return.
 */
static int wait_answer(int answer_fd, pid_t pid, int64_t end)
{
	for (;;) {
		struct pollfd pfd = { .fd = answer_fd, .events = POLLIN };
		int64_t left = end - now_ns();
		int32_t answer;
		int n;

		/* Rounded up: poll() must not come back a little before the deadline. */
		n = poll(&pfd, 1, left > 0 ? (int)((left + 999999) / 1000000) : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			abandon(pid);
			return -ETIMEDOUT;
		}
		/* EOF: the program died (killed) before it could say how the call went. */
		n = (int)read(answer_fd, &answer, sizeof(answer));
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return n == (int)sizeof(answer) && answer <= 0 ? answer : -EIO;
	}
}

static __thread const struct deadline_announce *announce_now;

void deadline_announce_set(const struct deadline_announce *announce)
{
	announce_now = announce;
}

/* Announces the spawned program, then lets it make its call. */
static void go(int go_fd, pid_t pid)
{
	const struct deadline_announce *a = announce_now;
	ssize_t n;

	if (a && a->started)
		a->started(pid, a->data);
	do
		n = write(go_fd, "g", 1);
	while (n < 0 && errno == EINTR);
	/* A failed write closes below all the same: the program reads EOF and makes no call. */
}

static int run(const struct call *c, int timeout_ms, pid_t *ret_stuck,
	       struct deadline_timing *ret_timing)
{
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
	struct placement *p = NULL;
	int pipefd[2] = { -1, -1 }, gofd[2] = { -1, -1 }, null_fd = -1, r;
	char path[4096];
	int64_t spawn_ns = 0;
	pid_t pid = 0;

	if (timeout_ms < 0 || c->target < 0 || c->n_groups > CALL_MAX_GROUPS ||
	    (c->n_groups && !c->groups))
		return -EINVAL;
	reap_abandoned();
	r = deadline_program_path(path, sizeof(path));
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (pipe2(pipefd, O_CLOEXEC) < 0 || pipe2(gofd, O_CLOEXEC) < 0 ||
	    (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		r = -errno;
		goto out;
	}
	r = placement_fill(p, c, gofd[0], pipefd[1], null_fd);
	if (r == 0)
		r = spawn(path, c, p, &pid, &spawn_ns);
	placement_clear(p);
	close(null_fd);
	close(pipefd[1]);
	pipefd[1] = -1;
	close(gofd[0]);
	gofd[0] = -1;
	if (r < 0)
		goto out;
	go(gofd[1], pid);
	close(gofd[1]);
	gofd[1] = -1;
	if (ret_timing)
		ret_timing->spawn_ns = spawn_ns;
	r = wait_answer(pipefd[0], pid, end);
	if (r == -ETIMEDOUT && ret_stuck)
		*ret_stuck = pid;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	for (int i = 0; i < 2; i++)
		if (gofd[i] >= 0)
			close(gofd[i]);
	free(p);
	return r;
}

int deadline_store_timed(int fd, const char *text, int timeout_ms, pid_t *ret_stuck,
			 struct deadline_timing *ret_timing)
{
	struct call c = { .op = CALL_OP_STORE, .arg = text, .target = fd };

	if (!text)
		return -EINVAL;
	return run(&c, timeout_ms, ret_stuck, ret_timing);
}

int deadline_store(int fd, const char *text, int timeout_ms, pid_t *ret_stuck)
{
	return deadline_store_timed(fd, text, timeout_ms, ret_stuck, NULL);
}

int deadline_vfio_reset(int device_fd, int timeout_ms, pid_t *ret_stuck)
{
	struct call c = { .op = CALL_OP_VFIO_RESET, .target = device_fd };

	return run(&c, timeout_ms, ret_stuck, NULL);
}

int deadline_vfio_hot_reset(int device_fd, const int *group_fds, size_t n, int timeout_ms,
			    pid_t *ret_stuck)
{
	char count[16];
	struct call c = {
		.op = CALL_OP_HOT_RESET, .arg = count, .target = device_fd,
		.groups = group_fds, .n_groups = n,
	};

	snprintf(count, sizeof(count), "%zu", n);
	return run(&c, timeout_ms, ret_stuck, NULL);
}
