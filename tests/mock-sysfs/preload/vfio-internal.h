/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO side of the simulated kernel (vfio*.c), shared between its files.
 *
 * What one process holds lives in objects, one per open file of the real
 * kernel: a container, a group, a device (from VFIO_GROUP_GET_DEVICE_FD), a
 * cdev, an iommufd context. Descriptors map to objects (dup() shares one),
 * and objects reference each other as the kernel's files do (a device file
 * keeps its group file, a group its container, a bound cdev its iommufd).
 *
 * What processes must agree on is kept in flock(2)ed files below
 * ROOT/.vfr-mock/vfio/, held by descriptors the objects own: a lock goes
 * with the last close of its open file, so with the process's death too,
 * and a forked child shares its parent's, exactly as it shares the
 * kernel's files.
 *
 *   group-N      exclusive while /dev/vfio/N is open (one open at a time)
 *   cdev-ADDR    exclusive while ADDR is bound to an iommufd through its cdev
 *   held-ADDR    shared by every open device file of ADDR; unbind takes it
 *                exclusively, so it waits for the last one to close
 */
#pragma once

#include <stdint.h>

#include "kernel.h"
#include "vfio-uapi.h"

enum vkind {
	VK_CONTAINER = 1, /* /dev/vfio/vfio */
	VK_GROUP = 2,	  /* /dev/vfio/N */
	VK_DEVICE = 3,	  /* a device file from VFIO_GROUP_GET_DEVICE_FD */
	VK_CDEV = 4,	  /* /dev/vfio/devices/vfioN */
	VK_IOMMUFD = 5,	  /* /dev/iommu */
};

/* Objects of an iommufd context: one id space, from 1, as the kernel's xarray. */
enum vid_type {
	VID_IOAS = 1,
	VID_HWPT = 2,
	VID_DEVICE = 3,
};
#define VFIO_MAX_IDS 64

struct vobj {
	struct vobj *next; /* every live object of the process */
	int refs;	   /* descriptors and objects pointing at it */
	enum vkind kind;
	char *root; /* the fixture it belongs to: one process may switch fixtures */
	int group;     /* group, device, cdev: the IOMMU group, -1 when none */
	char addr[32]; /* device, cdev */
	int lock;      /* group: group-N; device, cdev: held-ADDR; -1 when none */

	struct vobj *container; /* group: the container it was set on */
	int ngroups;		/* container: groups set on it */
	unsigned long iommu;	/* container: the IOMMU type set, 0 none */

	struct vobj *from; /* device: the group file it came from */
	bool access;	   /* device: always; cdev: once bound */
	bool reset_works;  /* device, cdev: decided when opened, as vfio-pci does */

	struct vobj *ictx;  /* cdev: the iommufd it is bound to */
	uint32_t devid;	    /* cdev: its id in ictx */
	uint32_t ioas;	    /* cdev: the IOAS attached, 0 none */
	uint32_t pt_id;	    /* cdev: the page table attached (the IOAS's automatic one), 0 none */
	int bound_lock;	    /* cdev: cdev-ADDR while bound, -1 */

	uint32_t ids[VFIO_MAX_IDS]; /* iommufd: live object ids */
	unsigned char types[VFIO_MAX_IDS];
	size_t nids;
};

/* vfio.c: the process's objects. Called with the vfio lock held unless said. */
void vfio_lock(void);
void vfio_unlock(void);
struct vobj *vobj_of_fd(int fd);
struct vobj *vobj_first(void);
/* Whether @o belongs to the fixture @r (objects of a previous fixture are ignored). */
bool vobj_of_root(const struct vobj *o, const struct vfr_root *r);
/* A new object (one reference), in the process's list; NULL when out of memory. */
struct vobj *vobj_new(const struct vfr_root *r, enum vkind kind);
void vobj_put(struct vobj *o);
/* A new descriptor for @o (a reference taken), recorded as @node; -errno. */
int vobj_install(struct vobj *o, const char *node);
/* An iommufd id: the lowest free one from 1; 0 when the table is full. */
uint32_t ictx_alloc(struct vobj *ictx, enum vid_type type);
int ictx_find(const struct vobj *ictx, uint32_t id); /* index or -1 */
void ictx_free(struct vobj *ictx, uint32_t id);

/* vfio-device.c: ioctls on device files (group-obtained and cdev). */
int vdev_ioctl(const struct vfr_root *r, struct vobj *o, unsigned long request, void *arg);
/* Detaches a cdev from its page table, freeing the automatic one with its last user. */
void vdev_detach(struct vobj *o);
/* A device file's object for @addr of group @group (-1: look it up); NULL with errno. */
struct vobj *vdev_new(const struct vfr_root *r, enum vkind kind, const char *addr, int group);

/* vfio-state.c: the cross-process state and the facts the ioctls need. */
/* ROOT/.vfr-mock/vfio/@name opened and flock(@how | LOCK_NB)ed: the fd, or -errno. */
int vs_take(const struct vfr_root *r, const char *name, int how);
/* Whether someone holds a lock on @name (this process's other files included). */
bool vs_taken(const struct vfr_root *r, const char *name);
bool vs_host_flag(const struct vfr_root *r, const char *name);
/* Members of IOMMU group @group, sorted (k_names_free()); NULL when none. */
char **vs_group_members(struct kctx *k, int group, size_t *ret_n);
bool vs_vfio_bound(struct kctx *k, const struct kdev *d);
/* VFIO_GROUP_FLAGS_VIABLE: no member has a driver that uses the DMA API itself. */
bool vs_group_viable(struct kctx *k, int group);
/* A member of @group is bound through its cdev (in any process). */
bool vs_group_cdev_bound(struct kctx *k, int group);
/* The function whose vfio-dev/vfio@index exists; -ENODEV. */
int vs_cdev_device(struct kctx *k, int index, struct kdev *d);
/*
 * The functions a bus reset of @d's bus touches: every function on the bus
 * and on the buses below it, depth first as pci_walk_bus() visits them
 * (malloc'd, free()). -ENODEV when @d sits on a root bus (no bridge to
 * reset it).
 */
int vs_bus_affected(struct kctx *k, const struct kdev *d, struct kdev **ret, size_t *ret_n);
/* Both on the same bus: the vfio-pci dev_set of a bus-reset scope. */
bool vs_same_bus(const struct kdev *a, const struct kdev *b);
