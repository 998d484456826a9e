/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

struct vfr_device;

/**
 * struct vfr_variant_list:
 *
 * The vfio drivers that could drive a function, most specific first: the
 * modules whose `vfio_pci:` alias matches the function's modalias, as
 * libkmod resolves "vfio_" + modalias in the context's modules directory.
 * The most specific alias (fewest wildcards, then most literal characters)
 * comes first; the generic vfio_pci module comes last. Owned by the caller.
 */
struct vfr_variant_list;

/**
 * vfr_device_find_variants:
 * @ret_list: (out): free with vfr_variant_list_free(); untouched on failure.
 * @reterr: (out) (optional)
 *
 * Returns: 0 (possibly with an empty list); -ENOENT when the modules
 *          directory or its index is missing, -EIO when the index cannot be
 *          loaded — never an empty answer for a broken index; the errno of
 *          reading the function's modalias.
 * Since: 0.1
 */
int vfr_device_find_variants(struct vfr_device *dev, struct vfr_variant_list **ret_list,
			     struct vfr_error **reterr);

/** vfr_variant_list_get_n: Since: 0.1 */
size_t vfr_variant_list_get_n(const struct vfr_variant_list *list);

/** vfr_variant_list_get_module: (transfer none): "mlx5_vfio_pci". Since: 0.1 */
const char *vfr_variant_list_get_module(const struct vfr_variant_list *list, size_t index);

/**
 * vfr_variant_list_get_alias:
 * Returns: (transfer none) (nullable): the matching alias
 *          ("vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"), NULL when the
 *          module's own modinfo could not be read.
 * Since: 0.1
 */
const char *vfr_variant_list_get_alias(const struct vfr_variant_list *list, size_t index);

/** vfr_variant_list_get_wildcards: wildcards in the alias, -1 when unknown. Since: 0.1 */
int vfr_variant_list_get_wildcards(const struct vfr_variant_list *list, size_t index);

/** vfr_variant_list_is_tie: as specific as a neighbour: no single best. Since: 0.1 */
bool vfr_variant_list_is_tie(const struct vfr_variant_list *list, size_t index);

/**
 * vfr_variant_list_get_driver:
 * Returns: (transfer none) (nullable): the PCI driver the module registers
 *          ("vfio-pci" for module vfio_pci), when the module is loaded;
 *          NULL otherwise.
 * Since: 0.1
 */
const char *vfr_variant_list_get_driver(const struct vfr_variant_list *list, size_t index);

/** vfr_variant_list_free: NULL is accepted. Since: 0.1 */
void vfr_variant_list_free(struct vfr_variant_list *list);

static inline void vfr_variant_list_freep(struct vfr_variant_list **p)
{
	if (*p)
		vfr_variant_list_free(*p);
}

VFR_END_DECLS
