/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What re-reading costs: on a generated host of N functions (default 1024;
 * vfr-mkfixture --synthesize), the median over RUNS of
 *   - a scan, then the driver and IOMMU group of every function (what a
 *     manager reads), i.e. starting over;
 *   - vfr_host_refresh() alone (a forget of every function and one read of
 *     /sys/bus/pci/devices);
 *   - the same facts read again after it;
 *   - vfr_device_refresh() of one function and its facts read again.
 * The tree is read as a plain directory (no harness): sysfs costs differ,
 * the proportions are what is reported.
 *
 *   bench-refresh MKFIXTURE [N [RUNS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <vfioreset/vfioreset.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void die(const char *what, struct vfr_error *err)
{
	fprintf(stderr, "bench-refresh: %s: %s\n", what, err ? vfr_error_get_message(err) : "failed");
	exit(1);
}

/* What a manager looks at for every function. */
static void read_facts(struct vfr_device *dev)
{
	const char *driver;
	int group;

	vfr_device_get_driver(dev, &driver);
	vfr_device_get_iommu_group(dev, &group);
}

static void read_all(struct vfr_host *host)
{
	for (size_t i = 0; i < vfr_host_get_n_devices(host); i++)
		read_facts(vfr_host_get_device(host, i));
}

static void make_tree(const char *mkfixture, int n, const char *dir, char **ret_root)
{
	g_autofree char *desc = g_build_filename(dir, "host.ini", NULL);
	g_autofree char *count = g_strdup_printf("%d", n);
	g_autofree char *out = NULL;
	g_autoptr(GError) gerr = NULL;
	const char *synth[] = { mkfixture, "--synthesize", count, "--seed", "0", NULL };
	int status = -1;

	*ret_root = g_build_filename(dir, "root", NULL);
	if (!g_spawn_sync(NULL, (char **)synth, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
			  &status, &gerr) || !g_spawn_check_wait_status(status, &gerr) ||
	    !g_file_set_contents(desc, out, -1, &gerr)) {
		fprintf(stderr, "bench-refresh: %s\n", gerr ? gerr->message : "synthesize failed");
		exit(1);
	}
	{
		const char *mk[] = { mkfixture, desc, *ret_root, NULL };

		if (!g_spawn_sync(NULL, (char **)mk, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
				  NULL, NULL, &status, &gerr) ||
		    !g_spawn_check_wait_status(status, &gerr)) {
			fprintf(stderr, "bench-refresh: %s\n", gerr->message);
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 1024, runs = argc > 3 ? atoi(argv[3]) : 5;
	g_autofree double *t_scan = NULL, *t_refresh = NULL, *t_reread = NULL, *t_one = NULL;
	g_autofree char *dir = NULL, *root = NULL, *rm = NULL;
	struct vfr_ctx *ctx = NULL;
	struct vfr_error *err = NULL;
	size_t functions = 0;

	if (argc < 2 || n < 1 || runs < 1) {
		fprintf(stderr, "usage: bench-refresh MKFIXTURE [N [RUNS]]\n");
		return 2;
	}
	/* In memory, as sysfs is: a tree on disk costs minutes to make. */
	if (g_access("/dev/shm", W_OK) == 0) {
		dir = g_build_filename("/dev/shm", "vfr-bench-refresh-XXXXXX", NULL);
		if (!g_mkdtemp(dir))
			g_clear_pointer(&dir, g_free);
	}
	if (!dir)
		dir = g_dir_make_tmp("vfr-bench-refresh-XXXXXX", NULL);
	make_tree(argv[1], n, dir, &root);
	if (vfr_ctx_new(root, &ctx, &err) < 0)
		die("context", err);
	t_scan = g_new(double, runs);
	t_refresh = g_new(double, runs);
	t_reread = g_new(double, runs);
	t_one = g_new(double, runs);
	for (int r = 0; r < runs; r++) {
		struct vfr_host *host = NULL;
		struct vfr_device *dev;
		double start = now_ms();
		int changed;

		if (vfr_host_scan(ctx, &host, &err) < 0)
			die("scan", err);
		read_all(host);
		t_scan[r] = now_ms() - start;
		functions = vfr_host_get_n_devices(host);

		start = now_ms();
		changed = vfr_host_refresh(host, &err);
		t_refresh[r] = now_ms() - start;
		if (changed != 0)
			die("refresh", err);

		start = now_ms();
		read_all(host);
		t_reread[r] = now_ms() - start;

		dev = vfr_host_get_device(host, functions / 2);
		start = now_ms();
		if (vfr_device_refresh(dev) < 0)
			die("device refresh", NULL);
		read_facts(dev);
		t_one[r] = (now_ms() - start) * 1e3;
		vfr_host_unref(host);
	}
	printf("functions                              %zu\n", functions);
	printf("scan + driver and group of each        %.2f ms\n", median(t_scan, runs));
	printf("vfr_host_refresh                       %.2f ms\n", median(t_refresh, runs));
	printf("driver and group of each, after it     %.2f ms\n", median(t_reread, runs));
	printf("vfr_device_refresh + its facts         %.1f us\n", median(t_one, runs));
	vfr_ctx_unref(ctx);
	rm = g_strdup_printf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench-refresh: could not remove %s\n", dir);
	return 0;
}
