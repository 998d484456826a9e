/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device files: the ones VFIO_GROUP_GET_DEVICE_FD returns and the cdevs
 * (/dev/vfio/devices/vfioN) once bound to an iommufd. VFIO_DEVICE_GET_INFO,
 * VFIO_DEVICE_RESET (the reset methods, as the sysfs `reset` store runs
 * them), and the hot reset: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO and
 * VFIO_DEVICE_PCI_HOT_RESET, in the order and with the errnos of
 * drivers/vfio/pci/vfio_pci_core.c (Linux 6.6 on; the group-fd form is also
 * what 6.1 does, except that it took no empty array at all).
 *
 * The reset scope is the bus (a slot reset covers the same functions behind
 * a PCIe port): every function on the caller's bus and on the buses below.
 * The vfio-pci "dev_set" of that scope is the vfio-bound functions on the
 * caller's bus. Ownership is checked against this process's open files.
 */
#include "vfio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* vfio_pci_core_enable(): reset_works is whether a function reset can run at open. */
static bool reset_works(const struct vfr_root *r, const char *addr)
{
	struct kctx k;
	struct kdev d;
	bool works = false;

	if (!k_begin(&k, r))
		return false;
	if (k_find_dev(&k, addr, &d) == 0)
		works = k_reset_supported(&k, &d);
	k_end(&k);
	return works;
}

static int group_of(const struct vfr_root *r, const char *addr)
{
	struct kctx k;
	struct kdev d;
	int group = -1;

	if (k_begin(&k, r)) {
		if (k_find_dev(&k, addr, &d) == 0)
			group = k_group_of(&k, &d);
		k_end(&k);
	}
	return group;
}

static struct vobj *device_obj(const struct vfr_root *r, enum vkind kind, const char *addr,
			       int group)
{
	struct vobj *o = vobj_new(r, kind);

	if (!o) {
		errno = ENOMEM;
		return NULL;
	}
	o->group = group < 0 ? group_of(r, addr) : group;
	snprintf(o->addr, sizeof(o->addr), "%s", addr);
	return o;
}

struct vobj *vdev_new_file(const struct vfr_root *r, const char *addr, int group, int *ret_fd)
{
	struct vobj *o;
	bool first;
	int fd = vs_device_file(r, addr, &first);

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (!(o = device_obj(r, VK_DEVICE, addr, group))) {
		close(fd);
		return NULL;
	}
	/* vfio_pci_core_enable() runs at the first open only; later ones share its answer. */
	if (first)
		vs_device_set_reset_works(fd, reset_works(r, addr));
	o->reset_works = vs_device_reset_works(fd);
	o->access = true;
	*ret_fd = fd;
	return o;
}

struct vobj *vdev_new_cdev(const struct vfr_root *r, int fd, const char *addr)
{
	int ret = vs_cdev_hold(r, fd, addr);

	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	return device_obj(r, VK_CDEV, addr, -1);
}

struct vobj *vdev_adopt(const struct vfr_root *r, enum vkind kind, int fd, const char *addr)
{
	struct vs_cdev_record rec;
	struct vobj *o, *ictx;

	/* Its open file holds the device already: taking the same lock again changes nothing. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 || !(o = device_obj(r, kind, addr, -1)))
		return NULL;
	if (kind == VK_DEVICE) {
		o->reset_works = vs_device_reset_works(fd);
		o->access = true;
		return o;
	}
	/*
	 * A cdev bound by this open file: its context is another process's (the
	 * iommufd did not come along), known by the name the binding recorded.
	 */
	if (!vs_cdev_bound_by(r, fd, addr, &rec))
		return o;
	if (!(ictx = vobj_new(r, VK_IOMMUFD))) {
		vobj_put(o);
		return NULL;
	}
	snprintf(ictx->token, sizeof(ictx->token), "%s", rec.token);
	o->ictx = ictx;
	o->devid = rec.devid;
	o->reset_works = rec.reset_works;
	o->access = true;
	return o;
}

void vdev_detach(struct vobj *o)
{
	uint32_t pt = o->pt_id;

	if (!pt)
		return;
	o->pt_id = 0;
	o->ioas = 0;
	for (const struct vobj *c = vobj_first(); c; c = c->next)
		if (c->kind == VK_CDEV && c->ictx == o->ictx && c->pt_id == pt)
			return;
	ictx_free(o->ictx, pt);
}

/* Another member of @o's group is bound to an iommufd other than @ictx. */
static bool group_in_other_ctx(const struct vfr_root *r, const struct vobj *o,
			       const struct vobj *ictx)
{
	struct kctx k;
	bool other = false;
	char **names;
	size_t n;

	if (o->group < 0 || !k_begin(&k, r))
		return false;
	names = vs_group_members(&k, o->group, &n);
	k_end(&k);
	for (size_t i = 0; i < n && !other; i++) {
		const struct vobj *c = NULL;
		struct vs_cdev_record rec;

		if (strcmp(names[i], o->addr) == 0)
			continue;
		for (c = vobj_first(); c; c = c->next)
			if (c->kind == VK_CDEV && c->access && vobj_of_root(c, r) &&
			    strcmp(c->addr, names[i]) == 0)
				break;
		/* Bound in another process: another context, unless the binding names this one. */
		other = c ? c->ictx != ictx
			  : vs_cdev_bound(r, names[i], &rec) && strcmp(rec.token, ictx->token) != 0;
	}
	k_names_free(names);
	return other;
}

static bool group_viable(const struct vfr_root *r, int group)
{
	struct kctx k;
	bool viable = true;

	if (k_begin(&k, r)) {
		viable = vs_group_viable(&k, group);
		k_end(&k);
	}
	return viable;
}

/* vfio_df_ioctl_bind_iommufd(); @fd is the cdev's descriptor, whose open file is bound. */
static int cdev_bind(const struct vfr_root *r, struct vobj *o, int fd,
		     struct vfio_device_bind_iommufd *b)
{
	struct vs_cdev_record rec = { .devid = 0 };
	struct vobj *ictx;
	uint32_t devid;
	int ret;

	if (!b)
		return -EFAULT;
	if (b->argsz < sizeof(*b) || b->flags || b->iommufd < 0)
		return -EINVAL;
	/* vfio_device_block_group(): the group is open through /dev/vfio/N. */
	if (vs_group_open(r, o->group))
		return -EBUSY;
	if (o->access)
		return -EINVAL; /* one device file cannot be bound twice */
	if (fcntl(b->iommufd, F_GETFD) < 0)
		return -EBADF;
	ictx = vobj_lookup(r, b->iommufd);
	if (!ictx || ictx->kind != VK_IOMMUFD)
		return -EBADFD;
	/*
	 * iommufd_device_bind() -> iommu_device_claim_dma_owner(): a member on a
	 * driver that uses the DMA API itself (shpchp on the bridge) owns the
	 * group's DMA: EPERM, as SET_CONTAINER refuses a group that is not viable.
	 */
	if (o->group >= 0 && !group_viable(r, o->group))
		return -EPERM;
	/* iommufd_device_bind(): the group's DMA belongs to one context at a time. */
	if (group_in_other_ctx(r, o, ictx))
		return -EBUSY;
	if (!fdt_node(fd, rec.node))
		return -EBADF;
	if (!(devid = ictx_alloc(ictx, VID_DEVICE)))
		return -ENOMEM;
	snprintf(rec.token, sizeof(rec.token), "%s", ictx->token);
	rec.devid = devid;
	rec.reset_works = reset_works(r, o->addr);
	/* vfio_df_open(): only the group path opens a device more than once. */
	ret = vs_cdev_bind(r, fd, o->addr, &rec);
	if (ret < 0) {
		ictx_free(ictx, devid);
		return ret == -EBUSY ? -EINVAL : ret;
	}
	o->devid = devid;
	o->ictx = ictx;
	ictx->refs++;
	o->access = true;
	o->reset_works = rec.reset_works;
	b->out_devid = o->devid;
	return 0;
}

/* An IOAS gets the automatic page table its devices share; a page table is taken as is. */
static int cdev_attach(struct vobj *o, struct vfio_device_attach_iommufd_pt *a)
{
	uint32_t hwpt = 0;
	int i;

	if (!a)
		return -EFAULT;
	if (o->kind != VK_CDEV || a->argsz < sizeof(*a) || a->flags)
		return -EINVAL;
	i = ictx_find(o->ictx, a->pt_id);
	if (i < 0 || o->ictx->types[i] == VID_DEVICE)
		return -ENOENT;
	if (o->ictx->types[i] == VID_HWPT) {
		vdev_detach(o);
		o->pt_id = a->pt_id;
		return 0;
	}
	for (const struct vobj *c = vobj_first(); c && !hwpt; c = c->next)
		if (c != o && c->kind == VK_CDEV && c->ictx == o->ictx && c->ioas == a->pt_id)
			hwpt = c->pt_id;
	vdev_detach(o);
	if (!hwpt && !(hwpt = ictx_alloc(o->ictx, VID_HWPT)))
		return -ENOMEM;
	o->ioas = a->pt_id;
	o->pt_id = hwpt;
	a->pt_id = hwpt;
	return 0;
}

static int device_get_info(const struct vobj *o, struct vfio_device_info *info)
{
	const size_t minsz = offsetof(struct vfio_device_info, num_irqs) + sizeof(info->num_irqs);

	if (!info)
		return -EFAULT;
	if (info->argsz < minsz)
		return -EINVAL;
	info->flags = VFIO_DEVICE_FLAGS_PCI | (o->reset_works ? VFIO_DEVICE_FLAGS_RESET : 0);
	info->num_regions = VFIO_PCI_NUM_REGIONS;
	info->num_irqs = VFIO_PCI_NUM_IRQS;
	return 0;
}

/* vfio_pci_ioctl_reset(): pci_try_reset_function(), the same methods as sysfs `reset`. */
static int device_reset(const struct vfr_root *r, const struct vobj *o)
{
	struct kctx k;
	struct kdev d;
	int ret;

	if (!o->reset_works)
		return -EINVAL;
	vfio_unlock(); /* a reset may take long or hang: other files stay usable */
	if (!k_begin(&k, r)) {
		vfio_lock();
		return -EIO;
	}
	if ((ret = k_find_dev(&k, o->addr, &d)) == 0) {
		journal(r, "device_reset %s", o->addr);
		ret = k_reset(&k, &d, "1", 1);
	}
	k_end(&k);
	vfio_lock();
	return ret;
}

static void encode(const char *addr, struct vfr_pci_dependent_device *e)
{
	unsigned int domain = 0, bus = 0, slot = 0, fn = 0;

	sscanf(addr, "%x:%x:%x.%u", &domain, &bus, &slot, &fn);
	e->segment = (__u16)domain;
	e->bus = (__u8)bus;
	e->devfn = (__u8)(slot << 3 | fn);
}

/*
 * The devid entry of @x for the cdev @o on @d (vfio_pci_fill_devs() with
 * vfio_iommufd_get_dev_id()): its id when bound in @o's iommufd, OWNED when
 * it shares an IOMMU group with a function bound there, else NOT_OWNED;
 * always NOT_OWNED outside the dev_set.
 */
static uint32_t devid_of(struct kctx *k, const struct vobj *o, const struct kdev *d,
			 const struct kdev *x)
{
	struct vs_cdev_record rec;
	char **members;
	bool owned = false;
	size_t n;
	int group;

	if (!vs_vfio_bound(k, x) || !vs_same_bus(x, d))
		return (uint32_t)VFIO_PCI_DEVID_NOT_OWNED;
	for (const struct vobj *c = vobj_first(); c; c = c->next)
		if (c->kind == VK_CDEV && c->access && c->ictx == o->ictx &&
		    strcmp(c->addr, x->addr) == 0)
			return c->devid;
	/* Bound in this context by another process: a cdev passed over exec() sees its caller's. */
	if (vs_cdev_bound(k->r, x->addr, &rec) && strcmp(rec.token, o->ictx->token) == 0)
		return rec.devid;
	if ((group = k_group_of(k, x)) < 0)
		return (uint32_t)VFIO_PCI_DEVID_NOT_OWNED;
	for (const struct vobj *c = vobj_first(); c; c = c->next)
		if (c->kind == VK_CDEV && c->access && c->ictx == o->ictx && c->group == group)
			return VFIO_PCI_DEVID_OWNED;
	members = vs_group_members(k, group, &n);
	for (size_t i = 0; i < n && !owned; i++)
		owned = vs_cdev_bound(k->r, members[i], &rec) &&
			strcmp(rec.token, o->ictx->token) == 0;
	k_names_free(members);
	return owned ? VFIO_PCI_DEVID_OWNED : (uint32_t)VFIO_PCI_DEVID_NOT_OWNED;
}

/* The caller's function and the bus-reset scope; -ENODEV when there is none. */
static int scope(struct kctx *k, const struct vobj *o, struct kdev *d, struct kdev **aff,
		 size_t *n)
{
	int r = k_find_dev(k, o->addr, d);

	return r < 0 ? r : vs_bus_affected(k, d, aff, n);
}

/* vfio_pci_ioctl_get_pci_hot_reset_info() */
static int hot_reset_info(const struct vfr_root *r, const struct vobj *o,
			  struct vfio_pci_hot_reset_info *h)
{
	struct vfr_pci_dependent_device *out;
	struct kdev d, *aff = NULL;
	struct kctx k;
	size_t n = 0;
	uint32_t flags = 0;
	int ret;

	if (!h)
		return -EFAULT;
	if (h->argsz < sizeof(*h))
		return -EINVAL;
	h->flags = 0;
	if (!k_begin(&k, r))
		return -EIO;
	if ((ret = scope(&k, o, &d, &aff, &n)) < 0)
		goto out;
	if (h->argsz < sizeof(*h) + n * sizeof(*out)) {
		/* The header alone: the count, and flags 0 even in cdev mode. */
		h->count = (__u32)n;
		ret = -ENOSPC;
		goto out;
	}
	out = (struct vfr_pci_dependent_device *)h->devices;
	if (o->kind == VK_CDEV)
		flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID | VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	for (size_t i = 0; i < n; i++) {
		struct vfr_pci_dependent_device e;

		encode(aff[i].addr, &e);
		if (o->kind == VK_CDEV) {
			e.devid = devid_of(&k, o, &d, &aff[i]);
			if (e.devid == (uint32_t)VFIO_PCI_DEVID_NOT_OWNED)
				flags &= ~(uint32_t)VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
		} else {
			int group = k_group_of(&k, &aff[i]);

			/* "Cannot reset non-isolated devices" */
			if (group < 0) {
				ret = -EPERM;
				goto out;
			}
			e.group_id = (__u32)group;
		}
		memcpy(&out[i], &e, sizeof(e));
	}
	h->count = (__u32)n;
out:
	h->flags = flags;
	k_end(&k);
	free(aff);
	return ret;
}

static bool has_group(const int *groups, size_t n, int group)
{
	for (size_t i = 0; i < n; i++)
		if (group >= 0 && groups[i] == group)
			return true;
	return false;
}

/* vfio_pci_ioctl_pci_hot_reset() and vfio_pci_dev_set_hot_reset() */
static int hot_reset(const struct vfr_root *r, const struct vobj *o, struct vfio_pci_hot_reset *h)
{
	bool cdev = o->kind == VK_CDEV;
	struct kdev d, *aff = NULL;
	int *groups = NULL;
	struct kctx k;
	size_t n = 0;
	int ret, fd_err = 0;

	if (!h)
		return -EFAULT;
	if (h->argsz < sizeof(*h) || h->flags)
		return -EINVAL;
	/* Group-opened devices prove ownership with group fds; cdev-opened ones with none. */
	if (!!h->count == cdev)
		return -EINVAL;
	/*
	 * The files first: the simulated kernel opens descriptors of its own,
	 * which could take the number of one the caller closed.
	 */
	if (!cdev && !(groups = calloc(h->count, sizeof(*groups))))
		return -ENOMEM;
	for (size_t i = 0; !cdev && i < h->count && !fd_err; i++) {
		const struct vobj *g = vobj_lookup(r, h->group_fds[i]);

		if (!g && fcntl(h->group_fds[i], F_GETFD) < 0)
			fd_err = -EBADF;
		else if (!g || g->kind != VK_GROUP)
			fd_err = -EINVAL; /* only group files: no container, no device file */
		else
			groups[i] = g->group;
	}
	if (!k_begin(&k, r)) {
		free(groups);
		return -EIO;
	}
	if ((ret = scope(&k, o, &d, &aff, &n)) < 0)
		goto out;
	/* Compared with the functions, not the groups: duplicates pass. */
	if (!cdev && (h->count > n || fd_err)) {
		ret = h->count > n ? -EINVAL : fd_err;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		/* Every function of the scope must be in the dev_set: vfio-bound, on this bus. */
		if (!vs_vfio_bound(&k, &aff[i]) || !vs_same_bus(&aff[i], &d)) {
			ret = -EINVAL;
			goto out;
		}
		/* And owned: a group file for its group, or through the iommufd. */
		if (cdev ? devid_of(&k, o, &d, &aff[i]) == (uint32_t)VFIO_PCI_DEVID_NOT_OWNED
			 : !has_group(groups, h->count, k_group_of(&k, &aff[i]))) {
			ret = -EINVAL;
			goto out;
		}
	}
	vfio_unlock(); /* the bus reset may take long or hang */
	ret = k_hot_reset(&k, o->addr, aff, n);
	vfio_lock();
out:
	k_end(&k);
	free(groups);
	free(aff);
	return ret;
}

int vdev_ioctl(const struct vfr_root *r, struct vobj *o, int fd, unsigned long request,
	       void *arg)
{
	if (request == VFIO_DEVICE_BIND_IOMMUFD)
		return o->kind == VK_CDEV ? cdev_bind(r, o, fd, arg) : -EINVAL;
	/* A cdev does nothing else until it is bound. */
	if (!o->access)
		return -EINVAL;
	switch (request) {
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return cdev_attach(o, arg);
	case VFIO_DEVICE_DETACH_IOMMUFD_PT: {
		struct vfio_device_detach_iommufd_pt *dt = arg;

		if (!dt)
			return -EFAULT;
		if (o->kind != VK_CDEV || dt->argsz < sizeof(*dt) || dt->flags)
			return -EINVAL;
		vdev_detach(o);
		return 0;
	}
	case VFIO_DEVICE_GET_INFO:
		return device_get_info(o, arg);
	case VFIO_DEVICE_RESET:
		return device_reset(r, o);
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return hot_reset_info(r, o, arg);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return hot_reset(r, o, arg);
	default:
		return -ENOTTY;
	}
}
