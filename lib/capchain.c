/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability-list sanity check on a config-space image. libpci's walker
 * (and the kernel's) stop quietly at a loop and follow pointers into the
 * header, so a corrupt list would otherwise just look like "fewer
 * capabilities"; this names the first fault instead.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capchain.h"

/*
 * Offsets of the configuration header (PCI Local Bus Specification 3.0
 * §6.1, §6.2; PCI Express Base Specification 5.0 §7.5.1.1) and of the two
 * capability lists (PCI 3.0 §6.7; PCIe 5.0 §7.6.1, §7.6.3).
 */
#define CFG_HEADER_END 0x40  /* first byte after the type 0/1 header (PCI 3.0 §6.1) */
#define CFG_BASIC_SIZE 0x100 /* where extended config space starts (PCIe 5.0 §7.6.1) */
#define STATUS 0x06          /* Status register (PCIe 5.0 §7.5.1.1.4) */
#define STATUS_CAP_LIST 0x10 /* its bit 4, Capabilities List */
#define HEADER_TYPE 0x0e     /* Header Type (PCIe 5.0 §7.5.1.1.9); bit 7 is multi-function */
#define CAP_PTR 0x34         /* Capabilities Pointer (PCIe 5.0 §7.5.1.1.11) */
/* A type 2 (CardBus bridge) header keeps its pointer at 14h instead, as the kernel knows. */
#define CARDBUS_CAP_PTR 0x14

/*
 * The kernel's bounds (PCI_FIND_CAP_TTL, PCI_EXT_CAP_TTL): as many entries as
 * the smallest capability (4 bytes, resp. 8 for extended ones) fits into the
 * space after the header. With the loop check below, the traditional bound
 * cannot be exceeded (pointers are dword aligned); it stays as the backstop.
 */
#define TRAD_TTL ((CFG_BASIC_SIZE - CFG_HEADER_END) / 4)
#define EXT_TTL ((4096 - CFG_BASIC_SIZE) / 8)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int __attribute__((format(printf, 3, 4)))
fault(char *problem, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (problem && size > 0) {
		va_start(ap, fmt);
		vsnprintf(problem, size, fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* Walks the traditional list; when @found is given, notes where capability @id is. */
static int walk_traditional(const uint8_t *cfg, size_t len, uint8_t id, size_t *found,
			    char *problem, size_t size)
{
	bool seen[CFG_BASIC_SIZE / 4] = { false };
	size_t from, pos;
	unsigned int n = 0;

	/* The header type and the status register are read first: they must be in the image. */
	if (len <= HEADER_TYPE)
		return 0;
	from = (cfg[HEADER_TYPE] & 0x7f) == 2 ? CARDBUS_CAP_PTR : CAP_PTR;
	if (len <= from || !(get16(cfg + STATUS) & STATUS_CAP_LIST))
		return 0;
	/* The low two bits of every pointer are reserved (PCI 3.0, 6.7). */
	for (pos = cfg[from] & ~3u; pos; from = pos + 1, pos = cfg[from] & ~3u) {
		if (pos < CFG_HEADER_END)
			return fault(problem, size,
				     "capability pointer at 0x%02zx points into the header (0x%02zx)", from,
				     pos);
		if (pos + 2 > len)
			return fault(problem, size,
				     "capability pointer at 0x%02zx points past the end of config space "
				     "(0x%02zx, %zu bytes readable)",
				     from, pos, len);
		if (seen[pos / 4])
			return fault(problem, size, "capability list loops back to 0x%02zx", pos);
		if (++n > TRAD_TTL)
			return fault(problem, size, "capability list has more than %zu entries",
				     (size_t)TRAD_TTL);
		seen[pos / 4] = true;
		/* An ID of 0xff is what a vanished device reads; the kernel stops there too. */
		if (cfg[pos] == 0xff)
			break;
		if (found && !*found && cfg[pos] == id)
			*found = pos;
	}
	return 0;
}

size_t capchain_find(const uint8_t *cfg, size_t len, uint8_t id)
{
	size_t found = 0;

	if (cfg)
		walk_traditional(cfg, len, id, &found, NULL, 0);
	return found;
}

static int check_extended(const uint8_t *cfg, size_t len, char *problem, size_t size)
{
	bool seen[4096 / 4] = { false };
	size_t from = 0, pos = CFG_BASIC_SIZE;
	unsigned int n = 0;
	uint32_t header;

	if (len < CFG_BASIC_SIZE + 4)
		return 0;
	header = get32(cfg + CFG_BASIC_SIZE);
	/* No extended capabilities at all (conventional device, or a bridge that drops them). */
	if (header == 0 || header == 0xffffffff)
		return 0;
	for (;;) {
		if (pos < CFG_BASIC_SIZE)
			return fault(problem, size,
				     "extended capability pointer at 0x%03zx points below 0x100 (0x%02zx)",
				     from, pos);
		if (pos + 4 > len)
			return fault(problem, size,
				     "extended capability pointer at 0x%03zx points past the end of "
				     "config space (0x%03zx, %zu bytes readable)",
				     from, pos, len);
		if (seen[pos / 4])
			return fault(problem, size, "extended capability list loops back to 0x%03zx",
				     pos);
		if (++n > EXT_TTL)
			return fault(problem, size, "extended capability list has more than %zu entries",
				     (size_t)EXT_TTL);
		seen[pos / 4] = true;
		header = get32(cfg + pos);
		/* libpci ends the walk at an empty or all-ones header; so do we. */
		if (header == 0 || header == 0xffffffff)
			break;
		from = pos;
		pos = (header >> 20) & ~3u;
		if (!pos)
			break;
	}
	return 0;
}

int capchain_check(const uint8_t *cfg, size_t len, char *problem, size_t problem_size)
{
	if (problem && problem_size > 0)
		problem[0] = '\0';
	if (!cfg)
		return 0;
	if (walk_traditional(cfg, len, 0, NULL, problem, problem_size))
		return 1;
	if (len > CFG_BASIC_SIZE && check_extended(cfg, len, problem, problem_size))
		return 1;
	return 0;
}
