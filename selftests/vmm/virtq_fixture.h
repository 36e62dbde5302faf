/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A guest for the virtio tests: a plain buffer as guest memory with a
 * split ring at fixed addresses, and helpers that write descriptors and
 * available entries the way a driver (or a hostile one) would.
 */
#ifndef VIREO_VMM_VIRTQ_FIXTURE_H
#define VIREO_VMM_VIRTQ_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>

#include "boot.h"
#include "virtio_dev.h"
#include "virtq.h"

#define FX_MEM_SIZE	(4ull << 20)
#define FX_DESC		0x1000ull	/* room for 256 descriptors */
#define FX_AVAIL	0x3000ull
#define FX_USED		0x4000ull
#define FX_INDIRECT	0x8000ull	/* an indirect table */
#define FX_DATA		0x10000ull	/* buffers from here on */

struct fx {
	uint8_t *mem;
	struct guest_mem gm;
	uint16_t size;
	uint16_t avail_idx;
	uint64_t ring;		/* added to the ring addresses (a 2nd queue) */
};

static inline void fx_init(struct fx *f, uint16_t size)
{
	f->mem = calloc(1, FX_MEM_SIZE);
	if (!f->mem)
		abort();
	guest_mem_init_flat(&f->gm, f->mem, FX_MEM_SIZE, 1ull << 32, 0);
	f->size = size;
	f->avail_idx = 0;
	f->ring = 0;
}

/* A second queue's rings in the same memory, `ring` bytes further on. */
static inline struct fx fx_second_queue(const struct fx *f, uint64_t ring)
{
	struct fx g = *f;

	g.avail_idx = 0;
	g.ring = ring;
	return g;
}

static inline void fx_destroy(struct fx *f)
{
	free(f->mem);
	f->mem = NULL;
}

/* Points vq at the fixture's rings with the fixture's size. */
static inline void fx_place(struct fx *f, struct virtq *vq)
{
	vq->size = f->size;
	vq->desc_addr = f->ring + FX_DESC;
	vq->avail_addr = f->ring + FX_AVAIL;
	vq->used_addr = f->ring + FX_USED;
}

/* Makes queue q of vdev usable as a driver would, over the fixture. */
static inline void fx_activate(struct fx *f, struct virtio_dev *vdev,
			       unsigned int q)
{
	vdev->guest_features = vdev->host_features;
	vdev->status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	fx_place(f, &vdev->vqs[q]);
	virtio_dev_enable_queue(vdev, q);
}

static inline void fx_put16(struct fx *f, uint64_t gpa, uint16_t v)
{
	memcpy(f->mem + gpa, &v, sizeof(v));
}

static inline uint16_t fx_get16(const struct fx *f, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, f->mem + gpa, sizeof(v));
	return v;
}

static inline uint32_t fx_get32(const struct fx *f, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, f->mem + gpa, sizeof(v));
	return v;
}

/* Descriptor i of the table at `table`. */
static inline void fx_desc_at(struct fx *f, uint64_t table, unsigned int i,
			      uint64_t addr, uint32_t len, uint16_t flags,
			      uint16_t next)
{
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags,
				.next = next };

	memcpy(f->mem + table + i * sizeof(d), &d, sizeof(d));
}

static inline void fx_desc(struct fx *f, unsigned int i, uint64_t addr,
			   uint32_t len, uint16_t flags, uint16_t next)
{
	fx_desc_at(f, f->ring + FX_DESC, i, addr, len, flags, next);
}

/* Makes the chain at head available and publishes the index. */
static inline void fx_avail(struct fx *f, uint16_t head)
{
	fx_put16(f, f->ring + FX_AVAIL + 4 + 2 * (f->avail_idx % f->size), head);
	f->avail_idx++;
	fx_put16(f, f->ring + FX_AVAIL + 2, f->avail_idx);
}

static inline uint16_t fx_used_idx(const struct fx *f)
{
	return fx_get16(f, f->ring + FX_USED + 2);
}

/* Used element i: returns its id, *len its length. */
static inline uint32_t fx_used(const struct fx *f, uint16_t i, uint32_t *len)
{
	uint64_t e = f->ring + FX_USED + 4 + 8ull * (i % f->size);

	*len = fx_get32(f, e + 4);
	return fx_get32(f, e);
}

#endif /* VIREO_VMM_VIRTQ_FIXTURE_H */
