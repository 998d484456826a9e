/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module loader: finit_module(2) and init_module(2) (libkmod calls the
 * first through syscall() and falls back to the second for compressed
 * files) and delete_module(2). Under a mock root none of them may reach the
 * host's kernel: a module file is read, its .modinfo gives the name and the
 * aliases, and loading it makes what kernel/module/ and pci_register_driver()
 * make: /sys/module/NAME (initstate "live", drivers/pci:DRV), a line of
 * /proc/modules, the driver's directory in /sys/bus/pci/drivers with the
 * simulated kernel's state for it, and a probe of every free function the
 * new driver matches (driver_attach()).
 *
 * Which PCI drivers a module registers: .vfr-mock/modules/NAME when it
 * exists ("driver DRV" lines, "vfio 0|1"), else one driver named like the
 * module (KBUILD_MODNAME, as the vfio variant drivers name theirs), except
 * the two whose source spells the name with dashes.
 */
#include "vfio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errnames.h"

/* include/uapi/linux/module.h; COMPRESSED_FILE is Linux >= 6.4. */
#ifndef MODULE_INIT_IGNORE_MODVERSIONS
#define MODULE_INIT_IGNORE_MODVERSIONS 1
#endif
#ifndef MODULE_INIT_IGNORE_VERMAGIC
#define MODULE_INIT_IGNORE_VERMAGIC 2
#endif
#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif
#define MODULE_NAME_LEN 56 /* MODULE_NAME_LEN: 64 - sizeof(unsigned long) */
#define MODULE_SIZE_MAX (64L << 20)

/* glibc has no header for these. */
int init_module(void *image, unsigned long len, const char *params);
int finit_module(int fd, const char *params, int flags);
int delete_module(const char *name, unsigned int flags);

struct module {
	char name[MODULE_NAME_LEN];
	const char *modinfo; /* inside the image: "key=value\0key=value\0..." */
	size_t modinfo_len;
	size_t size;
};

static uint64_t le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* The .modinfo section of an ELF64 little-endian object; -ENOEXEC as the kernel's ELF checks. */
static int find_modinfo(const unsigned char *img, size_t len, struct module *mod)
{
	uint64_t shoff, shstr_off, shstr_size;
	unsigned int shentsize, shnum, shstrndx;
	const unsigned char *sh;

	if (len < 64 || memcmp(img, "\177ELF", 4) != 0 || img[4] != 2 || img[5] != 1 ||
	    le(img + 16, 2) != 1 /* ET_REL */)
		return -ENOEXEC;
	shoff = le(img + 40, 8);
	shentsize = (unsigned int)le(img + 58, 2);
	shnum = (unsigned int)le(img + 60, 2);
	shstrndx = (unsigned int)le(img + 62, 2);
	if (shentsize != 64 || shnum == 0 || shstrndx >= shnum || shoff > len ||
	    (uint64_t)shnum * 64 > len - shoff)
		return -ENOEXEC;
	sh = img + shoff + (size_t)shstrndx * 64;
	shstr_off = le(sh + 24, 8);
	shstr_size = le(sh + 32, 8);
	if (shstr_off > len || shstr_size > len - shstr_off)
		return -ENOEXEC;
	for (unsigned int i = 1; i < shnum; i++) {
		uint64_t name, off, size;

		sh = img + shoff + (size_t)i * 64;
		name = le(sh, 4);
		off = le(sh + 24, 8);
		size = le(sh + 32, 8);
		if (name >= shstr_size ||
		    strncmp((const char *)img + shstr_off + name, ".modinfo",
			    (size_t)(shstr_size - name)) != 0)
			continue;
		if (off > len || size > len - off)
			return -ENOEXEC;
		mod->modinfo = (const char *)img + off;
		mod->modinfo_len = (size_t)size;
		return 0;
	}
	return -ENOEXEC; /* "module has no .modinfo": nothing the kernel can load */
}

/* The next "key=value" of .modinfo after *@pos with key @key; NULL at the end. */
static const char *modinfo_next(const struct module *mod, const char *key, size_t *pos)
{
	size_t klen = strlen(key);

	while (*pos < mod->modinfo_len) {
		const char *entry = mod->modinfo + *pos;
		size_t left = mod->modinfo_len - *pos, n = strnlen(entry, left);

		if (n == left)
			break; /* not terminated inside the section */
		*pos += n + 1;
		if (n > klen && strncmp(entry, key, klen) == 0 && entry[klen] == '=')
			return entry + klen + 1;
	}
	return NULL;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < MODULE_NAME_LEN && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* "name=" of .modinfo, else the file's name without ".ko" (@fallback may be NULL). */
static int module_parse(const unsigned char *img, size_t len, const char *fallback,
			struct module *mod)
{
	char value[MODULE_NAME_LEN + 1];
	const char *name;
	size_t pos = 0;
	int r;

	memset(mod, 0, sizeof(*mod));
	mod->size = len;
	if ((r = find_modinfo(img, len, mod)) < 0)
		return r;
	name = modinfo_next(mod, "name", &pos);
	if (name) {
		snprintf(value, sizeof(value), "%.*s", (int)(sizeof(value) - 1), name);
		name = value;
	} else {
		name = fallback;
	}
	if (!name || !name_ok(name))
		return -ENOEXEC;
	snprintf(mod->name, sizeof(mod->name), "%s", name);
	for (char *c = mod->name; *c; c++)
		if (*c == '-')
			*c = '_';
	return 0;
}


/* One hex field of an alias: 8 digits or "*" (anything else, like "0000101*", is partial). */
static const char *alias_field(const char *p, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), n = 0;
	char digits[9];

	if (strncmp(p, key, klen) != 0)
		return NULL;
	p += klen;
	if (*p == '*') {
		snprintf(out, size, "*");
		return p + 1;
	}
	while (n < 8 && p[n] && strchr("0123456789ABCDEFabcdef", p[n]))
		n++;
	if (n != 8)
		return NULL;
	memcpy(digits, p, 8);
	digits[8] = '\0';
	snprintf(out, size, "%lx", strtoul(digits, NULL, 16));
	return p + 8;
}

/*
 * The id-table entry a "pci:" or "vfio_pci:" alias stands for, "V:D" or
 * "V:D:SV:SD"; false when it needs what the simulated table cannot say (a
 * class, a partial field).
 */
static bool alias_id(const char *alias, char *out, size_t size)
{
	static const char *const keys[] = { "v", "d", "sv", "sd" };
	char f[4][12];
	const char *p = strchr(alias, ':') + 1;

	for (size_t i = 0; i < 4; i++)
		if (!(p = alias_field(p, keys[i], f[i], sizeof(f[i]))))
			return false;
	if (*p && strcmp(p, "bc*sc*i*") != 0 && strcmp(p, "*") != 0)
		return false;
	if (strcmp(f[2], "*") == 0 && strcmp(f[3], "*") == 0)
		snprintf(out, size, "%s:%s", f[0], f[1]);
	else
		snprintf(out, size, "%s:%s:%s:%s", f[0], f[1], f[2], f[3]);
	return true;
}

/* The drivers @mod registers, one name a line, into @out; its vfio flag (-1: by the name). */
static void module_drivers(struct kctx *k, const struct module *mod, char *out, size_t size,
			   int *vfio)
{
	char rel[PATH_MAX], *text, *save = NULL;
	size_t n = 0;

	*vfio = -1;
	out[0] = '\0';
	snprintf(rel, sizeof(rel), ".vfr-mock/modules/%s", mod->name);
	text = k_slurp(k, rel);
	if (!text) {
		/* drivers/vfio/pci/vfio_pci.c and drivers/pci/pci-stub.c spell theirs so. */
		if (strcmp(mod->name, "vfio_pci") == 0)
			snprintf(out, size, "vfio-pci\n");
		else if (strcmp(mod->name, "pci_stub") == 0)
			snprintf(out, size, "pci-stub\n");
		else
			snprintf(out, size, "%s\n", mod->name);
		return;
	}
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "driver ", 7) == 0 && name_ok(line + 7) && n < size)
			n += (size_t)snprintf(out + n, size - n, "%s\n", line + 7);
		else if (strncmp(line, "vfio ", 5) == 0)
			*vfio = atoi(line + 5) != 0;
	}
	free(text);
}

/* .vfr-mock/drivers/DRV: the vfio flag and the id table from the module's aliases. */
static void driver_state(struct kctx *k, const struct module *mod, const char *drv, bool vfio)
{
	char rel[PATH_MAX], id[64], *text;
	const char *alias;
	size_t pos = 0, len, cap = 4096;

	if (!(text = malloc(cap)))
		return;
	len = (size_t)snprintf(text, cap, "vfio %d\n", vfio);
	while ((alias = modinfo_next(mod, "alias", &pos))) {
		bool plain = strncmp(alias, "pci:", 4) == 0;

		/*
		 * vfio_pci: aliases are PCI_DRIVER_OVERRIDE_DEVICE_VFIO entries,
		 * override_only: they match a function whose driver_override names
		 * the driver, which matches anyway, so they bind nothing by themselves.
		 */
		if ((!plain && strncmp(alias, "vfio_pci:", 9) != 0) ||
		    !alias_id(alias, id, sizeof(id)))
			continue;
		if (len + strlen(id) + 16 > cap) {
			char *grown = realloc(text, cap *= 2);

			if (!grown)
				break;
			text = grown;
		}
		len += (size_t)snprintf(text + len, cap - len, "%s %s\n",
					plain ? "id" : "override_id", id);
	}
	snprintf(rel, sizeof(rel), ".vfr-mock/drivers/%s", drv);
	k_mkdirs(k, ".vfr-mock/drivers");
	k_put(k, rel, 0644, text);
	free(text);
}

/* pci_register_driver(): the driver's directory and links, then driver_attach(). */
static void register_driver(struct kctx *k, const struct module *mod, const char *drv, bool vfio)
{
	static const char *const files[] = { "bind", "unbind", "new_id", "remove_id", "uevent" };
	char rel[PATH_MAX], target[PATH_MAX];
	char **names;
	size_t n;

	driver_state(k, mod, drv, vfio);
	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", drv);
	k_mkdirs(k, rel);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/%s", drv, files[i]);
		k_put(k, rel, 0200, "");
	}
	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/module", drv);
	snprintf(target, sizeof(target), "../../../../module/%s", mod->name);
	k_link(k, rel, target);
	snprintf(rel, sizeof(rel), "sys/module/%s/drivers", mod->name);
	k_mkdirs(k, rel);
	snprintf(rel, sizeof(rel), "sys/module/%s/drivers/pci:%s", mod->name, drv);
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", drv);
	k_link(k, rel, target);
	/* The vfio core module comes with any vfio driver: its container node, and its class. */
	if (vfio) {
		k_mkdirs(k, "dev/vfio");
		if (!k_exists(k, "dev/vfio/vfio"))
			k_put(k, "dev/vfio/vfio", 0666, "");
		if (k_host_flag(k, "vfio_dev", true))
			k_mkdirs(k, "sys/class/vfio-dev");
	}
	/* driver_attach(): every free function it matches (bind_store()'s checks). */
	names = k_names(k, "sys/bus/pci/devices", &n);
	for (size_t i = 0; i < n; i++)
		if (is_address(names[i]))
			k_bind(k, drv, names[i], strlen(names[i]));
	k_names_free(names);
}

static void journal_result(const struct vfr_root *r, const char *what, const char *name, int err)
{
	if (!err)
		journal(r, "%s %s ok", what, name);
	else if (vfr_errno_name(err))
		journal(r, "%s %s %s", what, name, vfr_errno_name(err));
	else
		journal(r, "%s %s %d", what, name, err);
}

/* Fault rules see a load or an unload as a write to /sys/module/NAME; 0 or the errno. */
static int module_fault(const struct vfr_root *r, const char *name)
{
	char node[PATH_MAX];
	long short_max;

	snprintf(node, sizeof(node), "/sys/module/%s", name);
	return faults_apply(r, OP_WRITE, node, node, &short_max);
}

/* load_module(): 0 or -errno. */
static int module_load(const struct vfr_root *r, const unsigned char *img, size_t len,
		       const char *fallback)
{
	char rel[PATH_MAX], drivers[4096], line[256], *save = NULL;
	struct module mod;
	struct kctx k;
	int vfio, r2;

	if ((r2 = module_parse(img, len, fallback, &mod)) < 0)
		return r2;
	if ((r2 = module_fault(r, mod.name))) {
		journal_result(r, "load", mod.name, r2);
		return -r2;
	}
	if (!k_begin(&k, r))
		return -EIO;
	snprintf(rel, sizeof(rel), "sys/module/%s", mod.name);
	if (k_exists(&k, rel)) {
		/* Already live (or built in): the kernel refuses, libkmod calls that success. */
		k_end(&k);
		journal_result(r, "load", mod.name, EEXIST);
		return -EEXIST;
	}
	module_drivers(&k, &mod, drivers, sizeof(drivers), &vfio);
	/* driver_register() of a name taken: "is already registered, aborting", init fails. */
	for (char *p = drivers; *p; p += strcspn(p, "\n") + 1) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%.*s", (int)strcspn(p, "\n"), p);
		if (k_exists(&k, rel)) {
			k_end(&k);
			journal_result(r, "load", mod.name, EBUSY);
			return -EBUSY;
		}
	}
	snprintf(rel, sizeof(rel), "sys/module/%s/holders", mod.name);
	k_mkdirs(&k, rel);
	snprintf(rel, sizeof(rel), "sys/module/%s/refcnt", mod.name);
	k_put(&k, rel, 0444, "0\n");
	snprintf(rel, sizeof(rel), "sys/module/%s/coresize", mod.name);
	snprintf(line, sizeof(line), "%zu\n", mod.size);
	k_put(&k, rel, 0444, line);
	snprintf(rel, sizeof(rel), "sys/module/%s/initstate", mod.name);
	k_put(&k, rel, 0444, "coming\n");
	for (char *drv = strtok_r(drivers, "\n", &save); drv; drv = strtok_r(NULL, "\n", &save))
		register_driver(&k, &mod, drv, vfio >= 0 ? vfio : strstr(drv, "vfio") != NULL);
	k_put(&k, rel, 0444, "live\n");
	/* Addresses read as zeros without CAP_SYSLOG (kptr_restrict). */
	snprintf(line, sizeof(line), "%s %zu 0 - Live 0x0000000000000000\n", mod.name, mod.size);
	k_mkdirs(&k, "proc");
	k_append(&k, "proc/modules", line);
	k_end(&k);
	journal_result(r, "load", mod.name, 0);
	return 0;
}

/* /proc/modules without @name's line. */
static void proc_modules_drop(struct kctx *k, const char *name)
{
	char *text = k_slurp(k, "proc/modules"), *save = NULL, *out;
	size_t len = strlen(name), n = 0, size;

	if (!text)
		return;
	size = strlen(text) + 1;
	if ((out = malloc(size))) {
		out[0] = '\0';
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (strncmp(l, name, len) != 0 || l[len] != ' ')
				n += (size_t)snprintf(out + n, size - n, "%s\n", l);
		k_put(k, "proc/modules", 0444, out);
		free(out);
	}
	free(text);
}

/* The module's PCI drivers, from sys/module/NAME/drivers/pci:DRV (free with k_names_free). */
static char **module_pci_drivers(struct kctx *k, const char *name, size_t *ret_n)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/module/%s/drivers", name);
	return k_names(k, rel, ret_n);
}

/* A vfio device file of a function bound to one of @drivers is open: the module is in use. */
static bool module_in_use(struct kctx *k, char **drivers, size_t n)
{
	bool used = false;

	for (size_t i = 0; i < n && !used; i++) {
		char rel[PATH_MAX];
		char **devs;
		size_t nd;

		if (strncmp(drivers[i], "pci:", 4) != 0)
			continue;
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", drivers[i] + 4);
		devs = k_names(k, rel, &nd);
		for (size_t j = 0; j < nd && !used; j++) {
			struct kdev d;

			used = is_address(devs[j]) && k_find_dev(k, devs[j], &d) == 0 &&
			       vs_device_open(k, &d);
		}
		k_names_free(devs);
	}
	return used;
}

/* delete_module(): the drivers let go of their functions, then the module is gone. */
static int module_unload(const struct vfr_root *r, const char *name)
{
	char rel[PATH_MAX], mod[MODULE_NAME_LEN];
	char **drivers;
	struct kctx k;
	size_t n;
	int err;

	if (!name_ok(name))
		return -ENOENT;
	snprintf(mod, sizeof(mod), "%s", name);
	if ((err = module_fault(r, mod))) {
		journal_result(r, "unload", mod, err);
		return -err;
	}
	if (!k_begin(&k, r))
		return -EIO;
	snprintf(rel, sizeof(rel), "sys/module/%s", mod);
	if (!k_exists(&k, rel)) {
		k_end(&k);
		return -ENOENT;
	}
	drivers = module_pci_drivers(&k, mod, &n);
	/* Since Linux 3.13 a module in use is refused at once, whatever the flags. */
	if (module_in_use(&k, drivers, n)) {
		k_names_free(drivers);
		k_end(&k);
		journal_result(r, "unload", mod, EWOULDBLOCK);
		return -EWOULDBLOCK;
	}
	for (size_t i = 0; i < n; i++) {
		const char *drv = drivers[i] + 4;
		char **devs;
		size_t nd;

		if (strncmp(drivers[i], "pci:", 4) != 0)
			continue;
		/* pci_unregister_driver(): each bound function is unbound. */
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", drv);
		devs = k_names(&k, rel, &nd);
		for (size_t j = 0; j < nd; j++) {
			struct kdev d;

			if (is_address(devs[j]) && k_find_dev(&k, devs[j], &d) == 0)
				k_detach(&k, &d);
		}
		k_names_free(devs);
		k_rmtree(&k, rel);
		snprintf(rel, sizeof(rel), ".vfr-mock/drivers/%s", drv);
		k_unlink(&k, rel);
	}
	k_names_free(drivers);
	snprintf(rel, sizeof(rel), "sys/module/%s", mod);
	k_rmtree(&k, rel);
	proc_modules_drop(&k, mod);
	k_end(&k);
	journal_result(r, "unload", mod, 0);
	return 0;
}

/* The name of the file @fd is open on, without its directory and ".ko[.xz|.zst|.gz]". */
static void fd_module_name(int fd, char *out, size_t size)
{
	char proc[64], target[PATH_MAX];
	const char *base;
	ssize_t n;

	out[0] = '\0';
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	snprintf(out, size, "%.*s", (int)strcspn(base, "."), base);
}

/* kernel_read_file_from_fd(): the whole file, malloc'd; -errno. */
static int read_fd(int fd, unsigned char **ret, size_t *ret_len)
{
	struct stat st;
	unsigned char *buf;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > MODULE_SIZE_MAX)
		return -EFBIG;
	if (!(buf = malloc((size_t)st.st_size + 1)))
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*ret = buf;
	*ret_len = got;
	return 0;
}

static int do_finit(const struct vfr_root *r, int fd, int flags)
{
	unsigned char *img = NULL;
	char name[PATH_MAX];
	size_t len = 0;
	int ret;

	if (flags & ~(MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC |
		      MODULE_INIT_COMPRESSED_FILE))
		return -EINVAL;
	/* The simulated kernel has no decompressor (CONFIG_MODULE_DECOMPRESS=n). */
	if (flags & MODULE_INIT_COMPRESSED_FILE)
		return -EOPNOTSUPP;
	if ((ret = read_fd(fd, &img, &len)) < 0)
		return ret;
	fd_module_name(fd, name, sizeof(name));
	ret = module_load(r, img, len, name[0] ? name : NULL);
	free(img);
	return ret;
}

/* -1 with errno, or 0: what the system call returns. */
static long result(int ret)
{
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

static long mock_finit_module(const struct vfr_root *r, int fd, int flags)
{
	int ret;

	vfr_busy++;
	ret = do_finit(r, fd, flags);
	vfr_busy--;
	return result(ret);
}

static long mock_init_module(const struct vfr_root *r, const void *image, unsigned long len)
{
	int ret;

	if (!image || len > (unsigned long)MODULE_SIZE_MAX)
		return result(image ? -EFBIG : -EFAULT);
	vfr_busy++;
	ret = module_load(r, image, len, NULL);
	vfr_busy--;
	return result(ret);
}

static long mock_delete_module(const struct vfr_root *r, const char *name)
{
	int ret;

	if (!name)
		return result(-EFAULT);
	vfr_busy++;
	ret = module_unload(r, name);
	vfr_busy--;
	return result(ret);
}

bool module_syscall(long number, const long a[6], long *ret)
{
	struct vfr_root r;

	if (number != SYS_finit_module && number != SYS_init_module &&
	    number != SYS_delete_module)
		return false;
	if (!root_get(&r))
		return false;
	if (root_refuse(&r)) {
		*ret = -1;
		return true;
	}
	if (number == SYS_finit_module)
		*ret = mock_finit_module(&r, (int)a[0], (int)a[2]);
	else if (number == SYS_init_module)
		*ret = mock_init_module(&r, (const void *)a[0], (unsigned long)a[1]);
	else
		*ret = mock_delete_module(&r, (const char *)a[0]);
	return true;
}

VFR_EXPORT int init_module(void *image, unsigned long len, const char *params)
{
	struct vfr_root r;

	if (!root_get(&r))
		return REAL(init_module)(image, len, params);
	if (root_refuse(&r))
		return -1;
	return (int)mock_init_module(&r, image, len);
}

/* glibc 2.36 has no wrapper; a later one, or a program's own, is caught here too. */
VFR_EXPORT int finit_module(int fd, const char *params, int flags)
{
	struct vfr_root r;

	if (!root_get(&r))
		return (int)syscall(SYS_finit_module, fd, params, flags);
	if (root_refuse(&r))
		return -1;
	return (int)mock_finit_module(&r, fd, flags);
}

VFR_EXPORT int delete_module(const char *name, unsigned int flags)
{
	struct vfr_root r;

	if (!root_get(&r))
		return REAL(delete_module)(name, flags);
	if (root_refuse(&r))
		return -1;
	return (int)mock_delete_module(&r, name);
}
