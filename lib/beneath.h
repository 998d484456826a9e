/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one way the library opens a path below a directory it was given: the
 * sysfs of a --root tree, its dev/vfio, its run/vfioreset. Such trees are
 * input (captured hosts, bug reports, test fixtures, a directory another
 * user can write to), so whatever they contain:
 *
 * - the path never leaves the directory: no absolute path, no "..";
 * - no symbolic link is followed, at any component (sysfs links are read
 *   as text and resolved by sysfs_resolve_link(), never followed);
 * - only the kinds of file asked for are opened: a FIFO or a device node
 *   where an attribute is expected is refused before it is opened, since
 *   opening one can block for ever or act on a device.
 *
 * The kernel enforces the first two through openat2() (RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, Linux >= 5.6). Where openat2() is missing (an older
 * kernel, a seccomp filter, valgrind) the path is walked one component at a
 * time, each opened O_NOFOLLOW relative to the one before. A file that is
 * to be read or written is first opened O_PATH (which opens nothing), its
 * type checked, and then opened for real through /proc/self/fd: the same
 * inode, so nothing can be swapped in between.
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "macro.h"

/* Kinds of file beneath_open() may open (a mask). */
enum beneath_type {
	BENEATH_REG = 1u << 0,
	BENEATH_DIR = 1u << 1,
	BENEATH_CHR = 1u << 2, /* VFIO's nodes, and nothing else */
	/*
	 * Not a kind: @dirfd is on a mount that refuses to open device nodes
	 * (nodev, as sysfs always is). Then a file is opened directly, never
	 * leaving that mount (RESOLVE_NO_XDEV), without waiting (O_NONBLOCK),
	 * and its type checked after: nothing there can act on a device, and a
	 * FIFO opened so neither waits nor is used. Where openat2() is
	 * missing the flag is ignored.
	 */
	BENEATH_NODEV = 1u << 8,
};

/*
 * Opens @relpath below @dirfd with @flags (O_CLOEXEC is added; O_CREAT
 * takes @mode and creates a regular file) when it is one of @types.
 * With @dirfd AT_FDCWD and an absolute @relpath, the path is trusted but
 * for its last component (the host's own /sys, /dev/vfio, /run/vfioreset,
 * which a path-redirecting harness also sees by name): that component is
 * not followed if it is a link, and the type rules hold.
 * Returns the fd, or -errno: -EXDEV (absolute, or ".." in the path),
 * -ELOOP (a symbolic link on the way), -EMEDIUMTYPE (not one of @types:
 * a FIFO, a socket, a device node, a directory where a file was asked
 * for), or the open's own error.
 */
int beneath_open(int dirfd, const char *relpath, int flags, mode_t mode, unsigned int types)
	_must_check_;

/* The stat of @relpath below @dirfd, under the same rules; a symlink anywhere is -ELOOP. */
int beneath_stat(int dirfd, const char *relpath, struct stat *ret) _nonnull_(3) _must_check_;

/*
 * Pure: @name is one path component a caller may put into a path: not
 * empty, not "." or "..", no '/', no control characters, shorter than
 * NAME_MAX. Driver names, record names and node names are checked with it.
 */
bool beneath_name_valid(const char *name);

/*
 * Pure: the entries of directory @st cannot change kind under the caller:
 * only its owner (root, or the caller's own user) may write to it (the
 * group bits of the mode are the ACL mask, so no named entry may either).
 * A type read from such a directory's listing (d_type) holds until the
 * caller itself, or root, changes the directory.
 */
bool beneath_dir_trusted(const struct stat *st);

/*
 * Opens entry @name of the directory @dirfd, whose listing says it is of
 * kind @d_type (DT_REG, DT_DIR, ... or DT_UNKNOWN), for reading.
 * @dirfd was itself opened by beneath_open(), and @name is one component
 * (beneath_name_valid()): it cannot lead out of @dirfd, and O_NOFOLLOW
 * refuses it when it is a link. When @dir_trusted (beneath_dir_trusted())
 * and the listing says DT_REG, the kind cannot have changed since, so the
 * file is opened directly: one call, no reopen. A listed link is -ELOOP
 * and any other kind -EMEDIUMTYPE, without an open; DT_UNKNOWN or an
 * untrusted directory take beneath_open() with @types.
 */
int beneath_open_entry(int dirfd, const char *name, unsigned char d_type, bool dir_trusted,
		       int flags, unsigned int types);

/*
 * For tests: walk component by component as if openat2() did not exist.
 * Process-wide.
 */
void beneath_set_openat2_disabled(bool disabled);
