/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `plan` and `reset`: how functions can be reset, and resetting them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static char *opt_policy;
static char **opt_owners;
static char *opt_as;
static gboolean opt_allow_host;
static gboolean opt_wait_holders;
static gboolean opt_keep_command;
static int opt_timeout = 60000;
static gboolean opt_vfio;
static gboolean opt_cdev;
static char **opt_holding;
static char **opt_methods;

#define COMMON_OPTIONS                                                                  \
	{ "policy", 0, 0, G_OPTION_ARG_STRING, &opt_policy,                             \
	  "What to do when no method works: strict (fail, the default), no-strict "    \
	  "(succeed, flagged), skip (reset nothing, say so)", "POLICY" },              \
	{ "owner", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_owners,                       \
	  "Declare that these functions belong to NAME (repeatable)", "NAME=BDF,BDF..." }, \
	{ "as", 0, 0, G_OPTION_ARG_STRING, &opt_as,                                     \
	  "Reset on behalf of owner NAME (default: each function's own owner)", "NAME" }, \
	{ "allow-host-drivers", 0, 0, G_OPTION_ARG_NONE, &opt_allow_host,               \
	  "Also reset functions bound to host drivers, and let bus resets reach them", NULL }, \
	{ "vfio", 0, 0, G_OPTION_ARG_NONE, &opt_vfio,                                   \
	  "Hold the named vfio-bound functions through VFIO meanwhile, as a VMM does, so " \
	  "that the vfio and hot methods can be used", NULL },                           \
	{ "cdev", 0, 0, G_OPTION_ARG_NONE, &opt_cdev,                                   \
	  "With --vfio: hold them as vfio cdevs bound to one iommufd (default: groups)", NULL }, \
	{ "holding", 'H', 0, G_OPTION_ARG_STRING_ARRAY, &opt_holding,                  \
	  "With --vfio: also hold these functions, without resetting them (comma-separated; " \
	  "may be repeated)", "BDF,..." },                                               \
	{ "method", 'M', 0, G_OPTION_ARG_STRING_ARRAY, &opt_methods,                    \
	  "Only these methods, in the plan's order (comma-separated; may be repeated)",  \
	  "NAME,..." }

const GOptionEntry plan_options[] = {
	COMMON_OPTIONS,
	{ NULL },
};

const GOptionEntry reset_options[] = {
	COMMON_OPTIONS,
	{ "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
	  "Deadline of each reset in milliseconds (default 60000; -1: none)", "MS" },
	{ "wait-holders", 0, 0, G_OPTION_ARG_NONE, &opt_wait_holders,
	  "Wait (up to the deadline) for other processes to close the function's vfio nodes",
	  NULL },
	{ "keep-command", 0, 0, G_OPTION_ARG_NONE, &opt_keep_command,
	  "Leave the Command register as it is (the device was stopped by its user)", NULL },
	{ NULL },
};

/* --owner NAME=BDF,BDF... into a registry; false (and a message) on bad input. */
static bool parse_owners(struct vfr_owners *owners)
{
	for (char **o = opt_owners; o && *o; o++) {
		const char *eq = strchr(*o, '=');
		g_autofree char *name = NULL;
		g_auto(GStrv) addrs = NULL;

		if (!eq || eq == *o || !eq[1]) {
			cli_error("--owner '%s': expected NAME=BDF[,BDF...]", *o);
			return false;
		}
		name = g_strndup(*o, (gsize)(eq - *o));
		addrs = g_strsplit(eq + 1, ",", -1);
		for (char **a = addrs; *a; a++) {
			struct vfr_error *err = NULL;
			struct vfr_address addr;

			if (vfr_address_parse(*a, &addr, &err) < 0 ||
			    vfr_owners_add(owners, name, &addr, &err) < 0) {
				cli_error("--owner %s: %s", name, vfr_error_get_message(err));
				vfr_error_free(err);
				return false;
			}
		}
	}
	return true;
}

/* --method flr,bus --method hot: the names, checked (false and a message on bad input). */
static bool parse_methods(struct vfr_reset_options *opts)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	for (char **m = opt_methods; m && *m; m++) {
		g_auto(GStrv) parts = g_strsplit(*m, ",", -1);

		for (char **p = parts; *p; p++) {
			const char *one[] = { *p, NULL };

			if (!**p || vfr_reset_options_set_methods(opts, one) < 0) {
				cli_error("--method '%s': not a reset method (flr, af_flr, pm, bus, "
					  "cxl_bus, acpi, device_specific, vfio, hot)", *p);
				return false;
			}
			g_ptr_array_add(names, g_strdup(*p));
		}
	}
	g_ptr_array_add(names, NULL);
	return vfr_reset_options_set_methods(opts, (const char *const *)names->pdata) == 0;
}

static struct vfr_reset_options *make_options(bool for_reset)
{
	struct vfr_reset_options *opts = NULL;
	struct vfr_owners *owners = NULL;
	enum vfr_reset_policy policy = VFR_RESET_STRICT;
	unsigned int flags = 0;

	if (opt_policy && vfr_reset_policy_from_string(opt_policy, &policy) < 0) {
		cli_error("--policy '%s': expected strict, no-strict or skip", opt_policy);
		return NULL;
	}
	vfr_reset_options_new(&opts);
	vfr_owners_new(&owners);
	if (!parse_owners(owners)) {
		vfr_owners_unref(owners);
		vfr_reset_options_free(opts);
		return NULL;
	}
	vfr_reset_options_set_owners(opts, owners, opt_as);
	vfr_owners_unref(owners);
	if (!parse_methods(opts)) {
		vfr_reset_options_free(opts);
		return NULL;
	}
	if ((opt_cdev || opt_holding) && !opt_vfio) {
		cli_error("--cdev and --holding go with --vfio");
		vfr_reset_options_free(opts);
		return NULL;
	}
	vfr_reset_options_set_policy(opts, policy);
	if (opt_allow_host)
		flags |= VFR_RESET_ALLOW_HOST_DRIVERS;
	if (for_reset && opt_wait_holders)
		flags |= VFR_RESET_WAIT_HOLDERS;
	if (for_reset && opt_keep_command)
		flags |= VFR_RESET_KEEP_COMMAND;
	vfr_reset_options_set_flags(opts, flags);
	if (for_reset && (opt_timeout == 0 || opt_timeout < -1)) {
		/* The deadline would pass before the first method could be tried. */
		cli_error("--timeout %d: a reset needs a positive number of milliseconds (-1: no "
			  "limit)", opt_timeout);
		vfr_reset_options_free(opts);
		return NULL;
	}
	if (for_reset)
		vfr_reset_options_set_timeout(opts, opt_timeout);
	return opts;
}

/* "holders" and "uncertain_holders" of @h (null both when they could not be found). */
static void add_holders_json(JsonBuilder *b, const struct vfr_holders *h)
{
	json_builder_set_member_name(b, "holders");
	if (h) {
		json_builder_begin_array(b);
		for (size_t i = 0; i < vfr_holders_get_n(h); i++)
			json_builder_add_int_value(b, vfr_holders_get_pid(h, i));
		json_builder_end_array(b);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "uncertain_holders");
	if (h) {
		json_builder_begin_array(b);
		for (size_t i = 0; i < vfr_holders_get_n_uncertain(h); i++)
			json_builder_add_int_value(b, vfr_holders_get_uncertain_pid(h, i));
		json_builder_end_array(b);
	} else {
		json_builder_add_null_value(b);
	}
}

static void add_plan_json(JsonBuilder *b, const struct vfr_reset_plan *plan,
			  const struct vfr_holders *h)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, vfr_reset_plan_get_address(plan));
	json_builder_set_member_name(b, "policy");
	json_builder_add_string_value(b,
				      vfr_reset_policy_to_string(vfr_reset_plan_get_policy(plan)));
	json_builder_set_member_name(b, "ready");
	json_builder_add_boolean_value(b, vfr_reset_plan_is_ready(plan));
	json_builder_set_member_name(b, "refused");
	json_builder_add_boolean_value(b, vfr_reset_plan_is_refused(plan));
	json_builder_set_member_name(b, "methods");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_reset_plan_get_n_methods(plan); i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "method");
		json_builder_add_string_value(b, vfr_reset_plan_get_method(plan, i));
		json_builder_set_member_name(b, "mechanism");
		json_builder_add_string_value(
			b, vfr_reset_mechanism_to_string(vfr_reset_plan_get_mechanism(plan, i)));
		json_builder_set_member_name(b, "note");
		if (vfr_reset_plan_get_method_note(plan, i))
			json_builder_add_string_value(b, vfr_reset_plan_get_method_note(plan, i));
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "affected");
		json_builder_begin_array(b);
		for (size_t j = 0; j < vfr_reset_plan_get_n_affected(plan, i); j++)
			json_builder_add_string_value(b, vfr_reset_plan_get_affected(plan, i, j));
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "excluded");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_reset_plan_get_n_excluded(plan); i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "method");
		json_builder_add_string_value(b, vfr_reset_plan_get_excluded_method(plan, i));
		json_builder_set_member_name(b, "reason");
		json_builder_add_string_value(b, vfr_reset_plan_get_excluded_reason(plan, i));
		json_builder_set_member_name(b, "protects");
		json_builder_add_boolean_value(b, vfr_reset_plan_get_excluded_protects(plan, i));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	add_holders_json(b, h);
	json_builder_end_object(b);
}

static void print_holders_text(const struct vfr_holders *h, const char *why)
{
	if (!h) {
		printf("  holders: cannot be told: %s\n", why);
		return;
	}
	for (size_t i = 0; i < vfr_holders_get_n(h); i++)
		printf("  held by pid %d\n", vfr_holders_get_pid(h, i));
	for (size_t i = 0; i < vfr_holders_get_n_uncertain(h); i++)
		printf("  may be held by pid %d (a VFIO device file this kernel does not name)\n",
		       vfr_holders_get_uncertain_pid(h, i));
}

static void print_plan_text(const struct vfr_reset_plan *plan)
{
	size_t n = vfr_reset_plan_get_n_methods(plan);

	printf("%s: %s (policy %s)\n", vfr_reset_plan_get_address(plan),
	       n ? "ready" : vfr_reset_plan_is_refused(plan) ? "refused, to protect what it would reach"
							    : "no usable reset method",
	       vfr_reset_policy_to_string(vfr_reset_plan_get_policy(plan)));
	for (size_t i = 0; i < n; i++) {
		printf("  %zu. %-8s %-18s affects", i + 1, vfr_reset_plan_get_method(plan, i),
		       vfr_reset_mechanism_to_string(vfr_reset_plan_get_mechanism(plan, i)));
		for (size_t j = 0; j < vfr_reset_plan_get_n_affected(plan, i); j++)
			printf(" %s", vfr_reset_plan_get_affected(plan, i, j));
		putchar('\n');
		if (vfr_reset_plan_get_method_note(plan, i))
			printf("     %s\n", vfr_reset_plan_get_method_note(plan, i));
	}
	for (size_t i = 0; i < vfr_reset_plan_get_n_excluded(plan); i++)
		printf("  excluded %s%s: %s\n", vfr_reset_plan_get_excluded_method(plan, i),
		       vfr_reset_plan_get_excluded_protects(plan, i) ? " (protects)" : "",
		       vfr_reset_plan_get_excluded_reason(plan, i));
}

/* Bad input (unknown or malformed address, bad option) before any work. */
static struct vfr_device **prepare(struct cli *cli, const char *cmd, int *argc, char **argv,
				   struct vfr_host **ret_host, int *ret_status)
{
	struct vfr_device **devs;
	struct vfr_host *host;

	if (*argc <= 0) {
		cli_error("%s: name at least one function (DDDD:BB:DD.F)", cmd);
		*ret_status = EXIT_USAGE;
		return NULL;
	}
	host = cli_scan(cli, *argc, argv);
	if (!host) {
		*ret_status = cli->status;
		return NULL;
	}
	devs = cli_lookup(host, argc, argv, ret_status);
	if (!devs) {
		vfr_host_unref(host);
		return NULL;
	}
	*ret_host = host;
	return devs;
}

/*
 * --vfio: the named functions bound to a vfio driver, and those of
 * --holding, are held here for the duration, the way a VMM holds them. One
 * that cannot be held is said on stderr; its plan then says why `vfio` and
 * `hot` are out. Returns false (and sets *ret_status) on bad input.
 */
static bool hold(struct vfr_host *host, struct vfr_device **devs, int argc,
		 struct vfr_reset_options *opts, struct vfr_vfio_holding **ret, int *ret_status)
{
	struct vfr_vfio_holding *h = NULL;
	g_autoptr(GPtrArray) extra = g_ptr_array_new();
	g_autofree struct vfr_address *addrs = NULL;
	size_t n_addrs = 0;

	*ret = NULL;
	if (!opt_vfio)
		return true;
	if (cli_parse_address_list("--holding", opt_holding, &addrs, &n_addrs) < 0) {
		*ret_status = EXIT_USAGE;
		return false;
	}
	for (size_t i = 0; i < n_addrs; i++) {
		struct vfr_device *dev = NULL;

		if (vfr_host_find_device(host, &addrs[i], &dev) < 0) {
			char name[VFR_ADDRESS_STRLEN];

			vfr_address_format(&addrs[i], name, sizeof(name));
			cli_error("--holding %s: no such PCI function", name);
			*ret_status = EXIT_USAGE;
			return false;
		}
		g_ptr_array_add(extra, dev);
	}
	vfr_vfio_holding_new(host, opt_cdev ? VFR_HOT_RESET_MODE_CDEV : VFR_HOT_RESET_MODE_GROUP,
			     &h);
	for (int i = 0; i < argc + (int)extra->len; i++) {
		struct vfr_device *dev = i < argc ? devs[i] : extra->pdata[i - argc];
		enum vfr_driver_type type = VFR_DRIVER_NONE;
		struct vfr_error *err = NULL;

		/* A named function under another driver is not held: its plan says why. */
		if (i < argc && (vfr_device_get_driver_type(dev, &type) < 0 ||
				 (type != VFR_DRIVER_VFIO_PCI && type != VFR_DRIVER_VFIO_VARIANT)))
			continue;
		if (vfr_vfio_holding_add(h, dev, &err) < 0) {
			cli_error("warning: %s: not held through VFIO: %s", vfr_device_get_name(dev),
				  vfr_error_get_message(err));
			vfr_error_free(err);
		}
	}
	vfr_reset_options_set_vfio_holding(opts, h);
	*ret = h;
	return true;
}

/* What `plan` and `reset` share: the options, the scanned functions, what is held. */
struct session {
	struct vfr_reset_options *opts;
	struct vfr_host *host;
	struct vfr_device **devs;
	struct vfr_vfio_holding *holding;
};

static void session_end(struct session *s)
{
	vfr_reset_options_free(s->opts);
	/* Closed only now: the held fds were the proof of ownership for `hot`. */
	vfr_vfio_holding_free(s->holding);
	vfr_host_unref(s->host);
	g_free(s->devs);
}

/* true with @s ready; false with *@status set and nothing left to free. */
static bool session_begin(struct cli *cli, const char *cmd, int *argc, char **argv,
			  struct session *s, int *status)
{
	*s = (struct session){ .opts = make_options(strcmp(cmd, "reset") == 0) };
	if (!s->opts) {
		*status = EXIT_USAGE;
		return false;
	}
	s->devs = prepare(cli, cmd, argc, argv, &s->host, status);
	if (s->devs && !hold(s->host, s->devs, *argc, s->opts, &s->holding, status))
		g_clear_pointer(&s->devs, g_free);
	if (!s->devs) {
		session_end(s);
		return false;
	}
	return true;
}

int cmd_plan(struct cli *cli, int argc, char **argv)
{
	g_autoptr(JsonBuilder) b = NULL;
	struct session s;
	int status = EXIT_OK;

	if (!session_begin(cli, "plan", &argc, argv, &s, &status))
		return status;
	if (cli->json) {
		b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "plans");
		json_builder_begin_array(b);
	}
	for (int i = 0; i < argc; i++) {
		struct vfr_reset_plan *plan = NULL;
		struct vfr_holders *holders = NULL;
		struct vfr_error *err = NULL;

		if (vfr_reset_plan_new(s.devs[i], s.opts, &plan, &err) < 0) {
			cli_error("%s", vfr_error_get_message(err));
			vfr_error_free(err);
			status = EXIT_FAILED;
			continue;
		}
		/* Who holds it now: a reset would be refused for them. */
		if (vfr_device_find_holders(s.devs[i], &holders, &err) < 0)
			holders = NULL;
		if (b) {
			add_plan_json(b, plan, holders);
		} else {
			print_plan_text(plan);
			print_holders_text(holders, err ? vfr_error_get_message(err) : "");
		}
		vfr_error_free(err);
		err = NULL;
		vfr_holders_free(holders);
		holders = NULL;
		vfr_reset_plan_unref(plan);
	}
	if (b) {
		g_autoptr(JsonNode) root = NULL;

		json_builder_end_array(b);
		json_builder_end_object(b);
		root = json_builder_get_root(b);
		cli_print_json(root);
	}
	session_end(&s);
	return status;
}

static void add_result_json(JsonBuilder *b, const struct vfr_reset_result *res)
{
	const char *method = vfr_reset_result_get_method(res);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, vfr_reset_result_get_address(res));
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, vfr_reset_result_is_ok(res));
	json_builder_set_member_name(b, "outcome");
	json_builder_add_string_value(b, vfr_reset_outcome_to_string(vfr_reset_result_get_outcome(res)));
	json_builder_set_member_name(b, "method");
	if (method)
		json_builder_add_string_value(b, method);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "timed_out");
	json_builder_add_boolean_value(b, vfr_reset_result_is_timed_out(res));
	json_builder_set_member_name(b, "ignored_by_policy");
	json_builder_add_boolean_value(b, vfr_reset_result_is_ignored_by_policy(res));
	json_builder_set_member_name(b, "skipped");
	json_builder_add_boolean_value(b, vfr_reset_result_is_skipped(res));
	json_builder_set_member_name(b, "policy");
	json_builder_add_string_value(b, vfr_reset_policy_to_string(vfr_reset_plan_get_policy(
						 vfr_reset_result_get_plan(res))));
	json_builder_set_member_name(b, "errno");
	json_builder_add_int_value(b, -vfr_reset_result_get_error(res));
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, vfr_reset_result_get_message(res));
	json_builder_set_member_name(b, "locked");
	if (vfr_reset_result_get_locked(res))
		json_builder_add_string_value(b, vfr_reset_result_get_locked(res));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "merged_with");
	if (vfr_reset_result_get_merged_with(res))
		json_builder_add_string_value(b, vfr_reset_result_get_merged_with(res));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "merged");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_reset_result_get_n_merged(res); i++)
		json_builder_add_string_value(b, vfr_reset_result_get_merged(res, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "affected");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_reset_result_get_n_affected(res); i++)
		json_builder_add_string_value(b, vfr_reset_result_get_affected(res, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "pending_pid");
	if (vfr_reset_result_get_pending_pid(res) > 0)
		json_builder_add_int_value(b, vfr_reset_result_get_pending_pid(res));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "holders");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_reset_result_get_n_holders(res); i++)
		json_builder_add_int_value(b, vfr_reset_result_get_holder(res, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "uncertain_holders");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_reset_result_get_n_uncertain_holders(res); i++)
		json_builder_add_int_value(b, vfr_reset_result_get_uncertain_holder(res, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "attempts");
	json_builder_begin_array(b);
	for (size_t i = 0; i < vfr_reset_result_get_n_attempts(res); i++) {
		int e = vfr_reset_result_get_attempt_error(res, i);

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "method");
		json_builder_add_string_value(b, vfr_reset_result_get_attempt_method(res, i));
		json_builder_set_member_name(b, "errno");
		json_builder_add_int_value(b, -e);
		json_builder_set_member_name(b, "error");
		if (e)
			json_builder_add_string_value(b, g_strerror(-e));
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "ms");
		json_builder_add_double_value(b, vfr_reset_result_get_attempt_ms(res, i));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static void print_result_text(const struct vfr_reset_result *res)
{
	size_t n = vfr_reset_result_get_n_attempts(res);

	static const char *const word[] = {
		[VFR_RESET_OUTCOME_RESET] = "ok", [VFR_RESET_OUTCOME_FAILED] = "FAILED",
		[VFR_RESET_OUTCOME_IGNORED] = "ok", [VFR_RESET_OUTCOME_REFUSED] = "REFUSED",
		[VFR_RESET_OUTCOME_UNKNOWN] = "UNKNOWN", [VFR_RESET_OUTCOME_SKIPPED] = "ok",
	};
	enum vfr_reset_outcome outcome = vfr_reset_result_get_outcome(res);

	printf("%s: %s\n", outcome < G_N_ELEMENTS(word) && word[outcome] ? word[outcome] : "FAILED",
	       vfr_reset_result_get_message(res));
	if (vfr_reset_result_is_ignored_by_policy(res))
		printf("  the failure is ignored because of the no-strict policy\n");
	for (size_t i = 0; i < n; i++) {
		int e = vfr_reset_result_get_attempt_error(res, i);

		printf("  tried %-8s %s (%.1f ms)\n", vfr_reset_result_get_attempt_method(res, i),
		       e ? g_strerror(-e) : "ok", vfr_reset_result_get_attempt_ms(res, i));
	}
}

int cmd_reset(struct cli *cli, int argc, char **argv)
{
	struct vfr_reset_batch *batch = NULL;
	struct vfr_error *err = NULL;
	struct session s;
	int status = EXIT_OK;

	if (!session_begin(cli, "reset", &argc, argv, &s, &status))
		return status;
	if (vfr_reset_batch_run(s.devs, (size_t)argc, s.opts, &batch, &err) < 0) {
		cli_error("%s", vfr_error_get_message(err));
		vfr_error_free(err);
		status = EXIT_FAILED;
	} else {
		if (cli->json) {
			g_autoptr(JsonBuilder) b = json_builder_new();
			g_autoptr(JsonNode) root = NULL;

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "results");
			json_builder_begin_array(b);
			for (size_t i = 0; i < vfr_reset_batch_get_n(batch); i++)
				add_result_json(b, vfr_reset_batch_get_result(batch, i));
			json_builder_end_array(b);
			json_builder_end_object(b);
			root = json_builder_get_root(b);
			cli_print_json(root);
		} else {
			for (size_t i = 0; i < vfr_reset_batch_get_n(batch); i++)
				print_result_text(vfr_reset_batch_get_result(batch, i));
		}
		if (!vfr_reset_batch_is_ok(batch))
			status = EXIT_FAILED;
		vfr_reset_batch_free(batch);
	}
	session_end(&s);
	return status;
}
