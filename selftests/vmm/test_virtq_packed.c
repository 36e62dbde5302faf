// SPDX-License-Identifier: GPL-2.0-only
/*
 * The packed virtqueue against well-formed and hostile rings: a table of
 * rings a driver could write, each with what virtq_pop() must answer,
 * then enabling, used descriptors and the wrap counters, and the
 * driver's event word.  The fixture's three ring addresses hold the
 * descriptor ring, the driver's event word and ours.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "virtq_fixture.h"

#define N	VRING_DESC_F_NEXT
#define W	VRING_DESC_F_WRITE
#define I	VRING_DESC_F_INDIRECT
#define QSIZE	8
#define F_AVAIL	(1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED	(1u << VRING_PACKED_DESC_F_USED)

/* Descriptor pos of the ring, made available for the driver's wrap. */
static void pk_desc(struct fx *f, unsigned int pos, uint64_t addr,
		    uint32_t len, uint16_t id, uint16_t flags, bool wrap)
{
	struct vring_packed_desc d = {
		.addr = addr, .len = len, .id = id,
		.flags = flags | (wrap ? F_AVAIL : F_USED),
	};

	memcpy(f->mem + FX_DESC + pos * sizeof(d), &d, sizeof(d));
}

/* Entry i of an indirect table at FX_INDIRECT. */
static void pk_indirect(struct fx *f, unsigned int i, uint64_t addr,
			uint32_t len, uint16_t flags)
{
	struct vring_packed_desc d = { .addr = addr, .len = len, .flags = flags };

	memcpy(f->mem + FX_INDIRECT + i * sizeof(d), &d, sizeof(d));
}

static struct vring_packed_desc pk_get(const struct fx *f, unsigned int pos)
{
	struct vring_packed_desc d;

	memcpy(&d, f->mem + FX_DESC + pos * sizeof(d), sizeof(d));
	return d;
}

/* Sets up q over the fixture; false if enabling failed. */
static bool pk_enable(struct fx *f, struct virtq *vq, bool event_idx,
		      bool indirect)
{
	fx_init(f, QSIZE);
	virtq_init(vq, &f->gm, QSIZE);
	fx_place(f, vq);
	return virtq_enable(vq, event_idx, indirect, true) == 0;
}

struct pk_case {
	const char *name;
	void (*setup)(struct fx *f);
	bool indirect;
	int expect;
	unsigned int n_out, n_in;
	uint64_t out_len, in_len;
	uint16_t id;
};

static void pk_two_in_chain(struct fx *f)
{
	pk_desc(f, 1, FX_DATA + 0x100, 512, 5, W, true);
	pk_desc(f, 0, FX_DATA, 16, 0, N, true);	/* the head goes last */
}

static void pk_nothing(struct fx *f)
{
	(void)f;
}

static void pk_used_looking(struct fx *f)
{
	pk_desc(f, 0, FX_DATA, 16, 0, F_AVAIL | F_USED, true);
}

static void pk_old_lap(struct fx *f)
{
	pk_desc(f, 0, FX_DATA, 16, 0, 0, false);
}

static void pk_endless_chain(struct fx *f)
{
	for (unsigned int i = 0; i < QSIZE; i++)
		pk_desc(f, i, FX_DATA, 16, 0, N, true);
}

static void pk_id_past_size(struct fx *f)
{
	pk_desc(f, 0, FX_DATA, 16, QSIZE, 0, true);
}

static void pk_outside(struct fx *f)
{
	pk_desc(f, 0, FX_MEM_SIZE - 8, 16, 0, 0, true);
}

static void pk_wrap_overflow(struct fx *f)
{
	pk_desc(f, 0, 0xfffffffffffff000ull, 0x2000, 0, 0, true);
}

static void pk_read_after_write(struct fx *f)
{
	pk_desc(f, 0, FX_DATA, 16, 0, W | N, true);
	pk_desc(f, 1, FX_DATA, 16, 0, 0, true);
}

static void pk_zero_len(struct fx *f)
{
	pk_desc(f, 0, FX_DATA, 0, 3, W, true);
}

static void pk_table_of_three(struct fx *f)
{
	pk_indirect(f, 0, FX_DATA, 16, 0);
	pk_indirect(f, 1, FX_DATA + 0x100, 100, W);
	pk_indirect(f, 2, FX_DATA + 0x200, 200, W | N);	/* NEXT: ignored */
	pk_desc(f, 0, FX_INDIRECT, 3 * 16, 7, I, true);
}

static void pk_table_in_table(struct fx *f)
{
	/* An INDIRECT flag inside a table is not followed: a plain buffer. */
	pk_indirect(f, 0, FX_INDIRECT, 16, I);
	pk_desc(f, 0, FX_INDIRECT, 16, 1, I, true);
}

static void pk_indirect_chained(struct fx *f)
{
	pk_indirect(f, 0, FX_DATA, 16, 0);
	pk_desc(f, 0, FX_INDIRECT, 16, 0, I | N, true);
	pk_desc(f, 1, FX_DATA, 16, 0, 0, true);
}

static void pk_indirect_empty(struct fx *f)
{
	pk_desc(f, 0, FX_INDIRECT, 0, 0, I, true);
}

static void pk_indirect_ragged(struct fx *f)
{
	pk_desc(f, 0, FX_INDIRECT, 17, 0, I, true);
}

static void pk_indirect_huge(struct fx *f)
{
	pk_desc(f, 0, FX_INDIRECT, (QSIZE + 1) * 16, 0, I, true);
}

static void pk_indirect_outside(struct fx *f)
{
	pk_desc(f, 0, FX_MEM_SIZE - 16, 32, 0, I, true);
}

static const struct pk_case pk_cases[] = {
	{ "packed: a readable and a writable descriptor, ID in the last",
	  pk_two_in_chain, false, 1, 1, 1, 16, 512, 5 },
	{ "packed: an empty ring", pk_nothing, false, 0, 0, 0, 0, 0, 0 },
	{ "packed: a descriptor marked used is not available",
	  pk_used_looking, false, 0, 0, 0, 0, 0, 0 },
	{ "packed: a descriptor of the other lap is not available",
	  pk_old_lap, false, 0, 0, 0, 0, 0, 0 },
	{ "packed: a chain running round the whole ring",
	  pk_endless_chain, false, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: a buffer ID past the queue size", pk_id_past_size, false, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: a buffer past the end of guest memory", pk_outside, false, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: address + length wrapping round", pk_wrap_overflow, false, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: a readable buffer after a writable one",
	  pk_read_after_write, false, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: a zero-length writable buffer", pk_zero_len, false, 1,
	  0, 1, 0, 0, 3 },
	{ "packed: an indirect table of three (NEXT inside ignored)",
	  pk_table_of_three, true, 1, 1, 2, 16, 300, 7 },
	{ "packed: an INDIRECT flag inside a table is not followed",
	  pk_table_in_table, true, 1, 1, 0, 16, 0, 1 },
	{ "packed: an indirect descriptor without the feature",
	  pk_table_of_three, false, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: an indirect descriptor with NEXT",
	  pk_indirect_chained, true, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: an indirect table of length 0", pk_indirect_empty, true, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: an indirect table of 17 bytes", pk_indirect_ragged, true, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: an indirect table longer than the queue",
	  pk_indirect_huge, true, -EIO, 0, 0, 0, 0, 0 },
	{ "packed: an indirect table past the end of guest memory",
	  pk_indirect_outside, true, -EIO, 0, 0, 0, 0, 0 },
};

static void test_packed_ring_cases(void)
{
	static struct virtq_chain chain;

	for (size_t i = 0; i < sizeof(pk_cases) / sizeof(pk_cases[0]); i++) {
		const struct pk_case *c = &pk_cases[i];
		struct virtq vq;
		struct fx f;
		bool ok = pk_enable(&f, &vq, false, c->indirect);
		int r;

		c->setup(&f);
		memset(&chain, 0, sizeof(chain));
		r = virtq_pop(&vq, &chain);
		ok = ok && r == c->expect;
		if (r == 1)
			ok = ok && chain.n_out == c->n_out && chain.n_in == c->n_in &&
			     chain.out_len == c->out_len &&
			     chain.in_len == c->in_len && chain.head == c->id;
		if (r < 0)
			ok = ok && virtq_pop(&vq, &chain) == -EIO && vq.error;
		if (!unit_case(ok, "virtq: %s", c->name))
			unit_diag("pop %d (want %d), out %u/%llu in %u/%llu, id %u, error %s",
				  r, c->expect, chain.n_out,
				  (unsigned long long)chain.out_len, chain.n_in,
				  (unsigned long long)chain.in_len, chain.head,
				  vq.error ? vq.error : "none");
		fx_destroy(&f);
	}
}

static void test_packed_enable(void)
{
	struct virtq vq;
	struct fx f;

	fx_init(&f, 3);
	virtq_init(&vq, &f.gm, QSIZE);
	fx_place(&f, &vq);
	fx_put16(&f, FX_USED + 2, 0xffff);
	unit_case(virtq_enable(&vq, false, false, true) == 0 &&
			  fx_get16(&f, FX_USED + 2) ==
				  VRING_PACKED_EVENT_FLAG_ENABLE,
		  "virtq: packed: size 3 is fine, our event word says ENABLE");
	vq.size = 0;
	unit_case(virtq_enable(&vq, false, false, true) == -EINVAL && !vq.ready,
		  "virtq: packed: size 0 is refused");
	vq.size = QSIZE + 1;
	unit_case(virtq_enable(&vq, false, false, true) == -EINVAL,
		  "virtq: packed: a size above the maximum is refused");
	vq.size = QSIZE;
	vq.desc_addr = FX_DESC + 8;
	unit_case(virtq_enable(&vq, false, false, true) == -EINVAL,
		  "virtq: packed: a misaligned descriptor ring is refused");
	vq.desc_addr = FX_DESC;
	vq.avail_addr = FX_AVAIL + 2;
	unit_case(virtq_enable(&vq, false, false, true) == -EINVAL,
		  "virtq: packed: a misaligned event word is refused");
	vq.avail_addr = FX_AVAIL;
	vq.desc_addr = FX_MEM_SIZE - 64;
	unit_case(virtq_enable(&vq, false, false, true) == -EINVAL,
		  "virtq: packed: a ring straddling the end of memory is refused");
	fx_destroy(&f);
}

static void test_packed_used(void)
{
	static struct virtq_chain a, b, c;
	struct vring_packed_desc u;
	struct virtq vq;
	struct fx f;
	bool ok = pk_enable(&f, &vq, false, false);

	/* Four buffers of two descriptors fill the ring of 8. */
	for (unsigned int i = 0; i < 4; i++) {
		pk_desc(&f, 2 * i + 1, FX_DATA + 0x100, 64, (uint16_t)i, W, true);
		pk_desc(&f, 2 * i, FX_DATA, 16, 0, N, true);
	}
	ok = ok && virtq_pop(&vq, &a) == 1 && virtq_pop(&vq, &b) == 1 &&
	     a.head == 0 && b.head == 1;
	unit_case(ok && virtq_push(&vq, 1, 0) == 0 &&
			  (u = pk_get(&f, 0)).id == 1 &&
			  u.flags == (F_AVAIL | F_USED),
		  "virtq: packed: the first used descriptor goes to slot 0, with ID and both flags");
	unit_case(virtq_push(&vq, 0, 9) == 0 && (u = pk_get(&f, 2)).id == 0 &&
			  u.len == 9 && u.flags == (F_AVAIL | F_USED | W),
		  "virtq: packed: the next one two slots on (its buffer took two), WRITE as it has a length");
	unit_case(virtq_push(&vq, 0, 0) == -EINVAL && virtq_push(&vq, 9, 0) == -EINVAL,
		  "virtq: packed: a push of an ID not held is refused");
	ok = virtq_pop(&vq, &a) == 1 && virtq_pop(&vq, &b) == 1 &&
	     virtq_pop(&vq, &c) == 0;
	/* The driver's second lap reuses slots 0 and 1 with ID 0. */
	pk_desc(&f, 1, FX_DATA + 0x100, 64, 0, W, false);
	pk_desc(&f, 0, FX_DATA, 16, 0, N, false);
	ok = ok && virtq_pop(&vq, &c) == 1 && c.head == 0 && c.n_in == 1;
	unit_case(ok, "virtq: packed: after the ring's end the other lap's descriptors are available");
	virtq_push(&vq, 2, 0);
	virtq_push(&vq, 3, 0);
	unit_case(virtq_push(&vq, 0, 5) == 0 && (u = pk_get(&f, 0)).id == 0 &&
			  u.flags == W,
		  "virtq: packed: used descriptors of the second lap carry wrap counter 0");
	pk_desc(&f, 2, FX_DATA, 16, 0, 0, false);
	pk_desc(&f, 3, FX_DATA, 16, 0, 0, false);
	unit_case(virtq_pop(&vq, &a) == 1 && virtq_pop(&vq, &b) == -EIO && vq.error,
		  "virtq: packed: a buffer ID already in use breaks the queue");
	fx_destroy(&f);
}

static void test_packed_notify(void)
{
	static struct virtq_chain chain;
	struct virtq vq;
	struct fx f;
	bool ok = pk_enable(&f, &vq, true, false);

	for (unsigned int i = 0; i < QSIZE; i++)
		pk_desc(&f, i, FX_DATA, 16, (uint16_t)i, W, true);
	for (unsigned int i = 0; i < QSIZE; i++)
		ok = ok && virtq_pop(&vq, &chain) == 1;
	virtq_push(&vq, 0, 1);
	unit_case(ok && virtq_should_notify(&vq),
		  "virtq: packed: ENABLE in the driver's word: interrupt");
	fx_put16(&f, FX_AVAIL + 2, VRING_PACKED_EVENT_FLAG_DISABLE);
	virtq_push(&vq, 1, 1);
	unit_case(!virtq_should_notify(&vq),
		  "virtq: packed: DISABLE: no interrupt");
	/* Slot 4 of this lap (wrap counter 1). */
	fx_put16(&f, FX_AVAIL, 4 | 1u << VRING_PACKED_EVENT_F_WRAP_CTR);
	fx_put16(&f, FX_AVAIL + 2, VRING_PACKED_EVENT_FLAG_DESC);
	virtq_push(&vq, 2, 1);
	unit_case(!virtq_should_notify(&vq),
		  "virtq: packed: DESC: no interrupt before the slot named");
	virtq_push(&vq, 3, 1);
	virtq_push(&vq, 4, 1);
	unit_case(virtq_should_notify(&vq),
		  "virtq: packed: DESC: an interrupt once the slot named is used");
	/* Slot 1 of the next lap (wrap counter 0): 4 more slots away. */
	fx_put16(&f, FX_AVAIL, 1);
	virtq_push(&vq, 5, 1);
	virtq_push(&vq, 6, 1);
	virtq_push(&vq, 7, 1);
	unit_case(!virtq_should_notify(&vq),
		  "virtq: packed: DESC on the next lap: not at the end of this one");
	pk_desc(&f, 0, FX_DATA, 16, 0, W, false);
	pk_desc(&f, 1, FX_DATA, 16, 1, W, false);
	virtq_pop(&vq, &chain);
	virtq_pop(&vq, &chain);
	virtq_push(&vq, 0, 1);
	virtq_push(&vq, 1, 1);
	unit_case(virtq_should_notify(&vq),
		  "virtq: packed: DESC on the next lap: an interrupt there");
	fx_destroy(&f);
}

/* Several buffers returned in one step (merged receive buffers). */
static void test_packed_push_many(void)
{
	static struct virtq_chain c;
	struct vring_packed_desc u0, u1;
	struct virtq vq;
	struct fx f;
	bool ok = pk_enable(&f, &vq, false, false);
	struct virtq_used bad[3] = { { 0, 1 }, { 7, 1 }, { 1, 1 } };
	struct virtq_used twice[2] = { { 0, 1 }, { 0, 1 } };
	struct virtq_used two[2] = { { 2, 0 }, { 3, 40 } };

	/* Buffers 0..3 in slots 0..3, one descriptor each. */
	for (unsigned int i = 0; i < 4; i++)
		pk_desc(&f, i, FX_DATA, 16, (uint16_t)i, W, true);
	for (unsigned int i = 0; i < 4; i++)
		ok = ok && virtq_pop(&vq, &c) == 1;
	unit_case(ok && virtq_push_many(&vq, bad, 3) == -EINVAL &&
			  virtq_push_many(&vq, twice, 2) == -EINVAL &&
			  (pk_get(&f, 0).flags & F_USED) == 0 && vq.used_idx == 0,
		  "virtq: packed: push_many with an ID not held, or one ID twice, writes nothing");
	ok = virtq_push(&vq, 0, 1) == 0 && virtq_push(&vq, 1, 1) == 0;
	unit_case(ok, "virtq: packed: the IDs of a refused push_many are still held");
	ok = virtq_push_many(&vq, two, 2) == 0;
	u0 = pk_get(&f, 2);
	u1 = pk_get(&f, 3);
	unit_case(ok && u0.id == 2 && u0.flags == (F_AVAIL | F_USED) &&
			  u1.id == 3 && u1.len == 40 &&
			  u1.flags == (F_AVAIL | F_USED | W) && vq.used_idx == 4,
		  "virtq: packed: push_many fills consecutive slots with the lap's flags");
	/* Across the ring's end: slots 4..7 this lap, then 0 of the next. */
	for (unsigned int i = 4; i < QSIZE; i++)
		pk_desc(&f, i, FX_DATA, 16, (uint16_t)i, W, true);
	pk_desc(&f, 0, FX_DATA, 16, 0, W, false);
	for (unsigned int i = 4; i <= QSIZE; i++)
		ok = ok && virtq_pop(&vq, &c) == 1;
	{
		struct virtq_used lap[5] = { { 4, 1 }, { 5, 1 }, { 6, 1 },
					     { 7, 1 }, { 0, 1 } };

		ok = ok && virtq_push_many(&vq, lap, 5) == 0;
		u0 = pk_get(&f, 7);
		u1 = pk_get(&f, 0);
		unit_case(ok && u0.id == 7 && (u0.flags & F_USED) &&
				  u1.id == 0 && (u1.flags & (F_AVAIL | F_USED)) == 0 &&
				  vq.used_idx == 1 && !vq.used_wrap,
			  "virtq: packed: push_many across the ring's end flips the wrap counter");
	}
	fx_destroy(&f);
}

void test_virtq_packed(void)
{
	test_packed_push_many();
	test_packed_ring_cases();
	test_packed_enable();
	test_packed_used();
	test_packed_notify();
}
