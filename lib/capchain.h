/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pure check of the capability lists in a config-space image: libpci's
 * walker silently stops at a loop and follows pointers into the header, so
 * this says what is wrong, for the device's problem list.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/*
 * Walks the traditional list (from 0x34, 0x14 on a CardBus bridge, when Status
 * bit 4 is set; an entry with ID 0xff ends it) and, when
 * @len > 256, the extended list from 0x100 (a header of 0 or 0xFFFFFFFF ends it). Returns 0 when both are sound,
 * 1 when a fault was found (a pointer into the header (< 0x40), past the
 * end of @len, a loop, or more entries than can fit); @problem then holds one
 * sentence such as "capability list loops back to 0x50".
 */
int capchain_check(const uint8_t *cfg, size_t len, char *problem, size_t problem_size) _must_check_;

/*
 * Where the first traditional capability with @id is, walking as above (the
 * CardBus pointer included, which libpci does not know), or 0.
 */
size_t capchain_find(const uint8_t *cfg, size_t len, uint8_t id);
