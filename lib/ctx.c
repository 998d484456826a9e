/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library context: the root directory and the log sink. */
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <glib.h>
#include <linux/magic.h>

#include "beneath.h"
#include "config.h"
#include "internal.h"
#include "modindex.h"
#include "pciconf.h"
#include "sysfs.h"

#define LOG_DOMAIN "ctx"

struct vfr_ctx {
	int refcount;
	/*
	 * ROOT/sys (ctx_open()); every sysfs path is resolved from this fd. -1
	 * when the root has no sys directory.
	 */
	int sys_fd;
	int sys_error; /* why sys_fd is -1: -ENOENT, -ELOOP (a link), ... */
	/* sys is on a mount that cannot open device nodes (sysfs always is): see BENEATH_NODEV. */
	bool sys_nodev;
	/* sys is the kernel's sysfs: only the kernel makes or replaces its entries. */
	bool sys_is_sysfs;
	/* One getdents64() reply that left room for another entry was the last (sysfs_list_kinds()). */
	bool sys_listing_fills;
	/* The root (O_PATH) everything below it is opened from; -1 when it is the host's "/". */
	int root_fd;
	char *root;
	int log_priority;
	void (*log_fn)(void *userdata, int priority, const char *domain, const char *message);
	void *log_userdata;
	struct pciconf *pciconf; /* libpci access, made on first use */
	char *modules_dir;       /* set by the caller, or ROOT/lib/modules/RELEASE */
	struct modindex *modindex; /* libkmod index, made on first use */
	int modindex_error;        /* its failure, kept so it is not retried per function */
	char modindex_why[320];
};

static const char *const priority_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

/* "err", "warning", "info", "debug", "error", "warn" or a number 0..7; -1 if neither. */
int log_priority_from_string(const char *text)
{
	char *end;
	long n;

	if (!text || !*text)
		return -1;
	n = strtol(text, &end, 10);
	if (*end == '\0')
		return (n >= LOG_EMERG && n <= LOG_DEBUG) ? (int)n : -1;
	for (size_t i = 0; i < G_N_ELEMENTS(priority_names); i++)
		if (strcasecmp(text, priority_names[i]) == 0)
			return (int)i;
	if (strcasecmp(text, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(text, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

void ctx_log(const struct vfr_ctx *ctx, int priority, const char *domain, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);

	if (ctx->log_fn) {
		ctx->log_fn(ctx->log_userdata, priority, domain, msg);
		return;
	}
	fprintf(stderr, "vfioreset: %s: %s\n",
		priority >= 0 && priority <= LOG_DEBUG ? priority_names[priority] : "?", msg);
}

/* The host's own "/" (however it was spelled): its directories are trusted. */
static bool is_host_root(int fd)
{
	struct stat st, slash;

	return fstat(fd, &st) == 0 && stat("/", &slash) == 0 && st.st_dev == slash.st_dev &&
	       st.st_ino == slash.st_ino;
}

int ctx_open(const struct vfr_ctx *ctx, const char *rel, int flags, mode_t mode,
	     unsigned int types)
{
	g_autofree char *abs = NULL;

	if (ctx->root_fd >= 0)
		return beneath_open(ctx->root_fd, rel, flags, mode, types);
	abs = g_strconcat("/", rel, NULL);
	return beneath_open(AT_FDCWD, abs, flags, mode, types);
}

int ctx_stat(const struct vfr_ctx *ctx, const char *rel, struct stat *ret)
{
	int fd = ctx_open(ctx, rel, O_PATH, 0, BENEATH_REG | BENEATH_DIR | BENEATH_CHR);
	int r = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, ret) < 0)
		r = -errno;
	close(fd);
	return r;
}

VFR_EXPORT int vfr_ctx_new(const char *root, struct vfr_ctx **ret_ctx, struct vfr_error **reterr)
{
	struct vfr_ctx *ctx;
	const char *env;
	int fd, r;

	assert_return(ret_ctx, -EINVAL);

	/*
	 * An empty root given on purpose is a mistake (an unset shell variable
	 * in `--root "$DIR"`), never the host: refused. The variable set to ""
	 * is unset, as environment variables go.
	 */
	if (root && !*root)
		return error_set(reterr, -EINVAL, NULL,
				 "the root directory is an empty string (for the host itself, "
				 "give /)");
	if (!root)
		root = secure_getenv("VFIORESET_ROOT");
	if (!root || !*root)
		root = "/";

	r = sysfs_open_root(root, &fd);
	if (r < 0)
		return error_set(reterr, r, NULL, "cannot open root directory '%s': %s", root,
				 g_strerror(-r));

	ctx = g_new0(struct vfr_ctx, 1);
	ctx->refcount = 1;
	ctx->root_fd = -1;
	if (!is_host_root(fd))
		ctx->root_fd = fd;
	else
		close(fd);
	ctx->root = g_strdup(root);
	/* A root without sys is valid (a /dev-only tree); scanning it says what is missing. */
	ctx->sys_fd = ctx_open(ctx, "sys", O_PATH | O_DIRECTORY, 0, BENEATH_DIR);
	if (ctx->sys_fd < 0) {
		ctx->sys_error = ctx->sys_fd;
		ctx->sys_fd = -1;
	} else {
		struct statfs fs;

		if (fstatfs(ctx->sys_fd, &fs) == 0) {
			ctx->sys_nodev = fs.f_flags & ST_NODEV;
			ctx->sys_is_sysfs = fs.f_type == SYSFS_MAGIC;
			/*
			 * kernfs and the dcache-backed tmpfs/ramfs fill a reply until an
			 * entry does not fit; other filesystems (FUSE, NFS) may return
			 * less, so only there is the end asked for once more.
			 */
			ctx->sys_listing_fills = fs.f_type == SYSFS_MAGIC ||
						 fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC;
		}
	}
	ctx->log_priority = LOG_ERR;
	env = secure_getenv("VFIORESET_LOG");
	if (env) {
		int prio = log_priority_from_string(env);

		if (prio >= 0)
			ctx->log_priority = prio;
	}
	vfr_dbg(ctx, "context created, root %s", ctx->root);
	*ret_ctx = ctx;
	return 0;
}

VFR_EXPORT struct vfr_ctx *vfr_ctx_ref(struct vfr_ctx *ctx)
{
	assert_return(ctx, NULL);
	ctx->refcount++;
	return ctx;
}

VFR_EXPORT struct vfr_ctx *vfr_ctx_unref(struct vfr_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return NULL;
	if (ctx->pciconf)
		pciconf_free(ctx->pciconf);
	modindex_free(ctx->modindex);
	g_free(ctx->modules_dir);
	if (ctx->sys_fd >= 0)
		close(ctx->sys_fd);
	if (ctx->root_fd >= 0)
		close(ctx->root_fd);
	g_free(ctx->root);
	g_free(ctx);
	return NULL;
}

VFR_EXPORT const char *vfr_ctx_get_root(const struct vfr_ctx *ctx)
{
	assert_return(ctx, NULL);
	return ctx->root;
}

VFR_EXPORT void vfr_ctx_set_log_fn(struct vfr_ctx *ctx,
				   void (*fn)(void *userdata, int priority, const char *domain,
					      const char *message),
				   void *userdata)
{
	if (!ctx)
		return;
	ctx->log_fn = fn;
	ctx->log_userdata = userdata;
}

VFR_EXPORT void vfr_ctx_set_log_priority(struct vfr_ctx *ctx, int priority)
{
	if (!ctx || priority < LOG_EMERG || priority > LOG_DEBUG)
		return;
	ctx->log_priority = priority;
}

VFR_EXPORT int vfr_ctx_get_log_priority(const struct vfr_ctx *ctx)
{
	assert_return(ctx, -EINVAL);
	return ctx->log_priority;
}

VFR_EXPORT const char *vfr_version(void)
{
	return VFIORESET_VERSION;
}

/* libpci is only set up when config space is first needed. */
int ctx_get_pciconf(struct vfr_ctx *ctx, struct pciconf **ret)
{
	if (!ctx->pciconf) {
		int r = pciconf_new(ctx, &ctx->pciconf);

		if (r < 0)
			return r;
	}
	*ret = ctx->pciconf;
	return 0;
}

VFR_EXPORT int vfr_ctx_set_modules_dir(struct vfr_ctx *ctx, const char *dir)
{
	assert_return(ctx, -EINVAL);
	g_free(ctx->modules_dir);
	ctx->modules_dir = g_strdup(dir);
	g_clear_pointer(&ctx->modindex, modindex_free);
	ctx->modindex_error = 0;
	return 0;
}

VFR_EXPORT const char *vfr_ctx_get_modules_dir(struct vfr_ctx *ctx)
{
	struct utsname u;

	assert_return(ctx, NULL);
	if (!ctx->modules_dir) {
		/* The running kernel's: a tree under another root still names its modules by it. */
		if (uname(&u) < 0)
			g_strlcpy(u.release, "unknown", sizeof(u.release));
		ctx->modules_dir = g_build_filename(ctx->root, "lib", "modules", u.release, NULL);
	}
	return ctx->modules_dir;
}

int ctx_get_modindex(struct vfr_ctx *ctx, struct modindex **ret, const char **ret_why)
{
	if (!ctx->modindex && !ctx->modindex_error)
		ctx->modindex_error = modindex_new(ctx, vfr_ctx_get_modules_dir(ctx), &ctx->modindex,
						   ctx->modindex_why, sizeof(ctx->modindex_why));
	if (ctx->modindex_error) {
		*ret_why = ctx->modindex_why;
		return ctx->modindex_error;
	}
	*ret = ctx->modindex;
	return 0;
}

int ctx_get_sys_fd(const struct vfr_ctx *ctx)
{
	return ctx->sys_fd;
}

int ctx_get_sys_error(const struct vfr_ctx *ctx)
{
	return ctx->sys_error;
}

bool ctx_sys_is_nodev(const struct vfr_ctx *ctx)
{
	return ctx->sys_nodev;
}

bool ctx_sys_is_sysfs(const struct vfr_ctx *ctx)
{
	return ctx->sys_is_sysfs;
}

bool ctx_sys_listing_fills(const struct vfr_ctx *ctx)
{
	return ctx->sys_listing_fills;
}

int ctx_get_root_fd(const struct vfr_ctx *ctx)
{
	return ctx->root_fd;
}
