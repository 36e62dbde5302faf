// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueues, device side (virtq.h).  Every descriptor is copied
 * out of guest memory once and only the copy is checked and used, so a
 * driver that rewrites a descriptor while we look at it gains nothing.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtq.h"

#define DESC_SIZE sizeof(struct vring_desc)

/* Ring sizes in bytes for a queue of n entries, with the event fields. */
static uint64_t desc_bytes(uint16_t n)
{
	return (uint64_t)n * DESC_SIZE;
}

static uint64_t avail_bytes(uint16_t n)
{
	return 4 + 2ull * n + 2;
}

static uint64_t used_bytes(uint16_t n)
{
	return 4 + (uint64_t)n * sizeof(struct vring_used_elem) + 2;
}

void virtq_init(struct virtq *vq, struct guest_mem *mem, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->max_size = max_size;
	virtq_reset(vq);
}

void virtq_reset(struct virtq *vq)
{
	struct guest_mem *mem = vq->mem;
	uint16_t max = vq->max_size;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->max_size = max;
	vq->size = max;
}

int virtq_fail(struct virtq *vq, const char *why)
{
	if (!vq->error)
		vq->error = why;
	return -EIO;
}

int virtq_refuse(struct virtq *vq, const char *why)
{
	virtq_fail(vq, why);
	return -EINVAL;
}

int virtq_enable(struct virtq *vq, bool event_idx, bool indirect,
		 bool packed)
{
	uint16_t n = vq->size;

	vq->ready = false;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->packed = packed;
	if (packed)
		return virtq_packed_enable(vq);
	if (n == 0 || n > vq->max_size || (n & (n - 1)))
		return virtq_refuse(vq, "the queue size is not a power of two up to the maximum");
	if ((vq->desc_addr & 15) || (vq->avail_addr & 1) || (vq->used_addr & 3))
		return virtq_refuse(vq, "a ring address is misaligned");
	vq->desc = vq->mem->map(vq->mem, vq->desc_addr, desc_bytes(n));
	vq->avail = vq->mem->map(vq->mem, vq->avail_addr, avail_bytes(n));
	vq->used = vq->mem->map(vq->mem, vq->used_addr, used_bytes(n));
	if (!vq->desc || !vq->avail || !vq->used)
		return virtq_refuse(vq, "a ring lies outside guest memory");
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->error = NULL;
	vq->ready = true;
	return 0;
}

static uint16_t load_le16(const void *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static void store_le16(void *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)p, htole16(v), order);
}

/* used->ring[size] is the avail event: notify me past this index. */
static void *avail_event(struct virtq *vq)
{
	return &vq->used->ring[vq->size];
}

/* avail->ring[size] is the used event: interrupt me past this index. */
static void *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

/* The driver's available index, once it is ahead of last_avail. */
static int virtq_avail_ahead(struct virtq *vq, uint16_t *idx)
{
	*idx = load_le16(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (*idx == vq->last_avail && vq->event_idx) {
		/* Ask for a notification, then look once more. */
		store_le16(avail_event(vq), vq->last_avail, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		*idx = load_le16(&vq->avail->idx, __ATOMIC_ACQUIRE);
	}
	return *idx != vq->last_avail;
}

struct chain_walk {
	const struct vring_desc *table;
	uint32_t table_len;		/* entries */
	bool in_indirect;
};

/* Switches the walk to the indirect table that d describes. */
static int walk_enter_indirect(struct virtq *vq, struct chain_walk *w,
			       const struct vring_desc *d, uint16_t flags)
{
	uint32_t len = le32toh(d->len);

	if (!vq->indirect)
		return virtq_fail(vq, "an indirect descriptor, which was not negotiated");
	if (w->in_indirect)
		return virtq_fail(vq, "an indirect table inside an indirect table");
	if (flags & VRING_DESC_F_NEXT)
		return virtq_fail(vq, "an indirect descriptor with the NEXT flag");
	if (len == 0 || len % DESC_SIZE || len / DESC_SIZE > vq->size)
		return virtq_fail(vq, "an indirect table of bad length");
	w->table = vq->mem->map(vq->mem, le64toh(d->addr), len);
	if (!w->table)
		return virtq_fail(vq, "an indirect table outside guest memory");
	w->table_len = len / DESC_SIZE;
	w->in_indirect = true;
	return 0;
}

int virtq_add_buffer(struct virtq *vq, struct virtq_chain *c, uint64_t addr,
		     uint32_t len, bool writable)
{
	unsigned int count = c->n_out + c->n_in;
	void *host;

	if (count >= vq->size)
		return virtq_fail(vq, "a descriptor chain longer than the queue (a loop?)");
	host = vq->mem->map(vq->mem, addr, len);
	if (!host)
		return virtq_fail(vq, "a buffer outside guest memory");
	if (writable) {
		c->n_in++;
		c->in_len += len;
	} else {
		if (c->n_in)
			return virtq_fail(vq, "a device-readable buffer after a writable one");
		c->n_out++;
		c->out_len += len;
	}
	c->iov[count] = (struct iovec){ .iov_base = host, .iov_len = len };
	return 0;
}

static int virtq_walk_chain(struct virtq *vq, uint16_t head,
			    struct virtq_chain *c)
{
	struct chain_walk w = { .table = vq->desc, .table_len = vq->size };
	uint32_t i = head;

	c->head = head;
	c->slots = 0;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		struct vring_desc d;
		uint16_t flags;
		int r;

		if (i >= w.table_len)
			return virtq_fail(vq, "a descriptor index past the table");
		if (!w.in_indirect)
			c->slots++;
		memcpy(&d, &w.table[i], sizeof(d));
		flags = le16toh(d.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			r = walk_enter_indirect(vq, &w, &d, flags);
			i = 0;
		} else {
			r = virtq_add_buffer(vq, c, le64toh(d.addr),
					     le32toh(d.len),
					     flags & VRING_DESC_F_WRITE);
			if (!(flags & VRING_DESC_F_NEXT))
				return r;
			i = le16toh(d.next);
		}
		if (r)
			return r;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t avail_idx, head;
	int r;

	if (vq->error)
		return -EIO;
	if (vq->ready && vq->packed)
		return virtq_packed_pop(vq, chain);
	if (!vq->ready || !virtq_avail_ahead(vq, &avail_idx))
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return virtq_fail(vq, "the available index ran more than the queue size ahead");
	head = load_le16(&vq->avail->ring[vq->last_avail & (vq->size - 1)],
			 __ATOMIC_RELAXED);
	if (head >= vq->size)
		return virtq_fail(vq, "an available entry past the descriptor table");
	r = virtq_walk_chain(vq, head, chain);
	if (r)
		return r;
	vq->last_avail++;
	return 1;
}

int virtq_push_many(struct virtq *vq, const struct virtq_used *u,
		    unsigned int n)
{
	if (!vq->ready || vq->error)
		return -EIO;
	if (n > vq->size)
		return -EINVAL;
	if (vq->packed)
		return virtq_packed_push_many(vq, u, n);
	for (unsigned int i = 0; i < n; i++) {
		struct vring_used_elem *e =
			&vq->used->ring[(uint16_t)(vq->used_idx + i) & (vq->size - 1)];

		__atomic_store_n(&e->id, htole32(u[i].head), __ATOMIC_RELAXED);
		__atomic_store_n(&e->len, htole32(u[i].len), __ATOMIC_RELAXED);
	}
	/* One index update publishes the lot. */
	vq->used_idx += (uint16_t)n;
	store_le16(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	return 0;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct virtq_used u = { .head = head, .len = len };

	return virtq_push_many(vq, &u, 1);
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;
	bool valid = vq->signalled_valid;

	if (!vq->ready)
		return false;
	if (vq->packed)
		return virtq_packed_should_notify(vq);
	/* Our used index must be visible before we read the driver's flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load_le16(&vq->avail->flags, __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = now;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	return vring_need_event(load_le16(used_event(vq), __ATOMIC_RELAXED),
				now, old);
}

/* Copies between buf and the bytes of iov from skip on. */
static size_t iov_copy(const struct iovec *iov, unsigned int cnt, size_t skip,
		       uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < cnt && done < len; i++) {
		uint8_t *base = iov[i].iov_base;
		size_t n;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - skip;
		if (n > len - done)
			n = len - done;
		if (to_iov)
			memcpy(base + skip, buf + done, n);
		else
			memcpy(buf + done, base + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

size_t iov_copy_from(const struct iovec *iov, unsigned int cnt, size_t skip,
		     void *buf, size_t len)
{
	return iov_copy(iov, cnt, skip, buf, len, false);
}

size_t iov_copy_to(const struct iovec *iov, unsigned int cnt, size_t skip,
		   const void *buf, size_t len)
{
	return iov_copy(iov, cnt, skip, (uint8_t *)buf, len, true);
}

void iov_advance(struct iovec **iov, unsigned int *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

unsigned int iov_slice(const struct iovec *iov, unsigned int cnt, size_t skip,
		       size_t len, struct iovec *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < cnt && len && n < max; i++) {
		size_t part;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		part = iov[i].iov_len - skip;
		if (part > len)
			part = len;
		out[n++] = (struct iovec){
			.iov_base = (uint8_t *)iov[i].iov_base + skip,
			.iov_len = part,
		};
		len -= part;
		skip = 0;
	}
	return n;
}
