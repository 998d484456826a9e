/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO side of the simulated kernel: descriptors of /dev/vfio/vfio
 * (containers), /dev/vfio/N (groups), /dev/vfio/devices/vfioN (cdevs) and
 * /dev/iommu, with the ioctls of <linux/vfio.h> and <linux/iommufd.h> and
 * the kernel's errnos (drivers/vfio/container.c, group.c, device_cdev.c,
 * iommufd/main.c, ioas.c). The device files' own ioctls are in
 * vfio-device.c, the shared state in vfio-state.c (vfio-internal.h says how
 * objects and descriptors relate).
 *
 * The cdev and /dev/iommu answer only when ROOT/.vfr-mock/host says
 * "vfio_cdev 1" (a kernel with CONFIG_VFIO_DEVICE_CDEV and CONFIG_IOMMUFD);
 * otherwise they stay plain files whose ioctls fail with ENOTTY.
 */
#include "vfio-internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct vobj *objects;
static struct {
	int fd;
	struct vobj *o;
} *fds;
static size_t nfds, capfds;

void vfio_lock(void)
{
	pthread_mutex_lock(&lock);
}

void vfio_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

void vfio_atfork_child(void)
{
	pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;

	lock = init;
}

struct vobj *vobj_first(void)
{
	return objects;
}

struct vobj *vobj_of_fd(int fd)
{
	for (size_t i = 0; i < nfds; i++)
		if (fds[i].fd == fd)
			return fds[i].o;
	return NULL;
}

bool vobj_of_root(const struct vobj *o, const struct vfr_root *r)
{
	return strcmp(o->root, r->path) == 0;
}

struct vobj *vobj_new(const struct vfr_root *r, enum vkind kind)
{
	struct vobj *o = calloc(1, sizeof(*o));

	if (!o || !(o->root = strdup(r->path))) {
		free(o);
		return NULL;
	}
	o->kind = kind;
	o->refs = 1;
	o->group = -1;
	if (kind == VK_IOMMUFD) {
		static unsigned long serial;
		struct timespec ts;

		/* Unique across processes: what cdev-ADDR records a binding's context as. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(o->token, sizeof(o->token), "%d.%lld.%lu", (int)getpid(),
			 (long long)ts.tv_sec * 1000000000 + ts.tv_nsec, ++serial);
	}
	o->next = objects;
	objects = o;
	return o;
}

static void unbind_cdev(struct vobj *o)
{
	if (!o->ictx)
		return;
	vdev_detach(o);
	ictx_free(o->ictx, o->devid);
	vobj_put(o->ictx);
	o->ictx = NULL;
	o->access = false;
	/* The binding itself (cdev-ADDR's lock) goes with the last close of its open file. */
}

/* Detaches a group from its container; the container forgets its IOMMU with its last group. */
static void group_unset(struct vobj *g)
{
	struct vobj *c = g->container;

	if (!c)
		return;
	g->container = NULL;
	if (--c->ngroups == 0)
		c->iommu = 0;
	vobj_put(c);
}

void vobj_put(struct vobj *o)
{
	if (!o || --o->refs > 0)
		return;
	for (struct vobj **p = &objects; *p; p = &(*p)->next) {
		if (*p == o) {
			*p = o->next;
			break;
		}
	}
	if (o->kind == VK_GROUP)
		group_unset(o);
	if (o->kind == VK_CDEV)
		unbind_cdev(o);
	if (o->kind == VK_DEVICE)
		vobj_put(o->from);
	free(o->root);
	free(o);
}

static int map_fd(int fd, struct vobj *o)
{
	if (nfds == capfds) {
		size_t cap = capfds ? capfds * 2 : 16;
		void *bigger = realloc(fds, cap * sizeof(*fds));

		if (!bigger)
			return -ENOMEM;
		fds = bigger;
		capfds = cap;
	}
	fds[nfds].fd = fd;
	fds[nfds].o = o;
	nfds++;
	return 0;
}

static struct vobj *unmap_fd(int fd)
{
	for (size_t i = 0; i < nfds; i++) {
		if (fds[i].fd == fd) {
			struct vobj *o = fds[i].o;

			fds[i] = fds[--nfds];
			return o;
		}
	}
	return NULL;
}

int vobj_install(struct vobj *o, int fd, const char *node)
{
	struct stat st;

	vobj_put(unmap_fd(fd)); /* a number closed behind the wrappers' back */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (map_fd(fd, o) < 0)
		return -ENOMEM;
	o->refs++;
	fdt_set(fd, node, node, &st, O_RDWR);
	return fd;
}

/* @text's decimal number after @prefix, -1 when it is not exactly that. */
static long number_after(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);
	char *end;
	long n;

	if (strncmp(text, prefix, len) != 0 || !isdigit((unsigned char)text[len]))
		return -1;
	n = strtol(text + len, &end, 10);
	return *end ? -1 : n;
}

/*
 * A group file over exec(): its open file holds the node's lock already,
 * and taking it again through @fd is a no-op; when another open file holds
 * it, @fd is no group file of the simulation. Which container it was set
 * on is the old image's memory: it is not known here.
 */
static struct vobj *group_adopt(const struct vfr_root *r, int fd, int group)
{
	struct vobj *o;

	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || !(o = vobj_new(r, VK_GROUP)))
		return NULL;
	o->group = group;
	return o;
}

/* A cdev's function, from its node's index. */
static bool cdev_addr(const struct vfr_root *r, long index, char *addr, size_t size)
{
	struct kctx k;
	struct kdev d;
	bool found;

	if (index < 0 || index > INT32_MAX || !vs_host_flag(r, "vfio_cdev") || !k_begin(&k, r))
		return false;
	found = vs_cdev_device(&k, (int)index, &d) == 0;
	k_end(&k);
	if (found)
		snprintf(addr, size, "%s", d.addr);
	return found;
}

struct vobj *vobj_lookup(const struct vfr_root *r, int fd)
{
	const char *held = "/.vfr-mock/vfio/held-";
	char node[PATH_MAX], name[PATH_MAX], addr[32];
	struct vobj *o = vobj_of_fd(fd);
	struct stat st;
	long n;

	/* Known already, or a file the wrappers opened that is no vfio file. */
	if (o || fdt_has(fd))
		return o;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != r->dev ||
	    !node_of_fd(r, fd, node))
		return NULL;
	if (strncmp(node, held, strlen(held)) == 0 && is_address(node + strlen(held))) {
		o = vdev_adopt(r, VK_DEVICE, fd, node + strlen(held));
		if (o)
			snprintf(name, sizeof(name), "/dev/vfio/%d/%s", o->group, o->addr);
	} else if ((n = number_after(node, "/dev/vfio/devices/vfio")) >= 0) {
		if (cdev_addr(r, n, addr, sizeof(addr)))
			o = vdev_adopt(r, VK_CDEV, fd, addr);
		snprintf(name, sizeof(name), "%s", node);
	} else if ((n = number_after(node, "/dev/vfio/")) >= 0 && n <= INT32_MAX) {
		o = group_adopt(r, fd, (int)n);
		snprintf(name, sizeof(name), "%s", node);
	}
	if (!o)
		return NULL;
	if (map_fd(fd, o) < 0) {
		vobj_put(o);
		return NULL;
	}
	fdt_set(fd, name, name, &st, O_RDWR);
	return o;
}

bool vfio_adopt(const struct vfr_root *r, int fd)
{
	struct vobj *o;

	vfr_busy++;
	vfio_lock();
	o = vobj_lookup(r, fd);
	vfio_unlock();
	vfr_busy--;
	return o != NULL;
}

uint32_t ictx_alloc(struct vobj *ictx, enum vid_type type)
{
	uint32_t id = 1;

	if (ictx->nids == VFIO_MAX_IDS)
		return 0;
	while (ictx_find(ictx, id) >= 0)
		id++;
	ictx->ids[ictx->nids] = id;
	ictx->types[ictx->nids] = (unsigned char)type;
	ictx->nids++;
	return id;
}

int ictx_find(const struct vobj *ictx, uint32_t id)
{
	for (size_t i = 0; i < ictx->nids; i++)
		if (ictx->ids[i] == id)
			return (int)i;
	return -1;
}

void ictx_free(struct vobj *ictx, uint32_t id)
{
	int i = ictx_find(ictx, id);

	if (i < 0)
		return;
	ictx->ids[i] = ictx->ids[ictx->nids - 1];
	ictx->types[i] = ictx->types[ictx->nids - 1];
	ictx->nids--;
}

/*
 * vfio_group_fops_open(): one open file per group, none while a member is
 * cdev-bound. The open file @fd itself holds the node's lock.
 */
static int group_open(const struct vfr_root *r, int fd, int group, struct vobj **ret)
{
	struct kctx k;
	struct vobj *o;
	bool cdev;

	if (!k_begin(&k, r))
		return -EIO;
	cdev = vs_group_cdev_bound(&k, group);
	k_end(&k);
	if (cdev)
		return -EBUSY;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (!(o = vobj_new(r, VK_GROUP)))
		return -ENOMEM;
	o->group = group;
	*ret = o;
	return 0;
}

int vfio_open(const struct vfr_root *r, int fd, const char *node, int flags)
{
	struct vobj *o = NULL;
	const char *rest;
	char *end;
	long n;
	int ret = 0;

	/* An O_PATH descriptor never reaches the driver's open(). */
	if (flags & O_PATH)
		return 0;
	vfio_lock();
	/* The number may have been closed behind the wrappers' back: whatever it was is gone. */
	vobj_put(unmap_fd(fd));
	if (strcmp(node, "/dev/vfio/vfio") == 0) {
		o = vobj_new(r, VK_CONTAINER);
	} else if (strcmp(node, "/dev/iommu") == 0) {
		if (vs_host_flag(r, "vfio_cdev"))
			o = vobj_new(r, VK_IOMMUFD);
		else
			goto out; /* no CONFIG_IOMMUFD: a plain file */
	} else if (strncmp(node, "/dev/vfio/devices/", strlen("/dev/vfio/devices/")) == 0) {
		rest = node + strlen("/dev/vfio/devices/");
		if (strncmp(rest, "vfio", 4) != 0 || !isdigit((unsigned char)rest[4]) ||
		    !vs_host_flag(r, "vfio_cdev"))
			goto out;
		n = strtol(rest + 4, &end, 10);
		if (*end || n < 0)
			goto out;
		{
			struct kctx k;
			struct kdev d;

			if (!k_begin(&k, r)) {
				ret = -EIO;
				goto out;
			}
			ret = vs_cdev_device(&k, (int)n, &d);
			k_end(&k);
			if (ret < 0)
				goto out;
			/* vfio_device_fops_cdev_open(): the file holds the registration. */
			if (!(o = vdev_new_cdev(r, fd, d.addr)))
				ret = errno == EBUSY ? -ENODEV : -errno;
		}
	} else if (strncmp(node, "/dev/vfio/", strlen("/dev/vfio/")) == 0) {
		rest = node + strlen("/dev/vfio/");
		n = strtol(rest, &end, 10);
		if (!*rest || *end || n < 0)
			goto out;
		ret = group_open(r, fd, (int)n, &o);
	} else {
		goto out;
	}
	if (ret == 0 && !o)
		ret = -ENOMEM;
	if (ret == 0 && map_fd(fd, o) < 0) {
		vobj_put(o);
		ret = -ENOMEM;
	}
out:
	vfio_unlock();
	return ret;
}

void vfio_close(int fd)
{
	vfr_busy++;
	vfio_lock();
	vobj_put(unmap_fd(fd));
	vfio_unlock();
	vfr_busy--;
}

void vfio_dup(int oldfd, int newfd)
{
	struct vobj *o;

	vfr_busy++;
	vfio_lock();
	vobj_put(unmap_fd(newfd));
	o = vobj_of_fd(oldfd);
	if (o && map_fd(newfd, o) == 0)
		o->refs++;
	vfio_unlock();
	vfr_busy--;
}

/* vfio_ioctl_check_extension() with type1 registered (and no noiommu, no sPAPR). */
static int container_check_extension(const struct vobj *c, unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		/* Asked of the domains: none before the IOMMU is set. */
		return c->iommu ? 1 : 0;
	default:
		return 0;
	}
}

static int container_get_info(struct vfio_iommu_type1_info *info)
{
	const size_t minsz = offsetof(struct vfio_iommu_type1_info, cap_offset);
	struct {
		struct vfio_iommu_type1_info_cap_iova_range cap;
		struct vfio_iova_range ranges[2];
	} caps = {
		.cap.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 },
		.cap.nr_iovas = 2,
		/* x86: everything but the MSI window (iommu_get_resv_regions()). */
		.ranges = { { 0, 0xfedfffffULL }, { 0xfef00000ULL, (1ULL << 48) - 1 } },
	};

	if (info->argsz < minsz)
		return -EINVAL;
	info->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info->iova_pgsizes = 0x40201000ULL; /* 4K | 2M | 1G */
	if (info->argsz < sizeof(*info) + sizeof(caps)) {
		/* Too small for the capabilities: say how much is needed. */
		if (info->argsz >= sizeof(*info))
			info->cap_offset = 0;
		info->argsz = sizeof(*info) + sizeof(caps);
	} else {
		info->cap_offset = sizeof(*info);
		memcpy((char *)info + sizeof(*info), &caps, sizeof(caps));
	}
	return 0;
}

static int container_ioctl(struct vobj *c, unsigned long request, void *arg)
{
	unsigned long value = (unsigned long)arg;

	switch (request) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return container_check_extension(c, value);
	case VFIO_SET_IOMMU:
		/* Only attaching a group gives the privilege of enabling the IOMMU. */
		if (c->ngroups == 0 || c->iommu)
			return -EINVAL;
		if (value != VFIO_TYPE1_IOMMU && value != VFIO_TYPE1v2_IOMMU)
			return -ENODEV;
		c->iommu = value;
		return 0;
	}
	/* Everything else goes to the IOMMU driver, and there is none yet. */
	if (!c->iommu)
		return -EINVAL;
	switch (request) {
	case VFIO_IOMMU_GET_INFO:
		return container_get_info(arg);
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map *map = arg;

		if (map->argsz < sizeof(*map) || !map->size)
			return -EINVAL;
		return 0;
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *unmap = arg;

		if (unmap->argsz < offsetof(struct vfio_iommu_type1_dma_unmap, data))
			return -EINVAL;
		return 0; /* size stays: what was asked was unmapped */
	}
	default:
		return -ENOTTY;
	}
}

static int group_set_container(const struct vfr_root *r, struct vobj *g, const int *arg)
{
	struct vobj *c;
	struct kctx k;
	bool viable;

	if (fcntl(*arg, F_GETFD) < 0)
		return -EBADF;
	if (g->container)
		return -EINVAL;
	c = vobj_lookup(r, *arg);
	/* An iommufd here is the compat mode; not modelled: treated as unknown. */
	if (!c || c->kind != VK_CONTAINER)
		return -EBADFD;
	if (!k_begin(&k, r))
		return -EIO;
	viable = vs_group_viable(&k, g->group);
	k_end(&k);
	/* iommu_group_claim_dma_owner(): a host driver in the group owns its DMA. */
	if (!viable)
		return -EPERM;
	g->container = c;
	c->refs++;
	c->ngroups++;
	return 0;
}

/* Device files of @g still open: the container has other users. */
static bool group_has_devices(const struct vobj *g)
{
	for (const struct vobj *o = vobj_first(); o; o = o->next)
		if (o->kind == VK_DEVICE && o->from == g)
			return true;
	return false;
}

static int group_get_device_fd(const struct vfr_root *r, struct vobj *g, const char *name)
{
	char node[PATH_MAX], drv[256];
	struct vobj *d;
	struct kctx k;
	struct kdev dev;
	bool member;
	int fd, ret;

	if (!k_begin(&k, r))
		return -EIO;
	/* vfio_device_get_from_name(): the vfio devices of this group only. */
	member = k_find_dev(&k, name, &dev) == 0 && k_group_of(&k, &dev) == g->group &&
		 k_driver_of(&k, &dev, drv, sizeof(drv)) && k_driver_is_vfio(&k, drv);
	k_end(&k);
	if (!member)
		return -ENODEV;
	if (!g->container || !g->container->iommu)
		return -EINVAL;
	if (!(d = vdev_new_file(r, dev.addr, g->group, &fd)))
		return errno == EBUSY ? -ENODEV : -errno;
	d->from = g;
	g->refs++;
	snprintf(node, sizeof(node), "/dev/vfio/%d/%s", g->group, dev.addr);
	if ((ret = vobj_install(d, fd, node)) < 0)
		close(fd);
	vobj_put(d);
	return ret < 0 ? ret : fd;
}

static int group_ioctl(const struct vfr_root *r, struct vobj *g, unsigned long request,
		       void *arg)
{
	if (!arg && (request == VFIO_GROUP_GET_STATUS || request == VFIO_GROUP_SET_CONTAINER ||
		     request == VFIO_GROUP_GET_DEVICE_FD))
		return -EFAULT;
	switch (request) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;
		struct kctx k;

		if (st->argsz < sizeof(*st))
			return -EINVAL;
		st->flags = 0;
		if (g->container) {
			st->flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
		} else if (k_begin(&k, r)) {
			if (vs_group_viable(&k, g->group))
				st->flags = VFIO_GROUP_FLAGS_VIABLE;
			k_end(&k);
		}
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER:
		return group_set_container(r, g, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!g->container)
			return -EINVAL;
		if (group_has_devices(g))
			return -EBUSY;
		group_unset(g);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		return group_get_device_fd(r, g, arg);
	default:
		return -ENOTTY;
	}
}

/* The first u32 is the size the caller knows; shorter than the kernel's minimum: EINVAL. */
static int iommufd_ioctl(struct vobj *ictx, unsigned long request, void *arg)
{
	uint32_t size = *(uint32_t *)arg;
	int i;

	switch (request) {
	case IOMMU_DESTROY: {
		struct iommu_destroy *cmd = arg;

		if (size < sizeof(*cmd))
			return -EINVAL;
		if ((i = ictx_find(ictx, cmd->id)) < 0)
			return -ENOENT;
		if (ictx->types[i] == VID_DEVICE)
			return -ENOENT; /* devices go with their file, not by id */
		for (const struct vobj *o = vobj_first(); o; o = o->next)
			if (o->kind == VK_CDEV && o->ictx == ictx &&
			    (o->pt_id == cmd->id || o->ioas == cmd->id))
				return -EBUSY;
		ictx_free(ictx, cmd->id);
		return 0;
	}
	case IOMMU_IOAS_ALLOC: {
		struct iommu_ioas_alloc *cmd = arg;

		if (size < sizeof(*cmd))
			return -EINVAL;
		if (cmd->flags)
			return -EOPNOTSUPP;
		if (!(cmd->out_ioas_id = ictx_alloc(ictx, VID_IOAS)))
			return -ENOMEM;
		return 0;
	}
	case IOMMU_IOAS_MAP: {
		struct iommu_ioas_map *cmd = arg;

		if (size < sizeof(*cmd))
			return -EINVAL;
		if (cmd->flags & ~(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
				   IOMMU_IOAS_MAP_READABLE) ||
		    cmd->__reserved)
			return -EOPNOTSUPP;
		if ((i = ictx_find(ictx, cmd->ioas_id)) < 0 || ictx->types[i] != VID_IOAS)
			return -ENOENT;
		if (!cmd->length || !(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE |
						    IOMMU_IOAS_MAP_READABLE)))
			return -EINVAL;
		if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
			cmd->iova = cmd->user_va; /* any free IOVA will do */
		return 0;
	}
	case IOMMU_IOAS_UNMAP: {
		struct iommu_ioas_unmap *cmd = arg;

		if (size < sizeof(*cmd))
			return -EINVAL;
		if ((i = ictx_find(ictx, cmd->ioas_id)) < 0 || ictx->types[i] != VID_IOAS)
			return -ENOENT;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

bool vfio_ioctl(const struct vfr_root *r, int fd, const struct fd_info *fi,
		unsigned long request, void *arg, int *ret)
{
	struct vobj *o;
	int res;
	(void)fi;

	vfio_lock();
	o = vobj_lookup(r, fd);
	if (!o) {
		/* Not a vfio file (a node with no such kernel support): a plain file. */
		vfio_unlock();
		*ret = -1;
		errno = ENOTTY;
		return true;
	}
	o->refs++;
	switch (o->kind) {
	case VK_CONTAINER:
		res = container_ioctl(o, request, arg);
		break;
	case VK_GROUP:
		res = group_ioctl(r, o, request, arg);
		break;
	case VK_IOMMUFD:
		res = arg ? iommufd_ioctl(o, request, arg) : -EFAULT;
		break;
	default:
		res = vdev_ioctl(r, o, fd, request, arg);
		break;
	}
	vobj_put(o);
	vfio_unlock();
	if (res < 0) {
		*ret = -1;
		errno = -res;
	} else {
		*ret = res;
	}
	return true;
}
