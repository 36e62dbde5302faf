// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one place the machine's devices are created, wired to the PIC and
 * destroyed: the PC's legacy set behind the devices/ constructors.
 */
#include <stdio.h>
#include <stdlib.h>

#include "devices/acpi.h"
#include "devices/i8042.h"
#include "devices/legacy.h"
#include "devices/pci.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "vm.h"

#define PIT_IRQ 0

struct machine_devices {
	struct pic *pic;
	struct pit *pit;
	struct rtc *rtc;
	struct serial *com1;
	struct i8042 *kbc;
	struct pci_host *pci;
	struct acpi_pm *pm;
	struct legacy_ports *legacy;
};

static bool machine_pic_pending(struct machine *m)
{
	struct machine_devices *d = m->devices;

	return pic_pending_vector(d->pic) >= 0;
}

static int machine_pic_ack(struct machine *m)
{
	struct machine_devices *d = m->devices;

	return pic_acknowledge(d->pic);
}

int machine_create_devices(struct machine *m, char *err, size_t errlen)
{
	struct machine_devices *d = calloc(1, sizeof(*d));
	struct acpi_config acpi;
	const char *what;

	if (!d) {
		snprintf(err, errlen, "out of memory creating the devices");
		return -1;
	}
	m->devices = d;

	/* The PIC first: it becomes ctx.irq, which the others raise. */
	what = "the i8259 interrupt controller";
	if (!(d->pic = pic_create(&m->ctx)))
		goto fail;
	m->intr_pending = machine_pic_pending;
	m->intr_ack = machine_pic_ack;

	what = "the i8254 timer";
	if (!(d->pit = pit_create(&m->ctx, PIT_IRQ)))
		goto fail;
	what = "the CMOS clock";
	if (!(d->rtc = rtc_create(&m->ctx, m->low_size, m->high_size)))
		goto fail;
	what = "the serial console";
	if (!(d->com1 = serial_create(&m->ctx, SERIAL_COM1_BASE,
				      SERIAL_COM1_IRQ, m->ctx.console_in,
				      m->ctx.console_out)))
		goto fail;
	what = "the i8042 keyboard controller";
	if (!(d->kbc = i8042_create(&m->ctx)))
		goto fail;
	what = "the PCI host bridge";
	if (!(d->pci = pci_host_create(&m->ctx)))
		goto fail;
	what = "the ACPI power management block";
	if (!(d->pm = acpi_pm_create(&m->ctx, ACPI_PM_BASE, ACPI_SCI_IRQ)))
		goto fail;
	what = "the legacy ports (0x80, 0x92)";
	if (!(d->legacy = legacy_ports_create(&m->ctx)))
		goto fail;

	/* The tables go in the BIOS area, which the e820 map reserves. */
	acpi_config_default(&acpi);
	if (acpi_build(&acpi, m->mem, m->low_size, &m->rsdp)) {
		snprintf(err, errlen, "cannot write the ACPI tables; give more --mem");
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot create %s (out of memory or file descriptors)",
		 what);
	return -1;
}

void machine_destroy_devices(struct machine *m)
{
	struct machine_devices *d = m->devices;

	if (!d)
		return;
	if (d->legacy)
		legacy_ports_destroy(d->legacy);
	if (d->pm)
		acpi_pm_destroy(d->pm);
	if (d->pci)
		pci_host_destroy(d->pci);
	if (d->kbc)
		i8042_destroy(d->kbc);
	if (d->com1)
		serial_destroy(d->com1);
	if (d->rtc)
		rtc_destroy(d->rtc);
	if (d->pit)
		pit_destroy(d->pit);
	if (d->pic)
		pic_destroy(d->pic);
	free(d);
	m->devices = NULL;
}
