/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioreset [--root DIR] [--json] COMMAND ...
 * Global options may also follow the command, so `vfioreset list --json`
 * works as well as `vfioreset --json list`.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"

static char *opt_root;
static char *opt_modules_dir;
static gboolean opt_json;
static gboolean opt_version;
static int opt_verbose;

static gboolean count_verbose(const char *name, const char *value, gpointer data, GError **error)
{
	opt_verbose++;
	return TRUE;
}

static const GOptionEntry global_entries[] = {
	{ "root", 'r', 0, G_OPTION_ARG_FILENAME, &opt_root,
	  "Take /sys, /dev and /lib/modules below DIR (default: $VFIORESET_ROOT or /)", "DIR" },
	{ "modules-dir", 'm', 0, G_OPTION_ARG_FILENAME, &opt_modules_dir,
	  "Module index for variant lookups (default: ROOT/lib/modules/$(uname -r))", "DIR" },
	{ "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON", NULL },
	{ "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, count_verbose,
	  "Log more (repeat for debug)", NULL },
	{ "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
	{ NULL },
};

struct command {
	const char *name;
	const char *args;
	const char *summary;
	int (*run)(struct cli *cli, int argc, char **argv);
	const GOptionEntry *options; /* the command's own options, NULL when none */
};

static const struct command commands[] = {
	{ "list", "", "List every PCI function with its driver, group and reset facts", cmd_list,
	  list_options },
	{ "show", "BDF...", "Show the facts of the given functions", cmd_show },
	{ "variant", "BDF", "List the vfio drivers that could drive a function, best first",
	  cmd_variant },
	{ "bind", "BDF...", "Bind functions to vfio-pci, a named driver or their best variant",
	  cmd_bind, bind_options },
	{ "unbind", "BDF...", "Unbind functions from their drivers, recording the original",
	  cmd_unbind, unbind_options },
	{ "restore", "BDF...", "Give functions back to their original drivers", cmd_restore,
	  unbind_options },
	{ "hot-reset-check", "BDF...", "Would the kernel allow a VFIO hot reset to a VM holding these?",
	  cmd_hot_reset_check, hot_reset_check_options },
	{ "plan", "BDF...", "How each function can be reset, and what each method would touch",
	  cmd_plan, plan_options },
	{ "reset", "BDF...", "Reset functions through the kernel (disjoint ones in parallel)",
	  cmd_reset, reset_options },
	{ "owner", "add|remove|list", "Declare, withdraw or list who uses which function (kept)",
	  cmd_owner },
};

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vfioreset: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_parse_address_list(const char *option, char *const *values, struct vfr_address **ret,
			   size_t *ret_n)
{
	g_autoptr(GArray) addrs = g_array_new(FALSE, FALSE, sizeof(struct vfr_address));

	for (char *const *v = values; v && *v; v++) {
		g_auto(GStrv) parts = g_strsplit(*v, ",", -1);

		/* g_strsplit() gives no entry at all for "": that is an empty one too. */
		if (!parts[0]) {
			cli_error("%s: an empty address", option);
			return -EINVAL;
		}
		for (char **p = parts; *p; p++) {
			struct vfr_error *err = NULL;
			struct vfr_address a;

			if (!**p) {
				cli_error("%s '%s': an empty address", option, *v);
				return -EINVAL;
			}
			if (vfr_address_parse(*p, &a, &err) < 0) {
				cli_error("%s %s: %s", option, *p, vfr_error_get_message(err));
				vfr_error_free(err);
				return -EINVAL;
			}
			g_array_append_val(addrs, a);
		}
	}
	*ret_n = addrs->len;
	*ret = (struct vfr_address *)(void *)g_array_free(g_steal_pointer(&addrs), FALSE);
	return 0;
}

struct vfr_host *cli_scan(struct cli *cli, int argc, char **argv)
{
	struct vfr_error *err = NULL;
	struct vfr_host *host = NULL;

	/* Bad input is reported before any sysfs work is done. */
	for (int i = 0; i < argc; i++) {
		struct vfr_address addr;

		if (vfr_address_parse(argv[i], &addr, &err) < 0) {
			cli_error("%s", vfr_error_get_message(err));
			vfr_error_free(err);
			cli->status = EXIT_USAGE;
			return NULL;
		}
	}
	if (vfr_host_scan(cli->ctx, &host, &err) < 0) {
		cli_error("%s", vfr_error_get_message(err));
		vfr_error_free(err);
		cli->status = EXIT_FAILED;
		return NULL;
	}
	return host;
}

static char *summary_text(void)
{
	GString *s = g_string_new("Commands:\n");

	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		g_string_append_printf(s, "  %-15s %-8s %s\n", commands[i].name, commands[i].args,
				       commands[i].summary);
	g_string_append(s, "\nExit status: 0 success, 1 the operation failed, 2 bad usage or input.\n"
			   "See vfioreset(1) for the JSON shapes.");
	return g_string_free(s, FALSE);
}

static GOptionContext *make_options(const char *params)
{
	GOptionContext *oc = g_option_context_new(params);

	g_option_context_add_main_entries(oc, global_entries, NULL);
	return oc;
}

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) oc = NULL;
	g_autoptr(GOptionContext) sub = NULL;
	g_autoptr(GError) gerr = NULL;
	g_autofree char *summary = NULL;
	g_autofree char *params = NULL;
	const struct command *cmd = NULL;
	struct vfr_error *err = NULL;
	struct cli cli = { 0 };
	int r;

	setlocale(LC_ALL, "");
	oc = make_options("COMMAND [ARGS...]");
	summary = summary_text();
	g_option_context_set_description(oc, summary);
	/* Stop at the command; its own arguments are parsed below. */
	g_option_context_set_strict_posix(oc, TRUE);
	if (!g_option_context_parse(oc, &argc, &argv, &gerr)) {
		cli_error("%s (try --help)", gerr->message);
		return EXIT_USAGE;
	}
	if (opt_version) {
		printf("vfioreset %s\n", vfr_version());
		return EXIT_OK;
	}
	if (argc < 2) {
		cli_error("no command given (try --help)");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		cli_error("unknown command '%s' (try --help)", argv[1]);
		return EXIT_USAGE;
	}

	/* The command's own words: global options are accepted here too. */
	params = g_strdup_printf("%s %s", cmd->name, cmd->args);
	sub = make_options(params);
	if (cmd->options)
		g_option_context_add_main_entries(sub, cmd->options, NULL);
	g_option_context_set_summary(sub, cmd->summary);
	argv[1] = argv[0];
	argc--;
	argv++;
	if (!g_option_context_parse(sub, &argc, &argv, &gerr)) {
		cli_error("%s: %s (try %s --help)", cmd->name, gerr->message, cmd->name);
		return EXIT_USAGE;
	}

	if (vfr_ctx_new(opt_root, &cli.ctx, &err) < 0) {
		cli_error("%s", vfr_error_get_message(err));
		vfr_error_free(err);
		return EXIT_USAGE;
	}
	if (opt_modules_dir)
		vfr_ctx_set_modules_dir(cli.ctx, opt_modules_dir);
	if (opt_verbose)
		vfr_ctx_set_log_priority(cli.ctx, opt_verbose > 1 ? LOG_DEBUG : LOG_INFO);
	else if (!getenv("VFIORESET_LOG"))
		vfr_ctx_set_log_priority(cli.ctx, LOG_WARNING);
	cli.json = opt_json;
	r = cmd->run(&cli, argc - 1, argv + 1);
	vfr_ctx_unref(cli.ctx);
	g_free(opt_root);
	g_free(opt_modules_dir);
	return r;
}
