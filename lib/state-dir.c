/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state directory and its files (state-dir.h). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <glib.h>

#include "beneath.h"
#include "state-dir.h"

#define LOG_DOMAIN "state"
#define STATE_DIR "run/vfioreset"
/*
 * Others may pass through the state directory but not list it, so that the
 * one public directory below it (the pending records, which every reader
 * of config space must see) can be read; everything else in it is 0600.
 */
#define STATE_DIR_MODE 0711
#define PUBLIC_DIR_MODE 0755

/* "ROOT/run/vfioreset" as a user reads it: "/run/vfioreset" on the host. */
static char *shown_path(const struct vfr_ctx *ctx)
{
	g_autofree char *root = g_strdup(vfr_ctx_get_root(ctx));
	size_t len = strlen(root);

	while (len > 0 && root[len - 1] == '/')
		root[--len] = '\0';
	return g_strconcat(root, "/" STATE_DIR, NULL);
}

/* mkdir ROOT/@rel, by the same rules as ctx_open(): the parent is reached without links. */
static int make_dir(const struct vfr_ctx *ctx, const char *rel, mode_t mode)
{
	g_autofree char *parent = g_path_get_dirname(rel);
	g_autofree char *base = g_path_get_basename(rel);
	int pfd, r = 0;

	if (ctx_get_root_fd(ctx) < 0) {
		g_autofree char *abs = g_strconcat("/", rel, NULL);

		return mkdir(abs, mode) < 0 ? -errno : 0;
	}
	pfd = strcmp(parent, ".") == 0
		      ? beneath_open(ctx_get_root_fd(ctx), ".", O_PATH | O_DIRECTORY, 0, BENEATH_DIR)
		      : beneath_open(ctx_get_root_fd(ctx), parent, O_PATH | O_DIRECTORY, 0, BENEATH_DIR);
	if (pfd < 0)
		return pfd;
	if (mkdirat(pfd, base, mode) < 0)
		r = -errno;
	close(pfd);
	return r;
}

static int open_dir(const struct vfr_ctx *ctx, bool create)
{
	/* Only passed through to read (others cannot list it): a path descriptor then. */
	int fd = ctx_open(ctx, STATE_DIR, (create ? O_RDONLY : O_PATH) | O_DIRECTORY, 0,
			  BENEATH_DIR);
	int r;

	if (fd != -ENOENT || !create)
		return fd;
	/* /run is 0755 root on a host; the directory can be passed, not listed, by others. */
	r = make_dir(ctx, "run", 0755);
	if (r < 0 && r != -EEXIST)
		return r;
	r = make_dir(ctx, STATE_DIR, STATE_DIR_MODE);
	if (r < 0 && r != -EEXIST)
		return r;
	return ctx_open(ctx, STATE_DIR, O_RDONLY | O_DIRECTORY, 0, BENEATH_DIR);
}

/*
 * The checks of a directory of the state: -EPERM (with the sentence) or 0.
 * Ours, or - only to read it - root's; nobody else may write to it. Ours
 * with other permissions than @mode (made by an older version) is set to it.
 */
static int check_dir(int fd, const char *shown, mode_t mode, bool read_only,
		     struct vfr_error **reterr)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return error_set(reterr, -errno, NULL, "cannot stat the state directory %s: %s",
				 shown, g_strerror(errno));
	if (st.st_uid != geteuid() && !(read_only && st.st_uid == 0))
		return error_set(reterr, -EPERM, NULL,
				 "the state directory %s belongs to uid %u, not to this user (uid "
				 "%u): not used", shown, (unsigned int)st.st_uid,
				 (unsigned int)geteuid());
	if (st.st_mode & 022)
		return error_set(reterr, -EPERM, NULL,
				 "the state directory %s can be written by others (mode %04o): not "
				 "used", shown, (unsigned int)(st.st_mode & 07777));
	/* Set only by those who change things; a reader may hold a path descriptor. */
	if (!read_only && st.st_uid == geteuid() && (st.st_mode & 07777) != mode &&
	    fchmod(fd, mode) < 0)
		return error_set(reterr, -errno, NULL, "cannot set the mode of the state directory "
				 "%s: %s", shown, g_strerror(errno));
	return 0;
}

static int state_dir_open_as(const struct vfr_ctx *ctx, bool create, int *ret_dirfd,
			     struct vfr_error **reterr)
{
	g_autofree char *shown = NULL;
	int fd, r;

	assert_return(ctx && ret_dirfd, -EINVAL);
	shown = shown_path(ctx);
	fd = open_dir(ctx, create);
	if (fd == -ENOENT && !create)
		return -ENOENT;
	if (fd == -ELOOP || fd == -ENOTDIR)
		return error_set(reterr, -ELOOP, NULL,
				 "the state directory %s is a symbolic link or not a directory, or "
				 "is reached through one: not followed", shown);
	if (fd < 0)
		return error_set(reterr, fd, NULL, "cannot open the state directory %s: %s", shown,
				 g_strerror(-fd));
	r = check_dir(fd, shown, STATE_DIR_MODE, !create, reterr);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_dirfd = fd;
	return 0;
}

int state_dir_open(const struct vfr_ctx *ctx, int *ret_dirfd, struct vfr_error **reterr)
{
	return state_dir_open_as(ctx, true, ret_dirfd, reterr);
}

int state_subdir_open(const struct vfr_ctx *ctx, const char *name, bool create, int *ret_fd,
		      struct vfr_error **reterr)
{
	g_autofree char *shown = NULL;
	int dirfd, fd, r;

	assert_return(ctx && ret_fd && state_name_valid(name), -EINVAL);
	r = state_dir_open_as(ctx, create, &dirfd, reterr);
	if (r < 0)
		return r;
	{
		g_autofree char *top = shown_path(ctx);

		shown = g_strconcat(top, "/", name, NULL);
	}
	fd = beneath_open(dirfd, name, O_RDONLY | O_DIRECTORY, 0, BENEATH_DIR);
	if (fd == -ENOENT && create) {
		if (mkdirat(dirfd, name, PUBLIC_DIR_MODE) < 0 && errno != EEXIST) {
			r = -errno;
			close(dirfd);
			return error_set(reterr, r, NULL, "cannot make %s: %s", shown, g_strerror(-r));
		}
		fd = beneath_open(dirfd, name, O_RDONLY | O_DIRECTORY, 0, BENEATH_DIR);
	}
	close(dirfd);
	if (fd == -ENOENT && !create)
		return -ENOENT;
	if (fd < 0)
		return error_set(reterr, fd, NULL, "cannot open %s: %s", shown, g_strerror(-fd));
	r = check_dir(fd, shown, PUBLIC_DIR_MODE, !create, reterr);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

bool state_name_valid(const char *name)
{
	return beneath_name_valid(name) && name[0] != '.';
}

/*
 * The checks on every file of a directory of the state: ours, or - to read
 * it - root's; nobody else may write to it. A file is as readable as its
 * directory: 0644 in the public one, else 0600 (set when it is ours).
 */
static int check_file(int dirfd, int fd, int flags)
{
	bool read_only = (flags & O_ACCMODE) == O_RDONLY && !(flags & O_CREAT);
	struct stat st, dir;
	mode_t mode;

	if (fstat(fd, &st) < 0 || fstat(dirfd, &dir) < 0)
		return -errno;
	if (st.st_uid != geteuid() && !(read_only && st.st_uid == 0))
		return -EPERM;
	if (st.st_mode & 022)
		return -EPERM;
	mode = dir.st_mode & 004 ? 0644 : 0600;
	if (st.st_uid == geteuid() && (st.st_mode & 0777) != mode && fchmod(fd, mode) < 0)
		return -errno;
	return 0;
}

static int open_any(int dirfd, const char *name, int flags)
{
	int fd = beneath_open(dirfd, name, flags | O_NOFOLLOW, 0600, BENEATH_REG);
	int r;

	if (fd < 0)
		return fd;
	r = check_file(dirfd, fd, flags);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int state_file_open(int dirfd, const char *name, int flags)
{
	if (!state_name_valid(name))
		return -EINVAL;
	return open_any(dirfd, name, flags);
}

int state_file_read(int dirfd, const char *name, size_t max, char **ret_text, size_t *ret_len)
{
	g_autofree char *text = NULL;
	struct stat st;
	size_t got = 0;
	int fd, r = 0;

	assert_return(ret_text, -EINVAL);
	fd = state_file_open(dirfd, name, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if ((uint64_t)st.st_size > (uint64_t)max)
		r = -EFBIG;
	if (r < 0) {
		close(fd);
		return r;
	}
	/* One byte more than allowed tells a file that grew meanwhile. */
	text = g_malloc(max + 2);
	while (got <= max) {
		ssize_t n = read(fd, text + got, max + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return r;
	if (got > max)
		return -EFBIG;
	text[got] = '\0';
	if (ret_len)
		*ret_len = got;
	*ret_text = g_steal_pointer(&text);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int state_file_write(int dirfd, const char *name, const void *data, size_t len)
{
	static unsigned int serial;
	g_autofree char *tmp = NULL;
	int fd, r;

	if (!state_name_valid(name) || (!data && len))
		return -EINVAL;
	/* Hidden, so that it is never taken for a record; unique per process and call. */
	tmp = g_strdup_printf(".%s.%ld.%u.tmp", name, (long)getpid(),
			      __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
	fd = open_any(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL);
	if (fd < 0)
		return fd;
	r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	/* The rename itself must reach the disk before what it records happens. */
	fsync(dirfd);
	return 0;
}

int state_file_remove(int dirfd, const char *name)
{
	if (!state_name_valid(name))
		return -EINVAL;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	fsync(dirfd);
	return 0;
}

/*
 * /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF", the
 * device in hex; a "->" after the number marks a waiter, not a holder.
 */
pid_t state_lock_holder(int fd)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	struct stat st;

	if (fstat(fd, &st) < 0 || !g_file_get_contents("/proc/locks", &text, NULL, NULL))
		return 0;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		char type[16], mode[16], rw[16];
		unsigned int maj, min;
		uint64_t ino;
		long pid;

		if (strstr(*l, "->") ||
		    sscanf(*l, "%*d: %15s %15s %15s %ld %x:%x:%" SCNu64, type, mode, rw, &pid, &maj,
			   &min, &ino) != 7)
			continue;
		if (strcmp(type, "FLOCK") == 0 && maj == major(st.st_dev) && min == minor(st.st_dev) &&
		    ino == (uint64_t)st.st_ino && pid > 0)
			return (pid_t)pid;
	}
	return 0;
}

int state_lock_take(int dirfd, const char *name, int timeout_ms, pid_t *ret_holder)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
	unsigned int wait_us = 1000;
	int fd;

	fd = state_file_open(dirfd, name, O_RDWR | O_CREAT);
	if (fd < 0)
		return fd;
	for (;;) {
		if (flock(fd, timeout_ms < 0 ? LOCK_EX : LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			int r = -errno;

			close(fd);
			return r;
		}
		if (g_get_monotonic_time() >= end) {
			if (ret_holder)
				*ret_holder = state_lock_holder(fd);
			close(fd);
			return -EBUSY;
		}
		/* flock has no timed wait: poll with backoff, bounded by the deadline. */
		g_usleep(MIN(wait_us, (gulong)MAX(end - g_get_monotonic_time(), 1)));
		wait_us = MIN(wait_us * 2, 100000);
	}
}

void state_lock_release(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
