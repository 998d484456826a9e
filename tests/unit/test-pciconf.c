/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pciconf against small sysfs-like trees (ROOT/sys/bus/pci/devices/ADDR/config)
 * written into a temporary directory: read by the library, decoded by the
 * real libpci, which opens nothing itself.
 */
#undef _FORTIFY_SOURCE /* pread() is defined below; fortify would make it an inline wrapper */
#undef _FILE_OFFSET_BITS /* both pread and pread64 are defined below */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg-image.h"
#include <glib.h>

#include "config.h"
#include "internal.h"
#include "pciconf.h"

/*
 * What the kernel does that a regular file cannot: a config attribute whose
 * size is 4096 but of which an unprivileged reader gets only the first 64
 * bytes, or a read that fails. libpci's pread() resolves to this one.
 */
static struct {
	const char *marker; /* a substring of the path of the fd to watch */
	off_t limit;        /* bytes readable when > 0 (and err is 0) */
	int err;
	unsigned int calls; /* preads on it so far */
} pread_fault;

/* Opens of a config attribute by name: libpci's way, which must not happen any more. */
static unsigned int config_opens_by_name;

static void note_open(const char *path, int flags)
{
	/* Reads only: the tests write their images by name themselves. */
	if ((flags & O_ACCMODE) == O_RDONLY && path && strstr(path, "/sys/bus/pci/devices/") &&
	    g_str_has_suffix(path, "/config"))
		config_opens_by_name++;
}

int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	note_open(path, flags);
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	note_open(path, flags);
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	char link[64], target[4096];
	ssize_t n;

	if (pread_fault.marker) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strstr(target, pread_fault.marker)) {
				pread_fault.calls++;
				if (pread_fault.err) {
					errno = pread_fault.err;
					return -1;
				}
				if (pread_fault.limit > 0 && offset >= pread_fault.limit)
					return 0;
				if (pread_fault.limit > 0 && (off_t)count > pread_fault.limit - offset)
					count = (size_t)(pread_fault.limit - offset);
			}
		}
	}
	return syscall(SYS_pread64, fd, buf, count, offset);
}

/* The library is built with large-file offsets: its reads arrive here. */
ssize_t pread64(int fd, void *buf, size_t count, off64_t offset);

ssize_t pread64(int fd, void *buf, size_t count, off64_t offset)
{
	return pread(fd, buf, count, (off_t)offset);
}

struct fixture {
	char *root;
	struct vfr_ctx *ctx;
	struct pciconf *pc;
	GString *log; /* "PRIORITY DOMAIN: message" lines */
};

static void capture_log(void *userdata, int priority, const char *domain, const char *message)
{
	struct fixture *fx = userdata;

	g_string_append_printf(fx->log, "%d %s: %s\n", priority, domain, message);
}

static int setup(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);

	fx->root = g_dir_make_tmp("vfr-pciconf-XXXXXX", NULL);
	assert_non_null(fx->root);
	fx->log = g_string_new(NULL);
	assert_int_equal(vfr_ctx_new(fx->root, &fx->ctx, NULL), 0);
	vfr_ctx_set_log_priority(fx->ctx, LOG_DEBUG);
	vfr_ctx_set_log_fn(fx->ctx, capture_log, fx);
	assert_int_equal(pciconf_new(fx->ctx, &fx->pc), 0);
	assert_non_null(fx->pc);
	*state = fx;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	memset(&pread_fault, 0, sizeof(pread_fault));
	pciconf_free(fx->pc);
	vfr_ctx_unref(fx->ctx);
	nftw(fx->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	g_free(fx->root);
	g_string_free(fx->log, TRUE);
	g_free(fx);
	return 0;
}

/* ---- config-space images ---- */

/* Appends a traditional capability at @at; @body is written from at + 2. */
static void add_cap(struct image *m, uint8_t at, uint8_t id, const uint8_t *body, size_t n)
{
	uint8_t *link = &m->b[0x34];

	put16(m, 0x06, 0x0010);
	while (*link)
		link = &m->b[*link + 1];
	*link = at;
	m->b[at] = id;
	m->b[at + 1] = 0;
	if (n)
		memcpy(&m->b[at + 2], body, n);
}

static void add_pm(struct image *m, uint8_t at, bool no_soft_reset)
{
	const uint8_t body[] = { 0x03, 0x00, no_soft_reset ? 0x08 : 0x00, 0x00 };

	add_cap(m, at, 0x01, body, sizeof(body));
}

static void add_pcie(struct image *m, uint8_t at, uint8_t type, bool flr)
{
	/* Flags (version 2, type in bits 4-7), then DevCap with FLReset (bit 28) maybe. */
	const uint8_t body[] = { (uint8_t)(0x02 | type << 4), 0x00, 0x00, 0x80, 0x00, flr ? 0x10 : 0x00 };

	add_cap(m, at, 0x10, body, sizeof(body));
}

static void add_af(struct image *m, uint8_t at, uint8_t af_cap)
{
	const uint8_t body[] = { 0x06, af_cap, 0x00, 0x00 };

	add_cap(m, at, 0x13, body, sizeof(body));
}

/* Links extended capabilities (id, offset) pairs starting at 0x100. */
static void add_ext(struct image *m, const uint16_t (*caps)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		put32(m, caps[i][1], caps[i][0] | 1u << 16 | (i + 1 < n ? caps[i + 1][1] : 0u) << 20);
}

static char *device_dir(struct fixture *fx, const char *addr)
{
	return g_build_filename(fx->root, "sys/bus/pci/devices", addr, NULL);
}

static void write_config(struct fixture *fx, const char *addr, const void *bytes, size_t len)
{
	g_autofree char *dir = device_dir(fx, addr);
	g_autofree char *path = g_build_filename(dir, "config", NULL);

	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_true(g_file_set_contents(path, bytes, (gssize)len, NULL));
}

static struct vfr_address addr_of(uint32_t domain, uint8_t bus, uint8_t slot, uint8_t fn)
{
	return (struct vfr_address){ .domain = domain, .bus = bus, .slot = slot, .function = fn };
}

/*
 * What the device layer does: the function's directory opened first (a
 * missing one is a function that is gone, -ENODEV, before pciconf is
 * asked), then its config read below it.
 */
static int read_facts(struct fixture *fx, struct vfr_address a, struct pciconf_facts *facts,
		      char *problem, size_t size)
{
	char name[VFR_ADDRESS_STRLEN];
	g_autofree char *dir = NULL;
	int fd, r;

	vfr_address_format(&a, name, sizeof(name));
	dir = device_dir(fx, name);
	memset(facts, 0xa5, sizeof(*facts));
	memset(problem, 'x', size);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -ENODEV;
	r = pciconf_read(fx->pc, fd, &a, facts, problem, size);
	close(fd);
	assert_int_equal(config_opens_by_name, 0);
	return r;
}

/* ---- tests ---- */

static void test_pcie_endpoint_flr_pm(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 4096);
	add_pm(&m, 0x40, false);
	add_pcie(&m, 0x70, 0x0, true);
	write_config(fx, "0000:01:00.0", m.b, m.len);

	pread_fault.marker = "0000:01:00.0";
	pread_fault.calls = 0;
	assert_int_equal(read_facts(fx, addr_of(0, 1, 0, 0), &f, problem, sizeof(problem)), 0);
	/* Read once; libpci walks the capabilities in the cached image. */
	assert_int_equal(pread_fault.calls, 1);
	pread_fault.marker = NULL;
	assert_string_equal(problem, "");
	assert_int_equal(f.caps, VFR_CAP_PM | VFR_CAP_PM_RESET | VFR_CAP_PCIE | VFR_CAP_FLR);
	assert_int_equal(f.pcie_type, 0);
	assert_int_equal(f.header_type, 0);
	assert_int_equal(f.command, 0x0406);
	assert_int_equal(f.config_size, 4096);
}

static void test_no_soft_reset(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 4096);
	add_pcie(&m, 0x40, 0x0, false);
	add_pm(&m, 0xc8, true);
	write_config(fx, "0000:01:00.1", m.b, m.len);

	assert_int_equal(read_facts(fx, addr_of(0, 1, 0, 1), &f, problem, sizeof(problem)), 0);
	assert_int_equal(f.caps, VFR_CAP_PM | VFR_CAP_PCIE);
}

static void test_af_flr_needs_tp_and_flr(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 256);
	add_af(&m, 0x50, 0x01); /* TP only */
	write_config(fx, "0000:00:1f.0", m.b, m.len);
	assert_int_equal(read_facts(fx, addr_of(0, 0, 0x1f, 0), &f, problem, sizeof(problem)), 0);
	assert_int_equal(f.caps, 0);

	image_init(&m, 256);
	add_af(&m, 0x50, 0x02); /* FLR only */
	write_config(fx, "0000:00:1f.1", m.b, m.len);
	assert_int_equal(read_facts(fx, addr_of(0, 0, 0x1f, 1), &f, problem, sizeof(problem)), 0);
	assert_int_equal(f.caps, 0);

	image_init(&m, 256);
	add_af(&m, 0x50, 0x03);
	write_config(fx, "0000:00:1f.2", m.b, m.len);
	assert_int_equal(read_facts(fx, addr_of(0, 0, 0x1f, 2), &f, problem, sizeof(problem)), 0);
	assert_int_equal(f.caps, VFR_CAP_AF_FLR);
}

static void test_root_port_acs(void **state)
{
	static const uint16_t ext[][2] = { { 0x01, 0x100 }, { 0x0d, 0x148 } };
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 4096);
	m.b[0x0e] = 0x81; /* bridge, multifunction */
	add_pm(&m, 0x40, false);
	add_pcie(&m, 0x60, 0x4, false);
	add_ext(&m, ext, 2);
	write_config(fx, "0000:00:1c.0", m.b, m.len);

	assert_int_equal(read_facts(fx, addr_of(0, 0, 0x1c, 0), &f, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");
	assert_int_equal(f.caps, VFR_CAP_PM | VFR_CAP_PM_RESET | VFR_CAP_PCIE | VFR_CAP_ACS);
	assert_int_equal(f.pcie_type, 4);
	assert_int_equal(f.header_type, 0x81);
}

static void test_sriov_pf(void **state)
{
	static const uint16_t ext[][2] = { { 0x01, 0x100 }, { 0x0e, 0x140 }, { 0x10, 0x160 } };
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 4096);
	add_pcie(&m, 0x40, 0x0, true);
	add_ext(&m, ext, 3);
	write_config(fx, "0000:03:00.0", m.b, m.len);

	assert_int_equal(read_facts(fx, addr_of(0, 3, 0, 0), &f, problem, sizeof(problem)), 0);
	assert_int_equal(f.caps, VFR_CAP_PCIE | VFR_CAP_FLR | VFR_CAP_SRIOV);
}

static void test_vf_with_ffff_ids(void **state)
{
	static const uint16_t ext[][2] = { { 0x01, 0x100 } };
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	/* SR-IOV VFs read vendor and device 0xffff; the rest of the header is real. */
	image_init(&m, 4096);
	put32(&m, 0x00, 0xffffffff);
	add_pcie(&m, 0x70, 0x0, true);
	add_ext(&m, ext, 1);
	write_config(fx, "0000:03:00.2", m.b, m.len);

	assert_int_equal(read_facts(fx, addr_of(0, 3, 0, 2), &f, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");
	assert_int_equal(f.caps, VFR_CAP_PCIE | VFR_CAP_FLR);
}

static void test_conventional_256(void **state)
{
	static const uint16_t ext[][2] = { { 0x0d, 0x100 }, { 0x10, 0x140 } };
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	/* Extended capabilities in bytes the file does not have are never seen. */
	image_init(&m, 4096);
	add_pm(&m, 0xdc, false);
	add_pcie(&m, 0x40, 0x7, false); /* a PCIe device behind a conventional bridge */
	add_ext(&m, ext, 2);
	write_config(fx, "0000:05:01.0", m.b, 256);

	pread_fault.marker = "0000:05:01.0";
	assert_int_equal(read_facts(fx, addr_of(0, 5, 1, 0), &f, problem, sizeof(problem)), 0);
	/* One read of up to 4096 bytes; nothing is decoded past the image. */
	assert_int_equal(pread_fault.calls, 1);
	assert_int_equal(f.config_size, 256);
	assert_int_equal(f.caps, VFR_CAP_PM | VFR_CAP_PM_RESET | VFR_CAP_PCIE);
	assert_int_equal(f.pcie_type, 7);
}

static void test_cardbus_bridge(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	/*
	 * A CardBus bridge's list starts at 0x14; libpci starts at 0x34, an I/O
	 * window there, which here happens to look like a PM capability at 0x40.
	 */
	image_init(&m, 256);
	m.b[0x0e] = 0x02;
	add_pm(&m, 0x40, false);
	m.b[0x14] = 0x80;
	m.b[0x80] = 0x05; /* MSI */
	write_config(fx, "0000:02:00.0", m.b, m.len);
	assert_int_equal(read_facts(fx, addr_of(0, 2, 0, 0), &f, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");
	assert_int_equal(f.header_type, 2);
	assert_int_equal(f.caps, 0);
}

static void test_all_ones(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f, before;
	struct image m;
	char problem[256];

	memset(m.b, 0xff, sizeof(m.b));
	write_config(fx, "0000:06:00.0", m.b, 4096);
	write_config(fx, "0000:06:00.1", m.b, 256);

	assert_int_equal(read_facts(fx, addr_of(0, 6, 0, 0), &f, problem, sizeof(problem)), -EIO);
	assert_string_equal(problem,
			    "config space reads all 0xFF: the function is in D3cold or was removed");
	/* ret is left alone on failure. */
	memset(&before, 0xa5, sizeof(before));
	assert_memory_equal(&f, &before, sizeof(f));
	assert_int_equal(read_facts(fx, addr_of(0, 6, 0, 1), &f, problem, sizeof(problem)), -EIO);
	assert_string_equal(problem,
			    "config space reads all 0xFF: the function is in D3cold or was removed");
}

static void test_short_file(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 48);
	write_config(fx, "0000:07:00.0", m.b, 48);
	assert_int_equal(read_facts(fx, addr_of(0, 7, 0, 0), &f, problem, sizeof(problem)), -EIO);
	assert_string_equal(problem, "config space is only 48 bytes");

	write_config(fx, "0000:07:00.1", m.b, 0);
	assert_int_equal(read_facts(fx, addr_of(0, 7, 0, 1), &f, problem, sizeof(problem)), -EIO);
	assert_string_equal(problem, "config space is only 0 bytes");
}

static void test_exactly_64_bytes(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	/* A file that really is 64 bytes long: the header, no capabilities. */
	image_init(&m, 64);
	m.b[0x0e] = 0x01;
	write_config(fx, "0000:07:01.0", m.b, 64);
	assert_int_equal(read_facts(fx, addr_of(0, 7, 1, 0), &f, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");
	assert_int_equal(f.config_size, 64);
	assert_int_equal(f.header_type, 1);
	assert_int_equal(f.caps, 0);
}

static void test_missing_config(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *dir = device_dir(fx, "0000:08:00.0");
	struct pciconf_facts f;
	char problem[256];

	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_int_equal(read_facts(fx, addr_of(0, 8, 0, 0), &f, problem, sizeof(problem)), -ENOENT);
	assert_string_equal(problem, "no config attribute");
}

/* Whatever sits where config should be, only a regular file is read: no FIFO waited on. */
static void test_config_not_a_file(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *dir = device_dir(fx, "0000:09:00.0");
	g_autofree char *config = g_build_filename(dir, "config", NULL);
	g_autofree char *outside = g_build_filename(fx->root, "outside", NULL);
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_int_equal(mkfifo(config, 0600), 0);
	assert_int_equal(read_facts(fx, addr_of(0, 9, 0, 0), &f, problem, sizeof(problem)),
			 -EMEDIUMTYPE);
	assert_non_null(strstr(problem, "not a regular file"));
	unlink(config);

	image_init(&m, 4096);
	add_pcie(&m, 0x40, 0x0, true);
	assert_true(g_file_set_contents(outside, (const char *)m.b, (gssize)m.len, NULL));
	assert_int_equal(symlink(outside, config), 0);
	assert_int_equal(read_facts(fx, addr_of(0, 9, 0, 0), &f, problem, sizeof(problem)), -ELOOP);
	unlink(config);

	assert_int_equal(g_mkdir_with_parents(config, 0755), 0);
	assert_int_equal(read_facts(fx, addr_of(0, 9, 0, 0), &f, problem, sizeof(problem)),
			 -EMEDIUMTYPE);
}

static void test_loop_keeps_facts(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 4096);
	add_pm(&m, 0x40, false);
	add_pcie(&m, 0x50, 0x0, true);
	m.b[0x51] = 0x40;
	write_config(fx, "0000:0a:00.0", m.b, m.len);

	assert_int_equal(read_facts(fx, addr_of(0, 10, 0, 0), &f, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "capability list loops back to 0x40");
	assert_int_equal(f.caps, VFR_CAP_PM | VFR_CAP_PM_RESET | VFR_CAP_PCIE | VFR_CAP_FLR);
}

static void test_pointer_into_header(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	/* 0x41 -> 0x08: libpci would read the revision (0x10) as a PCIe capability. */
	image_init(&m, 4096);
	add_pm(&m, 0x40, false);
	m.b[0x41] = 0x08;
	m.b[0x08] = 0x10;
	write_config(fx, "0000:0a:00.1", m.b, m.len);

	assert_int_equal(read_facts(fx, addr_of(0, 10, 0, 1), &f, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "capability pointer at 0x41 points into the header (0x08)");
	assert_int_equal(f.caps, VFR_CAP_PM | VFR_CAP_PM_RESET);
}

static void test_unprivileged_reader(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 4096);
	add_pcie(&m, 0x40, 0x0, true);
	write_config(fx, "0000:0b:00.0", m.b, 4096);
	m.b[0x0e] = 0x02; /* CardBus: the kernel shows unprivileged readers 128 bytes */
	write_config(fx, "0000:0b:01.0", m.b, 256);

	pread_fault.marker = "0000:0b:00.0";
	pread_fault.limit = 64;
	assert_int_equal(read_facts(fx, addr_of(0, 11, 0, 0), &f, problem, sizeof(problem)), -EACCES);
	assert_string_equal(problem, "only the first 64 bytes of config space are readable; "
				     "run as root for capabilities");

	pread_fault.marker = "0000:0b:01.0";
	pread_fault.limit = 128;
	assert_int_equal(read_facts(fx, addr_of(0, 11, 1, 0), &f, problem, sizeof(problem)), -EACCES);

	/* The first 64 bytes of a function in D3cold read 0xFF for everyone. */
	memset(m.b, 0xff, sizeof(m.b));
	write_config(fx, "0000:0b:00.0", m.b, 4096);
	pread_fault.marker = "0000:0b:00.0";
	pread_fault.limit = 64;
	assert_int_equal(read_facts(fx, addr_of(0, 11, 0, 0), &f, problem, sizeof(problem)), -EIO);
}

static void test_read_error(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	image_init(&m, 4096);
	write_config(fx, "0000:0c:00.0", m.b, 4096);
	pread_fault.marker = "0000:0c:00.0";
	pread_fault.err = EIO;
	pread_fault.calls = 0;
	assert_int_equal(read_facts(fx, addr_of(0, 12, 0, 0), &f, problem, sizeof(problem)), -EIO);
	assert_string_equal(problem, "cannot read config space: Input/output error");
	/* A failed read is not retried with a smaller size (only a short read is). */
	assert_int_equal(pread_fault.calls, 1);

	pread_fault.err = EACCES;
	assert_int_equal(read_facts(fx, addr_of(0, 12, 0, 0), &f, problem, sizeof(problem)), -EACCES);
}

static void test_large_domain(void **state)
{
	struct fixture *fx = *state;
	struct pciconf_facts f;
	struct image m;
	char problem[256];

	/* VMD domains start at 0x10000: five hex digits in the directory name. */
	image_init(&m, 4096);
	add_pcie(&m, 0x40, 0x0, true);
	write_config(fx, "10000:e1:00.0", m.b, m.len);
	assert_int_equal(read_facts(fx, addr_of(0x10000, 0xe1, 0, 0), &f, problem, sizeof(problem)),
			 0);
	assert_int_equal(f.caps, VFR_CAP_PCIE | VFR_CAP_FLR);
}

/* libpci used to build the path itself, into a buffer a deep root overflowed. */
static void test_deep_root(void **state)
{
	struct fixture *fx = *state;
	struct vfr_ctx *ctx = NULL;
	struct pciconf *pc = NULL;
	struct pciconf_facts f;
	struct vfr_address a = addr_of(0, 1, 0, 0);
	g_autofree char *deep = g_strnfill(200, 'd');
	g_autofree char *root = g_build_filename(fx->root, deep, deep, deep, deep, deep, deep, NULL);
	g_autofree char *dir = g_build_filename(root, "sys/bus/pci/devices/0000:01:00.0", NULL);
	g_autofree char *config = g_build_filename(dir, "config", NULL);
	struct image m;
	char problem[256];
	int fd;

	image_init(&m, 4096);
	add_pcie(&m, 0x40, 0x0, true);
	assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
	assert_true(g_file_set_contents(config, (const char *)m.b, (gssize)m.len, NULL));
	assert_int_equal(vfr_ctx_new(root, &ctx, NULL), 0);
	vfr_ctx_set_log_priority(ctx, LOG_DEBUG);
	vfr_ctx_set_log_fn(ctx, capture_log, fx);
	assert_int_equal(pciconf_new(ctx, &pc), 0);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pciconf_read(pc, fd, &a, &f, problem, sizeof(problem)), 0);
	assert_int_equal(f.caps, VFR_CAP_PCIE | VFR_CAP_FLR);
	close(fd);
	pciconf_free(pc);
	vfr_ctx_unref(ctx);
}

static void test_silent_on_stderr_and_no_fd_leak(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *errfile = g_build_filename(fx->root, "stderr", NULL);
	g_autofree char *fds = NULL;
	struct pciconf_facts f;
	struct image m;
	char problem[256];
	struct stat st;
	int saved, fd, before, after;
	GDir *dir;

	image_init(&m, 4096);
	add_pcie(&m, 0x40, 0x0, true);
	write_config(fx, "0000:0d:00.0", m.b, m.len);

	dir = g_dir_open("/proc/self/fd", 0, NULL);
	for (before = 0; g_dir_read_name(dir); before++)
		;
	g_dir_close(dir);

	fflush(stderr);
	saved = dup(2);
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(read_facts(fx, addr_of(0, 13, 0, 0), &f, problem, sizeof(problem)), 0);
		assert_int_equal(read_facts(fx, addr_of(0, 13, 0, 1), &f, problem, sizeof(problem)),
				 -ENODEV);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(stat(errfile, &st), 0);
	assert_int_equal(st.st_size, 0);

	dir = g_dir_open("/proc/self/fd", 0, NULL);
	for (after = 0; g_dir_read_name(dir); after++)
		;
	g_dir_close(dir);
	assert_int_equal(after, before);
}

static void test_names(void **state)
{
	struct fixture *fx = *state;
	const char *ids = VFIORESET_PCI_IDS[0] ? VFIORESET_PCI_IDS : "/usr/share/misc/pci.ids";

	/* An unknown id is NULL, never "Device 0bad". */
	assert_null(pciconf_vendor_name(fx->pc, 0x0bad));
	assert_null(pciconf_device_name(fx->pc, 0x0bad, 0x0001));
	if (!g_file_test(ids, G_FILE_TEST_EXISTS)) {
		g_autofree char *gz = g_strconcat(ids, ".gz", NULL);
		if (!g_file_test(gz, G_FILE_TEST_EXISTS))
			skip();
	}
	assert_string_equal(pciconf_vendor_name(fx->pc, 0x8086), "Intel Corporation");
	assert_string_equal(pciconf_device_name(fx->pc, 0x8086, 0x10d3),
			    "82574L Gigabit Network Connection");
	assert_null(pciconf_device_name(fx->pc, 0x8086, 0xfffd));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pcie_endpoint_flr_pm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_soft_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_af_flr_needs_tp_and_flr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_port_acs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_pf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_with_ffff_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conventional_256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cardbus_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exactly_64_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_not_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_keeps_facts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pointer_into_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_on_stderr_and_no_fd_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	};

	return cmocka_run_group_tests_name("pciconf", tests, NULL, NULL);
}
