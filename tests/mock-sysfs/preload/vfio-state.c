/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the VFIO ioctls read from the simulated host (group members and
 * their drivers, viability, the bus a reset touches) and the state several
 * processes share through locks held by the VFIO files' own open file
 * descriptions (vfio-internal.h), including the wait of an unbind for the
 * last user of a vfio device.
 */
#include "vfio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int vs_file(const struct vfr_root *r, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/.vfr-mock/vfio", r->path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	mkdir(path, 0755);
	if (snprintf(path, sizeof(path), "%s/.vfr-mock/vfio/%s", r->path, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	return fd < 0 ? -errno : fd;
}

int vs_take(const struct vfr_root *r, const char *name, int how)
{
	int fd = vs_file(r, name);

	if (fd < 0)
		return fd;
	if (flock(fd, how | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	return fd;
}

bool vs_host_flag(const struct vfr_root *r, const char *name)
{
	char path[PATH_MAX], text[256] = "", *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/.vfr-mock/host", r->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	for (p = strstr(text, name); p; p = strstr(p + 1, name))
		if ((p == text || p[-1] == '\n') && p[strlen(name)] == ' ')
			return p[strlen(name) + 1] == '1';
	return false;
}

char **vs_group_members(struct kctx *k, int group, size_t *ret_n)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices", group);
	return k_names(k, rel, ret_n);
}

bool vs_vfio_bound(struct kctx *k, const struct kdev *d)
{
	char drv[256];

	return k_driver_of(k, d, drv, sizeof(drv)) && k_driver_is_vfio(k, drv);
}

/*
 * Drivers that set driver_managed_dma: they never use the DMA API on the
 * device, so a user owning the group cannot disturb them. pci-pf-stub is
 * not one of them (its pci_driver leaves the flag unset): a group with a
 * member on it is not viable.
 */
static bool driver_managed_dma(const char *drv)
{
	static const char *const names[] = { "pci-stub", "pcieport" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(drv, names[i]) == 0)
			return true;
	return false;
}

bool vs_group_viable(struct kctx *k, int group)
{
	size_t n;
	char **names = vs_group_members(k, group, &n);
	bool viable = names != NULL;

	for (size_t i = 0; i < n && viable; i++) {
		char drv[256];
		struct kdev m;

		/* iommu_group_dma_owner_claimed(): a host driver owns the group's DMA. */
		if (k_find_dev(k, names[i], &m) == 0 && k_driver_of(k, &m, drv, sizeof(drv)) &&
		    !k_driver_is_vfio(k, drv) && !driver_managed_dma(drv))
			viable = false;
	}
	k_names_free(names);
	return viable;
}

bool vs_group_cdev_bound(struct kctx *k, int group)
{
	size_t n;
	char **names = vs_group_members(k, group, &n);
	bool bound = false;

	for (size_t i = 0; i < n && !bound; i++)
		bound = vs_cdev_bound(k->r, names[i], NULL);
	k_names_free(names);
	return bound;
}

int vs_cdev_device(struct kctx *k, int index, struct kdev *d)
{
	size_t n;
	char **names = k_names(k, "sys/bus/pci/devices", &n);
	int r = -ENODEV;

	for (size_t i = 0; i < n && r < 0; i++) {
		char rel[PATH_MAX];

		if (k_find_dev(k, names[i], d) < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d", d->path, index);
		if (k_exists(k, rel))
			r = 0;
	}
	k_names_free(names);
	return r;
}

static bool grow(struct kdev **v, size_t n, size_t *cap)
{
	struct kdev *bigger;

	if (n < *cap)
		return true;
	bigger = realloc(*v, (*cap = *cap ? *cap * 2 : 8) * sizeof(**v));
	if (!bigger)
		return false;
	*v = bigger;
	return true;
}

/* pci_walk_bus(): each function, and right after a bridge the functions behind it. */
static int walk(struct kctx *k, const char *dir, struct kdev **v, size_t *n, size_t *cap)
{
	size_t nn;
	char **names = k_names(k, dir, &nn);
	int r = 0;

	for (size_t i = 0; i < nn && r == 0; i++) {
		char rel[PATH_MAX];
		struct stat st;

		if (!is_address(names[i]) || !path_join(dir, names[i], rel) ||
		    fstatat(k->root, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!grow(v, *n, cap)) {
			r = -ENOMEM;
			break;
		}
		snprintf((*v)[*n].addr, sizeof((*v)[*n].addr), "%s", names[i]);
		snprintf((*v)[*n].path, sizeof((*v)[*n].path), "%s", rel);
		(*n)++;
		r = walk(k, rel, v, n, cap);
	}
	k_names_free(names);
	return r;
}

int vs_bus_affected(struct kctx *k, const struct kdev *d, struct kdev **ret, size_t *ret_n)
{
	char parent[PATH_MAX], *slash;
	const char *base;
	struct kdev *v = NULL;
	size_t n = 0, cap = 0;
	int r;

	snprintf(parent, sizeof(parent), "%s", d->path);
	if (!(slash = strrchr(parent, '/')))
		return -ENODEV;
	*slash = '\0';
	base = strrchr(parent, '/') ? strrchr(parent, '/') + 1 : parent;
	/* pci_probe_reset_bus(): a root bus has no bridge (bus->self) to reset it. */
	if (!is_address(base))
		return -ENODEV;
	r = walk(k, parent, &v, &n, &cap);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

bool vs_same_bus(const struct kdev *a, const struct kdev *b)
{
	const char *sa = strrchr(a->path, '/'), *sb = strrchr(b->path, '/');

	return sa && sb && sa - a->path == sb - b->path &&
	       strncmp(a->path, b->path, (size_t)(sa - a->path)) == 0;
}

static void relock(struct kctx *k)
{
	k->lock = openat(k->root, ".vfr-mock/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (k->lock >= 0)
		while (flock(k->lock, LOCK_EX) < 0 && errno == EINTR)
			;
}

static void flock_wait(int fd, int how)
{
	while (flock(fd, how) < 0 && errno == EINTR)
		;
}

/* ROOT-relative node of @d's cdev ("dev/vfio/devices/vfio3"); false when it has none. */
static bool cdev_node_of(struct kctx *k, const struct kdev *d, char *rel)
{
	char dir[PATH_MAX];
	char **names;
	size_t n;
	bool found = false;

	snprintf(dir, sizeof(dir), "%s/vfio-dev", d->path);
	names = k_names(k, dir, &n);
	for (size_t i = 0; i < n && !found; i++) {
		if (strncmp(names[i], "vfio", 4) != 0)
			continue;
		snprintf(rel, PATH_MAX, "dev/vfio/devices/%s", names[i]);
		found = true;
	}
	k_names_free(names);
	return found;
}

/*
 * Device files hold held-ADDR shared through their own open file, cdevs
 * their node: an unbind takes both exclusively, so it waits for the last
 * file of the function to be closed, in whatever process holds it.
 */
int vfio_wait_unused(struct kctx *k, const struct kdev *d, const char *drv)
{
	char name[64], rel[PATH_MAX];
	bool held_k = k->lock >= 0, busy;
	int held, cdev = -1;

	snprintf(name, sizeof(name), "held-%s", d->addr);
	held = vs_file(k->r, name);
	if (held < 0)
		return -1;
	if (cdev_node_of(k, d, rel))
		cdev = openat(k->root, rel, O_RDONLY | O_CLOEXEC);
	busy = flock(held, LOCK_EX | LOCK_NB) < 0;
	busy = (cdev >= 0 && flock(cdev, LOCK_EX | LOCK_NB) < 0) || busy;
	if (busy) {
		/*
		 * vfio_unregister_group_dev() waits until every device file is
		 * closed (asking the user through the request eventfd meanwhile);
		 * the rest of the kernel goes on. The journal line lets a test know
		 * it is waiting.
		 */
		journal(k->r, "wait %s %s", d->addr, drv);
		k_unlock(k);
		flock_wait(held, LOCK_EX);
		if (cdev >= 0)
			flock_wait(cdev, LOCK_EX);
		if (held_k)
			relock(k);
	}
	/* held-ADDR stays taken until the unbind is done: new opens fail meanwhile. */
	if (cdev >= 0)
		close(cdev);
	return held;
}

bool vs_device_open(struct kctx *k, const struct kdev *d)
{
	char name[64], rel[PATH_MAX];
	bool in_use;
	int fd;

	snprintf(name, sizeof(name), "held-%s", d->addr);
	fd = vs_take(k->r, name, LOCK_EX);
	in_use = fd == -EBUSY;
	if (fd >= 0)
		close(fd);
	if (!in_use && cdev_node_of(k, d, rel) &&
	    (fd = openat(k->root, rel, O_RDONLY | O_CLOEXEC)) >= 0) {
		in_use = flock(fd, LOCK_EX | LOCK_NB) < 0;
		close(fd);
	}
	return in_use;
}

bool vs_group_open(const struct vfr_root *r, int group)
{
	char path[PATH_MAX];
	bool is_open;
	int fd;

	if (group < 0)
		return false;
	snprintf(path, sizeof(path), "%s/dev/vfio/%d", r->path, group);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	is_open = flock(fd, LOCK_SH | LOCK_NB) < 0;
	close(fd);
	return is_open;
}

int vs_device_file(const struct vfr_root *r, const char *addr, bool *ret_first)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "held-%s", addr);
	fd = vs_file(r, name);
	if (fd < 0)
		return fd;
	/*
	 * Nobody else holds it: the device's first open, where vfio-pci decides
	 * what it decides once (reset_works). A conversion is not atomic: an
	 * unbind waiting meanwhile wins, and this open fails as it would.
	 */
	*ret_first = flock(fd, LOCK_EX | LOCK_NB) == 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		close(fd);
		return -EBUSY;
	}
	return fd;
}

/* "reset_works 0|1" in a device file's held-ADDR: what the first open decided. */
void vs_device_set_reset_works(int fd, bool works)
{
	const char *text = works ? "reset_works 1\n" : "reset_works 0\n";

	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, strlen(text), 0) < 0)
		vfr_warn("vfr-preload: cannot record reset_works: %s", strerror(errno));
}

bool vs_device_reset_works(int fd)
{
	char text[64] = "";
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	text[n > 0 ? n : 0] = '\0';
	return strstr(text, "reset_works 1") != NULL;
}

int vs_cdev_hold(const struct vfr_root *r, int fd, const char *addr)
{
	char name[64];
	int held;

	/* vfio_device_try_get_registration(): none while an unbind is under way. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return -EBUSY;
	snprintf(name, sizeof(name), "held-%s", addr);
	held = vs_take(r, name, LOCK_SH);
	if (held < 0)
		return held;
	close(held);
	return 0;
}

/* Byte 0 of the cdev's node, write-locked by the open file that is bound. */
static int bound_lock(int fd, int cmd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

	if (fcntl(fd, cmd, &fl) < 0)
		return -errno;
	return cmd == F_OFD_GETLK ? fl.l_type != F_UNLCK : 0;
}

static int record_read(const struct vfr_root *r, const char *addr, struct vs_cdev_record *rec)
{
	char name[64], text[PATH_MAX + 256] = "";
	unsigned long devid = 0;
	int works = 0, fd;
	ssize_t n;

	snprintf(name, sizeof(name), "cdev-%s", addr);
	fd = vs_file(r, name);
	if (fd < 0)
		return fd;
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	memset(rec, 0, sizeof(*rec));
	if (sscanf(text, "node %4095s\nctx %47s\ndevid %lu\nreset_works %d", rec->node, rec->token,
		   &devid, &works) != 4)
		return -ENOENT;
	rec->devid = (uint32_t)devid;
	rec->reset_works = works != 0;
	return 0;
}

int vs_cdev_bind(const struct vfr_root *r, int fd, const char *addr,
		 const struct vs_cdev_record *rec)
{
	char name[64], text[PATH_MAX + 256];
	int r2, out;

	r2 = bound_lock(fd, F_OFD_SETLK, F_WRLCK);
	if (r2 < 0)
		return r2 == -EAGAIN || r2 == -EACCES ? -EBUSY : r2;
	snprintf(name, sizeof(name), "cdev-%s", addr);
	out = vs_file(r, name);
	if (out < 0) {
		bound_lock(fd, F_OFD_SETLK, F_UNLCK);
		return out;
	}
	snprintf(text, sizeof(text), "node %s\nctx %s\ndevid %u\nreset_works %d\n", rec->node,
		 rec->token, rec->devid, rec->reset_works);
	if (ftruncate(out, 0) < 0 || pwrite(out, text, strlen(text), 0) < 0) {
		r2 = -errno;
		close(out);
		bound_lock(fd, F_OFD_SETLK, F_UNLCK);
		return r2;
	}
	close(out);
	return 0;
}

bool vs_cdev_bound(const struct vfr_root *r, const char *addr, struct vs_cdev_record *ret)
{
	struct vs_cdev_record rec;
	char path[PATH_MAX];
	int fd, locked;

	if (record_read(r, addr, &rec) < 0)
		return false;
	if (snprintf(path, sizeof(path), "%s%s", r->path, rec.node) >= (int)sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* A fresh open file sees the lock of any other, this process's included. */
	locked = bound_lock(fd, F_OFD_GETLK, F_WRLCK);
	close(fd);
	if (locked <= 0)
		return false;
	if (ret)
		*ret = rec;
	return true;
}

bool vs_cdev_bound_by(const struct vfr_root *r, int fd, const char *addr,
		      struct vs_cdev_record *ret)
{
	/* Bound by someone; then by @fd's open file exactly when it can take the lock. */
	if (!vs_cdev_bound(r, addr, ret))
		return false;
	return bound_lock(fd, F_OFD_SETLK, F_WRLCK) == 0;
}
