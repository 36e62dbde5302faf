// SPDX-License-Identifier: GPL-2.0-only
/*
 * The quiet legacy ports, and the whole PC port map: every device
 * created together on one bus, as the monitor does, with no overlap.
 */
#include "acpi.h"
#include "i8042.h"
#include "legacy.h"
#include "pci.h"
#include "pic.h"
#include "pit.h"
#include "rtc.h"
#include "serial.h"
#include "unit.h"

struct port_case {
	const char *name;
	uint16_t port;
	int write;		/* -1: none */
	uint8_t expect;
	int stops;
};

static const struct port_case cases[] = {
	{ "POST code reads back", 0x80, 0x42, 0x42, 0 },
	{ "0xed swallows writes", 0xed, 0x12, 0xff, 0 },
	{ "port 0x92 reads A20 on", 0x92, -1, 0x02, 0 },
	{ "port 0x92 keeps A20 on", 0x92, 0x00, 0x02, 0 },
	{ "port 0x92 bit 0 resets", 0x92, 0x03, 0x02, 1 },
};

static void test_legacy_ports(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct port_case *c = &cases[i];
		struct test_machine m;
		struct legacy_ports *lp;
		uint8_t got;

		test_machine_init(&m, 0);
		lp = legacy_ports_create(&m.ctx);
		if (c->write >= 0)
			test_outb(&m, c->port, (uint8_t)c->write);
		got = test_inb(&m, c->port);
		unit_case(lp && got == c->expect && m.stops == c->stops &&
				  (!c->stops || m.last_stop == VMM_STOP_RESET),
			  "legacy: %s", c->name);
		legacy_ports_destroy(lp);
		test_machine_destroy(&m);
	}
}

/* What the monitor's machine_create_devices() will do. */
static void test_whole_machine(void)
{
	struct test_machine m;
	struct pic *pic;
	struct pit *pit;
	struct serial *com1;
	struct rtc *rtc;
	struct i8042 *kbc;
	struct pci_host *pci;
	struct acpi_pm *pm;
	struct legacy_ports *lp;

	test_machine_init(&m, 0);
	m.ctx.irq = NULL;
	pic = pic_create(&m.ctx);
	pit = pit_create(&m.ctx, 0);
	com1 = serial_create(&m.ctx, SERIAL_COM1_BASE, SERIAL_COM1_IRQ, -1, -1);
	rtc = rtc_create(&m.ctx, 1 << 30, 0);
	kbc = i8042_create(&m.ctx);
	pci = pci_host_create(&m.ctx);
	pm = acpi_pm_create(&m.ctx, ACPI_PM_BASE, ACPI_SCI_IRQ);
	lp = legacy_ports_create(&m.ctx);
	unit_case(pic && pit && com1 && rtc && kbc && pci && pm && lp,
		  "machine: all PC devices fit on one bus");
	unit_case(m.ctx.irq == pic_irq_chip(pic),
		  "machine: the PIC became the interrupt controller");
	/* A COM1 interrupt reaches the CPU through the PIC. */
	test_outb(&m, 0x20, 0x11);
	test_outb(&m, 0x21, 0x30);
	test_outb(&m, 0x21, 0x04);
	test_outb(&m, 0x21, 0x01);
	test_outb(&m, 0x21, 0x00);
	test_outb(&m, SERIAL_COM1_BASE + 4, 0x08);
	test_outb(&m, SERIAL_COM1_BASE + 1, 0x02);
	unit_case(pic_pending_vector(pic) == 0x34 && m.kicks == 1,
		  "machine: COM1 THR-empty arrives as vector 0x34 with a kick");
	acpi_pm_destroy(pm);
	legacy_ports_destroy(lp);
	pci_host_destroy(pci);
	i8042_destroy(kbc);
	rtc_destroy(rtc);
	serial_destroy(com1);
	pit_destroy(pit);
	test_machine_destroy(&m);
	pic_destroy(pic);
}

void test_legacy(void)
{
	test_legacy_ports();
	test_whole_machine();
}
