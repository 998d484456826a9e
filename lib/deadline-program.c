/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where vfioreset-call is. The installed library runs the installed program
 * (LIBEXECDIR/vfioreset/vfioreset-call, compiled in). A library loaded from
 * anywhere else - the build tree, where tests, scripts/run and a
 * build/tools/vfioreset run by hand find it, or a copy such as the VM
 * suite's initramfs - runs the program beside it when there is one: the two
 * are built together, and whoever can replace that program could replace
 * the library too. $VFIORESET_CALL overrides both; it is read with
 * secure_getenv(), so a set-uid program cannot be pointed elsewhere.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "deadline-protocol.h"
#include "deadline.h"

/* By inode: /lib may be a link to /usr/lib. */
static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int set_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s%s%s", dir, name ? "/" : "", name ? name : "");

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int executable(const char *path)
{
	return access(path, X_OK) < 0 ? -errno : 0;
}

/* The directory of the file the library was loaded from, into @buf; false when unknown. */
static bool library_dir(char *buf, size_t size)
{
	Dl_info info;
	const char *slash;

	if (!dladdr((void *)library_dir, &info) || !info.dli_fname ||
	    !(slash = strrchr(info.dli_fname, '/')) || (size_t)(slash - info.dli_fname) >= size)
		return false;
	memcpy(buf, info.dli_fname, (size_t)(slash - info.dli_fname));
	buf[slash - info.dli_fname] = '\0';
	return buf[0] != '\0';
}

int deadline_program_path(char *buf, size_t size)
{
	const char *env = secure_getenv(CALL_ENV);
	char dir[PATH_MAX];
	int r;

	if (env && *env) {
		r = set_path(buf, size, env, NULL);
		return r < 0 ? r : executable(buf);
	}
	if (library_dir(dir, sizeof(dir)) && !same_dir(dir, VFIORESET_LIBDIR) &&
	    set_path(buf, size, dir, CALL_PROGRAM) == 0 && executable(buf) == 0)
		return 0;
	r = set_path(buf, size, VFIORESET_CALL_PATH, NULL);
	return r < 0 ? r : executable(buf);
}

int deadline_check(struct vfr_error **reterr)
{
	char path[PATH_MAX];
	int r = deadline_program_path(path, sizeof(path));

	if (r < 0)
		return error_set(reterr, r, NULL,
				 "%s cannot be run (%s): it makes the kernel calls that have a "
				 "deadline; install it, or set %s to where it is",
				 path, strerror(-r), CALL_ENV);
	return 0;
}
