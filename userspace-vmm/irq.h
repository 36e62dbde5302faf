/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupt lines between device models and the interrupt controller.
 * A device holds a struct irq_line and calls irq_set(); the controller
 * behind it (the i8259 pair for now) decides what the vCPU sees and kicks
 * the vCPU thread when an interrupt becomes deliverable.
 */
#ifndef VIREO_VMM_IRQ_H
#define VIREO_VMM_IRQ_H

#include <stdbool.h>

struct irq_chip {
	/* level: true = asserted.  Edge devices pulse (true then false). */
	void (*set_line)(struct irq_chip *chip, unsigned int line, bool level);
	void *priv;
	/*
	 * The CPU side, called by the vCPU loop with the machine lock held.
	 * pending(): the controller has an interrupt for the CPU (its INTR
	 * output is raised).  ack(): the CPU's interrupt acknowledge cycle;
	 * returns the vector to deliver (the spurious vector when the
	 * request went away).  Either may be NULL for a chip without a CPU
	 * output (a secondary controller).
	 */
	bool (*pending)(struct irq_chip *chip);
	int (*ack)(struct irq_chip *chip);
};

struct irq_line {
	struct irq_chip *chip;
	unsigned int line;
};

static inline void irq_set(const struct irq_line *irq, bool level)
{
	if (irq->chip)
		irq->chip->set_line(irq->chip, irq->line, level);
}

static inline void irq_pulse(const struct irq_line *irq)
{
	irq_set(irq, true);
	irq_set(irq, false);
}

#endif /* VIREO_VMM_IRQ_H */
