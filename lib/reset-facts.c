/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A function's facts for the reset plan, from the device getters, the
 * topology index, the ownership registry and the caller's vfio device fd.
 * Reads only; the decision is reset-plan.c's.
 */
#include <string.h>

#include "device-private.h"
#include "hotreset.h"
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

static const char *keep(struct reset_facts *f, char *text)
{
	if (!f->storage)
		f->storage = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(f->storage, text);
	return text;
}

/* Without an open device there is no kernel answer: say what sysfs predicts. */
static void predict_hot(struct vfr_device *dev, const struct vfr_reset_options *opts,
			struct reset_facts *f)
{
	g_autoptr(GString) s = g_string_new(NULL);
	struct vfr_hot_reset_check *check = NULL;
	bool cdev = opts && opts->holding &&
		    hotreset_holding_mode(opts->holding) == VFR_HOT_RESET_MODE_CDEV;

	if (opts && opts->holding)
		g_string_printf(s, "needs %s held through VFIO, and the VFIO holding passed does "
				"not hold it", dev->name);
	else
		g_string_assign(s, "needs a VFIO holding of the functions it touches (none was "
				   "passed)");
	if (hotreset_predict(dev, NULL, 0, cdev, &check, NULL) == 0) {
		g_string_append_printf(s, "; predicted from sysfs for a holding of it alone: %s",
				       vfr_hot_reset_check_get_summary(check));
		vfr_hot_reset_check_free(check);
	}
	f->hot_unknown = keep(f, g_string_free(g_steal_pointer(&s), FALSE));
}

/* The kernel's verdict for the caller's holding: allowed, with its proof of ownership, or why not. */
static void take_verdict(struct reset_facts *f, const struct vfr_hot_reset_check *check)
{
	size_t n = vfr_hot_reset_check_get_n_affected(check);
	const char **names;
	int *groups;

	if (!vfr_hot_reset_check_is_allowed(check)) {
		f->hot_allowed = 0;
		f->hot_blocker = keep(f, g_strdup(vfr_hot_reset_check_get_summary(check)));
		return;
	}
	f->hot_allowed = 1;
	f->hot_cdev = vfr_hot_reset_check_get_mode(check) == VFR_HOT_RESET_MODE_CDEV;
	names = (const char **)keep(f, (char *)g_new0(const char *, n + 1));
	for (size_t i = 0; i < n; i++)
		names[i] = keep(f, g_strdup(vfr_hot_reset_check_get_affected(check, i)));
	f->hot_affected = names;
	f->n_hot_groups = vfr_hot_reset_check_get_n_groups(check);
	groups = (int *)keep(f, (char *)g_new0(int, f->n_hot_groups + 1));
	for (size_t i = 0; i < f->n_hot_groups; i++)
		groups[i] = vfr_hot_reset_check_get_group(check, i);
	f->hot_groups = groups;
}

/*
 * `vfio` needs the device open; `hot` needs the kernel's INFO answer on it,
 * evaluated against what the caller holds. A holding carries its group fds,
 * so both modes work there; a bare device fd works only when it is a cdev
 * (an empty fd array): for a group-opened one the group fds are missing.
 */
static void gather_vfio(struct vfr_device *dev, const struct vfr_reset_options *opts,
			struct reset_facts *f)
{
	struct vfr_vfio_holding *h = opts ? opts->holding : NULL;
	struct vfr_hot_reset_check *check = NULL;
	struct vfr_error *err = NULL;
	int fd = reset_options_vfio_fd(opts, dev);
	bool held = h && vfr_vfio_holding_get_device_fd(h, dev) >= 0;
	int r;

	f->hot_allowed = -1;
	f->have_device_fd = fd >= 0;
	if (!driver_type_is_vfio(f->driver_type))
		return; /* the plan says why; no ioctl can change that */
	if (fd >= 0) {
		uint32_t flags = 0;

		if (vfio_device_info_flags(fd, &flags) == 0)
			f->vfio_reset_flag = flags & VFIO_DEVICE_FLAGS_RESET;
	}
	if (fd < 0) {
		predict_hot(dev, opts, f);
		return;
	}
	if (held)
		r = vfr_vfio_holding_check_hot_reset(h, dev, &check, &err);
	else
		r = vfr_hot_reset_check_fd(dev, fd, VFR_HOT_RESET_MODE_GROUP, NULL, 0, NULL, 0,
					   &check, &err);
	if (r < 0) {
		f->hot_unknown = keep(f, g_strdup_printf("the kernel's hot-reset INFO could not be "
							 "had: %s", vfr_error_get_message(err)));
		vfr_error_free(err);
		return;
	}
	if (!held && vfr_hot_reset_check_get_mode(check) == VFR_HOT_RESET_MODE_GROUP)
		f->hot_unknown = keep(f, g_strdup_printf(
			"%s is open through its group: a hot reset then needs the fds of every "
			"affected IOMMU group, which only a VFIO holding passes", dev->name));
	else
		take_verdict(f, check);
	vfr_hot_reset_check_free(check);
}

/* Fills @ret from @dev's getters, the topology and @opts; reset_facts_clear() frees. */
static int reset_facts_gather(struct vfr_device *dev, const struct vfr_reset_options *opts,
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
	f.only_methods = opts ? (const char *const *)opts->methods : NULL;

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
	f.bus_probe_ok = scope_bus_method_probe(dev, &f.bus_sibling);
	gather_peers(dev, opts, &f);
	gather_vfio(dev, opts, &f);
	*ret = f;
	return 0;
}

static void reset_facts_clear(struct reset_facts *f)
{
	g_free((void *)f->bus_peers);
	if (f->storage)
		g_ptr_array_free(f->storage, TRUE);
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
