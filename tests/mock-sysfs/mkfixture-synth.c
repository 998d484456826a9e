/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --synthesize N: the description of a plausible server with exactly N PCI
 * functions, for benchmarks and scale tests. Root ports carry single
 * endpoints, multifunction devices, SR-IOV PFs with VFs or PCIe switches
 * (ACS on the downstream ports); every domain has one PCIe-to-PCI bridge
 * with a conventional bridge and devices behind it. When a domain runs out
 * of bus numbers or root-port slots the next one starts. The generator is
 * its own splitmix64, so the output depends on N and the seed only.
 */
#include <stdio.h>
#include <string.h>

#include "mkfixture.h"

/* An endpoint: IDs, host driver, capabilities, and the kernel's reset_method. */
struct ep {
	const char *vendor, *device, *class, *rev, *driver, *caps, *reset;
};

/* Single-function devices (reset lists include "bus": alone on their bus). */
static const struct ep singles[] = {
	{ "144d", "a808", "010802", "00", "nvme", "pm-nosoftrst,msi,msix,flr",
	  "flr bus" },
	{ "8086", "0a54", "010802", "00", "nvme", "pm,msi,msix,flr", "flr pm bus" },
	{ "8086", "10d3", "020000", "00", "e1000e", "pm,msi,msix", "pm bus" },
	{ "1af4", "1041", "020000", "01", "virtio-pci", "pm,msix,flr", "flr pm bus" },
	{ "14e4", "1657", "020000", "01", "tg3", "pm,msi,msix", "pm bus" },
	{ "1912", "0014", "0c0330", "03", "xhci_hcd", "pm,msi,msix", "pm bus" },
	{ "1b21", "0612", "010601", "02", "ahci", "pm,msi", "pm bus" },
	{ "10de", "20b0", "030200", "a1", "nvidia", "pm-nosoftrst,msi,flr", "flr bus" },
	{ "1000", "0097", "010700", "02", "mpt3sas", "pm,msi,msix,af-flr",
	  "af_flr pm bus" },
};

/* Multifunction devices: function 0 then the others (theirs lose the stale "bus"). */
struct multi {
	struct ep fn0, other;
	unsigned int max_fns;
	bool acs; /* functions isolated: one IOMMU group each */
};

static const struct multi multis[] = {
	{
		.fn0 = { "10de", "1eb8", "030200", "a1", "nvidia", "pm-nosoftrst,msi", "bus" },
		.other = { "10de", "10fa", "040300", "a1", "snd_hda_intel", "pm,msi", "pm" },
		.max_fns = 2,
	},
	{
		.fn0 = { "8086", "1521", "020000", "01", "igb", "pm,msi,msix,flr,acs",
			 "flr pm bus" },
		.other = { "8086", "1521", "020000", "01", "igb", "pm,msi,msix,flr,acs",
			   "flr pm" },
		.max_fns = 4,
		.acs = true,
	},
	{
		.fn0 = { "8086", "10d3", "020000", "00", "e1000e", "pm,msi,msix", "pm bus" },
		.other = { "8086", "10d3", "020000", "00", "e1000e", "pm,msi,msix", "pm" },
		.max_fns = 2,
	},
	{
		.fn0 = { "15b3", "1015", "020000", "00", "mlx5_core", "pm,msix,flr", "flr bus" },
		.other = { "15b3", "1015", "020000", "00", "mlx5_core", "pm,msix,flr", "flr" },
		.max_fns = 2,
	},
};

/* SR-IOV PFs: the VFs' IDs and routing (First VF Offset, VF Stride). */
struct sriov {
	struct ep pf, vf;
	const char *vf_variant; /* a vfio variant driver for the VFs, or NULL */
	unsigned int pfs;	/* PFs on the device (VFs of PF 1 interleave, as igb's) */
	unsigned int offset, stride, max_vfs;
};

static const struct sriov sriovs[] = {
	{
		.pf = { "8086", "10c9", "020000", "01", "igb", "pm,msi,msix,flr,sriov",
			"flr pm bus" },
		.vf = { "8086", "10ca", "020000", "01", "igbvf", "msix,flr", "flr" },
		.pfs = 2,
		.offset = 0x80,
		.stride = 2,
		.max_vfs = 7,
	},
	{
		.pf = { "8086", "10fb", "020000", "01", "ixgbe", "pm,msi,msix,flr,sriov",
			"flr pm bus" },
		/* The 82599 VF has a kernel quirk: device_specific comes first. */
		.vf = { "8086", "10ed", "020000", "01", "ixgbevf", "msix,flr",
			"device_specific flr" },
		.pfs = 2,
		.offset = 0x80,
		.stride = 2,
		.max_vfs = 63,
	},
	{
		.pf = { "8086", "1572", "020000", "01", "i40e", "pm,msi,msix,flr,acs,sriov",
			"flr pm bus" },
		.vf = { "8086", "154c", "020000", "01", "iavf", "msix,flr", "flr" },
		.pfs = 1,
		.offset = 0x10,
		.stride = 1,
		.max_vfs = 64,
	},
	{
		/* E810: more than 128 VFs run onto the next bus. */
		.pf = { "8086", "159b", "020000", "02", "ice", "pm,msi,msix,flr,acs,sriov",
			"flr pm bus" },
		.vf = { "8086", "1889", "020000", "02", "iavf", "msix,flr", "flr" },
		.pfs = 1,
		.offset = 0x80,
		.stride = 1,
		.max_vfs = 256,
	},
	{
		.pf = { "15b3", "1017", "020000", "00", "mlx5_core", "pm,msix,flr,sriov",
			"flr bus" },
		.vf = { "15b3", "1018", "020000", "00", "mlx5_core", "msix,flr", "flr" },
		.vf_variant = "mlx5_vfio_pci",
		.pfs = 1,
		.offset = 1,
		.stride = 1,
		.max_vfs = 256,
	},
};

enum blk { BLK_EMPTY, BLK_SINGLE, BLK_MULTI, BLK_SRIOV, BLK_SWITCH, BLK_LEGACY };

/* What sits on one bus behind a port. */
struct leaf {
	enum blk type;
	unsigned int tmpl, fns, vfs; /* vfs: per PF */
	unsigned int funcs, buses;
};

struct plan {
	enum blk type;
	struct leaf leaf;   /* BLK_SINGLE, BLK_MULTI, BLK_SRIOV */
	unsigned int ports; /* BLK_SWITCH: downstream ports */
	struct leaf dp[8];
	unsigned int conventional; /* BLK_LEGACY: devices right behind the bridge */
	unsigned int funcs, buses;
};

struct synth {
	GString *out;
	uint64_t rng;
	unsigned int left; /* functions still to describe */
	uint32_t domain;
	unsigned int next_bus, port; /* next free bus and root-port position */
	bool legacy_done;
	int next_group;
};

static uint64_t rnd(struct synth *s)
{
	uint64_t z = (s->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static unsigned int pick(struct synth *s, unsigned int n)
{
	return (unsigned int)(rnd(s) % n);
}

struct fn {
	unsigned int bus, slot, fn;
	const char *kind, *parent, *physfn;
	const struct ep *ep;
	const char *driver, *override, *reset;
	int group, secondary;
};

static void address(char buf[24], uint32_t domain, unsigned int bus, unsigned int slot,
		    unsigned int fn)
{
	snprintf(buf, 24, "%04x:%02x:%02x.%u", domain, bus, slot, fn);
}

static void emit(struct synth *s, const struct fn *f)
{
	GString *o = s->out;
	char addr[24];

	address(addr, s->domain, f->bus, f->slot, f->fn);
	g_string_append_printf(o, "\n[device %s]\n", addr);
	if (f->kind)
		g_string_append_printf(o, "kind=%s\n", f->kind);
	g_string_append_printf(o, "vendor=%s\ndevice=%s\nclass=%s\n", f->ep->vendor,
			       f->ep->device, f->ep->class);
	if (strcmp(f->ep->rev, "00") != 0)
		g_string_append_printf(o, "revision=%s\n", f->ep->rev);
	if (f->parent)
		g_string_append_printf(o, "parent=%s\n", f->parent);
	if (f->physfn)
		g_string_append_printf(o, "physfn=%s\n", f->physfn);
	if (f->driver)
		g_string_append_printf(o, "driver=%s\n", f->driver);
	if (f->override)
		g_string_append_printf(o, "driver_override=%s\n", f->override);
	if (f->group >= 0)
		g_string_append_printf(o, "iommu_group=%d\n", f->group);
	g_string_append_printf(o, "numa_node=%u\n", s->domain & 1);
	if (f->reset)
		g_string_append_printf(o, "reset_method=%s\n", f->reset);
	g_string_append_printf(o, "caps=%s\n", f->ep->caps);
	if (f->secondary >= 0)
		g_string_append_printf(o, "secondary=%02x\n", f->secondary);
	s->left--;
}

/* Mostly the host driver; some functions handed to vfio-pci, pci-stub, or nobody. */
static void choose_driver(struct synth *s, struct fn *f, const char *host,
			  const char *variant, bool vf)
{
	unsigned int r = pick(s, 100);

	f->override = NULL;
	if (variant && r < 15) {
		f->driver = variant;
	} else if (r < (vf ? 35u : 12u)) {
		f->driver = "vfio-pci";
		f->override = "vfio-pci";
	} else if (r < (vf ? 37u : 15u)) {
		f->driver = vf ? NULL : "pci-stub";
	} else if (r < (vf ? 40u : 19u)) {
		f->driver = NULL;
	} else {
		f->driver = host;
	}
	/* After `echo default > reset_method` a stale list can come back empty. */
	if (f->reset && pick(s, 25) == 0)
		f->reset = "";
}

static void plan_leaf(struct synth *s, struct leaf *l, unsigned int budget, bool small)
{
	unsigned int r = pick(s, 100);

	memset(l, 0, sizeof(*l));
	l->buses = 1;
	if (budget >= 2 && r < 25) {
		const struct multi *m;

		l->type = BLK_MULTI;
		l->tmpl = pick(s, G_N_ELEMENTS(multis));
		m = &multis[l->tmpl];
		l->fns = 2 + pick(s, m->max_fns - 1);
		l->fns = MIN(l->fns, budget);
		l->funcs = l->fns;
	} else if (r < 65) {
		const struct sriov *t;
		unsigned int room, cap;

		l->type = BLK_SRIOV;
		l->tmpl = small ? 0 : pick(s, G_N_ELEMENTS(sriovs));
		t = &sriovs[l->tmpl];
		l->fns = budget >= 2 * t->pfs ? t->pfs : 1;
		room = (budget - l->fns) / l->fns;
		/*
		 * Mostly a few VFs, sometimes hundreds: the cap is 4 << (0..6).
		 * (Draws stay out of MIN(), which would evaluate them twice.)
		 */
		cap = 4u << pick(s, 7);
		cap = MIN(cap, t->max_vfs);
		l->vfs = pick(s, cap + 1);
		l->vfs = MIN(l->vfs, room);
		l->funcs = l->fns * (1 + l->vfs);
		/* Routing IDs past the PF's bus are on the next bus (E810's, mlx5's). */
		if (l->vfs && t->offset + (l->vfs - 1) * t->stride + l->fns - 1 > 0xff)
			l->buses = 2;
	} else {
		l->type = BLK_SINGLE;
		l->tmpl = pick(s, G_N_ELEMENTS(singles));
		l->funcs = 1;
	}
}

static void plan_block(struct synth *s, struct plan *p, unsigned int budget)
{
	unsigned int r = pick(s, 100);

	memset(p, 0, sizeof(*p));
	if (budget >= 4 && !s->legacy_done) {
		/* PCIe-to-PCI bridge, a PCI bridge with one device, 1-2 more devices. */
		p->type = BLK_LEGACY;
		p->conventional = 1 + pick(s, 2);
		p->conventional = MIN(p->conventional, budget - 3);
		p->funcs = 3 + p->conventional;
		p->buses = 3;
	} else if (budget == 0 || r < 6) {
		p->type = BLK_EMPTY;
		p->buses = 1;
	} else if (budget >= 3 && r < 20) {
		unsigned int rem = budget - 1;

		p->type = BLK_SWITCH;
		p->buses = 2;
		for (unsigned int want = 2 + pick(s, 7); p->ports < want && rem;
		     p->ports++) {
			struct leaf *l = &p->dp[p->ports];

			rem--;
			l->type = BLK_EMPTY;
			l->buses = 1;
			if (rem && pick(s, 8))
				plan_leaf(s, l, rem, true);
			rem -= l->funcs;
			p->buses += l->buses;
		}
		p->funcs = budget - rem;
	} else {
		p->type = BLK_SINGLE;
		plan_leaf(s, &p->leaf, budget, false);
		p->funcs = p->leaf.funcs;
		p->buses = p->leaf.buses;
	}
}

static void emit_leaf(struct synth *s, const struct leaf *l, unsigned int bus,
		      const char *parent)
{
	struct fn f = { .bus = bus, .parent = parent, .group = -1, .secondary = -1 };

	switch (l->type) {
	case BLK_SINGLE:
		f.ep = &singles[l->tmpl];
		f.reset = f.ep->reset;
		choose_driver(s, &f, f.ep->driver, NULL, false);
		f.group = s->next_group++;
		emit(s, &f);
		break;
	case BLK_MULTI: {
		const struct multi *m = &multis[l->tmpl];
		int group = s->next_group++;

		for (unsigned int i = 0; i < l->fns; i++) {
			f.fn = i;
			f.ep = i ? &m->other : &m->fn0;
			f.reset = f.ep->reset;
			choose_driver(s, &f, f.ep->driver, NULL, false);
			f.group = m->acs && i ? s->next_group++ : group;
			emit(s, &f);
		}
		break;
	}
	case BLK_SRIOV: {
		const struct sriov *t = &sriovs[l->tmpl];
		char pf[24];

		for (unsigned int i = 0; i < l->fns; i++) {
			unsigned int rid = bus << 8 | i;

			f = (struct fn){ .bus = bus,
					 .fn = i,
					 .parent = parent,
					 .ep = &t->pf,
					 .reset = t->pf.reset,
					 .secondary = -1 };
			choose_driver(s, &f, t->pf.driver, NULL, false);
			/* A PF with VFs is kept by its host driver, which made them. */
			if (l->vfs)
				f.driver = t->pf.driver, f.override = NULL;
			f.group = s->next_group++;
			emit(s, &f);
			address(pf, s->domain, bus, 0, i);
			for (unsigned int k = 0; k < l->vfs; k++) {
				unsigned int vrid = rid + t->offset + k * t->stride;

				f = (struct fn){ .bus = vrid >> 8,
						 .slot = (vrid >> 3) & 0x1f,
						 .fn = vrid & 7,
						 .parent = parent,
						 .physfn = pf,
						 .ep = &t->vf,
						 .reset = t->vf.reset,
						 .secondary = -1 };
				choose_driver(s, &f, t->vf.driver, t->vf_variant, true);
				f.group = s->next_group++;
				emit(s, &f);
			}
		}
		break;
	}
	default:
		break;
	}
}

static const struct ep root_port = { "8086", "2030",	 "060400",
				     "04",   "pcieport", "pm-nosoftrst,msi,acs",
				     NULL };
static const struct ep up_port = { "10b5", "8747",     "060400",
				   "ca",   "pcieport", "pm-nosoftrst,msi",
				   NULL };
static const struct ep down_port = { "10b5", "8747",	 "060400",
				     "ca",   "pcieport", "pm-nosoftrst,msi,acs",
				     NULL };
static const struct ep pcie_pci = { "1b21", "1080",   "060401", "04",
				    NULL,   "pm,msi", "pm bus" };
static const struct ep pci_pci = { "104c", "8240", "060400", "00", NULL, "pm", NULL };
static const struct ep conventional[] = {
	{ "8086", "100e", "020000", "03", "e1000", "", "bus" },
	{ "10ec", "8139", "020000", "20", "8139cp", "", NULL },
	{ "1000", "0030", "010000", "08", "mptspi", "pm", "pm" },
};
static const struct ep host_bridge = { "8086", "2020", "060000", "04", NULL, "", NULL };
static const struct ep lpc = { "8086", "a1c1", "060100", "09", "lpc_ich", "", NULL };
static const struct ep smbus = { "8086", "a1a3", "0c0500", "09", "i801_smbus", "", NULL };

static void emit_legacy(struct synth *s, const struct plan *p, unsigned int bus,
			const char *parent)
{
	char bridge[24], pcibridge[24];
	int group = s->next_group++;
	struct fn f = { .bus = bus,
			.kind = "pcie-pci-bridge",
			.parent = parent,
			.ep = &pcie_pci,
			.reset = pcie_pci.reset,
			.group = group,
			.secondary = -1 };

	/* Conventional PCI has no requester IDs of its own: one group for all of it. */
	emit(s, &f);
	address(bridge, s->domain, bus, 0, 0);
	f = (struct fn){ .bus = bus + 1,
			 .slot = 1,
			 .kind = "pci-bridge",
			 .parent = bridge,
			 .ep = &pci_pci,
			 .group = group,
			 .secondary = -1 };
	emit(s, &f);
	address(pcibridge, s->domain, bus + 1, 1, 0);
	for (unsigned int i = 0; i <= p->conventional; i++) {
		const struct ep *ep = &conventional[pick(s, G_N_ELEMENTS(conventional))];

		f = (struct fn){ .bus = i ? bus + 1 : bus + 2,
				 .slot = i ? 2 + i : 0,
				 .kind = "pci-endpoint",
				 .parent = i ? bridge : pcibridge,
				 .ep = ep,
				 .reset = ep->reset,
				 .group = group,
				 .secondary = -1 };
		choose_driver(s, &f, ep->driver, NULL, false);
		emit(s, &f);
	}
}

static void emit_switch(struct synth *s, const struct plan *p, unsigned int bus,
			const char *parent)
{
	char up[24], down[24];
	struct fn f = { .bus = bus,
			.kind = "upstream-port",
			.parent = parent,
			.ep = &up_port,
			.driver = "pcieport",
			.group = s->next_group++,
			.secondary = -1 };
	unsigned int next = bus + 2;

	emit(s, &f);
	address(up, s->domain, bus, 0, 0);
	for (unsigned int i = 0; i < p->ports; i++) {
		const struct leaf *l = &p->dp[i];

		f = (struct fn){ .bus = bus + 1,
				 .slot = i,
				 .kind = "downstream-port",
				 .parent = up,
				 .ep = &down_port,
				 .driver = "pcieport",
				 .group = s->next_group++,
				 .secondary = l->type == BLK_EMPTY ? (int)next : -1 };
		emit(s, &f);
		address(down, s->domain, bus + 1, i, 0);
		emit_leaf(s, l, next, down);
		next += l->buses;
	}
}

static void start_domain(struct synth *s)
{
	struct fn f = { .kind = "rc-endpoint",
			.ep = &host_bridge,
			.group = s->next_group++,
			.secondary = -1 };

	s->next_bus = 1;
	s->port = 0;
	s->legacy_done = false;
	emit(s, &f);
	if (s->domain == 0 && s->left >= 3) {
		int group = s->next_group++;

		f = (struct fn){ .slot = 0x1f,
				 .kind = "pci-endpoint",
				 .ep = &lpc,
				 .driver = lpc.driver,
				 .group = group,
				 .secondary = -1 };
		emit(s, &f);
		f = (struct fn){ .slot = 0x1f,
				 .fn = 3,
				 .kind = "pci-endpoint",
				 .ep = &smbus,
				 .driver = smbus.driver,
				 .group = group,
				 .secondary = -1 };
		emit(s, &f);
	}
}

void fx_synthesize(GString *out, unsigned int n, uint64_t seed)
{
	struct synth s = { .out = g_string_new(NULL), .rng = seed, .left = n };
	/* Root ports at devices 01-1e, eight functions each, as on servers' CPUs. */
	const unsigned int max_ports = 30 * 8;

	start_domain(&s);
	while (s.left) {
		struct plan p;
		char rp[24];
		unsigned int bus;
		struct fn f;

		plan_block(&s, &p, s.left - 1);
		if (s.next_bus + p.buses > 256 || s.port == max_ports) {
			s.domain++;
			start_domain(&s);
			continue;
		}
		bus = s.next_bus;
		s.next_bus += p.buses;
		f = (struct fn){ .slot = 1 + s.port / 8,
				 .fn = s.port % 8,
				 .kind = "root-port",
				 .ep = &root_port,
				 .driver = "pcieport",
				 .group = s.next_group++,
				 .secondary = p.type == BLK_EMPTY ? (int)bus : -1 };
		s.port++;
		emit(&s, &f);
		address(rp, s.domain, 0, f.slot, f.fn);
		switch (p.type) {
		case BLK_LEGACY:
			s.legacy_done = true;
			emit_legacy(&s, &p, bus, rp);
			break;
		case BLK_SWITCH:
			emit_switch(&s, &p, bus, rp);
			break;
		case BLK_EMPTY:
			break;
		default:
			emit_leaf(&s, &p.leaf, bus, rp);
			break;
		}
	}
	g_string_append_printf(
		out,
		"# A synthetic host: vfr-mkfixture --synthesize %u --seed %" G_GUINT64_FORMAT
		"\n# %u functions in %u PCI domain(s).\n\n[host]\nvfio_dev=true\n"
		"power_state=true\n\n[driver pcieport]\nbuiltin=true\n",
		n, seed, n, s.domain + 1);
	g_string_append_len(out, s.out->str, (gssize)s.out->len);
	g_string_free(s.out, TRUE);
}
