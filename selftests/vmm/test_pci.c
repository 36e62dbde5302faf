// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI configuration mechanism #1: a table of config reads of the host
 * bridge and of empty addresses, then BAR sizing, capabilities and the
 * reset control register.
 */
#include <errno.h>

#include "pci.h"
#include "unit.h"

#define ADDR(bus, dev, fn, reg) \
	(0x80000000u | (bus) << 16 | (dev) << 11 | (fn) << 8 | (reg))

struct cfg_case {
	const char *name;
	uint32_t address;
	uint16_t port;		/* 0xcfc-0xcff */
	unsigned int size;
	uint32_t expect;
};

static const struct cfg_case cases[] = {
	{ "host bridge IDs", ADDR(0, 0, 0, 0x00), 0xcfc, 4, 0x29c08086 },
	{ "host bridge device ID word", ADDR(0, 0, 0, 0x00), 0xcfe, 2, 0x29c0 },
	{ "host bridge vendor low byte", ADDR(0, 0, 0, 0x00), 0xcfc, 1, 0x86 },
	{ "host bridge vendor high byte", ADDR(0, 0, 0, 0x00), 0xcfd, 1, 0x80 },
	{ "host bridge class and revision", ADDR(0, 0, 0, 0x08), 0xcfc, 4,
	  0x06000002 },
	{ "host bridge header type 0", ADDR(0, 0, 0, 0x0c), 0xcfe, 1, 0x00 },
	{ "host bridge has no BAR", ADDR(0, 0, 0, 0x10), 0xcfc, 4, 0 },
	{ "register bits 0-1 are ignored", ADDR(0, 0, 0, 0x08) | 3, 0xcfc, 4,
	  0x06000002 },
	{ "empty slot reads all ones", ADDR(0, 5, 0, 0x00), 0xcfc, 4,
	  0xffffffff },
	{ "empty slot word", ADDR(0, 31, 0, 0x00), 0xcfe, 2, 0xffff },
	{ "function 1 is absent", ADDR(0, 0, 1, 0x00), 0xcfc, 4, 0xffffffff },
	{ "bus 1 is absent", ADDR(1, 0, 0, 0x00), 0xcfc, 4, 0xffffffff },
	{ "enable bit clear reads all ones", ADDR(0, 0, 0, 0x00) & ~0x80000000u,
	  0xcfc, 4, 0xffffffff },
};

static void test_pci_reads(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cfg_case *c = &cases[i];
		struct test_machine m;
		struct pci_host *host;
		uint32_t got = 0;

		test_machine_init(&m, 0);
		host = pci_host_create(&m.ctx);
		if (host) {
			test_out(&m, 0xcf8, c->address, 4);
			got = test_in(&m, c->port, c->size);
		}
		if (!unit_case(host && got == c->expect, "pci: %s", c->name))
			unit_diag("got %#x, expected %#x", got, c->expect);
		pci_host_destroy(host);
		test_machine_destroy(&m);
	}
}

static unsigned int moves;
static uint64_t moved_to[PCI_NUM_BARS];

static void note_move(struct pci_function *fn, unsigned int bar, uint64_t addr)
{
	(void)fn;
	moves++;
	moved_to[bar] = addr;
}

static const struct pci_function_ops note_ops = { .bar_moved = note_move };

static uint32_t cfg_in(struct test_machine *m, unsigned int dev,
		       unsigned int reg)
{
	test_out(m, 0xcf8, ADDR(0, dev, 0, reg), 4);
	return test_in(m, 0xcfc, 4);
}

static void cfg_out(struct test_machine *m, unsigned int dev,
		    unsigned int reg, uint32_t v)
{
	test_out(m, 0xcf8, ADDR(0, dev, 0, reg), 4);
	test_out(m, 0xcfc, v, 4);
}

static void test_pci_function(void)
{
	static const uint8_t vendor_cap[8] = { 0x09, 0, 8, 1, 2, 3, 4, 5 };
	static const uint8_t msix_cap[12] = { 0x11, 0, 0, 0 };
	struct pci_function fn = { .ops = &note_ops };
	struct pci_function other = { 0 };
	struct test_machine m;
	struct pci_host *host;
	int slot, cap1, cap2;

	test_machine_init(&m, 0);
	host = pci_host_create(&m.ctx);
	pci_function_init(&fn, 0x1af4, 0x1041, 0x020000, 1);
	pci_function_set_subsystem(&fn, 0x1af4, 0x0001);
	unit_case(!pci_function_set_bar(&fn, 0, 0xc000, 0x20, PCI_BAR_IO) &&
			  !pci_function_set_bar(&fn, 1, 0xfebf0000, 0x1000, 0) &&
			  !pci_function_set_bar(&fn, 2, 0x100000000ull, 0x4000,
						PCI_BAR_MEM64 | PCI_BAR_PREFETCH),
		  "pci: BARs of each kind accepted");
	unit_case(pci_function_set_bar(&fn, 5, 0, 0x1000, PCI_BAR_MEM64) &&
			  pci_function_set_bar(&fn, 3, 0x800, 0x1000, 0) &&
			  pci_function_set_bar(&fn, 3, 0, 0x1800, 0),
		  "pci: misaligned, odd-sized or overflowing BARs refused");
	pci_function_set_irq(&fn, 1, 10);
	cap1 = pci_function_add_cap(&fn, vendor_cap, sizeof(vendor_cap));
	cap2 = pci_function_add_cap(&fn, msix_cap, sizeof(msix_cap));
	slot = pci_host_add(host, &fn, -1);
	unit_case(slot == 1, "pci: first free slot is 1");
	unit_case(pci_host_add(host, &other, 1) == -EBUSY &&
			  pci_host_add(host, &other, 32) == -EINVAL,
		  "pci: taken or bad slots refused");

	unit_case(cfg_in(&m, 1, 0x00) == 0x10411af4 &&
			  cfg_in(&m, 1, 0x2c) == 0x00011af4,
		  "pci: added function answers its IDs");
	unit_case(cfg_in(&m, 1, 0x10) == 0xc001 &&
			  cfg_in(&m, 1, 0x14) == 0xfebf0000 &&
			  cfg_in(&m, 1, 0x18) == 0x0000000c &&
			  cfg_in(&m, 1, 0x1c) == 0x1,
		  "pci: BARs read their address and kind");
	cfg_out(&m, 1, 0x10, 0xffffffff);
	cfg_out(&m, 1, 0x14, 0xffffffff);
	cfg_out(&m, 1, 0x18, 0xffffffff);
	cfg_out(&m, 1, 0x1c, 0xffffffff);
	unit_case(cfg_in(&m, 1, 0x10) == 0xffffffe1 &&
			  cfg_in(&m, 1, 0x14) == 0xfffff000 &&
			  cfg_in(&m, 1, 0x18) == 0xffffc00c &&
			  cfg_in(&m, 1, 0x1c) == 0xffffffff,
		  "pci: all ones reads back the sizes");
	unit_case(cfg_in(&m, 1, 0x20) == 0 && cfg_in(&m, 1, 0x30) == 0,
		  "pci: unused BAR and expansion ROM read 0");
	moves = 0;
	cfg_out(&m, 1, 0x10, 0xd000);
	cfg_out(&m, 1, 0x14, 0xfebf0000);
	unit_case(moves == 2 && moved_to[0] == 0xd000 &&
			  moved_to[1] == 0xfebf0000 &&
			  pci_function_bar_addr(&fn, 0) == 0xd000,
		  "pci: moving BARs tells the device");
	cfg_out(&m, 1, 0x18, 0xe0000000);
	cfg_out(&m, 1, 0x1c, 0x2);
	unit_case(pci_function_bar_addr(&fn, 2) == 0x2e0000000ull &&
			  moved_to[2] == 0x2e0000000ull,
		  "pci: 64-bit BAR spans two registers");
	cfg_out(&m, 1, 0x04, 0xffffffff);
	unit_case(cfg_in(&m, 1, 0x04) == 0x00100547,
		  "pci: command bits writable, status read-only");
	test_out(&m, 0xcf8, ADDR(0, 1, 0, 0x3c), 4);
	test_out(&m, 0xcfc, 11, 1);
	unit_case(test_in(&m, 0xcfc, 2) == 0x010b, "pci: interrupt line and pin");
	unit_case(cap1 == 0x40 && cap2 == 0x48 &&
			  (cfg_in(&m, 1, 0x34) & 0xff) == 0x40 &&
			  (cfg_in(&m, 1, 0x40) & 0xffff) == 0x4809 &&
			  (cfg_in(&m, 1, 0x48) & 0xffff) == 0x0011,
		  "pci: capability list is linked");
	unit_case(cfg_in(&m, 1, 0x08) == 0x02000001, "pci: class code");
	pci_host_destroy(host);
	test_machine_destroy(&m);
}

static void test_pci_ports(void)
{
	struct test_machine m;
	struct pci_host *host;

	test_machine_init(&m, 0);
	host = pci_host_create(&m.ctx);
	/* Linux's pci_check_type1(). */
	test_outb(&m, 0xcfb, 0x01);
	test_out(&m, 0xcf8, 0x80000000, 4);
	unit_case(test_in(&m, 0xcf8, 4) == 0x80000000,
		  "pci: mechanism #1 address reads back");
	test_out(&m, 0xcf8, 0xffffffff, 4);
	unit_case(test_in(&m, 0xcf8, 4) == 0x80fffffc,
		  "pci: address reserved bits read 0");
	unit_case(m.stops == 0, "pci: dword at 0xcf8 is no reset");
	test_outb(&m, 0xcf9, 0x02);
	unit_case(m.stops == 0 && test_inb(&m, 0xcf9) == 0x02,
		  "pci: 0xcf9 bit 1 alone does not reset");
	test_outb(&m, 0xcf9, 0x06);
	unit_case(m.stops == 1 && m.last_stop == VMM_STOP_RESET,
		  "pci: 0xcf9 value 0x06 resets");
	test_outb(&m, 0xcf9, 0x0e);
	unit_case(m.stops == 2, "pci: 0xcf9 value 0x0e resets");
	pci_host_destroy(host);
	test_machine_destroy(&m);
}

void test_pci(void)
{
	test_pci_reads();
	test_pci_function();
	test_pci_ports();
}
