/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Calls on descriptors: read and pread (fault rules, a removed device's
 * attributes read ENODEV), write and pwrite (the simulated kernel), ioctl
 * (vfio.c), and the calls that end or copy a descriptor, which keep the fd
 * table true.
 */
#include "preload.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* An attribute of a device that was removed while it was open. */
static bool node_gone(const struct vfr_root *r, int fd, const struct fd_info *fi)
{
	char now[PATH_MAX];

	if (!vfr_removals || !has_prefix(fi->node, "/sys"))
		return false;
	return !node_of_fd(r, fd, now) || strcmp(now, fi->node) != 0;
}

/*
 * A reset holds the function's config access lock (pci_cfg_access_lock)
 * until it returns: every reader of its config space sleeps meanwhile,
 * uninterruptibly - for ever behind a reset that never returns. The
 * simulated reset holds the function directory's flock (kernel-reset.c),
 * so a read of `config` takes it shared first. The wait is journaled
 * ("wait config ADDR") so a test can see that a reader got stuck.
 */
static void cfg_access_wait(const struct vfr_root *r, const char *node)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	const char *slash = strrchr(node, '/');
	int fd;

	if (!slash || strcmp(slash, "/config") != 0 || !has_prefix(node, "/sys/devices"))
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - node), node);
	snprintf(path, sizeof(path), "%s%s", r->path, dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		const char *addr = strrchr(dir, '/');

		journal(r, "wait config %s", addr ? addr + 1 : dir);
		while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
			;
	}
	close(fd); /* releases the shared lock */
}

/* 0 to go on, else the errno a read fails with; *@size may shrink (short reads). */
static int before_read(int fd, size_t *size)
{
	struct fd_info fi;
	struct vfr_root r;
	long short_max = -1;
	int err = 0;

	if (vfr_busy || !fdt_get(fd, &fi) || !root_get(&r))
		return 0;
	vfr_busy++;
	if (node_gone(&r, fd, &fi))
		err = ENODEV;
	else
		err = faults_apply(&r, OP_READ, fi.named, fi.node, &short_max);
	if (!err)
		cfg_access_wait(&r, fi.node);
	vfr_busy--;
	if (short_max >= 0 && *size > (size_t)short_max)
		*size = (size_t)short_max;
	return err;
}

VFR_EXPORT ssize_t read(int fd, void *buf, size_t size)
{
	int err = before_read(fd, &size);

	if (err) {
		errno = err;
		return -1;
	}
	return REAL(read)(fd, buf, size);
}

/*
 * A listing reads its directory: `read` rules naming the directory apply
 * to getdents64() (which programs call directly; readdir() does not come
 * here). A removed directory lists empty, as in sysfs: no ENODEV.
 */
VFR_EXPORT ssize_t getdents64(int fd, void *buf, size_t size)
{
	struct fd_info fi;
	struct vfr_root r;
	long short_max = -1;
	int err = 0;

	if (!vfr_busy && fdt_get(fd, &fi) && root_get(&r)) {
		vfr_busy++;
		err = faults_apply(&r, OP_READ, fi.named, fi.node, &short_max);
		vfr_busy--;
	}
	if (err) {
		errno = err;
		return -1;
	}
	return REAL(getdents64)(fd, buf, size);
}

VFR_EXPORT ssize_t __read_chk(int fd, void *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		abort();
	return read(fd, buf, size);
}

VFR_EXPORT ssize_t pread(int fd, void *buf, size_t size, off_t offset)
{
	int err = before_read(fd, &size);

	if (err) {
		errno = err;
		return -1;
	}
	return REAL(pread)(fd, buf, size, offset);
}

VFR_EXPORT ssize_t pread64(int fd, void *buf, size_t size, off64_t offset)
{
	int err = before_read(fd, &size);

	if (err) {
		errno = err;
		return -1;
	}
	return REAL(pread64)(fd, buf, size, offset);
}

VFR_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t size, off_t offset, size_t buflen)
{
	if (size > buflen)
		abort();
	return pread(fd, buf, size, offset);
}

VFR_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t size, off64_t offset,
				 size_t buflen)
{
	if (size > buflen)
		abort();
	return pread64(fd, buf, size, offset);
}

/*
 * Which node a write goes to: the recorded one, checked against the inode
 * (the descriptor may have been closed inside libc and reused), or, for a
 * descriptor opened where no wrapper saw it (inherited over exec, say), the
 * one /proc/self/fd names when it is a file of the fixture.
 */
static bool write_target(const struct vfr_root *r, int fd, struct fd_info *fi)
{
	struct stat st;

	if (fdt_get(fd, fi)) {
		if (!has_prefix(fi->node, "/sys"))
			return true;
		if (fstat(fd, &st) == 0 && st.st_dev == fi->dev && st.st_ino == fi->ino)
			return true;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != r->dev ||
	    !node_of_fd(r, fd, fi->node) || !has_prefix(fi->node, "/sys"))
		return false;
	fi->named[0] = '\0';
	return true;
}

/*
 * The kernel's store(): @n bytes written, or -1 with errno; KW_PASS when the
 * file is written as it is (config space, /dev nodes).
 */
static ssize_t kernel_store(int fd, const void *buf, size_t size, ssize_t *ret)
{
	struct fd_info fi;
	struct vfr_root r;
	long short_max;
	int err, k;

	if (vfr_busy || !root_get(&r))
		return KW_PASS;
	vfr_busy++;
	if (!write_target(&r, fd, &fi)) {
		vfr_busy--;
		return KW_PASS;
	}
	if (root_refuse(&r)) {
		vfr_busy--;
		*ret = -1;
		return 0;
	}
	if (node_gone(&r, fd, &fi))
		err = ENODEV;
	else
		err = faults_apply(&r, OP_WRITE, fi.named, fi.node, &short_max);
	if (err) {
		vfr_busy--;
		errno = err;
		*ret = -1;
		return 0;
	}
	k = has_prefix(fi.node, "/sys") ? kernel_write(&r, fi.node, buf, size) : KW_PASS;
	if (k == KW_STORE) {
		/* A plain attribute holds what was written last, not a file's bytes. */
		if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, size, 0) < 0) {
			err = errno;
			vfr_busy--;
			errno = err;
			*ret = -1;
			return 0;
		}
		k = 0;
	}
	vfr_busy--;
	if (k == KW_PASS)
		return KW_PASS;
	if (k < 0) {
		errno = -k;
		*ret = -1;
	} else {
		*ret = (ssize_t)size;
	}
	return 0;
}

VFR_EXPORT ssize_t write(int fd, const void *buf, size_t size)
{
	ssize_t ret;

	if (kernel_store(fd, buf, size, &ret) == KW_PASS)
		return REAL(write)(fd, buf, size);
	return ret;
}

VFR_EXPORT ssize_t pwrite(int fd, const void *buf, size_t size, off_t offset)
{
	ssize_t ret;

	if (kernel_store(fd, buf, size, &ret) == KW_PASS)
		return REAL(pwrite)(fd, buf, size, offset);
	return ret;
}

VFR_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t size, off64_t offset)
{
	ssize_t ret;

	if (kernel_store(fd, buf, size, &ret) == KW_PASS)
		return REAL(pwrite64)(fd, buf, size, offset);
	return ret;
}

VFR_EXPORT int close(int fd)
{
	if (!vfr_busy && fdt_has(fd)) {
		vfio_close(fd);
		fdt_clear(fd);
	}
	return REAL(close)(fd);
}

/*
 * glibc >= 2.34. The descriptors a program closes in one call are
 * forgotten one by one, as close() forgets one (up to the table's size).
 * CLOSE_RANGE_CLOEXEC only marks them.
 */
VFR_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	if (!vfr_busy && !(flags & CLOSE_RANGE_CLOEXEC))
		for (unsigned int fd = first; fd <= last && fd < (1u << 20); fd++)
			if (fdt_has((int)fd)) {
				vfio_close((int)fd);
				fdt_clear((int)fd);
			}
	return REAL(close_range)(first, last, flags);
}

VFR_EXPORT int dup(int oldfd)
{
	int fd = REAL(dup)(oldfd);

	if (fd >= 0 && !vfr_busy)
		fdt_dup(oldfd, fd);
	return fd;
}

VFR_EXPORT int dup2(int oldfd, int newfd)
{
	int fd = REAL(dup2)(oldfd, newfd);

	if (fd >= 0 && !vfr_busy && oldfd != newfd)
		fdt_dup(oldfd, fd);
	return fd;
}

VFR_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int fd = REAL(dup3)(oldfd, newfd, flags);

	if (fd >= 0 && !vfr_busy)
		fdt_dup(oldfd, fd);
	return fd;
}

/* libc closes these descriptors internally, past close(). */
VFR_EXPORT int fclose(FILE *fp)
{
	int fd = fp ? fileno(fp) : -1;

	if (fd >= 0 && !vfr_busy)
		fdt_clear(fd);
	return REAL(fclose)(fp);
}

VFR_EXPORT int closedir(DIR *d)
{
	int fd = dirfd(d);

	if (fd >= 0 && !vfr_busy)
		fdt_clear(fd);
	return REAL(closedir)(d);
}

VFR_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	struct fd_info fi;
	struct vfr_root r;
	long short_max;
	void *arg;
	va_list ap;
	int err, ret;
	bool handled;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (vfr_busy || !root_get(&r))
		return REAL(ioctl)(fd, request, arg);
	/* A VFIO file inherited over exec() is known once its object is rebuilt. */
	if (!fdt_get(fd, &fi) && (!vfio_adopt(&r, fd) || !fdt_get(fd, &fi)))
		return REAL(ioctl)(fd, request, arg);
	vfr_busy++;
	err = faults_apply(&r, OP_IOCTL, fi.named, fi.node, &short_max);
	if (err) {
		vfr_busy--;
		errno = err;
		return -1;
	}
	handled = vfio_ioctl(&r, fd, &fi, request, arg, &ret);
	err = errno;
	vfr_busy--;
	errno = err;
	if (handled)
		return ret;
	return REAL(ioctl)(fd, request, arg);
}
