// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one place the machine's devices are created, wired to the PIC and
 * destroyed: the PC's legacy set behind the devices/ constructors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpi.h"
#include "devices/i8042.h"
#include "devices/legacy.h"
#include "devices/pci.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "virtio_devices.h"
#include "virtio_pci.h"
#include "vm.h"

#define PIT_IRQ 0

/*
 * Each virtio function gets its own PIC line (the PIC has no line
 * sharing), from the ones no legacy device of this machine uses, and
 * its BAR in the PCI hole, inside the root bridge's window.
 */
static const uint8_t virtio_irqs[VM_MAX_VIRTIO] = { 10, 11, 5, 15, 14, 7, 6, 3 };
#define VIRTIO_BAR_BASE	ACPI_PCI_MMIO_BASE

struct machine_virtio {
	struct virtio_dev *vdev;
	struct virtio_pci *pci;
};

struct machine_devices {
	struct pic *pic;
	struct pit *pit;
	struct rtc *rtc;
	struct serial *com1;
	struct i8042 *kbc;
	struct pci_host *pci;
	struct acpi_pm *pm;
	struct legacy_ports *legacy;
	struct machine_virtio virtio[VM_MAX_VIRTIO];
	int nr_virtio;
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

/* Puts a virtio device on the PCI bus and starts its I/O thread. */
static int machine_add_virtio(struct machine *m, struct virtio_dev *vdev,
			      struct acpi_config *acpi, char *err,
			      size_t errlen)
{
	struct machine_devices *d = m->devices;
	struct machine_virtio *mv = &d->virtio[d->nr_virtio];
	int i = d->nr_virtio;

	if (!vdev) {
		snprintf(err, errlen, "cannot create a virtio device (out of memory or file descriptors)");
		return -1;
	}
	if (m->cfg.virtio.packed)
		virtio_dev_offer_packed(vdev);
	mv->vdev = vdev;
	d->nr_virtio++;
	mv->pci = virtio_pci_create(&m->ctx, d->pci, vdev, vdev->ops->pci_class,
				    VIRTIO_BAR_BASE + (uint64_t)i * VIRTIO_PCI_BAR_SIZE,
				    virtio_irqs[i]);
	if (!mv->pci || virtio_dev_start(vdev)) {
		snprintf(err, errlen, "cannot put %s on the PCI bus: %s",
			 vdev->ops->type, strerror(errno));
		return -1;
	}
	acpi->pci_routes[acpi->nr_pci_routes++] = (struct acpi_pci_route){
		.slot = (uint8_t)virtio_pci_slot(mv->pci), .irq = virtio_irqs[i],
	};
	return 0;
}

static int machine_create_virtio(struct machine *m, struct acpi_config *acpi,
				 char *err, size_t errlen)
{
	const struct machine_virtio_config *cfg = &m->cfg.virtio;
	int n = cfg->nr_disks + cfg->nr_nics + cfg->rng +
		(cfg->console == CONSOLE_VIRTIO);

	if (n > VM_MAX_VIRTIO) {
		snprintf(err, errlen, "at most %d virtio devices (--disk, --net, --rng, --console virtio) fit; give fewer",
			 VM_MAX_VIRTIO);
		return -1;
	}
	if (cfg->console == CONSOLE_VIRTIO &&
	    machine_add_virtio(m, virtio_console_create(&m->gm, m->ctx.console_in,
							 m->ctx.console_out),
			       acpi, err, errlen))
		return -1;
	for (int i = 0; i < cfg->nr_disks; i++) {
		struct virtio_dev *blk = virtio_blk_create(&m->gm, cfg->disks[i].path,
							   cfg->disks[i].read_only,
							   err, errlen);

		if (!blk || machine_add_virtio(m, blk, acpi, err, errlen))
			return -1;
	}
	for (int i = 0; i < cfg->nr_nics; i++) {
		struct virtio_dev *nic = virtio_net_create(&m->gm, cfg->nics[i].tap,
							   cfg->nics[i].mac, err,
							   errlen);

		if (!nic || machine_add_virtio(m, nic, acpi, err, errlen))
			return -1;
	}
	if (cfg->rng && machine_add_virtio(m, virtio_rng_create(&m->gm), acpi,
					   err, errlen))
		return -1;
	return 0;
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
	/* With the console on virtio, COM1 only prints (early messages). */
	what = "the serial console";
	if (!(d->com1 = serial_create(&m->ctx, SERIAL_COM1_BASE,
				      SERIAL_COM1_IRQ,
				      m->cfg.virtio.console == CONSOLE_VIRTIO ? -1 :
				      m->ctx.console_in, m->ctx.console_out)))
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

	acpi_config_default(&acpi);
	if (machine_create_virtio(m, &acpi, err, errlen))
		return -1;
	/* The tables go in the BIOS area, which the e820 map reserves. */
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

/* One stderr line for each device with something to say at the end. */
void machine_report_devices(struct machine *m)
{
	struct machine_devices *d = m->devices;
	char line[256];

	for (int i = 0; d && i < d->nr_virtio; i++) {
		struct virtio_dev *vdev = d->virtio[i].vdev;

		if (!vdev->ops->summary)
			continue;
		line[0] = 0;
		pthread_mutex_lock(&vdev->lock);
		vdev->ops->summary(vdev, line, sizeof(line));
		pthread_mutex_unlock(&vdev->lock);
		if (line[0])
			fprintf(stderr, "vireo: %s %s: %s\n", vdev->ops->type,
				vdev->name, line);
	}
}

void machine_destroy_devices(struct machine *m)
{
	struct machine_devices *d = m->devices;

	if (!d)
		return;
	/* The I/O threads first: they may still signal their transport. */
	for (int i = 0; i < d->nr_virtio; i++)
		virtio_dev_stop(d->virtio[i].vdev);
	for (int i = 0; i < d->nr_virtio; i++) {
		virtio_pci_destroy(d->virtio[i].pci);
		virtio_device_destroy(d->virtio[i].vdev);
	}
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
