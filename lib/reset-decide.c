/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset decision (pure). Every method considered ends up either among
 * the candidates, in the order they would be tried, or among the exclusions
 * with a sentence a person can act on: the kernel's reset_method list (or
 * "kernel" when it offers none), then `vfio` and `hot`.
 *
 * Order: `vfio` first when the caller holds the device open (the kernel's
 * own reset under vfio's locks, which also tear down the user's BAR
 * mappings), then the kernel's methods in its priority order, pinned one by
 * one, then `hot`, which resets the most. A caller may restrict the plan to
 * some methods (an operator pinning `bus`, a test reproducing a case): the
 * others are excluded as not requested, the order stays the plan's.
 */
#include <string.h>

#include "reset-plan.h"

/* Why a method is excluded: it cannot work, or it would harm someone (and whom). */
enum veto_kind {
	VETO_CANNOT = 0,
	VETO_PROTECT = 1, /* another owner, a host driver, a stuck call, a stale host */
	VETO_HELD = 2,    /* other processes (or a stuck kernel call) hold what it would reach */
};

static void exclude(struct vfr_reset_plan *plan, const char *method, enum veto_kind kind,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void exclude(struct vfr_reset_plan *plan, const char *method, enum veto_kind kind,
		    const char *fmt, ...)
{
	struct reset_exclusion *e = g_new0(struct reset_exclusion, 1);
	va_list ap;

	e->method = g_strdup(method);
	e->safety = kind != VETO_CANNOT;
	e->held = kind == VETO_HELD;
	va_start(ap, fmt);
	e->reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(plan->excluded, e);
}

static void free_candidate(gpointer p)
{
	struct reset_candidate *c = p;

	g_free(c->method);
	g_free(c->note);
	g_strfreev(c->affected);
	g_free(c->groups);
	g_free(c);
}

static void free_exclusion(gpointer p)
{
	struct reset_exclusion *e = p;

	g_free(e->method);
	g_free(e->reason);
	g_free(e);
}

static int by_name(gconstpointer a, gconstpointer b)
{
	struct vfr_address x, y;
	const char *s = *(const char *const *)a, *t = *(const char *const *)b;

	/* Names are the kernel's spelling; parse to order domains of different widths. */
	if (vfr_address_parse(s, &x, NULL) == 0 && vfr_address_parse(t, &y, NULL) == 0)
		return vfr_address_compare(&x, &y);
	return strcmp(s, t);
}

/* Which functions a method resets along with the target. */
enum reach {
	REACH_FUNCTION = 0, /* the target and its VFs: a PF's reset clears VF Enable */
	REACH_BUS = 1,      /* everything below the target's bridge (VFs included) */
};

/* The peers @reach takes along, each once: a VF below the bridge is also a bus peer. */
static GPtrArray *reach_peers(const struct reset_facts *f, enum reach reach)
{
	GPtrArray *peers = g_ptr_array_new();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (size_t i = 0; i < f->n_vfs; i++)
		if (g_hash_table_add(seen, (gpointer)f->vfs[i].name))
			g_ptr_array_add(peers, (gpointer)&f->vfs[i]);
	for (size_t i = 0; reach == REACH_BUS && i < f->n_bus_peers; i++)
		if (g_hash_table_add(seen, (gpointer)f->bus_peers[i].name))
			g_ptr_array_add(peers, (gpointer)&f->bus_peers[i]);
	return peers;
}

static void add_name(GPtrArray *names, GHashTable *seen, const char *name)
{
	if (g_hash_table_add(seen, (gpointer)name))
		g_ptr_array_add(names, g_strdup(name));
}

static void add_candidate(struct vfr_reset_plan *plan, const char *method,
			  enum vfr_reset_mechanism mechanism, const struct reset_facts *f,
			  enum reach reach)
{
	struct reset_candidate *c = g_new0(struct reset_candidate, 1);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) peers = reach_peers(f, reach);
	GPtrArray *names = g_ptr_array_new();

	c->method = g_strdup(method);
	c->mechanism = mechanism;
	add_name(names, seen, f->name);
	/* The kernel's own list (its INFO answer), when there is one, is the bus it resets. */
	if (mechanism == VFR_RESET_MECH_VFIO_HOT && f->hot_affected)
		for (const char *const *a = f->hot_affected; *a; a++)
			add_name(names, seen, *a);
	for (guint i = 0; i < peers->len; i++)
		add_name(names, seen, ((const struct reset_peer *)peers->pdata[i])->name);
	if (mechanism == VFR_RESET_MECH_VFIO_HOT) {
		c->cdev = f->hot_cdev;
		c->n_groups = f->hot_cdev ? 0 : f->n_hot_groups;
		c->groups = g_memdup2(f->hot_groups, c->n_groups * sizeof(int));
	}
	g_ptr_array_sort(names, by_name);
	c->n_affected = names->len;
	g_ptr_array_add(names, NULL);
	c->affected = (char **)g_ptr_array_free(names, FALSE);
	g_ptr_array_add(plan->methods, c);
}

/* "1234", "1234 and 5678", "1234, 5678 and 9012" */
static char *pids_text(const int *pids, size_t n)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%s%d", i == 0 ? "" : i + 1 == n ? " and " : ", ",
				       pids[i]);
	return g_string_free(s, FALSE);
}

static bool is_host_driver(enum vfr_driver_type type)
{
	return type == VFR_DRIVER_HOST;
}

/* The owner the reset is made for; NULL: an undeclared caller. */
static const char *caller_of(const struct reset_facts *f)
{
	return f->caller ? f->caller : f->owner;
}

static bool foreign(const struct reset_facts *f, const char *owner)
{
	const char *me = caller_of(f);

	return owner && (!me || strcmp(owner, me) != 0);
}

/*
 * Why the target itself rules out every method, or NULL; *@kind says
 * whether it is to protect someone. A bridge is never reset (a secondary
 * bus reset of what is behind it is another request), a function that
 * reads all 0xFF has nothing to reset; another owner's function, one still
 * held by another process or by a stuck kernel call, and one whose host
 * changed since it was scanned are not ours to touch.
 */
static char *target_veto(const struct reset_facts *f, enum veto_kind *kind)
{
	*kind = VETO_CANNOT;
	if (f->header == VFR_HEADER_BRIDGE || f->header == VFR_HEADER_CARDBUS)
		return g_strdup_printf("%s is a bridge: only endpoints are reset", f->name);
	if (f->gone)
		return g_strdup_printf("%s is gone: its config space reads all 0xFF "
				       "(removed, or in D3cold)", f->name);
	*kind = VETO_PROTECT;
	if (f->caller && f->owner && strcmp(f->caller, f->owner) != 0)
		return g_strdup_printf("%s belongs to %s, not to %s", f->name, f->owner, f->caller);
	if (f->pending) {
		*kind = VETO_HELD;
		return g_strdup(f->pending);
	}
	if (f->n_holders) {
		g_autofree char *who = pids_text(f->holders, f->n_holders);

		*kind = VETO_HELD;
		return g_strdup_printf("%s is still held open through VFIO by process%s %s (the "
				       "previous owner's state is attached)", f->name,
				       f->n_holders == 1 ? "" : "es", who);
	}
	/* Unknown is not nobody: a device file the kernel does not name may be this one's. */
	if (f->n_uncertain) {
		g_autofree char *who = pids_text(f->uncertain, f->n_uncertain);

		*kind = VETO_HELD;
		return g_strdup_printf("%s may be held through VFIO by process%s %s: a VFIO device "
				       "file this kernel does not name (before Linux 6.18)", f->name,
				       f->n_uncertain == 1 ? "" : "es", who);
	}
	if (f->holders_unknown)
		return g_strdup(f->holders_unknown);
	if (f->stale_host)
		return g_strdup(f->stale_host);
	*kind = VETO_CANNOT;
	return NULL;
}

/* The target under a host driver: resettable only when the caller allows it. */
static char *target_driver_veto(const struct reset_facts *f)
{
	if (is_host_driver(f->driver_type) && !(f->flags & VFR_RESET_ALLOW_HOST_DRIVERS))
		return g_strdup_printf("%s is bound to %s, a host driver (allow host drivers to "
				       "reset it under its driver)", f->name, f->driver);
	return NULL;
}

static char *where(const struct reset_facts *f, const struct reset_peer *p)
{
	switch (p->relation) {
	case PEER_VF:
		return g_strdup_printf("(a VF of %s, reset with it)", f->name);
	case PEER_SAME_BUS:
		return g_strdup("on the same bus");
	default:
		return g_strdup("below the same bus");
	}
}

/* Why a method that takes @reach along must not run: a function in its way, or NULL. */
static char *reach_veto(const struct reset_facts *f, enum reach reach, enum veto_kind *kind)
{
	g_autoptr(GPtrArray) peers = reach_peers(f, reach);

	for (guint i = 0; i < peers->len; i++) {
		const struct reset_peer *p = peers->pdata[i];
		g_autofree char *at = NULL;

		if (p->gone)
			continue; /* nothing left to disturb; a changed host is stale_host's */
		at = where(f, p);
		*kind = VETO_HELD;
		if (p->pending)
			return g_strdup_printf("%s %s: %s", p->name, at, p->pending);
		if (p->n_holders) {
			g_autofree char *who = pids_text(p->holders, p->n_holders);

			return g_strdup_printf("%s %s is held open through VFIO by process%s %s",
					       p->name, at, p->n_holders == 1 ? "" : "es", who);
		}
		if (p->n_uncertain) {
			g_autofree char *who = pids_text(p->uncertain, p->n_uncertain);

			return g_strdup_printf("%s %s may be held through VFIO by process%s %s (a "
					       "device file this kernel does not name)", p->name, at,
					       p->n_uncertain == 1 ? "" : "es", who);
		}
		*kind = VETO_PROTECT;
		if (foreign(f, p->owner) && !(f->flags & VFR_RESET_ALLOW_OTHER_OWNERS))
			return g_strdup_printf("%s %s belongs to %s", p->name, at, p->owner);
		if (is_host_driver(p->driver_type) && !(f->flags & VFR_RESET_ALLOW_HOST_DRIVERS)) {
			if (p->owner)
				return g_strdup_printf("%s %s is still bound to the host driver %s",
						       p->name, at, p->driver);
			return g_strdup_printf("%s %s is bound to %s and not owned by you", p->name,
					       at, p->driver);
		}
	}
	return NULL;
}

/* A method the kernel lists but config space says cannot work now, or NULL. */
static char *method_veto(const struct reset_facts *f, const char *m)
{
	if (strcmp(m, "bus") == 0 && !f->bus_probe_ok) {
		if (f->on_root_bus)
			return g_strdup_printf("stale: %s sits on a root bus, no bridge above it "
					       "can reset it", f->name);
		if (f->bus_sibling)
			return g_strdup_printf("stale: the kernel probed it before %s appeared",
					       f->bus_sibling);
		return g_strdup("stale: the kernel's probe of it fails now");
	}
	if (!f->caps_known)
		return NULL;
	if (strcmp(m, "pm") == 0 && !(f->caps & VFR_CAP_PM_RESET))
		return g_strdup(f->caps & VFR_CAP_PM ? "NoSoftRst set: D3hot to D0 does not reset "
						       "the function"
						     : "no power-management capability");
	if (strcmp(m, "flr") == 0 && !(f->caps & VFR_CAP_FLR))
		return g_strdup("the function does not advertise FLR (DevCap FLReset-)");
	if (strcmp(m, "af_flr") == 0 && !(f->caps & VFR_CAP_AF_FLR))
		return g_strdup("no Advanced Features capability with TP and FLR");
	return NULL;
}

static bool vfio_bound(const struct reset_facts *f)
{
	return driver_type_is_vfio(f->driver_type);
}

static char *not_vfio(const struct reset_facts *f)
{
	if (!f->driver)
		return g_strdup_printf("%s is not bound to a vfio driver (no driver)", f->name);
	return g_strdup_printf("%s is bound to %s, not to a vfio driver", f->name, f->driver);
}

/*
 * A kernel before 5.15 has `reset` but no `reset_method`: `echo 1 > reset`
 * runs its methods in its own order (device-specific, FLR, AF FLR, PM, and a
 * bus reset only when the function is alone on its bus) and says neither
 * which it ran nor lets one be pinned. The plan has one method, `default`,
 * whose affected set is the widest the kernel may use.
 */
static void plan_default(struct vfr_reset_plan *plan, const struct reset_facts *f,
			 const char *veto, enum veto_kind veto_kind, const char *driver_veto)
{
	enum reach reach = f->bus_probe_ok ? REACH_BUS : REACH_FUNCTION;
	enum veto_kind kind = VETO_PROTECT;
	g_autofree char *why = NULL;
	struct reset_candidate *c;

	if (veto) {
		exclude(plan, "default", veto_kind, "%s", veto);
		return;
	}
	if (driver_veto)
		why = g_strdup(driver_veto);
	else
		why = reach_veto(f, reach, &kind);
	if (why) {
		exclude(plan, "default", kind, "%s", why);
		return;
	}
	add_candidate(plan, "default", VFR_RESET_MECH_SYSFS, f, reach);
	c = plan->methods->pdata[plan->methods->len - 1];
	c->note = g_strdup_printf(
		"this kernel has no reset_method (before Linux 5.15): it picks the method "
		"itself, in its own order, and cannot be told which; %s", reach == REACH_BUS
			? "it may use a bus reset, so everything below the bridge counts as affected"
			: "a bus reset is not possible here (the function is not alone on its bus)");
}

static void plan_kernel(struct vfr_reset_plan *plan, const struct reset_facts *f,
			const char *veto, enum veto_kind veto_kind)
{
	g_autofree char *driver_veto = target_driver_veto(f);

	if (!f->kernel_methods && f->reset_without_list) {
		plan_default(plan, f, veto, veto_kind, driver_veto);
		return;
	}
	if (!f->kernel_methods || !f->kernel_methods[0]) {
		exclude(plan, "kernel", veto ? veto_kind : VETO_CANNOT, "%s",
			veto ? veto
			: f->kernel_methods
				? "every kernel method is disabled (reset_method is empty)"
				: "the kernel found no reset method for it (no reset_method attribute)");
		return;
	}
	for (const char *const *m = f->kernel_methods; *m; m++) {
		/*
		 * The per-function `bus` method only runs when the function is
		 * alone on its bus (pci_parent_bus_reset), `cxl_bus` resets the
		 * bus below the port; both reset the link, so everything behind
		 * it. Every other method resets the function and, for a PF, its
		 * VFs (VF Enable is cleared, and restored after).
		 */
		enum reach reach = strcmp(*m, "bus") == 0 || strcmp(*m, "cxl_bus") == 0
					   ? REACH_BUS : REACH_FUNCTION;
		g_autofree char *why = NULL;
		enum veto_kind kind = VETO_CANNOT;

		if (veto) {
			exclude(plan, *m, veto_kind, "%s", veto);
			continue;
		}
		why = method_veto(f, *m);
		if (!why && driver_veto) {
			why = g_strdup(driver_veto);
			kind = VETO_PROTECT;
		}
		if (!why)
			why = reach_veto(f, reach, &kind);
		if (why)
			exclude(plan, *m, kind, "%s", why);
		else
			add_candidate(plan, *m, VFR_RESET_MECH_SYSFS, f, reach);
	}
}

static char *vfio_veto(const struct reset_facts *f)
{
	if (!vfio_bound(f))
		return not_vfio(f);
	if (!f->have_device_fd)
		return g_strdup_printf("needs %s held open through VFIO (a VFIO holding or the "
				       "caller's device fd; none was passed)", f->name);
	if (!f->vfio_reset_flag)
		return g_strdup("the device does not report VFIO_DEVICE_FLAGS_RESET "
				"(the kernel found no function-level reset for it)");
	return NULL;
}

static char *hot_veto(const struct reset_facts *f, enum veto_kind *kind)
{
	*kind = VETO_CANNOT;
	if (!vfio_bound(f))
		return not_vfio(f);
	if (f->on_root_bus)
		return g_strdup_printf("%s sits on a root bus: there is no bridge to reset it",
				       f->name);
	if (f->hot_allowed == 0)
		return g_strdup(f->hot_blocker ? f->hot_blocker : "the kernel would refuse it");
	if (f->hot_allowed < 0)
		return g_strdup(f->hot_unknown
					? f->hot_unknown
					: "needs a VFIO holding of the functions it touches (none was "
					  "passed): the kernel wants the fds of every affected IOMMU "
					  "group, or an iommufd owning them");
	return reach_veto(f, REACH_BUS, kind);
}

bool reset_method_known(const char *name)
{
	static const char *const known[] = { "device_specific", "acpi", "flr", "af_flr", "pm",
					     "bus", "cxl_bus", "vfio", "hot", "default", NULL };

	return name && g_strv_contains(known, name);
}

static bool requested(const struct reset_facts *f, const char *method)
{
	return !f->only_methods || g_strv_contains(f->only_methods, method);
}

static char *requested_text(const struct reset_facts *f)
{
	return g_strjoinv(", ", (char **)f->only_methods);
}

/*
 * Candidates the caller did not ask for become exclusions; a requested
 * method the plan never considered (the kernel does not list it) gets a
 * line of its own, so that the plan says why it is not there.
 */
static void restrict_methods(struct vfr_reset_plan *plan, const struct reset_facts *f)
{
	g_autofree char *asked = NULL;

	if (!f->only_methods)
		return;
	asked = requested_text(f);
	for (guint i = 0; i < plan->methods->len;) {
		struct reset_candidate *c = plan->methods->pdata[i];

		if (requested(f, c->method)) {
			i++;
			continue;
		}
		exclude(plan, c->method, VETO_CANNOT, "not requested (the methods were restricted to %s)",
			asked);
		g_ptr_array_remove_index(plan->methods, i);
	}
	for (const char *const *m = f->only_methods; *m; m++) {
		bool seen = false;

		for (guint i = 0; i < plan->methods->len && !seen; i++)
			seen = strcmp(((struct reset_candidate *)plan->methods->pdata[i])->method, *m) == 0;
		for (guint i = 0; i < plan->excluded->len && !seen; i++)
			seen = strcmp(((struct reset_exclusion *)plan->excluded->pdata[i])->method, *m) == 0;
		if (!seen)
			exclude(plan, *m, VETO_CANNOT, "the kernel does not offer %s for %s (not in its "
				"reset_method)", *m, f->name);
	}
}

struct vfr_reset_plan *reset_plan_build(const struct reset_facts *f)
{
	struct vfr_reset_plan *plan = g_new0(struct vfr_reset_plan, 1);
	enum veto_kind veto_kind = VETO_CANNOT, kind = VETO_CANNOT;
	g_autofree char *veto = target_veto(f, &veto_kind);
	g_autofree char *vfio = NULL, *hot = NULL;

	plan->refcount = 1;
	plan->name = g_strdup(f->name);
	plan->policy = f->policy;
	plan->gone = f->gone;
	plan->methods = g_ptr_array_new_with_free_func(free_candidate);
	plan->excluded = g_ptr_array_new_with_free_func(free_exclusion);
	plan->seen = reset_facts_seen(f);
	if (f->n_holders && veto_kind == VETO_HELD) {
		plan->holders = g_memdup2(f->holders, f->n_holders * sizeof(int));
		plan->n_holders = f->n_holders;
	}
	if (f->n_uncertain && veto_kind == VETO_HELD) {
		plan->uncertain_holders = g_memdup2(f->uncertain, f->n_uncertain * sizeof(int));
		plan->n_uncertain_holders = f->n_uncertain;
	}

	/* VFIO_DEVICE_RESET resets what the kernel's own methods reset: the function and its VFs. */
	vfio = veto ? g_strdup(veto) : vfio_veto(f);
	if (!vfio)
		vfio = reach_veto(f, REACH_FUNCTION, &kind);
	if (vfio)
		exclude(plan, "vfio", veto ? veto_kind : kind, "%s", vfio);
	else
		add_candidate(plan, "vfio", VFR_RESET_MECH_VFIO_DEVICE, f, REACH_FUNCTION);
	plan_kernel(plan, f, veto, veto_kind);
	kind = VETO_CANNOT;
	hot = veto ? g_strdup(veto) : hot_veto(f, &kind);
	if (hot)
		exclude(plan, "hot", veto ? veto_kind : kind, "%s", hot);
	else
		add_candidate(plan, "hot", VFR_RESET_MECH_VFIO_HOT, f, REACH_BUS);
	restrict_methods(plan, f);
	return plan;
}

GHashTable *reset_plan_footprint(const struct vfr_reset_plan *plan)
{
	GHashTable *set = g_hash_table_new(g_str_hash, g_str_equal);

	g_hash_table_add(set, plan->name);
	for (guint i = 0; i < plan->methods->len; i++) {
		const struct reset_candidate *c = plan->methods->pdata[i];

		for (size_t j = 0; j < c->n_affected; j++)
			g_hash_table_add(set, c->affected[j]);
	}
	return set;
}

bool reset_plan_is_refused(const struct vfr_reset_plan *plan)
{
	if (plan->methods->len > 0)
		return false;
	for (guint i = 0; i < plan->excluded->len; i++)
		if (((const struct reset_exclusion *)plan->excluded->pdata[i])->safety)
			return true;
	return false;
}

bool reset_plan_is_held_only(const struct vfr_reset_plan *plan)
{
	bool held = false;

	if (plan->methods->len > 0)
		return false;
	for (guint i = 0; i < plan->excluded->len; i++) {
		const struct reset_exclusion *e = plan->excluded->pdata[i];

		if (e->safety && !e->held)
			return false;
		held |= e->held;
	}
	return held;
}

/* ---- the facts a plan rests on, and what changed ---- */

static void seen_add(GPtrArray *lines, const char *name, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void seen_add(GPtrArray *lines, const char *name, const char *what, const char *fmt, ...)
{
	g_autofree char *value = NULL;
	va_list ap;

	va_start(ap, fmt);
	value = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(lines, g_strdup_printf("%s %s: %s", name, what, value));
}

static char *driver_text(const char *driver, enum vfr_driver_type type)
{
	if (!driver)
		return g_strdup("none");
	return g_strdup_printf("%s (%s)", driver, vfr_driver_type_to_string(type));
}

static void seen_function(GPtrArray *lines, const char *name, const char *driver,
			  enum vfr_driver_type type, bool gone, const int *holders,
			  size_t n_holders, const int *uncertain, size_t n_uncertain,
			  const char *pending)
{
	g_autofree char *drv = driver_text(driver, type);
	g_autofree char *who = pids_text(holders, n_holders);
	g_autofree char *maybe = pids_text(uncertain, n_uncertain);

	seen_add(lines, name, "driver", "%s", gone ? "gone" : drv);
	seen_add(lines, name, "holders", "%s", n_holders ? who : "none");
	seen_add(lines, name, "uncertain holders", "%s", n_uncertain ? maybe : "none");
	seen_add(lines, name, "pending call", "%s", pending ? pending : "none");
}

static int compare_lines(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char **reset_facts_seen(const struct reset_facts *f)
{
	GPtrArray *lines = g_ptr_array_new();
	g_autoptr(GPtrArray) peers = reach_peers(f, REACH_BUS);
	g_autofree char *methods = NULL;

	seen_function(lines, f->name, f->driver, f->driver_type, f->gone, f->holders,
		      f->n_holders, f->uncertain, f->n_uncertain, f->pending);
	methods = f->kernel_methods ? g_strjoinv(" ", (char **)f->kernel_methods) : NULL;
	seen_add(lines, f->name, "reset_method", "%s",
		 methods ? *methods ? methods : "(empty)"
			 : f->reset_without_list ? "(absent, reset present)" : "(absent)");
	seen_add(lines, f->name, "host", "%s", f->stale_host ? f->stale_host : "as scanned");
	seen_add(lines, f->name, "vfio", "device %s, reset flag %s, hot reset %s",
		 f->have_device_fd ? "held" : "not held", f->vfio_reset_flag ? "set" : "clear",
		 f->hot_allowed > 0 ? "allowed" : f->hot_allowed == 0 ? "refused" : "unknown");
	for (guint i = 0; i < peers->len; i++) {
		const struct reset_peer *p = peers->pdata[i];

		seen_function(lines, p->name, p->driver, p->driver_type, p->gone, p->holders,
			      p->n_holders, p->uncertain, p->n_uncertain, p->pending);
	}
	for (const char *const *x = f->extra_seen; x && *x; x++)
		g_ptr_array_add(lines, g_strdup(*x));
	g_ptr_array_sort(lines, compare_lines);
	g_ptr_array_add(lines, NULL);
	return (char **)g_ptr_array_free(lines, FALSE);
}

/* "ADDR what" and the value of a line: the key ends at the first ": ". */
static size_t key_len(const char *line)
{
	const char *sep = strstr(line, ": ");

	return sep ? (size_t)(sep - line) : strlen(line);
}

static const char *value_of(const char *line)
{
	const char *sep = strstr(line, ": ");

	return sep ? sep + 2 : "";
}

static const char *find_key(const char *const *lines, const char *line)
{
	size_t len = key_len(line);

	for (; lines && *lines; lines++)
		if (key_len(*lines) == len && strncmp(*lines, line, len) == 0)
			return *lines;
	return NULL;
}

char *reset_facts_diff(const char *const *before, const char *const *after)
{
	GString *s = g_string_new(NULL);

	for (const char *const *l = before; l && *l; l++) {
		const char *now = find_key(after, *l);

		if (now && strcmp(now, *l) == 0)
			continue;
		g_string_append_printf(s, "%s%.*s: was %s, now %s", s->len ? "; " : "",
				       (int)key_len(*l), *l, value_of(*l),
				       now ? value_of(now) : "not known");
	}
	for (const char *const *l = after; l && *l; l++)
		if (!find_key(before, *l))
			g_string_append_printf(s, "%s%s (new)", s->len ? "; " : "", *l);
	return s->len ? g_string_free(s, FALSE) : (g_string_free(s, TRUE), NULL);
}
