/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel calls that may never return, run with a deadline. A sysfs store
 * (`reset`, `unbind`, `bind`, `drivers_probe`) or a VFIO reset ioctl runs
 * in the caller's context until the driver is done, in uninterruptible
 * sleep if the driver hangs.
 *
 * A thread of our own would not do: a process cannot finish exiting while
 * one of its threads is stuck in the kernel, so the caller (a CLI, a
 * manager restarting) would hang at exit instead, with its descriptors -
 * stdout included - held open. A fork() of the caller would not do either:
 * a VMM's resident set is its guest's memory, fork() copies its page tables
 * (about 29 ms per GiB with 4 KiB pages, before the clock even reaches the
 * call), and a child left stuck keeps every page of the caller
 * copy-on-write for as long as it is stuck, so each page the caller writes
 * afterwards is copied. (A forked child of a threaded program may also
 * call only async-signal-safe functions.)
 *
 * So each call runs in a small program of its own, vfioreset-call
 * (deadline-protocol.h), started with posix_spawn(): vfork semantics, then
 * exec, so no page table is copied whatever the caller's size, and one left
 * stuck holds only its own memory (about a megabyte). What runs between the
 * spawn and the exec is glibc's own async-signal-safe code: the placing of
 * the descriptors the call needs at fixed numbers, /dev/null on 0-2, and
 * the closing of everything else (the library opens its own files
 * close-on-exec, but libpci opens config space without it while it reads,
 * and the caller's own descriptors need not have it). The answer
 * comes back on a pipe, which the caller polls with the deadline. A program
 * left behind at a deadline is reaped by a later call once it finishes, if
 * it ever does.
 *
 * Where the program is (deadline-program.c): $VFIORESET_CALL when set
 * (ignored in set-uid processes); else, when the library is not the
 * installed one, vfioreset-call beside it (the build tree, a copy as in the
 * VM suite's initramfs); else the installed LIBEXECDIR/vfioreset/vfioreset-call.
 * A missing program is an error naming the path, never a fallback to fork().
 *
 * System calls, for a seccomp filter (doc/deadline.md lists them with the
 * program's own start-up and call): in the caller, access and newfstatat
 * (finding the program), pipe2, openat (/dev/null), fcntl, prlimit64
 * (glibc checks each placed descriptor against RLIMIT_NOFILE), mmap and
 * munmap (glibc's stack for the spawned child), rt_sigprocmask, clone3 or
 * clone with CLONE_VM|CLONE_VFORK, write (the go-ahead), poll, read, wait4
 * and close; in the
 * spawned child until the exec, rt_sigprocmask, rt_sigaction, dup2,
 * close_range and execve (exit_group if it fails). A filter can answer
 * clone3 with ENOSYS: glibc then uses clone, whose flags a filter can check,
 * so that fork()'s clone stays refused.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "internal.h"

/*
 * The three calls, each in a vfioreset-call of its own, waited for at most
 * @timeout_ms (>= 0; counted from the call, the spawn included). Each
 * returns the call's 0 or -errno; -ETIMEDOUT when it has not answered by
 * then (its outcome is unknown, and *@ret_stuck, when given, is set to
 * the pid of the process still in the kernel, for the record other
 * processes honour (pending.h); a later call reaps it); -EIO when the program died without answering (killed: the outcome
 * is unknown too); or the spawn's -errno (-ENOENT: no program).
 */
int deadline_store(int fd, const char *text, int timeout_ms, pid_t *ret_stuck) _must_check_;
int deadline_vfio_reset(int device_fd, int timeout_ms, pid_t *ret_stuck) _must_check_;
/* @n group fds for a group-opened device; none (@n 0) for a cdev. */
int deadline_vfio_hot_reset(int device_fd, const int *group_fds, size_t n, int timeout_ms,
			    pid_t *ret_stuck) _must_check_;

/*
 * Who else must know of a call before it starts. A caller killed while its
 * call is in the kernel, or one still waiting for it, leaves the call
 * blocking every reader of the function's config space, and only a record
 * (pending.h) tells other processes why. So the program, once spawned,
 * waits for a go-ahead byte on its stdin; @announce runs between the spawn
 * and that byte, with the program's pid, to write the record. If the
 * caller dies before the byte, the program reads EOF and makes no call.
 * Per thread: set before a call, cleared (NULL) after it.
 */
struct deadline_announce {
	void (*started)(pid_t pid, void *data);
	void *data;
};
void deadline_announce_set(const struct deadline_announce *announce);

/* How long the posix_spawn() of a call took, for bench/bench-deadline.c. */
struct deadline_timing {
	int64_t spawn_ns;
};
int deadline_store_timed(int fd, const char *text, int timeout_ms, pid_t *ret_stuck,
			 struct deadline_timing *ret_timing) _must_check_;

/*
 * deadline-program.c: the path of vfioreset-call (as above) into @buf; 0
 * when it can be executed, else -errno (the path is filled in all the same,
 * for the message), -ENAMETOOLONG when it does not fit.
 */
int deadline_program_path(char *buf, size_t size) _must_check_;

/*
 * Whether deadline calls can run at all: 0, or -errno with *@reterr a
 * sentence naming the missing program; for the operations to refuse before
 * they change anything.
 */
int deadline_check(struct vfr_error **reterr) _must_check_;
