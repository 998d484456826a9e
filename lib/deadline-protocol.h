/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What libvfioreset (deadline.c) and vfioreset-call (vfioreset-call.c) agree
 * on. The request is the command line; the descriptors it needs arrive at
 * fixed numbers; the answer is one int on a pipe:
 *
 *   vfioreset-call store TEXT      write(4, TEXT): one sysfs store
 *   vfioreset-call vfio-reset      ioctl(4, VFIO_DEVICE_RESET)
 *   vfioreset-call hot-reset N     ioctl(4, VFIO_DEVICE_PCI_HOT_RESET) with the
 *                                  N group fds 5 .. 5+N-1 (N = 0: a cdev)
 *
 * Descriptor 0 is the go-ahead pipe: the program reads one byte before the
 * call, and makes no call (answer -ECANCELED) when it reads EOF instead - the
 * caller died before it said go (deadline.h, deadline_announce). 1-2 are
 * /dev/null, 3 is the answer pipe, nothing above the
 * last placed one is open. The answer is 0 or -errno, written once the
 * call returned and every placed descriptor but the pipe is closed, so a
 * caller that has the answer is again the only holder of its files.
 */
#pragma once

#define CALL_PROGRAM "vfioreset-call"
#define CALL_ENV "VFIORESET_CALL"

#define CALL_FD_ANSWER 3
#define CALL_FD_TARGET 4
#define CALL_FD_GROUPS 5

#define CALL_OP_STORE "store"
#define CALL_OP_VFIO_RESET "vfio-reset"
#define CALL_OP_HOT_RESET "hot-reset"

/* More group fds than a hot reset can need (a bus holds 256 functions). */
#define CALL_MAX_GROUPS 256
