// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI configuration mechanism #1 and bus 0.
 *
 * Only bus 0 and function 0 of each slot exist; every other address
 * reads all ones, as an empty slot does.  BARs are plain config bytes
 * whose write mask keeps the size's low bits and the kind bits fixed, so
 * writing all ones and reading back gives the size like on hardware.
 *
 * Port 0xcf9 sits inside the 0xcf8 dword: a dword access there is the
 * config address, a byte access is the reset control register.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "io_access.h"
#include "pci.h"

#define PCI_IO_BASE	0xcf8
#define CFG_ENABLE	0x80000000u
#define CFG_ADDR_MASK	0x80fffffcu
#define RESET_CTRL	1		/* 0xcf9 */
#define RESET_CPU	0x04

#define REG_VENDOR	0x00
#define REG_COMMAND	0x04
#define REG_STATUS	0x06
#define REG_REVISION	0x08
#define REG_CACHE_LINE	0x0c
#define REG_LATENCY	0x0d
#define REG_HEADER	0x0e
#define REG_BAR0	0x10
#define REG_SUBSYSTEM	0x2c
#define REG_CAP_PTR	0x34
#define REG_IRQ_LINE	0x3c
#define REG_IRQ_PIN	0x3d
#define CAP_START	0x40

#define STATUS_CAP_LIST	0x0010
/* I/O, memory, bus master, parity, SERR#, INTx disable. */
#define COMMAND_WMASK	0x0547

struct pci_host {
	struct vmm_ctx *ctx;
	struct vmm_device dev;
	uint32_t address;
	uint8_t reset_ctrl;
	struct pci_function *slots[PCI_NUM_SLOTS];
	struct pci_function bridge;
};

uint32_t pci_cfg_get(const struct pci_function *fn, unsigned int offset,
		     unsigned int size)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < size && offset + i < PCI_CFG_SIZE; i++)
		v |= (uint32_t)fn->cfg[offset + i] << (8 * i);
	return v;
}

void pci_cfg_put(struct pci_function *fn, unsigned int offset,
		 unsigned int size, uint32_t value)
{
	for (unsigned int i = 0; i < size && offset + i < PCI_CFG_SIZE; i++)
		fn->cfg[offset + i] = (uint8_t)(value >> (8 * i));
}

static void wmask_put(struct pci_function *fn, unsigned int offset,
		      unsigned int size, uint32_t mask)
{
	for (unsigned int i = 0; i < size; i++)
		fn->wmask[offset + i] = (uint8_t)(mask >> (8 * i));
}

void pci_function_init(struct pci_function *fn, uint16_t vendor,
		       uint16_t device, uint32_t class_code, uint8_t revision)
{
	memset(fn->cfg, 0, sizeof(fn->cfg));
	memset(fn->wmask, 0, sizeof(fn->wmask));
	memset(fn->bar_size, 0, sizeof(fn->bar_size));
	fn->cap_end = 0;
	pci_cfg_put(fn, REG_VENDOR, 2, vendor);
	pci_cfg_put(fn, REG_VENDOR + 2, 2, device);
	pci_cfg_put(fn, REG_REVISION, 4, class_code << 8 | revision);
	wmask_put(fn, REG_COMMAND, 2, COMMAND_WMASK);
	fn->wmask[REG_CACHE_LINE] = 0xff;
	fn->wmask[REG_LATENCY] = 0xff;
	fn->wmask[REG_IRQ_LINE] = 0xff;
}

void pci_function_set_subsystem(struct pci_function *fn, uint16_t vendor,
				uint16_t id)
{
	pci_cfg_put(fn, REG_SUBSYSTEM, 2, vendor);
	pci_cfg_put(fn, REG_SUBSYSTEM + 2, 2, id);
}

int pci_function_set_bar(struct pci_function *fn, unsigned int bar,
			 uint64_t addr, uint64_t size, unsigned int kind)
{
	bool io = kind & PCI_BAR_IO, wide = !io && (kind & PCI_BAR_MEM64);
	uint64_t mask = ~(size - 1);
	unsigned int reg = REG_BAR0 + 4 * bar;
	uint32_t low_bits = io ? PCI_BAR_IO : kind & (PCI_BAR_MEM64 |
						      PCI_BAR_PREFETCH);

	if (bar + wide >= PCI_NUM_BARS || !size || (size & (size - 1)) ||
	    size < (io ? 4u : 16u) || (addr & (size - 1)) ||
	    (io && size > 0x10000) || (!wide && !io && size > (1ull << 31)))
		return -EINVAL;
	fn->bar_size[bar] = size;
	pci_cfg_put(fn, reg, 4, (uint32_t)addr | low_bits);
	wmask_put(fn, reg, 4, (uint32_t)mask & (io ? ~3u : ~15u));
	if (wide) {
		pci_cfg_put(fn, reg + 4, 4, (uint32_t)(addr >> 32));
		wmask_put(fn, reg + 4, 4, (uint32_t)(mask >> 32));
		fn->bar_size[bar + 1] = 0;
	}
	return 0;
}

uint64_t pci_function_bar_addr(const struct pci_function *fn,
			       unsigned int bar)
{
	unsigned int reg = REG_BAR0 + 4 * bar;
	uint32_t low = pci_cfg_get(fn, reg, 4);

	if (low & PCI_BAR_IO)
		return low & ~3u;
	if ((low & PCI_BAR_MEM64) && bar + 1 < PCI_NUM_BARS)
		return (uint64_t)pci_cfg_get(fn, reg + 4, 4) << 32 | (low & ~15u);
	return low & ~15u;
}

void pci_function_set_irq(struct pci_function *fn, uint8_t pin, uint8_t line)
{
	fn->cfg[REG_IRQ_PIN] = pin;
	fn->cfg[REG_IRQ_LINE] = line;
}

int pci_function_add_cap(struct pci_function *fn, const void *cap,
			 size_t len)
{
	unsigned int at = fn->cap_end ? fn->cap_end : CAP_START;
	unsigned int link = REG_CAP_PTR;

	at = (at + 3) & ~3u;
	if (len < 2 || at + len > PCI_CFG_SIZE)
		return -ENOSPC;
	/* Find the last link of the list and point it at the new entry. */
	while (fn->cfg[link])
		link = fn->cfg[link] + 1u;
	memcpy(fn->cfg + at, cap, len);
	fn->cfg[at + 1] = 0;
	fn->cfg[link] = (uint8_t)at;
	fn->cap_end = (uint16_t)(at + len);
	pci_cfg_put(fn, REG_STATUS, 2,
		    pci_cfg_get(fn, REG_STATUS, 2) | STATUS_CAP_LIST);
	return (int)at;
}

/* The function the config address selects, or NULL for all ones. */
static struct pci_function *selected(struct pci_host *host,
				     unsigned int *offset)
{
	uint32_t a = host->address;

	if (!(a & CFG_ENABLE) || (a >> 16 & 0xff) || (a >> 8 & 7))
		return NULL;
	*offset = a & 0xfc;
	return host->slots[a >> 11 & 0x1f];
}

static void cfg_read(struct pci_host *host, unsigned int port, void *data,
		     unsigned int size)
{
	unsigned int offset;
	struct pci_function *fn = selected(host, &offset);

	if (!fn || port + size > 4) {
		memset(data, 0xff, size);
		return;
	}
	offset += port;
	if (fn->ops && fn->ops->cfg_read)
		fn->ops->cfg_read(fn, offset, size);
	io_data_put(data, size, pci_cfg_get(fn, offset, size));
}

static void bars_moved(struct pci_function *fn, const uint64_t *before)
{
	for (unsigned int bar = 0; bar < PCI_NUM_BARS; bar++) {
		uint64_t addr;

		if (!fn->bar_size[bar])
			continue;
		addr = pci_function_bar_addr(fn, bar);
		if (addr != before[bar] && fn->ops && fn->ops->bar_moved)
			fn->ops->bar_moved(fn, bar, addr);
	}
}

static void cfg_write(struct pci_host *host, unsigned int port,
		      const void *data, unsigned int size)
{
	uint64_t before[PCI_NUM_BARS];
	uint32_t v = (uint32_t)io_data_get(data, size);
	unsigned int offset;
	struct pci_function *fn = selected(host, &offset);

	if (!fn || port + size > 4)
		return;
	offset += port;
	for (unsigned int bar = 0; bar < PCI_NUM_BARS; bar++)
		before[bar] = pci_function_bar_addr(fn, bar);
	for (unsigned int i = 0; i < size; i++) {
		uint8_t m = fn->wmask[offset + i];
		uint8_t b = (uint8_t)(v >> (8 * i));

		fn->cfg[offset + i] = (fn->cfg[offset + i] & ~m) | (b & m);
	}
	if (fn->ops && fn->ops->cfg_write)
		fn->ops->cfg_write(fn, offset, size);
	if (offset < REG_BAR0 + 4 * PCI_NUM_BARS && offset + size > REG_BAR0)
		bars_moved(fn, before);
}

static void pci_io_read(struct vmm_device *dev, uint64_t offset, void *data,
			unsigned int size)
{
	struct pci_host *host = dev->priv;

	if (offset >= 4) {
		cfg_read(host, (unsigned int)offset - 4, data, size);
	} else if (offset == 0 && size == 4) {
		io_data_put(data, size, host->address);
	} else if (offset == RESET_CTRL && size == 1) {
		io_data_put(data, size, host->reset_ctrl);
	} else {
		memset(data, 0xff, size);
	}
}

static void pci_io_write(struct vmm_device *dev, uint64_t offset,
			 const void *data, unsigned int size)
{
	struct pci_host *host = dev->priv;
	uint32_t v = (uint32_t)io_data_get(data, size);

	if (offset >= 4) {
		cfg_write(host, (unsigned int)offset - 4, data, size);
	} else if (offset == 0 && size == 4) {
		host->address = v & CFG_ADDR_MASK;
	} else if (offset == RESET_CTRL && size == 1) {
		/* Bit 2 starts the reset that bits 1 and 3 describe. */
		host->reset_ctrl = v & ~RESET_CPU;
		if (v & RESET_CPU)
			host->ctx->stop(host->ctx, VMM_STOP_RESET,
					"port 0xcf9 (reset control register)");
	}
	/* Other narrow writes (0xcfb for the mechanism #2 probe): ignored. */
}

static const struct vmm_device_ops pci_io_ops = {
	.name = "pci-cfg",
	.read = pci_io_read,
	.write = pci_io_write,
};

int pci_host_add(struct pci_host *host, struct pci_function *fn, int slot)
{
	if (slot < 0) {
		for (slot = 0; slot < PCI_NUM_SLOTS && host->slots[slot]; slot++)
			;
		if (slot == PCI_NUM_SLOTS)
			return -EBUSY;
	}
	if (slot >= PCI_NUM_SLOTS)
		return -EINVAL;
	if (host->slots[slot])
		return -EBUSY;
	host->slots[slot] = fn;
	return slot;
}

struct pci_host *pci_host_create(struct vmm_ctx *ctx)
{
	struct pci_host *host = calloc(1, sizeof(*host));

	if (!host)
		return NULL;
	host->ctx = ctx;
	host->dev = (struct vmm_device){ &pci_io_ops, host };
	/* An Intel Q35 (82G33) DRAM controller as the host bridge. */
	pci_function_init(&host->bridge, 0x8086, 0x29c0, 0x060000, 0x02);
	host->bridge.wmask[REG_IRQ_LINE] = 0;
	pci_function_set_subsystem(&host->bridge, 0x1af4, 0x1100);
	host->slots[0] = &host->bridge;
	if (bus_register(ctx->bus, BUS_PIO, PCI_IO_BASE, 8, &host->dev)) {
		free(host);
		return NULL;
	}
	return host;
}

void pci_host_destroy(struct pci_host *host)
{
	free(host);
}
