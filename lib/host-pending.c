/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's view of the pending records (pending.h): which functions a
 * stuck kernel call of another process holds, so that nothing here reads
 * their config space (it would sleep with the stuck call) or writes to them.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "device-private.h"
#include "pending.h"

#define LOG_DOMAIN "pending"

/*
 * A whole-host listing reads every function's config space: one stat per
 * this interval keeps that to a few hundred syscalls for thousands of
 * functions. Records appear just before a call starts (deadline.h): the
 * shorter the interval, the smaller the window in which a reader looked
 * before the record came and reads after the call began.
 */
#define PENDING_RECHECK_MS 1

/*
 * File timestamps advance by clock ticks (up to 10 ms with HZ=100, on
 * kernels without fine-grained timestamps): a record made in the tick of
 * a look leaves the mtime that look saw. An mtime this close to the look
 * is not trusted to say "unchanged".
 */
#define MTIME_TICK_NS (20 * 1000 * 1000LL)

static bool mtime_racy(const struct stat *st, const struct timespec *looked)
{
	long long m = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	long long l = (long long)looked->tv_sec * 1000000000LL + looked->tv_nsec;

	return m + MTIME_TICK_NS >= l;
}

static void reload(struct vfr_host *host)
{
	struct vfr_ctx *ctx = host->ctx;
	g_autofree char *dir =
		g_build_filename(vfr_ctx_get_root(ctx), "run", "vfioreset", "pending", NULL);
	GPtrArray *calls = NULL;
	struct timespec looked;
	struct stat st;
	int fd;

	host->pending_checked = g_get_monotonic_time();
	clock_gettime(CLOCK_REALTIME, &looked);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		g_clear_pointer(&host->pending, g_ptr_array_unref);
		host->pending_ino = 0;
		return;
	}
	if (host->pending && !host->pending_racy && st.st_ino == host->pending_ino &&
	    st.st_mtim.tv_sec == host->pending_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == host->pending_mtime.tv_nsec) {
		/* Same records; a call among them may have returned since. */
		for (guint i = 0; i < host->pending->len;) {
			if (pending_call_returned(host->pending->pdata[i]))
				g_ptr_array_remove_index(host->pending, i);
			else
				i++;
		}
		return;
	}
	if (pending_dir_open(ctx, false, &fd) < 0)
		return;
	if (pending_load(ctx, fd, &calls) == 0) {
		g_clear_pointer(&host->pending, g_ptr_array_unref);
		host->pending = calls;
		host->pending_ino = st.st_ino;
		host->pending_mtime = st.st_mtim;
		host->pending_racy = mtime_racy(&st, &looked);
	}
	close(fd);
}

const struct vfr_pending_call *host_pending_for(struct vfr_host *host, const char *name, bool fresh)
{
	gint64 now = g_get_monotonic_time();

	if (fresh || !host->pending_checked ||
	    now - host->pending_checked >= PENDING_RECHECK_MS * G_TIME_SPAN_MILLISECOND)
		reload(host);
	for (guint i = 0; host->pending && i < host->pending->len; i++) {
		const struct vfr_pending_call *call = host->pending->pdata[i];

		if (pending_call_holds(call, name) || pending_call_locks_config(call, name))
			return call;
	}
	for (guint i = 0; host->observed && i < host->observed->len; i++) {
		const struct vfr_pending_call *call = host->observed->pdata[i];

		if (pending_call_holds(call, name) && !pending_call_returned(call))
			return call;
	}
	return NULL;
}

static void invalidate_named(struct vfr_host *host, GPtrArray *calls)
{
	struct vfr_address addr;
	struct vfr_device *dev;

	for (guint i = 0; calls && i < calls->len; i++) {
		const struct vfr_pending_call *call = calls->pdata[i];

		if (vfr_address_parse(call->address, &addr, NULL) == 0 && (dev = host_find(host, &addr)))
			device_invalidate(dev);
	}
}

void host_pending_set_observed(struct vfr_host *host, GPtrArray *calls)
{
	if (!host->observed && (!calls || !calls->len)) {
		if (calls)
			g_ptr_array_unref(calls);
		return;
	}
	invalidate_named(host, host->observed);
	invalidate_named(host, calls);
	if (host->observed)
		g_ptr_array_unref(host->observed);
	host->observed = calls;
}
