/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpci glue: the only file that includes <pci/pci.h>. libpci reads the
 * `config` attribute below ROOT/sys/bus/pci, once per function, and walks the
 * capability lists in that cached image; we decode the few registers a reset
 * plan needs.
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <pci/pci.h>

#include "beneath.h"
#include "config.h"
#include "capchain.h"
#include "internal.h"
#include "pciconf.h"

#define LOG_DOMAIN "pciconf"

#define CFG_HEADER_SIZE 64 /* what the kernel lets an unprivileged reader see */
#define CFG_BASIC_SIZE 256
#define CFG_EXT_SIZE 4096

struct pciconf {
	const struct vfr_ctx *ctx;
	struct pci_access *acc;
	char *sysfs_path;             /* ROOT/sys/bus/pci, libpci's sysfs.path */
	uint8_t image[CFG_EXT_SIZE]; /* config space of the function being read */
	char name[256];               /* the last name looked up */
};

/*
 * libpci's handlers are plain function pointers without a user-data argument,
 * and its error handler must not return (libpci carries on as if it had
 * exited). So each call into libpci records itself here and the handlers find
 * the context to log to and the jmp_buf to leave by. Thread-local, because
 * separate contexts may be used from separate threads at the same time, and
 * libpci calls the handlers synchronously on the calling thread.
 */
struct call {
	jmp_buf env;
	const struct vfr_ctx *ctx;
	bool warned;      /* libpci warned during the current read */
	int warn_errno;   /* errno when it did: open() or pread() failed */
	char message[256]; /* the error, or the last warning */
};

static _Thread_local struct call *active_call;

static void call_enter(struct call *call, const struct vfr_ctx *ctx, struct call **saved)
{
	call->ctx = ctx;
	call->warned = false;
	call->warn_errno = 0;
	call->message[0] = '\0';
	*saved = active_call;
	active_call = call;
}

static void call_leave(struct call *saved)
{
	active_call = saved;
}

static void format_message(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t n;

	vsnprintf(buf, size, fmt, ap);
	/* libpci's debug output comes in newline-terminated fragments. */
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
}

static void __attribute__((noreturn, format(printf, 1, 2))) on_error(char *fmt, ...)
{
	struct call *call = active_call;
	va_list ap;

	/* Every libpci call below runs inside a call; reaching this is a bug here. */
	if (!call)
		abort();
	va_start(ap, fmt);
	format_message(call->message, sizeof(call->message), fmt, ap);
	va_end(ap);
	longjmp(call->env, 1);
}

static void __attribute__((format(printf, 1, 2))) on_warning(char *fmt, ...)
{
	struct call *call = active_call;
	int saved_errno = errno; /* sysfs.c warns right after a failed open()/pread() */
	va_list ap;

	if (!call)
		return;
	call->warned = true;
	call->warn_errno = saved_errno;
	va_start(ap, fmt);
	format_message(call->message, sizeof(call->message), fmt, ap);
	va_end(ap);
	vfr_dbg(call->ctx, "libpci: %s", call->message);
}

static void __attribute__((format(printf, 1, 2))) on_debug(char *fmt, ...)
{
	struct call *call = active_call;
	char buf[256];
	va_list ap;

	if (!call || !call->ctx || vfr_ctx_get_log_priority(call->ctx) < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	format_message(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (buf[0])
		vfr_dbg(call->ctx, "libpci: %s", buf);
}

int pciconf_new(const struct vfr_ctx *ctx, struct pciconf **ret)
{
	struct pciconf *pc;
	struct call call, *saved;
	int r;

	assert_return(ctx && ret, -EINVAL);
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->ctx = ctx;
	pc->sysfs_path = g_build_filename(vfr_ctx_get_root(ctx), "sys", "bus", "pci", NULL);

	call_enter(&call, ctx, &saved);
	if (setjmp(call.env) == 0) {
		pc->acc = pci_alloc();
		pc->acc->error = on_error;
		pc->acc->warning = on_warning;
		pc->acc->debug = on_debug;
		/* pci_init() swaps in a silent debug handler unless this is set; on_debug filters. */
		pc->acc->debugging = 1;
		pc->acc->method = PCI_ACCESS_SYS_BUS_PCI;
		/* Names from pci.ids only: no ~/.pciids-cache, no DNS, no host udev hwdb. */
		pc->acc->id_lookup_mode = 0;
		pci_set_param(pc->acc, "sysfs.path", pc->sysfs_path);
		if (VFIORESET_PCI_IDS[0])
			pci_set_name_list_path(pc->acc, (char *)VFIORESET_PCI_IDS, 0);
		pci_init(pc->acc);
		r = 0;
	} else {
		vfr_err(ctx, "libpci: %s", call.message);
		r = -EIO;
	}
	call_leave(saved);
	if (r < 0) {
		pciconf_free(pc);
		return r;
	}
	*ret = pc;
	return 0;
}

void pciconf_free(struct pciconf *pc)
{
	struct call call, *saved;

	if (!pc)
		return;
	if (pc->acc) {
		call_enter(&call, pc->ctx, &saved);
		if (setjmp(call.env) == 0)
			pci_cleanup(pc->acc);
		call_leave(saved);
	}
	g_free(pc->sysfs_path);
	free(pc);
}

static int __attribute__((format(printf, 4, 5)))
fail(char *problem, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	if (problem && size > 0) {
		va_start(ap, fmt);
		vsnprintf(problem, size, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool all_ones(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0xff)
			return false;
	return true;
}

static uint16_t get16(const uint8_t *cfg, size_t len, unsigned int pos)
{
	return pos + 2 <= len ? (uint16_t)(cfg[pos] | cfg[pos + 1] << 8) : 0;
}

static uint32_t get32(const uint8_t *cfg, size_t len, unsigned int pos)
{
	return pos + 4 <= len ? (uint32_t)get16(cfg, len, pos) | (uint32_t)get16(cfg, len, pos + 2) << 16
			      : 0;
}

/* libpci follows pointers into the header; such "capabilities" are noise. */
static struct pci_cap *find_cap(struct pci_dev *d, unsigned int id, unsigned int type)
{
	struct pci_cap *cap = pci_find_cap(d, id, type);
	unsigned int floor = type == PCI_CAP_EXTENDED ? CFG_BASIC_SIZE : CFG_HEADER_SIZE;

	return cap && cap->addr >= floor ? cap : NULL;
}

static void decode(struct pci_dev *d, const uint8_t *cfg, size_t len, struct pciconf_facts *f)
{
	struct pci_cap *cap;

	*f = (struct pciconf_facts){
		.header_type = cfg[PCI_HEADER_TYPE],
		.command = get16(cfg, len, PCI_COMMAND),
		.revision = cfg[PCI_REVISION_ID],
		.config_size = len,
	};
	size_t pm;

	/* A 64-byte image ends before the first capability. */
	if (len < CFG_BASIC_SIZE)
		return;
	/*
	 * libpci's walk starts at 0x34, which on a CardBus bridge is not the
	 * capability pointer (0x14 is): only the PM capability matters there.
	 */
	if ((f->header_type & 0x7f) == PCI_HEADER_TYPE_CARDBUS) {
		pm = capchain_find(cfg, len, PCI_CAP_ID_PM);
	} else {
		pci_setup_cache(d, (u8 *)cfg, (int)len);
		/* Only ask for extended ones when they are in the image: libpci would read past it. */
		pci_fill_info(d, PCI_FILL_CAPS | (len > CFG_BASIC_SIZE ? PCI_FILL_EXT_CAPS : 0));
		cap = find_cap(d, PCI_CAP_ID_PM, PCI_CAP_NORMAL);
		pm = cap ? cap->addr : 0;
	}
	if (pm) {
		f->caps |= VFR_CAP_PM;
		/* NoSoftRst clear: D3hot->D0 resets the function (the kernel's "pm" method). */
		if (pm + PCI_PM_CTRL + 2 <= len &&
		    !(get16(cfg, len, (unsigned int)pm + PCI_PM_CTRL) & PCI_PM_CTRL_NO_SOFT_RST))
			f->caps |= VFR_CAP_PM_RESET;
	}
	if ((f->header_type & 0x7f) == PCI_HEADER_TYPE_CARDBUS)
		return;
	if ((cap = find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL))) {
		f->caps |= VFR_CAP_PCIE;
		f->pcie_type = (get16(cfg, len, cap->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4;
		if (get32(cfg, len, cap->addr + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLRESET)
			f->caps |= VFR_CAP_FLR;
	}
	/* The kernel's af_flr needs both Transactions Pending and FLR capable. */
	if ((cap = find_cap(d, PCI_CAP_ID_AF, PCI_CAP_NORMAL)) && cap->addr + PCI_AF_CAP < len &&
	    (cfg[cap->addr + PCI_AF_CAP] & (PCI_AF_CAP_TP | PCI_AF_CAP_FLR)) ==
		    (PCI_AF_CAP_TP | PCI_AF_CAP_FLR))
		f->caps |= VFR_CAP_AF_FLR;
	if (len > CFG_BASIC_SIZE) {
		if (find_cap(d, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED))
			f->caps |= VFR_CAP_ACS;
		if (find_cap(d, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED))
			f->caps |= VFR_CAP_SRIOV;
	}
}

/* Why config could not be opened, in words; the -errno to return. */
static int open_failed(int r, char *problem, size_t size)
{
	if (r == -ENOENT)
		return fail(problem, size, -ENOENT, "no config attribute");
	if (r == -ELOOP || r == -EMEDIUMTYPE || r == -EXDEV)
		return fail(problem, size, r,
			    "its config attribute is not a regular file (a link, a FIFO, a socket "
			    "or a device node): not read");
	if (r == -EACCES || r == -EPERM)
		return fail(problem, size, -EACCES, "cannot read config space: %s", g_strerror(-r));
	return fail(problem, size, r == -ENODEV || r == -ENXIO ? -ENODEV : r,
		    "cannot open config: %s", g_strerror(-r));
}

/*
 * The image as libpci's sysfs access read it: the whole attribute in one
 * read, 4096 bytes for PCIe, 256 for conventional PCI, 64 for a reader
 * without CAP_SYS_ADMIN; a shorter read counts as the next smaller size.
 * Returns the length, or -errno with @problem set.
 */
static ssize_t read_image(int fd, uint8_t *image, char *problem, size_t size)
{
	static const size_t sizes[] = { CFG_EXT_SIZE, CFG_BASIC_SIZE, CFG_HEADER_SIZE };
	ssize_t n;

	do
		n = pread(fd, image, CFG_EXT_SIZE, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;

		return fail(problem, size,
			    e == EACCES || e == EPERM ? -EACCES : e == ENODEV || e == ENXIO ? -ENODEV : -EIO,
			    "cannot read config space: %s", g_strerror(e));
	}
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++)
		if ((size_t)n >= sizes[i])
			return (ssize_t)sizes[i];
	return fail(problem, size, -EIO, "config space is only %zd bytes", n);
}

/* Decodes @len bytes of @pc->image through libpci: the only part of a read libpci does. */
static int decode_image(struct pciconf *pc, const struct vfr_address *addr, size_t len,
			bool header_only, struct pciconf_facts *ret, char *problem, size_t size)
{
	struct call call, *saved;
	struct pci_dev *volatile d = NULL;
	struct pciconf_facts facts;
	volatile int r = 0;

	call_enter(&call, pc->ctx, &saved);
	if (setjmp(call.env) == 0) {
		d = pci_get_dev(pc->acc, (int)addr->domain, addr->bus, addr->slot, addr->function);
		decode(d, pc->image, len, &facts);
	} else {
		r = fail(problem, size, -EIO, "libpci: %s", call.message);
	}
	if (d)
		pci_free_dev(d);
	call_leave(saved);
	if (r < 0)
		return r;
	*ret = facts;
	if (header_only)
		return 0;
	if (capchain_check(pc->image, len, problem, size))
		vfr_dbg(pc->ctx, "%04x:%02x:%02x.%u: %s", addr->domain, addr->bus, addr->slot,
			addr->function, problem ? problem : "corrupt capability list");
	return 0;
}

int pciconf_read(struct pciconf *pc, int dirfd, const struct vfr_address *addr,
		 struct pciconf_facts *ret, char *problem, size_t problem_size)
{
	struct stat st;
	ssize_t len;
	int fd, r;

	assert_return(pc && addr && ret, -EINVAL);
	if (problem && problem_size > 0)
		problem[0] = '\0';

	/* Read here, through the one opener: libpci only decodes the image it is handed. */
	fd = beneath_open(dirfd, "config", O_RDONLY, 0,
			  BENEATH_REG | (ctx_sys_is_nodev(pc->ctx) ? BENEATH_NODEV : 0));
	if (fd < 0)
		return open_failed(fd, problem, problem_size);
	len = read_image(fd, pc->image, problem, problem_size);
	r = len < 0 ? (int)len : fstat(fd, &st) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;

	/* A VF reads vendor/device 0xffff, but the rest of its header is real. */
	if (all_ones(pc->image, (size_t)len))
		return fail(problem, problem_size, -EIO,
			    "config space reads all 0xFF: the function is in D3cold or was removed");
	/*
	 * The kernel returns 64 bytes (128 for CardBus) to readers without
	 * CAP_SYS_ADMIN but keeps the attribute's size at 256 or 4096; a file
	 * that is really this short is just a short config space.
	 */
	if (len == CFG_HEADER_SIZE && st.st_size > CFG_HEADER_SIZE) {
		/* The header itself is sound: its facts are worth having without root. */
		r = decode_image(pc, addr, (size_t)len, true, ret, problem, problem_size);
		if (r < 0)
			return r;
		return fail(problem, problem_size, -EACCES,
			    "only the first 64 bytes of config space are readable; "
			    "run as root for capabilities");
	}
	return decode_image(pc, addr, (size_t)len, false, ret, problem, problem_size);
}

static const char *lookup(struct pciconf *pc, int flags, int id1, int id2)
{
	struct call call, *saved;
	const char *volatile name = NULL;

	call_enter(&call, pc->ctx, &saved);
	if (setjmp(call.env) == 0)
		/* NO_NUMBERS: unknown ids give NULL instead of "Device 1234". */
		name = pci_lookup_name(pc->acc, pc->name, sizeof(pc->name),
				       flags | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB, id1, id2);
	else
		vfr_dbg(pc->ctx, "libpci: %s", call.message); /* a corrupt pci.ids */
	call_leave(saved);
	return name;
}

const char *pciconf_vendor_name(struct pciconf *pc, uint16_t vendor)
{
	assert_return(pc, NULL);
	return lookup(pc, PCI_LOOKUP_VENDOR, vendor, 0);
}

const char *pciconf_device_name(struct pciconf *pc, uint16_t vendor, uint16_t device)
{
	assert_return(pc, NULL);
	return lookup(pc, PCI_LOOKUP_DEVICE, vendor, device);
}

static int cfg_open(int dirfd, int flags)
{
	return beneath_open(dirfd, "config", flags, 0, BENEATH_REG);
}

int pciconf_cfg_read16(int dirfd, unsigned int offset, uint16_t *ret)
{
	uint8_t b[2];
	ssize_t n;
	int fd = cfg_open(dirfd, O_RDONLY), r;

	if (fd < 0)
		return fd;
	do
		n = pread(fd, b, sizeof(b), offset);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : n != (ssize_t)sizeof(b) ? -EIO : 0;
	close(fd);
	if (r == 0)
		*ret = (uint16_t)(b[0] | b[1] << 8); /* config space is little-endian */
	return r;
}

int pciconf_cfg_write16(int dirfd, unsigned int offset, uint16_t value)
{
	const uint8_t b[2] = { (uint8_t)(value & 0xff), (uint8_t)(value >> 8) };
	ssize_t n;
	int fd = cfg_open(dirfd, O_WRONLY), r;

	if (fd < 0)
		return fd;
	do
		n = pwrite(fd, b, sizeof(b), offset);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : n != (ssize_t)sizeof(b) ? -EIO : 0;
	close(fd);
	return r;
}
