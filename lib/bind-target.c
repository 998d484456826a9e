/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where each function goes: the target driver of a bind (named, vfio-pci,
 * or the best variant, its module loaded through libkmod when needed), the
 * recorded original of a restore.
 */
#include <stdio.h>
#include <string.h>

#include "bind-private.h"
#include "modindex.h"
#include "sysfs.h"
#include "variant-private.h"

#define LOG_DOMAIN "bind"

static bool driver_loaded(const struct vfr_ctx *ctx, const char *driver)
{
	g_autofree char *path = g_build_filename("bus/pci/drivers", driver, NULL);

	return sysfs_exists(ctx_get_sys_fd(ctx), path) > 0;
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
