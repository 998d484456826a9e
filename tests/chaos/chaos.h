/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfr-chaos: random concurrent library operations on a simulated host, with
 * faults, and invariants checked after each round (README.md in this
 * directory).
 */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#define CHAOS_MAX_TOPS 8

/* One PCI function of the generated host. */
struct chaos_fn {
	char addr[16];
	int group;
	int top;   /* the root port it is below (its own, for a root port) */
	int parent;
	int owner; /* 0 undeclared, 1 "A", 2 "B" */
	bool bridge;
	bool has_reset;
	char methods[32];
};

struct chaos_host {
	GPtrArray *fns; /* struct chaos_fn * */
	bool cdev;
	int top_owner[CHAOS_MAX_TOPS];
	unsigned n_tops;
	char *description; /* for vfr-mkfixture */
};

uint64_t chaos_rng_next(uint64_t *state);
unsigned chaos_rng_below(uint64_t *state, unsigned n);
bool chaos_rng_chance(uint64_t *state, unsigned percent);

struct chaos_host *chaos_host_new(uint64_t seed);
void chaos_host_free(struct chaos_host *h);
struct chaos_fn *chaos_host_find(const struct chaos_host *h, const char *addr);
/* "A", "B" or NULL. */
const char *chaos_owner_name(int owner);
