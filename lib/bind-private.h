/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The managed-binding object, shared by bind.c (the moves), bind-target.c
 * (the targets), bind-groups.c (group viability) and bind-item.c (one
 * function of an operation).
 */
#pragma once

#include <glib.h>

#include "bind-state.h"
#include "device-private.h"

typedef struct bind_record bind_record_t;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(bind_record_t, bind_record_clear)

/* One function of an operation. */
struct bind_item {
	struct vfr_device *dev;
	int status;            /* 0, -errno, or 1 not done */
	struct bind_record orig; /* as found when the operation started */
	struct bind_record want; /* where the operation moves it */
	bool any_driver;       /* restore without a record: whatever the probe binds */
	bool changed;          /* a write to the kernel succeeded */
	bool created_record;
	bool rolled_back;
	bool unknown;          /* a write did not return: state unknown */
	char *before, *after;
	char *message;
	int *holders;
	size_t n_holders;
	int lock_fd;
};

struct vfr_binding {
	int refcount;
	struct vfr_host *host;
	GPtrArray *requested; /* struct vfr_device *, as added */
	GPtrArray *items;     /* struct bind_item *, sorted by address */
	char *driver;
	unsigned int flags;
	int write_ms, lock_ms;
	int state_fd; /* ROOT/run/vfioreset, opened on first use */
	int pending_fd; /* ROOT/run/vfioreset/pending, with state_fd */
};

enum bind_kind {
	BIND_BIND = 0,
	BIND_UNBIND = 1,
	BIND_RESTORE = 2,
};

struct bind_op {
	struct vfr_binding *b;
	struct vfr_ctx *ctx;
	enum bind_kind kind;
	char *driver; /* the resolved target of a named-driver bind, for every item */
};

/* bind-item.c */
int bind_read_state(struct vfr_device *dev, struct bind_record *ret);
int bind_item_fail(struct bind_item *it, struct vfr_error **reterr, int code, const char *fmt,
		   ...) G_GNUC_PRINTF(4, 5);
void bind_item_note(struct bind_item *it, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* bind-target.c: sets it->want (loading the target driver's module when needed). */
int bind_plan(struct bind_op *op, struct bind_item *it, struct vfr_error **reterr);

/*
 * bind-groups.c: the groups of the items, after a bind: with @strict a
 * group that is not viable fails the operation (-EBUSY naming the member
 * that blocks); otherwise it is noted on the items.
 */
int bind_check_groups(struct bind_op *op, bool strict, struct vfr_error **reterr);
