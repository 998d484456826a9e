/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

/**
 * struct vfr_ctx:
 *
 * The library context: the root directory every path is taken relative to,
 * and the log sink. Reference counted. A context and the objects made from it
 * are not thread-safe; separate contexts may be used from separate threads.
 */
struct vfr_ctx;

/**
 * vfr_ctx_new:
 * @root: (nullable): the directory that stands for "/" — `/sys`, `/dev` and
 *        `/lib/modules` are looked up below it. NULL means the environment
 *        variable VFIORESET_ROOT when set (read with secure_getenv), else "/".
 * @ret_ctx: (out): a new context with one reference; untouched on failure.
 * @reterr: (out) (optional): set only on failure.
 *
 * Opens @root once; every later path is resolved relative to that directory.
 * The log priority starts at LOG_ERR, or at VFIORESET_LOG when set
 * ("err", "warning", "notice", "info", "debug" or a syslog number).
 *
 * Returns: 0, -ENOENT / -ENOTDIR / -EACCES when @root cannot be opened,
 *          -EINVAL for NULL @ret_ctx.
 * Since: 0.1
 */
int vfr_ctx_new(const char *root, struct vfr_ctx **ret_ctx, struct vfr_error **reterr);

/** vfr_ctx_ref: Returns: @ctx. Since: 0.1 */
struct vfr_ctx *vfr_ctx_ref(struct vfr_ctx *ctx);

/** vfr_ctx_unref: drops a reference; NULL is accepted. Returns: NULL. Since: 0.1 */
struct vfr_ctx *vfr_ctx_unref(struct vfr_ctx *ctx);

/**
 * vfr_ctx_get_root:
 * Returns: (transfer none): the root directory as given (or "/").
 * Since: 0.1
 */
const char *vfr_ctx_get_root(const struct vfr_ctx *ctx);

/**
 * vfr_ctx_set_log_fn:
 * @fn: (nullable): receives every message at or above the log priority,
 *      already formatted and without a trailing newline. @priority is a
 *      syslog level (LOG_ERR .. LOG_DEBUG); @domain names the library module
 *      ("scan", "pciconf", ...). NULL restores the default sink (stderr).
 * @userdata: passed to @fn unchanged.
 * Since: 0.1
 */
void vfr_ctx_set_log_fn(struct vfr_ctx *ctx,
			void (*fn)(void *userdata, int priority, const char *domain,
				   const char *message),
			void *userdata);

/** vfr_ctx_set_log_priority: a syslog level; messages above it are dropped. Since: 0.1 */
void vfr_ctx_set_log_priority(struct vfr_ctx *ctx, int priority);

/** vfr_ctx_get_log_priority: Returns: the current syslog level. Since: 0.1 */
int vfr_ctx_get_log_priority(const struct vfr_ctx *ctx);

/**
 * vfr_ctx_set_modules_dir:
 * @dir: (nullable): the directory holding modules.alias.bin for the kernel
 *       in question; NULL restores the default, ROOT/lib/modules/RELEASE
 *       with RELEASE from uname(2).
 * Returns: 0, -EINVAL for a NULL @ctx.
 * Since: 0.1
 */
int vfr_ctx_set_modules_dir(struct vfr_ctx *ctx, const char *dir);

/** vfr_ctx_get_modules_dir: Returns: (transfer none): the directory in use. Since: 0.1 */
const char *vfr_ctx_get_modules_dir(struct vfr_ctx *ctx);

/** vfr_version: Returns: the library version, e.g. "0.1.0". Since: 0.1 */
const char *vfr_version(void);

static inline void vfr_ctx_unrefp(struct vfr_ctx **p)
{
	if (*p)
		vfr_ctx_unref(*p);
}

VFR_END_DECLS
