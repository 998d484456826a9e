/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ownership registry. Ownership is what the caller declares (which
 * functions a VM or a tenant was given); the library cannot see it in
 * sysfs, and a reset that reaches a function of someone else leaks their
 * state or destroys it.
 */
#include <string.h>

#include <glib.h>

#include "owner-store.h"
#include "reset-plan.h"

struct vfr_owners {
	int refcount;
	GHashTable *by_address; /* "DDDD:BB:DD.F" -> owner */
	GPtrArray *sorted;      /* the addresses in order, for the getters; NULL after a change */
};

VFR_EXPORT int vfr_owners_new(struct vfr_owners **ret)
{
	struct vfr_owners *o;

	assert_return(ret, -EINVAL);
	o = g_new0(struct vfr_owners, 1);
	o->refcount = 1;
	o->by_address = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	*ret = o;
	return 0;
}

VFR_EXPORT struct vfr_owners *vfr_owners_ref(struct vfr_owners *owners)
{
	assert_return(owners, NULL);
	owners->refcount++;
	return owners;
}

VFR_EXPORT struct vfr_owners *vfr_owners_unref(struct vfr_owners *owners)
{
	if (!owners || --owners->refcount > 0)
		return NULL;
	g_hash_table_destroy(owners->by_address);
	if (owners->sorted)
		g_ptr_array_free(owners->sorted, TRUE);
	g_free(owners);
	return NULL;
}

static void changed(struct vfr_owners *owners)
{
	if (owners->sorted)
		g_ptr_array_free(owners->sorted, TRUE);
	owners->sorted = NULL;
}

int owners_add_name(struct vfr_owners *owners, const char *owner, const char *name)
{
	const char *had = g_hash_table_lookup(owners->by_address, name);

	if (had)
		return strcmp(had, owner) == 0 ? 0 : -EEXIST;
	g_hash_table_insert(owners->by_address, g_strdup(name), g_strdup(owner));
	changed(owners);
	return 0;
}

int owners_remove_name(struct vfr_owners *owners, const char *name)
{
	if (!g_hash_table_remove(owners->by_address, name))
		return 0;
	changed(owners);
	return 1;
}

VFR_EXPORT int vfr_owners_remove(struct vfr_owners *owners, const struct vfr_address *addr)
{
	char name[VFR_ADDRESS_STRLEN];

	assert_return(owners && addr, -EINVAL);
	if (vfr_address_format(addr, name, sizeof(name)) < 0)
		return -EINVAL;
	return owners_remove_name(owners, name);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	struct vfr_address x, y;
	const char *p = *(const char *const *)a, *q = *(const char *const *)b;

	if (vfr_address_parse(p, &x, NULL) < 0 || vfr_address_parse(q, &y, NULL) < 0)
		return strcmp(p, q);
	return vfr_address_compare(&x, &y);
}

static GPtrArray *sorted(const struct vfr_owners *owners)
{
	struct vfr_owners *o = (struct vfr_owners *)owners; /* the cache only */
	GHashTableIter iter;
	gpointer key;

	if (o->sorted)
		return o->sorted;
	o->sorted = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_iter_init(&iter, o->by_address);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(o->sorted, g_strdup(key));
	g_ptr_array_sort(o->sorted, compare_names);
	return o->sorted;
}

VFR_EXPORT size_t vfr_owners_get_n(const struct vfr_owners *owners)
{
	assert_return(owners, 0);
	return g_hash_table_size(owners->by_address);
}

VFR_EXPORT const char *vfr_owners_get_address(const struct vfr_owners *owners, size_t index)
{
	GPtrArray *all;

	assert_return(owners, NULL);
	all = sorted(owners);
	return index < all->len ? all->pdata[index] : NULL;
}

VFR_EXPORT const char *vfr_owners_get_owner(const struct vfr_owners *owners, size_t index)
{
	const char *name = vfr_owners_get_address(owners, index);

	return name ? g_hash_table_lookup(owners->by_address, name) : NULL;
}

VFR_EXPORT int vfr_owners_add(struct vfr_owners *owners, const char *owner,
			      const struct vfr_address *addr, struct vfr_error **reterr)
{
	char name[VFR_ADDRESS_STRLEN];
	const char *had;

	assert_return(owners && owner && *owner && addr, -EINVAL);
	if (vfr_address_format(addr, name, sizeof(name)) < 0)
		return error_set(reterr, -EINVAL, NULL, "not a valid PCI address");
	had = g_hash_table_lookup(owners->by_address, name);
	if (had && strcmp(had, owner) != 0)
		return error_set(reterr, -EEXIST, name, "%s is declared for %s and for %s", name,
				 had, owner);
	if (!had) {
		g_hash_table_insert(owners->by_address, g_strdup(name), g_strdup(owner));
		changed(owners);
	}
	return 0;
}

const char *owners_lookup_name(const struct vfr_owners *owners, const char *name)
{
	return owners ? g_hash_table_lookup(owners->by_address, name) : NULL;
}

VFR_EXPORT const char *vfr_owners_lookup(const struct vfr_owners *owners,
					 const struct vfr_address *addr)
{
	char name[VFR_ADDRESS_STRLEN];

	assert_return(owners && addr, NULL);
	if (vfr_address_format(addr, name, sizeof(name)) < 0)
		return NULL;
	return owners_lookup_name(owners, name);
}
