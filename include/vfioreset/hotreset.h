/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/address.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

struct vfr_host;
struct vfr_device;

/**
 * A VFIO hot reset (VFIO_DEVICE_PCI_HOT_RESET) resets a whole slot or bus,
 * with every bus below it. The kernel allows it only when every function it
 * touches is bound to a vfio-pci driver and owned by the caller: through an
 * open group fd for each affected IOMMU group when the calling device was
 * opened through its group, or through the caller's iommufd context when it
 * was opened as a cdev (/dev/vfio/devices/vfioN, Linux >= 6.6).
 *
 * struct vfr_hot_reset_check is the answer for one calling function: allowed
 * or not, the errno the kernel would return, and per affected function its
 * state and, where it blocks, why. It is made either by predicting from
 * sysfs (vfr_device_check_hot_reset(): "if one VM holds these functions, can
 * it hot reset this one?") or from the kernel's own VFIO hot-reset INFO
 * answer on an open device (vfr_hot_reset_check_fd(), vfr_vfio_holding_*).
 * A refusal is data in the result, not an error of the call.
 */
struct vfr_hot_reset_check;

/* How the calling device was opened, which decides how ownership is proven. */
enum vfr_hot_reset_mode {
	VFR_HOT_RESET_MODE_GROUP = 0, /* /dev/vfio/GROUP: group fds prove ownership */
	VFR_HOT_RESET_MODE_CDEV = 1,  /* /dev/vfio/devices/vfioN: the iommufd context does */
	_VFR_HOT_RESET_MODE_FORCE_INT = INT32_MAX,
};

/* One affected function, from the caller's side. */
enum vfr_hot_reset_state {
	VFR_HOT_RESET_STATE_OPENED = 0,  /* the caller has it open: quiesce it before, restore after */
	VFR_HOT_RESET_STATE_OWNED = 1,   /* owned but not open: nothing to prepare */
	VFR_HOT_RESET_STATE_BLOCKER = 2, /* the kernel refuses because of it */
	_VFR_HOT_RESET_STATE_FORCE_INT = INT32_MAX,
};

/* Why a hot reset is refused; the first applies to the whole check. */
enum vfr_hot_reset_reason {
	VFR_HOT_RESET_REASON_NONE = 0,
	VFR_HOT_RESET_REASON_NO_RESET_METHOD = 1, /* no slot or bus reset (ENODEV) */
	VFR_HOT_RESET_REASON_NO_IOMMU_GROUP = 2,  /* group mode: the INFO call fails (EPERM) */
	VFR_HOT_RESET_REASON_NOT_VFIO_BOUND = 3,  /* not bound to a vfio-pci driver (bridges never are) */
	VFR_HOT_RESET_REASON_GROUP_NOT_HELD = 4,  /* group mode: its group fd is not held */
	VFR_HOT_RESET_REASON_NOT_IN_CONTEXT = 5,  /* cdev: not bound to the caller's iommufd, nor in a group bound there */
	VFR_HOT_RESET_REASON_OTHER_CONTEXT = 6,   /* opened by someone else (another process or context) */
	VFR_HOT_RESET_REASON_MIXED_MODE = 7,      /* held through a group while the reset goes through a cdev, or the reverse */
	VFR_HOT_RESET_REASON_NOIOMMU_CDEV = 8,    /* noiommu cdev: nothing is owned through its context */
	VFR_HOT_RESET_REASON_WRONG_FD_ARRAY = 9,  /* the fd array does not suit the mode (EINVAL) */
	_VFR_HOT_RESET_REASON_FORCE_INT = INT32_MAX,
};

/**
 * vfr_device_check_hot_reset:
 * @dev: the calling function (the one whose fd the reset would be issued on).
 * @holding: (array length=n_holding) (nullable): the functions the caller
 *           holds open besides @dev (@dev is always held). In group mode
 *           their IOMMU groups are the group fds the caller holds; in cdev
 *           mode they are bound to the caller's iommufd context.
 * @mode: how the caller opened its devices.
 * @ret_check: (out): free with vfr_hot_reset_check_free(); untouched on failure.
 * @reterr: (out) (optional)
 *
 * Predicts the kernel's decision without opening anything: the affected set
 * is @dev's bus with every bus below it (for PCI Express the slot is the
 * same set), each function's group, driver and header type come from sysfs.
 * See vfioreset(1), "where prediction can differ from the kernel".
 *
 * Returns: 0 (allowed or not: see the check); -ENODEV when a holding
 *          address is not a function of the host; -EINVAL for bad arguments;
 *          the errno of reading sysfs.
 * Since: 0.1
 */
int vfr_device_check_hot_reset(struct vfr_device *dev, const struct vfr_address *holding,
			       size_t n_holding, enum vfr_hot_reset_mode mode,
			       struct vfr_hot_reset_check **ret_check, struct vfr_error **reterr);

/**
 * vfr_hot_reset_check_fd:
 * @dev: the function @device_fd is open on.
 * @device_fd: a VFIO device fd of @dev (from VFIO_GROUP_GET_DEVICE_FD, or a
 *             cdev bound with VFIO_DEVICE_BIND_IOMMUFD).
 * @mode: how @device_fd was opened. Where the kernel answers in devid form
 *        the device is cdev-opened whatever @mode says.
 * @held_groups: (array length=n_held_groups) (nullable): group mode: the
 *               IOMMU groups whose group fds the caller holds.
 * @opened: (array length=n_opened) (nullable): the functions the caller has
 *          open (group mode; in cdev mode the kernel reports them).
 * @ret_check: (out): untouched on failure.
 *
 * Asks the kernel (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, sized and retried as
 * the kernel asks) and evaluates its answer with sysfs facts to explain each
 * blocker.
 * A refusal of INFO itself (ENODEV: no slot or bus reset; EPERM: a function
 * without an IOMMU group) is a check with that errno, not a failure.
 *
 * Returns: 0; the ioctl's -errno for other failures (-ENOTTY: not a VFIO PCI
 *          device fd).
 * Since: 0.1
 */
int vfr_hot_reset_check_fd(struct vfr_device *dev, int device_fd, enum vfr_hot_reset_mode mode,
			   const int *held_groups, size_t n_held_groups, const struct vfr_address *opened, size_t n_opened,
			   struct vfr_hot_reset_check **ret_check, struct vfr_error **reterr);

/** vfr_hot_reset_check_free: NULL is accepted. Since: 0.1 */
void vfr_hot_reset_check_free(struct vfr_hot_reset_check *check);

/** vfr_hot_reset_check_get_address: (transfer none): the calling function. Since: 0.1 */
const char *vfr_hot_reset_check_get_address(const struct vfr_hot_reset_check *check);

/** vfr_hot_reset_check_get_mode: Since: 0.1 */
enum vfr_hot_reset_mode vfr_hot_reset_check_get_mode(const struct vfr_hot_reset_check *check);

/** vfr_hot_reset_check_from_kernel: true when the kernel's INFO answer was evaluated. Since: 0.1 */
bool vfr_hot_reset_check_from_kernel(const struct vfr_hot_reset_check *check);

/** vfr_hot_reset_check_is_allowed: Since: 0.1 */
bool vfr_hot_reset_check_is_allowed(const struct vfr_hot_reset_check *check);

/**
 * vfr_hot_reset_check_get_errno:
 * Returns: the positive errno the kernel returns to a caller doing what the
 *          uAPI asks (INFO, then HOT_RESET with the fd array of its mode):
 *          0 when allowed, ENODEV, EPERM or EINVAL.
 * Since: 0.1
 */
int vfr_hot_reset_check_get_errno(const struct vfr_hot_reset_check *check);

/** vfr_hot_reset_check_get_reason: the first reason of the refusal, NONE when allowed. Since: 0.1 */
enum vfr_hot_reset_reason vfr_hot_reset_check_get_reason(const struct vfr_hot_reset_check *check);

/**
 * vfr_hot_reset_check_get_summary:
 * Returns: (transfer none): one sentence naming the calling function and,
 *          when refused, the first blocker and its cause.
 * Since: 0.1
 */
const char *vfr_hot_reset_check_get_summary(const struct vfr_hot_reset_check *check);

/** vfr_hot_reset_check_get_n_affected: functions the reset would touch, in address order. Since: 0.1 */
size_t vfr_hot_reset_check_get_n_affected(const struct vfr_hot_reset_check *check);

/** vfr_hot_reset_check_get_affected: (transfer none) (nullable): "0000:01:00.0". Since: 0.1 */
const char *vfr_hot_reset_check_get_affected(const struct vfr_hot_reset_check *check, size_t index);

/**
 * vfr_hot_reset_check_get_affected_group:
 * Returns: the IOMMU group of affected function @index (the kernel's when it
 *          answered in group mode), -1 when it has none or @index is out of range.
 * Since: 0.1
 */
int vfr_hot_reset_check_get_affected_group(const struct vfr_hot_reset_check *check, size_t index);

/** vfr_hot_reset_check_get_affected_state: Since: 0.1 */
enum vfr_hot_reset_state vfr_hot_reset_check_get_affected_state(const struct vfr_hot_reset_check *check,
								 size_t index);

/** vfr_hot_reset_check_get_affected_reason: NONE unless the function is a blocker. Since: 0.1 */
enum vfr_hot_reset_reason vfr_hot_reset_check_get_affected_reason(const struct vfr_hot_reset_check *check,
								  size_t index);

/**
 * vfr_hot_reset_check_get_affected_text:
 * Returns: (transfer none) (nullable): a sentence on the function's state:
 *          why it blocks, or how it is owned.
 * Since: 0.1
 */
const char *vfr_hot_reset_check_get_affected_text(const struct vfr_hot_reset_check *check,
						  size_t index);

/**
 * vfr_hot_reset_check_get_affected_devid:
 * Returns: cdev mode with the kernel's answer: the devid the kernel reported
 *          (> 0 bound in the caller's context, 0 owned, 0xFFFFFFFF not
 *          owned); otherwise -1.
 * Since: 0.1
 */
int64_t vfr_hot_reset_check_get_affected_devid(const struct vfr_hot_reset_check *check,
					       size_t index);

/**
 * vfr_hot_reset_check_get_n_groups / vfr_hot_reset_check_get_group:
 *
 * Group mode: the IOMMU groups whose fds the reset needs (each affected
 * group once, ascending). Cdev mode: none; the fd array must be empty.
 * Since: 0.1
 */
size_t vfr_hot_reset_check_get_n_groups(const struct vfr_hot_reset_check *check);
int vfr_hot_reset_check_get_group(const struct vfr_hot_reset_check *check, size_t index);

/** vfr_hot_reset_mode_to_string: "group", "cdev". Since: 0.1 */
const char *vfr_hot_reset_mode_to_string(enum vfr_hot_reset_mode mode);
/** vfr_hot_reset_state_to_string: "opened", "owned", "blocker". Since: 0.1 */
const char *vfr_hot_reset_state_to_string(enum vfr_hot_reset_state state);
/**
 * vfr_hot_reset_reason_to_string: "none", "no-reset-method", "no-iommu-group",
 * "not-vfio-bound", "group-not-held", "not-in-context", "other-context",
 * "mixed-mode", "noiommu-cdev", "wrong-fd-array".
 * Since: 0.1
 */
const char *vfr_hot_reset_reason_to_string(enum vfr_hot_reset_reason reason);

/**
 * struct vfr_vfio_holding:
 *
 * VFIO fds held the way a VMM holds them: in group mode a container with
 * the groups of the added functions set into it and a device fd per added
 * function; in cdev mode an iommufd context with each added function's cdev
 * bound to it. Lets a manager (and `vfioreset hot-reset-check --kernel`) ask
 * the kernel what it would decide for a VM holding exactly these functions.
 * Closing it (vfr_vfio_holding_free()) releases every fd.
 */
struct vfr_vfio_holding;

/**
 * vfr_vfio_holding_new:
 * @ret: (out): untouched on failure.
 * Returns: 0, -EINVAL for bad arguments. Nothing is opened yet.
 * Since: 0.1
 */
int vfr_vfio_holding_new(struct vfr_host *host, enum vfr_hot_reset_mode mode,
			 struct vfr_vfio_holding **ret);

/**
 * vfr_vfio_holding_add:
 *
 * Opens @dev's group (once per group; checked viable, set into the shared
 * container, whose IOMMU type is set on first use) and its device fd, or its
 * cdev bound to the holding's iommufd.
 * Returns: 0; -ENOENT when @dev is in no IOMMU group or has no VFIO node
 *          (not bound to a vfio driver); -EPERM when its group is not viable
 *          (the errno a binding gives for a group that would not be, bind.h);
 *          -EBUSY when someone else holds it; the errno of the open or ioctl.
 * Since: 0.1
 */
int vfr_vfio_holding_add(struct vfr_vfio_holding *holding, struct vfr_device *dev,
			 struct vfr_error **reterr);

/**
 * vfr_vfio_holding_adopt_group:
 * @group_fd: the caller's open /dev/vfio/@group (or noiommu-@group),
 *            borrowed: the holding never closes it, and the caller keeps it
 *            open as long as the holding (and options using it) live.
 *
 * A VMM that opened its devices through their groups hands over what it
 * holds, so the library asks the kernel and hot resets with the VMM's own
 * fds: the kernel accepts a hot reset only with the fd of every affected
 * group, and a group can be open in one place only, so the library could
 * not open it itself. Group mode only.
 * Returns: 0 (also when adopted already with this fd); -EINVAL when the
 *          holding is in cdev mode or @group_fd is not an open node of
 *          @group; -EEXIST when the group is held through another fd; the
 *          errno of VFIO_GROUP_GET_STATUS on it.
 * Since: 0.1
 */
int vfr_vfio_holding_adopt_group(struct vfr_vfio_holding *holding, int group, int group_fd,
				 struct vfr_error **reterr);

/**
 * vfr_vfio_holding_adopt_device:
 * @device_fd: the caller's VFIO device fd of @dev, borrowed like a group's:
 *             from VFIO_GROUP_GET_DEVICE_FD (group mode; adopt its group
 *             too), or its cdev bound to the caller's iommufd with
 *             VFIO_DEVICE_BIND_IOMMUFD (cdev mode).
 *
 * Checked to be a VFIO PCI device (VFIO_DEVICE_GET_INFO) and, in cdev mode,
 * an open /dev/vfio/devices node of @dev. The hot-reset check and the
 * `vfio` and `hot` reset methods then use it (vfr_reset_options_set_vfio_holding()).
 * Returns: 0; -EEXIST when @dev is held through another fd; -EINVAL, or the
 *          ioctl's errno, when @device_fd is not what it should be.
 * Since: 0.1
 */
int vfr_vfio_holding_adopt_device(struct vfr_vfio_holding *holding, struct vfr_device *dev,
				  int device_fd, struct vfr_error **reterr);

/** vfr_vfio_holding_get_device_fd: the device fd of an added function, -ENOENT if not added. Since: 0.1 */
int vfr_vfio_holding_get_device_fd(const struct vfr_vfio_holding *holding,
				   const struct vfr_device *dev);

/**
 * vfr_vfio_holding_check_hot_reset:
 *
 * vfr_hot_reset_check_fd() on @dev's device fd with what the holding holds.
 * @dev must have been added.
 * Since: 0.1
 */
int vfr_vfio_holding_check_hot_reset(struct vfr_vfio_holding *holding, struct vfr_device *dev,
				     struct vfr_hot_reset_check **ret_check,
				     struct vfr_error **reterr);

/** vfr_vfio_holding_free: closes every fd; NULL is accepted. Since: 0.1 */
void vfr_vfio_holding_free(struct vfr_vfio_holding *holding);

static inline void vfr_hot_reset_check_freep(struct vfr_hot_reset_check **p)
{
	if (*p)
		vfr_hot_reset_check_free(*p);
}

static inline void vfr_vfio_holding_freep(struct vfr_vfio_holding **p)
{
	if (*p)
		vfr_vfio_holding_free(*p);
}

VFR_END_DECLS
