/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ownership registry. Ownership is what the caller declares (which
 * functions a VM or a tenant was given); the library cannot see it in
 * sysfs, and a reset that reaches a function of someone else leaks their
 * state or destroys it.
 */
#include <string.h>

#include <glib.h>

#include "reset-plan.h"

struct vfr_owners {
	int refcount;
	GHashTable *by_address; /* "DDDD:BB:DD.F" -> owner */
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
	g_free(owners);
	return NULL;
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
	if (!had)
		g_hash_table_insert(owners->by_address, g_strdup(name), g_strdup(owner));
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
