/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The counts of the fault rules (`after=`, `times=`, vanish), shared by a
 * program and the processes that act for it, so that the rules see one
 * sequence of accesses as their words mean it:
 *
 *   - the processes it forks: the table is a shared mapping, inherited;
 *   - the vfioreset-call it spawns for a kernel call with a deadline
 *     (lib/deadline.h): a fresh image after exec, which finds its caller's
 *     table through /proc/PPID/fd, where the caller keeps it open as the
 *     memfd "vfr-fault-counts" (made at the latest by the posix_spawn()
 *     that starts it).
 *
 * Other programs count separately. Entries are keyed by the rule's fixture,
 * its text and which of the identical lines it is, so a rule means the same
 * entry in every process that shares the table, whatever each read before.
 */
#include "preload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TABLE_NAME "vfr-fault-counts"
#define TABLE_ENTRIES 1024

struct entry {
	uint64_t key; /* 0: free */
	struct rule_count count;
};

static struct entry *table;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

void fault_counts_atfork_child(void)
{
	pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;

	table_lock = init;
}

static uint64_t key_of(const char *space, const char *text, unsigned int nth)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (const char *s = space; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	h = (h ^ '\n') * 0x100000001b3ULL;
	for (const char *s = text; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	h = (h ^ nth) * 0x100000001b3ULL;
	return h ? h : 1;
}

static struct entry *map(int fd)
{
	void *p = mmap(NULL, TABLE_ENTRIES * sizeof(struct entry), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The caller's table, for a vfioreset-call: its memfd, open in the parent. */
static struct entry *caller_table(void)
{
	char dir[64], link[PATH_MAX + 64], target[PATH_MAX];
	struct entry *t = NULL;
	struct dirent *de;
	DIR *d;

	if (strcmp(program_invocation_short_name, "vfioreset-call") != 0)
		return NULL;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)getppid());
	if (!(d = opendir(dir)))
		return NULL;
	while (!t && (de = readdir(d))) {
		ssize_t n;
		int fd;

		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, "/memfd:" TABLE_NAME " ", strlen("/memfd:" TABLE_NAME " ")) != 0)
			continue;
		fd = open(link, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			t = map(fd);
			close(fd);
		}
	}
	closedir(d);
	return t;
}

/* A table of this process's own; its memfd stays open for the calls it spawns. */
static struct entry *own_table(void)
{
	struct entry *t;
	int fd = memfd_create(TABLE_NAME, MFD_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (ftruncate(fd, TABLE_ENTRIES * sizeof(struct entry)) < 0 || !(t = map(fd))) {
		close(fd);
		return NULL;
	}
	return t; /* fd kept: it is how a vfioreset-call finds the table */
}

static void table_get(void)
{
	vfr_busy++;
	pthread_mutex_lock(&table_lock);
	if (!table && !(table = caller_table()))
		table = own_table();
	pthread_mutex_unlock(&table_lock);
	vfr_busy--;
}

/*
 * A program spawned from here may be a deadline's vfioreset-call, which
 * looks for this process's table: it must exist by then, even when this
 * process has not needed a count yet.
 */
VFR_EXPORT int posix_spawn(pid_t *pid, const char *path,
			   const posix_spawn_file_actions_t *actions,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct vfr_root r;

	if (!vfr_busy && root_get(&r))
		table_get();
	return REAL(posix_spawn)(pid, path, actions, attr, argv, envp);
}

struct rule_count *fault_count(const char *space, const char *text, unsigned int nth)
{
	uint64_t key = key_of(space, text, nth);
	struct rule_count *found = NULL;

	table_get();
	if (!table)
		return calloc(1, sizeof(struct rule_count)); /* counted in this process alone */
	for (size_t i = 0; i < TABLE_ENTRIES && !found; i++) {
		struct entry *e = &table[(key + i) % TABLE_ENTRIES];
		uint64_t seen = 0;

		/* Claimed atomically: another process sharing the table may be at it too. */
		if (__atomic_compare_exchange_n(&e->key, &seen, key, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST) ||
		    seen == key)
			found = &e->count;
	}
	return found ? found : calloc(1, sizeof(struct rule_count));
}
