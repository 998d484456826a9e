/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Config-space images as the kernel's `config` attribute returns them: the
 * header, the capability list from 0x34 (0x14 on CardBus), the extended
 * list from 0x100 on PCI Express functions, and the corruptions a
 * description asks for. Offsets and bits are the PCI and PCIe base specs'
 * (the names in comments are <linux/pci_regs.h>'s), so lspci decodes them.
 */
#include <string.h>

#include "mkfixture.h"

#define BAR_BASE      UINT64_C(0x4000000000)
#define BAR_WINDOW    UINT64_C(0x400000) /* per function: BAR 0, then its VFs' BARs */
#define VF_BAR_OFFSET UINT64_C(0x200000)

/* Standard capabilities in the order they are chained, with their sizes. */
enum {
	CAP_ID_PM = 0x01,
	CAP_ID_MSI = 0x05,
	CAP_ID_EXP = 0x10,
	CAP_ID_MSIX = 0x11,
	CAP_ID_AF = 0x13,
	EXT_ID_ACS = 0x0d,
	EXT_ID_SRIOV = 0x10,
};

static void put16(uint8_t *c, unsigned int off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, unsigned int off, uint32_t v)
{
	put16(c, off, (uint16_t)v);
	put16(c, off + 2, (uint16_t)(v >> 16));
}

uint64_t fx_bar0_address(const struct fx_dev *d)
{
	if (fx_kinds[d->kind].bridge)
		return 0;
	if (d->physfn)
		return fx_vf_bar0_base(d->physfn) + d->vf_index * (uint64_t)FX_BAR_SIZE;
	return BAR_BASE + d->index * BAR_WINDOW;
}

uint64_t fx_vf_bar0_base(const struct fx_dev *pf)
{
	return BAR_BASE + pf->index * BAR_WINDOW + VF_BAR_OFFSET;
}

unsigned int fx_irq(const struct fx_dev *d)
{
	/* VFs have no INTx pin; the rest swizzle over four lines like a PCH. */
	if (d->is_vf)
		return 0;
	return 16 + ((d->slot + d->fn) & 3);
}

static uint16_t command(const struct fx_dev *d)
{
	/* Memory space and bus master, as after pci_enable_device + set_master. */
	return d->driver || fx_kinds[d->kind].bridge ? 0x0006 : 0x0000;
}

static void put_header(const struct fx_dev *d, uint8_t *c)
{
	const struct fx_kind_info *ki = &fx_kinds[d->kind];
	uint64_t bar = fx_bar0_address(d);

	/* VFs read 0xffff here; the kernel takes their IDs from the PF's SR-IOV cap. */
	put16(c, 0x00, d->is_vf ? 0xffff : d->vendor); /* PCI_VENDOR_ID */
	put16(c, 0x02, d->is_vf ? 0xffff : d->device); /* PCI_DEVICE_ID */
	put16(c, 0x04, command(d));		       /* PCI_COMMAND */
	c[0x08] = d->revision;			       /* PCI_REVISION_ID */
	c[0x09] = (uint8_t)d->class;		       /* prog-if */
	c[0x0a] = (uint8_t)(d->class >> 8);
	c[0x0b] = (uint8_t)(d->class >> 16);
	c[0x0e] = ki->header_type | (d->multifunction ? 0x80 : 0); /* PCI_HEADER_TYPE */
	c[0x3c] = (uint8_t)fx_irq(d); /* PCI_INTERRUPT_LINE */
	c[0x3d] = d->is_vf ? 0 : 1;   /* PCI_INTERRUPT_PIN: INTA */

	switch (ki->header_type) {
	case 0:
		/* A 64-bit memory BAR; a VF's BAR registers read 0 (the PF has them). */
		if (bar && !d->is_vf) {
			put32(c, 0x10, (uint32_t)bar | 0x4);
			put32(c, 0x14, (uint32_t)(bar >> 32));
		}
		put16(c, 0x2c, d->subvendor); /* PCI_SUBSYSTEM_VENDOR_ID */
		put16(c, 0x2e, d->subdevice); /* PCI_SUBSYSTEM_ID */
		break;
	case 1:
		c[0x18] = d->bus;		 /* PCI_PRIMARY_BUS */
		c[0x19] = (uint8_t)d->secondary; /* PCI_SECONDARY_BUS */
		c[0x1a] = d->subordinate;	 /* PCI_SUBORDINATE_BUS */
		/* Windows closed (base above limit): nothing assigned behind it. */
		c[0x1c] = 0xf0; /* PCI_IO_BASE */
		c[0x1d] = 0x00;
		put16(c, 0x20, 0xfff0); /* PCI_MEMORY_BASE */
		put16(c, 0x22, 0x0000);
		put16(c, 0x24, 0xfff1); /* PCI_PREF_MEMORY_BASE, 64-bit */
		put16(c, 0x26, 0x0001);
		break;
	case 2:
		c[0x18] = d->bus;		 /* PCI_CB_PRIMARY_BUS */
		c[0x19] = (uint8_t)d->secondary; /* PCI_CB_CARD_BUS */
		c[0x1a] = d->subordinate;	 /* PCI_CB_SUBORDINATE_BUS */
		put16(c, 0x40, d->subvendor);	 /* PCI_CB_SUBSYSTEM_VENDOR_ID */
		put16(c, 0x42, d->subdevice);	 /* PCI_CB_SUBSYSTEM_ID */
		break;
	}
}

static unsigned int pm_state(const char *s)
{
	if (strcmp(s, "D1") == 0)
		return 1;
	if (strcmp(s, "D2") == 0)
		return 2;
	if (g_str_has_prefix(s, "D3"))
		return 3;
	return 0;
}

static void put_pm(const struct fx_dev *d, uint8_t *c, unsigned int at)
{
	put16(c, at + 2, 0xc803); /* PMC: version 3, PME from D0, D3hot, D3cold */
	/* PMCSR: the D-state, and NoSoftRst (bit 3), which rules out the pm reset. */
	put16(c, at + 4,
	      (uint16_t)(pm_state(d->power_state) |
			 ((d->caps & CAP_PM_NOSOFTRST) ? 0x0008 : 0)));
}

static void put_exp(const struct fx_dev *d, uint8_t *c, unsigned int at)
{
	const struct fx_kind_info *ki = &fx_kinds[d->kind];
	bool port = d->kind == KIND_ROOT_PORT || d->kind == KIND_DOWNSTREAM_PORT;
	bool populated = port && d->children && d->children->len;
	/* DL_Active when something is behind, unless the port never reports it. */
	bool linked = populated && !d->link_down;
	uint32_t devcap = 0x00008001; /* MaxPayload 256, role-based error reporting */

	/* PCI_EXP_FLAGS: version 2, Device/Port Type, Slot Implemented on ports. */
	put16(c, at + 2, (uint16_t)(0x0002 | ki->pcie_type << 4 | (port ? 0x0100 : 0)));
	if (d->caps & CAP_FLR)
		devcap |= 1u << 28; /* PCI_EXP_DEVCAP_FLR */
	put32(c, at + 4, devcap);
	put16(c, at + 8, 0x2810); /* DevCtl: MRRS 512, relaxed ordering, no snoop */
	if (d->kind != KIND_RC_ENDPOINT) {
		/* LnkCap: 8GT/s x4, port number, DLL Link Active Reporting on ports. */
		put32(c, at + 0x0c,
		      0x3u | 0x4u << 4 | (port ? 1u << 20 : 0) | (uint32_t)d->slot << 24);
		put16(c, at + 0x12, (uint16_t)(0x3 | 0x4 << 4 | (linked ? 1u << 13 : 0)));
		put32(c, at + 0x2c, 0x0e); /* LnkCap2: 2.5, 5 and 8GT/s */
		put16(c, at + 0x30, 0x3);  /* LnkCtl2: target 8GT/s */
	}
	if (port) {
		/* SltCap: physical slot number; SltSta: presence detect if populated. */
		put32(c, at + 0x14, (uint32_t)(d->slot * 8 + d->fn + 1) << 19);
		put16(c, at + 0x1a, populated ? 0x0040 : 0x0000);
	}
}

static void put_sriov(const struct fx_dev *pf, uint8_t *c, unsigned int at)
{
	unsigned int n = pf->vfs ? pf->vfs->len : 0;
	uint64_t vfbar = fx_vf_bar0_base(pf);

	put16(c, at + 0x08, n ? 0x0009 : 0);	      /* PCI_SRIOV_CTRL: VFE | MSE */
	put16(c, at + 0x0c, (uint16_t)pf->total_vfs); /* PCI_SRIOV_INITIAL_VF */
	put16(c, at + 0x0e, (uint16_t)pf->total_vfs); /* PCI_SRIOV_TOTAL_VF */
	put16(c, at + 0x10, (uint16_t)n);	      /* PCI_SRIOV_NUM_VF */
	c[at + 0x12] = pf->fn;			      /* PCI_SRIOV_FUNC_LINK */
	put16(c, at + 0x14, pf->vf_offset);	      /* PCI_SRIOV_VF_OFFSET */
	put16(c, at + 0x16, pf->vf_stride);	      /* PCI_SRIOV_VF_STRIDE */
	put16(c, at + 0x1a, pf->vf_device);	      /* PCI_SRIOV_VF_DID */
	put32(c, at + 0x1c, 0x553);		      /* supported page sizes */
	put32(c, at + 0x20, 0x1);		      /* system page size: 4K */
	put32(c, at + 0x24, (uint32_t)vfbar | 0x4);   /* PCI_SRIOV_BAR: 64-bit */
	put32(c, at + 0x28, (uint32_t)(vfbar >> 32));
}

struct cap {
	uint8_t id;
	uint8_t size;
};

size_t fx_config_build(const struct fx_dev *d, uint8_t cfg[4096])
{
	const struct fx_kind_info *ki = &fx_kinds[d->kind];
	size_t size = ki->pcie ? 4096 : 256;
	struct cap caps[6];
	unsigned int ncaps = 0, at, pos[6], next_ptr = ki->header_type == 2 ? 0x14 : 0x34;
	unsigned int ext[2], ext_id[2], n_ext = 0;

	memset(cfg, 0, size);
	if (d->corrupt == CORRUPT_ALL_ONES) {
		/* What a function in D3cold or a removed one reads. */
		memset(cfg, 0xff, size);
		return size;
	}
	put_header(d, cfg);

	if (d->caps & (CAP_PM | CAP_PM_NOSOFTRST))
		caps[ncaps++] = (struct cap){ CAP_ID_PM, 8 };
	if (d->caps & CAP_MSI)
		caps[ncaps++] = (struct cap){ CAP_ID_MSI, 0x18 }; /* 64-bit, maskable */
	if (d->caps & CAP_MSIX)
		caps[ncaps++] = (struct cap){ CAP_ID_MSIX, 0x0c };
	if (ki->pcie)
		caps[ncaps++] = (struct cap){ CAP_ID_EXP, 0x3c };
	if (d->caps & (CAP_AF_FLR | CAP_AF_TP))
		caps[ncaps++] = (struct cap){ CAP_ID_AF, 0x06 };

	/* CardBus registers fill 0x40-0x7f, so its capabilities start above them. */
	at = ki->header_type == 2 ? 0x80 : 0x40;
	for (unsigned int i = 0; i < ncaps; i++) {
		pos[i] = at;
		cfg[next_ptr] = (uint8_t)at;
		cfg[at] = caps[i].id;
		next_ptr = at + 1;
		switch (caps[i].id) {
		case CAP_ID_PM:
			put_pm(d, cfg, at);
			break;
		case CAP_ID_MSI:
			/* 64-bit, per-vector masking, 1 vector */
			put16(cfg, at + 2, 0x0180);
			break;
		case CAP_ID_MSIX:
			put16(cfg, at + 2, 0x0003); /* table of 4 */
			put32(cfg, at + 4, 0x2000); /* table in BAR 0 at 0x2000 */
			put32(cfg, at + 8, 0x3000); /* PBA in BAR 0 at 0x3000 */
			break;
		case CAP_ID_EXP:
			put_exp(d, cfg, at);
			break;
		case CAP_ID_AF:
			cfg[at + 2] = 0x06; /* length */
			/* AFCap: TP (bit 0) always, FLR (bit 1) for af-flr. */
			cfg[at + 3] = (d->caps & CAP_AF_FLR) ? 0x03 : 0x01;
			break;
		}
		at = (at + caps[i].size + 7) & ~7u;
	}
	if (ncaps)
		put16(cfg, 0x06, 0x0010); /* PCI_STATUS_CAP_LIST */

	if (ki->pcie) {
		unsigned int e = 0x100;

		if (d->caps & CAP_ACS) {
			ext[n_ext] = e;
			ext_id[n_ext++] = EXT_ID_ACS;
			/* SV TB RR CR UF DT capable; SV RR CR UF on, as Linux sets, or acs_ctrl=. */
			put16(cfg, e + 4, 0x005f);
			put16(cfg, e + 6, d->acs_ctrl >= 0 ? (uint16_t)d->acs_ctrl : 0x001d);
			e += 0x10;
		}
		if (d->caps & CAP_SRIOV) {
			ext[n_ext] = e;
			ext_id[n_ext++] = EXT_ID_SRIOV;
			put_sriov(d, cfg, e);
		}
		/* Header: ID, version 1, next in bits 20-31 (for a loop: the first). */
		for (unsigned int i = 0; i < n_ext; i++) {
			uint32_t next = i + 1 < n_ext ? ext[i + 1] : 0;

			if (i + 1 == n_ext && d->corrupt == CORRUPT_EXT_CAP_LOOP)
				next = ext[0];
			put32(cfg, ext[i], ext_id[i] | 1u << 16 | next << 20);
		}
	}

	switch (d->corrupt) {
	case CORRUPT_CAP_LOOP:
		/* The last capability points back at the first. */
		cfg[next_ptr] = (uint8_t)pos[0];
		break;
	case CORRUPT_CAP_OUT_OF_RANGE:
		/* Into the header, where no capability can live. */
		cfg[next_ptr] = 0x20;
		break;
	case CORRUPT_CAP_PAST_END:
		/*
		 * A pointer can only pass the end of what is readable when the
		 * file is short: it ends where the next capability would start,
		 * and the last capability points there.
		 */
		cfg[next_ptr] = (uint8_t)at;
		return at;
	case CORRUPT_TRUNCATED:
		return 48;
	default:
		break;
	}
	return size;
}
