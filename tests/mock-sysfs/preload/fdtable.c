/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which fixture node each descriptor opened through the wrappers is, so that
 * read(), write() and ioctl() on it know the attribute without a system call,
 * and relative opens below a recorded directory know where they are. Entries
 * also carry the inode: a descriptor closed behind our back (fclose() and
 * closedir() of libc close internally) and reused is recognised as stale.
 */
#include "preload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 1024
#define NCHUNKS 1024 /* descriptors up to 2^20 */

struct entry {
	char *node; /* NULL: no entry */
	char *named;
	dev_t dev;
	ino_t ino;
	int flags;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *chunks[NCHUNKS];
static int live;

void fdt_atfork_child(void)
{
	pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;

	lock = init;
	vfio_atfork_child();
}

static struct entry *slot(int fd, bool create)
{
	unsigned int c = (unsigned int)fd / CHUNK;

	if (fd < 0 || c >= NCHUNKS)
		return NULL;
	if (!chunks[c]) {
		if (!create)
			return NULL;
		chunks[c] = calloc(CHUNK, sizeof(struct entry));
		if (!chunks[c])
			return NULL;
	}
	return &chunks[c][(unsigned int)fd % CHUNK];
}

static void drop(struct entry *e)
{
	if (!e->node)
		return;
	free(e->node);
	free(e->named);
	memset(e, 0, sizeof(*e));
	live--;
}

void fdt_set(int fd, const char *node, const char *named, const struct stat *st, int flags)
{
	struct entry *e;
	char *n = strdup(node), *m = strdup(named ? named : "");

	pthread_mutex_lock(&lock);
	e = slot(fd, true);
	if (!e || !n || !m) {
		if (e)
			drop(e);
		pthread_mutex_unlock(&lock);
		free(n);
		free(m);
		return;
	}
	drop(e);
	e->node = n;
	e->named = m;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->flags = flags;
	live++;
	pthread_mutex_unlock(&lock);
}

bool fdt_get(int fd, struct fd_info *ret)
{
	struct entry *e;
	bool found = false;

	if (__atomic_load_n(&live, __ATOMIC_RELAXED) == 0)
		return false;
	pthread_mutex_lock(&lock);
	e = slot(fd, false);
	if (e && e->node) {
		snprintf(ret->node, sizeof(ret->node), "%s", e->node);
		snprintf(ret->named, sizeof(ret->named), "%s", e->named);
		ret->dev = e->dev;
		ret->ino = e->ino;
		ret->flags = e->flags;
		found = true;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

bool fdt_node(int fd, char *node)
{
	struct entry *e;
	bool found = false;

	if (__atomic_load_n(&live, __ATOMIC_RELAXED) == 0)
		return false;
	pthread_mutex_lock(&lock);
	e = slot(fd, false);
	if (e && e->node) {
		snprintf(node, PATH_MAX, "%s", e->node);
		found = true;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

bool fdt_has(int fd)
{
	struct entry *e;
	bool found;

	if (__atomic_load_n(&live, __ATOMIC_RELAXED) == 0)
		return false;
	pthread_mutex_lock(&lock);
	e = slot(fd, false);
	found = e && e->node;
	pthread_mutex_unlock(&lock);
	return found;
}

void fdt_clear(int fd)
{
	struct entry *e;

	if (__atomic_load_n(&live, __ATOMIC_RELAXED) == 0)
		return;
	pthread_mutex_lock(&lock);
	e = slot(fd, false);
	if (e)
		drop(e);
	pthread_mutex_unlock(&lock);
}

void fdt_dup(int oldfd, int newfd)
{
	struct fd_info *fi = malloc(sizeof(*fi));
	struct stat st;

	fdt_clear(newfd);
	/* A vfio file shares its kernel object with its duplicate. */
	vfio_dup(oldfd, newfd);
	if (!fi)
		return;
	if (fdt_get(oldfd, fi)) {
		st.st_dev = fi->dev;
		st.st_ino = fi->ino;
		fdt_set(newfd, fi->node, fi->named, &st, fi->flags);
	}
	free(fi);
}
