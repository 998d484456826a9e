/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(VFIORESET_INSIDE) && !defined(VFIORESET_COMPILATION)
#error "Only <vfioreset/vfioreset.h> can be included directly."
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define VFR_BEGIN_DECLS extern "C" {
#define VFR_END_DECLS }
#else
#define VFR_BEGIN_DECLS
#define VFR_END_DECLS
#endif
