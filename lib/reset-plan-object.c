/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset plan as callers see it: made for one function from its facts
 * (reset-facts.c gathers them, reset-decide.c decides), then read through
 * the getters.
 */
#include <string.h>

#include "reset-plan.h"

VFR_EXPORT int vfr_reset_plan_new(struct vfr_device *dev, const struct vfr_reset_options *opts,
				  struct vfr_reset_plan **ret_plan, struct vfr_error **reterr)
{
	assert_return(dev && ret_plan, -EINVAL);
	return reset_plans_make(&dev, 1, opts, ret_plan);
}

VFR_EXPORT bool vfr_reset_plan_is_refused(const struct vfr_reset_plan *plan)
{
	assert_return(plan, false);
	return reset_plan_is_refused(plan);
}

VFR_EXPORT struct vfr_reset_plan *vfr_reset_plan_ref(struct vfr_reset_plan *plan)
{
	assert_return(plan, NULL);
	plan->refcount++;
	return plan;
}

VFR_EXPORT struct vfr_reset_plan *vfr_reset_plan_unref(struct vfr_reset_plan *plan)
{
	if (!plan || --plan->refcount > 0)
		return NULL;
	g_free(plan->name);
	g_strfreev(plan->seen);
	g_free(plan->holders);
	g_free(plan->uncertain_holders);
	g_ptr_array_free(plan->methods, TRUE);
	g_ptr_array_free(plan->excluded, TRUE);
	g_free(plan);
	return NULL;
}

VFR_EXPORT const char *vfr_reset_plan_get_address(const struct vfr_reset_plan *plan)
{
	assert_return(plan, NULL);
	return plan->name;
}

VFR_EXPORT enum vfr_reset_policy vfr_reset_plan_get_policy(const struct vfr_reset_plan *plan)
{
	assert_return(plan, VFR_RESET_STRICT);
	return plan->policy;
}

VFR_EXPORT bool vfr_reset_plan_is_ready(const struct vfr_reset_plan *plan)
{
	assert_return(plan, false);
	return plan->methods->len > 0;
}

VFR_EXPORT size_t vfr_reset_plan_get_n_methods(const struct vfr_reset_plan *plan)
{
	assert_return(plan, 0);
	return plan->methods->len;
}

static const struct reset_candidate *candidate(const struct vfr_reset_plan *plan, size_t i)
{
	if (!plan || i >= plan->methods->len)
		return NULL;
	return plan->methods->pdata[i];
}

VFR_EXPORT const char *vfr_reset_plan_get_method(const struct vfr_reset_plan *plan, size_t index)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c ? c->method : NULL;
}

VFR_EXPORT enum vfr_reset_mechanism vfr_reset_plan_get_mechanism(const struct vfr_reset_plan *plan,
								 size_t index)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c ? c->mechanism : VFR_RESET_MECH_SYSFS;
}

VFR_EXPORT const char *vfr_reset_plan_get_method_note(const struct vfr_reset_plan *plan,
						     size_t index)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c ? c->note : NULL;
}

VFR_EXPORT size_t vfr_reset_plan_get_n_affected(const struct vfr_reset_plan *plan, size_t index)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c ? c->n_affected : 0;
}

VFR_EXPORT const char *vfr_reset_plan_get_affected(const struct vfr_reset_plan *plan, size_t index,
						   size_t affected)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c && affected < c->n_affected ? c->affected[affected] : NULL;
}

VFR_EXPORT size_t vfr_reset_plan_get_n_excluded(const struct vfr_reset_plan *plan)
{
	assert_return(plan, 0);
	return plan->excluded->len;
}

static const struct reset_exclusion *exclusion(const struct vfr_reset_plan *plan, size_t i)
{
	if (!plan || i >= plan->excluded->len)
		return NULL;
	return plan->excluded->pdata[i];
}

VFR_EXPORT const char *vfr_reset_plan_get_excluded_method(const struct vfr_reset_plan *plan,
							  size_t index)
{
	const struct reset_exclusion *e = exclusion(plan, index);

	return e ? e->method : NULL;
}

VFR_EXPORT bool vfr_reset_plan_get_excluded_protects(const struct vfr_reset_plan *plan,
						      size_t index)
{
	const struct reset_exclusion *e = exclusion(plan, index);

	return e && e->safety;
}

VFR_EXPORT const char *vfr_reset_plan_get_excluded_reason(const struct vfr_reset_plan *plan,
							  size_t index)
{
	const struct reset_exclusion *e = exclusion(plan, index);

	return e ? e->reason : NULL;
}

VFR_EXPORT const char *vfr_reset_policy_to_string(enum vfr_reset_policy policy)
{
	switch (policy) {
	case VFR_RESET_STRICT:
		return "strict";
	case VFR_RESET_NO_STRICT:
		return "no-strict";
	case VFR_RESET_SKIP:
		return "skip";
	default:
		return NULL;
	}
}

VFR_EXPORT int vfr_reset_policy_from_string(const char *text, enum vfr_reset_policy *ret)
{
	static const enum vfr_reset_policy all[] = { VFR_RESET_STRICT, VFR_RESET_NO_STRICT,
						     VFR_RESET_SKIP };

	assert_return(text && ret, -EINVAL);
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		if (strcmp(text, vfr_reset_policy_to_string(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	return -EINVAL;
}

VFR_EXPORT const char *vfr_reset_mechanism_to_string(enum vfr_reset_mechanism mechanism)
{
	switch (mechanism) {
	case VFR_RESET_MECH_SYSFS:
		return "sysfs";
	case VFR_RESET_MECH_VFIO_DEVICE:
		return "vfio-device-reset";
	case VFR_RESET_MECH_VFIO_HOT:
		return "vfio-hot-reset";
	default:
		return NULL;
	}
}

VFR_EXPORT const char *vfr_reset_outcome_to_string(enum vfr_reset_outcome outcome)
{
	switch (outcome) {
	case VFR_RESET_OUTCOME_RESET:
		return "reset";
	case VFR_RESET_OUTCOME_FAILED:
		return "failed";
	case VFR_RESET_OUTCOME_IGNORED:
		return "ignored";
	case VFR_RESET_OUTCOME_REFUSED:
		return "refused";
	case VFR_RESET_OUTCOME_UNKNOWN:
		return "unknown";
	case VFR_RESET_OUTCOME_SKIPPED:
		return "skipped";
	default:
		return NULL;
	}
}
