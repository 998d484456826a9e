/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON the commands print: members that are null when unknown, and the printer. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

void cli_print_json(JsonNode *root)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *text = NULL;

	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, isatty(STDOUT_FILENO));
	text = json_generator_to_data(gen, NULL);
	puts(text);
}

void cli_json_attr(JsonBuilder *b, const char *key, int r, const char *value)
{
	json_builder_set_member_name(b, key);
	if (r < 0 || !value)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, value);
}

void cli_json_string(JsonBuilder *b, const char *key, const char *value)
{
	cli_json_attr(b, key, 0, value);
}

void cli_json_hex(JsonBuilder *b, const char *key, int r, unsigned int value, int width)
{
	json_builder_set_member_name(b, key);
	if (r < 0) {
		json_builder_add_null_value(b);
	} else {
		char buf[16];

		snprintf(buf, sizeof(buf), "%0*x", width, value);
		json_builder_add_string_value(b, buf);
	}
}

void cli_json_int(JsonBuilder *b, const char *key, int r, int value)
{
	json_builder_set_member_name(b, key);
	if (r < 0)
		json_builder_add_null_value(b);
	else
		json_builder_add_int_value(b, value);
}
