/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one opener over a tree the input makes, with openat2(), with the walk
 * that replaces it, and opening directly as on a nodev mount: whatever it
 * opens lies inside the tree and is of a kind asked for, nothing blocks,
 * and the three agree on what opens.
 *
 * Input, one command a line:
 *   d PATH          a directory (and its parents)
 *   f PATH          a file
 *   l PATH TARGET   a symbolic link
 *   p PATH          a FIFO
 *   o PATH KINDS    open PATH (KINDS: r file, d directory, c device node)
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "beneath.h"
#include "fuzz.h"

static char base[PATH_MAX];  /* a private directory, made once */
static char root[PATH_MAX];  /* base/root: the tree, made for each input */
static char real_root[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* PATH below the tree, or NULL when it would not be (absolute, "..", too long). */
static char *below(const char *rel)
{
	if (!*rel || rel[0] == '/' || strstr(rel, "..") || strlen(rel) > 200)
		return NULL;
	return g_build_filename(root, rel, NULL);
}

static void make(char op, const char *rel, const char *arg)
{
	g_autofree char *path = below(rel);
	g_autofree char *parent = NULL;

	if (!path)
		return;
	parent = g_path_get_dirname(path);
	g_mkdir_with_parents(parent, 0755);
	switch (op) {
	case 'd':
		g_mkdir_with_parents(path, 0755);
		break;
	case 'f':
		g_file_set_contents(path, "x", 1, NULL);
		break;
	case 'l':
		if (arg)
			(void)!symlink(arg, path);
		break;
	case 'p':
		mkfifo(path, 0600);
		break;
	}
}

static unsigned int kinds(const char *text)
{
	unsigned int t = 0;

	for (const char *p = text ? text : ""; *p; p++)
		t |= *p == 'r' ? BENEATH_REG : *p == 'd' ? BENEATH_DIR : *p == 'c' ? BENEATH_CHR : 0;
	return t ? t : BENEATH_REG;
}

/* What @fd is must be inside the tree and one of @types. */
static void check_opened(int fd, unsigned int types)
{
	char link[64], target[PATH_MAX];
	size_t len = strlen(real_root);
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	check(n > 0);
	target[n] = '\0';
	check(strncmp(target, real_root, len) == 0 && (target[len] == '/' || target[len] == '\0'));
	check(fstat(fd, &st) == 0);
	check((S_ISREG(st.st_mode) && (types & BENEATH_REG)) ||
	      (S_ISDIR(st.st_mode) && (types & BENEATH_DIR)) ||
	      (S_ISCHR(st.st_mode) && (types & BENEATH_CHR)));
}

static void try_open(int rootfd, const char *rel, unsigned int types)
{
	int fd[3];

	/* openat2(), the walk, and the direct open of a tree that cannot open device nodes. */
	for (int mode = 0; mode < 3; mode++) {
		beneath_set_openat2_disabled(mode == 1);
		fd[mode] = beneath_open(rootfd, rel, O_RDONLY | O_NONBLOCK, 0,
					types | (mode == 2 ? BENEATH_NODEV : 0));
		if (fd[mode] >= 0)
			check_opened(fd[mode], types);
	}
	beneath_set_openat2_disabled(false);
	/* The three refuse and allow the same paths. */
	check((fd[0] >= 0) == (fd[1] >= 0));
	check((fd[0] >= 0) == (fd[2] >= 0));
	for (int i = 0; i < 3; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char *save = NULL;
	int rootfd;

	if (!base[0]) {
		snprintf(base, sizeof(base), "/tmp/vfr-fuzz-beneath-XXXXXX");
		if (!mkdtemp(base))
			abort();
		snprintf(root, sizeof(root), "%s/root", base);
	}
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(root, 0700) < 0 || !realpath(root, real_root))
		abort();
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		abort();
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *words[3] = { NULL, NULL, NULL };
		char *wsave = NULL;
		int n = 0;

		for (char *w = strtok_r(line, " ", &wsave); w && n < 3; w = strtok_r(NULL, " ", &wsave))
			words[n++] = w;
		if (n < 2 || strlen(words[0]) != 1)
			continue;
		if (words[0][0] == 'o')
			try_open(rootfd, words[1], kinds(words[2]));
		else
			make(words[0][0], words[1], words[2]);
	}
	close(rootfd);
	free(text);
	return 0;
}
