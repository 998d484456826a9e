/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state directory, ROOT/run/vfioreset: what outlives a process (the
 * records of original bindings, the per-function locks, the records of
 * kernel calls still pending). A tmpfs on a real host, so a reboot forgets
 * it as it forgets the bindings.
 *
 * What is in it decides what the library does to devices, and other users
 * can try to plant or hold things there, so:
 *
 * - the directory is made 0711 and used only while it belongs to the
 *   effective user and nobody else may write to it: one owned by another
 *   user, or writable by its group or by all, is refused; one with other
 *   permissions (made by an older version) is set to 0711. Others may pass
 *   through it but not list it: the records of pending calls, in its one
 *   public subdirectory (0755, records 0644), must reach every process
 *   that could read config space, root or not (pending.h); a reader that
 *   is not root reads root's files there, and nothing else;
 * - run/vfioreset and every name in it are opened through the one opener
 *   (beneath.h): no link is followed, nothing but regular files is opened;
 * - files are made 0600 (0644 in the public subdirectory), and one that
 *   belongs to another user (but root's, to read) or that others may write
 *   is refused;
 * - names are single path components (state_name_valid());
 * - a file is replaced only by rename(), after fsync(), so a crash leaves
 *   the old content or the new one.
 *
 * Every call takes the directory's descriptor, so the same code serves
 * the host and any other root.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"
#include "internal.h"

/*
 * Opens ROOT/run/vfioreset (creating ROOT/run 0755 and it 0700 when
 * missing) after the checks above. Returns 0 with an fd usable with the
 * calls below (and fsync()), or -errno with a sentence in *@reterr: -EPERM
 * for another owner or a group or world writable directory, -ELOOP for a
 * link in its place.
 */
int state_dir_open(const struct vfr_ctx *ctx, int *ret_dirfd, struct vfr_error **reterr)
	_nonnull_(1, 2) _must_check_;

/*
 * The same to read what is there: -ENOENT (no sentence) when the directory
 * does not exist, which is not made; root's is accepted.
 */
int state_dir_open_existing(const struct vfr_ctx *ctx, int *ret_dirfd, struct vfr_error **reterr);

/*
 * Opens ROOT/run/vfioreset/@name, the public directory of the state
 * directory (the records of pending calls), under the same rules: made
 * 0755 when @create (and the state directory with it), else -ENOENT when
 * either is missing; without @create, root's is accepted (to read).
 */
int state_subdir_open(const struct vfr_ctx *ctx, const char *name, bool create, int *ret_fd,
		      struct vfr_error **reterr) _must_check_;

/* Pure: @name can be a file of the state directory: one component, not hidden (no '.' first). */
bool state_name_valid(const char *name);

/*
 * Opens file @name with @flags (O_RDONLY, O_RDWR, with O_CREAT: made
 * 0600). A link, a FIFO or anything but a regular file is -ELOOP or
 * -EMEDIUMTYPE, another user's file -EPERM; one of ours readable by others
 * is tightened to 0600. Returns the fd or -errno.
 */
int state_file_open(int dirfd, const char *name, int flags) _must_check_;

/*
 * Reads all of @name (at most @max bytes; -EFBIG when longer) into a new
 * NUL-terminated buffer (g_free). -ENOENT when there is none.
 */
int state_file_read(int dirfd, const char *name, size_t max, char **ret_text, size_t *ret_len)
	_must_check_;

/* Replaces @name with @len bytes of @data, atomically (temporary file, fsync, rename, fsync). */
int state_file_write(int dirfd, const char *name, const void *data, size_t len) _must_check_;

/* Removes @name; none is not an error. */
int state_file_remove(int dirfd, const char *name) _must_check_;

/*
 * Takes an exclusive flock on file @name (made as above), waiting at most
 * @timeout_ms (0: not at all, < 0: without limit). Returns the fd holding
 * it, or -EBUSY when another process still held it at the deadline (then
 * *@ret_holder, when given, is that process as the kernel's lock table
 * names it, 0 when it does not), or -errno.
 */
int state_lock_take(int dirfd, const char *name, int timeout_ms, pid_t *ret_holder) _must_check_;

/* Releases a lock of state_lock_take(); a negative fd is ignored. */
void state_lock_release(int fd);

/* The process holding a flock on @fd's file, from /proc/locks; 0 when none or unknown. */
pid_t state_lock_holder(int fd);
