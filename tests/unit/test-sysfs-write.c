/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysfs_write() and its deadline. A FIFO stands in for a store that blocks:
 * with its reader open and not reading, a write larger than the pipe buffer
 * blocks exactly as a store stuck in a driver does. The opener refuses a
 * FIFO where an attribute should be, so the test hands its descriptor to
 * the deadline itself, as sysfs_write_deadline() does after the open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "deadline.h"
#include "sysfs.h"

static char *make_dir(int *ret_fd)
{
	char *dir = g_dir_make_tmp("vfr-write-XXXXXX", NULL);

	assert_non_null(dir);
	*ret_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(*ret_fd >= 0);
	return dir;
}

static void test_write(void **state)
{
	g_autofree char *dir = NULL, *path = NULL, *text = NULL;
	int dfd;

	(void)state;
	dir = make_dir(&dfd);
	path = g_build_filename(dir, "reset_method", NULL);
	assert_true(g_file_set_contents(path, "", 0, NULL));
	assert_int_equal(sysfs_write(dfd, "reset_method", "flr\n"), 0);
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	assert_string_equal(text, "flr\n");
	/* Absent attributes fail at once, deadline or not. */
	assert_int_equal(sysfs_write(dfd, "reset", "1"), -ENOENT);
	assert_int_equal(sysfs_write_deadline(dfd, "reset", "1", 1000, NULL), -ENOENT);
	/* A short deadline on a store that does not block changes nothing. */
	assert_int_equal(sysfs_write_deadline(dfd, "reset_method", "pm", 60000, NULL), 0);
	g_unlink(path);
	close(dfd);
	g_rmdir(dir);
}

static void test_deadline(void **state)
{
	g_autofree char *dir = NULL, *path = NULL, *big = NULL;
	char sink[65536];
	pid_t stuck = 0;
	int dfd, reader, r;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	dir = make_dir(&dfd);
	path = g_build_filename(dir, "reset", NULL);
	assert_int_equal(mkfifo(path, 0600), 0);
	reader = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(reader >= 0);

	/*
	 * Four pipe buffers of one page each: the write cannot complete while
	 * nobody reads. (The text travels on the writer's command line, which
	 * takes up to 128 KiB; a real sysfs store takes one page.)
	 */
	assert_true(fcntl(reader, F_SETPIPE_SZ, 4096) >= 4096);
	big = g_malloc(4 * 4096 * 4 + 1);
	memset(big, '1', 4 * 4096 * 4);
	big[4 * 4096 * 4] = '\0';
	/* By name, a FIFO is not an attribute: refused at once, never opened. */
	assert_int_equal(sysfs_write_deadline(dfd, "reset", big, 50, NULL), -EMEDIUMTYPE);
	{
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		assert_true(fd >= 0);
		r = deadline_store(fd, big, 50, &stuck);
		close(fd);
	}
	assert_int_equal(r, -ETIMEDOUT);
	assert_true(stuck > 0);
	assert_int_equal(kill(stuck, 0), 0);

	/* The abandoned writer owns its copy of the text and its descriptor. */
	g_clear_pointer(&big, g_free);
	while (read(reader, sink, sizeof(sink)) > 0)
		;
	close(reader); /* the writer now fails with EPIPE and ends */

	/* Once it has ended (waited for without reaping it), the next call reaps it. */
	{
		siginfo_t info = { 0 };
		g_autofree char *plain = g_build_filename(dir, "reset_method", NULL);

		assert_int_equal(waitid(P_ALL, 0, &info, WEXITED | WNOWAIT), 0);
		assert_true(g_file_set_contents(plain, "", 0, NULL));
		assert_int_equal(sysfs_write_deadline(dfd, "reset_method", "pm", 60000, NULL), 0);
		assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
		assert_int_equal(errno, ECHILD);
		g_unlink(plain);
	}
	g_unlink(path);
	close(dfd);
	g_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
