/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Managed binding: every operation is a move of each function from the
 * binding it has to the one asked for, through the kernel's own interface
 * (driver_override, the old driver's unbind, drivers_probe), with the
 * original binding recorded first and every function moved back when one of
 * them fails. The order of a move is libvirt's, for the same reason: the
 * override is set before the unbind so that nothing else can claim the
 * function in between.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "bind-private.h"
#include "deadline.h"
#include "holders.h"
#include "owner-store.h"
#include "pending.h"
#include "state-dir.h"
#include "sysfs.h"

#define LOG_DOMAIN "bind"

#define DEFAULT_WRITE_MS 10000
/*
 * Another binding of the same function holds its lock for a few writes,
 * each bounded by its own timeout: waiting longer than this means it is
 * stuck, and the caller hears who holds it instead of waiting for ever.
 */
#define DEFAULT_LOCK_MS 30000

static void item_free(gpointer p)
{
	struct bind_item *it = p;

	bind_record_clear(&it->orig);
	bind_record_clear(&it->want);
	g_free(it->before);
	g_free(it->after);
	g_free(it->message);
	g_free(it->holders);
	bind_lock_release(it->lock_fd);
	g_free(it);
}

VFR_EXPORT int vfr_binding_new(struct vfr_host *host, struct vfr_binding **ret)
{
	struct vfr_binding *b;

	assert_return(host && ret, -EINVAL);
	b = g_new0(struct vfr_binding, 1);
	b->refcount = 1;
	b->host = vfr_host_ref(host);
	b->requested = g_ptr_array_new();
	b->items = g_ptr_array_new_with_free_func(item_free);
	b->write_ms = DEFAULT_WRITE_MS;
	b->lock_ms = DEFAULT_LOCK_MS;
	b->state_fd = -1;
	b->pending_fd = -1;
	*ret = b;
	return 0;
}

VFR_EXPORT struct vfr_binding *vfr_binding_ref(struct vfr_binding *b)
{
	assert_return(b, NULL);
	b->refcount++;
	return b;
}

VFR_EXPORT struct vfr_binding *vfr_binding_unref(struct vfr_binding *b)
{
	if (!b || --b->refcount > 0)
		return NULL;
	g_ptr_array_free(b->items, TRUE);
	g_ptr_array_free(b->requested, TRUE);
	if (b->state_fd >= 0)
		close(b->state_fd);
	if (b->pending_fd >= 0)
		close(b->pending_fd);
	g_free(b->driver);
	g_free(b->owner);
	vfr_host_unref(b->host);
	g_free(b);
	return NULL;
}

VFR_EXPORT int vfr_binding_add_device(struct vfr_binding *b, struct vfr_device *dev)
{
	assert_return(b && dev && dev->host == b->host, -EINVAL);
	for (guint i = 0; i < b->requested->len; i++)
		if (b->requested->pdata[i] == dev)
			return 0;
	g_ptr_array_add(b->requested, dev);
	return 0;
}

VFR_EXPORT int vfr_binding_set_driver(struct vfr_binding *b, const char *driver)
{
	assert_return(b, -EINVAL);
	/* It becomes a directory name below bus/pci/drivers. */
	assert_return(!driver || (beneath_name_valid(driver) && strlen(driver) < 256), -EINVAL);
	g_free(b->driver);
	b->driver = g_strdup(driver);
	return 0;
}

VFR_EXPORT int vfr_binding_set_owner(struct vfr_binding *b, const char *owner)
{
	assert_return(b, -EINVAL);
	/* It is written to the owners' list. */
	assert_return(!owner || owner_name_valid(owner), -EINVAL);
	g_free(b->owner);
	b->owner = g_strdup(owner);
	return 0;
}

VFR_EXPORT int vfr_binding_set_flags(struct vfr_binding *b, unsigned int flags)
{
	assert_return(b, -EINVAL);
	assert_return(!(flags & ~(unsigned int)(VFR_BINDING_GROUP | VFR_BINDING_VARIANT)), -EINVAL);
	b->flags = flags;
	return 0;
}

VFR_EXPORT int vfr_binding_set_timeout(struct vfr_binding *b, int write_ms, int lock_ms)
{
	assert_return(b, -EINVAL);
	/* No write finishes in 0 ms: that would only ever end in "state unknown". */
	assert_return(write_ms > 0 || write_ms == -1, -EINVAL);
	assert_return(lock_ms >= 0 || lock_ms == -1, -EINVAL);
	b->write_ms = write_ms;
	b->lock_ms = lock_ms;
	return 0;
}

/* ---- reading the kernel's state ---- */

static bool is_vfio_driven(struct vfr_device *dev)
{
	enum vfr_driver_type type;

	return vfr_device_get_driver_type(dev, &type) == 0 &&
	       driver_type_is_vfio(type);
}

static void set_holders(struct bind_item *it, const struct holders *h)
{
	size_t n = h->certain->len + h->uncertain->len;

	g_free(it->holders);
	it->holders = g_new(int, n ? n : 1);
	it->n_holders = 0;
	for (guint i = 0; i < h->certain->len; i++)
		it->holders[it->n_holders++] = (int)g_array_index(h->certain, struct holder, i).pid;
	for (guint i = 0; i < h->uncertain->len; i++)
		it->holders[it->n_holders++] = (int)g_array_index(h->uncertain, struct holder, i).pid;
}

/*
 * The kernel blocks the unbind of a vfio device until every device file
 * is closed (vfio_pci_core's request loop): name who holds it instead of
 * waiting, and refuse where a holder may be there but the kernel does not
 * say (a device file before 6.18). A holder can be this very process,
 * which would then wait for itself. Unbinding a PF with SR-IOV makes its
 * driver remove the VFs, so a PF whose VFs are bound or held stays.
 */
static int check_can_unbind(struct bind_op *op, struct bind_item *it, struct vfr_error **reterr)
{
	struct vfr_device *dev = it->dev;
	size_t n_vf = vfr_device_get_n_virtfns(dev);
	int r;

	if (is_vfio_driven(dev)) {
		struct holders h = { 0 };
		g_autofree char *who = NULL;
		size_t hidden = 0;
		const char *what = it->before ? it->before : "it";

		r = holders_find_many(&dev, 1, &h, &hidden, reterr);
		if (r < 0) {
			it->status = r;
			return r;
		}
		set_holders(it, &h);
		if (h.certain->len > 0) {
			who = holders_describe((const struct holder *)h.certain->data, h.certain->len,
					       hidden);
			r = bind_item_fail(it, reterr, -EBUSY,
					   "it is held by %s %s; not unbinding %s (the kernel would "
					   "wait for them to let go of it)",
					   h.certain->len + hidden == 1 ? "process" : "processes", who,
					   what);
		} else if (h.self) {
			r = bind_item_fail(it, reterr, -EBUSY,
					   "it is held by this process (%s); not unbinding %s (the "
					   "kernel would wait for this process itself)",
					   h.self & HOLDER_DEVICE ? "a device file"
					   : h.self & HOLDER_CDEV ? "its cdev"
					   : h.self & HOLDER_GROUP ? "its group"
								   : "a mapping of its BARs",
					   what);
		} else if (h.uncertain->len > 0) {
			who = holders_describe((const struct holder *)h.uncertain->data,
					       h.uncertain->len, 0);
			r = bind_item_fail(it, reterr, -EBUSY,
					   "it may be held: %s %s, and this kernel does not say "
					   "which function (before Linux 6.18); not unbinding %s (the "
					   "kernel would wait if it is this one)",
					   h.uncertain->len == 1 ? "process" : "processes", who, what);
		} else if (h.self_uncertain) {
			r = bind_item_fail(it, reterr, -EBUSY,
					   "it may be held by this process, which holds a VFIO device "
					   "file this kernel does not name (before Linux 6.18); not "
					   "unbinding %s (the kernel would wait for this process itself "
					   "if it is this one)", what);
		} else if (hidden > 0) {
			vfr_notice(op->ctx, "%s: %zu processes could not be inspected for holders",
				   dev->name, hidden);
		}
		holders_clear(&h);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_vf; i++) {
		struct vfr_device *vf = vfr_device_get_virtfn(dev, i);
		const char *vf_driver = NULL;

		/* A VF can only be held through a vfio driver: a driverless one is not in use. */
		device_invalidate(vf);
		if (vfr_device_get_driver(vf, &vf_driver) == 0 && vf_driver)
			return bind_item_fail(it, reterr, -EBUSY,
					 "it is an SR-IOV PF and its VF %s is bound to %s; unbinding "
					 "the PF would remove it",
					 vf->name, vf_driver);
	}
	return 0;
}

/*
 * A kernel call another process left pending holds the function (or, for a
 * PF, one of the VFs its unbind would remove): any write now would block
 * behind it, or change a function whose state nobody knows.
 */
static int check_not_pending(struct bind_op *op, struct bind_item *it, struct vfr_error **reterr)
{
	struct vfr_device *dev = it->dev;
	size_t n_vf = vfr_device_get_n_virtfns(dev);

	for (size_t i = 0; i <= n_vf; i++) {
		struct vfr_device *d = i == 0 ? dev : vfr_device_get_virtfn(dev, i - 1);
		const struct vfr_pending_call *call = host_pending_for(op->b->host, d->name, true);
		g_autofree char *what = NULL;

		if (!call)
			continue;
		what = pending_call_describe(call);
		return bind_item_fail(it, reterr, -EBUSY, "%s; nothing was changed", what);
	}
	return 0;
}

/* ---- writes to the kernel ---- */

/*
 * A store still blocked at the deadline holds the function's device lock:
 * other processes must know, until the stuck process is gone (pending.h).
 * Unbinding a PF's driver removes its VFs, so the record holds them too.
 */
static int write_record(struct bind_op *op, struct bind_item *it, const char *name, pid_t pid)
{
	g_autoptr(GPtrArray) affected = g_ptr_array_new();
	struct vfr_pending_call call = {
		.address = it->dev->name,
		.operation = (char *)sysfs_basename(name),
	};

	g_ptr_array_add(affected, it->dev->name);
	for (size_t i = 0; i < vfr_device_get_n_virtfns(it->dev); i++)
		g_ptr_array_add(affected, (gpointer)vfr_device_get_name(vfr_device_get_virtfn(it->dev, i)));
	g_ptr_array_add(affected, NULL);
	call.affected = (char **)affected->pdata;
	return op->b->pending_fd >= 0 ? pending_record(op->b->pending_fd, &call, pid) : -EBADF;
}

static void record_pending(struct bind_op *op, struct bind_item *it, const char *name, pid_t stuck)
{
	int r = write_record(op, it, name, stuck);

	if (r < 0)
		vfr_warn(op->ctx, "%s: the stuck write to %s could not be recorded for other "
			 "processes: %s", it->dev->name, sysfs_basename(name), g_strerror(-r));
}

/*
 * The record is written before the store starts (deadline_announce): a
 * caller killed meanwhile leaves a store other processes must keep away
 * from. It goes once the answer came back in time.
 */
struct announced {
	struct bind_op *op;
	struct bind_item *it;
	const char *name;
	bool written;
};

static void announce_store(pid_t pid, void *data)
{
	struct announced *a = data;

	a->written = write_record(a->op, a->it, a->name, pid) == 0;
}

/* One store with the deadline; -ETIMEDOUT marks the item's state unknown. */
static int kernel_write(struct bind_op *op, struct bind_item *it, int dirfd, const char *name,
			const char *text, const char *what, struct vfr_error **reterr)
{
	struct announced a = { .op = op, .it = it, .name = name };
	struct deadline_announce hook = { .started = announce_store, .data = &a };
	pid_t stuck = 0;
	int r;

	deadline_announce_set(&hook);
	r = sysfs_write_deadline(dirfd, name, text, op->b->write_ms, &stuck);
	deadline_announce_set(NULL);
	if (r != -ETIMEDOUT && a.written && state_file_remove(op->b->pending_fd, it->dev->name) < 0)
		vfr_warn(op->ctx, "%s: the record of the write to %s that returned could not be "
			 "removed; it goes once its process is gone", it->dev->name,
			 sysfs_basename(name));
	device_invalidate(it->dev);
	if (r == -ETIMEDOUT) {
		it->unknown = true;
		if (stuck > 0)
			record_pending(op, it, name, stuck);
		return bind_item_fail(it, reterr, r,
				 "%s did not return within %d ms; state unknown (the write is "
				 "still pending in the kernel%s), not rolled back",
				 what, op->b->write_ms, stuck > 0 ? ", recorded" : "");
	}
	if (r < 0)
		return bind_item_fail(it, reterr, r, "%s failed: %s", what, g_strerror(-r));
	it->changed = true;
	return 0;
}

static int write_override(struct bind_op *op, struct bind_item *it, const char *override,
			  struct vfr_error **reterr)
{
	g_autofree char *what = g_strdup_printf("setting driver_override to '%s'",
						override ? override : "");
	int fd = host_device_dirfd(op->b->host, it->dev);

	if (fd < 0)
		return bind_item_fail(it, reterr, fd, "its sysfs directory cannot be opened: %s",
				 g_strerror(-fd));
	/* A lone newline clears the override (the kernel stores up to the first newline). */
	return kernel_write(op, it, fd, "driver_override", override ? override : "\n", what, reterr);
}

static int write_driver_attr(struct bind_op *op, struct bind_item *it, const char *driver,
			     const char *attr, struct vfr_error **reterr)
{
	g_autofree char *path = g_build_filename("bus/pci/drivers", driver, attr, NULL);
	g_autofree char *what = g_strdup_printf("%s %s %s", driver, attr, it->dev->name);

	return kernel_write(op, it, ctx_get_sys_fd(op->ctx), path, it->dev->name, what, reterr);
}

static int write_probe(struct bind_op *op, struct bind_item *it, struct vfr_error **reterr)
{
	g_autofree char *what = g_strdup_printf("drivers_probe of %s", it->dev->name);

	return kernel_write(op, it, ctx_get_sys_fd(op->ctx), "bus/pci/drivers_probe", it->dev->name,
			    what, reterr);
}

/*
 * A vfio driver creates vfio-dev/ and the group's node (or the device's
 * cdev) from its probe, but udev may create or relabel /dev nodes after the
 * bind returned: poll with backoff, bounded by the write timeout.
 */
/*
 * Does one of @dev's VFIO nodes exist: /dev/vfio/GROUP, /dev/vfio/noiommu-GROUP
 * (a group faked for a device without an IOMMU), or the cdev of one of its
 * vfio-dev entries (a kernel without group support has only that)? A
 * function in no IOMMU group has no node to wait for.
 */
/* ROOT/@rel exists (the /dev nodes are below the context's root, not below sys); no link is followed. */
static bool node_exists(struct bind_op *op, const char *rel)
{
	struct stat st;

	return ctx_stat(op->ctx, rel, &st) == 0;
}

static bool vfio_node_exists(struct bind_op *op, struct vfr_device *dev, int dirfd)
{
	g_auto(GStrv) names = NULL;
	char rel[64];
	size_t n = 0;
	int group;

	if (vfr_device_get_iommu_group(dev, &group) < 0)
		return true;
	snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
	if (node_exists(op, rel))
		return true;
	snprintf(rel, sizeof(rel), "dev/vfio/noiommu-%d", group);
	if (node_exists(op, rel))
		return true;
	if (dirfd < 0 || sysfs_list(dirfd, "vfio-dev", &names, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		g_autofree char *cdev = NULL;

		if (!beneath_name_valid(names[i]))
			continue;
		cdev = g_build_filename("dev/vfio/devices", names[i], NULL);
		if (node_exists(op, cdev))
			return true;
	}
	return false;
}

static int wait_vfio_nodes(struct bind_op *op, struct bind_item *it, struct vfr_error **reterr)
{
	struct vfr_device *dev = it->dev;
	bool need_vfio_dev = host_has_vfio_dev_mechanism(op->b->host);
	gint64 end = g_get_monotonic_time() +
		     (gint64)(op->b->write_ms < 0 ? 60000 : op->b->write_ms) * G_TIME_SPAN_MILLISECOND;
	unsigned int wait_us = 500;

	for (;;) {
		int fd = host_device_dirfd(op->b->host, dev);
		bool have_dev = !need_vfio_dev || (fd >= 0 && sysfs_exists(fd, "vfio-dev") > 0);
		bool have_node = vfio_node_exists(op, dev, fd);

		if (have_dev && have_node)
			return 0;
		if (g_get_monotonic_time() >= end)
			return bind_item_fail(it, reterr, -ETIMEDOUT,
					 "bound to %s, but %s did not appear", it->want.driver,
					 !have_dev ? "vfio-dev/" : "its /dev/vfio node");
		g_usleep(wait_us);
		wait_us = MIN(wait_us * 2, 50000);
	}
}

/*
 * Moves the function to it->want (or, with @to_orig, back to it->orig).
 * it->any_driver accepts whatever the probe binds.
 */
static int move(struct bind_op *op, struct bind_item *it, bool to_orig, struct vfr_error **reterr)
{
	const struct bind_record *want = to_orig ? &it->orig : &it->want;
	bool any = !to_orig && it->any_driver;
	g_auto(bind_record_t) cur = { 0 };
	int r;

	r = bind_read_state(it->dev, &cur);
	if (r < 0)
		return bind_item_fail(it, reterr, r, "its driver cannot be read: %s", g_strerror(-r));
	if (!any && g_strcmp0(cur.driver, want->driver) == 0 &&
	    g_strcmp0(cur.override, want->override) == 0)
		return 0;
	if (cur.driver && (any || g_strcmp0(cur.driver, want->driver) != 0)) {
		r = check_can_unbind(op, it, reterr);
		if (r < 0)
			return r;
	}
	if (g_strcmp0(cur.override, want->override) != 0) {
		r = write_override(op, it, want->override, reterr);
		if (r < 0)
			return r;
	}
	if (cur.driver && (any || g_strcmp0(cur.driver, want->driver) != 0)) {
		r = write_driver_attr(op, it, cur.driver, "unbind", reterr);
		if (r < 0)
			return r;
	}
	if (want->driver || any) {
		const char *now = NULL;

		r = write_probe(op, it, reterr);
		if (r < 0)
			return r;
		r = vfr_device_get_driver(it->dev, &now);
		/* The probe takes ids into account; a binding by new_id or bind needs bind. */
		if (r == 0 && !now && want->driver)
			write_driver_attr(op, it, want->driver, "bind", NULL);
		r = vfr_device_get_driver(it->dev, &now);
		if (r < 0)
			return bind_item_fail(it, reterr, r, "its driver cannot be read: %s",
					 g_strerror(-r));
		if (!any && !now)
			return bind_item_fail(it, reterr, -EIO, "the probe bound no driver (expected %s)",
					      want->driver);
		if (!any && g_strcmp0(now, want->driver) != 0)
			return bind_item_fail(it, reterr, -EIO, "the probe bound %s instead of %s", now,
					      want->driver);
		if (!to_orig && now && is_vfio_driven(it->dev))
			return wait_vfio_nodes(op, it, reterr);
	} else {
		const char *now = NULL;

		r = vfr_device_get_driver(it->dev, &now);
		if (r == 0 && now)
			return bind_item_fail(it, reterr, -EIO, "still bound to %s after the unbind",
					 now);
	}
	return 0;
}

/* ---- the operation ---- */

static int compare_items(gconstpointer a, gconstpointer b)
{
	const struct bind_item *x = *(struct bind_item *const *)a;
	const struct bind_item *y = *(struct bind_item *const *)b;

	return vfr_address_compare(&x->dev->addr, &y->dev->addr);
}

static void add_item(struct vfr_binding *b, struct vfr_device *dev)
{
	struct bind_item *it;

	for (guint i = 0; i < b->items->len; i++)
		if (((struct bind_item *)b->items->pdata[i])->dev == dev)
			return;
	it = g_new0(struct bind_item, 1);
	it->dev = dev;
	it->status = 1;
	it->lock_fd = -1;
	g_ptr_array_add(b->items, it);
}

static bool is_bridge(struct vfr_device *dev)
{
	enum vfr_header_type type;

	return vfr_device_get_header_type(dev, &type) == 0 && type == VFR_HEADER_BRIDGE;
}

/* The functions to act on: those asked for, with their groups' members. */
static void expand(struct vfr_binding *b)
{
	g_ptr_array_set_size(b->items, 0);
	for (guint i = 0; i < b->requested->len; i++) {
		struct vfr_device *dev = b->requested->pdata[i];
		int group;

		add_item(b, dev);
		if (!(b->flags & VFR_BINDING_GROUP) || vfr_device_get_iommu_group(dev, &group) < 0)
			continue;
		for (size_t k = 0; k < vfr_host_get_n_group_devices(b->host, group); k++) {
			struct vfr_device *m = vfr_host_get_group_device(b->host, group, k);

			/* Bridges stay with pcieport: vfio accepts that, and it keeps hotplug working. */
			if (m && !is_bridge(m))
				add_item(b, m);
		}
	}
	g_ptr_array_sort(b->items, compare_items);
}

static struct bind_item *item(const struct vfr_binding *b, size_t index)
{
	if (!b || index >= b->items->len)
		return NULL;
	return b->items->pdata[index];
}

/*
 * Moves every function that was changed back to where it was, the last
 * first. A function whose state is unknown is left alone: writing to it
 * again could race the store that is still pending.
 */
static void roll_back(struct bind_op *op, guint upto)
{
	for (guint k = upto + 1; k-- > 0;) {
		struct bind_item *it = op->b->items->pdata[k];
		struct vfr_error *err = NULL;
		int status = it->status;

		if (it->unknown)
			continue;
		if (!it->changed) {
			if (it->created_record)
				bind_record_remove(op->b->state_fd, it->dev->name);
			continue;
		}
		if (move(op, it, true, &err) < 0) {
			bind_item_note(it, "rollback failed: %s", vfr_error_get_message(err));
			vfr_err(op->ctx, "%s: rollback failed: %s", it->dev->name,
				vfr_error_get_message(err));
			vfr_error_free(err);
			it->status = status < 0 ? status : -EIO;
			continue;
		}
		it->rolled_back = true;
		it->status = status == 0 ? 1 : status;
		bind_item_note(it, "rolled back to %s", it->orig.driver ? it->orig.driver : "no driver");
		if (it->created_record)
			bind_record_remove(op->b->state_fd, it->dev->name);
	}
}

/* Fails @it unless its driver, read now (@r the read's result), is the one asked for. */
static int check_driver_now(struct bind_item *it, int r, const char *driver,
			    struct vfr_error **reterr)
{
	if (r < 0)
		return bind_item_fail(it, reterr, r, "its driver cannot be read afterwards: %s",
				      g_strerror(-r));
	if (!it->any_driver && g_strcmp0(driver, it->want.driver) != 0)
		return bind_item_fail(it, reterr, -EIO, "it ended bound to %s instead of %s",
				      driver ? driver : "no driver",
				      it->want.driver ? it->want.driver : "no driver");
	return 0;
}

/*
 * Every function where it was asked to go, read afresh once all moves and
 * checks are done; this read is the one the result reports. A function
 * hot-unplugged after its probe, or taken by something else meanwhile, is
 * a failure, never an "ok" with no driver.
 */
static int check_final(struct bind_op *op, struct vfr_error **reterr)
{
	for (guint i = 0; i < op->b->items->len; i++) {
		struct bind_item *it = op->b->items->pdata[i];
		g_auto(bind_record_t) now = { 0 };
		int r = bind_read_state(it->dev, &now);

		if (r == -ENODEV ||
		    (r == 0 && sysfs_exists(ctx_get_sys_fd(op->ctx), it->dev->syspath) <= 0))
			return bind_item_fail(it, reterr, -ENODEV,
					      "the function vanished (hot-unplugged?) after its binding "
					      "was changed");
		if (r == 0) {
			g_free(it->after);
			it->after = g_strdup(now.driver);
		}
		r = check_driver_now(it, r, now.driver, reterr);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * After a failure, what every function reads now. One that needed no write
 * (already as asked) keeps status 0 only while it still reads so: the
 * kernel may have changed it meanwhile on its own (a VF re-created through
 * sriov_numvfs and probed), and "done" must not come back with a driver
 * that says otherwise.
 */
static void fill_after(struct vfr_binding *b)
{
	for (guint i = 0; i < b->items->len; i++) {
		struct bind_item *it = b->items->pdata[i];
		const char *now = NULL;
		int r;

		device_invalidate(it->dev);
		g_free(it->after);
		r = vfr_device_get_driver(it->dev, &now);
		it->after = r == 0 ? g_strdup(now) : NULL;
		if (it->status == 0)
			(void)check_driver_now(it, r, it->after, NULL);
	}
}

static void unlock_all(struct vfr_binding *b)
{
	for (guint i = 0; i < b->items->len; i++) {
		struct bind_item *it = b->items->pdata[i];

		bind_lock_release(it->lock_fd);
		it->lock_fd = -1;
	}
}

/* Locks in address order (items are sorted): two processes cannot deadlock. */
static int lock_all(struct bind_op *op, struct vfr_error **reterr)
{
	struct vfr_binding *b = op->b;
	int r;

	if (b->state_fd < 0) {
		r = bind_state_open(op->ctx, &b->state_fd, reterr);
		if (r < 0)
			return r;
	}
	if (b->pending_fd < 0 && pending_dir_open(op->ctx, true, &b->pending_fd) < 0)
		b->pending_fd = -1; /* stuck stores then go unrecorded, with a warning */
	for (guint i = 0; i < b->items->len; i++) {
		struct bind_item *it = b->items->pdata[i];
		pid_t holder = 0;

		r = bind_lock_take(b->state_fd, it->dev->name, b->lock_ms, &holder);
		if (r < 0) {
			unlock_all(b);
			if (r == -EBUSY && holder > 0)
				return bind_item_fail(it, reterr, r,
						      "another process (pid %ld) is changing its binding: "
						      "its lock is still held after %d ms",
						      (long)holder, b->lock_ms);
			if (r == -EBUSY)
				return bind_item_fail(it, reterr, r,
						      "another process is changing its binding: its lock "
						      "is still held after %d ms", b->lock_ms);
			return bind_item_fail(it, reterr, r, "cannot take its lock: %s",
					      g_strerror(-r));
		}
		it->lock_fd = r;
	}
	return 0;
}

static int bind_run(struct vfr_binding *b, enum bind_kind kind, struct vfr_error **reterr)
{
	struct bind_op op = { .b = b, .ctx = b->host->ctx, .kind = kind };
	guint i;
	int r;

	if (b->requested->len == 0)
		return error_set(reterr, -EINVAL, NULL, "no function to act on");
	/* Its stores have a deadline: refused before anything changes when that cannot work. */
	if (b->write_ms >= 0 && (r = deadline_check(reterr)) < 0)
		return r;
	expand(b);
	r = lock_all(&op, reterr);
	if (r < 0)
		return r;

	if (b->pending_fd >= 0)
		pending_reap(op.ctx, b->pending_fd);
	/* What each function has, before anything changes. */
	for (i = 0; i < b->items->len; i++) {
		struct bind_item *it = b->items->pdata[i];

		r = bind_read_state(it->dev, &it->orig);
		if (r < 0) {
			r = bind_item_fail(it, reterr, r, "its driver cannot be read: %s",
				      g_strerror(-r));
			goto out;
		}
		it->before = g_strdup(it->orig.driver);
		r = check_not_pending(&op, it, reterr);
		if (r < 0)
			goto out;
	}
	/* Refusals that need no look at the drivers' modules come first: they change nothing. */
	r = bind_check_owners(&op, reterr);
	if (r < 0)
		goto out;
	if (kind == BIND_BIND && (b->flags & VFR_BINDING_GROUP)) {
		r = bind_predict_groups(&op, reterr);
		if (r < 0)
			goto out;
	}
	/* What each function should get (a target driver's module is loaded here). */
	for (i = 0; i < b->items->len; i++) {
		r = bind_resolve_target(&op, b->items->pdata[i], reterr);
		if (r < 0)
			goto out;
	}
	/* Declared before the first write, as the records are: a crash leaves them known. */
	if (kind != BIND_RESTORE) {
		r = bind_declare(&op, reterr);
		if (r < 0) {
			bind_item_note(b->items->pdata[0], "the owners' list was not changed");
			goto out;
		}
	}

	for (i = 0; i < b->items->len; i++) {
		struct bind_item *it = b->items->pdata[i];
		struct bind_record rec = { 0 };
		int rr = kind != BIND_RESTORE ? bind_record_read(b->state_fd, it->dev->name, &rec) : 0;

		/*
		 * The first managed operation records the original, even one that
		 * changes nothing (a function an administrator put on vfio-pci with
		 * its override): a restore then puts back exactly that, not a
		 * function without a driver. Later ones keep it. A record that
		 * exists but cannot be read is not overwritten: the binding now may
		 * already be a managed one, and the original lost.
		 */
		if (rr < 0 && rr != -ENOENT) {
			r = bind_item_fail(it, reterr, rr, "its recorded original binding cannot be "
					   "read: %s", g_strerror(-rr));
			break;
		}
		if (rr == -ENOENT) {
			r = bind_record_write(b->state_fd, it->dev->name, &it->orig);
			if (r < 0) {
				r = bind_item_fail(it, reterr, r, "cannot record its binding: %s",
					      g_strerror(-r));
				break;
			}
			it->created_record = true;
		}
		bind_record_clear(&rec);
		r = move(&op, it, false, reterr);
		if (r < 0)
			break;
		it->status = 0;
	}
	if (r == 0 && kind == BIND_BIND)
		r = bind_check_groups(&op, b->flags & VFR_BINDING_GROUP, reterr);
	/* The last read of every function: what it says is the outcome and driver_after. */
	if (r == 0)
		r = check_final(&op, reterr);
	if (r < 0) {
		roll_back(&op, MIN(i, b->items->len - 1));
		bind_withdraw(&op, false, NULL);
		goto out;
	}
	for (i = 0; i < b->items->len; i++) {
		struct bind_item *it = b->items->pdata[i];

		if (kind == BIND_RESTORE)
			bind_record_remove(b->state_fd, it->dev->name);
	}
	/* Given back: no longer the owner's. The drivers are as asked even if this fails. */
	if (kind == BIND_RESTORE && (r = bind_withdraw(&op, true, reterr)) < 0)
		vfr_err(op.ctx, "restored, but the owners' list still names %s's functions",
			b->owner);
	g_free(op.driver);
	vfr_owners_unref(op.owners);
	unlock_all(b);
	return r;
out:
	g_free(op.driver);
	vfr_owners_unref(op.owners);
	fill_after(b);
	unlock_all(b);
	return r;
}

VFR_EXPORT int vfr_binding_bind(struct vfr_binding *b, struct vfr_error **reterr)
{
	assert_return(b, -EINVAL);
	return bind_run(b, BIND_BIND, reterr);
}

VFR_EXPORT int vfr_binding_unbind(struct vfr_binding *b, struct vfr_error **reterr)
{
	assert_return(b, -EINVAL);
	return bind_run(b, BIND_UNBIND, reterr);
}

VFR_EXPORT int vfr_binding_restore(struct vfr_binding *b, struct vfr_error **reterr)
{
	assert_return(b, -EINVAL);
	return bind_run(b, BIND_RESTORE, reterr);
}

/* ---- results ---- */

VFR_EXPORT size_t vfr_binding_get_n_devices(const struct vfr_binding *b)
{
	assert_return(b, 0);
	return b->items->len;
}

VFR_EXPORT struct vfr_device *vfr_binding_get_device(const struct vfr_binding *b, size_t index)
{
	struct bind_item *it = item(b, index);

	return it ? it->dev : NULL;
}

VFR_EXPORT int vfr_binding_get_status(const struct vfr_binding *b, size_t index)
{
	struct bind_item *it = item(b, index);

	return it ? it->status : -EINVAL;
}

VFR_EXPORT const char *vfr_binding_get_driver_before(const struct vfr_binding *b, size_t index)
{
	struct bind_item *it = item(b, index);

	return it ? it->before : NULL;
}

VFR_EXPORT const char *vfr_binding_get_driver_after(const struct vfr_binding *b, size_t index)
{
	struct bind_item *it = item(b, index);

	return it ? it->after : NULL;
}

VFR_EXPORT const char *vfr_binding_get_message(const struct vfr_binding *b, size_t index)
{
	struct bind_item *it = item(b, index);

	return it ? it->message : NULL;
}

VFR_EXPORT bool vfr_binding_is_rolled_back(const struct vfr_binding *b, size_t index)
{
	struct bind_item *it = item(b, index);

	return it && it->rolled_back;
}

VFR_EXPORT bool vfr_binding_is_state_unknown(const struct vfr_binding *b, size_t index)
{
	struct bind_item *it = item(b, index);

	return it && it->unknown;
}

VFR_EXPORT const int *vfr_binding_get_holders(const struct vfr_binding *b, size_t index,
					      size_t *ret_n)
{
	struct bind_item *it = item(b, index);

	if (ret_n)
		*ret_n = it ? it->n_holders : 0;
	return it && it->n_holders ? it->holders : NULL;
}
