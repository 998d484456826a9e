/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

struct vfr_device;

/**
 * Whether a function may be given to a VM, as a VM manager decides it
 * (libvirt's virPCIDeviceIsAssignable() with its strict_acs_check).
 *
 * Below a PCIe switch, a function can reach its siblings peer to peer
 * without passing the IOMMU unless every switch downstream port above it
 * redirects that traffic upstream: the ACS controls Source Validation,
 * Request Redirect, Completion Redirect and Upstream Forwarding, enabled
 * in the port's ACS Control register. A port without the ACS capability,
 * or with one of the four disabled, lets the function talk to what else
 * is below it, and a guest could reach the host's devices there. Root
 * ports and functions on a root bus are not checked, as libvirt does not:
 * traffic between them goes through the root complex, whose isolation the
 * kernel's IOMMU groups already reflect.
 */

/* ACS Control bits (the ACS Control register's layout). */
enum vfr_acs_control {
	VFR_ACS_SOURCE_VALIDATION = 1u << 0,
	VFR_ACS_TRANSLATION_BLOCKING = 1u << 1,
	VFR_ACS_REQUEST_REDIRECT = 1u << 2,
	VFR_ACS_COMPLETION_REDIRECT = 1u << 3,
	VFR_ACS_UPSTREAM_FORWARDING = 1u << 4,
	VFR_ACS_EGRESS_CONTROL = 1u << 5,
	VFR_ACS_DIRECT_TRANSLATED = 1u << 6,
	/* The controls a switch downstream port needs to isolate what is below it. */
	VFR_ACS_ISOLATING = VFR_ACS_SOURCE_VALIDATION | VFR_ACS_REQUEST_REDIRECT |
			    VFR_ACS_COMPLETION_REDIRECT | VFR_ACS_UPSTREAM_FORWARDING,
	_VFR_ACS_CONTROL_FORCE_INT = INT32_MAX,
};

/**
 * vfr_device_get_acs_control:
 * @ret: (out): the function's ACS Control register (enum vfr_acs_control bits).
 * Returns: 0; -ENOENT when it has no ACS capability; the errno of its
 *          config space (-EACCES: only root reads past the header).
 * Since: 0.1
 */
int vfr_device_get_acs_control(struct vfr_device *dev, unsigned int *ret);

/**
 * vfr_acs_control_to_string:
 * Returns: (nullable): "source-validation", "translation-blocking",
 *          "request-redirect", "completion-redirect", "upstream-forwarding",
 *          "egress-control", "direct-translated" for one bit; NULL otherwise.
 * Since: 0.1
 */
const char *vfr_acs_control_to_string(enum vfr_acs_control control);

/**
 * vfr_device_check_acs_path:
 * Walks every bridge from @dev up to its root bus, nearest first, and looks
 * at each PCIe switch downstream port for the VFR_ACS_ISOLATING controls.
 * @ret_port: (out) (optional) (transfer none): the first port that lacks
 *            them; NULL when none does.
 * @ret_missing: (out) (optional): the VFR_ACS_ISOLATING controls that port
 *               lacks (all four when it has no ACS capability); 0 when
 *               none does.
 * Returns: 1 isolated, 0 not, or the errno of a port whose config space
 *          cannot be read (-EACCES when not root); outs untouched then.
 * Since: 0.1
 */
int vfr_device_check_acs_path(struct vfr_device *dev, struct vfr_device **ret_port,
			      unsigned int *ret_missing);

/**
 * vfr_device_check_assignable:
 * The verdict a VM manager takes before giving @dev to a guest. With
 * @strict_acs, a function behind a switch port that lacks the isolating
 * ACS controls is refused; without, it is allowed (the port is logged at
 * notice level), as libvirt's strict_acs_check=false does.
 * Returns: 0 assignable; -EPERM not assignable, @reterr naming the port
 *          and the controls it lacks; the errno of a port's config space
 *          (libvirt refuses then too), @reterr saying which.
 * Since: 0.1
 */
int vfr_device_check_assignable(struct vfr_device *dev, bool strict_acs,
				struct vfr_error **reterr);

VFR_END_DECLS
