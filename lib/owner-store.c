/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The persisted declarations of owners (owner-store.h) and their public calls. */
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "owner-store.h"
#include "reset-plan.h"
#include "state-dir.h"

#define LOG_DOMAIN "owner"
#define FILE_NAME "owners"
#define LOCK_NAME "owners.lock"
#define GROUP "owners"
/* The lock is held for one read and one write of a small file. */
#define LOCK_MS 30000

bool owner_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > 256 || !g_utf8_validate(name, (gssize)len, NULL))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int owner_store_parse(const char *text, size_t len, struct vfr_owners *into, const char **ret_why)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) keys = NULL;

	*ret_why = "not a key file";
	if (!text || len > OWNER_STORE_MAX || memchr(text, '\0', len) ||
	    !g_key_file_load_from_data(kf, text, (gsize)len, G_KEY_FILE_NONE, NULL))
		return -EIO;
	/* The list emptied: only the comment is left. */
	if (!g_key_file_has_group(kf, GROUP))
		return 0;
	keys = g_key_file_get_keys(kf, GROUP, NULL, NULL);
	for (char **k = keys; k && *k; k++) {
		g_autofree char *owner = g_key_file_get_string(kf, GROUP, *k, NULL);
		struct vfr_address addr;
		char canon[VFR_ADDRESS_STRLEN];

		/* The name becomes a key of every check: only the kernel's spelling is one. */
		if (vfr_address_parse(*k, &addr, NULL) < 0 ||
		    vfr_address_format(&addr, canon, sizeof(canon)) < 0 || strcmp(canon, *k) != 0) {
			*ret_why = "a key is not a PCI address as the kernel spells it";
			return -EIO;
		}
		if (!owner_name_valid(owner)) {
			*ret_why = "an owner is not a name";
			return -EIO;
		}
		owners_add_name(into, owner, canon);
	}
	return 0;
}

int owner_store_read(int dirfd, struct vfr_owners *into)
{
	g_autofree char *text = NULL;
	const char *why;
	size_t len = 0;
	int r = state_file_read(dirfd, FILE_NAME, OWNER_STORE_MAX, &text, &len);

	if (r == -ENOENT)
		return 0;
	if (r == -EFBIG)
		return -EIO;
	if (r < 0)
		return r;
	return owner_store_parse(text, len, into, &why);
}

static char *format(const struct vfr_owners *owners, size_t *ret_len)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	gsize len = 0;
	char *text;

	g_key_file_set_comment(kf, NULL, NULL,
			       " Which functions belong to whom, as declared through vfioreset.",
			       NULL);
	for (size_t i = 0; i < vfr_owners_get_n(owners); i++)
		g_key_file_set_string(kf, GROUP, vfr_owners_get_address(owners, i),
				      vfr_owners_get_owner(owners, i));
	text = g_key_file_to_data(kf, &len, NULL);
	*ret_len = len;
	return text;
}

int owner_store_change(int dirfd, const char *owner, const char *const *names, size_t n, bool add,
		       struct vfr_error **reterr)
{
	struct vfr_owners *owners = NULL;
	g_autofree char *text = NULL;
	bool any = false;
	pid_t holder = 0;
	size_t len = 0;
	int lock, r;

	lock = state_lock_take(dirfd, LOCK_NAME, LOCK_MS, &holder);
	if (lock < 0)
		return error_set(reterr, lock, NULL,
				 "cannot take the lock of the owners' list%s: %s",
				 holder > 0 ? " (held by another process)" : "", g_strerror(-lock));
	vfr_owners_new(&owners);
	r = owner_store_read(dirfd, owners);
	if (r < 0) {
		r = error_set(reterr, r, NULL, "the owners' list %s cannot be read: %s",
			      "run/vfioreset/" FILE_NAME, g_strerror(-r));
		goto out;
	}
	/* Every function first: a refusal changes nothing. */
	for (size_t i = 0; i < n; i++) {
		const char *had = owners_lookup_name(owners, names[i]);

		if (add && had && strcmp(had, owner) != 0) {
			r = error_set(reterr, -EEXIST, names[i], "%s is declared for %s, not for %s",
				      names[i], had, owner);
			goto out;
		}
		if (!add && had && owner && strcmp(had, owner) != 0) {
			r = error_set(reterr, -EPERM, names[i],
				      "%s is declared for %s, not for %s: not withdrawn", names[i],
				      had, owner);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (add)
			any |= !owners_lookup_name(owners, names[i]) &&
			       owners_add_name(owners, owner, names[i]) == 0;
		else
			any |= owners_remove_name(owners, names[i]) > 0;
	}
	r = 0;
	if (!any)
		goto out;
	text = format(owners, &len);
	if (len > OWNER_STORE_MAX) {
		r = error_set(reterr, -EFBIG, NULL, "the owners' list would grow past %d bytes",
			      OWNER_STORE_MAX);
		goto out;
	}
	r = state_file_write(dirfd, FILE_NAME, text, len);
	if (r < 0)
		r = error_set(reterr, r, NULL, "cannot write the owners' list: %s", g_strerror(-r));
out:
	vfr_owners_unref(owners);
	state_lock_release(lock);
	return r;
}

int owner_store_load_ctx(const struct vfr_ctx *ctx, struct vfr_owners **ret,
			 struct vfr_error **reterr)
{
	struct vfr_owners *owners = NULL;
	int dirfd = -1, r;

	r = state_dir_open_existing(ctx, &dirfd, reterr);
	if (r < 0 && r != -ENOENT)
		return r;
	vfr_owners_new(&owners);
	if (r == 0) {
		r = owner_store_read(dirfd, owners);
		close(dirfd);
		if (r < 0) {
			vfr_owners_unref(owners);
			return error_set(reterr, r, NULL, "the owners' list run/vfioreset/%s below %s "
					 "cannot be read: %s", FILE_NAME, vfr_ctx_get_root(ctx),
					 g_strerror(-r));
		}
	}
	*ret = owners;
	return 0;
}

/* ---- the public calls ---- */

VFR_EXPORT int vfr_owners_load(struct vfr_ctx *ctx, struct vfr_owners **ret,
			       struct vfr_error **reterr)
{
	assert_return(ctx && ret, -EINVAL);
	return owner_store_load_ctx(ctx, ret, reterr);
}

static int persist(struct vfr_ctx *ctx, const char *owner, const struct vfr_address *addr,
		   bool add, struct vfr_error **reterr)
{
	char name[VFR_ADDRESS_STRLEN];
	const char *names[] = { name };
	int dirfd = -1, r;

	if (vfr_address_format(addr, name, sizeof(name)) < 0)
		return error_set(reterr, -EINVAL, NULL, "not a valid PCI address");
	if (owner && !owner_name_valid(owner))
		return error_set(reterr, -EINVAL, name, "'%s' cannot be an owner: give 1 to 256 "
				 "bytes of text without control characters", owner);
	r = state_dir_open(ctx, &dirfd, reterr);
	if (r < 0)
		return r;
	r = owner_store_change(dirfd, owner, names, 1, add, reterr);
	close(dirfd);
	return r;
}

VFR_EXPORT int vfr_owners_persist_add(struct vfr_ctx *ctx, const char *owner,
				      const struct vfr_address *addr, struct vfr_error **reterr)
{
	assert_return(ctx && owner && addr, -EINVAL);
	return persist(ctx, owner, addr, true, reterr);
}

VFR_EXPORT int vfr_owners_persist_remove(struct vfr_ctx *ctx, const char *owner,
					 const struct vfr_address *addr, struct vfr_error **reterr)
{
	assert_return(ctx && addr, -EINVAL);
	return persist(ctx, owner, addr, false, reterr);
}
