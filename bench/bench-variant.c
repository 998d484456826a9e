/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Variant lookup speed: a modules directory with N aliases (default 30000,
 * 1/10 of them vfio_pci:), one function whose modalias matches one of
 * them, a warm context (index open, the candidate's modinfo read once).
 * Reports the median and the 99th percentile of R lookups.
 *
 *   bench-variant MKFIXTURE MKMODULES [ALIASES [RUNS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <glib.h>
#include <vfioreset/vfioreset.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void run(const char *const *argv)
{
	g_autoptr(GError) err = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
			  &status, &err) || !g_spawn_check_wait_status(status, &err)) {
		fprintf(stderr, "bench-variant: %s: %s\n", argv[0], err->message);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *aliases = argc > 3 ? argv[3] : "30000";
	int runs = argc > 4 ? atoi(argv[4]) : 20000;
	g_autofree char *dir = g_dir_make_tmp("vfr-bench-variant-XXXXXX", NULL);
	g_autofree char *ini = g_build_filename(dir, "host.ini", NULL);
	g_autofree char *root = g_build_filename(dir, "root", NULL);
	g_autofree char *moddir = g_build_filename(dir, "mods/lib/modules/6.99.0-vfr", NULL);
	g_autofree char *mods = g_build_filename(dir, "mods", NULL);
	g_autofree double *t = NULL;
	struct vfr_variant_list *list = NULL;
	struct vfr_error *err = NULL;
	struct vfr_device *dev = NULL;
	struct vfr_host *host = NULL;
	struct vfr_ctx *ctx = NULL;
	double first, start;

	if (argc < 3 || runs <= 0) {
		fprintf(stderr, "usage: bench-variant MKFIXTURE MKMODULES [ALIASES [RUNS]]\n");
		return 2;
	}
	/* Module synth_00500 carries vfio_pci:v000011F4d0000000A...; see mkmodules.py. */
	g_file_set_contents(ini, "[device 0000:01:00.0]\nvendor=11f4\ndevice=000a\n", -1, NULL);
	run((const char *const[]){ argv[1], ini, root, NULL });
	run((const char *const[]){ "python3", argv[2], mods, "6.99.0-vfr", "--synthesize", aliases,
				   NULL });

	if (vfr_ctx_new(root, &ctx, &err) < 0 || vfr_ctx_set_modules_dir(ctx, moddir) < 0 ||
	    vfr_host_scan(ctx, &host, &err) < 0 ||
	    vfr_host_lookup(host, "0000:01:00.0", &dev, &err) < 0) {
		fprintf(stderr, "bench-variant: %s\n", err ? vfr_error_get_message(err) : "setup");
		return 1;
	}
	start = now_us();
	if (vfr_device_find_variants(dev, &list, &err) < 0) {
		fprintf(stderr, "bench-variant: %s\n", vfr_error_get_message(err));
		return 1;
	}
	first = now_us() - start;
	printf("cold lookup (opens the index, reads the modinfo): %.1f us, %zu candidates, best %s\n",
	       first, vfr_variant_list_get_n(list), vfr_variant_list_get_module(list, 0));
	vfr_variant_list_free(list);

	t = g_new(double, runs);
	for (int i = 0; i < runs; i++) {
		start = now_us();
		vfr_device_find_variants(dev, &list, NULL);
		t[i] = now_us() - start;
		vfr_variant_list_free(list);
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	printf("warm lookup over %s aliases: median %.1f us, p99 %.1f us, max %.1f us (%d runs)\n",
	       aliases, t[runs / 2], t[runs * 99 / 100], t[runs - 1], runs);
	printf("bar: warm lookup <= 100 us: %s\n", t[runs / 2] <= 100.0 ? "PASS" : "MISS");

	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
	run((const char *const[]){ "rm", "-rf", dir, NULL });
	return 0;
}
