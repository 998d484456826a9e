/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sysfs store with a deadline: the write runs through deadline_call(). */
#include <string.h>
#include <unistd.h>

#include "deadline.h"
#include "internal.h"
#include "sysfs.h"

struct store {
	int fd;
	const char *text;
};

static int store(void *arg)
{
	const struct store *s = arg;

	return sysfs_write_fd(s->fd, s->text);
}

int sysfs_write_deadline(int dirfd, const char *name, const char *text, int timeout_ms,
			 pid_t *ret_stuck)
{
	struct store s = { .text = text };
	int r;

	if (timeout_ms < 0)
		return sysfs_write(dirfd, name, text);
	s.fd = sysfs_open_attr_for_write(dirfd, name);
	if (s.fd < 0)
		return s.fd;
	r = deadline_call(store, &s, &s.fd, 1, timeout_ms, ret_stuck);
	close(s.fd);
	return r;
}
