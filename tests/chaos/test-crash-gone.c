/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A manager killed while a clone of it (posix_spawn() before its execve())
 * still holds a binding lock: waitpid() returns, the lock stays held, and
 * the crash operation must wait for the clone before it answers
 * (chaos-crash.c). The clone here waits on a pipe, so the window that a
 * busy machine opens by chance stays open as long as the test needs.
 */
#include "chaos-run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define check(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static bool lock_free(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool free_now = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;

	if (fd >= 0)
		close(fd);
	return free_now;
}

int main(void)
{
	char root[] = "/tmp/vfr-crash-gone-XXXXXX";
	g_autofree char *dir = NULL, *lock = NULL;
	int ready[2], release[2], gone = -1;
	char c;
	pid_t pid;

	if (!mkdtemp(root))
		return 99;
	dir = g_build_filename(root, "run", "vfioreset", NULL);
	lock = g_build_filename(dir, "0000:01:00.0.lock", NULL);
	if (g_mkdir_with_parents(dir, 0700) < 0 || pipe2(ready, O_CLOEXEC) < 0 ||
	    pipe(release) < 0)
		return 99;
	pid = chaos_crash_fork(&gone);
	if (pid < 0)
		return 99;
	if (pid == 0) {
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		close(release[1]);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		/* The spawn's clone: the manager's descriptors until its exec. */
		if (fork() == 0) {
			while (read(release[0], &c, 1) < 0 && errno == EINTR)
				;
			execl("/bin/true", "true", (char *)NULL);
			_exit(0);
		}
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	close(release[0]);
	if (read(ready[0], &c, 1) != 1)
		return 99;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	/* Reaped, and its lock still held: what the crash operation once answered on. */
	check(!lock_free(lock));
	check(chaos_crash_wait_gone(root, gone, pid, 0) == -ETIMEDOUT);

	/* The clone execs: close-on-exec drops the copies, and the lock with them. */
	close(release[1]);
	check(chaos_crash_wait_gone(root, gone, pid, 10000) == 0);
	check(lock_free(lock));

	close(gone);
	unlink(lock);
	rmdir(dir);
	g_autofree char *run = g_build_filename(root, "run", NULL);
	rmdir(run);
	rmdir(root);
	if (failures)
		return 1;
	printf("a killed manager's lock held by its clone is waited for until the clone execs\n");
	return 0;
}
