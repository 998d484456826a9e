/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's module index, through libkmod: which modules carry a
 * vfio_pci: alias matching a device. modindex.c is the only file that
 * includes <libkmod.h>.
 */
#pragma once

#include <glib.h>

#include "internal.h"

struct modindex;

/* One module whose vfio_pci: alias matches, with the alias that does. */
struct variant_candidate {
	char *module;     /* "mlx5_vfio_pci" */
	char *alias;      /* "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*", NULL if unreadable */
	unsigned int wildcards;
	unsigned int literals; /* characters that are not wildcards: the tie-breaker */
	bool tie;              /* as specific as a neighbour in the ranked list */
};

/*
 * Opens the index below @dirname (ROOT/lib/modules/RELEASE). Returns -ENOENT
 * when the directory or its modules.alias.bin is missing, -EIO when libkmod
 * cannot load it; @why then holds the sentence.
 */
int modindex_new(const struct vfr_ctx *ctx, const char *dirname, struct modindex **ret,
		 char *why, size_t why_size);
void modindex_free(struct modindex *mi);

/*
 * The modules whose vfio_pci: alias matches @modalias ("pci:v...") as
 * libkmod resolves "vfio_" + @modalias, each with its most specific matching
 * alias, unranked. @ret_list holds struct variant_candidate *.
 */
int modindex_vfio_candidates(struct modindex *mi, const char *modalias, GPtrArray **ret_list,
			     char *why, size_t why_size);

void variant_candidate_free(struct variant_candidate *c);

/*
 * Loads module @name (and what it depends on) from the index, as modprobe
 * does, without modprobe.d configuration. 0 when loaded or already live;
 * -ENOENT when the index has no such module; the kernel's -errno of loading
 * it otherwise; @why then holds the sentence.
 */
int modindex_load_module(struct modindex *mi, const char *name, char *why, size_t why_size);
