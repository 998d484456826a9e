/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `list` and `show`: the facts of PCI functions, as a table, a report or JSON. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct {
	unsigned int flag;
	const char *key;
} capability_keys[] = {
	{ VFR_CAP_FLR, "flr" },       { VFR_CAP_AF_FLR, "af_flr" }, { VFR_CAP_PM_RESET, "pm_reset" },
	{ VFR_CAP_ACS, "acs" },       { VFR_CAP_SRIOV, "sriov" },   { VFR_CAP_PCIE, "pcie" },
	{ VFR_CAP_PM, "pm" },
};

/* Everything printed about one function, read once. */
struct facts {
	struct vfr_device *dev;
	int r_vendor, r_device, r_subvendor, r_subdevice, r_class, r_revision;
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class_code;
	uint8_t revision;
	int r_driver;
	const char *driver;
	enum vfr_driver_type driver_type;
	enum vfr_driver_type_source driver_source;
	/* driver_override, numa_node and power_state: `show` and `list --full` only. */
	bool full;
	int r_override;
	const char *override;
	int r_group, r_numa;
	int group, numa;
	int r_modalias, r_power;
	const char *modalias, *power;
	int r_reset;
	const char *const *reset_methods;
	int r_header;
	enum vfr_header_type header;
	bool multifunction;
	int r_caps;
	unsigned int caps;
	const char *vendor_name, *device_name;
	struct vfr_device *parent, *physfn;
	const struct vfr_pending_call *pending; /* NULL: none */
	/* show only: the ACS path (vfr_device_check_acs_path()) and the persisted owner. */
	int r_acs;
	struct vfr_device *acs_port;
	unsigned int acs_missing;
	const char *owner;
	/* `show` only: what a VMM and its manager need (each costs reads `list` spares). */
	bool vmm;
	int r_vf_index, r_totalvfs, r_numvfs, r_net, r_group_node, r_cdev, r_access, r_holders;
	int vf_index;
	unsigned int totalvfs, numvfs;
	const char *const *net;
	const char *group_node, *cdev;
	struct vfr_access_list *access;
	struct vfr_holders *holders;
};

/*
 * The persisted owners, read once per run for `show`; NULL when they cannot
 * be read (a user without access to the state directory), said once.
 */
static const char *owner_of(struct vfr_device *dev)
{
	static struct vfr_owners *owners;
	static bool tried;
	struct vfr_address addr;

	if (!tried) {
		struct vfr_error *err = NULL;

		tried = true;
		if (vfr_owners_load(vfr_host_get_ctx(vfr_device_get_host(dev)), &owners, &err) < 0) {
			cli_error("owners unknown: %s", vfr_error_get_message(err));
			vfr_error_free(err);
		}
	}
	if (!owners)
		return NULL;
	vfr_device_get_address(dev, &addr);
	return vfr_owners_lookup(owners, &addr);
}

/* What only `show` says: where ACS isolation ends, and who the function is declared for. */
static void gather_detail(struct facts *f)
{
	f->r_acs = vfr_device_check_acs_path(f->dev, &f->acs_port, &f->acs_missing);
	f->owner = owner_of(f->dev);
}

static void add_acs_path(struct cli_stream *w, const struct facts *f)
{
	cli_stream_key(w, "acs_path");
	if (f->r_acs < 0) {
		cli_stream_null(w);
		return;
	}
	cli_stream_begin_object(w);
	cli_stream_key(w, "isolated");
	cli_stream_bool(w, f->r_acs == 1);
	cli_stream_key(w, "port");
	if (f->acs_port)
		cli_stream_string(w, vfr_device_get_name(f->acs_port));
	else
		cli_stream_null(w);
	cli_stream_key(w, "missing");
	cli_stream_begin_array(w);
	for (unsigned int bit = 1; bit <= VFR_ACS_UPSTREAM_FORWARDING; bit <<= 1)
		if (f->acs_missing & bit)
			cli_stream_string(w, vfr_acs_control_to_string(bit));
	cli_stream_end_array(w);
	cli_stream_end_object(w);
	/* libvirt's strict_acs_check verdict; without the strict check anything readable is. */
	cli_stream_key(w, "assignable_strict_acs");
	cli_stream_bool(w, f->r_acs == 1);
}

static char *acs_text(const struct facts *f)
{
	GString *s;

	if (f->r_acs < 0)
		return g_strdup_printf("unknown: %s", g_strerror(-f->r_acs));
	if (f->r_acs == 1)
		return g_strdup("isolated (assignable with the strict ACS check)");
	s = g_string_new(NULL);
	g_string_printf(s, "%s lacks", vfr_device_get_name(f->acs_port));
	for (unsigned int bit = 1, n = 0; bit <= VFR_ACS_UPSTREAM_FORWARDING; bit <<= 1)
		if (f->acs_missing & bit)
			g_string_append_printf(s, "%s %s", n++ ? "," : "", vfr_acs_control_to_string(bit));
	g_string_append(s, " (not assignable with the strict ACS check)");
	return g_string_free(s, FALSE);
}


/* The facts of `show` beyond `list`'s; facts_clear() frees. */
static void gather_vmm(struct vfr_device *dev, struct facts *f)
{
	f->vmm = true;
	f->r_vf_index = vfr_device_get_vf_index(dev, &f->vf_index);
	f->r_totalvfs = vfr_device_get_sriov_totalvfs(dev, &f->totalvfs);
	f->r_numvfs = vfr_device_get_sriov_numvfs(dev, &f->numvfs);
	f->r_net = vfr_device_get_net_interfaces(dev, &f->net);
	f->r_group_node = vfr_device_get_vfio_group_node(dev, &f->group_node);
	f->r_cdev = vfr_device_get_vfio_cdev(dev, &f->cdev);
	f->r_access = vfr_device_list_access(dev, &f->access, NULL);
	/* Holders matter only where a process can hold the function through VFIO. */
	f->r_holders = f->r_driver == 0 && vfr_driver_type_is_vfio(f->driver_type)
			       ? vfr_device_find_holders(dev, &f->holders, NULL)
			       : -ENOENT;
}

static void facts_clear(struct facts *f)
{
	g_clear_pointer(&f->access, vfr_access_list_free);
	g_clear_pointer(&f->holders, vfr_holders_free);
}

static const char *const holder_how_names[] = { "group", "cdev", "device", "mmap", "unnamed" };

static char *how_text(unsigned int how)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(holder_how_names); i++)
		if (how & (1u << i))
			g_string_append_printf(s, "%s%s", s->len ? "," : "", holder_how_names[i]);
	return g_string_free(s, FALSE);
}


/*
 * What a function says of itself: all of it but the SR-IOV relations; the
 * three attributes of @full cost two calls each, which a plain `list` spares.
 */
static void gather_own(struct vfr_device *dev, struct facts *f, bool names, bool full)
{
	memset(f, 0, sizeof(*f));
	f->dev = dev;
	/* First: a reset stuck in the kernel means its config space is not to be read. */
	if (vfr_device_get_pending_call(dev, &f->pending) < 0)
		f->pending = NULL;
	f->r_vendor = vfr_device_get_vendor_id(dev, &f->vendor);
	f->r_device = vfr_device_get_device_id(dev, &f->device);
	f->r_subvendor = vfr_device_get_subsystem_vendor_id(dev, &f->subvendor);
	f->r_subdevice = vfr_device_get_subsystem_device_id(dev, &f->subdevice);
	f->r_class = vfr_device_get_class(dev, &f->class_code);
	f->r_revision = vfr_device_get_revision(dev, &f->revision);
	f->r_driver = vfr_device_get_driver(dev, &f->driver);
	if (f->r_driver == 0) {
		vfr_device_get_driver_type(dev, &f->driver_type);
		vfr_device_get_driver_type_source(dev, &f->driver_source);
	}
	f->full = full;
	if (full)
		f->r_override = vfr_device_get_driver_override(dev, &f->override);
	f->r_group = vfr_device_get_iommu_group(dev, &f->group);
	if (full)
		f->r_numa = vfr_device_get_numa_node(dev, &f->numa);
	f->r_modalias = vfr_device_get_modalias(dev, &f->modalias);
	if (full)
		f->r_power = vfr_device_get_power_state(dev, &f->power);
	f->r_reset = vfr_device_get_reset_methods(dev, &f->reset_methods);
	f->r_caps = vfr_device_get_capabilities(dev, &f->caps, NULL);
	f->r_header = vfr_device_get_header_type(dev, &f->header);
	f->multifunction = vfr_device_is_multifunction(dev);
	if (names)
		vfr_device_get_names(dev, &f->vendor_name, &f->device_name);
	f->parent = vfr_device_get_parent(dev);
}

/*
 * The SR-IOV relations (physfn, virtfns) come from every function's physfn
 * link, which the library reads while a function's directory is open
 * anyway: so a listing reads all functions first, each directory opened
 * once, and then prints, instead of making the first function's relations
 * open every other directory.
 */
static void read_own(struct vfr_device *dev, bool names, bool full)
{
	struct facts f;

	gather_own(dev, &f, names, full);
}

static void gather(struct vfr_device *dev, struct facts *f, bool names, bool full)
{
	gather_own(dev, f, names, full);
	f->physfn = vfr_device_get_physfn(dev);
}

/* ---- JSON ---- */

static void add_device_ref(struct cli_stream *w, const char *key, struct vfr_device *dev)
{
	cli_stream_attr(w, key, 0, dev ? vfr_device_get_name(dev) : NULL);
}

static void add_holders(struct cli_stream *w, const char *key, const struct vfr_holders *h,
			bool uncertain)
{
	size_t n = uncertain ? vfr_holders_get_n_uncertain(h) : vfr_holders_get_n(h);

	cli_stream_key(w, key);
	cli_stream_begin_array(w);
	for (size_t i = 0; i < n; i++) {
		unsigned int how = uncertain ? vfr_holders_get_uncertain_how(h, i)
					     : vfr_holders_get_how(h, i);

		cli_stream_begin_object(w);
		cli_stream_int_member(w, "pid", 0, uncertain ? vfr_holders_get_uncertain_pid(h, i)
					       : vfr_holders_get_pid(h, i));
		cli_stream_key(w, "how");
		cli_stream_begin_array(w);
		for (size_t k = 0; k < G_N_ELEMENTS(holder_how_names); k++)
			if (how & (1u << k))
				cli_stream_string(w, holder_how_names[k]);
		cli_stream_end_array(w);
		cli_stream_end_object(w);
	}
	cli_stream_end_array(w);
}

/* `show` only: SR-IOV, network interfaces, the VFIO nodes and files, the holders. */
static void build_vmm(struct cli_stream *w, const struct facts *f)
{
	cli_stream_int_member(w, "vf_index", f->r_vf_index, f->vf_index);
	cli_stream_key(w, "sriov");
	if (f->r_totalvfs < 0) {
		cli_stream_null(w);
	} else {
		cli_stream_begin_object(w);
		cli_stream_int_member(w, "totalvfs", 0, (int)f->totalvfs);
		cli_stream_int_member(w, "numvfs", f->r_numvfs, (int)f->numvfs);
		cli_stream_end_object(w);
	}
	cli_stream_key(w, "net");
	if (f->r_net < 0) {
		cli_stream_null(w);
	} else {
		cli_stream_begin_array(w);
		for (const char *const *n = f->net; *n; n++)
			cli_stream_string(w, *n);
		cli_stream_end_array(w);
	}
	cli_stream_key(w, "vfio");
	cli_stream_begin_object(w);
	cli_stream_attr(w, "group_node", f->r_group_node, f->group_node);
	cli_stream_attr(w, "cdev", f->r_cdev, f->cdev);
	cli_stream_key(w, "access");
	if (f->r_access < 0) {
		cli_stream_null(w);
	} else {
		cli_stream_begin_array(w);
		for (size_t i = 0; i < vfr_access_list_get_n(f->access); i++) {
			int major = vfr_access_list_get_major(f->access, i);

			cli_stream_begin_object(w);
			cli_stream_attr(w, "path", 0, vfr_access_list_get_path(f->access, i));
			cli_stream_attr(w, "kind", 0,
				   vfr_access_kind_to_string(vfr_access_list_get_kind(f->access, i)));
			cli_stream_int_member(w, "major", major < 0 ? -ENOENT : 0, major);
			cli_stream_int_member(w, "minor", major < 0 ? -ENOENT : 0,
				vfr_access_list_get_minor(f->access, i));
			cli_stream_end_object(w);
		}
		cli_stream_end_array(w);
	}
	cli_stream_end_object(w);
	cli_stream_key(w, "holders");
	if (!f->holders) {
		cli_stream_null(w);
	} else {
		cli_stream_begin_object(w);
		add_holders(w, "certain", f->holders, false);
		add_holders(w, "uncertain", f->holders, true);
		cli_stream_key(w, "self");
		cli_stream_bool(w, vfr_holders_get_self(f->holders) != 0);
		cli_stream_end_object(w);
	}
}

static void build_device(struct cli_stream *w, const struct facts *f, bool detail)
{
	struct vfr_device *dev = f->dev;
	size_t n;

	cli_stream_begin_object(w);
	cli_stream_attr(w, "address", 0, vfr_device_get_name(dev));
	cli_stream_hex(w, "vendor", f->r_vendor, f->vendor, 4);
	cli_stream_hex(w, "device", f->r_device, f->device, 4);
	cli_stream_hex(w, "subsystem_vendor", f->r_subvendor, f->subvendor, 4);
	cli_stream_hex(w, "subsystem_device", f->r_subdevice, f->subdevice, 4);
	cli_stream_hex(w, "class", f->r_class, f->class_code, 6);
	cli_stream_hex(w, "revision", f->r_revision, f->revision, 2);
	cli_stream_attr(w, "driver", f->r_driver, f->driver);
	cli_stream_attr(w, "driver_type", f->r_driver,
		      f->r_driver == 0 ? vfr_driver_type_to_string(f->driver_type) : NULL);
	cli_stream_attr(w, "driver_type_source", f->r_driver,
		      f->r_driver == 0 ? vfr_driver_type_source_to_string(f->driver_source) : NULL);
	if (f->full)
		cli_stream_attr(w, "driver_override", f->r_override, f->override);
	cli_stream_int_member(w, "iommu_group", f->r_group, f->group);
	if (f->full)
		cli_stream_int_member(w, "numa_node", f->r_numa, f->numa);
	cli_stream_attr(w, "header_type", 0, vfr_header_type_to_string(f->header));
	cli_stream_key(w, "multifunction");
	cli_stream_bool(w, f->multifunction);

	cli_stream_key(w, "reset_methods");
	if (f->r_reset < 0) {
		cli_stream_null(w);
	} else {
		cli_stream_begin_array(w);
		for (const char *const *m = f->reset_methods; *m; m++)
			cli_stream_string(w, *m);
		cli_stream_end_array(w);
	}

	cli_stream_key(w, "capabilities");
	if (f->r_caps < 0) {
		cli_stream_null(w);
	} else {
		cli_stream_begin_object(w);
		for (size_t i = 0; i < G_N_ELEMENTS(capability_keys); i++) {
			cli_stream_key(w, capability_keys[i].key);
			cli_stream_bool(w, f->caps & capability_keys[i].flag);
		}
		cli_stream_end_object(w);
	}

	if (f->full)
		cli_stream_attr(w, "power_state", f->r_power, f->power);
	cli_stream_attr(w, "modalias", f->r_modalias, f->modalias);
	add_device_ref(w, "physfn", f->physfn);
	cli_stream_key(w, "virtfns");
	cli_stream_begin_array(w);
	n = vfr_device_get_n_virtfns(dev);
	for (size_t i = 0; i < n; i++)
		cli_stream_string(w, vfr_device_get_name(vfr_device_get_virtfn(dev, i)));
	cli_stream_end_array(w);
	add_device_ref(w, "parent", f->parent);
	if (detail) {
		add_acs_path(w, f);
		cli_stream_attr(w, "owner", 0, f->owner);
	}
	if (f->vmm)
		build_vmm(w, f);

	cli_stream_key(w, "pending");
	if (!f->pending) {
		cli_stream_null(w);
	} else {
		cli_stream_begin_object(w);
		cli_stream_attr(w, "address", 0, vfr_pending_call_get_address(f->pending));
		cli_stream_attr(w, "operation", 0, vfr_pending_call_get_operation(f->pending));
		cli_stream_attr(w, "method", 0, vfr_pending_call_get_method(f->pending));
		cli_stream_int_member(w, "pid", 0, vfr_pending_call_get_pid(f->pending));
		cli_stream_key(w, "since");
		cli_stream_int(w, vfr_pending_call_get_since(f->pending));
		cli_stream_attr(w, "message", 0, vfr_pending_call_get_message(f->pending));
		cli_stream_end_object(w);
	}

	cli_stream_key(w, "problems");
	cli_stream_begin_array(w);
	n = vfr_device_get_n_problems(dev);
	for (size_t i = 0; i < n; i++)
		cli_stream_string(w, vfr_device_get_problem(dev, i));
	cli_stream_end_array(w);
	cli_stream_end_object(w);
}

/*
 * Each function's object is written as it is made and flushed every few
 * dozen, so memory does not grow with the number of functions; pretty for
 * a terminal.
 */
static void print_json(struct vfr_device **devs, size_t n, bool detail, bool full)
{
	struct cli_stream w;

	cli_stream_init(&w, isatty(STDOUT_FILENO));
	cli_stream_begin_object(&w);
	cli_stream_key(&w, "devices");
	cli_stream_begin_array(&w);
	for (size_t i = 0; i < n; i++)
		read_own(devs[i], false, full);
	for (size_t i = 0; i < n; i++) {
		struct facts f;

		gather(devs[i], &f, false, full);
		if (detail) {
			gather_detail(&f);
			gather_vmm(devs[i], &f);
		}
		build_device(&w, &f, detail);
		facts_clear(&f);
		if (w.s->len >= 64 * 1024)
			cli_stream_flush(&w);
	}
	cli_stream_end_array(&w);
	cli_stream_end_object(&w);
	cli_stream_finish(&w);
}

/* ---- text ---- */

static char *join_methods(const struct facts *f)
{
	if (f->r_reset < 0)
		return g_strdup("-");
	if (!f->reset_methods[0])
		return g_strdup("(none)");
	return g_strjoinv(" ", (char **)f->reset_methods);
}

static char *ids_text(const struct facts *f)
{
	if (f->r_vendor < 0 || f->r_device < 0)
		return g_strdup("?");
	return g_strdup_printf("%04x:%04x", f->vendor, f->device);
}

static char *name_text(const struct facts *f)
{
	if (!f->vendor_name && !f->device_name)
		return g_strdup("");
	if (!f->device_name)
		return g_strdup(f->vendor_name);
	return g_strdup_printf("%s %s", f->vendor_name ? f->vendor_name : "?", f->device_name);
}

static char *int_text(int r, int value)
{
	return r < 0 ? g_strdup("-") : g_strdup_printf("%d", value);
}

/* `list --full`: the override, NUMA node and power state columns. */
static char *full_text(const struct facts *f)
{
	g_autofree char *numa = int_text(f->r_numa, f->numa);

	return g_strdup_printf("%-14s %-4s %-6s ", f->r_override < 0 || !f->override ? "-"
		: f->override, numa, f->r_power < 0 ? "-" : f->power);
}

static void print_table(struct vfr_device **devs, size_t n, bool full)
{
	printf("%-13s %-9s %-6s %-14s %-12s %-5s %-14s %s%s\n", "ADDRESS", "IDS", "CLASS",
	       "DRIVER", "TYPE", "GROUP", "RESET",
	       full ? "OVERRIDE       NUMA POWER  " : "", "NAME");
	for (size_t i = 0; i < n; i++)
		read_own(devs[i], true, full);
	for (size_t i = 0; i < n; i++) {
		g_autofree char *ids = NULL, *methods = NULL, *name = NULL, *group = NULL;
		g_autofree char *class_text = NULL, *extra = NULL;
		struct facts f;

		gather(devs[i], &f, true, full);
		extra = full ? full_text(&f) : g_strdup("");
		ids = ids_text(&f);
		methods = join_methods(&f);
		name = name_text(&f);
		group = int_text(f.r_group, f.group);
		class_text = f.r_class < 0 ? g_strdup("?") : g_strdup_printf("%06x", f.class_code);
		printf("%-13s %-9s %-6s %-14s %-12s %-5s %-14s %s%s%s\n", vfr_device_get_name(devs[i]),
		       ids, class_text, f.r_driver < 0 ? "?" : f.driver ? f.driver : "-",
		       f.r_driver < 0 ? "?" : vfr_driver_type_to_string(f.driver_type), group,
		       methods, extra, name,
		       f.pending ? "  (a reset is pending in the kernel: see show)"
		       : vfr_device_get_n_problems(devs[i]) ? "  (problems: see show)" : "");
	}
}

static void print_field(const char *label, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void print_field(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("  %-16s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void print_report(struct vfr_device *dev)
{
	g_autofree char *methods = NULL, *name = NULL, *ids = NULL, *acs = NULL;
	GString *caps = g_string_new(NULL);
	struct facts f;
	size_t n;

	gather(dev, &f, true, true);
	gather_detail(&f);
	acs = acs_text(&f);
	ids = ids_text(&f);
	methods = join_methods(&f);
	name = name_text(&f);
	printf("%s %s\n", vfr_device_get_name(dev), name);
	print_field("ids:", "%s (subsystem %04x:%04x), revision %02x", ids, f.subvendor,
		    f.subdevice, f.revision);
	if (f.r_class == 0)
		print_field("class:", "%06x", f.class_code);
	print_field("header:", "%s%s", vfr_header_type_to_string(f.header),
		    f.multifunction ? ", multifunction" : "");
	if (f.r_driver == 0)
		print_field("driver:", "%s (%s, by %s)", f.driver ? f.driver : "-",
			    vfr_driver_type_to_string(f.driver_type),
			    vfr_driver_type_source_to_string(f.driver_source));
	if (f.r_override == 0)
		print_field("driver override:", "%s", f.override ? f.override : "-");
	if (f.r_group == 0)
		print_field("iommu group:", "%d", f.group);
	else
		print_field("iommu group:", "-");
	if (f.r_numa == 0)
		print_field("numa node:", "%d", f.numa);
	if (f.r_power == 0)
		print_field("power state:", "%s", f.power);
	print_field("reset methods:", "%s", methods);
	if (f.r_caps == 0) {
		for (size_t i = 0; i < G_N_ELEMENTS(capability_keys); i++)
			if (f.caps & capability_keys[i].flag)
				g_string_append_printf(caps, "%s%s", caps->len ? " " : "",
						       capability_keys[i].key);
		print_field("capabilities:", "%s", caps->len ? caps->str : "(none)");
	} else {
		print_field("capabilities:", "unknown");
	}
	print_field("parent:", "%s", f.parent ? vfr_device_get_name(f.parent) : "- (root bus)");
	print_field("acs path:", "%s", acs);
	print_field("owner:", "%s", f.owner ? f.owner : "-");
	gather_vmm(dev, &f);
	if (f.physfn && f.r_vf_index == 0)
		print_field("physfn:", "%s (VF %d)", vfr_device_get_name(f.physfn), f.vf_index);
	else if (f.physfn)
		print_field("physfn:", "%s", vfr_device_get_name(f.physfn));
	if (f.r_totalvfs == 0 && f.r_numvfs == 0)
		print_field("sr-iov:", "%u of %u VFs enabled", f.numvfs, f.totalvfs);
	n = vfr_device_get_n_virtfns(dev);
	for (size_t i = 0; i < n; i++)
		print_field(i == 0 ? "virtfns:" : "", "%s",
			    vfr_device_get_name(vfr_device_get_virtfn(dev, i)));
	if (f.r_net == 0 && f.net[0]) {
		g_autofree char *net = g_strjoinv(" ", (char **)f.net);

		print_field("net:", "%s", net);
	}
	if (f.r_modalias == 0)
		print_field("modalias:", "%s", f.modalias);
	if (f.r_group_node == 0)
		print_field("vfio group:", "%s", f.group_node);
	if (f.r_cdev == 0)
		print_field("vfio cdev:", "%s", f.cdev);
	for (size_t i = 0; f.access && i < vfr_access_list_get_n(f.access); i++) {
		int major = vfr_access_list_get_major(f.access, i);
		g_autofree char *num = major >= 0
			? g_strdup_printf(" (%d:%d)", major, vfr_access_list_get_minor(f.access, i))
			: g_strdup("");

		print_field(i == 0 ? "access:" : "", "%s %s%s",
			    vfr_access_kind_to_string(vfr_access_list_get_kind(f.access, i)),
			    vfr_access_list_get_path(f.access, i), num);
	}
	if (f.holders) {
		size_t nh = vfr_holders_get_n(f.holders), nu = vfr_holders_get_n_uncertain(f.holders);

		if (nh + nu == 0)
			print_field("holders:", "none%s", vfr_holders_get_self(f.holders) ? " but this "
				    "process" : "");
		for (size_t i = 0; i < nh; i++) {
			g_autofree char *how = how_text(vfr_holders_get_how(f.holders, i));

			print_field(i == 0 ? "holders:" : "", "pid %d (%s)",
				    vfr_holders_get_pid(f.holders, i), how);
		}
		for (size_t i = 0; i < nu; i++)
			print_field(nh == 0 && i == 0 ? "holders:" : "", "pid %d (may hold it: an "
				    "unnamed VFIO device file)", vfr_holders_get_uncertain_pid(f.holders, i));
	}
	if (f.pending)
		print_field("pending:", "%s", vfr_pending_call_get_message(f.pending));
	n = vfr_device_get_n_problems(dev);
	for (size_t i = 0; i < n; i++)
		print_field(i == 0 ? "problems:" : "", "%s", vfr_device_get_problem(dev, i));
	g_string_free(caps, TRUE);
	facts_clear(&f);
}

/* ---- commands ---- */

static gboolean opt_full;

const GOptionEntry list_options[] = {
	{ "full", 0, 0, G_OPTION_ARG_NONE, &opt_full,
	  "Also read and print driver_override, numa_node and power_state", NULL },
	{ NULL },
};

int cmd_list(struct cli *cli, int argc, char **argv)
{
	struct vfr_host *host;
	size_t n;

	if (argc > 0) {
		cli_error("list: unexpected argument '%s'", argv[0]);
		return EXIT_USAGE;
	}
	host = cli_scan(cli, 0, NULL);
	if (!host)
		return cli->status;
	n = vfr_host_get_n_devices(host);
	{
		g_autofree struct vfr_device **devs = g_new(struct vfr_device *, n + 1);

		for (size_t i = 0; i < n; i++)
			devs[i] = vfr_host_get_device(host, i);
		if (cli->json)
			print_json(devs, n, false, opt_full);
		else
			print_table(devs, n, opt_full);
	}
	vfr_host_unref(host);
	return EXIT_OK;
}

struct vfr_device **cli_lookup(struct vfr_host *host, int *argc, char **argv, int *ret_status)
{
	struct vfr_device **devs = g_new0(struct vfr_device *, (size_t)*argc + 1);
	int n = 0;

	*ret_status = EXIT_OK;
	for (int i = 0; i < *argc; i++) {
		struct vfr_error *err = NULL;
		struct vfr_device *dev = NULL;
		bool again = false;

		if (vfr_host_lookup(host, argv[i], &dev, &err) < 0) {
			cli_error("%s", vfr_error_get_message(err));
			vfr_error_free(err);
			*ret_status = EXIT_USAGE;
			continue;
		}
		/* 04:00.1 and 0000:04:00.1 are one function: acted on once. */
		for (int k = 0; k < n; k++)
			again |= devs[k] == dev;
		if (again)
			continue;
		argv[n] = argv[i];
		devs[n++] = dev;
	}
	if (*ret_status != EXIT_OK) {
		g_clear_pointer(&devs, g_free);
		return NULL;
	}
	*argc = n;
	return devs;
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	g_autofree struct vfr_device **devs = NULL;
	struct vfr_host *host;
	int status;

	if (argc <= 0) {
		cli_error("show: name at least one function (DDDD:BB:DD.F)");
		return EXIT_USAGE;
	}
	host = cli_scan(cli, argc, argv);
	if (!host)
		return cli->status;
	devs = cli_lookup(host, &argc, argv, &status);
	if (devs && cli->json) {
		print_json(devs, (size_t)argc, true, true);
	} else if (devs) {
		for (int i = 0; i < argc; i++) {
			if (i)
				putchar('\n');
			print_report(devs[i]);
		}
	}
	vfr_host_unref(host);
	return status;
}
