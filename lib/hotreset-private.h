/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hot-reset evaluator: pure, no I/O. Given the affected functions (from
 * the kernel's INFO answer or predicted from topology), their facts and what
 * the caller holds, it returns the kernel's decision in the kernel's order
 * (doc/hot-reset.md).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* The devid values INFO reports in cdev mode besides real ids (> 0). */
#define HOTRESET_DEVID_OWNED 0u
#define HOTRESET_DEVID_NOT_OWNED 0xffffffffu

/* How the caller holds one affected function. */
enum hotreset_hold {
	HOTRESET_HOLD_NONE = 0,      /* not opened by the caller */
	HOTRESET_HOLD_GROUP = 1,     /* opened through its group fd */
	HOTRESET_HOLD_CDEV = 2,      /* its cdev is bound to the caller's iommufd context */
	HOTRESET_HOLD_ELSEWHERE = 3, /* opened by another process or context */
};

/* One affected function. */
struct hotreset_fact {
	struct vfr_address addr;
	int group;                 /* IOMMU group, -1 when none */
	const char *driver;        /* bound driver, NULL when none */
	bool vfio_core;            /* bound to a vfio-pci(-core) driver: a dev_set member */
	bool bridge;               /* header type 1 or 2: vfio-pci-core never drives one */
	enum hotreset_hold hold;
	uint32_t kernel_id;        /* the INFO entry's group id or devid, when from_kernel */
};

struct hotreset_query {
	struct vfr_address target; /* the calling function */
	enum vfr_hot_reset_mode mode;
	bool reset_probe;          /* a slot or bus reset is possible */
	const char *no_reset_why;  /* why not, as a clause ("it sits on a root bus") */
	bool from_kernel;          /* facts carry the kernel's INFO ids */
	bool noiommu;              /* cdev mode: the caller's context is noiommu */
	int n_fds;                 /* the fd count to be passed; -1: what the mode needs */
	/*
	 * Group mode: the groups whose fds the caller holds. Cdev mode: the
	 * groups of every function bound to the caller's context (ownership
	 * through a shared group), affected or not.
	 */
	const int *held_groups;
	size_t n_held_groups;
	const struct hotreset_fact *facts; /* in address order */
	size_t n_facts;
};

struct hotreset_entry {
	struct vfr_address addr;
	char name[VFR_ADDRESS_STRLEN];
	int group;
	enum vfr_hot_reset_state state;
	enum vfr_hot_reset_reason reason;
	char *text;
	bool has_devid;
	uint32_t devid;
};

struct vfr_hot_reset_check {
	char target[VFR_ADDRESS_STRLEN];
	enum vfr_hot_reset_mode mode;
	bool from_kernel;
	bool allowed;
	int error; /* positive errno */
	enum vfr_hot_reset_reason reason;
	char *summary;
	struct hotreset_entry *entries;
	size_t n_entries;
	int *groups; /* group mode: the group fds to pass, ascending */
	size_t n_groups;
};

/* Never fails for a well-formed query; -EINVAL otherwise. */
int hotreset_evaluate(const struct hotreset_query *q, struct vfr_hot_reset_check **ret);

/*
 * hotreset-predict.c: the reset engine's question, "is a `hot` reset of
 * @dev possible for a caller holding @holding (and @dev) in @mode?".
 * The answer is a check: vfr_hot_reset_check_is_allowed(),
 * vfr_hot_reset_check_get_errno(), vfr_hot_reset_check_get_summary() (the
 * first blocker's sentence), freed with vfr_hot_reset_check_free().
 */
int hotreset_predict(struct vfr_device *dev, const struct vfr_address *holding, size_t n_holding,
		     bool cdev, struct vfr_hot_reset_check **ret, struct vfr_error **reterr);

/* The facts of one function, from its sysfs getters (driver strings are borrowed). */
void hotreset_fact_from_device(struct vfr_device *dev, struct hotreset_fact *f);

/* Is @dev's vfio device a noiommu one (vfio-dev/noiommu-vfioN)? */
bool hotreset_is_noiommu(struct vfr_device *dev);

/*
 * The predicted affected set of @dev with facts (g_free *ret_facts). When
 * no slot or bus reset is possible *ret_why says why and the set is @dev
 * alone; otherwise *ret_why is NULL.
 */
int hotreset_scope(struct vfr_device *dev, struct hotreset_fact **ret_facts, size_t *ret_n,
		   const char **ret_why);
