/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The i8259 pair of a PC: master at ports 0x20-0x21, slave at 0xa0-0xa1
 * cascaded on the master's IRQ2, and the PIIX edge/level control
 * registers (ELCR) at 0x4d0-0x4d1.  Lines 0-7 are the master's, 8-15
 * the slave's.
 */
#ifndef VIREO_DEVICES_PIC_H
#define VIREO_DEVICES_PIC_H

#include "vmm.h"

struct pic;

/*
 * Registers the ports and, when ctx->irq is still NULL, makes the new
 * PIC the machine's interrupt controller.  NULL on failure.
 */
struct pic *pic_create(struct vmm_ctx *ctx);
void pic_destroy(struct pic *pic);

/* The controller devices raise their lines on. */
struct irq_chip *pic_irq_chip(struct pic *pic);

/* Highest-priority deliverable vector, or -1; changes nothing. */
int pic_pending_vector(struct pic *pic);

/*
 * The INTA cycle: moves the interrupt from request to in-service and
 * returns its vector (the IRQ7 or IRQ15 vector when the request went
 * away, as a real 8259 answers a spurious interrupt).
 */
int pic_acknowledge(struct pic *pic);

#endif /* VIREO_DEVICES_PIC_H */
