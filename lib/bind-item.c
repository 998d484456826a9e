/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One function of a binding operation: its binding read afresh from sysfs,
 * and the notes and failure the caller reads back from it.
 */
#include "bind-private.h"


/* The binding as sysfs shows it now, read afresh. */
int bind_read_state(struct vfr_device *dev, struct bind_record *ret)
{
	const char *driver = NULL, *override = NULL;
	int r;

	device_invalidate(dev);
	r = vfr_device_get_driver(dev, &driver);
	if (r < 0)
		return r;
	r = vfr_device_get_driver_override(dev, &override);
	if (r < 0 && r != -ENOENT)
		return r;
	ret->driver = g_strdup(driver);
	ret->override = g_strdup(r == 0 ? override : NULL);
	return 0;
}

void bind_item_note(struct bind_item *it, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (it->message) {
		char *joined = g_strconcat(it->message, "; ", msg, NULL);

		g_free(msg);
		msg = joined;
	}
	g_free(it->message);
	it->message = msg;
}

/* Fails the item: status, message, and the same words in *reterr. */
int bind_item_fail(struct bind_item *it, struct vfr_error **reterr, int code, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	it->status = code;
	bind_item_note(it, "%s", msg);
	return error_set(reterr, code, it->dev->name, "%s: %s", it->dev->name, msg);
}
