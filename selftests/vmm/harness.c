// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fake machine the device tests run on: a stubbed event loop, a
 * recording interrupt controller, and a bus.  The bus functions here are
 * weak: the monitor's bus.c replaces them when it is built in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

struct test_event test_events[16];

int event_add_fd(struct event_loop *loop, int fd, event_fn fn, void *arg)
{
	(void)loop;
	for (size_t i = 0; i < 16; i++) {
		if (!test_events[i].live) {
			test_events[i] = (struct test_event){ fd, fn, arg, true };
			return 0;
		}
	}
	return -ENOSPC;
}

void event_del_fd(struct event_loop *loop, int fd)
{
	(void)loop;
	for (size_t i = 0; i < 16; i++)
		if (test_events[i].live && test_events[i].fd == fd)
			test_events[i].live = false;
}

int64_t test_clock_read(void *arg)
{
	return ((struct test_clock *)arg)->ns;
}

static void record_line(struct irq_chip *chip, unsigned int line, bool level)
{
	struct test_machine *m = chip->priv;

	if (line >= 16)
		abort();
	if (level && !m->line[line])
		m->rises[line]++;
	m->line[line] = level;
}

static void count_stop(struct vmm_ctx *ctx, enum vmm_stop_reason why,
		       const char *how)
{
	struct test_machine *m = ctx->owner;

	(void)how;
	m->stops++;
	m->last_stop = why;
}

static void count_kick(struct vmm_ctx *ctx)
{
	struct test_machine *m = ctx->owner;

	m->kicks++;
}

void test_machine_init(struct test_machine *m, uint64_t mem_size)
{
	memset(m, 0, sizeof(*m));
	memset(test_events, 0, sizeof(test_events));
	bus_init(&m->bus);
	m->chip.set_line = record_line;
	m->chip.priv = m;
	m->ctx.bus = &m->bus;
	m->ctx.irq = &m->chip;
	m->ctx.stop = count_stop;
	m->ctx.kick = count_kick;
	m->ctx.console_in = -1;
	m->ctx.console_out = -1;
	m->ctx.owner = m;
	if (mem_size) {
		m->ctx.mem = calloc(1, mem_size);
		if (!m->ctx.mem)
			abort();
		m->ctx.mem_size = mem_size;
	}
}

void test_machine_destroy(struct test_machine *m)
{
	bus_destroy(&m->bus);
	free(m->ctx.mem);
	m->ctx.mem = NULL;
}

uint32_t test_in(struct test_machine *m, uint16_t port, unsigned int size)
{
	uint32_t v = 0;

	bus_access(&m->bus, BUS_PIO, port, &v, size, false);
	if (size < 4)
		v &= (1u << (size * 8)) - 1;
	return v;
}

void test_out(struct test_machine *m, uint16_t port, uint32_t value,
	      unsigned int size)
{
	bus_access(&m->bus, BUS_PIO, port, &value, size, true);
}

/* A stand-in bus for when bus.c is not built in: a list, no sorting. */

__attribute__((weak)) void bus_init(struct bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

__attribute__((weak)) void bus_destroy(struct bus *bus)
{
	for (int s = 0; s < BUS_NR_SPACES; s++) {
		for (size_t i = 0; i < bus->count[s]; i++) {
			struct vmm_device *dev = bus->ranges[s][i].dev;
			bool first = true;

			/* A device with several ranges is destroyed once. */
			for (size_t j = 0; j < i; j++)
				if (bus->ranges[s][j].dev == dev)
					first = false;
			for (int t = 0; t < s; t++)
				for (size_t j = 0; j < bus->count[t]; j++)
					if (bus->ranges[t][j].dev == dev)
						first = false;
			if (first && dev->ops->destroy)
				dev->ops->destroy(dev);
		}
	}
	for (int s = 0; s < BUS_NR_SPACES; s++)
		free(bus->ranges[s]);
	memset(bus, 0, sizeof(*bus));
}

__attribute__((weak)) int bus_register(struct bus *bus, enum bus_space space,
				       uint64_t base, uint64_t len,
				       struct vmm_device *dev)
{
	struct bus_range *r;

	if (space >= BUS_NR_SPACES || !len || !dev)
		return -EINVAL;
	for (size_t i = 0; i < bus->count[space]; i++) {
		r = &bus->ranges[space][i];
		if (base < r->base + r->len && r->base < base + len)
			return -EEXIST;
	}
	if (bus->count[space] == bus->cap[space]) {
		size_t cap = bus->cap[space] ? 2 * bus->cap[space] : 16;

		r = realloc(bus->ranges[space], cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		bus->ranges[space] = r;
		bus->cap[space] = cap;
	}
	bus->ranges[space][bus->count[space]++] =
		(struct bus_range){ base, len, dev };
	return 0;
}

__attribute__((weak)) bool bus_access(struct bus *bus, enum bus_space space,
				      uint64_t addr, void *data,
				      unsigned int size, bool is_write)
{
	for (size_t i = 0; i < bus->count[space]; i++) {
		struct bus_range *r = &bus->ranges[space][i];

		if (addr < r->base || addr - r->base >= r->len)
			continue;
		if (is_write)
			r->dev->ops->write(r->dev, addr - r->base, data, size);
		else
			r->dev->ops->read(r->dev, addr - r->base, data, size);
		return true;
	}
	if (!is_write)
		memset(data, 0xff, size);
	return false;
}
