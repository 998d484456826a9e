/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel calls that may never return, run with a deadline. A sysfs store
 * (`reset`, `unbind`) or a VFIO reset ioctl runs in the caller's context
 * until the driver is done, in uninterruptible sleep if the driver hangs. A
 * thread of our own would not do: a process cannot finish exiting while one
 * of its threads is stuck in the kernel, so the caller (a CLI, a manager
 * restarting) would hang at exit instead, with its descriptors - stdout
 * included - held open. So the call runs in a child process that keeps only
 * the descriptors it needs and a pipe for its answer; the caller waits on
 * the pipe with the deadline. A child left behind at a deadline is reaped
 * by a later call once it finishes, if it ever does.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Runs @fn(@arg) in a child process holding only the descriptors in @keep
 * (@n_keep of them, any order) and returns what it returned (0 or -errno),
 * or -ETIMEDOUT when it has not returned within @timeout_ms (< 0: no limit,
 * @fn then runs in the caller). The child closes everything before it
 * answers, so once the caller has the answer it is the only holder of its
 * descriptors again. @fn runs after fork() in a process that may have had
 * threads: system calls only (and what glibc keeps usable after fork).
 * On -ETIMEDOUT, *@ret_stuck (optional) is the pid of the process still
 * blocked in the call, for the record other processes honour (pending.h).
 */
int deadline_call(int (*fn)(void *arg), void *arg, const int *keep, size_t n_keep,
		  int timeout_ms, pid_t *ret_stuck);
