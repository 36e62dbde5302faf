// SPDX-License-Identifier: GPL-2.0-only
/*
 * The i8042 keyboard controller.
 *
 * The controller answers its own commands (configuration byte, self
 * tests, port enables, the output port, loopback writes) through a small
 * output queue.  Bytes for the keyboard get the answers of a keyboard
 * with no keys pressed; bytes for the mouse port come back as a timeout,
 * as from a controller with nothing plugged in, so drivers give up at
 * once instead of waiting.  IRQ1 and IRQ12 follow the configuration
 * byte's interrupt enables.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "bus.h"
#include "i8042.h"
#include "io_access.h"

#define PORT_DATA	0x60
#define PORT_CMD	0x64

#define STR_OBF		0x01
#define STR_SYS		0x04
#define STR_CMD		0x08	/* last write went to port 0x64 */
#define STR_UNLOCKED	0x10
#define STR_AUX		0x20
#define STR_TIMEOUT	0x40

#define CTR_KBD_INT	0x01
#define CTR_AUX_INT	0x02
#define CTR_SYS		0x04
#define CTR_KBD_OFF	0x10
#define CTR_AUX_OFF	0x20
#define CTR_XLATE	0x40

#define OUTPORT_RESET	0x01	/* active low */
#define OUTPORT_A20	0x02

#define QUEUE_LEN	16

enum byte_source { FROM_KBD, FROM_AUX, FROM_AUX_TIMEOUT };

struct i8042 {
	struct vmm_ctx *ctx;
	struct vmm_device dev_data, dev_cmd;
	struct irq_line kbd_irq, aux_irq;
	uint8_t queue[QUEUE_LEN];
	uint8_t source[QUEUE_LEN];
	unsigned int head, count;
	uint8_t last;		/* data port value when the queue is empty */
	uint8_t ctr;		/* the configuration ("command") byte */
	uint8_t outport;
	uint8_t pending;	/* a command waiting for its data byte */
	bool last_was_cmd;
};

static void kbc_update_irq(struct i8042 *k)
{
	bool kbd = false, aux = false;

	if (k->count) {
		kbd = k->source[k->head] == FROM_KBD && (k->ctr & CTR_KBD_INT);
		aux = k->source[k->head] != FROM_KBD && (k->ctr & CTR_AUX_INT);
	}
	irq_set(&k->kbd_irq, kbd);
	irq_set(&k->aux_irq, aux);
}

static void kbc_queue(struct i8042 *k, uint8_t byte, enum byte_source src)
{
	unsigned int tail = (k->head + k->count) % QUEUE_LEN;

	if (k->count == QUEUE_LEN)
		return;
	k->queue[tail] = byte;
	k->source[tail] = (uint8_t)src;
	k->count++;
}

static void kbc_reset_machine(struct i8042 *k)
{
	k->ctx->stop(k->ctx, VMM_STOP_RESET,
		     "the i8042 keyboard controller (command 0xfe)");
}

/* A byte for the keyboard itself. */
static void kbd_write(struct i8042 *k, uint8_t byte)
{
	switch (byte) {
	case 0xff: /* reset: ack, then self-test passed */
		kbc_queue(k, 0xfa, FROM_KBD);
		kbc_queue(k, 0xaa, FROM_KBD);
		break;
	case 0xf2: /* identify: an MF2 keyboard, translated */
		kbc_queue(k, 0xfa, FROM_KBD);
		kbc_queue(k, 0xab, FROM_KBD);
		kbc_queue(k, k->ctr & CTR_XLATE ? 0x41 : 0x83, FROM_KBD);
		break;
	case 0xee: /* echo */
		kbc_queue(k, 0xee, FROM_KBD);
		break;
	default: /* LEDs, rates, enable and their arguments: acknowledged */
		kbc_queue(k, 0xfa, FROM_KBD);
		break;
	}
}

static void kbc_data_for_command(struct i8042 *k, uint8_t cmd, uint8_t byte)
{
	switch (cmd) {
	case 0x60: /* write configuration byte */
		k->ctr = byte;
		break;
	case 0xd1: /* write output port */
		k->outport = byte;
		if (!(byte & OUTPORT_RESET))
			kbc_reset_machine(k);
		break;
	case 0xd2: /* as if from the keyboard */
		kbc_queue(k, byte, FROM_KBD);
		break;
	case 0xd3: /* as if from the mouse */
		kbc_queue(k, byte, FROM_AUX);
		break;
	case 0xd4: /* to the mouse: nothing is there */
		kbc_queue(k, 0xfe, FROM_AUX_TIMEOUT);
		break;
	}
}

static void kbc_command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	switch (cmd) {
	case 0x20:
		kbc_queue(k, k->ctr, FROM_KBD);
		break;
	case 0x60:
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		k->pending = cmd;
		break;
	case 0xa7:
		k->ctr |= CTR_AUX_OFF;
		break;
	case 0xa8:
		k->ctr &= ~CTR_AUX_OFF;
		break;
	case 0xa9: /* mouse interface test: lines fine */
	case 0xab: /* keyboard interface test */
		kbc_queue(k, 0x00, FROM_KBD);
		break;
	case 0xaa: /* controller self test */
		k->ctr |= CTR_SYS;
		kbc_queue(k, 0x55, FROM_KBD);
		break;
	case 0xad:
		k->ctr |= CTR_KBD_OFF;
		break;
	case 0xae:
		k->ctr &= ~CTR_KBD_OFF;
		break;
	case 0xd0:
		kbc_queue(k, k->outport, FROM_KBD);
		break;
	default:
		/* 0xf0-0xff pulse the output lines low; bit 0 is reset. */
		if (cmd >= 0xf0 && !(cmd & 1))
			kbc_reset_machine(k);
		break;
	}
}

static uint8_t kbc_status(const struct i8042 *k)
{
	uint8_t s = STR_UNLOCKED | (k->ctr & CTR_SYS ? STR_SYS : 0) |
		    (k->last_was_cmd ? STR_CMD : 0);

	if (k->count) {
		s |= STR_OBF;
		if (k->source[k->head] != FROM_KBD)
			s |= STR_AUX;
		if (k->source[k->head] == FROM_AUX_TIMEOUT)
			s |= STR_TIMEOUT;
	}
	return s;
}

static void kbc_read(struct vmm_device *dev, uint64_t offset, void *data,
		     unsigned int size)
{
	struct i8042 *k = dev->priv;
	uint8_t v;

	(void)offset;
	if (dev == &k->dev_cmd) {
		v = kbc_status(k);
	} else {
		if (k->count) {
			k->last = k->queue[k->head];
			k->head = (k->head + 1) % QUEUE_LEN;
			k->count--;
			/* The next byte needs a new edge. */
			irq_set(&k->kbd_irq, false);
			irq_set(&k->aux_irq, false);
		}
		v = k->last;
		kbc_update_irq(k);
	}
	io_data_put(data, size, v);
}

static void kbc_write(struct vmm_device *dev, uint64_t offset,
		      const void *data, unsigned int size)
{
	struct i8042 *k = dev->priv;
	uint8_t v = (uint8_t)io_data_get(data, size);

	(void)offset;
	if (dev == &k->dev_cmd) {
		k->last_was_cmd = true;
		kbc_command(k, v);
	} else {
		k->last_was_cmd = false;
		if (k->pending) {
			uint8_t cmd = k->pending;

			k->pending = 0;
			kbc_data_for_command(k, cmd, v);
		} else {
			kbd_write(k, v);
		}
	}
	kbc_update_irq(k);
}

static const struct vmm_device_ops i8042_ops = {
	.name = "i8042",
	.read = kbc_read,
	.write = kbc_write,
};

struct i8042 *i8042_create(struct vmm_ctx *ctx)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->ctx = ctx;
	k->dev_data = (struct vmm_device){ &i8042_ops, k };
	k->dev_cmd = (struct vmm_device){ &i8042_ops, k };
	k->kbd_irq = (struct irq_line){ ctx->irq, I8042_KBD_IRQ };
	k->aux_irq = (struct irq_line){ ctx->irq, I8042_AUX_IRQ };
	k->ctr = CTR_KBD_INT | CTR_SYS | CTR_AUX_OFF | CTR_XLATE;
	k->outport = OUTPORT_RESET | OUTPORT_A20;
	/* Two ranges: port 0x61 between them belongs to the PIT. */
	if (bus_register(ctx->bus, BUS_PIO, PORT_DATA, 1, &k->dev_data) ||
	    bus_register(ctx->bus, BUS_PIO, PORT_CMD, 1, &k->dev_cmd)) {
		free(k);
		return NULL;
	}
	return k;
}

void i8042_destroy(struct i8042 *k)
{
	free(k);
}
