/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON written as it is made, for `list` and `show`: a listing prints an
 * object per function, and building each as a tree of JsonNodes, printing
 * and freeing it took two thirds of a listing's own CPU time. The other
 * commands print a few objects and build them with json-glib (json.c).
 * The compact text is the one json-glib's generator prints: the same
 * escapes, no spaces (but for 0x1f, which RFC 8259 wants escaped and
 * json-glib 1.6 prints raw).
 */
#include <stdio.h>

#include "cli.h"

void cli_stream_init(struct cli_stream *w, bool pretty)
{
	*w = (struct cli_stream){ .s = g_string_sized_new(4096), .pretty = pretty };
}

void cli_stream_finish(struct cli_stream *w)
{
	g_string_append_c(w->s, '\n');
	cli_stream_flush(w);
	g_string_free(w->s, TRUE);
	w->s = NULL;
}

void cli_stream_flush(struct cli_stream *w)
{
	fwrite(w->s->str, 1, w->s->len, stdout);
	g_string_truncate(w->s, 0);
}

static void newline(struct cli_stream *w)
{
	if (!w->pretty)
		return;
	g_string_append_c(w->s, '\n');
	for (unsigned int i = 0; i < w->depth; i++)
		g_string_append(w->s, "  ");
}

/* Before a value: the comma after its predecessor, unless a member name leads it. */
static void before_value(struct cli_stream *w)
{
	if (w->keyed) {
		w->keyed = false;
		return;
	}
	if (w->comma)
		g_string_append_c(w->s, ',');
	if (w->depth)
		newline(w);
}

static bool plain(unsigned char c)
{
	return c >= 0x20 && c != 0x7f && c != '"' && c != '\\';
}

static void append_escaped(GString *s, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	g_string_append_c(s, '"');
	while (*p) {
		const unsigned char *run = p;

		while (*p && plain(*p))
			p++;
		g_string_append_len(s, (const char *)run, p - run);
		if (!*p)
			break;
		switch (*p) {
		case '"':
			g_string_append(s, "\\\"");
			break;
		case '\\':
			g_string_append(s, "\\\\");
			break;
		case '\b':
			g_string_append(s, "\\b");
			break;
		case '\f':
			g_string_append(s, "\\f");
			break;
		case '\n':
			g_string_append(s, "\\n");
			break;
		case '\r':
			g_string_append(s, "\\r");
			break;
		case '\t':
			g_string_append(s, "\\t");
			break;
		default:
			/* DEL too, as json-glib does; 0x1f too, which json-glib 1.6 leaves raw. */
			g_string_append_printf(s, "\\u%04x", *p);
		}
		p++;
	}
	g_string_append_c(s, '"');
}

static void open_container(struct cli_stream *w, char c)
{
	before_value(w);
	g_string_append_c(w->s, c);
	w->depth++;
	w->comma = false;
}

static void close_container(struct cli_stream *w, char c)
{
	w->depth--;
	if (w->comma)
		newline(w);
	g_string_append_c(w->s, c);
	w->comma = true;
}

void cli_stream_begin_object(struct cli_stream *w)
{
	open_container(w, '{');
}

void cli_stream_end_object(struct cli_stream *w)
{
	close_container(w, '}');
}

void cli_stream_begin_array(struct cli_stream *w)
{
	open_container(w, '[');
}

void cli_stream_end_array(struct cli_stream *w)
{
	close_container(w, ']');
}

void cli_stream_key(struct cli_stream *w, const char *key)
{
	before_value(w);
	append_escaped(w->s, key);
	g_string_append(w->s, w->pretty ? ": " : ":");
	w->keyed = true;
}

void cli_stream_string(struct cli_stream *w, const char *value)
{
	before_value(w);
	if (value)
		append_escaped(w->s, value);
	else
		g_string_append(w->s, "null");
	w->comma = true;
}

void cli_stream_int(struct cli_stream *w, long value)
{
	before_value(w);
	g_string_append_printf(w->s, "%ld", value);
	w->comma = true;
}

void cli_stream_bool(struct cli_stream *w, bool value)
{
	before_value(w);
	g_string_append(w->s, value ? "true" : "false");
	w->comma = true;
}

void cli_stream_null(struct cli_stream *w)
{
	cli_stream_string(w, NULL);
}

void cli_stream_attr(struct cli_stream *w, const char *key, int r, const char *value)
{
	cli_stream_key(w, key);
	cli_stream_string(w, r < 0 ? NULL : value);
}

void cli_stream_hex(struct cli_stream *w, const char *key, int r, unsigned int value, int width)
{
	static const char digits[] = "0123456789abcdef";
	char buf[9];
	int n = width < 1 ? 1 : width > 8 ? 8 : width;

	cli_stream_key(w, key);
	if (r < 0) {
		cli_stream_null(w);
		return;
	}
	/* Wider values than @width get their digits, as "%0*x" gives them. */
	while (n < 8 && (value >> (4 * n)))
		n++;
	buf[n] = '\0';
	for (int i = n - 1; i >= 0; i--, value >>= 4)
		buf[i] = digits[value & 0xf];
	cli_stream_string(w, buf);
}

void cli_stream_int_member(struct cli_stream *w, const char *key, int r, int value)
{
	cli_stream_key(w, key);
	if (r < 0)
		cli_stream_null(w);
	else
		cli_stream_int(w, value);
}

void cli_stream_bool_member(struct cli_stream *w, const char *key, bool value)
{
	cli_stream_key(w, key);
	cli_stream_bool(w, value);
}
