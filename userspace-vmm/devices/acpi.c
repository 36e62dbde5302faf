// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ACPI tables: RSDP (revision 2) -> XSDT and RSDT -> FADT (-> FACS
 * and DSDT) and MADT.  The DSDT's AML names the sleep states \_S0 and
 * \_S5 and the PCI root bridge \_SB.PCI0 (without it Linux, which takes
 * its PCI buses from ACPI, scans none), with its windows (_CRS) and the
 * INTA# line of each function (_PRT); ISA devices Linux finds on its own
 * at their legacy ports.
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
#define AML_DWORD	0x0c
#define AML_SCOPE	0x10
#define AML_BUFFER	0x11
#define AML_PACKAGE	0x12
#define AML_EXT		0x5b
#define AML_DEVICE	0x82	/* after AML_EXT */

/* EISAID("PNP0A03"), the PCI host bridge, as the DWord AML stores it. */
#define EISAID_PNP0A03	0x030ad041u
/* The DSDT's room: from its offset to the end of the area. */
#define DSDT_ROOM	(ACPI_TABLES_MAX - 0x400)

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

/*
 * Emits prefix, a PkgLength for body, then body; returns the bytes
 * written.  The PkgLength counts its own bytes (1 to 3 here).
 */
static size_t aml_wrap(uint8_t *out, const uint8_t *prefix, size_t plen,
		       const uint8_t *body, size_t blen)
{
	size_t n = plen, total;

	memcpy(out, prefix, plen);
	if (blen + 1 <= 0x3f) {
		out[n++] = (uint8_t)(blen + 1);
	} else if (blen + 2 <= 0xfff) {
		total = blen + 2;
		out[n++] = (uint8_t)(0x40 | (total & 0xf));
		out[n++] = (uint8_t)(total >> 4);
	} else {
		total = blen + 3;
		out[n++] = (uint8_t)(0x80 | (total & 0xf));
		out[n++] = (uint8_t)(total >> 4);
		out[n++] = (uint8_t)(total >> 12);
	}
	memcpy(out + n, body, blen);
	return n + blen;
}

/* Copies len bytes to buf + n; returns the new length. */
static size_t append(uint8_t *buf, size_t n, const uint8_t *bytes, size_t len)
{
	memcpy(buf + n, bytes, len);
	return n + len;
}

/* Name(seg, ...) header: NameOp and the 4-character segment. */
static size_t aml_name(uint8_t *p, const char *seg)
{
	p[0] = AML_NAME;
	memcpy(p + 1, seg, 4);
	return 5;
}

/*
 * The root bridge's resources: bus 0-255, the config ports, the I/O
 * space around them and the memory window, as a Buffer.
 */
static size_t aml_pci_crs(uint8_t *p)
{
	uint8_t res[96];
	size_t n = 0;
	const uint8_t bus[] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0,
				0xff, 0x00, 0, 0, 0x00, 0x01 };
	const uint8_t cfg_io[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	const uint8_t io_low[] = { 0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0, 0,
				   0xf7, 0x0c, 0, 0, 0xf8, 0x0c };
	const uint8_t io_high[] = { 0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0x00,
				    0x0d, 0xff, 0xff, 0, 0, 0x00, 0xf3 };
	const uint8_t mem[6] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01 };
	uint8_t buffer_op = AML_BUFFER;
	uint8_t body[100];

	n = append(res, n, bus, sizeof(bus));
	n = append(res, n, cfg_io, sizeof(cfg_io));
	n = append(res, n, io_low, sizeof(io_low));
	n = append(res, n, io_high, sizeof(io_high));
	n = append(res, n, mem, sizeof(mem));
	put32(res + n, 0);				/* granularity */
	put32(res + n + 4, ACPI_PCI_MMIO_BASE);
	put32(res + n + 8, ACPI_PCI_MMIO_END);
	put32(res + n + 12, 0);				/* translation */
	put32(res + n + 16, ACPI_PCI_MMIO_END - ACPI_PCI_MMIO_BASE + 1);
	n += 20;
	res[n++] = 0x79;				/* end tag */
	res[n++] = 0x00;

	body[0] = AML_BYTE;
	body[1] = (uint8_t)n;
	memcpy(body + 2, res, n);
	return aml_wrap(p, &buffer_op, 1, body, n + 2);
}

/* Package { Package { 0xSSSSFFFF, 0 (INTA#), 0, irq }, ... } */
static size_t aml_pci_prt(uint8_t *p, const struct acpi_config *cfg)
{
	uint8_t body[1 + ACPI_PCI_MAX_ROUTES * 12];
	uint8_t package_op = AML_PACKAGE;
	unsigned int count = cfg->nr_pci_routes;
	size_t n = 1;

	if (count > ACPI_PCI_MAX_ROUTES)
		count = ACPI_PCI_MAX_ROUTES;
	body[0] = (uint8_t)count;
	for (unsigned int i = 0; i < count; i++) {
		uint8_t e[10] = { 4, AML_DWORD };

		put32(e + 2, (uint32_t)cfg->pci_routes[i].slot << 16 | 0xffff);
		e[6] = AML_ZERO;	/* pin: INTA# */
		e[7] = AML_ZERO;	/* source: a GSI, no link device */
		e[8] = AML_BYTE;
		e[9] = cfg->pci_routes[i].irq;
		n += aml_wrap(body + n, &package_op, 1, e, sizeof(e));
	}
	return aml_wrap(p, &package_op, 1, body, n);
}

/* Scope(\_SB) { Device(PCI0) { _HID, _UID, _CRS, _PRT } } */
static size_t aml_pci_root(uint8_t *p, const struct acpi_config *cfg)
{
	static const uint8_t device_op[] = { AML_EXT, AML_DEVICE };
	static const uint8_t scope_op[] = { AML_SCOPE };
	uint8_t dev[DSDT_ROOM / 2], scope[DSDT_ROOM / 2];
	size_t n = 0, m;

	memcpy(dev, "PCI0", 4);
	n = 4;
	n += aml_name(dev + n, "_HID");
	dev[n++] = AML_DWORD;
	put32(dev + n, EISAID_PNP0A03);
	n += 4;
	n += aml_name(dev + n, "_UID");
	dev[n++] = AML_ZERO;
	n += aml_name(dev + n, "_CRS");
	n += aml_pci_crs(dev + n);
	n += aml_name(dev + n, "_PRT");
	n += aml_pci_prt(dev + n, cfg);

	memcpy(scope, "\\_SB_", 5);
	m = 5 + aml_wrap(scope + 5, device_op, sizeof(device_op), dev, n);
	return aml_wrap(p, scope_op, sizeof(scope_op), scope, m);
}

static uint32_t build_dsdt(uint8_t *t, const struct acpi_config *cfg)
{
	size_t n = SDT_HEADER_LEN;

	n += aml_sleep_state(t + n, '0', ACPI_SLP_TYP_S0);
	n += aml_sleep_state(t + n, '5', ACPI_SLP_TYP_S5);
	n += aml_pci_root(t + n, cfg);
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
	cfg->nr_pci_routes = 0;
}

int acpi_build(struct acpi_config *cfg, uint8_t *mem, uint64_t mem_size,
	       uint64_t *rsdp_gpa)
{
	uint64_t base = cfg->tables_base;
	/* Fixed offsets inside the area, each table suitably aligned. */
	const uint32_t rsdp = 0x000, xsdt = 0x040, rsdt = 0x080,
		       facs = 0x0c0, fadt = 0x100, madt = 0x300,
		       dsdt = 0x400;	/* the last: it grows with _PRT */
	uint8_t *t;

	if (!mem || base & 15 || base + ACPI_TABLES_MAX > mem_size ||
	    base + ACPI_TABLES_MAX > 0x100000000ull)
		return -EINVAL;
	t = mem + base;
	memset(t, 0, ACPI_TABLES_MAX);

	build_dsdt(t + dsdt, cfg);
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
