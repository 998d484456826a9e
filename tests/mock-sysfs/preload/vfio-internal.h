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
 * What processes must agree on is held by the files' own open file
 * descriptions, as the kernel's state is held by its struct file: a lock
 * goes with the last close of its open file - in whatever process holds it
 * then, a forked child or a program it was passed to over exec() - or with
 * the death of the last holder.
 *
 *   /dev/vfio/N          a group file flock(2)s its node exclusively (one
 *                        open at a time)
 *   .vfr-mock/vfio/held-ADDR
 *                        a device file from VFIO_GROUP_GET_DEVICE_FD is a
 *                        descriptor of this file, flock(2)ed shared; its
 *                        content is what the device's first open decided
 *                        (reset_works)
 *   /dev/vfio/devices/vfioN
 *                        a cdev flock(2)s its node shared; once bound to an
 *                        iommufd it also holds an OFD write lock on byte 0,
 *                        and .vfr-mock/vfio/cdev-ADDR records the binding
 *                        (node, context, devid, reset_works)
 *
 * An unbind takes held-ADDR and the cdev node exclusively, so it waits for
 * the last file of the function. A program that inherits such a descriptor
 * over exec() (vfioreset-call) has a fresh preload: it rebuilds the object
 * from what the descriptor is (vfio_adopt()), and the locks are already
 * its own.
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

	/*
	 * iommufd: the context's name in every process (cdev-ADDR's ctx); a
	 * cdev that came over exec() refers to its caller's context by it.
	 */
	char token[48];

	uint32_t ids[VFIO_MAX_IDS]; /* iommufd: live object ids */
	unsigned char types[VFIO_MAX_IDS];
	size_t nids;
};

/* vfio.c: the process's objects. Called with the vfio lock held unless said. */
void vfio_lock(void);
void vfio_unlock(void);
struct vobj *vobj_of_fd(int fd);
/*
 * The object of @fd, or one rebuilt from what @fd is when it came over
 * exec() (a group, device or cdev file); NULL when it is none.
 */
struct vobj *vobj_lookup(const struct vfr_root *r, int fd);
struct vobj *vobj_first(void);
/* Whether @o belongs to the fixture @r (objects of a previous fixture are ignored). */
bool vobj_of_root(const struct vobj *o, const struct vfr_root *r);
/* A new object (one reference), in the process's list; NULL when out of memory. */
struct vobj *vobj_new(const struct vfr_root *r, enum vkind kind);
void vobj_put(struct vobj *o);
/* @fd becomes a descriptor of @o (a reference taken), recorded as @node; -errno. */
int vobj_install(struct vobj *o, int fd, const char *node);
/* An iommufd id: the lowest free one from 1; 0 when the table is full. */
uint32_t ictx_alloc(struct vobj *ictx, enum vid_type type);
int ictx_find(const struct vobj *ictx, uint32_t id); /* index or -1 */
void ictx_free(struct vobj *ictx, uint32_t id);

/* vfio-device.c: ioctls on device files (group-obtained and cdev); @fd is the one called. */
int vdev_ioctl(const struct vfr_root *r, struct vobj *o, int fd, unsigned long request,
	       void *arg);
/* Detaches a cdev from its page table, freeing the automatic one with its last user. */
void vdev_detach(struct vobj *o);
/*
 * A device file for @addr of group @group: its object, and in *@ret_fd the
 * new descriptor (held-ADDR). NULL with errno (EBUSY: an unbind is under way).
 */
struct vobj *vdev_new_file(const struct vfr_root *r, const char *addr, int group, int *ret_fd);
/* The object of the cdev @fd (its node, open) of @addr; NULL with errno. */
struct vobj *vdev_new_cdev(const struct vfr_root *r, int fd, const char *addr);
/* The object of a device file or cdev @fd of @addr that came over exec(); NULL. */
struct vobj *vdev_adopt(const struct vfr_root *r, enum vkind kind, int fd, const char *addr);

/* vfio-state.c: the cross-process state and the facts the ioctls need. */
/* ROOT/.vfr-mock/vfio/@name opened (created): the fd, or -errno. */
int vs_file(const struct vfr_root *r, const char *name);
/* The same, flock(@how | LOCK_NB)ed: the fd, or -errno (-EBUSY: held). */
int vs_take(const struct vfr_root *r, const char *name, int how);
bool vs_host_flag(const struct vfr_root *r, const char *name);
/* /dev/vfio/@group is open (in any process). */
bool vs_group_open(const struct vfr_root *r, int group);
/* A device file or cdev of @d is open (in any process): an unbind would wait. */
bool vs_device_open(struct kctx *k, const struct kdev *d);
/*
 * A new device file of @addr (held-ADDR, flock(2)ed shared), *@ret_first
 * when no other was open; -EBUSY while an unbind is under way.
 */
int vs_device_file(const struct vfr_root *r, const char *addr, bool *ret_first);
void vs_device_set_reset_works(int fd, bool works);
bool vs_device_reset_works(int fd);
/* The cdev @fd of @addr holds the device (flock shared on its node); -EBUSY: unbinding. */
int vs_cdev_hold(const struct vfr_root *r, int fd, const char *addr);
/* What cdev-ADDR records of a binding. */
struct vs_cdev_record {
	char node[PATH_MAX]; /* "/dev/vfio/devices/vfio3" */
	char token[48];	     /* the iommufd context */
	uint32_t devid;
	bool reset_works;
};
/* The cdev @fd of @addr is bound as @rec says; -EBUSY when another file of it is. */
int vs_cdev_bind(const struct vfr_root *r, int fd, const char *addr,
		 const struct vs_cdev_record *rec);
/* @addr is bound through its cdev (in any process); *@ret (optional) its record. */
bool vs_cdev_bound(const struct vfr_root *r, const char *addr, struct vs_cdev_record *ret);
/* ... and by the open file of @fd. */
bool vs_cdev_bound_by(const struct vfr_root *r, int fd, const char *addr,
		      struct vs_cdev_record *ret);
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
