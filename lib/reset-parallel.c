/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parallel resets. Two resets may run at the same time only when no
 * function is in both affected sets: a bus reset under way makes every
 * function below the bridge unreadable, and the kernel's device lock on a
 * function would make the second writer wait anyway (or fail with EAGAIN
 * through vfio's trylock). So jobs are joined into components by shared
 * functions (union-find over their plans' footprints); a component runs
 * sequentially, components run on threads of their own.
 */
#include "reset-exec.h"

/* Threads beyond this share the components round-robin. */
#define MAX_WORKERS 64

static size_t find(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

struct worker {
	GPtrArray *jobs; /* struct reset_job *, in the order given */
};

static gpointer worker_main(gpointer data)
{
	struct worker *w = data;

	for (guint i = 0; i < w->jobs->len; i++)
		reset_job_run(w->jobs->pdata[i]);
	return NULL;
}

void reset_jobs_run(struct reset_job **jobs, size_t n)
{
	g_autoptr(GHashTable) owner_of = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree size_t *parent = g_new(size_t, n ? n : 1);
	g_autofree size_t *component = g_new(size_t, n ? n : 1);
	g_autofree struct worker *workers = NULL;
	g_autofree GThread **threads = NULL;
	size_t n_components = 0, n_workers;

	for (size_t i = 0; i < n; i++)
		parent[i] = i;
	for (size_t i = 0; i < n; i++) {
		g_autoptr(GHashTable) fp = reset_plan_footprint(jobs[i]->res->plan);
		GHashTableIter it;
		gpointer name;

		g_hash_table_iter_init(&it, fp);
		while (g_hash_table_iter_next(&it, &name, NULL)) {
			gpointer other;

			if (g_hash_table_lookup_extended(owner_of, name, NULL, &other))
				parent[find(parent, i)] = find(parent, GPOINTER_TO_SIZE(other));
			else
				g_hash_table_insert(owner_of, name, GSIZE_TO_POINTER(i));
		}
	}
	/* Footprint strings belong to the plans, which outlive this function. */

	for (size_t i = 0; i < n; i++)
		component[i] = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t root = find(parent, i);

		if (component[root] == SIZE_MAX)
			component[root] = n_components++;
	}
	if (n_components <= 1) {
		for (size_t i = 0; i < n; i++)
			reset_job_run(jobs[i]);
		return;
	}

	n_workers = MIN(n_components, (size_t)MAX_WORKERS);
	workers = g_new0(struct worker, n_workers);
	threads = g_new0(GThread *, n_workers);
	for (size_t w = 0; w < n_workers; w++)
		workers[w].jobs = g_ptr_array_new();
	for (size_t i = 0; i < n; i++)
		g_ptr_array_add(workers[component[find(parent, i)] % n_workers].jobs, jobs[i]);
	for (size_t w = 0; w < n_workers; w++)
		threads[w] = g_thread_try_new("vfr-reset", worker_main, &workers[w], NULL);
	for (size_t w = 0; w < n_workers; w++) {
		/* No thread to spare: this one does the work, still correct, only slower. */
		if (threads[w])
			g_thread_join(threads[w]);
		else
			worker_main(&workers[w]);
		g_ptr_array_free(workers[w].jobs, TRUE);
	}
}
