/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a bus reset touches, from the scanned topology (bus-reset.h); pure over the index. */
#include <glib.h>

#include "bus-reset.h"

/*
 * Every function below @bridge, with an explicit stack: a crafted tree can
 * make the hierarchy as deep as it has functions. The scan breaks loops
 * (host.c); @seen is the backstop that makes a loop end here too.
 */
static void collect_below(struct vfr_device *bridge, GPtrArray *out)
{
	g_autoptr(GPtrArray) stack = g_ptr_array_new();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

	g_ptr_array_add(stack, bridge);
	g_hash_table_add(seen, bridge);
	while (stack->len > 0) {
		struct vfr_device *d = g_ptr_array_steal_index(stack, stack->len - 1);

		for (guint i = 0; d->children && i < d->children->len; i++) {
			struct vfr_device *child = g_ptr_array_index(d->children, i);

			if (!g_hash_table_add(seen, child))
				continue;
			g_ptr_array_add(out, child);
			g_ptr_array_add(stack, child);
		}
	}
}

static gint by_address(gconstpointer a, gconstpointer b)
{
	const struct vfr_device *x = *(struct vfr_device *const *)a;
	const struct vfr_device *y = *(struct vfr_device *const *)b;

	return vfr_address_compare(&x->addr, &y->addr);
}

int scope_bus_affected(struct vfr_device *dev, struct vfr_device ***ret_devs, size_t *ret_n)
{
	GPtrArray *out;

	if (!dev->parent)
		return -ENOTTY;
	/* In sysfs a bridge's children are the functions on its secondary bus. */
	out = g_ptr_array_new();
	collect_below(dev->parent, out);
	g_ptr_array_sort(out, by_address);
	*ret_n = out->len;
	*ret_devs = (struct vfr_device **)g_ptr_array_free(out, FALSE);
	return 0;
}

bool scope_bus_method_probe(struct vfr_device *dev, const char **ret_blocker)
{
	GPtrArray *siblings = dev->parent ? dev->parent->children : NULL;
	enum vfr_header_type type;

	if (ret_blocker)
		*ret_blocker = NULL;
	if (!dev->parent)
		return false;
	for (guint i = 0; siblings && i < siblings->len; i++) {
		struct vfr_device *s = siblings->pdata[i];

		if (s != dev) {
			if (ret_blocker)
				*ret_blocker = s->name;
			return false;
		}
	}
	if (dev->children && dev->children->len > 0) {
		if (ret_blocker)
			*ret_blocker = ((struct vfr_device *)dev->children->pdata[0])->name;
		return false;
	}
	if (vfr_device_get_header_type(dev, &type) == 0 &&
	    (type == VFR_HEADER_BRIDGE || type == VFR_HEADER_CARDBUS))
		return false;
	return true;
}
