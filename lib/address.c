/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI addresses in the kernel's spelling: DDDD:BB:DD.F or BB:DD.F. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads 1..max hex digits; returns how many were read, 0 if none. */
static size_t read_hex(const char *s, size_t max, uint32_t *ret)
{
	uint32_t v = 0;
	size_t n = 0;

	while (n < max && hex_digit(s[n]) >= 0)
		v = v * 16 + (uint32_t)hex_digit(s[n++]);
	if (n < max && hex_digit(s[n]) >= 0)
		return 0; /* too many digits */
	*ret = v;
	return n;
}

VFR_EXPORT int vfr_address_parse(const char *text, struct vfr_address *ret_addr,
				 struct vfr_error **reterr)
{
	uint32_t domain = 0, bus, slot, function;
	const char *p;
	size_t n;

	assert_return(ret_addr, -EINVAL);
	if (!text)
		return error_set(reterr, -EINVAL, NULL, "no PCI address given");

	p = text;
	/* With a domain there are two colons before the dot. */
	if (strchr(p, ':') && strchr(p, ':') != strrchr(p, ':')) {
		n = read_hex(p, 8, &domain);
		if (n < 4 || p[n] != ':')
			goto bad_domain;
		p += n + 1;
	}
	n = read_hex(p, 2, &bus);
	if (n != 2 || p[n] != ':')
		return error_set(reterr, -EINVAL, NULL,
				 "'%s' is not a PCI address: the bus must be two hex digits "
				 "followed by ':' (expected DDDD:BB:DD.F)", text);
	p += n + 1;
	n = read_hex(p, 2, &slot);
	if (n != 2 || p[n] != '.')
		return error_set(reterr, -EINVAL, NULL,
				 "'%s' is not a PCI address: the device must be two hex digits "
				 "followed by '.' (expected DDDD:BB:DD.F)", text);
	if (slot > 0x1f)
		return error_set(reterr, -EINVAL, NULL,
				 "'%s' is not a PCI address: device %02x is above 1f", text, slot);
	p += n + 1;
	n = read_hex(p, 1, &function);
	if (n != 1 || p[n] != '\0')
		return error_set(reterr, -EINVAL, NULL,
				 "'%s' is not a PCI address: the function must be one digit 0-7 "
				 "at the end (expected DDDD:BB:DD.F)", text);
	if (function > 7)
		return error_set(reterr, -EINVAL, NULL,
				 "'%s' is not a PCI address: function %x is above 7", text, function);

	*ret_addr = (struct vfr_address){
		.domain = domain, .bus = (uint8_t)bus, .slot = (uint8_t)slot,
		.function = (uint8_t)function,
	};
	return 0;

bad_domain:
	return error_set(reterr, -EINVAL, NULL,
			 "'%s' is not a PCI address: the domain must be 4 to 8 hex digits "
			 "followed by ':' (expected DDDD:BB:DD.F)", text);
}

VFR_EXPORT int vfr_address_format(const struct vfr_address *addr, char *buf, size_t size)
{
	int n;

	assert_return(addr && buf, -EINVAL);
	assert_return(addr->slot <= 0x1f && addr->function <= 7, -EINVAL);
	n = snprintf(buf, size, "%04x:%02x:%02x.%x", addr->domain, addr->bus, addr->slot,
		     addr->function);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

VFR_EXPORT int vfr_address_compare(const struct vfr_address *a, const struct vfr_address *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->function != b->function)
		return a->function < b->function ? -1 : 1;
	return 0;
}
