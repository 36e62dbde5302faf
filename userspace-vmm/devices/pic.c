// SPDX-License-Identifier: GPL-2.0-only
/*
 * The i8259A programmable interrupt controller pair of a PC.
 *
 * Each chip keeps the request (IRR), in-service (ISR) and mask (IMR)
 * registers and the line levels it sees.  Edge-triggered inputs latch a
 * request on a rising line; level-triggered ones (chosen by the ELCR, as
 * on PIIX and later chipsets) request for as long as the line is high.
 * The slave's output is the master's IRQ2, followed as a level.
 *
 * Priorities rotate: `top` is the IRQ with the highest priority, the
 * next ones follow modulo 8.  After a reset IRQ0 is highest.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "bus.h"
#include "io_access.h"
#include "pic.h"

#define PIC_MASTER_BASE	0x20
#define PIC_SLAVE_BASE	0xa0
#define PIC_ELCR_BASE	0x4d0
#define PIC_CASCADE_IRQ	2

/* ICW1 and OCW bits. */
#define ICW1_ICW4	0x01
#define ICW1_SINGLE	0x02
#define ICW1_INIT	0x10
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10
#define OCW3_SEL	0x08
#define OCW3_READ_ISR	0x01
#define OCW3_RR		0x02
#define OCW3_POLL	0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40

enum init_step { INIT_DONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct i8259 {
	uint8_t irr, isr, imr;
	uint8_t elcr, elcr_mask;
	uint8_t lines;		/* input levels as the devices drive them */
	uint8_t top;		/* IRQ of highest priority */
	uint8_t vector_base;
	enum init_step init_step;
	bool need_icw4, single, auto_eoi, rotate_aeoi, sfnm;
	bool special_mask, read_isr, poll;
	bool is_master;
};

struct pic {
	struct vmm_ctx *ctx;
	struct irq_chip chip;
	struct i8259 i8259[2];		/* master, slave */
	struct vmm_device dev_master, dev_slave, dev_elcr;
	bool output;			/* INTR as last seen */
};

static unsigned int rank(const struct i8259 *c, unsigned int irq)
{
	return (irq - c->top) & 7;
}

/* The IRQ of highest priority among the bits of mask, or -1. */
static int highest(const struct i8259 *c, uint8_t mask)
{
	for (unsigned int i = 0; i < 8; i++) {
		unsigned int irq = (c->top + i) & 7;

		if (mask & (1u << irq))
			return (int)irq;
	}
	return -1;
}

/* The IRQ this chip would present on INTA now, or -1. */
static int i8259_pending(const struct i8259 *c)
{
	uint8_t in_service = c->isr;
	int req = highest(c, c->irr & ~c->imr);
	int cur;

	if (req < 0)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Fully nested: a slave request may nest in a serviced slave one. */
	if (c->is_master && c->sfnm)
		in_service &= ~(1u << PIC_CASCADE_IRQ);
	cur = highest(c, in_service);
	if (cur >= 0 && rank(c, (unsigned int)cur) <= rank(c, (unsigned int)req))
		return -1;
	return req;
}

static void i8259_set_line(struct i8259 *c, unsigned int irq, bool level)
{
	uint8_t bit = 1u << irq;

	if (level && !(c->lines & bit))
		c->irr |= bit;		/* a rising edge requests in both modes */
	if (!level && (c->elcr & bit))
		c->irr &= ~bit;		/* a level request ends with the line */
	c->lines = level ? c->lines | bit : c->lines & ~bit;
}

static void i8259_ack(struct i8259 *c, unsigned int irq)
{
	uint8_t bit = 1u << irq;

	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->top = (irq + 1) & 7;
	} else {
		c->isr |= bit;
	}
}

static void i8259_eoi(struct i8259 *c, int irq, bool rotate)
{
	if (irq < 0)
		return;
	c->isr &= ~(1u << irq);
	if (rotate)
		c->top = (irq + 1) & 7;
}

/* Propagate the slave's output to IRQ2 and kick on a new interrupt. */
static void pic_update(struct pic *pic)
{
	struct i8259 *master = &pic->i8259[0];
	uint8_t bit = 1u << PIC_CASCADE_IRQ;
	bool out;

	/*
	 * The cascade input follows the slave's INT like a level input, so
	 * a slave request withdrawn before INTA leaves no spurious IRQ2.
	 */
	if (i8259_pending(&pic->i8259[1]) >= 0)
		master->irr |= bit;
	else
		master->irr &= ~bit;
	out = pic_pending_vector(pic) >= 0;
	if (out && !pic->output && pic->ctx->kick)
		pic->ctx->kick(pic->ctx);
	pic->output = out;
}

int pic_pending_vector(struct pic *pic)
{
	const struct i8259 *master = &pic->i8259[0];
	const struct i8259 *slave = &pic->i8259[1];
	int irq = i8259_pending(master);

	if (irq < 0)
		return -1;
	if (irq == PIC_CASCADE_IRQ && !master->single) {
		int sirq = i8259_pending(slave);

		return slave->vector_base + (sirq < 0 ? 7 : sirq);
	}
	return master->vector_base + irq;
}

int pic_acknowledge(struct pic *pic)
{
	struct i8259 *master = &pic->i8259[0];
	struct i8259 *slave = &pic->i8259[1];
	int irq = i8259_pending(master);
	int vector;

	if (irq < 0)
		return master->vector_base + 7;
	i8259_ack(master, (unsigned int)irq);
	vector = master->vector_base + irq;
	if (irq == PIC_CASCADE_IRQ && !master->single) {
		int sirq = i8259_pending(slave);

		if (sirq < 0) {
			vector = slave->vector_base + 7;
		} else {
			i8259_ack(slave, (unsigned int)sirq);
			vector = slave->vector_base + sirq;
		}
	}
	pic_update(pic);
	return vector;
}

static void pic_set_line(struct irq_chip *chip, unsigned int line, bool level)
{
	struct pic *pic = chip->priv;

	if (line >= 16 || line == PIC_CASCADE_IRQ)
		return;
	i8259_set_line(&pic->i8259[line >> 3], line & 7, level);
	pic_update(pic);
}

static void i8259_icw1(struct i8259 *c, uint8_t val)
{
	c->imr = 0;
	c->isr = 0;
	c->irr = c->lines & c->elcr;	/* edges must rise again */
	c->top = 0;
	c->need_icw4 = val & ICW1_ICW4;
	c->single = val & ICW1_SINGLE;
	c->auto_eoi = false;
	c->rotate_aeoi = false;
	c->sfnm = false;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->init_step = INIT_ICW2;
}

static void i8259_ocw2(struct i8259 *c, uint8_t val)
{
	unsigned int level = val & 7;

	switch (val >> 5) {
	case 0: /* rotate in auto-EOI mode: clear */
		c->rotate_aeoi = false;
		break;
	case 4: /* rotate in auto-EOI mode: set */
		c->rotate_aeoi = true;
		break;
	case 1: /* non-specific EOI */
		i8259_eoi(c, highest(c, c->isr), false);
		break;
	case 5: /* rotate on non-specific EOI */
		i8259_eoi(c, highest(c, c->isr), true);
		break;
	case 3: /* specific EOI */
		i8259_eoi(c, (int)level, false);
		break;
	case 7: /* rotate on specific EOI */
		i8259_eoi(c, (int)level, true);
		break;
	case 6: /* set priority: level becomes the lowest */
		c->top = (level + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void i8259_write(struct i8259 *c, unsigned int port, uint8_t val)
{
	if (port == 0) {
		if (val & ICW1_INIT) {
			i8259_icw1(c, val);
		} else if (val & OCW3_SEL) {
			if (val & OCW3_POLL)
				c->poll = true;
			if (val & OCW3_RR)
				c->read_isr = val & OCW3_READ_ISR;
			if (val & OCW3_ESMM)
				c->special_mask = val & OCW3_SMM;
		} else {
			i8259_ocw2(c, val);
		}
		return;
	}
	switch (c->init_step) {
	case INIT_ICW2:
		c->vector_base = val & 0xf8;
		if (!c->single)
			c->init_step = INIT_ICW3;
		else
			c->init_step = c->need_icw4 ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3: /* the cascade wiring is fixed: IRQ2 */
		c->init_step = c->need_icw4 ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		c->auto_eoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init_step = INIT_DONE;
		break;
	case INIT_DONE:
		c->imr = val;
		break;
	}
}

static uint8_t i8259_read(struct i8259 *c, unsigned int port)
{
	if (port == 1)
		return c->imr;
	if (c->poll) {
		int irq = i8259_pending(c);

		c->poll = false;
		if (irq < 0)
			return 0;
		i8259_ack(c, (unsigned int)irq);
		return 0x80 | (uint8_t)irq;
	}
	return c->read_isr ? c->isr : c->irr;
}

static struct i8259 *dev_i8259(struct vmm_device *dev)
{
	struct pic *pic = dev->priv;

	return &pic->i8259[dev == &pic->dev_slave];
}

static void pic_port_read(struct vmm_device *dev, uint64_t offset, void *data,
			  unsigned int size)
{
	struct i8259 *c = dev_i8259(dev);
	uint8_t *out = data;

	for (unsigned int i = 0; i < size; i++)
		out[i] = offset + i < 2 ? i8259_read(c, offset + i) : 0xff;
	pic_update(dev->priv);
}

static void pic_port_write(struct vmm_device *dev, uint64_t offset,
			   const void *data, unsigned int size)
{
	struct i8259 *c = dev_i8259(dev);
	const uint8_t *in = data;

	for (unsigned int i = 0; i < size && offset + i < 2; i++)
		i8259_write(c, offset + i, in[i]);
	pic_update(dev->priv);
}

static void elcr_read(struct vmm_device *dev, uint64_t offset, void *data,
		      unsigned int size)
{
	struct pic *pic = dev->priv;
	uint8_t *out = data;

	for (unsigned int i = 0; i < size; i++)
		out[i] = offset + i < 2 ? pic->i8259[offset + i].elcr : 0xff;
}

static void elcr_write(struct vmm_device *dev, uint64_t offset,
		       const void *data, unsigned int size)
{
	struct pic *pic = dev->priv;
	const uint8_t *in = data;

	for (unsigned int i = 0; i < size && offset + i < 2; i++) {
		struct i8259 *c = &pic->i8259[offset + i];

		c->elcr = in[i] & c->elcr_mask;
		/* Level inputs request exactly while their line is high. */
		c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
	}
	pic_update(pic);
}

static const struct vmm_device_ops pic_ops = {
	.name = "i8259",
	.read = pic_port_read,
	.write = pic_port_write,
};

static const struct vmm_device_ops elcr_ops = {
	.name = "elcr",
	.read = elcr_read,
	.write = elcr_write,
};

struct irq_chip *pic_irq_chip(struct pic *pic)
{
	return &pic->chip;
}

struct pic *pic_create(struct vmm_ctx *ctx)
{
	struct pic *pic = calloc(1, sizeof(*pic));

	if (!pic)
		return NULL;
	pic->ctx = ctx;
	pic->chip.set_line = pic_set_line;
	pic->chip.priv = pic;
	pic->i8259[0].is_master = true;
	/* IRQ0, 1, 2, 8 and 13 are edge-only on PIIX. */
	pic->i8259[0].elcr_mask = 0xf8;
	pic->i8259[1].elcr_mask = 0xde;
	pic->dev_master = (struct vmm_device){ &pic_ops, pic };
	pic->dev_slave = (struct vmm_device){ &pic_ops, pic };
	pic->dev_elcr = (struct vmm_device){ &elcr_ops, pic };
	/* Without bus_unregister a failure here ends the machine anyway. */
	if (bus_register(ctx->bus, BUS_PIO, PIC_MASTER_BASE, 2,
			 &pic->dev_master) ||
	    bus_register(ctx->bus, BUS_PIO, PIC_SLAVE_BASE, 2,
			 &pic->dev_slave) ||
	    bus_register(ctx->bus, BUS_PIO, PIC_ELCR_BASE, 2, &pic->dev_elcr)) {
		free(pic);
		return NULL;
	}
	if (!ctx->irq)
		ctx->irq = &pic->chip;
	return pic;
}

void pic_destroy(struct pic *pic)
{
	free(pic);
}
