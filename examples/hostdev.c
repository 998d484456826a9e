/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VM manager's host-device layer, the way libvirt's virhostdev prepares
 * and releases PCI functions for a domain, on the installed library alone:
 *
 *   prepare DOMAIN BDF...  refuse what is used by another domain, is not
 *                          assignable (ACS), or whose group would not be
 *                          viable, before anything changes; bind to vfio-pci
 *                          (or the best variant) for DOMAIN, which also
 *                          persists DOMAIN's claim; reset each function. A
 *                          failed reset gives the functions back.
 *   release DOMAIN [BDF...] reset DOMAIN's functions (all, from the persisted
 *                          list, when none are named) and give them back to
 *                          their original drivers; one still held open by a
 *                          process stays DOMAIN's, on vfio-pci.
 *   list                   the active list after a restart: every persisted
 *                          claim, with whether the function is still on a
 *                          vfio driver (libvirt's UpdateActivePCIDevices).
 *
 * Two domains side by side: each prepare and release acts for its domain,
 * and the library refuses a function claimed by the other.
 *
 *   cc hostdev.c $(pkg-config --cflags --libs vfioreset)
 *   ./a.out [--no-strict-acs] [--policy strict|no-strict] [--variant]
 *           [--timeout MS] prepare DOMAIN BDF...
 *
 * The host is "/" (or $VFIORESET_ROOT); on a simulated one:
 *   vfioreset-mock tests/fixtures/qemu-q35.ini -- ./a.out prepare vm1 0000:02:00.0
 *
 * Exit status: 0 done, 1 refused or failed, 2 bad usage or input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioreset/vfioreset.h>

#define USAGE                                                                              \
	"usage: hostdev [--no-strict-acs] [--policy strict|no-strict] [--variant] "       \
	"[--timeout MS]\n"                                                                 \
	"               prepare DOMAIN BDF... | release DOMAIN [BDF...] | list\n"

struct args {
	bool strict_acs;
	bool variant;
	enum vfr_reset_policy policy;
	int timeout_ms;
	const char *command, *domain;
	char **bdfs;
	int n_bdfs;
};

struct manager {
	struct vfr_ctx *ctx;
	struct vfr_host *host;
	struct vfr_owners *active; /* the persisted claims, read at the start */
	const struct args *a;
};

static bool parse_args(int argc, char **argv, struct args *a)
{
	int i;

	*a = (struct args){ .strict_acs = true, .policy = VFR_RESET_STRICT, .timeout_ms = 10000 };
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		char *end;

		if (strcmp(argv[i], "--no-strict-acs") == 0) {
			a->strict_acs = false;
		} else if (strcmp(argv[i], "--variant") == 0) {
			a->variant = true;
		} else if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc) {
			if (vfr_reset_policy_from_string(argv[++i], &a->policy) < 0 ||
			    a->policy == VFR_RESET_SKIP)
				return false;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			long ms = strtol(argv[++i], &end, 10);

			if (end == argv[i] || *end || ms < 1 || ms > 3600000)
				return false;
			a->timeout_ms = (int)ms;
		} else {
			return false;
		}
	}
	if (i >= argc)
		return false;
	a->command = argv[i++];
	if (strcmp(a->command, "list") == 0)
		return i == argc;
	if (i >= argc || !argv[i][0])
		return false;
	a->domain = argv[i++];
	a->bdfs = argv + i;
	a->n_bdfs = argc - i;
	if (strcmp(a->command, "prepare") == 0)
		return a->n_bdfs > 0;
	return strcmp(a->command, "release") == 0;
}

static const char *or_none(const char *driver)
{
	return driver ? driver : "(none)";
}

static const char *claim_of(const struct manager *m, struct vfr_device *dev)
{
	struct vfr_address addr;

	vfr_device_get_address(dev, &addr);
	return vfr_owners_lookup(m->active, &addr);
}

static void print_binding(const char *what, const struct vfr_binding *b)
{
	for (size_t i = 0; i < vfr_binding_get_n_devices(b); i++) {
		const char *msg = vfr_binding_get_message(b, i);

		printf("%s %s: %s -> %s", what, vfr_device_get_name(vfr_binding_get_device(b, i)),
		       or_none(vfr_binding_get_driver_before(b, i)),
		       or_none(vfr_binding_get_driver_after(b, i)));
		if (msg)
			printf(" (%s)", msg);
		putchar('\n');
	}
}

/*
 * Everything a manager refuses before it touches anything, as
 * virHostdevPreparePCIDevices does: a function used by another domain, one
 * that is not assignable, a group that would not be viable once the
 * functions are bound (the other members keep their drivers: the manager
 * binds only what the domain was given).
 */
static bool check_prepare(struct manager *m, struct vfr_device **devs, size_t n)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		const char *claim = claim_of(m, devs[i]);
		struct vfr_error *err = NULL;
		struct vfr_device *blocker = NULL;
		const char *driver = NULL;
		int group;

		if (claim && strcmp(claim, m->a->domain) != 0) {
			printf("refused %s: in use by domain %s\n", vfr_device_get_name(devs[i]),
			       claim);
			ok = false;
			continue;
		}
		if (vfr_device_check_assignable(devs[i], m->a->strict_acs, &err) < 0) {
			printf("refused %s: %s\n", vfr_device_get_name(devs[i]),
			       vfr_error_get_message(err));
			vfr_error_free(err);
			ok = false;
			continue;
		}
		if (vfr_device_get_iommu_group(devs[i], &group) < 0) {
			printf("refused %s: in no IOMMU group (no IOMMU, or not enabled)\n",
			       vfr_device_get_name(devs[i]));
			ok = false;
			continue;
		}
		if (vfr_host_check_group_viable_if_bound(m->host, group, devs, n, &blocker) == 0) {
			vfr_device_get_driver(blocker, &driver);
			printf("refused %s: IOMMU group %d would not be viable: %s is bound to %s\n",
			       vfr_device_get_name(devs[i]), group, vfr_device_get_name(blocker),
			       or_none(driver));
			ok = false;
		}
	}
	return ok;
}

/* Resets @devs for the domain; prints each result. True when the policy is satisfied. */
static bool reset_for_domain(struct manager *m, struct vfr_device **devs, size_t n,
			     bool *ret_held)
{
	struct vfr_reset_options *opts = NULL;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_error *err = NULL;
	bool ok = false;

	*ret_held = false;
	if (vfr_reset_options_new(&opts) < 0)
		return false;
	/*
	 * On behalf of the domain: the library reads the persisted claims
	 * itself, so a bus reset that would reach another domain's function is
	 * refused without this process declaring anything.
	 */
	vfr_reset_options_set_owners(opts, NULL, m->a->domain);
	vfr_reset_options_set_policy(opts, m->a->policy);
	vfr_reset_options_set_timeout(opts, m->a->timeout_ms);
	if (vfr_reset_batch_run(devs, n, opts, &batch, &err) < 0) {
		printf("reset: %s\n", vfr_error_get_message(err));
		goto out;
	}
	for (size_t i = 0; i < vfr_reset_batch_get_n(batch); i++) {
		const struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, i);
		const char *addr = vfr_reset_result_get_address(res);

		if (vfr_reset_result_is_ok(res)) {
			printf("reset %s: %s with %s\n", addr,
			       vfr_reset_result_is_ignored_by_policy(res) ? "FAILED, ignored" : "ok",
			       vfr_reset_result_get_method(res) ? vfr_reset_result_get_method(res)
								: "no method");
			continue;
		}
		printf("reset %s: FAILED: %s\n", addr, vfr_reset_result_get_message(res));
		if (vfr_reset_result_is_timed_out(res))
			printf("  timed out: the kernel may still be resetting it\n");
		for (size_t k = 0; k < vfr_reset_result_get_n_holders(res); k++) {
			printf("  held open by pid %d\n", vfr_reset_result_get_holder(res, k));
			*ret_held = true;
		}
	}
	ok = vfr_reset_batch_is_ok(batch);
out:
	vfr_error_free(err);
	vfr_reset_batch_free(batch);
	vfr_reset_options_free(opts);
	return ok;
}

/* Gives @devs back to their original drivers for the domain (withdrawing its claims). */
static bool give_back(struct manager *m, struct vfr_device **devs, size_t n)
{
	struct vfr_binding *b = NULL;
	struct vfr_error *err = NULL;
	bool ok;

	if (vfr_binding_new(m->host, &b) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		vfr_binding_add_device(b, devs[i]);
	vfr_binding_set_owner(b, m->a->domain);
	vfr_binding_set_timeout(b, m->a->timeout_ms, 30000);
	ok = vfr_binding_restore(b, &err) == 0;
	print_binding("release", b);
	if (!ok)
		printf("release: %s\n", vfr_error_get_message(err));
	vfr_error_free(err);
	vfr_binding_unref(b);
	return ok;
}

static int prepare(struct manager *m, struct vfr_device **devs, size_t n)
{
	struct vfr_binding *b = NULL;
	struct vfr_error *err = NULL;
	bool held;
	int status = 1;

	if (!check_prepare(m, devs, n))
		return 1;
	if (vfr_binding_new(m->host, &b) < 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		vfr_binding_add_device(b, devs[i]);
	/* For the domain: the library claims them in the persisted list as it binds. */
	vfr_binding_set_owner(b, m->a->domain);
	vfr_binding_set_flags(b, m->a->variant ? VFR_BINDING_VARIANT : 0);
	vfr_binding_set_timeout(b, m->a->timeout_ms, 30000);
	if (vfr_binding_bind(b, &err) < 0) {
		/* Rolled back by the library: the functions are where they were, unclaimed. */
		print_binding("bind", b);
		printf("bind: %s\n", vfr_error_get_message(err));
		goto out;
	}
	print_binding("bind", b);
	/* A function reaches the guest reset, or not at all. */
	if (!reset_for_domain(m, devs, n, &held)) {
		printf("not prepared: giving the functions back\n");
		if (!give_back(m, devs, n))
			printf("left on vfio-pci for %s: `hostdev release %s` when it can be\n",
			       m->a->domain, m->a->domain);
		goto out;
	}
	printf("prepared %s:", m->a->domain);
	for (size_t i = 0; i < n; i++)
		printf(" %s", vfr_device_get_name(devs[i]));
	putchar('\n');
	status = 0;
out:
	vfr_error_free(err);
	vfr_binding_unref(b);
	return status;
}

static int release(struct manager *m, struct vfr_device **devs, size_t n)
{
	bool held, reset_ok;

	if (n == 0) {
		printf("release %s: nothing claimed\n", m->a->domain);
		return 0;
	}
	/* What the guest left in the functions must not reach the host's drivers. */
	reset_ok = reset_for_domain(m, devs, n, &held);
	if (!reset_ok) {
		/* A held function cannot be unbound anyway: the kernel would wait for the holder. */
		printf("kept for %s: %s\n", m->a->domain,
		       held ? "still held open; release again once the process is gone"
			    : "not reset; release again, or use --policy no-strict");
		return 1;
	}
	if (!give_back(m, devs, n))
		return 1;
	printf("released %s:", m->a->domain);
	for (size_t i = 0; i < n; i++)
		printf(" %s", vfr_device_get_name(devs[i]));
	putchar('\n');
	return 0;
}

/* After a restart: every claim, and whether the function is still where the domain needs it. */
static int list(struct manager *m)
{
	int status = 0;

	for (size_t i = 0; i < vfr_owners_get_n(m->active); i++) {
		const char *addr = vfr_owners_get_address(m->active, i);
		struct vfr_device *dev = NULL;
		enum vfr_driver_type type;
		const char *driver = NULL;
		bool vfio;

		if (vfr_host_lookup(m->host, addr, &dev, NULL) < 0) {
			printf("%s %s (gone) stale\n", vfr_owners_get_owner(m->active, i), addr);
			status = 1;
			continue;
		}
		vfr_device_get_driver(dev, &driver);
		vfio = vfr_device_get_driver_type(dev, &type) == 0 &&
		       (type == VFR_DRIVER_VFIO_PCI || type == VFR_DRIVER_VFIO_VARIANT);
		printf("%s %s %s %s\n", vfr_owners_get_owner(m->active, i), addr, or_none(driver),
		       vfio ? "active" : "stale");
		status |= !vfio;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct vfr_device **devs = NULL;
	struct vfr_error *err = NULL;
	struct manager m = { 0 };
	struct args a;
	size_t n = 0;
	int status = 1;

	if (!parse_args(argc, argv, &a)) {
		fputs(USAGE, stderr);
		return 2;
	}
	m.a = &a;
	if (vfr_ctx_new(NULL, &m.ctx, &err) < 0 || vfr_host_scan(m.ctx, &m.host, &err) < 0 ||
	    vfr_owners_load(m.ctx, &m.active, &err) < 0) {
		fprintf(stderr, "hostdev: %s\n", vfr_error_get_message(err));
		goto out;
	}
	devs = calloc((size_t)a.n_bdfs + vfr_owners_get_n(m.active) + 1, sizeof(*devs));
	if (!devs)
		goto out;
	for (int i = 0; i < a.n_bdfs; i++) {
		/* A malformed or absent address is bad input: nothing has changed yet. */
		if (vfr_host_lookup(m.host, a.bdfs[i], &devs[n], &err) < 0) {
			fprintf(stderr, "hostdev: %s\n", vfr_error_get_message(err));
			status = 2;
			goto out;
		}
		n++;
	}
	if (strcmp(a.command, "prepare") == 0) {
		status = prepare(&m, devs, n);
	} else if (strcmp(a.command, "release") == 0) {
		/* Without names: what the persisted list says the domain was given. */
		for (size_t i = 0; a.n_bdfs == 0 && i < vfr_owners_get_n(m.active); i++)
			if (strcmp(vfr_owners_get_owner(m.active, i), a.domain) == 0 &&
			    vfr_host_lookup(m.host, vfr_owners_get_address(m.active, i), &devs[n],
					    NULL) == 0)
				n++;
		status = release(&m, devs, n);
	} else {
		status = list(&m);
	}
out:
	vfr_error_free(err);
	free(devs);
	vfr_owners_unref(m.active);
	vfr_host_unref(m.host);
	vfr_ctx_unref(m.ctx);
	return status;
}
