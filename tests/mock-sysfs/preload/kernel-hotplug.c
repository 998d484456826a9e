/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Functions that come and go: remove (and a vanish fault), rescan, and
 * sriov_numvfs. A removed function's directory moves to
 * .vfr-mock/stash/ADDR/dir with a meta file saying where it was and what
 * pointed at it, so a rescan (or enabling VFs again) puts it back; VFs never
 * enabled before are made from .vfr-mock/sriov/PF/template.
 */
#include "kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct meta {
	char path[PATH_MAX];
	char physfn[32];
	int group;
	int virtfn;
	char peers[1024];      /* " ADDR" for each function it shared its group with */
	char classlinks[2048]; /* "NAME TARGET\n" lines */
};

static int read_meta(struct kctx *k, const char *addr, struct meta *m)
{
	char text[8192], *save = NULL;

	memset(m, 0, sizeof(*m));
	m->group = -1;
	m->virtfn = -1;
	if (k_readf(k, text, sizeof(text), ".vfr-mock/stash/%s/meta", addr) < 0)
		return -ENOENT;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(m->classlinks);

		if (strncmp(line, "path ", 5) == 0)
			snprintf(m->path, sizeof(m->path), "%s", line + 5);
		else if (strncmp(line, "physfn ", 7) == 0)
			snprintf(m->physfn, sizeof(m->physfn), "%s", line + 7);
		else if (strncmp(line, "group ", 6) == 0)
			m->group = atoi(line + 6);
		else if (strncmp(line, "virtfn ", 7) == 0)
			m->virtfn = atoi(line + 7);
		else if (strncmp(line, "peers", 5) == 0)
			snprintf(m->peers, sizeof(m->peers), "%s", line + 5);
		else if (strncmp(line, "classlink ", 10) == 0 && n < sizeof(m->classlinks))
			snprintf(m->classlinks + n, sizeof(m->classlinks) - n, "%s\n", line + 10);
	}
	return m->path[0] ? 0 : -EIO;
}

static void group_remove_member(struct kctx *k, int group, const char *addr)
{
	char rel[PATH_MAX];
	size_t n;
	char **names;

	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", group, addr);
	k_unlink(k, rel);
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices", group);
	names = k_names(k, rel, &n);
	k_names_free(names);
	if (n == 0) {
		/* The last member gone, the group is freed, and with it its number. */
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d", group);
		k_rmtree(k, rel);
		snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
		k_unlink(k, rel);
	}
}

static int lowest_free_group(struct kctx *k)
{
	unsigned char used[65536] = { 0 };
	char **names;
	size_t n;
	int g = 0;

	names = k_names(k, "sys/kernel/iommu_groups", &n);
	for (size_t i = 0; i < n; i++) {
		long v = strtol(names[i], NULL, 10);

		if (v >= 0 && v < 65536)
			used[v] = 1;
	}
	k_names_free(names);
	while (g < 65535 && used[g])
		g++;
	return g;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
		if (p > list && p[-1] == ' ' && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static void add_word(char *list, size_t size, const char *word, const char *self)
{
	size_t n = strlen(list);

	if (strcmp(word, self) != 0 && !has_word(list, word) && n < size)
		snprintf(list + n, size - n, " %s", word);
}

/*
 * The functions @d shares its group with, for when it comes back: those
 * still in @group, and (as they leave one by one) those already removed
 * that named @d or were named with it. The kernel regroups a function by
 * topology (pci_device_group(): DMA aliases, no ACS between it and its
 * mates); a mate that is back again stands for that.
 */
static void group_peers(struct kctx *k, const struct kdev *d, int group, char *out, size_t size)
{
	char rel[PATH_MAX];
	char **names;
	size_t n;

	out[0] = '\0';
	if (group < 0)
		return;
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices", group);
	names = k_names(k, rel, &n);
	for (size_t i = 0; names && i < n; i++)
		add_word(out, size, names[i], d->addr);
	k_names_free(names);
	names = k_names(k, ".vfr-mock/stash", &n);
	for (size_t i = 0; names && i < n; i++) {
		struct meta m;
		char *save = NULL;

		if (read_meta(k, names[i], &m) < 0 || !has_word(m.peers, d->addr))
			continue;
		add_word(out, size, names[i], d->addr);
		for (char *w = strtok_r(m.peers, " ", &save); w; w = strtok_r(NULL, " ", &save))
			add_word(out, size, w, d->addr);
	}
	k_names_free(names);
}

/* The group of a mate that is back, else a new one: the lowest free number (an IDA). */
static int rejoin_group(struct kctx *k, struct meta *m)
{
	char *save = NULL;

	if (m->group < 0)
		return -1;
	for (char *w = strtok_r(m->peers, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		struct kdev mate;
		int g;

		if (k_find_dev(k, w, &mate) == 0 && (g = k_group_of(k, &mate)) >= 0)
			return g;
	}
	return lowest_free_group(k);
}

static void group_add_member(struct kctx *k, const struct kdev *d, int group)
{
	char rel[PATH_MAX], target[PATH_MAX], ups[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices", group);
	if (!k_exists(k, rel)) {
		k_mkdirs(k, rel);
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/type", group);
		k_put(k, rel, 0444, "DMA\n");
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/reserved_regions", group);
		k_put(k, rel, 0444, "0x00000000fee00000 0x00000000feefffff msi\n");
	}
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", group, d->addr);
	snprintf(target, sizeof(target), "../../../../%s", d->path + 4);
	k_link(k, rel, target);
	k_ups(d->path, ups, sizeof(ups));
	snprintf(rel, sizeof(rel), "%s/iommu_group", d->path);
	snprintf(target, sizeof(target), "%skernel/iommu_groups/%d", ups, group);
	k_link(k, rel, target);
}

/* The PF's virtfnK that points at @addr; -1 when none does. */
static int virtfn_of(struct kctx *k, const char *pf_path, const char *addr)
{
	char **names;
	size_t n;
	int found = -1;

	names = k_names(k, pf_path, &n);
	for (size_t i = 0; i < n && found < 0; i++) {
		char rel[PATH_MAX], target[PATH_MAX];

		if (strncmp(names[i], "virtfn", 6) != 0 || !path_join(pf_path, names[i], rel) ||
		    k_readlink(k, rel, target, sizeof(target)) < 0)
			continue;
		if (strncmp(target, "../", 3) == 0 && strcmp(target + 3, addr) == 0)
			found = atoi(names[i] + 6);
	}
	k_names_free(names);
	return found;
}

/* Links in sys/class/pci_bus that lead into @path, as "NAME TARGET" lines; removed. */
static void take_classlinks(struct kctx *k, const char *path, char *out, size_t size)
{
	char **names;
	size_t n, len = 0, plen = strlen(path);

	out[0] = '\0';
	names = k_names(k, "sys/class/pci_bus", &n);
	for (size_t i = 0; i < n; i++) {
		char rel[PATH_MAX], target[PATH_MAX], resolved[PATH_MAX];

		snprintf(rel, sizeof(rel), "sys/class/pci_bus/%s", names[i]);
		if (k_readlink(k, rel, target, sizeof(target)) < 0 ||
		    !k_resolve("sys/class/pci_bus", target, resolved) ||
		    strncmp(resolved, path, plen) != 0 || resolved[plen] != '/')
			continue;
		if (len < size)
			len += (size_t)snprintf(out + len, size - len, "classlink %s %s\n",
						names[i], target);
		k_unlink(k, rel);
	}
	k_names_free(names);
}

static int by_depth(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int dx = 0, dy = 0;

	for (const char *p = x; *p; p++)
		dx += *p == '/';
	for (const char *p = y; *p; p++)
		dy += *p == '/';
	return dx != dy ? dx - dy : strcmp(x, y);
}

int k_remove(struct kctx *k, const struct kdev *d, const char *why)
{
	char rel[PATH_MAX], stash[PATH_MAX], target[PATH_MAX], pf_path[PATH_MAX];
	char meta[4096], links[2048], peers[1024];
	int group = k_group_of(k, d), virtfn = -1, r;
	char **names, **below;
	size_t n, nb = 0;

	/*
	 * What sits below it first (behind a bridge, or a VMD endpoint's root
	 * bus), deepest first, as pci_stop_and_remove_bus_device() does.
	 */
	names = k_names(k, "sys/bus/pci/devices", &n);
	below = calloc(n + 1, sizeof(*below));
	for (size_t i = 0; below && i < n; i++) {
		struct kdev c;
		size_t len = strlen(d->path);

		if (k_find_dev(k, names[i], &c) == 0 && strncmp(c.path, d->path, len) == 0 &&
		    c.path[len] == '/')
			below[nb++] = strdup(c.path);
	}
	if (below) {
		qsort(below, nb, sizeof(*below), by_depth);
		for (size_t i = nb; i-- > 0;) {
			struct kdev c;

			/* A VF may have gone with its PF already. */
			if (k_find_dev(k, strrchr(below[i], '/') + 1, &c) == 0)
				k_remove(k, &c, why);
		}
		k_names_free(below);
	}
	k_names_free(names);
	k_sriov_disable(k, d);
	k_detach(k, d);

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", d->addr);
	k_unlink(k, rel);
	group_peers(k, d, group, peers, sizeof(peers));
	if (group >= 0)
		group_remove_member(k, group, d->addr);
	pf_path[0] = '\0';
	snprintf(rel, sizeof(rel), "%s/physfn", d->path);
	if (k_readlink(k, rel, target, sizeof(target)) > 0 && k_resolve(d->path, target, pf_path) &&
	    (virtfn = virtfn_of(k, pf_path, d->addr)) >= 0) {
		snprintf(rel, sizeof(rel), "%s/virtfn%d", pf_path, virtfn);
		k_unlink(k, rel);
	}
	take_classlinks(k, d->path, links, sizeof(links));

	snprintf(stash, sizeof(stash), ".vfr-mock/stash/%s", d->addr);
	k_rmtree(k, stash);
	k_mkdirs(k, stash);
	snprintf(rel, sizeof(rel), "%s/dir", stash);
	if ((r = k_rename(k, d->path, rel)) < 0)
		return r;
	snprintf(meta, sizeof(meta), "path %s\ngroup %d\n%s%s%s", d->path, group,
		 virtfn >= 0 ? "physfn " : "", virtfn >= 0 ? strrchr(pf_path, '/') + 1 : "",
		 virtfn >= 0 ? "\n" : "");
	if (virtfn >= 0)
		snprintf(meta + strlen(meta), sizeof(meta) - strlen(meta), "virtfn %d\n", virtfn);
	snprintf(meta + strlen(meta), sizeof(meta) - strlen(meta), "peers%s\n", peers);
	snprintf(meta + strlen(meta), sizeof(meta) - strlen(meta), "%s", links);
	snprintf(rel, sizeof(rel), "%s/meta", stash);
	k_put(k, rel, 0644, meta);
	__atomic_store_n(&vfr_removals, 1, __ATOMIC_RELAXED);
	journal(k->r, "%s %s", why, d->addr);
	return 0;
}

/*
 * Puts a stashed function back at @path (its old place when NULL), in @group:
 * -2 the group of its mates (or a new one when none is back), -1 a new one.
 */
static int restore(struct kctx *k, const char *name, const char *path, int group, struct kdev *d)
{
	char rel[PATH_MAX], target[PATH_MAX], parent[PATH_MAX], addr[32], *save = NULL;
	struct meta m;
	int r;

	snprintf(addr, sizeof(addr), "%s", name); /* @name and @path may be @d's own */
	if ((r = read_meta(k, addr, &m)) < 0)
		return r;
	snprintf(parent, sizeof(parent), "%s", path ? path : m.path);
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	snprintf(d->path, sizeof(d->path), "%s", parent);
	snprintf(parent, sizeof(parent), "%s", d->path);
	*strrchr(parent, '/') = '\0';
	if (!k_exists(k, parent))
		return -ENOENT; /* its bridge is still removed */
	snprintf(rel, sizeof(rel), ".vfr-mock/stash/%s/dir", addr);
	if ((r = k_rename(k, rel, d->path)) < 0)
		return r;
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", addr);
	snprintf(target, sizeof(target), "../../../%s", d->path + 4);
	k_link(k, rel, target);
	/*
	 * A rescanned function rejoins its mates' group. Its old number may be
	 * gone, freed with it and taken since (by a VF): then, as a VF always,
	 * it gets the lowest free number.
	 */
	if (group == -2)
		group = rejoin_group(k, &m);
	else if (group == -1)
		group = lowest_free_group(k);
	if (group >= 0)
		group_add_member(k, d, group);
	for (char *line = strtok_r(m.classlinks, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *space = strchr(line, ' ');

		if (!space)
			continue;
		*space = '\0';
		snprintf(rel, sizeof(rel), "sys/class/pci_bus/%s", line);
		k_link(k, rel, space + 1);
	}
	/* A new struct pci_dev: no override, no driver. */
	k_attr_put(k, d, "driver_override", "(null)\n");
	snprintf(rel, sizeof(rel), ".vfr-mock/stash/%s", addr);
	k_rmtree(k, rel);
	journal(k->r, "add %s", addr);
	return 0;
}

int k_rescan(struct kctx *k, const char *scope)
{
	char **names, **found;
	size_t n, nf = 0;

	names = k_names(k, ".vfr-mock/stash", &n);
	found = calloc(n + 1, sizeof(*found));
	for (size_t i = 0; found && i < n; i++) {
		struct meta m;
		char *entry;

		/* VFs come back through sriov_numvfs, not through a bus scan. */
		if (read_meta(k, names[i], &m) < 0 || m.physfn[0])
			continue;
		if (scope && !(has_prefix(m.path, scope) && strcmp(m.path, scope) != 0))
			continue;
		if (asprintf(&entry, "%s %s", m.path, names[i]) >= 0)
			found[nf++] = entry;
	}
	k_names_free(names);
	if (!found)
		return -ENOMEM;
	qsort(found, nf, sizeof(*found), by_depth);
	for (size_t i = 0; i < nf; i++) {
		struct kdev d;

		if (restore(k, strchr(found[i], ' ') + 1, NULL, -2, &d) == 0)
			k_probe(k, &d);
	}
	journal(k->r, "rescan %s", scope ? scope : "all");
	k_names_free(found);
	return 0;
}

/* NumVFs and VF Enable/VF MSE in the PF's SR-IOV capability. */
static void sriov_config(struct kctx *k, const struct kdev *pf, unsigned int numvfs)
{
	unsigned char cfg[4096];
	char rel[PATH_MAX];
	unsigned int pos = 0x100;
	int fd;
	ssize_t len;

	snprintf(rel, sizeof(rel), "%s/config", pf->path);
	fd = openat(k->root, rel, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	len = pread(fd, cfg, sizeof(cfg), 0);
	for (int hops = 0; len == 4096 && pos >= 0x100 && pos < 4096 - 0x20 && hops < 64; hops++) {
		unsigned int hdr = cfg[pos] | cfg[pos + 1] << 8 | cfg[pos + 2] << 16 |
				   (unsigned int)cfg[pos + 3] << 24;

		if ((hdr & 0xffff) == 0x10) {
			unsigned char ctrl = cfg[pos + 8];

			ctrl = numvfs ? ctrl | 0x09 : ctrl & ~0x09;
			if (pwrite(fd, &ctrl, 1, pos + 8) < 0)
				break;
			cfg[pos + 0x10] = (unsigned char)numvfs;
			cfg[pos + 0x11] = (unsigned char)(numvfs >> 8);
			if (pwrite(fd, cfg + pos + 0x10, 2, pos + 0x10) < 0)
				break;
			break;
		}
		pos = hdr >> 20;
	}
	close(fd);
}

int k_sriov_disable(struct kctx *k, const struct kdev *pf)
{
	char text[64], rel[PATH_MAX], target[PATH_MAX];
	long cur;

	if (k_attr(k, pf, "sriov_numvfs", text, sizeof(text)) < 0 || (cur = atol(text)) <= 0)
		return 0;
	for (long i = 0; i < cur; i++) {
		struct kdev vf;

		snprintf(rel, sizeof(rel), "%s/virtfn%ld", pf->path, i);
		if (k_readlink(k, rel, target, sizeof(target)) > 0 &&
		    strncmp(target, "../", 3) == 0 && k_find_dev(k, target + 3, &vf) == 0)
			k_remove(k, &vf, "remove");
	}
	k_attr_put(k, pf, "sriov_numvfs", "0\n");
	sriov_config(k, pf, 0);
	journal(k->r, "sriov_numvfs %s 0", pf->addr);
	return 0;
}

static bool has_behaviour(struct kctx *k, const char *addr)
{
	char line[64];
	size_t len = (size_t)snprintf(line, sizeof(line), "%s ", addr);
	int fd = openat(k->root, ".vfr-mock/devices", O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char buf[4096];
	bool found = false;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && fgets(buf, sizeof(buf), f))
		found = strncmp(buf, line, len) == 0;
	fclose(f);
	return found;
}

/* A VF nobody enabled before: the PF's template, with this VF's slot name and BAR. */
static int vf_from_template(struct kctx *k, const struct kdev *pf, const struct kdev *vf,
			    unsigned int index)
{
	char tpl[PATH_MAX], meta[2048], text[4096], out[4200], rel[PATH_MAX], *save = NULL;
	unsigned long long bar0 = 0, size = 0x4000;
	char *behaviour;
	size_t n = 0;
	int r;

	snprintf(tpl, sizeof(tpl), ".vfr-mock/sriov/%s/template", pf->addr);
	if (!k_exists(k, tpl))
		return -EIO;
	if ((r = k_copytree(k, tpl, vf->path)) < 0)
		return r;
	if (k_readf(k, meta, sizeof(meta), ".vfr-mock/sriov/%s/meta", pf->addr) >= 0) {
		char *p;

		if ((p = strstr(meta, "bar0 ")))
			bar0 = strtoull(p + 5, NULL, 0);
		if ((p = strstr(meta, "bar_size ")))
			size = strtoull(p + 9, NULL, 0);
		/* Its reset behaviour, unless an earlier life of this VF left one. */
		if ((behaviour = strstr(meta, "behaviour ")) && !has_behaviour(k, vf->addr)) {
			behaviour[strcspn(behaviour, "\n")] = '\0';
			snprintf(out, sizeof(out), "%s%s\n", vf->addr, behaviour + 9);
			k_append(k, ".vfr-mock/devices", out);
		}
	}
	if (k_attr(k, vf, "uevent", text, sizeof(text)) >= 0) {
		for (char *line = strtok_r(text, "\n", &save); line && n < sizeof(out);
		     line = strtok_r(NULL, "\n", &save)) {
			bool slot = strncmp(line, "PCI_SLOT_NAME=", 14) == 0;

			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s\n",
					      slot ? "PCI_SLOT_NAME=" : line, slot ? vf->addr : "");
		}
		k_attr_put(k, vf, "uevent", out);
	}
	if (bar0 && k_attr(k, vf, "resource", text, sizeof(text)) >= 0) {
		unsigned long long start = bar0 + index * size;
		char *rest = strchr(text, '\n');

		snprintf(out, sizeof(out), "0x%016llx 0x%016llx 0x%016llx\n%s%s", start,
			 start + size - 1, 0x140204ULL, rest ? rest + 1 : "", rest ? "\n" : "");
		snprintf(rel, sizeof(rel), "%s/resource", vf->path);
		k_put(k, rel, 0444, out);
	}
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", vf->addr);
	snprintf(text, sizeof(text), "../../../%s", vf->path + 4);
	k_link(k, rel, text);
	group_add_member(k, vf, lowest_free_group(k));
	journal(k->r, "add %s", vf->addr);
	return 0;
}

/* vfio-pci's enable_sriov module parameter (0644, off by default). */
static bool vfio_pci_enable_sriov(struct kctx *k)
{
	char text[16];

	return k_read(k, "sys/module/vfio_pci/parameters/enable_sriov", text, sizeof(text)) >= 0 &&
	       (text[0] == 'Y' || text[0] == 'y' || text[0] == '1');
}

static int sriov_enable(struct kctx *k, const struct kdev *pf, const char *pf_drv,
			unsigned int numvfs)
{
	char text[64], parent[PATH_MAX], rel[PATH_MAX], target[PATH_MAX], autoprobe[16];
	unsigned int domain, bus, slot, fn, offset, stride;
	int r;

	if (sscanf(pf->addr, "%x:%x:%x.%u", &domain, &bus, &slot, &fn) != 4 ||
	    k_attr(k, pf, "sriov_offset", text, sizeof(text)) < 0)
		return -EIO;
	offset = (unsigned int)atoi(text);
	if (k_attr(k, pf, "sriov_stride", text, sizeof(text)) < 0)
		return -EIO;
	stride = (unsigned int)atoi(text);
	snprintf(parent, sizeof(parent), "%s", pf->path);
	*strrchr(parent, '/') = '\0';
	for (unsigned int i = 0; i < numvfs; i++) {
		unsigned int rid = (bus << 8 | slot << 3 | fn) + offset + i * stride;
		struct kdev vf;
		char stash[PATH_MAX];

		if (rid > 0xffff)
			return -EIO;
		snprintf(vf.addr, sizeof(vf.addr), "%04x:%02x:%02x.%u", domain, rid >> 8,
			 (rid >> 3) & 0x1f, rid & 7);
		snprintf(vf.path, sizeof(vf.path), "%s/%s", parent, vf.addr);
		snprintf(stash, sizeof(stash), ".vfr-mock/stash/%s/meta", vf.addr);
		r = k_exists(k, stash) ? restore(k, vf.addr, vf.path, -1, &vf)
				       : vf_from_template(k, pf, &vf, i);
		if (r < 0)
			return r;
		snprintf(rel, sizeof(rel), "%s/virtfn%u", pf->path, i);
		snprintf(target, sizeof(target), "../%s", vf.addr);
		k_link(k, rel, target);
		/* vfio_pci_bus_notifier(): a new VF of a vfio-pci PF is vfio-pci's, never its host driver's. */
		if (strcmp(pf_drv, "vfio-pci") == 0)
			k_attr_put(k, &vf, "driver_override", "vfio-pci\n");
		/* sriov_drivers_autoprobe: VFs bind as they appear. */
		if (k_attr(k, pf, "sriov_drivers_autoprobe", autoprobe, sizeof(autoprobe)) < 0 ||
		    strcmp(autoprobe, "0") != 0)
			k_probe(k, &vf);
	}
	return 0;
}

int k_sriov_numvfs(struct kctx *k, const struct kdev *pf, const char *buf, size_t len)
{
	char text[64], drv[256];
	unsigned long n;
	long cur, total;
	int r;

	/* sriov_numvfs_store(), in its order of checks. */
	if (k_strtoul(buf, len, &n) < 0 || n > 0xffff)
		return -EINVAL;
	if (k_attr(k, pf, "sriov_totalvfs", text, sizeof(text)) < 0)
		return -EIO;
	total = atol(text);
	if ((long)n > total)
		return -ERANGE;
	cur = k_attr(k, pf, "sriov_numvfs", text, sizeof(text)) < 0 ? 0 : atol(text);
	if ((long)n == cur)
		return 0;
	if (!k_driver_of(k, pf, drv, sizeof(drv)))
		return -ENOENT; /* "no driver bound to device; cannot configure SR-IOV" */
	/*
	 * "driver does not support SR-IOV configuration via sysfs": pci-stub
	 * has no sriov_configure, and vfio-pci's answers ENOENT (to 0 as well)
	 * unless its enable_sriov parameter is set, which it is not by default.
	 */
	if (strcmp(drv, "pci-stub") == 0 || (strcmp(drv, "vfio-pci") == 0 && !vfio_pci_enable_sriov(k)))
		return -ENOENT;
	if (n == 0)
		return k_sriov_disable(k, pf);
	if (cur != 0)
		return -EBUSY; /* "%d VFs already enabled. Disable before enabling %d VFs" */
	r = sriov_enable(k, pf, drv, (unsigned int)n);
	snprintf(text, sizeof(text), "%lu\n", r < 0 ? 0 : n);
	k_attr_put(k, pf, "sriov_numvfs", text);
	sriov_config(k, pf, r < 0 ? 0 : (unsigned int)n);
	journal(k->r, "sriov_numvfs %s %lu%s", pf->addr, n, r < 0 ? " failed" : "");
	return r;
}
