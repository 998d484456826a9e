/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The streamed JSON of `list` and `show` is byte for byte what json-glib's
 * generator prints for the same document: every byte value in a string,
 * nesting, empty containers, null, integers and booleans.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* {"k": @value, "n": [@i, true, null, {}], "e": []} */
static void write_doc(struct cli_stream *w, const char *value, long i)
{
	cli_stream_begin_object(w);
	cli_stream_attr(w, "k", 0, value);
	cli_stream_key(w, "n");
	cli_stream_begin_array(w);
	cli_stream_int(w, i);
	cli_stream_bool(w, true);
	cli_stream_null(w);
	cli_stream_begin_object(w);
	cli_stream_end_object(w);
	cli_stream_end_array(w);
	cli_stream_key(w, "e");
	cli_stream_begin_array(w);
	cli_stream_end_array(w);
	cli_stream_end_object(w);
}

/* Both printers' compact text of that document. */
static void both(const char *value, long i, char **ret_stream, char **ret_glib)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	struct cli_stream w;

	cli_stream_init(&w, false);
	write_doc(&w, value, i);
	*ret_stream = g_string_free(w.s, FALSE);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "k");
	json_builder_add_string_value(b, value);
	json_builder_set_member_name(b, "n");
	json_builder_begin_array(b);
	json_builder_add_int_value(b, i);
	json_builder_add_boolean_value(b, TRUE);
	json_builder_add_null_value(b);
	json_builder_begin_object(b);
	json_builder_end_object(b);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "e");
	json_builder_begin_array(b);
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	*ret_glib = json_generator_to_data(gen, NULL);
}

static void test_same_as_json_glib(void **state)
{
	(void)state;
	/* Every ASCII byte alone and in company; UTF-8 is passed as it is. */
	for (int c = 1; c < 0x80; c++) {
		char one[2] = { (char)c, 0 }, mixed[16];
		const char *values[] = { one, mixed };

		snprintf(mixed, sizeof(mixed), "a%cb\\\"%c", c, c);
		for (size_t k = 0; k < G_N_ELEMENTS(values); k++) {
			g_autofree char *mine = NULL, *theirs = NULL;

			both(values[k], c - 64, &mine, &theirs);
			/* RFC 8259 wants every control character escaped; json-glib 1.6 misses 0x1f. */
			if (c == 0x1f) {
				assert_non_null(strstr(mine, "\\u001f"));
				assert_null(strchr(mine, 0x1f));
				continue;
			}
			assert_string_equal(mine, theirs);
		}
	}
	{
		g_autofree char *mine = NULL, *theirs = NULL;

		both("Ethernet Controller X710 für 10GbE — “SFP+”", -1, &mine, &theirs);
		assert_string_equal(mine, theirs);
		g_free(mine);
		g_free(theirs);
		both("", 2147483647L, &mine, &theirs);
		assert_string_equal(mine, theirs);
	}
}

/* Hex members as "%0*x" prints them; null when unknown. */
static void test_hex(void **state)
{
	struct cli_stream w;

	(void)state;
	cli_stream_init(&w, false);
	cli_stream_begin_object(&w);
	cli_stream_hex(&w, "a", 0, 0x8086, 4);
	cli_stream_hex(&w, "b", 0, 0x20000, 6);
	cli_stream_hex(&w, "c", 0, 0x1, 2);
	cli_stream_hex(&w, "d", 0, 0x12345, 4);
	cli_stream_hex(&w, "e", 0, 0, 4);
	cli_stream_hex(&w, "f", -EIO, 0x8086, 4);
	cli_stream_end_object(&w);
	assert_string_equal(w.s->str,
			    "{\"a\":\"8086\",\"b\":\"020000\",\"c\":\"01\",\"d\":\"12345\","
			    "\"e\":\"0000\",\"f\":null}");
	g_string_free(w.s, TRUE);
}

/* A terminal's pretty text parses to the compact one's document. */
static void test_pretty_parses(void **state)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *compact = NULL, *theirs = NULL, *again = NULL;
	struct cli_stream w;

	(void)state;
	both("x\ny", 7, &compact, &theirs);
	cli_stream_init(&w, true);
	write_doc(&w, "x\ny", 7);
	assert_non_null(strchr(w.s->str, '\n'));
	assert_true(json_parser_load_from_data(parser, w.s->str, -1, NULL));
	json_generator_set_root(gen, json_parser_get_root(parser));
	again = json_generator_to_data(gen, NULL);
	assert_string_equal(again, compact);
	g_string_free(w.s, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_json_glib),
		cmocka_unit_test(test_pretty_parses),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests_name("json-stream", tests, NULL, NULL);
}
