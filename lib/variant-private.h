/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Variant drivers: the candidates' ranking, and the driver a loaded module registers. */
#pragma once

#include <glib.h>

#include "internal.h"
#include "modindex.h"

/* variant.c: the PCI driver loaded module @module registers (g_free), NULL when none. */
char *module_pci_driver(const struct vfr_ctx *ctx, const char *module);

/* variant-rank.c (pure) */
void alias_specificity(const char *alias, unsigned int *ret_wildcards, unsigned int *ret_literals);
void variant_rank(GPtrArray *candidates);
