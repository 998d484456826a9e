/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Variant candidates for a function before binding: its modalias with
 * "vfio_" in front, resolved by libkmod in the context's modules directory,
 * ranked most specific first, each with the PCI driver its module
 * registers when the module is loaded.
 */
#include <string.h>

#include "device-private.h"
#include "modindex.h"
#include "sysfs.h"
#include "variant-private.h"

#define LOG_DOMAIN "variant"

struct vfr_variant_list {
	GPtrArray *candidates; /* struct variant_candidate * */
	GPtrArray *drivers;    /* char *, parallel to candidates, NULL when not loaded */
};

/* A loaded module lists the drivers it registers as sys/module/M/drivers/pci:NAME. */
char *module_pci_driver(const struct vfr_ctx *ctx, const char *module)
{
	g_autofree char *dir = g_build_filename("module", module, "drivers", NULL);
	g_auto(GStrv) names = NULL;
	size_t n;

	if (sysfs_list(ctx_get_sys_fd(ctx), dir, &names, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (g_str_has_prefix(names[i], "pci:"))
			return g_strdup(names[i] + 4);
	return NULL;
}

VFR_EXPORT int vfr_device_find_variants(struct vfr_device *dev, struct vfr_variant_list **ret_list,
					struct vfr_error **reterr)
{
	struct vfr_ctx *ctx;
	struct vfr_variant_list *list;
	GPtrArray *candidates = NULL;
	struct modindex *mi;
	const char *modalias, *why;
	char why_buf[256];
	int r;

	assert_return(dev && ret_list, -EINVAL);
	ctx = dev->host->ctx;
	r = vfr_device_get_modalias(dev, &modalias);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: its modalias cannot be read: %s",
				 dev->name, g_strerror(-r));
	r = ctx_get_modindex(ctx, &mi, &why);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: no vfio variant lookup: %s", dev->name,
				 why);
	r = modindex_vfio_candidates(mi, modalias, &candidates, why_buf, sizeof(why_buf));
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: %s", dev->name, why_buf);
	variant_rank(candidates);

	list = g_new0(struct vfr_variant_list, 1);
	list->candidates = candidates;
	list->drivers = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < candidates->len; i++) {
		const struct variant_candidate *c = candidates->pdata[i];

		g_ptr_array_add(list->drivers, module_pci_driver(ctx, c->module));
	}
	vfr_dbg(ctx, "%s: %u vfio driver candidates for %s", dev->name, candidates->len, modalias);
	*ret_list = list;
	return 0;
}

static const struct variant_candidate *candidate(const struct vfr_variant_list *list, size_t i)
{
	if (!list || i >= list->candidates->len)
		return NULL;
	return list->candidates->pdata[i];
}

VFR_EXPORT size_t vfr_variant_list_get_n(const struct vfr_variant_list *list)
{
	assert_return(list, 0);
	return list->candidates->len;
}

VFR_EXPORT const char *vfr_variant_list_get_module(const struct vfr_variant_list *list, size_t index)
{
	const struct variant_candidate *c = candidate(list, index);

	return c ? c->module : NULL;
}

VFR_EXPORT const char *vfr_variant_list_get_alias(const struct vfr_variant_list *list, size_t index)
{
	const struct variant_candidate *c = candidate(list, index);

	return c ? c->alias : NULL;
}

VFR_EXPORT int vfr_variant_list_get_wildcards(const struct vfr_variant_list *list, size_t index)
{
	const struct variant_candidate *c = candidate(list, index);

	return c && c->alias ? (int)c->wildcards : -1;
}

VFR_EXPORT bool vfr_variant_list_is_tie(const struct vfr_variant_list *list, size_t index)
{
	const struct variant_candidate *c = candidate(list, index);

	return c && c->tie;
}

VFR_EXPORT const char *vfr_variant_list_get_driver(const struct vfr_variant_list *list, size_t index)
{
	if (!candidate(list, index))
		return NULL;
	return list->drivers->pdata[index];
}

VFR_EXPORT void vfr_variant_list_free(struct vfr_variant_list *list)
{
	if (!list)
		return;
	g_ptr_array_free(list->candidates, TRUE);
	g_ptr_array_free(list->drivers, TRUE);
	g_free(list);
}
