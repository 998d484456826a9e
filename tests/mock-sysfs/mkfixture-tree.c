/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the model as the kernel lays out sysfs: device directories nested
 * like the hierarchy, relative symlinks with as many "../" as the real ones
 * (so code that resolves them by hand is tested too), attribute text with
 * the kernel's formats and file modes (under a 022 umask), and /dev/vfio.
 * Everything is written relative to directory descriptors with one system
 * call per empty file and three per other file: what remains is the file
 * system's cost of some 35 entries per function.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkfixture.h"

/* The vfio-dev class gets a dynamic major; this is a typical one. */
#define VFIO_DEV_MAJOR 511

struct writer {
	const struct fixture *fx;
	const char *outdir;
	int outfd;
	GError *err; /* sticky: after the first failure every step is skipped */
};

static void failed(struct writer *w, const char *where, const char *name,
		   const char *what)
{
	int e = errno;

	if (!w->err)
		g_set_error(&w->err, FX_ERROR, FX_ERROR_IO, "cannot %s %s%s%s%s%s: %s",
			    what, w->outdir, *where ? "/" : "", where, name ? "/" : "",
			    name ? name : "", g_strerror(e));
}

/* @name relative to @dfd; an existing directory is fine (shared parents). */
static void make_dir(struct writer *w, int dfd, const char *where, const char *name)
{
	if (w->err)
		return;
	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		failed(w, where, name, "create directory");
}

static int open_dir(struct writer *w, const char *path)
{
	int fd;

	if (w->err)
		return -1;
	fd = openat(w->outfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		failed(w, path, NULL, "open");
	return fd;
}

static void put(struct writer *w, int dfd, const char *where, const char *name,
		mode_t mode, const void *data, size_t len)
{
	const char *p = data;
	int fd;

	if (w->err)
		return;
	/* Empty files (write-only attributes) in one system call instead of two. */
	if (len == 0) {
		if (mknodat(dfd, name, S_IFREG | mode, 0) < 0)
			failed(w, where, name, "create");
		return;
	}
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    mode);
	if (fd < 0) {
		failed(w, where, name, "create");
		return;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			failed(w, where, name, "write");
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		failed(w, where, name, "write");
}

static void putf(struct writer *w, int dfd, const char *where, const char *name,
		 mode_t mode, const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static void putf(struct writer *w, int dfd, const char *where, const char *name,
		 mode_t mode, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(w, dfd, where, name, mode, buf, (size_t)MIN(n, (int)sizeof(buf) - 1));
}

static void link_at(struct writer *w, int dfd, const char *where, const char *name,
		    const char *target)
{
	if (w->err)
		return;
	if (symlinkat(target, dfd, name) < 0)
		failed(w, where, name, "create symlink");
}

/* Writes attribute @a of @d unless the description says it is missing. */
static void attr(struct writer *w, int dfd, const struct fx_dev *d, enum fx_attr a,
		 mode_t mode, const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static void attr(struct writer *w, int dfd, const struct fx_dev *d, enum fx_attr a,
		 mode_t mode, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (d->missing & (UINT64_C(1) << a))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(w, dfd, d->path, fx_attr_names[a], mode, buf,
	    (size_t)MIN(n, (int)sizeof(buf) - 1));
}

static char *ups(unsigned int depth)
{
	char *s = g_malloc(3 * depth + 1);

	for (unsigned int i = 0; i < depth; i++)
		memcpy(s + 3 * i, "../", 3);
	s[3 * depth] = '\0';
	return s;
}

/* The kernel's resource file: BARs 0-5, ROM, 6 SR-IOV BARs, and on bridges 4 windows. */
static void write_resource(struct writer *w, int dfd, const struct fx_dev *d)
{
	GString *s = g_string_sized_new(1024);
	unsigned int lines = fx_kinds[d->kind].bridge ? 17 : 13;
	uint64_t bar = fx_bar0_address(d);

	for (unsigned int i = 0; i < lines; i++) {
		uint64_t start = 0, end = 0, flags = 0;

		/* IORESOURCE_MEM | MEM_64 | SIZEALIGN, with the BAR's low bits (0x4). */
		if (i == 0 && bar) {
			start = bar;
			end = bar + FX_BAR_SIZE - 1;
			flags = 0x140204;
		} else if (i == 7 && (d->caps & CAP_SRIOV)) {
			start = fx_vf_bar0_base(d);
			end = start + (uint64_t)d->total_vfs * FX_BAR_SIZE - 1;
			flags = 0x140204;
		}
		g_string_append_printf(s,
				       "0x%016" G_GINT64_MODIFIER
				       "x 0x%016" G_GINT64_MODIFIER
				       "x 0x%016" G_GINT64_MODIFIER "x\n",
				       start, end, flags);
	}
	if (!(d->missing & (UINT64_C(1) << ATTR_RESOURCE)))
		put(w, dfd, d->path, "resource", 0444, s->str, s->len);
	g_string_free(s, TRUE);
}

static void write_ids(struct writer *w, int dfd, const struct fx_dev *d)
{
	char modalias[128];

	attr(w, dfd, d, ATTR_VENDOR, 0444, "0x%04x\n", d->vendor);
	attr(w, dfd, d, ATTR_DEVICE, 0444, "0x%04x\n", d->device);
	attr(w, dfd, d, ATTR_SUBSYSTEM_VENDOR, 0444, "0x%04x\n", d->subvendor);
	attr(w, dfd, d, ATTR_SUBSYSTEM_DEVICE, 0444, "0x%04x\n", d->subdevice);
	attr(w, dfd, d, ATTR_CLASS, 0444, "0x%06x\n", d->class);
	attr(w, dfd, d, ATTR_REVISION, 0444, "0x%02x\n", d->revision);
	/* drivers/pci/pci-sysfs.c and pci-driver.c spell these in upper case. */
	snprintf(modalias, sizeof(modalias),
		 "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor, d->device,
		 d->subvendor, d->subdevice, d->class >> 16, (d->class >> 8) & 0xff,
		 d->class & 0xff);
	attr(w, dfd, d, ATTR_MODALIAS, 0444, "%s\n", modalias);
	attr(w, dfd, d, ATTR_UEVENT, 0644,
	     "%s%s%sPCI_CLASS=%04X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
	     "PCI_SLOT_NAME=%s\nMODALIAS=%s\n",
	     d->driver ? "DRIVER=" : "", d->driver ? d->driver : "",
	     d->driver ? "\n" : "", d->class, d->vendor, d->device, d->subvendor,
	     d->subdevice, d->addr, modalias);
}

/*
 * What an escaping= link points at: ten "../" and tmp/x, or more when the
 * function is so deep that ten would stay inside OUTDIR.
 */
static char *escaping_target(const struct fx_dev *d)
{
	g_autofree char *climb = ups(MAX(10u, d->depth + 2));

	return g_strconcat(climb, "tmp/x", NULL);
}

static void write_links(struct writer *w, int dfd, const struct fx_dev *d, const char *up)
{
	g_autofree char *escaping = d->escaping ? escaping_target(d) : NULL;
	g_autofree char *target = NULL;

	target = g_strconcat(up, "bus/pci", NULL);
	link_at(w, dfd, d->path, "subsystem", target);
	g_free(g_steal_pointer(&target));
	if (d->escaping & LINK_DRIVER)
		link_at(w, dfd, d->path, "driver", escaping);
	else if (d->driver) {
		target = g_strconcat(up, "bus/pci/drivers/", d->driver, NULL);
		link_at(w, dfd, d->path, "driver", target);
		g_free(g_steal_pointer(&target));
	}
	if (d->escaping & LINK_IOMMU_GROUP) {
		link_at(w, dfd, d->path, "iommu_group", escaping);
	} else if (d->iommu_group >= 0) {
		target = g_strdup_printf("%skernel/iommu_groups/%d", up, d->iommu_group);
		link_at(w, dfd, d->path, "iommu_group", target);
		g_free(g_steal_pointer(&target));
	}
	if (d->escaping & LINK_PHYSFN) {
		link_at(w, dfd, d->path, "physfn", escaping);
	} else if (d->is_vf) {
		/* Beside the VF, where the PF is (or, for a dangling link, is not). */
		target = g_strconcat("../", d->physfn_addr, NULL);
		link_at(w, dfd, d->path, "physfn", target);
		g_free(g_steal_pointer(&target));
	}
	for (unsigned int k = 0; d->vfs && k < d->vfs->len; k++) {
		const struct fx_dev *vf = d->vfs->pdata[k];
		char name[32];

		snprintf(name, sizeof(name), "virtfn%u", k);
		target = g_strconcat("../", vf->addr, NULL);
		link_at(w, dfd, d->path, name, target);
		g_free(g_steal_pointer(&target));
	}
}

static void write_sriov(struct writer *w, int dfd, const struct fx_dev *d)
{
	attr(w, dfd, d, ATTR_SRIOV_NUMVFS, 0644, "%u\n", d->vfs ? d->vfs->len : 0);
	attr(w, dfd, d, ATTR_SRIOV_TOTALVFS, 0444, "%d\n", d->total_vfs);
	attr(w, dfd, d, ATTR_SRIOV_OFFSET, 0444, "%u\n", d->vf_offset);
	attr(w, dfd, d, ATTR_SRIOV_STRIDE, 0444, "%u\n", d->vf_stride);
	attr(w, dfd, d, ATTR_SRIOV_VF_DEVICE, 0444, "%x\n", d->vf_device);
	attr(w, dfd, d, ATTR_SRIOV_DRIVERS_AUTOPROBE, 0644, "1\n");
}

/* pci_bus/DDDD:BB, the class device of the bus below a bridge or of a root bus. */
static void write_pci_bus(struct writer *w, int dfd, const char *where, const char *bus)
{
	g_autofree char *sub = g_strconcat("pci_bus/", bus, NULL);
	g_autofree char *subpath = g_strconcat(where, "/", sub, NULL);
	int bfd;

	make_dir(w, dfd, where, "pci_bus");
	make_dir(w, dfd, where, sub);
	if ((bfd = open_dir(w, subpath)) < 0)
		return;
	putf(w, bfd, subpath, "cpulistaffinity", 0444, "%s\n", w->fx->cpulist);
	put(w, bfd, subpath, "rescan", 0200, NULL, 0);
	close(bfd);
}

static void write_device(struct writer *w, const struct fx_dev *d)
{
	const struct fixture *fx = w->fx;
	g_autofree char *up = ups(d->depth);
	uint8_t cfg[4096];
	size_t len;
	int dfd;

	if ((dfd = open_dir(w, d->path)) < 0)
		return;
	len = fx_config_build(d, cfg);
	if (!(d->missing & (UINT64_C(1) << ATTR_CONFIG)))
		put(w, dfd, d->path, "config", 0644, cfg, len);
	write_ids(w, dfd, d);
	attr(w, dfd, d, ATTR_NUMA_NODE, 0644, "%d\n", d->numa_node);
	attr(w, dfd, d, ATTR_DRIVER_OVERRIDE, 0644, "%s\n",
	     d->driver_override ? d->driver_override : "(null)");
	if (fx->power_state)
		attr(w, dfd, d, ATTR_POWER_STATE, 0444, "%s\n", d->power_state);
	attr(w, dfd, d, ATTR_ENABLE, 0644, "%d\n", d->driver || fx_kinds[d->kind].bridge);
	attr(w, dfd, d, ATTR_IRQ, 0444, "%u\n", fx_irq(d));
	attr(w, dfd, d, ATTR_LOCAL_CPULIST, 0444, "%s\n", fx->cpulist);
	write_resource(w, dfd, d);
	if (d->reset_method) {
		/* The kernel prints nothing, not even a newline, for an empty list. */
		attr(w, dfd, d, ATTR_RESET, 0200, "%s", "");
		/* Before 5.15 the kernel had `reset` and kept its list to itself. */
		if (fx->reset_method)
			attr(w, dfd, d, ATTR_RESET_METHOD, 0644, "%s%s", d->reset_method,
			     *d->reset_method ? "\n" : "");
	}
	attr(w, dfd, d, ATTR_REMOVE, 0200, "%s", "");
	attr(w, dfd, d, ATTR_RESCAN, 0200, "%s", "");
	if (d->caps & CAP_SRIOV)
		write_sriov(w, dfd, d);
	write_links(w, dfd, d, up);
	if (d->has_vfio_dev) {
		char sub[64];

		make_dir(w, dfd, d->path, "vfio-dev");
		snprintf(sub, sizeof(sub), "vfio-dev/vfio%d", d->vfio_index);
		make_dir(w, dfd, d->path, sub);
		snprintf(sub, sizeof(sub), "vfio-dev/vfio%d/dev", d->vfio_index);
		putf(w, dfd, d->path, sub, 0444, "%d:%d\n", VFIO_DEV_MAJOR,
		     d->vfio_index);
	}
	if (d->net) {
		g_auto(GStrv) names = g_strsplit(d->net, ",", -1);

		make_dir(w, dfd, d->path, "net");
		for (char **n = names; *n; n++) {
			g_autofree char *sub = g_strconcat("net/", *n, NULL);

			make_dir(w, dfd, d->path, sub);
		}
	}
	if (fx_kinds[d->kind].bridge) {
		char bus[24];

		snprintf(bus, sizeof(bus), "%04x:%02x", d->domain, d->secondary);
		write_pci_bus(w, dfd, d->path, bus);
	}
	close(dfd);
}

static int depth_cmp(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int dx = 0, dy = 0;

	for (const char *c = x; *c; c++)
		dx += *c == '/';
	for (const char *c = y; *c; c++)
		dy += *c == '/';
	return dx != dy ? dx - dy : strcmp(x, y);
}

/* Every device and root-bus directory, parents first. */
static void write_dirs(struct writer *w)
{
	const struct fixture *fx = w->fx;
	g_autoptr(GPtrArray) paths =
		g_ptr_array_sized_new(fx->devs->len + fx->rootbuses->len);

	for (size_t i = 0; i < fx->devs->len; i++)
		g_ptr_array_add(paths, ((struct fx_dev *)fx->devs->pdata[i])->path);
	for (size_t i = 0; i < fx->rootbuses->len; i++)
		g_ptr_array_add(paths,
				((struct fx_rootbus *)fx->rootbuses->pdata[i])->path);
	g_ptr_array_sort(paths, depth_cmp);
	for (size_t i = 0; i < paths->len; i++)
		make_dir(w, w->outfd, "", paths->pdata[i]);
}

static void write_class_links(struct writer *w)
{
	const struct fixture *fx = w->fx;
	int cfd = open_dir(w, "sys/class/pci_bus");

	if (cfd < 0)
		return;
	for (size_t i = 0; i < fx->rootbuses->len; i++) {
		const struct fx_rootbus *rb = fx->rootbuses->pdata[i];
		g_autofree char *target =
			g_strconcat("../../", rb->path + 4, "/pci_bus/", rb->name, NULL);
		int rfd = open_dir(w, rb->path);

		if (rfd >= 0) {
			put(w, rfd, rb->path, "uevent", 0644, NULL, 0);
			write_pci_bus(w, rfd, rb->path, rb->name);
			close(rfd);
		}
		link_at(w, cfd, "sys/class/pci_bus", rb->name, target);
	}
	for (size_t i = 0; i < fx->devs->len; i++) {
		const struct fx_dev *d = fx->devs->pdata[i];
		g_autofree char *target = NULL;
		char bus[24];

		if (!fx_kinds[d->kind].bridge)
			continue;
		snprintf(bus, sizeof(bus), "%04x:%02x", d->domain, d->secondary);
		target = g_strconcat("../../", d->path + 4, "/pci_bus/", bus, NULL);
		link_at(w, cfd, "sys/class/pci_bus", bus, target);
	}
	close(cfd);

	/* Linux >= 6.1 registers the vfio-dev class when vfio loads: a link per vfio-dev/vfioN. */
	if (!fx->vfio_dev || !fx->any_vfio)
		return;
	make_dir(w, w->outfd, "", "sys/class/vfio-dev");
	if ((cfd = open_dir(w, "sys/class/vfio-dev")) < 0)
		return;
	for (size_t i = 0; i < fx->devs->len; i++) {
		const struct fx_dev *d = fx->devs->pdata[i];
		g_autofree char *target = NULL;
		char name[32];

		if (!d->has_vfio_dev)
			continue;
		snprintf(name, sizeof(name), "vfio%d", d->vfio_index);
		target = g_strconcat("../../", d->path + 4, "/vfio-dev/", name, NULL);
		link_at(w, cfd, "sys/class/vfio-dev", name, target);
	}
	close(cfd);
}

static void write_bus(struct writer *w)
{
	const struct fixture *fx = w->fx;
	int bfd = open_dir(w, "sys/bus/pci"), dfd = open_dir(w, "sys/bus/pci/devices");

	if (bfd < 0 || dfd < 0)
		goto out;
	put(w, bfd, "sys/bus/pci", "drivers_probe", 0200, NULL, 0);
	put(w, bfd, "sys/bus/pci", "rescan", 0200, NULL, 0);
	put(w, bfd, "sys/bus/pci", "uevent", 0200, NULL, 0);
	putf(w, bfd, "sys/bus/pci", "drivers_autoprobe", 0644, "1\n");
	put(w, bfd, "sys/bus/pci", "resource_alignment", 0644, NULL, 0);
	for (size_t i = 0; i < fx->devs->len; i++) {
		const struct fx_dev *d = fx->devs->pdata[i];
		g_autofree char *target = g_strconcat("../../../", d->path + 4, NULL);

		link_at(w, dfd, "sys/bus/pci/devices", d->addr, target);
	}
out:
	if (bfd >= 0)
		close(bfd);
	if (dfd >= 0)
		close(dfd);
}

static void write_driver(struct writer *w, const struct fx_driver *drv)
{
	g_autofree char *where = g_strconcat("sys/bus/pci/drivers/", drv->name, NULL);
	static const char *const files[] = { "bind", "unbind", "new_id", "remove_id",
					     "uevent" };
	int dfd;

	make_dir(w, w->outfd, "", where);
	if ((dfd = open_dir(w, where)) < 0)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(files); i++)
		put(w, dfd, where, files[i], 0200, NULL, 0);
	for (size_t i = 0; i < drv->devs->len; i++) {
		const struct fx_dev *d = drv->devs->pdata[i];
		g_autofree char *target = g_strconcat("../../../../", d->path + 4, NULL);

		link_at(w, dfd, where, d->addr, target);
	}
	if (drv->module) {
		g_autofree char *target =
			g_strconcat("../../../../module/", drv->module, NULL);
		g_autofree char *mod = g_strconcat("sys/module/", drv->module, NULL);
		g_autofree char *mdrv = g_strconcat(mod, "/drivers", NULL);
		g_autofree char *name = g_strconcat("pci:", drv->name, NULL);
		g_autofree char *back =
			g_strconcat("../../../bus/pci/drivers/", drv->name, NULL);
		int mfd;

		link_at(w, dfd, where, "module", target);
		make_dir(w, w->outfd, "", mod);
		make_dir(w, w->outfd, "", mdrv);

		if ((mfd = open_dir(w, mdrv)) >= 0) {
			link_at(w, mfd, mdrv, name, back);
			close(mfd);
		}
	}
	/*
	 * vfio_pci's enable_sriov, built in or not (a built-in's parameters
	 * are under /sys/module too). Off by default: vfio-pci then refuses
	 * sriov_numvfs (ENOENT).
	 */
	if (strcmp(drv->name, "vfio-pci") == 0) {
		int pfd;

		make_dir(w, w->outfd, "", "sys/module/vfio_pci");
		make_dir(w, w->outfd, "", "sys/module/vfio_pci/parameters");
		if ((pfd = open_dir(w, "sys/module/vfio_pci/parameters")) >= 0) {
			put(w, pfd, "sys/module/vfio_pci/parameters", "enable_sriov", 0644, "N\n", 2);
			close(pfd);
		}
	}
	close(dfd);
}

static void write_group(struct writer *w, const struct fx_group *g)
{
	g_autofree char *where = g_strdup_printf("sys/kernel/iommu_groups/%d", g->number);
	g_autofree char *devs = g_strconcat(where, "/devices", NULL);
	int gfd, dfd;

	make_dir(w, w->outfd, "", where);
	make_dir(w, w->outfd, "", devs);
	if ((gfd = open_dir(w, where)) < 0)
		return;
	putf(w, gfd, where, "type", 0444, "DMA\n");
	/* The x86 MSI window every group reserves. */
	putf(w, gfd, where, "reserved_regions", 0444,
	     "0x00000000fee00000 0x00000000feefffff msi\n");
	close(gfd);
	if ((dfd = open_dir(w, devs)) < 0)
		return;
	for (size_t i = 0; i < g->devs->len; i++) {
		const struct fx_dev *d = g->devs->pdata[i];
		g_autofree char *target = g_strconcat("../../../../", d->path + 4, NULL);

		link_at(w, dfd, devs, d->addr, target);
	}
	close(dfd);
}

/* Plain empty files: the mock harness gives them behaviour. */
static void write_dev(struct writer *w)
{
	const struct fixture *fx = w->fx;
	bool cdevs = false;
	int vfd;

	for (size_t i = 0; fx->vfio_cdev && i < fx->devs->len; i++)
		cdevs |= ((struct fx_dev *)fx->devs->pdata[i])->has_vfio_dev;
	if (fx->vfio_cdev)
		put(w, w->outfd, "", "dev/iommu", 0666, NULL, 0);
	if (!fx->any_vfio && !cdevs)
		return;
	make_dir(w, w->outfd, "", "dev/vfio");
	if ((vfd = open_dir(w, "dev/vfio")) < 0)
		return;
	if (fx->any_vfio)
		put(w, vfd, "dev/vfio", "vfio", 0666, NULL, 0);
	for (size_t i = 0; i < fx->groups->len; i++) {
		const struct fx_group *g = fx->groups->pdata[i];
		char name[16];

		if (!g->needed || !g->vfio)
			continue;
		snprintf(name, sizeof(name), "%d", g->number);
		put(w, vfd, "dev/vfio", name, 0600, NULL, 0);
	}
	if (cdevs) {
		make_dir(w, vfd, "dev/vfio", "devices");
		for (size_t i = 0; i < fx->devs->len; i++) {
			const struct fx_dev *d = fx->devs->pdata[i];
			char name[32];

			if (!d->has_vfio_dev)
				continue;
			snprintf(name, sizeof(name), "devices/vfio%d", d->vfio_index);
			put(w, vfd, "dev/vfio", name, 0600, NULL, 0);
		}
	}
	close(vfd);
}

/*
 * For the mock harness: the VF each SR-IOV PF shows when VFs are enabled at
 * run time, as a function directory below .vfr-mock/sriov/PF/template. Its
 * links have the "../" count of the place where VFs appear, beside the PF.
 */
static void write_vf_templates(struct writer *w)
{
	const struct fixture *fx = w->fx;

	for (size_t i = 0; i < fx->devs->len && !w->err; i++) {
		const struct fx_dev *pf = fx->devs->pdata[i];
		struct fx_dev *t = fx_vf_template(pf);
		g_autofree char *sub = NULL;

		if (!t)
			continue;
		sub = g_strconcat(".vfr-mock/sriov/", pf->addr, NULL);
		t->path = g_strconcat(sub, "/template", NULL);
		make_dir(w, w->outfd, "", ".vfr-mock");
		make_dir(w, w->outfd, "", ".vfr-mock/sriov");
		make_dir(w, w->outfd, "", sub);
		make_dir(w, w->outfd, "", t->path);
		write_device(w, t);
		fx_dev_free(t);
	}
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* OUTDIR must be new or empty; --force replaces only what this program writes. */
static bool prepare_outdir(struct writer *w, bool force)
{
	static const char *const ours[] = { "sys", "dev", "run", ".vfr-mock" };
	g_autoptr(GError) err = NULL;
	g_autoptr(GDir) dir = NULL;

	if (g_mkdir_with_parents(w->outdir, 0755) < 0) {
		failed(w, "", NULL, "create directory");
		return false;
	}
	if (!(dir = g_dir_open(w->outdir, 0, &err))) {
		g_set_error(&w->err, FX_ERROR, FX_ERROR_IO, "%s", err->message);
		return false;
	}
	if (g_dir_read_name(dir) && !force) {
		g_set_error(
			&w->err, FX_ERROR, FX_ERROR_DESC,
			"%s exists and is not empty (--force replaces its sys, dev, run and .vfr-mock)",
			w->outdir);
		return false;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(ours); i++) {
		g_autofree char *path = g_build_filename(w->outdir, ours[i], NULL);

		if (g_file_test(path, G_FILE_TEST_EXISTS) &&
		    nftw(path, remove_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0) {
			failed(w, ours[i], NULL, "remove");
			return false;
		}
	}
	w->outfd = open(w->outdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->outfd < 0) {
		failed(w, "", NULL, "open");
		return false;
	}
	return true;
}

bool fixture_write(const struct fixture *fx, const char *outdir, bool force,
		   GError **error)
{
	static const char *const skeleton[] = {
		"sys",
		"sys/devices",
		"sys/bus",
		"sys/bus/pci",
		"sys/bus/pci/devices",
		"sys/bus/pci/drivers",
		"sys/bus/pci/slots",
		"sys/kernel",
		"sys/kernel/iommu_groups",
		"sys/module",
		"sys/class",
		"sys/class/pci_bus",
		"dev",
		/* /run exists on every host: programs keep their records there (vfioreset's bindings). */
		"run",
	};
	struct writer w = { .fx = fx, .outdir = outdir, .outfd = -1 };

	if (prepare_outdir(&w, force)) {
		for (size_t i = 0; i < G_N_ELEMENTS(skeleton); i++)
			make_dir(&w, w.outfd, "", skeleton[i]);
		write_dirs(&w);
		for (size_t i = 0; i < fx->devs->len; i++)
			write_device(&w, fx->devs->pdata[i]);
		write_class_links(&w);
		write_bus(&w);
		for (size_t i = 0; i < fx->drivers->len; i++) {
			const struct fx_driver *drv = fx->drivers->pdata[i];

			if (drv->needed)
				write_driver(&w, drv);
		}
		for (size_t i = 0; i < fx->groups->len; i++) {
			const struct fx_group *g = fx->groups->pdata[i];

			if (g->needed)
				write_group(&w, g);
		}
		write_dev(&w);
		write_vf_templates(&w);
		if (!w.err)
			fx_mock_write_state(fx, outdir, &w.err);
	}
	if (w.outfd >= 0)
		close(w.outfd);
	if (w.err) {
		g_propagate_error(error, w.err);
		return false;
	}
	return true;
}
