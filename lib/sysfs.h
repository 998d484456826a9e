/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only code that touches paths. Every path is relative to a directory
 * fd that descends from the context's root; link targets are read as text
 * and resolved here, never followed blindly, so nothing leads outside the
 * root.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Opens @root as the directory everything else is resolved from. */
int sysfs_open_root(const char *root, int *ret_fd);

/*
 * Opens directory @relpath below @dirfd (O_PATH). The path must not climb
 * out of @dirfd nor pass through a symlink: the kernel checks both where
 * openat2() exists.
 */
int sysfs_open_dir(int dirfd, const char *relpath, int *ret_fd);

/*
 * Reads attribute @name below @dirfd in one read(), into @buf (NUL
 * terminated, one trailing newline removed). Returns the length, -ENOENT
 * when it does not exist, -EFBIG when it does not fit, or -errno.
 */
int sysfs_read(int dirfd, const char *name, char *buf, size_t size);

/*
 * The same, where @nodev says @dirfd is on a mount that cannot open device
 * nodes (the context's sysfs, ctx_sys_is_nodev()): one open fewer (beneath.h).
 */
int sysfs_read_on(int dirfd, const char *name, char *buf, size_t size, bool nodev);

/*
 * Writes @text to attribute @name below @dirfd in one write(), as one store()
 * of the kernel. Returns 0, or the store's -errno (EINVAL, ENOTTY, EBUSY...).
 */
int sysfs_write(int dirfd, const char *name, const char *text);

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
			 pid_t *ret_stuck);

/* The two halves of sysfs_write(), for sysfs_write_deadline(): fd or -errno; 0 or -errno. */
int sysfs_open_attr_for_write(int dirfd, const char *name);
int sysfs_write_fd(int fd, const char *text);

/* Reads symlink @name below @dirfd. Returns the length, -ENOENT, -EINVAL (not a link). */
int sysfs_readlink(int dirfd, const char *name, char *buf, size_t size);

/* The entries of directory @relpath below @dirfd, without "." and "..". */
int sysfs_list(int dirfd, const char *relpath, char ***ret_names, size_t *ret_n);

/* Does @name exist below @dirfd (without following a final symlink)? */
int sysfs_exists(int dirfd, const char *name);

/*
 * Pure: joins the directory @base (relative to the sysfs root, no leading
 * '/') and a relative link @target found in it, folding "." and "..".
 * Returns -EXDEV when @target is absolute or climbs above the root.
 */
int sysfs_resolve_link(const char *base, const char *target, char *buf, size_t size);

/* Pure: the last component of @path. */
const char *sysfs_basename(const char *path);
