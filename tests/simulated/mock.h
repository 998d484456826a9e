/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the tests under the preload share: the case's own tree (declared
 * with the case, made by the runner of vfr-test.h in the case's process;
 * mock_new() makes a further one), and sysfs
 * reads and writes the way a shell or a VMM does them, with the kernel's
 * errno kept.
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "vfr-test.h"

struct mock {
	char *dir;  /* the temporary directory */
	char *root; /* dir/root: the fixture, VFR_MOCK_ROOT while the test runs */
	bool borrowed; /* the runner's tree (mock_current()): the runner removes it */
};

/*
 * A case of the runner (vfr-test.h) whose body is a cmocka test: cmocka
 * runs it, with its setup and teardown, in the case's own process, on the
 * tree the case declares (.fixture or .host, .faults, given after the
 * teardown).
 */
static inline int mock_run_cmocka(const struct vfr_test *t)
{
	return _cmocka_run_group_tests(t->name, t->data, 1, NULL, NULL) == 0 ? VFR_TEST_OK :
									      VFR_TEST_FAIL;
}

#define MOCK_CASE(fn, setup_fn, teardown_fn, ...)                                        \
	{                                                                                \
		.name = #fn, .run = mock_run_cmocka,                                     \
		.data = &(const struct CMUnitTest)cmocka_unit_test_setup_teardown(       \
			fn, setup_fn, teardown_fn),                                      \
		__VA_ARGS__                                                              \
	}

static inline int mock_remove_entry(const char *path, const struct stat *st, int type,
				    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* The generator runs without the preload and without a mock root. */
static inline char **mock_clean_env(void)
{
	char **env = g_get_environ();

	env = g_environ_unsetenv(env, "LD_PRELOAD");
	return g_environ_unsetenv(env, "VFR_MOCK_ROOT");
}

/* A tree from @text (a description) or, when NULL, from the file @ini. */
static inline struct mock *mock_new(const char *text, const char *ini)
{
	struct mock *m = g_new0(struct mock, 1);
	g_autofree char *desc = NULL, *err_out = NULL;
	g_auto(GStrv) env = mock_clean_env();
	const char *mk = getenv("VFR_MKFIXTURE");
	int status = -1;

	assert_non_null(mk);
	m->dir = g_dir_make_tmp("vfr-mock-XXXXXX", NULL);
	assert_non_null(m->dir);
	m->root = g_build_filename(m->dir, "root", NULL);
	if (text) {
		desc = g_build_filename(m->dir, "host.ini", NULL);
		assert_true(g_file_set_contents(desc, text, -1, NULL));
	} else {
		desc = g_strdup(ini);
	}
	{
		const char *argv[] = { mk, desc, m->root, NULL };

		assert_true(g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL,
					 NULL, &err_out, &status, NULL));
	}
	if (status != 0)
		fail_msg("vfr-mkfixture failed: %s", err_out);
	setenv("VFR_MOCK_ROOT", m->root, 1);
	return m;
}

/* A checked-in description of tests/fixtures/. */
static inline struct mock *mock_fixture(const char *name)
{
	const char *dir = getenv("VFR_FIXTURES");
	g_autofree char *ini = NULL;

	assert_non_null(dir);
	ini = g_build_filename(dir, name, NULL);
	return mock_new(NULL, ini);
}

/* The running case's own tree, the one it declared, made by the runner. */
static inline struct mock *mock_current(void)
{
	struct mock *m = g_new0(struct mock, 1);
	const char *root = vfr_test_root();

	if (!root)
		fail_msg("the case declares no fixture");
	m->root = g_strdup(root);
	m->dir = g_path_get_dirname(root);
	m->borrowed = true;
	return m;
}

static inline void mock_free(struct mock *m)
{
	if (!m)
		return;
	if (!m->borrowed) {
		unsetenv("VFR_MOCK_ROOT");
		nftw(m->dir, mock_remove_entry, 64, FTW_DEPTH | FTW_PHYS);
	}
	g_free(m->dir);
	g_free(m->root);
	g_free(m);
}

/* A path below the fixture root, as the test itself (not the preload) sees it. */
static inline char *mock_path(const struct mock *m, const char *rel)
{
	return g_build_filename(m->root, rel, NULL);
}

/* `echo -n TEXT > PATH`: 0, or the -errno of open() or of the write. */
static inline int attr_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		r = -errno;
	else if ((size_t)n != strlen(text))
		r = -EIO;
	close(fd);
	return r;
}

/* The attribute's text without one trailing newline; NULL (errno set) when unreadable. */
static inline char *attr_read(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return g_strdup(buf);
}

static inline void assert_attr(const char *path, const char *want)
{
	g_autofree char *got = attr_read(path);

	if (!got)
		fail_msg("%s: %s", path, strerror(errno));
	if (strcmp(got, want) != 0)
		fail_msg("%s reads '%s', expected '%s'", path, got, want);
}

static inline bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Whether ROOT/.vfr-mock/journal has the line @line. */
static inline bool journal_has(const struct mock *m, const char *line)
{
	g_autofree char *path = mock_path(m, ".vfr-mock/journal");
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return false;
	lines = g_strsplit(text, "\n", -1);
	return g_strv_contains((const char *const *)lines, line);
}

/* Adds a rule to ROOT/.vfr-mock/faults; the preload sees the file change. */
static inline void fault_add(const struct mock *m, const char *rule)
{
	g_autofree char *path = mock_path(m, ".vfr-mock/faults");
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fprintf(f, "%s\n", rule);
	assert_int_equal(fclose(f), 0);
}

/* Blocks until the journal has @line (inotify, no polling). */
static inline void wait_journal(const struct mock *m, const char *line)
{
	g_autofree char *journal = mock_path(m, ".vfr-mock/journal");
	char events[4096];
	int in = inotify_init1(IN_CLOEXEC);
	/* The simulated kernel makes the journal with its first line: make it now to watch it. */
	int fd = open(journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	close(fd);
	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, journal, IN_MODIFY) >= 0);
	while (!journal_has(m, line))
		assert_true(read(in, events, sizeof(events)) > 0);
	close(in);
}
