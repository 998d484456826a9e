/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Everything that opens a path: open and its fortified and 64-bit names,
 * openat (absolute paths, or relative to a recorded directory), openat2
 * through syscall(), creat, fopen, freopen, opendir and scandir. A
 * descriptor that lands in the fixture is recorded with its node; sysfs's
 * own rules apply to files below /sys (O_TRUNC is ignored, a file without
 * write permission cannot be opened for writing even by root).
 */
#include "preload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int vfr_cwd_trapped;

/*
 * "/proc/self/fd/N" of a descriptor opened in the fixture: opening it opens
 * that file again, as the kernel does (a program checks what an O_PATH
 * descriptor is before it opens it for real that way).
 */
static bool reopen_of(const char *path, struct req *q)
{
	static const char prefix[] = "/proc/self/fd/";
	struct fd_info fi;
	char *end;
	long fd;

	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return false;
	errno = 0;
	fd = strtol(path + sizeof(prefix) - 1, &end, 10);
	if (errno || *end || end == path + sizeof(prefix) - 1 || fd < 0 || fd > INT32_MAX ||
	    !fdt_get((int)fd, &fi))
		return false;
	snprintf(q->named, sizeof(q->named), "%s", fi.named[0] ? fi.named : fi.node);
	snprintf(q->real, sizeof(q->real), "%s", path);
	q->path = q->real;
	q->dirfd = AT_FDCWD;
	q->reopen = true;
	return true;
}

int classify(int dirfd, const char *path, struct req *q)
{
	char joined[PATH_MAX];
	int t;

	if (vfr_busy || !path || !root_get(&q->r))
		return 0;
	q->recorded_dirfd = -1;
	q->reopen = false;
	if (reopen_of(path, q))
		return 1;
	if (path[0] == '/') {
		t = trap_path(&q->r, path, q->real, q->named);
		if (t <= 0)
			return t;
		if (root_refuse(&q->r))
			return -1;
		q->path = q->real;
		q->dirfd = AT_FDCWD;
		return 1;
	}
	q->path = path;
	q->dirfd = dirfd;
	q->named[0] = '\0';
	if (dirfd == AT_FDCWD)
		return !vfr_cwd_trapped ? 0 : root_refuse(&q->r) ? -1 : 1;
	if (!fdt_node(dirfd, q->real))
		return 0;
	if (root_refuse(&q->r))
		return -1;
	if (!path_join(q->real, path, joined) || !path_normalize(joined, q->named))
		q->named[0] = '\0';
	q->recorded_dirfd = dirfd;
	return 1;
}

/* A recorded directory whose device was removed: its node is no longer where it was. */
static bool dir_gone(const struct req *q)
{
	char node[PATH_MAX], now[PATH_MAX];

	if (!fdt_node(q->recorded_dirfd, node) || !has_prefix(node, "/sys"))
		return false;
	return !node_of_fd(&q->r, q->recorded_dirfd, now) || strcmp(now, node) != 0;
}

int pre_op(struct req *q, int op)
{
	char canon[PATH_MAX];
	long short_max;
	int err = 0;

	vfr_busy++;
	/* A reopen is no new path operation: the O_PATH open before it was one. */
	if (!q->reopen)
		faults_access(&q->r, q->named, NULL);
	if (q->recorded_dirfd >= 0 && vfr_removals && dir_gone(q)) {
		err = ENOENT; /* kernfs: the directory is gone, so is everything in it */
	} else if (op != OP_OPEN && faults_any(&q->r, op)) {
		bool have = q->named[0] && node_canonical(&q->r, q->named, canon);

		err = faults_apply(&q->r, op, q->named, have ? canon : NULL, &short_max);
	}
	vfr_busy--;
	return err;
}

static bool in_kernel_tree(const char *node)
{
	return has_prefix(node, "/sys") || has_prefix(node, "/dev");
}

/* After the real open: record the descriptor, or refuse it as the kernel would. */
static int finish_open(struct req *q, int fd, int flags)
{
	char node[PATH_MAX];
	struct stat st;
	long short_max;
	int err = 0, saved = errno;

	if (fd < 0)
		return fd;
	vfr_busy++;
	if (!node_of_fd(&q->r, fd, node) || fstat(fd, &st) < 0) {
		fdt_clear(fd); /* an escaping link: the host's file, not ours */
		goto out;
	}
	if (in_kernel_tree(q->named) && !in_kernel_tree(node)) {
		err = ENOENT; /* opened below a directory that vanished meanwhile */
	} else if (has_prefix(node, "/sys") && S_ISREG(st.st_mode) && !(flags & O_PATH)) {
		int acc = flags & O_ACCMODE;

		/* kernfs refuses these before any permission check, root or not. */
		if ((acc != O_RDONLY && !(st.st_mode & 0222)) ||
		    (acc != O_WRONLY && !(st.st_mode & 0444)))
			err = EACCES;
	}
	/*
	 * O_PATH opens nothing, it looks the path up: stat rules applied to it
	 * before (path_op()), open rules apply only to a directory so opened
	 * (as they always did) and to a file once it is opened for real; a
	 * VFIO node is not opened by it either.
	 */
	if (!err && (!(flags & O_PATH) || S_ISDIR(st.st_mode)))
		err = faults_apply(&q->r, OP_OPEN, q->named, node, &short_max);
	if (!err) {
		fdt_set(fd, node, q->named, &st, flags);
		if (!(flags & O_PATH) &&
		    (has_prefix(node, "/dev/vfio") || has_prefix(node, "/dev/iommu"))) {
			int v = vfio_open(&q->r, fd, node, flags);

			if (v < 0) {
				fdt_clear(fd);
				err = -v;
			}
		}
	}
	if (err) {
		close(fd);
		fd = -1;
	}
out:
	vfr_busy--;
	errno = err ? err : saved;
	return fd;
}

static int sysfs_flags(const struct req *q, int flags)
{
	/* Sysfs attributes are not truncated: `echo x > attr` stores x. */
	return has_prefix(q->named, "/sys") ? flags & ~O_TRUNC : flags;
}

/* Opens a classified path: what open(), opendir() and fopen() share. */
/* An O_PATH open is a lookup, as stat() is: the stat rules apply before it. */
static int path_op(int flags)
{
	return (flags & O_PATH) ? OP_STAT : OP_OPEN;
}

static int open_req(struct req *q, int flags, mode_t mode)
{
	int err = pre_op(q, path_op(flags)), fd;

	if (err) {
		errno = err;
		return -1;
	}
	vfr_busy++;
	fd = openat(q->dirfd, q->path, sysfs_flags(q, flags), mode);
	if (fd < 0 && errno == ENOENT && (flags & O_CREAT) && make_prefix_parent(q))
		fd = openat(q->dirfd, q->path, sysfs_flags(q, flags), mode);
	vfr_busy--;
	return finish_open(q, fd, flags);
}

static int open_common(int dirfd, const char *path, int flags, mode_t mode)
{
	struct req q;
	int c = classify(dirfd, path, &q), fd;

	if (c == 0) {
		fd = REAL(openat)(dirfd, path, flags, mode);
		if (fd >= 0 && !vfr_busy)
			fdt_clear(fd);
		return fd;
	}
	if (c < 0)
		return -1;
	return open_req(&q, flags, mode);
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

VFR_EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags, mode);
}

VFR_EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

VFR_EXPORT int __open_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags, 0);
}

VFR_EXPORT int __open64_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

VFR_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return open_common(dirfd, path, flags, mode);
}

VFR_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return open_common(dirfd, path, flags | O_LARGEFILE, mode);
}

VFR_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags, 0);
}

VFR_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags | O_LARGEFILE, 0);
}

VFR_EXPORT int creat(const char *path, mode_t mode)
{
	return open_common(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

VFR_EXPORT int creat64(const char *path, mode_t mode)
{
	return open_common(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, mode);
}

/* openat2(2) has no libc wrapper in glibc 2.36: programs call syscall(). */
static long openat2_common(int dirfd, const char *path, struct open_how *how, size_t size)
{
	struct open_how h;
	struct req q;
	int c = classify(dirfd, path, &q), err;
	long fd;

	if (c == 0) {
		fd = REAL(syscall)(SYS_openat2, dirfd, path, how, size);
		if (fd >= 0 && !vfr_busy)
			fdt_clear((int)fd);
		return fd;
	}
	if (c < 0)
		return -1;
	if ((err = pre_op(&q, path_op(how ? (int)how->flags : 0)))) {
		errno = err;
		return -1;
	}
	vfr_busy++;
	if (how && size == sizeof(h)) {
		h = *how;
		h.flags = (uint64_t)sysfs_flags(&q, (int)h.flags);
		fd = REAL(syscall)(SYS_openat2, q.dirfd, q.path, &h, size);
	} else {
		fd = REAL(syscall)(SYS_openat2, q.dirfd, q.path, how, size);
	}
	vfr_busy--;
	return finish_open(&q, (int)fd, how ? (int)how->flags : 0);
}

VFR_EXPORT long syscall(long number, ...)
{
	va_list ap;
	long a[6], ret;

	/* Six arguments, always: the kernel ignores the ones a call does not have. */
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_openat2)
		return openat2_common((int)a[0], (const char *)a[1], (struct open_how *)a[2],
				      (size_t)a[3]);
	/* libkmod loads modules with syscall(__NR_finit_module): never the host's kernel. */
	if (module_syscall(number, a, &ret))
		return ret;
	return REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* fopen() mode letters to open() flags; false for a mode fopen() would refuse. */
static bool mode_flags(const char *mode, int *flags, bool *writes)
{
	switch (mode[0]) {
	case 'r':
		*flags = O_RDONLY;
		break;
	case 'w':
		*flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		*flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		return false;
	}
	for (const char *m = mode + 1; *m && *m != ','; m++) {
		if (*m == '+')
			*flags = (*flags & ~O_ACCMODE) | O_RDWR;
		else if (*m == 'e')
			*flags |= O_CLOEXEC;
		else if (*m == 'x')
			*flags |= O_EXCL;
	}
	*writes = (*flags & O_ACCMODE) != O_RDONLY;
	return true;
}

/*
 * A stream that writes through write(): stdio's own writes bypass the
 * wrappers, and a sysfs attribute must see each flush as one write().
 */
static ssize_t cookie_read(void *c, char *buf, size_t size)
{
	return read((int)(intptr_t)c, buf, size);
}

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
	ssize_t n = write((int)(intptr_t)c, buf, size);

	/* fopencookie(3): a write function reports an error as 0 written. */
	return n < 0 ? 0 : n;
}

static int cookie_seek(void *c, off64_t *pos, int whence)
{
	off_t r = lseek((int)(intptr_t)c, (off_t)*pos, whence);

	if (r < 0)
		return -1;
	*pos = r;
	return 0;
}

static int cookie_close(void *c)
{
	return close((int)(intptr_t)c);
}

static FILE *fopen_common(const char *path, const char *mode, bool large)
{
	static const cookie_io_functions_t io = {
		.read = cookie_read,
		.write = cookie_write,
		.seek = cookie_seek,
		.close = cookie_close,
	};
	struct req q;
	int c = classify(AT_FDCWD, path, &q), flags, fd;
	bool writes;
	FILE *fp;

	if (c == 0)
		return large ? REAL(fopen64)(path, mode) : REAL(fopen)(path, mode);
	if (c < 0)
		return NULL;
	if (!mode_flags(mode, &flags, &writes)) {
		errno = EINVAL;
		return NULL;
	}
	fd = open_req(&q, flags | O_CLOEXEC, 0666);
	if (fd < 0)
		return NULL;
	fp = writes ? fopencookie((void *)(intptr_t)fd, mode, io) : fdopen(fd, "r");
	if (!fp) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return fp;
}

VFR_EXPORT FILE *fopen(const char *path, const char *mode)
{
	return fopen_common(path, mode, false);
}

VFR_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return fopen_common(path, mode, true);
}

static FILE *freopen_common(const char *path, const char *mode, FILE *stream, bool large)
{
	struct req q;
	int c = classify(AT_FDCWD, path, &q), err;
	FILE *fp;

	if (c == 0)
		return large ? REAL(freopen64)(path, mode, stream)
			     : REAL(freopen)(path, mode, stream);
	if (c < 0)
		return NULL;
	if ((err = pre_op(&q, OP_OPEN))) {
		errno = err;
		return NULL;
	}
	vfr_busy++;
	fp = large ? REAL(freopen64)(q.path, mode, stream) : REAL(freopen)(q.path, mode, stream);
	vfr_busy--;
	return fp;
}

VFR_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	return freopen_common(path, mode, stream, false);
}

VFR_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	return freopen_common(path, mode, stream, true);
}

VFR_EXPORT DIR *opendir(const char *path)
{
	struct req q;
	int c = classify(AT_FDCWD, path, &q), fd;
	DIR *d;

	if (c == 0)
		return REAL(opendir)(path);
	if (c < 0)
		return NULL;
	fd = open_req(&q, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}

VFR_EXPORT int scandir(const char *path, struct dirent ***list,
		       int (*filter)(const struct dirent *),
		       int (*compar)(const struct dirent **, const struct dirent **))
{
	struct req q;
	int c = classify(AT_FDCWD, path, &q), fd, n, e;

	if (c == 0)
		return REAL(scandir)(path, list, filter, compar);
	if (c < 0)
		return -1;
	fd = open_req(&q, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	n = scandirat(fd, ".", list, filter, compar);
	e = errno;
	close(fd);
	errno = e;
	return n;
}

VFR_EXPORT int scandir64(const char *path, struct dirent64 ***list,
			 int (*filter)(const struct dirent64 *),
			 int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
	struct req q;
	int c = classify(AT_FDCWD, path, &q), fd, n, e;

	if (c == 0)
		return REAL(scandir64)(path, list, filter, compar);
	if (c < 0)
		return -1;
	fd = open_req(&q, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	n = scandirat64(fd, ".", list, filter, compar);
	e = errno;
	close(fd);
	errno = e;
	return n;
}
