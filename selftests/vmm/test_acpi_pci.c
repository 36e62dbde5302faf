// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCI root bridge in the DSDT: \_SB.PCI0 with PNP0A03, its windows
 * and a _PRT entry per route, read back as bytes; with the most routes
 * the DSDT still fits the tables' area and sums to zero.
 */
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "unit.h"

#define MEM_SIZE (2u << 20)

static const uint8_t *find(const uint8_t *hay, size_t len, const void *needle,
			   size_t nlen)
{
	for (size_t i = 0; i + nlen <= len; i++)
		if (!memcmp(hay + i, needle, nlen))
			return hay + i;
	return NULL;
}

/* The DSDT the FADT's X_DSDT names, and its length. */
static const uint8_t *dsdt_of(const uint8_t *mem, uint64_t rsdp, uint32_t *len)
{
	uint64_t xsdt, fadt, dsdt;

	memcpy(&xsdt, mem + rsdp + 24, 8);
	memcpy(&fadt, mem + xsdt + 36, 8);
	memcpy(&dsdt, mem + fadt + 140, 8);
	memcpy(len, mem + dsdt + 4, 4);
	return mem + dsdt;
}

static bool sums_to_zero(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum == 0;
}

void test_acpi_pci(void)
{
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	static const uint8_t window[] = { 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe };
	static const uint8_t route2[] = { 0x0c, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x0a, 11 };
	uint8_t *mem = calloc(1, MEM_SIZE);
	struct acpi_config cfg;
	const uint8_t *dsdt;
	uint64_t rsdp = 0;
	uint32_t len = 0;

	if (!mem)
		abort();
	acpi_config_default(&cfg);
	cfg.nr_pci_routes = 2;
	cfg.pci_routes[0] = (struct acpi_pci_route){ 1, 10 };
	cfg.pci_routes[1] = (struct acpi_pci_route){ 2, 11 };
	unit_case(acpi_build(&cfg, mem, MEM_SIZE, &rsdp) == 0, "acpi-pci: tables built");
	dsdt = dsdt_of(mem, rsdp, &len);
	unit_case(!memcmp(dsdt, "DSDT", 4) && sums_to_zero(dsdt, len) &&
			  dsdt + len <= mem + ACPI_TABLES_BASE + ACPI_TABLES_MAX,
		  "acpi-pci: the DSDT sums to zero inside the tables' area");
	unit_case(find(dsdt, len, "\\_SB_", 5) && find(dsdt, len, "PCI0", 4) &&
			  find(dsdt, len, hid, sizeof(hid)),
		  "acpi-pci: \\_SB.PCI0 with _HID PNP0A03");
	unit_case(find(dsdt, len, "_CRS", 4) && find(dsdt, len, window, sizeof(window)),
		  "acpi-pci: _CRS has the memory window 0xc0000000-0xfebfffff");
	unit_case(find(dsdt, len, "_PRT", 4) && find(dsdt, len, route2, sizeof(route2)),
		  "acpi-pci: _PRT routes slot 2 INTA# to IRQ 11");

	cfg.nr_pci_routes = ACPI_PCI_MAX_ROUTES;
	for (unsigned int i = 0; i < ACPI_PCI_MAX_ROUTES; i++)
		cfg.pci_routes[i] = (struct acpi_pci_route){ (uint8_t)i, 10 };
	acpi_build(&cfg, mem, MEM_SIZE, &rsdp);
	dsdt = dsdt_of(mem, rsdp, &len);
	unit_case(sums_to_zero(dsdt, len) &&
			  dsdt + len <= mem + ACPI_TABLES_BASE + ACPI_TABLES_MAX,
		  "acpi-pci: 32 routes still fit, the DSDT still sums to zero");
	free(mem);
}
