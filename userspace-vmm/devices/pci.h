/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI bus 0 behind configuration mechanism #1 (0xcf8 address, 0xcfc-0xcff
 * data), with a host bridge at 00:00.0, and the chipset's reset control
 * register at 0xcf9 (a write with bit 2 set resets the machine).
 *
 * A device model adds a function: it fills a struct pci_function with
 * pci_function_init(), its BARs and capabilities, then calls
 * pci_host_add().  Config space is kept in fn->cfg; fn->wmask says which
 * bits the guest may change, so BAR sizing and moves need no code in the
 * device.  The device hears of changes through the optional ops.
 */
#ifndef VIREO_DEVICES_PCI_H
#define VIREO_DEVICES_PCI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

#define PCI_CFG_SIZE	256
#define PCI_NUM_BARS	6
#define PCI_NUM_SLOTS	32

/* BAR kinds for pci_function_set_bar(). */
#define PCI_BAR_IO	0x1
#define PCI_BAR_MEM64	0x4
#define PCI_BAR_PREFETCH 0x8

struct pci_function;

struct pci_function_ops {
	/* Before a config read: refresh fn->cfg at offset if it is live. */
	void (*cfg_read)(struct pci_function *fn, unsigned int offset,
			 unsigned int size);
	/* After a config write has been applied through the write mask. */
	void (*cfg_write)(struct pci_function *fn, unsigned int offset,
			  unsigned int size);
	/* The guest moved BAR `bar` (the first of a 64-bit pair) to addr. */
	void (*bar_moved)(struct pci_function *fn, unsigned int bar,
			  uint64_t addr);
};

struct pci_function {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	uint64_t bar_size[PCI_NUM_BARS];
	uint16_t cap_end;		/* next free capability byte */
	const struct pci_function_ops *ops;	/* may be NULL */
	void *priv;
};

struct pci_host;

struct pci_host *pci_host_create(struct vmm_ctx *ctx);
void pci_host_destroy(struct pci_host *host);

/*
 * Puts fn at slot (function 0), or at the first free slot when slot is
 * -1.  Returns the slot, -EBUSY or -EINVAL.  fn stays the caller's.
 */
int pci_host_add(struct pci_host *host, struct pci_function *fn, int slot);

/* A type 0 header: IDs, class (base << 16 | sub << 8 | prog-if). */
void pci_function_init(struct pci_function *fn, uint16_t vendor,
		       uint16_t device, uint32_t class_code, uint8_t revision);
void pci_function_set_subsystem(struct pci_function *fn, uint16_t vendor,
				uint16_t id);
/*
 * A BAR of `size` bytes (a power of two, at least 16 for memory and 4
 * for I/O) at addr; kind is 0 (32-bit memory) or PCI_BAR_* bits.  A
 * 64-bit BAR takes bar and bar + 1.  Returns 0 or -EINVAL.
 */
int pci_function_set_bar(struct pci_function *fn, unsigned int bar,
			 uint64_t addr, uint64_t size, unsigned int kind);
uint64_t pci_function_bar_addr(const struct pci_function *fn,
			       unsigned int bar);
/* Interrupt pin (1 = INTA#) and the line the guest reads. */
void pci_function_set_irq(struct pci_function *fn, uint8_t pin, uint8_t line);
/*
 * Appends a capability (cap[0] is its ID, cap[1] is filled in) to the
 * list; bytes from cap + 2 on are copied.  Returns its config offset or
 * -ENOSPC.  Make its writable bytes writable in fn->wmask yourself.
 */
int pci_function_add_cap(struct pci_function *fn, const void *cap,
			 size_t len);

/* Little-endian access to config space. */
uint32_t pci_cfg_get(const struct pci_function *fn, unsigned int offset,
		     unsigned int size);
void pci_cfg_put(struct pci_function *fn, unsigned int offset,
		 unsigned int size, uint32_t value);

#endif /* VIREO_DEVICES_PCI_H */
