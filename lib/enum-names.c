/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every public enum's names, one table each: the *_to_string() functions
 * and the parsers read the same table, so a name cannot be printed that
 * would not be parsed back, nor the other way round.
 */
#include <string.h>

#include "enum-names.h"

#define END { 0, NULL }

const struct enum_name enum_names_driver_type[] = {
	{ VFR_DRIVER_NONE, "none" },
	{ VFR_DRIVER_HOST, "host" },
	{ VFR_DRIVER_VFIO_PCI, "vfio-pci" },
	{ VFR_DRIVER_VFIO_VARIANT, "vfio-variant" },
	{ VFR_DRIVER_PCI_STUB, "pci-stub" },
	{ VFR_DRIVER_XEN_PCIBACK, "xen-pciback" },
	END,
};

const struct enum_name enum_names_driver_type_source[] = {
	{ VFR_DRIVER_SOURCE_NONE, "none" },
	{ VFR_DRIVER_SOURCE_NAME, "name" },
	{ VFR_DRIVER_SOURCE_VFIO_DEV, "vfio-dev" },
	{ VFR_DRIVER_SOURCE_MODULE_ALIAS, "module-alias" },
	{ VFR_DRIVER_SOURCE_HEURISTIC, "heuristic" },
	END,
};

const struct enum_name enum_names_header_type[] = {
	{ VFR_HEADER_ENDPOINT, "endpoint" },
	{ VFR_HEADER_BRIDGE, "bridge" },
	{ VFR_HEADER_CARDBUS, "cardbus" },
	{ VFR_HEADER_UNKNOWN, "unknown" },
	END,
};

const struct enum_name enum_names_hot_reset_mode[] = {
	{ VFR_HOT_RESET_MODE_GROUP, "group" },
	{ VFR_HOT_RESET_MODE_CDEV, "cdev" },
	END,
};

const struct enum_name enum_names_hot_reset_state[] = {
	{ VFR_HOT_RESET_STATE_OPENED, "opened" },
	{ VFR_HOT_RESET_STATE_OWNED, "owned" },
	{ VFR_HOT_RESET_STATE_BLOCKER, "blocker" },
	END,
};

const struct enum_name enum_names_hot_reset_reason[] = {
	{ VFR_HOT_RESET_REASON_NONE, "none" },
	{ VFR_HOT_RESET_REASON_NO_RESET_METHOD, "no-reset-method" },
	{ VFR_HOT_RESET_REASON_NO_IOMMU_GROUP, "no-iommu-group" },
	{ VFR_HOT_RESET_REASON_NOT_VFIO_BOUND, "not-vfio-bound" },
	{ VFR_HOT_RESET_REASON_GROUP_NOT_HELD, "group-not-held" },
	{ VFR_HOT_RESET_REASON_NOT_IN_CONTEXT, "not-in-context" },
	{ VFR_HOT_RESET_REASON_OTHER_CONTEXT, "other-context" },
	{ VFR_HOT_RESET_REASON_MIXED_MODE, "mixed-mode" },
	{ VFR_HOT_RESET_REASON_NOIOMMU_CDEV, "noiommu-cdev" },
	{ VFR_HOT_RESET_REASON_WRONG_FD_ARRAY, "wrong-fd-array" },
	END,
};

const struct enum_name enum_names_reset_policy[] = {
	{ VFR_RESET_STRICT, "strict" },
	{ VFR_RESET_NO_STRICT, "no-strict" },
	{ VFR_RESET_SKIP, "skip" },
	END,
};

const struct enum_name enum_names_reset_mechanism[] = {
	{ VFR_RESET_MECH_SYSFS, "sysfs" },
	{ VFR_RESET_MECH_VFIO_DEVICE, "vfio-device-reset" },
	{ VFR_RESET_MECH_VFIO_HOT, "vfio-hot-reset" },
	END,
};

const struct enum_name enum_names_reset_outcome[] = {
	{ VFR_RESET_OUTCOME_RESET, "reset" },
	{ VFR_RESET_OUTCOME_FAILED, "failed" },
	{ VFR_RESET_OUTCOME_IGNORED, "ignored" },
	{ VFR_RESET_OUTCOME_REFUSED, "refused" },
	{ VFR_RESET_OUTCOME_UNKNOWN, "unknown" },
	{ VFR_RESET_OUTCOME_SKIPPED, "skipped" },
	END,
};

const char *enum_to_string(const struct enum_name *table, int value)
{
	for (const struct enum_name *e = table; e->name; e++)
		if (e->value == value)
			return e->name;
	return NULL;
}

int enum_from_string(const struct enum_name *table, const char *name, int *ret)
{
	if (!name)
		return -EINVAL;
	for (const struct enum_name *e = table; e->name; e++)
		if (strcmp(e->name, name) == 0) {
			*ret = e->value;
			return 0;
		}
	return -EINVAL;
}

VFR_EXPORT const char *vfr_driver_type_to_string(enum vfr_driver_type type)
{
	return enum_to_string(enum_names_driver_type, type);
}

VFR_EXPORT const char *vfr_driver_type_source_to_string(enum vfr_driver_type_source source)
{
	return enum_to_string(enum_names_driver_type_source, source);
}

VFR_EXPORT const char *vfr_header_type_to_string(enum vfr_header_type type)
{
	return enum_to_string(enum_names_header_type, type);
}

VFR_EXPORT const char *vfr_hot_reset_mode_to_string(enum vfr_hot_reset_mode mode)
{
	return enum_to_string(enum_names_hot_reset_mode, mode);
}

VFR_EXPORT const char *vfr_hot_reset_state_to_string(enum vfr_hot_reset_state state)
{
	return enum_to_string(enum_names_hot_reset_state, state);
}

VFR_EXPORT const char *vfr_hot_reset_reason_to_string(enum vfr_hot_reset_reason reason)
{
	return enum_to_string(enum_names_hot_reset_reason, reason);
}

VFR_EXPORT const char *vfr_reset_policy_to_string(enum vfr_reset_policy policy)
{
	return enum_to_string(enum_names_reset_policy, policy);
}

VFR_EXPORT int vfr_reset_policy_from_string(const char *text, enum vfr_reset_policy *ret)
{
	int value;

	assert_return(text && ret, -EINVAL);
	if (enum_from_string(enum_names_reset_policy, text, &value) < 0)
		return -EINVAL;
	*ret = value;
	return 0;
}

VFR_EXPORT const char *vfr_reset_mechanism_to_string(enum vfr_reset_mechanism mechanism)
{
	return enum_to_string(enum_names_reset_mechanism, mechanism);
}

VFR_EXPORT const char *vfr_reset_outcome_to_string(enum vfr_reset_outcome outcome)
{
	return enum_to_string(enum_names_reset_outcome, outcome);
}
