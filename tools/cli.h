/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the commands of the vfioreset tool share. */
#pragma once

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <vfioreset/vfioreset.h>

/* Exit status: the contract scripts rely on. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1, /* the operation failed */
	EXIT_USAGE = 2,  /* bad usage or bad input */
};

struct cli {
	struct vfr_ctx *ctx;
	bool json;
	int status; /* why cli_scan() returned NULL */
};

/* Prints "vfioreset: <message>" to stderr. */
void cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* json.c: prints @root as JSON (pretty when stdout is a terminal) and a newline. */
void cli_print_json(JsonNode *root);
/* json.c: member @key, a string or null when @value is NULL. */
void cli_json_string(JsonBuilder *b, const char *key, const char *value);
/* json.c: member @key for an attribute read with result @r: null when @r < 0 or @value is NULL. */
void cli_json_attr(JsonBuilder *b, const char *key, int r, const char *value);
/* json.c: member @key, @value in @width hex digits ("8086"), null when @r < 0. */
void cli_json_hex(JsonBuilder *b, const char *key, int r, unsigned int value, int width);
/* json.c: member @key, an integer, null when @r < 0. */
void cli_json_int(JsonBuilder *b, const char *key, int r, int value);

/*
 * json-stream.c: JSON written as it is made (`list`, `show`), flushed to
 * stdout by the caller; compact, or pretty for a terminal.
 */
struct cli_stream {
	GString *s;
	bool pretty;
	unsigned int depth;
	bool comma; /* an element was written at this level: the next one needs a comma */
	bool keyed; /* a member name was written: its value follows it */
};
void cli_stream_init(struct cli_stream *w, bool pretty);
void cli_stream_flush(struct cli_stream *w);
void cli_stream_finish(struct cli_stream *w); /* a newline, flushed, freed */
void cli_stream_begin_object(struct cli_stream *w);
void cli_stream_end_object(struct cli_stream *w);
void cli_stream_begin_array(struct cli_stream *w);
void cli_stream_end_array(struct cli_stream *w);
void cli_stream_key(struct cli_stream *w, const char *key);
void cli_stream_string(struct cli_stream *w, const char *value); /* NULL: null */
void cli_stream_int(struct cli_stream *w, long value);
void cli_stream_bool(struct cli_stream *w, bool value);
void cli_stream_null(struct cli_stream *w);
/* Members as cli_json_attr(), cli_json_hex() and cli_json_int() make them. */
void cli_stream_attr(struct cli_stream *w, const char *key, int r, const char *value);
void cli_stream_hex(struct cli_stream *w, const char *key, int r, unsigned int value, int width);
void cli_stream_int_member(struct cli_stream *w, const char *key, int r, int value);
void cli_stream_bool_member(struct cli_stream *w, const char *key, bool value);

/*
 * The addresses of a repeatable option of comma-separated lists
 * ("--holding A,B --holding C"), in order. Every entry must be an address:
 * an empty one ("A,", "A,,B", "") is bad input, as it is for --method. On
 * bad input prints why, naming @option, and returns -EINVAL.
 */
int cli_parse_address_list(const char *option, char *const *values, struct vfr_address **ret,
			   size_t *ret_n);

/*
 * Checks that @argv are addresses, then scans the host; on failure prints
 * why, sets cli->status and returns NULL.
 */
struct vfr_host *cli_scan(struct cli *cli, int argc, char **argv);

extern const GOptionEntry list_options[];
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_variant(struct cli *cli, int argc, char **argv);
/* bind.c: `bind`, `unbind`, `restore`, and their options. */
int cmd_bind(struct cli *cli, int argc, char **argv);
int cmd_unbind(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
extern const GOptionEntry bind_options[];
extern const GOptionEntry unbind_options[];
/* hotreset.c: `hot-reset-check`. */
int cmd_hot_reset_check(struct cli *cli, int argc, char **argv);
extern const GOptionEntry hot_reset_check_options[];
/* reset.c: `plan` and `reset`. */
int cmd_plan(struct cli *cli, int argc, char **argv);
int cmd_reset(struct cli *cli, int argc, char **argv);
extern const GOptionEntry plan_options[];
extern const GOptionEntry reset_options[];
/* owner.c: `owner add|remove|list`. */
int cmd_owner(struct cli *cli, int argc, char **argv);

/*
 * Finds the functions @argv names, once each: one named twice (in any
 * spelling) is acted on once, and *@argc and @argv are compacted to match.
 * NULL (and *@ret_status) when one cannot be found.
 */
struct vfr_device **cli_lookup(struct vfr_host *host, int *argc, char **argv, int *ret_status);
