/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Records of kernel calls left pending at a deadline (pending.h says why).
 * One key file per function, ROOT/run/vfioreset/pending/ADDR:
 *
 *   [pending]
 *   address=0000:01:10.0
 *   operation=reset
 *   method=flr
 *   affected=0000:01:10.0;
 *   pid=4242
 *   pid_start=1234567
 *   since=1796588467
 *   reset_method=flr
 *
 * written by rename(), so a reader sees a whole record or none.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pending.h"
#include "reset-exec.h"
#include "state-dir.h"
#include "sysfs.h"

#define LOG_DOMAIN "pending"
#define GROUP "pending"
#define RECORD_MAX 16384

void pending_call_free(struct vfr_pending_call *call)
{
	if (!call)
		return;
	g_free(call->address);
	g_free(call->operation);
	g_free(call->method);
	g_strfreev(call->affected);
	g_strfreev(call->config_locked);
	g_free(call->reset_method);
	g_free(call->message);
	g_free(call->observed);
	g_free(call);
}

struct vfr_pending_call *pending_call_dup(const struct vfr_pending_call *call)
{
	struct vfr_pending_call *copy = g_new0(struct vfr_pending_call, 1);

	*copy = *call;
	copy->address = g_strdup(call->address);
	copy->operation = g_strdup(call->operation);
	copy->method = g_strdup(call->method);
	copy->affected = g_strdupv(call->affected);
	copy->config_locked = g_strdupv(call->config_locked);
	copy->reset_method = g_strdup(call->reset_method);
	copy->message = NULL;
	copy->observed = g_strdup(call->observed);
	return copy;
}

struct vfr_pending_call *pending_call_observed(const char *name, pid_t pid)
{
	struct vfr_pending_call *call = g_new0(struct vfr_pending_call, 1);
	const char *const names[] = { name, NULL };

	call->address = g_strdup(name);
	call->operation = g_strdup("unknown");
	call->affected = g_strdupv((char **)names);
	call->config_locked = g_strdupv((char **)names);
	call->pid = pid;
	/* Its start time tells pending_call_returned() when it is over. */
	(void)pending_process_start(pid, &call->pid_start);
	call->observed = g_strdup_printf(
		"process %ld is asleep in the kernel with the reset or config file of %s open "
		"(state D): a reset may be pending there, and a reset or config read of it "
		"could hang as well", (long)pid, name);
	return call;
}

bool pending_call_locks_config(const struct vfr_pending_call *call, const char *name)
{
	return call->config_locked &&
	       g_strv_contains((const char *const *)call->config_locked, name);
}

bool pending_call_holds(const struct vfr_pending_call *call, const char *name)
{
	if (call->address && strcmp(call->address, name) == 0)
		return true;
	return call->affected && g_strv_contains((const char *const *)call->affected, name);
}

char *pending_call_describe(const struct vfr_pending_call *call)
{
	char when[64] = "an unknown time";
	time_t t = (time_t)call->since;
	struct tm tm;

	if (call->observed)
		return g_strdup(call->observed);
	if (call->since > 0 && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (call->method)
		return g_strdup_printf("a %s (%s) of %s has been pending in the kernel since %s "
				       "(pid %ld)", call->operation, call->method, call->address, when,
				       (long)call->pid);
	return g_strdup_printf("a write to %s of %s has been pending in the kernel since %s "
			       "(pid %ld)", call->operation, call->address, when, (long)call->pid);
}

int proc_stat_read(int dirfd, const char *path, char *ret_state, uint64_t *ret_start)
{
	char buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* "PID (COMM) S ...": COMM may hold anything, so fields count from its last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -ESRCH;
	p += 2;
	*ret_state = *p;
	/* The state is field 3, starttime field 22. */
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (ret_start && (!p || sscanf(p, "%llu", &start) != 1))
		return -ESRCH;
	if (ret_start)
		*ret_start = start;
	return 0;
}

int pending_process_start(pid_t pid, uint64_t *ret_start)
{
	char path[64], state;
	int r;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	r = proc_stat_read(AT_FDCWD, path, &state, ret_start);
	if (r < 0)
		return r;
	/* Its call returned; the process is only waiting to be reaped. */
	return state == 'Z' || state == 'X' ? -ESRCH : 0;
}

int pending_record(int pending_fd, struct vfr_pending_call *call, pid_t pid)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *text = NULL;
	gsize len;

	call->pid = pid;
	if (pending_process_start(pid, &call->pid_start) < 0)
		call->pid_start = 0; /* returned meanwhile: the record is stale at once, and harmless */
	call->since = (int64_t)time(NULL);

	g_key_file_set_string(kf, GROUP, "address", call->address);
	g_key_file_set_string(kf, GROUP, "operation", call->operation);
	if (call->method)
		g_key_file_set_string(kf, GROUP, "method", call->method);
	g_key_file_set_string_list(kf, GROUP, "affected", (const char *const *)call->affected,
				   g_strv_length(call->affected));
	if (call->config_locked)
		g_key_file_set_string_list(kf, GROUP, "config_locked",
					   (const char *const *)call->config_locked,
					   g_strv_length(call->config_locked));
	g_key_file_set_int64(kf, GROUP, "pid", call->pid);
	g_key_file_set_uint64(kf, GROUP, "pid_start", call->pid_start);
	g_key_file_set_int64(kf, GROUP, "since", call->since);
	if (call->reset_method)
		g_key_file_set_string(kf, GROUP, "reset_method", call->reset_method);
	text = g_key_file_to_data(kf, &len, NULL);

	/* Atomic, 0600, never through a link (state-dir.h). */
	return state_file_write(pending_fd, call->address, text, len);
}

int pending_dir_open(const struct vfr_ctx *ctx, bool create, int *ret_fd)
{
	/*
	 * Private, as the whole state directory is: only the user the library
	 * runs as (root, managing devices) reads and honours the records.
	 */
	return state_subdir_open(ctx, "pending", create, ret_fd, NULL);
}

/* Parses record @name; -EIO when it is not one (the caller says so). */
static int parse_record(int dirfd, const char *name, struct vfr_pending_call **ret, char *why,
			size_t why_size)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(pending_call_t) call = g_new0(struct vfr_pending_call, 1);
	g_autoptr(GError) error = NULL;
	g_autofree char *buf = NULL;
	struct vfr_address addr;
	size_t n = 0;
	int r;

	/* A link, a FIFO, a device or another user's file under the name: not read (state-dir.h). */
	r = state_file_read(dirfd, name, RECORD_MAX - 1, &buf, &n);
	if (r < 0) {
		snprintf(why, why_size, "%s", r == -EFBIG ? "larger than a record can be"
					     : r == -EPERM ? "it belongs to another user"
					     : r == -ELOOP || r == -EMEDIUMTYPE ? "not a regular file"
									      : g_strerror(-r));
		return r == -ENOENT ? r : -EIO;
	}
	if (!g_key_file_load_from_data(kf, buf, (gsize)n, G_KEY_FILE_NONE, &error)) {
		snprintf(why, why_size, "%s", error->message);
		return -EIO;
	}
	call->address = g_key_file_get_string(kf, GROUP, "address", NULL);
	call->operation = g_key_file_get_string(kf, GROUP, "operation", NULL);
	call->method = g_key_file_get_string(kf, GROUP, "method", NULL);
	call->affected = g_key_file_get_string_list(kf, GROUP, "affected", NULL, NULL);
	call->config_locked = g_key_file_get_string_list(kf, GROUP, "config_locked", NULL, NULL);
	call->pid = (pid_t)g_key_file_get_int64(kf, GROUP, "pid", NULL);
	call->pid_start = g_key_file_get_uint64(kf, GROUP, "pid_start", NULL);
	call->since = g_key_file_get_int64(kf, GROUP, "since", NULL);
	call->reset_method = g_key_file_get_string(kf, GROUP, "reset_method", NULL);
	if (!call->address || strcmp(call->address, name) != 0 ||
	    vfr_address_parse(call->address, &addr, NULL) < 0 || !call->operation ||
	    !call->affected || !call->affected[0] || call->pid <= 0) {
		snprintf(why, why_size, "not a record of a pending call");
		return -EIO;
	}
	for (char **a = call->affected; *a; a++)
		if (vfr_address_parse(*a, &addr, NULL) < 0) {
			snprintf(why, why_size, "'%s' is not a PCI address", *a);
			return -EIO;
		}
	for (char **a = call->config_locked; a && *a; a++)
		if (vfr_address_parse(*a, &addr, NULL) < 0) {
			snprintf(why, why_size, "'%s' is not a PCI address", *a);
			return -EIO;
		}
	*ret = g_steal_pointer(&call);
	return 0;
}

bool pending_call_returned(const struct vfr_pending_call *call)
{
	uint64_t start;

	return pending_process_start(call->pid, &start) < 0 || start != call->pid_start;
}

/* Every record, live or not: name order. */
static int load_all(struct vfr_ctx *ctx, int pending_fd, GPtrArray **ret)
{
	g_auto(GStrv) names = NULL;
	GPtrArray *calls;
	size_t n = 0;
	int r;

	r = sysfs_list(pending_fd, ".", &names, &n);
	if (r < 0)
		return r;
	calls = g_ptr_array_new_with_free_func((GDestroyNotify)pending_call_free);
	for (size_t i = 0; i < n; i++) {
		struct vfr_pending_call *call = NULL;
		char why[256] = "";

		if (names[i][0] == '.')
			continue; /* a record being written */
		if (parse_record(pending_fd, names[i], &call, why, sizeof(why)) < 0) {
			vfr_warn(ctx, "ignoring %s/run/vfioreset/pending/%s: %s",
				 strcmp(vfr_ctx_get_root(ctx), "/") == 0 ? "" : vfr_ctx_get_root(ctx),
				 names[i], why);
			continue;
		}
		g_ptr_array_add(calls, call);
	}
	*ret = calls;
	return 0;
}

int pending_load(struct vfr_ctx *ctx, int pending_fd, GPtrArray **ret)
{
	GPtrArray *calls = NULL;
	int r = load_all(ctx, pending_fd, &calls);

	if (r < 0)
		return r;
	for (guint i = 0; i < calls->len;) {
		struct vfr_pending_call *call = calls->pdata[i];

		if (pending_call_returned(call)) {
			vfr_dbg(ctx, "%s: the call of pid %ld has returned", call->address,
				(long)call->pid);
			g_ptr_array_remove_index(calls, i);
		} else {
			i++;
		}
	}
	*ret = calls;
	return 0;
}

/*
 * The stuck sysfs reset had pinned its method in reset_method; once it has
 * returned, the list the function had before is put back - unless someone
 * changed it meanwhile.
 */
static void put_back_methods(struct vfr_ctx *ctx, const struct vfr_pending_call *call)
{
	g_autofree char *rel = g_strconcat("bus/pci/devices/", call->address, NULL);
	char link[4096], dir[4096], now[256];
	int fd, r;

	if (!call->reset_method || !call->method || ctx_get_sys_fd(ctx) < 0)
		return;
	/* The bus's entry is a link into devices/: resolved here, never followed. */
	if (sysfs_readlink(ctx_get_sys_fd(ctx), rel, link, sizeof(link)) < 0 ||
	    sysfs_resolve_link("bus/pci/devices", link, dir, sizeof(dir)) < 0 ||
	    sysfs_open_dir(ctx_get_sys_fd(ctx), dir, &fd) < 0)
		return;
	r = sysfs_read(fd, "reset_method", now, sizeof(now));
	if (r >= 0 && strcmp(g_strstrip(now), call->method) == 0 &&
	    strcmp(call->reset_method, call->method) != 0) {
		int wfd = sysfs_open_attr_for_write(fd, "reset_method");

		/* Exactly the old list, or the part of it the kernel still takes (reset-exec.h). */
		r = wfd < 0 ? wfd : reset_method_restore_fd(wfd, call->reset_method);
		if (wfd >= 0)
			close(wfd);
		if (r < 0)
			vfr_warn(ctx, "%s: reset_method could not be put back to '%s': %s",
				 call->address, call->reset_method, g_strerror(-r));
		else
			vfr_info(ctx, "%s: reset_method put back to '%s'", call->address,
				 call->reset_method);
	}
	close(fd);
}

void pending_reap(struct vfr_ctx *ctx, int pending_fd)
{
	g_autoptr(GPtrArray) calls = NULL;

	if (load_all(ctx, pending_fd, &calls) < 0)
		return;
	for (guint i = 0; i < calls->len; i++) {
		struct vfr_pending_call *call = calls->pdata[i];
		g_autofree char *what = NULL;

		if (!pending_call_returned(call))
			continue;
		what = pending_call_describe(call);
		vfr_notice(ctx, "%s: the call has returned; its record is removed", what);
		put_back_methods(ctx, call);
		if (state_file_remove(pending_fd, call->address) < 0)
			vfr_warn(ctx, "%s: its pending record cannot be removed", call->address);
	}
}

/* ---- public getters ---- */

VFR_EXPORT const char *vfr_pending_call_get_address(const struct vfr_pending_call *call)
{
	assert_return(call, NULL);
	return call->address;
}

VFR_EXPORT const char *vfr_pending_call_get_operation(const struct vfr_pending_call *call)
{
	assert_return(call, NULL);
	return call->operation;
}

VFR_EXPORT const char *vfr_pending_call_get_method(const struct vfr_pending_call *call)
{
	assert_return(call, NULL);
	return call->method;
}

VFR_EXPORT int vfr_pending_call_get_pid(const struct vfr_pending_call *call)
{
	assert_return(call, -1);
	return (int)call->pid;
}

VFR_EXPORT int64_t vfr_pending_call_get_since(const struct vfr_pending_call *call)
{
	assert_return(call, 0);
	return call->since;
}

VFR_EXPORT const char *vfr_pending_call_get_message(const struct vfr_pending_call *call)
{
	assert_return(call, NULL);
	if (!call->message)
		((struct vfr_pending_call *)call)->message = pending_call_describe(call);
	return call->message;
}
