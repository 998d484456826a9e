/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only code that touches paths: openat-style access below a directory fd. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "beneath.h"
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

int sysfs_open_dir(int dirfd, const char *relpath, int *ret_fd)
{
	int fd = beneath_open(dirfd, relpath, O_PATH | O_DIRECTORY, 0, BENEATH_DIR);

	if (fd < 0)
		return fd == -ELOOP ? -EXDEV : fd;
	*ret_fd = fd;
	return 0;
}

int sysfs_open_dir_listable(int dirfd, const char *relpath, int *ret_fd)
{
	int fd = beneath_open(dirfd, relpath, O_RDONLY | O_DIRECTORY, 0, BENEATH_DIR);

	if (fd < 0)
		return fd == -ELOOP ? -EXDEV : fd;
	*ret_fd = fd;
	return 0;
}

int sysfs_list_kinds(int dirfd, bool rewind, bool fills, const char *const *names, size_t n,
		     unsigned char *ret_kinds)
{
	/* A function's directory holds some 40 entries: one call fills, one more says the end. */
	char buf[8192] __attribute__((aligned(8)));
	int entries = 0;

	memset(ret_kinds, SYSFS_ABSENT, n);
	if (rewind && lseek(dirfd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t len = getdents64(dirfd, buf, sizeof(buf));

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return -errno;
		if (len == 0)
			break;
		for (ssize_t at = 0; at < len;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + at);

			at += de->d_reclen;
			if (de->d_name[0] == '.' &&
			    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
				continue;
			entries++;
			for (size_t i = 0; i < n; i++)
				if (de->d_name[0] == names[i][0] && strcmp(de->d_name, names[i]) == 0) {
					ret_kinds[i] = de->d_type;
					break;
				}
		}
		/* The kernel stopped before the buffer was full: nothing was left. */
		if (fills && (size_t)len <= sizeof(buf) - sizeof(struct dirent64))
			break;
	}
	return entries;
}

int sysfs_read(int dirfd, const char *name, char *buf, size_t size)
{
	return sysfs_read_on(dirfd, name, buf, size, false);
}

int sysfs_read_on(int dirfd, const char *name, char *buf, size_t size, bool nodev)
{
	int fd = beneath_open(dirfd, name, O_RDONLY, 0, BENEATH_REG | (nodev ? BENEATH_NODEV : 0));
	int r;

	if (fd < 0)
		return fd;
	r = sysfs_read_fd(fd, buf, size);
	close(fd);
	return r;
}

int sysfs_read_fd(int fd, char *buf, size_t size)
{
	ssize_t n;
	int r;

	/* sysfs hands a text attribute over in one read; one byte of slack tells truncation. */
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : 0;
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
	return beneath_open(dirfd, name, O_WRONLY, 0, BENEATH_REG);
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
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	int parent = dirfd;
	ssize_t n;

	if (!beneath_name_valid(base))
		return -EINVAL;
	/* The directories on the way are opened under the rules, the link itself read as text. */
	if (slash) {
		g_autofree char *dir = g_strndup(name, (gsize)(slash - name));

		parent = beneath_open(dirfd, dir, O_PATH | O_DIRECTORY, 0, BENEATH_DIR);
		if (parent < 0)
			return parent;
	}
	n = readlinkat(parent, base, buf, size - 1);
	if (n < 0)
		n = -errno;
	if (parent != dirfd)
		close(parent);
	if (n < 0)
		return (int)n;
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

	fd = beneath_open(dirfd, relpath, O_RDONLY | O_DIRECTORY, 0, BENEATH_DIR);
	if (fd < 0)
		return fd;
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
	int r = beneath_stat(dirfd, name, &st);

	if (r == 0)
		return 1;
	return r == -ENOENT || r == -ENOTDIR ? 0 : r;
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
