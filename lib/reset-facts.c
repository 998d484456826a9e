/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A function's facts for the reset plan, from the device getters, the
 * topology index, the ownership registry and the caller's vfio device fd.
 * Reads only; the decision is reset-decide.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "device-private.h"
#include "holders.h"
#include "hotreset-private.h"
#include "pciconf.h"
#include "pending.h"
#include "reset-plan.h"
#include "bus-reset.h"
#include "sysfs.h"
#include "vfio-holding.h"

#include "vfio.h"
#include "vfio-uapi.h"

#define LOG_DOMAIN "reset"

/*
 * Config space that cannot be decoded (-EIO) may be a function in D3cold or
 * one that is gone: both read all 0xFF, and then there is nothing a reset
 * method can do. The Command register tells (a VF's vendor id is 0xFFFF by
 * design, its Command is real).
 */
static bool reads_all_ones(struct vfr_device *dev)
{
	uint16_t command;
	int fd = host_device_dirfd(dev->host, dev);

	if (fd < 0)
		return fd == -ENODEV;
	return pciconf_cfg_read16(fd, 0x04, &command) == 0 && command == 0xffff;
}

static const char *keep(struct reset_facts *f, char *text);
static void reset_facts_clear(struct reset_facts *f);

static void fill_peer(struct vfr_device *dev, struct vfr_device *p,
		      const struct vfr_reset_options *opts, enum reset_peer_relation relation,
		      struct reset_peer *peer)
{
	int r;

	peer->name = p->name;
	peer->relation = relation;
	r = vfr_device_get_driver(p, &peer->driver);
	if (r == -ENODEV) {
		peer->gone = true;
		peer->driver = NULL;
	} else if (r < 0) {
		peer->driver = NULL;
	}
	if (vfr_device_get_driver_type(p, &peer->driver_type) < 0)
		/* Unreadable: assume the worst, a host driver. */
		peer->driver_type = peer->gone ? VFR_DRIVER_NONE : VFR_DRIVER_HOST;
	if (peer->driver_type == VFR_DRIVER_HOST && !peer->driver)
		peer->driver = "an unknown driver";
	peer->owner = opts ? owners_lookup_name(opts->owners, p->name) : NULL;
}

/* The target's VFs, as the index knows them (stale_host says when sysfs disagrees). */
static void gather_vfs(struct vfr_device *dev, const struct vfr_reset_options *opts,
		       struct reset_facts *f, GPtrArray *reach)
{
	size_t n = vfr_device_get_n_virtfns(dev);
	struct reset_peer *vfs;

	if (n == 0)
		return;
	vfs = g_new0(struct reset_peer, n);
	for (size_t i = 0; i < n; i++) {
		struct vfr_device *vf = vfr_device_get_virtfn(dev, i);

		fill_peer(dev, vf, opts, PEER_VF, &vfs[i]);
		g_ptr_array_add(reach, vf);
	}
	f->vfs = vfs;
	f->n_vfs = n;
}

static void gather_peers(struct vfr_device *dev, const struct vfr_reset_options *opts,
			 struct reset_facts *f, GPtrArray *reach)
{
	g_autofree struct vfr_device **devs = NULL;
	struct reset_peer *peers;
	size_t n = 0, k = 0;

	if (scope_bus_affected(dev, &devs, &n) < 0)
		return;
	peers = g_new0(struct reset_peer, n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		struct vfr_device *p = devs[i];

		if (p == dev)
			continue;
		fill_peer(dev, p, opts,
			  p->physfn == dev ? PEER_VF : p->parent == dev->parent ? PEER_SAME_BUS
										: PEER_BELOW,
			  &peers[k++]);
		g_ptr_array_add(reach, p);
	}
	f->bus_peers = peers;
	f->n_bus_peers = k;
}

/* The pids of a holders list (struct holder, holders.h), kept with @f. */
static const int *keep_pids(struct reset_facts *f, GArray *pids, size_t *ret_n)
{
	guint n = pids ? pids->len : 0;
	int *out = g_new0(int, n + 1);

	for (guint i = 0; i < n; i++)
		out[i] = (int)g_array_index(pids, struct holder, i).pid;
	*ret_n = n;
	keep(f, (char *)out);
	return out;
}

/* The peers of @f named @name: a VF below the bridge is in both lists. */
static void for_each_peer(struct reset_facts *f, const char *name,
			  void (*fn)(struct reset_facts *f, struct reset_peer *p, void *data),
			  void *data)
{
	for (size_t k = 0; k < f->n_vfs + f->n_bus_peers; k++) {
		struct reset_peer *p = (struct reset_peer *)(k < f->n_vfs
			? &f->vfs[k] : &f->bus_peers[k - f->n_vfs]);

		if (strcmp(p->name, name) == 0)
			fn(f, p, data);
	}
}

static void set_pending(struct reset_facts *f, struct reset_peer *p, void *data)
{
	p->pending = data;
}

static void set_holders(struct reset_facts *f, struct reset_peer *p, void *data)
{
	const struct holders *h = data;

	p->holders = keep_pids(f, h ? h->certain : NULL, &p->n_holders);
	p->uncertain = keep_pids(f, h ? h->uncertain : NULL, &p->n_uncertain);
}

/*
 * Whether a stuck kernel call holds the target or a function its methods
 * reach - one this library recorded (the records were read afresh by the
 * caller), or another program's, seen by the caller's pass over /proc
 * (host_pending_set_observed()) - and who holds their
 * vfio nodes: @holders maps every name of @reach to its struct holders (one
 * pass over /proc made them), or is NULL when that pass failed (@why).
 * reach->pdata[0] is the target.
 */
static void gather_holders(struct vfr_device *dev, struct reset_facts *f, GPtrArray *reach,
			   GHashTable *holders, const char *why)
{
	struct vfr_device **devs = (struct vfr_device **)reach->pdata;
	const struct vfr_pending_call *call;

	for (guint i = 0; i < reach->len; i++) {
		const char *what;

		if (vfr_device_get_pending_call(devs[i], &call) < 0)
			continue;
		what = keep(f, g_strdup(vfr_pending_call_get_message(call)));
		if (i == 0)
			f->pending = what;
		else
			for_each_peer(f, devs[i]->name, set_pending, (void *)what);
	}
	if (!holders) {
		f->holders_unknown = keep(f, g_strdup_printf(
			"cannot tell who holds the vfio nodes of the functions a reset of %s "
			"reaches: %s", dev->name, why));
		return;
	}
	{
		const struct holders *h = g_hash_table_lookup(holders, dev->name);

		f->holders = keep_pids(f, h ? h->certain : NULL, &f->n_holders);
		f->uncertain = keep_pids(f, h ? h->uncertain : NULL, &f->n_uncertain);
	}
	for (guint i = 1; i < reach->len; i++)
		for_each_peer(f, devs[i]->name, set_holders,
			      g_hash_table_lookup(holders, devs[i]->name));
}

/* The addresses in directory @rel below /sys that name functions, sorted; NULL when unreadable. */
static char **live_functions(struct vfr_device *dev, const char *rel)
{
	g_auto(GStrv) names = NULL;
	GPtrArray *out;
	size_t n = 0;

	if (sysfs_list(ctx_get_sys_fd(dev->host->ctx), rel, &names, &n) < 0)
		return NULL;
	out = g_ptr_array_new();
	for (size_t i = 0; i < n; i++) {
		struct vfr_address addr;

		if (vfr_address_parse(names[i], &addr, NULL) == 0)
			g_ptr_array_add(out, g_strdup(names[i]));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static char *index_names(GPtrArray *devs)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; devs && i < devs->len; i++)
		g_string_append_printf(s, "%s%s", i ? " " : "", ((struct vfr_device *)devs->pdata[i])->name);
	return g_string_free(s, FALSE);
}

/*
 * The index is made once, at the scan; a reset reaches what sysfs shows
 * now. VFs enabled since the scan, or functions that appeared below the
 * bridge, would be reset without being looked at: the plan then refuses
 * and says to scan again. The live listings become facts of the plan too,
 * so a change between the plan and the write is seen.
 */
static void check_layout(struct vfr_device *dev, struct reset_facts *f, GPtrArray *extra)
{
	g_autofree char *vf_names = index_names(dev->virtfns);
	g_autofree char *vf_text = NULL;
	char numvfs[32];
	unsigned long live_vfs = 0;
	int fd = host_device_dirfd(dev->host, dev);

	if (fd >= 0 && sysfs_read(fd, "sriov_numvfs", numvfs, sizeof(numvfs)) >= 0)
		live_vfs = strtoul(numvfs, NULL, 10);
	vf_text = g_strdup_printf("%lu enabled%s%s", live_vfs, *vf_names ? ": " : "", vf_names);
	g_ptr_array_add(extra, g_strdup_printf("%s VFs: %s", dev->name, vf_text));
	if (live_vfs != (dev->virtfns ? dev->virtfns->len : 0)) {
		f->stale_host = keep(f, g_strdup_printf(
			"%s has %lu VFs enabled now, %u when the host was scanned: the functions a "
			"reset of it reaches are not known (scan the host again)", dev->name,
			live_vfs, dev->virtfns ? dev->virtfns->len : 0));
		return;
	}
	/* The bridge's bus and every bus below it, as listed now. */
	for (struct vfr_device *bridge = dev->parent; bridge;) {
		g_autofree struct vfr_device **below = NULL;
		size_t n = 0;

		if (scope_bus_affected(dev, &below, &n) < 0)
			break;
		for (size_t i = 0; i <= n; i++) {
			struct vfr_device *b = i == 0 ? bridge : below[i - 1];
			g_auto(GStrv) live = NULL;
			g_autofree char *now = NULL, *known = NULL;

			enum vfr_header_type type = VFR_HEADER_UNKNOWN;

			if (i > 0 && !b->children &&
			    (vfr_device_get_header_type(b, &type) < 0 || type != VFR_HEADER_BRIDGE))
				continue;
			live = live_functions(dev, b->syspath ? b->syspath : "");
			if (!live)
				continue;
			now = g_strjoinv(" ", live);
			known = index_names(b->children);
			g_ptr_array_add(extra, g_strdup_printf("%s functions below: %s", b->name, now));
			if (strcmp(now, known) != 0 && !f->stale_host)
				f->stale_host = keep(f, g_strdup_printf(
					"the functions below %s are %s now, %s when the host was "
					"scanned: a bus reset would reach functions not looked at "
					"(scan the host again)", b->name, *now ? now : "none",
					*known ? known : "none"));
		}
		break;
	}
}

static const char *keep(struct reset_facts *f, char *text)
{
	if (!f->storage)
		f->storage = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(f->storage, text);
	return text;
}

/* Without an open device there is no kernel answer: say what sysfs predicts. */
static void predict_hot(struct vfr_device *dev, const struct vfr_reset_options *opts,
			struct reset_facts *f)
{
	g_autoptr(GString) s = g_string_new(NULL);
	struct vfr_hot_reset_check *check = NULL;
	bool cdev = opts && opts->holding &&
		    hotreset_holding_mode(opts->holding) == VFR_HOT_RESET_MODE_CDEV;

	if (opts && opts->holding)
		g_string_printf(s, "needs %s held through VFIO, and the VFIO holding passed does "
				"not hold it", dev->name);
	else
		g_string_assign(s, "needs a VFIO holding of the functions it touches (none was "
				   "passed)");
	if (hotreset_predict(dev, NULL, 0, cdev, &check, NULL) == 0) {
		g_string_append_printf(s, "; predicted from sysfs for a holding of it alone: %s",
				       vfr_hot_reset_check_get_summary(check));
		vfr_hot_reset_check_free(check);
	}
	f->hot_unknown = keep(f, g_string_free(g_steal_pointer(&s), FALSE));
}

/* The kernel's verdict for the caller's holding: allowed, with its proof of ownership, or why not. */
static void take_verdict(struct reset_facts *f, const struct vfr_hot_reset_check *check)
{
	size_t n = vfr_hot_reset_check_get_n_affected(check);
	const char **names;
	int *groups;

	if (!vfr_hot_reset_check_is_allowed(check)) {
		f->hot_allowed = 0;
		f->hot_blocker = keep(f, g_strdup(vfr_hot_reset_check_get_summary(check)));
		return;
	}
	f->hot_allowed = 1;
	f->hot_cdev = vfr_hot_reset_check_get_mode(check) == VFR_HOT_RESET_MODE_CDEV;
	names = (const char **)keep(f, (char *)g_new0(const char *, n + 1));
	for (size_t i = 0; i < n; i++)
		names[i] = keep(f, g_strdup(vfr_hot_reset_check_get_affected(check, i)));
	f->hot_affected = names;
	f->n_hot_groups = vfr_hot_reset_check_get_n_groups(check);
	groups = (int *)keep(f, (char *)g_new0(int, f->n_hot_groups + 1));
	for (size_t i = 0; i < f->n_hot_groups; i++)
		groups[i] = vfr_hot_reset_check_get_group(check, i);
	f->hot_groups = groups;
}

/*
 * `vfio` needs the device open; `hot` needs the kernel's INFO answer on it,
 * evaluated against what the caller holds. A holding carries its group fds,
 * so both modes work there; a bare device fd works only when it is a cdev
 * (an empty fd array): for a group-opened one the group fds are missing.
 */
static void gather_vfio(struct vfr_device *dev, const struct vfr_reset_options *opts,
			struct reset_facts *f)
{
	struct vfr_vfio_holding *h = opts ? opts->holding : NULL;
	struct vfr_hot_reset_check *check = NULL;
	struct vfr_error *err = NULL;
	int fd = reset_options_vfio_fd(opts, dev);
	bool held = h && vfr_vfio_holding_get_device_fd(h, dev) >= 0;
	int r;

	f->hot_allowed = -1;
	f->have_device_fd = fd >= 0;
	if (!driver_type_is_vfio(f->driver_type))
		return; /* the plan says why; no ioctl can change that */
	if (fd >= 0) {
		uint32_t flags = 0;

		if (vfio_device_info_flags(fd, &flags) == 0)
			f->vfio_reset_flag = flags & VFIO_DEVICE_FLAGS_RESET;
	}
	if (fd < 0) {
		predict_hot(dev, opts, f);
		return;
	}
	if (held)
		r = vfr_vfio_holding_check_hot_reset(h, dev, &check, &err);
	else
		r = vfr_hot_reset_check_fd(dev, fd, VFR_HOT_RESET_MODE_GROUP, NULL, 0, NULL, 0,
					   &check, &err);
	if (r < 0) {
		f->hot_unknown = keep(f, g_strdup_printf("the kernel's hot-reset INFO could not be "
							 "had: %s", vfr_error_get_message(err)));
		vfr_error_free(err);
		return;
	}
	if (!held && vfr_hot_reset_check_get_mode(check) == VFR_HOT_RESET_MODE_GROUP)
		f->hot_unknown = keep(f, g_strdup_printf(
			"%s is open through its group: a hot reset then needs the fds of every "
			"affected IOMMU group, which only a VFIO holding passes", dev->name));
	else
		take_verdict(f, check);
	vfr_hot_reset_check_free(check);
}

/*
 * Fills @ret from @dev's getters, the topology, the pending records, the
 * holders (@holders, see gather_holders()) and @opts; reset_facts_clear()
 * frees. The getters answer from what was read before: a caller that wants
 * the facts as they are now invalidates the functions first (reset-batch.c
 * does, at the write).
 */
static void reset_facts_gather(struct vfr_device *dev, const struct vfr_reset_options *opts,
			       GHashTable *holders, const char *holders_why,
			       struct reset_facts *ret)
{
	struct reset_facts f = { 0 };
	g_autoptr(GPtrArray) reach = g_ptr_array_new();
	g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);
	const char *const *methods = NULL;
	int r;

	f.name = dev->name;
	f.policy = opts ? opts->policy : VFR_RESET_STRICT;
	f.flags = opts ? opts->flags : 0;
	f.owner = opts ? owners_lookup_name(opts->owners, dev->name) : NULL;
	f.caller = opts ? opts->caller : NULL;
	f.only_methods = opts ? (const char *const *)opts->methods : NULL;

	r = vfr_device_get_driver(dev, &f.driver);
	if (r == -ENODEV) {
		f.gone = true;
	} else if (r < 0 || vfr_device_get_driver_type(dev, &f.driver_type) < 0) {
		/* A driver link that cannot be read is treated as a host driver: never less safe. */
		f.driver_type = VFR_DRIVER_HOST;
		f.driver = "an unreadable driver";
	}

	g_ptr_array_add(reach, dev);
	gather_vfs(dev, opts, &f, reach);
	gather_peers(dev, opts, &f, reach);
	gather_holders(dev, &f, reach, holders, holders_why);

	/* A stuck reset holding the function would make a config read sleep. */
	if (!f.pending) {
		r = vfr_device_get_capabilities(dev, &f.caps, NULL);
		f.caps_known = r == 0;
		if (r == -ENODEV || (r == -EIO && reads_all_ones(dev)))
			f.gone = true;
	}
	if (vfr_device_get_header_type(dev, &f.header) < 0)
		f.header = VFR_HEADER_UNKNOWN;

	r = vfr_device_get_reset_methods(dev, &methods);
	if (r == -ENODEV)
		f.gone = true;
	f.kernel_methods = r == 0 ? methods : NULL;
	if (r == -ENOENT) {
		int fd = host_device_dirfd(dev->host, dev);

		f.reset_without_list = fd >= 0 && sysfs_exists(fd, "reset") > 0;
	}

	f.on_root_bus = !dev->parent;
	f.bus_probe_ok = scope_bus_method_probe(dev, &f.bus_sibling);
	if (!f.gone && !f.pending)
		check_layout(dev, &f, extra);
	if (extra->len) {
		char **lines = g_new0(char *, extra->len + 1);

		for (guint i = 0; i < extra->len; i++)
			lines[i] = (char *)keep(&f, g_strdup(extra->pdata[i]));
		keep(&f, (char *)lines);
		f.extra_seen = (const char *const *)lines;
	}
	if (!f.pending)
		gather_vfio(dev, opts, &f);
	*ret = f;
}

/* @dev, its VFs and every function below its bridge: what a plan of it may reach. */
static void add_reach(struct vfr_device *dev, GPtrArray *all, GHashTable *seen)
{
	g_autofree struct vfr_device **below = NULL;
	size_t n = 0;

	if (g_hash_table_add(seen, dev))
		g_ptr_array_add(all, dev);
	for (size_t i = 0; i < vfr_device_get_n_virtfns(dev); i++) {
		struct vfr_device *vf = vfr_device_get_virtfn(dev, i);

		if (g_hash_table_add(seen, vf))
			g_ptr_array_add(all, vf);
	}
	if (scope_bus_affected(dev, &below, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (g_hash_table_add(seen, below[i]))
				g_ptr_array_add(all, below[i]);
}

/*
 * Another program's call stuck on a function (a process asleep in the
 * kernel with its reset or config file open) becomes a pending call of the
 * host before anything reads that function's config space: the read would
 * sleep with it. A record, when there is one, says more and stays.
 */
static void note_stuck(struct vfr_host *host, struct vfr_device *const *devs,
		       const struct holders *found, size_t n)
{
	GPtrArray *calls = g_ptr_array_new_with_free_func((GDestroyNotify)pending_call_free);

	for (size_t i = 0; i < n; i++) {
		const struct vfr_pending_call *call = host_pending_for(host, devs[i]->name, false);

		if (!found[i].stuck || !found[i].stuck->len || (call && !call->observed))
			continue;
		g_ptr_array_add(calls, pending_call_observed(
			devs[i]->name, g_array_index(found[i].stuck, struct holder, 0).pid));
	}
	host_pending_set_observed(host, calls);
}

static void free_holders(gpointer p)
{
	holders_clear(p);
	g_free(p);
}

int reset_plans_make(struct vfr_device *const *devs, size_t n,
		     const struct vfr_reset_options *opts, struct vfr_reset_plan **ret_plans)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GHashTable) holders = NULL;
	g_autofree struct holders *found = NULL;
	struct vfr_error *err = NULL;

	if (n == 0)
		return 0;
	/* The records first: a stuck reset's functions must not be read meanwhile. */
	(void)host_pending_for(devs[0]->host, devs[0]->name, true);
	for (size_t i = 0; i < n; i++)
		add_reach(devs[i], all, seen);
	/* One pass over /proc for every function of every plan. */
	found = g_new0(struct holders, all->len + 1);
	if (holders_find_many((struct vfr_device *const *)all->pdata, all->len, found, NULL,
			      &err) == 0) {
		holders = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, free_holders);
		for (guint i = 0; i < all->len; i++)
			g_hash_table_insert(holders, ((struct vfr_device *)all->pdata[i])->name,
					    g_memdup2(&found[i], sizeof(found[i])));
		note_stuck(devs[0]->host, (struct vfr_device *const *)all->pdata, found, all->len);
	}
	for (size_t i = 0; i < n; i++) {
		struct reset_facts f;

		reset_facts_gather(devs[i], opts, holders, err ? vfr_error_get_message(err) : NULL,
				   &f);
		ret_plans[i] = reset_plan_build(&f);
		reset_facts_clear(&f);
	}
	vfr_error_free(err);
	return 0;
}

static void reset_facts_clear(struct reset_facts *f)
{
	g_free((void *)f->bus_peers);
	g_free((void *)f->vfs);
	if (f->storage)
		g_ptr_array_free(f->storage, TRUE);
	memset(f, 0, sizeof(*f));
}
