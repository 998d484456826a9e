/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the binding code keeps in the state directory (state-dir.h): the
 * record of a function's original binding, ADDR.state, and the
 * per-function lock, ADDR.lock.
 */
#pragma once

#include <sys/types.h>

#include "macro.h"
#include "internal.h"

/*
 * The largest record either side handles: a driver name and the longest
 * driver_override the kernel stores (4094 bytes) fit with room to spare.
 * The writer refuses what the reader could not read back.
 */
#define BIND_RECORD_MAX 16384

/* A binding as the kernel shows it; NULL means none (unbound, no override). */
struct bind_record {
	char *driver;
	char *override;
};

void bind_record_clear(struct bind_record *rec);

/* Opens the state directory (state_dir_open()). */
int bind_state_open(const struct vfr_ctx *ctx, int *ret_dirfd, struct vfr_error **reterr)
	_nonnull_(1, 2) _must_check_;

/*
 * Pure: parses the @len bytes of a record of @addr. -EIO when it is not one:
 * not a key file, no [binding] group, another function's address, a driver
 * that is not a name (it becomes a path), an override the kernel would not
 * take.
 */
int bind_record_parse(const char *text, size_t len, const char *addr, struct bind_record *ret)
	_nonnull_(4) _must_check_;

/* Pure: the record's text (g_free), or NULL when it would exceed BIND_RECORD_MAX or is invalid. */
char *bind_record_format(const char *addr, const struct bind_record *rec, size_t *ret_len)
	_nonnull_(3);

/* The record of @addr: 0, -ENOENT when there is none, -EIO when it cannot be parsed. */
int bind_record_read(int dirfd, const char *addr, struct bind_record *ret)
	_nonnull_(3) _must_check_;

/* Writes the record of @addr atomically; -EFBIG/-EINVAL when it could not be read back. */
int bind_record_write(int dirfd, const char *addr, const struct bind_record *rec) _must_check_;

/* Removes it; no record is not an error. */
int bind_record_remove(int dirfd, const char *addr);

/*
 * Takes the lock of @addr (flock on ADDR.lock), waiting at most @timeout_ms
 * (< 0: without limit). Returns the lock's fd, or -EBUSY when another
 * process still holds it at the deadline (*@ret_holder: its pid, 0 when
 * unknown), or -errno.
 */
int bind_lock_take(int dirfd, const char *addr, int timeout_ms, pid_t *ret_holder) _must_check_;
void bind_lock_release(int fd);
