/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sysfs store with a deadline. write(2) on sysfs cannot be interrupted or
 * polled: the store runs in the writer's context until the driver returns.
 * So the write runs in a thread of its own and the caller waits on a
 * condition with a deadline; when the deadline passes, the thread is left to
 * finish (or never finish) on its own and frees what it holds.
 */
#include <glib.h>
#include <unistd.h>

#include "internal.h"
#include "sysfs.h"

struct pending_write {
	gint refs; /* the caller and the writer thread */
	GMutex lock;
	GCond done_cond;
	bool done;
	int result;
	int fd;
	char *text;
};

static void pending_write_unref(struct pending_write *w)
{
	if (!g_atomic_int_dec_and_test(&w->refs))
		return;
	close(w->fd);
	g_free(w->text);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->done_cond);
	g_free(w);
}

static gpointer writer_thread(gpointer data)
{
	struct pending_write *w = data;
	int r = sysfs_write_fd(w->fd, w->text);

	g_mutex_lock(&w->lock);
	w->result = r;
	w->done = true;
	g_cond_signal(&w->done_cond);
	g_mutex_unlock(&w->lock);
	pending_write_unref(w);
	return NULL;
}

int sysfs_write_deadline(int dirfd, const char *name, const char *text, int timeout_ms)
{
	struct pending_write *w;
	GThread *thread;
	GError *error = NULL;
	gint64 end;
	int fd, r;

	if (timeout_ms < 0)
		return sysfs_write(dirfd, name, text);

	fd = sysfs_open_attr_for_write(dirfd, name);
	if (fd < 0)
		return fd;

	w = g_new0(struct pending_write, 1);
	w->refs = 2;
	w->fd = fd;
	w->text = g_strdup(text);
	g_mutex_init(&w->lock);
	g_cond_init(&w->done_cond);

	thread = g_thread_try_new("vfr-sysfs-write", writer_thread, w, &error);
	if (!thread) {
		/* No thread to spare: write in this one, without the deadline. */
		g_error_free(error);
		w->refs = 1;
		r = sysfs_write_fd(fd, text);
		pending_write_unref(w);
		return r;
	}
	g_thread_unref(thread);

	end = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
	g_mutex_lock(&w->lock);
	while (!w->done)
		if (!g_cond_wait_until(&w->done_cond, &w->lock, end))
			break;
	r = w->done ? w->result : -ETIMEDOUT;
	g_mutex_unlock(&w->lock);
	pending_write_unref(w);
	return r;
}
