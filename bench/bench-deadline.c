/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a deadline costs the caller, as a function of the caller's size. A
 * VMM's resident set is its guest's memory; a deadline-bound kernel call
 * must not cost more, nor hold more, because of it. Under the mock harness,
 * three functions, each alone behind a root port and bound to vfio-pci,
 * whose simulated flr takes 0 ms, takes 100 ms, or never returns. Two
 * callers take turns, measurement by measurement: one with almost nothing
 * resident, and a process of its own that allocated and touched GIB GiB
 * (default 8):
 *
 *   1. the time of a deadline-bound reset (0 ms flr, 5 s deadline), and of
 *      the deadline mechanism alone (one store to a plain file); ratio big
 *      over small, target <= 1.1x;
 *   2. what an abandoned call holds: a reset that hangs, under a 200 ms
 *      deadline, leaves a process behind; its VmRSS + VmPTE, what it alone
 *      holds (Private) once the caller has rewritten all its memory
 *      (copy-on-write would copy it then), and how much more MemAvailable
 *      dropped during that rewrite than during the same rewrite without
 *      it; target <= 2 MiB;
 *   3. no spurious timeout: the 100 ms flr under a 200 ms deadline succeeds.
 *
 *   bench-deadline MKFIXTURE VFIORESET-MOCK VFIORESET-CALL [GIB [RUNS]]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <vfioreset/vfioreset.h>

#include "deadline.h"

#define FAST "0000:01:00.0"
#define SLOW "0000:02:00.0"
#define HANG "0000:03:00.0"

#define TARGET_RATIO 1.1
#define TARGET_HELD_KIB 2048

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

/* A "Key:   N kB" line of a /proc file, in KiB; -1 when absent. */
static long proc_kib(const char *path, const char *key)
{
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, strlen(key)) == 0 && p[strlen(key)] == ':')
			return strtol(p + strlen(key) + 1, NULL, 10);
	return -1;
}

static long pid_kib(pid_t pid, const char *key)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);

	return proc_kib(path, key);
}

/* The children of this process that are still running (a deadline leaves one behind). */
static GArray *children(void)
{
	GArray *pids = g_array_new(false, false, sizeof(pid_t));
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		g_autofree char *path = NULL, *stat = NULL;
		const char *close_paren;
		int ppid = 0;
		char state = 0;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		path = g_strdup_printf("/proc/%s/stat", de->d_name);
		if (!g_file_get_contents(path, &stat, NULL, NULL) ||
		    !(close_paren = strrchr(stat, ')')) ||
		    sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2)
			continue;
		if (ppid == getpid() && state != 'Z') {
			pid_t pid = (pid_t)atoi(de->d_name);

			g_array_append_val(pids, pid);
		}
	}
	if (d)
		closedir(d);
	return pids;
}

static char *pid_exe(pid_t pid)
{
	g_autofree char *link = g_strdup_printf("/proc/%d/exe", (int)pid);
	char *target = g_file_read_link(link, NULL);

	return target ? target : g_strdup("?");
}

/* One caller: its own context on the host and, for the big one, its memory. */
struct caller {
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	struct vfr_device *fast, *slow, *hang;
	int plain_fd; /* a plain file, for the mechanism alone */
	volatile char *mem;
	size_t size;
};

/* What one measurement gave. */
struct sample {
	double ms, spawn_ms;
	bool ok, timed_out;
	long caller_rss_kib;
	/* an abandoned call: the process left behind, after the caller rewrote its memory */
	pid_t left;
	long rss_kib, pte_kib, private_kib, pss_kib;
	long drop_kib, control_drop_kib; /* MemAvailable, with it and without it */
	char exe[256];
};

static void caller_open(struct caller *c, size_t size)
{
	g_autofree char *plain = g_strdup_printf("%s/plain-%d", g_getenv("VFR_BENCH_DIR"),
						 (int)getpid());

	memset(c, 0, sizeof(*c));
	if (vfr_ctx_new("/", &c->ctx, NULL) < 0 || vfr_host_scan(c->ctx, &c->host, NULL) < 0 ||
	    vfr_host_lookup(c->host, FAST, &c->fast, NULL) < 0 ||
	    vfr_host_lookup(c->host, SLOW, &c->slow, NULL) < 0 ||
	    vfr_host_lookup(c->host, HANG, &c->hang, NULL) < 0) {
		fprintf(stderr, "bench-deadline: no host under the mock\n");
		exit(1);
	}
	c->plain_fd = open(plain, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (c->plain_fd < 0) {
		fprintf(stderr, "bench-deadline: %s: %s\n", plain, strerror(errno));
		exit(1);
	}
	if (!size)
		return;
	c->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->mem == MAP_FAILED) {
		fprintf(stderr, "bench-deadline: cannot map %zu GiB: %s\n", size >> 30,
			strerror(errno));
		exit(1);
	}
	c->size = size;
	for (size_t off = 0; off < size; off += 4096)
		c->mem[off] = 1;
}

/* The caller goes on with its work: every page of its memory written once more. */
static void rewrite(struct caller *c)
{
	for (size_t off = 0; off < c->size; off += 4096)
		c->mem[off]++;
}

/* One reset of @dev with @timeout_ms. */
static void reset_once(struct caller *c, struct vfr_device *dev, int timeout_ms,
		       struct sample *s)
{
	struct vfr_reset_options *o = NULL;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_error *err = NULL;
	struct vfr_reset_result *res;
	double start;

	vfr_reset_options_new(&o);
	vfr_reset_options_set_timeout(o, timeout_ms);
	start = now_ms();
	if (vfr_reset_batch_run(&dev, 1, o, &batch, &err) < 0) {
		fprintf(stderr, "bench-deadline: %s\n", vfr_error_get_message(err));
		exit(1);
	}
	s->ms = now_ms() - start;
	res = vfr_reset_batch_get_result(batch, 0);
	s->ok = vfr_reset_result_is_ok(res);
	s->timed_out = vfr_reset_result_is_timed_out(res);
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(o);
}

/* The mechanism alone: a store to a plain file, and how long its posix_spawn() took. */
static void store_once(struct caller *c, struct sample *s)
{
	struct deadline_timing timing = { 0 };
	double start = now_ms();
	int r = deadline_store_timed(c->plain_fd, "1", 5000, NULL, &timing);

	s->ms = now_ms() - start;
	s->spawn_ms = (double)timing.spawn_ns / 1e6;
	s->ok = r == 0;
	if (r < 0) {
		fprintf(stderr, "bench-deadline: a store to a plain file failed: %s\n", strerror(-r));
		exit(1);
	}
}

static long smaps_kib(pid_t pid, const char *key)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/smaps_rollup", (int)pid);

	return proc_kib(path, key);
}

/*
 * A reset that hangs, under a 200 ms deadline, leaves a process behind:
 * what it holds once the caller has rewritten its memory, and how much
 * MemAvailable dropped meanwhile, against the same rewrite without it.
 */
static void abandon_once(struct caller *c, struct sample *s)
{
	g_autoptr(GArray) before = children(), after = NULL;
	g_autofree char *exe = NULL;
	long avail;
	int status;

	avail = proc_kib("/proc/meminfo", "MemAvailable");
	rewrite(c);
	s->control_drop_kib = avail - proc_kib("/proc/meminfo", "MemAvailable");

	avail = proc_kib("/proc/meminfo", "MemAvailable");
	reset_once(c, c->hang, 200, s);
	if (s->ok || !s->timed_out) {
		fprintf(stderr, "bench-deadline: the hanging reset did not time out\n");
		exit(1);
	}
	after = children();
	for (guint i = 0; i < after->len && !s->left; i++) {
		pid_t pid = g_array_index(after, pid_t, i);
		bool old = false;

		for (guint j = 0; j < before->len; j++)
			old = old || g_array_index(before, pid_t, j) == pid;
		if (!old)
			s->left = pid;
	}
	if (!s->left) {
		fprintf(stderr, "bench-deadline: no process was left behind\n");
		exit(1);
	}
	rewrite(c);
	s->drop_kib = avail - proc_kib("/proc/meminfo", "MemAvailable");
	s->rss_kib = pid_kib(s->left, "VmRSS");
	s->pte_kib = pid_kib(s->left, "VmPTE");
	s->pss_kib = smaps_kib(s->left, "Pss");
	s->private_kib = smaps_kib(s->left, "Private_Clean") + smaps_kib(s->left, "Private_Dirty");
	exe = pid_exe(s->left);
	snprintf(s->exe, sizeof(s->exe), "%s", exe);
	kill(s->left, SIGKILL);
	waitpid(s->left, &status, 0);
}

static void run_op(struct caller *c, char op, struct sample *s)
{
	memset(s, 0, sizeof(*s));
	switch (op) {
	case 'r':
		reset_once(c, c->fast, 5000, s);
		break;
	case 'm':
		store_once(c, s);
		break;
	case 's':
		reset_once(c, c->slow, 200, s);
		break;
	case 'a':
		abandon_once(c, s);
		break;
	}
	s->caller_rss_kib = pid_kib(getpid(), "VmRSS");
}

/*
 * The big caller is a process of its own, forked before it allocates, and
 * takes turns with the small one: one measurement each, alternately, so a
 * busy moment on the machine slows both.
 */
struct big {
	pid_t pid;
	int cmd, answer;
};

static void big_serve(int cmd, int answer, size_t size)
{
	struct caller c;
	struct sample s;
	char op;

	caller_open(&c, size);
	memset(&s, 0, sizeof(s));
	s.caller_rss_kib = pid_kib(getpid(), "VmRSS");
	if (write(answer, &s, sizeof(s)) != (ssize_t)sizeof(s))
		_exit(1);
	while (read(cmd, &op, 1) == 1 && op != 'q') {
		run_op(&c, op, &s);
		if (write(answer, &s, sizeof(s)) != (ssize_t)sizeof(s))
			_exit(1);
	}
	_exit(0);
}

static void big_start(struct big *b, size_t size, long *ret_rss_kib)
{
	int cmd[2], answer[2];
	struct sample s;

	if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(answer, O_CLOEXEC) < 0 || (b->pid = fork()) < 0) {
		fprintf(stderr, "bench-deadline: %s\n", strerror(errno));
		exit(1);
	}
	if (b->pid == 0) {
		close(cmd[1]);
		close(answer[0]);
		big_serve(cmd[0], answer[1], size);
	}
	close(cmd[0]);
	close(answer[1]);
	b->cmd = cmd[1];
	b->answer = answer[0];
	if (read(b->answer, &s, sizeof(s)) != (ssize_t)sizeof(s)) {
		fprintf(stderr, "bench-deadline: the big caller could not start\n");
		exit(1);
	}
	*ret_rss_kib = s.caller_rss_kib;
}

static void big_op(struct big *b, char op, struct sample *s)
{
	if (write(b->cmd, &op, 1) != 1 || read(b->answer, s, sizeof(*s)) != (ssize_t)sizeof(*s)) {
		fprintf(stderr, "bench-deadline: the big caller died\n");
		exit(1);
	}
}

static void big_stop(struct big *b)
{
	int status;

	if (write(b->cmd, "q", 1) != 1)
		kill(b->pid, SIGKILL);
	waitpid(b->pid, &status, 0);
}

/* @runs of @op from each caller in turn; medians of time and spawn time. */
static void alternate(struct caller *small, struct big *big, char op, int runs, double ret[2][2])
{
	g_autofree double *t = g_new0(double, (size_t)runs * 4);

	for (int i = 0; i < runs; i++) {
		struct sample s, b;

		run_op(small, op, &s);
		big_op(big, op, &b);
		if (!s.ok || !b.ok) {
			fprintf(stderr, "bench-deadline: a measured call failed\n");
			exit(1);
		}
		t[i] = s.ms;
		t[runs + i] = b.ms;
		t[2 * runs + i] = s.spawn_ms;
		t[3 * runs + i] = b.spawn_ms;
	}
	for (int k = 0; k < 4; k++)
		ret[k % 2][k / 2] = median(t + k * runs, runs);
}

static long median_long(long *v, int n)
{
	g_autofree double *d = g_new0(double, (size_t)n);

	for (int i = 0; i < n; i++)
		d[i] = (double)v[i];
	return (long)median(d, n);
}

static void print_abandoned(const char *who, const struct sample *a, long net_drop)
{
	printf("  %s: back after %.1f ms; left pid %d (%s): VmRSS %ld KiB + VmPTE %ld KiB = "
	       "%ld KiB; after the caller rewrote its memory it alone holds Private %ld KiB "
	       "(Pss %ld KiB), and MemAvailable dropped by %ld KiB more than in the same "
	       "rewrite without it (median of 3)\n",
	       who, a->ms, (int)a->left, a->exe, a->rss_kib, a->pte_kib, a->rss_kib + a->pte_kib,
	       a->private_kib, a->pss_kib, net_drop);
}

#define ABANDON_RUNS 3

static int run(int gib, int runs)
{
	double reset[2][2], mech[2][2], worst = 0;
	struct sample left[2][ABANDON_RUNS];
	long net[2][ABANDON_RUNS], small_rss, big_rss, held, drop;
	struct caller small;
	struct big big;
	int slow_ok[2] = { 0, 0 };

	/* Forked first, while this process is small: the big caller's memory is its own. */
	big_start(&big, (size_t)gib << 30, &big_rss);
	caller_open(&small, 0);
	small_rss = pid_kib(getpid(), "VmRSS");

	/* Warm: the program, libc and the fixture in the page cache, each path run once. */
	alternate(&small, &big, 'r', 1, reset);
	alternate(&small, &big, 'm', 1, mech);
	alternate(&small, &big, 'r', runs, reset);
	alternate(&small, &big, 'm', runs, mech);
	for (int i = 0; i < 5; i++) {
		struct sample s, b;

		run_op(&small, 's', &s);
		big_op(&big, 's', &b);
		slow_ok[0] += s.ok;
		slow_ok[1] += b.ok;
		worst = MAX(worst, b.ms);
	}
	for (int i = 0; i < ABANDON_RUNS; i++) {
		run_op(&small, 'a', &left[0][i]);
		big_op(&big, 'a', &left[1][i]);
		for (int k = 0; k < 2; k++)
			net[k][i] = left[k][i].drop_kib - left[k][i].control_drop_kib;
	}
	big_stop(&big);

	printf("caller: VmRSS %.1f MiB (small), %.1f MiB (big)\n", small_rss / 1024.0,
	       big_rss / 1024.0);
	printf("1. deadline-bound reset (0 ms flr, 5 s deadline): median %.2f ms small, %.2f ms "
	       "big (%d runs each, alternating): ratio %.2fx (target <= %.1fx): %s\n",
	       reset[0][0], reset[1][0], runs, reset[1][0] / reset[0][0], TARGET_RATIO,
	       reset[1][0] <= TARGET_RATIO * reset[0][0] ? "PASS" : "MISS");
	printf("   the mechanism alone (a store to a plain file): median %.3f ms small, %.3f ms "
	       "big: ratio %.2fx; posix_spawn() returned after %.3f ms small, %.3f ms big\n",
	       mech[0][0], mech[1][0], mech[1][0] / mech[0][0], mech[0][1], mech[1][1]);
	printf("2. an abandoned call (hanging flr, 200 ms deadline):\n");
	print_abandoned("small caller", &left[0][0], median_long(net[0], ABANDON_RUNS));
	print_abandoned("big caller", &left[1][0], median_long(net[1], ABANDON_RUNS));
	held = MAX(left[1][0].rss_kib + left[1][0].pte_kib,
		   left[1][0].private_kib + left[1][0].pte_kib);
	drop = median_long(net[1], ABANDON_RUNS);
	printf("   held for the big caller: %ld KiB, MemAvailable %ld KiB (target <= %d KiB): %s\n",
	       held, drop, TARGET_HELD_KIB,
	       held <= TARGET_HELD_KIB && drop <= TARGET_HELD_KIB ? "PASS" : "MISS");
	printf("3. 100 ms flr under a 200 ms deadline: %d/5 succeeded small, %d/5 big (worst "
	       "%.1f ms): %s\n",
	       slow_ok[0], slow_ok[1], worst, slow_ok[1] == 5 ? "PASS" : "MISS");
	close(small.plain_fd);
	vfr_host_unref(small.host);
	vfr_ctx_unref(small.ctx);
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
	static const char desc[] =
		"[driver vfio-pci]\n"
		"[device 0000:00:01.0]\nkind=root-port\nvendor=8086\ndevice=a110\n"
		"driver=pcieport\niommu_group=100\n"
		"[device 0000:00:01.1]\nkind=root-port\nvendor=8086\ndevice=a110\n"
		"driver=pcieport\niommu_group=101\n"
		"[device 0000:00:01.2]\nkind=root-port\nvendor=8086\ndevice=a110\n"
		"driver=pcieport\niommu_group=102\n"
		"[device " FAST "]\nvendor=8086\ndevice=10d3\nparent=0000:00:01.0\n"
		"driver=vfio-pci\niommu_group=1\ncaps=pm,msix,flr\nreset_method=flr\n"
		"[device " SLOW "]\nvendor=8086\ndevice=10d3\nparent=0000:00:01.1\n"
		"driver=vfio-pci\niommu_group=2\ncaps=pm,msix,flr\nreset_method=flr\n"
		"reset_latency_ms=100\n"
		"[device " HANG "]\nvendor=8086\ndevice=10d3\nparent=0000:00:01.2\n"
		"driver=vfio-pci\niommu_group=3\ncaps=pm,msix,flr\nreset_method=flr\n"
		"reset_hang=flr\n";
	g_autofree char *dir = NULL, *ini = NULL, *root = NULL;
	g_auto(GStrv) env = NULL;
	g_autoptr(GError) gerr = NULL;
	const char *gib = argc > 4 ? argv[4] : "8", *runs = argc > 5 ? argv[5] : "11";
	int status = 0;

	if (argc >= 4 && strcmp(argv[1], "--run") == 0)
		return run(atoi(argv[2]), atoi(argv[3]));
	if (argc < 4 || atoi(gib) < 1 || atoi(runs) < 1) {
		fprintf(stderr, "usage: bench-deadline MKFIXTURE VFIORESET-MOCK VFIORESET-CALL "
			"[GIB [RUNS]]\n");
		return 2;
	}
	dir = g_dir_make_tmp("vfr-bench-deadline-XXXXXX", NULL);
	ini = g_build_filename(dir, "host.ini", NULL);
	root = g_build_filename(dir, "root", NULL);
	env = g_get_environ();
	env = g_environ_unsetenv(env, "LD_PRELOAD");
	env = g_environ_unsetenv(env, "VFR_MOCK_ROOT");
	env = g_environ_setenv(env, "VFR_BENCH_DIR", dir, true);
	/* Linked with the internal library, which cannot find the program beside itself. */
	env = g_environ_setenv(env, "VFIORESET_CALL", argv[3], true);
	if (!g_file_set_contents(ini, desc, -1, &gerr)) {
		fprintf(stderr, "bench-deadline: %s\n", gerr->message);
		return 1;
	}
	{
		const char *mk[] = { argv[1], ini, root, NULL };
		const char *mock[] = { argv[2], root, "--", argv[0], "--run", gib, runs, NULL };

		if (!g_spawn_sync(NULL, (char **)mk, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
				  &status, &gerr) || !g_spawn_check_wait_status(status, &gerr) ||
		    !g_spawn_sync(NULL, (char **)mock, env, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
				  NULL, NULL, &status, &gerr) ||
		    !g_spawn_check_wait_status(status, &gerr)) {
			fprintf(stderr, "bench-deadline: %s\n", gerr->message);
			remove_tree(dir);
			return 1;
		}
	}
	remove_tree(dir);
	return 0;
}
