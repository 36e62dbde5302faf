// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ACPI tables as Linux reads them (found by scanning the BIOS area,
 * checksums, lengths, FADT fields, the \_S5 package in the DSDT's AML,
 * an MADT with the 8259 pair and no APIC),
 * and the PM1 block they point at: a poweroff done the way Linux's
 * acpi_enter_sleep_state(5) does it must stop the machine.
 */
#include <errno.h>
#include <string.h>

#include "acpi.h"
#include "pci.h"
#include "unit.h"

#define MEM_SIZE (2u << 20)

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static bool sums_to_zero(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum == 0;
}

static bool table_ok(const uint8_t *mem, uint64_t addr, const char *sig)
{
	const uint8_t *t = mem + addr;

	return addr && addr + 36 <= MEM_SIZE && !memcmp(t, sig, 4) &&
	       get32(t + 4) >= 36 && addr + get32(t + 4) <= MEM_SIZE &&
	       sums_to_zero(t, get32(t + 4));
}

/* Linux's search: 16-byte steps through 0xe0000-0xfffff. */
static uint64_t scan_rsdp(const uint8_t *mem)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp(mem + a, "RSD PTR ", 8) && sums_to_zero(mem + a, 20))
			return a;
	return 0;
}

/* One package element of the few kinds the DSDT uses; -1 if unknown. */
static long aml_integer(const uint8_t **p)
{
	const uint8_t *q = *p;

	switch (q[0]) {
	case 0x00:
		*p += 1;
		return 0;
	case 0x01:
		*p += 1;
		return 1;
	case 0x0a:
		*p += 2;
		return q[1];
	case 0x0b:
		*p += 3;
		return get16(q + 1);
	default:
		return -1;
	}
}

/* Finds Name(name, Package() {...}) and returns its first element. */
static long aml_sleep_type(const uint8_t *dsdt, const char *name,
			   unsigned int *elements)
{
	uint32_t len = get32(dsdt + 4);

	for (uint32_t i = 36; i + 7 < len; i++) {
		const uint8_t *p = dsdt + i;
		const uint8_t *end;
		long v;

		if (p[0] != 0x08 || memcmp(p + 1, name, 4) || p[5] != 0x12)
			continue;
		/* A one-byte PkgLength (bits 6-7 clear) is all we emit. */
		if (p[6] & 0xc0)
			return -1;
		end = p + 6 + p[6];
		if (end > dsdt + len)
			return -1;
		*elements = p[7];
		p += 8;
		v = aml_integer(&p);
		for (unsigned int e = 1; e < *elements && v >= 0; e++)
			if (aml_integer(&p) < 0)
				return -1;
		return p == end ? v : -1;
	}
	return -1;
}

static bool gas_io_is(const uint8_t *g, uint64_t port, uint8_t bits)
{
	return g[0] == 1 && g[1] == bits && g[2] == 0 && get64(g + 4) == port;
}

/* Counts MADT entries of a type (-1: any); -1 if an entry is malformed. */
static int madt_entries(const uint8_t *madt, int type)
{
	uint32_t len = get32(madt + 4);
	int n = 0;

	for (uint32_t off = 44; off < len; off += madt[off + 1]) {
		if (off + 2 > len || madt[off + 1] < 2 ||
		    off + madt[off + 1] > len)
			return -1;
		if (type < 0 || madt[off] == type)
			n++;
	}
	return n;
}

/* The tables listed in the XSDT, the FACS and DSDT do not overlap. */
static bool tables_disjoint(const uint8_t *mem, const uint64_t *addr, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			uint64_t a = addr[i], b = addr[j];
			uint64_t alen = get32(mem + a + 4), blen = get32(mem + b + 4);

			if (a < b + blen && b < a + alen)
				return false;
		}
	return true;
}

static void test_acpi_madt(void)
{
	struct test_machine m;
	struct acpi_config cfg;
	uint64_t rsdp = 0, xsdt, rsdt, madt = 0, all[8];
	const uint8_t *mem, *t;
	int n = 0;

	test_machine_init(&m, MEM_SIZE);
	mem = m.ctx.mem;
	acpi_config_default(&cfg);
	acpi_build(&cfg, m.ctx.mem, MEM_SIZE, &rsdp);
	xsdt = get64(mem + rsdp + 24);
	rsdt = get32(mem + rsdp + 16);
	for (uint32_t off = 36; off + 8 <= get32(mem + xsdt + 4); off += 8)
		if (!memcmp(mem + get64(mem + xsdt + off), "APIC", 4))
			madt = get64(mem + xsdt + off);
	unit_case(madt && get32(mem + rsdt + 40) == madt,
		  "acpi: MADT listed second in both XSDT and RSDT");
	t = mem + madt;
	unit_case(madt && table_ok(mem, madt, "APIC") && get32(t + 4) == 44 &&
			  t[8] == 4,
		  "acpi: MADT signature, revision 4, 44 bytes, checksum");
	unit_case(madt && get32(t + 40) == 1,
		  "acpi: MADT flags PCAT_COMPAT: the 8259 pair is there");
	unit_case(madt && get32(t + 36) == 0xfee00000,
		  "acpi: MADT local APIC address is the architectural default");
	unit_case(madt && madt_entries(t, -1) == 0,
		  "acpi: MADT lists no local APIC, I/O APIC or override");
	all[n++] = rsdt;
	all[n++] = xsdt;
	for (uint32_t off = 36; off + 8 <= get32(mem + xsdt + 4) && n < 6;
	     off += 8)
		all[n++] = get64(mem + xsdt + off);
	all[n++] = get64(mem + get64(mem + xsdt + 36) + 140);	/* DSDT */
	all[n++] = get64(mem + get64(mem + xsdt + 36) + 132);	/* FACS */
	unit_case(n == 6 && tables_disjoint(mem, all, n) &&
			  rsdp + 36 <= rsdt && rsdp + 36 <= xsdt,
		  "acpi: RSDP, RSDT, XSDT, FADT, MADT, DSDT, FACS do not overlap");
	for (int i = 0; i < n; i++)
		if (all[i] < ACPI_TABLES_BASE ||
		    all[i] + get32(mem + all[i] + 4) > ACPI_TABLES_BASE + ACPI_TABLES_MAX)
			n = -1;
	unit_case(n == 6, "acpi: every table inside the reserved area");
	test_machine_destroy(&m);
}

static void test_acpi_tables(void)
{
	struct test_machine m;
	struct acpi_config cfg;
	uint64_t rsdp = 0, xsdt, rsdt, fadt, dsdt, facs;
	const uint8_t *mem, *f;
	unsigned int elements = 0;
	bool has_madt = false;
	long s5, s0;

	test_machine_init(&m, MEM_SIZE);
	mem = m.ctx.mem;
	acpi_config_default(&cfg);
	unit_case(acpi_build(&cfg, m.ctx.mem, MEM_SIZE, &rsdp) == 0 &&
			  rsdp == 0xe0000,
		  "acpi: tables built, RSDP at 0xe0000");
	unit_case(scan_rsdp(mem) == rsdp, "acpi: RSDP found by scanning");
	unit_case(mem[rsdp + 15] == 2 && get32(mem + rsdp + 20) == 36 &&
			  sums_to_zero(mem + rsdp, 36),
		  "acpi: RSDP revision 2, length 36, extended checksum");
	xsdt = get64(mem + rsdp + 24);
	rsdt = get32(mem + rsdp + 16);
	unit_case(table_ok(mem, xsdt, "XSDT") && get32(mem + xsdt + 4) == 52,
		  "acpi: XSDT checksum and length (FADT, MADT)");
	unit_case(table_ok(mem, rsdt, "RSDT") && get32(mem + rsdt + 4) == 44,
		  "acpi: RSDT checksum and length (FADT, MADT)");
	fadt = get64(mem + xsdt + 36);
	unit_case(get32(mem + rsdt + 36) == fadt, "acpi: RSDT and XSDT agree");
	for (uint32_t off = 36; off + 8 <= get32(mem + xsdt + 4); off += 8)
		if (!memcmp(mem + get64(mem + xsdt + off), "APIC", 4))
			has_madt = true;
	unit_case(has_madt, "acpi: the XSDT lists an MADT");

	f = mem + fadt;
	unit_case(table_ok(mem, fadt, "FACP") && get32(f + 4) == 276 &&
			  f[8] == 6,
		  "acpi: FADT revision 6, 276 bytes, checksum");
	unit_case(get32(f + 56) == ACPI_PM_BASE && f[88] == 4 &&
			  get32(f + 64) == ACPI_PM_BASE + 4 && f[89] == 2 &&
			  get32(f + 76) == ACPI_PM_BASE + 8 && f[91] == 4,
		  "acpi: FADT PM1a event, control and timer blocks");
	unit_case(gas_io_is(f + 148, ACPI_PM_BASE, 32) &&
			  gas_io_is(f + 172, ACPI_PM_BASE + 4, 16) &&
			  gas_io_is(f + 208, ACPI_PM_BASE + 8, 32) &&
			  get64(f + 160) == 0 && get64(f + 184) == 0 &&
			  get64(f + 220) == 0,
		  "acpi: FADT X_ blocks match, no PM1b, no GPE");
	unit_case(get16(f + 46) == 9 && get32(f + 48) == 0,
		  "acpi: SCI on IRQ9, no SMI command port");
	unit_case(!(get32(f + 112) & (1u << 20)) &&
			  (get32(f + 112) & (1u << 10)) &&
			  gas_io_is(f + 116, 0xcf9, 8) && f[119] == 1 &&
			  f[128] == 0x06,
		  "acpi: not hardware-reduced, reset register 0xcf9 = 0x06");
	unit_case(!(get16(f + 109) & 2) && f[108] == 0x32,
		  "acpi: no 8042 flag, RTC century at 0x32");
	dsdt = get64(f + 140);
	facs = get64(f + 132);
	unit_case(get32(f + 40) == dsdt && get32(f + 36) == facs,
		  "acpi: 32- and 64-bit DSDT and FACS pointers agree");
	unit_case(!memcmp(mem + facs, "FACS", 4) && get32(mem + facs + 4) == 64 &&
			  !(facs & 63),
		  "acpi: FACS signature, length, 64-byte alignment");
	unit_case(table_ok(mem, dsdt, "DSDT") && mem[dsdt + 8] == 2,
		  "acpi: DSDT checksum, revision 2");
	s5 = aml_sleep_type(mem + dsdt, "_S5_", &elements);
	unit_case(s5 == ACPI_SLP_TYP_S5 && elements == 4,
		  "acpi: DSDT has a valid \\_S5 package");
	s0 = aml_sleep_type(mem + dsdt, "_S0_", &elements);
	unit_case(s0 == ACPI_SLP_TYP_S0 && elements == 4,
		  "acpi: DSDT has a valid \\_S0 package");
	unit_case(acpi_build(&cfg, m.ctx.mem, 0xe0800, &rsdp) == -EINVAL,
		  "acpi: refuses memory too small for the tables");
	test_machine_destroy(&m);
}

/* Poweroff as Linux does it: \_S5's SLP_TYPa, SLP_EN, to PM1a_CNT. */
static void test_acpi_poweroff(void)
{
	struct test_machine m;
	struct acpi_config cfg;
	struct acpi_pm *pm;
	uint64_t rsdp = 0, fadt, dsdt;
	unsigned int elements;
	uint16_t cnt_port;
	long s5;

	test_machine_init(&m, MEM_SIZE);
	acpi_config_default(&cfg);
	acpi_build(&cfg, m.ctx.mem, MEM_SIZE, &rsdp);
	fadt = get64(m.ctx.mem + rsdp + 24 + 0);
	fadt = get64(m.ctx.mem + fadt + 36);
	dsdt = get64(m.ctx.mem + fadt + 140);
	cnt_port = (uint16_t)get32(m.ctx.mem + fadt + 64);
	s5 = aml_sleep_type(m.ctx.mem + dsdt, "_S5_", &elements);
	pm = acpi_pm_create(&m.ctx, cfg.pm_base, cfg.sci_irq);

	unit_case(test_in(&m, cnt_port, 2) & 1, "acpi: SCI_EN reads set");
	/* Linux writes SLP_TYP first, then SLP_TYP | SLP_EN. */
	test_out(&m, cnt_port, (uint32_t)s5 << 10 | 1, 2);
	unit_case(m.stops == 0, "acpi: SLP_TYP alone does nothing");
	test_out(&m, cnt_port, (uint32_t)s5 << 10 | 1 << 13, 2);
	unit_case(m.stops == 1 && m.last_stop == VMM_STOP_POWEROFF,
		  "acpi: SLP_EN with the S5 type powers off");
	test_out(&m, cnt_port, 1 << 13, 2);
	unit_case(m.stops == 1, "acpi: SLP_EN with S0 does not");
	test_out(&m, cnt_port + 1, (uint32_t)(s5 << 2 | 1 << 5), 1);
	unit_case(m.stops == 2, "acpi: a byte write of the high half works");
	unit_case(!(test_in(&m, cnt_port, 2) & (1 << 13)),
		  "acpi: SLP_EN reads 0");
	acpi_pm_destroy(pm);
	test_machine_destroy(&m);
}

static void test_acpi_pm(void)
{
	struct test_clock clock = { 1000000000 };
	struct test_machine m;
	struct acpi_pm *pm;
	uint32_t t1, t2;

	test_machine_init(&m, 0);
	pm = acpi_pm_create(&m.ctx, ACPI_PM_BASE, ACPI_SCI_IRQ);
	acpi_pm_set_clock(pm, test_clock_read, &clock);
	t1 = test_in(&m, ACPI_PM_BASE + 8, 4);
	unit_case(t1 == (3579545 & 0xffffff), "acpi: PM timer at 3.579545 MHz");
	clock.ns += 1000;
	t2 = test_in(&m, ACPI_PM_BASE + 8, 4);
	unit_case(t2 - t1 == 3 || t2 - t1 == 4, "acpi: PM timer advances");
	clock.ns = 5000000000ll;	/* 17897725 ticks: wrapped once */
	unit_case(test_in(&m, ACPI_PM_BASE + 8, 4) == (17897725 & 0xffffff),
		  "acpi: PM timer is 24 bits");
	test_out(&m, ACPI_PM_BASE + 8, 0, 4);
	unit_case(test_in(&m, ACPI_PM_BASE + 8, 4) == (17897725 & 0xffffff),
		  "acpi: PM timer is read-only");

	acpi_pm_power_button(pm);
	unit_case(test_in(&m, ACPI_PM_BASE, 2) == 0x0100 &&
			  !m.line[ACPI_SCI_IRQ],
		  "acpi: power button sets its status, SCI off while disabled");
	test_out(&m, ACPI_PM_BASE + 2, 0x0100, 2);
	unit_case(m.line[ACPI_SCI_IRQ] && test_in(&m, ACPI_PM_BASE + 2, 2) ==
							 0x0100,
		  "acpi: enabling the event raises the SCI");
	test_out(&m, ACPI_PM_BASE, 0x0001, 2);
	unit_case(m.line[ACPI_SCI_IRQ], "acpi: clearing another status bit");
	test_out(&m, ACPI_PM_BASE, 0x0100, 2);
	unit_case(!m.line[ACPI_SCI_IRQ] && test_in(&m, ACPI_PM_BASE, 2) == 0,
		  "acpi: writing 1 clears the status and the SCI");
	test_out(&m, ACPI_PM_BASE, 0x01000000, 4);
	unit_case(test_in(&m, ACPI_PM_BASE + 2, 2) == 0x0100,
		  "acpi: a dword write sets status and enable together");
	acpi_pm_destroy(pm);
	test_machine_destroy(&m);
}

/*
 * Reboot as Linux's acpi_reboot() does it: the FADT's reset value, one
 * byte, to the reset register's port, which the PCI host's 0xcf9 takes.
 */
static void test_acpi_reset_register(void)
{
	struct test_machine m;
	struct acpi_config cfg;
	struct pci_host *host;
	uint64_t rsdp = 0;
	const uint8_t *f;

	test_machine_init(&m, MEM_SIZE);
	host = pci_host_create(&m.ctx);
	acpi_config_default(&cfg);
	acpi_build(&cfg, m.ctx.mem, MEM_SIZE, &rsdp);
	f = m.ctx.mem + get64(m.ctx.mem + get64(m.ctx.mem + rsdp + 24) + 36);
	unit_case(host && f[116] == 1 && f[117] == 8 && f[119] == 1,
		  "acpi: reset register is one byte of I/O space");
	test_outb(&m, (uint16_t)get64(f + 120), f[128]);
	unit_case(m.stops == 1 && m.last_stop == VMM_STOP_RESET,
		  "acpi: writing the FADT's reset value resets the machine");
	pci_host_destroy(host);
	test_machine_destroy(&m);
}

void test_acpi(void)
{
	test_acpi_tables();
	test_acpi_madt();
	test_acpi_reset_register();
	test_acpi_poweroff();
	test_acpi_pm();
}
