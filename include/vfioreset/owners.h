/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/address.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

struct vfr_ctx;
struct vfr_owners;

/**
 * Owners that last.
 *
 * A struct vfr_owners (reset.h) is what one process declares. A VM manager
 * also needs the declarations to outlive it: after a restart it must find
 * which functions each VM was given (libvirt's active list), and another
 * process must not bind, restore or reset them on someone else's behalf.
 * The persisted declarations are the file ROOT/run/vfioreset/owners of the
 * state directory (private to its user, replaced atomically, changed under
 * a lock, so concurrent managers do not lose each other's changes; a tmpfs
 * on a real host, forgotten at reboot as the bindings are).
 *
 * Who reads them:
 * - every reset plan and batch (reset.h): a function persisted for an
 *   owner counts as declared for it, exactly as if it were in the options'
 *   registry (which is consulted for the functions the file does not name);
 * - every binding (bind.h, vfr_binding_set_owner()): a function declared
 *   for another owner is neither bound nor restored, and a binding made for
 *   an owner declares its functions (bind, unbind) or withdraws them
 *   (restore).
 */

/**
 * vfr_owners_load:
 * Reads the persisted declarations of @ctx's root into a new registry
 * (empty when there are none; the state directory is not made).
 * @ret: (out): untouched on failure; vfr_owners_unref().
 * Returns: 0; -EIO when the file is not a list of declarations; -EACCES
 *          when the caller may not read it; -EPERM when the state
 *          directory is not safe to use (another user's, writable by
 *          others), with @reterr saying which.
 * Since: 0.1
 */
int vfr_owners_load(struct vfr_ctx *ctx, struct vfr_owners **ret, struct vfr_error **reterr);

/**
 * vfr_owners_persist_add:
 * Declares @addr for @owner (1 to 256 bytes of UTF-8, no control
 * characters) in the persisted list. Declaring it again for the same owner
 * is a no-op. The function need not exist (a manager may declare before it
 * is plugged in).
 * Returns: 0; -EEXIST when it is declared for another owner (@reterr names
 *          both; nothing changed); -EINVAL; the errno of the state directory.
 * Since: 0.1
 */
int vfr_owners_persist_add(struct vfr_ctx *ctx, const char *owner,
			   const struct vfr_address *addr, struct vfr_error **reterr);

/**
 * vfr_owners_persist_remove:
 * Withdraws @addr's persisted declaration.
 * @owner: (nullable): the owner it must be declared for; NULL withdraws
 *         whoever's it is (an administrator's clean-up).
 * Returns: 0, also when it was not declared; -EPERM when it is declared
 *          for another owner than @owner (nothing changed); -EINVAL; the
 *          errno of the state directory.
 * Since: 0.1
 */
int vfr_owners_persist_remove(struct vfr_ctx *ctx, const char *owner,
			      const struct vfr_address *addr, struct vfr_error **reterr);

/**
 * vfr_owners_remove:
 * Forgets @addr's declaration in this registry (in memory only).
 * Returns: 1 when there was one, 0 when not, -EINVAL.
 * Since: 0.1
 */
int vfr_owners_remove(struct vfr_owners *owners, const struct vfr_address *addr);

/** vfr_owners_get_n: how many functions are declared. Since: 0.1 */
size_t vfr_owners_get_n(const struct vfr_owners *owners);

/**
 * vfr_owners_get_address:
 * Returns: (transfer none) (nullable): the @index-th declared function, in
 *          address order ("0000:02:00.0"); valid until the registry changes.
 * Since: 0.1
 */
const char *vfr_owners_get_address(const struct vfr_owners *owners, size_t index);

/**
 * vfr_owners_get_owner:
 * Returns: (transfer none) (nullable): the owner of the @index-th declared
 *          function; valid until the registry changes.
 * Since: 0.1
 */
const char *vfr_owners_get_owner(const struct vfr_owners *owners, size_t index);

VFR_END_DECLS
