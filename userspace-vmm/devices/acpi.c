// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ACPI tables: RSDP (revision 2) -> XSDT and RSDT -> FADT (-> FACS
 * and DSDT) and MADT.  The DSDT's AML only names the sleep states \_S0
 * and \_S5; everything else Linux finds on its own (ISA devices at their
 * legacy ports, PCI through mechanism #1).
 *
 * The MADT describes the interrupt controllers that exist: the 8259 pair
 * (the PCAT_COMPAT flag) and nothing else.  It lists no local APIC and
 * no I/O APIC, since neither is emulated and CPUID hides the local APIC;
 * its Local Interrupt Controller Address field, which every MADT has,
 * holds the architectural default that IA32_APIC_BASE also shows.
 */
#include <errno.h>
#include <string.h>

#include "acpi.h"
#include "rtc.h"

#define SDT_HEADER_LEN	36
#define RSDP_LEN	36
#define FADT_LEN	276
#define FACS_LEN	64
#define MADT_LEN	(SDT_HEADER_LEN + 8)	/* no controller entries */

#define OEM_ID		"VIREO "
#define OEM_TABLE_ID	"VIREOPC "
#define CREATOR_ID	"VIRO"

/* FADT flags and IA-PC boot architecture flags. */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_SLP_BUTTON		(1u << 5)	/* no fixed sleep button */
#define FADT_RESET_REG_SUP	(1u << 10)
#define BOOT_LEGACY_DEVICES	(1u << 0)
#define BOOT_NO_VGA		(1u << 2)
#define BOOT_NO_MSI		(1u << 3)
#define MADT_PCAT_COMPAT	(1u << 0)	/* dual 8259 present */
#define MADT_LAPIC_DEFAULT	0xfee00000u

#define GAS_SYSTEM_IO	1
#define ACCESS_BYTE	1
#define ACCESS_WORD	2
#define ACCESS_DWORD	3

/* AML opcodes used by the DSDT. */
#define AML_ZERO	0x00
#define AML_NAME	0x08
#define AML_BYTE	0x0a
#define AML_PACKAGE	0x12

static void put8(uint8_t *p, uint8_t v)
{
	p[0] = v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	put8(t + 8, rev);
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t + 24, 1);
	memcpy(t + 28, CREATOR_ID, 4);
	put32(t + 32, 1);
}

static void sdt_finish(uint8_t *t)
{
	uint32_t len = (uint32_t)t[4] | (uint32_t)t[5] << 8 |
		       (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure for an I/O port block. */
static void gas_io(uint8_t *p, uint16_t port, uint8_t bytes, uint8_t access)
{
	put8(p, GAS_SYSTEM_IO);
	put8(p + 1, (uint8_t)(bytes * 8));
	put8(p + 2, 0);
	put8(p + 3, access);
	put64(p + 4, port);
}

/* Name(_Sx_, Package(4) { typ, typ, 0, 0 }) */
static size_t aml_sleep_state(uint8_t *p, char state, uint8_t slp_typ)
{
	size_t n = 0;

	p[n++] = AML_NAME;
	memcpy(p + n, "_S0_", 4);
	p[n + 2] = (uint8_t)state;
	n += 4;
	p[n++] = AML_PACKAGE;
	/* PkgLength counts itself, NumElements and the elements. */
	p[n++] = slp_typ ? 8 : 6;
	p[n++] = 4;
	for (int i = 0; i < 2; i++) {
		if (slp_typ) {
			p[n++] = AML_BYTE;
			p[n++] = slp_typ;
		} else {
			p[n++] = AML_ZERO;
		}
	}
	p[n++] = AML_ZERO;
	p[n++] = AML_ZERO;
	return n;
}

static uint32_t build_dsdt(uint8_t *t)
{
	size_t n = SDT_HEADER_LEN;

	n += aml_sleep_state(t + n, '0', ACPI_SLP_TYP_S0);
	n += aml_sleep_state(t + n, '5', ACPI_SLP_TYP_S5);
	sdt_header(t, "DSDT", (uint32_t)n, 2);
	sdt_finish(t);
	return (uint32_t)n;
}

static void build_facs(uint8_t *t)
{
	memcpy(t, "FACS", 4);
	put32(t + 4, FACS_LEN);
	put8(t + 32, 2);	/* version */
}

static void build_fadt(uint8_t *t, const struct acpi_config *cfg,
		       uint32_t facs, uint32_t dsdt)
{
	uint16_t pm = cfg->pm_base;

	sdt_header(t, "FACP", FADT_LEN, 6);
	put32(t + 36, facs);
	put32(t + 40, dsdt);
	put16(t + 46, cfg->sci_irq);
	/* SMI_CMD stays 0: the machine is always in ACPI mode. */
	put32(t + 56, pm);				/* PM1a_EVT_BLK */
	put32(t + 64, pm + ACPI_PM1_CNT_OFF);		/* PM1a_CNT_BLK */
	put32(t + 76, pm + ACPI_PM_TMR_OFF);		/* PM_TMR_BLK */
	put8(t + 88, ACPI_PM1_EVT_LEN);
	put8(t + 89, ACPI_PM1_CNT_LEN);
	put8(t + 91, ACPI_PM_TMR_LEN);
	put16(t + 96, 101);	/* P_LVL2_LAT > 100: no C2 */
	put16(t + 98, 1001);	/* P_LVL3_LAT > 1000: no C3 */
	put8(t + 108, RTC_REG_CENTURY);
	/* No 8042 flag: Linux leaves the keyboard controller alone. */
	put16(t + 109, BOOT_LEGACY_DEVICES | BOOT_NO_VGA | BOOT_NO_MSI);
	put32(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
			       FADT_RESET_REG_SUP);
	gas_io(t + 116, ACPI_RESET_PORT, 1, ACCESS_BYTE);
	put8(t + 128, ACPI_RESET_VALUE);
	put8(t + 131, 0);	/* FADT minor version */
	put64(t + 132, facs);	/* X_FIRMWARE_CTRL */
	put64(t + 140, dsdt);	/* X_DSDT */
	gas_io(t + 148, pm, ACPI_PM1_EVT_LEN, ACCESS_WORD);
	gas_io(t + 172, pm + ACPI_PM1_CNT_OFF, ACPI_PM1_CNT_LEN, ACCESS_WORD);
	gas_io(t + 208, pm + ACPI_PM_TMR_OFF, ACPI_PM_TMR_LEN, ACCESS_DWORD);
	memcpy(t + 268, "VIREO\0\0\0", 8);	/* hypervisor vendor */
	sdt_finish(t);
}

static void build_madt(uint8_t *t)
{
	sdt_header(t, "APIC", MADT_LEN, 4);
	put32(t + 36, MADT_LAPIC_DEFAULT);
	put32(t + 40, MADT_PCAT_COMPAT);
	sdt_finish(t);
}

static void build_rsdp(uint8_t *t, uint32_t rsdt, uint64_t xsdt)
{
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, OEM_ID, 6);
	put8(t + 15, 2);	/* revision: ACPI 2.0 and later */
	put32(t + 16, rsdt);
	put32(t + 20, RSDP_LEN);
	put64(t + 24, xsdt);
	t[8] = checksum(t, 20);
	t[32] = checksum(t, RSDP_LEN);
}

void acpi_config_default(struct acpi_config *cfg)
{
	cfg->tables_base = ACPI_TABLES_BASE;
	cfg->pm_base = ACPI_PM_BASE;
	cfg->sci_irq = ACPI_SCI_IRQ;
}

int acpi_build(struct acpi_config *cfg, uint8_t *mem, uint64_t mem_size,
	       uint64_t *rsdp_gpa)
{
	uint64_t base = cfg->tables_base;
	/* Fixed offsets inside the area, each table suitably aligned. */
	const uint32_t rsdp = 0x000, xsdt = 0x040, rsdt = 0x080,
		       facs = 0x0c0, fadt = 0x100, dsdt = 0x240,
		       madt = 0x300;
	uint8_t *t;

	if (!mem || base & 15 || base + ACPI_TABLES_MAX > mem_size ||
	    base + ACPI_TABLES_MAX > 0x100000000ull)
		return -EINVAL;
	t = mem + base;
	memset(t, 0, ACPI_TABLES_MAX);

	build_dsdt(t + dsdt);
	build_facs(t + facs);
	build_fadt(t + fadt, cfg, (uint32_t)base + facs, (uint32_t)base + dsdt);
	build_madt(t + madt);

	sdt_header(t + xsdt, "XSDT", SDT_HEADER_LEN + 16, 1);
	put64(t + xsdt + SDT_HEADER_LEN, base + fadt);
	put64(t + xsdt + SDT_HEADER_LEN + 8, base + madt);
	sdt_finish(t + xsdt);
	sdt_header(t + rsdt, "RSDT", SDT_HEADER_LEN + 8, 1);
	put32(t + rsdt + SDT_HEADER_LEN, (uint32_t)base + fadt);
	put32(t + rsdt + SDT_HEADER_LEN + 4, (uint32_t)base + madt);
	sdt_finish(t + rsdt);

	build_rsdp(t + rsdp, (uint32_t)base + rsdt, base + xsdt);
	*rsdp_gpa = base + rsdp;
	return 0;
}
