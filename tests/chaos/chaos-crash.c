/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * When a killed manager is gone for good.
 *
 * waitpid() reaps the manager's process, but a clone of it can outlive it
 * with a copy of its descriptors: posix_spawn() starts vfioreset-call as a
 * clone of the caller that runs until its execve(), and a manager killed
 * in between leaves that clone holding copies of every descriptor it had,
 * close-on-exec or not, binding locks included. Linux drops them when the
 * clone execs (close-on-exec) or closes them (posix_spawn's closefrom), a
 * moment later - but on a busy machine that moment can come after the
 * round's checks, and a flock belongs to the open file, not to the process
 * that took it. The manager is dead once no copy of its descriptors is
 * left, and that is what the crash operation waits for before it answers.
 */
#include "chaos-run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static double now_ms(void)
{
	return (double)g_get_monotonic_time() / 1000.0;
}

pid_t chaos_crash_fork(int *ret_gone_fd)
{
	struct rlimit lim = { 0 };
	int alive[2], high = 1023, mark;
	pid_t pid;

	if (pipe2(alive, O_CLOEXEC) < 0)
		return -1;
	/*
	 * Above every descriptor the manager opens, so that a clone closes it
	 * last (posix_spawn's dup2() onto the low numbers would drop it first).
	 */
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
	    lim.rlim_cur <= (rlim_t)high)
		high = (int)lim.rlim_cur - 1;
	mark = fcntl(alive[1], F_DUPFD_CLOEXEC, high);
	if (mark < 0)
		mark = alive[1];
	else
		close(alive[1]);
	pid = fork();
	if (pid == 0) {
		close(alive[0]);
		return 0;
	}
	close(mark);
	if (pid < 0) {
		close(alive[0]);
		return -1;
	}
	*ret_gone_fd = alive[0];
	return pid;
}

/* The inodes of the binding locks under ROOT/run/vfioreset. */
static GArray *lock_inodes(const char *root)
{
	g_autofree char *dir = g_build_filename(root, "run", "vfioreset", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	GArray *inodes = g_array_new(FALSE, FALSE, sizeof(struct stat));
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		struct stat st;

		if (g_str_has_suffix(name, ".lock") && stat(path, &st) == 0)
			g_array_append_val(inodes, st);
	}
	return inodes;
}

/*
 * Is one of them locked for a taker that is gone? /proc/locks shows the
 * pid of a flock's taker as 0 once that process has died while another
 * still holds the open file (or as @pid, while it is being torn down).
 */
static bool orphan_lock(const char *root, pid_t pid)
{
	g_autoptr(GArray) inodes = lock_inodes(root);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!inodes->len || !g_file_get_contents("/proc/locks", &text, NULL, NULL))
		return false;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		unsigned long long ino;
		unsigned int maj, min;
		char type[16];
		long taker;

		if (strstr(*l, "->") ||
		    sscanf(*l, "%*d: %15s %*s %*s %ld %x:%x:%llu", type, &taker, &maj, &min, &ino) != 5 ||
		    strcmp(type, "FLOCK") != 0 || (taker != 0 && taker != pid))
			continue;
		for (guint i = 0; i < inodes->len; i++) {
			const struct stat *st = &g_array_index(inodes, struct stat, i);

			if (st->st_ino == ino && major(st->st_dev) == maj && minor(st->st_dev) == min)
				return true;
		}
	}
	return false;
}

int chaos_crash_wait_gone(const char *root, int gone_fd, pid_t pid, int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	unsigned int wait_us = 200;

	/* Every copy of the write end closed: no clone holds the manager's descriptors. */
	for (;;) {
		struct pollfd p = { .fd = gone_fd, .events = POLLIN };
		double left = end - now_ms();
		char c;
		int n = poll(&p, 1, left > 0 ? (int)left + 1 : 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ETIMEDOUT;
		n = (int)read(gone_fd, &c, 1);
		if (n == 0)
			break;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
	}
	/*
	 * The last copy's close wakes the reader before the kernel has run the
	 * final release of every file the clone closed with it: the locks go
	 * within microseconds, watched here rather than assumed.
	 */
	while (orphan_lock(root, pid)) {
		if (now_ms() >= end)
			return -ETIMEDOUT;
		g_usleep(wait_us);
		wait_us = MIN(wait_us * 2, 20000u);
	}
	return 0;
}
