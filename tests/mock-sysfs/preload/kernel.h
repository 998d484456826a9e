/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated kernel's internals. Its state is the fixture tree itself
 * (links, attribute files), so every process running against the same root
 * sees the same host, plus ROOT/.vfr-mock/ (HARNESS.md):
 *
 *   host             "vfio_dev 1", "vfio_cdev 0"
 *   devices          per function: probed_reset_method=... and the reset behaviour
 *   drivers/NAME     "vfio 0|1", "id V:D[:SV:SD]" and "dynid V D SV SD CLASS MASK" lines
 *   faults           fault rules
 *   sriov/PF/        template/ (a VF's directory) and meta (bar0, behaviour)
 *   stash/ADDR/      dir/ and meta of a removed function, for rescan and SR-IOV
 *   journal          one line per kernel event
 *   lock             flock(2): one kernel operation at a time across processes
 *
 * Paths here are relative to the root ("sys/devices/..."); every call runs
 * with vfr_busy set, so libc calls reach libc.
 */
#pragma once

#include "preload.h"

struct kctx {
	const struct vfr_root *r;
	int root; /* O_PATH descriptor of the root */
	int lock; /* .vfr-mock/lock while held, else -1 */
};

struct kdev {
	char addr[32];
	char path[PATH_MAX]; /* "sys/devices/pci0000:00/0000:00:02.0/0000:01:00.0" */
};

/* kernel.c */
bool k_begin(struct kctx *k, const struct vfr_root *r);
void k_unlock(struct kctx *k);
void k_end(struct kctx *k);
/* The file's text without one trailing newline; -errno. */
int k_read(struct kctx *k, const char *rel, char *buf, size_t size);
int k_readf(struct kctx *k, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The whole file in a malloc'd string (free() it); NULL when it cannot be read. */
char *k_slurp(struct kctx *k, const char *rel);
/* Replaces the content of @rel (created with @mode when absent). */
int k_put(struct kctx *k, const char *rel, mode_t mode, const char *text);
int k_append(struct kctx *k, const char *rel, const char *text);
int k_link(struct kctx *k, const char *rel, const char *target);
int k_unlink(struct kctx *k, const char *rel);
bool k_exists(struct kctx *k, const char *rel);
int k_readlink(struct kctx *k, const char *rel, char *buf, size_t size);
int k_mkdirs(struct kctx *k, const char *rel);
int k_rmtree(struct kctx *k, const char *rel);
int k_copytree(struct kctx *k, const char *from, const char *to);
int k_rename(struct kctx *k, const char *from, const char *to);
/* Sorted entry names of a directory (free with k_names_free); NULL when it cannot be read. */
char **k_names(struct kctx *k, const char *rel, size_t *ret_n);
void k_names_free(char **names);
/* "../" repeated for a link inside @path ("sys/devices/a/b" -> 3 levels up to sys/). */
void k_ups(const char *path, char *out, size_t size);
/* Folds @base + "/" + @target ("../x") into a root-relative path. */
bool k_resolve(const char *base, const char *target, char *out);
bool is_address(const char *s);
int k_find_dev(struct kctx *k, const char *addr, struct kdev *d);
/* The device's attribute @name; -errno. */
int k_attr(struct kctx *k, const struct kdev *d, const char *name, char *buf, size_t size);
int k_attr_put(struct kctx *k, const struct kdev *d, const char *name, const char *text);
/* The bound driver's name into @buf, false when unbound. */
bool k_driver_of(struct kctx *k, const struct kdev *d, char *buf, size_t size);
int k_group_of(struct kctx *k, const struct kdev *d); /* -1: none */
/* sysfs_streq(): equal but for one trailing newline of @buf. */
bool k_streq(const char *buf, size_t len, const char *s);
/* A copy of @buf of @len bytes, cut at the first newline, in @out. */
void k_line(const char *buf, size_t len, char *out, size_t size);
int k_strtoul(const char *buf, size_t len, unsigned long *ret); /* kstrtoul(buf, 0) */

/* kernel-bind.c */
/* "NAME 1" in .vfr-mock/host; @fallback when the file does not say. */
bool k_host_flag(struct kctx *k, const char *name, bool fallback);
bool k_driver_is_vfio(struct kctx *k, const char *drv);
int k_attach(struct kctx *k, const struct kdev *d, const char *drv);
int k_detach(struct kctx *k, const struct kdev *d);
int k_probe(struct kctx *k, const struct kdev *d);
int k_driver_override(struct kctx *k, const struct kdev *d, const char *buf, size_t len);
int k_bind(struct kctx *k, const char *drv, const char *buf, size_t len);
int k_unbind(struct kctx *k, const char *drv, const char *buf, size_t len);
int k_drivers_probe(struct kctx *k, const char *buf, size_t len);
int k_new_id(struct kctx *k, const char *drv, const char *buf, size_t len);
int k_remove_id(struct kctx *k, const char *drv, const char *buf, size_t len);

/* kernel-hotplug.c */
int k_remove(struct kctx *k, const struct kdev *d, const char *why);
int k_rescan(struct kctx *k, const char *scope);
int k_sriov_numvfs(struct kctx *k, const struct kdev *d, const char *buf, size_t len);
int k_sriov_disable(struct kctx *k, const struct kdev *d);

/* kernel-reset.c */
int k_reset_method(struct kctx *k, const struct kdev *d, const char *buf, size_t len);
int k_reset(struct kctx *k, const struct kdev *d, const char *buf, size_t len);
/* Some method of the function's reset_method list would run now (its probe succeeds). */
bool k_reset_supported(struct kctx *k, const struct kdev *d);
/* A secondary bus reset touching @devs, for a VFIO hot reset by @caller; -errno. */
int k_hot_reset(struct kctx *k, const char *caller, const struct kdev *devs, size_t n);

/* vfio-state.c: waits until no file holds @d open; an fd to close after the unbind, or -1. */
int vfio_wait_unused(struct kctx *k, const struct kdev *d, const char *drv);
