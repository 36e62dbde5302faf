/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for device models: the data of a bus access as a number.
 * Accesses are little-endian, like the x86 guests that make them.
 */
#ifndef VIREO_DEVICES_IO_ACCESS_H
#define VIREO_DEVICES_IO_ACCESS_H

#include <stdint.h>
#include <string.h>

static inline uint64_t io_data_get(const void *data, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, data, size > 8 ? 8 : size);
	return v;
}

static inline void io_data_put(void *data, unsigned int size, uint64_t v)
{
	memcpy(data, &v, size > 8 ? 8 : size);
}

#endif /* VIREO_DEVICES_IO_ACCESS_H */
