/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The declarations of owners that outlive a process: ROOT/run/vfioreset/owners,
 * a key file of the state directory (state-dir.h),
 *
 *   [owners]
 *   0000:02:00.0=vm1
 *
 * changed only under the lock owners.lock, read, changed and replaced
 * atomically, so two managers adding at once both land, and a crash leaves
 * the old list or the new one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

/* The longest file either side handles: some thousands of declarations. */
#define OWNER_STORE_MAX (1024 * 1024)

/* Pure: @name can be an owner: 1 to 256 bytes of UTF-8, no control character. */
bool owner_name_valid(const char *name);

/* Pure: parses the file's @len bytes into @into. -EIO (and *@ret_why) when it is not one. */
int owner_store_parse(const char *text, size_t len, struct vfr_owners *into, const char **ret_why);

/* Reads the file below @dirfd into @into; none is an empty list. -EIO when corrupt. */
int owner_store_read(int dirfd, struct vfr_owners *into);

/*
 * Under the lock: declares (@add) or withdraws the functions @names for
 * @owner (NULL to withdraw whoever's) and replaces the file. Nothing is
 * changed when one of them is declared for another owner: -EEXIST on
 * adding, -EPERM on withdrawing, with a sentence naming both.
 */
int owner_store_change(int dirfd, const char *owner, const char *const *names, size_t n, bool add,
		       struct vfr_error **reterr);

/*
 * The persisted declarations of @ctx's root, read without making the
 * state directory: none when it does not exist. *@ret is a new registry.
 */
int owner_store_load_ctx(const struct vfr_ctx *ctx, struct vfr_owners **ret,
			 struct vfr_error **reterr);

/* owner.c: removes @name's declaration; 1 when there was one. */
int owners_remove_name(struct vfr_owners *owners, const char *name);
/* owner.c: adds without the address check (@name is canonical). */
int owners_add_name(struct vfr_owners *owners, const char *owner, const char *name);
