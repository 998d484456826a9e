/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * errno names: what the CLI prints (hot-reset-check's "errno_name") and
 * what the harness's fault rules and behaviour keys accept ("EIO" or "5"),
 * one table for vfioreset, vfr-mkfixture and the preload.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct vfr_errname {
	const char *name;
	int value;
};

static const struct vfr_errname vfr_errnames[] = {
	{ "EPERM", EPERM },	     { "ENOENT", ENOENT },	 { "ESRCH", ESRCH },
	{ "EINTR", EINTR },	     { "EIO", EIO },		 { "ENXIO", ENXIO },
	{ "E2BIG", E2BIG },	     { "EBADF", EBADF },	 { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM },	     { "EACCES", EACCES },	 { "EFAULT", EFAULT },
	{ "EBUSY", EBUSY },	     { "EEXIST", EEXIST },	 { "EXDEV", EXDEV },
	{ "ENODEV", ENODEV },	     { "ENOTDIR", ENOTDIR },	 { "EISDIR", EISDIR },
	{ "EINVAL", EINVAL },	     { "ENFILE", ENFILE },	 { "EMFILE", EMFILE },
	{ "ENOTTY", ENOTTY },	     { "EFBIG", EFBIG },	 { "ENOSPC", ENOSPC },
	{ "ESPIPE", ESPIPE },	     { "EROFS", EROFS },	 { "ERANGE", ERANGE },
	{ "EDEADLK", EDEADLK },	     { "ENAMETOOLONG", ENAMETOOLONG },
	{ "ENOSYS", ENOSYS },	     { "ELOOP", ELOOP },	 { "ENODATA", ENODATA },
	{ "ETIME", ETIME },	     { "ENOLINK", ENOLINK },	 { "EPROTO", EPROTO },
	{ "EOVERFLOW", EOVERFLOW },  { "EOPNOTSUPP", EOPNOTSUPP },
	{ "ETIMEDOUT", ETIMEDOUT },  { "ECANCELED", ECANCELED }, { "ENOMEDIUM", ENOMEDIUM },
	{ "EHWPOISON", EHWPOISON },
};

/* "EIO" or a decimal number between 1 and 4095; 0 when neither. */
static inline int vfr_errno_parse(const char *text)
{
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(vfr_errnames) / sizeof(vfr_errnames[0]); i++)
		if (strcmp(vfr_errnames[i].name, text) == 0)
			return vfr_errnames[i].value;
	if (!*text)
		return 0;
	v = strtol(text, &end, 10);
	return *end || v < 1 || v > 4095 ? 0 : (int)v;
}

/* "EIO" for 5; NULL for a number without a name here. */
static inline const char *vfr_errno_name(int value)
{
	for (size_t i = 0; i < sizeof(vfr_errnames) / sizeof(vfr_errnames[0]); i++)
		if (vfr_errnames[i].value == value)
			return vfr_errnames[i].name;
	return NULL;
}
