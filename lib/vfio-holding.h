/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the library reads from a caller's struct vfr_vfio_holding (vfio-holding.c). */
#pragma once

#include "macro.h"
#include "internal.h"

/* How @holding opens its functions. */
enum vfr_hot_reset_mode vfio_holding_get_mode(const struct vfr_vfio_holding *holding) _nonnull_(1);

/* The fd of IOMMU group @group in @holding, -ENOENT when not held. */
int vfio_holding_get_group_fd(const struct vfr_vfio_holding *holding, int group)
	_nonnull_(1) _must_check_;
