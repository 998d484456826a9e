/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A binding record as found in the state directory: what is accepted
 * names a driver that can be put into a path, an override the kernel
 * takes, and is written back as text that reads back the same.
 */
#include <glib.h>

#include "beneath.h"
#include "bind-state.h"
#include "fuzz.h"

#define ADDR "0000:02:00.0"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bind_record rec = { 0 }, again = { 0 };
	char *text;
	size_t len = 0;

	if (bind_record_parse((const char *)data, size, ADDR, &rec) < 0)
		return 0;
	check(!rec.driver || beneath_name_valid(rec.driver));
	check(!rec.override || (!strchr(rec.override, '\n') && strlen(rec.override) <= 4094));
	text = bind_record_format(ADDR, &rec, &len);
	check(text && len <= BIND_RECORD_MAX);
	check(bind_record_parse(text, len, ADDR, &again) == 0);
	check(g_strcmp0(rec.driver, again.driver) == 0);
	check(g_strcmp0(rec.override, again.override) == 0);
	g_free(text);
	bind_record_clear(&rec);
	bind_record_clear(&again);
	return 0;
}
