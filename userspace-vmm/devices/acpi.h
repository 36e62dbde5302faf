/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI for a PC with an i8259 pair and no APIC: the tables written into
 * the BIOS area, and the fixed hardware they describe (the PM1 event
 * and control blocks and the PM timer, acpi_pm.c).
 *
 * The MADT lists no local APIC and no I/O APIC (this machine has
 * neither) and sets PCAT_COMPAT for the 8259 pair: Linux stays in PIC
 * mode, uniprocessor (see Documentation/devices.md).
 */
#ifndef VIREO_DEVICES_ACPI_H
#define VIREO_DEVICES_ACPI_H

#include <stdint.h>

#include "vmm.h"

/* Where the tables go: Linux finds the RSDP by scanning 0xe0000-0xfffff. */
#define ACPI_TABLES_BASE	0xe0000
#define ACPI_TABLES_MAX		0x1000

/* The fixed hardware block in I/O space. */
#define ACPI_PM_BASE		0x600
#define ACPI_PM1_EVT_LEN	4	/* status, enable: 16 bits each */
#define ACPI_PM1_CNT_OFF	4
#define ACPI_PM1_CNT_LEN	2
#define ACPI_PM_TMR_OFF		8
#define ACPI_PM_TMR_LEN		4
#define ACPI_PM_LEN		12
#define ACPI_SCI_IRQ		9

/* SLP_TYP values of the \_S0 and \_S5 packages. */
#define ACPI_SLP_TYP_S0		0
#define ACPI_SLP_TYP_S5		5

/* The FADT's reset register: the chipset's 0xcf9 (pci.c). */
#define ACPI_RESET_PORT		0xcf9
#define ACPI_RESET_VALUE	0x06

/* The PCI root bridge's memory window: the hole below 4 GiB. */
#define ACPI_PCI_MMIO_BASE	0xc0000000u
#define ACPI_PCI_MMIO_END	0xfebfffffu	/* below the I/O APIC's page */
#define ACPI_PCI_MAX_ROUTES	32

/* INTA# of the function in `slot` is wired to PIC line `irq`. */
struct acpi_pci_route {
	uint8_t slot, irq;
};

struct acpi_config {
	uint64_t tables_base;	/* ACPI_TABLES_BASE */
	uint16_t pm_base;	/* ACPI_PM_BASE */
	uint8_t sci_irq;	/* ACPI_SCI_IRQ */
	/*
	 * The DSDT's \_SB.PCI0 (PNP0A03): bus 0, config ports 0xcf8-0xcff,
	 * I/O and memory windows (_CRS) and a _PRT with these routes.
	 */
	unsigned int nr_pci_routes;
	struct acpi_pci_route pci_routes[ACPI_PCI_MAX_ROUTES];
};

void acpi_config_default(struct acpi_config *cfg);

/*
 * Writes RSDP, XSDT, RSDT, FADT, FACS, DSDT (\_S0, \_S5 and the PCI root
 * bridge) and MADT at cfg->tables_base in
 * guest memory (mem is guest physical 0) and returns the RSDP's guest
 * address in *rsdp_gpa, for boot_params.acpi_rsdp_addr.  The range
 * [tables_base, tables_base + ACPI_TABLES_MAX) must be reserved in the
 * E820 map.  Returns 0, or -EINVAL when the tables do not fit in memory.
 */
int acpi_build(struct acpi_config *cfg, uint8_t *mem, uint64_t mem_size,
	       uint64_t *rsdp_gpa);

/* The fixed hardware: PM1a event and control blocks and the PM timer. */
struct acpi_pm;

struct acpi_pm *acpi_pm_create(struct vmm_ctx *ctx, uint16_t base,
			       unsigned int sci_irq);
void acpi_pm_destroy(struct acpi_pm *pm);
/* A press of the power button: a fixed event the guest sees on the SCI. */
void acpi_pm_power_button(struct acpi_pm *pm);
/* Replace CLOCK_MONOTONIC by another clock in nanoseconds, for tests. */
void acpi_pm_set_clock(struct acpi_pm *pm, int64_t (*now_ns)(void *arg),
		       void *arg);

#endif /* VIREO_DEVICES_ACPI_H */
