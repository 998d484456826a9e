/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sysfs store with a deadline: the write runs in vfioreset-call (deadline.h). */
#include <unistd.h>

#include "deadline.h"
#include "internal.h"
#include "sysfs.h"

int sysfs_write_deadline(int dirfd, const char *name, const char *text, int timeout_ms,
			 pid_t *ret_stuck)
{
	int fd, r;

	if (timeout_ms < 0)
		return sysfs_write(dirfd, name, text);
	fd = sysfs_open_attr_for_write(dirfd, name);
	if (fd < 0)
		return fd;
	r = deadline_store(fd, text, timeout_ms, ret_stuck);
	close(fd);
	return r;
}
