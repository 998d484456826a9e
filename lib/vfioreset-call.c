/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioreset-call: one kernel call that its caller may stop waiting for
 * (lib/deadline.h says why it is a program of its own). libvfioreset starts
 * it with posix_spawn(); deadline-protocol.h has the request and the
 * answer. It uses nothing but libc, so one left stuck in a driver holds
 * little more than its own stack and libc's pages; it is also linked
 * dynamically on purpose: the mock harness's LD_PRELOAD must reach it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config.h"
#include "deadline-protocol.h"

/* One store(): the whole text in one write(), as sysfs_write() does it. */
static int store(const char *text)
{
	size_t len = strlen(text);
	ssize_t n;

	do
		n = write(CALL_FD_TARGET, text, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int vfio_reset(void)
{
	return ioctl(CALL_FD_TARGET, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
}

static int hot_reset(size_t n)
{
	struct {
		struct vfio_pci_hot_reset head;
		int32_t fds[CALL_MAX_GROUPS];
	} req = { .head = { .argsz = (uint32_t)(sizeof(req.head) + n * sizeof(int32_t)),
			    .count = (uint32_t)n } };

	for (size_t i = 0; i < n; i++)
		req.fds[i] = CALL_FD_GROUPS + (int)i;
	return ioctl(CALL_FD_TARGET, VFIO_DEVICE_PCI_HOT_RESET, &req) < 0 ? -errno : 0;
}

/* The group count of a hot reset: 0 .. CALL_MAX_GROUPS, else -1. */
/* The caller's go-ahead on descriptor 0: one byte; EOF when it died before it said so. */
static bool go_ahead(void)
{
	char go;
	ssize_t n;

	do
		n = read(0, &go, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

static long group_count(const char *text)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end || n < 0 || n > CALL_MAX_GROUPS)
		return -1;
	return n;
}

int main(int argc, char **argv)
{
	int32_t answer = -EINVAL;
	bool understood = true;
	size_t n_fds = 1;
	long n = -1;

	if (fcntl(CALL_FD_ANSWER, F_GETFD) < 0) {
		fprintf(stderr, "%s: runs one kernel call for libvfioreset, which starts it with "
			"its descriptors in place; it is not meant to be run by hand\n",
			CALL_PROGRAM);
		return 2;
	}
	if (argc == 3 && strcmp(argv[1], CALL_OP_HOT_RESET) == 0)
		n = group_count(argv[2]);
#ifndef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
	/* The caller's descriptors without close-on-exec, which posix_spawn() could not close. */
	close_range(CALL_FD_GROUPS + (unsigned int)(n > 0 ? n : 0), ~0U, 0);
#endif
	if (!go_ahead()) {
		answer = -ECANCELED; /* the caller is gone: no call nobody will hear of */
	} else if (argc == 3 && strcmp(argv[1], CALL_OP_STORE) == 0) {
		answer = store(argv[2]);
	} else if (argc == 2 && strcmp(argv[1], CALL_OP_VFIO_RESET) == 0) {
		answer = vfio_reset();
	} else if (n >= 0) {
		answer = hot_reset((size_t)n);
		n_fds += (size_t)n;
	} else {
		understood = false;
	}
	/* Closed before the answer: once the caller has it, it alone holds the device. */
	for (size_t i = 0; i < n_fds; i++)
		close(CALL_FD_TARGET + (int)i);
	if (write(CALL_FD_ANSWER, &answer, sizeof(answer)) != (ssize_t)sizeof(answer))
		return 1;
	return understood ? 0 : 2;
}
