/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hot-reset prediction without fds: the affected set from the sysfs
 * topology (the function's bus and every bus below it), each function's
 * group, driver and header type from its getters, evaluated against a
 * declared holding: "if one VM holds these functions, can it hot reset
 * this one?".
 */
#include <string.h>

#include "device-private.h"
#include "hotreset-private.h"
#include "bus-reset.h"
#include "sysfs.h"

#define LOG_DOMAIN "hotreset"

/*
 * Functions the kernel flags PCI_DEV_FLAGS_NO_BUS_RESET (drivers/pci/quirks.c:
 * quirk_no_bus_reset, quirk_nvidia_no_bus_reset): a bus holding one, or
 * below a bridge carrying one, has no bus reset (pci_bus_resettable()).
 */
static const struct {
	uint16_t vendor, device, mask;
} no_bus_reset[] = {
	{ 0x168c, 0x0030, 0xffff }, /* Atheros AR93xx */
	{ 0x168c, 0x0032, 0xffff }, /* AR9485 */
	{ 0x168c, 0x0033, 0xffff }, /* AR9580 */
	{ 0x168c, 0x0034, 0xffff }, /* AR9462 */
	{ 0x168c, 0x003c, 0xffff }, /* QCA988x */
	{ 0x168c, 0x003e, 0xffff }, /* QCA6174 */
	{ 0x177d, 0xa100, 0xffff }, /* Cavium ThunderX */
	{ 0x104c, 0xb005, 0xffff }, /* TI KeyStone */
	{ 0x10de, 0x2340, 0xffc0 }, /* NVIDIA GPUs 0x2340-0x237f */
};

static bool quirk_no_bus_reset(struct vfr_device *dev)
{
	uint16_t vendor, device;

	if (vfr_device_get_vendor_id(dev, &vendor) < 0 || vfr_device_get_device_id(dev, &device) < 0)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(no_bus_reset); i++)
		if (no_bus_reset[i].vendor == vendor &&
		    no_bus_reset[i].device == (device & no_bus_reset[i].mask))
			return true;
	return false;
}

void hotreset_fact_from_device(struct vfr_device *dev, struct hotreset_fact *f)
{
	enum vfr_driver_type type = VFR_DRIVER_NONE;
	enum vfr_header_type header;
	const char *driver = NULL;

	memset(f, 0, sizeof(*f));
	f->addr = dev->addr;
	if (vfr_device_get_iommu_group(dev, &f->group) < 0)
		f->group = -1;
	if (vfr_device_get_driver(dev, &driver) == 0) {
		f->driver = driver;
		vfr_device_get_driver_type(dev, &type);
	}
	/* Variant drivers are built on vfio-pci-core and join its dev_set. */
	f->vfio_core = driver_type_is_vfio(type);
	f->bridge = vfr_device_get_header_type(dev, &header) == 0 &&
		    (header == VFR_HEADER_BRIDGE || header == VFR_HEADER_CARDBUS);
}

bool hotreset_is_noiommu(struct vfr_device *dev)
{
	g_auto(GStrv) names = NULL;
	size_t n = 0;
	int fd = host_device_dirfd(dev->host, dev);

	/* A noiommu vfio device is named noiommu-vfioN (Linux >= 6.6). */
	if (fd < 0 || sysfs_list(fd, "vfio-dev", &names, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (g_str_has_prefix(names[i], "noiommu-"))
			return true;
	return false;
}

int hotreset_scope(struct vfr_device *dev, struct hotreset_fact **ret_facts, size_t *ret_n,
		   const char **ret_why)
{
	g_autofree struct vfr_device **devs = NULL;
	struct vfr_device *pf;
	struct hotreset_fact *facts;
	const char *why = NULL;
	size_t n = 0;
	int r;

	r = scope_bus_affected(dev, &devs, &n);
	if (r == -ENOTTY) {
		why = "it sits on a root bus, with no bridge above it to reset the bus";
	} else if (r < 0) {
		return r;
	} else if ((pf = vfr_device_get_physfn(dev)) && pf->addr.bus != dev->addr.bus) {
		/* VFs past the end of their PF's bus live on a bus no bridge leads to. */
		why = "it is a VF on a bus of its own, which no bridge leads to";
	} else if (quirk_no_bus_reset(dev->parent)) {
		why = "the bridge above it is known to break on a bus reset";
	} else {
		for (size_t i = 0; i < n && !why; i++)
			if (quirk_no_bus_reset(devs[i]))
				why = "a function on its bus is known to break on a bus reset";
	}
	if (why) {
		/* The kernel reports no scope; only the function itself is named. */
		g_clear_pointer(&devs, g_free);
		n = 1;
	}
	facts = g_new0(struct hotreset_fact, n);
	for (size_t i = 0; i < n; i++)
		hotreset_fact_from_device(devs ? devs[i] : dev, &facts[i]);
	*ret_facts = facts;
	*ret_n = n;
	*ret_why = why;
	return 0;
}

static bool contains(struct vfr_device *const *set, size_t n, const struct vfr_address *addr)
{
	for (size_t i = 0; i < n; i++)
		if (vfr_address_compare(&set[i]->addr, addr) == 0)
			return true;
	return false;
}

int hotreset_predict(struct vfr_device *dev, const struct vfr_address *holding, size_t n_holding,
		     bool cdev, struct vfr_hot_reset_check **ret, struct vfr_error **reterr)
{
	g_autofree struct hotreset_fact *facts = NULL;
	g_autofree struct vfr_device **held = NULL;
	g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(int));
	struct hotreset_query q = { 0 };
	size_t n_facts = 0, n_held = 0;
	const char *why;
	int r;

	if (!dev || !ret || (n_holding && !holding))
		return -EINVAL;
	held = g_new(struct vfr_device *, n_holding + 1);
	held[n_held++] = dev;
	for (size_t i = 0; i < n_holding; i++) {
		struct vfr_device *h = host_find(dev->host, &holding[i]);
		char name[VFR_ADDRESS_STRLEN];

		if (!h) {
			vfr_address_format(&holding[i], name, sizeof(name));
			return error_set(reterr, -ENODEV, name,
					 "%s: cannot hold %s for a hot reset: no such PCI function",
					 dev->name, name);
		}
		if (!contains(held, n_held, &h->addr))
			held[n_held++] = h;
	}
	/* Group mode: the group fds held; cdev: the groups bound in the context. */
	for (size_t i = 0; i < n_held; i++) {
		int group;

		if (vfr_device_get_iommu_group(held[i], &group) == 0)
			g_array_append_val(groups, group);
	}

	r = hotreset_scope(dev, &facts, &n_facts, &why);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: cannot find what a hot reset touches: %s",
				 dev->name, g_strerror(-r));
	for (size_t i = 0; i < n_facts; i++)
		if (contains(held, n_held, &facts[i].addr))
			facts[i].hold = cdev ? HOTRESET_HOLD_CDEV : HOTRESET_HOLD_GROUP;

	q.target = dev->addr;
	q.mode = cdev ? VFR_HOT_RESET_MODE_CDEV : VFR_HOT_RESET_MODE_GROUP;
	q.reset_probe = why == NULL;
	q.no_reset_why = why;
	q.noiommu = cdev && hotreset_is_noiommu(dev);
	q.n_fds = -1;
	q.held_groups = (const int *)(void *)groups->data;
	q.n_held_groups = groups->len;
	q.facts = facts;
	q.n_facts = n_facts;
	return hotreset_evaluate(&q, ret);
}

VFR_EXPORT int vfr_device_check_hot_reset(struct vfr_device *dev, const struct vfr_address *holding,
					  size_t n_holding, enum vfr_hot_reset_mode mode,
					  struct vfr_hot_reset_check **ret_check,
					  struct vfr_error **reterr)
{
	assert_return(dev && ret_check && (holding || !n_holding), -EINVAL);
	assert_return(mode == VFR_HOT_RESET_MODE_GROUP || mode == VFR_HOT_RESET_MODE_CDEV, -EINVAL);
	return hotreset_predict(dev, holding, n_holding, mode == VFR_HOT_RESET_MODE_CDEV, ret_check,
				reterr);
}
