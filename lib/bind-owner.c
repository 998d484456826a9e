/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bindings and owners: a binding acts on behalf of one owner (or of the
 * owner its functions are declared for), never on someone else's, and a
 * binding made for an owner keeps the persisted declarations in step
 * (owner-store.h), as a VM manager's list of what each VM was given.
 */
#include <string.h>

#include "bind-private.h"
#include "owner-store.h"
#include "reset-plan.h"

#define LOG_DOMAIN "bind"

static const char *const verbs[] = {
	[BIND_BIND] = "bound",
	[BIND_UNBIND] = "unbound",
	[BIND_RESTORE] = "restored",
};

int bind_check_owners(struct bind_op *op, struct vfr_error **reterr)
{
	struct vfr_binding *b = op->b;
	struct bind_item *first = NULL;
	const char *first_owner = NULL;
	int r;

	vfr_owners_new(&op->owners);
	r = owner_store_read(b->state_fd, op->owners);
	if (r < 0)
		return bind_item_fail(b->items->pdata[0], reterr, r,
				      "the owners' list run/vfioreset/owners cannot be read (%s); "
				      "nothing was changed", g_strerror(-r));
	for (guint i = 0; i < b->items->len; i++) {
		struct bind_item *it = b->items->pdata[i];
		const char *owner = owners_lookup_name(op->owners, it->dev->name);

		if (!owner)
			continue;
		if (b->owner && strcmp(owner, b->owner) != 0)
			return bind_item_fail(it, reterr, -EPERM,
					      "it is declared for %s; not %s on behalf of %s; nothing "
					      "was changed", owner, verbs[op->kind], b->owner);
		if (!b->owner && first_owner && strcmp(owner, first_owner) != 0)
			return bind_item_fail(it, reterr, -EPERM,
					      "it is declared for %s and %s for %s: one binding acts "
					      "for one owner; nothing was changed", owner,
					      first->dev->name, first_owner);
		if (!first_owner) {
			first_owner = owner;
			first = it;
		}
	}
	return 0;
}

static int change(struct bind_op *op, bool add, bool all, struct vfr_error **reterr)
{
	struct vfr_binding *b = op->b;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	int r;

	for (guint i = 0; i < b->items->len; i++) {
		struct bind_item *it = b->items->pdata[i];

		if (add && !owners_lookup_name(op->owners, it->dev->name))
			it->declared = true;
		if (add ? it->declared : (all || it->declared))
			g_ptr_array_add(names, it->dev->name);
	}
	if (names->len == 0)
		return 0;
	r = owner_store_change(b->state_fd, b->owner, (const char *const *)names->pdata,
			       names->len, add, reterr);
	if (r < 0 && add)
		for (guint i = 0; i < b->items->len; i++)
			((struct bind_item *)b->items->pdata[i])->declared = false;
	return r;
}

int bind_declare(struct bind_op *op, struct vfr_error **reterr)
{
	if (!op->b->owner)
		return 0;
	return change(op, true, false, reterr);
}

int bind_withdraw(struct bind_op *op, bool all, struct vfr_error **reterr)
{
	if (!op->b->owner)
		return 0;
	return change(op, false, all, reterr);
}
