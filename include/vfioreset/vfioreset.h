/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfioreset — find PCI functions, tell who drives them, and reset and hand
 * them over through the kernel.
 *
 * Conventions: functions that can fail return 0 (or a count) on success and a
 * negative errno on failure; out-parameters are named ret_* and are left
 * untouched on failure; objects are reference counted and *_unref() accepts
 * NULL and returns NULL; strings returned as `const char *` are borrowed from
 * the object they came from.
 */
#pragma once

#define VFIORESET_INSIDE
#include <vfioreset/common.h>
#include <vfioreset/error.h>
#include <vfioreset/ctx.h>
#include <vfioreset/address.h>
#include <vfioreset/host.h>
#include <vfioreset/device.h>
#include <vfioreset/variant.h>
#include <vfioreset/bind.h>
#include <vfioreset/reset.h>
#include <vfioreset/hotreset.h>
#include <vfioreset/owners.h>
#include <vfioreset/assign.h>
#include <vfioreset/vmm.h>
#undef VFIORESET_INSIDE
