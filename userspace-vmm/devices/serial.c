// SPDX-License-Identifier: GPL-2.0-only
/*
 * The 16550A UART, as the Linux 8250 driver and a getty use it.
 *
 * Transmission is instant: a byte written to THR is written to the
 * output fd at once, so THR and the transmitter are always empty.  The
 * host input is read only as far as the receive FIFO has room (1 byte
 * with the FIFOs off, 16 with them on); when it is full the fd is taken
 * off the event loop until the guest reads, so host bytes are never
 * dropped.  The character timeout interrupt is reported as soon as the
 * FIFO holds fewer bytes than the trigger level: input arrives in
 * bursts and there is no receiver clock to wait for.
 *
 * Line speed, parity and break are accepted and ignored.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus.h"
#include "serial.h"

enum uart_reg {
	REG_DATA, REG_IER, REG_IIR_FCR, REG_LCR, REG_MCR, REG_LSR, REG_MSR,
	REG_SCR
};

#define IER_RDI		0x01	/* received data available */
#define IER_THRI	0x02	/* THR empty */
#define IER_RLSI	0x04	/* receiver line status */
#define IER_MSI		0x08	/* modem status */

#define IIR_NONE	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_TIMEOUT	0x0c
#define IIR_FIFO_ON	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80
#define MSR_TERI	0x04

#define FIFO_SIZE	16

struct serial {
	struct vmm_ctx *ctx;
	struct irq_line irq;
	struct vmm_device dev;
	int in_fd, out_fd;
	bool polling;		/* in_fd is on the event loop */
	bool in_eof;

	uint8_t rx[FIFO_SIZE];
	unsigned int rx_head, rx_count;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_errors;	/* OE until LSR is read */
	uint8_t msr_delta;
	bool fifo_on;
	unsigned int trigger;
	bool thr_irq;		/* THR-empty interrupt pending */
	bool line;		/* the IRQ output as last driven */
};

static unsigned int rx_room(const struct serial *u)
{
	return (u->fifo_on ? FIFO_SIZE : 1) - u->rx_count;
}

static uint8_t msr_lines(const struct serial *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	/* Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
	return (uint8_t)((m & MCR_RTS ? MSR_CTS : 0) |
			 (m & MCR_DTR ? MSR_DSR : 0) |
			 (m & MCR_OUT1 ? MSR_RI : 0) |
			 (m & MCR_OUT2 ? MSR_DCD : 0));
}

static uint8_t serial_iir(const struct serial *u)
{
	uint8_t fifo = u->fifo_on ? IIR_FIFO_ON : 0;

	if ((u->ier & IER_RLSI) && u->lsr_errors)
		return fifo | IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count) {
		if (!u->fifo_on || u->rx_count >= u->trigger)
			return fifo | IIR_RDI;
		return fifo | IIR_TIMEOUT;
	}
	if ((u->ier & IER_THRI) && u->thr_irq)
		return fifo | IIR_THRI;
	if ((u->ier & IER_MSI) && u->msr_delta)
		return fifo | IIR_MSI;
	return fifo | IIR_NONE;
}

/*
 * On a PC the UART's interrupt reaches the PIC only through the OUT2
 * gate, and loopback disconnects it.
 */
static void serial_update_irq(struct serial *u)
{
	bool level = !(serial_iir(u) & IIR_NONE) && (u->mcr & MCR_OUT2) &&
		     !(u->mcr & MCR_LOOP);

	if (level != u->line) {
		u->line = level;
		irq_set(&u->irq, level);
	}
}

static void serial_input_ready(void *arg, uint32_t events);

static void serial_poll_input(struct serial *u, bool on)
{
	if (u->in_fd < 0 || u->in_eof || on == u->polling)
		return;
	if (!on)
		event_del_fd(u->ctx->loop, u->in_fd);
	else if (event_add_fd(u->ctx->loop, u->in_fd, serial_input_ready, u))
		return;
	u->polling = on;
}

static void serial_input_ready(void *arg, uint32_t events)
{
	struct serial *u = arg;
	uint8_t buf[FIFO_SIZE];
	unsigned int room = rx_room(u);
	ssize_t n;

	(void)events;
	if (room) {
		n = read(u->in_fd, buf, room);
		if (n > 0) {
			serial_receive(u, buf, (size_t)n);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			serial_poll_input(u, false);
			u->in_eof = true;
			return;
		}
	}
	if (!rx_room(u))
		serial_poll_input(u, false);
}

static void rx_push(struct serial *u, uint8_t c)
{
	if (!rx_room(u)) {
		u->lsr_errors |= LSR_OE;	/* the new byte is lost */
		return;
	}
	u->rx[(u->rx_head + u->rx_count++) % FIFO_SIZE] = c;
}

size_t serial_receive(struct serial *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	while (n < len && rx_room(u))
		rx_push(u, buf[n++]);
	serial_update_irq(u);
	return n;
}

static uint8_t rx_pop(struct serial *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % FIFO_SIZE;
	u->rx_count--;
	serial_poll_input(u, true);
	return c;
}

static void serial_transmit(struct serial *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		rx_push(u, c);
	} else if (u->out_fd >= 0) {
		while (write(u->out_fd, &c, 1) < 0 && errno == EINTR)
			;
	}
	u->thr_irq = true;	/* sent at once: THR is empty again */
}

static void serial_set_mcr(struct serial *u, uint8_t val)
{
	uint8_t before = msr_lines(u), after, changed;

	u->mcr = val & 0x1f;
	after = msr_lines(u);
	changed = before ^ after;
	/* Delta bits sit four below their lines; RI counts its falling edge. */
	u->msr_delta |= (changed & (MSR_CTS | MSR_DSR | MSR_DCD)) >> 4;
	if ((before & MSR_RI) && !(after & MSR_RI))
		u->msr_delta |= MSR_TERI;
}

static void serial_set_fcr(struct serial *u, uint8_t val)
{
	static const unsigned int triggers[4] = { 1, 4, 8, 14 };
	bool on = val & FCR_ENABLE;

	if (on != u->fifo_on || (val & FCR_CLEAR_RX)) {
		u->rx_head = 0;
		u->rx_count = 0;
	}
	u->fifo_on = on;
	u->trigger = triggers[val >> 6];
	serial_poll_input(u, true);
}

static void serial_write_reg(struct serial *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			u->dll = val;
		else
			serial_transmit(u, val);
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* Enabling the THR-empty interrupt with THR empty raises it. */
		if ((val & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_irq = true;
		u->ier = val & 0x0f;
		break;
	case REG_IIR_FCR:
		serial_set_fcr(u, val);
		break;
	case REG_LCR:
		u->lcr = val;
		break;
	case REG_MCR:
		serial_set_mcr(u, val);
		break;
	case REG_SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static uint8_t serial_read_reg(struct serial *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case REG_DATA:
		return dlab ? u->dll : rx_pop(u);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR_FCR:
		v = serial_iir(u);
		/* Reading IIR that names THR empty clears it. */
		if ((v & 0x0f) == IIR_THRI)
			u->thr_irq = false;
		return v;
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = LSR_THRE | LSR_TEMT | u->lsr_errors |
		    (u->rx_count ? LSR_DR : 0);
		u->lsr_errors = 0;
		return v;
	case REG_MSR:
		v = msr_lines(u) | u->msr_delta;
		u->msr_delta = 0;
		return v;
	default:
		return u->scr;
	}
}

static void serial_read(struct vmm_device *dev, uint64_t offset, void *data,
			unsigned int size)
{
	struct serial *u = dev->priv;
	uint8_t *out = data;

	for (unsigned int i = 0; i < size; i++)
		out[i] = offset + i < 8 ? serial_read_reg(u, offset + i) : 0xff;
	serial_update_irq(u);
}

static void serial_write(struct vmm_device *dev, uint64_t offset,
			 const void *data, unsigned int size)
{
	struct serial *u = dev->priv;
	const uint8_t *in = data;

	for (unsigned int i = 0; i < size && offset + i < 8; i++)
		serial_write_reg(u, offset + i, in[i]);
	serial_update_irq(u);
}

static const struct vmm_device_ops serial_ops = {
	.name = "16550a",
	.read = serial_read,
	.write = serial_write,
};

struct serial *serial_create(struct vmm_ctx *ctx, uint16_t base,
			     unsigned int irq, int in_fd, int out_fd)
{
	struct serial *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->ctx = ctx;
	u->irq = (struct irq_line){ ctx->irq, irq };
	u->dev = (struct vmm_device){ &serial_ops, u };
	u->in_fd = in_fd;
	u->out_fd = out_fd;
	u->trigger = 1;
	u->dll = 0x0c;		/* 9600 baud, as after a BIOS */
	if (bus_register(ctx->bus, BUS_PIO, base, 8, &u->dev)) {
		free(u);
		return NULL;
	}
	serial_poll_input(u, true);
	return u;
}

void serial_destroy(struct serial *u)
{
	if (!u)
		return;
	serial_poll_input(u, false);
	free(u);
}
