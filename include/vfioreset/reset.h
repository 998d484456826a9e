/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/address.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

struct vfr_device;
struct vfr_vfio_holding;

/**
 * Resetting functions through the kernel.
 *
 * A *plan* says, for one function, which reset methods can be used, in the
 * order they would be tried, each with its mechanism and the functions it
 * touches (its affected set), and every method that cannot be used with the
 * reason in words. A *batch* carries out the resets of several functions:
 * quiesce (bus master, memory and I/O decoding off), a kernel-mediated reset
 * with the method pinned in `reset_method`, a readiness check, a deadline,
 * and the policy; resets whose affected sets are disjoint run at the same
 * time. Plans and results are data: a method that is excluded or a reset
 * that failed is reported in them, not as an error of the call.
 *
 * Method names are the kernel's (`flr`, `af_flr`, `pm`, `bus`, ...) plus
 * `vfio` (VFIO_DEVICE_RESET on the caller's open device), `hot` (a VFIO
 * hot reset of the bus) and `default` (`echo 1 > reset` on a kernel before
 * 5.15, which has no `reset_method`: the kernel picks the method). `kernel`
 * names the absence of a kernel method in exclusions.
 */

/* What to do when no method works. */
enum vfr_reset_policy {
	VFR_RESET_STRICT = 0,    /* the reset fails */
	VFR_RESET_NO_STRICT = 1, /* every method is tried; if all fail, success, flagged and logged */
	VFR_RESET_SKIP = 2,      /* nothing is reset; the result and the log say so */
	_VFR_RESET_POLICY_FORCE_INT = INT32_MAX,
};

/* How a method is carried out. */
enum vfr_reset_mechanism {
	VFR_RESET_MECH_SYSFS = 0,       /* write the method to reset_method, then 1 to reset */
	VFR_RESET_MECH_VFIO_DEVICE = 1, /* VFIO_DEVICE_RESET on the caller's device fd */
	VFR_RESET_MECH_VFIO_HOT = 2,    /* VFIO_DEVICE_PCI_HOT_RESET */
	_VFR_RESET_MECHANISM_FORCE_INT = INT32_MAX,
};

/*
 * What became of one function's reset (vfr_reset_result_get_outcome()).
 * Only RESET means the function was reset; IGNORED is the no-strict
 * policy's success after failures the kernel answered; REFUSED and UNKNOWN
 * are never turned into a success by any policy.
 */
enum vfr_reset_outcome {
	VFR_RESET_OUTCOME_RESET = 0,   /* a method worked */
	VFR_RESET_OUTCOME_FAILED = 1,  /* no method worked, or none could be used */
	VFR_RESET_OUTCOME_IGNORED = 2, /* failed, and no-strict made the result a success */
	/*
	 * Not started, to protect someone: the reset would reach a function of
	 * another owner, one under a host driver (not allowed), one held open
	 * by another process, one held by a stuck kernel call, one whose
	 * binding lock another process holds, or the host changed under the
	 * plan in a way that refuses it.
	 */
	VFR_RESET_OUTCOME_REFUSED = 3,
	/*
	 * A kernel call did not return within the deadline (it is still
	 * pending, recorded for every process: see struct vfr_pending_call), or
	 * the function did not answer after its reset: its state is unknown.
	 */
	VFR_RESET_OUTCOME_UNKNOWN = 4,
	VFR_RESET_OUTCOME_SKIPPED = 5, /* the skip policy: nothing was reset */
	_VFR_RESET_OUTCOME_FORCE_INT = INT32_MAX,
};

/* Flags of vfr_reset_options_set_flags(). */
enum vfr_reset_flags {
	/*
	 * Reset functions bound to host drivers: the target itself (the kernel
	 * calls the driver's reset_prepare/reset_done around it) and host-driven
	 * functions a bus reset would take along.
	 */
	VFR_RESET_ALLOW_HOST_DRIVERS = 1u << 0,
	/* Let a bus or hot reset reach functions declared for another owner. */
	VFR_RESET_ALLOW_OTHER_OWNERS = 1u << 1,
	/* Wait (up to the deadline) for other holders of the vfio nodes instead of refusing. */
	VFR_RESET_WAIT_HOLDERS = 1u << 2,
	/*
	 * Leave the Command register alone: no clearing of bus mastering and
	 * decoding before the reset. For a VMM resetting a device it drives
	 * itself, after it stopped the device and saved its state (the kernel
	 * saves and restores config space around the reset either way). Since: 0.1
	 */
	VFR_RESET_KEEP_COMMAND = 1u << 3,
	_VFR_RESET_FLAGS_FORCE_INT = INT32_MAX,
};

/**
 * struct vfr_owners:
 *
 * Which functions belong to whom (a VM, a tenant): the caller declares it,
 * the library never guesses it. A reset on behalf of one owner never
 * touches a function declared for another one (unless
 * VFR_RESET_ALLOW_OTHER_OWNERS), and a function declared for another owner
 * than the one the reset is made for is not reset at all. Reference counted.
 */
struct vfr_owners;

/** vfr_owners_new: @ret: (out): untouched on failure. Returns: 0, -EINVAL. Since: 0.1 */
int vfr_owners_new(struct vfr_owners **ret);
/** vfr_owners_ref: Since: 0.1 */
struct vfr_owners *vfr_owners_ref(struct vfr_owners *owners);
/** vfr_owners_unref: NULL is accepted. Returns: NULL. Since: 0.1 */
struct vfr_owners *vfr_owners_unref(struct vfr_owners *owners);

/**
 * vfr_owners_add:
 * Declares that @addr belongs to @owner (a non-empty name).
 * Returns: 0 (also when declared again for the same owner), -EEXIST when it
 *          is declared for another owner (@reterr names both), -EINVAL.
 * Since: 0.1
 */
int vfr_owners_add(struct vfr_owners *owners, const char *owner, const struct vfr_address *addr,
		   struct vfr_error **reterr);

/**
 * vfr_owners_lookup:
 * Returns: (transfer none) (nullable): the owner of @addr, NULL when nobody
 *          declared it.
 * Since: 0.1
 */
const char *vfr_owners_lookup(const struct vfr_owners *owners, const struct vfr_address *addr);

/**
 * struct vfr_reset_options:
 *
 * How to plan and carry out resets: the policy (default strict), flags, the
 * ownership registry and on whose behalf, the per-reset deadline (default
 * 60000 ms, the kernel's own readiness limit), and the vfio device fds the
 * caller holds. Owned by the caller; free with vfr_reset_options_free().
 */
struct vfr_reset_options;

/** vfr_reset_options_new: Returns: 0, -EINVAL. Since: 0.1 */
int vfr_reset_options_new(struct vfr_reset_options **ret);
/** vfr_reset_options_free: NULL is accepted. Since: 0.1 */
void vfr_reset_options_free(struct vfr_reset_options *opts);
/** vfr_reset_options_set_policy: Returns: 0, -EINVAL for an unknown policy. Since: 0.1 */
int vfr_reset_options_set_policy(struct vfr_reset_options *opts, enum vfr_reset_policy policy);
/** vfr_reset_options_set_flags: a mask of enum vfr_reset_flags. Since: 0.1 */
int vfr_reset_options_set_flags(struct vfr_reset_options *opts, unsigned int flags);

/**
 * vfr_reset_options_set_owners:
 * @owners: (nullable): the registry (a reference is taken).
 * @caller: (nullable): the owner the resets are made for; NULL means the
 *          owner each target is declared for (or nobody).
 * Since: 0.1
 */
int vfr_reset_options_set_owners(struct vfr_reset_options *opts, struct vfr_owners *owners,
				 const char *caller);

/**
 * vfr_reset_options_set_timeout:
 * @timeout_ms: the deadline of one function's reset, from the start of the
 *              batch; < 0: none. A kernel write still blocked at the
 *              deadline is left behind (the result says timed out, state
 *              unknown) and the caller gets control back. Each write with
 *              a deadline runs in a small process of its own,
 *              LIBEXECDIR/vfioreset/vfioreset-call, whatever the caller's
 *              size (doc/deadline.md). 0 would pass before the first method
 *              is tried: refused.
 * Returns: 0, -EINVAL.
 * Since: 0.1
 */
int vfr_reset_options_set_timeout(struct vfr_reset_options *opts, int timeout_ms);

/**
 * vfr_reset_options_set_device_fd:
 * The caller's open vfio device fd for @addr (not taken over, not closed):
 * it makes `vfio` usable (when the device reports VFIO_DEVICE_FLAGS_RESET),
 * and `hot` when the fd is a cdev bound to an iommufd that owns every
 * affected function (the reset then passes an empty fd array). A
 * group-opened device needs the group fds too: pass a holding
 * (vfr_reset_options_set_vfio_holding()). For the same function this fd
 * wins over the holding's. -1 forgets it.
 * Since: 0.1
 */
int vfr_reset_options_set_device_fd(struct vfr_reset_options *opts,
				    const struct vfr_address *addr, int fd);

/**
 * vfr_reset_options_set_vfio_holding:
 * @holding: (nullable) (transfer none): what the caller holds through VFIO;
 *           borrowed: it must outlive the plans and batches made with
 *           these options. NULL forgets it.
 *
 * For a function the holding holds, `vfio` is usable when its device
 * reports VFIO_DEVICE_FLAGS_RESET, and `hot` when the kernel's hot-reset
 * INFO answer, evaluated against the holding
 * (vfr_vfio_holding_check_hot_reset()), allows it; it is then issued with
 * the fds of the affected groups (group mode) or an empty array (cdev
 * mode). Otherwise `hot` is excluded with the check's sentence naming the
 * first blocker.
 * Since: 0.1
 */
int vfr_reset_options_set_vfio_holding(struct vfr_reset_options *opts,
				       struct vfr_vfio_holding *holding);

/**
 * vfr_reset_options_set_methods:
 * @methods: (nullable) (array zero-terminated=1): method names (`flr`,
 *           `bus`, `vfio`, `hot`, ...); NULL or empty: every method.
 *
 * Restricts the plans to these methods. They keep the plan's own order,
 * whatever the order given; the others are excluded as not requested, and
 * a requested method the kernel does not offer is listed as excluded too.
 * Returns: 0, -EINVAL for a name that is not a reset method.
 * Since: 0.1
 */
int vfr_reset_options_set_methods(struct vfr_reset_options *opts, const char *const *methods);

/**
 * struct vfr_reset_plan:
 *
 * The plan for one function. Reference counted.
 */
struct vfr_reset_plan;

/**
 * vfr_reset_plan_new:
 * @opts: (nullable): defaults when NULL.
 * @ret_plan: (out): untouched on failure.
 *
 * Reads the function's facts (kernel reset_method, config space, header
 * type, topology, and for every function a method would reach - its VFs
 * for every method of a PF, everything below the bridge for `bus`,
 * `cxl_bus` and `hot` - the driver, the owner, the other processes holding
 * its vfio nodes and any kernel call stuck on it) and decides. Writes
 * nothing.
 *
 * The getters of a struct vfr_device answer from what was read before (see
 * struct vfr_host), so a plan made from an old host object may rest on old
 * facts. vfr_reset_batch_run() never acts on that: right before it writes,
 * it reads every fact the plan rests on again and makes the plan again if
 * one changed; a reset the new plan refuses is refused, naming the change.
 * Returns: 0 (a plan, maybe with no usable method), -EINVAL, -ENOMEM.
 * Since: 0.1
 */
int vfr_reset_plan_new(struct vfr_device *dev, const struct vfr_reset_options *opts,
		       struct vfr_reset_plan **ret_plan, struct vfr_error **reterr);
/** vfr_reset_plan_ref: Since: 0.1 */
struct vfr_reset_plan *vfr_reset_plan_ref(struct vfr_reset_plan *plan);
/** vfr_reset_plan_unref: NULL is accepted. Returns: NULL. Since: 0.1 */
struct vfr_reset_plan *vfr_reset_plan_unref(struct vfr_reset_plan *plan);
/** vfr_reset_plan_get_address: (transfer none): "0000:01:00.0". Since: 0.1 */
const char *vfr_reset_plan_get_address(const struct vfr_reset_plan *plan);
/** vfr_reset_plan_get_policy: Since: 0.1 */
enum vfr_reset_policy vfr_reset_plan_get_policy(const struct vfr_reset_plan *plan);
/** vfr_reset_plan_is_ready: some method remains. Since: 0.1 */
bool vfr_reset_plan_is_ready(const struct vfr_reset_plan *plan);
/** vfr_reset_plan_get_n_methods: the usable methods, in the order they are tried. Since: 0.1 */
size_t vfr_reset_plan_get_n_methods(const struct vfr_reset_plan *plan);
/** vfr_reset_plan_get_method: (transfer none) (nullable): "flr". Since: 0.1 */
const char *vfr_reset_plan_get_method(const struct vfr_reset_plan *plan, size_t index);
/** vfr_reset_plan_get_mechanism: Since: 0.1 */
enum vfr_reset_mechanism vfr_reset_plan_get_mechanism(const struct vfr_reset_plan *plan,
						      size_t index);
/**
 * vfr_reset_plan_get_method_note:
 * Returns: (transfer none) (nullable): what the caller should know about
 *          method @index, e.g. for `default` (a kernel before 5.15, which
 *          has `reset` but no `reset_method`: the kernel picks the method
 *          and its affected set is the widest it may use).
 * Since: 0.1
 */
const char *vfr_reset_plan_get_method_note(const struct vfr_reset_plan *plan, size_t index);
/** vfr_reset_plan_get_n_affected: how many functions method @index resets. Since: 0.1 */
size_t vfr_reset_plan_get_n_affected(const struct vfr_reset_plan *plan, size_t index);
/** vfr_reset_plan_get_affected: (transfer none) (nullable): in address order. Since: 0.1 */
const char *vfr_reset_plan_get_affected(const struct vfr_reset_plan *plan, size_t index,
					size_t affected);
/**
 * vfr_reset_plan_is_refused:
 * No method is left and at least one was excluded to protect someone
 * (vfr_reset_plan_get_excluded_protects()): a reset would be refused, not
 * failed, and no policy makes that a success.
 * Since: 0.1
 */
bool vfr_reset_plan_is_refused(const struct vfr_reset_plan *plan);
/** vfr_reset_plan_get_n_excluded: Since: 0.1 */
size_t vfr_reset_plan_get_n_excluded(const struct vfr_reset_plan *plan);
/** vfr_reset_plan_get_excluded_method: (transfer none) (nullable). Since: 0.1 */
const char *vfr_reset_plan_get_excluded_method(const struct vfr_reset_plan *plan, size_t index);
/**
 * vfr_reset_plan_get_excluded_reason:
 * Returns: (transfer none) (nullable): "0000:04:00.1 on the same bus is
 *          bound to e1000e and not owned by you", "NoSoftRst set", ...
 * Since: 0.1
 */
const char *vfr_reset_plan_get_excluded_reason(const struct vfr_reset_plan *plan, size_t index);
/**
 * vfr_reset_plan_get_excluded_protects:
 * Returns: true when excluded method @index would work but is excluded to
 *          protect someone (another owner, a host driver, a holder, a stuck
 *          call, a changed host), false when it cannot work.
 * Since: 0.1
 */
bool vfr_reset_plan_get_excluded_protects(const struct vfr_reset_plan *plan, size_t index);

/**
 * struct vfr_reset_result:
 *
 * What happened to one function: the methods tried, each with its errno
 * and duration, the one that worked, and the policy's outcome. Borrowed
 * from its batch.
 */
struct vfr_reset_result;

/** vfr_reset_result_get_address: (transfer none). Since: 0.1 */
const char *vfr_reset_result_get_address(const struct vfr_reset_result *res);
/** vfr_reset_result_get_plan: (transfer none): the plan that was carried out. Since: 0.1 */
struct vfr_reset_plan *vfr_reset_result_get_plan(const struct vfr_reset_result *res);
/**
 * vfr_reset_result_is_ok:
 * Returns: true when a method worked, or when the policy made the outcome a
 *          success (no-strict after every method failed with an answer from
 *          the kernel, skip). Never for a refused reset, nor for one whose
 *          state is unknown (a call that did not return by the deadline).
 * Since: 0.1
 */
bool vfr_reset_result_is_ok(const struct vfr_reset_result *res);
/** vfr_reset_result_get_outcome: what became of the reset (enum vfr_reset_outcome). Since: 0.1 */
enum vfr_reset_outcome vfr_reset_result_get_outcome(const struct vfr_reset_result *res);
/**
 * vfr_reset_result_get_n_affected / vfr_reset_result_get_affected:
 *
 * Every function the attempted methods may have reset, in address order:
 * the target, a PF's VFs, the functions below the bridge for a bus-wide
 * method. A method that failed counts too (a bus reset can fail after the
 * bus was reset). Empty when no method was attempted.
 * Since: 0.1
 */
size_t vfr_reset_result_get_n_affected(const struct vfr_reset_result *res);
const char *vfr_reset_result_get_affected(const struct vfr_reset_result *res, size_t index);

/**
 * vfr_reset_result_get_pending_pid:
 * Returns: for VFR_RESET_OUTCOME_UNKNOWN after a call that did not return,
 *          the pid of the process still blocked in it (recorded in
 *          ROOT/run/vfioreset/pending/ for every process to honour); else 0.
 * Since: 0.1
 */
int vfr_reset_result_get_pending_pid(const struct vfr_reset_result *res);
/** vfr_reset_result_get_method: (transfer none) (nullable): the method that worked. Since: 0.1 */
const char *vfr_reset_result_get_method(const struct vfr_reset_result *res);
/**
 * vfr_reset_result_is_timed_out:
 * The deadline ran out: a kernel call was still blocked at it (outcome
 * UNKNOWN), or it passed before the next method could be tried (FAILED).
 * Never ok, whatever the policy.
 * Since: 0.1
 */
bool vfr_reset_result_is_timed_out(const struct vfr_reset_result *res);
/** vfr_reset_result_is_ignored_by_policy: every method failed and no-strict made it a success. Since: 0.1 */
bool vfr_reset_result_is_ignored_by_policy(const struct vfr_reset_result *res);
/** vfr_reset_result_is_skipped: the skip policy: nothing was reset. Since: 0.1 */
bool vfr_reset_result_is_skipped(const struct vfr_reset_result *res);
/** vfr_reset_result_get_error: 0, or the negative errno that made the reset fail. Since: 0.1 */
int vfr_reset_result_get_error(const struct vfr_reset_result *res);
/** vfr_reset_result_get_message: (transfer none): one sentence naming the function and the cause. Since: 0.1 */
const char *vfr_reset_result_get_message(const struct vfr_reset_result *res);
/** vfr_reset_result_get_n_attempts: Since: 0.1 */
size_t vfr_reset_result_get_n_attempts(const struct vfr_reset_result *res);
/** vfr_reset_result_get_attempt_method: (transfer none) (nullable). Since: 0.1 */
const char *vfr_reset_result_get_attempt_method(const struct vfr_reset_result *res, size_t index);
/** vfr_reset_result_get_attempt_error: 0 or the negative errno of that attempt. Since: 0.1 */
int vfr_reset_result_get_attempt_error(const struct vfr_reset_result *res, size_t index);
/** vfr_reset_result_get_attempt_ms: how long the attempt took. Since: 0.1 */
double vfr_reset_result_get_attempt_ms(const struct vfr_reset_result *res, size_t index);
/**
 * vfr_reset_result_get_locked:
 * Returns: (transfer none) (nullable): the function whose binding lock
 *          another process still held at the deadline (the reset was not
 *          started), NULL otherwise.
 * Since: 0.1
 */
const char *vfr_reset_result_get_locked(const struct vfr_reset_result *res);
/**
 * vfr_reset_result_get_merged_with:
 *
 * Functions of one batch whose plans start with `hot` and whose hot resets
 * would touch the same functions are reset by one VFIO_DEVICE_PCI_HOT_RESET,
 * issued on the device fd of the first of them in the batch; the others
 * get its outcome (they were quiesced before it, unless
 * VFR_RESET_KEEP_COMMAND) and go on with their next methods only when it
 * failed with an answer from the kernel.
 * Returns: (transfer none) (nullable): the function whose hot reset reset
 *          this one too, NULL when this result's hot reset was its own (or
 *          none was made).
 * Since: 0.1
 */
const char *vfr_reset_result_get_merged_with(const struct vfr_reset_result *res);
/**
 * vfr_reset_result_get_n_merged / vfr_reset_result_get_merged:
 * The other functions of the batch reset by the same hot reset as this one
 * (for the function it was issued on: those it served; for one it served:
 * the issuer and the others), in batch order. Since: 0.1
 */
size_t vfr_reset_result_get_n_merged(const struct vfr_reset_result *res);
const char *vfr_reset_result_get_merged(const struct vfr_reset_result *res, size_t index);
/** vfr_reset_result_get_n_holders: processes that held the target's vfio nodes (the reset was refused). Since: 0.1 */
size_t vfr_reset_result_get_n_holders(const struct vfr_reset_result *res);
/** vfr_reset_result_get_holder: the pid, -1 out of range. Since: 0.1 */
int vfr_reset_result_get_holder(const struct vfr_reset_result *res, size_t index);
/**
 * vfr_reset_result_get_n_uncertain_holders:
 * Processes that may have held the function (a VFIO device file or a
 * mapping of one the kernel does not name, struct vfr_holders): the reset
 * was refused for them, since nothing could tell they do not.
 * Since: 0.1
 */
size_t vfr_reset_result_get_n_uncertain_holders(const struct vfr_reset_result *res);
/** vfr_reset_result_get_uncertain_holder: the pid, -1 out of range. Since: 0.1 */
int vfr_reset_result_get_uncertain_holder(const struct vfr_reset_result *res, size_t index);

/**
 * struct vfr_reset_batch:
 *
 * The resets of a set of functions, carried out by vfr_reset_batch_run():
 * one result per function, in the order given. Functions whose affected
 * sets are disjoint are reset at the same time (one thread each); those
 * that overlap, one after the other. While it runs, the batch holds the
 * binding lock (ROOT/run/vfioreset/ADDR.lock, the lock of
 * vfr_binding_bind() and its kin) of every function its resets touch, so
 * a reset and a change of binding never overlap. Owned by the caller.
 */
struct vfr_reset_batch;

/**
 * vfr_reset_batch_run:
 * @devs: functions of one host.
 * @opts: (nullable): defaults when NULL.
 * @ret_batch: (out): untouched on failure.
 *
 * The functions must not be used from another thread meanwhile; the
 * context's log callback is called from the calling thread only.
 * Returns: 0 when every function was handled (each result says whether
 *          its reset worked), -EINVAL, -ENOMEM; -errno when a plan could
 *          not be made, or when the options set a deadline and
 *          vfioreset-call cannot be run (-ENOENT: missing); nothing is
 *          touched then.
 * Since: 0.1
 */
int vfr_reset_batch_run(struct vfr_device *const *devs, size_t n_devs,
			const struct vfr_reset_options *opts, struct vfr_reset_batch **ret_batch,
			struct vfr_error **reterr);
/** vfr_reset_batch_get_n: Since: 0.1 */
size_t vfr_reset_batch_get_n(const struct vfr_reset_batch *batch);
/** vfr_reset_batch_get_result: (transfer none) (nullable). Since: 0.1 */
struct vfr_reset_result *vfr_reset_batch_get_result(const struct vfr_reset_batch *batch,
						    size_t index);
/** vfr_reset_batch_is_ok: every result is ok. Since: 0.1 */
bool vfr_reset_batch_is_ok(const struct vfr_reset_batch *batch);
/** vfr_reset_batch_free: NULL is accepted. Since: 0.1 */
void vfr_reset_batch_free(struct vfr_reset_batch *batch);

/**
 * vfr_device_reset:
 * One function, as a batch of one.
 * Returns: 0 when the reset worked or the policy made it a success;
 *          otherwise the result's negative errno (-ENOTTY: no method,
 *          -ETIMEDOUT, -EBUSY: what it would reach is held by another
 *          process or by a stuck kernel call, or its binding locked by one,
 *          -EPERM: refused to protect another owner, a host driver or a
 *          function the host object does not know, or the kernel's),
 *          with @reterr saying which methods were tried and why they failed.
 * Since: 0.1
 */
int vfr_device_reset(struct vfr_device *dev, const struct vfr_reset_options *opts,
		     struct vfr_error **reterr);

/** vfr_reset_policy_to_string: "strict", "no-strict", "skip". Since: 0.1 */
const char *vfr_reset_policy_to_string(enum vfr_reset_policy policy);
/** vfr_reset_policy_from_string: Returns: 0 or -EINVAL. Since: 0.1 */
int vfr_reset_policy_from_string(const char *text, enum vfr_reset_policy *ret);
/** vfr_reset_mechanism_to_string: "sysfs", "vfio-device-reset", "vfio-hot-reset". Since: 0.1 */
const char *vfr_reset_mechanism_to_string(enum vfr_reset_mechanism mechanism);
/** vfr_reset_outcome_to_string: "reset", "failed", "ignored", "refused", "unknown", "skipped". Since: 0.1 */
const char *vfr_reset_outcome_to_string(enum vfr_reset_outcome outcome);

static inline void vfr_owners_unrefp(struct vfr_owners **p)
{
	if (*p)
		vfr_owners_unref(*p);
}

static inline void vfr_reset_plan_unrefp(struct vfr_reset_plan **p)
{
	if (*p)
		vfr_reset_plan_unref(*p);
}

static inline void vfr_reset_options_freep(struct vfr_reset_options **p)
{
	if (*p)
		vfr_reset_options_free(*p);
}

static inline void vfr_reset_batch_freep(struct vfr_reset_batch **p)
{
	if (*p)
		vfr_reset_batch_free(*p);
}

VFR_END_DECLS
