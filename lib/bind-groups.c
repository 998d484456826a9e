/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whether an IOMMU group can be given to a user: the public checks (as it
 * is, and as it would be once some functions are bound), the prediction a
 * group binding makes before its first write, and the check it runs on the
 * groups of its functions after the bind.
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

static bool in(struct vfr_device *const *devs, size_t n, struct vfr_device *dev)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i] == dev)
			return true;
	return false;
}

/* The rule with @bound counted as on a vfio driver and the others as they are now. */
static int group_viable_with(struct vfr_host *host, int group, struct vfr_device *const *bound,
			     size_t n_bound, struct vfr_device **ret_blocker)
{
	size_t n = vfr_host_get_n_group_devices(host, group);

	if (n == 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		struct vfr_device *m = vfr_host_get_group_device(host, group, i);
		const char *driver;

		if (!in(bound, n_bound, m) && !member_ok(m, &driver)) {
			if (ret_blocker)
				*ret_blocker = m;
			return 0;
		}
	}
	if (ret_blocker)
		*ret_blocker = NULL;
	return 1;
}

VFR_EXPORT int vfr_host_check_group_viable(struct vfr_host *host, int group,
					   struct vfr_device **ret_blocker)
{
	assert_return(host && group >= 0, -EINVAL);
	return group_viable_with(host, group, NULL, 0, ret_blocker);
}

VFR_EXPORT int vfr_host_check_group_viable_if_bound(struct vfr_host *host, int group,
						    struct vfr_device *const *devs, size_t n_devs,
						    struct vfr_device **ret_blocker)
{
	assert_return(host && group >= 0 && (devs || n_devs == 0), -EINVAL);
	for (size_t i = 0; i < n_devs; i++)
		assert_return(devs[i] && vfr_device_get_host(devs[i]) == host, -EINVAL);
	return group_viable_with(host, group, devs, n_devs, ret_blocker);
}

/*
 * Is the binding's target a vfio driver? A named driver is judged by its
 * name (the module that provides it may not be loaded yet): vfio-pci, or a
 * name with "vfio" in it, as variant drivers are named.
 */
static bool target_is_vfio(const struct vfr_binding *b)
{
	if (b->flags & VFR_BINDING_VARIANT)
		return true;
	return !b->driver || strstr(b->driver, "vfio") != NULL;
}

int bind_predict_groups(struct bind_op *op, struct vfr_error **reterr)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autofree struct vfr_device **bound = NULL;
	GPtrArray *items = op->b->items;

	if (!target_is_vfio(op->b))
		return 0;
	bound = g_new(struct vfr_device *, items->len + 1);
	for (guint i = 0; i < items->len; i++)
		bound[i] = ((struct bind_item *)items->pdata[i])->dev;
	for (guint i = 0; i < items->len; i++) {
		struct bind_item *it = items->pdata[i];
		struct vfr_device *blocker = NULL;
		const char *driver = NULL;
		int group;

		if (vfr_device_get_iommu_group(it->dev, &group) < 0 ||
		    !g_hash_table_add(seen, GINT_TO_POINTER(group)))
			continue;
		if (group_viable_with(op->b->host, group, bound, items->len, &blocker) != 0)
			continue;
		if (vfr_device_get_driver(blocker, &driver) < 0 || !driver)
			driver = "an unknown driver";
		return bind_item_fail(it, reterr, -EPERM,
				      "IOMMU group %d would not be viable: member %s is bound to %s, "
				      "which a VFIO user cannot share the group with, and is not one "
				      "of the functions to bind; nothing was changed",
				      group, blocker->name, driver);
	}
	return 0;
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
			return bind_item_fail(it, reterr, -EPERM,
					      "IOMMU group %d is not viable: member %s is bound to %s",
					      group, blocker->name, driver);
		bind_item_note(it, "IOMMU group %d is not viable yet: member %s is bound to %s",
			       group, blocker->name, driver);
		vfr_warn(op->ctx, "%s: IOMMU group %d is not viable yet: %s is bound to %s",
			 it->dev->name, group, blocker->name, driver);
	}
	return 0;
}
