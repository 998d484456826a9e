/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record of an original binding is a small key file, ADDR.state:
 *
 *   [binding]
 *   driver=e1000e
 *   driver_override=vfio-pci
 *
 * A missing key means none. It is replaced only by rename(), so a crash
 * leaves the old record or the new one, never half of one. Every access is
 * relative to the directory's fd, so the same code serves another root.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "bind-state.h"
#include "sysfs.h"

#define LOG_DOMAIN "bind"
#define GROUP "binding"

void bind_record_clear(struct bind_record *rec)
{
	g_clear_pointer(&rec->driver, g_free);
	g_clear_pointer(&rec->override, g_free);
}

int bind_state_open(const struct vfr_ctx *ctx, int *ret_dirfd)
{
	g_autofree char *dir = g_build_filename(ctx->root, "run", "vfioreset", NULL);
	int fd;

	if (g_mkdir_with_parents(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_dirfd = fd;
	return 0;
}

static char *state_name(const char *addr)
{
	return g_strconcat(addr, ".state", NULL);
}

int bind_record_read(int dirfd, const char *addr, struct bind_record *ret)
{
	g_autofree char *name = state_name(addr);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	char buf[4096];
	int n = sysfs_read(dirfd, name, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (!g_key_file_load_from_data(kf, buf, (gsize)n, G_KEY_FILE_NONE, NULL) ||
	    !g_key_file_has_group(kf, GROUP))
		return -EIO;
	ret->driver = g_key_file_get_string(kf, GROUP, "driver", NULL);
	ret->override = g_key_file_get_string(kf, GROUP, "driver_override", NULL);
	return 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

int bind_record_write(int dirfd, const char *addr, const struct bind_record *rec)
{
	g_autofree char *name = state_name(addr);
	g_autofree char *tmp = g_strdup_printf(".%s.%ld.tmp", name, (long)getpid());
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *text = NULL;
	gsize len;
	int fd, r;

	g_key_file_set_string(kf, GROUP, "address", addr);
	if (rec->driver)
		g_key_file_set_string(kf, GROUP, "driver", rec->driver);
	if (rec->override)
		g_key_file_set_string(kf, GROUP, "driver_override", rec->override);
	text = g_key_file_to_data(kf, &len, NULL);

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	/* The rename itself must reach the disk before the kernel state changes. */
	fsync(dirfd);
	return 0;
}

int bind_record_remove(int dirfd, const char *addr)
{
	g_autofree char *name = state_name(addr);

	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	fsync(dirfd);
	return 0;
}

int bind_lock_take(int dirfd, const char *addr, int timeout_ms)
{
	g_autofree char *name = g_strconcat(addr, ".lock", NULL);
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
	unsigned int wait_us = 1000;
	int fd;

	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
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
			close(fd);
			return -EBUSY;
		}
		/* flock has no timed wait: poll with backoff, bounded by the deadline. */
		g_usleep(wait_us);
		wait_us = MIN(wait_us * 2, 100000);
	}
}

void bind_lock_release(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
