/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where each function goes: the target driver of a bind (named, vfio-pci,
 * or the best variant, its module loaded through libkmod when needed), the
 * recorded original of a restore; and whether an IOMMU group is usable.
 */
#include <stdio.h>
#include <string.h>

#include "bind-private.h"
#include "modindex.h"
#include "sysfs.h"

#define LOG_DOMAIN "bind"

static bool driver_loaded(const struct vfr_ctx *ctx, const char *driver)
{
	g_autofree char *path = g_build_filename("bus/pci/drivers", driver, NULL);

	return sysfs_exists(ctx->sys_fd, path) > 0;
}

static int load_module(struct bind_op *op, struct bind_item *it, const char *module,
		       struct vfr_error **reterr)
{
	struct modindex *mi;
	const char *why;
	char why_buf[512];
	int r;

	r = ctx_get_modindex(op->ctx, &mi, &why);
	if (r < 0)
		return bind_item_fail(it, reterr, r, "module %s is not loaded and cannot be: %s",
				      module, why);
	r = modindex_load_module(mi, module, why_buf, sizeof(why_buf));
	if (r < 0)
		return bind_item_fail(it, reterr, r, "%s", why_buf);
	return 0;
}

/* Loads @module and returns (in *@ret) the PCI driver it registered. */
static int load_module_driver(struct bind_op *op, struct bind_item *it, const char *module,
			      char **ret, struct vfr_error **reterr)
{
	int r = load_module(op, it, module, reterr);

	if (r < 0)
		return r;
	*ret = module_pci_driver(op->ctx, module);
	if (!*ret)
		return bind_item_fail(it, reterr, -ENOENT,
				      "module %s was loaded but registers no PCI driver", module);
	return 0;
}

/* The PCI driver @name, its module (same name, '-' as '_') loaded when it is not. */
static int resolve_named(struct bind_op *op, struct bind_item *it, const char *name,
			 char **ret, struct vfr_error **reterr)
{
	g_autofree char *module = NULL;
	int r;

	if (driver_loaded(op->ctx, name)) {
		*ret = g_strdup(name);
		return 0;
	}
	module = g_strdelimit(g_strdup(name), "-", '_');
	r = load_module_driver(op, it, module, ret, reterr);
	/* A module can register several drivers: the one asked for wins. */
	if (r == 0 && driver_loaded(op->ctx, name)) {
		g_free(*ret);
		*ret = g_strdup(name);
	}
	return r;
}

static int resolve_variant(struct bind_op *op, struct bind_item *it, char **ret,
			   struct vfr_error **reterr)
{
	struct vfr_variant_list *list __attribute__((cleanup(vfr_variant_list_freep))) = NULL;
	struct vfr_error *err = NULL;
	const char *module, *driver;
	int r;

	r = vfr_device_find_variants(it->dev, &list, &err);
	if (r < 0) {
		/* The lookup's sentence already names the function. */
		it->status = r;
		bind_item_note(it, "%s", vfr_error_get_message(err));
		if (reterr) {
			vfr_error_free(*reterr);
			*reterr = err;
		} else {
			vfr_error_free(err);
		}
		return r;
	}
	if (vfr_variant_list_get_n(list) == 0)
		return bind_item_fail(it, reterr, -ENOENT,
				      "no vfio driver's alias matches its modalias in %s",
				      vfr_ctx_get_modules_dir(op->ctx));
	module = vfr_variant_list_get_module(list, 0);
	if (vfr_variant_list_is_tie(list, 0))
		return bind_item_fail(it, reterr, -EINVAL,
				      "no single best vfio driver: %s and %s match equally; name one "
				      "with a driver",
				      module, vfr_variant_list_get_module(list, 1));
	driver = vfr_variant_list_get_driver(list, 0);
	if (driver) {
		*ret = g_strdup(driver);
		return 0;
	}
	r = load_module_driver(op, it, module, ret, reterr);
	if (r == 0)
		vfr_info(op->ctx, "%s: best vfio driver is %s (module %s)", it->dev->name, *ret,
			 module);
	return r;
}

static int plan_bind(struct bind_op *op, struct bind_item *it, struct vfr_error **reterr)
{
	char *target = NULL;
	int r;

	if (op->b->flags & VFR_BINDING_VARIANT) {
		r = resolve_variant(op, it, &target, reterr);
		if (r < 0)
			return r;
	} else {
		if (!op->driver) {
			r = resolve_named(op, it, op->b->driver ? op->b->driver : "vfio-pci",
					  &op->driver, reterr);
			if (r < 0)
				return r;
		}
		target = g_strdup(op->driver);
	}
	/* The override makes the probe pick exactly this driver, whatever its id table. */
	it->want.driver = target;
	it->want.override = g_strdup(target);
	return 0;
}

static int plan_restore(struct bind_op *op, struct bind_item *it, struct vfr_error **reterr)
{
	struct bind_record rec = { 0 };
	enum vfr_driver_type type = VFR_DRIVER_NONE;
	int r = bind_record_read(op->b->state_fd, it->dev->name, &rec);

	if (r == 0) {
		it->want = rec;
		return 0;
	}
	if (r != -ENOENT)
		return bind_item_fail(it, reterr, r, "its binding record cannot be read: %s",
				      g_strerror(-r));
	/*
	 * No record (bound by someone else, or the record was lost): hand it to
	 * whatever host driver the kernel picks, but only if it is on a driver
	 * that holds functions for passthrough or has an override.
	 */
	vfr_device_get_driver_type(it->dev, &type);
	if (it->orig.override || driver_type_is_vfio(type) ||
	    type == VFR_DRIVER_PCI_STUB) {
		it->any_driver = true;
		bind_item_note(it, "no record of its original driver; the kernel picks one");
	} else {
		it->want.driver = g_strdup(it->orig.driver);
		it->want.override = g_strdup(it->orig.override);
		bind_item_note(it, "no record of its original driver; left as it is");
	}
	return 0;
}

int bind_plan(struct bind_op *op, struct bind_item *it, struct vfr_error **reterr)
{
	switch (op->kind) {
	case BIND_BIND:
		return plan_bind(op, it, reterr);
	case BIND_UNBIND:
		/* The override stays: a later probe must not hand the function to its old driver. */
		it->want.driver = NULL;
		it->want.override = g_strdup(it->orig.override);
		return 0;
	case BIND_RESTORE:
		return plan_restore(op, it, reterr);
	}
	return -EINVAL;
}

/* ---- group viability ---- */

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
