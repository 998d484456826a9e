/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only code that touches paths: openat-style access below a directory fd. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib.h>

#include "internal.h"
#include "sysfs.h"

int sysfs_open_root(const char *root, int *ret_fd)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/*
 * openat2() lets the kernel refuse a path that climbs out of @dirfd or goes
 * through a symlink (Linux >= 5.6). Older kernels, or a seccomp filter that
 * returns ENOSYS, fall back to openat(), which is safe for the paths we build
 * ourselves from resolved link text.
 */
static int open_beneath(int dirfd, const char *relpath, int flags)
{
	static int have_openat2 = -1;
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (have_openat2 != 0) {
		fd = (int)syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) {
			have_openat2 = 1;
			return fd;
		}
		if (have_openat2 == 1)
			return fd;
		have_openat2 = 0;
	}
	return openat(dirfd, relpath, flags | O_NOFOLLOW);
}

int sysfs_open_dir(int dirfd, const char *relpath, int *ret_fd)
{
	int fd = open_beneath(dirfd, relpath, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP || errno == EXDEV ? -EXDEV : -errno;
	*ret_fd = fd;
	return 0;
}

int sysfs_read(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n;
	int fd, r;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* sysfs hands a text attribute over in one read; one byte of slack tells truncation. */
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if ((size_t)n == size - 1)
		return -EFBIG;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return (int)n;
}

int sysfs_open_attr_for_write(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	return fd < 0 ? -errno : fd;
}

int sysfs_write_fd(int fd, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;

	do
		n = write(fd, text, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* A store takes the whole buffer or fails; a short count is the kernel's answer too. */
	return (size_t)n == len ? 0 : -EIO;
}

int sysfs_write(int dirfd, const char *name, const char *text)
{
	int fd = sysfs_open_attr_for_write(dirfd, name);
	int r;

	if (fd < 0)
		return fd;
	r = sysfs_write_fd(fd, text);
	close(fd);
	return r;
}

int sysfs_readlink(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(dirfd, name, buf, size - 1);

	if (n < 0)
		return -errno;
	if ((size_t)n == size - 1)
		return -EFBIG;
	buf[n] = '\0';
	return (int)n;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sysfs_list(int dirfd, const char *relpath, char ***ret_names, size_t *ret_n)
{
	GPtrArray *names;
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = open_beneath(dirfd, relpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		int r = -errno;

		close(fd);
		return r;
	}
	names = g_ptr_array_new();
	errno = 0;
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		g_ptr_array_add(names, g_strdup(de->d_name));
	}
	if (errno != 0) {
		int r = -errno;

		closedir(dir);
		g_ptr_array_set_free_func(names, g_free);
		g_ptr_array_free(names, TRUE);
		return r;
	}
	closedir(dir);
	g_ptr_array_sort(names, by_name);
	*ret_n = names->len;
	g_ptr_array_add(names, NULL);
	*ret_names = (char **)g_ptr_array_free(names, FALSE);
	return 0;
}

int sysfs_exists(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int sysfs_resolve_link(const char *base, const char *target, char *buf, size_t size)
{
	size_t len;

	if (!target || target[0] == '/' || target[0] == '\0')
		return -EXDEV;
	/* Folded in place: this runs for every link of every function. */
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, base, len);
	buf[len] = '\0';
	for (const char *p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash;

			if (len == 0)
				return -EXDEV;
			slash = memrchr(buf, '/', len);
			len = slash ? (size_t)(slash - buf) : 0;
			buf[len] = '\0';
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			size_t need = len + (len ? 1 : 0) + n;

			if (need >= size)
				return -ENAMETOOLONG;
			if (len)
				buf[len++] = '/';
			memcpy(buf + len, p, n);
			len += n;
			buf[len] = '\0';
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

const char *sysfs_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}
