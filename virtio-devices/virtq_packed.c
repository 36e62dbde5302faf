// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packed virtqueues, device side (virtq.h).  One ring of 16-byte
 * descriptors: the driver marks a descriptor available by setting its
 * AVAIL flag to the driver's wrap counter and USED to the opposite; we
 * mark one used by setting both to ours.  A buffer is a run of
 * descriptors joined by NEXT, or a single descriptor naming an indirect
 * table; its buffer ID is in its last descriptor.  We write one used
 * descriptor per buffer, at our used position, and move that position on
 * by as many slots as the buffer took, wherever the buffer itself was.
 *
 * As for split rings, every descriptor is copied out of guest memory
 * before it is checked, and the driver is not trusted: a buffer ID past
 * the queue size or already in use, a chain longer than the queue, a
 * bad indirect table or a buffer outside guest memory stops the queue.
 *
 * We always want to hear of new buffers, so our event word stays at
 * ENABLE; the driver's word says when it wants used buffers signalled.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtq.h"

#define PDESC_SIZE	sizeof(struct vring_packed_desc)
#define F_AVAIL		(1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED		(1u << VRING_PACKED_DESC_F_USED)
#define WRAP_BIT	(1u << VRING_PACKED_EVENT_F_WRAP_CTR)

static uint16_t load16(const uint16_t *p, int order)
{
	return le16toh(__atomic_load_n(p, order));
}

static void store16(uint16_t *p, uint16_t v, int order)
{
	__atomic_store_n(p, htole16(v), order);
}

int virtq_packed_enable(struct virtq *vq)
{
	uint16_t n = vq->size;

	if (n == 0 || n > vq->max_size)
		return virtq_refuse(vq, "the queue size is 0 or above the maximum");
	if ((vq->desc_addr & 15) || (vq->avail_addr & 3) || (vq->used_addr & 3))
		return virtq_refuse(vq, "a ring address is misaligned");
	vq->ring = vq->mem->map(vq->mem, vq->desc_addr, (uint64_t)n * PDESC_SIZE);
	vq->driver_event = vq->mem->map(vq->mem, vq->avail_addr,
					sizeof(*vq->driver_event));
	vq->device_event = vq->mem->map(vq->mem, vq->used_addr,
					sizeof(*vq->device_event));
	if (!vq->ring || !vq->driver_event || !vq->device_event)
		return virtq_refuse(vq, "a ring lies outside guest memory");
	vq->last_avail = vq->used_idx = 0;
	vq->avail_wrap = vq->used_wrap = true;
	memset(vq->id_slots, 0, sizeof(vq->id_slots));
	vq->signalled_valid = false;
	vq->error = NULL;
	store16(&vq->device_event->off_wrap, 0, __ATOMIC_RELAXED);
	store16(&vq->device_event->flags, VRING_PACKED_EVENT_FLAG_ENABLE,
		__ATOMIC_RELEASE);
	vq->ready = true;
	return 0;
}

/* The buffers of the indirect table that d names, appended to c. */
static int packed_indirect(struct virtq *vq, const struct vring_packed_desc *d,
			   struct virtq_chain *c)
{
	uint32_t len = le32toh(d->len);
	const struct vring_packed_desc *table;

	if (!vq->indirect)
		return virtq_fail(vq, "an indirect descriptor, which was not negotiated");
	if (len == 0 || len % PDESC_SIZE || len / PDESC_SIZE > vq->size)
		return virtq_fail(vq, "an indirect table of bad length");
	table = vq->mem->map(vq->mem, le64toh(d->addr), len);
	if (!table)
		return virtq_fail(vq, "an indirect table outside guest memory");
	/* Only WRITE counts in a table entry: no NEXT, no nested tables. */
	for (uint32_t i = 0; i < len / PDESC_SIZE; i++) {
		struct vring_packed_desc e;
		int r;

		memcpy(&e, &table[i], sizeof(e));
		r = virtq_add_buffer(vq, c, le64toh(e.addr), le32toh(e.len),
				     le16toh(e.flags) & VRING_DESC_F_WRITE);
		if (r)
			return r;
	}
	return 0;
}

static bool is_available(uint16_t flags, bool wrap)
{
	return !!(flags & F_AVAIL) == wrap && !!(flags & F_USED) != wrap;
}

int virtq_packed_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t pos = vq->last_avail, flags, id;
	bool wrap = vq->avail_wrap;
	unsigned int slots = 0;
	struct vring_packed_desc d;

	/* The first descriptor's flags are written last: acquire them. */
	flags = load16(&vq->ring[pos].flags, __ATOMIC_ACQUIRE);
	if (!is_available(flags, wrap))
		return 0;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		int r;

		memcpy(&d, &vq->ring[pos], sizeof(d));
		if (slots)
			flags = le16toh(d.flags);
		if (++slots > vq->size)
			return virtq_fail(vq, "a descriptor chain longer than the queue");
		if (++pos == vq->size) {
			pos = 0;
			wrap = !wrap;
		}
		if (flags & VRING_DESC_F_INDIRECT) {
			if (slots > 1 || (flags & VRING_DESC_F_NEXT))
				return virtq_fail(vq, "an indirect descriptor in a chain");
			r = packed_indirect(vq, &d, c);
		} else {
			r = virtq_add_buffer(vq, c, le64toh(d.addr),
					     le32toh(d.len),
					     flags & VRING_DESC_F_WRITE);
		}
		if (r)
			return r;
		if (!(flags & VRING_DESC_F_NEXT) || (flags & VRING_DESC_F_INDIRECT))
			break;
	}
	id = le16toh(d.id);
	if (id >= vq->size)
		return virtq_fail(vq, "a buffer ID past the queue size");
	if (vq->id_slots[id])
		return virtq_fail(vq, "a buffer ID that is already in use");
	vq->id_slots[id] = slots;
	c->head = id;
	c->slots = (uint16_t)slots;
	vq->last_avail = pos;
	vq->avail_wrap = wrap;
	return 1;
}

/* Writes one used descriptor at ring position pos of lap `wrap`. */
static void write_used(struct virtq *vq, uint16_t pos, bool wrap,
		       const struct virtq_used *u)
{
	struct vring_packed_desc *d = &vq->ring[pos];
	uint16_t flags = wrap ? F_AVAIL | F_USED : 0;

	if (u->len)
		flags |= VRING_DESC_F_WRITE;
	__atomic_store_n(&d->id, htole16(u->head), __ATOMIC_RELAXED);
	__atomic_store_n(&d->len, htole32(u->len), __ATOMIC_RELAXED);
	/* The driver reads id and len once it sees the flags. */
	store16(&d->flags, flags, __ATOMIC_RELEASE);
}

/*
 * The driver takes used descriptors in ring order, so the first of a
 * batch is written last: once it is visible, so are the others.
 */
int virtq_packed_push_many(struct virtq *vq, const struct virtq_used *u,
			   unsigned int n)
{
	uint16_t pos[VIRTQ_MAX_SIZE], slots[VIRTQ_MAX_SIZE];
	bool wrap[VIRTQ_MAX_SIZE];
	uint16_t at = vq->used_idx;
	bool w = vq->used_wrap;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint16_t id = u[i].head;

		/* Not a buffer we hold, or the same one twice. */
		if (id >= vq->size || !vq->id_slots[id])
			break;
		slots[i] = vq->id_slots[id];
		vq->id_slots[id] = 0;
		pos[i] = at;
		wrap[i] = w;
		at += slots[i];
		if (at >= vq->size) {
			at -= vq->size;
			w = !w;
		}
	}
	if (i < n) {
		while (i--)
			vq->id_slots[u[i].head] = slots[i];
		return -EINVAL;
	}
	for (i = n; i-- > 0;)
		write_used(vq, pos[i], wrap[i], &u[i]);
	vq->used_idx = at;
	vq->used_wrap = w;
	return 0;
}

/* A ring position with its wrap counter, counted over two laps. */
static uint32_t two_laps(const struct virtq *vq, uint32_t pos, bool wrap)
{
	return (pos % vq->size) + (wrap ? vq->size : 0);
}

bool virtq_packed_should_notify(struct virtq *vq)
{
	uint32_t laps = 2u * vq->size, old = vq->signalled_used, now, event;
	bool valid = vq->signalled_valid;
	uint16_t flags, off_wrap;

	/* Our used descriptors must be visible before we read its word. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = load16(&vq->driver_event->flags, __ATOMIC_RELAXED);
	now = two_laps(vq, vq->used_idx, vq->used_wrap);
	vq->signalled_used = (uint16_t)now;
	vq->signalled_valid = true;
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx || !valid)
		return true;
	/*
	 * Signal if the slot the driver named is among those we moved past
	 * since the last decision: [old, now), over two laps.
	 */
	off_wrap = load16(&vq->driver_event->off_wrap, __ATOMIC_RELAXED);
	event = two_laps(vq, off_wrap & ~WRAP_BIT, off_wrap & WRAP_BIT);
	return (event + laps - old) % laps < (now + laps - old) % laps;
}
