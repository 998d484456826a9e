/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-context log sink. Messages reach the callback already formatted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "internal.h"

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
