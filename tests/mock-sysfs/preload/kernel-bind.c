/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drivers: driver_override, bind, unbind, drivers_probe, new_id, remove_id,
 * with the checks and errnos of drivers/base/bus.c and drivers/pci/pci-driver.c,
 * and what binding to a vfio driver creates (vfio-dev/vfioN, /dev/vfio/GROUP,
 * /dev/vfio/devices/vfioN).
 */
#include "kernel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANY 0xffffffffu
#define DYNID "dynid %x %x %x %x %x %x"


struct ids {
	unsigned int vendor, device, subvendor, subdevice, class;
};

static unsigned int hex_attr(struct kctx *k, const struct kdev *d, const char *name)
{
	char buf[64];

	return k_attr(k, d, name, buf, sizeof(buf)) < 0 ? ANY
							: (unsigned int)strtoul(buf, NULL, 16);
}

static void dev_ids(struct kctx *k, const struct kdev *d, struct ids *ids)
{
	ids->vendor = hex_attr(k, d, "vendor");
	ids->device = hex_attr(k, d, "device");
	ids->subvendor = hex_attr(k, d, "subsystem_vendor");
	ids->subdevice = hex_attr(k, d, "subsystem_device");
	ids->class = hex_attr(k, d, "class");
}

/* One field of an "id" line: hex, or * for any. */
static bool field_matches(const char *field, unsigned int value)
{
	return strcmp(field, "*") == 0 || (unsigned int)strtoul(field, NULL, 16) == value;
}

/* "8086:10d3" or "8086:10ca:8086:0000", each part hex or *. */
static bool id_matches(const char *id, const struct ids *ids)
{
	char copy[64], *save = NULL;
	const unsigned int values[] = { ids->vendor, ids->device, ids->subvendor, ids->subdevice };
	unsigned int i = 0;

	snprintf(copy, sizeof(copy), "%s", id);
	for (char *f = strtok_r(copy, ":", &save); f; f = strtok_r(NULL, ":", &save), i++)
		if (i >= 4 || !field_matches(f, values[i]))
			return false;
	return i >= 2;
}

/* pci_match_one_device() for a dynamic id. */
static bool dynid_matches(const unsigned int f[6], const struct ids *ids)
{
	return (f[0] == ANY || f[0] == ids->vendor) && (f[1] == ANY || f[1] == ids->device) &&
	       (f[2] == ANY || f[2] == ids->subvendor) && (f[3] == ANY || f[3] == ids->subdevice) &&
	       !((f[4] ^ ids->class) & f[5]);
}

/* What .vfr-mock/drivers/NAME says; @want_static: only the static id table. */
static char *driver_state(struct kctx *k, const char *drv)
{
	char rel[PATH_MAX];

	if (snprintf(rel, sizeof(rel), ".vfr-mock/drivers/%s", drv) >= (int)sizeof(rel))
		return NULL;
	return k_slurp(k, rel);
}

static bool table_matches(struct kctx *k, const char *drv, const struct ids *ids, bool dynids,
			  bool statics)
{
	char *text = driver_state(k, drv), *save = NULL;
	bool found = false;

	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned int f[6];

		if (statics && strncmp(line, "id ", 3) == 0 && id_matches(line + 3, ids))
			found = true;
		if (dynids &&
		    sscanf(line, DYNID, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5]) == 6 &&
		    dynid_matches(f, ids))
			found = true;
	}
	free(text);
	return found;
}

bool k_driver_is_vfio(struct kctx *k, const char *drv)
{
	char *text = driver_state(k, drv);
	bool vfio;

	if (!text)
		return strstr(drv, "vfio") != NULL;
	vfio = strncmp(text, "vfio 1", 6) == 0 || strstr(text, "\nvfio 1") != NULL;
	free(text);
	return vfio;
}

/* pci_bus_match(): driver_override decides alone; else the dynamic ids, then the table. */
static bool driver_matches(struct kctx *k, const struct kdev *d, const char *drv)
{
	char override[256];
	struct ids ids;

	if (k_attr(k, d, "driver_override", override, sizeof(override)) >= 0 &&
	    strcmp(override, "(null)") != 0)
		return strcmp(override, drv) == 0;
	dev_ids(k, d, &ids);
	if (ids.vendor == ANY)
		return false;
	return table_matches(k, drv, &ids, true, true);
}

bool k_host_flag(struct kctx *k, const char *name, bool fallback)
{
	char text[256], *p;

	if (k_read(k, ".vfr-mock/host", text, sizeof(text)) < 0 || !(p = strstr(text, name)))
		return fallback;
	return p[strlen(name)] == ' ' && p[strlen(name) + 1] == '1';
}

/* The lowest vfio device index no function bound to a vfio driver uses. */
static int free_vfio_index(struct kctx *k)
{
	unsigned char used[4096] = { 0 };
	size_t nd = 0;
	char **drivers = k_names(k, "sys/bus/pci/drivers", &nd);

	for (size_t i = 0; i < nd; i++) {
		char rel[PATH_MAX];
		char **devs;
		size_t n;

		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", drivers[i]);
		devs = k_names(k, rel, &n);
		for (size_t j = 0; j < n; j++) {
			struct kdev d;
			char sub[PATH_MAX];
			char **v;
			size_t nv;

			if (!is_address(devs[j]) || k_find_dev(k, devs[j], &d) < 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/vfio-dev", d.path);
			v = k_names(k, sub, &nv);
			for (size_t m = 0; m < nv; m++) {
				int idx = atoi(v[m] + 4);

				if (strncmp(v[m], "vfio", 4) == 0 && idx >= 0 && idx < 4096)
					used[idx] = 1;
			}
			k_names_free(v);
		}
		k_names_free(devs);
	}
	k_names_free(drivers);
	for (int i = 0; i < 4096; i++)
		if (!used[i])
			return i;
	return -1;
}

static void vfio_attach(struct kctx *k, const struct kdev *d)
{
	int group = k_group_of(k, d), idx = -1;
	char rel[PATH_MAX], text[64];

	if (k_host_flag(k, "vfio_dev", true) && (idx = free_vfio_index(k)) >= 0) {
		char target[PATH_MAX];

		snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d", d->path, idx);
		k_mkdirs(k, rel);
		snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d/dev", d->path, idx);
		snprintf(text, sizeof(text), "511:%d\n", idx);
		k_put(k, rel, 0444, text);
		/* The class device's link, as device_add() makes it. */
		k_mkdirs(k, "sys/class/vfio-dev");
		snprintf(rel, sizeof(rel), "sys/class/vfio-dev/vfio%d", idx);
		snprintf(target, sizeof(target), "../../%s/vfio-dev/vfio%d", d->path + 4, idx);
		k_link(k, rel, target);
	}
	k_mkdirs(k, "dev/vfio");
	if (!k_exists(k, "dev/vfio/vfio"))
		k_put(k, "dev/vfio/vfio", 0666, "");
	if (group >= 0) {
		snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
		if (!k_exists(k, rel))
			k_put(k, rel, 0600, "");
	}
	if (idx >= 0 && k_host_flag(k, "vfio_cdev", k_exists(k, "dev/iommu"))) {
		k_mkdirs(k, "dev/vfio/devices");
		snprintf(rel, sizeof(rel), "dev/vfio/devices/vfio%d", idx);
		k_put(k, rel, 0600, "");
	}
}

/* The group node stays while any member is still bound to a vfio driver. */
static bool group_has_vfio_member(struct kctx *k, int group)
{
	char rel[PATH_MAX], drv[256];
	bool found = false;
	char **names;
	size_t n;

	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices", group);
	names = k_names(k, rel, &n);
	for (size_t i = 0; i < n && !found; i++) {
		struct kdev m;

		found = k_find_dev(k, names[i], &m) == 0 && k_driver_of(k, &m, drv, sizeof(drv)) &&
			k_driver_is_vfio(k, drv);
	}
	k_names_free(names);
	return found;
}

static void vfio_detach(struct kctx *k, const struct kdev *d)
{
	char rel[PATH_MAX];
	int group = k_group_of(k, d);
	char **names;
	size_t n;

	snprintf(rel, sizeof(rel), "%s/vfio-dev", d->path);
	names = k_names(k, rel, &n);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], "vfio", 4) != 0)
			continue;
		snprintf(rel, sizeof(rel), "dev/vfio/devices/%s", names[i]);
		k_unlink(k, rel);
		snprintf(rel, sizeof(rel), "sys/class/vfio-dev/%s", names[i]);
		k_unlink(k, rel);
	}
	k_names_free(names);
	snprintf(rel, sizeof(rel), "%s/vfio-dev", d->path);
	k_rmtree(k, rel);
	if (group >= 0 && !group_has_vfio_member(k, group)) {
		snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
		k_unlink(k, rel);
	}
}

/* uevent has a DRIVER= line first while a driver is bound. */
static void uevent_driver(struct kctx *k, const struct kdev *d, const char *drv)
{
	char text[4096], out[4200], *save = NULL;
	size_t n = 0;

	if (k_attr(k, d, "uevent", text, sizeof(text)) < 0)
		return;
	out[0] = '\0';
	if (drv)
		n = (size_t)snprintf(out, sizeof(out), "DRIVER=%s\n", drv);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "DRIVER=", 7) != 0 && n < sizeof(out))
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s\n", line);
	k_attr_put(k, d, "uevent", out);
}

static bool is_bridge(struct kctx *k, const struct kdev *d)
{
	unsigned int class = hex_attr(k, d, "class");

	return class != ANY && (class >> 8 == 0x0604 || class >> 8 == 0x0607);
}

/*
 * The driver's probe(): 0, or the errno it fails with. vfio-pci registers
 * the function with a VFIO group, and without an IOMMU group there is none
 * to find (vfio_group_find_or_alloc(): EINVAL) unless vfio's
 * enable_unsafe_noiommu_mode makes one, which is not simulated. Nor does
 * it take a bridge: vfio_pci_core_register_device() refuses every header
 * type but 0 with EINVAL.
 */
static int driver_probe(struct kctx *k, const struct kdev *d, const char *drv)
{
	if (k_driver_is_vfio(k, drv) && (k_group_of(k, d) < 0 || is_bridge(k, d)))
		return EINVAL;
	return 0;
}

/*
 * A network driver registers the function's interfaces in its probe()
 * (net/NAME) and unregisters them in remove(); .vfr-mock/net says which
 * driver made which: "ADDR DRIVER eth0,eth1".
 */
static void net_interfaces(struct kctx *k, const struct kdev *d, const char *drv)
{
	char *text = k_slurp(k, ".vfr-mock/net"), *save = NULL;

	if (!text)
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char addr[32], owner[256], names[512], rel[PATH_MAX];
		char *nsave = NULL;

		if (sscanf(line, "%31s %255s %511s", addr, owner, names) != 3 ||
		    strcmp(addr, d->addr) != 0 || strcmp(owner, drv) != 0)
			continue;
		for (char *n = strtok_r(names, ",", &nsave); n; n = strtok_r(NULL, ",", &nsave)) {
			snprintf(rel, sizeof(rel), "%s/net/%s", d->path, n);
			k_mkdirs(k, rel);
		}
	}
	free(text);
}

int k_attach(struct kctx *k, const struct kdev *d, const char *drv)
{
	char rel[PATH_MAX], target[PATH_MAX], ups[PATH_MAX];
	int r;

	if ((r = driver_probe(k, d, drv))) {
		journal(k->r, "bind %s %s %s", d->addr, drv, r == EINVAL ? "EINVAL" : "error");
		return -r;
	}
	k_ups(d->path, ups, sizeof(ups));
	snprintf(rel, sizeof(rel), "%s/driver", d->path);
	snprintf(target, sizeof(target), "%sbus/pci/drivers/%s", ups, drv);
	if ((r = k_link(k, rel, target)) < 0)
		return r;
	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/%s", drv, d->addr);
	snprintf(target, sizeof(target), "../../../../%s", d->path + 4);
	k_link(k, rel, target);
	uevent_driver(k, d, drv);
	k_attr_put(k, d, "enable", "1\n");
	if (k_driver_is_vfio(k, drv))
		vfio_attach(k, d);
	net_interfaces(k, d, drv);
	journal(k->r, "bind %s %s", d->addr, drv);
	return 0;
}

int k_detach(struct kctx *k, const struct kdev *d)
{
	char drv[256], rel[PATH_MAX];
	int held = -1;

	if (!k_driver_of(k, d, drv, sizeof(drv)))
		return 0;
	/* vfio_unregister_group_dev() waits for the device's users; it may have moved meanwhile. */
	if (k_driver_is_vfio(k, drv) && (held = vfio_wait_unused(k, d, drv)) >= 0 &&
	    !k_driver_of(k, d, drv, sizeof(drv))) {
		close(held);
		return 0;
	}
	/* A PF's driver (igb, vfio-pci) disables SR-IOV in its remove(). */
	k_sriov_disable(k, d);
	snprintf(rel, sizeof(rel), "%s/driver", d->path);
	k_unlink(k, rel);
	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/%s", drv, d->addr);
	k_unlink(k, rel);
	uevent_driver(k, d, NULL);
	snprintf(rel, sizeof(rel), "%s/net", d->path);
	k_rmtree(k, rel);
	if (!is_bridge(k, d))
		k_attr_put(k, d, "enable", "0\n");
	if (k_driver_is_vfio(k, drv))
		vfio_detach(k, d);
	journal(k->r, "unbind %s %s", d->addr, drv);
	if (held >= 0)
		close(held);
	return 0;
}

static bool driver_exists(struct kctx *k, const char *drv)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/bind", drv);
	return !strchr(drv, '/') && k_exists(k, rel);
}

/*
 * device_attach(): the first driver that matches and whose probe succeeds,
 * in name order (ours: registration); a failed probe lets the next one try
 * and is not an error of drivers_probe.
 */
int k_probe(struct kctx *k, const struct kdev *d)
{
	char drv[256], override[256];
	char **names;
	size_t n;

	if (k_driver_of(k, d, drv, sizeof(drv)))
		return 0;
	if (k_attr(k, d, "driver_override", override, sizeof(override)) >= 0 &&
	    strcmp(override, "(null)") != 0) {
		if (driver_exists(k, override))
			k_attach(k, d, override);
		return 0;
	}
	names = k_names(k, "sys/bus/pci/drivers", &n);
	for (size_t i = 0; i < n; i++)
		if (driver_exists(k, names[i]) && driver_matches(k, d, names[i]) &&
		    k_attach(k, d, names[i]) == 0)
			break;
	k_names_free(names);
	return 0;
}

int k_driver_override(struct kctx *k, const struct kdev *d, const char *buf, size_t len)
{
	char value[4096], text[4200];

	/* driver_set_override(): up to the first newline; empty clears. */
	if (len >= 4095)
		return -EINVAL;
	k_line(buf, len, value, sizeof(value));
	snprintf(text, sizeof(text), "%s\n", value[0] ? value : "(null)");
	journal(k->r, "driver_override %s %s", d->addr, value[0] ? value : "(null)");
	return k_attr_put(k, d, "driver_override", text);
}

/* bus_find_device_by_name() with sysfs_streq(): the name, one newline allowed. */
static int device_named(struct kctx *k, const char *buf, size_t len, struct kdev *d)
{
	char name[64];

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len >= sizeof(name) || memchr(buf, '\n', len))
		return -ENODEV;
	memcpy(name, buf, len);
	name[len] = '\0';
	return k_find_dev(k, name, d);
}

int k_bind(struct kctx *k, const char *drv, const char *buf, size_t len)
{
	struct kdev d;
	char cur[256];

	/* bind_store(): a match first (ENODEV), then the device must be free (EBUSY). */
	if (device_named(k, buf, len, &d) < 0 || !driver_matches(k, &d, drv))
		return -ENODEV;
	if (k_driver_of(k, &d, cur, sizeof(cur)))
		return -EBUSY;
	/* device_driver_attach() hands the probe's errno to the writer. */
	return k_attach(k, &d, drv);
}

int k_unbind(struct kctx *k, const char *drv, const char *buf, size_t len)
{
	struct kdev d;
	char cur[256];

	if (device_named(k, buf, len, &d) < 0 || !k_driver_of(k, &d, cur, sizeof(cur)) ||
	    strcmp(cur, drv) != 0)
		return -ENODEV;
	return k_detach(k, &d);
}

int k_drivers_probe(struct kctx *k, const char *buf, size_t len)
{
	struct kdev d;
	char drv[256];

	if (device_named(k, buf, len, &d) < 0)
		return -ENODEV;
	k_probe(k, &d);
	journal(k->r, "drivers_probe %s %s", d.addr,
		k_driver_of(k, &d, drv, sizeof(drv)) ? drv : "-");
	return 0;
}

/* "%x %x %x %x %x %x %lx" with the kernel's defaults; the count of fields read. */
static int id_fields(const char *buf, size_t len, unsigned int f[6])
{
	char text[256];
	unsigned long data;
	int n;

	k_line(buf, len, text, sizeof(text));
	f[2] = f[3] = ANY;
	f[4] = f[5] = 0;
	n = sscanf(text, "%x %x %x %x %x %x %lx", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5],
		   &data);
	return n < 0 ? 0 : n;
}

int k_new_id(struct kctx *k, const char *drv, const char *buf, size_t len)
{
	unsigned int f[6];
	int n = id_fields(buf, len, f);
	struct ids ids;
	char line[128], rel[PATH_MAX];
	char **names;
	size_t nn;

	if (n < 2)
		return -EINVAL;
	if (n != 7) {
		/* new_id_store(): an id the static table already has is refused. */
		ids = (struct ids){ f[0], f[1], f[2], f[3], f[4] };
		if (table_matches(k, drv, &ids, false, true))
			return -EEXIST;
	}
	snprintf(line, sizeof(line), "dynid %x %x %x %x %x %x\n", f[0], f[1], f[2], f[3], f[4],
		 f[5]);
	snprintf(rel, sizeof(rel), ".vfr-mock/drivers/%s", drv);
	if (!k_exists(k, rel))
		k_put(k, rel, 0644, strstr(drv, "vfio") ? "vfio 1\n" : "vfio 0\n");
	k_append(k, rel, line);
	journal(k->r, "new_id %s %x %x", drv, f[0], f[1]);
	/* pci_add_dynid() -> driver_attach(): every free device that now matches. */
	names = k_names(k, "sys/bus/pci/devices", &nn);
	for (size_t i = 0; i < nn; i++) {
		struct kdev d;
		char cur[256];

		if (k_find_dev(k, names[i], &d) == 0 && !k_driver_of(k, &d, cur, sizeof(cur)) &&
		    driver_matches(k, &d, drv))
			k_attach(k, &d, drv);
	}
	k_names_free(names);
	return 0;
}

int k_remove_id(struct kctx *k, const char *drv, const char *buf, size_t len)
{
	unsigned int f[6];
	char rel[PATH_MAX], *text, *out, *save = NULL;
	size_t n = 0, size;
	bool removed = false;
	int r;

	if (id_fields(buf, len, f) < 2)
		return -EINVAL;
	snprintf(rel, sizeof(rel), ".vfr-mock/drivers/%s", drv);
	if (!(text = k_slurp(k, rel)))
		return -ENODEV;
	size = strlen(text) + 2;
	if (!(out = malloc(size))) {
		free(text);
		return -ENOMEM;
	}
	out[0] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int g[6];

		if (!removed &&
		    sscanf(line, DYNID, &g[0], &g[1], &g[2], &g[3], &g[4], &g[5]) == 6 &&
		    g[0] == f[0] && g[1] == f[1] && (f[2] == ANY || g[2] == f[2]) &&
		    (f[3] == ANY || g[3] == f[3]) && !((g[4] ^ f[4]) & f[5])) {
			removed = true;
			continue;
		}
		if (n < size)
			n += (size_t)snprintf(out + n, size - n, "%s\n", line);
	}
	free(text);
	if (!removed) {
		free(out);
		return -ENODEV;
	}
	journal(k->r, "remove_id %s %x %x", drv, f[0], f[1]);
	r = k_put(k, rel, 0644, out);
	free(out);
	return r;
}
