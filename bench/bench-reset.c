/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parallel resets: N functions (default 16), each alone behind its own root
 * port (disjoint affected sets), bound to vfio-pci, whose simulated `flr`
 * takes 100 ms (reset_latency_ms). Times one reset alone and the N resets
 * in one batch, under the mock harness, and compares: the batch should take
 * at most 1.5x one reset.
 *
 *   bench-reset MKFIXTURE VFIORESET-MOCK [N [RUNS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
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

static double time_batch(struct vfr_device **devs, size_t n, const struct vfr_reset_options *o)
{
	struct vfr_reset_batch *batch = NULL;
	struct vfr_error *err = NULL;
	double start = now_ms(), t;

	if (vfr_reset_batch_run(devs, n, o, &batch, &err) < 0) {
		fprintf(stderr, "bench-reset: %s\n", vfr_error_get_message(err));
		exit(1);
	}
	t = now_ms() - start;
	if (!vfr_reset_batch_is_ok(batch)) {
		fprintf(stderr, "bench-reset: %s\n",
			vfr_reset_result_get_message(vfr_reset_batch_get_result(batch, 0)));
		exit(1);
	}
	vfr_reset_batch_free(batch);
	return t;
}

/* Under the preload: the measurement itself. */
static int run(size_t n, int runs)
{
	g_autofree struct vfr_device **devs = g_new0(struct vfr_device *, n);
	g_autofree double *one = g_new0(double, (size_t)runs);
	g_autofree double *all = g_new0(double, (size_t)runs);
	struct vfr_reset_options *o = NULL;
	struct vfr_host *host = NULL;
	struct vfr_ctx *ctx = NULL;
	double m1, mn;

	if (vfr_ctx_new("/", &ctx, NULL) < 0 || vfr_host_scan(ctx, &host, NULL) < 0) {
		fprintf(stderr, "bench-reset: no host under the mock\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "0000:%02zx:00.0", i + 1);
		if (vfr_host_lookup(host, addr, &devs[i], NULL) < 0)
			return 1;
	}
	vfr_reset_options_new(&o);
	for (int r = 0; r < runs; r++) {
		one[r] = time_batch(devs, 1, o);
		all[r] = time_batch(devs, n, o);
	}
	m1 = median(one, runs);
	mn = median(all, runs);
	printf("one reset (simulated flr of 100 ms): median %.1f ms (%d runs)\n", m1, runs);
	printf("%zu disjoint resets in one batch: median %.1f ms (%d runs)\n", n, mn, runs);
	printf("ratio %.2fx (bar <= 1.5x): %s\n", mn / m1, mn <= 1.5 * m1 ? "PASS" : "MISS");
	vfr_reset_options_free(o);
	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
	return 0;
}

static void remove_tree(const char *dir)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
		     NULL);
}

int main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *ini = NULL, *root = NULL, *n_text = NULL, *runs_text = NULL;
	g_auto(GStrv) env = NULL;
	g_autoptr(GString) desc = g_string_new("[driver vfio-pci]\n");
	g_autoptr(GError) gerr = NULL;
	size_t n;
	int runs, status = 0;

	if (argc >= 4 && strcmp(argv[1], "--run") == 0)
		return run((size_t)atoi(argv[2]), atoi(argv[3]));
	if (argc < 3) {
		fprintf(stderr, "usage: bench-reset MKFIXTURE VFIORESET-MOCK [N [RUNS]]\n");
		return 2;
	}
	n = argc > 3 ? (size_t)atoi(argv[3]) : 16;
	runs = argc > 4 ? atoi(argv[4]) : 5;
	if (n < 1 || n > 200 || runs < 1) {
		fprintf(stderr, "bench-reset: N must be 1..200, RUNS at least 1\n");
		return 2;
	}
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(desc,
				       "[device 0000:00:%02zx.%zu]\nkind=root-port\nvendor=8086\n"
				       "device=a110\ndriver=pcieport\niommu_group=%zu\n"
				       "[device 0000:%02zx:00.0]\nvendor=8086\ndevice=10d3\n"
				       "parent=0000:00:%02zx.%zu\ndriver=vfio-pci\niommu_group=%zu\n"
				       "caps=pm,msix,flr\nreset_method=flr\nreset_latency_ms=100\n",
				       1 + i / 8, i % 8, 1000 + i, i + 1, 1 + i / 8, i % 8, i);
	dir = g_dir_make_tmp("vfr-bench-reset-XXXXXX", NULL);
	ini = g_build_filename(dir, "host.ini", NULL);
	root = g_build_filename(dir, "root", NULL);
	n_text = g_strdup_printf("%zu", n);
	runs_text = g_strdup_printf("%d", runs);
	env = g_get_environ();
	env = g_environ_unsetenv(env, "LD_PRELOAD");
	env = g_environ_unsetenv(env, "VFR_MOCK_ROOT");
	if (!g_file_set_contents(ini, desc->str, -1, &gerr)) {
		fprintf(stderr, "bench-reset: %s\n", gerr->message);
		return 1;
	}
	{
		const char *mk[] = { argv[1], ini, root, NULL };
		const char *mock[] = { argv[2], root, "--", argv[0], "--run", n_text, runs_text,
				       NULL };

		if (!g_spawn_sync(NULL, (char **)mk, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
				  &status, &gerr) || !g_spawn_check_wait_status(status, &gerr) ||
		    !g_spawn_sync(NULL, (char **)mock, env, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
				  NULL, NULL, &status, &gerr) ||
		    !g_spawn_check_wait_status(status, &gerr)) {
			fprintf(stderr, "bench-reset: %s\n", gerr->message);
			remove_tree(dir);
			return 1;
		}
	}
	remove_tree(dir);
	return 0;
}
