/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>

VFR_BEGIN_DECLS

/**
 * struct vfr_error:
 *
 * Why an operation failed, in words a person can act on. Calls that can fail
 * for such reasons take a last parameter `struct vfr_error **reterr`: it may be
 * NULL; when it is not, it is set only on failure, to an error the caller frees
 * with vfr_error_free(). The return value of the call always carries the same
 * negative errno as vfr_error_get_code().
 */
struct vfr_error;

/**
 * vfr_error_get_code:
 * Returns: the negative errno of the failure (e.g. -EINVAL, -ENODEV).
 * Since: 0.1
 */
int vfr_error_get_code(const struct vfr_error *err);

/**
 * vfr_error_get_message:
 * Returns: (transfer none): the complete message, naming the device (when
 *          there is one) and the cause; valid until vfr_error_free().
 * Since: 0.1
 */
const char *vfr_error_get_message(const struct vfr_error *err);

/**
 * vfr_error_get_address:
 * Returns: (transfer none) (nullable): the PCI address the error is about, or
 *          NULL when it concerns no single function.
 * Since: 0.1
 */
const char *vfr_error_get_address(const struct vfr_error *err);

/**
 * vfr_error_free:
 * Frees @err; NULL is accepted.
 * Since: 0.1
 */
void vfr_error_free(struct vfr_error *err);

static inline void vfr_error_freep(struct vfr_error **p)
{
	if (*p)
		vfr_error_free(*p);
}

VFR_END_DECLS
