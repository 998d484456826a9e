/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reads, listings and stores in sysfs: every access below ROOT/sys goes
 * through here (other paths are opened by beneath.c's callers: ctx.c,
 * state-dir.c, pending.c, holders.c, pciconf.c, vfio.c; the README lists
 * them). Every path is relative to a directory fd that descends from the
 * context's root; link targets are read as text and resolved here, never
 * followed blindly, so nothing leads outside the root.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

/* Opens @root as the directory everything else is resolved from. */
int sysfs_open_root(const char *root, int *ret_fd) _nonnull_(2) _must_check_;

/*
 * Opens directory @relpath below @dirfd (O_PATH). The path must not climb
 * out of @dirfd nor pass through a symlink: the kernel checks both where
 * openat2() exists.
 */
int sysfs_open_dir(int dirfd, const char *relpath, int *ret_fd) _nonnull_(2, 3) _must_check_;

/*
 * The same for a directory to be listed (sysfs_list_kinds()) as well as
 * opened below: O_RDONLY instead of O_PATH, under the same rules.
 */
int sysfs_open_dir_listable(int dirfd, const char *relpath, int *ret_fd);

/* Not in the directory: a kind sysfs_list_kinds() gives, unlike DT_UNKNOWN (0). */
#define SYSFS_ABSENT 0xff

/*
 * Lists the directory @dirfd (from sysfs_open_dir_listable(); @rewind when
 * it was listed before) once, and gives the kind of each of the @n names
 * in @names: its d_type (DT_REG, DT_LNK, ..., DT_UNKNOWN where the file
 * system does not say) or SYSFS_ABSENT. Returns how many entries the
 * directory holds besides "." and ".." (0: emptied, or removed), or -errno.
 * With @fills (ctx_sys_listing_fills()), a reply that left room for the
 * longest entry is taken as the last, without asking for the end.
 */
int sysfs_list_kinds(int dirfd, bool rewind, bool fills, const char *const *names, size_t n,
		     unsigned char *ret_kinds);

/*
 * Reads attribute @name below @dirfd in one read(), into @buf (NUL
 * terminated, one trailing newline removed). Returns the length, -ENOENT
 * when it does not exist, -EFBIG when it does not fit, or -errno.
 */
int sysfs_read(int dirfd, const char *name, char *buf, size_t size) _must_check_;

/*
 * The same, where @nodev says @dirfd is on a mount that cannot open device
 * nodes (the context's sysfs, ctx_sys_is_nodev()): one open fewer (beneath.h).
 */
int sysfs_read_on(int dirfd, const char *name, char *buf, size_t size, bool nodev) _must_check_;

/* The read of sysfs_read() from an open attribute @fd (the caller closes it). */
int sysfs_read_fd(int fd, char *buf, size_t size);

/*
 * Writes @text to attribute @name below @dirfd in one write(), as one store()
 * of the kernel. Returns 0, or the store's -errno (EINVAL, ENOTTY, EBUSY...).
 */
int sysfs_write(int dirfd, const char *name, const char *text) _must_check_;

/*
 * The same, but the caller waits at most @timeout_ms (< 0: no limit). A store
 * can block for ever in a broken driver (a reset of a VF whose driver never
 * brought its link up, an unbind while a user holds the device): then this
 * returns -ETIMEDOUT, the write goes on in the process *@ret_stuck
 * (optional, set only then) names, and its outcome is unknown (deadline.h).
 * The attribute is opened before the wait starts, so ENOENT and EACCES come
 * back at once.
 */
int sysfs_write_deadline(int dirfd, const char *name, const char *text, int timeout_ms,
			 pid_t *ret_stuck) _must_check_;

/* The two halves of sysfs_write(), for sysfs_write_deadline(): fd or -errno; 0 or -errno. */
int sysfs_open_attr_for_write(int dirfd, const char *name) _must_check_;
int sysfs_write_fd(int fd, const char *text) _must_check_;

/* Reads symlink @name below @dirfd. Returns the length, -ENOENT, -EINVAL (not a link). */
int sysfs_readlink(int dirfd, const char *name, char *buf, size_t size) _must_check_;

/* The entries of directory @relpath below @dirfd, without "." and "..". */
int sysfs_list(int dirfd, const char *relpath, char ***ret_names, size_t *ret_n)
	_nonnull_(2, 3, 4) _must_check_;

/* Does @name exist below @dirfd (without following a final symlink)? */
int sysfs_exists(int dirfd, const char *name) _must_check_;

/*
 * Pure: joins the directory @base (relative to the sysfs root, no leading
 * '/') and a relative link @target found in it, folding "." and "..".
 * Returns -EXDEV when @target is absolute or climbs above the root.
 */
int sysfs_resolve_link(const char *base, const char *target, char *buf, size_t size) _must_check_;

/* Pure: the last component of @path. */
const char *sysfs_basename(const char *path);
