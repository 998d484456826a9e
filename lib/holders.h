/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds a function's VFIO nodes open: the processes the kernel waits for
 * when the function is unbound from its vfio driver (the unbind blocks until
 * every user closed the device), so they are named before anything is
 * written.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <glib.h>

#include "internal.h"

struct vfr_device;

/*
 * The pids (sorted; g_free the array) of processes other than the caller
 * that hold @dev's /dev/vfio/GROUP or /dev/vfio/devices/vfioN open, found by
 * comparing st_dev/st_ino of every /proc/PID/fd entry with those nodes under
 * the context's root. A function without such nodes has no holders (0, an
 * empty list). Processes whose fds cannot be inspected (other users') are
 * skipped; how many is given by holders_find_full().
 */
int holders_find(struct vfr_device *dev, pid_t **ret_pids, size_t *ret_n,
		 struct vfr_error **reterr);

/*
 * For @n functions at once, in one pass over /proc: ret_pids[k] (a GArray
 * of pid_t, sorted; g_array_unref each) for devs[k]. @ret_uninspectable
 * (optional) counts the processes that could not be inspected.
 */
int holders_find_many(struct vfr_device *const *devs, size_t n, GArray **ret_pids,
		      size_t *ret_uninspectable, struct vfr_error **reterr);

/* The same, and @ret_uninspectable (optional) counts the processes skipped. */
int holders_find_full(struct vfr_device *dev, pid_t **ret_pids, size_t *ret_n,
		      size_t *ret_uninspectable, struct vfr_error **reterr);

/* Pure: "1234, 5678 and 2 processes that could not be inspected". g_free the result. */
char *holders_describe(const pid_t *pids, size_t n, size_t uninspectable);
