/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the harness's own tests share: a fixture tree from a description
 * (made by vfr-mkfixture without the preload, then made the mock root) and
 * a look at it past the preload (the root's real path is not redirected).
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
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

struct tree {
	char *dir;  /* the temporary directory */
	char *root; /* dir/root, VFR_MOCK_ROOT while a test runs */
};

static inline int tree_remove_entry(const char *path, const struct stat *st, int type,
				    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static inline void tree_rm(const char *path)
{
	nftw(path, tree_remove_entry, 64, FTW_DEPTH | FTW_PHYS);
}

/* A tree from the description @text, made the mock root. */
static inline struct tree *tree_new(const char *text)
{
	struct tree *t = g_new0(struct tree, 1);
	g_autofree char *ini = NULL, *err = NULL;
	g_auto(GStrv) env = g_environ_unsetenv(g_get_environ(), "LD_PRELOAD");
	const char *argv[4] = { getenv("VFR_MKFIXTURE"), NULL, NULL, NULL };
	int status = -1;

	unsetenv("VFR_MOCK_ROOT");
	env = g_environ_unsetenv(env, "VFR_MOCK_ROOT");
	assert_non_null(argv[0]);
	t->dir = g_dir_make_tmp("vfr-harness-XXXXXX", NULL);
	assert_non_null(t->dir);
	t->root = g_build_filename(t->dir, "root", NULL);
	ini = g_build_filename(t->dir, "host.ini", NULL);
	assert_true(g_file_set_contents(ini, text, -1, NULL));
	argv[1] = ini;
	argv[2] = t->root;
	assert_true(g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL,
				 &err, &status, NULL));
	if (status != 0)
		fail_msg("vfr-mkfixture: %s", err);
	setenv("VFR_MOCK_ROOT", t->root, 1);
	return t;
}

static inline int tree_teardown(void **state)
{
	struct tree *t = *state;

	unsetenv("VFR_MOCK_ROOT");
	tree_rm(t->dir);
	g_free(t->dir);
	g_free(t->root);
	g_free(t);
	return 0;
}

/* ROOT/@rel as the test sees it, past the preload. */
static inline char *tree_path(const struct tree *t, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);
static inline char *tree_path(const struct tree *t, const char *fmt, ...)
{
	g_autofree char *rel = NULL;
	va_list ap;

	va_start(ap, fmt);
	rel = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return g_build_filename(t->root, rel, NULL);
}

static inline bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Whether ROOT/@rel exists. */
static inline bool tree_has(const struct tree *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static inline bool tree_has(const struct tree *t, const char *fmt, ...)
{
	g_autofree char *rel = NULL, *path = NULL;
	va_list ap;

	va_start(ap, fmt);
	rel = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	path = g_build_filename(t->root, rel, NULL);
	return exists(path);
}

/* Whether ROOT/.vfr-mock/journal has the line @line. */
static inline bool tree_journal_has(const struct tree *t, const char *line)
{
	g_autofree char *path = tree_path(t, ".vfr-mock/journal");
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return false;
	lines = g_strsplit(text, "\n", -1);
	return g_strv_contains((const char *const *)lines, line);
}

/* `echo -n TEXT > PATH` through the preload: 0 or the -errno of open() or write(). */
static inline int sysfs_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The last component of the link @path, through the preload; NULL when there is none. */
static inline char *link_name(const char *path)
{
	g_autofree char *target = g_file_read_link(path, NULL);

	return target ? g_path_get_basename(target) : NULL;
}
