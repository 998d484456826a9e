/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parallel resets. Two resets may run at the same time only when no
 * function is in both affected sets: a bus reset under way makes every
 * function below the bridge unreadable, and the kernel's device lock on a
 * function would make the second writer wait anyway (or fail with EAGAIN
 * through vfio's trylock). So jobs are joined into components by shared
 * functions (union-find over their plans' affected sets); a component runs
 * sequentially, components run on threads of their own.
 *
 * Before a job writes anything, the calling thread checks it (the facts
 * that protect someone, read again at that moment): a worker hands the job
 * over and waits for the answer. The check touches the host index and the
 * log callback, which belong to the calling thread; the workers only make
 * system calls on their jobs' own descriptors.
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

/* The calling thread answers the workers' questions here. */
struct checker {
	GMutex lock;
	GCond cond;
	GQueue asked;     /* struct question *, oldest first */
	size_t running;   /* workers not finished */
	reset_check_fn check;
	void *data;
};

struct question {
	struct reset_job *job;
	bool answered, go;
};

struct worker {
	GPtrArray *jobs; /* struct reset_job *, in the order given */
	struct checker *checker;
	bool first_go;   /* the check's answer for jobs[0] */
};

static bool ask(struct checker *c, struct reset_job *job)
{
	struct question q = { .job = job };

	g_mutex_lock(&c->lock);
	g_queue_push_tail(&c->asked, &q);
	g_cond_broadcast(&c->cond);
	while (!q.answered)
		g_cond_wait(&c->cond, &c->lock);
	g_mutex_unlock(&c->lock);
	return q.go;
}

static gpointer worker_main(gpointer data)
{
	struct worker *w = data;
	struct checker *c = w->checker;

	/* The first job was checked before the thread started. */
	if (w->jobs->len && w->first_go)
		reset_job_run(w->jobs->pdata[0]);
	for (guint i = 1; i < w->jobs->len; i++)
		if (ask(c, w->jobs->pdata[i]))
			reset_job_run(w->jobs->pdata[i]);
	g_mutex_lock(&c->lock);
	c->running--;
	g_cond_broadcast(&c->cond);
	g_mutex_unlock(&c->lock);
	return NULL;
}

/* The calling thread's loop: answer until every worker is done. */
static void answer_all(struct checker *c)
{
	g_mutex_lock(&c->lock);
	for (;;) {
		struct question *q = g_queue_pop_head(&c->asked);

		if (!q) {
			if (c->running == 0)
				break;
			g_cond_wait(&c->cond, &c->lock);
			continue;
		}
		g_mutex_unlock(&c->lock);
		c->check(&q->job, 1, &q->go, c->data);
		g_mutex_lock(&c->lock);
		q->answered = true;
		g_cond_broadcast(&c->cond);
	}
	g_mutex_unlock(&c->lock);
}

/* Checks @jobs[i] now and, if it may, runs it: without threads. */
static void check_and_run(struct reset_job **jobs, size_t n, reset_check_fn check, void *data)
{
	for (size_t i = 0; i < n; i++) {
		bool go = false;

		check(&jobs[i], 1, &go, data);
		if (go)
			reset_job_run(jobs[i]);
	}
}

void reset_jobs_run(struct reset_job **jobs, size_t n, reset_check_fn check, void *data)
{
	struct checker checker = { .check = check, .data = data };
	g_autoptr(GHashTable) owner_of = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree size_t *parent = g_new(size_t, n ? n : 1);
	g_autofree size_t *component = g_new(size_t, n ? n : 1);
	g_autofree struct worker *workers = NULL;
	g_autofree GThread **threads = NULL;
	size_t n_components = 0, n_workers;

	for (size_t i = 0; i < n; i++)
		parent[i] = i;
	for (size_t i = 0; i < n; i++) {
		g_autoptr(GHashTable) fp = reset_plan_affected(jobs[i]->res->plan);
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
		check_and_run(jobs, n, check, data);
		return;
	}

	n_workers = MIN(n_components, (size_t)MAX_WORKERS);
	workers = g_new0(struct worker, n_workers);
	threads = g_new0(GThread *, n_workers);
	g_mutex_init(&checker.lock);
	g_cond_init(&checker.cond);
	g_queue_init(&checker.asked);
	for (size_t w = 0; w < n_workers; w++) {
		workers[w].jobs = g_ptr_array_new();
		workers[w].checker = &checker;
	}
	for (size_t i = 0; i < n; i++)
		g_ptr_array_add(workers[component[find(parent, i)] % n_workers].jobs, jobs[i]);
	/* The first job of every worker in one check: one pass over what they share to read. */
	{
		g_autofree struct reset_job **first = g_new(struct reset_job *, n_workers);
		g_autofree bool *go = g_new0(bool, n_workers);

		for (size_t w = 0; w < n_workers; w++)
			first[w] = workers[w].jobs->pdata[0];
		check(first, n_workers, go, data);
		for (size_t w = 0; w < n_workers; w++)
			workers[w].first_go = go[w];
	}
	checker.running = n_workers;
	for (size_t w = 0; w < n_workers; w++) {
		threads[w] = g_thread_try_new("vfr-reset", worker_main, &workers[w], NULL);
		if (!threads[w]) {
			g_mutex_lock(&checker.lock);
			checker.running--;
			g_mutex_unlock(&checker.lock);
		}
	}
	answer_all(&checker);
	for (size_t w = 0; w < n_workers; w++)
		if (threads[w])
			g_thread_join(threads[w]);
	/* Workers without a thread to spare: this one does their work, still correct, only slower. */
	for (size_t w = 0; w < n_workers; w++) {
		GPtrArray *j = workers[w].jobs;

		if (!threads[w]) {
			if (j->len && workers[w].first_go)
				reset_job_run(j->pdata[0]);
			if (j->len > 1)
				check_and_run((struct reset_job **)j->pdata + 1, j->len - 1, check, data);
		}
		g_ptr_array_free(j, TRUE);
	}
	g_mutex_clear(&checker.lock);
	g_cond_clear(&checker.cond);
}
