/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated kernel's entry points: which store() a written attribute
 * reaches, the cross-process lock, the journal, and the file helpers the
 * kernel-*.c files share.
 */
#include "kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

bool k_begin(struct kctx *k, const struct vfr_root *r)
{
	k->r = r;
	k->lock = -1;
	k->root = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (k->root < 0)
		return false;
	/* A tree made without vfr-mkfixture (a captured host) has no state yet. */
	mkdirat(k->root, ".vfr-mock", 0755);
	k->lock = openat(k->root, ".vfr-mock/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (k->lock >= 0)
		while (flock(k->lock, LOCK_EX) < 0 && errno == EINTR)
			;
	return true;
}

void k_unlock(struct kctx *k)
{
	if (k->lock >= 0) {
		flock(k->lock, LOCK_UN);
		close(k->lock);
		k->lock = -1;
	}
}

void k_end(struct kctx *k)
{
	k_unlock(k);
	if (k->root >= 0)
		close(k->root);
	k->root = -1;
}

void journal(const struct vfr_root *r, const char *fmt, ...)
{
	char path[PATH_MAX], line[1024];
	va_list ap;
	int fd, n;

	if (snprintf(path, sizeof(path), "%s/.vfr-mock/journal", r->path) >= (int)sizeof(path))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	vfr_busy++;
	/* O_APPEND and one write: lines of concurrent processes do not mix. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			vfr_warn("vfr-preload: cannot write %s", path);
		close(fd);
	}
	vfr_busy--;
}

int k_read(struct kctx *k, const char *rel, char *buf, size_t size)
{
	ssize_t n;
	size_t got = 0;
	int fd = openat(k->root, rel, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got < size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	buf[got] = '\0';
	return (int)got;
}

int k_readf(struct kctx *k, char *buf, size_t size, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(rel))
		return -ENAMETOOLONG;
	return k_read(k, rel, buf, size);
}

char *k_slurp(struct kctx *k, const char *rel)
{
	int fd = openat(k->root, rel, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *text = malloc(cap);
	ssize_t n;

	if (fd < 0 || !text) {
		if (fd >= 0)
			close(fd);
		free(text);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *grown = realloc(text, cap *= 2);

			if (!grown)
				break;
			text = grown;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	text[len] = '\0';
	return text;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
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

int k_put(struct kctx *k, const char *rel, mode_t mode, const char *text)
{
	int fd = openat(k->root, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	struct stat st;
	int r;

	/* A read-only attribute (resource) of a tree owned by an unprivileged user. */
	if (fd < 0 && errno == EACCES && fstatat(k->root, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fchmodat(k->root, rel, st.st_mode | 0200, 0) == 0) {
		fd = openat(k->root, rel, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
		fchmodat(k->root, rel, st.st_mode & 07777, 0);
	}
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int k_append(struct kctx *k, const char *rel, const char *text)
{
	int fd = openat(k->root, rel, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

int k_link(struct kctx *k, const char *rel, const char *target)
{
	unlinkat(k->root, rel, 0);
	return symlinkat(target, k->root, rel) < 0 ? -errno : 0;
}

int k_unlink(struct kctx *k, const char *rel)
{
	return unlinkat(k->root, rel, 0) < 0 ? -errno : 0;
}

bool k_exists(struct kctx *k, const char *rel)
{
	struct stat st;

	return fstatat(k->root, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int k_readlink(struct kctx *k, const char *rel, char *buf, size_t size)
{
	ssize_t n = readlinkat(k->root, rel, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

int k_mkdirs(struct kctx *k, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", rel);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdirat(k->root, path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdirat(k->root, path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **k_names(struct kctx *k, const char *rel, size_t *ret_n)
{
	int fd = openat(k->root, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;

	*ret_n = 0;
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n + 2 > cap) {
			char **grown = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));

			if (!grown)
				break;
			names = grown;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(dir);
	if (!names && !(names = calloc(1, sizeof(*names))))
		return NULL;
	names[n] = NULL;
	qsort(names, n, sizeof(*names), by_name);
	*ret_n = n;
	return names;
}

void k_names_free(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

int k_rmtree(struct kctx *k, const char *rel)
{
	struct stat st;
	char **names;
	size_t n;

	if (fstatat(k->root, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return k_unlink(k, rel);
	names = k_names(k, rel, &n);
	for (size_t i = 0; i < n; i++) {
		char child[PATH_MAX];

		if (path_join(rel, names[i], child))
			k_rmtree(k, child);
	}
	k_names_free(names);
	return unlinkat(k->root, rel, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int copy_file(struct kctx *k, const char *from, const char *to, mode_t mode)
{
	char buf[8192];
	int in = openat(k->root, from, O_RDONLY | O_CLOEXEC), out, r = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = openat(k->root, to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode | 0200);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if ((r = write_all(out, buf, (size_t)n)) < 0)
			break;
	if (n < 0)
		r = -errno;
	close(in);
	close(out);
	fchmodat(k->root, to, mode & 07777, 0);
	return r;
}

int k_copytree(struct kctx *k, const char *from, const char *to)
{
	char target[PATH_MAX];
	struct stat st;
	char **names;
	size_t n;
	int r = 0;

	if (fstatat(k->root, from, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return k_readlink(k, from, target, sizeof(target)) < 0 ? -EIO
									: k_link(k, to, target);
	if (!S_ISDIR(st.st_mode))
		return copy_file(k, from, to, st.st_mode);
	if (mkdirat(k->root, to, st.st_mode & 07777) < 0)
		return -errno;
	names = k_names(k, from, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		char a[PATH_MAX], b[PATH_MAX];

		if (!path_join(from, names[i], a) || !path_join(to, names[i], b))
			r = -ENAMETOOLONG;
		else
			r = k_copytree(k, a, b);
	}
	k_names_free(names);
	return r;
}

int k_rename(struct kctx *k, const char *from, const char *to)
{
	return renameat(k->root, from, k->root, to) < 0 ? -errno : 0;
}

void k_ups(const char *path, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (const char *p = path; *p; p++)
		if (*p == '/' && n + 3 < size) {
			memcpy(out + n, "../", 4);
			n += 3;
		}
}

bool k_resolve(const char *base, const char *target, char *out)
{
	char joined[PATH_MAX], norm[PATH_MAX];

	if (target[0] == '/' || snprintf(joined, sizeof(joined), "/%s/%s", base, target) >=
					(int)sizeof(joined))
		return false;
	if (!path_normalize(joined, norm) || strcmp(norm, "/") == 0)
		return false;
	snprintf(out, PATH_MAX, "%s", norm + 1);
	return true;
}

bool is_address(const char *s)
{
	unsigned int domain, bus, slot, fn;
	int n = 0;

	return sscanf(s, "%8x:%2x:%2x.%1u%n", &domain, &bus, &slot, &fn, &n) == 4 &&
	       (size_t)n == strlen(s) && n >= 12 && fn < 8;
}

int k_find_dev(struct kctx *k, const char *addr, struct kdev *d)
{
	char rel[PATH_MAX], target[PATH_MAX];
	struct stat st;

	if (!is_address(addr) || strlen(addr) >= sizeof(d->addr))
		return -ENODEV;
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", addr);
	if (k_readlink(k, rel, target, sizeof(target)) < 0 ||
	    !k_resolve("sys/bus/pci/devices", target, d->path) ||
	    fstatat(k->root, d->path, &st, 0) < 0 || !S_ISDIR(st.st_mode))
		return -ENODEV;
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	return 0;
}

int k_attr(struct kctx *k, const struct kdev *d, const char *name, char *buf, size_t size)
{
	return k_readf(k, buf, size, "%s/%s", d->path, name);
}

int k_attr_put(struct kctx *k, const struct kdev *d, const char *name, const char *text)
{
	char rel[PATH_MAX];

	if (!path_join(d->path, name, rel))
		return -ENAMETOOLONG;
	return k_put(k, rel, 0644, text);
}

bool k_driver_of(struct kctx *k, const struct kdev *d, char *buf, size_t size)
{
	char rel[PATH_MAX], target[PATH_MAX];
	const char *slash;

	if (!path_join(d->path, "driver", rel) || k_readlink(k, rel, target, sizeof(target)) < 0)
		return false;
	slash = strrchr(target, '/');
	snprintf(buf, size, "%s", slash ? slash + 1 : target);
	return true;
}

int k_group_of(struct kctx *k, const struct kdev *d)
{
	char rel[PATH_MAX], target[PATH_MAX];
	const char *slash;

	if (!path_join(d->path, "iommu_group", rel) ||
	    k_readlink(k, rel, target, sizeof(target)) < 0)
		return -1;
	slash = strrchr(target, '/');
	return atoi(slash ? slash + 1 : target);
}

bool k_streq(const char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (len > 0 && buf[len - 1] == '\n' && (n == 0 || s[n - 1] != '\n'))
		len--;
	return len == n && memcmp(buf, s, n) == 0;
}

void k_line(const char *buf, size_t len, char *out, size_t size)
{
	size_t n = 0;

	while (n < len && n + 1 < size && buf[n] != '\n' && buf[n] != '\0') {
		out[n] = buf[n];
		n++;
	}
	out[n] = '\0';
}

int k_strtoul(const char *buf, size_t len, unsigned long *ret)
{
	char text[64], *end;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len >= sizeof(text))
		return -EINVAL;
	memcpy(text, buf, len);
	text[len] = '\0';
	if (text[0] == '-' || text[0] == ' ')
		return -EINVAL;
	errno = 0;
	*ret = strtoul(text, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

static int bus_rescan(struct kctx *k, const char *scope, const char *buf, size_t len)
{
	unsigned long val;

	if (k_strtoul(buf, len, &val) < 0)
		return -EINVAL;
	return val ? k_rescan(k, scope) : 0;
}

/* A write below a device's directory: @name is the attribute. */
static int device_write(struct kctx *k, const struct kdev *d, const char *name, const char *buf,
			size_t len)
{
	unsigned long val;
	char parent[PATH_MAX];

	if (strcmp(name, "driver_override") == 0)
		return k_driver_override(k, d, buf, len);
	if (strcmp(name, "reset_method") == 0)
		return k_reset_method(k, d, buf, len);
	if (strcmp(name, "reset") == 0)
		return k_reset(k, d, buf, len);
	if (strcmp(name, "sriov_numvfs") == 0)
		return k_sriov_numvfs(k, d, buf, len);
	if (strcmp(name, "remove") == 0) {
		if (k_strtoul(buf, len, &val) < 0)
			return -EINVAL;
		return val ? k_remove(k, d, "remove") : 0;
	}
	if (strcmp(name, "rescan") == 0) {
		/* dev_rescan_store(): the bus the function is on. */
		snprintf(parent, sizeof(parent), "%s", d->path);
		*strrchr(parent, '/') = '\0';
		return bus_rescan(k, parent, buf, len);
	}
	if (strcmp(name, "config") == 0)
		return KW_PASS;
	return KW_STORE;
}

int kernel_write(const struct vfr_root *r, const char *node, const char *buf, size_t len)
{
	char rel[PATH_MAX], dir[PATH_MAX];
	const char *name, *dirname;
	struct kctx k;
	struct kdev d;
	int ret = KW_STORE;
	char *slash;

	snprintf(rel, sizeof(rel), "%s", node + 1);
	slash = strrchr(rel, '/');
	if (!slash)
		return KW_STORE;
	name = slash + 1;
	memcpy(dir, rel, (size_t)(slash - rel));
	dir[slash - rel] = '\0';
	dirname = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;

	if (!k_begin(&k, r))
		return -EIO;
	if (strcmp(rel, "sys/bus/pci/drivers_probe") == 0) {
		ret = k_drivers_probe(&k, buf, len);
	} else if (strcmp(rel, "sys/bus/pci/rescan") == 0) {
		ret = bus_rescan(&k, NULL, buf, len);
	} else if (has_prefix(dir, "sys/bus/pci/drivers") && dir[19] == '/' &&
		   !strchr(dir + 20, '/')) {
		if (strcmp(name, "bind") == 0)
			ret = k_bind(&k, dirname, buf, len);
		else if (strcmp(name, "unbind") == 0)
			ret = k_unbind(&k, dirname, buf, len);
		else if (strcmp(name, "new_id") == 0)
			ret = k_new_id(&k, dirname, buf, len);
		else if (strcmp(name, "remove_id") == 0)
			ret = k_remove_id(&k, dirname, buf, len);
	} else if (has_prefix(dir, "sys/devices") && is_address(dirname)) {
		snprintf(d.addr, sizeof(d.addr), "%s", dirname);
		snprintf(d.path, sizeof(d.path), "%s", dir);
		ret = device_write(&k, &d, name, buf, len);
	} else if (has_prefix(dir, "sys/devices") && strcmp(name, "rescan") == 0 &&
		   strstr(dir, "/pci_bus/")) {
		/* pci_bus/DOMAIN:BUS/rescan: the bus below the directory holding pci_bus. */
		*strstr(dir, "/pci_bus/") = '\0';
		ret = bus_rescan(&k, dir, buf, len);
	}
	k_end(&k);
	return ret;
}

void kernel_vanish(const struct vfr_root *r, const char *addr)
{
	struct kctx k;
	struct kdev d;

	vfr_busy++;
	if (k_begin(&k, r)) {
		if (k_find_dev(&k, addr, &d) == 0)
			k_remove(&k, &d, "vanish");
		k_end(&k);
	}
	vfr_busy--;
}
