/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfr-chaos: random library operations from several processes at once on a
 * simulated host whose kernel misbehaves, with invariants after every
 * round. See README.md in this directory.
 *
 *   vfr-chaos [--seeds N] [--first-seed S] [--ops N] [--procs P] [--out DIR]
 *   vfr-chaos --replay FILE [--expect-violation]
 *
 * A run is a trace: rounds, each with one operation per worker and maybe
 * one for the kernel's chaos process, all started together; after every
 * round the coordinator waits for all of them and checks the host, the
 * library's records and locks and the kernel's journal. The trace comes
 * from the seed alone, so a seed repeats its operations (the interleaving
 * within a round is the scheduler's). On a violation the run stops, prints
 * the seed, the trace and the journal, shrinks the trace to a short one
 * that still fails, and writes it where --out says: a reproducer that
 * `--replay` runs as a test.
 */
#include "chaos-run.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* Rounds back in which a late kernel call may still land (a write left behind at its deadline). */
#define LATE_ROUNDS 10
#define MAX_PROCS 8

struct op {
	int round;
	int who; /* worker index, or -1: the kernel's chaos */
	char *text;
};

static void op_free(void *p)
{
	struct op *o = p;

	g_free(o->text);
	g_free(o);
}

static struct op *op_new(int round, int who, char *text)
{
	struct op *o = g_new0(struct op, 1);

	o->round = round;
	o->who = who;
	o->text = text;
	return o;
}

/* ---- the trace from a seed ---- */

struct gen {
	uint64_t rng;
	const struct chaos_host *h;
	GPtrArray *rules;         /* fault rules in force (char *) */
	GPtrArray *maybe_held[MAX_PROCS]; /* hold attempts of each worker, oldest first */
	bool vanished;
};

static const struct chaos_fn *pick_fn(struct gen *g, bool endpoints_mostly)
{
	for (int tries = 0; tries < 20; tries++) {
		const struct chaos_fn *f = g->h->fns->pdata[chaos_rng_below(&g->rng, g->h->fns->len)];

		if (!f->bridge || !endpoints_mostly || chaos_rng_chance(&g->rng, 10))
			return f;
	}
	return g->h->fns->pdata[0];
}

static const char *pick(struct gen *g, const char *const *choices, unsigned n)
{
	return choices[chaos_rng_below(&g->rng, n)];
}

#define PICK(g, ...) pick((g), (const char *const[]){ __VA_ARGS__ }, \
			  sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static char *gen_worker_op(struct gen *g, int w, int *held_top)
{
	const struct chaos_fn *f = pick_fn(g, true);
	unsigned p = chaos_rng_below(&g->rng, 100);
	const char *scan = chaos_rng_chance(&g->rng, 15) ? " scan=1" : "";
	const char *mode = g->h->cdev && chaos_rng_chance(&g->rng, 50) ? "cdev" : "group";

	*held_top = -1;
	if (p < 16)
		return g_strdup_printf("bind %s group=%d variant=%d driver=%s write=%s lock=%s%s", f->addr,
				       chaos_rng_chance(&g->rng, 30), chaos_rng_chance(&g->rng, 10),
				       chaos_rng_chance(&g->rng, 12) ? "pci-stub" : "vfio-pci",
				       PICK(g, "300", "800", "2000"), PICK(g, "0", "200", "1500"), scan);
	if (p < 24)
		return g_strdup_printf("unbind %s group=%d write=%s lock=%s%s", f->addr,
				       chaos_rng_chance(&g->rng, 30), PICK(g, "300", "800", "2000"),
				       PICK(g, "0", "200", "1500"), scan);
	if (p < 40)
		return g_strdup_printf("restore %s group=%d write=%s lock=%s%s", f->addr,
				       chaos_rng_chance(&g->rng, 30), PICK(g, "300", "800", "2000"),
				       PICK(g, "0", "200", "1500"), scan);
	if (p < 72) {
		g_autofree char *targets = g_strdup(f->addr);
		unsigned flags = 0;
		const char *hold = PICK(g, "none", "none", "none", "group", "own");

		if (chaos_rng_chance(&g->rng, 15)) {
			const struct chaos_fn *f2 = pick_fn(g, true);

			if (f2 != f) {
				g_free(targets);
				targets = g_strdup_printf("%s,%s", f->addr, f2->addr);
			}
		}
		if (chaos_rng_chance(&g->rng, 40))
			flags |= 1u; /* VFR_RESET_ALLOW_HOST_DRIVERS */
		if (chaos_rng_chance(&g->rng, 8))
			flags |= 2u; /* VFR_RESET_ALLOW_OTHER_OWNERS */
		if (chaos_rng_chance(&g->rng, 10))
			flags |= 4u; /* VFR_RESET_WAIT_HOLDERS */
		if (strcmp(hold, "group") == 0)
			hold = mode;
		return g_strdup_printf("reset %s policy=%s timeout=%s flags=%u caller=%s hold=%s methods=%s%s",
				       targets, PICK(g, "strict", "strict", "no-strict", "skip"),
				       PICK(g, "300", "700", "1500"), flags, PICK(g, "-", "-", "A", "B"),
				       hold, PICK(g, "all", "all", "all", "flr", "pm", "bus", "vfio,hot", "hot", "flr,bus"),
				       scan);
	}
	if (p < 80) {
		const struct chaos_fn *o = pick_fn(g, true);

		return g_strdup_printf("hotcheck %s mode=%s kernel=%d with=%s%s", f->addr, mode,
				       chaos_rng_chance(&g->rng, 50), o->top == f->top ? o->addr : "", scan);
	}
	if (p < 88 && g->maybe_held[w]->len < 2) {
		g_ptr_array_add(g->maybe_held[w], GINT_TO_POINTER(f->top + 1));
		*held_top = f->top;
		return g_strdup_printf("hold %s mode=%s bind=%d", f->addr, mode, chaos_rng_chance(&g->rng, 60));
	}
	if (p < 90) {
		/* A manager killed part-way through a change of binding or a reset. */
		if (chaos_rng_chance(&g->rng, 60))
			return g_strdup_printf("crash %s %s group=%d write=800 lock=500 after=%s",
					       PICK(g, "bind", "unbind", "restore"), f->addr,
					       chaos_rng_chance(&g->rng, 30), PICK(g, "1", "5", "20", "60"));
		return g_strdup_printf("crash reset %s policy=strict timeout=700 flags=1 caller=- hold=none "
				       "methods=all after=%s", f->addr, PICK(g, "1", "5", "20", "60"));
	}
	if (p < 94 && g->maybe_held[w]->len > 0) {
		g_ptr_array_remove_index(g->maybe_held[w], 0);
		return g_strdup("unhold");
	}
	return g_strdup("scan");
}

static bool top_maybe_held(struct gen *g, int procs, int top, const int *held_now)
{
	for (int w = 0; w < procs; w++) {
		if (held_now[w] == top)
			return true;
		for (guint i = 0; i < g->maybe_held[w]->len; i++)
			if (GPOINTER_TO_INT(g->maybe_held[w]->pdata[i]) - 1 == top)
				return true;
	}
	return false;
}

static char *gen_rule(struct gen *g)
{
	const struct chaos_fn *f = pick_fn(g, true);
	const char *times = PICK(g, " times=1", " times=1", " times=3", "");

	switch (chaos_rng_below(&g->rng, 14)) {
	case 0:
		return g_strdup_printf("write /sys/devices/*/%s/driver_override errno=%s%s", f->addr,
				       PICK(g, "EBUSY", "EIO", "EINVAL"), times);
	case 1:
		return g_strdup_printf("write /sys/bus/pci/drivers/*/bind errno=%s%s",
				       PICK(g, "EIO", "ENODEV", "EBUSY"), times);
	case 2:
		return g_strdup_printf("write /sys/bus/pci/drivers/*/unbind errno=EBUSY%s", times);
	case 3:
		return g_strdup_printf("write /sys/bus/pci/drivers_probe errno=EIO%s", times);
	case 4:
		return g_strdup_printf("write /sys/devices/*/%s/reset_method errno=EIO%s", f->addr, times);
	case 5:
		return g_strdup_printf("write /sys/devices/*/%s/config errno=EIO%s", f->addr, times);
	case 6:
		return g_strdup_printf("read /sys/devices/*/%s/config errno=EIO%s", f->addr, times);
	case 7:
		return g_strdup_printf("ioctl /dev/vfio/* errno=%s%s", PICK(g, "EIO", "EBUSY", "ENOTTY"), times);
	case 8:
		return g_strdup_printf("open /dev/vfio/* errno=EBUSY%s", times);
	case 9:
		return g_strdup_printf("any /sys/devices/*/%s/* delay=%s times=4", f->addr, PICK(g, "20", "120"));
	/* Kernel writes that never return: each one left behind at its deadline. */
	case 10:
		return g_strdup_printf("write /sys/devices/*/%s/driver_override hang times=1", f->addr);
	case 11:
		return g_strdup("write /sys/bus/pci/drivers/*/unbind hang times=1");
	case 12:
		return g_strdup("write /sys/bus/pci/drivers_probe hang times=1");
	default:
		return g_strdup("write /sys/bus/pci/drivers/*/bind hang times=1");
	}
}

static char *gen_chaos_op(struct gen *g, int procs, const int *held_now)
{
	unsigned p = chaos_rng_below(&g->rng, 100);

	if (p < 30) {
		char *rule = gen_rule(g);

		g_ptr_array_add(g->rules, rule);
		return g_strdup_printf("fault-add %s", rule);
	}
	if (p < 48 && g->rules->len) {
		guint i = chaos_rng_below(&g->rng, g->rules->len);
		char *text = g_strdup_printf("fault-del %s", (char *)g->rules->pdata[i]);

		g_ptr_array_remove_index(g->rules, i);
		return text;
	}
	if (p < 68) {
		const struct chaos_fn *f = pick_fn(g, true);
		const char *m = PICK(g, "flr", "pm", "bus", "*");

		switch (chaos_rng_below(&g->rng, 5)) {
		case 0:
			return g_strdup_printf("behave %s", f->addr);
		case 1:
			return g_strdup_printf("behave %s reset_errno=%s:%s", f->addr, m,
					       PICK(g, "EIO", "EBUSY", "ENOTTY", "ETIMEDOUT"));
		case 2:
			return g_strdup_printf("behave %s reset_latency_ms=%s:%s", f->addr, m,
					       PICK(g, "30", "150", "600"));
		default:
			return g_strdup_printf("behave %s reset_hang=%s", f->addr,
					       strcmp(m, "*") == 0 ? "true" : m);
		}
	}
	if (p < 74 && !g->vanished) {
		const struct chaos_fn *f = pick_fn(g, true);

		/*
		 * The simulated removal runs in the process whose path call fires
		 * it, and waits there for open device files as the kernel's
		 * does: a function some worker may hold is not removed, or the
		 * run would wait for itself.
		 */
		if (!top_maybe_held(g, procs, f->top, held_now)) {
			g->vanished = true;
			return g_strdup_printf("vanish %s", f->addr);
		}
	}
	if (p < 78) {
		const struct chaos_fn *f = pick_fn(g, true);

		/* VFs come and go with sriov_numvfs, never under a worker that may hold one. */
		if (strstr(f->methods, "flr") && !f->bridge && !top_maybe_held(g, procs, f->top, held_now)) {
			for (guint i = 0; i < g->h->fns->len; i++) {
				const struct chaos_fn *vf = g->h->fns->pdata[i];

				if (vf->top == f->top && strstr(vf->addr, ":10."))
					return g_strdup_printf("sriov %.8s00.0 %s", f->addr, PICK(g, "1", "2", "3"));
			}
		}
	}
	if (p < 84 || (g->vanished && chaos_rng_chance(&g->rng, 30))) {
		g->vanished = false;
		return g_strdup("rescan");
	}
	if (p < 96)
		return g_strdup("unhang");
	return g_strdup("fault-clear");
}

static GPtrArray *gen_trace(const struct chaos_host *h, uint64_t seed, int procs, int n_ops)
{
	struct gen g = { .rng = seed * 0x2545f4914f6cdd1dull + 1, .h = h };
	GPtrArray *ops = g_ptr_array_new_with_free_func(op_free);
	int count = 0;

	g.rules = g_ptr_array_new_with_free_func(g_free);
	for (int w = 0; w < procs; w++)
		g.maybe_held[w] = g_ptr_array_new();
	for (int round = 0; count < n_ops; round++) {
		int held_now[MAX_PROCS];

		for (int w = 0; w < procs && count < n_ops; w++) {
			held_now[w] = -1;
			if (chaos_rng_chance(&g.rng, 90)) {
				g_ptr_array_add(ops, op_new(round, w, gen_worker_op(&g, w, &held_now[w])));
				count++;
			}
		}
		for (int w = procs; w < MAX_PROCS; w++)
			held_now[w] = -1;
		if (count < n_ops && chaos_rng_chance(&g.rng, 55)) {
			g_ptr_array_add(ops, op_new(round, -1, gen_chaos_op(&g, procs, held_now)));
			count++;
		}
	}
	g_ptr_array_free(g.rules, TRUE);
	for (int w = 0; w < procs; w++)
		g_ptr_array_free(g.maybe_held[w], TRUE);
	return ops;
}

/* ---- running a trace ---- */

struct child {
	pid_t pid;
	int to, from;
	FILE *in;
	char *answer;
};

struct held {
	int worker;
	bool group;  /* group mode: the whole IOMMU group is held */
	bool direct; /* the function's own device file is open (else: a member of a held group) */
	int since;   /* round it was taken in */
};

static bool is_vfio(const char *driver)
{
	return driver && strstr(driver, "vfio");
}

/*
 * Whether @addr counts as held for the round: its device file is open, or
 * its group is and it was bound to vfio at the start (a group file keeps
 * nothing of a member that is not a VFIO device).
 */
static bool counts_as_held(const struct held *h, GHashTable *drivers_before, const char *addr)
{
	return h && (h->direct || is_vfio(g_hash_table_lookup(drivers_before, addr)));
}

struct run_state {
	struct chaos_run run;
	int stuck_s; /* how long a call may go without returning before it is a violation */
	char *dir;
	int procs;
	struct child kids[MAX_PROCS + 1]; /* [procs]: the kernel's chaos */
	GHashTable *held;                 /* address -> struct held */
	GPtrArray *violations;            /* char * */
	GPtrArray *done;                  /* struct op * of past rounds (borrowed) */
	GHashTable *late_tops;            /* top -> last round a call on it was left behind or timed out */
	size_t journal_start;
	uint64_t ops_run;
};

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? 0 : 0;
}

static char **clean_env(void)
{
	char **env = g_get_environ();

	env = g_environ_unsetenv(env, "LD_PRELOAD");
	return g_environ_unsetenv(env, "VFR_MOCK_ROOT");
}

static int make_fixture(struct run_state *s)
{
	g_autofree char *ini = NULL, *err_out = NULL;
	g_auto(GStrv) env = clean_env();
	const char *mk = getenv("VFR_MKFIXTURE");
	int status = -1;

	if (!mk) {
		fprintf(stderr, "vfr-chaos: VFR_MKFIXTURE is not set\n");
		return -1;
	}
	s->dir = g_dir_make_tmp("vfr-chaos-XXXXXX", NULL);
	if (!s->dir)
		return -1;
	s->run.root = g_build_filename(s->dir, "root", NULL);
	ini = g_build_filename(s->dir, "host.ini", NULL);
	if (!g_file_set_contents(ini, s->run.host->description, -1, NULL))
		return -1;
	{
		const char *argv[] = { mk, ini, s->run.root, NULL };

		if (!g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err_out,
				  &status, NULL) ||
		    status != 0) {
			fprintf(stderr, "vfr-chaos: vfr-mkfixture failed: %s\n", err_out ? err_out : "");
			return -1;
		}
	}
	return 0;
}

static void spawn(struct run_state *s, int index)
{
	int down[2], up[2];
	pid_t pid;

	if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		/* Its own process group: what it leaves behind (a stuck vfioreset-call) is killed with it. */
		setpgid(0, 0);
		close(down[1]);
		close(up[0]);
		for (int i = 0; i < index; i++) {
			close(s->kids[i].to);
			close(s->kids[i].from);
		}
		if (index == s->procs)
			chaos_kernel_run(&s->run, down[0], up[1]);
		chaos_worker_run(&s->run, index, down[0], up[1]);
	}
	setpgid(pid, pid);
	close(down[0]);
	close(up[1]);
	s->kids[index].pid = pid;
	s->kids[index].to = down[1];
	s->kids[index].from = up[0];
	s->kids[index].in = fdopen(up[0], "r");
}

static void stop_children(struct run_state *s)
{
	for (int i = 0; i <= s->procs; i++) {
		if (s->kids[i].pid <= 0)
			continue;
		dprintf(s->kids[i].to, "quit\n");
		close(s->kids[i].to);
	}
	chaos_release_hangs(s->run.root);
	for (int i = 0; i <= s->procs; i++) {
		int status;

		if (s->kids[i].pid <= 0)
			continue;
		/* A worker still in a call the kernel never returns from is ended too. */
		for (int t = 0; t < 200; t++) {
			if (waitpid(s->kids[i].pid, &status, WNOHANG) == s->kids[i].pid)
				break;
			if (t == 199) {
				kill(s->kids[i].pid, SIGKILL);
				waitpid(s->kids[i].pid, &status, 0);
				break;
			}
			chaos_release_hangs(s->run.root);
			usleep(50 * 1000);
		}
		kill(-s->kids[i].pid, SIGKILL);
		fclose(s->kids[i].in);
		s->kids[i].pid = 0;
	}
}

static void violate(struct run_state *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void violate(struct run_state *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(s->violations, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static const char *field(char **fields, const char *key)
{
	size_t n = strlen(key);

	for (char **f = fields; *f; f++)
		if (strncmp(*f, key, n) == 0 && (*f)[n] == '=')
			return *f + n + 1;
	return NULL;
}

static char *driver_now(const char *root, const char *addr)
{
	g_autofree char *link = g_build_filename(root, "sys/bus/pci/devices", addr, "driver", NULL);
	g_autofree char *target = g_file_read_link(link, NULL);

	return target ? g_path_get_basename(target) : NULL;
}

static bool exists_now(const char *root, const char *addr)
{
	g_autofree char *path = g_build_filename(root, "sys/bus/pci/devices", addr, NULL);

	return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* The record's driver: 1 with *ret set (NULL: unbound), 0 no record, -1 unreadable. */
static int record_of(const char *root, const char *addr, char **ret)
{
	g_autofree char *name = g_strconcat(addr, ".state", NULL);
	g_autofree char *path = g_build_filename(root, "run/vfioreset", name, NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *address = NULL;

	*ret = NULL;
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		return 0;
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		return -1;
	address = g_key_file_get_string(kf, "binding", "address", NULL);
	if (g_strcmp0(address, addr) != 0)
		return -1;
	*ret = g_key_file_get_string(kf, "binding", "driver", NULL);
	return 1;
}

/* Pending records (ROOT/run/vfioreset/pending) of processes still alive: the functions they hold. */
static GHashTable *pending_now(const char *root)
{
	g_autofree char *dir = g_build_filename(root, "run", "vfioreset", "pending", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	GHashTable *held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autoptr(GKeyFile) kf = g_key_file_new();
		g_auto(GStrv) affected = NULL;
		g_autofree char *stat = NULL, *statpath = NULL;
		pid_t pid;

		if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
			continue;
		pid = (pid_t)g_key_file_get_int64(kf, "pending", "pid", NULL);
		statpath = g_strdup_printf("/proc/%d/stat", (int)pid);
		if (pid <= 1 || !g_file_get_contents(statpath, &stat, NULL, NULL) ||
		    strstr(stat, ") Z "))
			continue;
		affected = g_key_file_get_string_list(kf, "pending", "affected", NULL, NULL);
		for (char **a = affected; a && *a; a++)
			g_hash_table_add(held, g_strdup(*a));
	}
	return held;
}

/* "PID (COMM, STATE) of parent PPID" of a process, from /proc/PID/stat. */
static void describe_process(GString *who, const char *pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%s/stat", pid), *stat = NULL;
	const char *open_paren, *close_paren;
	char state = '?';
	long ppid = 0;

	if (!g_file_get_contents(path, &stat, NULL, NULL) || !(open_paren = strchr(stat, '(')) ||
	    !(close_paren = strrchr(stat, ')'))) {
		g_string_append_printf(who, "%s%s (gone)", who->len ? ", " : "", pid);
		return;
	}
	sscanf(close_paren + 1, " %c %ld", &state, &ppid);
	g_string_append_printf(who, "%s%s (%.*s, %c) of parent %ld", who->len ? ", " : "", pid,
			       (int)(close_paren - open_paren - 1), open_paren + 1, state, ppid);
}

/*
 * The processes with a descriptor that holds the flock on @fd's file.
 * /proc/locks names the process that took it (0 once that one died while
 * a copy of its descriptor lives on), so every /proc/PID/fdinfo is read.
 */
static char *lock_holders(int fd)
{
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	GString *who = g_string_new(NULL);
	const char *pid;
	struct stat st;

	if (fstat(fd, &st) < 0 || !proc)
		return g_string_free(who, FALSE);
	while ((pid = g_dir_read_name(proc))) {
		g_autofree char *dir = NULL;
		g_autoptr(GDir) fds = NULL;
		const char *name;
		bool holds = false;

		if (!g_ascii_isdigit(pid[0]))
			continue;
		dir = g_build_filename("/proc", pid, "fdinfo", NULL);
		fds = g_dir_open(dir, 0, NULL);
		while (fds && !holds && (name = g_dir_read_name(fds))) {
			g_autofree char *path = g_build_filename(dir, name, NULL), *text = NULL;
			const char *l;
			unsigned long long ino;
			unsigned int maj, min;

			if (!g_file_get_contents(path, &text, NULL, NULL))
				continue;
			for (l = strstr(text, "lock:\t"); l && !holds; l = strstr(l + 1, "lock:\t"))
				holds = sscanf(l, "lock:\t%*d: FLOCK %*s %*s %*d %x:%x:%llu", &maj, &min,
					       &ino) == 3 &&
					maj == major(st.st_dev) && min == minor(st.st_dev) &&
					ino == (unsigned long long)st.st_ino;
		}
		if (holds)
			describe_process(who, pid);
	}
	return g_string_free(who, FALSE);
}

/* Every lock another process holds is a stuck call's, named in a live pending record. */
static void check_locks(struct run_state *s)
{
	g_autofree char *dir = g_build_filename(s->run.root, "run", "vfioreset", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GHashTable) pending = pending_now(s->run.root);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *addr = NULL;
		char *ignored = NULL;
		int fd;

		if (g_str_has_suffix(name, ".state")) {
			addr = g_strndup(name, strlen(name) - strlen(".state"));
			if (record_of(s->run.root, addr, &ignored) < 0)
				violate(s, "the record %s cannot be read back", name);
			g_free(ignored);
			continue;
		}
		if (!g_str_has_suffix(name, ".lock"))
			continue;
		addr = g_strndup(name, strlen(name) - strlen(".lock"));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK &&
		    !g_hash_table_contains(pending, addr)) {
			g_autofree char *who = lock_holders(fd);

			violate(s, "the lock of %s is held while every worker is idle, and no pending "
				   "call names it (held by %s)",
				addr, *who ? who : "no process found");
		}
		close(fd);
	}
}

static bool same_top(const struct run_state *s, const char *a, const char *b)
{
	const struct chaos_fn *fa = chaos_host_find(s->run.host, a), *fb = chaos_host_find(s->run.host, b);

	return fa && fb && fa->top == fb->top;
}

/* The first address an operation names (its target), or NULL. */
static const char *uncrashed(const char *text)
{
	return g_str_has_prefix(text, "crash ") ? text + strlen("crash ") : text;
}

static char *target_of(const char *text)
{
	g_auto(GStrv) tok = g_strsplit(uncrashed(text), " ", 3);

	if (!tok[0] || !tok[1] || !g_str_has_prefix(tok[1], "0000:"))
		return NULL;
	return g_strndup(tok[1], strcspn(tok[1], ","));
}

/* Every address an operation names ("reset A,B ..."): NULL-terminated, never NULL. */
static GStrv targets_of(const char *text)
{
	g_auto(GStrv) tok = g_strsplit(uncrashed(text), " ", 3);

	if (!tok[0] || !tok[1] || !g_str_has_prefix(tok[1], "0000:"))
		return g_new0(char *, 1);
	return g_strsplit(tok[1], ",", -1);
}

/* Could an operation of @ops (other than @self) in rounds [@from, @to] have reached @addr? */
static bool touched_by_others(const struct run_state *s, GPtrArray *ops, int from, int to,
			      const struct op *self, int except_worker, const char *addr)
{
	for (guint i = 0; i < ops->len; i++) {
		const struct op *o = ops->pdata[i];
		g_autofree char *t = NULL;

		if (o == self || o->round < from || o->round > to || o->who == except_worker)
			continue;
		if (o->who < 0) {
			if (g_str_has_prefix(o->text, "vanish") || g_str_has_prefix(o->text, "rescan") ||
			    g_str_has_prefix(o->text, "unhang"))
				return true;
			continue;
		}
		if (strstr(o->text, ",") && strstr(o->text, "reset ")) {
			g_auto(GStrv) tok = g_strsplit(uncrashed(o->text), " ", 3);
			g_auto(GStrv) addrs = g_strsplit(tok[1], ",", -1);

			for (char **a = addrs; *a; a++)
				if (same_top(s, *a, addr))
					return true;
			continue;
		}
		t = target_of(o->text);
		if (t && same_top(s, t, addr))
			return true;
	}
	return false;
}

/* Did worker @w's operations in rounds [@from, @to] name a function on @addr's root port? */
static bool touched_by_worker(const struct run_state *s, GPtrArray *ops, int from, int to, int w,
			      const char *addr)
{
	for (guint i = 0; i < ops->len; i++) {
		const struct op *o = ops->pdata[i];
		g_auto(GStrv) tok = NULL;

		if (o->who != w || o->round < from || o->round > to)
			continue;
		tok = g_strsplit(uncrashed(o->text), " ", 3);
		if (tok[0] && tok[1] && g_str_has_prefix(tok[1], "0000:")) {
			g_auto(GStrv) addrs = g_strsplit(tok[1], ",", -1);

			for (char **a = addrs; *a; a++)
				if (same_top(s, *a, addr))
					return true;
		}
		/* The holder's unhold may release the function it then resets again, and so on. */
		if (g_str_equal(o->text, "unhold"))
			return true;
	}
	return false;
}

static int effective_owner(const struct run_state *s, const char *text, const char *addr)
{
	const char *c = strstr(text, " caller=");
	const struct chaos_fn *f = chaos_host_find(s->run.host, addr);

	if (c && c[8] == 'A')
		return 1;
	if (c && c[8] == 'B')
		return 2;
	return f ? f->owner : 0;
}

/*
 * The kernel's journal of the round: a reset of a function declared for an
 * owner comes from an operation made for that owner (or one allowed to reach
 * others); nothing resets or unbinds a function another worker holds open.
 */
static void check_journal(struct run_state *s, GPtrArray *ops, int round, const char *journal,
			  GHashTable *held_before, GHashTable *drivers_before)
{
	g_auto(GStrv) lines = g_strsplit(journal, "\n", -1);

	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit(*l, " ", -1);
		g_auto(GStrv) list = NULL;
		bool is_reset, is_unbind;

		if (!f[0] || !f[1])
			continue;
		is_reset = g_str_equal(f[0], "reset") || g_str_equal(f[0], "device_reset") ||
			   g_str_equal(f[0], "hot_reset");
		is_unbind = g_str_equal(f[0], "unbind") || g_str_equal(f[0], "wait");
		if (!is_reset && !is_unbind)
			continue;
		list = g_str_equal(f[0], "hot_reset") && f[2] ? g_strsplit(f[2], ",", -1)
							       : g_strsplit(f[1], ",", 1);
		for (char **a = list; *a; a++) {
			const struct chaos_fn *fn = chaos_host_find(s->run.host, *a);
			struct held *h = g_hash_table_lookup(held_before, *a);

			if (is_reset && fn && fn->owner) {
				bool permitted = false;

				for (guint i = 0; i < ops->len && !permitted; i++) {
					const struct op *o = ops->pdata[i];
					g_auto(GStrv) targets = NULL;

					if (o->who < 0 || o->round < round - LATE_ROUNDS || o->round > round ||
					    !g_str_has_prefix(uncrashed(o->text), "reset "))
						continue;
					if (strstr(o->text, " flags=") &&
					    (atoi(strstr(o->text, " flags=") + 7) & 2)) {
						permitted = true;
						continue;
					}
					/* Without caller=, each function of a batch is reset for its own owner. */
					targets = targets_of(o->text);
					for (char **t = targets; *t && !permitted; t++)
						permitted = effective_owner(s, o->text, *t) == fn->owner;
				}
				if (!permitted)
					violate(s, "journal: '%s' reset %s of owner %s, yet no reset was made "
						   "for %s",
						*l, *a, chaos_owner_name(fn->owner), chaos_owner_name(fn->owner));
			}
			if (counts_as_held(h, drivers_before, *a)) {
				/*
				 * The holder may act on what it holds; a call made by another
				 * process before the hold may land after it (left behind at
				 * its deadline). Anything else reached what is held.
				 */
				bool explained = touched_by_worker(s, ops, h->since, round, h->worker, *a) ||
						 touched_by_others(s, ops, h->since - LATE_ROUNDS, h->since,
								   NULL, h->worker, *a);

				if (!explained)
					violate(s, "journal: '%s' while worker %d holds %s open", *l, h->worker,
						*a);
			}
		}
	}
}

static bool has_journal_line(const char *journal, const char *line)
{
	g_auto(GStrv) lines = g_strsplit(journal, "\n", -1);

	return g_strv_contains((const char *const *)lines, line);
}

/* What a binding operation's results say must be true now, where nothing else touched the function. */
static void check_bindings(struct run_state *s, GPtrArray *ops, int round, const struct op *o,
			   char **fields, GHashTable *records_before, GHashTable *pending,
			   const char *journal)
{
	const char *verb = o->text, *rcs = field(fields, "rc");
	int rc = rcs ? atoi(rcs) : -1;

	for (char **f = fields; *f; f++) {
		g_auto(GStrv) v = NULL;
		g_autofree char *now = NULL, *rec = NULL;
		const char *addr, *after, *before;
		int status, rolled, unknown, has_rec;
		gpointer late;

		if (!g_str_has_prefix(*f, "b="))
			continue;
		v = g_strsplit(*f + 2, ",", -1);
		if (g_strv_length(v) != 6)
			continue;
		addr = v[0];
		status = atoi(v[1]);
		after = strcmp(v[2], "-") ? v[2] : NULL;
		rolled = atoi(v[3]);
		unknown = atoi(v[4]);
		before = strcmp(v[5], "-") ? v[5] : NULL;
		{
			const struct chaos_fn *fn = chaos_host_find(s->run.host, addr);

			if (unknown && fn)
				g_hash_table_insert(s->late_tops, GINT_TO_POINTER(fn->top + 1),
						    GINT_TO_POINTER(round + 1));
			if (fn && (late = g_hash_table_lookup(s->late_tops, GINT_TO_POINTER(fn->top + 1))) &&
			    GPOINTER_TO_INT(late) - 1 >= round - LATE_ROUNDS)
				continue;
		}
		if (touched_by_others(s, ops, round, round, o, o->who, addr) ||
		    g_hash_table_contains(pending, addr) || !exists_now(s->run.root, addr))
			continue;
		/*
		 * Removed during the round (the PF's VFs re-created through
		 * sriov_numvfs, which takes no lock of the library's): what is
		 * at this address now is a new function, probed by the kernel on
		 * its own, perhaps after the call had read back the old one and
		 * returned. The answer is about the function the call acted on.
		 */
		{
			g_autofree char *removal = g_strdup_printf("remove %s", addr);

			if (has_journal_line(journal, removal))
				continue;
		}
		now = driver_now(s->run.root, addr);
		has_rec = record_of(s->run.root, addr, &rec);
		if (status == 0 && g_strcmp0(now, after) != 0)
			violate(s, "%s: %s reported %s but the kernel has %s", verb, addr,
				after ? after : "(none)", now ? now : "(none)");
		if (status == 0 && g_str_has_prefix(verb, "restore")) {
			gpointer was = NULL;

			/* A restore that failed elsewhere keeps every record, for the next one. */
			if (has_rec > 0 && rc == 0)
				violate(s, "%s: %s restored but its record is still there", verb, addr);
			if (g_hash_table_lookup_extended(records_before, addr, NULL, &was) &&
			    g_strcmp0(now, was) != 0)
				violate(s, "%s: %s restored to %s, but its record said %s", verb, addr,
					now ? now : "(none)", was ? (char *)was : "(none)");
		}
		if (status == 0 && !g_str_has_prefix(verb, "restore") && g_strcmp0(before, after) != 0 &&
		    has_rec <= 0)
			violate(s, "%s: %s changed from %s to %s without a record of its original binding",
				verb, addr, before ? before : "(none)", after ? after : "(none)");
		if (rolled && !unknown && g_strcmp0(now, before) != 0)
			violate(s, "%s: %s rolled back to %s but the kernel has %s", verb, addr,
				before ? before : "(none)", now ? now : "(none)");
	}
}

/* Reads answers until every child has answered, letting hangs go when the round drags. */
static void collect(struct run_state *s, const bool *sent, double budget_ms, GPtrArray *round_ops)
{
	double start = chaos_now_ms();
	bool released = false;
	int missing = 0;

	for (int i = 0; i <= s->procs; i++)
		missing += sent[i];
	while (missing > 0) {
		struct pollfd p[MAX_PROCS + 1];
		int n = 0, map[MAX_PROCS + 1];
		double waited = chaos_now_ms() - start;

		for (int i = 0; i <= s->procs; i++)
			if (sent[i] && !s->kids[i].answer) {
				p[n].fd = s->kids[i].from;
				p[n].events = POLLIN;
				map[n++] = i;
			}
		if (waited > budget_ms + 2000 && !released) {
			/*
			 * A worker may wait on a reset stuck in the kernel before the
			 * library gave up on it (a reader of its config space sleeps
			 * with it); once the record is written, its hang can go.
			 */
			chaos_release_hangs(s->run.root);
			released = waited > budget_ms + 4000;
		}
		if (waited > budget_ms + 1000.0 * s->stuck_s) {
			for (int k = 0; k < n; k++) {
				const char *text = "?";

				for (guint j = 0; j < round_ops->len; j++) {
					const struct op *o = round_ops->pdata[j];

					if (o->who == (map[k] == s->procs ? -1 : map[k]))
						text = o->text;
				}
				violate(s, "%s %d did not return from '%s' in %.0f s",
					map[k] == s->procs ? "the chaos process" : "worker", map[k], text,
					waited / 1000);
			}
			return;
		}
		if (poll(p, (nfds_t)n, 500) <= 0)
			continue;
		for (int k = 0; k < n; k++) {
			char line[16384];

			if (!(p[k].revents & (POLLIN | POLLHUP)))
				continue;
			if (!fgets(line, sizeof(line), s->kids[map[k]].in)) {
				violate(s, "%s %d died", map[k] == s->procs ? "the chaos process" : "worker",
					map[k]);
				s->kids[map[k]].answer = g_strdup("done");
			} else {
				line[strcspn(line, "\n")] = '\0';
				s->kids[map[k]].answer = g_strdup(line);
			}
			missing--;
		}
	}
}

static double op_budget(const char *text)
{
	const char *t = strstr(text, "timeout=");
	const char *w = strstr(text, "write="), *l = strstr(text, "lock=");

	if (t)
		return atof(t + 8);
	if (w)
		return atof(w + 6) * 8 + (l ? atof(l + 5) : 0);
	return 1000;
}

static int run_round(struct run_state *s, GPtrArray *ops, guint *next, int round)
{
	g_autoptr(GPtrArray) round_ops = g_ptr_array_new();
	g_autoptr(GHashTable) records_before =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) held_before = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) drivers_before = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_autoptr(GHashTable) pending = NULL;
	bool sent[MAX_PROCS + 1] = { false };
	double budget = 1000;
	g_autofree char *journal = NULL;
	size_t j0 = chaos_journal_size(s->run.root), j1;
	GHashTableIter it;
	gpointer k, v;

	while (*next < ops->len && ((struct op *)ops->pdata[*next])->round == round)
		g_ptr_array_add(round_ops, ops->pdata[(*next)++]);
	if (!round_ops->len)
		return 0;
	for (guint i = 0; i < s->run.host->fns->len; i++) {
		const struct chaos_fn *f = s->run.host->fns->pdata[i];
		char *drv = NULL;

		if (record_of(s->run.root, f->addr, &drv) > 0)
			g_hash_table_insert(records_before, g_strdup(f->addr), drv);
		g_hash_table_insert(drivers_before, (char *)f->addr, driver_now(s->run.root, f->addr));
	}
	g_hash_table_iter_init(&it, s->held);
	/* A copy: the answers replace the entries of s->held. */
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(held_before, g_strdup(k), g_memdup2(v, sizeof(struct held)));
	for (guint i = 0; i < round_ops->len; i++) {
		const struct op *o = round_ops->pdata[i];
		int idx = o->who < 0 ? s->procs : o->who;

		if (idx > s->procs)
			continue;
		dprintf(s->kids[idx].to, "%s\n", o->text);
		sent[idx] = true;
		budget = MAX(budget, op_budget(o->text));
		s->ops_run++;
	}
	collect(s, sent, budget, round_ops);
	journal = chaos_journal_since(s->run.root, j0, &j1);
	pending = pending_now(s->run.root);
	for (guint i = 0; i < round_ops->len; i++) {
		const struct op *o = round_ops->pdata[i];
		int idx = o->who < 0 ? s->procs : o->who;
		g_auto(GStrv) fields = NULL;
		const char *viol, *held;

		if (idx > s->procs || !s->kids[idx].answer)
			continue;
		fields = g_strsplit(s->kids[idx].answer, "\t", -1);
		if (getenv("VFR_CHAOS_VERBOSE"))
			fprintf(stderr, "%d %s %s -> %s\n", round, o->who < 0 ? "c" : (char[]){ (char)('0' + o->who), 0 },
				o->text, s->kids[idx].answer);
		if ((viol = field(fields, "viol")))
			violate(s, "worker %d, '%s': %s", o->who, o->text, viol);
		/*
		 * A binding reported done without its kernel line during the call:
		 * the line must be in the round's journal (a removal racing the
		 * call journals its unbind after the driver link is gone), else `ok`
		 * came back for a write the kernel never completed.
		 */
		for (char **f = fields; *f; f++) {
			g_auto(GStrv) c = NULL;
			g_autofree char *probe = NULL;

			if (!g_str_has_prefix(*f, "claim="))
				continue;
			c = g_strsplit(*f + strlen("claim="), " ", 3);
			if (g_strv_length(c) < 3)
				continue;
			probe = g_strdup_printf("drivers_probe %s %s", c[1], c[2]);
			if (!has_journal_line(journal, *f + strlen("claim=")) &&
			    !(g_str_equal(c[0], "bind") && has_journal_line(journal, probe)))
				violate(s, "worker %d, '%s': %s of %s reported done (%s), but the kernel never "
					   "completed it",
					o->who, o->text, c[0], c[1], c[2]);
		}
		if ((held = field(fields, "holding")) && o->who >= 0) {
			g_auto(GStrv) list = g_strsplit(held, "+", -1);
			GHashTableIter hi;
			gpointer hk, hv;
			g_autoptr(GHashTable) was = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

			/* The worker's holdings, as it says they are now. */
			g_hash_table_iter_init(&hi, s->held);
			while (g_hash_table_iter_next(&hi, &hk, &hv)) {
				struct held *h = hv;

				if (h->worker == o->who) {
					if (h->direct)
						g_hash_table_insert(was, g_strdup(hk), GINT_TO_POINTER(h->since + 1));
					g_hash_table_iter_remove(&hi);
				}
			}
			for (char **e = list; *e && **e; e++) {
				g_auto(GStrv) hv2 = g_strsplit(*e, ":", -1);
				guint n = g_strv_length(hv2);
				g_autofree char *addr = NULL;
				struct held *h;
				const struct chaos_fn *f;

				if (n < 2)
					continue;
				/* "0000:01:00.0:group": the address has colons of its own. */
				addr = g_strjoinv(":", (char *[]){ hv2[0], hv2[1], hv2[2], NULL });
				h = g_new0(struct held, 1);
				h->worker = o->who;
				h->direct = true;
				h->group = strcmp(hv2[n - 1], "group") == 0;
				h->since = g_hash_table_contains(was, addr)
						   ? GPOINTER_TO_INT(g_hash_table_lookup(was, addr)) - 1 : round;
				f = chaos_host_find(s->run.host, addr);
				/* In group mode every member of the group is held with it. */
				for (guint j = 0; h->group && f && j < s->run.host->fns->len; j++) {
					const struct chaos_fn *m = s->run.host->fns->pdata[j];

					if (m != f && m->group == f->group && !m->bridge &&
					    !g_hash_table_contains(s->held, m->addr)) {
						struct held *mh = g_memdup2(h, sizeof(*h));

						mh->direct = false;
						g_hash_table_insert(s->held, g_strdup(m->addr), mh);
					}
				}
				g_hash_table_replace(s->held, g_steal_pointer(&addr), h);
			}
		}
	}
	/* Then what the answers say, against what is held at the end of the round. */
	for (guint i = 0; i < round_ops->len; i++) {
		const struct op *o = round_ops->pdata[i];
		int idx = o->who < 0 ? s->procs : o->who;
		g_auto(GStrv) fields = NULL;

		if (idx > s->procs || !s->kids[idx].answer)
			continue;
		fields = g_strsplit(s->kids[idx].answer, "\t", -1);
		if (o->who >= 0 && (g_str_has_prefix(o->text, "bind ") || g_str_has_prefix(o->text, "unbind ") ||
				    g_str_has_prefix(o->text, "restore ") || g_str_has_prefix(o->text, "hold ")))
			check_bindings(s, s->done, round, o, fields, records_before, pending, journal);
		if (o->who >= 0 && g_str_has_prefix(o->text, "reset ")) {
			const char *ms = field(fields, "ms");
			g_autofree char *t = target_of(o->text);
			const struct chaos_fn *fn = t ? chaos_host_find(s->run.host, t) : NULL;

			/* A reset that ran into its deadline may still land later: its bus is left alone. */
			if (fn && ms && atof(ms) >= op_budget(o->text) * 0.9)
				g_hash_table_insert(s->late_tops, GINT_TO_POINTER(fn->top + 1),
						    GINT_TO_POINTER(round + 1));
			for (char **f = fields; *f; f++) {
				g_auto(GStrv) r = NULL;
				g_auto(GStrv) aff = NULL;

				if (!g_str_has_prefix(*f, "r="))
					continue;
				r = g_strsplit(*f + 2, ",", 4);
				if (g_strv_length(r) < 4 || strcmp(r[1], "reset") != 0)
					continue;
				aff = g_strsplit(r[3], "+", -1);
				for (char **a = aff; *a && **a; a++) {
					struct held *h = g_hash_table_lookup(held_before, *a);

					if (counts_as_held(h, drivers_before, *a) && h->worker != o->who &&
					    g_hash_table_contains(s->held, *a))
						violate(s, "worker %d's reset of %s by %s reached %s, which worker %d "
							   "holds open",
							o->who, r[0], r[2], *a, h->worker);
				}
			}
		}
	}
	check_journal(s, s->done, round, journal, held_before, drivers_before);
	check_locks(s);
	for (int i = 0; i <= s->procs; i++)
		g_clear_pointer(&s->kids[i].answer, g_free);
	if (s->violations->len) {
		g_auto(GStrv) lines = g_strsplit(journal, "\n", -1);
		guint n = g_strv_length(lines), from = n > 60 ? n - 60 : 0;

		fprintf(stderr, "vfr-chaos: round %d: %u violation(s):\n", round, s->violations->len);
		for (guint i = 0; i < s->violations->len; i++)
			fprintf(stderr, "  %s\n", (char *)s->violations->pdata[i]);
		fprintf(stderr, "operations of the round:\n");
		for (guint i = 0; i < round_ops->len; i++) {
			const struct op *o = round_ops->pdata[i];

			fprintf(stderr, "  %s %s\n", o->who < 0 ? "c" : (char[]){ (char)('0' + o->who), 0 },
				o->text);
		}
		fprintf(stderr, "journal of the round (last %u lines):\n", n - from);
		for (guint i = from; i < n; i++)
			if (*lines[i])
				fprintf(stderr, "  %s\n", lines[i]);
		return -1;
	}
	return 0;
}

struct outcome {
	int round; /* where the violation was seen */
	bool violated;
	char *first; /* the first violation */
	uint64_t ops_run;
};

static int stuck_seconds = 60;

static void run_trace(const struct chaos_host *h, int procs, GPtrArray *ops, bool keep,
		      struct outcome *out)
{
	struct run_state s = { .procs = procs, .stuck_s = stuck_seconds };
	guint next = 0;
	int last_round = ops->len ? ((struct op *)ops->pdata[ops->len - 1])->round : -1;

	memset(out, 0, sizeof(*out));
	s.run.host = (struct chaos_host *)h;
	s.violations = g_ptr_array_new_with_free_func(g_free);
	s.held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	s.done = g_ptr_array_new();
	s.late_tops = g_hash_table_new(NULL, NULL);
	if (make_fixture(&s) < 0) {
		out->violated = true;
		out->first = g_strdup("the fixture could not be made");
		return;
	}
	setenv("VFR_MOCK_ROOT", s.run.root, 1);
	for (int i = 0; i <= procs; i++)
		spawn(&s, i);
	/* The coordinator itself reads the host behind the simulated kernel's back, unfaulted. */
	unsetenv("VFR_MOCK_ROOT");
	for (guint i = 0; i < ops->len; i++)
		g_ptr_array_add(s.done, ops->pdata[i]);
	for (int round = 0; round <= last_round; round++)
		if (run_round(&s, ops, &next, round) < 0) {
			out->round = round;
			break;
		}
	stop_children(&s);
	out->violated = s.violations->len > 0;
	out->first = s.violations->len ? g_strdup(s.violations->pdata[0]) : NULL;
	out->ops_run = s.ops_run;
	if (keep)
		fprintf(stderr, "vfr-chaos: the host is kept in %s\n", s.dir);
	else
		nftw(s.dir, remove_entry, 64, FTW_DEPTH | FTW_PHYS);
	g_free(s.dir);
	g_free((char *)s.run.root);
	g_ptr_array_free(s.violations, TRUE);
	g_ptr_array_free(s.done, TRUE);
	g_hash_table_destroy(s.held);
	g_hash_table_destroy(s.late_tops);
}

/* ---- traces as files ---- */

static char *trace_text(uint64_t seed, int procs, GPtrArray *ops, const char *why)
{
	GString *t = g_string_new(NULL);

	g_string_append_printf(t, "# vfr-chaos trace: vfr-chaos --replay FILE\n");
	if (why)
		g_string_append_printf(t, "# found: %s\n", why);
	g_string_append_printf(t, "seed %" PRIu64 "\nprocs %d\n", seed, procs);
	for (guint i = 0; i < ops->len; i++) {
		const struct op *o = ops->pdata[i];

		if (o->who < 0)
			g_string_append_printf(t, "%d c %s\n", o->round, o->text);
		else
			g_string_append_printf(t, "%d %d %s\n", o->round, o->who, o->text);
	}
	return g_string_free(t, FALSE);
}

static GPtrArray *trace_parse(const char *text, uint64_t *ret_seed, int *ret_procs)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GPtrArray *ops = g_ptr_array_new_with_free_func(op_free);

	for (char **l = lines; *l; l++) {
		char who[8];
		int round, consumed = 0;

		if (!**l || **l == '#')
			continue;
		if (g_str_has_prefix(*l, "seed ")) {
			*ret_seed = g_ascii_strtoull(*l + 5, NULL, 10);
		} else if (g_str_has_prefix(*l, "procs ")) {
			*ret_procs = atoi(*l + 6);
		} else if (g_str_has_prefix(*l, "stuck-seconds ")) {
			stuck_seconds = atoi(*l + strlen("stuck-seconds "));
		} else if (sscanf(*l, "%d %7s %n", &round, who, &consumed) == 2 && consumed > 0) {
			g_ptr_array_add(ops, op_new(round, who[0] == 'c' ? -1 : atoi(who),
						    g_strdup(*l + consumed)));
		} else {
			fprintf(stderr, "vfr-chaos: cannot parse trace line '%s'\n", *l);
			g_ptr_array_free(ops, TRUE);
			return NULL;
		}
	}
	return ops;
}

/* The kind of a violation, without the numbers and addresses that change between runs. */
static char *signature(const char *v)
{
	GString *s = g_string_new(NULL);

	for (const char *p = v; *p && s->len < 48; p++)
		if (!g_ascii_isdigit(*p) && *p != ':' && *p != '.')
			g_string_append_c(s, *p);
	return g_string_free(s, FALSE);
}

static GPtrArray *subset(GPtrArray *ops, guint skip_from, guint skip_n)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(op_free);

	for (guint i = 0; i < ops->len; i++) {
		const struct op *o = ops->pdata[i];

		if (i >= skip_from && i < skip_from + skip_n)
			continue;
		g_ptr_array_add(out, op_new(o->round, o->who, g_strdup(o->text)));
	}
	return out;
}

static bool still_fails(const struct chaos_host *h, int procs, GPtrArray *ops, const char *sig)
{
	/* The interleaving within a round is the scheduler's: a candidate gets two tries. */
	for (int tries = 0; tries < 2; tries++) {
		struct outcome o;
		g_autofree char *got = NULL;

		run_trace(h, procs, ops, false, &o);
		got = o.first ? signature(o.first) : NULL;
		g_free(o.first);
		if (o.violated && got && strcmp(got, sig) == 0)
			return true;
	}
	return false;
}

/* Delta debugging over the operations: drop chunks, halving their size, while it still fails. */
static GPtrArray *shrink(const struct chaos_host *h, int procs, GPtrArray *ops, const char *first,
			 double budget_s)
{
	g_autofree char *sig = signature(first);
	GPtrArray *cur = subset(ops, 0, 0);
	double start = chaos_now_ms();

	/* Everything after the failing round is irrelevant already (run_trace stops there). */
	for (guint chunk = MAX(cur->len / 2, 1); chunk >= 1; chunk /= 2) {
		for (guint from = 0; from < cur->len;) {
			GPtrArray *cand;

			if ((chaos_now_ms() - start) / 1000 > budget_s) {
				fprintf(stderr, "vfr-chaos: shrinking stopped at its time budget\n");
				return cur;
			}
			cand = subset(cur, from, chunk);
			if (cand->len < cur->len && still_fails(h, procs, cand, sig)) {
				g_ptr_array_free(cur, TRUE);
				cur = cand;
				fprintf(stderr, "vfr-chaos: shrunk to %u operations\n", cur->len);
			} else {
				g_ptr_array_free(cand, TRUE);
				from += chunk;
			}
		}
		if (chunk == 1)
			break;
	}
	return cur;
}

static void usage(void)
{
	fprintf(stderr, "usage: vfr-chaos [--seeds N] [--first-seed S] [--ops N] [--procs P] [--out DIR]\n"
			"                 [--shrink-seconds S] [--keep]\n"
			"       vfr-chaos --replay FILE [--expect-violation]\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "seeds", required_argument, NULL, 's' },
		{ "first-seed", required_argument, NULL, 'f' },
		{ "ops", required_argument, NULL, 'n' },
		{ "procs", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "replay", required_argument, NULL, 'r' },
		{ "expect-violation", no_argument, NULL, 'x' },
		{ "shrink-seconds", required_argument, NULL, 'S' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t first_seed = 1, total = 0;
	int n_seeds = 1, n_ops = 500, procs = 4, c;
	const char *out_dir = ".", *replay = NULL;
	bool expect_violation = false, keep = false;
	double shrink_s = 600;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 's': n_seeds = atoi(optarg); break;
		case 'f': first_seed = g_ascii_strtoull(optarg, NULL, 10); break;
		case 'n': n_ops = atoi(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 'o': out_dir = optarg; break;
		case 'r': replay = optarg; break;
		case 'x': expect_violation = true; break;
		case 'S': shrink_s = atof(optarg); break;
		case 'k': keep = true; break;
		default: usage(); return c == 'h' ? 0 : 2;
		}
	}
	if (procs < 1 || procs > MAX_PROCS || n_seeds < 1 || n_ops < 1) {
		usage();
		return 2;
	}
	/* Children that die are seen as a closed pipe, not as a signal that kills the run. */
	signal(SIGPIPE, SIG_IGN);
	if (replay) {
		g_autofree char *text = NULL;
		g_autoptr(GPtrArray) ops = NULL;
		struct chaos_host *h;
		struct outcome o;
		uint64_t seed = 0;

		if (!g_file_get_contents(replay, &text, NULL, NULL) ||
		    !(ops = trace_parse(text, &seed, &procs))) {
			fprintf(stderr, "vfr-chaos: cannot read %s\n", replay);
			return 2;
		}
		h = chaos_host_new(seed);
		run_trace(h, procs, ops, keep, &o);
		chaos_host_free(h);
		printf("%s: %" PRIu64 " operations, %s\n", replay, o.ops_run,
		       o.violated ? o.first : "no violation");
		g_free(o.first);
		return o.violated == expect_violation ? 0 : 1;
	}
	for (int i = 0; i < n_seeds; i++) {
		uint64_t seed = first_seed + (uint64_t)i;
		struct chaos_host *h = chaos_host_new(seed);
		g_autoptr(GPtrArray) ops = gen_trace(h, seed, procs, n_ops);
		struct outcome o;

		run_trace(h, procs, ops, keep, &o);
		total += o.ops_run;
		if (o.violated) {
			g_autofree char *full = trace_text(seed, procs, ops, o.first);
			g_autoptr(GPtrArray) small = NULL;
			g_autofree char *text = NULL, *path = NULL;

			fprintf(stderr, "vfr-chaos: seed %" PRIu64 " violated: %s\n", seed, o.first);
			path = g_strdup_printf("%s/chaos-seed-%" PRIu64 ".full.trace", out_dir, seed);
			g_file_set_contents(path, full, -1, NULL);
			fprintf(stderr, "vfr-chaos: its trace is %s; shrinking...\n", path);
			/* What comes after the failing round never ran. */
			while (ops->len && ((struct op *)ops->pdata[ops->len - 1])->round > o.round)
				g_ptr_array_remove_index(ops, ops->len - 1);
			small = shrink(h, procs, ops, o.first, shrink_s);
			text = trace_text(seed, procs, small, o.first);
			g_free(path);
			path = g_strdup_printf("%s/chaos-seed-%" PRIu64 ".trace", out_dir, seed);
			g_file_set_contents(path, text, -1, NULL);
			fprintf(stderr, "vfr-chaos: a reproducer of %u operations is %s:\n%s", small->len,
				path, text);
			g_free(o.first);
			chaos_host_free(h);
			printf("vfr-chaos: violation after %" PRIu64 " operations (seed %" PRIu64 ")\n", total,
			       seed);
			return 1;
		}
		printf("vfr-chaos: seed %" PRIu64 ": %" PRIu64 " operations, %d processes, no violation\n",
		       seed, o.ops_run, procs);
		fflush(stdout);
		chaos_host_free(h);
	}
	printf("vfr-chaos: %" PRIu64 " operations over %d seeds (from %" PRIu64 "), %d processes at once, "
	       "no violation\n",
	       total, n_seeds, first_seed, procs);
	return 0;
}
