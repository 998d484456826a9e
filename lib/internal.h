/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every file of the library shares: the context, logging, errors. */
#pragma once

#define VFIORESET_COMPILATION
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>

#include <vfioreset/vfioreset.h>

#include "macro.h"

#define VFR_EXPORT __attribute__((visibility("default")))

/* Public entry points check their arguments instead of crashing. */
#define assert_return(expr, r)                                                          \
	do {                                                                            \
		if (__builtin_expect(!(expr), 0))                                       \
			return (r);                                                     \
	} while (0)

struct pciconf;
struct modindex;

/*
 * ctx.c: what the library reads of its context (struct vfr_ctx is private
 * to ctx.c). The sysfs directory ROOT/sys every sysfs path is resolved
 * from, -1 when the root has none; then why it is -1 (-ENOENT, -ELOOP for
 * a link, ...).
 */
int ctx_get_sys_fd(const struct vfr_ctx *ctx) _must_check_;
int ctx_get_sys_error(const struct vfr_ctx *ctx) _must_check_;
/* ROOT/sys is on a mount that cannot open device nodes (sysfs always is): see BENEATH_NODEV. */
bool ctx_sys_is_nodev(const struct vfr_ctx *ctx);
/* ROOT/sys is the kernel's sysfs, whose entries only the kernel makes: its directories are trusted. */
bool ctx_sys_is_sysfs(const struct vfr_ctx *ctx);
/* A listing of a directory below ROOT/sys ends with the first reply that left room (sysfs.h). */
bool ctx_sys_listing_fills(const struct vfr_ctx *ctx);
/* The root directory (O_PATH) everything below it is opened from; -1 when it is the host's "/". */
int ctx_get_root_fd(const struct vfr_ctx *ctx) _must_check_;

/* ctx.c: the log sink */
void ctx_log(const struct vfr_ctx *ctx, int priority, const char *domain, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int log_priority_from_string(const char *text) _must_check_;

/* Checks the priority before formatting anything. LOG_DOMAIN is per file. */
#define vfr_log_cond(ctx, prio, ...)                                                    \
	do {                                                                            \
		const struct vfr_ctx *_c = (ctx);                                       \
		if (_c && (prio) <= vfr_ctx_get_log_priority(_c))                       \
			ctx_log(_c, (prio), LOG_DOMAIN, __VA_ARGS__);                    \
	} while (0)
#define vfr_dbg(ctx, ...) vfr_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)
#define vfr_info(ctx, ...) vfr_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define vfr_notice(ctx, ...) vfr_log_cond(ctx, LOG_NOTICE, __VA_ARGS__)
#define vfr_warn(ctx, ...) vfr_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define vfr_err(ctx, ...) vfr_log_cond(ctx, LOG_ERR, __VA_ARGS__)

/* vfio-pci or a variant: the function's user space API is VFIO. */
static inline bool driver_type_is_vfio(enum vfr_driver_type type)
{
	return type == VFR_DRIVER_VFIO_PCI || type == VFR_DRIVER_VFIO_VARIANT;
}

/*
 * error.c: fills *reterr (when reterr is not NULL) and returns code, so a
 * failure path reads `return error_set(reterr, -ENODEV, name, "...")`.
 * @code must be negative; @address may be NULL.
 */
int error_set(struct vfr_error **reterr, int code, const char *address, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int ctx_get_pciconf(struct vfr_ctx *ctx, struct pciconf **ret) _must_check_;

/*
 * Opens ROOT/@rel ("sys", "dev/vfio/12", "run/vfioreset") by beneath_open()'s
 * rules: nothing below the root is followed if it is a link, only @types
 * are opened. The host's own root is trusted above the last component and
 * opened by absolute path (which a path-redirecting harness sees); any
 * other root is walked from its descriptor. Returns a fd or -errno.
 */
int ctx_open(const struct vfr_ctx *ctx, const char *rel, int flags, mode_t mode,
	     unsigned int types) _must_check_;
/* The stat of ROOT/@rel by the same rules. */
int ctx_stat(const struct vfr_ctx *ctx, const char *rel, struct stat *ret) _must_check_;
/* The module index; on failure @ret_why points at the sentence saying why. */
int ctx_get_modindex(struct vfr_ctx *ctx, struct modindex **ret, const char **ret_why) _must_check_;
