// SPDX-License-Identifier: GPL-2.0-only
/*
 * Port and MMIO ranges: one sorted array per address space, looked up
 * with a binary search.  No locking here: the caller holds the machine
 * lock (see vmm.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

void bus_init(struct bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

void bus_destroy(struct bus *bus)
{
	for (int s = 0; s < BUS_NR_SPACES; s++) {
		free(bus->ranges[s]);
		bus->ranges[s] = NULL;
		bus->count[s] = bus->cap[s] = 0;
	}
}

/* Index of the first range whose base is above addr. */
static size_t bus_upper_bound(const struct bus_range *r, size_t n,
			      uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
		 uint64_t len, struct vmm_device *dev)
{
	struct bus_range *r;
	size_t n, pos;

	if (space >= BUS_NR_SPACES || !len || !dev || !dev->ops ||
	    base + len - 1 < base)
		return -EINVAL;

	r = bus->ranges[space];
	n = bus->count[space];
	pos = bus_upper_bound(r, n, base);
	/* The range before must end below base, the one after start past us. */
	if (pos > 0 && r[pos - 1].base + (r[pos - 1].len - 1) >= base)
		return -EEXIST;
	if (pos < n && r[pos].base <= base + (len - 1))
		return -EEXIST;

	if (n == bus->cap[space]) {
		size_t cap = bus->cap[space] ? bus->cap[space] * 2 : 16;

		r = realloc(r, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		bus->ranges[space] = r;
		bus->cap[space] = cap;
	}
	memmove(&r[pos + 1], &r[pos], (n - pos) * sizeof(*r));
	r[pos] = (struct bus_range){ .base = base, .len = len, .dev = dev };
	bus->count[space] = n + 1;
	return 0;
}

int bus_unregister(struct bus *bus, enum bus_space space, uint64_t base,
		   struct vmm_device *dev)
{
	struct bus_range *r;
	size_t n, pos;

	if (space >= BUS_NR_SPACES)
		return -EINVAL;
	r = bus->ranges[space];
	n = bus->count[space];
	pos = bus_upper_bound(r, n, base);
	if (pos == 0 || r[pos - 1].base != base || r[pos - 1].dev != dev)
		return -ENOENT;
	memmove(&r[pos - 1], &r[pos], (n - pos) * sizeof(*r));
	bus->count[space] = n - 1;
	return 0;
}

static const struct bus_range *bus_find(const struct bus *bus,
					enum bus_space space, uint64_t addr)
{
	const struct bus_range *r = bus->ranges[space];
	size_t pos = bus_upper_bound(r, bus->count[space], addr);

	if (pos == 0)
		return NULL;
	r = &r[pos - 1];
	return addr - r->base < r->len ? r : NULL;
}

bool bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
		void *data, unsigned int size, bool is_write)
{
	const struct bus_range *r = NULL;

	if (space < BUS_NR_SPACES && size >= 1 && size <= 8)
		r = bus_find(bus, space, addr);
	/* The whole access must fall in one range. */
	if (r && size - 1 > r->len - 1 - (addr - r->base))
		r = NULL;
	if (!r) {
		if (!is_write && size <= 8)
			memset(data, 0xff, size);
		return false;
	}
	if (is_write) {
		if (r->dev->ops->write)
			r->dev->ops->write(r->dev, addr - r->base, data, size);
	} else if (r->dev->ops->read) {
		r->dev->ops->read(r->dev, addr - r->base, data, size);
	} else {
		memset(data, 0xff, size);
	}
	return true;
}
