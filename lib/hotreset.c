/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's hot-reset decision, recomputed: vfio_pci_ioctl_get_pci_hot_reset_info()
 * and vfio_pci_ioctl_pci_hot_reset() of drivers/vfio/pci/vfio_pci_core.c,
 * in their order. A caller does INFO first, then HOT_RESET, so the errno
 * reported is the first one met along that way:
 *   INFO:      no slot or bus reset -> ENODEV; group mode and an affected
 *              function without an IOMMU group -> EPERM;
 *   HOT_RESET: fd array not suiting the mode (`!!count == cdev_opened`,
 *              or more fds than affected functions) -> EINVAL; an affected
 *              function outside the vfio-pci-core dev_set -> EINVAL; a
 *              dev_set member not owned -> EINVAL.
 * The transient EBUSY (memory_lock contention) and PM errors exist only at
 * run time and are not predicted.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "hotreset-private.h"

static bool held(const struct hotreset_query *q, int group)
{
	if (group < 0)
		return false;
	for (size_t i = 0; i < q->n_held_groups; i++)
		if (q->held_groups[i] == group)
			return true;
	return false;
}

static void block(struct hotreset_entry *e, enum vfr_hot_reset_reason reason, char *text)
{
	e->state = VFR_HOT_RESET_STATE_BLOCKER;
	e->reason = reason;
	g_free(e->text);
	e->text = text;
}

static void own(struct hotreset_entry *e, bool opened, char *text)
{
	e->state = opened ? VFR_HOT_RESET_STATE_OPENED : VFR_HOT_RESET_STATE_OWNED;
	e->reason = VFR_HOT_RESET_REASON_NONE;
	e->text = text;
}

/* Not a dev_set member: vfio_pci_dev_set_resettable() fails, EINVAL. */
static bool check_member(const struct hotreset_fact *f, struct hotreset_entry *e)
{
	if (f->vfio_core && !f->bridge)
		return true;
	if (f->bridge)
		block(e, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND,
		      g_strdup_printf("%s is a bridge, which no vfio-pci driver can drive", e->name));
	else if (f->driver)
		block(e, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND,
		      g_strdup_printf("%s is bound to %s, not to a vfio-pci driver", e->name,
				      f->driver));
	else
		block(e, VFR_HOT_RESET_REASON_NOT_VFIO_BOUND,
		      g_strdup_printf("%s is bound to no driver, not to a vfio-pci driver", e->name));
	return false;
}

/* vfio_dev_in_groups(): owning the group owns every function in it. */
static void check_group_owner(const struct hotreset_query *q, const struct hotreset_fact *f,
			      struct hotreset_entry *e)
{
	bool opened = f->hold == HOTRESET_HOLD_GROUP;

	if (held(q, e->group)) {
		own(e, opened,
		    opened ? g_strdup_printf("%s is open through group %d: quiesce it before the "
					     "reset and restore it after", e->name, e->group)
			   : g_strdup_printf("%s is owned through group %d, which the caller holds",
					     e->name, e->group));
	} else if (f->hold == HOTRESET_HOLD_CDEV) {
		block(e, VFR_HOT_RESET_REASON_MIXED_MODE,
		      g_strdup_printf("%s is held as a cdev, but the reset goes through group fds: "
				      "mixing groups and cdevs is not supported", e->name));
	} else if (f->hold == HOTRESET_HOLD_ELSEWHERE) {
		block(e, VFR_HOT_RESET_REASON_OTHER_CONTEXT,
		      g_strdup_printf("%s is open elsewhere, so the caller cannot hold group %d",
				      e->name, e->group));
	} else {
		block(e, VFR_HOT_RESET_REASON_GROUP_NOT_HELD,
		      g_strdup_printf("%s is in group %d, which the caller does not hold", e->name,
				      e->group));
	}
}

/* Why a cdev-mode entry is not owned, in the order the causes exclude each other. */
static void block_not_owned(const struct hotreset_query *q, const struct hotreset_fact *f,
			    struct hotreset_entry *e)
{
	if (q->noiommu)
		block(e, VFR_HOT_RESET_REASON_NOIOMMU_CDEV,
		      g_strdup_printf("%s cannot be owned: the caller's cdev is noiommu, and a "
				      "noiommu bind gives no iommufd context to own anything",
				      e->name));
	else if (f->hold == HOTRESET_HOLD_GROUP)
		block(e, VFR_HOT_RESET_REASON_MIXED_MODE,
		      g_strdup_printf("%s is held through its group, but the reset goes through an "
				      "iommufd cdev: mixing groups and cdevs is not supported",
				      e->name));
	else if (f->hold == HOTRESET_HOLD_ELSEWHERE)
		block(e, VFR_HOT_RESET_REASON_OTHER_CONTEXT,
		      g_strdup_printf("%s is bound in another iommufd context or opened elsewhere",
				      e->name));
	else if (e->group < 0)
		block(e, VFR_HOT_RESET_REASON_NOT_IN_CONTEXT,
		      g_strdup_printf("%s is not bound to the caller's iommufd context, and having no "
				      "IOMMU group it can be owned no other way", e->name));
	else
		block(e, VFR_HOT_RESET_REASON_NOT_IN_CONTEXT,
		      g_strdup_printf("%s is not bound to the caller's iommufd context, and no "
				      "function of its group %d is", e->name, e->group));
}

/*
 * vfio_iommufd_get_dev_id(): a devid in the caller's context, or implicit
 * ownership through a group some function bound there belongs to; anything
 * else (unopened in a foreign group, another context, group-opened) is not
 * owned.
 */
static void check_cdev_owner(const struct hotreset_query *q, const struct hotreset_fact *f,
			     struct hotreset_entry *e)
{
	if (q->from_kernel) {
		e->has_devid = true;
		e->devid = f->kernel_id;
		if (f->kernel_id == HOTRESET_DEVID_NOT_OWNED)
			block_not_owned(q, f, e);
		else if (f->kernel_id == HOTRESET_DEVID_OWNED)
			own(e, false, g_strdup_printf("%s is owned: its group %d has a function bound "
						      "to the caller's iommufd context",
						      e->name, e->group));
		else
			own(e, true, g_strdup_printf("%s is bound to the caller's iommufd context "
						     "(devid %u): quiesce it before the reset and "
						     "restore it after", e->name, f->kernel_id));
		return;
	}
	if (q->noiommu || f->hold != HOTRESET_HOLD_CDEV) {
		if (!q->noiommu && f->hold == HOTRESET_HOLD_NONE && held(q, e->group))
			own(e, false, g_strdup_printf("%s is owned: its group %d has a function bound "
						      "to the caller's iommufd context",
						      e->name, e->group));
		else
			block_not_owned(q, f, e);
		return;
	}
	own(e, true, g_strdup_printf("%s is bound to the caller's iommufd context: quiesce it "
				     "before the reset and restore it after", e->name));
}

static int compare_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Group mode: each affected group once; the kernel counts fds against functions. */
static void collect_groups(struct vfr_hot_reset_check *c)
{
	c->groups = g_new(int, c->n_entries + 1);
	for (size_t i = 0; i < c->n_entries; i++) {
		bool seen = false;

		if (c->entries[i].group < 0)
			continue;
		for (size_t k = 0; k < c->n_groups; k++)
			seen = seen || c->groups[k] == c->entries[i].group;
		if (!seen)
			c->groups[c->n_groups++] = c->entries[i].group;
	}
	qsort(c->groups, c->n_groups, sizeof(int), compare_int);
}

/* The errno of the first stage that fails, and its first blocker. */
static void decide(const struct hotreset_query *q, struct vfr_hot_reset_check *c,
		   const char *fd_array_why)
{
	const struct hotreset_entry *first = NULL;
	bool no_group = false;

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct hotreset_entry *e = &c->entries[i];

		if (e->state != VFR_HOT_RESET_STATE_BLOCKER)
			continue;
		if (e->reason == VFR_HOT_RESET_REASON_NO_IOMMU_GROUP && !no_group) {
			no_group = true;
			first = e;
		}
		if (!first)
			first = e;
	}

	if (!q->reset_probe) {
		c->error = ENODEV;
		c->reason = VFR_HOT_RESET_REASON_NO_RESET_METHOD;
		c->summary = g_strdup_printf("%s: no hot reset (ENODEV): no slot or bus reset: %s",
					     c->target, q->no_reset_why ? q->no_reset_why
									: "the kernel probes none");
	} else if (no_group) {
		c->error = EPERM;
		c->reason = first->reason;
		c->summary = g_strdup_printf("%s: no hot reset (EPERM): %s", c->target, first->text);
	} else if (fd_array_why) {
		c->error = EINVAL;
		c->reason = VFR_HOT_RESET_REASON_WRONG_FD_ARRAY;
		c->summary = g_strdup_printf("%s: no hot reset (EINVAL): %s", c->target,
					     fd_array_why);
	} else if (first) {
		c->error = EINVAL;
		c->reason = first->reason;
		c->summary = g_strdup_printf("%s: no hot reset (EINVAL): %s", c->target, first->text);
	} else {
		GString *s = g_string_new(NULL);

		c->allowed = true;
		g_string_printf(s, "%s: hot reset allowed (%s mode", c->target,
				vfr_hot_reset_mode_to_string(c->mode));
		if (c->mode == VFR_HOT_RESET_MODE_GROUP) {
			g_string_append(s, ", group fds");
			for (size_t i = 0; i < c->n_groups; i++)
				g_string_append_printf(s, " %d", c->groups[i]);
		} else {
			g_string_append(s, ", empty fd array");
		}
		g_string_append(s, ")");
		c->summary = g_string_free(s, FALSE);
	}
}

/* The kernel's `!!count == cdev_opened` and the group path's count limit. */
static const char *fd_array_problem(const struct hotreset_query *q)
{
	if (q->n_fds < 0)
		return NULL;
	if (q->mode == VFR_HOT_RESET_MODE_CDEV && q->n_fds > 0)
		return "a cdev-opened device must pass an empty fd array";
	if (q->mode == VFR_HOT_RESET_MODE_GROUP && q->n_fds == 0)
		return "a group-opened device must pass at least one group fd";
	if (q->mode == VFR_HOT_RESET_MODE_GROUP && (size_t)q->n_fds > q->n_facts)
		return "more fds than affected functions";
	return NULL;
}

int hotreset_evaluate(const struct hotreset_query *q, struct vfr_hot_reset_check **ret)
{
	struct vfr_hot_reset_check *c;

	if (!q || !ret || (q->n_facts && !q->facts) || (q->n_held_groups && !q->held_groups) ||
	    (q->mode != VFR_HOT_RESET_MODE_GROUP && q->mode != VFR_HOT_RESET_MODE_CDEV))
		return -EINVAL;

	c = g_new0(struct vfr_hot_reset_check, 1);
	vfr_address_format(&q->target, c->target, sizeof(c->target));
	c->mode = q->mode;
	c->from_kernel = q->from_kernel;
	c->entries = g_new0(struct hotreset_entry, q->n_facts ? q->n_facts : 1);
	c->n_entries = q->n_facts;

	for (size_t i = 0; i < q->n_facts; i++) {
		const struct hotreset_fact *f = &q->facts[i];
		struct hotreset_entry *e = &c->entries[i];

		e->addr = f->addr;
		vfr_address_format(&f->addr, e->name, sizeof(e->name));
		/* In group mode the kernel's INFO names the group itself. */
		e->group = q->from_kernel && q->mode == VFR_HOT_RESET_MODE_GROUP ? (int)f->kernel_id
										  : f->group;

		if (!q->reset_probe && vfr_address_compare(&f->addr, &q->target) == 0) {
			block(e, VFR_HOT_RESET_REASON_NO_RESET_METHOD,
			      g_strdup_printf("%s has no slot or bus reset: %s", e->name,
					      q->no_reset_why ? q->no_reset_why
							      : "the kernel probes none"));
			continue;
		}
		if (q->mode == VFR_HOT_RESET_MODE_GROUP && e->group < 0) {
			block(e, VFR_HOT_RESET_REASON_NO_IOMMU_GROUP,
			      g_strdup_printf("%s is in no IOMMU group, so the kernel refuses to "
					      "report the reset's scope", e->name));
			continue;
		}
		if (!check_member(f, e)) {
			if (q->from_kernel && q->mode == VFR_HOT_RESET_MODE_CDEV) {
				e->has_devid = true;
				e->devid = f->kernel_id;
			}
			continue;
		}
		if (q->mode == VFR_HOT_RESET_MODE_GROUP)
			check_group_owner(q, f, e);
		else
			check_cdev_owner(q, f, e);
	}
	if (q->mode == VFR_HOT_RESET_MODE_GROUP)
		collect_groups(c);
	decide(q, c, fd_array_problem(q));
	*ret = c;
	return 0;
}

/* ---- the public result object ---- */

VFR_EXPORT void vfr_hot_reset_check_free(struct vfr_hot_reset_check *check)
{
	if (!check)
		return;
	for (size_t i = 0; i < check->n_entries; i++)
		g_free(check->entries[i].text);
	g_free(check->entries);
	g_free(check->groups);
	g_free(check->summary);
	g_free(check);
}

static const struct hotreset_entry *entry(const struct vfr_hot_reset_check *c, size_t i)
{
	return c && i < c->n_entries ? &c->entries[i] : NULL;
}

VFR_EXPORT const char *vfr_hot_reset_check_get_address(const struct vfr_hot_reset_check *check)
{
	assert_return(check, NULL);
	return check->target;
}

VFR_EXPORT enum vfr_hot_reset_mode vfr_hot_reset_check_get_mode(const struct vfr_hot_reset_check *check)
{
	assert_return(check, VFR_HOT_RESET_MODE_GROUP);
	return check->mode;
}

VFR_EXPORT bool vfr_hot_reset_check_from_kernel(const struct vfr_hot_reset_check *check)
{
	assert_return(check, false);
	return check->from_kernel;
}

VFR_EXPORT bool vfr_hot_reset_check_is_allowed(const struct vfr_hot_reset_check *check)
{
	assert_return(check, false);
	return check->allowed;
}

VFR_EXPORT int vfr_hot_reset_check_get_errno(const struct vfr_hot_reset_check *check)
{
	assert_return(check, EINVAL);
	return check->error;
}

VFR_EXPORT enum vfr_hot_reset_reason vfr_hot_reset_check_get_reason(const struct vfr_hot_reset_check *check)
{
	assert_return(check, VFR_HOT_RESET_REASON_NONE);
	return check->reason;
}

VFR_EXPORT const char *vfr_hot_reset_check_get_summary(const struct vfr_hot_reset_check *check)
{
	assert_return(check, NULL);
	return check->summary;
}

VFR_EXPORT size_t vfr_hot_reset_check_get_n_affected(const struct vfr_hot_reset_check *check)
{
	assert_return(check, 0);
	return check->n_entries;
}

VFR_EXPORT const char *vfr_hot_reset_check_get_affected(const struct vfr_hot_reset_check *check,
							size_t index)
{
	const struct hotreset_entry *e = entry(check, index);

	return e ? e->name : NULL;
}

VFR_EXPORT int vfr_hot_reset_check_get_affected_group(const struct vfr_hot_reset_check *check,
						      size_t index)
{
	const struct hotreset_entry *e = entry(check, index);

	return e ? e->group : -1;
}

VFR_EXPORT enum vfr_hot_reset_state
vfr_hot_reset_check_get_affected_state(const struct vfr_hot_reset_check *check, size_t index)
{
	const struct hotreset_entry *e = entry(check, index);

	return e ? e->state : VFR_HOT_RESET_STATE_BLOCKER;
}

VFR_EXPORT enum vfr_hot_reset_reason
vfr_hot_reset_check_get_affected_reason(const struct vfr_hot_reset_check *check, size_t index)
{
	const struct hotreset_entry *e = entry(check, index);

	return e ? e->reason : VFR_HOT_RESET_REASON_NONE;
}

VFR_EXPORT const char *vfr_hot_reset_check_get_affected_text(const struct vfr_hot_reset_check *check,
							     size_t index)
{
	const struct hotreset_entry *e = entry(check, index);

	return e ? e->text : NULL;
}

VFR_EXPORT int64_t vfr_hot_reset_check_get_affected_devid(const struct vfr_hot_reset_check *check,
							  size_t index)
{
	const struct hotreset_entry *e = entry(check, index);

	return e && e->has_devid ? (int64_t)e->devid : -1;
}

VFR_EXPORT size_t vfr_hot_reset_check_get_n_groups(const struct vfr_hot_reset_check *check)
{
	assert_return(check, 0);
	return check->n_groups;
}

VFR_EXPORT int vfr_hot_reset_check_get_group(const struct vfr_hot_reset_check *check, size_t index)
{
	assert_return(check && index < check->n_groups, -1);
	return check->groups[index];
}

VFR_EXPORT const char *vfr_hot_reset_mode_to_string(enum vfr_hot_reset_mode mode)
{
	switch (mode) {
	case VFR_HOT_RESET_MODE_GROUP:
		return "group";
	case VFR_HOT_RESET_MODE_CDEV:
		return "cdev";
	default:
		return NULL;
	}
}

VFR_EXPORT const char *vfr_hot_reset_state_to_string(enum vfr_hot_reset_state state)
{
	switch (state) {
	case VFR_HOT_RESET_STATE_OPENED:
		return "opened";
	case VFR_HOT_RESET_STATE_OWNED:
		return "owned";
	case VFR_HOT_RESET_STATE_BLOCKER:
		return "blocker";
	default:
		return NULL;
	}
}

VFR_EXPORT const char *vfr_hot_reset_reason_to_string(enum vfr_hot_reset_reason reason)
{
	static const char *const names[] = {
		[VFR_HOT_RESET_REASON_NONE] = "none",
		[VFR_HOT_RESET_REASON_NO_RESET_METHOD] = "no-reset-method",
		[VFR_HOT_RESET_REASON_NO_IOMMU_GROUP] = "no-iommu-group",
		[VFR_HOT_RESET_REASON_NOT_VFIO_BOUND] = "not-vfio-bound",
		[VFR_HOT_RESET_REASON_GROUP_NOT_HELD] = "group-not-held",
		[VFR_HOT_RESET_REASON_NOT_IN_CONTEXT] = "not-in-context",
		[VFR_HOT_RESET_REASON_OTHER_CONTEXT] = "other-context",
		[VFR_HOT_RESET_REASON_MIXED_MODE] = "mixed-mode",
		[VFR_HOT_RESET_REASON_NOIOMMU_CDEV] = "noiommu-cdev",
		[VFR_HOT_RESET_REASON_WRONG_FD_ARRAY] = "wrong-fd-array",
	};

	if ((unsigned int)reason >= G_N_ELEMENTS(names))
		return NULL;
	return names[reason];
}
