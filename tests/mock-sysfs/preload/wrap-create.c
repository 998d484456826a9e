/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path calls that create, remove, rename or change a file: mkdir, mkdirat,
 * unlink, unlinkat, rmdir, remove, rename, renameat, renameat2, link,
 * linkat, symlink, symlinkat, mknod, mknodat (and the pre-2.33 __xmknod,
 * __xmknodat), mkfifo, mkfifoat, mkstemp and its variants, mkdtemp, chmod,
 * fchmodat, chown, lchown, fchownat, truncate, utime, utimes, lutimes,
 * utimensat, setxattr, lsetxattr, removexattr, lremovexattr, and
 * inotify_add_watch. Below the allow-list each of them acts in the fixture:
 * a program under test never changes the host's /sys or /run/vfioreset.
 * A call that names one path in the fixture and one outside it fails with
 * EXDEV, as a rename between two file systems does.
 */
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

/* glibc exports these without declaring them (the pre-2.33 ABI). */
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev);

bool make_prefix_parent(const struct req *q)
{
	const char *prefix = q->named[0] ? path_prefix(q->named) : NULL;
	const char *slash = prefix ? strrchr(prefix, '/') : NULL;
	char dir[PATH_MAX];
	bool made = false;
	int saved = errno;

	/* "/sys" sits in the root itself; "/run/vfioreset" needs ROOT/run. */
	if (!slash || slash == prefix ||
	    snprintf(dir, sizeof(dir), "%s%.*s", q->r.path, (int)(slash - prefix), prefix) >=
		    (int)sizeof(dir))
		return false;
	vfr_busy++;
	for (char *p = dir + q->r.len + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		made |= mkdir(dir, 0755) == 0;
		*p = '/';
	}
	made |= mkdir(dir, 0755) == 0;
	vfr_busy--;
	errno = saved;
	return made;
}

/*
 * PATH_CALL for a call that creates @q's path: when it fails with ENOENT
 * because the fixture lacks the directory above an allow-listed prefix
 * (the host has /run; a tree may have no ROOT/run), that directory is made
 * and the call tried once more.
 */
#define CREATE_CALL(dirfd, path, pass, ours)                                 \
	do {                                                                 \
		struct req q;                                                \
		int c_ = classify((dirfd), (path), &q), e_;                  \
		int r_;                                                      \
                                                                             \
		if (c_ == 0)                                                 \
			return (pass);                                       \
		if (c_ < 0)                                                  \
			return -1;                                           \
		if ((e_ = pre_op(&q, OP_STAT))) {                            \
			errno = e_;                                          \
			return -1;                                           \
		}                                                            \
		vfr_busy++;                                                  \
		r_ = (ours);                                                 \
		if (r_ < 0 && errno == ENOENT && make_prefix_parent(&q))     \
			r_ = (ours);                                         \
		e_ = errno;                                                  \
		vfr_busy--;                                                  \
		errno = e_;                                                  \
		return r_;                                                   \
	} while (0)

/*
 * Two paths: 0 when neither is in the fixture (pass the call through), 1
 * when both are (@a and @b filled, faults applied), -1 with errno set:
 * EXDEV when only one is, or a fault's errno.
 */
static int classify_pair(int dir1, const char *p1, struct req *a, int dir2, const char *p2,
			 struct req *b)
{
	int c1 = classify(dir1, p1, a), c2, e;

	if (c1 < 0)
		return -1;
	c2 = classify(dir2, p2, b);
	if (c2 < 0)
		return -1;
	if (c1 == 0 && c2 == 0)
		return 0;
	if (c1 == 0 || c2 == 0) {
		errno = EXDEV;
		return -1;
	}
	if ((e = pre_op(a, OP_STAT)) || (e = pre_op(b, OP_STAT))) {
		errno = e;
		return -1;
	}
	return 1;
}

/* The body of a two-path wrapper; @ours uses a and b, and may create b's path. */
#define PAIR_CALL(dir1, p1, dir2, p2, pass, ours)                            \
	do {                                                                 \
		struct req a, b;                                             \
		int c_ = classify_pair((dir1), (p1), &a, (dir2), (p2), &b);  \
		int r_, e_;                                                  \
                                                                             \
		if (c_ == 0)                                                 \
			return (pass);                                       \
		if (c_ < 0)                                                  \
			return -1;                                           \
		vfr_busy++;                                                  \
		r_ = (ours);                                                 \
		if (r_ < 0 && errno == ENOENT && make_prefix_parent(&b))     \
			r_ = (ours);                                         \
		e_ = errno;                                                  \
		vfr_busy--;                                                  \
		errno = e_;                                                  \
		return r_;                                                   \
	} while (0)

/*
 * The redirected path as one absolute name, for the calls that take no
 * directory descriptor (truncate, utimes, xattrs): relative to a recorded
 * directory it is that directory's node below the root.
 */
static const char *absolute(struct req *q, char *buf)
{
	char node[PATH_MAX];

	if (q->path[0] == '/' || q->dirfd == AT_FDCWD)
		return q->path;
	if (!fdt_node(q->dirfd, node) ||
	    snprintf(buf, PATH_MAX, "%s%s/%s", q->r.path, node, q->path) >= PATH_MAX)
		return q->path;
	return buf;
}

/* ---- directories and names ---- */

VFR_EXPORT int mkdir(const char *path, mode_t mode)
{
	CREATE_CALL(AT_FDCWD, path, REAL(mkdir)(path, mode),
		    REAL(mkdirat)(q.dirfd, q.path, mode));
}

VFR_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	CREATE_CALL(dirfd, path, REAL(mkdirat)(dirfd, path, mode),
		    REAL(mkdirat)(q.dirfd, q.path, mode));
}

VFR_EXPORT int unlink(const char *path)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(unlink)(path),
		  REAL(unlinkat)(q.dirfd, q.path, 0));
}

VFR_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	PATH_CALL(dirfd, path, OP_STAT, -1, REAL(unlinkat)(dirfd, path, flags),
		  REAL(unlinkat)(q.dirfd, q.path, flags));
}

VFR_EXPORT int rmdir(const char *path)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(rmdir)(path),
		  REAL(unlinkat)(q.dirfd, q.path, AT_REMOVEDIR));
}

/* remove(3): glibc's own unlink and rmdir calls are internal, so it is wrapped whole. */
static int remove_at(int dirfd, const char *path)
{
	int r = REAL(unlinkat)(dirfd, path, 0);

	if (r < 0 && errno == EISDIR)
		r = REAL(unlinkat)(dirfd, path, AT_REMOVEDIR);
	return r;
}

VFR_EXPORT int remove(const char *path)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(remove)(path), remove_at(q.dirfd, q.path));
}

VFR_EXPORT int rename(const char *from, const char *to)
{
	PAIR_CALL(AT_FDCWD, from, AT_FDCWD, to, REAL(rename)(from, to),
		  REAL(renameat)(a.dirfd, a.path, b.dirfd, b.path));
}

VFR_EXPORT int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	PAIR_CALL(fromfd, from, tofd, to, REAL(renameat)(fromfd, from, tofd, to),
		  REAL(renameat)(a.dirfd, a.path, b.dirfd, b.path));
}

VFR_EXPORT int renameat2(int fromfd, const char *from, int tofd, const char *to,
			 unsigned int flags)
{
	PAIR_CALL(fromfd, from, tofd, to, REAL(renameat2)(fromfd, from, tofd, to, flags),
		  REAL(renameat2)(a.dirfd, a.path, b.dirfd, b.path, flags));
}

VFR_EXPORT int link(const char *from, const char *to)
{
	PAIR_CALL(AT_FDCWD, from, AT_FDCWD, to, REAL(link)(from, to),
		  REAL(linkat)(a.dirfd, a.path, b.dirfd, b.path, 0));
}

VFR_EXPORT int linkat(int fromfd, const char *from, int tofd, const char *to, int flags)
{
	PAIR_CALL(fromfd, from, tofd, to, REAL(linkat)(fromfd, from, tofd, to, flags),
		  REAL(linkat)(a.dirfd, a.path, b.dirfd, b.path, flags));
}

/* The target is the link's content, not a path to redirect: it is kept as written. */
VFR_EXPORT int symlink(const char *target, const char *path)
{
	CREATE_CALL(AT_FDCWD, path, REAL(symlink)(target, path),
		    REAL(symlinkat)(target, q.dirfd, q.path));
}

VFR_EXPORT int symlinkat(const char *target, int dirfd, const char *path)
{
	CREATE_CALL(dirfd, path, REAL(symlinkat)(target, dirfd, path),
		    REAL(symlinkat)(target, q.dirfd, q.path));
}

VFR_EXPORT int mknod(const char *path, mode_t mode, dev_t dev)
{
	CREATE_CALL(AT_FDCWD, path, REAL(mknod)(path, mode, dev),
		    REAL(mknodat)(q.dirfd, q.path, mode, dev));
}

VFR_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	CREATE_CALL(dirfd, path, REAL(mknodat)(dirfd, path, mode, dev),
		    REAL(mknodat)(q.dirfd, q.path, mode, dev));
}

/* The pre-2.33 names; _MKNOD_VER is 0 on x86_64. */
VFR_EXPORT int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev)
{
	(void)ver;
	return mknod(path, mode, *dev);
}

VFR_EXPORT int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev)
{
	(void)ver;
	return mknodat(dirfd, path, mode, *dev);
}

VFR_EXPORT int mkfifo(const char *path, mode_t mode)
{
	CREATE_CALL(AT_FDCWD, path, REAL(mkfifo)(path, mode),
		    REAL(mkfifoat)(q.dirfd, q.path, mode));
}

VFR_EXPORT int mkfifoat(int dirfd, const char *path, mode_t mode)
{
	CREATE_CALL(dirfd, path, REAL(mkfifoat)(dirfd, path, mode),
		    REAL(mkfifoat)(q.dirfd, q.path, mode));
}

/* ---- temporary names ---- */

/*
 * mkstemp's and mkdtemp's own open and mkdir are internal to glibc, so a
 * template in the fixture gets its names here and is created through the
 * wrapped open() and mkdir(): the descriptor is recorded as any other.
 */
static int temp_create(char *tmpl, int suffixlen, int flags, bool dir)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static uint64_t counter;
	size_t len = strlen(tmpl);
	struct timespec ts;
	char *x;

	if (suffixlen < 0 || len < 6 + (size_t)suffixlen ||
	    memcmp(tmpl + len - 6 - suffixlen, "XXXXXX", 6) != 0) {
		errno = EINVAL;
		return -1;
	}
	x = tmpl + len - 6 - suffixlen;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int attempt = 0; attempt < 238328; attempt++) {
		/* splitmix64 of a per-process sequence: names differ across processes too. */
		uint64_t v = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^
			     (__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) *
			      0x9e3779b97f4a7c15u);
		int fd;

		v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9u;
		v = (v ^ (v >> 27)) * 0x94d049bb133111ebu;
		v ^= v >> 31;
		for (int i = 0; i < 6; i++, v /= 62)
			x[i] = chars[v % 62];
		fd = dir ? mkdir(tmpl, 0700)
			 : open(tmpl, (flags & ~O_ACCMODE) | O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

#define TEMP_CALL(tmpl, pass, suffixlen, flags)                              \
	do {                                                                 \
		struct req q;                                                \
		int c_ = classify(AT_FDCWD, (tmpl), &q);                     \
                                                                             \
		if (c_ == 0)                                                 \
			return (pass);                                       \
		if (c_ < 0)                                                  \
			return -1;                                           \
		return temp_create((tmpl), (suffixlen), (flags), false);    \
	} while (0)

VFR_EXPORT int mkstemp(char *tmpl)
{
	TEMP_CALL(tmpl, REAL(mkstemp)(tmpl), 0, 0);
}

VFR_EXPORT int mkstemp64(char *tmpl)
{
	TEMP_CALL(tmpl, REAL(mkstemp64)(tmpl), 0, O_LARGEFILE);
}

VFR_EXPORT int mkostemp(char *tmpl, int flags)
{
	TEMP_CALL(tmpl, REAL(mkostemp)(tmpl, flags), 0, flags);
}

VFR_EXPORT int mkostemp64(char *tmpl, int flags)
{
	TEMP_CALL(tmpl, REAL(mkostemp64)(tmpl, flags), 0, flags | O_LARGEFILE);
}

VFR_EXPORT int mkstemps(char *tmpl, int suffixlen)
{
	TEMP_CALL(tmpl, REAL(mkstemps)(tmpl, suffixlen), suffixlen, 0);
}

VFR_EXPORT int mkstemps64(char *tmpl, int suffixlen)
{
	TEMP_CALL(tmpl, REAL(mkstemps64)(tmpl, suffixlen), suffixlen, O_LARGEFILE);
}

VFR_EXPORT int mkostemps(char *tmpl, int suffixlen, int flags)
{
	TEMP_CALL(tmpl, REAL(mkostemps)(tmpl, suffixlen, flags), suffixlen, flags);
}

VFR_EXPORT int mkostemps64(char *tmpl, int suffixlen, int flags)
{
	TEMP_CALL(tmpl, REAL(mkostemps64)(tmpl, suffixlen, flags), suffixlen,
		  flags | O_LARGEFILE);
}

VFR_EXPORT char *mkdtemp(char *tmpl)
{
	struct req q;
	int c = classify(AT_FDCWD, tmpl, &q);

	if (c == 0)
		return REAL(mkdtemp)(tmpl);
	if (c < 0)
		return NULL;
	return temp_create(tmpl, 0, 0, true) < 0 ? NULL : tmpl;
}

/* ---- modes, owners, sizes, times, attributes ---- */

VFR_EXPORT int chmod(const char *path, mode_t mode)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(chmod)(path, mode),
		  REAL(fchmodat)(q.dirfd, q.path, mode, 0));
}

VFR_EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	PATH_CALL(dirfd, path, OP_STAT, -1, REAL(fchmodat)(dirfd, path, mode, flags),
		  REAL(fchmodat)(q.dirfd, q.path, mode, flags));
}

VFR_EXPORT int chown(const char *path, uid_t uid, gid_t gid)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(chown)(path, uid, gid),
		  REAL(fchownat)(q.dirfd, q.path, uid, gid, 0));
}

VFR_EXPORT int lchown(const char *path, uid_t uid, gid_t gid)
{
	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(lchown)(path, uid, gid),
		  REAL(fchownat)(q.dirfd, q.path, uid, gid, AT_SYMLINK_NOFOLLOW));
}

VFR_EXPORT int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	/* fchownat(fd, "", AT_EMPTY_PATH) is fchown(fd): no path to redirect. */
	if (!*path)
		return REAL(fchownat)(dirfd, path, uid, gid, flags);
	PATH_CALL(dirfd, path, OP_STAT, -1, REAL(fchownat)(dirfd, path, uid, gid, flags),
		  REAL(fchownat)(q.dirfd, q.path, uid, gid, flags));
}

VFR_EXPORT int truncate(const char *path, off_t length)
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(truncate)(path, length),
		  REAL(truncate)(absolute(&q, buf), length));
}

VFR_EXPORT int truncate64(const char *path, off64_t length)
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(truncate64)(path, length),
		  REAL(truncate64)(absolute(&q, buf), length));
}

VFR_EXPORT int utime(const char *path, const struct utimbuf *times)
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(utime)(path, times),
		  REAL(utime)(absolute(&q, buf), times));
}

VFR_EXPORT int utimes(const char *path, const struct timeval times[2])
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(utimes)(path, times),
		  REAL(utimes)(absolute(&q, buf), times));
}

VFR_EXPORT int lutimes(const char *path, const struct timeval times[2])
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(lutimes)(path, times),
		  REAL(lutimes)(absolute(&q, buf), times));
}

VFR_EXPORT int utimensat(int dirfd, const char *path, const struct timespec times[2],
			 int flags)
{
	const char *p = path;

	/* A NULL path is futimens(dirfd); glibc declares it nonnull, the kernel does not. */
	__asm__("" : "+r"(p));
	if (!p || !*p)
		return REAL(utimensat)(dirfd, path, times, flags);
	PATH_CALL(dirfd, path, OP_STAT, -1, REAL(utimensat)(dirfd, path, times, flags),
		  REAL(utimensat)(q.dirfd, q.path, times, flags));
}

VFR_EXPORT int setxattr(const char *path, const char *name, const void *value, size_t size,
			int flags)
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(setxattr)(path, name, value, size, flags),
		  REAL(setxattr)(absolute(&q, buf), name, value, size, flags));
}

VFR_EXPORT int lsetxattr(const char *path, const char *name, const void *value, size_t size,
			 int flags)
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(lsetxattr)(path, name, value, size, flags),
		  REAL(lsetxattr)(absolute(&q, buf), name, value, size, flags));
}

VFR_EXPORT int removexattr(const char *path, const char *name)
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(removexattr)(path, name),
		  REAL(removexattr)(absolute(&q, buf), name));
}

VFR_EXPORT int lremovexattr(const char *path, const char *name)
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(lremovexattr)(path, name),
		  REAL(lremovexattr)(absolute(&q, buf), name));
}

/* A watch on an attribute sees the fixture's file, which the simulated kernel writes. */
VFR_EXPORT int inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	char buf[PATH_MAX];

	PATH_CALL(AT_FDCWD, path, OP_STAT, -1, REAL(inotify_add_watch)(fd, path, mask),
		  REAL(inotify_add_watch)(fd, absolute(&q, buf), mask));
}
