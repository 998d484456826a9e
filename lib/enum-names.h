/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names of the public enums, as the CLI prints them and the JSON
 * carries them: one table per enum (enum-names.c), read in both directions.
 */
#pragma once

#include <stddef.h>

#include "macro.h"
#include "internal.h"

struct enum_name {
	int value;
	const char *name;
};

/* The tables, in the enums' order. */
extern const struct enum_name enum_names_driver_type[];
extern const struct enum_name enum_names_driver_type_source[];
extern const struct enum_name enum_names_header_type[];
extern const struct enum_name enum_names_hot_reset_mode[];
extern const struct enum_name enum_names_hot_reset_state[];
extern const struct enum_name enum_names_hot_reset_reason[];
extern const struct enum_name enum_names_reset_policy[];
extern const struct enum_name enum_names_reset_mechanism[];
extern const struct enum_name enum_names_reset_outcome[];

/* The name of @value in @table (ended by a NULL name), NULL when it has none. */
const char *enum_to_string(const struct enum_name *table, int value);

/* The value named @name in @table into *@ret; -EINVAL when none is (*@ret untouched). */
int enum_from_string(const struct enum_name *table, const char *name, int *ret)
	_nonnull_(1, 3) _must_check_;
