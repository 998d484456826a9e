/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What survives the process: the record of a function's original binding
 * and the per-function lock, both in ROOT/run/vfioreset/ (a tmpfs on a real
 * host: a reboot forgets the records, as it forgets the bindings).
 */
#pragma once

#include "internal.h"

/* A binding as the kernel shows it; NULL means none (unbound, no override). */
struct bind_record {
	char *driver;
	char *override;
};

void bind_record_clear(struct bind_record *rec);

/* Opens (creating it, 0755) ROOT/run/vfioreset. */
int bind_state_open(const struct vfr_ctx *ctx, int *ret_dirfd);

/* The record of @addr: 0, -ENOENT when there is none, -EIO when it cannot be parsed. */
int bind_record_read(int dirfd, const char *addr, struct bind_record *ret);

/* Writes the record of @addr atomically (a temporary file, fsync, rename). */
int bind_record_write(int dirfd, const char *addr, const struct bind_record *rec);

/* Removes it; no record is not an error. */
int bind_record_remove(int dirfd, const char *addr);

/*
 * Takes the lock of @addr (flock on ADDR.lock), waiting at most @timeout_ms
 * (< 0: without limit). Returns the lock's fd, or -EBUSY when another
 * process still holds it at the deadline, or -errno.
 */
int bind_lock_take(int dirfd, const char *addr, int timeout_ms);
void bind_lock_release(int fd);
