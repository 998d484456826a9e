/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Attributes for the library's internal prototypes, in one place: every
 * private header that declares a function returning -errno includes this.
 */
#pragma once

/* Arguments that must not be NULL: a NULL there is a bug, not input to check. */
#define _nonnull_(...) __attribute__((nonnull(__VA_ARGS__)))
/* A returned -errno the caller must look at. */
#define _must_check_ __attribute__((warn_unused_result))
