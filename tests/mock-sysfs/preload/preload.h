/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfr-preload.so: the mock-sysfs harness (HARNESS.md). The wrappers
 * (wrap-*.c) redirect an allow-list of absolute paths into $VFR_MOCK_ROOT
 * and remember which fixture node every descriptor they open is
 * (fdtable.c); writes to kernel attributes go to the simulated kernel
 * (kernel*.c), ioctls on /dev/vfio and /dev/iommu to vfio.c, and every
 * operation passes the fault rules (faults.c) on the way.
 *
 * Code running inside a wrapper sets the thread's busy flag, so the libc
 * calls the simulated kernel makes come back through the wrappers and pass
 * straight to libc.
 */
#pragma once

/*
 * Both stat and stat64 (open and open64, ...) are defined here: with
 * _FILE_OFFSET_BITS=64 (meson's default) the headers would rename the
 * first of each pair to the second.
 */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define VFR_EXPORT __attribute__((visibility("default")))

/* The fixture root: $VFR_MOCK_ROOT made canonical, without a trailing '/'. */
struct vfr_root {
	char path[PATH_MAX];
	size_t len;
	dev_t dev;
	bool refused; /* not a tree vfr-mkfixture made: no .vfr-mock/host */
};

/* trap.c */
extern __thread int vfr_busy;
/* false: no VFR_MOCK_ROOT (or "/"), the preload passes everything through. */
bool root_get(struct vfr_root *r);
/*
 * A refused root (see vfr_root.refused): says why, once per process and
 * root, sets errno to EIO and returns true; false for a fixture tree.
 */
bool root_refuse(const struct vfr_root *r);
/* @path with "//", "." and ".." folded, into @out (PATH_MAX); false when too long. */
bool path_normalize(const char *path, char *out);
/* Whether a normalized absolute path is in the allow-list (component-wise). */
bool path_allowed(const char *norm);
/* The allow-list entry a normalized path is in ("/run/vfioreset"), NULL: none. */
const char *path_prefix(const char *norm);
/*
 * An absolute @path in the allow-list: @out = root + @path, @norm (may be
 * NULL) = the normalized path; returns 1. 0: not redirected. -1: errno set.
 */
int trap_path(const struct vfr_root *r, const char *path, char *out, char *norm);
/* The fixture node @fd is open on ("/sys/devices/..."), false when outside the root. */
bool node_of_fd(const struct vfr_root *r, int fd, char *node);
/* ROOT-relative @node's canonical form with its last component kept as named. */
bool node_canonical(const struct vfr_root *r, const char *node, char *out);
/* Appends "/" and @rel to @dir into @out (PATH_MAX); false when too long. */
bool path_join(const char *dir, const char *rel, char *out);
bool has_prefix(const char *path, const char *prefix); /* component-wise */
void *real_sym(void **slot, const char *name);
#define REAL(fn)                                                          \
	({                                                                \
		static void *slot_##fn;                                   \
		(__typeof__(&fn))real_sym(&slot_##fn, #fn);               \
	})
/* Set once something vanished in this process: descriptors must be checked. */
extern int vfr_removals;
void vfr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * wrap-open.c: a path-based call, classified. For an absolute path in the
 * allow-list, @path is the redirected path and @dirfd AT_FDCWD; for a path
 * relative to a recorded directory both stay as given.
 */
struct req {
	struct vfr_root r;
	char named[PATH_MAX]; /* in the fixture, normalized ("/sys/..."); "" when unknown */
	char real[PATH_MAX];
	const char *path;
	int dirfd;
	int recorded_dirfd; /* the recorded directory a relative path starts at, else -1 */
	bool reopen; /* /proc/self/fd/N of a recorded descriptor: the same file again */
};
/* 1: ours (@q filled), 0: pass the call through untouched, -1: fail with errno. */
int classify(int dirfd, const char *path, struct req *q);
/* Vanish accounting, a vanished directory, fault rules: 0 or the errno to fail with. */
int pre_op(struct req *q, int op);
/* The process's working directory is in the fixture (chdir() into it). */
extern int vfr_cwd_trapped;
/*
 * wrap-create.c: a creation below an allow-listed prefix failed with ENOENT
 * because the fixture lacks the directory the host has above the prefix
 * (ROOT/run for /run/vfioreset): makes it; true when it made something.
 */
bool make_prefix_parent(const struct req *q);

/*
 * The body of a wrapper: @pass when the path is not ours, @ours (using
 * q.dirfd and q.path) after the vanish and fault checks for @op.
 */
#define PATH_CALL(dirfd, path, op, fail, pass, ours)                 \
	do {                                                         \
		struct req q;                                        \
		int c_ = classify((dirfd), (path), &q), e_;          \
		__typeof__(pass) r_;                                 \
                                                                     \
		if (c_ == 0)                                         \
			return (pass);                               \
		if (c_ < 0)                                          \
			return (fail);                               \
		if ((e_ = pre_op(&q, (op)))) {                       \
			errno = e_;                                  \
			return (fail);                               \
		}                                                    \
		vfr_busy++;                                          \
		r_ = (ours);                                         \
		e_ = errno;                                          \
		vfr_busy--;                                          \
		errno = e_;                                          \
		return r_;                                           \
	} while (0)


/* fdtable.c: what each descriptor the wrappers opened is. */
struct fd_info {
	char node[PATH_MAX];  /* canonical, relative to the root: "/sys/devices/.../config" */
	char named[PATH_MAX]; /* as the program named it, normalized; "" when unknown */
	dev_t dev;
	ino_t ino;
	int flags;
};
void fdt_set(int fd, const char *node, const char *named, const struct stat *st, int flags);
bool fdt_get(int fd, struct fd_info *ret);
/* Only the node (PATH_MAX): what relative opens below a directory need. */
bool fdt_node(int fd, char *node);
bool fdt_has(int fd);
void fdt_clear(int fd);
void fdt_dup(int oldfd, int newfd);
void fdt_atfork_child(void);

/* faults.c */
enum fault_op {
	OP_OPEN = 1 << 0,
	OP_READ = 1 << 1,
	OP_WRITE = 1 << 2,
	OP_READLINK = 1 << 3,
	OP_STAT = 1 << 4,
	OP_IOCTL = 1 << 5,
};
/* Whether a rule for @op exists (re-reads ROOT/.vfr-mock/faults when it changed). */
bool faults_any(const struct vfr_root *r, int op);
/*
 * Applies the first matching rule: waits its delay, hangs, and returns the
 * errno to fail with (0: none); *@short_max becomes a read's limit (-1: none).
 */
int faults_apply(const struct vfr_root *r, int op, const char *named, const char *canon,
		 long *short_max);
/* Counts an access for the vanish rules; removes a device whose count ran out. */
void faults_access(const struct vfr_root *r, const char *named, const char *canon);
void faults_atfork_child(void);

/* kernel.c: the simulated kernel's reaction to a write. */
enum {
	KW_PASS = 1,  /* not a kernel attribute: write to the file */
	KW_STORE = 2, /* a plain attribute: its content becomes the value */
};
/* 0 done, KW_PASS, KW_STORE, or -errno as the kernel's store() returns it. */
int kernel_write(const struct vfr_root *r, const char *node, const char *buf, size_t len);
/* Appends one line to ROOT/.vfr-mock/journal. */
void journal(const struct vfr_root *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sleeps @ms milliseconds, through signals; -1 hangs until the process is killed. */
void kernel_delay(long ms);
/* Surprise removal of @addr (a vanish fault). */
void kernel_vanish(const struct vfr_root *r, const char *addr);

/* Entry points glibc has but declares nowhere (fortified and pre-2.33 names). */
struct stat64;
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t size, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t size, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t size, off64_t offset, size_t buflen);
ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

/* vfio.c: /dev/vfio and /dev/iommu descriptors (the extension point). */
int vfio_open(const struct vfr_root *r, int fd, const char *node, int flags);
bool vfio_ioctl(const struct vfr_root *r, int fd, const struct fd_info *fi,
		unsigned long request, void *arg, int *ret);
void vfio_close(int fd);
/*
 * A descriptor no wrapper opened (inherited over exec()) that is a group,
 * device or cdev file of the fixture: its object is rebuilt and recorded.
 */
bool vfio_adopt(const struct vfr_root *r, int fd);
/* dup(): @newfd is the same open file as @oldfd (what @newfd was is closed). */
void vfio_dup(int oldfd, int newfd);
void vfio_atfork_child(void);

/*
 * kernel-module.c: finit_module, init_module and delete_module through
 * syscall(); false when @number is none of them or no root is set.
 */
bool module_syscall(long number, const long a[6], long *ret);
