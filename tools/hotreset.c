/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `hot-reset-check BDF... [--holding BDF,...] [--cdev] [--kernel]`: would
 * the kernel allow a VFIO hot reset of each function to a VM holding the
 * named functions and those of --holding? Predicted from sysfs, or with
 * --kernel asked of the kernel through the hot-reset INFO ioctl on VFIO
 * fds opened here the way a VMM opens them.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "errnames.h"

static char **opt_holding;
static gboolean opt_cdev;
static gboolean opt_kernel;

const GOptionEntry hot_reset_check_options[] = {
	{ "holding", 'H', 0, G_OPTION_ARG_STRING_ARRAY, &opt_holding,
	  "Functions the VM also holds (comma-separated; may be repeated)", "BDF,..." },
	{ "cdev", 0, 0, G_OPTION_ARG_NONE, &opt_cdev,
	  "The VM opens its functions as vfio cdevs bound to one iommufd (default: groups)", NULL },
	{ "kernel", 'k', 0, G_OPTION_ARG_NONE, &opt_kernel,
	  "Open the functions' groups (or cdevs) and ask the kernel instead of predicting", NULL },
	{ NULL },
};

/* One line per check: its result, or why it could not be made. */
struct outcome {
	struct vfr_device *dev;
	struct vfr_hot_reset_check *check;
	char *error; /* when no check could be made */
	int error_code;
};

/* The kernel's name of errno @e; null for 0, "" for one without a name. */
static const char *errno_name(int e)
{
	const char *name;

	if (e == 0)
		return NULL;
	name = vfr_errno_name(e);
	return name ? name : "";
}

static void build_affected(JsonBuilder *b, const struct vfr_hot_reset_check *c, size_t i)
{
	enum vfr_hot_reset_state state = vfr_hot_reset_check_get_affected_state(c, i);
	enum vfr_hot_reset_reason reason = vfr_hot_reset_check_get_affected_reason(c, i);
	bool blocker = state == VFR_HOT_RESET_STATE_BLOCKER;
	const char *text = vfr_hot_reset_check_get_affected_text(c, i);
	int group = vfr_hot_reset_check_get_affected_group(c, i);
	int64_t devid = vfr_hot_reset_check_get_affected_devid(c, i);

	json_builder_begin_object(b);
	cli_json_string(b, "address", vfr_hot_reset_check_get_affected(c, i));
	json_builder_set_member_name(b, "iommu_group");
	if (group >= 0)
		json_builder_add_int_value(b, group);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "blocker");
	json_builder_add_boolean_value(b, blocker);
	cli_json_string(b, "reason", blocker ? text : NULL);
	cli_json_string(b, "reason_code", blocker ? vfr_hot_reset_reason_to_string(reason) : NULL);
	cli_json_string(b, "state", vfr_hot_reset_state_to_string(state));
	cli_json_string(b, "detail", text);
	json_builder_set_member_name(b, "devid");
	if (devid >= 0)
		json_builder_add_int_value(b, devid);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
}

static void build_check(JsonBuilder *b, const struct outcome *o)
{
	const struct vfr_hot_reset_check *c = o->check;

	json_builder_begin_object(b);
	cli_json_string(b, "address", vfr_device_get_name(o->dev));
	cli_json_string(b, "mode", c ? vfr_hot_reset_mode_to_string(vfr_hot_reset_check_get_mode(c))
				   : opt_cdev ? "cdev" : "group");
	cli_json_string(b, "source", opt_kernel ? "kernel" : "prediction");
	json_builder_set_member_name(b, "allowed");
	json_builder_add_boolean_value(b, c && vfr_hot_reset_check_is_allowed(c));
	json_builder_set_member_name(b, "errno");
	json_builder_add_int_value(b, c ? vfr_hot_reset_check_get_errno(c) : o->error_code);
	cli_json_string(b, "errno_name",
			errno_name(c ? vfr_hot_reset_check_get_errno(c) : o->error_code));
	cli_json_string(b, "reason_code",
			c && !vfr_hot_reset_check_is_allowed(c)
				? vfr_hot_reset_reason_to_string(vfr_hot_reset_check_get_reason(c))
				: NULL);
	cli_json_string(b, "summary", c ? vfr_hot_reset_check_get_summary(c) : NULL);
	cli_json_string(b, "error", o->error);

	json_builder_set_member_name(b, "groups_to_pass");
	json_builder_begin_array(b);
	for (size_t i = 0; c && i < vfr_hot_reset_check_get_n_groups(c); i++)
		json_builder_add_int_value(b, vfr_hot_reset_check_get_group(c, i));
	json_builder_end_array(b);

	json_builder_set_member_name(b, "prepare");
	json_builder_begin_array(b);
	for (size_t i = 0; c && i < vfr_hot_reset_check_get_n_affected(c); i++)
		if (vfr_hot_reset_check_get_affected_state(c, i) == VFR_HOT_RESET_STATE_OPENED)
			json_builder_add_string_value(b, vfr_hot_reset_check_get_affected(c, i));
	json_builder_end_array(b);

	json_builder_set_member_name(b, "affected");
	json_builder_begin_array(b);
	for (size_t i = 0; c && i < vfr_hot_reset_check_get_n_affected(c); i++)
		build_affected(b, c, i);
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static void print_json(const struct outcome *out, size_t n)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "checks");
	json_builder_begin_array(b);
	for (size_t i = 0; i < n; i++)
		build_check(b, &out[i]);
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	cli_print_json(root);
}

static void print_text(const struct outcome *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct vfr_hot_reset_check *c = out[i].check;

		if (!c)
			continue; /* said on stderr */
		if (i)
			putchar('\n');
		printf("%s%s\n", vfr_hot_reset_check_get_summary(c),
		       vfr_hot_reset_check_from_kernel(c) ? " [kernel]" : "");
		for (size_t k = 0; k < vfr_hot_reset_check_get_n_affected(c); k++) {
			int group = vfr_hot_reset_check_get_affected_group(c, k);
			char gtext[16] = "-";

			if (group >= 0)
				snprintf(gtext, sizeof(gtext), "%d", group);
			printf("  %-13s group %-4s %-8s %s\n", vfr_hot_reset_check_get_affected(c, k),
			       gtext,
			       vfr_hot_reset_state_to_string(vfr_hot_reset_check_get_affected_state(c, k)),
			       vfr_hot_reset_check_get_affected_text(c, k));
		}
	}
}

static void fail_outcome(struct outcome *o, struct vfr_error *err)
{
	o->error = g_strdup(vfr_error_get_message(err));
	o->error_code = -vfr_error_get_code(err);
	vfr_error_free(err);
}

/* --kernel: hold every named function the way a VMM does, then ask. */
static int ask_kernel(struct vfr_host *host, struct vfr_device **devs, size_t n_devs,
		      struct vfr_device **held, size_t n_held, struct outcome *out)
{
	struct vfr_vfio_holding *h = NULL;
	enum vfr_hot_reset_mode mode = opt_cdev ? VFR_HOT_RESET_MODE_CDEV : VFR_HOT_RESET_MODE_GROUP;
	int r;

	r = vfr_vfio_holding_new(host, mode, &h);
	if (r < 0) {
		cli_error("hot-reset-check: %s", g_strerror(-r));
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < n_held; i++) {
		struct vfr_error *err = NULL;

		if (vfr_vfio_holding_add(h, held[i], &err) < 0) {
			/* Every check needed the whole holding: each says why it could not be made. */
			for (size_t k = 0; k < n_devs; k++) {
				out[k].error = g_strdup_printf("cannot hold %s: %s",
							       vfr_device_get_name(held[i]),
							       vfr_error_get_message(err));
				out[k].error_code = -vfr_error_get_code(err);
			}
			vfr_error_free(err);
			vfr_vfio_holding_free(h);
			return EXIT_OK;
		}
	}
	/* Every named function is held before any is asked about: one VM holds them all. */
	for (size_t i = 0; i < n_devs; i++) {
		struct vfr_error *err = NULL;

		if (vfr_vfio_holding_add(h, devs[i], &err) < 0)
			fail_outcome(&out[i], err);
	}
	for (size_t i = 0; i < n_devs; i++) {
		struct vfr_error *err = NULL;

		if (!out[i].error &&
		    vfr_vfio_holding_check_hot_reset(h, devs[i], &out[i].check, &err) < 0)
			fail_outcome(&out[i], err);
	}
	vfr_vfio_holding_free(h);
	return EXIT_OK;
}

static int predict(struct vfr_device **devs, size_t n_devs, struct vfr_device **held,
		   size_t n_held, struct outcome *out)
{
	enum vfr_hot_reset_mode mode = opt_cdev ? VFR_HOT_RESET_MODE_CDEV : VFR_HOT_RESET_MODE_GROUP;
	g_autofree struct vfr_address *addrs = g_new(struct vfr_address, n_devs + n_held + 1);
	size_t n = 0;

	/* The named functions and the --holding ones belong to one VM. */
	for (size_t i = 0; i < n_devs; i++)
		vfr_device_get_address(devs[i], &addrs[n++]);
	for (size_t i = 0; i < n_held; i++)
		vfr_device_get_address(held[i], &addrs[n++]);
	for (size_t i = 0; i < n_devs; i++) {
		struct vfr_error *err = NULL;

		if (vfr_device_check_hot_reset(devs[i], addrs, n, mode, &out[i].check, &err) < 0)
			fail_outcome(&out[i], err);
	}
	return EXIT_OK;
}

int cmd_hot_reset_check(struct cli *cli, int argc, char **argv)
{
	g_autofree struct vfr_device **devs = NULL;
	g_autofree struct vfr_device **held = NULL;
	g_autofree struct vfr_address *holding = NULL;
	g_autofree struct outcome *out = NULL;
	struct vfr_host *host;
	size_t n_holding = 0;
	int status;

	if (argc <= 0) {
		cli_error("hot-reset-check: name at least one function (DDDD:BB:DD.F)");
		return EXIT_USAGE;
	}
	if (cli_parse_address_list("--holding", opt_holding, &holding, &n_holding) < 0)
		return EXIT_USAGE;
	host = cli_scan(cli, argc, argv);
	if (!host)
		return cli->status;
	devs = cli_lookup(host, &argc, argv, &status);
	held = g_new0(struct vfr_device *, n_holding + 1);
	for (size_t i = 0; devs && i < n_holding; i++) {
		if (vfr_host_find_device(host, &holding[i], &held[i]) < 0) {
			char name[VFR_ADDRESS_STRLEN];

			vfr_address_format(&holding[i], name, sizeof(name));
			cli_error("hot-reset-check: --holding %s: no such PCI function", name);
			status = EXIT_USAGE;
		}
	}
	if (status != EXIT_OK) {
		vfr_host_unref(host);
		return status;
	}

	out = g_new0(struct outcome, (size_t)argc);
	for (int i = 0; i < argc; i++)
		out[i].dev = devs[i];
	if (opt_kernel)
		status = ask_kernel(host, devs, (size_t)argc, held, n_holding, out);
	else
		status = predict(devs, (size_t)argc, held, n_holding, out);

	if (status == EXIT_OK) {
		for (int i = 0; i < argc; i++)
			if (out[i].error)
				cli_error("%s", out[i].error);
		if (cli->json)
			print_json(out, (size_t)argc);
		else
			print_text(out, (size_t)argc);
		/* Success means every named function may be hot reset. */
		for (int i = 0; i < argc; i++)
			if (!out[i].check || !vfr_hot_reset_check_is_allowed(out[i].check))
				status = EXIT_FAILED;
	}
	for (int i = 0; i < argc; i++) {
		vfr_hot_reset_check_free(out[i].check);
		g_free(out[i].error);
	}
	vfr_host_unref(host);
	return status;
}
