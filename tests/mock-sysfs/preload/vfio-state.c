/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the VFIO ioctls read from the simulated host (group members and
 * their drivers, viability, the bus a reset touches) and the state several
 * processes share through flock(2)ed files (vfio-internal.h), including the
 * wait of an unbind for the last user of a vfio device.
 */
#include "vfio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int lockfile(const struct vfr_root *r, const char *name)
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
	int fd = lockfile(r, name);

	if (fd < 0)
		return fd;
	if (flock(fd, how | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	return fd;
}

bool vs_taken(const struct vfr_root *r, const char *name)
{
	int fd = vs_take(r, name, LOCK_SH);

	if (fd == -EBUSY)
		return true;
	if (fd >= 0)
		close(fd);
	return false;
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

	for (size_t i = 0; i < n && !bound; i++) {
		char name[64];

		snprintf(name, sizeof(name), "cdev-%s", names[i]);
		bound = vs_taken(k->r, name);
	}
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

int vfio_wait_unused(struct kctx *k, const struct kdev *d, const char *drv)
{
	char name[64];
	bool held = k->lock >= 0;
	int fd;

	snprintf(name, sizeof(name), "held-%s", d->addr);
	fd = vs_take(k->r, name, LOCK_EX);
	if (fd != -EBUSY)
		return fd < 0 ? -1 : fd;
	/*
	 * vfio_unregister_group_dev() waits until every device file is closed
	 * (asking the user through the request eventfd meanwhile); the rest of
	 * the kernel goes on. The journal line lets a test know it is waiting.
	 */
	journal(k->r, "wait %s %s", d->addr, drv);
	k_unlock(k);
	fd = lockfile(k->r, name);
	if (fd >= 0)
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
	if (held)
		relock(k);
	return fd;
}
