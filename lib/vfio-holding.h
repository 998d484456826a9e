/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the library reads from a caller's struct vfr_vfio_holding (vfio-holding.c). */
#pragma once

#include "internal.h"

/* How @holding opens its functions. */
enum vfr_hot_reset_mode hotreset_holding_mode(const struct vfr_vfio_holding *holding);

/* The fd of IOMMU group @group in @holding, -ENOENT when not held. */
int hotreset_holding_group_fd(const struct vfr_vfio_holding *holding, int group);
