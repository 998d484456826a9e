/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfr-mkfixture --capture [ROOT]: the description (FIXTURES.md) of a live
 * host or of a copy of its files, from what the kernel itself shows: sysfs
 * (functions, links, attributes), each function's config space, /dev/vfio,
 * /dev/iommu and /lib/modules. Nothing is guessed silently:
 *
 *   # not read: ...      a value that could not be read, and what was used
 *   # not modelled: ...  something the host has that a description cannot say
 *   # derived: ...       what follows from the kernel's own rules, not a file
 *                        (a reset method whose probe fails now)
 *
 * The config-space decoding here is independent of libvfioreset's, so a
 * round trip (capture, generate, compare what the library reports on both)
 * holds one against the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "mkfixture.h"

/* Config space as far as the description can say it. */
struct cfg {
	size_t len;	    /* bytes read */
	bool header_only;   /* 64 bytes of a larger space: read without privilege */
	bool all_ones;
	int header;	    /* Header Type without bit 7, -1: unread */
	bool multifunction;
	unsigned int caps;  /* caps= tokens */
	int pcie_type;	    /* Device/Port Type, -1: no PCI Express capability */
	bool has_link;
	uint32_t lnkcap;
	uint16_t lnksta;
	bool af_flr_only;   /* AF FLR without TP: no kernel method, no token */
	enum fx_corrupt corrupt;
	int secondary;	    /* a bridge's secondary bus, -1: unread */
	int subordinate;    /* and its subordinate bus */
	unsigned int total_vfs, num_vfs, vf_offset, vf_stride, vf_device;
	int acs_ctrl;	    /* the ACS Control register, -1: unread */
	GString *others;    /* capabilities no token describes */
};

struct cdev {
	char addr[24];
	uint32_t domain;
	unsigned int bus, slot, fn;
	char *dir;	       /* root-relative: "sys/devices/pci0000:00/0000:00:02.0" */
	char *parent;	       /* the upstream bridge's address, NULL on a root bus */
	char *rootbus_holder;  /* a root bus in a function's directory (VMD): that function */
	char *rootbus;	       /* "0000:00" when on a root bus */
	char *physfn;
	char *driver;
	int iommu_group;
	unsigned int dangling, escaping;
	uint64_t missing;
	char *vendor, *device, *subvendor, *subdevice, *class, *revision;
	int numa_node;
	char *override;
	char *power_state;     /* NULL: no attribute */
	char *reset_method;    /* NULL: no attribute; "" the empty list */
	bool has_reset;
	bool has_vfio_dev;
	char *cpulist;
	uint8_t *raw;	       /* config space as read (cfg.len bytes) */
	struct cfg cfg;
	GPtrArray *notes;      /* comment lines for the section */
	enum fx_kind kind;
};

struct capture {
	const char *root;     /* as given, for messages */
	char *base;	      /* ROOT without a trailing '/', "" for "/" */
	GPtrArray *devs;      /* struct cdev, address order */
	GHashTable *by_addr;
	GHashTable *bus_count; /* "DDDD:BB" -> functions on that bus */
	GPtrArray *host_notes;
	unsigned int unread;  /* "not read" notes, for the summary */
	char *release;
	bool vfio_dev, power_state, vfio_cdev, reset_method;
	char *cpulist;
};

/* ---- reading ---- */

static char *path_of(const struct capture *c, const char *rel)
{
	return g_strdup_printf("%s/%s", c->base, rel);
}

/* The file's bytes (up to @max); -errno. */
static ssize_t read_bytes(const struct capture *c, const char *rel, uint8_t *buf, size_t max)
{
	g_autofree char *path = path_of(c, rel);
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	while (got < max) {
		ssize_t n = read(fd, buf + got, max - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/* A text attribute without its trailing newline; NULL with *@err = errno. */
static char *read_text(const struct capture *c, const char *dir, const char *name, int *err)
{
	g_autofree char *rel = g_strdup_printf("%s/%s", dir, name);
	uint8_t buf[4097];
	ssize_t n = read_bytes(c, rel, buf, sizeof(buf) - 1);

	if (n < 0) {
		*err = (int)-n;
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	*err = 0;
	return g_strdup((char *)buf);
}

static bool present(const struct capture *c, const char *dir, const char *name)
{
	g_autofree char *path = g_strdup_printf("%s/%s/%s", c->base, dir, name);
	struct stat st;

	return lstat(path, &st) == 0;
}

static bool present_rel(const struct capture *c, const char *rel)
{
	g_autofree char *path = path_of(c, rel);
	struct stat st;

	return lstat(path, &st) == 0;
}

/* "a/b/../c" folded; NULL when it climbs above the root. */
static char *fold(const char *joined)
{
	g_auto(GStrv) parts = g_strsplit(joined, "/", -1);
	GPtrArray *out = g_ptr_array_new();
	char *r;

	for (char **p = parts; *p; p++) {
		if (!**p || strcmp(*p, ".") == 0)
			continue;
		if (strcmp(*p, "..") == 0) {
			if (!out->len) {
				g_ptr_array_free(out, TRUE);
				return NULL;
			}
			g_ptr_array_remove_index(out, out->len - 1);
			continue;
		}
		g_ptr_array_add(out, *p);
	}
	g_ptr_array_add(out, NULL);
	r = g_strjoinv("/", (char **)out->pdata);
	g_ptr_array_free(out, TRUE);
	return r;
}

enum link_state { LINK_NONE, LINK_OK, LINK_DANGLING, LINK_ESCAPING, LINK_UNREADABLE };

/* The link @name in @dir: its root-relative target in *@ret (LINK_OK, LINK_DANGLING). */
static enum link_state read_link(const struct capture *c, const char *dir, const char *name,
				 char **ret, int *err)
{
	g_autofree char *path = g_strdup_printf("%s/%s/%s", c->base, dir, name);
	g_autofree char *joined = NULL;
	char target[4096];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	char *folded;

	*ret = NULL;
	*err = 0;
	if (n < 0) {
		*err = errno;
		return errno == ENOENT ? LINK_NONE : LINK_UNREADABLE;
	}
	target[n] = '\0';
	if (target[0] == '/') {
		/* The kernel's links are relative; an absolute one is read as in ROOT. */
		if (c->base[0] && !g_str_has_prefix(target, c->base))
			return LINK_ESCAPING;
		joined = g_strdup(target + strlen(c->base));
	} else {
		joined = g_strdup_printf("%s/%s", dir, target);
	}
	folded = fold(joined);
	if (!folded)
		return LINK_ESCAPING;
	*ret = folded;
	return present_rel(c, folded) ? LINK_OK : LINK_DANGLING;
}

static void note(struct cdev *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(struct cdev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(d->notes, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static void unread(struct capture *c, struct cdev *d, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void unread(struct capture *c, struct cdev *d, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	c->unread++;
	if (d)
		note(d, "not read: %s", msg);
	else
		g_ptr_array_add(c->host_notes, g_strdup_printf("not read: %s", msg));
}

/* ---- config space ---- */

static unsigned int get16(const uint8_t *b, size_t at)
{
	return b[at] | b[at + 1] << 8;
}

static uint32_t get32(const uint8_t *b, size_t at)
{
	return get16(b, at) | (uint32_t)get16(b, at + 2) << 16;
}

/* Names for the capabilities seen most, from the PCI and PCIe base specs. */
static const char *cap_name(bool extended, unsigned int id)
{
	static const char *const std[] = {
		[0x02] = "AGP", [0x03] = "VPD", [0x04] = "slot ID", [0x07] = "PCI-X",
		[0x08] = "HyperTransport", [0x09] = "vendor-specific", [0x0a] = "debug port",
		[0x0d] = "bridge subsystem IDs", [0x12] = "SATA", [0x14] = "Enhanced Allocation",
	};
	static const char *const ext[] = {
		[0x01] = "AER", [0x02] = "virtual channel", [0x03] = "serial number",
		[0x04] = "power budgeting", [0x0b] = "vendor-specific", [0x0e] = "ARI",
		[0x0f] = "ATS", [0x13] = "PRI", [0x15] = "resizable BAR", [0x17] = "TPH",
		[0x18] = "LTR", [0x19] = "secondary PCIe", [0x1b] = "PASID",
		[0x1d] = "DPC", [0x1e] = "L1 PM substates", [0x1f] = "PTM",
		[0x23] = "DVSEC", [0x25] = "data link feature", [0x26] = "16GT/s",
		[0x27] = "lane margining",
	};

	if (!extended && id < G_N_ELEMENTS(std) && std[id])
		return std[id];
	if (extended && id < G_N_ELEMENTS(ext) && ext[id])
		return ext[id];
	return NULL;
}

static void other_cap(struct cfg *f, bool extended, unsigned int id, size_t at)
{
	const char *name = cap_name(extended, id);

	if (!f->others)
		f->others = g_string_new(NULL);
	g_string_append_printf(f->others, "%s%scapability 0x%02x%s%s%s at 0x%zx",
			       f->others->len ? ", " : "", extended ? "extended " : "", id,
			       name ? " (" : "", name ? name : "", name ? ")" : "", at);
}

static void decode_standard(struct cfg *f, const uint8_t *b)
{
	bool seen[256] = { false };
	size_t at = b[f->header == 2 ? 0x14 : 0x34];

	for (;;) {
		unsigned int id;

		if (at == 0)
			return;
		if (at < 0x40) {
			f->corrupt = CORRUPT_CAP_OUT_OF_RANGE;
			return;
		}
		at &= ~(size_t)3;
		if (at + 2 > f->len) {
			f->corrupt = CORRUPT_CAP_PAST_END;
			return;
		}
		if (seen[at]) {
			f->corrupt = CORRUPT_CAP_LOOP;
			return;
		}
		seen[at] = true;
		id = b[at];
		if (id == 0xff)
			return;
		switch (id) {
		case 0x01: /* Power Management: NoSoftRst is bit 3 of PMCSR */
			if (at + 6 <= f->len) {
				unsigned int pmcsr = get16(b, at + 4);

				f->caps |= (pmcsr & 0x8) ? CAP_PM_NOSOFTRST : CAP_PM;
			}
			break;
		case 0x05:
			f->caps |= CAP_MSI;
			break;
		case 0x11:
			f->caps |= CAP_MSIX;
			break;
		case 0x10: /* PCI Express */
			if (at + 8 > f->len)
				break;
			f->pcie_type = (int)((get16(b, at + 2) >> 4) & 0xf);
			if (get32(b, at + 4) & (1u << 28))
				f->caps |= CAP_FLR;
			if (at + 0x14 <= f->len && f->pcie_type != 9) {
				f->has_link = true;
				f->lnkcap = get32(b, at + 0x0c);
				f->lnksta = (uint16_t)get16(b, at + 0x12);
			}
			break;
		case 0x13: /* Advanced Features: TP bit 0, FLR bit 1 */
			if (at + 4 <= f->len) {
				unsigned int af = b[at + 3];

				if ((af & 3) == 3)
					f->caps |= CAP_AF_FLR;
				else if (af & 1)
					f->caps |= CAP_AF_TP;
				else if (af & 2)
					f->af_flr_only = true;
			}
			break;
		default:
			other_cap(f, false, id, at);
			break;
		}
		at = b[at + 1];
	}
}

static void decode_extended(struct cfg *f, const uint8_t *b)
{
	bool seen[4096 / 4] = { false };
	size_t at = 0x100;

	while (at && at + 4 <= f->len) {
		uint32_t h = get32(b, at);
		unsigned int id = h & 0xffff;

		if (h == 0 || h == 0xffffffffu)
			return;
		if (seen[at / 4]) {
			f->corrupt = CORRUPT_EXT_CAP_LOOP;
			return;
		}
		seen[at / 4] = true;
		if (id == 0x0d) {
			f->caps |= CAP_ACS;
			f->acs_ctrl = at + 8 <= f->len ? (int)get16(b, at + 6) : -1;
		} else if (id == 0x10 && at + 0x1c <= f->len) {
			f->caps |= CAP_SRIOV;
			f->total_vfs = get16(b, at + 0x0e);
			f->num_vfs = get16(b, at + 0x10);
			f->vf_offset = get16(b, at + 0x14);
			f->vf_stride = get16(b, at + 0x16);
			f->vf_device = get16(b, at + 0x1a);
		} else {
			other_cap(f, true, id, at);
		}
		at = (h >> 20) & ~3u;
		if (at && at < 0x100)
			return;
	}
}

static void decode_config(struct cfg *f, const uint8_t *b, size_t len)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->len = len;
	f->header = -1;
	f->pcie_type = -1;
	f->secondary = -1;
	f->acs_ctrl = -1;
	f->subordinate = -1;
	if (len == 0)
		return;
	for (i = 0; i < len && b[i] == 0xff; i++)
		;
	if (i == len) {
		f->all_ones = true;
		f->corrupt = CORRUPT_ALL_ONES;
		return;
	}
	if (len < 64) {
		f->corrupt = CORRUPT_TRUNCATED;
		return;
	}
	f->header = b[0x0e] & 0x7f;
	f->multifunction = b[0x0e] & 0x80;
	if (f->header == 1 || f->header == 2) {
		f->secondary = b[0x19];
		f->subordinate = b[0x1a];
	}
	/*
	 * The kernel gives an unprivileged reader the header only, and a copy
	 * made without root keeps just that: no config space of a function is
	 * 64 bytes long otherwise (a chain cut short still holds a capability).
	 */
	if (len == 64 || (len == 128 && f->header == 2)) {
		f->header_only = true;
		return;
	}
	if (get16(b, 0x06) & 0x10)
		decode_standard(f, b);
	if (f->pcie_type >= 0 && len > 0x100 && f->corrupt == CORRUPT_NONE)
		decode_extended(f, b);
}

/* ---- one function ---- */

static const char *kind_from(struct cdev *d)
{
	const struct cfg *f = &d->cfg;
	unsigned long class = d->class ? strtoul(d->class, NULL, 16) : 0;

	if (f->header < 0 || f->header_only) {
		/* No capability to tell PCI Express from conventional: the class decides. */
		d->kind = (class >> 8) == 0x0604 ? KIND_PCI_BRIDGE
			  : (class >> 8) == 0x0607 ? KIND_CARDBUS
						  : KIND_PCI_ENDPOINT;
		note(d, "not read: the kind (no readable config header past 64 bytes); "
			"%s from the class",
		     fx_kinds[d->kind].name);
		return fx_kinds[d->kind].name;
	}
	switch (f->header) {
	case 0:
		if (f->pcie_type < 0)
			d->kind = KIND_PCI_ENDPOINT;
		else if (f->pcie_type == 9 || f->pcie_type == 10)
			d->kind = KIND_RC_ENDPOINT;
		else
			d->kind = KIND_ENDPOINT;
		if (f->pcie_type == 1 || f->pcie_type == 10 || f->pcie_type > 10)
			note(d, "not modelled: PCI Express Device/Port Type %d (described as %s)",
			     f->pcie_type, fx_kinds[d->kind].name);
		break;
	case 1:
		switch (f->pcie_type) {
		case 4:
			d->kind = KIND_ROOT_PORT;
			break;
		case 5:
			d->kind = KIND_UPSTREAM_PORT;
			break;
		case 6:
			d->kind = KIND_DOWNSTREAM_PORT;
			break;
		case 7:
			d->kind = KIND_PCIE_PCI_BRIDGE;
			break;
		default:
			d->kind = KIND_PCI_BRIDGE;
			if (f->pcie_type >= 0)
				note(d, "not modelled: PCI Express Device/Port Type %d on a "
					"bridge (described as pci-bridge)",
				     f->pcie_type);
		}
		break;
	case 2:
		d->kind = KIND_CARDBUS;
		break;
	default:
		d->kind = KIND_PCI_ENDPOINT;
		note(d, "not modelled: Header Type %d (described as pci-endpoint)", f->header);
	}
	return fx_kinds[d->kind].name;
}

/* ---- the whole host ---- */

static int dev_order(const void *a, const void *b)
{
	const struct cdev *x = *(struct cdev *const *)a, *y = *(struct cdev *const *)b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return (int)x->fn - (int)y->fn;
}

/*
 * An ID attribute ("0x8086") as @digits hex digits. When the attribute is
 * missing or unreadable the value comes from config space at @at (-1: not
 * there), and the section says so.
 */
static char *id_attr(struct capture *c, struct cdev *d, enum fx_attr attr, unsigned int digits,
		     int at)
{
	const char *name = fx_attr_names[attr];
	int err;
	g_autofree char *text = read_text(c, d->dir, name, &err);
	unsigned long v = 0;
	char *end;

	if (text) {
		const char *s = g_str_has_prefix(text, "0x") ? text + 2 : text;

		v = strtoul(s, &end, 16);
		if (*s && !*end && strlen(s) <= digits)
			return g_strdup_printf("%0*lx", (int)digits, v);
		err = EINVAL;
	}
	if (err == ENOENT)
		d->missing |= UINT64_C(1) << attr;
	if (at >= 0 && d->cfg.header >= 0 && !d->cfg.all_ones &&
	    (size_t)at + digits / 2 <= d->cfg.len) {
		v = 0;
		for (unsigned int i = 0; i < digits / 2; i++)
			v |= (unsigned long)d->raw[at + i] << (8 * i);
		if (err != ENOENT)
			unread(c, d, "%s (%s); 0x%0*lx from config space", name,
			       text ? "not a hex number" : g_strerror(err), (int)digits, v);
		else
			note(d, "%s: no attribute (missing=); 0x%0*lx from config space", name,
			     (int)digits, v);
		return g_strdup_printf("%0*lx", (int)digits, v);
	}
	unread(c, d, "%s (%s), nor from config space; %.*s used", name,
	       text ? "not a hex number" : g_strerror(err), (int)digits, "ffffff");
	return g_strdup_printf("%.*s", (int)digits, "ffffff");
}

/* The last component of a link target: a driver's or group's name. */
static char *base_of(const char *target)
{
	const char *slash = strrchr(target, '/');

	return g_strdup(slash ? slash + 1 : target);
}

/* Which directory of @parent lists @addr: a driver or group whose own link escapes. */
static char *listed_in(const struct capture *c, const char *parent, const char *sub,
		       const char *addr)
{
	g_autofree char *path = path_of(c, parent);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *rel = sub ? g_strdup_printf("%s/%s/%s/%s", parent, name, sub, addr)
					   : g_strdup_printf("%s/%s/%s", parent, name, addr);

		if (present_rel(c, rel))
			return g_strdup(name);
	}
	return NULL;
}

static void read_links(struct capture *c, struct cdev *d)
{
	g_autofree char *drv = NULL, *grp = NULL, *pf = NULL;
	enum link_state s;
	int err;

	s = read_link(c, d->dir, "driver", &drv, &err);
	if (s == LINK_OK || s == LINK_DANGLING)
		d->driver = base_of(drv);
	if (s == LINK_DANGLING)
		d->dangling |= LINK_DRIVER;
	if (s == LINK_ESCAPING) {
		d->escaping |= LINK_DRIVER;
		d->driver = listed_in(c, "sys/bus/pci/drivers", NULL, d->addr);
		if (!d->driver)
			unread(c, d, "driver (the link leaves the tree and no driver lists "
				     "the function); unbound used");
	}
	if (s == LINK_UNREADABLE)
		unread(c, d, "driver (%s); unbound used", g_strerror(err));

	d->iommu_group = -1;
	s = read_link(c, d->dir, "iommu_group", &grp, &err);
	if (s == LINK_OK || s == LINK_DANGLING) {
		g_autofree char *n = base_of(grp);

		d->iommu_group = atoi(n);
	}
	if (s == LINK_DANGLING)
		d->dangling |= LINK_IOMMU_GROUP;
	if (s == LINK_ESCAPING) {
		g_autofree char *n = listed_in(c, "sys/kernel/iommu_groups", "devices", d->addr);

		d->escaping |= LINK_IOMMU_GROUP;
		if (n)
			d->iommu_group = atoi(n);
		else
			unread(c, d, "iommu_group (the link leaves the tree and no group lists "
				     "the function); none used");
	}
	if (s == LINK_UNREADABLE)
		unread(c, d, "iommu_group (%s); none used", g_strerror(err));

	s = read_link(c, d->dir, "physfn", &pf, &err);
	if (s == LINK_OK || s == LINK_DANGLING)
		d->physfn = base_of(pf);
	if (s == LINK_DANGLING)
		d->dangling |= LINK_PHYSFN;
	if (s == LINK_ESCAPING)
		unread(c, d, "physfn (the link leaves the tree); not a VF used");
	if (s == LINK_UNREADABLE)
		unread(c, d, "physfn (%s); not a VF used", g_strerror(err));
}

/* The attributes vfr-mkfixture writes for every function (FIXTURES.md): which are absent. */
static void find_missing(struct capture *c, struct cdev *d)
{
	static const enum fx_attr always[] = {
		ATTR_MODALIAS, ATTR_UEVENT,	    ATTR_NUMA_NODE, ATTR_DRIVER_OVERRIDE,
		ATTR_ENABLE,   ATTR_IRQ,	    ATTR_LOCAL_CPULIST, ATTR_RESOURCE,
		ATTR_REMOVE,   ATTR_RESCAN,
	};
	static const enum fx_attr sriov[] = {
		ATTR_SRIOV_NUMVFS, ATTR_SRIOV_TOTALVFS,	   ATTR_SRIOV_OFFSET,
		ATTR_SRIOV_STRIDE, ATTR_SRIOV_VF_DEVICE, ATTR_SRIOV_DRIVERS_AUTOPROBE,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(always); i++)
		if (!present(c, d->dir, fx_attr_names[always[i]]))
			d->missing |= UINT64_C(1) << always[i];
	if (d->cfg.caps & CAP_SRIOV)
		for (size_t i = 0; i < G_N_ELEMENTS(sriov); i++)
			if (!present(c, d->dir, fx_attr_names[sriov[i]]))
				d->missing |= UINT64_C(1) << sriov[i];
}

/* An SR-IOV attribute (decimal, or hex for the VF device), else config space's value. */
static unsigned int sriov_attr(struct capture *c, struct cdev *d, const char *name, int base,
			       unsigned int from_config)
{
	int err;
	g_autofree char *text = read_text(c, d->dir, name, &err);
	char *end;
	unsigned long v;

	if (text) {
		v = strtoul(text, &end, base);
		if (*text && !*end)
			return (unsigned int)v;
	}
	if (err != ENOENT)
		unread(c, d, "%s (%s); %u from config space", name,
		       text ? "not a number" : g_strerror(err), from_config);
	return from_config;
}

static struct cdev *read_function(struct capture *c, const char *addr)
{
	g_autofree char *target = NULL, *config_rel = NULL, *updir = NULL;
	struct cdev *d = g_new0(struct cdev, 1);
	struct fx_dev parsed = { 0 };
	uint8_t raw[4096];
	ssize_t n;
	int err;
	char *slash, *text;

	d->notes = g_ptr_array_new_with_free_func(g_free);
	d->numa_node = -1;
	if (!fx_parse_address(addr, &parsed)) {
		g_ptr_array_add(c->host_notes,
				g_strdup_printf("not read: sys/bus/pci/devices/%s is not a PCI "
						"address; left out",
						addr));
		c->unread++;
		return NULL;
	}
	memcpy(d->addr, parsed.addr, sizeof(d->addr));
	d->domain = parsed.domain;
	d->bus = parsed.bus;
	d->slot = parsed.slot;
	d->fn = parsed.fn;
	if (read_link(c, "sys/bus/pci/devices", addr, &target, &err) != LINK_OK ||
	    !g_str_has_prefix(target, "sys/devices/")) {
		g_ptr_array_add(c->host_notes,
				g_strdup_printf("not read: %s (its sys/bus/pci/devices link "
						"does not lead to a directory in sys/devices); "
						"left out",
						addr));
		c->unread++;
		g_ptr_array_unref(d->notes);
		g_free(d);
		return NULL;
	}
	d->dir = g_steal_pointer(&target);

	/* Where it sits: below a bridge, or on a root bus (perhaps in a VMD endpoint). */
	updir = g_path_get_dirname(d->dir);
	slash = strrchr(updir, '/');
	if (slash && fx_parse_address(slash + 1, &parsed)) {
		d->parent = g_strdup(slash + 1);
	} else if (slash && g_str_has_prefix(slash + 1, "pci")) {
		g_autofree char *holder_dir = g_path_get_dirname(updir);
		const char *h = strrchr(holder_dir, '/');

		d->rootbus = g_strdup(slash + 4);
		if (h && fx_parse_address(h + 1, &parsed))
			d->rootbus_holder = g_strdup(h + 1);
	}

	config_rel = g_strdup_printf("%s/config", d->dir);
	n = read_bytes(c, config_rel, raw, sizeof(raw));
	if (n < 0) {
		if (n == -ENOENT)
			d->missing |= UINT64_C(1) << ATTR_CONFIG;
		else
			unread(c, d, "config (%s)", g_strerror((int)-n));
		n = 0;
	}
	decode_config(&d->cfg, raw, (size_t)n);
	d->raw = g_malloc0((gsize)n + 1);
	memcpy(d->raw, raw, (size_t)n);
	if (d->cfg.header_only)
		unread(c, d, "capabilities (config space gives only its 64-byte header: read "
			     "without root?); none used");

	d->vendor = id_attr(c, d, ATTR_VENDOR, 4, 0x00);
	d->device = id_attr(c, d, ATTR_DEVICE, 4, 0x02);
	d->class = id_attr(c, d, ATTR_CLASS, 6, 0x09);
	d->revision = id_attr(c, d, ATTR_REVISION, 2, 0x08);
	d->subvendor = id_attr(c, d, ATTR_SUBSYSTEM_VENDOR, 4,
			       d->cfg.header == 0 ? 0x2c : d->cfg.header == 2 ? 0x40 : -1);
	d->subdevice = id_attr(c, d, ATTR_SUBSYSTEM_DEVICE, 4,
			       d->cfg.header == 0 ? 0x2e : d->cfg.header == 2 ? 0x42 : -1);
	kind_from(d);
	read_links(c, d);

	if ((text = read_text(c, d->dir, "numa_node", &err))) {
		d->numa_node = atoi(text);
		g_free(text);
	}
	if ((text = read_text(c, d->dir, "driver_override", &err))) {
		if (strcmp(text, "(null)") != 0 && *text)
			d->override = g_strdup(text);
		g_free(text);
	} else if (err != ENOENT) {
		unread(c, d, "driver_override (%s); unset used", g_strerror(err));
	}
	d->power_state = read_text(c, d->dir, "power_state", &err);
	if (!d->power_state && err != ENOENT)
		unread(c, d, "power_state (%s); D0 used", g_strerror(err));
	d->reset_method = read_text(c, d->dir, "reset_method", &err);
	if (!d->reset_method && err != ENOENT)
		unread(c, d, "reset_method (%s); absent used", g_strerror(err));
	d->has_reset = present(c, d->dir, "reset");
	d->has_vfio_dev = present(c, d->dir, "vfio-dev");
	d->cpulist = read_text(c, d->dir, "local_cpulist", &err);
	if (d->cfg.caps & CAP_SRIOV) {
		d->cfg.total_vfs = sriov_attr(c, d, "sriov_totalvfs", 10, d->cfg.total_vfs);
		d->cfg.vf_offset = sriov_attr(c, d, "sriov_offset", 10, d->cfg.vf_offset);
		d->cfg.vf_stride = sriov_attr(c, d, "sriov_stride", 10, d->cfg.vf_stride);
		d->cfg.vf_device = sriov_attr(c, d, "sriov_vf_device", 16, d->cfg.vf_device);
	}
	find_missing(c, d);
	return d;
}

static void cdev_free(struct cdev *d)
{
	if (!d)
		return;
	g_free(d->dir);
	g_free(d->parent);
	g_free(d->rootbus_holder);
	g_free(d->rootbus);
	g_free(d->physfn);
	g_free(d->driver);
	g_free(d->vendor);
	g_free(d->device);
	g_free(d->subvendor);
	g_free(d->subdevice);
	g_free(d->class);
	g_free(d->revision);
	g_free(d->override);
	g_free(d->power_state);
	g_free(d->reset_method);
	g_free(d->cpulist);
	g_free(d->raw);
	if (d->cfg.others)
		g_string_free(d->cfg.others, TRUE);
	g_ptr_array_unref(d->notes);
	g_free(d);
}

/* ---- what follows from the kernel's rules ---- */

static unsigned int on_bus(const struct capture *c, const struct cdev *d)
{
	g_autofree char *key = g_strdup_printf("%04x:%02x", d->domain, d->bus);

	return GPOINTER_TO_UINT(g_hash_table_lookup(c->bus_count, key));
}

/*
 * Whether the kernel's probe of @method succeeds now, as
 * pci_reset_supported() would find it on a re-probe (drivers/pci/pci.c):
 * flr needs DevCap FLR, af_flr the AF capability with TP and FLR, pm a PM
 * capability without NoSoftRst; bus (a slot or the parent bridge's
 * secondary bus) needs a function that is not a bridge, sits below a bridge
 * and is alone on its bus - a sibling that appeared after enumeration makes
 * an old "bus" entry stale. device_specific, acpi and cxl_bus depend on
 * quirks and firmware no file shows: taken as they are listed. @why says
 * why a probe fails.
 */
static bool probe_live(const struct capture *c, const struct cdev *d, const char *method,
		       char **why)
{
	const struct cfg *f = &d->cfg;
	bool config = f->header >= 0 && !f->header_only && f->corrupt == CORRUPT_NONE;

	*why = NULL;
	if (strcmp(method, "flr") == 0 && config && !(f->caps & CAP_FLR)) {
		*why = g_strdup("no FLR in DevCap");
		return false;
	}
	if (strcmp(method, "af_flr") == 0 && config && !(f->caps & CAP_AF_FLR)) {
		*why = g_strdup("no AF capability with TP and FLR");
		return false;
	}
	if (strcmp(method, "pm") == 0 && config && !(f->caps & CAP_PM)) {
		*why = g_strdup(f->caps & CAP_PM_NOSOFTRST ? "NoSoftRst is set"
							     : "no PM capability");
		return false;
	}
	if (strcmp(method, "bus") == 0) {
		const struct cdev *pf = d->physfn ? g_hash_table_lookup(c->by_addr, d->physfn) : NULL;
		unsigned int n = on_bus(c, d);

		if (fx_kinds[d->kind].bridge)
			*why = g_strdup("a bridge: its reset would reach its own bus");
		else if (!d->parent)
			*why = g_strdup("on a root bus, no bridge to reset it");
		else if (pf && pf->bus != d->bus)
			*why = g_strdup("a VF on a bus without a bridge");
		else if (n == 2)
			*why = g_strdup_printf("another function shares bus %02x", d->bus);
		else if (n > 2)
			*why = g_strdup_printf("%u other functions share bus %02x", n - 1,
					       d->bus);
		return *why == NULL;
	}
	return true;
}

/* A method whose probe the description's config space and topology decide. */
static bool is_config_method(const struct cdev *d, const char *m)
{
	const struct cfg *f = &d->cfg;

	if (strcmp(m, "bus") == 0)
		return true;
	if (f->header < 0 || f->header_only || f->corrupt != CORRUPT_NONE)
		return false; /* config space unreadable: what is listed is all we know */
	return strcmp(m, "flr") == 0 || strcmp(m, "af_flr") == 0 || strcmp(m, "pm") == 0;
}

/* ---- the host ---- */

static bool read_host(struct capture *c, GError **error)
{
	g_autofree char *devices = path_of(c, "sys/bus/pci/devices");
	g_autoptr(GError) err = NULL;
	g_autoptr(GDir) dir = g_dir_open(devices, 0, &err);
	g_autofree char *cpulist = NULL;
	const char *name;
	bool any_reset = false, reset_without_method = false, any_reset_method = false;
	bool any_power = false, vfio_bound_without_dev = false;

	if (!dir) {
		g_set_error(error, FX_ERROR, FX_ERROR_IO, "%s: %s", devices, err->message);
		return false;
	}
	while ((name = g_dir_read_name(dir))) {
		struct cdev *d = read_function(c, name);

		if (d)
			g_ptr_array_add(c->devs, d);
	}
	g_ptr_array_sort(c->devs, dev_order);
	for (guint i = 0; i < c->devs->len; i++) {
		struct cdev *d = c->devs->pdata[i];
		g_autofree char *key = g_strdup_printf("%04x:%02x", d->domain, d->bus);

		g_hash_table_insert(c->by_addr, d->addr, d);
		g_hash_table_insert(c->bus_count, g_steal_pointer(&key),
				    GUINT_TO_POINTER(on_bus(c, d) + 1));
		any_reset |= d->has_reset;
		any_reset_method |= d->reset_method != NULL;
		reset_without_method |= d->has_reset && !d->reset_method;
		any_power |= d->power_state != NULL;
		c->vfio_dev |= d->has_vfio_dev;
		vfio_bound_without_dev |= d->driver && strstr(d->driver, "vfio") && !d->has_vfio_dev;
		if (d->cpulist && !cpulist)
			cpulist = g_strdup(d->cpulist);
		else if (d->cpulist && strcmp(d->cpulist, cpulist) != 0)
			note(d, "not modelled: local_cpulist %s (the description has one for "
				"every function: %s)",
			     d->cpulist, cpulist);
	}

	/*
	 * vfio-dev/: Linux >= 6.1 shows it on a function bound to a vfio driver,
	 * and registers the vfio-dev class as soon as vfio is loaded.
	 */
	c->vfio_dev |= present_rel(c, "sys/class/vfio-dev");
	if (!c->vfio_dev && !vfio_bound_without_dev &&
	    (present_rel(c, "sys/module/vfio") || present_rel(c, "dev/vfio/vfio"))) {
		g_ptr_array_add(c->host_notes,
				g_strdup("derived: vfio_dev=false: vfio is loaded and there is no "
					 "vfio-dev class (Linux before 6.1)"));
	} else if (!c->vfio_dev && !vfio_bound_without_dev) {
		c->vfio_dev = true;
		g_ptr_array_add(c->host_notes,
				g_strdup("derived: vfio_dev: vfio is not loaded and no function is "
					 "bound to a vfio driver to show it; true (Linux >= 6.1) "
					 "assumed"));
	}
	c->power_state = any_power;
	c->reset_method = any_reset_method || !reset_without_method;
	if (!any_reset)
		g_ptr_array_add(c->host_notes,
				g_strdup("derived: reset_method: no function has a reset file to "
					 "tell; true (Linux >= 5.15) assumed"));
	else if (reset_without_method && any_reset_method)
		g_ptr_array_add(c->host_notes,
				g_strdup("not modelled: some functions have reset without "
					 "reset_method, others both"));

	/* The cdev needs IOMMUFD: /dev/iommu, or /dev/vfio/devices once something is bound. */
	if (present_rel(c, "dev/vfio/devices") || present_rel(c, "dev/iommu")) {
		c->vfio_cdev = true;
	} else if (present_rel(c, "dev")) {
		g_ptr_array_add(c->host_notes,
				g_strdup("derived: vfio_cdev=false: no dev/iommu and no "
					 "dev/vfio/devices (a kernel without IOMMUFD or "
					 "VFIO_DEVICE_CDEV)"));
	} else {
		c->vfio_cdev = present_rel(c, "sys/class/misc/iommu");
		g_ptr_array_add(c->host_notes,
				g_strdup_printf("not read: vfio_cdev (no dev/ in the tree); %s "
						"from sys/class/misc/iommu",
						c->vfio_cdev ? "true" : "false"));
		c->unread++;
	}
	c->cpulist = g_steal_pointer(&cpulist);
	return true;
}

static char *release_of(const struct capture *c)
{
	g_autofree char *path = path_of(c, ".vfr-mock/release");
	g_autofree char *modules = path_of(c, "lib/modules");
	g_autoptr(GDir) dir = NULL;
	struct utsname u;
	char *text = NULL;
	const char *name;

	if (!c->base[0] && uname(&u) == 0)
		return g_strdup(u.release);
	if (g_file_get_contents(path, &text, NULL, NULL))
		return g_strstrip(text);
	dir = g_dir_open(modules, 0, NULL);
	if (dir && (name = g_dir_read_name(dir)) && !g_dir_read_name(dir))
		return g_strdup(name);
	return NULL;
}

/* ---- writing ---- */

static void comments(GString *out, GPtrArray *notes)
{
	for (guint i = 0; i < notes->len; i++)
		g_string_append_printf(out, "# %s\n", (char *)notes->pdata[i]);
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void write_drivers(struct capture *c, GString *out)
{
	g_autofree char *path = path_of(c, "sys/bus/pci/drivers");
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while (dir && (name = g_dir_read_name(dir)))
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, name_order);
	for (guint i = 0; i < names->len; i++) {
		const char *drv = names->pdata[i];
		g_autofree char *rel = g_strdup_printf("sys/bus/pci/drivers/%s", drv);
		g_autofree char *module = NULL, *def = g_strdelimit(g_strdup(drv), "-", '_');
		bool vfio_name = fx_is_vfio_driver(drv), with_dev = false, without_dev = false;
		enum link_state s;
		int err;

		s = read_link(c, rel, "module", &module, &err);
		for (guint k = 0; k < c->devs->len; k++) {
			struct cdev *d = c->devs->pdata[k];

			if (!d->driver || strcmp(d->driver, drv) != 0 || (d->dangling & LINK_DRIVER))
				continue;
			with_dev |= d->has_vfio_dev;
			without_dev |= !d->has_vfio_dev;
		}
		g_string_append_printf(out, "[driver %s]\n", drv);
		if (s == LINK_OK || s == LINK_DANGLING) {
			g_autofree char *mod = base_of(module);

			if (strcmp(mod, def) != 0)
				g_string_append_printf(out, "module=%s\n", mod);
		} else if (s == LINK_NONE) {
			g_string_append(out, "builtin=true\n");
		} else {
			g_string_append_printf(out, "# not read: module (%s); %s used\n",
					       s == LINK_ESCAPING ? "the link leaves the tree"
								  : g_strerror(err),
					       def);
			c->unread++;
		}
		/* vfio-dev/ is the kernel's word on what a vfio driver is; the name is ours. */
		if (with_dev && !vfio_name)
			g_string_append(out, "vfio=true\n");
		else if (vfio_name && without_dev && !with_dev && c->vfio_dev)
			g_string_append(out, "vfio=false\n");
		g_string_append_c(out, '\n');
	}
}

static void write_rootbuses(struct capture *c, GString *out)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < c->devs->len; i++) {
		struct cdev *d = c->devs->pdata[i];

		if (!d->rootbus_holder || d->physfn || !g_hash_table_add(seen, d->rootbus))
			continue;
		g_string_append_printf(out, "[root-bus %s]\nparent=%s\n\n", d->rootbus,
				       d->rootbus_holder);
	}
}

static char *caps_text(unsigned int caps)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} tokens[] = {
		{ CAP_PM, "pm" },     { CAP_PM_NOSOFTRST, "pm-nosoftrst" }, { CAP_FLR, "flr" },
		{ CAP_AF_FLR, "af-flr" }, { CAP_AF_TP, "af-tp" },	      { CAP_ACS, "acs" },
		{ CAP_SRIOV, "sriov" }, { CAP_MSI, "msi" },		      { CAP_MSIX, "msix" },
	};
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(tokens); i++)
		if (caps & tokens[i].bit)
			g_string_append_printf(s, "%s%s", s->len ? "," : "", tokens[i].name);
	return g_string_free(s, FALSE);
}

static const char *corrupt_name(enum fx_corrupt c)
{
	switch (c) {
	case CORRUPT_CAP_LOOP:
		return "cap-loop";
	case CORRUPT_CAP_OUT_OF_RANGE:
		return "cap-out-of-range";
	case CORRUPT_CAP_PAST_END:
		return "cap-past-end";
	case CORRUPT_EXT_CAP_LOOP:
		return "ext-cap-loop";
	case CORRUPT_TRUNCATED:
		return "truncated";
	case CORRUPT_ALL_ONES:
		return "all-ones";
	default:
		return NULL;
	}
}

static char *link_tokens(unsigned int mask)
{
	GString *s = g_string_new(NULL);

	if (mask & LINK_DRIVER)
		g_string_append(s, "driver");
	if (mask & LINK_IOMMU_GROUP)
		g_string_append_printf(s, "%siommu_group", s->len ? "," : "");
	if (mask & LINK_PHYSFN)
		g_string_append_printf(s, "%sphysfn", s->len ? "," : "");
	return g_string_free(s, FALSE);
}

static bool has_children(const struct capture *c, const struct cdev *b)
{
	for (guint i = 0; i < c->devs->len; i++) {
		const struct cdev *d = c->devs->pdata[i];

		if (d->parent && strcmp(d->parent, b->addr) == 0)
			return true;
	}
	return false;
}

/* The Supported Link Speeds above 5GT/s: LnkCap2's vector, else LnkCap's maximum. */
static bool faster_than_5gt(const struct cdev *d)
{
	const uint8_t *b = d->raw;
	size_t at = b[0x34];

	/* Find the PCI Express capability again for LnkCap2 (offset 0x2c). */
	for (unsigned int steps = 0; at >= 0x40 && at + 0x30 <= d->cfg.len && steps < 48;
	     steps++) {
		if (b[at] == 0x10) {
			uint32_t cap2 = get32(b, at + 0x2c);

			if (cap2 & 0xfe)
				return (cap2 & 0xf8) != 0;
			break;
		}
		at = b[at + 1] & ~3u;
	}
	return (d->cfg.lnkcap & 0xf) > 2;
}

/* reset_method, stale_reset_method and probed_reset_method, with their reasons. */
static void write_resets(struct capture *c, struct cdev *d, GString *keys)
{
	static const char *const order[] = { "device_specific", "acpi", "flr", "af_flr", "pm",
					     "bus", "cxl_bus", NULL };
	g_autofree char *derived_list = NULL;
	g_auto(GStrv) listed = NULL;
	g_autoptr(GString) stale = g_string_new(NULL), probed = g_string_new(NULL),
			   defaults = g_string_new(NULL);
	const char *text = d->reset_method;

	if (!text && !c->reset_method && d->has_reset) {
		/* Before 5.15 the kernel tries its methods without listing them. */
		GString *l = g_string_new(NULL);

		for (const char *const *m = order; *m; m++) {
			g_autofree char *why = NULL;

			if (is_config_method(d, *m) && probe_live(c, d, *m, &why))
				g_string_append_printf(l, "%s%s", l->len ? " " : "", *m);
		}
		derived_list = g_string_free(l, FALSE);
		note(d, "derived: reset_method: this kernel lists no methods; '%s' is what its "
			"probes find now (a device-specific one would not show)",
		     derived_list);
		text = derived_list;
	}
	if (!text)
		return;
	g_string_append_printf(keys, "reset_method=%s\n", text);
	listed = g_strsplit_set(text, " ", -1);
	for (char **m = listed; *m; m++) {
		g_autofree char *why = NULL;

		if (!**m)
			continue;
		if (!probe_live(c, d, *m, &why)) {
			g_string_append_printf(stale, "%s%s", stale->len ? "," : "", *m);
			note(d, "derived: stale %s: its probe fails now (%s)", *m, why);
		} else {
			g_string_append_printf(defaults, "%s%s", defaults->len ? "," : "", *m);
		}
	}
	for (const char *const *m = order; *m; m++) {
		g_autofree char *why = NULL;
		bool live = is_config_method(d, *m) ? probe_live(c, d, *m, &why)
						 : g_strv_contains((const char *const *)listed, *m);

		if (live)
			g_string_append_printf(probed, "%s%s", probed->len ? "," : "", *m);
	}
	if (stale->len)
		g_string_append_printf(keys, "stale_reset_method=%s\n", stale->str);
	/* A list pinned by hand re-probes to more than it shows. */
	if (strcmp(probed->str, defaults->str) != 0) {
		g_string_append_printf(keys, "probed_reset_method=%s\n", probed->str);
		note(d, "derived: echo default > reset_method would find '%s'", probed->str);
	}
}

static void write_sriov(struct capture *c, struct cdev *d, GString *keys)
{
	g_autoptr(GPtrArray) vfs = g_ptr_array_new();
	unsigned int offset = 0x80, stride = 2;

	for (guint i = 0; i < c->devs->len; i++) {
		struct cdev *v = c->devs->pdata[i];

		if (v->physfn && strcmp(v->physfn, d->addr) == 0 && !(v->dangling & LINK_PHYSFN))
			g_ptr_array_add(vfs, v);
	}
	/* What vfr-mkfixture derives from the VFs; the keys say where the host differs. */
	if (vfs->len) {
		struct cdev *v0 = vfs->pdata[0];
		unsigned int rid = d->bus << 8 | d->slot << 3 | d->fn;

		offset = (v0->bus << 8 | v0->slot << 3 | v0->fn) - rid;
		if (vfs->len > 1) {
			struct cdev *v1 = vfs->pdata[1];

			stride = (v1->bus << 8 | v1->slot << 3 | v1->fn) -
				 (v0->bus << 8 | v0->slot << 3 | v0->fn);
		}
	}
	if (d->cfg.total_vfs != MAX(8u, vfs->len))
		g_string_append_printf(keys, "total_vfs=%u\n", d->cfg.total_vfs);
	if (d->cfg.vf_offset != offset && !vfs->len)
		g_string_append_printf(keys, "vf_offset=%u\n", d->cfg.vf_offset);
	if (d->cfg.vf_stride != stride && vfs->len < 2)
		g_string_append_printf(keys, "vf_stride=%u\n", d->cfg.vf_stride);
	if (vfs->len && d->cfg.vf_offset != offset)
		note(d, "not modelled: sriov_offset %u, but the first VF is at offset %u",
		     d->cfg.vf_offset, offset);
	if (!vfs->len && d->cfg.vf_device != strtoul(d->device, NULL, 16))
		g_string_append_printf(keys, "vf_device=%04x\n", d->cfg.vf_device);
	if (!vfs->len)
		note(d, "not read: what a VF that sriov_numvfs creates looks like (no VF "
			"exists); vfr-mkfixture's defaults used");
	if (d->cfg.num_vfs != vfs->len && d->cfg.header >= 0 && !d->cfg.header_only)
		note(d, "not modelled: NumVFs %u, %u VFs in sysfs", d->cfg.num_vfs, vfs->len);
}

static void write_device(struct capture *c, struct cdev *d, GString *out)
{
	g_autoptr(GString) keys = g_string_new(NULL);
	g_autofree char *caps = caps_text(d->cfg.caps);
	const struct cfg *f = &d->cfg;
	bool vfio_default;

	g_string_append_printf(keys, "kind=%s\n", fx_kinds[d->kind].name);
	g_string_append_printf(keys, "vendor=%s\ndevice=%s\n", d->vendor, d->device);
	g_string_append_printf(keys, "subsystem_vendor=%s\nsubsystem_device=%s\n", d->subvendor,
			       d->subdevice);
	g_string_append_printf(keys, "class=%s\nrevision=%s\n", d->class, d->revision);
	if (d->parent && !d->physfn)
		g_string_append_printf(keys, "parent=%s\n", d->parent);
	if (d->physfn)
		g_string_append_printf(keys, "physfn=%s\n", d->physfn);
	if (d->driver)
		g_string_append_printf(keys, "driver=%s\n", d->driver);
	if (d->override)
		g_string_append_printf(keys, "driver_override=%s\n", d->override);
	if (d->iommu_group >= 0)
		g_string_append_printf(keys, "iommu_group=%d\n", d->iommu_group);
	if (d->numa_node != -1)
		g_string_append_printf(keys, "numa_node=%d\n", d->numa_node);
	if (d->power_state && strcmp(d->power_state, "D0") != 0)
		g_string_append_printf(keys, "power_state=%s\n", d->power_state);
	if (!d->power_state && c->power_state)
		d->missing |= UINT64_C(1) << ATTR_POWER_STATE;
	g_string_append_printf(keys, "caps=%s\n", caps);
	/* What Linux enables is the default; a port left otherwise is what assignability sees. */
	if ((f->caps & CAP_ACS) && f->acs_ctrl >= 0 && f->acs_ctrl != 0x001d) {
		if (f->acs_ctrl & ~0x5f)
			note(d, "not modelled: ACS Control %04x (egress control or bits above it)",
			     (unsigned int)f->acs_ctrl);
		else
			g_string_append_printf(keys, "acs_ctrl=%04x\n", (unsigned int)f->acs_ctrl);
	}
	if (f->others)
		note(d, "not modelled: %s", f->others->str);
	if (f->af_flr_only)
		note(d, "not modelled: an AF capability with FLR but without TP");
	if (f->len && f->len != (fx_kinds[d->kind].pcie ? 4096u : 256u) && !f->header_only &&
	    f->corrupt == CORRUPT_NONE)
		note(d, "not modelled: config space is %zu bytes (a %s has %u)", f->len,
		     fx_kinds[d->kind].name, fx_kinds[d->kind].pcie ? 4096u : 256u);
	write_resets(c, d, keys);
	if (f->caps & CAP_SRIOV)
		write_sriov(c, d, keys);
	if (fx_kinds[d->kind].bridge && f->subordinate >= 0) {
		/* vfr-mkfixture derives the subordinate bus: the highest bus below. */
		int below = f->secondary;
		g_autofree char *prefix = g_strconcat(d->dir, "/", NULL);

		for (guint i = 0; i < c->devs->len; i++) {
			const struct cdev *o = c->devs->pdata[i];

			if (!g_str_has_prefix(o->dir, prefix))
				continue;
			below = MAX(below, (int)o->bus);
			if (fx_kinds[o->kind].bridge)
				below = MAX(below, o->cfg.secondary);
		}
		if (below >= 0 && f->subordinate != below)
			note(d, "not modelled: subordinate bus %02x (a description ends the "
				"range at %02x, the highest bus below)",
			     f->subordinate, below);
	}
	if (fx_kinds[d->kind].bridge && !has_children(c, d)) {
		if (f->secondary > (int)d->bus)
			g_string_append_printf(keys, "secondary=%02x\n", f->secondary);
		else
			unread(c, d, "secondary bus (config space); vfr-mkfixture's choice used");
	}
	if ((d->kind == KIND_ROOT_PORT || d->kind == KIND_DOWNSTREAM_PORT) && f->has_link &&
	    has_children(c, d) && (f->lnkcap & (1u << 20)) && !(f->lnksta & (1u << 13))) {
		if (faster_than_5gt(d)) {
			g_string_append(keys, "link_active=false\n");
			note(d, "derived: link_active=false: the port reports link activity "
				"(LnkCap DLLLARC) above 5GT/s but DL_Active is clear with "
				"functions behind it: Linux waits for the link after a bus reset "
				"below it, in vain, and returns ENOTTY");
		} else {
			note(d, "not modelled: DL_Active clear at 5GT/s or less (Linux does not "
				"wait for the link there)");
		}
	}
	vfio_default = c->vfio_dev && fx_is_vfio_driver(d->driver);
	if (d->has_vfio_dev != vfio_default)
		g_string_append_printf(keys, "vfio_dev=%s\n", d->has_vfio_dev ? "true" : "false");
	if (corrupt_name(f->corrupt))
		g_string_append_printf(keys, "corrupt=%s\n", corrupt_name(f->corrupt));
	if (d->missing) {
		GString *m = g_string_new(NULL);

		for (size_t a = 0; a < ATTR_COUNT; a++)
			if (d->missing & (UINT64_C(1) << a))
				g_string_append_printf(m, "%s%s", m->len ? "," : "",
						       fx_attr_names[a]);
		g_string_append_printf(keys, "missing=%s\n", m->str);
		g_string_free(m, TRUE);
	}
	if (d->dangling) {
		g_autofree char *t = link_tokens(d->dangling);

		g_string_append_printf(keys, "dangling=%s\n", t);
	}
	if (d->escaping) {
		g_autofree char *t = link_tokens(d->escaping);

		g_string_append_printf(keys, "escaping=%s\n", t);
	}
	if (f->header >= 0 && !f->all_ones) {
		bool shares = false;

		for (guint i = 0; i < c->devs->len; i++) {
			const struct cdev *o = c->devs->pdata[i];

			shares |= o != d && !o->physfn && o->domain == d->domain &&
				  o->bus == d->bus && o->slot == d->slot;
		}
		/* QEMU sets the bit only where multifunction=on, on function 0. */
		if (f->multifunction != (shares && !d->physfn))
			g_string_append_printf(keys, "multifunction=%s\n",
					       f->multifunction ? "true" : "false");
	}

	comments(out, d->notes);
	g_string_append_printf(out, "[device %s]\n%s\n", d->addr, keys->str);
}

static void write_host(struct capture *c, GString *out)
{
	g_string_append(out, "[host]\n");
	g_string_append_printf(out, "vfio_dev=%s\n", c->vfio_dev ? "true" : "false");
	g_string_append_printf(out, "power_state=%s\n", c->power_state ? "true" : "false");
	g_string_append_printf(out, "vfio_cdev=%s\n", c->vfio_cdev ? "true" : "false");
	g_string_append_printf(out, "reset_method=%s\n", c->reset_method ? "true" : "false");
	if (c->cpulist && *c->cpulist && strspn(c->cpulist, "0123456789,-") == strlen(c->cpulist))
		g_string_append_printf(out, "cpulist=%s\n", c->cpulist);
	g_string_append_c(out, '\n');
}

/* vfio-pci not loaded but in /lib/modules: a bind would load it; a description cannot. */
static void modules_note(struct capture *c)
{
	g_autofree char *dep = NULL, *path = NULL;

	if (!c->release || present_rel(c, "sys/bus/pci/drivers/vfio-pci"))
		return;
	path = g_strdup_printf("%s/lib/modules/%s/modules.dep", c->base, c->release);
	if (g_file_get_contents(path, &dep, NULL, NULL) && strstr(dep, "/vfio-pci.ko"))
		g_ptr_array_add(c->host_notes,
				g_strdup_printf("not modelled: modules that are not loaded "
						"(vfio_pci is in /lib/modules/%s): under the "
						"harness no module file exists to load",
						c->release));
}

bool fx_capture(const char *root, GString *out, unsigned int *ret_unread, GError **error)
{
	struct capture c = {
		.root = root,
		.devs = g_ptr_array_new_with_free_func((GDestroyNotify)cdev_free),
		.by_addr = g_hash_table_new(g_str_hash, g_str_equal),
		.bus_count = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.host_notes = g_ptr_array_new_with_free_func(g_free),
	};
	g_autoptr(GString) body = g_string_new(NULL);
	size_t len = strlen(root);
	bool ok;

	while (len > 0 && root[len - 1] == '/')
		len--;
	c.base = g_strndup(root, len);
	ok = read_host(&c, error);
	if (ok) {
		c.release = release_of(&c);
		modules_note(&c);
		g_ptr_array_add(c.host_notes,
				g_strdup("not modelled: BARs, resources, IRQs, link speeds and "
					 "widths, ACS and PM register values beyond the caps "
					 "tokens, drivers' id tables (each driver matches the "
					 "functions bound to it here)"));
		write_host(&c, body);
		write_drivers(&c, body);
		write_rootbuses(&c, body);
		for (guint i = 0; i < c.devs->len; i++)
			write_device(&c, c.devs->pdata[i], body);
		g_string_append_printf(out,
				       "# vfr-mkfixture --capture %s: %u functions, kernel %s.\n"
				       "# From the kernel's files only; \"not read\" says what "
				       "could not be read and what\n# was used instead, "
				       "\"derived\" what follows from the kernel's rules, \"not\n"
				       "# modelled\" what a description has no key for "
				       "(FIXTURES.md, Capturing a host).\n",
				       root, c.devs->len, c.release ? c.release : "unknown");
		comments(out, c.host_notes);
		g_string_append(out, body->str);
		while (out->len >= 2 && out->str[out->len - 1] == '\n' &&
		       out->str[out->len - 2] == '\n')
			g_string_truncate(out, out->len - 1);
		*ret_unread = c.unread;
	}
	g_ptr_array_unref(c.devs);
	g_hash_table_unref(c.by_addr);
	g_hash_table_unref(c.bus_count);
	g_ptr_array_unref(c.host_notes);
	g_free(c.base);
	g_free(c.release);
	g_free(c.cpulist);
	return ok;
}
