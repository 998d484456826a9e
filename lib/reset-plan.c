/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset plan (pure). Every method considered ends up either among the
 * candidates, in the order they would be tried, or among the exclusions
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

static void exclude(struct vfr_reset_plan *plan, const char *method, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void exclude(struct vfr_reset_plan *plan, const char *method, const char *fmt, ...)
{
	struct reset_exclusion *e = g_new0(struct reset_exclusion, 1);
	va_list ap;

	e->method = g_strdup(method);
	va_start(ap, fmt);
	e->reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(plan->excluded, e);
}

static void free_candidate(gpointer p)
{
	struct reset_candidate *c = p;

	g_free(c->method);
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

static void add_candidate(struct vfr_reset_plan *plan, const char *method,
			  enum vfr_reset_mechanism mechanism, const struct reset_facts *f, bool bus)
{
	struct reset_candidate *c = g_new0(struct reset_candidate, 1);
	GPtrArray *names = g_ptr_array_new();

	c->method = g_strdup(method);
	c->mechanism = mechanism;
	if (mechanism == VFR_RESET_MECH_VFIO_HOT && f->hot_affected) {
		/* The kernel's own list (its INFO answer) is the set it will reset. */
		bool self = false;

		for (const char *const *a = f->hot_affected; *a; a++) {
			g_ptr_array_add(names, g_strdup(*a));
			self |= strcmp(*a, f->name) == 0;
		}
		if (!self)
			g_ptr_array_add(names, g_strdup(f->name));
	} else {
		g_ptr_array_add(names, g_strdup(f->name));
		for (size_t i = 0; bus && i < f->n_bus_peers; i++)
			g_ptr_array_add(names, g_strdup(f->bus_peers[i].name));
	}
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
 * Why the target itself rules out every method, or NULL. A bridge is never
 * reset (a secondary bus reset of what is behind it is another request),
 * a function that reads all 0xFF has nothing to reset, and another owner's
 * function is not ours to touch.
 */
static char *target_veto(const struct reset_facts *f)
{
	if (f->header == VFR_HEADER_BRIDGE || f->header == VFR_HEADER_CARDBUS)
		return g_strdup_printf("%s is a bridge: only endpoints are reset", f->name);
	if (f->gone)
		return g_strdup_printf("%s is gone: its config space reads all 0xFF "
				       "(removed, or in D3cold)", f->name);
	if (f->caller && f->owner && strcmp(f->caller, f->owner) != 0)
		return g_strdup_printf("%s belongs to %s, not to %s", f->name, f->owner, f->caller);
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

/* Why a bus-wide reset must not run: another function in its way, or NULL. */
static char *peers_veto(const struct reset_facts *f)
{
	for (size_t i = 0; i < f->n_bus_peers; i++) {
		const struct reset_peer *p = &f->bus_peers[i];
		const char *where = p->same_bus ? "on the same bus" : "below the same bus";

		if (foreign(f, p->owner) && !(f->flags & VFR_RESET_ALLOW_OTHER_OWNERS))
			return g_strdup_printf("%s %s belongs to %s", p->name, where, p->owner);
		if (is_host_driver(p->driver_type) && !(f->flags & VFR_RESET_ALLOW_HOST_DRIVERS)) {
			if (p->owner)
				return g_strdup_printf("%s %s is still bound to the host driver %s",
						       p->name, where, p->driver);
			return g_strdup_printf("%s %s is bound to %s and not owned by you", p->name,
					       where, p->driver);
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

static void plan_kernel(struct vfr_reset_plan *plan, const struct reset_facts *f,
			const char *veto)
{
	g_autofree char *driver_veto = target_driver_veto(f);

	if (!f->kernel_methods || !f->kernel_methods[0]) {
		exclude(plan, "kernel", "%s",
			veto ? veto
			: f->kernel_methods
				? "every kernel method is disabled (reset_method is empty)"
				: "the kernel found no reset method for it (no reset_method attribute)");
		return;
	}
	for (const char *const *m = f->kernel_methods; *m; m++) {
		bool bus = strcmp(*m, "cxl_bus") == 0;
		g_autofree char *why = NULL;

		if (veto) {
			exclude(plan, *m, "%s", veto);
			continue;
		}
		why = method_veto(f, *m);
		if (!why && driver_veto)
			why = g_strdup(driver_veto);
		/*
		 * The per-function `bus` method only runs when the function is
		 * alone on its bus (pci_parent_bus_reset), so it resets just the
		 * function; `cxl_bus` resets the bus below the port.
		 */
		if (!why && bus)
			why = peers_veto(f);
		if (why)
			exclude(plan, *m, "%s", why);
		else
			add_candidate(plan, *m, VFR_RESET_MECH_SYSFS, f, bus);
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

static char *hot_veto(const struct reset_facts *f)
{
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
	return peers_veto(f);
}

bool reset_method_known(const char *name)
{
	static const char *const known[] = { "device_specific", "acpi", "flr", "af_flr", "pm",
					     "bus", "cxl_bus", "vfio", "hot", NULL };

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
		exclude(plan, c->method, "not requested (the methods were restricted to %s)", asked);
		g_ptr_array_remove_index(plan->methods, i);
	}
	for (const char *const *m = f->only_methods; *m; m++) {
		bool seen = false;

		for (guint i = 0; i < plan->methods->len && !seen; i++)
			seen = strcmp(((struct reset_candidate *)plan->methods->pdata[i])->method, *m) == 0;
		for (guint i = 0; i < plan->excluded->len && !seen; i++)
			seen = strcmp(((struct reset_exclusion *)plan->excluded->pdata[i])->method, *m) == 0;
		if (!seen)
			exclude(plan, *m, "the kernel does not offer %s for %s (not in its "
				"reset_method)", *m, f->name);
	}
}

struct vfr_reset_plan *reset_plan_build(const struct reset_facts *f)
{
	struct vfr_reset_plan *plan = g_new0(struct vfr_reset_plan, 1);
	g_autofree char *veto = target_veto(f);
	g_autofree char *vfio = NULL, *hot = NULL;

	plan->refcount = 1;
	plan->name = g_strdup(f->name);
	plan->policy = f->policy;
	plan->gone = f->gone;
	plan->methods = g_ptr_array_new_with_free_func(free_candidate);
	plan->excluded = g_ptr_array_new_with_free_func(free_exclusion);

	vfio = veto ? g_strdup(veto) : vfio_veto(f);
	if (vfio)
		exclude(plan, "vfio", "%s", vfio);
	else
		add_candidate(plan, "vfio", VFR_RESET_MECH_VFIO_DEVICE, f, false);
	plan_kernel(plan, f, veto);
	hot = veto ? g_strdup(veto) : hot_veto(f);
	if (hot)
		exclude(plan, "hot", "%s", hot);
	else
		add_candidate(plan, "hot", VFR_RESET_MECH_VFIO_HOT, f, true);
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

/* ---- public getters ---- */

VFR_EXPORT struct vfr_reset_plan *vfr_reset_plan_ref(struct vfr_reset_plan *plan)
{
	assert_return(plan, NULL);
	plan->refcount++;
	return plan;
}

VFR_EXPORT struct vfr_reset_plan *vfr_reset_plan_unref(struct vfr_reset_plan *plan)
{
	if (!plan || --plan->refcount > 0)
		return NULL;
	g_free(plan->name);
	g_ptr_array_free(plan->methods, TRUE);
	g_ptr_array_free(plan->excluded, TRUE);
	g_free(plan);
	return NULL;
}

VFR_EXPORT const char *vfr_reset_plan_get_address(const struct vfr_reset_plan *plan)
{
	assert_return(plan, NULL);
	return plan->name;
}

VFR_EXPORT enum vfr_reset_policy vfr_reset_plan_get_policy(const struct vfr_reset_plan *plan)
{
	assert_return(plan, VFR_RESET_STRICT);
	return plan->policy;
}

VFR_EXPORT bool vfr_reset_plan_is_ready(const struct vfr_reset_plan *plan)
{
	assert_return(plan, false);
	return plan->methods->len > 0;
}

VFR_EXPORT size_t vfr_reset_plan_get_n_methods(const struct vfr_reset_plan *plan)
{
	assert_return(plan, 0);
	return plan->methods->len;
}

static const struct reset_candidate *candidate(const struct vfr_reset_plan *plan, size_t i)
{
	if (!plan || i >= plan->methods->len)
		return NULL;
	return plan->methods->pdata[i];
}

VFR_EXPORT const char *vfr_reset_plan_get_method(const struct vfr_reset_plan *plan, size_t index)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c ? c->method : NULL;
}

VFR_EXPORT enum vfr_reset_mechanism vfr_reset_plan_get_mechanism(const struct vfr_reset_plan *plan,
								 size_t index)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c ? c->mechanism : VFR_RESET_MECH_SYSFS;
}

VFR_EXPORT size_t vfr_reset_plan_get_n_affected(const struct vfr_reset_plan *plan, size_t index)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c ? c->n_affected : 0;
}

VFR_EXPORT const char *vfr_reset_plan_get_affected(const struct vfr_reset_plan *plan, size_t index,
						   size_t affected)
{
	const struct reset_candidate *c = candidate(plan, index);

	return c && affected < c->n_affected ? c->affected[affected] : NULL;
}

VFR_EXPORT size_t vfr_reset_plan_get_n_excluded(const struct vfr_reset_plan *plan)
{
	assert_return(plan, 0);
	return plan->excluded->len;
}

static const struct reset_exclusion *exclusion(const struct vfr_reset_plan *plan, size_t i)
{
	if (!plan || i >= plan->excluded->len)
		return NULL;
	return plan->excluded->pdata[i];
}

VFR_EXPORT const char *vfr_reset_plan_get_excluded_method(const struct vfr_reset_plan *plan,
							  size_t index)
{
	const struct reset_exclusion *e = exclusion(plan, index);

	return e ? e->method : NULL;
}

VFR_EXPORT const char *vfr_reset_plan_get_excluded_reason(const struct vfr_reset_plan *plan,
							  size_t index)
{
	const struct reset_exclusion *e = exclusion(plan, index);

	return e ? e->reason : NULL;
}

VFR_EXPORT const char *vfr_reset_policy_to_string(enum vfr_reset_policy policy)
{
	switch (policy) {
	case VFR_RESET_STRICT:
		return "strict";
	case VFR_RESET_NO_STRICT:
		return "no-strict";
	case VFR_RESET_SKIP:
		return "skip";
	default:
		return NULL;
	}
}

VFR_EXPORT int vfr_reset_policy_from_string(const char *text, enum vfr_reset_policy *ret)
{
	static const enum vfr_reset_policy all[] = { VFR_RESET_STRICT, VFR_RESET_NO_STRICT,
						     VFR_RESET_SKIP };

	assert_return(text && ret, -EINVAL);
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		if (strcmp(text, vfr_reset_policy_to_string(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	return -EINVAL;
}

VFR_EXPORT const char *vfr_reset_mechanism_to_string(enum vfr_reset_mechanism mechanism)
{
	switch (mechanism) {
	case VFR_RESET_MECH_SYSFS:
		return "sysfs";
	case VFR_RESET_MECH_VFIO_DEVICE:
		return "vfio-device-reset";
	case VFR_RESET_MECH_VFIO_HOT:
		return "vfio-hot-reset";
	default:
		return NULL;
	}
}
