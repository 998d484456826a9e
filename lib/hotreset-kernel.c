/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hot reset as the kernel sees it: its INFO answer on an open device,
 * evaluated with sysfs facts to explain each blocker.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device-private.h"
#include "hotreset-private.h"
#include "sysfs.h"
#include "vfio-uapi.h"
#include "vfio.h"

#define LOG_DOMAIN "hotreset"

static int compare_fact(const void *a, const void *b)
{
	return vfr_address_compare(&((const struct hotreset_fact *)a)->addr,
				   &((const struct hotreset_fact *)b)->addr);
}

static bool listed(const struct vfr_address *set, size_t n, const struct vfr_address *addr)
{
	for (size_t i = 0; i < n; i++)
		if (vfr_address_compare(&set[i], addr) == 0)
			return true;
	return false;
}

/*
 * INFO itself refused: ENODEV (no slot or bus reset) or EPERM (group mode, a
 * function without a group). The kernel lists nothing; the predicted scope
 * names the functions, and the errno stays the kernel's.
 */
static int refused_info(struct vfr_device *dev, enum vfr_hot_reset_mode mode, int error,
			const int *held_groups, size_t n_held_groups,
			struct vfr_hot_reset_check **ret)
{
	g_autofree struct hotreset_fact *facts = NULL;
	struct hotreset_query q = { 0 };
	struct vfr_hot_reset_check *c;
	const char *why = NULL;
	size_t n = 0;
	int r;

	r = hotreset_scope(dev, &facts, &n, &why);
	if (r < 0)
		return r;
	q.target = dev->addr;
	q.mode = mode;
	q.reset_probe = error != ENODEV;
	q.no_reset_why = why ? why : "the kernel found none";
	q.n_fds = -1;
	q.held_groups = held_groups;
	q.n_held_groups = n_held_groups;
	q.facts = facts;
	q.n_facts = n;
	r = hotreset_evaluate(&q, &c);
	if (r < 0)
		return r;
	c->from_kernel = true;
	if (c->error != error) {
		/* Where sysfs does not show the kernel's reason, the kernel is right. */
		c->allowed = false;
		c->error = error;
		c->reason = error == ENODEV ? VFR_HOT_RESET_REASON_NO_RESET_METHOD
					    : VFR_HOT_RESET_REASON_NO_IOMMU_GROUP;
		g_free(c->summary);
		c->summary = g_strdup_printf("%s: no hot reset (%s): the kernel refused the hot-reset "
					     "INFO: %s", c->target, error == ENODEV ? "ENODEV" : "EPERM",
					     error == ENODEV ? "it found no slot or bus reset"
							     : "a function in the reset's scope has "
							       "no IOMMU group");
	}
	*ret = c;
	return 0;
}

VFR_EXPORT int vfr_hot_reset_check_fd(struct vfr_device *dev, int device_fd,
				      enum vfr_hot_reset_mode mode, const int *held_groups,
				      size_t n_held_groups, const struct vfr_address *opened,
				      size_t n_opened, struct vfr_hot_reset_check **ret_check,
				      struct vfr_error **reterr)
{
	g_autofree struct vfio_dependent *entries = NULL;
	g_autofree struct hotreset_fact *facts = NULL;
	struct hotreset_query q = { 0 };
	bool any_not_owned = false;
	uint32_t flags = 0;
	size_t n = 0;
	int r;

	assert_return(dev && device_fd >= 0 && ret_check, -EINVAL);
	assert_return((held_groups || !n_held_groups) && (opened || !n_opened), -EINVAL);

	r = vfio_get_hot_reset_info(device_fd, &flags, &entries, &n);
	if (r == -ENODEV || r == -EPERM) {
		r = refused_info(dev, mode, -r, held_groups, n_held_groups, ret_check);
		if (r < 0)
			return error_set(reterr, r, dev->name, "%s: cannot find what a hot reset "
					 "touches: %s", dev->name, g_strerror(-r));
		return 0;
	}
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: the hot-reset INFO ioctl failed: %s",
				 dev->name, g_strerror(-r));

	/* The kernel answers in devid form exactly when the device is cdev-opened. */
	q.mode = flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID ? VFR_HOT_RESET_MODE_CDEV
						       : VFR_HOT_RESET_MODE_GROUP;
	facts = g_new0(struct hotreset_fact, n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		struct vfr_device *d = host_find(dev->host, &entries[i].addr);

		if (d) {
			hotreset_fact_from_device(d, &facts[i]);
		} else {
			/* Appeared after the scan: the kernel knows it, sysfs facts do not. */
			facts[i].addr = entries[i].addr;
			facts[i].group = -1;
		}
		facts[i].kernel_id = entries[i].id;
		if (q.mode == VFR_HOT_RESET_MODE_CDEV) {
			if (entries[i].id != HOTRESET_DEVID_OWNED &&
			    entries[i].id != HOTRESET_DEVID_NOT_OWNED)
				facts[i].hold = HOTRESET_HOLD_CDEV;
			any_not_owned |= entries[i].id == HOTRESET_DEVID_NOT_OWNED;
		} else if (vfr_address_compare(&entries[i].addr, &dev->addr) == 0 ||
			   listed(opened, n_opened, &entries[i].addr)) {
			facts[i].hold = HOTRESET_HOLD_GROUP;
		}
	}
	qsort(facts, n, sizeof(*facts), compare_fact);
	if (q.mode == VFR_HOT_RESET_MODE_CDEV &&
	    !(flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED) != any_not_owned)
		vfr_warn(dev->host->ctx, "%s: hot-reset INFO flags 0x%x disagree with its entries",
			 dev->name, flags);
	if (mode != q.mode)
		vfr_dbg(dev->host->ctx, "%s: the kernel answers for a %s-opened device", dev->name,
			vfr_hot_reset_mode_to_string(q.mode));

	q.target = dev->addr;
	q.reset_probe = true;
	q.from_kernel = true;
	q.noiommu = q.mode == VFR_HOT_RESET_MODE_CDEV && hotreset_is_noiommu(dev);
	q.n_fds = -1;
	q.held_groups = held_groups;
	q.n_held_groups = n_held_groups;
	q.facts = facts;
	q.n_facts = n;
	r = hotreset_evaluate(&q, ret_check);
	if (r < 0)
		return error_set(reterr, r, dev->name, "%s: cannot evaluate the kernel's hot-reset "
				 "answer", dev->name);
	return 0;
}
