/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Config-space images built by the unit tests, byte by byte. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct image {
	uint8_t b[4096];
	size_t len;
};

static inline void put16(struct image *m, size_t pos, uint16_t v)
{
	m->b[pos] = v & 0xff;
	m->b[pos + 1] = v >> 8;
}

static inline void put32(struct image *m, size_t pos, uint32_t v)
{
	put16(m, pos, v & 0xffff);
	put16(m, pos + 2, v >> 16);
}

/* An 8086:10d3 endpoint with memory, bus master and INTx disable set, no capabilities. */
static inline void image_init(struct image *m, size_t len)
{
	memset(m->b, 0, sizeof(m->b));
	m->len = len;
	put16(m, 0x00, 0x8086);
	put16(m, 0x02, 0x10d3);
	put16(m, 0x04, 0x0406);
}
