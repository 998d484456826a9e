/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `owner add|remove|list`: the persisted declarations of who uses which function. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print(const struct vfr_owners *owners, const char *only, bool json)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "owners");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_owners_get_n(owners); i++) {
		const char *addr = vfr_owners_get_address(owners, i);
		const char *owner = vfr_owners_get_owner(owners, i);

		if (only && strcmp(owner, only) != 0)
			continue;
		if (!json) {
			printf("%s %s\n", addr, owner);
			continue;
		}
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "address");
		json_builder_add_string_value(b, addr);
		json_builder_set_member_name(b, "owner");
		json_builder_add_string_value(b, owner);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	if (json) {
		root = json_builder_get_root(b);
		cli_print_json(root);
	}
}

static int list(struct cli *cli, const char *only)
{
	struct vfr_owners *owners = NULL;
	struct vfr_error *err = NULL;

	if (vfr_owners_load(cli->ctx, &owners, &err) < 0) {
		cli_error("owner list: %s", vfr_error_get_message(err));
		vfr_error_free(err);
		return EXIT_FAILED;
	}
	print(owners, only, cli->json);
	vfr_owners_unref(owners);
	return EXIT_OK;
}

/* add or remove NAME BDF...; remove without BDF withdraws every function of NAME. */
static int change(struct cli *cli, bool add, const char *name, int argc, char **argv)
{
	g_autofree struct vfr_address *addrs = g_new0(struct vfr_address, (size_t)argc + 1);
	struct vfr_owners *owners = NULL;
	struct vfr_error *err = NULL;
	int n = argc, status = EXIT_OK;

	for (int i = 0; i < argc; i++) {
		if (vfr_address_parse(argv[i], &addrs[i], &err) < 0) {
			cli_error("%s", vfr_error_get_message(err));
			vfr_error_free(err);
			return EXIT_USAGE;
		}
	}
	if (vfr_owners_load(cli->ctx, &owners, &err) < 0)
		goto failed;
	if (!add && argc == 0) {
		n = 0;
		addrs = g_renew(struct vfr_address, addrs, vfr_owners_get_n(owners) + 1);
		for (size_t i = 0; i < vfr_owners_get_n(owners); i++)
			if (strcmp(vfr_owners_get_owner(owners, i), name) == 0)
				vfr_address_parse(vfr_owners_get_address(owners, i), &addrs[n++],
						  NULL);
	}
	for (int i = 0; i < n; i++) {
		int r = add ? vfr_owners_persist_add(cli->ctx, name, &addrs[i], &err)
			    : vfr_owners_persist_remove(cli->ctx, name, &addrs[i], &err);

		if (r == -EINVAL) {
			cli_error("owner: %s", vfr_error_get_message(err));
			vfr_error_free(err);
			vfr_owners_unref(owners);
			return EXIT_USAGE;
		}
		if (r < 0) {
			cli_error("owner %s: %s", add ? "add" : "remove", vfr_error_get_message(err));
			vfr_error_free(err);
			err = NULL;
			status = EXIT_FAILED;
		}
	}
	vfr_owners_unref(owners);
	owners = NULL;
	if (vfr_owners_load(cli->ctx, &owners, &err) < 0)
		goto failed;
	print(owners, name, cli->json);
	vfr_owners_unref(owners);
	return status;
failed:
	cli_error("owner: %s", vfr_error_get_message(err));
	vfr_error_free(err);
	vfr_owners_unref(owners);
	return EXIT_FAILED;
}

int cmd_owner(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : NULL;

	if (sub && strcmp(sub, "list") == 0) {
		if (argc > 2) {
			cli_error("owner list: unexpected argument '%s'", argv[2]);
			return EXIT_USAGE;
		}
		return list(cli, argc == 2 ? argv[1] : NULL);
	}
	if (sub && (strcmp(sub, "add") == 0 || strcmp(sub, "remove") == 0)) {
		bool add = strcmp(sub, "add") == 0;

		if (argc < 2 || (add && argc < 3)) {
			cli_error("owner %s: give an owner's NAME and %s", sub,
				  add ? "at least one function (DDDD:BB:DD.F)"
				      : "the functions to withdraw (none: all of NAME's)");
			return EXIT_USAGE;
		}
		return change(cli, add, argv[1], argc - 2, argv + 2);
	}
	cli_error("owner: say add NAME BDF..., remove NAME [BDF...] or list [NAME]");
	return EXIT_USAGE;
}
