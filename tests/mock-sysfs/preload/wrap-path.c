/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path calls that look but do not open or change anything: the stat family
 * (glibc 2.33+ exports stat, fstatat and their 64-bit names itself; older
 * binaries call __xstat and friends), statx, access, readlink, realpath,
 * xattrs, chdir, and uname (a fixture may name its kernel release for
 * libkmod). What creates, removes or changes a path is in wrap-create.c.
 */
#include "preload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <unistd.h>

VFR_EXPORT int stat(const char *path, struct stat *st)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(stat)(path, st),
		  fstatat(q.dirfd, q.path, st, 0));
}

VFR_EXPORT int stat64(const char *path, struct stat64 *st)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(stat64)(path, st),
		  fstatat64(q.dirfd, q.path, st, 0));
}

VFR_EXPORT int lstat(const char *path, struct stat *st)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(lstat)(path, st),
		  fstatat(q.dirfd, q.path, st, AT_SYMLINK_NOFOLLOW));
}

VFR_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(lstat64)(path, st),
		  fstatat64(q.dirfd, q.path, st, AT_SYMLINK_NOFOLLOW));
}

/*
 * A simulated VFIO device file is a descriptor of ROOT/.vfr-mock/vfio/held-ADDR
 * (vfio-state.c); the kernel's is an anonymous inode, which a holders scan
 * tells by /proc/PID/fd/N: its link text "anon_inode:[vfio-device]" and a
 * mode without a file type. Through those two, a scan in this process sees
 * what it sees on a host before Linux 6.18: a device file that does not say
 * which function it is (fdinfo names none). Only this host's: another
 * fixture's held-ADDR is another host's business.
 */
static bool is_device_file(const char *target)
{
	char prefix[PATH_MAX + 32];
	struct vfr_root r;

	if (vfr_busy || !root_get(&r))
		return false;
	snprintf(prefix, sizeof(prefix), "%s/.vfr-mock/vfio/held-", r.path);
	return strncmp(target, prefix, strlen(prefix)) == 0;
}

/* Whether @path below @dirfd is a descriptor link, /proc/PID/fd/N, of a device file. */
static bool device_file_link(int dirfd, const char *path)
{
	char full[PATH_MAX], base[PATH_MAX], self[64], target[PATH_MAX];
	ssize_t n;

	if (path[0] == '/') {
		snprintf(full, sizeof(full), "%s", path);
	} else {
		if (dirfd == AT_FDCWD)
			return false;
		snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
		vfr_busy++;
		n = REAL(readlink)(self, base, sizeof(base) - 1);
		vfr_busy--;
		if (n <= 0)
			return false;
		base[n] = '\0';
		snprintf(full, sizeof(full), "%s/%s", base, path);
	}
	if (strncmp(full, "/proc/", 6) != 0 || !strstr(full, "/fd/"))
		return false;
	vfr_busy++;
	n = REAL(readlink)(full, target, sizeof(target) - 1);
	vfr_busy--;
	if (n <= 0)
		return false;
	target[n] = '\0';
	return is_device_file(target);
}

static ssize_t as_kernel_names_it(ssize_t n, char *buf, size_t size)
{
	static const char anon[] = "anon_inode:[vfio-device]";
	char target[PATH_MAX];

	if (n <= 0 || (size_t)n >= sizeof(target))
		return n;
	memcpy(target, buf, (size_t)n);
	target[n] = '\0';
	if (!is_device_file(target))
		return n;
	n = (ssize_t)(sizeof(anon) - 1 < size ? sizeof(anon) - 1 : size);
	memcpy(buf, anon, (size_t)n);
	return n;
}

static int fstatat_common(int dirfd, const char *path, struct stat *st, int flags)
{
	/* fstatat(fd, "", AT_EMPTY_PATH) is fstat(fd): no path to redirect. */
	if (!*path)
		return REAL(fstatat)(dirfd, path, st, flags);
	PATH_CALL(dirfd, path, OP_STAT, -1, REAL(fstatat)(dirfd, path, st, flags),
		  REAL(fstatat)(q.dirfd, q.path, st, flags));
}

static int fstatat64_common(int dirfd, const char *path, struct stat64 *st, int flags)
{
	if (!*path)
		return REAL(fstatat64)(dirfd, path, st, flags);
	PATH_CALL(dirfd, path, OP_STAT, -1, REAL(fstatat64)(dirfd, path, st, flags),
		  REAL(fstatat64)(q.dirfd, q.path, st, flags));
}

/* A device file followed through /proc/PID/fd is an anonymous inode: no file type. */
VFR_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	int r = fstatat_common(dirfd, path, st, flags);

	if (r == 0 && !(flags & AT_SYMLINK_NOFOLLOW) && S_ISREG(st->st_mode) &&
	    device_file_link(dirfd, path))
		st->st_mode &= ~(mode_t)S_IFMT;
	return r;
}

VFR_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	int r = fstatat64_common(dirfd, path, st, flags);

	if (r == 0 && !(flags & AT_SYMLINK_NOFOLLOW) && S_ISREG(st->st_mode) &&
	    device_file_link(dirfd, path))
		st->st_mode &= ~(mode_t)S_IFMT;
	return r;
}

/* The pre-2.33 names; _STAT_VER is 1 on x86_64 and struct stat is the kernel's. */
VFR_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return stat(path, st);
}

VFR_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	(void)ver;
	return stat64(path, st);
}

VFR_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return lstat(path, st);
}

VFR_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	(void)ver;
	return lstat64(path, st);
}

VFR_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	(void)ver;
	return fstatat(dirfd, path, st, flags);
}

VFR_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	(void)ver;
	return fstatat64(dirfd, path, st, flags);
}

VFR_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
		     struct statx *stx)
{
	if (!*path)
		return REAL(statx)(dirfd, path, flags, mask, stx);
	PATH_CALL(dirfd, path, OP_STAT, -1, REAL(statx)(dirfd, path, flags, mask, stx),
		  REAL(statx)(q.dirfd, q.path, flags, mask, stx));
}

VFR_EXPORT int access(const char *path, int mode)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(access)(path, mode),
		  faccessat(q.dirfd, q.path, mode, 0));
}

VFR_EXPORT int eaccess(const char *path, int mode)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(eaccess)(path, mode),
		  faccessat(q.dirfd, q.path, mode, AT_EACCESS));
}

VFR_EXPORT int euidaccess(const char *path, int mode)
{
	return eaccess(path, mode);
}

VFR_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	PATH_CALL(dirfd, path, OP_STAT, -1, REAL(faccessat)(dirfd, path, mode, flags),
		  REAL(faccessat)(q.dirfd, q.path, mode, flags));
}

VFR_EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(getxattr)(path, name, value, size),
		  REAL(getxattr)(q.path,
				 name, value, size));
}

VFR_EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(lgetxattr)(path, name, value, size),
		  REAL(lgetxattr)(q.path,
				  name, value, size));
}

VFR_EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(listxattr)(path, list, size),
		  REAL(listxattr)(q.path,
				  list, size));
}

VFR_EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(llistxattr)(path, list, size),
		  REAL(llistxattr)(q.path,
				   list, size));
}

static ssize_t readlink_common(const char *path, char *buf, size_t size)
{
	PATH_CALL(AT_FDCWD, path, OP_READLINK, -1, REAL(readlink)(path, buf, size),
		  readlinkat(q.dirfd, q.path, buf, size));
}

static ssize_t readlinkat_common(int dirfd, const char *path, char *buf, size_t size)
{
	PATH_CALL(dirfd, path, OP_READLINK, -1, REAL(readlinkat)(dirfd, path, buf, size),
		  REAL(readlinkat)(q.dirfd, q.path, buf, size));
}

VFR_EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	return as_kernel_names_it(readlink_common(path, buf, size), buf, size);
}

VFR_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	return as_kernel_names_it(readlinkat_common(dirfd, path, buf, size), buf, size);
}

VFR_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		abort();
	return readlink(path, buf, size);
}

VFR_EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size,
				    size_t buflen)
{
	if (size > buflen)
		abort();
	return readlinkat(dirfd, path, buf, size);
}

/* The fixture's canonical path with the root taken off: "/sys/devices/...". */
static char *realpath_trapped(struct req *q, char *resolved)
{
	char canon[PATH_MAX];
	const char *shown = canon;
	size_t len;
	int e;

	if ((e = pre_op(q, OP_READLINK))) {
		errno = e;
		return NULL;
	}
	vfr_busy++;
	if (!REAL(realpath)(q->path, canon)) {
		e = errno;
		vfr_busy--;
		errno = e;
		return NULL;
	}
	vfr_busy--;
	if (strncmp(canon, q->r.path, q->r.len) == 0 &&
	    (canon[q->r.len] == '/' || canon[q->r.len] == '\0'))
		shown = canon[q->r.len] ? canon + q->r.len : "/";
	len = strlen(shown);
	if (!resolved && !(resolved = malloc(len + 1)))
		return NULL;
	memcpy(resolved, shown, len + 1);
	return resolved;
}

VFR_EXPORT char *realpath(const char *path, char *resolved)
{
	struct req q;
	int c = classify(AT_FDCWD, path, &q);

	if (c == 0)
		return REAL(realpath)(path, resolved);
	if (c < 0)
		return NULL;
	/* Relative to a trapped working directory: make it absolute first. */
	if (q.path[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)) || !path_join(cwd, path, q.real)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		q.path = q.real;
	}
	return realpath_trapped(&q, resolved);
}

VFR_EXPORT char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	if (resolvedlen < PATH_MAX)
		abort();
	return realpath(path, resolved);
}

VFR_EXPORT char *canonicalize_file_name(const char *path)
{
	return realpath(path, NULL);
}

VFR_EXPORT int chdir(const char *path)
{
	struct req q;
	int c = classify(AT_FDCWD, path, &q), r, e;

	if (c == 0) {
		r = REAL(chdir)(path);
		if (r == 0 && !vfr_busy)
			vfr_cwd_trapped = 0;
		return r;
	}
	if (c < 0)
		return -1;
	if ((e = pre_op(&q, OP_STAT))) {
		errno = e;
		return -1;
	}
	r = REAL(chdir)(q.path);
	if (r == 0)
		vfr_cwd_trapped = 1;
	return r;
}

VFR_EXPORT int fchdir(int fd)
{
	int r = REAL(fchdir)(fd);

	if (r == 0 && !vfr_busy)
		vfr_cwd_trapped = fdt_has(fd);
	return r;
}

/* ROOT/.vfr-mock/release, when a fixture has one, is the running kernel's release. */
VFR_EXPORT int uname(struct utsname *buf)
{
	struct vfr_root r;
	char path[PATH_MAX], release[sizeof(buf->release)];
	int ret = REAL(uname)(buf), e = errno;
	FILE *f;

	if (ret < 0 || vfr_busy || !root_get(&r))
		return ret;
	if (snprintf(path, sizeof(path), "%s/.vfr-mock/release", r.path) >= (int)sizeof(path))
		return ret;
	vfr_busy++;
	f = REAL(fopen)(path, "re");
	if (f) {
		if (fgets(release, sizeof(release), f)) {
			release[strcspn(release, "\n")] = '\0';
			if (release[0])
				snprintf(buf->release, sizeof(buf->release), "%s", release);
		}
		fclose(f);
	}
	vfr_busy--;
	errno = e;
	return ret;
}
