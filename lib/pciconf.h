/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Config-space facts through libpci. pciconf.c is the only file that
 * includes <pci/pci.h>. The `config` attribute is read here, through the
 * one opener (beneath.h), and libpci decodes the image it is handed
 * (pci_setup_cache): it opens no file of the tree itself. Its error
 * handlers never exit the process.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "internal.h"

struct pciconf;

struct pciconf_facts {
	uint8_t header_type; /* raw byte 0x0e: type in bits 0-6, multifunction bit 7 */
	uint16_t command;    /* Command register (0x04) */
	uint8_t revision;    /* Revision ID (0x08) */
	unsigned int caps;   /* enum vfr_capability */
	uint8_t pcie_type;   /* PCIe Device/Port Type (PCI_EXP_TYPE_*), when VFR_CAP_PCIE */
	uint16_t acs_ctrl;   /* ACS Control register, when VFR_CAP_ACS */
	size_t config_size;  /* bytes of config space that could be read: 64, 256 or 4096 */
};

/* Creates the libpci access for ctx's root (sysfs.path = ROOT/sys/bus/pci). */
int pciconf_new(const struct vfr_ctx *ctx, struct pciconf **ret) _must_check_;
void pciconf_free(struct pciconf *pc);

/*
 * Reads the config space of @addr (its `config` below @dirfd, the
 * function's sysfs directory) once and decodes it.
 * Returns 0 and fills @ret (and, when a capability list is corrupt, a
 * sentence in @problem — empty otherwise);
 * -ENOENT: no config attribute (the caller tells whether the function is
 * gone); -ELOOP, -EMEDIUMTYPE: `config` is a link, a FIFO, a device node...;
 * -ENODEV: the function is gone;
 * -EIO: config space reads all 0xFF (D3cold or removed) or is shorter than
 * a header; -EACCES: only the first 64 bytes are readable (not root) —
 * then @ret still holds what the header says (header type, Command), with
 * no capabilities.
 * On failure @problem holds the sentence that explains it.
 */
int pciconf_read(struct pciconf *pc, int dirfd, const struct vfr_address *addr,
		 struct pciconf_facts *ret, char *problem, size_t problem_size) _must_check_;

/*
 * The same from @fd, the `config` attribute its caller opened (the
 * function's directory already open) and closes; a negative @fd is the
 * open's -errno, reported as pciconf_read() reports it.
 */
int pciconf_read_fd(struct pciconf *pc, int fd, const struct vfr_address *addr,
		    struct pciconf_facts *ret, char *problem, size_t problem_size);

/*
 * Vendor and device names from pci.ids ("Intel Corporation", "82574L
 * Gigabit Network Connection"); NULL when unknown. Borrowed until the next
 * call.
 */
const char *pciconf_vendor_name(struct pciconf *pc, uint16_t vendor);
const char *pciconf_device_name(struct pciconf *pc, uint16_t vendor, uint16_t device);

/*
 * Raw 16-bit config-space access through the `config` attribute below
 * @dirfd (the function's sysfs directory), for the reset path: no libpci
 * state, so it may run on any thread. pread/pwrite at the offset is one
 * config cycle of that size in the kernel. Returns 0, -EIO on a short
 * transfer, or -errno (-ENODEV: the function is gone).
 */
int pciconf_cfg_read16(int dirfd, unsigned int offset, uint16_t *ret) _nonnull_(3) _must_check_;
int pciconf_cfg_write16(int dirfd, unsigned int offset, uint16_t value) _must_check_;
