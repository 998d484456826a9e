/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error object: a negative errno plus the sentence a person reads. */
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "internal.h"

struct vfr_error {
	int code;
	char *message;
	char *address;
};

int error_set(struct vfr_error **reterr, int code, const char *address, const char *fmt, ...)
{
	struct vfr_error *err;
	va_list ap;

	if (!reterr)
		return code;

	err = g_new0(struct vfr_error, 1);
	err->code = code;
	err->address = g_strdup(address);
	va_start(ap, fmt);
	err->message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* An earlier error of the same call chain is replaced: the last word is the most specific. */
	vfr_error_free(*reterr);
	*reterr = err;
	return code;
}

VFR_EXPORT int vfr_error_get_code(const struct vfr_error *err)
{
	assert_return(err, -EINVAL);
	return err->code;
}

VFR_EXPORT const char *vfr_error_get_message(const struct vfr_error *err)
{
	assert_return(err, NULL);
	return err->message;
}

VFR_EXPORT const char *vfr_error_get_address(const struct vfr_error *err)
{
	assert_return(err, NULL);
	return err->address;
}

VFR_EXPORT void vfr_error_free(struct vfr_error *err)
{
	if (!err)
		return;
	g_free(err->message);
	g_free(err->address);
	g_free(err);
}
