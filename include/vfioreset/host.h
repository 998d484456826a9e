/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/ctx.h>
#include <vfioreset/address.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

struct vfr_device;

/**
 * struct vfr_host:
 *
 * The PCI functions of one host, found by a single pass over
 * /sys/bus/pci/devices, with the index every later question is answered
 * from: address -> function, the parent bridge of each function (taken from
 * the sysfs device hierarchy, not from bus numbers), the functions below
 * each bridge, IOMMU group -> functions and PF <-> VFs.
 *
 * How fresh its answers are. The index (which functions exist, their
 * parents, PF <-> VFs) is made once, at the scan: functions that appear
 * later (hotplug, VFs enabled through sriov_numvfs) are not in it, and one
 * that vanished answers -ENODEV when its attributes are read. A function's
 * attributes (driver, override, reset_method, config space...) are read
 * when first asked for and then kept, so a host object held for long
 * answers with what was true then - another process may have rebound the
 * function since. Operations never act on such answers: a reset reads
 * every fact it rests on again right before it writes (and refuses when
 * the index itself no longer matches sysfs: scan again), and bind, unbind
 * and restore read the binding afresh under their lock. Pending kernel
 * calls (struct vfr_pending_call) are looked at again at least every
 * 50 ms. To see the host as it is now, scan again. Reference counted; the
 * devices it hands out are borrowed and live as long as it does.
 */
struct vfr_host;

/**
 * vfr_host_scan:
 * @ret_host: (out): untouched on failure.
 *
 * Returns: 0; -ENOENT when the root has no /sys/bus/pci/devices (no PCI, or
 *          not a sysfs tree); -errno from reading the directory.
 * Since: 0.1
 */
int vfr_host_scan(struct vfr_ctx *ctx, struct vfr_host **ret_host, struct vfr_error **reterr);

/** vfr_host_ref: Returns: @host. Since: 0.1 */
struct vfr_host *vfr_host_ref(struct vfr_host *host);

/** vfr_host_unref: NULL is accepted. Returns: NULL. Since: 0.1 */
struct vfr_host *vfr_host_unref(struct vfr_host *host);

/** vfr_host_get_ctx: Returns: (transfer none): the context of @host. Since: 0.1 */
struct vfr_ctx *vfr_host_get_ctx(const struct vfr_host *host);

/**
 * vfr_host_get_n_devices:
 * Returns: the number of functions found.
 * Since: 0.1
 */
size_t vfr_host_get_n_devices(const struct vfr_host *host);

/**
 * vfr_host_get_device:
 * Returns: (transfer none) (nullable): the function at @index, in address
 *          order, or NULL when @index is out of range.
 * Since: 0.1
 */
struct vfr_device *vfr_host_get_device(const struct vfr_host *host, size_t index);

/**
 * vfr_host_find_device:
 * @ret_dev: (out) (transfer none): borrowed from @host.
 * Returns: 0, or -ENODEV when no function has @addr.
 * Since: 0.1
 */
int vfr_host_find_device(const struct vfr_host *host, const struct vfr_address *addr,
			 struct vfr_device **ret_dev);

/**
 * vfr_host_lookup:
 * Parses @text with vfr_address_parse() and finds the function.
 * @reterr: (out) (optional): "'0000:01:00.9': ..." for bad input, or
 *          "0000:05:00.0: no such PCI function" when it is absent.
 * Returns: 0, -EINVAL (malformed address) or -ENODEV (absent).
 * Since: 0.1
 */
int vfr_host_lookup(const struct vfr_host *host, const char *text, struct vfr_device **ret_dev,
		    struct vfr_error **reterr);

/**
 * vfr_host_get_n_group_devices:
 * Returns: how many functions are in IOMMU group @group (0 if none).
 * Since: 0.1
 */
size_t vfr_host_get_n_group_devices(const struct vfr_host *host, int group);

/**
 * vfr_host_get_group_device:
 * Returns: (transfer none) (nullable): member @index of IOMMU group @group,
 *          in address order.
 * Since: 0.1
 */
struct vfr_device *vfr_host_get_group_device(const struct vfr_host *host, int group,
					     size_t index);

static inline void vfr_host_unrefp(struct vfr_host **p)
{
	if (*p)
		vfr_host_unref(*p);
}

VFR_END_DECLS
