/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reads a host description (FIXTURES.md) into a model and checks it, so
 * that a mistake in a description is reported with its section and key
 * instead of producing a tree no kernel would show.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkfixture.h"

GQuark fx_error_quark(void)
{
	return g_quark_from_static_string("vfr-mkfixture-error-quark");
}

const struct fx_kind_info fx_kinds[] = {
	[KIND_ENDPOINT] = { "endpoint", false, true, 0, 0x0, 0x020000 },
	[KIND_PCI_ENDPOINT] = { "pci-endpoint", false, false, 0, -1, 0x020000 },
	[KIND_RC_ENDPOINT] = { "rc-endpoint", false, true, 0, 0x9, 0x020000 },
	[KIND_ROOT_PORT] = { "root-port", true, true, 1, 0x4, 0x060400 },
	[KIND_UPSTREAM_PORT] = { "upstream-port", true, true, 1, 0x5, 0x060400 },
	[KIND_DOWNSTREAM_PORT] = { "downstream-port", true, true, 1, 0x6, 0x060400 },
	[KIND_PCIE_PCI_BRIDGE] = { "pcie-pci-bridge", true, true, 1, 0x7, 0x060400 },
	[KIND_PCI_BRIDGE] = { "pci-bridge", true, false, 1, -1, 0x060400 },
	[KIND_CARDBUS] = { "cardbus", true, false, 2, -1, 0x060700 },
};

const char *const fx_attr_names[ATTR_COUNT] = {
	[ATTR_CONFIG] = "config",
	[ATTR_VENDOR] = "vendor",
	[ATTR_DEVICE] = "device",
	[ATTR_SUBSYSTEM_VENDOR] = "subsystem_vendor",
	[ATTR_SUBSYSTEM_DEVICE] = "subsystem_device",
	[ATTR_CLASS] = "class",
	[ATTR_REVISION] = "revision",
	[ATTR_MODALIAS] = "modalias",
	[ATTR_UEVENT] = "uevent",
	[ATTR_NUMA_NODE] = "numa_node",
	[ATTR_DRIVER_OVERRIDE] = "driver_override",
	[ATTR_POWER_STATE] = "power_state",
	[ATTR_ENABLE] = "enable",
	[ATTR_IRQ] = "irq",
	[ATTR_LOCAL_CPULIST] = "local_cpulist",
	[ATTR_RESOURCE] = "resource",
	[ATTR_RESET] = "reset",
	[ATTR_RESET_METHOD] = "reset_method",
	[ATTR_REMOVE] = "remove",
	[ATTR_RESCAN] = "rescan",
	[ATTR_SRIOV_NUMVFS] = "sriov_numvfs",
	[ATTR_SRIOV_TOTALVFS] = "sriov_totalvfs",
	[ATTR_SRIOV_OFFSET] = "sriov_offset",
	[ATTR_SRIOV_STRIDE] = "sriov_stride",
	[ATTR_SRIOV_VF_DEVICE] = "sriov_vf_device",
	[ATTR_SRIOV_DRIVERS_AUTOPROBE] = "sriov_drivers_autoprobe",
};

struct token {
	const char *name;
	unsigned int value;
};

static const struct token cap_tokens[] = {
	{ "pm", CAP_PM },
	{ "pm-nosoftrst", CAP_PM_NOSOFTRST },
	{ "flr", CAP_FLR },
	{ "af-flr", CAP_AF_FLR },
	{ "af-tp", CAP_AF_TP },
	{ "acs", CAP_ACS },
	{ "sriov", CAP_SRIOV },
	{ "msi", CAP_MSI },
	{ "msix", CAP_MSIX },
	{ NULL, 0 },
};

static const struct token corrupt_tokens[] = {
	{ "cap-loop", CORRUPT_CAP_LOOP },
	{ "cap-out-of-range", CORRUPT_CAP_OUT_OF_RANGE },
	{ "cap-past-end", CORRUPT_CAP_PAST_END },
	{ "ext-cap-loop", CORRUPT_EXT_CAP_LOOP },
	{ "truncated", CORRUPT_TRUNCATED },
	{ "all-ones", CORRUPT_ALL_ONES },
	{ NULL, 0 },
};

static const struct token link_tokens[] = {
	{ "driver", LINK_DRIVER },
	{ "iommu_group", LINK_IOMMU_GROUP },
	{ "physfn", LINK_PHYSFN },
	{ NULL, 0 },
};

static const char *const power_states[] = {
	"D0", "D1", "D2", "D3hot", "D3cold", "unknown", "error", NULL,
};

static const char *const host_keys[] = {
	"vfio_dev", "power_state", "vfio_cdev", "reset_method", "cpulist", NULL,
};
static const char *const driver_keys[] = { "module", "builtin", NULL };
static const char *const rootbus_keys[] = { "parent", NULL };
static const char *const device_keys[] = {
	"kind",
	"vendor",
	"device",
	"subsystem_vendor",
	"subsystem_device",
	"class",
	"revision",
	"parent",
	"driver",
	"driver_override",
	"iommu_group",
	"numa_node",
	"reset_method",
	"power_state",
	"caps",
	"physfn",
	"vfio_dev",
	"corrupt",
	"missing",
	"dangling",
	"escaping",
	"secondary",
	"total_vfs",
	"vf_offset",
	"vf_stride",
	"link_active",
	"multifunction",
	"acs_ctrl",
	"net",
	NULL,
};

bool fx_fail(struct fx_parser *p, const char *section, const char *key, const char *fmt,
	     ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (section && key)
		g_set_error(p->error, FX_ERROR, FX_ERROR_DESC, "%s: [%s] %s: %s", p->file,
			    section, key, msg);
	else if (section)
		g_set_error(p->error, FX_ERROR, FX_ERROR_DESC, "%s: [%s]: %s", p->file,
			    section, msg);
	else
		g_set_error(p->error, FX_ERROR, FX_ERROR_DESC, "%s: %s", p->file, msg);
	return false;
}

/*
 * The value of @key, NULL when absent. FIXTURES.md's examples carry
 * "# comment" after values; GKeyFile only knows whole-line comments, so a
 * '#' at the start or after a blank ends the value here.
 */
static bool get(struct fx_parser *p, const char *group, const char *key, char **ret)
{
	g_autoptr(GError) err = NULL;
	char *v, *c;

	*ret = NULL;
	if (!g_key_file_has_key(p->kf, group, key, NULL))
		return true;
	v = g_key_file_get_string(p->kf, group, key, &err);
	if (!v)
		return fx_fail(p, group, key, "%s", err->message);
	for (c = v; *c; c++) {
		if (*c == '#' && (c == v || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	*ret = g_strstrip(v);
	return true;
}

static bool get_hex(struct fx_parser *p, const char *group, const char *key,
		    unsigned int digits, bool required, uint32_t *ret)
{
	g_autofree char *v = NULL;
	const char *s;
	size_t len;

	if (!get(p, group, key, &v))
		return false;
	if (!v) {
		if (required)
			return fx_fail(p, group, key, "required");
		return true;
	}
	s = v;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	len = strlen(s);
	if (len == 0 || len > digits || strspn(s, "0123456789abcdefABCDEF") != len)
		return fx_fail(p, group, key,
			       "'%s' is not a hex number of at most %u digits", v,
			       digits);
	*ret = (uint32_t)strtoul(s, NULL, 16);
	return true;
}

static bool get_int(struct fx_parser *p, const char *group, const char *key, int64_t min,
		    int64_t max, int *ret)
{
	g_autofree char *v = NULL;
	g_autoptr(GError) err = NULL;
	int64_t n;

	if (!get(p, group, key, &v))
		return false;
	if (!v)
		return true;
	if (!g_ascii_string_to_signed(v, 10, min, max, &n, &err))
		return fx_fail(p, group, key, "%s", err->message);
	*ret = (int)n;
	return true;
}

static bool get_bool(struct fx_parser *p, const char *group, const char *key, bool *ret)
{
	g_autofree char *v = NULL;

	if (!get(p, group, key, &v))
		return false;
	if (!v)
		return true;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*ret = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*ret = false;
	else
		return fx_fail(p, group, key, "'%s' is not true or false", v);
	return true;
}

static bool lookup_token(const struct token *t, const char *name, unsigned int *ret)
{
	for (; t->name; t++) {
		if (strcmp(t->name, name) == 0) {
			*ret = t->value;
			return true;
		}
	}
	return false;
}

static char *token_list(const struct token *t)
{
	GString *s = g_string_new(NULL);

	for (; t->name; t++)
		g_string_append_printf(s, "%s%s", s->len ? ", " : "", t->name);
	return g_string_free(s, FALSE);
}

/* A comma-separated list of tokens as a bit mask; the empty list is 0. */
static bool get_tokens(struct fx_parser *p, const char *group, const char *key,
		       const struct token *table, unsigned int *ret)
{
	g_autofree char *v = NULL;
	g_auto(GStrv) words = NULL;
	unsigned int mask = 0, bit;

	if (!get(p, group, key, &v))
		return false;
	if (!v)
		return true;
	words = g_strsplit(v, ",", -1);
	for (char **w = words; *w; w++) {
		g_strstrip(*w);
		if (!**w)
			continue;
		if (!lookup_token(table, *w, &bit)) {
			g_autofree char *known = token_list(table);

			return fx_fail(p, group, key, "unknown token '%s' (known: %s)",
				       *w, known);
		}
		mask |= bit;
	}
	*ret = mask;
	return true;
}

/* One token of @table; an empty value is 0. */
static bool get_token(struct fx_parser *p, const char *group, const char *key,
		      const struct token *table, unsigned int *ret)
{
	g_autofree char *v = NULL;

	if (!get(p, group, key, &v))
		return false;
	if (!v || !*v)
		return true;
	if (!lookup_token(table, v, ret)) {
		g_autofree char *known = token_list(table);

		return fx_fail(p, group, key, "unknown value '%s' (one of: %s)", v,
			       known);
	}
	return true;
}

/* Every key of @group is in @allowed or in @more (NULL: no more). */
static bool check_keys(struct fx_parser *p, const char *group, const char *const *allowed,
		       const char *const *more)
{
	g_auto(GStrv) keys = g_key_file_get_keys(p->kf, group, NULL, NULL);

	for (char **k = keys; k && *k; k++) {
		if (!g_strv_contains(allowed, *k) && !(more && g_strv_contains(more, *k))) {
			g_autofree char *known = g_strjoinv(", ", (char **)allowed);
			g_autofree char *known_more =
				more ? g_strjoinv(", ", (char **)more) : NULL;

			return fx_fail(p, group, *k, "unknown key (known: %s%s%s)", known,
				       more ? ", " : "", more ? known_more : "");
		}
	}
	return true;
}

bool fx_get(struct fx_parser *p, const char *group, const char *key, char **ret)
{
	return get(p, group, key, ret);
}

bool fx_get_bool(struct fx_parser *p, const char *group, const char *key, bool *ret)
{
	return get_bool(p, group, key, ret);
}

bool fx_get_int(struct fx_parser *p, const char *group, const char *key, int64_t min,
		int64_t max, int *ret)
{
	return get_int(p, group, key, min, max, ret);
}

bool fx_get_hex(struct fx_parser *p, const char *group, const char *key, unsigned int digits,
		bool required, uint32_t *ret)
{
	return get_hex(p, group, key, digits, required, ret);
}

bool fx_get_caps(struct fx_parser *p, const char *group, const char *key, unsigned int *ret)
{
	return get_tokens(p, group, key, cap_tokens, ret);
}

bool fx_check_keys(struct fx_parser *p, const char *group, const char *const *allowed)
{
	return check_keys(p, group, allowed, NULL);
}

/* A driver, module or file name that stays one path component. */
static bool valid_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       strlen(s) < 200;
}

bool fx_parse_address(const char *text, struct fx_dev *d)
{
	unsigned int domain, bus, slot, fn;
	char canon[32], lower[32];
	int n = 0;

	if (strlen(text) >= sizeof(lower))
		return false;
	for (size_t i = 0; i <= strlen(text); i++)
		lower[i] = g_ascii_tolower(text[i]);
	if (sscanf(lower, "%8x:%2x:%2x.%1u%n", &domain, &bus, &slot, &fn, &n) != 4 ||
	    (size_t)n != strlen(lower) || slot > 0x1f || fn > 7)
		return false;
	/* The kernel's spelling (any case), so that one function has one name. */
	snprintf(canon, sizeof(canon), "%04x:%02x:%02x.%u", domain, bus, slot, fn);
	if (strcmp(canon, lower) != 0)
		return false;
	memcpy(d->addr, canon, strlen(canon) + 1);
	d->domain = domain;
	d->bus = (uint8_t)bus;
	d->slot = (uint8_t)slot;
	d->fn = (uint8_t)fn;
	return true;
}

static bool parse_host(struct fx_parser *p, const char *group)
{
	struct fixture *fx = p->fx;
	g_autofree char *cpulist = NULL;

	if (!check_keys(p, group, host_keys, NULL) ||
	    !get_bool(p, group, "vfio_dev", &fx->vfio_dev) ||
	    !get_bool(p, group, "power_state", &fx->power_state) ||
	    !get_bool(p, group, "vfio_cdev", &fx->vfio_cdev) ||
	    !get_bool(p, group, "reset_method", &fx->reset_method) ||
	    !get(p, group, "cpulist", &cpulist))
		return false;
	if (cpulist) {
		if (!*cpulist || strspn(cpulist, "0123456789,-") != strlen(cpulist))
			return fx_fail(p, group, "cpulist",
				       "'%s' is not a CPU list like 0-3,8", cpulist);
		g_free(fx->cpulist);
		fx->cpulist = g_steal_pointer(&cpulist);
	}
	return true;
}

struct fx_driver *fx_driver_get(struct fx_parser *p, const char *name)
{
	struct fx_driver *drv = g_hash_table_lookup(p->drivers, name);

	if (!drv) {
		drv = g_new0(struct fx_driver, 1);
		drv->name = g_strdup(name);
		drv->module = g_strdelimit(g_strdup(name), "-", '_');
		drv->vfio = -1;
		drv->devs = g_ptr_array_new();
		g_ptr_array_add(p->fx->drivers, drv);
		g_hash_table_insert(p->drivers, drv->name, drv);
	}
	return drv;
}

static bool parse_driver(struct fx_parser *p, const char *group, const char *name)
{
	g_autofree char *module = NULL;
	struct fx_driver *drv;
	bool builtin = false;

	if (!valid_name(name))
		return fx_fail(p, group, NULL, "'%s' is not a driver name", name);
	if (!check_keys(p, group, driver_keys, fx_mock_driver_keys) || !get(p, group, "module", &module) ||
	    !get_bool(p, group, "builtin", &builtin))
		return false;
	if (module && builtin)
		return fx_fail(p, group, "builtin", "a built-in driver has no module=");
	if (module && !valid_name(module))
		return fx_fail(p, group, "module", "'%s' is not a module name", module);
	drv = fx_driver_get(p, name);
	drv->needed = true;
	if (module) {
		g_free(drv->module);
		drv->module = g_steal_pointer(&module);
	}
	if (builtin)
		g_clear_pointer(&drv->module, g_free);
	return fx_parse_mock_driver(p, group, drv);
}

static bool parse_rootbus(struct fx_parser *p, const char *group, const char *name)
{
	struct fx_rootbus *rb;
	struct fx_dev tmp;
	g_autofree char *probe = g_strconcat(name, ":00.0", NULL);

	if (!fx_parse_address(probe, &tmp))
		return fx_fail(p, group, NULL, "'%s' is not a root bus name like 0000:80",
			       name);
	rb = g_new0(struct fx_rootbus, 1);
	memcpy(rb->name, tmp.addr, strlen(tmp.addr) - 5);
	rb->domain = tmp.domain;
	rb->bus = tmp.bus;
	rb->section = g_strdup(group);
	g_ptr_array_add(p->fx->rootbuses, rb);
	if (!g_hash_table_insert(p->rootbuses, rb->name, rb))
		return fx_fail(p, group, NULL,
			       "the same root bus as another [root-bus] section");
	if (!check_keys(p, group, rootbus_keys, NULL) ||
	    !get(p, group, "parent", &rb->parent_addr))
		return false;
	return true;
}

static bool parse_kind(struct fx_parser *p, const char *group, struct fx_dev *d)
{
	g_autofree char *v = NULL;
	GString *known;

	if (!get(p, group, "kind", &v))
		return false;
	d->kind = KIND_ENDPOINT;
	if (!v)
		return true;
	for (size_t k = 0; k <= KIND_CARDBUS; k++) {
		if (strcmp(fx_kinds[k].name, v) == 0) {
			d->kind = (enum fx_kind)k;
			return true;
		}
	}
	known = g_string_new(NULL);
	for (size_t k = 0; k <= KIND_CARDBUS; k++)
		g_string_append_printf(known, "%s%s", k ? ", " : "", fx_kinds[k].name);
	fx_fail(p, group, "kind", "unknown kind '%s' (known: %s)", v, known->str);
	g_string_free(known, TRUE);
	return false;
}

static bool parse_missing(struct fx_parser *p, const char *group, struct fx_dev *d)
{
	g_autofree char *v = NULL;
	g_auto(GStrv) words = NULL;

	if (!get(p, group, "missing", &v))
		return false;
	if (!v)
		return true;
	words = g_strsplit(v, ",", -1);
	for (char **w = words; *w; w++) {
		size_t a;

		g_strstrip(*w);
		if (!**w)
			continue;
		for (a = 0; a < ATTR_COUNT; a++)
			if (strcmp(fx_attr_names[a], *w) == 0)
				break;
		if (a == ATTR_COUNT) {
			g_autofree char *known = g_strjoinv(", ", (char **)fx_attr_names);

			return fx_fail(p, group, "missing",
				       "unknown attribute '%s' (known: %s)", *w, known);
		}
		d->missing |= UINT64_C(1) << a;
	}
	return true;
}

static bool parse_device_keys(struct fx_parser *p, const char *group, struct fx_dev *d)
{
	const struct fx_kind_info *ki;
	uint32_t vendor = 0, device = 0, subvendor, subdevice, class, revision = 0,
		 secondary;
	unsigned int corrupt = CORRUPT_NONE, caps = CAP_PM;
	g_autofree char *power_state = NULL;
	bool b;

	if (!check_keys(p, group, device_keys, fx_mock_device_keys) || !parse_kind(p, group, d))
		return false;
	ki = &fx_kinds[d->kind];
	if (!get_hex(p, group, "vendor", 4, true, &vendor) ||
	    !get_hex(p, group, "device", 4, true, &device))
		return false;
	subvendor = vendor;
	subdevice = device;
	class = ki->class;
	secondary = UINT32_MAX;
	if (!get_hex(p, group, "subsystem_vendor", 4, false, &subvendor) ||
	    !get_hex(p, group, "subsystem_device", 4, false, &subdevice) ||
	    !get_hex(p, group, "class", 6, false, &class) ||
	    !get_hex(p, group, "revision", 2, false, &revision) ||
	    !get_hex(p, group, "secondary", 2, false, &secondary))
		return false;
	d->vendor = (uint16_t)vendor;
	d->device = (uint16_t)device;
	d->subvendor = (uint16_t)subvendor;
	d->subdevice = (uint16_t)subdevice;
	d->class = class;
	d->revision = (uint8_t)revision;
	d->secondary = secondary == UINT32_MAX ? -1 : (int)secondary;

	d->iommu_group = -1;
	d->numa_node = -1;
	d->total_vfs = -1;
	d->vf_offset_key = -1;
	d->vf_stride_key = -1;
	d->multifunction_key = -1;
	if (!get(p, group, "parent", &d->parent_addr) ||
	    !get(p, group, "physfn", &d->physfn_addr) ||
	    !get(p, group, "driver", &d->driver) ||
	    !get(p, group, "driver_override", &d->driver_override) ||
	    !get(p, group, "net", &d->net) ||
	    !get(p, group, "reset_method", &d->reset_method) ||
	    !get(p, group, "power_state", &power_state) ||
	    !get_int(p, group, "iommu_group", 0, INT32_MAX, &d->iommu_group) ||
	    !get_int(p, group, "numa_node", -1, 1023, &d->numa_node) ||
	    !get_int(p, group, "total_vfs", 0, 0xffff, &d->total_vfs) ||
	    !get_int(p, group, "vf_offset", 1, 0xffff, &d->vf_offset_key) ||
	    !get_int(p, group, "vf_stride", 0, 0xffff, &d->vf_stride_key) ||
	    !get_tokens(p, group, "caps", cap_tokens, &caps) ||
	    !get_token(p, group, "corrupt", corrupt_tokens, &corrupt) ||
	    !get_tokens(p, group, "dangling", link_tokens, &d->dangling) ||
	    !get_tokens(p, group, "escaping", link_tokens, &d->escaping) ||
	    !parse_missing(p, group, d))
		return false;
	d->caps = caps;
	d->corrupt = (enum fx_corrupt)corrupt;
	if (g_key_file_has_key(p->kf, group, "link_active", NULL)) {
		if (!get_bool(p, group, "link_active", &b))
			return false;
		if (d->kind != KIND_ROOT_PORT && d->kind != KIND_DOWNSTREAM_PORT)
			return fx_fail(p, group, "link_active",
				       "only a root or downstream port reports its link");
		d->link_down = !b;
	}
	if (g_key_file_has_key(p->kf, group, "multifunction", NULL)) {
		if (!get_bool(p, group, "multifunction", &b))
			return false;
		d->multifunction_key = b;
	}
	d->acs_ctrl = -1;
	if (g_key_file_has_key(p->kf, group, "acs_ctrl", NULL)) {
		uint32_t ctrl = 0;

		if (!get_hex(p, group, "acs_ctrl", 4, false, &ctrl))
			return false;
		if (!(caps & CAP_ACS))
			return fx_fail(p, group, "acs_ctrl", "acs_ctrl needs acs in caps");
		if (ctrl & ~0x5fu)
			return fx_fail(p, group, "acs_ctrl",
				       "%04x sets bits the ACS capability does not offer (SV TB RR "
				       "CR UF DT capable: 005f)", ctrl);
		d->acs_ctrl = (int)ctrl;
	}
	d->vfio_dev = -1;
	if (g_key_file_has_key(p->kf, group, "vfio_dev", NULL)) {
		if (!get_bool(p, group, "vfio_dev", &b))
			return false;
		d->vfio_dev = b;
	}

	if (d->driver && !*d->driver)
		g_clear_pointer(&d->driver, g_free);
	if (d->driver && !valid_name(d->driver))
		return fx_fail(p, group, "driver", "'%s' is not a driver name",
			       d->driver);
	if (d->net && !*d->net)
		g_clear_pointer(&d->net, g_free);
	if (d->net) {
		g_auto(GStrv) names = g_strsplit(d->net, ",", -1);

		if (!d->driver)
			return fx_fail(p, group, "net", "a network interface needs a driver that "
				       "made it");
		for (char **n = names; *n; n++)
			/* What the kernel's dev_valid_name() takes: IFNAMSIZ, no '/', ':' or space. */
			if (!valid_name(*n) || strlen(*n) > 15 || strpbrk(*n, ": \t"))
				return fx_fail(p, group, "net", "'%s' is not an interface name", *n);
	}
	/* The kernel shows an empty override as "(null)" too. */
	if (d->driver_override && !*d->driver_override)
		g_clear_pointer(&d->driver_override, g_free);
	if (d->parent_addr && !*d->parent_addr)
		g_clear_pointer(&d->parent_addr, g_free);
	d->power_state = g_strdup(power_state ? power_state : "D0");
	if (!g_strv_contains(power_states, d->power_state)) {
		g_autofree char *known = g_strjoinv(", ", (char **)power_states);

		return fx_fail(p, group, "power_state", "'%s' is not one of %s",
			       d->power_state, known);
	}

	if ((caps & CAP_PM) && (caps & CAP_PM_NOSOFTRST))
		return fx_fail(p, group, "caps",
			       "pm and pm-nosoftrst are one capability");
	if ((caps & CAP_AF_FLR) && (caps & CAP_AF_TP))
		return fx_fail(p, group, "caps", "af-flr and af-tp are one capability");
	if (!ki->pcie && (caps & (CAP_FLR | CAP_ACS | CAP_SRIOV)))
		return fx_fail(
			p, group, "caps",
			"flr, acs and sriov live in PCI Express registers; kind %s has none",
			ki->name);
	if (d->secondary >= 0 && !ki->bridge)
		return fx_fail(p, group, "secondary", "kind %s is not a bridge",
			       ki->name);
	if (d->total_vfs >= 0 && !(caps & CAP_SRIOV))
		return fx_fail(p, group, "total_vfs", "needs sriov in caps");
	if ((d->vf_offset_key >= 0 || d->vf_stride_key >= 0) && !(caps & CAP_SRIOV))
		return fx_fail(p, group, d->vf_offset_key >= 0 ? "vf_offset" : "vf_stride",
			       "needs sriov in caps");
	if (d->dangling & d->escaping)
		return fx_fail(p, group, "escaping",
			       "a link cannot both dangle and escape");
	if ((d->dangling & LINK_DRIVER) && !d->driver)
		return fx_fail(p, group, "dangling",
			       "a dangling driver link needs driver=");
	if ((d->dangling & LINK_IOMMU_GROUP) && d->iommu_group < 0)
		return fx_fail(p, group, "dangling",
			       "a dangling iommu_group link needs iommu_group=");
	if ((d->dangling & LINK_PHYSFN) && !d->physfn_addr)
		return fx_fail(p, group, "dangling",
			       "a dangling physfn link needs physfn=");

	switch (d->corrupt) {
	case CORRUPT_CAP_LOOP:
	case CORRUPT_CAP_OUT_OF_RANGE:
	case CORRUPT_CAP_PAST_END:
		if (!ki->pcie && !(caps & (CAP_PM | CAP_PM_NOSOFTRST | CAP_MSI |
					   CAP_MSIX | CAP_AF_FLR | CAP_AF_TP)))
			return fx_fail(p, group, "corrupt",
				       "there is no capability list to break");
		break;
	case CORRUPT_EXT_CAP_LOOP:
		if (!(caps & (CAP_ACS | CAP_SRIOV)))
			return fx_fail(
				p, group, "corrupt",
				"ext-cap-loop needs an extended capability (acs or sriov)");
		break;
	default:
		break;
	}
	return fx_parse_mock_device(p, group, d);
}

static bool parse_device(struct fx_parser *p, const char *group, const char *addr)
{
	struct fx_dev *d = g_new0(struct fx_dev, 1);

	d->section = g_strdup(group);
	d->vfio_index = -1;
	g_ptr_array_add(p->fx->devs, d);
	if (!fx_parse_address(addr, d))
		return fx_fail(p, group, NULL,
			       "'%s' is not a PCI address DOMAIN:BUS:DEVICE.FUNCTION like "
			       "0000:00:1c.0 (device 00-1f, function 0-7)",
			       addr);
	if (g_hash_table_contains(p->fx->by_addr, d->addr)) {
		struct fx_dev *other = g_hash_table_lookup(p->fx->by_addr, d->addr);

		return fx_fail(p, group, NULL, "the same function as [%s]",
			       other->section);
	}
	g_hash_table_insert(p->fx->by_addr, d->addr, d);
	return parse_device_keys(p, group, d);
}

/* GKeyFile merges repeated sections silently; a repeated function is a mistake. */
static bool check_duplicate_sections(struct fx_parser *p, const char *text)
{
	g_autoptr(GHashTable) seen =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	unsigned int lineno = 0;

	for (char **l = lines; *l; l++) {
		char *s = g_strchug(*l), *end;

		lineno++;
		if (*s != '[' || !(end = strrchr(s, ']')))
			continue;
		*end = '\0';
		if (!g_hash_table_add(seen, g_strdup(s + 1)))
			return fx_fail(p, s + 1, NULL, "appears twice (again on line %u)",
				       lineno);
	}
	return true;
}

static bool parse_sections(struct fx_parser *p)
{
	g_auto(GStrv) groups = g_key_file_get_groups(p->kf, NULL);

	for (char **g = groups; *g; g++) {
		const char *name = *g;

		if (strcmp(name, "host") == 0) {
			if (!parse_host(p, name))
				return false;
		} else if (g_str_has_prefix(name, "device ")) {
			if (!parse_device(p, name, name + 7))
				return false;
		} else if (g_str_has_prefix(name, "driver ")) {
			if (!parse_driver(p, name, name + 7))
				return false;
		} else if (g_str_has_prefix(name, "root-bus ")) {
			if (!parse_rootbus(p, name, name + 9))
				return false;
		} else if (g_str_has_prefix(name, "fault ")) {
			if (!fx_parse_fault(p, name, name + 6))
				return false;
		} else {
			return fx_fail(
				p, name, NULL,
				"unknown section (known: [host], [device ADDRESS], "
				"[driver NAME], [root-bus DOMAIN:BUS], [fault NAME])");
		}
	}
	return true;
}

struct fixture *fixture_load(const char *file, GError **error)
{
	struct fixture *fx = g_new0(struct fixture, 1);
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	struct fx_parser p = {
		.file = file,
		.kf = kf,
		.fx = fx,
		.error = error,
	};
	bool ok;

	fx->vfio_dev = true;
	fx->power_state = true;
	fx->vfio_cdev = true;
	fx->reset_method = true;
	fx->cpulist = g_strdup("0-1");
	fx->devs = g_ptr_array_new();
	fx->by_addr = g_hash_table_new(g_str_hash, g_str_equal);
	fx->rootbuses = g_ptr_array_new();
	fx->drivers = g_ptr_array_new();
	fx->groups = g_ptr_array_new();
	fx->faults = g_ptr_array_new_with_free_func(g_free);
	p.drivers = g_hash_table_new(g_str_hash, g_str_equal);
	p.rootbuses = g_hash_table_new(g_str_hash, g_str_equal);

	if (!g_file_get_contents(file, &text, NULL, &err)) {
		g_set_error(error, FX_ERROR, FX_ERROR_IO, "%s", err->message);
		ok = false;
	} else if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE,
					      &err)) {
		ok = fx_fail(&p, NULL, NULL, "%s", err->message);
	} else {
		ok = check_duplicate_sections(&p, text) && parse_sections(&p) &&
		     fx_resolve(&p) && fx_resolve_mock(&p);
	}
	g_hash_table_unref(p.drivers);
	g_hash_table_unref(p.rootbuses);
	if (!ok) {
		fixture_free(fx);
		return NULL;
	}
	return fx;
}

void fx_dev_free(struct fx_dev *d)
{
	if (!d)
		return;
	g_free(d->probed_reset_method);
	g_free(d->stale_reset_method);
	g_free(d->reset_errno);
	g_free(d->reset_latency);
	g_free(d->reset_hang);
	g_free(d->vf_reset_method);
	g_free(d->section);
	g_free(d->driver);
	g_free(d->driver_override);
	g_free(d->net);
	g_free(d->reset_method);
	g_free(d->power_state);
	g_free(d->parent_addr);
	g_free(d->physfn_addr);
	g_free(d->path);
	if (d->children)
		g_ptr_array_unref(d->children);
	if (d->vfs)
		g_ptr_array_unref(d->vfs);
	g_free(d);
}

void fixture_free(struct fixture *fx)
{
	if (!fx)
		return;
	for (size_t i = 0; i < fx->devs->len; i++)
		fx_dev_free(fx->devs->pdata[i]);
	for (size_t i = 0; i < fx->rootbuses->len; i++) {
		struct fx_rootbus *rb = fx->rootbuses->pdata[i];

		g_free(rb->section);
		g_free(rb->parent_addr);
		g_free(rb->path);
		g_free(rb);
	}
	for (size_t i = 0; i < fx->drivers->len; i++) {
		struct fx_driver *drv = fx->drivers->pdata[i];

		g_free(drv->name);
		g_free(drv->module);
		g_free(drv->ids);
		g_ptr_array_unref(drv->devs);
		g_free(drv);
	}
	for (size_t i = 0; i < fx->groups->len; i++) {
		struct fx_group *g = fx->groups->pdata[i];

		g_ptr_array_unref(g->devs);
		g_free(g);
	}
	g_ptr_array_unref(fx->devs);
	g_ptr_array_unref(fx->rootbuses);
	g_ptr_array_unref(fx->drivers);
	g_ptr_array_unref(fx->groups);
	g_ptr_array_unref(fx->faults);
	g_hash_table_unref(fx->by_addr);
	g_free(fx->cpulist);
	g_free(fx);
}
