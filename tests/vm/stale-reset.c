/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a long-running manager does, for the real-kernel suite: scan the
 * host, read a function's driver, then - after another process changed the
 * function (the suite says when, with a line on standard input) - reset it
 * from that old host object, strict, no host drivers allowed. Prints
 * "scanned DRIVER" after the scan, then "rc=N" and "message=..." lines.
 */
#include <stdio.h>
#include <stdlib.h>

#include <vfioreset/vfioreset.h>

int main(int argc, char **argv)
{
	struct vfr_reset_options *opts = NULL;
	struct vfr_error *err = NULL;
	struct vfr_device *dev = NULL;
	struct vfr_host *host = NULL;
	struct vfr_ctx *ctx = NULL;
	const char *driver = NULL;
	char line[16];
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BDF\n", argv[0]);
		return 2;
	}
	if (vfr_ctx_new(NULL, &ctx, &err) < 0 || vfr_host_scan(ctx, &host, &err) < 0 ||
	    vfr_host_lookup(host, argv[1], &dev, &err) < 0) {
		fprintf(stderr, "%s\n", vfr_error_get_message(err));
		return 1;
	}
	vfr_device_get_driver(dev, &driver);
	printf("scanned %s\n", driver ? driver : "-");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	vfr_reset_options_new(&opts);
	vfr_reset_options_set_timeout(opts, 10000);
	r = vfr_device_reset(dev, opts, &err);
	printf("rc=%d\nmessage=%s\n", r, err ? vfr_error_get_message(err) : "");
	vfr_error_free(err);
	vfr_reset_options_free(opts);
	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
	return 0;
}
