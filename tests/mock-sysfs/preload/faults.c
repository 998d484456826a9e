/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault rules from ROOT/.vfr-mock/faults (HARNESS.md), re-read whenever the
 * file changes, so a test can add one between two library calls:
 *
 *   OP GLOB [errno=E] [short=K] [delay=MS] [hang] [after=N] [times=N]
 *   vanish ADDRESS [after=N]
 *
 * Counters are shared with forked children and with the vfioreset-call a
 * deadline-bound call spawns (fault-counts.c), and survive a re-read for
 * unchanged lines.
 */
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errnames.h"

struct rule {
	char *text; /* the line, to carry counters over a re-read */
	int ops;
	char *glob;
	int err;
	long shortn, delay;
	bool hang;
	long after, times; /* times < 0: unlimited */
	struct rule_count *count; /* shared with the processes acting for this one (fault-counts.c) */
	bool vanish;
	char addr[32];
};

static struct {
	pthread_mutex_t lock;
	struct rule *rules;
	size_t n;
	char file[PATH_MAX];
	struct stat st; /* of the file when read; st_ino 0: it did not exist */
	bool loaded;
} set = { .lock = PTHREAD_MUTEX_INITIALIZER };

void faults_atfork_child(void)
{
	pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;

	set.lock = init;
	fault_counts_atfork_child();
}

static const struct {
	const char *name;
	int ops;
} op_names[] = {
	{ "open", OP_OPEN },	 { "read", OP_READ },	{ "write", OP_WRITE },
	{ "readlink", OP_READLINK }, { "stat", OP_STAT }, { "ioctl", OP_IOCTL },
	{ "any", OP_OPEN | OP_READ | OP_WRITE | OP_READLINK | OP_STAT | OP_IOCTL },
};

static void free_rules(struct rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].text);
		free(rules[i].glob);
	}
	free(rules);
}

static bool number(const char *text, long *ret)
{
	char *end;

	errno = 0;
	*ret = strtol(text, &end, 10);
	return !errno && *text && !*end && *ret >= 0;
}

static bool parse_rule(char *line, struct rule *ru)
{
	char *save = NULL, *op = strtok_r(line, " \t", &save), *w;

	memset(ru, 0, sizeof(*ru));
	ru->times = -1;
	if (!op)
		return false;
	if (strcmp(op, "vanish") == 0) {
		w = strtok_r(NULL, " \t", &save);
		if (!w || strlen(w) >= sizeof(ru->addr))
			return false;
		ru->vanish = true;
		snprintf(ru->addr, sizeof(ru->addr), "%s", w);
	} else {
		for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (strcmp(op, op_names[i].name) == 0)
				ru->ops = op_names[i].ops;
		w = strtok_r(NULL, " \t", &save);
		if (!ru->ops || !w || w[0] != '/' || !(ru->glob = strdup(w)))
			return false;
		ru->shortn = -1;
		ru->delay = -1;
	}
	while ((w = strtok_r(NULL, " \t", &save))) {
		bool ok;

		if (strncmp(w, "after=", 6) == 0)
			ok = number(w + 6, &ru->after);
		else if (strncmp(w, "times=", 6) == 0)
			ok = number(w + 6, &ru->times) && ru->times > 0;
		else if (ru->vanish)
			ok = false;
		else if (strncmp(w, "errno=", 6) == 0)
			ok = (ru->err = vfr_errno_parse(w + 6)) != 0;
		else if (strncmp(w, "short=", 6) == 0)
			ok = number(w + 6, &ru->shortn);
		else if (strncmp(w, "delay=", 6) == 0)
			ok = number(w + 6, &ru->delay);
		else if (strcmp(w, "hang") == 0)
			ok = ru->hang = true;
		else
			ok = false;
		if (!ok) {
			free(ru->glob);
			ru->glob = NULL;
			return false;
		}
	}
	return true;
}

/* The file's text, NULL when it cannot be read. */
static char *slurp(const char *path, size_t size)
{
	char *text = malloc(size + 1);
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !text) {
		if (fd >= 0)
			close(fd);
		free(text);
		return NULL;
	}
	while (got < size) {
		ssize_t n = read(fd, text + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	text[got] = '\0';
	return text;
}

static void reload(const char *path, const struct stat *st)
{
	char *text = st->st_ino ? slurp(path, (size_t)st->st_size) : NULL;
	struct rule *rules = NULL;
	size_t n = 0, cap = 0;
	char *save = NULL;

	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct rule ru;
		char *copy;

		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		copy = strdup(line);
		if (!copy || !parse_rule(line, &ru)) {
			vfr_warn("vfr-preload: %s: ignoring a bad rule: %s", path,
				 copy ? copy : line);
			free(copy);
			continue;
		}
		ru.text = copy;
		ru.count = NULL;
		/* A rule that was there before keeps its counts. */
		for (size_t i = 0; i < set.n; i++) {
			if (set.rules[i].text && strcmp(set.rules[i].text, copy) == 0) {
				ru.count = set.rules[i].count;
				set.rules[i].count = NULL;
				free(set.rules[i].text);
				set.rules[i].text = NULL;
				break;
			}
		}
		if (!ru.count) {
			unsigned int nth = 0;

			for (size_t i = 0; i < n; i++)
				nth += strcmp(rules[i].text, copy) == 0;
			ru.count = fault_count(path, copy, nth);
		}
		if (!ru.count) {
			free(ru.text);
			free(ru.glob);
			continue;
		}
		if (n == cap) {
			struct rule *grown = realloc(rules, (cap ? cap * 2 : 8) * sizeof(*rules));

			if (!grown) {
				free(ru.text);
				free(ru.glob);
				break;
			}
			rules = grown;
			cap = cap ? cap * 2 : 8;
		}
		rules[n++] = ru;
	}
	free(text);
	free_rules(set.rules, set.n);
	set.rules = rules;
	set.n = n;
}

/* Called with the lock held. */
static void refresh(const struct vfr_root *r)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/.vfr-mock/faults", r->path) >= (int)sizeof(path))
		return;
	vfr_busy++;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (!set.loaded || strcmp(path, set.file) != 0 || st.st_ino != set.st.st_ino ||
	    st.st_dev != set.st.st_dev || st.st_size != set.st.st_size ||
	    st.st_mtim.tv_sec != set.st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != set.st.st_mtim.tv_nsec) {
		if (strcmp(path, set.file) != 0) {
			/* Another fixture: the counts were about the old one. */
			free_rules(set.rules, set.n);
			set.rules = NULL;
			set.n = 0;
		}
		reload(path, &st);
		snprintf(set.file, sizeof(set.file), "%s", path);
		set.st = st;
		set.loaded = true;
	}
	vfr_busy--;
}

bool faults_any(const struct vfr_root *r, int op)
{
	bool any = false;

	pthread_mutex_lock(&set.lock);
	refresh(r);
	for (size_t i = 0; i < set.n && !any; i++)
		any = set.rules[i].vanish ? !set.rules[i].count->fired
					  : (set.rules[i].ops & op) != 0;
	pthread_mutex_unlock(&set.lock);
	return any;
}

static bool matches(const char *glob, const char *named, const char *canon)
{
	return (named && *named && fnmatch(glob, named, 0) == 0) ||
	       (canon && *canon && fnmatch(glob, canon, 0) == 0);
}

void kernel_delay(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	if (ms < 0) {
		/*
		 * Like a driver that never returns: only killing the process ends
		 * it - or the end of the simulated host, once its tree is removed,
		 * so that a writer a test has abandoned (an orphan left at a
		 * deadline) does not outlive the test.
		 */
		const char *root = getenv("VFR_MOCK_ROOT");
		char probe[PATH_MAX];

		if (!root || snprintf(probe, sizeof(probe), "%s/.vfr-mock", root) >= (int)sizeof(probe))
			probe[0] = '\0';
		for (;;) {
			struct timespec tick = { .tv_sec = 0, .tv_nsec = 200 * 1000000 };
			struct stat st;

			nanosleep(&tick, NULL);
			vfr_busy++;
			if (probe[0] && stat(probe, &st) < 0 && errno == ENOENT)
				_exit(128 + SIGKILL);
			vfr_busy--;
		}
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int faults_apply(const struct vfr_root *r, int op, const char *named, const char *canon,
		 long *short_max)
{
	struct rule hit = { .err = 0 };
	bool found = false;
	long seen;
	int saved = errno;

	*short_max = -1;
	pthread_mutex_lock(&set.lock);
	refresh(r);
	for (size_t i = 0; i < set.n && !found; i++) {
		struct rule *ru = &set.rules[i];

		if (ru->vanish || !(ru->ops & op) || !matches(ru->glob, named, canon))
			continue;
		seen = __atomic_add_fetch(&ru->count->seen, 1, __ATOMIC_SEQ_CST);
		if (seen <= ru->after || (ru->times >= 0 && seen - ru->after > ru->times))
			continue;
		hit = *ru;
		found = true;
	}
	pthread_mutex_unlock(&set.lock);
	errno = saved;
	if (!found)
		return 0;
	if (hit.delay > 0)
		kernel_delay(hit.delay);
	if (hit.hang) {
		/* The journal line tells a test the process is now blocked. */
		journal(r, "hang %s", canon && *canon ? canon : named);
		kernel_delay(-1);
	}
	*short_max = hit.shortn;
	return hit.err;
}

static bool names_device(const char *path, const char *addr)
{
	size_t len = strlen(addr);

	for (const char *p = path ? strstr(path, addr) : NULL; p; p = strstr(p + 1, addr))
		if (p > path && p[-1] == '/' && (p[len] == '/' || p[len] == '\0'))
			return true;
	return false;
}

void faults_access(const struct vfr_root *r, const char *named, const char *canon)
{
	char gone[4][32];
	size_t n = 0;

	pthread_mutex_lock(&set.lock);
	refresh(r);
	for (size_t i = 0; i < set.n; i++) {
		struct rule *ru = &set.rules[i];

		if (!ru->vanish || ru->count->fired ||
		    !(names_device(named, ru->addr) || names_device(canon, ru->addr)))
			continue;
		if (__atomic_fetch_add(&ru->count->seen, 1, __ATOMIC_SEQ_CST) < ru->after)
			continue;
		ru->count->fired = 1;
		if (n < sizeof(gone) / sizeof(gone[0]))
			snprintf(gone[n++], sizeof(gone[0]), "%s", ru->addr);
	}
	pthread_mutex_unlock(&set.lock);
	for (size_t i = 0; i < n; i++)
		kernel_vanish(r, gone[i]);
}
