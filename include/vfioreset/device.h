/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/address.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

struct vfr_host;

/**
 * struct vfr_device:
 *
 * One PCI function of a struct vfr_host, borrowed from it. Its attributes
 * are read from sysfs when first asked for, once each, and cached; a function
 * that vanished since the scan answers -ENODEV.
 *
 * Getters that return `int` give 0 or a negative errno: -ENOENT when the
 * kernel does not expose the attribute for this function, -ENODEV when the
 * function is gone, -EIO/-EINVAL when what sysfs says cannot be parsed
 * (vfr_device_get_problems() then says what was wrong).
 */
struct vfr_device;

enum vfr_header_type {
	VFR_HEADER_ENDPOINT = 0, /* type 0 */
	VFR_HEADER_BRIDGE = 1,   /* type 1: PCI-to-PCI bridge, root or switch port */
	VFR_HEADER_CARDBUS = 2,  /* type 2 */
	VFR_HEADER_UNKNOWN = 3,  /* unreadable, all 0xFF, or a reserved type */
	_VFR_HEADER_TYPE_FORCE_INT = INT32_MAX,
};

/* Capability facts read from config space (what lspci -vvv decodes). */
enum vfr_capability {
	VFR_CAP_FLR = 1u << 0,      /* PCIe DevCap bit 28, FLReset+ (PCIe Base 5.0 §7.5.3.3) */
	VFR_CAP_AF_FLR = 1u << 1,   /* Advanced Features with TP and FLR (PCI AF ECN) */
	VFR_CAP_PM_RESET = 1u << 2, /* PM capability with NoSoftRst clear (PCI PM 1.2 §3.2.4) */
	VFR_CAP_ACS = 1u << 3,      /* ACS extended capability */
	VFR_CAP_SRIOV = 1u << 4,    /* SR-IOV extended capability */
	VFR_CAP_PCIE = 1u << 5,     /* has a PCI Express capability */
	VFR_CAP_PM = 1u << 6,       /* has a power-management capability */
	_VFR_CAPABILITY_FORCE_INT = INT32_MAX,
};

/* What drives the function, from the bound driver. */
enum vfr_driver_type {
	VFR_DRIVER_NONE = 0,         /* no driver bound */
	VFR_DRIVER_HOST = 1,         /* an ordinary host driver */
	VFR_DRIVER_VFIO_PCI = 2,     /* vfio-pci itself */
	VFR_DRIVER_VFIO_VARIANT = 3, /* another driver exposing the vfio device API */
	VFR_DRIVER_PCI_STUB = 4,     /* pci-stub */
	VFR_DRIVER_XEN_PCIBACK = 5,  /* xen-pciback */
	_VFR_DRIVER_TYPE_FORCE_INT = INT32_MAX,
};

/* How the driver type was decided, from certain to a guess. */
enum vfr_driver_type_source {
	VFR_DRIVER_SOURCE_NONE = 0,         /* no driver is bound */
	VFR_DRIVER_SOURCE_NAME = 1,         /* a driver known by name: vfio-pci, pci-stub, pciback */
	VFR_DRIVER_SOURCE_VFIO_DEV = 2,     /* the kernel's vfio-dev directory, or its absence (>= 6.1) */
	VFR_DRIVER_SOURCE_MODULE_ALIAS = 3, /* the driver's module has (or lacks) a matching vfio_pci: alias */
	VFR_DRIVER_SOURCE_HEURISTIC = 4,    /* the driver's name contains "vfio", or not: a guess */
	_VFR_DRIVER_TYPE_SOURCE_FORCE_INT = INT32_MAX,
};

/** vfr_device_get_host: Returns: (transfer none): the host @dev belongs to. Since: 0.1 */
struct vfr_host *vfr_device_get_host(const struct vfr_device *dev);

/** vfr_device_get_address: Since: 0.1 */
void vfr_device_get_address(const struct vfr_device *dev, struct vfr_address *ret_addr);

/** vfr_device_get_name: Returns: (transfer none): "0000:01:00.0". Since: 0.1 */
const char *vfr_device_get_name(const struct vfr_device *dev);

/** vfr_device_get_vendor_id: from the `vendor` attribute. Since: 0.1 */
int vfr_device_get_vendor_id(struct vfr_device *dev, uint16_t *ret);
/** vfr_device_get_device_id: from the `device` attribute. Since: 0.1 */
int vfr_device_get_device_id(struct vfr_device *dev, uint16_t *ret);
/** vfr_device_get_subsystem_vendor_id: Since: 0.1 */
int vfr_device_get_subsystem_vendor_id(struct vfr_device *dev, uint16_t *ret);
/** vfr_device_get_subsystem_device_id: Since: 0.1 */
int vfr_device_get_subsystem_device_id(struct vfr_device *dev, uint16_t *ret);
/**
 * vfr_device_get_names:
 * @ret_vendor: (out) (transfer none) (nullable): "Intel Corporation"
 * @ret_device: (out) (transfer none) (nullable): "82574L Gigabit Network Connection"
 *
 * Names from the pci.ids database (through libpci); NULL for ids it does not
 * know. Either out-parameter may be NULL.
 * Returns: 0, or the errno of reading the ids.
 * Since: 0.1
 */
int vfr_device_get_names(struct vfr_device *dev, const char **ret_vendor,
			 const char **ret_device);

/** vfr_device_get_class: the 24-bit class code (0x020000). Since: 0.1 */
int vfr_device_get_class(struct vfr_device *dev, uint32_t *ret);
/** vfr_device_get_revision: Since: 0.1 */
int vfr_device_get_revision(struct vfr_device *dev, uint8_t *ret);

/**
 * vfr_device_get_driver:
 * @ret: (out) (transfer none) (nullable): the bound driver's name, NULL when
 *       no driver is bound.
 * Returns: 0, or -ENODEV / -EIO when the `driver` link cannot be read or
 *          leads somewhere no driver lives.
 * Since: 0.1
 */
int vfr_device_get_driver(struct vfr_device *dev, const char **ret);

/**
 * vfr_device_get_driver_type:
 * Returns: 0 or a negative errno as vfr_device_get_driver().
 * Since: 0.1
 */
int vfr_device_get_driver_type(struct vfr_device *dev, enum vfr_driver_type *ret);

/**
 * vfr_device_get_driver_type_source:
 *
 * Which evidence decided vfr_device_get_driver_type(): the vfio-dev directory
 * on Linux >= 6.1 (where /sys/class/vfio-dev exists); before that, whether
 * the bound driver's module carries a vfio_pci: alias matching the function
 * (needs the modules directory); the driver's name only as a last resort.
 * Returns: 0 or a negative errno as vfr_device_get_driver().
 * Since: 0.1
 */
int vfr_device_get_driver_type_source(struct vfr_device *dev, enum vfr_driver_type_source *ret);

/**
 * vfr_device_get_driver_override:
 * @ret: (out) (transfer none) (nullable): NULL when none is set.
 * Returns: 0, -ENOENT when the kernel has no driver_override attribute.
 * Since: 0.1
 */
int vfr_device_get_driver_override(struct vfr_device *dev, const char **ret);

/**
 * vfr_device_get_iommu_group:
 * Returns: 0, -ENOENT when the function is in no IOMMU group (IOMMU off).
 * Since: 0.1
 */
int vfr_device_get_iommu_group(struct vfr_device *dev, int *ret);

/** vfr_device_get_numa_node: -1 means no node. -ENOENT when absent. Since: 0.1 */
int vfr_device_get_numa_node(struct vfr_device *dev, int *ret);

/** vfr_device_get_modalias: (transfer none). Since: 0.1 */
int vfr_device_get_modalias(struct vfr_device *dev, const char **ret);

/**
 * vfr_device_get_power_state:
 * @ret: (out) (transfer none): "D0", "D3hot", "D3cold", ... as the kernel says.
 * Returns: 0, -ENOENT on kernels without `power_state` (before 5.16).
 * Since: 0.1
 */
int vfr_device_get_power_state(struct vfr_device *dev, const char **ret);

/**
 * vfr_device_get_reset_methods:
 * @ret_methods: (out) (transfer none) (array zero-terminated=1): the kernel's
 *       `reset_method` list in its order; an empty array when the attribute
 *       is empty (every method disabled, or nothing left after a re-probe).
 * Returns: 0, or -ENOENT when the attribute is absent (no reset method was
 *          found at enumeration, or the kernel predates 5.15) — absent and
 *          empty are different answers.
 * Since: 0.1
 */
int vfr_device_get_reset_methods(struct vfr_device *dev, const char *const **ret_methods);

/**
 * vfr_device_get_header_type:
 * Returns: 0, or the negative errno of reading config space (the type is
 *          then VFR_HEADER_UNKNOWN).
 * Since: 0.1
 */
int vfr_device_get_header_type(struct vfr_device *dev, enum vfr_header_type *ret);

/** vfr_device_is_multifunction: bit 7 of the header type. Since: 0.1 */
bool vfr_device_is_multifunction(struct vfr_device *dev);

/**
 * vfr_device_get_capabilities:
 * @ret_caps: (out): a mask of enum vfr_capability.
 * @reterr: (out) (optional): why config space could not be read.
 *
 * Config space is read once, through libpci. A capability list that loops
 * or points out of range is walked up to the fault and the fault is recorded
 * in vfr_device_get_problems(); what was found before it is reported.
 *
 * Returns: 0; -ENOENT when there is no `config` attribute; -EIO when config
 *          space reads all 0xFF (the function is in D3cold or was removed)
 *          or is too short to hold a header; -EACCES when only the first 64
 *          bytes are readable (the kernel's limit for unprivileged readers);
 *          -ENODEV when the function is gone; -EBUSY when a reset stuck in
 *          the kernel holds the function (vfr_device_get_pending_call()):
 *          its config space is then not read at all, since every reader
 *          sleeps until the reset returns, for ever if it never does.
 * Since: 0.1
 */
int vfr_device_get_capabilities(struct vfr_device *dev, unsigned int *ret_caps,
				struct vfr_error **reterr);

/**
 * vfr_device_get_parent:
 * Returns: (transfer none) (nullable): the bridge directly upstream of @dev
 *          in the sysfs hierarchy, or NULL when @dev sits on a root bus.
 * Since: 0.1
 */
struct vfr_device *vfr_device_get_parent(const struct vfr_device *dev);

/** vfr_device_get_n_children: functions directly below bridge @dev. Since: 0.1 */
size_t vfr_device_get_n_children(const struct vfr_device *dev);
/** vfr_device_get_child: (transfer none) (nullable), in address order. Since: 0.1 */
struct vfr_device *vfr_device_get_child(const struct vfr_device *dev, size_t index);

/** vfr_device_get_physfn: (transfer none) (nullable): the PF of a VF. Since: 0.1 */
struct vfr_device *vfr_device_get_physfn(const struct vfr_device *dev);
/** vfr_device_get_n_virtfns: how many VFs of a PF exist now. Since: 0.1 */
size_t vfr_device_get_n_virtfns(const struct vfr_device *dev);
/** vfr_device_get_virtfn: (transfer none) (nullable), in address order. Since: 0.1 */
struct vfr_device *vfr_device_get_virtfn(const struct vfr_device *dev, size_t index);

/**
 * vfr_device_get_vf_index:
 * @ret: (out): N of the PF's `virtfnN` link that leads to @dev: the VF's
 *       number as the kernel and the PF's driver count it (`ip link set
 *       PF vf N`), 0-based, not its position in address order.
 * Returns: 0; -ENOENT when @dev is not a VF, or its PF has no link to it.
 * Since: 0.1
 */
int vfr_device_get_vf_index(struct vfr_device *dev, int *ret);

/**
 * vfr_device_get_sriov_totalvfs / vfr_device_get_sriov_numvfs:
 * The PF's `sriov_totalvfs` (how many VFs it can have) and `sriov_numvfs`
 * (how many are enabled now), read from sysfs at each call: they change
 * when VFs are created.
 * Returns: 0; -ENOENT when the function is not an SR-IOV PF (or the kernel
 *          has no SR-IOV support); -ENODEV when it is gone; -EIO when the
 *          value cannot be parsed.
 * Since: 0.1
 */
int vfr_device_get_sriov_totalvfs(struct vfr_device *dev, unsigned int *ret);
int vfr_device_get_sriov_numvfs(struct vfr_device *dev, unsigned int *ret);

/**
 * vfr_device_get_net_interfaces:
 * @ret: (out) (transfer none) (array zero-terminated=1): the names of the
 *       network interfaces the bound driver made for the function (its
 *       `net/` directory: "enp1s0f0"), sorted; empty when it has none (no
 *       network driver bound, a vfio driver among them).
 * Returns: 0; -ENODEV when the function is gone.
 * Since: 0.1
 */
int vfr_device_get_net_interfaces(struct vfr_device *dev, const char *const **ret);

/**
 * struct vfr_pending_call:
 *
 * A kernel call (a reset, or a store of a binding) that a process gave up
 * on at its deadline and that has not returned: the process that made it
 * is still blocked in the kernel, holding the locks of the functions it
 * touches. While it lives, this library reads none of their config space
 * (the reader would sleep with it) and refuses every reset, bind, unbind or
 * restore that would reach them. Records live in ROOT/run/vfioreset/pending/
 * and are honoured by every process; a record whose process is gone is
 * removed by the next operation that changes something. Borrowed from the
 * function it was found on, valid until the host is freed.
 */
struct vfr_pending_call;

/**
 * vfr_device_get_pending_call:
 * @ret: (out) (transfer none): the call holding @dev; untouched on failure.
 *
 * Looks at the records when first asked after the scan or after @dev's
 * facts were re-read.
 * Returns: 0 when a call is pending, -ENOENT when none is (the usual case).
 * Since: 0.1
 */
int vfr_device_get_pending_call(struct vfr_device *dev, const struct vfr_pending_call **ret);
/** vfr_pending_call_get_address: (transfer none): the function the call was made on. Since: 0.1 */
const char *vfr_pending_call_get_address(const struct vfr_pending_call *call);
/** vfr_pending_call_get_operation: (transfer none): "reset", "unbind", "bind", "drivers_probe", "driver_override". Since: 0.1 */
const char *vfr_pending_call_get_operation(const struct vfr_pending_call *call);
/** vfr_pending_call_get_method: (transfer none) (nullable): the reset method ("flr", "vfio", "hot"...). Since: 0.1 */
const char *vfr_pending_call_get_method(const struct vfr_pending_call *call);
/** vfr_pending_call_get_pid: the process still blocked in the call. Since: 0.1 */
int vfr_pending_call_get_pid(const struct vfr_pending_call *call);
/** vfr_pending_call_get_since: when the call was made, in seconds since the epoch. Since: 0.1 */
int64_t vfr_pending_call_get_since(const struct vfr_pending_call *call);
/**
 * vfr_pending_call_get_message:
 * Returns: (transfer none): "a reset (flr) of 0000:01:10.0 has been pending
 *          in the kernel since 2026-12-06 20:31:07 (pid 4242)".
 * Since: 0.1
 */
const char *vfr_pending_call_get_message(const struct vfr_pending_call *call);

/**
 * vfr_device_get_n_problems / vfr_device_get_problem:
 *
 * What was found wrong with this function's sysfs entries or config space so
 * far ("iommu_group link leads outside the sysfs root", "capability list
 * loops back to 0x50"), one sentence each. Facts are read lazily, so the list
 * grows as getters are called.
 * Since: 0.1
 */
size_t vfr_device_get_n_problems(const struct vfr_device *dev);
const char *vfr_device_get_problem(const struct vfr_device *dev, size_t index);

/** vfr_header_type_to_string: "endpoint", "bridge", "cardbus", "unknown". Since: 0.1 */
const char *vfr_header_type_to_string(enum vfr_header_type type);

/** vfr_driver_type_source_to_string: "none", "name", "vfio-dev", "module-alias", "heuristic". Since: 0.1 */
const char *vfr_driver_type_source_to_string(enum vfr_driver_type_source source);

/** vfr_driver_type_to_string: "none", "host", "vfio-pci", "vfio-variant", "pci-stub", "xen-pciback". Since: 0.1 */
const char *vfr_driver_type_to_string(enum vfr_driver_type type);

/**
 * struct vfr_holders:
 *
 * Who holds a function through VFIO, as found at one moment by a pass over
 * /proc: other processes with its group or cdev node open, with a device
 * file of it (which the kernel names in fdinfo since Linux 6.18), or with a
 * mapping of its BARs (of the cdev, or of its sysfs resourceN files) -
 * those hold it for certain. A process holding a VFIO device file the
 * kernel does not name, or a mapping of one, may hold any vfio-bound
 * function: it is listed as uncertain, never left out. Whether this very
 * process holds it is said apart. Owned by the caller.
 */
struct vfr_holders;

/**
 * vfr_device_find_holders:
 * @ret: (out): untouched on failure; free with vfr_holders_free().
 * Returns: 0, -ENODEV (the function is gone), or -errno when /proc or the
 *          function's nodes cannot be read.
 * Since: 0.1
 */
int vfr_device_find_holders(struct vfr_device *dev, struct vfr_holders **ret,
			    struct vfr_error **reterr);

/** vfr_holders_get_n: other processes that hold the function for certain. Since: 0.1 */
size_t vfr_holders_get_n(const struct vfr_holders *h);
/** vfr_holders_get_pid: the pid, sorted; -1 out of range. Since: 0.1 */
int vfr_holders_get_pid(const struct vfr_holders *h, size_t index);
/**
 * vfr_holders_get_n_uncertain:
 * Other processes that may hold it: they hold a VFIO device file, or a
 * mapping of one, that the kernel does not name. Since: 0.1
 */
size_t vfr_holders_get_n_uncertain(const struct vfr_holders *h);
/** vfr_holders_get_uncertain_pid: the pid, sorted; -1 out of range. Since: 0.1 */
int vfr_holders_get_uncertain_pid(const struct vfr_holders *h, size_t index);
/**
 * vfr_holders_get_self:
 * Returns: 1 when this process holds the function, -1 when it holds an
 *          unnamed device file that may be the function's, 0 otherwise.
 * Since: 0.1
 */
int vfr_holders_get_self(const struct vfr_holders *h);
/* How a process holds a function (a mask, vfr_holders_get_how()). */
enum vfr_holder_how {
	VFR_HOLDER_GROUP = 1u << 0,   /* its group node open */
	VFR_HOLDER_CDEV = 1u << 1,    /* its cdev open */
	VFR_HOLDER_DEVICE = 1u << 2,  /* a device file of it the kernel names (Linux >= 6.18) */
	VFR_HOLDER_MMAP = 1u << 3,    /* a mapping of its BARs (cdev, device file or resourceN) */
	VFR_HOLDER_UNNAMED = 1u << 4, /* a device file, or a mapping of one, the kernel does not name */
	_VFR_HOLDER_HOW_FORCE_INT = INT32_MAX,
};
/**
 * vfr_holders_get_how / vfr_holders_get_uncertain_how:
 * Returns: how holder @index holds the function, a mask of enum
 *          vfr_holder_how; 0 out of range. An uncertain holder's mask has
 *          VFR_HOLDER_UNNAMED.
 * Since: 0.1
 */
unsigned int vfr_holders_get_how(const struct vfr_holders *h, size_t index);
unsigned int vfr_holders_get_uncertain_how(const struct vfr_holders *h, size_t index);
/** vfr_holders_get_n_uninspectable: processes whose descriptors could not be read. Since: 0.1 */
size_t vfr_holders_get_n_uninspectable(const struct vfr_holders *h);
/** vfr_holders_free: NULL is accepted. Since: 0.1 */
void vfr_holders_free(struct vfr_holders *h);

static inline void vfr_holders_freep(struct vfr_holders **p)
{
	if (*p)
		vfr_holders_free(*p);
}

VFR_END_DECLS
