/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which kind of driver drives a function (pure). */
#include <string.h>

#include "device-private.h"

/*
 * The `vfio-dev/vfioN` directory (Linux >= 6.1) is the kernel's own word that
 * the bound driver exposes the vfio device API, so it decides between a
 * variant driver and a host driver; the stub drivers are known by name.
 * xen-pciback registers its PCI driver as "pciback".
 */
enum vfr_driver_type driver_classify(const char *driver, bool has_vfio_dev)
{
	if (!driver)
		return VFR_DRIVER_NONE;
	if (strcmp(driver, "vfio-pci") == 0)
		return VFR_DRIVER_VFIO_PCI;
	if (strcmp(driver, "pci-stub") == 0)
		return VFR_DRIVER_PCI_STUB;
	if (strcmp(driver, "pciback") == 0 || strcmp(driver, "xen-pciback") == 0)
		return VFR_DRIVER_XEN_PCIBACK;
	if (has_vfio_dev)
		return VFR_DRIVER_VFIO_VARIANT;
	return VFR_DRIVER_HOST;
}

VFR_EXPORT const char *vfr_driver_type_to_string(enum vfr_driver_type type)
{
	switch (type) {
	case VFR_DRIVER_NONE:
		return "none";
	case VFR_DRIVER_HOST:
		return "host";
	case VFR_DRIVER_VFIO_PCI:
		return "vfio-pci";
	case VFR_DRIVER_VFIO_VARIANT:
		return "vfio-variant";
	case VFR_DRIVER_PCI_STUB:
		return "pci-stub";
	case VFR_DRIVER_XEN_PCIBACK:
		return "xen-pciback";
	default:
		return NULL;
	}
}
