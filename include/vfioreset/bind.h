/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

struct vfr_host;
struct vfr_device;

/**
 * struct vfr_binding:
 *
 * One managed change of the drivers of a set of functions: bind them to
 * vfio-pci, to a named driver or to their best vfio variant driver; unbind
 * them; or give them back to the driver they had before the first managed
 * change. The kernel does the work (driver_override, the old driver's
 * unbind, drivers_probe); this object adds what the kernel does not:
 *
 * - the original binding (driver and driver_override) is written to a record
 *   below ROOT/run/vfioreset/ before anything changes, atomically, and kept
 *   until a restore succeeds, so a restore works from a fresh process and
 *   after a crash;
 * - a failure part-way puts every function of the set back as it was, unless
 *   a write to the kernel never returned (then the function's state is
 *   unknown and is reported so, not rolled back blindly);
 * - a vfio-bound function is not unbound while another process holds its
 *   group or device node open (the kernel would block the unbind until they
 *   close it): the holders' pids are reported instead; a PF is not unbound
 *   while its VFs are bound or held;
 * - each function is locked (flock on ROOT/run/vfioreset/ADDR.lock, taken in
 *   address order) for the duration, so concurrent processes do not
 *   interleave their changes;
 * - what can be refused is refused before the first write: a function
 *   declared for another owner (owners.h), a group that would not be viable;
 * - bind, unbind or restore then restore is the identity: the original is
 *   recorded whenever an operation is asked, even one that changes nothing.
 *
 * Errors, the same in every call: -EPERM refused to protect something, with
 * nothing changed: a group that is not or would not be viable (the same
 * errno as vfr_vfio_holding_add() gives for a group that is not viable), or
 * a function declared for another owner; -EBUSY held by another process
 * (its pids are reported), locked by another binding, or held by a kernel
 * call still pending; -ENOENT no such driver or module; -ETIMEDOUT a write
 * to the kernel did not return (the function's state is unknown).
 *
 * The outcome of each function is data in the object (the getters below);
 * the operation's return value says whether all of them ended as asked.
 * Reference counted; not thread-safe.
 */
struct vfr_binding;

/* Flags of vfr_binding_set_flags(). */
enum vfr_binding_flags {
	/* Act on every member of each function's IOMMU group (bridges excepted). */
	VFR_BINDING_GROUP = 1u << 0,
	/* Bind to the most specific vfio variant driver (vfr_device_find_variants()). */
	VFR_BINDING_VARIANT = 1u << 1,
	_VFR_BINDING_FLAGS_FORCE_INT = INT32_MAX,
};

/**
 * vfr_binding_new:
 * @ret: (out): untouched on failure.
 * Returns: 0 or -EINVAL.
 * Since: 0.1
 */
int vfr_binding_new(struct vfr_host *host, struct vfr_binding **ret);

/** vfr_binding_ref: Returns: @b. Since: 0.1 */
struct vfr_binding *vfr_binding_ref(struct vfr_binding *b);

/** vfr_binding_unref: NULL is accepted. Returns: NULL. Since: 0.1 */
struct vfr_binding *vfr_binding_unref(struct vfr_binding *b);

/**
 * vfr_binding_add_device:
 * Adds @dev (a function of the binding's host); adding one twice is a no-op.
 * Returns: 0, -EINVAL.
 * Since: 0.1
 */
int vfr_binding_add_device(struct vfr_binding *b, struct vfr_device *dev);

/**
 * vfr_binding_set_driver:
 * @driver: (nullable): the driver vfr_binding_bind() binds to; NULL means
 *          "vfio-pci". A driver that is not loaded is loaded through the
 *          context's module index.
 * Returns: 0, -EINVAL when @driver is not a name (empty, ".", "..", a '/',
 *          a control character, 256 bytes or more).
 * Since: 0.1
 */
int vfr_binding_set_driver(struct vfr_binding *b, const char *driver);

/**
 * vfr_binding_set_owner:
 * @owner: (nullable): the owner the binding acts for (a VM, a tenant: 1 to
 *         256 bytes of UTF-8 without control characters), as the persisted
 *         declarations name it (owners.h).
 *
 * With an owner, a function declared for another one (the group flag's
 * members included) is refused before anything changes; vfr_binding_bind()
 * and vfr_binding_unbind() declare every function for @owner in the
 * persisted list before the first write (withdrawn again when they roll
 * back), and vfr_binding_restore() withdraws them once the functions are
 * given back. Without one (the default), each function is acted on for the
 * owner it is declared for, if any; functions of two owners in one binding
 * are refused; the list is not changed.
 * Returns: 0, -EINVAL for a name that cannot be an owner.
 * Since: 0.1
 */
int vfr_binding_set_owner(struct vfr_binding *b, const char *owner);

/** vfr_binding_set_flags: a mask of enum vfr_binding_flags. Since: 0.1 */
int vfr_binding_set_flags(struct vfr_binding *b, unsigned int flags);

/**
 * vfr_binding_set_timeout:
 * @write_ms: how long one write to unbind, bind or drivers_probe may block
 *            before the function's state is declared unknown, and how long
 *            a vfio driver may take to create the VFIO nodes (default 10000;
 *            -1 waits without limit; 0 is refused: no write finishes in it).
 *            With a limit, each write runs in vfioreset-call
 *            (doc/deadline.md); when it cannot be run, the operations fail
 *            before they change anything.
 * @lock_ms: how long to wait for another process's lock on a function
 *           (default 30000; 0: do not wait; -1: without limit). At the
 *           deadline the operation fails naming the process that holds it.
 * Returns: 0, -EINVAL for a value that cannot work.
 * Since: 0.1
 */
int vfr_binding_set_timeout(struct vfr_binding *b, int write_ms, int lock_ms);

/**
 * vfr_binding_bind:
 * Binds every function (its group's members with VFR_BINDING_GROUP) to the
 * driver, waiting for vfio drivers to create vfio-dev/ and the group or
 * device node. With VFR_BINDING_GROUP and a vfio target (vfio-pci, a
 * variant, a named driver with "vfio" in its name) the groups must be
 * viable once bound (every member vfio-bound, unbound, on pci-stub, or a
 * bridge on pcieport): this is decided before the first write from the
 * drivers each member will have (vfr_host_check_group_viable_if_bound()),
 * and checked again afterwards. Without the flag a group left not viable
 * is only noted on its functions.
 * Returns: 0 when every function is bound as asked; else the first failure's
 *          -errno (see above: -EPERM for a group that would not be viable,
 *          the blocking member named, nothing changed) — the functions
 *          were put back as they were, except those whose state is unknown.
 * Since: 0.1
 */
int vfr_binding_bind(struct vfr_binding *b, struct vfr_error **reterr);

/**
 * vfr_binding_unbind:
 * Unbinds every function from its driver and leaves it without one. The
 * original binding is recorded for vfr_binding_restore().
 * Returns: as vfr_binding_bind().
 * Since: 0.1
 */
int vfr_binding_unbind(struct vfr_binding *b, struct vfr_error **reterr);

/**
 * vfr_binding_restore:
 * Gives every function back its recorded original binding (driver_override
 * as it was, the old driver bound again, confirmed) and removes the record
 * (and, with an owner, the functions' declarations).
 * A function without a record gets its override cleared and is probed, so
 * the kernel picks its driver; it is reported as such.
 * Returns: as vfr_binding_bind().
 * Since: 0.1
 */
int vfr_binding_restore(struct vfr_binding *b, struct vfr_error **reterr);

/** vfr_binding_get_n_devices: the functions acted on (after group expansion), by address. Since: 0.1 */
size_t vfr_binding_get_n_devices(const struct vfr_binding *b);

/** vfr_binding_get_device: (transfer none) (nullable). Since: 0.1 */
struct vfr_device *vfr_binding_get_device(const struct vfr_binding *b, size_t index);

/**
 * vfr_binding_get_status:
 * Returns: 0 when the function ended as asked, its -errno when not, 1 when
 *          the operation did not get to it (or it was rolled back because
 *          another function failed).
 * Since: 0.1
 */
int vfr_binding_get_status(const struct vfr_binding *b, size_t index);

/** vfr_binding_get_driver_before: (transfer none) (nullable): NULL = unbound. Since: 0.1 */
const char *vfr_binding_get_driver_before(const struct vfr_binding *b, size_t index);

/** vfr_binding_get_driver_after: (transfer none) (nullable): as read after the operation. Since: 0.1 */
const char *vfr_binding_get_driver_after(const struct vfr_binding *b, size_t index);

/**
 * vfr_binding_get_message:
 * Returns: (transfer none) (nullable): what happened to the function, when
 *          it did not simply succeed ("rolled back to e1000e",
 *          "held open by 1234", "state unknown: unbind did not return").
 * Since: 0.1
 */
const char *vfr_binding_get_message(const struct vfr_binding *b, size_t index);

/** vfr_binding_is_rolled_back: the function was put back as it was. Since: 0.1 */
bool vfr_binding_is_rolled_back(const struct vfr_binding *b, size_t index);

/** vfr_binding_is_state_unknown: a write to the kernel did not return. Since: 0.1 */
bool vfr_binding_is_state_unknown(const struct vfr_binding *b, size_t index);

/**
 * vfr_binding_get_holders:
 * @ret_n: (out): how many pids.
 * Returns: (transfer none) (array length=ret_n) (nullable): the processes
 *          found holding the function's VFIO nodes, sorted.
 * Since: 0.1
 */
const int *vfr_binding_get_holders(const struct vfr_binding *b, size_t index, size_t *ret_n);

/**
 * vfr_host_check_group_viable:
 * Whether IOMMU group @group can be handed to a VFIO user, by the kernel's
 * rule: every member is unbound, bound to a vfio driver or pci-stub, or a
 * bridge bound to pcieport. Members' drivers are read afresh.
 * @ret_blocker: (out) (optional) (transfer none): the first member that
 *       blocks it, NULL when the group is viable.
 * Returns: 1 viable, 0 not, -ENOENT when no function is in @group.
 * Since: 0.1
 */
int vfr_host_check_group_viable(struct vfr_host *host, int group,
				struct vfr_device **ret_blocker);

/**
 * vfr_host_check_group_viable_if_bound:
 * Would IOMMU group @group be viable if @devs were bound to a vfio driver
 * and every other member kept the driver it has now (read afresh)? What a
 * manager asks before it binds anything. @devs may hold functions of other
 * groups; they are ignored.
 * @ret_blocker: (out) (optional) (transfer none): the first member that
 *       would block it, NULL when the group would be viable.
 * Returns: 1 viable, 0 not, -ENOENT when no function is in @group, -EINVAL
 *          (a function of another host).
 * Since: 0.1
 */
int vfr_host_check_group_viable_if_bound(struct vfr_host *host, int group,
					 struct vfr_device *const *devs, size_t n_devs,
					 struct vfr_device **ret_blocker);

static inline void vfr_binding_unrefp(struct vfr_binding **p)
{
	if (*p)
		vfr_binding_unref(*p);
}

VFR_END_DECLS
