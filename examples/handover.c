/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a VM manager hands PCI functions from one VM to the next, after the
 * first VM has closed them: bind them (their whole IOMMU groups) to vfio-pci,
 * declare them for the next VM, show how each will be reset, reset them in
 * one batch with the strict policy and a deadline, and leave them on
 * vfio-pci for the next VM (or, with --restore, give them back to the
 * drivers they had before).
 *
 *   cc handover.c $(pkg-config --cflags --libs vfioreset)
 *   ./a.out [--owner NAME] [--timeout MS] [--restore] BDF...
 *
 * The host is "/" (or $VFIORESET_ROOT); try it on a simulated one:
 *   vfioreset-mock tests/fixtures/qemu-q35.ini -- ./a.out 0000:04:00.0
 *
 * Exit status: 0 handed over, 1 a bind, reset or restore failed, 2 bad usage
 * or input.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioreset/vfioreset.h>

#define USAGE "usage: handover [--owner NAME] [--timeout MS] [--restore] BDF...\n"

struct args {
	const char *owner;
	int timeout_ms;
	bool restore;
	char **bdfs;
	int n_bdfs;
};

static bool parse_args(int argc, char **argv, struct args *a)
{
	*a = (struct args){ .owner = "vm", .timeout_ms = 10000 };
	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--restore") == 0) {
			a->restore = true;
		} else if (strcmp(argv[i], "--owner") == 0 && i + 1 < argc && argv[i + 1][0]) {
			a->owner = argv[++i];
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			long ms = strtol(argv[++i], &end, 10);

			if (end == argv[i] || *end || ms < -1 || ms > 3600000)
				return false;
			a->timeout_ms = (int)ms;
		} else if (argv[i][0] == '-') {
			return false;
		} else {
			a->bdfs = argv + i;
			a->n_bdfs = argc - i;
			return true;
		}
	}
	return false;
}

static const char *or_none(const char *driver)
{
	return driver ? driver : "(none)";
}

/* What the binding did to each function; a failure says why and what was undone. */
static void print_binding(const char *what, const struct vfr_binding *b)
{
	for (size_t i = 0; i < vfr_binding_get_n_devices(b); i++) {
		const char *msg = vfr_binding_get_message(b, i);

		printf("%s: %s %s -> %s", what, vfr_device_get_name(vfr_binding_get_device(b, i)),
		       or_none(vfr_binding_get_driver_before(b, i)),
		       or_none(vfr_binding_get_driver_after(b, i)));
		if (msg)
			printf(" (%s)", msg);
		putchar('\n');
	}
}

static void print_plan(const struct vfr_reset_plan *plan, const char *owner)
{
	printf("plan %s for %s:%s\n", vfr_reset_plan_get_address(plan), owner,
	       vfr_reset_plan_is_ready(plan) ? "" : " no usable reset method");
	for (size_t i = 0; i < vfr_reset_plan_get_n_methods(plan); i++) {
		printf("  %zu. %s (%s) affects", i + 1, vfr_reset_plan_get_method(plan, i),
		       vfr_reset_mechanism_to_string(vfr_reset_plan_get_mechanism(plan, i)));
		for (size_t j = 0; j < vfr_reset_plan_get_n_affected(plan, i); j++)
			printf(" %s", vfr_reset_plan_get_affected(plan, i, j));
		putchar('\n');
	}
	for (size_t i = 0; i < vfr_reset_plan_get_n_excluded(plan); i++)
		printf("  excluded %s: %s\n", vfr_reset_plan_get_excluded_method(plan, i),
		       vfr_reset_plan_get_excluded_reason(plan, i));
}

static void print_result(const struct vfr_reset_result *res)
{
	const char *addr = vfr_reset_result_get_address(res);

	if (vfr_reset_result_is_ok(res)) {
		printf("reset %s: ok with %s\n", addr, vfr_reset_result_get_method(res));
		return;
	}
	printf("reset %s: FAILED: %s\n", addr, vfr_reset_result_get_message(res));
	if (vfr_reset_result_is_timed_out(res))
		printf("  timed out: the kernel may still be resetting it; leave it alone\n");
	for (size_t i = 0; i < vfr_reset_result_get_n_attempts(res); i++) {
		int e = -vfr_reset_result_get_attempt_error(res, i);

		printf("  %s: %s (errno %d)\n", vfr_reset_result_get_attempt_method(res, i),
		       e ? strerror(e) : "ok", e);
	}
	for (size_t i = 0; i < vfr_reset_result_get_n_holders(res); i++)
		printf("  held open by pid %d\n", vfr_reset_result_get_holder(res, i));
}

/*
 * Declares every function of the binding for @owner and resets them all: a
 * VM that opened a group could reach each of its members, so each is reset
 * before the next VM gets it. Returns true when every reset worked.
 */
static bool reset_all(const struct vfr_binding *b, const struct args *a)
{
	size_t n = vfr_binding_get_n_devices(b);
	struct vfr_device **devs = calloc(n ? n : 1, sizeof(*devs));
	struct vfr_reset_options *opts = NULL;
	struct vfr_owners *owners = NULL;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_error *err = NULL;
	bool ok = false;

	if (!devs || vfr_owners_new(&owners) < 0 || vfr_reset_options_new(&opts) < 0) {
		fprintf(stderr, "handover: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct vfr_address addr;

		devs[i] = vfr_binding_get_device(b, i);
		vfr_device_get_address(devs[i], &addr);
		if (vfr_owners_add(owners, a->owner, &addr, &err) < 0) {
			fprintf(stderr, "handover: %s\n", vfr_error_get_message(err));
			goto out;
		}
	}
	/*
	 * Strict: a function no method could reset must not reach the next VM.
	 * The registry: a manager declares every VM's functions, so that a bus
	 * reset made for one VM never reaches another's. A process that still
	 * holds a function's VFIO nodes (the previous VM, not yet gone) makes its
	 * reset fail, naming the pid; VFR_RESET_WAIT_HOLDERS would wait for it
	 * up to the deadline instead.
	 */
	vfr_reset_options_set_policy(opts, VFR_RESET_STRICT);
	vfr_reset_options_set_owners(opts, owners, a->owner);
	vfr_reset_options_set_timeout(opts, a->timeout_ms);

	for (size_t i = 0; i < n; i++) {
		struct vfr_reset_plan *plan = NULL;

		if (vfr_reset_plan_new(devs[i], opts, &plan, &err) < 0) {
			fprintf(stderr, "handover: %s\n", vfr_error_get_message(err));
			goto out;
		}
		print_plan(plan, a->owner);
		vfr_reset_plan_unref(plan);
	}

	/* One batch: resets whose affected sets are disjoint run at the same time. */
	if (vfr_reset_batch_run(devs, n, opts, &batch, &err) < 0) {
		fprintf(stderr, "handover: %s\n", vfr_error_get_message(err));
		goto out;
	}
	for (size_t i = 0; i < vfr_reset_batch_get_n(batch); i++)
		print_result(vfr_reset_batch_get_result(batch, i));
	ok = vfr_reset_batch_is_ok(batch);
out:
	vfr_error_free(err);
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(opts);
	vfr_owners_unref(owners);
	free(devs);
	return ok;
}

int main(int argc, char **argv)
{
	struct vfr_binding *b = NULL;
	struct vfr_error *err = NULL;
	struct vfr_host *host = NULL;
	struct vfr_ctx *ctx = NULL;
	struct args a;
	int status = 1;

	if (!parse_args(argc, argv, &a)) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (vfr_ctx_new(NULL, &ctx, &err) < 0 || vfr_host_scan(ctx, &host, &err) < 0 ||
	    vfr_binding_new(host, &b) < 0) {
		fprintf(stderr, "handover: %s\n", err ? vfr_error_get_message(err) : "out of memory");
		goto out;
	}
	for (int i = 0; i < a.n_bdfs; i++) {
		struct vfr_device *dev;

		/* A malformed or absent address is bad input: nothing has changed yet. */
		if (vfr_host_lookup(host, a.bdfs[i], &dev, &err) < 0) {
			fprintf(stderr, "handover: %s\n", vfr_error_get_message(err));
			status = 2;
			goto out;
		}
		vfr_binding_add_device(b, dev);
	}

	/*
	 * The whole group: VFIO hands out groups, and the kernel lets a group be
	 * used only when no member has a host driver. On failure the library
	 * has put every function back as it was (or says which it could not).
	 */
	vfr_binding_set_flags(b, VFR_BINDING_GROUP);
	if (vfr_binding_bind(b, &err) < 0) {
		print_binding("bind", b);
		fprintf(stderr, "handover: %s\n", vfr_error_get_message(err));
		goto out;
	}
	print_binding("bind", b);

	/*
	 * A failed or timed-out reset leaves the functions on vfio-pci: no host
	 * driver probes a function in an unknown state, and no VM gets it. The
	 * record of the original drivers stays, for `vfioreset restore` later.
	 */
	if (!reset_all(b, &a)) {
		fprintf(stderr, "handover: not handed over; the functions stay on vfio-pci "
				"(`vfioreset restore BDF...` gives them back to their drivers)\n");
		goto out;
	}

	if (a.restore) {
		if (vfr_binding_restore(b, &err) < 0) {
			print_binding("restore", b);
			fprintf(stderr, "handover: %s\n", vfr_error_get_message(err));
			goto out;
		}
		print_binding("restore", b);
	} else {
		for (size_t i = 0; i < vfr_binding_get_n_devices(b); i++)
			printf("ready: %s on %s for %s\n",
			       vfr_device_get_name(vfr_binding_get_device(b, i)),
			       or_none(vfr_binding_get_driver_after(b, i)), a.owner);
	}
	status = 0;
out:
	vfr_error_free(err);
	vfr_binding_unref(b);
	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
	return status;
}
