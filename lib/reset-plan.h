/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reset plan: from one function's facts (plain structs, no I/O) to the
 * ordered methods that may be tried and the excluded ones with their
 * reasons. reset-facts.c fills the facts from sysfs and config space,
 * reset-decide.c decides, reset-plan-object.c is the public object,
 * reset-exec.c carries the plan out.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "internal.h"

/* How a function other than the target is reached. */
enum reset_peer_relation {
	PEER_BELOW = 0,    /* on a bus below the target's: a bus-wide reset resets it */
	PEER_SAME_BUS = 1, /* on the target's bus: a bus-wide reset resets it */
	PEER_VF = 2,       /* a VF of the target: every method of the target resets it */
};

/* Another function a method of the plan would reset too. */
struct reset_peer {
	const char *name;
	const char *driver; /* NULL: unbound */
	enum vfr_driver_type driver_type;
	const char *owner;  /* NULL: declared for nobody */
	enum reset_peer_relation relation;
	const int *holders; /* pids of other processes holding it through VFIO */
	size_t n_holders;
	/* pids of processes that may: a VFIO device file the kernel does not name (holders.h) */
	const int *uncertain;
	size_t n_uncertain;
	const char *pending; /* a stuck kernel call holding it, in words; NULL: none */
	bool gone;           /* vanished since the scan */
};

/*
 * A function's facts, everything its plan is decided from. The pointers
 * are borrowed (from the index, or from @storage).
 */
struct reset_facts {
	const char *name;
	const char *driver; /* NULL: unbound */
	enum vfr_driver_type driver_type;
	const char *owner;  /* the target's declared owner, NULL: nobody */
	const char *caller; /* on whose behalf; NULL: the target's owner */
	enum vfr_header_type header;
	bool gone;         /* vanished, or config space reads all 0xFF */
	bool caps_known;   /* false without root: then the kernel's list is trusted */
	unsigned int caps; /* enum vfr_capability */
	/* The kernel's reset_method list; NULL when there is no such attribute. */
	const char *const *kernel_methods;
	/*
	 * `reset` exists without `reset_method`: a kernel before 5.15, which
	 * runs its own methods in its own order and does not say which.
	 */
	bool reset_without_list;
	/* Other processes holding the target through VFIO; the caller is never one. */
	const int *holders;
	size_t n_holders;
	const int *uncertain; /* processes that may hold it, where the kernel does not say */
	size_t n_uncertain;
	const char *holders_unknown; /* why holders could not be looked for; NULL: they were */
	const char *pending;     /* a stuck kernel call holding the target, in words */
	const char *stale_host;  /* how sysfs no longer matches the scanned index; NULL: it does */
	/* The target's VFs (VF Enable set): every method resets them with it. */
	const struct reset_peer *vfs;
	size_t n_vfs;
	bool on_root_bus;
	bool bus_probe_ok;       /* the kernel's `bus` probe would succeed now */
	const char *bus_sibling; /* a function sharing the bus, why it would not */
	/* Every other function below the target's bridge (its VFs among them). */
	const struct reset_peer *bus_peers;
	size_t n_bus_peers;
	bool have_device_fd;  /* the caller holds it open through VFIO (a holding or its own fd) */
	bool vfio_reset_flag; /* VFIO_DEVICE_FLAGS_RESET */
	int hot_allowed;      /* the hot-reset verdict: 1 allowed, 0 not, -1 unknown */
	const char *hot_blocker; /* hot_allowed 0: the verdict's sentence */
	const char *hot_unknown; /* hot_allowed -1: why no verdict could be had */
	/* hot_allowed 1: the kernel's affected set (NULL: the bus peers) and how to prove ownership. */
	const char *const *hot_affected;
	bool hot_cdev;          /* an empty fd array */
	const int *hot_groups;  /* group mode: the groups whose fds go with the reset */
	size_t n_hot_groups;
	/* NULL: every method; else only these, in the plan's own order. */
	const char *const *only_methods;
	/* Extra "ADDR what: value" lines the plan's decision rests on (live listings). */
	const char *const *extra_seen;
	GPtrArray *storage; /* reset-facts.c's allocations behind the pointers above */
	unsigned int flags; /* enum vfr_reset_flags */
	enum vfr_reset_policy policy;
};

struct reset_candidate {
	char *method;
	enum vfr_reset_mechanism mechanism;
	char *note; /* what the caller should know about it, or NULL */
	char **affected; /* NULL-terminated, address order */
	size_t n_affected;
	/* `hot`: the ownership proof the kernel wants. */
	bool cdev;   /* an empty fd array (the device is bound to an iommufd) */
	int *groups; /* group mode: these groups' fds, ascending */
	size_t n_groups;
};

struct reset_exclusion {
	char *method;
	char *reason;
	/*
	 * Excluded to protect someone (another owner, a host driver, a holder,
	 * a stuck call), not because the method cannot work: when nothing is
	 * left, the reset is refused, which no policy turns into a success.
	 */
	bool safety;
	bool held; /* safety: other processes hold what it would reach (waiting may help) */
};

struct vfr_reset_plan {
	int refcount;
	char *name;
	enum vfr_reset_policy policy;
	GPtrArray *methods;  /* struct reset_candidate * */
	GPtrArray *excluded; /* struct reset_exclusion * */
	bool gone;           /* the function vanished or reads all 0xFF: nothing was planned */
	/*
	 * The facts the decision rests on, "ADDR what: value" lines in order
	 * (reset_facts_seen()): read again at the write, a difference means
	 * the plan is stale.
	 */
	char **seen;
	/* The target's holders when they are what refused it (for the result). */
	int *holders;
	size_t n_holders;
	int *uncertain_holders; /* likewise, those that may hold it */
	size_t n_uncertain_holders;
};

/* reset-decide.c (pure): the plan for @facts (never NULL). */
struct vfr_reset_plan *reset_plan_build(const struct reset_facts *facts);

/*
 * reset-facts.c: the plans of @n functions of one host (into @ret_plans),
 * the holders of everything they reach found in one pass over /proc.
 * Returns 0 (a failure to read a fact is one in the plan).
 */
int reset_plans_make(struct vfr_device *const *devs, size_t n,
		     const struct vfr_reset_options *opts, struct vfr_reset_plan **ret_plans);

/* Every function any candidate of @plan touches: a hash set of names (g_hash_table_unref). */
GHashTable *reset_plan_footprint(const struct vfr_reset_plan *plan);

/* Pure: no method is left and one was excluded to protect someone. */
bool reset_plan_is_refused(const struct vfr_reset_plan *plan);
/* Pure: refused only because other processes hold what it would reach. */
bool reset_plan_is_held_only(const struct vfr_reset_plan *plan);

/* Pure: the facts of @f as sorted "ADDR what: value" lines (g_strfreev). */
char **reset_facts_seen(const struct reset_facts *f);

/*
 * Pure: what differs between two fact lists of reset_facts_seen(), in
 * words ("0000:02:00.0 driver: was vfio-pci (vfio-pci), now e1000e
 * (host)"; several joined by "; "), or NULL when nothing does.
 */
char *reset_facts_diff(const char *const *before, const char *const *after);

/* reset-options.c: the options behind the public struct vfr_reset_options. */
struct vfr_reset_options {
	enum vfr_reset_policy policy;
	unsigned int flags;
	struct vfr_owners *owners;
	char *caller;
	int timeout_ms;
	GHashTable *device_fds; /* "DDDD:BB:DD.F" -> fd + 1 */
	struct vfr_vfio_holding *holding; /* borrowed */
	char **methods;                   /* NULL: every method */
};

/* owner.c: the owner of function @name, NULL when undeclared (or no registry). */
const char *owners_lookup_name(const struct vfr_owners *owners, const char *name);

/* @dev's vfio device fd: the one the caller passed, else the holding's; -1: none. */
int reset_options_vfio_fd(const struct vfr_reset_options *opts, const struct vfr_device *dev);

/* Is @name a method the plan knows (a kernel method, `vfio`, `hot`)? */
bool reset_method_known(const char *name);

