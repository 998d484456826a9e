/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Assignability: the ACS controls of the switch ports above a function, as
 * libvirt's virPCIDeviceIsBehindSwitchLackingACS() looks at them (a PCIe
 * downstream port of class 0604 must have the ACS capability with Source
 * Validation, Request Redirect, Completion Redirect and Upstream Forwarding
 * enabled), and the strict/no-strict verdict built on it.
 */
#include <string.h>

#include <glib.h>

#include "device-private.h"

#define LOG_DOMAIN "assign"

/* PCI_EXP_TYPE_DOWNSTREAM: a switch downstream port. */
#define PCIE_TYPE_DOWNSTREAM 6
#define CLASS_BRIDGE_PCI 0x0604

static const char *const control_names[] = {
	"source-validation",   "translation-blocking", "request-redirect", "completion-redirect",
	"upstream-forwarding", "egress-control",       "direct-translated",
};

VFR_EXPORT const char *vfr_acs_control_to_string(enum vfr_acs_control control)
{
	for (size_t i = 0; i < G_N_ELEMENTS(control_names); i++)
		if ((unsigned int)control == 1u << i)
			return control_names[i];
	return NULL;
}

VFR_EXPORT int vfr_device_get_acs_control(struct vfr_device *dev, unsigned int *ret)
{
	int r;

	assert_return(dev && ret, -EINVAL);
	r = device_load(dev, ATTR_CONFIG);
	if (r < 0)
		return r;
	if (!(dev->config.caps & VFR_CAP_ACS))
		return -ENOENT;
	*ret = dev->config.acs_ctrl;
	return 0;
}

/*
 * The isolating controls @port lacks (0 when it has them all or is not a
 * switch downstream port), or -errno when its config space cannot be read.
 */
static int port_lacks(struct vfr_device *port)
{
	uint32_t class_code = 0;
	int r = device_load(port, ATTR_CONFIG);

	if (r < 0)
		return r;
	if (!(port->config.caps & VFR_CAP_PCIE) || port->config.pcie_type != PCIE_TYPE_DOWNSTREAM)
		return 0;
	if (vfr_device_get_class(port, &class_code) < 0 || (class_code >> 8) != CLASS_BRIDGE_PCI)
		return 0;
	if (!(port->config.caps & VFR_CAP_ACS))
		return VFR_ACS_ISOLATING;
	return VFR_ACS_ISOLATING & ~(unsigned int)port->config.acs_ctrl;
}

VFR_EXPORT int vfr_device_check_acs_path(struct vfr_device *dev, struct vfr_device **ret_port,
					 unsigned int *ret_missing)
{
	assert_return(dev, -EINVAL);
	for (struct vfr_device *p = dev->parent; p; p = p->parent) {
		int lacks = port_lacks(p);

		if (lacks < 0)
			return lacks;
		if (lacks > 0) {
			if (ret_port)
				*ret_port = p;
			if (ret_missing)
				*ret_missing = (unsigned int)lacks;
			return 0;
		}
	}
	if (ret_port)
		*ret_port = NULL;
	if (ret_missing)
		*ret_missing = 0;
	return 1;
}

/* "ACS request-redirect, upstream-forwarding disabled", or "no ACS capability ...". */
static char *missing_text(unsigned int missing)
{
	GString *s;

	if (missing == VFR_ACS_ISOLATING)
		return g_strdup("no ACS capability with its isolating controls enabled");
	s = g_string_new("ACS ");
	for (unsigned int bit = 1; bit <= VFR_ACS_UPSTREAM_FORWARDING; bit <<= 1)
		if (missing & bit)
			g_string_append_printf(s, "%s%s", s->len > 4 ? ", " : "",
					       vfr_acs_control_to_string(bit));
	g_string_append(s, " disabled");
	return g_string_free(s, FALSE);
}

VFR_EXPORT int vfr_device_check_assignable(struct vfr_device *dev, bool strict_acs,
					   struct vfr_error **reterr)
{
	struct vfr_device *port = NULL;
	unsigned int missing = 0;
	g_autofree char *why = NULL;
	int r;

	assert_return(dev, -EINVAL);
	r = vfr_device_check_acs_path(dev, &port, &missing);
	if (r < 0) {
		struct vfr_device *p = dev->parent;

		/* Name the port whose config space could not be read. */
		while (p && device_load(p, ATTR_CONFIG) == 0)
			p = p->parent;
		return error_set(reterr, r, dev->name,
				 "%s: the ACS controls of %s cannot be read: %s", dev->name,
				 p ? p->name : "a port above it", g_strerror(-r));
	}
	if (r == 1)
		return 0;
	why = missing_text(missing);
	if (!strict_acs) {
		vfr_notice(dev->host->ctx, "%s: behind switch port %s (%s); assignable anyway, the "
			   "ACS check is not strict", dev->name, port->name, why);
		return 0;
	}
	return error_set(reterr, -EPERM, dev->name,
			 "%s is behind switch port %s, which lacks ACS isolation (%s): it could "
			 "reach other functions below that port without passing the IOMMU",
			 dev->name, port->name, why);
}
