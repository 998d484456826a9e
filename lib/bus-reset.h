/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a reset touches, from the scanned topology. The kernel's secondary
 * bus reset (the `bus` method, and VFIO hot reset) asserts reset on the
 * upstream bridge's secondary bus: every function on that bus and on every
 * bus below it goes through reset together.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "device-private.h"

/*
 * The functions a secondary bus reset of @dev's bus touches, @dev included,
 * sorted by address (g_free() the array; the devices are borrowed from the
 * host). -ENOTTY when @dev sits on a root bus: no bridge above it can reset it.
 *
 * The kernel prefers a hotplug slot's reset when the slot has one; on PCIe a
 * slot holds the only device of its link, so the set is the same. Only a
 * conventional hotplug bus with several slots (SHPC) would reset less.
 */
int scope_bus_affected(struct vfr_device *dev, struct vfr_device ***ret_devs, size_t *ret_n);

/*
 * Would the kernel's per-function `bus` method probe succeed now
 * (pci_parent_bus_reset): a bridge above, @dev not a bridge itself, and @dev
 * alone on its bus. reset_method is probed once, at enumeration, so a `bus`
 * listed there for a function that fails this test is stale: its siblings or
 * its subordinate bus appeared after it. @ret_blocker (optional) is then set
 * to the sibling or the function below @dev that makes it fail, when there is
 * one (NULL otherwise).
 */
bool scope_bus_method_probe(struct vfr_device *dev, const char **ret_blocker);
