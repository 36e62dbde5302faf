/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place I/O ranges are looked up.  A device is an object with an
 * ops table; it registers the port and MMIO ranges it answers, and the
 * vCPU loop hands every trapped access to bus_io() or bus_mmio().
 *
 * Two instances of the same device type must be possible: nothing here or
 * in a device file is a global singleton.
 */
#ifndef VIREO_VMM_BUS_H
#define VIREO_VMM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmm_device;

struct vmm_device_ops {
	const char *name;
	/* offset is from the start of the registered range; size 1, 2, 4 or 8. */
	void (*read)(struct vmm_device *dev, uint64_t offset, void *data,
		     unsigned int size);
	void (*write)(struct vmm_device *dev, uint64_t offset,
		      const void *data, unsigned int size);
	/* Called once at VM teardown; frees what the device owns. */
	void (*destroy)(struct vmm_device *dev);
};

struct vmm_device {
	const struct vmm_device_ops *ops;
	void *priv;	/* the device model's own state */
};

enum bus_space { BUS_PIO, BUS_MMIO, BUS_NR_SPACES };

struct bus_range {
	uint64_t base, len;
	struct vmm_device *dev;
};

struct bus {
	struct bus_range *ranges[BUS_NR_SPACES];	/* sorted by base */
	size_t count[BUS_NR_SPACES];
	size_t cap[BUS_NR_SPACES];
};

void bus_init(struct bus *bus);
void bus_destroy(struct bus *bus);
/* Returns 0, -EEXIST for an overlapping range, -ENOMEM or -EINVAL. */
int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
		 uint64_t len, struct vmm_device *dev);
/* Removes the range that starts at base and belongs to dev; -ENOENT if none. */
int bus_unregister(struct bus *bus, enum bus_space space, uint64_t base,
		   struct vmm_device *dev);
/*
 * Dispatch one access.  Returns false when no device answers: reads then
 * return all ones, writes are dropped, as on a PC with nothing there.
 */
bool bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
		void *data, unsigned int size, bool is_write);

#endif /* VIREO_VMM_BUS_H */
