/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <vfioreset/common.h>
#include <vfioreset/error.h>

VFR_BEGIN_DECLS

/**
 * struct vfr_address:
 *
 * A PCI function address as the kernel spells it: DDDD:BB:DD.F. The domain
 * may need more than four hex digits (VMD domains start at 0x10000).
 */
struct vfr_address {
	uint32_t domain;
	uint8_t bus;
	uint8_t slot;     /* 0..31 */
	uint8_t function; /* 0..7 */
	uint8_t reserved; /* always 0 */
};

/* Enough for any address vfr_address_format() writes, with its NUL. */
#define VFR_ADDRESS_STRLEN 24

/**
 * vfr_address_parse:
 * @text: "DDDD:BB:DD.F" (hex, the domain four to eight digits) or "BB:DD.F"
 *        (domain 0). Nothing else: no spaces, no "0x", no trailing text.
 * @ret_addr: (out): untouched on failure.
 * @reterr: (out) (optional): the message quotes @text and says what is wrong.
 *
 * Returns: 0 or -EINVAL.
 * Since: 0.1
 */
int vfr_address_parse(const char *text, struct vfr_address *ret_addr,
		      struct vfr_error **reterr);

/**
 * vfr_address_format:
 * Writes the kernel's spelling ("0000:01:00.0") into @buf.
 * Returns: the length written, or -ENOSPC when @size is too small,
 *          -EINVAL for an invalid @addr.
 * Since: 0.1
 */
int vfr_address_format(const struct vfr_address *addr, char *buf, size_t size);

/**
 * vfr_address_compare:
 * Returns: <0, 0 or >0, ordering by domain, bus, slot, function.
 * Since: 0.1
 */
int vfr_address_compare(const struct vfr_address *a, const struct vfr_address *b);

VFR_END_DECLS
