/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the tests of the library under the preload share beyond mock.h:
 * the bound driver as the simulated kernel shows it, a scan of the case's
 * host, a function of a scanned host, and reset options in one call.
 */
#pragma once

#include "mock.h"

#include <vfioreset/vfioreset.h>

/* The bound driver's name as the kernel shows it, or "-" when unbound. */
static inline char *mock_driver_of(const char *addr)
{
	g_autofree char *link = g_strconcat("/sys/bus/pci/devices/", addr, "/driver", NULL);
	char buf[4096];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);

	if (n < 0)
		return g_strdup("-");
	buf[n] = '\0';
	return g_path_get_basename(buf);
}

static inline void mock_assert_driver(const char *addr, const char *want)
{
	g_autofree char *got = mock_driver_of(addr);

	if (strcmp(got, want) != 0)
		fail_msg("%s is bound to %s, expected %s", addr, got, want);
}

/* A scan of the case's host ("/" under the preload), its context unreferenced. */
static inline struct vfr_host *mock_scan(void)
{
	struct vfr_ctx *ctx = NULL;
	struct vfr_host *host = NULL;

	assert_int_equal(vfr_ctx_new("/", &ctx, NULL), 0);
	assert_int_equal(vfr_host_scan(ctx, &host, NULL), 0);
	vfr_ctx_unref(ctx);
	return host;
}

/* @host's function @addr, which must be there. */
static inline struct vfr_device *mock_device(struct vfr_host *host, const char *addr)
{
	struct vfr_device *dev = NULL;

	assert_int_equal(vfr_host_lookup(host, addr, &dev, NULL), 0);
	return dev;
}

static inline struct vfr_reset_options *mock_reset_options(enum vfr_reset_policy policy,
							    unsigned int flags, int timeout_ms)
{
	struct vfr_reset_options *o = NULL;

	assert_int_equal(vfr_reset_options_new(&o), 0);
	assert_int_equal(vfr_reset_options_set_policy(o, policy), 0);
	assert_int_equal(vfr_reset_options_set_flags(o, flags), 0);
	assert_int_equal(vfr_reset_options_set_timeout(o, timeout_ms), 0);
	return o;
}
