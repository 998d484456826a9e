/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkmod glue: the only file that includes <libkmod.h>. The index is the
 * one below the context's root (never the host's /lib/modules when a root is
 * set), without any modprobe.d configuration: an alias or blacklist line on
 * the host must not change which driver a device's variant is.
 */
#include <dlfcn.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libkmod.h>

#include "modindex.h"
#include "variant-private.h"

#define LOG_DOMAIN "kmod"

/*
 * libkmod is loaded when an index is first wanted, not with the library:
 * it brings libcrypto, libzstd and liblzma along (1.7 MiB resident on
 * Debian 12), which a VMM, or a listing on a kernel that shows vfio-dev,
 * would carry for nothing. Its SONAME has been libkmod.so.2 since 2012.
 */
#define KMOD_SONAME "libkmod.so.2"

static struct {
	typeof(kmod_new) *new;
	typeof(kmod_unref) *unref;
	typeof(kmod_set_log_fn) *set_log_fn;
	typeof(kmod_set_log_priority) *set_log_priority;
	typeof(kmod_load_resources) *load_resources;
	typeof(kmod_list_next) *list_next;
	typeof(kmod_module_new_from_lookup) *module_new_from_lookup;
	typeof(kmod_module_new_from_name) *module_new_from_name;
	typeof(kmod_module_get_module) *module_get_module;
	typeof(kmod_module_get_name) *module_get_name;
	typeof(kmod_module_get_path) *module_get_path;
	typeof(kmod_module_get_info) *module_get_info;
	typeof(kmod_module_info_get_key) *module_info_get_key;
	typeof(kmod_module_info_get_value) *module_info_get_value;
	typeof(kmod_module_info_free_list) *module_info_free_list;
	typeof(kmod_module_unref) *module_unref;
	typeof(kmod_module_unref_list) *module_unref_list;
	typeof(kmod_module_probe_insert_module) *module_probe_insert_module;
} kmod;
static char kmod_missing[256]; /* why it could not be loaded; empty once it is */
static pthread_once_t kmod_once = PTHREAD_ONCE_INIT;

static void kmod_load(void)
{
	void *h = dlopen(KMOD_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	const char *missing = NULL;

#define KMOD_SYM(field, name)                                   \
	if (!missing && !(*(void **)&kmod.field = dlsym(h, #name))) \
		missing = #name
	if (!h) {
		snprintf(kmod_missing, sizeof(kmod_missing), "%s", dlerror());
		return;
	}
	KMOD_SYM(new, kmod_new);
	KMOD_SYM(unref, kmod_unref);
	KMOD_SYM(set_log_fn, kmod_set_log_fn);
	KMOD_SYM(set_log_priority, kmod_set_log_priority);
	KMOD_SYM(load_resources, kmod_load_resources);
	KMOD_SYM(list_next, kmod_list_next);
	KMOD_SYM(module_new_from_lookup, kmod_module_new_from_lookup);
	KMOD_SYM(module_new_from_name, kmod_module_new_from_name);
	KMOD_SYM(module_get_module, kmod_module_get_module);
	KMOD_SYM(module_get_name, kmod_module_get_name);
	KMOD_SYM(module_get_path, kmod_module_get_path);
	KMOD_SYM(module_get_info, kmod_module_get_info);
	KMOD_SYM(module_info_get_key, kmod_module_info_get_key);
	KMOD_SYM(module_info_get_value, kmod_module_info_get_value);
	KMOD_SYM(module_info_free_list, kmod_module_info_free_list);
	KMOD_SYM(module_unref, kmod_module_unref);
	KMOD_SYM(module_unref_list, kmod_module_unref_list);
	KMOD_SYM(module_probe_insert_module, kmod_module_probe_insert_module);
#undef KMOD_SYM
	if (missing) {
		snprintf(kmod_missing, sizeof(kmod_missing), "%s has no %s", KMOD_SONAME, missing);
		memset(&kmod, 0, sizeof(kmod));
		dlclose(h);
	}
}

/* Loads libkmod once per process: 0, or -ENOPKG with why in @why. */
static int kmod_loaded(char *why, size_t why_size)
{
	pthread_once(&kmod_once, kmod_load);
	if (kmod.new)
		return 0;
	snprintf(why, why_size, "libkmod cannot be loaded: %s", kmod_missing);
	return -ENOPKG;
}

struct modindex {
	const struct vfr_ctx *ctx;
	struct kmod_ctx *kmod;
	char *dirname;
	GHashTable *aliases; /* module name -> GPtrArray of its vfio_pci: aliases (strings) */
};

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	const struct vfr_ctx *ctx = data;
	g_autofree char *msg = NULL;

	if (priority > vfr_ctx_get_log_priority(ctx))
		return;
	msg = g_strdup_vprintf(format, args);
	g_strchomp(msg);
	ctx_log(ctx, priority, LOG_DOMAIN, "libkmod: %s", msg);
}

static void free_aliases(gpointer p)
{
	g_ptr_array_free(p, TRUE);
}

/* Every index file of depmod starts with the magic 0xB007F457, big-endian. */
static bool index_magic_ok(const char *path)
{
	static const unsigned char magic[4] = { 0xb0, 0x07, 0xf4, 0x57 };
	unsigned char head[4];
	FILE *f = fopen(path, "rbe");
	bool ok;

	if (!f)
		return false;
	ok = fread(head, 1, sizeof(head), f) == sizeof(head) && memcmp(head, magic, 4) == 0;
	fclose(f);
	return ok;
}

int modindex_new(const struct vfr_ctx *ctx, const char *dirname, struct modindex **ret,
		 char *why, size_t why_size)
{
	/* An empty list: no modprobe.d configuration, only the index. */
	static const char *const no_config[] = { NULL };
	g_autofree char *alias_bin = g_build_filename(dirname, "modules.alias.bin", NULL);
	struct modindex *mi;
	struct stat st;
	int r;

	if (stat(dirname, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, why_size, "no modules directory %s", dirname);
		return -ENOENT;
	}
	if (stat(alias_bin, &st) < 0) {
		snprintf(why, why_size, "%s has no modules.alias.bin (run depmod)", dirname);
		return -ENOENT;
	}
	/* libkmod answers a lookup in a damaged index with nothing: that must be an error. */
	if (!index_magic_ok(alias_bin)) {
		snprintf(why, why_size, "%s is not a module index (run depmod)", alias_bin);
		return -EIO;
	}
	r = kmod_loaded(why, why_size);
	if (r < 0)
		return r;
	mi = g_new0(struct modindex, 1);
	mi->ctx = ctx;
	mi->dirname = g_strdup(dirname);
	mi->aliases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_aliases);
	mi->kmod = kmod.new(dirname, (const char *const *)no_config);
	if (!mi->kmod) {
		snprintf(why, why_size, "libkmod cannot open %s", dirname);
		modindex_free(mi);
		return -ENOMEM;
	}
	kmod.set_log_fn(mi->kmod, kmod_log, (void *)ctx);
	kmod.set_log_priority(mi->kmod, vfr_ctx_get_log_priority(ctx));
	/*
	 * Mapping every index up front makes lookups cheap, but depmod leaves
	 * some of them empty (no modules.builtin*) and libkmod then refuses them
	 * all; lookups still work from the files, so that is only noted.
	 */
	r = kmod.load_resources(mi->kmod);
	if (r < 0)
		vfr_dbg(ctx, "libkmod could not map every index in %s (%s); reading on demand",
			dirname, g_strerror(-r));
	*ret = mi;
	return 0;
}

void modindex_free(struct modindex *mi)
{
	if (!mi)
		return;
	kmod.unref(mi->kmod);
	g_hash_table_destroy(mi->aliases);
	g_free(mi->dirname);
	g_free(mi);
}

void variant_candidate_free(struct variant_candidate *c)
{
	if (!c)
		return;
	g_free(c->module);
	g_free(c->alias);
	g_free(c);
}

/*
 * The lookup says which modules match, not through which alias; the module's
 * own modinfo does. Read once per module, then cached: a warm lookup does no
 * file I/O beyond libkmod's mapped index.
 */
static GPtrArray *module_vfio_aliases(struct modindex *mi, struct kmod_module *mod)
{
	const char *name = kmod.module_get_name(mod);
	struct kmod_list *info = NULL, *l;
	GPtrArray *aliases = g_hash_table_lookup(mi->aliases, name);

	if (aliases)
		return aliases;
	aliases = g_ptr_array_new_with_free_func(g_free);
	if (kmod.module_get_info(mod, &info) < 0)
		vfr_dbg(mi->ctx, "cannot read the modinfo of %s", name);
	for (l = info; l; l = kmod.list_next(info, l)) {
		const char *key = kmod.module_info_get_key(l);
		const char *value = kmod.module_info_get_value(l);

		if (key && value && strcmp(key, "alias") == 0 && g_str_has_prefix(value, "vfio_pci:"))
			g_ptr_array_add(aliases, g_strdup(value));
	}
	kmod.module_info_free_list(info);
	g_hash_table_insert(mi->aliases, g_strdup(name), aliases);
	return aliases;
}

static struct variant_candidate *make_candidate(struct modindex *mi, struct kmod_module *mod,
						const char *wanted)
{
	struct variant_candidate *c = g_new0(struct variant_candidate, 1);
	GPtrArray *aliases = module_vfio_aliases(mi, mod);

	c->module = g_strdup(kmod.module_get_name(mod));
	for (guint i = 0; i < aliases->len; i++) {
		const char *alias = aliases->pdata[i];
		unsigned int w, l;

		if (fnmatch(alias, wanted, 0) != 0)
			continue;
		alias_specificity(alias, &w, &l);
		if (!c->alias || w < c->wildcards || (w == c->wildcards && l > c->literals)) {
			g_free(c->alias);
			c->alias = g_strdup(alias);
			c->wildcards = w;
			c->literals = l;
		}
	}
	return c;
}

int modindex_vfio_candidates(struct modindex *mi, const char *modalias, GPtrArray **ret_list,
			     char *why, size_t why_size)
{
	g_autofree char *wanted = g_strconcat("vfio_", modalias, NULL);
	struct kmod_list *found = NULL, *l;
	GPtrArray *list;
	int r;

	if (!g_str_has_prefix(modalias, "pci:")) {
		snprintf(why, why_size, "modalias '%s' is not a PCI modalias", modalias);
		return -EINVAL;
	}
	r = kmod.module_new_from_lookup(mi->kmod, wanted, &found);
	if (r < 0) {
		snprintf(why, why_size, "module lookup of %s failed: %s", wanted, g_strerror(-r));
		return r;
	}
	list = g_ptr_array_new_with_free_func((GDestroyNotify)variant_candidate_free);
	for (l = found; l; l = kmod.list_next(found, l)) {
		struct kmod_module *mod = kmod.module_get_module(l);

		g_ptr_array_add(list, make_candidate(mi, mod, wanted));
		kmod.module_unref(mod);
	}
	kmod.module_unref_list(found);
	*ret_list = list;
	return 0;
}

int modindex_load_module(struct modindex *mi, const char *name, char *why, size_t why_size)
{
	struct kmod_module *mod = NULL;
	int r;

	r = kmod.module_new_from_name(mi->kmod, name, &mod);
	if (r < 0) {
		snprintf(why, why_size, "module %s: %s", name, g_strerror(-r));
		return r;
	}
	/* Without a path the index does not know the module: nothing to load. */
	if (!kmod.module_get_path(mod)) {
		snprintf(why, why_size, "no module %s in %s", kmod.module_get_name(mod), mi->dirname);
		kmod.module_unref(mod);
		return -ENOENT;
	}
	r = kmod.module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
	if (r > 0)
		r = -EPERM; /* KMOD_PROBE_APPLY_BLACKLIST* answers are not requested; be safe */
	if (r < 0)
		snprintf(why, why_size, "loading module %s from %s failed: %s",
			 kmod.module_get_name(mod), mi->dirname, g_strerror(-r));
	else
		vfr_dbg(mi->ctx, "loaded module %s", kmod.module_get_name(mod));
	kmod.module_unref(mod);
	return r;
}
