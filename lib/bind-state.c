/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record of an original binding is a small key file, ADDR.state:
 *
 *   [binding]
 *   address=0000:02:00.0
 *   driver=e1000e
 *   driver_override=vfio-pci
 *
 * A missing key means none. What it says becomes paths and kernel writes
 * (the driver's bind attribute, driver_override), so a record is checked
 * as input when it is read, and the writer refuses what the reader would
 * refuse.
 */
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "beneath.h"
#include "bind-state.h"
#include "state-dir.h"

#define LOG_DOMAIN "bind"
#define GROUP "binding"
/* What the kernel's driver_override store takes (count < PAGE_SIZE - 1). */
#define OVERRIDE_MAX 4094

void bind_record_clear(struct bind_record *rec)
{
	g_clear_pointer(&rec->driver, g_free);
	g_clear_pointer(&rec->override, g_free);
}

int bind_state_open(const struct vfr_ctx *ctx, int *ret_dirfd, struct vfr_error **reterr)
{
	return state_dir_open(ctx, ret_dirfd, reterr);
}

static char *state_name(const char *addr)
{
	return g_strconcat(addr, ".state", NULL);
}

/* driver_override holds one line the kernel took; no control characters but tabs. */
static bool override_valid(const char *text)
{
	if (!*text || strlen(text) > OVERRIDE_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static bool record_valid(const struct bind_record *rec)
{
	return (!rec->driver || beneath_name_valid(rec->driver)) &&
	       (!rec->override || override_valid(rec->override));
}

int bind_record_parse(const char *text, size_t len, const char *addr, struct bind_record *ret)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *recorded = NULL;
	struct bind_record rec = { 0 };

	if (!text || len > BIND_RECORD_MAX || memchr(text, '\0', len) ||
	    !g_key_file_load_from_data(kf, text, (gsize)len, G_KEY_FILE_NONE, NULL) ||
	    !g_key_file_has_group(kf, GROUP))
		return -EIO;
	/* A record copied under another function's name does not describe this one. */
	recorded = g_key_file_get_string(kf, GROUP, "address", NULL);
	if (recorded && addr && strcmp(recorded, addr) != 0)
		return -EIO;
	rec.driver = g_key_file_get_string(kf, GROUP, "driver", NULL);
	rec.override = g_key_file_get_string(kf, GROUP, "driver_override", NULL);
	if (!record_valid(&rec)) {
		bind_record_clear(&rec);
		return -EIO;
	}
	*ret = rec;
	return 0;
}

char *bind_record_format(const char *addr, const struct bind_record *rec, size_t *ret_len)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	char *text;
	gsize len;

	if (!record_valid(rec))
		return NULL;
	g_key_file_set_string(kf, GROUP, "address", addr);
	if (rec->driver)
		g_key_file_set_string(kf, GROUP, "driver", rec->driver);
	if (rec->override)
		g_key_file_set_string(kf, GROUP, "driver_override", rec->override);
	text = g_key_file_to_data(kf, &len, NULL);
	if (len > BIND_RECORD_MAX) {
		g_free(text);
		return NULL;
	}
	*ret_len = len;
	return text;
}

int bind_record_read(int dirfd, const char *addr, struct bind_record *ret)
{
	g_autofree char *name = state_name(addr);
	g_autofree char *text = NULL;
	size_t len = 0;
	int r = state_file_read(dirfd, name, BIND_RECORD_MAX, &text, &len);

	if (r == -EFBIG)
		return -EIO;
	if (r < 0)
		return r;
	return bind_record_parse(text, len, addr, ret);
}

int bind_record_write(int dirfd, const char *addr, const struct bind_record *rec)
{
	g_autofree char *name = state_name(addr);
	g_autofree char *text = NULL;
	size_t len = 0;

	text = bind_record_format(addr, rec, &len);
	if (!text)
		return record_valid(rec) ? -EFBIG : -EINVAL;
	return state_file_write(dirfd, name, text, len);
}

int bind_record_remove(int dirfd, const char *addr)
{
	g_autofree char *name = state_name(addr);

	return state_file_remove(dirfd, name);
}

int bind_lock_take(int dirfd, const char *addr, int timeout_ms, pid_t *ret_holder)
{
	g_autofree char *name = g_strconcat(addr, ".lock", NULL);

	return state_lock_take(dirfd, name, timeout_ms, ret_holder);
}

void bind_lock_release(int fd)
{
	state_lock_release(fd);
}
