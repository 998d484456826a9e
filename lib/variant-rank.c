/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ranking vfio variant candidates (pure). The most specific alias wins:
 * fewest wildcards, then most literal characters, so
 * "v000015B3d0000101E*" beats "v000015B3d*" although both have one '*'.
 * Equal specificity is a tie and is reported as one; the generic vfio_pci
 * module always comes last.
 */
#include <string.h>

#include "variant-private.h"

void alias_specificity(const char *alias, unsigned int *ret_wildcards, unsigned int *ret_literals)
{
	unsigned int wildcards = 0, literals = 0;

	for (const char *p = alias; *p; p++) {
		if (*p == '*' || *p == '?') {
			wildcards++;
		} else if (*p == '[') {
			/* A bracket expression is one wildcard, however long. */
			const char *close = strchr(p + 1, ']');

			wildcards++;
			if (close)
				p = close;
		} else {
			literals++;
		}
	}
	*ret_wildcards = wildcards;
	*ret_literals = literals;
}

static bool is_generic(const struct variant_candidate *c)
{
	return strcmp(c->module, "vfio_pci") == 0;
}

static int specificity_cmp(const struct variant_candidate *a, const struct variant_candidate *b)
{
	if (a->wildcards != b->wildcards)
		return a->wildcards < b->wildcards ? -1 : 1;
	if (a->literals != b->literals)
		return a->literals > b->literals ? -1 : 1;
	return 0;
}

static int rank_cmp(gconstpointer pa, gconstpointer pb)
{
	const struct variant_candidate *a = *(struct variant_candidate *const *)pa;
	const struct variant_candidate *b = *(struct variant_candidate *const *)pb;
	int c;

	if (is_generic(a) != is_generic(b))
		return is_generic(a) ? 1 : -1;
	/* An alias that could not be read ranks below every known one. */
	if (!a->alias != !b->alias)
		return a->alias ? -1 : 1;
	c = specificity_cmp(a, b);
	return c ? c : strcmp(a->module, b->module);
}

/* Sorted, equal specificity sits side by side: a tie is a neighbour that is as specific. */
static bool ties(const struct variant_candidate *a, const struct variant_candidate *b)
{
	return a->alias && b->alias && !is_generic(a) && !is_generic(b) && specificity_cmp(a, b) == 0;
}

void variant_rank(GPtrArray *candidates)
{
	g_ptr_array_sort(candidates, rank_cmp);
	for (guint i = 0; i < candidates->len; i++) {
		struct variant_candidate *c = candidates->pdata[i];

		c->tie = (i > 0 && ties(c, candidates->pdata[i - 1])) ||
			 (i + 1 < candidates->len && ties(c, candidates->pdata[i + 1]));
	}
}
