/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the mock harness (preload/, HARNESS.md) needs beyond the tree: how
 * the simulated kernel treats each function on a reset, which devices each
 * driver matches, the VF a PF shows when VFs are enabled, and the faults to
 * inject. Parsed from the description here and written below
 * OUTDIR/.vfr-mock/ as small line-based files the preload reads without glib.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mkfixture.h"
#include "errnames.h"

const char *const fx_reset_methods[] = {
	"device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus", NULL,
};

const char *const fx_mock_device_keys[] = {
	"probed_reset_method", "stale_reset_method", "reset_errno", "reset_latency_ms",
	"reset_hang", "vf_device", "vf_caps", "vf_reset_method", NULL,
};

const char *const fx_mock_driver_keys[] = { "ids", "vfio", NULL };

static const char *const fault_keys[] = {
	"op", "path", "errno", "short", "delay_ms", "hang", "after", "times", "vanish", NULL,
};

static const char *const fault_ops[] = {
	"open", "read", "write", "readlink", "stat", "ioctl", "any", NULL,
};

/* "a b,c" -> {"a", "b", "c"}: reset_method spells lists with blanks, our keys with commas. */
static char **words(const char *text)
{
	g_auto(GStrv) parts = g_strsplit_set(text, " \t,", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **w = parts; *w; w++)
		if (**w)
			g_ptr_array_add(out, g_strdup(*w));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* A list of kernel method names as a comma list; NULL after a failure. */
static bool method_list(struct fx_parser *p, const char *group, const char *key,
			const char *text, char **ret)
{
	g_auto(GStrv) list = words(text);

	for (char **w = list; *w; w++) {
		if (!g_strv_contains(fx_reset_methods, *w)) {
			g_autofree char *known = g_strjoinv(", ", (char **)fx_reset_methods);

			return fx_fail(p, group, key, "unknown reset method '%s' (known: %s)", *w,
				       known);
		}
	}
	*ret = g_strjoinv(",", list);
	return true;
}

/*
 * "flr:EIO, pm:5" or "EIO" (every method) -> "flr:EIO,pm:EIO" / "*:EIO";
 * @errnos: the values are errno names, else milliseconds.
 */
static bool method_values(struct fx_parser *p, const char *group, const char *key,
			  const char *text, bool errnos, char **ret)
{
	g_auto(GStrv) list = words(text);
	g_autoptr(GString) out = g_string_new(NULL);

	for (char **w = list; *w; w++) {
		char *colon = strchr(*w, ':');
		const char *method = colon ? *w : "*", *value = colon ? colon + 1 : *w;

		if (colon)
			*colon = '\0';
		if (colon && !g_strv_contains(fx_reset_methods, method))
			return fx_fail(p, group, key, "unknown reset method '%s'", method);
		if (errnos) {
			int e = vfr_errno_parse(value);
			const char *name = vfr_errno_name(e);

			if (!e)
				return fx_fail(p, group, key,
					       "'%s' is not an errno name like EIO or a number",
					       value);
			g_string_append_printf(out, "%s%s:", out->len ? "," : "", method);
			if (name)
				g_string_append(out, name);
			else
				g_string_append_printf(out, "%d", e);
		} else {
			guint64 ms;

			if (!g_ascii_string_to_unsigned(value, 10, 0, 3600000, &ms, NULL))
				return fx_fail(p, group, key,
					       "'%s' is not a number of milliseconds", value);
			g_string_append_printf(out, "%s%s:%" G_GUINT64_FORMAT,
					       out->len ? "," : "", method, ms);
		}
	}
	*ret = g_strdup(out->str);
	return true;
}

bool fx_parse_mock_device(struct fx_parser *p, const char *group, struct fx_dev *d)
{
	g_autofree char *probed = NULL, *stale = NULL, *errnos = NULL, *latency = NULL,
			*hang = NULL, *vf_reset = NULL;
	uint32_t vf_device = UINT32_MAX;
	unsigned int vf_caps = 0;
	bool has_vf_caps = g_key_file_has_key(p->kf, group, "vf_caps", NULL);

	d->vf_device_key = -1;
	d->vf_caps = -1;
	if (!fx_get(p, group, "probed_reset_method", &probed) ||
	    !fx_get(p, group, "stale_reset_method", &stale) ||
	    !fx_get(p, group, "reset_errno", &errnos) ||
	    !fx_get(p, group, "reset_latency_ms", &latency) ||
	    !fx_get(p, group, "reset_hang", &hang) ||
	    !fx_get(p, group, "vf_reset_method", &vf_reset) ||
	    !fx_get_hex(p, group, "vf_device", 4, false, &vf_device) ||
	    !fx_get_caps(p, group, "vf_caps", &vf_caps))
		return false;

	if ((probed || stale || errnos || latency || hang) && !d->reset_method) {
		const char *key = probed ? "probed_reset_method" : stale ? "stale_reset_method"
							     : errnos ? "reset_errno"
							     : latency ? "reset_latency_ms"
								       : "reset_hang";

		return fx_fail(p, group, key, "needs reset_method (no reset file without it)");
	}
	if (probed && !method_list(p, group, "probed_reset_method", probed,
				   &d->probed_reset_method))
		return false;
	if (stale) {
		g_auto(GStrv) listed = words(d->reset_method);
		g_auto(GStrv) list = NULL;

		if (!method_list(p, group, "stale_reset_method", stale, &d->stale_reset_method))
			return false;
		list = words(d->stale_reset_method);
		for (char **w = list; *w; w++)
			if (!g_strv_contains((const char *const *)listed, *w))
				return fx_fail(p, group, "stale_reset_method",
					       "'%s' is not in reset_method", *w);
	}
	if (errnos && !method_values(p, group, "reset_errno", errnos, true, &d->reset_errno))
		return false;
	if (latency &&
	    !method_values(p, group, "reset_latency_ms", latency, false, &d->reset_latency))
		return false;
	if (hang) {
		if (strcmp(hang, "true") == 0)
			d->reset_hang = g_strdup("*");
		else if (strcmp(hang, "false") != 0 &&
			 !method_list(p, group, "reset_hang", hang, &d->reset_hang))
			return false;
	}

	if ((vf_device != UINT32_MAX || has_vf_caps || vf_reset) && !(d->caps & CAP_SRIOV)) {
		const char *key = vf_device != UINT32_MAX ? "vf_device"
				  : has_vf_caps		  ? "vf_caps"
							  : "vf_reset_method";

		return fx_fail(p, group, key, "needs sriov in caps");
	}
	if (vf_device != UINT32_MAX)
		d->vf_device_key = (int)vf_device;
	if (has_vf_caps) {
		if (vf_caps & (CAP_SRIOV | CAP_ACS))
			return fx_fail(p, group, "vf_caps", "a VF has neither sriov nor acs");
		d->vf_caps = (int)vf_caps;
	}
	if (vf_reset) {
		g_autofree char *check = NULL;

		if (!method_list(p, group, "vf_reset_method", vf_reset, &check))
			return false;
		d->vf_reset_method = g_steal_pointer(&vf_reset);
	}
	return true;
}

/* "8086:10d3", "8086:*", "8086:10ca:8086:0000": vendor:device[:subvendor:subdevice]. */
static bool id_item(const char *item)
{
	g_auto(GStrv) parts = g_strsplit(item, ":", -1);
	guint n = g_strv_length(parts);

	if (n != 2 && n != 4)
		return false;
	for (char **w = parts; *w; w++) {
		size_t len = strlen(*w);

		if (strcmp(*w, "*") != 0 &&
		    (len == 0 || len > 4 || strspn(*w, "0123456789abcdefABCDEF") != len))
			return false;
	}
	return true;
}

bool fx_parse_mock_driver(struct fx_parser *p, const char *group, struct fx_driver *drv)
{
	g_autofree char *ids = NULL;
	bool vfio = false;

	if (!fx_get(p, group, "ids", &ids))
		return false;
	if (g_key_file_has_key(p->kf, group, "vfio", NULL)) {
		if (!fx_get_bool(p, group, "vfio", &vfio))
			return false;
		drv->vfio = vfio;
	}
	if (ids) {
		g_auto(GStrv) list = words(ids);

		for (char **w = list; *w; w++) {
			if (!id_item(*w))
				return fx_fail(p, group, "ids",
					       "'%s' is not vendor:device[:subvendor:subdevice] "
					       "in hex or *",
					       *w);
			{
				char *lower = g_ascii_strdown(*w, -1);

				g_free(*w);
				*w = lower;
			}
		}
		g_free(drv->ids);
		drv->ids = g_strjoinv(",", list);
	}
	return true;
}

bool fx_parse_fault(struct fx_parser *p, const char *group, const char *name)
{
	g_autofree char *op = NULL, *path = NULL, *err = NULL, *vanish = NULL;
	g_autoptr(GString) line = g_string_new(NULL);
	int shortn = -1, delay = -1, after = -1, times = -1;
	bool hang = false;

	if (!*name)
		return fx_fail(p, group, NULL, "a fault needs a name: [fault NAME]");
	if (!fx_check_keys(p, group, fault_keys) || !fx_get(p, group, "op", &op) ||
	    !fx_get(p, group, "path", &path) || !fx_get(p, group, "errno", &err) ||
	    !fx_get(p, group, "vanish", &vanish) ||
	    !fx_get_int(p, group, "short", 0, 1 << 20, &shortn) ||
	    !fx_get_int(p, group, "delay_ms", 0, 3600000, &delay) ||
	    !fx_get_int(p, group, "after", 0, INT32_MAX, &after) ||
	    !fx_get_int(p, group, "times", 1, INT32_MAX, &times) ||
	    !fx_get_bool(p, group, "hang", &hang))
		return false;

	g_string_append_printf(line, "# [%s]\n", group);
	if (vanish) {
		struct fx_dev tmp;

		if (op || path || err || shortn >= 0 || delay >= 0 || hang || times >= 0)
			return fx_fail(p, group, "vanish", "takes only after=");
		if (!fx_parse_address(vanish, &tmp))
			return fx_fail(p, group, "vanish", "'%s' is not a PCI address", vanish);
		g_string_append_printf(line, "vanish %s after=%d", tmp.addr, MAX(after, 0));
		g_ptr_array_add(p->fx->faults, g_string_free(g_steal_pointer(&line), FALSE));
		return true;
	}
	if (!op)
		return fx_fail(p, group, "op", "required (one of open, read, write, readlink, "
						"stat, ioctl, any), or vanish=");
	if (!g_strv_contains(fault_ops, op))
		return fx_fail(p, group, "op", "'%s' is not one of open, read, write, readlink, "
					       "stat, ioctl, any", op);
	if (!path || path[0] != '/' || strpbrk(path, " \t"))
		return fx_fail(p, group, "path", "required: an absolute glob without blanks");
	if (!err && shortn < 0 && delay < 0 && !hang)
		return fx_fail(p, group, NULL, "needs errno=, short=, delay_ms= or hang=true");
	if (shortn >= 0 && strcmp(op, "read") != 0 && strcmp(op, "any") != 0)
		return fx_fail(p, group, "short", "applies to op=read only");
	g_string_append_printf(line, "%s %s", op, path);
	if (err) {
		int e = vfr_errno_parse(err);

		if (!e)
			return fx_fail(p, group, "errno",
				       "'%s' is not an errno name like EIO or a number", err);
		g_string_append_printf(line, " errno=%s", err);
	}
	if (shortn >= 0)
		g_string_append_printf(line, " short=%d", shortn);
	if (delay >= 0)
		g_string_append_printf(line, " delay=%d", delay);
	if (hang)
		g_string_append(line, " hang");
	if (after >= 0)
		g_string_append_printf(line, " after=%d", after);
	if (times >= 0)
		g_string_append_printf(line, " times=%d", times);
	g_ptr_array_add(p->fx->faults, g_string_free(g_steal_pointer(&line), FALSE));
	return true;
}

bool fx_resolve_mock(struct fx_parser *p)
{
	for (size_t i = 0; i < p->fx->faults->len; i++) {
		const char *line = p->fx->faults->pdata[i];
		const char *v = strstr(line, "\nvanish ");
		char addr[32];

		if (!v || sscanf(v + 8, "%31s", addr) != 1)
			continue;
		if (!g_hash_table_contains(p->fx->by_addr, addr)) {
			g_autofree char *section = g_strndup(line + 3, strcspn(line + 3, "]"));

			return fx_fail(p, section, "vanish", "%s is not described in this file",
				       addr);
		}
	}
	return true;
}

struct fx_dev *fx_vf_template(const struct fx_dev *pf)
{
	const struct fx_dev *src = pf->vfs && pf->vfs->len ? pf->vfs->pdata[0] : NULL;
	unsigned int rid = fx_rid(pf) + pf->vf_offset;
	struct fx_dev *t;

	if (!(pf->caps & CAP_SRIOV) || rid > 0xffff)
		return NULL;
	t = g_new0(struct fx_dev, 1);
	t->domain = pf->domain;
	t->bus = (uint8_t)(rid >> 8);
	t->slot = (rid >> 3) & 0x1f;
	t->fn = rid & 7;
	snprintf(t->addr, sizeof(t->addr), "%04x:%02x:%02x.%u", t->domain, t->bus, t->slot,
		 t->fn);
	t->section = g_strdup_printf("VF template of [%s]", pf->section);
	t->kind = KIND_ENDPOINT;
	t->acs_ctrl = -1;
	if (src) {
		/* VFs of one PF are alike: the first described one stands for the rest. */
		t->vendor = src->vendor;
		t->device = src->device;
		t->subvendor = src->subvendor;
		t->subdevice = src->subdevice;
		t->class = src->class;
		t->revision = src->revision;
		t->caps = src->caps;
		t->reset_method = g_strdup(src->reset_method);
		t->numa_node = src->numa_node;
		t->probed_reset_method = g_strdup(src->probed_reset_method);
		t->stale_reset_method = g_strdup(src->stale_reset_method);
		t->reset_errno = g_strdup(src->reset_errno);
		t->reset_latency = g_strdup(src->reset_latency);
		t->reset_hang = g_strdup(src->reset_hang);
	} else {
		t->vendor = pf->vendor;
		t->device = pf->vf_device;
		t->subvendor = pf->subvendor;
		t->subdevice = pf->subdevice;
		t->class = pf->class;
		t->revision = pf->revision;
		t->caps = pf->caps & (CAP_MSIX | CAP_FLR | CAP_AF_FLR | CAP_AF_TP);
		if (pf->vf_caps >= 0)
			t->caps = (unsigned int)pf->vf_caps;
		t->reset_method = pf->vf_reset_method ? g_strdup(pf->vf_reset_method)
				  : t->caps & CAP_FLR	 ? g_strdup("flr")
							 : NULL;
		t->numa_node = pf->numa_node;
	}
	t->power_state = g_strdup("D0");
	t->iommu_group = -1;
	t->vfio_dev = 0;
	t->vfio_index = -1;
	t->secondary = -1;
	t->total_vfs = -1;
	t->vf_device_key = -1;
	t->vf_caps = -1;
	t->physfn_addr = g_strdup(pf->addr);
	t->physfn = (struct fx_dev *)pf;
	t->is_vf = true;
	t->parent = pf->parent;
	t->rootbus = pf->rootbus;
	t->depth = pf->depth;
	return t;
}

/* " probed_reset_method=pm stale_reset_method=bus ...": what the preload needs to reset. */
static void behaviour(GString *out, const struct fx_dev *d)
{
	g_auto(GStrv) listed = words(d->reset_method ? d->reset_method : "");
	g_auto(GStrv) stale = words(d->stale_reset_method ? d->stale_reset_method : "");
	g_autoptr(GPtrArray) probed = g_ptr_array_new();

	if (d->probed_reset_method) {
		g_string_append_printf(out, " probed_reset_method=%s", d->probed_reset_method);
	} else {
		/* What `echo default > reset_method` finds: the list without the stale ones. */
		for (char **w = listed; *w; w++)
			if (!g_strv_contains((const char *const *)stale, *w))
				g_ptr_array_add(probed, *w);
		g_ptr_array_add(probed, NULL);
		g_string_append(out, " probed_reset_method=");
		for (guint i = 0; probed->pdata[i]; i++)
			g_string_append_printf(out, "%s%s", i ? "," : "",
					       (char *)probed->pdata[i]);
	}
	/* What a kernel without reset_method (before 5.15) runs, in its order. */
	g_string_append(out, " listed_reset_method=");
	for (char **w = listed; *w; w++)
		g_string_append_printf(out, "%s%s", w == listed ? "" : ",", *w);
	if (d->stale_reset_method)
		g_string_append_printf(out, " stale_reset_method=%s", d->stale_reset_method);
	if (d->reset_errno || (d->parent && d->parent->link_down)) {
		g_auto(GStrv) errnos = words(d->reset_errno ? d->reset_errno : "");
		bool own_bus = false;

		for (char **w = errnos; *w; w++)
			own_bus |= g_str_has_prefix(*w, "bus:");
		g_string_append_printf(out, " reset_errno=%s", d->reset_errno ? d->reset_errno : "");
		/*
		 * Below a port that never reports its link active, Linux waits for
		 * the link after a bus reset, in vain, and returns ENOTTY although
		 * the reset happened (pci_bridge_wait_for_secondary_bus()).
		 */
		if (d->parent && d->parent->link_down && !own_bus)
			g_string_append_printf(out, "%sbus:ENOTTY", d->reset_errno ? "," : "");
	}
	if (d->reset_latency)
		g_string_append_printf(out, " reset_latency_ms=%s", d->reset_latency);
	if (d->reset_hang)
		g_string_append_printf(out, " reset_hang=%s", d->reset_hang);
}

static bool put_file(const char *dir, const char *name, const GString *text, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) err = NULL;

	if (!g_file_set_contents(path, text->str, (gssize)text->len, &err)) {
		g_set_error(error, FX_ERROR, FX_ERROR_IO, "%s", err->message);
		return false;
	}
	return true;
}

static bool make_dir(const char *path, GError **error)
{
	if (g_mkdir_with_parents(path, 0755) < 0) {
		int e = errno;

		g_set_error(error, FX_ERROR, FX_ERROR_IO, "cannot create directory %s: %s", path,
			    g_strerror(e));
		return false;
	}
	return true;
}

/* drivers/NAME: "vfio 0|1" and one "id V:D[:SV:SD]" line per entry of its id table. */
static bool write_driver(const char *dir, const struct fx_driver *drv, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	bool vfio = drv->vfio >= 0 ? drv->vfio : fx_is_vfio_driver(drv->name);

	g_string_append_printf(text, "vfio %d\n", vfio);
	if (drv->ids) {
		g_auto(GStrv) list = g_strsplit(drv->ids, ",", -1);

		for (char **w = list; *w; w++)
			g_string_append_printf(text, "id %s\n", *w);
	} else if (!vfio) {
		/*
		 * Without ids= a host driver matches what the description binds to
		 * it, as its id table did; a vfio driver matches nothing by itself
		 * (vfio-pci binds through driver_override, new_id or its ids= option).
		 */
		g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal,
								   g_free, NULL);

		for (guint i = 0; i < drv->devs->len; i++) {
			const struct fx_dev *d = drv->devs->pdata[i];
			char *id = g_strdup_printf("%04x:%04x", d->vendor, d->device);

			if (g_hash_table_add(seen, id))
				g_string_append_printf(text, "id %s\n", id);
		}
	}
	return put_file(dir, drv->name, text, error);
}

bool fx_mock_write_state(const struct fixture *fx, const char *outdir, GError **error)
{
	g_autofree char *dir = g_build_filename(outdir, ".vfr-mock", NULL);
	g_autofree char *drivers = g_build_filename(dir, "drivers", NULL);
	g_autoptr(GString) text = g_string_new(NULL);

	if (!make_dir(drivers, error))
		return false;
	g_string_printf(text, "vfio_dev %d\nvfio_cdev %d\n", fx->vfio_dev, fx->vfio_cdev);
	if (!put_file(dir, "host", text, error))
		return false;

	g_string_truncate(text, 0);
	for (guint i = 0; i < fx->devs->len; i++) {
		const struct fx_dev *d = fx->devs->pdata[i];

		if (!d->reset_method)
			continue;
		g_string_append(text, d->addr);
		behaviour(text, d);
		g_string_append_c(text, '\n');
	}
	if (!put_file(dir, "devices", text, error))
		return false;

	/* "ADDR DRIVER eth0,eth1": net/ goes away on unbind, and comes back when that driver binds. */
	g_string_truncate(text, 0);
	for (guint i = 0; i < fx->devs->len; i++) {
		const struct fx_dev *d = fx->devs->pdata[i];

		if (d->net)
			g_string_append_printf(text, "%s %s %s\n", d->addr, d->driver, d->net);
	}
	if (!put_file(dir, "net", text, error))
		return false;

	for (guint i = 0; i < fx->drivers->len; i++) {
		const struct fx_driver *drv = fx->drivers->pdata[i];

		if (drv->needed && !write_driver(drivers, drv, error))
			return false;
	}

	g_string_truncate(text, 0);
	for (guint i = 0; i < fx->faults->len; i++)
		g_string_append_printf(text, "%s\n", (char *)fx->faults->pdata[i]);
	if (!put_file(dir, "faults", text, error))
		return false;

	/* sriov/PF/meta beside the template directory mkfixture-tree.c wrote. */
	for (guint i = 0; i < fx->devs->len; i++) {
		const struct fx_dev *pf = fx->devs->pdata[i];
		struct fx_dev *t = fx_vf_template(pf);
		g_autofree char *sub = NULL;
		bool ok;

		if (!t)
			continue;
		sub = g_build_filename(dir, "sriov", pf->addr, NULL);
		g_string_printf(text, "bar0 0x%" G_GINT64_MODIFIER "x\nbar_size 0x%x\nbehaviour",
				fx_vf_bar0_base(pf), FX_BAR_SIZE);
		if (t->reset_method)
			behaviour(text, t);
		g_string_append_c(text, '\n');
		ok = make_dir(sub, error) && put_file(sub, "meta", text, error);
		fx_dev_free(t);
		if (!ok)
			return false;
	}
	return true;
}
