/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The modern (virtio 1.x only) PCI transport: vendor 0x1af4, device
 * 0x1040 + the virtio device ID, one 64-bit memory BAR holding the common
 * configuration, the ISR byte, the device configuration and the notify
 * area, each found through a vendor-specific capability.  Interrupts are
 * INTx on one PIC line: level, high while the ISR is not zero, lowered
 * by reading the ISR.  No MSI-X, no legacy I/O BAR.
 */
#ifndef VIREO_VIRTIO_PCI_H
#define VIREO_VIRTIO_PCI_H

#include <stdint.h>

#include "devices/pci.h"
#include "virtio_dev.h"
#include "vmm.h"

/* The BAR: 16 KiB, one page per structure. */
#define VIRTIO_PCI_BAR_SIZE	0x4000
#define VIRTIO_PCI_COMMON_OFF	0x0000
#define VIRTIO_PCI_ISR_OFF	0x1000
#define VIRTIO_PCI_DEVICE_OFF	0x2000
#define VIRTIO_PCI_NOTIFY_OFF	0x3000
#define VIRTIO_PCI_NOTIFY_MULT	4	/* bytes between queue doorbells */

struct virtio_pci;

/*
 * Puts vdev on the PCI bus with its BAR at bar_addr (aligned to
 * VIRTIO_PCI_BAR_SIZE, in the PCI hole) and INTA# on PIC line irq.
 * class_code is the PCI class for lspci.  Returns NULL with errno set.
 */
struct virtio_pci *virtio_pci_create(struct vmm_ctx *ctx, struct pci_host *host,
				     struct virtio_dev *vdev, uint32_t class_code,
				     uint64_t bar_addr, unsigned int irq);
void virtio_pci_destroy(struct virtio_pci *vp);
int virtio_pci_slot(const struct virtio_pci *vp);
/* Whether the notify addresses go to the kernel through ioeventfd. */
bool virtio_pci_uses_ioeventfd(const struct virtio_pci *vp);

#endif /* VIREO_VIRTIO_PCI_H */
