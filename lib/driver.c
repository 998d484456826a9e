/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which kind of driver drives a function, and on what evidence (pure). */
#include <string.h>

#include "device-private.h"

/*
 * From certain to a guess: the stub drivers and vfio-pci by name; the
 * kernel's vfio-dev directory (Linux >= 6.1: its absence also answers, where
 * the kernel has the mechanism); a vfio_pci: alias of the driver's own
 * module matching the device; last, "vfio" in the driver's name, which is
 * reported as the heuristic it is. xen-pciback registers itself as "pciback".
 */
enum vfr_driver_type driver_classify(const struct driver_evidence *e,
				     enum vfr_driver_type_source *ret_source)
{
	const char *d = e->driver;

	*ret_source = VFR_DRIVER_SOURCE_NAME;
	if (!d) {
		*ret_source = VFR_DRIVER_SOURCE_NONE;
		return VFR_DRIVER_NONE;
	}
	if (strcmp(d, "vfio-pci") == 0)
		return VFR_DRIVER_VFIO_PCI;
	if (strcmp(d, "pci-stub") == 0)
		return VFR_DRIVER_PCI_STUB;
	if (strcmp(d, "pciback") == 0 || strcmp(d, "xen-pciback") == 0)
		return VFR_DRIVER_XEN_PCIBACK;
	*ret_source = VFR_DRIVER_SOURCE_VFIO_DEV;
	if (e->has_vfio_dev)
		return VFR_DRIVER_VFIO_VARIANT;
	if (e->vfio_dev_mechanism)
		return VFR_DRIVER_HOST;
	*ret_source = VFR_DRIVER_SOURCE_MODULE_ALIAS;
	if (e->alias_match > 0)
		return VFR_DRIVER_VFIO_VARIANT;
	if (e->alias_match == 0)
		return VFR_DRIVER_HOST;
	*ret_source = VFR_DRIVER_SOURCE_HEURISTIC;
	return strstr(d, "vfio") ? VFR_DRIVER_VFIO_VARIANT : VFR_DRIVER_HOST;
}
