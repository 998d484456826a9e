/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated host of one seed: a description for vfr-mkfixture and the
 * model the operations are drawn from (functions, IOMMU groups, subtrees,
 * declared owners). Each root port carries one of: a lone endpoint, an
 * SR-IOV PF with VFs, a multi-function device sharing one IOMMU group, a
 * switch with endpoints behind its downstream ports, or a PCIe-to-PCI
 * bridge with conventional devices behind it, all in the bridge's group.
 */
#include "chaos.h"

#include <stdio.h>
#include <string.h>

uint64_t chaos_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

unsigned chaos_rng_below(uint64_t *state, unsigned n)
{
	return n ? (unsigned)(chaos_rng_next(state) % n) : 0;
}

bool chaos_rng_chance(uint64_t *state, unsigned percent)
{
	return chaos_rng_below(state, 100) < percent;
}

static struct chaos_fn *add_fn(struct chaos_host *h, const char *addr, int group, int top)
{
	struct chaos_fn *f = g_new0(struct chaos_fn, 1);

	g_strlcpy(f->addr, addr, sizeof(f->addr));
	f->group = group;
	f->top = top;
	f->parent = -1;
	g_ptr_array_add(h->fns, f);
	return f;
}

/* A host driver, vfio-pci (with its override, as managers leave it), pci-stub or none. */
static void pick_driver(struct chaos_host *h, uint64_t *rng, GString *d, const char *host_drv,
			bool vfio_likely)
{
	unsigned p = chaos_rng_below(rng, 100);

	if (p < (vfio_likely ? 45u : 20u))
		g_string_append(d, "driver=vfio-pci\ndriver_override=vfio-pci\n");
	else if (p < (vfio_likely ? 50u : 25u))
		g_string_append(d, "driver=pci-stub\n");
	else if (p < (vfio_likely ? 55u : 30u))
		; /* unbound */
	else
		g_string_append_printf(d, "driver=%s\n", host_drv);
	(void)h;
}

static const char *pick_methods(uint64_t *rng, const char *usual)
{
	unsigned p = chaos_rng_below(rng, 100);

	if (p < 8)
		return ""; /* every method disabled */
	if (p < 16)
		return "pm";
	return usual;
}

static void endpoint(struct chaos_host *h, uint64_t *rng, GString *d, const char *addr,
		     const char *parent, int group, int top, const char *vendor, const char *device,
		     const char *drv, const char *extra, const char *methods, bool vfio_likely)
{
	struct chaos_fn *f = add_fn(h, addr, group, top);
	const char *m = pick_methods(rng, methods);

	g_string_append_printf(d, "[device %s]\nvendor=%s\ndevice=%s\n", addr, vendor, device);
	if (parent)
		g_string_append_printf(d, "parent=%s\n", parent);
	g_string_append_printf(d, "iommu_group=%d\n%s", group, extra ? extra : "");
	pick_driver(h, rng, d, drv, vfio_likely);
	g_string_append_printf(d, "reset_method=%s\n\n", m);
	f->has_reset = true;
	g_strlcpy(f->methods, m, sizeof(f->methods));
}

static struct chaos_fn *bridge(struct chaos_host *h, GString *d, const char *addr, const char *kind,
			       const char *parent, int group, int top, const char *drv)
{
	struct chaos_fn *f = add_fn(h, addr, group, top);

	f->bridge = true;
	g_string_append_printf(d, "[device %s]\nkind=%s\nvendor=8086\ndevice=a1%02x\n", addr, kind,
			       h->fns->len & 0xff);
	if (parent)
		g_string_append_printf(d, "parent=%s\n", parent);
	if (g_str_equal(kind, "downstream-port") || g_str_equal(kind, "root-port"))
		g_string_append(d, "caps=pm,msi,acs\n");
	g_string_append_printf(d, "driver=%s\niommu_group=%d\n\n", drv, group);
	return f;
}

struct chaos_host *chaos_host_new(uint64_t seed)
{
	struct chaos_host *h = g_new0(struct chaos_host, 1);
	uint64_t rng = seed ^ 0x5eed5eed5eedull;
	GString *d = g_string_new(NULL);
	unsigned n_tops = 4 + chaos_rng_below(&rng, 3);
	int group = 1;

	h->fns = g_ptr_array_new_with_free_func(g_free);
	h->cdev = chaos_rng_chance(&rng, 50);
	g_string_append_printf(d, "# vfr-chaos host, seed %" PRIu64 "\n[host]\nvfio_cdev=%s\n\n", seed,
			       h->cdev ? "true" : "false");
	g_string_append(d, "[driver vfio-pci]\n[driver pci-stub]\n"
			   "[driver e1000e]\nids=8086:10d3\n[driver igb]\nids=8086:10c9\n"
			   "[driver igbvf]\nids=8086:10ca\n[driver nouveau]\nids=10de:1eb8\n"
			   "[driver snd_hda_intel]\nids=10de:10f8\n[driver e100]\nids=8086:1229\n"
			   "[driver nvme]\nids=144d:a808\n\n");
	for (unsigned t = 0; t < n_tops; t++) {
		char rp[16], a[16], b[16], c[16];
		unsigned bus = 1 + 4 * t, kind = chaos_rng_below(&rng, 5);
		int rp_group = group++;

		/* Owners are declared per root port: a VM takes whole slots. */
		h->top_owner[t] = chaos_rng_below(&rng, 3); /* 0 none, 1 A, 2 B */
		snprintf(rp, sizeof(rp), "0000:00:%02x.0", t + 1);
		bridge(h, d, rp, "root-port", NULL, rp_group, (int)t, "pcieport");
		g_string_append_printf(d, "# secondary bus %02x\n", bus);
		switch (kind) {
		case 0: /* a lone endpoint */
			snprintf(a, sizeof(a), "0000:%02x:00.0", bus);
			endpoint(h, &rng, d, a, rp, group++, (int)t, "144d", "a808", "nvme",
				 "caps=pm,msi,msix,flr\n", "flr pm bus", false);
			break;
		case 1: { /* an SR-IOV PF with VFs, each in its own group */
			unsigned n_vfs = 1 + chaos_rng_below(&rng, 3);

			snprintf(a, sizeof(a), "0000:%02x:00.0", bus);
			endpoint(h, &rng, d, a, rp, group++, (int)t, "8086", "10c9", "igb",
				 "caps=pm,msi,msix,flr,sriov\nvf_offset=128\nvf_stride=2\n", "flr pm", false);
			for (unsigned v = 0; v < n_vfs; v++) {
				char extra[96];

				snprintf(b, sizeof(b), "0000:%02x:%02x.%u", bus, 0x10 + (2 * v) / 8,
					 (2 * v) % 8);
				snprintf(extra, sizeof(extra), "physfn=%s\ncaps=msix,flr\n", a);
				endpoint(h, &rng, d, b, NULL, group++, (int)t, "8086", "10ca", "igbvf",
					 extra, "flr", true);
			}
			break;
		}
		case 2: { /* a GPU and its audio function, one group (no ACS between them) */
			int g = group++;

			snprintf(a, sizeof(a), "0000:%02x:00.0", bus);
			snprintf(b, sizeof(b), "0000:%02x:00.1", bus);
			endpoint(h, &rng, d, a, rp, g, (int)t, "10de", "1eb8", "nouveau",
				 "caps=pm,msi,flr\nclass=030000\n", "flr pm", true);
			endpoint(h, &rng, d, b, rp, g, (int)t, "10de", "10f8", "snd_hda_intel",
				 "caps=pm,msi,flr\nclass=040300\n", "flr pm", true);
			break;
		}
		case 3: { /* a switch: upstream port, two downstream ports, an endpoint behind each */
			char up[16], dp[16];

			snprintf(up, sizeof(up), "0000:%02x:00.0", bus);
			bridge(h, d, up, "upstream-port", rp, group++, (int)t, "pcieport");
			for (unsigned p = 0; p < 2; p++) {
				snprintf(dp, sizeof(dp), "0000:%02x:%02x.0", bus + 1, p);
				bridge(h, d, dp, "downstream-port", up, group++, (int)t, "pcieport");
				snprintf(c, sizeof(c), "0000:%02x:00.0", bus + 2 + p);
				endpoint(h, &rng, d, c, dp, group++, (int)t, "8086", "10d3", "e1000e",
					 "caps=pm,msi,flr\n", "flr pm bus", false);
			}
			break;
		}
		default: { /* a PCIe-to-PCI bridge: it and the devices behind it share a group */
			int g = group++;
			unsigned n = 2 + chaos_rng_below(&rng, 2);

			snprintf(a, sizeof(a), "0000:%02x:00.0", bus);
			bridge(h, d, a, "pcie-pci-bridge", rp, g, (int)t,
			       chaos_rng_chance(&rng, 30) ? "shpchp" : "pcieport");
			for (unsigned k = 0; k < n; k++) {
				snprintf(c, sizeof(c), "0000:%02x:%02x.0", bus + 1, k + 1);
				endpoint(h, &rng, d, c, a, g, (int)t, "8086", "1229", "e100",
					 "kind=pci-endpoint\ncaps=pm\n", "pm bus", false);
			}
			break;
		}
		}
	}
	h->n_tops = n_tops;
	for (guint i = 0; i < h->fns->len; i++) {
		struct chaos_fn *f = h->fns->pdata[i];

		f->owner = h->top_owner[f->top];
	}
	h->description = g_string_free(d, FALSE);
	return h;
}

void chaos_host_free(struct chaos_host *h)
{
	if (!h)
		return;
	g_ptr_array_free(h->fns, TRUE);
	g_free(h->description);
	g_free(h);
}

const char *chaos_owner_name(int owner)
{
	return owner == 1 ? "A" : owner == 2 ? "B" : NULL;
}

struct chaos_fn *chaos_host_find(const struct chaos_host *h, const char *addr)
{
	for (guint i = 0; i < h->fns->len; i++) {
		struct chaos_fn *f = h->fns->pdata[i];

		if (strcmp(f->addr, addr) == 0)
			return f;
	}
	return NULL;
}
