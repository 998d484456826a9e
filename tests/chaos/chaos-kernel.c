/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's chaos, from a process of its own: fault rules turned on and
 * off (ROOT/.vfr-mock/faults), reset methods that start failing, take long
 * or hang (ROOT/.vfr-mock/devices, read at every reset), a function that
 * vanishes and comes back with a rescan, and hangs let go.
 *
 * A hang of the simulated kernel ends only with the process stuck in it,
 * as a real one ends only when the call returns. The library leaves a
 * record naming every process it gave up on at a deadline
 * (ROOT/run/vfioreset/pending/); letting a hang go is killing that process,
 * checked by its start time so a reused pid is never hit.
 */
#include "chaos-run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Field 22 of /proc/PID/stat, 0 when the process is gone or a zombie. */
static uint64_t start_time(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	const char *p;
	unsigned long long start = 0;
	char state = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
		return 0;
	/* After the name: state (3), then fields 4..21, then starttime (22). */
	if (sscanf(p + 2, "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
		   &state, &start) != 2 || state == 'Z')
		return 0;
	return start;
}

int chaos_release_hangs(const char *root)
{
	g_autofree char *dir = g_build_filename(root, "run", "vfioreset", "pending", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autoptr(GKeyFile) kf = g_key_file_new();
		pid_t pid;
		uint64_t start;

		if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
			continue;
		pid = (pid_t)g_key_file_get_int64(kf, "pending", "pid", NULL);
		start = g_key_file_get_uint64(kf, "pending", "pid_start", NULL);
		if (pid > 1 && start && start_time(pid) == start && kill(pid, SIGKILL) == 0)
			n++;
	}
	return n;
}

struct kernel {
	const struct chaos_run *run;
	GPtrArray *rules; /* the fault rules in force, as text */
	GHashTable *base; /* address -> its original line of .vfr-mock/devices */
};

static void write_atomic(const char *path, const char *text)
{
	g_autofree char *tmp = g_strconcat(path, ".chaos-tmp", NULL);

	if (g_file_set_contents(tmp, text, -1, NULL))
		rename(tmp, path);
}

static void write_rules(struct kernel *k)
{
	g_autofree char *path = g_build_filename(k->run->root, ".vfr-mock", "faults", NULL);
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < k->rules->len; i++)
		g_string_append_printf(text, "%s\n", (char *)k->rules->pdata[i]);
	write_atomic(path, text->str);
}

static void remove_rule(struct kernel *k, const char *rule)
{
	for (guint i = 0; i < k->rules->len; i++)
		if (strcmp(k->rules->pdata[i], rule) == 0) {
			g_ptr_array_remove_index(k->rules, i);
			break;
		}
}

/* Replaces the reset behaviour of @addr in .vfr-mock/devices by @keys ("" : as described). */
static void behave(struct kernel *k, const char *addr, const char *keys)
{
	g_autofree char *path = g_build_filename(k->run->root, ".vfr-mock", "devices", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	if (!k->base) {
		k->base = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		for (char **l = lines; *l; l++)
			if (**l)
				g_hash_table_insert(k->base, g_strndup(*l, strcspn(*l, " ")), g_strdup(*l));
	}
	for (char **l = lines; *l; l++) {
		const char *base;
		g_auto(GStrv) f = NULL;

		if (!**l)
			continue;
		if (strncmp(*l, addr, strlen(addr)) != 0 || (*l)[strlen(addr)] != ' ' ||
		    !(base = g_hash_table_lookup(k->base, addr))) {
			g_string_append_printf(out, "%s\n", *l);
			continue;
		}
		f = g_strsplit(base, " ", -1);
		for (char **w = f; *w; w++)
			if (!g_str_has_prefix(*w, "reset_errno=") && !g_str_has_prefix(*w, "reset_hang=") &&
			    !g_str_has_prefix(*w, "reset_latency_ms="))
				g_string_append_printf(out, "%s%s", w == f ? "" : " ", *w);
		if (*keys)
			g_string_append_printf(out, " %s", keys);
		g_string_append_c(out, '\n');
	}
	write_atomic(path, out->str);
}

static void sysfs_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0) {
		/* The simulated kernel's answer is part of the chaos, not a failure of it. */
	}
	close(fd);
}

void chaos_kernel_run(const struct chaos_run *run, int in_fd, int out_fd)
{
	struct kernel k = { .run = run, .rules = g_ptr_array_new_with_free_func(g_free) };
	FILE *in = fdopen(in_fd, "r");
	char line[4096];

	while (fgets(line, sizeof(line), in)) {
		int released = 0;

		line[strcspn(line, "\n")] = '\0';
		if (g_str_has_prefix(line, "fault-add ")) {
			g_ptr_array_add(k.rules, g_strdup(line + strlen("fault-add ")));
			write_rules(&k);
		} else if (g_str_has_prefix(line, "fault-del ")) {
			remove_rule(&k, line + strlen("fault-del "));
			write_rules(&k);
		} else if (g_str_has_prefix(line, "fault-clear")) {
			g_ptr_array_set_size(k.rules, 0);
			write_rules(&k);
		} else if (g_str_has_prefix(line, "behave ")) {
			g_auto(GStrv) f = g_strsplit(line + strlen("behave "), " ", 2);

			if (f[0])
				behave(&k, f[0], f[1] ? f[1] : "");
		} else if (g_str_has_prefix(line, "vanish ")) {
			g_autofree char *rule = g_strdup_printf("vanish %s after=0", line + strlen("vanish "));
			g_autofree char *dev = g_strdup_printf("/sys/bus/pci/devices/%s",
							       line + strlen("vanish "));
			struct stat st;

			/* Fired here, by this process's next path call naming it. */
			g_ptr_array_add(k.rules, g_strdup(rule));
			write_rules(&k);
			(void)lstat(dev, &st);
			remove_rule(&k, rule);
			write_rules(&k);
		} else if (g_str_has_prefix(line, "sriov ")) {
			g_auto(GStrv) f = g_strsplit(line + strlen("sriov "), " ", 2);
			g_autofree char *path = g_strdup_printf("/sys/bus/pci/devices/%s/sriov_numvfs", f[0]);

			/* From any count to another one goes through 0, as the kernel insists. */
			sysfs_write(path, "0");
			if (f[1])
				sysfs_write(path, f[1]);
		} else if (g_str_equal(line, "rescan")) {
			sysfs_write("/sys/bus/pci/rescan", "1");
		} else if (g_str_equal(line, "unhang")) {
			released = chaos_release_hangs(run->root);
		} else if (g_str_equal(line, "quit")) {
			break;
		}
		dprintf(out_fd, "done\treleased=%d\n", released);
	}
	g_ptr_array_free(k.rules, TRUE);
	if (k.base)
		g_hash_table_destroy(k.base);
	_exit(0);
}
