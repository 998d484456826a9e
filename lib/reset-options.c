/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset options: the policy, the flags, the owners and caller, the
 * timeout, and the VFIO device fds (passed one by one or as a holding) a
 * reset may use.
 */
#include <string.h>

#include <glib.h>

#include "reset-plan.h"

VFR_EXPORT int vfr_reset_options_new(struct vfr_reset_options **ret)
{
	struct vfr_reset_options *o;

	assert_return(ret, -EINVAL);
	o = g_new0(struct vfr_reset_options, 1);
	o->policy = VFR_RESET_STRICT;
	/* The kernel itself gives a function 60 s to become ready after a reset. */
	o->timeout_ms = 60000;
	o->device_fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	*ret = o;
	return 0;
}

VFR_EXPORT void vfr_reset_options_free(struct vfr_reset_options *opts)
{
	if (!opts)
		return;
	vfr_owners_unref(opts->owners);
	g_free(opts->caller);
	g_hash_table_destroy(opts->device_fds);
	g_strfreev(opts->methods);
	g_free(opts);
}

VFR_EXPORT int vfr_reset_options_set_policy(struct vfr_reset_options *opts,
					    enum vfr_reset_policy policy)
{
	assert_return(opts && vfr_reset_policy_to_string(policy), -EINVAL);
	opts->policy = policy;
	return 0;
}

VFR_EXPORT int vfr_reset_options_set_flags(struct vfr_reset_options *opts, unsigned int flags)
{
	assert_return(opts, -EINVAL);
	assert_return(!(flags & ~(unsigned int)(VFR_RESET_ALLOW_HOST_DRIVERS |
						 VFR_RESET_ALLOW_OTHER_OWNERS |
						 VFR_RESET_WAIT_HOLDERS |
						 VFR_RESET_KEEP_COMMAND)),
		      -EINVAL);
	opts->flags = flags;
	return 0;
}

VFR_EXPORT int vfr_reset_options_set_owners(struct vfr_reset_options *opts,
					    struct vfr_owners *owners, const char *caller)
{
	assert_return(opts, -EINVAL);
	if (owners)
		vfr_owners_ref(owners);
	vfr_owners_unref(opts->owners);
	opts->owners = owners;
	g_free(opts->caller);
	opts->caller = g_strdup(caller);
	return 0;
}

VFR_EXPORT int vfr_reset_options_set_timeout(struct vfr_reset_options *opts, int timeout_ms)
{
	assert_return(opts, -EINVAL);
	/* A deadline that has passed before the first method is tried resets nothing. */
	assert_return(timeout_ms != 0, -EINVAL);
	opts->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
	return 0;
}

VFR_EXPORT int vfr_reset_options_set_device_fd(struct vfr_reset_options *opts,
					       const struct vfr_address *addr, int fd)
{
	char name[VFR_ADDRESS_STRLEN];

	assert_return(opts && addr, -EINVAL);
	if (vfr_address_format(addr, name, sizeof(name)) < 0)
		return -EINVAL;
	if (fd < 0)
		g_hash_table_remove(opts->device_fds, name);
	else
		g_hash_table_insert(opts->device_fds, g_strdup(name), GINT_TO_POINTER(fd + 1));
	return 0;
}

/* The device fd the caller passed for @name, or -1. */
static int reset_options_device_fd(const struct vfr_reset_options *opts, const char *name)
{
	gpointer v = opts ? g_hash_table_lookup(opts->device_fds, name) : NULL;

	return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

int reset_options_vfio_fd(const struct vfr_reset_options *opts, const struct vfr_device *dev)
{
	int fd;

	if (!opts)
		return -1;
	/* A fd the caller passed for this very function wins over its holding's. */
	fd = reset_options_device_fd(opts, vfr_device_get_name(dev));
	if (fd < 0 && opts->holding)
		fd = vfr_vfio_holding_get_device_fd(opts->holding, dev);
	return fd >= 0 ? fd : -1;
}

VFR_EXPORT int vfr_reset_options_set_vfio_holding(struct vfr_reset_options *opts,
						  struct vfr_vfio_holding *holding)
{
	assert_return(opts, -EINVAL);
	opts->holding = holding;
	return 0;
}

VFR_EXPORT int vfr_reset_options_set_methods(struct vfr_reset_options *opts,
					     const char *const *methods)
{
	GPtrArray *list;

	assert_return(opts, -EINVAL);
	for (const char *const *m = methods; m && *m; m++)
		if (!reset_method_known(*m))
			return -EINVAL;
	g_clear_pointer(&opts->methods, g_strfreev);
	if (!methods || !*methods)
		return 0;
	list = g_ptr_array_new();
	for (const char *const *m = methods; *m; m++)
		if (!g_ptr_array_find_with_equal_func(list, *m, g_str_equal, NULL))
			g_ptr_array_add(list, g_strdup(*m));
	g_ptr_array_add(list, NULL);
	opts->methods = (char **)g_ptr_array_free(list, FALSE);
	return 0;
}
