/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checks that span sections (parents, VFs, bus numbers, links) and the
 * facts that follow from the whole description: paths, bridges' bus
 * numbers, multifunction bits, vfio-dev numbering. A description that a
 * kernel could not show is refused here, with the section and key to fix.
 */
#include <stdio.h>
#include <string.h>

#include "mkfixture.h"

static int dev_cmp(gconstpointer a, gconstpointer b)
{
	const struct fx_dev *x = *(struct fx_dev *const *)a,
			    *y = *(struct fx_dev *const *)b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	return (int)fx_rid(x) - (int)fx_rid(y);
}

static int rootbus_cmp(gconstpointer a, gconstpointer b)
{
	const struct fx_rootbus *x = *(struct fx_rootbus *const *)a;
	const struct fx_rootbus *y = *(struct fx_rootbus *const *)b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	return (int)x->bus - (int)y->bus;
}

static int driver_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp((*(struct fx_driver *const *)a)->name,
		      (*(struct fx_driver *const *)b)->name);
}

static int group_cmp(gconstpointer a, gconstpointer b)
{
	return (*(struct fx_group *const *)a)->number -
	       (*(struct fx_group *const *)b)->number;
}

static struct fx_dev *lookup(struct fx_parser *p, struct fx_dev *d, const char *key,
			     const char *text)
{
	struct fx_dev tmp;
	struct fx_dev *found;

	if (!fx_parse_address(text, &tmp)) {
		fx_fail(p, d->section, key, "'%s' is not a PCI address like 0000:00:1c.0",
			text);
		return NULL;
	}
	found = g_hash_table_lookup(p->fx->by_addr, tmp.addr);
	if (!found)
		fx_fail(p, d->section, key, "%s is not described in this file", tmp.addr);
	return found;
}

/* physfn=: VFs, their PF's offset, stride and totals. */
static bool resolve_vfs(struct fx_parser *p)
{
	GPtrArray *devs = p->fx->devs;

	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *d = devs->pdata[i], *pf;
		struct fx_dev tmp;

		if (!d->physfn_addr)
			continue;
		if (!fx_parse_address(d->physfn_addr, &tmp))
			return fx_fail(p, d->section, "physfn",
				       "'%s' is not a PCI address like 0000:01:00.0",
				       d->physfn_addr);
		d->is_vf = true;
		g_free(d->physfn_addr);
		d->physfn_addr = g_strdup(tmp.addr);
		pf = g_hash_table_lookup(p->fx->by_addr, tmp.addr);
		if (d->dangling & LINK_PHYSFN) {
			if (pf)
				return fx_fail(
					p, d->section, "dangling",
					"the physfn link cannot dangle: [%s] is described",
					pf->section);
			continue;
		}
		if (!pf) {
			if (d->escaping & LINK_PHYSFN)
				continue;
			return fx_fail(p, d->section, "physfn",
				       "%s is not described in this file", tmp.addr);
		}
		if (pf == d || pf->physfn_addr)
			return fx_fail(p, d->section, "physfn", "[%s] is a VF itself",
				       pf->section);
		if (!(pf->caps & CAP_SRIOV))
			return fx_fail(p, d->section, "physfn",
				       "[%s] has no sriov in caps", pf->section);
		if (fx_kinds[d->kind].bridge)
			return fx_fail(p, d->section, "kind", "a VF is not a bridge");
		/* A VF's routing ID is the PF's plus First VF Offset (never 0). */
		if (pf->domain != d->domain || fx_rid(d) <= fx_rid(pf))
			return fx_fail(p, d->section, "physfn",
				       "a VF follows its PF %s in the same domain",
				       pf->addr);
		d->physfn = pf;
		if (!pf->vfs)
			pf->vfs = g_ptr_array_new();
		d->vf_index = pf->vfs->len;
		g_ptr_array_add(pf->vfs, d);
	}

	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *pf = devs->pdata[i];
		unsigned int n = pf->vfs ? pf->vfs->len : 0;

		if (!(pf->caps & CAP_SRIOV))
			continue;
		/* vf_offset= and vf_stride=, else igb's values when no VF is enabled. */
		pf->vf_offset = pf->vf_offset_key >= 0 ? (uint16_t)pf->vf_offset_key : 0x80;
		pf->vf_stride = pf->vf_stride_key >= 0 ? (uint16_t)pf->vf_stride_key : 2;
		pf->vf_device = pf->vf_device_key >= 0 ? (uint16_t)pf->vf_device_key : pf->device;
		if (n) {
			struct fx_dev *vf0 = pf->vfs->pdata[0];

			if (pf->vf_offset_key >= 0 && fx_rid(vf0) != fx_rid(pf) + pf->vf_offset)
				return fx_fail(p, vf0->section, "physfn",
					       "the first VF of %s is at First VF Offset %u "
					       "(vf_offset=)",
					       pf->addr, pf->vf_offset);
			pf->vf_offset = (uint16_t)(fx_rid(vf0) - fx_rid(pf));
			if (pf->vf_device_key >= 0 && vf0->device != pf->vf_device_key)
				return fx_fail(p, vf0->section, "device",
					       "the VFs of %s have VF Device ID %04x (vf_device=)",
					       pf->addr, pf->vf_device_key);
			pf->vf_device = vf0->device;
			if (n > 1 && pf->vf_stride_key < 0)
				pf->vf_stride = (uint16_t)(fx_rid(pf->vfs->pdata[1]) -
							   fx_rid(vf0));
		}
		for (unsigned int k = 1; k < n; k++) {
			struct fx_dev *vf = pf->vfs->pdata[k];
			unsigned int want =
				fx_rid(pf) + pf->vf_offset + k * pf->vf_stride;

			if (fx_rid(vf) != want)
				return fx_fail(
					p, vf->section, "physfn",
					"VF %u of %s must be at %04x:%02x:%02x.%u (First VF "
					"Offset %u, VF Stride %u from the first two VFs)",
					k, pf->addr, pf->domain, want >> 8,
					(want >> 3) & 0x1f, want & 7, pf->vf_offset,
					pf->vf_stride);
			if (vf->device != pf->vf_device)
				return fx_fail(
					p, vf->section, "device",
					"the VFs of %s share one VF Device ID (%04x)",
					pf->addr, pf->vf_device);
		}
		if (pf->total_vfs < 0)
			pf->total_vfs = (int)MAX(8u, n);
		else if ((unsigned int)pf->total_vfs < n)
			return fx_fail(p, pf->section, "total_vfs",
				       "%u VFs are described", n);
	}
	return true;
}

/* parent=: upstream bridges; a VF sits beside its PF. */
static bool resolve_parents(struct fx_parser *p)
{
	GPtrArray *devs = p->fx->devs;

	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *d = devs->pdata[i], *par;

		if (!d->parent_addr)
			continue;
		if (!(par = lookup(p, d, "parent", d->parent_addr)))
			return false;
		if (!fx_kinds[par->kind].bridge)
			return fx_fail(p, d->section, "parent",
				       "[%s] is kind %s, not a bridge", par->section,
				       fx_kinds[par->kind].name);
		if (par->domain != d->domain)
			return fx_fail(p, d->section, "parent",
				       "a bridge forwards within its own domain %04x",
				       par->domain);
		d->parent = par;
	}
	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *d = devs->pdata[i];

		if (!d->physfn)
			continue;
		if (d->parent_addr && d->parent != d->physfn->parent)
			return fx_fail(p, d->section, "parent",
				       "a VF sits beside its PF, under %s",
				       d->physfn->parent ? d->physfn->parent->addr
							 : "its root bus");
		d->parent = d->physfn->parent;
	}
	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *d = devs->pdata[i], *up = d;
		size_t steps = 0;

		if (!d->parent)
			continue;
		if (!d->parent->children)
			d->parent->children = g_ptr_array_new();
		g_ptr_array_add(d->parent->children, d);
		while ((up = up->parent))
			if (++steps > devs->len)
				return fx_fail(p, d->section, "parent",
					       "the parents form a loop");
	}
	return true;
}

static struct fx_rootbus *rootbus_get(struct fx_parser *p, struct fx_dev *d)
{
	char name[24];
	struct fx_rootbus *rb;

	snprintf(name, sizeof(name), "%04x:%02x", d->domain, d->bus);
	rb = g_hash_table_lookup(p->rootbuses, name);
	if (!rb) {
		rb = g_new0(struct fx_rootbus, 1);
		memcpy(rb->name, name, sizeof(name));
		rb->domain = d->domain;
		rb->bus = d->bus;
		g_ptr_array_add(p->fx->rootbuses, rb);
		g_hash_table_insert(p->rootbuses, rb->name, rb);
	}
	if (!rb->first)
		rb->first = d;
	return rb;
}

static bool resolve_rootbuses(struct fx_parser *p)
{
	GPtrArray *devs = p->fx->devs, *rbs = p->fx->rootbuses;

	/* Address order puts a PF before its VFs, which share its root bus. */
	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *d = devs->pdata[i];

		if (d->parent)
			continue;
		d->rootbus = d->physfn ? d->physfn->rootbus : rootbus_get(p, d);
	}
	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *d = devs->pdata[i], *top = d;

		while (top->parent)
			top = top->parent;
		d->rootbus = top->rootbus;
	}
	for (size_t i = 0; i < rbs->len; i++) {
		struct fx_rootbus *rb = rbs->pdata[i];
		struct fx_dev holder = { .section = rb->section };
		const struct fx_rootbus *up = rb;

		if (!rb->first)
			return fx_fail(p, rb->section, NULL,
				       "no function without parent= sits on bus %02x",
				       rb->bus);
		if (!rb->parent_addr)
			continue;
		if (!(rb->parent = lookup(p, &holder, "parent", rb->parent_addr)))
			return false;
		for (size_t steps = 0; up->parent; steps++) {
			up = up->parent->rootbus;
			if (up == rb || steps > rbs->len)
				return fx_fail(p, rb->section, "parent",
					       "the root bus would sit below itself");
		}
	}
	return true;
}

/* Who a bus number belongs to within one domain, to find overlapping ranges. */
struct bus_owner {
	struct fx_dev *bridge;	 /* its secondary bus, or VFs' extra bus behind it */
	struct fx_rootbus *root; /* the root bus itself, or VFs' extra bus on it */
};

struct bus_map {
	struct bus_owner bus[256];
};

static struct bus_owner *owner(GHashTable *maps, uint32_t domain, unsigned int bus)
{
	struct bus_map *m = g_hash_table_lookup(maps, GUINT_TO_POINTER(domain));

	if (!m) {
		m = g_new0(struct bus_map, 1);
		g_hash_table_insert(maps, GUINT_TO_POINTER(domain), m);
	}
	return &m->bus[bus];
}

static char *owner_desc(const struct bus_owner *o)
{
	if (o->root)
		return g_strdup_printf("the root bus %s", o->root->name);
	return g_strdup_printf("the bus behind [%s]", o->bridge->section);
}

static bool owner_under(const struct bus_owner *o, const struct fx_dev *bridge,
			const struct fx_rootbus *root)
{
	if (o->root)
		return o->root == root;
	for (const struct fx_dev *up = o->bridge; up; up = up->parent)
		if (up == bridge)
			return true;
	return root && o->bridge->rootbus == root;
}

static uint8_t subordinate(struct fx_dev *b)
{
	unsigned int m = (unsigned int)b->secondary;

	for (size_t i = 0; b->children && i < b->children->len; i++) {
		struct fx_dev *c = b->children->pdata[i];

		m = MAX(m, c->bus);
		if (fx_kinds[c->kind].bridge)
			m = MAX(m, subordinate(c));
	}
	b->subordinate = (uint8_t)m;
	return b->subordinate;
}

static bool claim_secondaries(struct fx_parser *p, GHashTable *maps)
{
	GPtrArray *devs = p->fx->devs;

	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *b = devs->pdata[i], *first = NULL;
		const char *key = "secondary";
		struct fx_dev *blame = b;
		struct bus_owner *o;

		if (!fx_kinds[b->kind].bridge)
			continue;
		for (size_t k = 0; b->children && k < b->children->len; k++) {
			struct fx_dev *c = b->children->pdata[k];

			if (c->physfn)
				continue;
			if (!first)
				first = c;
			else if (c->bus != first->bus)
				return fx_fail(
					p, c->section, "parent",
					"on bus %02x, but [%s] behind the same bridge is on bus %02x",
					c->bus, first->section, first->bus);
		}
		if (first && b->secondary >= 0 && b->secondary != first->bus)
			return fx_fail(
				p, b->section, "secondary",
				"%02x, but the functions behind it are on bus %02x",
				b->secondary, first->bus);
		if (first) {
			b->secondary = first->bus;
			blame = first;
			key = "parent";
		}
		if (b->secondary < 0)
			continue;
		if (b->secondary <= b->bus)
			return fx_fail(
				p, blame->section, key,
				"bus %02x behind [%s] must be above the bridge's own bus %02x",
				b->secondary, b->section, b->bus);
		o = owner(maps, b->domain, (unsigned int)b->secondary);
		if (o->root)
			return fx_fail(
				p, o->root->first->section, "parent",
				"bus %02x is behind [%s]; this function needs parent=%s",
				b->secondary, b->section, b->addr);
		if (o->bridge)
			return fx_fail(p, blame->section, key,
				       "bus %02x behind [%s] is also the bus behind [%s]",
				       b->secondary, b->section, o->bridge->section);
		o->bridge = b;
	}
	return true;
}

static bool claim_vf_buses(struct fx_parser *p, GHashTable *maps)
{
	GPtrArray *devs = p->fx->devs;

	/* VFs past their PF's bus live on buses the kernel adds without a bridge. */
	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *vf = devs->pdata[i];
		struct fx_dev *pf = vf->physfn;
		struct bus_owner *o;

		if (!pf || vf->bus == pf->bus)
			continue;
		o = owner(maps, vf->domain, vf->bus);
		if (!o->bridge && !o->root) {
			o->bridge = pf->parent;
			o->root = pf->parent ? NULL : pf->rootbus;
		} else if (o->bridge != pf->parent ||
			   o->root != (pf->parent ? NULL : pf->rootbus)) {
			g_autofree char *what = owner_desc(o);

			return fx_fail(p, vf->section, "physfn",
				       "this VF's bus %02x is already used: %s", vf->bus,
				       what);
		}
	}
	return true;
}

static bool resolve_buses(struct fx_parser *p)
{
	g_autoptr(GHashTable) maps =
		g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	GPtrArray *devs = p->fx->devs, *rbs = p->fx->rootbuses;

	for (size_t i = 0; i < rbs->len; i++) {
		struct fx_rootbus *rb = rbs->pdata[i];

		owner(maps, rb->domain, rb->bus)->root = rb;
	}
	if (!claim_secondaries(p, maps) || !claim_vf_buses(p, maps))
		return false;

	/* A bridge with nothing behind it still has a bus: the lowest free one. */
	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *b = devs->pdata[i];
		unsigned int bus;

		if (!fx_kinds[b->kind].bridge || b->secondary >= 0)
			continue;
		for (bus = b->bus + 1u; bus < 256; bus++) {
			struct bus_owner *o = owner(maps, b->domain, bus);

			if (!o->bridge && !o->root) {
				o->bridge = b;
				break;
			}
		}
		if (bus == 256)
			return fx_fail(p, b->section, "secondary",
				       "no bus number is left above %02x in domain %04x",
				       b->bus, b->domain);
		b->secondary = (int)bus;
	}

	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *d = devs->pdata[i];
		struct fx_rootbus *rb = d->rootbus;

		if (d->parent)
			continue;
		rb->subordinate = MAX(rb->subordinate, MAX(rb->bus, d->bus));
		if (fx_kinds[d->kind].bridge)
			rb->subordinate = MAX(rb->subordinate, subordinate(d));
	}

	/* Every bus inside a range must belong to what sits below it. */
	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *b = devs->pdata[i];

		if (!fx_kinds[b->kind].bridge)
			continue;
		for (unsigned int bus = (unsigned int)b->secondary; bus <= b->subordinate;
		     bus++) {
			struct bus_owner *o = owner(maps, b->domain, bus);
			g_autofree char *what = NULL;

			if ((!o->bridge && !o->root) || owner_under(o, b, NULL))
				continue;
			if (o->root)
				return fx_fail(
					p, o->root->first->section, "parent",
					"bus %02x is behind [%s] (buses %02x-%02x); this "
					"function needs parent=",
					bus, b->section, b->secondary, b->subordinate);
			what = owner_desc(o);
			return fx_fail(
				p, b->section, "secondary",
				"buses %02x-%02x behind this bridge include bus %02x, %s",
				b->secondary, b->subordinate, bus, what);
		}
	}
	for (size_t i = 0; i < rbs->len; i++) {
		struct fx_rootbus *rb = rbs->pdata[i];

		for (unsigned int bus = rb->bus; bus <= rb->subordinate; bus++) {
			struct bus_owner *o = owner(maps, rb->domain, bus);
			g_autofree char *what = NULL;

			if ((!o->bridge && !o->root) || owner_under(o, NULL, rb))
				continue;
			what = owner_desc(o);
			return fx_fail(
				p, rb->first->section, "parent",
				"root bus %s spans buses %02x-%02x, which include bus %02x, %s",
				rb->name, rb->bus, rb->subordinate, bus, what);
		}
	}
	return true;
}

static const char *rootbus_path(struct fx_rootbus *rb);

static const char *dev_path(struct fx_dev *d)
{
	if (!d->path) {
		const char *base =
			d->parent ? dev_path(d->parent) : rootbus_path(d->rootbus);

		d->path = g_strconcat(base, "/", d->addr, NULL);
		for (const char *c = d->path; *c; c++)
			d->depth += *c == '/';
	}
	return d->path;
}

static const char *rootbus_path(struct fx_rootbus *rb)
{
	/* A VMD-like root bus sits in the directory of the endpoint bridging to it. */
	if (!rb->path)
		rb->path = g_strconcat(rb->parent ? dev_path(rb->parent) : "sys/devices",
				       "/pci", rb->name, NULL);
	return rb->path;
}

static void resolve_flags(struct fixture *fx)
{
	GPtrArray *devs = fx->devs;
	int vfio = 0;

	/* Header Type bit 7: another (non-VF) function shares the slot. */
	for (size_t i = 0, j; i < devs->len; i = j) {
		struct fx_dev *a = devs->pdata[i];
		unsigned int n = 0;

		for (j = i; j < devs->len; j++) {
			struct fx_dev *b = devs->pdata[j];

			if (b->domain != a->domain || b->bus != a->bus ||
			    b->slot != a->slot)
				break;
			n += !b->is_vf;
		}
		for (size_t k = i; k < j; k++) {
			struct fx_dev *b = devs->pdata[k];

			b->multifunction = b->multifunction_key >= 0 ? b->multifunction_key
								   : n > 1 && !b->is_vf;
		}
	}
	for (size_t i = 0; i < devs->len; i++) {
		struct fx_dev *d = devs->pdata[i];

		dev_path(d);
		if (d->vfio_dev >= 0)
			d->has_vfio_dev = d->vfio_dev;
		else
			d->has_vfio_dev = fx->vfio_dev && fx_is_vfio_driver(d->driver);
		if (d->has_vfio_dev)
			d->vfio_index = vfio++;
	}
}

static bool resolve_links(struct fx_parser *p)
{
	g_autoptr(GHashTable) groups = g_hash_table_new(g_direct_hash, g_direct_equal);
	struct fixture *fx = p->fx;

	for (size_t i = 0; i < fx->devs->len; i++) {
		struct fx_dev *d = fx->devs->pdata[i];
		bool vfio = d->vfio_dev == 1 || fx_is_vfio_driver(d->driver);
		struct fx_group *g;

		fx->any_vfio |= vfio;
		if (d->driver) {
			struct fx_driver *drv = fx_driver_get(p, d->driver);

			if (!(d->dangling & LINK_DRIVER)) {
				drv->needed = true;
				g_ptr_array_add(drv->devs, d);
			}
		}
		if (d->iommu_group < 0)
			continue;
		g = g_hash_table_lookup(groups, GINT_TO_POINTER(d->iommu_group));
		if (!g) {
			g = g_new0(struct fx_group, 1);
			g->number = d->iommu_group;
			g->devs = g_ptr_array_new();
			g_ptr_array_add(fx->groups, g);
			g_hash_table_insert(groups, GINT_TO_POINTER(g->number), g);
		}
		if (!(d->dangling & LINK_IOMMU_GROUP)) {
			g->needed = true;
			g->vfio |= vfio;
			g_ptr_array_add(g->devs, d);
		}
	}
	for (size_t i = 0; i < fx->drivers->len; i++) {
		struct fx_driver *drv = fx->drivers->pdata[i];

		fx->any_vfio |= drv->needed && fx_is_vfio_driver(drv->name);
	}
	/* A dangling link needs a target that nothing else makes exist. */
	for (size_t i = 0; i < fx->devs->len; i++) {
		struct fx_dev *d = fx->devs->pdata[i];

		if ((d->dangling & LINK_DRIVER) &&
		    ((struct fx_driver *)g_hash_table_lookup(p->drivers, d->driver))
			    ->needed)
			return fx_fail(
				p, d->section, "dangling",
				"driver %s exists for another function or a [driver] "
				"section, so this link would not dangle",
				d->driver);
		if ((d->dangling & LINK_IOMMU_GROUP) &&
		    ((struct fx_group *)g_hash_table_lookup(
			     groups, GINT_TO_POINTER(d->iommu_group)))
			    ->needed)
			return fx_fail(
				p, d->section, "dangling",
				"iommu group %d has other members, so this link would not "
				"dangle",
				d->iommu_group);
	}
	return true;
}

bool fx_resolve(struct fx_parser *p)
{
	struct fixture *fx = p->fx;
	bool ok;

	g_ptr_array_sort(fx->devs, dev_cmp);
	for (size_t i = 0; i < fx->devs->len; i++)
		((struct fx_dev *)fx->devs->pdata[i])->index = i;
	ok = resolve_vfs(p) && resolve_parents(p) && resolve_rootbuses(p) &&
	     resolve_buses(p) && resolve_links(p);
	if (!ok)
		return false;
	resolve_flags(fx);
	g_ptr_array_sort(fx->rootbuses, rootbus_cmp);
	g_ptr_array_sort(fx->drivers, driver_cmp);
	g_ptr_array_sort(fx->groups, group_cmp);
	return true;
}
