/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `variant BDF`: the vfio drivers that could drive a function, best first. */
#include <stdio.h>

#include "cli.h"

static void print_json(struct vfr_device *dev, const struct vfr_variant_list *list,
		       const char *modules_dir)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, vfr_device_get_name(dev));
	json_builder_set_member_name(b, "modules_dir");
	json_builder_add_string_value(b, modules_dir);
	json_builder_set_member_name(b, "candidates");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_variant_list_get_n(list); i++) {
		const char *alias = vfr_variant_list_get_alias(list, i);
		const char *driver = vfr_variant_list_get_driver(list, i);

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "module");
		json_builder_add_string_value(b, vfr_variant_list_get_module(list, i));
		json_builder_set_member_name(b, "alias");
		if (alias)
			json_builder_add_string_value(b, alias);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "wildcards");
		if (alias)
			json_builder_add_int_value(b, vfr_variant_list_get_wildcards(list, i));
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "tie");
		json_builder_add_boolean_value(b, vfr_variant_list_is_tie(list, i));
		json_builder_set_member_name(b, "driver");
		if (driver)
			json_builder_add_string_value(b, driver);
		else
			json_builder_add_null_value(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	cli_print_json(root);
}

static void print_text(struct vfr_device *dev, const struct vfr_variant_list *list,
		       const char *modules_dir)
{
	size_t n = vfr_variant_list_get_n(list);

	printf("%s: %zu vfio driver candidate%s in %s\n", vfr_device_get_name(dev), n,
	       n == 1 ? "" : "s", modules_dir);
	for (size_t i = 0; i < n; i++) {
		const char *alias = vfr_variant_list_get_alias(list, i);
		const char *driver = vfr_variant_list_get_driver(list, i);

		printf("  %zu. %-20s %s", i + 1, vfr_variant_list_get_module(list, i),
		       alias ? alias : "(alias unreadable)");
		if (alias)
			printf(" (%d wildcards)", vfr_variant_list_get_wildcards(list, i));
		if (vfr_variant_list_is_tie(list, i))
			printf(" [tie]");
		if (driver)
			printf(" loaded as %s", driver);
		putchar('\n');
	}
}

int cmd_variant(struct cli *cli, int argc, char **argv)
{
	g_autofree struct vfr_device **devs = NULL;
	struct vfr_variant_list *list = NULL;
	struct vfr_error *err = NULL;
	struct vfr_host *host;
	int status;

	if (argc != 1) {
		cli_error("variant: name exactly one function (DDDD:BB:DD.F)");
		return EXIT_USAGE;
	}
	host = cli_scan(cli, argc, argv);
	if (!host)
		return cli->status;
	devs = cli_lookup(host, &argc, argv, &status);
	if (devs && vfr_device_find_variants(devs[0], &list, &err) < 0) {
		cli_error("%s", vfr_error_get_message(err));
		vfr_error_free(err);
		status = EXIT_FAILED;
	} else if (devs) {
		const char *dir = vfr_ctx_get_modules_dir(cli->ctx);

		if (cli->json)
			print_json(devs[0], list, dir);
		else
			print_text(devs[0], list, dir);
		vfr_variant_list_free(list);
	}
	vfr_host_unref(host);
	return status;
}
