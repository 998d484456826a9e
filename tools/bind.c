/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `bind`, `unbind`, `restore`: managed driver changes with rollback. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static char *opt_driver;
static gboolean opt_variant;
static gboolean opt_group;
static int opt_timeout = 10000;
static int opt_lock_timeout = 30000;
static char *opt_as;

/* What bind, unbind and restore all take. */
#define COMMON_OPTIONS                                                                        \
	{ "group", 'g', 0, G_OPTION_ARG_NONE, &opt_group,                                     \
	  "Act on every member of the functions' IOMMU groups (bridges excepted)", NULL },    \
	{ "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,                                  \
	  "Give up on a kernel write after MS milliseconds (default 10000, -1 never)", "MS" }, \
	{ "lock-timeout", 0, 0, G_OPTION_ARG_INT, &opt_lock_timeout,                          \
	  "Wait at most MS for another process's lock (default 30000, 0 not at all, -1 no "    \
	  "limit)", "MS" },                                                                   \
	{ "as", 0, 0, G_OPTION_ARG_STRING, &opt_as,                                            \
	  "Act for owner NAME: refuse functions declared for another, keep the owners' list",  \
	  "NAME" }

const GOptionEntry bind_options[] = {
	{ "driver", 'd', 0, G_OPTION_ARG_STRING, &opt_driver,
	  "Bind to this driver instead of vfio-pci (its module is loaded when needed)", "NAME" },
	{ "variant", 0, 0, G_OPTION_ARG_NONE, &opt_variant,
	  "Bind to the most specific vfio variant driver", NULL },
	COMMON_OPTIONS,
	{ NULL },
};

const GOptionEntry unbind_options[] = {
	COMMON_OPTIONS,
	{ NULL },
};

static void print_json(const struct vfr_binding *bd)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "results");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_binding_get_n_devices(bd); i++) {
		int status = vfr_binding_get_status(bd, i);
		size_t n_holders = 0;
		const int *holders = vfr_binding_get_holders(bd, i, &n_holders);

		json_builder_begin_object(b);
		cli_json_string(b, "address", vfr_device_get_name(vfr_binding_get_device(bd, i)));
		json_builder_set_member_name(b, "ok");
		json_builder_add_boolean_value(b, status == 0);
		cli_json_string(b, "driver_before", vfr_binding_get_driver_before(bd, i));
		cli_json_string(b, "driver_after", vfr_binding_get_driver_after(bd, i));
		json_builder_set_member_name(b, "errno");
		json_builder_add_int_value(b, status < 0 ? -status : 0);
		json_builder_set_member_name(b, "done");
		json_builder_add_boolean_value(b, status <= 0);
		json_builder_set_member_name(b, "rolled_back");
		json_builder_add_boolean_value(b, vfr_binding_is_rolled_back(bd, i));
		json_builder_set_member_name(b, "state_unknown");
		json_builder_add_boolean_value(b, vfr_binding_is_state_unknown(bd, i));
		json_builder_set_member_name(b, "holders");
		json_builder_begin_array(b);
		for (size_t k = 0; k < n_holders; k++)
			json_builder_add_int_value(b, holders[k]);
		json_builder_end_array(b);
		cli_json_string(b, "message", vfr_binding_get_message(bd, i));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	cli_print_json(root);
}

static void print_text(const struct vfr_binding *bd)
{
	for (size_t i = 0; i < vfr_binding_get_n_devices(bd); i++) {
		const char *before = vfr_binding_get_driver_before(bd, i);
		const char *after = vfr_binding_get_driver_after(bd, i);
		const char *msg = vfr_binding_get_message(bd, i);
		int status = vfr_binding_get_status(bd, i);

		printf("%s: %s -> %s%s", vfr_device_get_name(vfr_binding_get_device(bd, i)),
		       before ? before : "(none)", after ? after : "(none)",
		       status == 0   ? ""
		       : status == 1 ? " [not done]"
				     : " [failed]");
		if (vfr_binding_is_state_unknown(bd, i))
			printf(" [state unknown]");
		if (msg)
			printf(": %s", msg);
		putchar('\n');
	}
}

enum op { OP_BIND, OP_UNBIND, OP_RESTORE };

static int run(struct cli *cli, enum op op, const char *name, int argc, char **argv)
{
	g_autofree struct vfr_device **devs = NULL;
	struct vfr_binding *bd = NULL;
	struct vfr_error *err = NULL;
	struct vfr_host *host;
	unsigned int flags = 0;
	int status, r;

	if (argc <= 0) {
		cli_error("%s: name at least one function (DDDD:BB:DD.F)", name);
		return EXIT_USAGE;
	}
	if (opt_driver && opt_variant) {
		cli_error("%s: --driver and --variant exclude each other", name);
		return EXIT_USAGE;
	}
	/* A write given no time can only end as "state unknown", with the override left set. */
	if (opt_timeout <= 0 && opt_timeout != -1) {
		cli_error("%s: --timeout %d: a kernel write needs a positive number of milliseconds "
			  "(-1: no limit)", name, opt_timeout);
		return EXIT_USAGE;
	}
	if (opt_lock_timeout < -1) {
		cli_error("%s: --lock-timeout %d: give milliseconds, 0 not to wait, -1 for no limit",
			  name, opt_lock_timeout);
		return EXIT_USAGE;
	}
	host = cli_scan(cli, argc, argv);
	if (!host)
		return cli->status;
	devs = cli_lookup(host, &argc, argv, &status);
	if (!devs) {
		vfr_host_unref(host);
		return status;
	}
	vfr_binding_new(host, &bd);
	for (int i = 0; i < argc; i++)
		vfr_binding_add_device(bd, devs[i]);
	if (opt_group)
		flags |= VFR_BINDING_GROUP;
	if (opt_variant)
		flags |= VFR_BINDING_VARIANT;
	vfr_binding_set_flags(bd, flags);
	vfr_binding_set_timeout(bd, opt_timeout, opt_lock_timeout);
	if (opt_as && vfr_binding_set_owner(bd, opt_as) < 0) {
		cli_error("%s: '%s' cannot be an owner's name", name, opt_as);
		vfr_binding_unref(bd);
		vfr_host_unref(host);
		return EXIT_USAGE;
	}
	if (opt_driver && vfr_binding_set_driver(bd, opt_driver) < 0) {
		cli_error("%s: '%s' is not a driver name", name, opt_driver);
		vfr_binding_unref(bd);
		vfr_host_unref(host);
		return EXIT_USAGE;
	}
	r = op == OP_BIND     ? vfr_binding_bind(bd, &err)
	    : op == OP_UNBIND ? vfr_binding_unbind(bd, &err)
			      : vfr_binding_restore(bd, &err);
	if (r < 0) {
		cli_error("%s", err ? vfr_error_get_message(err) : g_strerror(-r));
		vfr_error_free(err);
		status = EXIT_FAILED;
	}
	if (cli->json)
		print_json(bd);
	else
		print_text(bd);
	vfr_binding_unref(bd);
	vfr_host_unref(host);
	g_free(opt_driver);
	g_free(opt_as);
	return status;
}

int cmd_bind(struct cli *cli, int argc, char **argv)
{
	return run(cli, OP_BIND, "bind", argc, argv);
}

int cmd_unbind(struct cli *cli, int argc, char **argv)
{
	return run(cli, OP_UNBIND, "unbind", argc, argv);
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	return run(cli, OP_RESTORE, "restore", argc, argv);
}
