/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whether an IOMMU group can be given to a user: the public check, and the
 * one a binding runs on the groups of its functions after the bind.
 */
#include <string.h>

#include "bind-private.h"

#define LOG_DOMAIN "bind"

/*
 * The kernel's rule (iommu_group DMA ownership, Linux >= 5.19; the vfio
 * allow-list before): a group can be given to a user when every member is
 * unbound or bound to a driver that manages DMA itself: vfio drivers,
 * pci-stub, and pcieport on bridges. Any other driver (shpchp on a bridge
 * included, as seen on a real kernel) blocks it.
 */
static bool member_ok(struct vfr_device *dev, const char **ret_driver)
{
	enum vfr_driver_type type;
	enum vfr_header_type header;
	const char *driver = NULL;

	device_invalidate(dev);
	if (vfr_device_get_driver(dev, &driver) < 0 || vfr_device_get_driver_type(dev, &type) < 0) {
		*ret_driver = "an unreadable driver";
		return false;
	}
	*ret_driver = driver;
	if (!driver || driver_type_is_vfio(type) ||
	    type == VFR_DRIVER_PCI_STUB)
		return true;
	return strcmp(driver, "pcieport") == 0 && vfr_device_get_header_type(dev, &header) == 0 &&
	       header == VFR_HEADER_BRIDGE;
}

VFR_EXPORT int vfr_host_check_group_viable(struct vfr_host *host, int group,
					   struct vfr_device **ret_blocker)
{
	size_t n;

	assert_return(host && group >= 0, -EINVAL);
	n = vfr_host_get_n_group_devices(host, group);
	if (n == 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		struct vfr_device *m = vfr_host_get_group_device(host, group, i);
		const char *driver;

		if (!member_ok(m, &driver)) {
			if (ret_blocker)
				*ret_blocker = m;
			return 0;
		}
	}
	if (ret_blocker)
		*ret_blocker = NULL;
	return 1;
}

int bind_check_groups(struct bind_op *op, bool strict, struct vfr_error **reterr)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (guint i = 0; i < op->b->items->len; i++) {
		struct bind_item *it = op->b->items->pdata[i];
		struct vfr_device *blocker = NULL;
		const char *driver = NULL;
		int group;
		enum vfr_driver_type type = VFR_DRIVER_NONE;

		/* Only a vfio binding needs a usable group. */
		vfr_device_get_driver_type(it->dev, &type);
		if (!driver_type_is_vfio(type) ||
		    vfr_device_get_iommu_group(it->dev, &group) < 0 ||
		    g_hash_table_contains(seen, GINT_TO_POINTER(group)))
			continue;
		g_hash_table_add(seen, GINT_TO_POINTER(group));
		if (vfr_host_check_group_viable(op->b->host, group, &blocker) != 0)
			continue;
		/* member_ok() above just read it afresh. */
		if (vfr_device_get_driver(blocker, &driver) < 0 || !driver)
			driver = "an unknown driver";
		if (strict)
			return bind_item_fail(it, reterr, -EBUSY,
					      "IOMMU group %d is not viable: member %s is bound to %s",
					      group, blocker->name, driver);
		bind_item_note(it, "IOMMU group %d is not viable yet: member %s is bound to %s",
			       group, blocker->name, driver);
		vfr_warn(op->ctx, "%s: IOMMU group %d is not viable yet: %s is bound to %s",
			 it->dev->name, group, blocker->name, driver);
	}
	return 0;
}
