// SPDX-License-Identifier: GPL-2.0-only
/*
 * The i8254 interval timer.
 *
 * Counters are not stepped: a channel remembers when its count was loaded
 * (or when its gate last started it) and its value and output are worked
 * out from the clock whenever the guest looks.  Channel 0's output edges
 * are turned into IRQ0 pulses by a timerfd armed for the next rising edge.
 * The edge to arm for is counted from the channel's start, never from the
 * time the timer is set: the host may run the monitor late, and a
 * one-shot edge (modes 0 and 4, Linux's tick) that has passed by then
 * must still raise IRQ0, at once, or the guest waits for it forever.
 *
 * Modes 0-5 are modelled, counting in binary (the BCD bit is kept for
 * the status byte only).  Channels 0 and 1 have their gates tied high;
 * channel 2's gate is bit 0 of port 0x61, and its output bit 5.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "io_access.h"
#include "pit.h"

#define PIT_BASE	0x40
#define PORT_B		0x61
#define NS_PER_SEC	1000000000ull
/* Port 0x61 bit 4 toggles with each DRAM refresh, every 15.085 us. */
#define REFRESH_NS	15085

#define PORTB_GATE2	0x01
#define PORTB_SPEAKER	0x02
#define PORTB_WRITABLE	0x0f
#define PORTB_REFRESH	0x10
#define PORTB_OUT2	0x20

enum access { ACC_LATCH, ACC_LO, ACC_HI, ACC_LOHI };

struct pit_channel {
	uint32_t count;		/* reload value, 1-65536 */
	int64_t start_ns;	/* counting began: load or gate trigger */
	uint8_t mode, access;
	bool bcd;
	bool gate;
	bool loaded;		/* a count was written after the mode */
	bool started;		/* counting (modes 1, 5: gate triggered) */
	bool paused;		/* modes 0, 4 with the gate low */
	uint64_t paused_ticks;	/* elapsed ticks when paused */
	bool null_count;
	bool write_hi_next, read_hi_next;
	uint8_t write_lo;
	bool count_latched, latch_hi_next;
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct pit {
	struct vmm_ctx *ctx;
	struct irq_line irq;
	struct pit_channel ch[3];
	struct vmm_device dev_pit, dev_portb;
	uint8_t portb;		/* writable bits of port 0x61 */
	int timer_fd;
	bool irq_armed;
	uint64_t next_irq_tick;	/* channel 0, ticks after start_ns */
	int64_t (*now_ns)(void *arg);
	void *clock_arg;
};

static int64_t monotonic_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * (int64_t)NS_PER_SEC + ts.tv_nsec;
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_SEC * PIT_FREQ_HZ +
	       ns % NS_PER_SEC * PIT_FREQ_HZ / NS_PER_SEC;
}

/* The first nanosecond at which `ticks` ticks have passed. */
static uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks / PIT_FREQ_HZ * NS_PER_SEC +
	       (ticks % PIT_FREQ_HZ * NS_PER_SEC + PIT_FREQ_HZ - 1) /
		       PIT_FREQ_HZ;
}

static uint64_t elapsed_ticks(struct pit_channel *c, int64_t now)
{
	if (c->paused)
		return c->paused_ticks;
	return now > c->start_ns ? ns_to_ticks((uint64_t)(now - c->start_ns)) : 0;
}

static bool counting(const struct pit_channel *c)
{
	return c->loaded && c->started;
}

static void channel_state(struct pit_channel *c, int64_t now, uint16_t *value,
			  bool *out)
{
	uint64_t d, phase, high;

	if (!counting(c)) {
		/* Mode 0 drives low from the control word on; others high. */
		*value = (uint16_t)c->count;
		*out = c->mode != 0;
		return;
	}
	d = elapsed_ticks(c, now);
	switch (c->mode) {
	case 0:
	case 1:
		*value = (uint16_t)(c->count - d);
		*out = d >= c->count;
		break;
	case 2:
		*value = (uint16_t)(c->count - d % c->count);
		*out = *value != 1 || !c->gate;
		break;
	case 3:
		phase = d % c->count;
		high = (c->count + 1) / 2;
		if (phase < high)
			*value = (uint16_t)((c->count - 2 * phase) & ~1u);
		else
			*value = (uint16_t)((c->count - 2 * (phase - high)) & ~1u);
		*out = phase < high || !c->gate;
		break;
	default: /* 4, 5: strobe */
		*value = (uint16_t)(c->count - d);
		*out = d != c->count;
		break;
	}
}

static bool channel_out(struct pit *pit, struct pit_channel *c)
{
	uint16_t value;
	bool out;

	channel_state(c, pit->now_ns(pit->clock_arg), &value, &out);
	return out;
}

/* Ticks after start at which channel 0's output next rises, past `d`. */
static bool next_rise(const struct pit_channel *c, uint64_t d, uint64_t *tick)
{
	switch (c->mode) {
	case 0:
		*tick = c->count;
		return d < c->count;
	case 2:
	case 3:
		*tick = (d / c->count + 1) * c->count;
		return true;
	case 4:
		*tick = c->count + 1;
		return d < c->count + 1;
	default: /* 1, 5: the gate never rises on channel 0 */
		return false;
	}
}

/* Sets the timerfd for pit->next_irq_tick, or disarms it. */
static void pit_set_timer(struct pit *pit)
{
	struct pit_channel *c = &pit->ch[0];
	struct itimerspec its = { 0 };
	int64_t now = pit->now_ns(pit->clock_arg);

	if (pit->irq_armed) {
		int64_t due = c->start_ns + (int64_t)ticks_to_ns(pit->next_irq_tick);
		int64_t wait = due > now ? due - now : 1;

		its.it_value.tv_sec = wait / (int64_t)NS_PER_SEC;
		its.it_value.tv_nsec = wait % (int64_t)NS_PER_SEC;
	}
	if (pit->timer_fd >= 0)
		timerfd_settime(pit->timer_fd, 0, &its, NULL);
}

/*
 * Arms for channel 0's first rising edge after tick `after` of its count
 * (0 when it has just started), even one that is already past.
 */
static void pit_arm_timer(struct pit *pit, uint64_t after)
{
	struct pit_channel *c = &pit->ch[0];

	pit->irq_armed = counting(c) && !c->paused &&
			 next_rise(c, after, &pit->next_irq_tick);
	pit_set_timer(pit);
}

static void pit_timer_fired(void *arg, uint32_t events)
{
	struct pit *pit = arg;
	struct pit_channel *c = &pit->ch[0];
	uint64_t expirations, d;

	(void)events;
	if (pit->timer_fd >= 0 &&
	    read(pit->timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		return;
	if (!pit->irq_armed)
		return;
	d = elapsed_ticks(c, pit->now_ns(pit->clock_arg));
	if (d < pit->next_irq_tick) {
		pit_set_timer(pit);	/* a stale expiry: not yet */
		return;
	}
	irq_pulse(&pit->irq);
	/* Periods missed while the host was busy collapse into this one. */
	pit_arm_timer(pit, d);
}

static void channel_start(struct pit *pit, struct pit_channel *c, int64_t now)
{
	c->start_ns = now;
	c->paused = false;
	c->started = true;
	if (c == &pit->ch[0])
		pit_arm_timer(pit, 0);
}

static void channel_load(struct pit *pit, struct pit_channel *c, uint16_t v)
{
	c->count = v ? v : 0x10000;
	c->loaded = true;
	c->null_count = false;
	c->started = false;
	if ((c->mode == 0 || c->mode == 4) && !c->gate) {
		/* Loaded with the gate low: counting waits for it. */
		c->started = true;
		c->paused = true;
		c->paused_ticks = 0;
	} else if (c->mode != 1 && c->mode != 5 && c->gate) {
		channel_start(pit, c, pit->now_ns(pit->clock_arg));
		return;
	}
	/* Modes 1 and 5 wait for a rising gate, as do 2 and 3 when low. */
	if (c == &pit->ch[0])
		pit_arm_timer(pit, 0);
}

static void channel_set_gate(struct pit *pit, struct pit_channel *c, bool gate)
{
	int64_t now = pit->now_ns(pit->clock_arg);

	if (gate == c->gate)
		return;
	if (!gate && c->started && (c->mode == 0 || c->mode == 4)) {
		c->paused_ticks = elapsed_ticks(c, now);
		c->paused = true;
	}
	c->gate = gate;
	if (!gate || !c->loaded)
		return;
	if (c->paused) {
		/* Modes 0 and 4 go on counting from where they stopped. */
		c->start_ns = now - (int64_t)ticks_to_ns(c->paused_ticks);
		c->paused = false;
	} else {
		/* Modes 1, 2, 3, 5 (re)start on the rising edge. */
		channel_start(pit, c, now);
	}
}

static void channel_latch_count(struct pit *pit, struct pit_channel *c)
{
	bool out;

	if (c->count_latched)
		return;
	channel_state(c, pit->now_ns(pit->clock_arg), &c->latch, &out);
	c->count_latched = true;
	c->latch_hi_next = false;
}

static void channel_latch_status(struct pit *pit, struct pit_channel *c)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)(channel_out(pit, c) << 7 | c->null_count << 6 |
			      c->access << 4 | c->mode << 1 | c->bcd);
	c->status_latched = true;
}

static void pit_control(struct pit *pit, uint8_t val)
{
	unsigned int sel = val >> 6;
	struct pit_channel *c;

	if (sel == 3) { /* read-back */
		for (unsigned int i = 0; i < 3; i++) {
			if (!(val & (2u << i)))
				continue;
			if (!(val & 0x20))
				channel_latch_count(pit, &pit->ch[i]);
			if (!(val & 0x10))
				channel_latch_status(pit, &pit->ch[i]);
		}
		return;
	}
	c = &pit->ch[sel];
	if (((val >> 4) & 3) == ACC_LATCH) {
		channel_latch_count(pit, c);
		return;
	}
	c->access = (val >> 4) & 3;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6 and 7 are 2 and 3 */
	c->bcd = val & 1;
	c->loaded = false;
	c->started = false;
	c->paused = false;
	c->null_count = true;
	c->write_hi_next = false;
	c->read_hi_next = false;
	c->count_latched = false;
	c->status_latched = false;
	if (sel == 0)
		pit_arm_timer(pit, 0);
}

static void channel_write(struct pit *pit, struct pit_channel *c, uint8_t val)
{
	switch (c->access) {
	case ACC_LO:
		channel_load(pit, c, val);
		break;
	case ACC_HI:
		channel_load(pit, c, (uint16_t)(val << 8));
		break;
	case ACC_LOHI:
		if (!c->write_hi_next) {
			c->write_lo = val;
			c->write_hi_next = true;
		} else {
			c->write_hi_next = false;
			channel_load(pit, c, (uint16_t)(c->write_lo | val << 8));
		}
		break;
	}
}

static uint8_t pick_byte(uint8_t access, bool *hi_next, uint16_t v,
			 bool *done)
{
	bool hi = access == ACC_HI || (access == ACC_LOHI && *hi_next);

	*done = access != ACC_LOHI || *hi_next;
	if (access == ACC_LOHI)
		*hi_next = !*hi_next;
	return hi ? v >> 8 : v & 0xff;
}

static uint8_t channel_read(struct pit *pit, struct pit_channel *c)
{
	uint16_t value;
	bool out, done;
	uint8_t byte;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		byte = pick_byte(c->access, &c->latch_hi_next, c->latch, &done);
		if (done)
			c->count_latched = false;
		return byte;
	}
	channel_state(c, pit->now_ns(pit->clock_arg), &value, &out);
	return pick_byte(c->access, &c->read_hi_next, value, &done);
}

static void pit_port_read(struct vmm_device *dev, uint64_t offset, void *data,
			  unsigned int size)
{
	struct pit *pit = dev->priv;
	uint8_t *out = data;

	for (unsigned int i = 0; i < size; i++)
		out[i] = offset + i < 3 ? channel_read(pit, &pit->ch[offset + i])
					: 0xff;	/* the control word is write-only */
}

static void pit_port_write(struct vmm_device *dev, uint64_t offset,
			   const void *data, unsigned int size)
{
	struct pit *pit = dev->priv;
	const uint8_t *in = data;

	for (unsigned int i = 0; i < size && offset + i < 4; i++) {
		if (offset + i == 3)
			pit_control(pit, in[i]);
		else
			channel_write(pit, &pit->ch[offset + i], in[i]);
	}
}

static void portb_read(struct vmm_device *dev, uint64_t offset, void *data,
		       unsigned int size)
{
	struct pit *pit = dev->priv;
	int64_t now = pit->now_ns(pit->clock_arg);
	uint8_t v = pit->portb;

	(void)offset;
	if ((now / REFRESH_NS) & 1)
		v |= PORTB_REFRESH;
	if (channel_out(pit, &pit->ch[2]))
		v |= PORTB_OUT2;
	io_data_put(data, size, v);
}

static void portb_write(struct vmm_device *dev, uint64_t offset,
			const void *data, unsigned int size)
{
	struct pit *pit = dev->priv;
	uint8_t v = (uint8_t)io_data_get(data, size);

	(void)offset;
	pit->portb = v & PORTB_WRITABLE;
	channel_set_gate(pit, &pit->ch[2], v & PORTB_GATE2);
}

static const struct vmm_device_ops pit_ops = {
	.name = "i8254",
	.read = pit_port_read,
	.write = pit_port_write,
};

static const struct vmm_device_ops portb_ops = {
	.name = "port 0x61",
	.read = portb_read,
	.write = portb_write,
};

void pit_set_clock(struct pit *pit, int64_t (*now_ns)(void *arg), void *arg)
{
	pit->now_ns = now_ns;
	pit->clock_arg = arg;
}

struct pit *pit_create(struct vmm_ctx *ctx, unsigned int irq)
{
	struct pit *pit = calloc(1, sizeof(*pit));

	if (!pit)
		return NULL;
	pit->ctx = ctx;
	pit->irq = (struct irq_line){ ctx->irq, irq };
	pit->now_ns = monotonic_ns;
	for (unsigned int i = 0; i < 3; i++) {
		pit->ch[i].gate = i < 2;
		pit->ch[i].count = 0x10000;
		pit->ch[i].access = ACC_LOHI;
	}
	pit->dev_pit = (struct vmm_device){ &pit_ops, pit };
	pit->dev_portb = (struct vmm_device){ &portb_ops, pit };
	pit->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				       TFD_NONBLOCK | TFD_CLOEXEC);
	if (pit->timer_fd < 0)
		goto fail;
	if (event_add_fd(ctx->loop, pit->timer_fd, pit_timer_fired, pit))
		goto fail;
	/* Without bus_unregister a failure here ends the machine anyway. */
	if (bus_register(ctx->bus, BUS_PIO, PIT_BASE, 4, &pit->dev_pit) ||
	    bus_register(ctx->bus, BUS_PIO, PORT_B, 1, &pit->dev_portb)) {
		event_del_fd(ctx->loop, pit->timer_fd);
		goto fail;
	}
	return pit;
fail:
	if (pit->timer_fd >= 0)
		close(pit->timer_fd);
	free(pit);
	return NULL;
}

void pit_destroy(struct pit *pit)
{
	if (!pit)
		return;
	event_del_fd(pit->ctx->loop, pit->timer_fd);
	close(pit->timer_fd);
	free(pit);
}
