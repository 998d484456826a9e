/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A function's facts for the reset plan, from the device getters, the
 * topology index, the ownership registry and the caller's vfio device fd.
 * Reads only; the decision is reset-plan.c's.
 */
#include <string.h>

#include "device-private.h"
#include "pciconf.h"
#include "reset-plan.h"
#include "scope.h"
#include "sysfs.h"

#include "vfio.h"
#include "vfio-uapi.h"

#define LOG_DOMAIN "reset"

/*
 * Config space that cannot be decoded (-EIO) may be a function in D3cold or
 * one that is gone: both read all 0xFF, and then there is nothing a reset
 * method can do. The Command register tells (a VF's vendor id is 0xFFFF by
 * design, its Command is real).
 */
static bool reads_all_ones(struct vfr_device *dev)
{
	uint16_t command;
	int fd = host_device_dirfd(dev->host, dev);

	if (fd < 0)
		return fd == -ENODEV;
	return pciconf_cfg_read16(fd, 0x04, &command) == 0 && command == 0xffff;
}

static void gather_peers(struct vfr_device *dev, const struct vfr_reset_options *opts,
			 struct reset_facts *f)
{
	g_autofree struct vfr_device **devs = NULL;
	struct reset_peer *peers;
	size_t n = 0, k = 0;

	if (scope_bus_affected(dev, &devs, &n) < 0)
		return;
	peers = g_new0(struct reset_peer, n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		struct vfr_device *p = devs[i];
		struct reset_peer *peer = &peers[k];

		if (p == dev)
			continue;
		peer->name = p->name;
		if (vfr_device_get_driver(p, &peer->driver) < 0)
			peer->driver = NULL;
		if (vfr_device_get_driver_type(p, &peer->driver_type) < 0)
			/* Unreadable: assume the worst, a host driver. */
			peer->driver_type = VFR_DRIVER_HOST;
		if (peer->driver_type == VFR_DRIVER_HOST && !peer->driver)
			peer->driver = "an unknown driver";
		peer->owner = opts ? owners_lookup_name(opts->owners, p->name) : NULL;
		peer->same_bus = p->parent == dev->parent;
		k++;
	}
	f->bus_peers = peers;
	f->n_bus_peers = k;
}

static void gather_vfio(struct vfr_device *dev, const struct vfr_reset_options *opts,
			struct reset_facts *f)
{
	int fd = opts ? reset_options_device_fd(opts, dev->name) : -1;

	f->hot_allowed = -1;
	f->have_device_fd = fd >= 0;
	if (fd < 0)
		return;
	{
		uint32_t flags = 0;

		if (vfio_device_info_flags(fd, &flags) == 0)
			f->vfio_reset_flag = flags & VFIO_DEVICE_FLAGS_RESET;
	}
}

int reset_facts_gather(struct vfr_device *dev, const struct vfr_reset_options *opts,
		       struct reset_facts *ret)
{
	struct reset_facts f = { 0 };
	const char *const *methods = NULL;
	int r;

	assert_return(dev && ret, -EINVAL);
	f.name = dev->name;
	f.policy = opts ? opts->policy : VFR_RESET_STRICT;
	f.flags = opts ? opts->flags : 0;
	f.owner = opts ? owners_lookup_name(opts->owners, dev->name) : NULL;
	f.caller = opts ? opts->caller : NULL;

	r = vfr_device_get_driver(dev, &f.driver);
	if (r == -ENODEV) {
		f.gone = true;
	} else if (r < 0 || vfr_device_get_driver_type(dev, &f.driver_type) < 0) {
		/* A driver link that cannot be read is treated as a host driver: never less safe. */
		f.driver_type = VFR_DRIVER_HOST;
		f.driver = "an unreadable driver";
	}

	r = vfr_device_get_capabilities(dev, &f.caps, NULL);
	f.caps_known = r == 0;
	if (r == -ENODEV || (r == -EIO && reads_all_ones(dev)))
		f.gone = true;
	if (vfr_device_get_header_type(dev, &f.header) < 0)
		f.header = VFR_HEADER_UNKNOWN;

	r = vfr_device_get_reset_methods(dev, &methods);
	if (r == -ENODEV)
		f.gone = true;
	f.kernel_methods = r == 0 ? methods : NULL;

	f.on_root_bus = !dev->parent;
	f.bus_probe_ok = scope_bus_method_probe(dev);
	if (dev->parent && dev->parent->children)
		for (guint i = 0; i < dev->parent->children->len && !f.bus_sibling; i++) {
			struct vfr_device *s = dev->parent->children->pdata[i];

			if (s != dev)
				f.bus_sibling = s->name;
		}
	if (!f.bus_sibling && dev->children && dev->children->len)
		f.bus_sibling = ((struct vfr_device *)dev->children->pdata[0])->name;
	gather_peers(dev, opts, &f);
	gather_vfio(dev, opts, &f);
	*ret = f;
	return 0;
}

void reset_facts_clear(struct reset_facts *f)
{
	g_free((void *)f->bus_peers);
	memset(f, 0, sizeof(*f));
}

VFR_EXPORT int vfr_reset_plan_new(struct vfr_device *dev, const struct vfr_reset_options *opts,
				  struct vfr_reset_plan **ret_plan, struct vfr_error **reterr)
{
	struct reset_facts f;
	int r;

	assert_return(dev && ret_plan, -EINVAL);
	r = reset_facts_gather(dev, opts, &f);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: cannot gather its reset facts: %s",
				 dev->name, g_strerror(-r));
	*ret_plan = reset_plan_build(&f);
	reset_facts_clear(&f);
	return 0;
}
