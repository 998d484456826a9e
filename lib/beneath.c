/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening below a directory, never leaving it, never through a link (beneath.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "beneath.h"

/* Whether openat2() works here: -1 not known yet, 0 no, 1 yes. Set once, read by any thread. */
static int have_openat2 = -1;
static bool openat2_disabled;

void beneath_set_openat2_disabled(bool disabled)
{
	__atomic_store_n(&openat2_disabled, disabled, __ATOMIC_RELAXED);
}

bool beneath_name_valid(const char *name)
{
	size_t len;

	if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	len = strlen(name);
	if (len >= NAME_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* No absolute path, no "..": what the callers build never needs either. */
static bool path_stays_below(const char *relpath)
{
	if (!relpath || relpath[0] == '/')
		return false;
	for (const char *p = relpath; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		p += strspn(p, "/");
	}
	return true;
}

static int sys_openat2(int dirfd, const char *relpath, int flags, mode_t mode, uint64_t more)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | more,
	};

	return (int)syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));
}

/* -ELOOP when @name below @dirfd is a symbolic link, else @err. */
static int link_or(int dirfd, const char *name, int err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return err;
}

/*
 * Without openat2(): every component but the last is opened O_PATH |
 * O_DIRECTORY | O_NOFOLLOW relative to the one before, so a link anywhere
 * fails instead of being followed; the last one gets @flags | O_NOFOLLOW.
 */
static int walk(int dirfd, const char *relpath, int flags, mode_t mode)
{
	char comp[NAME_MAX + 1];
	const char *p = relpath;
	size_t len = strlen(relpath);
	int cur = dirfd, fd;

	/* "a/" and "a/." name a directory, as they do for the kernel. */
	if ((len > 0 && relpath[len - 1] == '/') ||
	    (len > 1 && relpath[len - 1] == '.' && relpath[len - 2] == '/'))
		flags |= O_DIRECTORY;

	for (;;) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n > NAME_MAX) {
			fd = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, n ? p : ".", n ? n : 1);
		comp[n ? n : 1] = '\0';
		p += n;
		p += strspn(p, "/");
		/* Trailing "." components end the path as well. */
		while (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
			p += 1;
			p += strspn(p, "/");
		}
		if (!*p) {
			fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			if (fd < 0)
				fd = link_or(cur, comp, -errno);
			break;
		}
		fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = link_or(cur, comp, -errno);
			break;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
	}
	if (cur != dirfd)
		close(cur);
	return fd;
}

static bool openat2_usable(void)
{
	return __atomic_load_n(&have_openat2, __ATOMIC_RELAXED) != 0 &&
	       !__atomic_load_n(&openat2_disabled, __ATOMIC_RELAXED);
}

/* @relpath below @dirfd with @flags: a fd or -errno, symlinks refused at every component. */
static int resolve(int dirfd, const char *relpath, int flags, mode_t mode)
{
	int have = __atomic_load_n(&have_openat2, __ATOMIC_RELAXED);
	int fd;

	/* A trusted absolute path: only its last component is the tree's. */
	if (dirfd == AT_FDCWD && relpath && relpath[0] == '/') {
		if (!path_stays_below(relpath + 1))
			return -EXDEV;
		fd = openat(AT_FDCWD, relpath, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		return fd < 0 ? link_or(AT_FDCWD, relpath, -errno) : fd;
	}
	if (!path_stays_below(relpath))
		return -EXDEV;
	if (have != 0 && !__atomic_load_n(&openat2_disabled, __ATOMIC_RELAXED)) {
		fd = sys_openat2(dirfd, *relpath ? relpath : ".", flags, mode, 0);
		if (fd >= 0) {
			__atomic_store_n(&have_openat2, 1, __ATOMIC_RELAXED);
			return fd;
		}
		/*
		 * ENOSYS: no such call. EPERM, before it ever worked: a seccomp
		 * filter of the kind container runtimes install for calls they
		 * do not know.
		 */
		if (errno != ENOSYS && !(errno == EPERM && have < 0)) {
			__atomic_store_n(&have_openat2, 1, __ATOMIC_RELAXED);
			return -errno;
		}
		__atomic_store_n(&have_openat2, 0, __ATOMIC_RELAXED);
	}
	return walk(dirfd, relpath, flags, mode);
}

static bool type_ok(mode_t mode, unsigned int types)
{
	return (S_ISREG(mode) && (types & BENEATH_REG)) || (S_ISDIR(mode) && (types & BENEATH_DIR)) ||
	       (S_ISCHR(mode) && (types & BENEATH_CHR));
}

/* Checks what @fd is; closes it and returns -EMEDIUMTYPE when it is not one of @types. */
static int check_type(int fd, unsigned int types, struct stat *ret)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (S_ISLNK(st.st_mode) || !type_ok(st.st_mode, types)) {
		close(fd);
		return S_ISLNK(st.st_mode) ? -ELOOP : -EMEDIUMTYPE;
	}
	if (ret)
		*ret = st;
	return fd;
}

/*
 * The file @path_fd (O_PATH) refers to, opened with @flags. /proc/self/fd
 * reopens that very inode. Without /proc the name is opened again (never
 * blocking), and must turn out to be the same inode.
 */
static int reopen(int path_fd, const struct stat *st, int dirfd, const char *relpath,
		  int flags, unsigned int types)
{
	char proc[64];
	struct stat now;
	int fd, r;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	fd = open(proc, (flags & ~(O_NOFOLLOW | O_CREAT | O_EXCL)) | O_CLOEXEC);
	if (fd >= 0 || (errno != ENOENT && errno != ENOTDIR))
		return fd < 0 ? -errno : fd;
	fd = resolve(dirfd, relpath, flags | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	fd = check_type(fd, types, &now);
	if (fd < 0)
		return fd;
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		return -EXDEV; /* replaced meanwhile */
	}
	if (!(flags & O_NONBLOCK) && (r = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, r & ~O_NONBLOCK);
	return fd;
}

/*
 * On a nodev mount (BENEATH_NODEV): opened directly, without leaving the
 * mount, then checked. -ENOSYS when openat2() cannot do it here.
 */
static int open_on_nodev(int dirfd, const char *relpath, int flags, unsigned int types)
{
	int fd;

	if (!openat2_usable() || dirfd == AT_FDCWD || !path_stays_below(relpath))
		return -ENOSYS;
	fd = sys_openat2(dirfd, *relpath ? relpath : ".", flags | O_NONBLOCK | O_NOCTTY, 0,
			 RESOLVE_NO_XDEV);
	if (fd < 0 && errno == ENXIO)
		return -EMEDIUMTYPE; /* a socket, or a FIFO without a reader opened to write */
	if (fd < 0)
		return errno == ENOSYS || errno == EPERM ? -ENOSYS : -errno;
	/* A regular file or a directory: O_NONBLOCK means nothing to either, and stays. */
	return check_type(fd, types, NULL);
}

int beneath_open(int dirfd, const char *relpath, int flags, mode_t mode, unsigned int types)
{
	bool nodev = types & BENEATH_NODEV;
	struct stat st;
	int fd, r;

	types &= ~(unsigned int)BENEATH_NODEV;
	if (!relpath || !types)
		return -EINVAL;
	/* A directory: O_DIRECTORY makes the kernel refuse anything else before it opens it. */
	if (types == BENEATH_DIR || (flags & O_DIRECTORY))
		return resolve(dirfd, relpath, flags | O_DIRECTORY, 0);
	/*
	 * Creating: the directories this is used in belong to the caller (the
	 * state directory, checked), so only a FIFO left there could make the
	 * open wait; O_NONBLOCK makes it return, and the type check refuses it.
	 */
	if (flags & O_CREAT) {
		fd = resolve(dirfd, relpath, flags | O_NONBLOCK, mode);
		if (fd < 0)
			return fd;
		/* A regular file: O_NONBLOCK means nothing to it and stays. */
		return check_type(fd, types & BENEATH_REG, NULL);
	}
	if (nodev && !(flags & O_PATH) && !(types & BENEATH_CHR)) {
		fd = open_on_nodev(dirfd, relpath, flags, types);
		if (fd != -ENOSYS)
			return fd;
	}
	fd = resolve(dirfd, relpath, O_PATH, 0);
	if (fd < 0)
		return fd;
	fd = check_type(fd, types, &st);
	if (fd < 0 || (flags & O_PATH))
		return fd;
	r = reopen(fd, &st, dirfd, relpath, flags, types);
	close(fd);
	return r;
}

int beneath_stat(int dirfd, const char *relpath, struct stat *ret)
{
	int fd, r = 0;

	/* One name below @dirfd: no directory on the way to be a link; the name itself is not followed. */
	if (dirfd != AT_FDCWD && relpath && *relpath && !strchr(relpath, '/') &&
	    path_stays_below(relpath) && strcmp(relpath, ".") != 0) {
		if (fstatat(dirfd, relpath, ret, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		return S_ISLNK(ret->st_mode) ? -ELOOP : 0;
	}
	fd = resolve(dirfd, relpath, O_PATH, 0);

	if (fd < 0)
		return fd;
	if (fstat(fd, ret) < 0)
		r = -errno;
	else if (S_ISLNK(ret->st_mode))
		r = -ELOOP;
	close(fd);
	return r;
}

bool beneath_dir_trusted(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && (st->st_uid == 0 || st->st_uid == geteuid()) &&
	       !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int beneath_open_entry(int dirfd, const char *name, unsigned char d_type, bool dir_trusted,
		       int flags, unsigned int types)
{
	int fd;

	if (!beneath_name_valid(name) || (flags & (O_CREAT | O_PATH | O_DIRECTORY)) ||
	    (flags & O_ACCMODE) != O_RDONLY)
		return -EINVAL;
	if (d_type == DT_LNK)
		return -ELOOP;
	if (d_type != DT_UNKNOWN && d_type != DT_REG)
		return -EMEDIUMTYPE;
	if (d_type == DT_UNKNOWN || !dir_trusted || dirfd == AT_FDCWD ||
	    !((types & ~(unsigned int)BENEATH_NODEV) & BENEATH_REG))
		return beneath_open(dirfd, name, flags, 0, types);
	/*
	 * One component below a directory opened under the rules: no ".." and
	 * no '/' (checked above), so nothing to resolve but the entry itself,
	 * which O_NOFOLLOW refuses if it is a link. Nobody but root or this
	 * user may have replaced the listed regular file since.
	 */
	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
