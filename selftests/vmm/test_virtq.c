// SPDX-License-Identifier: GPL-2.0-only
/*
 * The split virtqueue against well-formed and hostile rings: a table of
 * rings a driver could write, each with what virtq_pop() must answer,
 * then queue enabling, the used ring and notification suppression.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "virtq_fixture.h"

#define N	VRING_DESC_F_NEXT
#define W	VRING_DESC_F_WRITE
#define I	VRING_DESC_F_INDIRECT
#define QSIZE	8

struct ring_case {
	const char *name;
	void (*setup)(struct fx *f);
	bool indirect;		/* VIRTIO_RING_F_INDIRECT_DESC agreed */
	int expect;		/* virtq_pop()'s answer */
	unsigned int n_out, n_in;
	uint64_t out_len, in_len;
};

static void ring_two_buffers(struct fx *f)
{
	fx_desc(f, 0, FX_DATA, 16, N, 1);
	fx_desc(f, 1, FX_DATA + 0x100, 512, W, 0);
	fx_avail(f, 0);
}

static void ring_empty(struct fx *f)
{
	(void)f;
}

static void ring_loop(struct fx *f)
{
	fx_desc(f, 0, FX_DATA, 16, N, 1);
	fx_desc(f, 1, FX_DATA, 16, N, 0);
	fx_avail(f, 0);
}

static void ring_self_loop(struct fx *f)
{
	fx_desc(f, 3, FX_DATA, 16, N, 3);
	fx_avail(f, 3);
}

static void ring_addr_outside(struct fx *f)
{
	fx_desc(f, 0, FX_MEM_SIZE, 16, 0, 0);
	fx_avail(f, 0);
}

static void ring_addr_len_overflow(struct fx *f)
{
	fx_desc(f, 0, 0xfffffffffffff000ull, 0x2000, 0, 0);
	fx_avail(f, 0);
}

static void ring_end_of_memory(struct fx *f)
{
	fx_desc(f, 0, FX_MEM_SIZE - 16, 16, 0, 0);
	fx_avail(f, 0);
}

static void ring_one_past_end(struct fx *f)
{
	fx_desc(f, 0, FX_MEM_SIZE - 16, 17, 0, 0);
	fx_avail(f, 0);
}

static void ring_zero_length(struct fx *f)
{
	fx_desc(f, 0, FX_DATA, 0, W, 0);
	fx_avail(f, 0);
}

static void ring_huge_length(struct fx *f)
{
	fx_desc(f, 0, FX_DATA, 0xffffffffu, W, 0);
	fx_avail(f, 0);
}

static void ring_next_out_of_range(struct fx *f)
{
	fx_desc(f, 0, FX_DATA, 16, N, QSIZE);
	fx_avail(f, 0);
}

static void ring_head_out_of_range(struct fx *f)
{
	fx_avail(f, QSIZE + 5);
}

static void ring_avail_too_far(struct fx *f)
{
	ring_two_buffers(f);
	f->avail_idx = QSIZE + 1;
	fx_put16(f, FX_AVAIL + 2, f->avail_idx);
}

static void ring_readable_after_writable(struct fx *f)
{
	fx_desc(f, 0, FX_DATA, 16, W | N, 1);
	fx_desc(f, 1, FX_DATA, 16, 0, 0);
	fx_avail(f, 0);
}

static void ring_full_length_chain(struct fx *f)
{
	for (unsigned int i = 0; i < QSIZE; i++)
		fx_desc(f, i, FX_DATA + 64 * i, 64, i + 1 < QSIZE ? N : 0, i + 1);
	fx_avail(f, 0);
}

static void ring_indirect(struct fx *f)
{
	fx_desc_at(f, FX_INDIRECT, 0, FX_DATA, 16, N, 1);
	fx_desc_at(f, FX_INDIRECT, 1, FX_DATA + 0x100, 100, N, 2);
	fx_desc_at(f, FX_INDIRECT, 2, FX_DATA + 0x200, 1, W, 0);
	fx_desc(f, 0, FX_INDIRECT, 3 * 16, I, 0);
	fx_avail(f, 0);
}

static void ring_direct_then_indirect(struct fx *f)
{
	fx_desc_at(f, FX_INDIRECT, 0, FX_DATA + 0x200, 8, W, 0);
	fx_desc(f, 0, FX_DATA, 16, N, 1);
	fx_desc(f, 1, FX_INDIRECT, 16, I, 0);
	fx_avail(f, 0);
}

static void ring_indirect_in_indirect(struct fx *f)
{
	fx_desc_at(f, FX_INDIRECT, 0, FX_INDIRECT + 0x100, 16, I, 0);
	fx_desc_at(f, FX_INDIRECT + 0x100, 0, FX_DATA, 16, 0, 0);
	fx_desc(f, 0, FX_INDIRECT, 16, I, 0);
	fx_avail(f, 0);
}

static void ring_indirect_odd_length(struct fx *f)
{
	fx_desc(f, 0, FX_INDIRECT, 24, I, 0);
	fx_avail(f, 0);
}

static void ring_indirect_zero_length(struct fx *f)
{
	fx_desc(f, 0, FX_INDIRECT, 0, I, 0);
	fx_avail(f, 0);
}

static void ring_indirect_too_long(struct fx *f)
{
	for (unsigned int i = 0; i <= QSIZE; i++)
		fx_desc_at(f, FX_INDIRECT, i, FX_DATA, 4, i < QSIZE ? N : 0, i + 1);
	fx_desc(f, 0, FX_INDIRECT, (QSIZE + 1) * 16, I, 0);
	fx_avail(f, 0);
}

static void ring_indirect_with_next(struct fx *f)
{
	fx_desc_at(f, FX_INDIRECT, 0, FX_DATA, 16, 0, 0);
	fx_desc(f, 0, FX_INDIRECT, 16, I | N, 1);
	fx_desc(f, 1, FX_DATA, 16, 0, 0);
	fx_avail(f, 0);
}

static void ring_indirect_outside(struct fx *f)
{
	fx_desc(f, 0, FX_MEM_SIZE - 16, 32, I, 0);
	fx_avail(f, 0);
}

static void ring_indirect_loop(struct fx *f)
{
	fx_desc_at(f, FX_INDIRECT, 0, FX_DATA, 16, N, 1);
	fx_desc_at(f, FX_INDIRECT, 1, FX_DATA, 16, N, 0);
	fx_desc(f, 0, FX_INDIRECT, 32, I, 0);
	fx_avail(f, 0);
}

static void ring_indirect_next_past_table(struct fx *f)
{
	fx_desc_at(f, FX_INDIRECT, 0, FX_DATA, 16, N, 2);
	fx_desc(f, 0, FX_INDIRECT, 32, I, 0);
	fx_avail(f, 0);
}

static const struct ring_case ring_cases[] = {
	{ "a readable and a writable buffer", ring_two_buffers, false, 1, 1, 1, 16, 512 },
	{ "an empty ring", ring_empty, false, 0, 0, 0, 0, 0 },
	{ "a two-descriptor loop", ring_loop, false, -EIO, 0, 0, 0, 0 },
	{ "a descriptor that chains to itself", ring_self_loop, false, -EIO, 0, 0, 0, 0 },
	{ "an address past guest memory", ring_addr_outside, false, -EIO, 0, 0, 0, 0 },
	{ "addr + len overflowing 64 bits", ring_addr_len_overflow, false, -EIO, 0, 0, 0, 0 },
	{ "a buffer ending at the end of memory", ring_end_of_memory, false, 1, 1, 0, 16, 0 },
	{ "a buffer one byte past the end of memory", ring_one_past_end, false, -EIO, 0, 0, 0, 0 },
	{ "a zero-length buffer", ring_zero_length, false, 1, 0, 1, 0, 0 },
	{ "a 4 GiB - 1 length", ring_huge_length, false, -EIO, 0, 0, 0, 0 },
	{ "a next index past the table", ring_next_out_of_range, false, -EIO, 0, 0, 0, 0 },
	{ "an available head past the table", ring_head_out_of_range, false, -EIO, 0, 0, 0, 0 },
	{ "the available index more than the size ahead", ring_avail_too_far, false, -EIO, 0, 0, 0, 0 },
	{ "a readable buffer after a writable one", ring_readable_after_writable, false, -EIO, 0, 0, 0, 0 },
	{ "a chain exactly as long as the queue", ring_full_length_chain, false, 1, QSIZE, 0, 64 * QSIZE, 0 },
	{ "an indirect table", ring_indirect, true, 1, 2, 1, 116, 1 },
	{ "direct buffers then an indirect table", ring_direct_then_indirect, true, 1, 1, 1, 16, 8 },
	{ "an indirect table not negotiated", ring_indirect, false, -EIO, 0, 0, 0, 0 },
	{ "an indirect table inside an indirect table", ring_indirect_in_indirect, true, -EIO, 0, 0, 0, 0 },
	{ "an indirect table of 24 bytes", ring_indirect_odd_length, true, -EIO, 0, 0, 0, 0 },
	{ "an indirect table of 0 bytes", ring_indirect_zero_length, true, -EIO, 0, 0, 0, 0 },
	{ "an indirect table longer than the queue", ring_indirect_too_long, true, -EIO, 0, 0, 0, 0 },
	{ "an indirect descriptor with NEXT", ring_indirect_with_next, true, -EIO, 0, 0, 0, 0 },
	{ "an indirect table past guest memory", ring_indirect_outside, true, -EIO, 0, 0, 0, 0 },
	{ "a loop inside an indirect table", ring_indirect_loop, true, -EIO, 0, 0, 0, 0 },
	{ "a next index past an indirect table", ring_indirect_next_past_table, true, -EIO, 0, 0, 0, 0 },
};

static void test_ring_cases(void)
{
	static struct virtq_chain chain;

	for (size_t i = 0; i < sizeof(ring_cases) / sizeof(ring_cases[0]); i++) {
		const struct ring_case *c = &ring_cases[i];
		struct virtq vq;
		struct fx f;
		int enabled, r, again;
		bool ok;

		fx_init(&f, QSIZE);
		virtq_init(&vq, &f.gm, QSIZE);
		fx_place(&f, &vq);
		enabled = virtq_enable(&vq, false, c->indirect, false);
		c->setup(&f);
		r = virtq_pop(&vq, &chain);
		ok = enabled == 0 && r == c->expect;
		if (r == 1)
			ok = ok && chain.n_out == c->n_out && chain.n_in == c->n_in &&
			     chain.out_len == c->out_len && chain.in_len == c->in_len;
		if (r < 0) {
			/* Broken for good: the error stays and is named. */
			again = virtq_pop(&vq, &chain);
			ok = ok && again == -EIO && vq.error && *vq.error;
		}
		if (!unit_case(ok, "virtq: %s", c->name))
			unit_diag("pop %d (want %d), out %u/%llu in %u/%llu, error %s",
				  r, c->expect, chain.n_out,
				  (unsigned long long)chain.out_len, chain.n_in,
				  (unsigned long long)chain.in_len,
				  vq.error ? vq.error : "none");
		fx_destroy(&f);
	}
}

struct enable_case {
	const char *name;
	uint16_t size;
	uint64_t desc, avail, used;
	int expect;
};

static const struct enable_case enable_cases[] = {
	{ "size 8 at the fixture's rings", 8, FX_DESC, FX_AVAIL, FX_USED, 0 },
	{ "size 3, not a power of two", 3, FX_DESC, FX_AVAIL, FX_USED, -EINVAL },
	{ "size 0", 0, FX_DESC, FX_AVAIL, FX_USED, -EINVAL },
	{ "size above the maximum", 32, FX_DESC, FX_AVAIL, FX_USED, -EINVAL },
	{ "misaligned descriptor table", 8, FX_DESC + 8, FX_AVAIL, FX_USED, -EINVAL },
	{ "misaligned used ring", 8, FX_DESC, FX_AVAIL, FX_USED + 2, -EINVAL },
	{ "used ring outside memory", 8, FX_DESC, FX_AVAIL, FX_MEM_SIZE - 8, -EINVAL },
	{ "available ring outside memory", 8, FX_DESC, 1ull << 40, FX_USED, -EINVAL },
	{ "descriptor table straddling the end", 8, FX_MEM_SIZE - 64, FX_AVAIL, FX_USED, -EINVAL },
};

static void test_enable_cases(void)
{
	for (size_t i = 0; i < sizeof(enable_cases) / sizeof(enable_cases[0]); i++) {
		const struct enable_case *c = &enable_cases[i];
		struct virtq vq;
		struct fx f;
		int r;

		fx_init(&f, 8);
		virtq_init(&vq, &f.gm, 16);
		vq.size = c->size;
		vq.desc_addr = c->desc;
		vq.avail_addr = c->avail;
		vq.used_addr = c->used;
		r = virtq_enable(&vq, false, false, false);
		unit_case(r == c->expect && vq.ready == (r == 0) &&
				  (r == 0 || vq.error),
			  "virtq: enable with %s", c->name);
		fx_destroy(&f);
	}
}

static void test_used_ring(void)
{
	static struct virtq_chain chain;
	struct virtq vq;
	uint32_t len, id;
	struct fx f;

	fx_init(&f, QSIZE);
	virtq_init(&vq, &f.gm, QSIZE);
	fx_place(&f, &vq);
	virtq_enable(&vq, false, false, false);
	ring_two_buffers(&f);
	virtq_pop(&vq, &chain);
	unit_case(virtq_push(&vq, chain.head, 77) == 0 && fx_used_idx(&f) == 1 &&
			  (id = fx_used(&f, 0, &len)) == 0 && len == 77,
		  "virtq: push writes the element, then the index");
	unit_case(virtq_should_notify(&vq), "virtq: interrupt wanted by default");
	fx_put16(&f, FX_AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	unit_case(!virtq_should_notify(&vq), "virtq: NO_INTERRUPT suppresses it");
	for (unsigned int i = 0; i < QSIZE + 3; i++)
		virtq_push(&vq, 1, 0);
	unit_case(fx_used_idx(&f) == QSIZE + 4 && (fx_used(&f, 4, &len), len == 0),
		  "virtq: the used ring wraps, the index runs on");
	{
		struct virtq_used u[3] = { { 5, 10 }, { 6, 20 }, { 7, 30 } };
		uint32_t l0, l2;

		/* Used index QSIZE + 4: the three go to slots 4, 5 and 6. */
		unit_case(virtq_push_many(&vq, u, 3) == 0 &&
				  fx_used_idx(&f) == QSIZE + 7 &&
				  fx_used(&f, 4, &l0) == 5 && l0 == 10 &&
				  fx_used(&f, 6, &l2) == 7 && l2 == 30,
			  "virtq: push_many writes the elements in order, then one index");
		unit_case(virtq_push_many(&vq, u, QSIZE + 1) == -EINVAL &&
				  fx_used_idx(&f) == QSIZE + 7,
			  "virtq: push_many of more than the queue size is refused whole");
	}
	virtq_reset(&vq);
	unit_case(!vq.ready && vq.size == QSIZE && vq.desc_addr == 0 &&
			  virtq_push(&vq, 0, 0) == -EIO &&
			  virtq_pop(&vq, &chain) == 0,
		  "virtq: reset disables the queue and forgets the rings");
	fx_destroy(&f);
}

static void test_event_idx(void)
{
	static struct virtq_chain chain;
	struct virtq vq;
	struct fx f;
	uint64_t used_event = FX_AVAIL + 4 + 2 * QSIZE;
	uint64_t avail_event = FX_USED + 4 + 8 * QSIZE;

	fx_init(&f, QSIZE);
	virtq_init(&vq, &f.gm, QSIZE);
	fx_place(&f, &vq);
	virtq_enable(&vq, true, false, false);
	ring_two_buffers(&f);
	fx_avail(&f, 0);
	unit_case(virtq_pop(&vq, &chain) == 1 && virtq_pop(&vq, &chain) == 1 &&
			  virtq_pop(&vq, &chain) == 0 &&
			  fx_get16(&f, avail_event) == 2,
		  "virtq: an empty ring asks to be notified at the next entry");
	virtq_push(&vq, 0, 1);
	unit_case(virtq_should_notify(&vq), "virtq: the first used entry interrupts");
	fx_put16(&f, used_event, 5);
	virtq_push(&vq, 0, 1);
	unit_case(!virtq_should_notify(&vq),
		  "virtq: no interrupt before the driver's used event");
	for (int i = 0; i < 4; i++)
		virtq_push(&vq, 0, 1);
	unit_case(virtq_should_notify(&vq),
		  "virtq: an interrupt once the used index passes the event");
	unit_case(!virtq_should_notify(&vq),
		  "virtq: no second interrupt without new entries");
	fx_destroy(&f);
}

static void test_iov_helpers(void)
{
	uint8_t a[4] = { 1, 2, 3, 4 }, b[3] = { 5, 6, 7 }, out[8] = { 0 };
	struct iovec iov[2] = { { a, 4 }, { b, 3 } }, slice[2];
	unsigned int n;

	unit_case(iov_copy_from(iov, 2, 3, out, 8) == 4 && out[0] == 4 &&
			  out[3] == 7,
		  "virtq: copy from iovecs across a boundary");
	n = iov_slice(iov, 2, 2, 3, slice, 2);
	unit_case(n == 2 && slice[0].iov_len == 2 && slice[1].iov_len == 1 &&
			  *(uint8_t *)slice[1].iov_base == 5,
		  "virtq: a slice of iovecs");
	unit_case(iov_copy_to(iov, 2, 6, out, 5) == 1 && b[2] == 4,
		  "virtq: copy to iovecs stops at their end");
}

void test_virtq(void)
{
	test_ring_cases();
	test_enable_cases();
	test_used_ring();
	test_event_idx();
	test_iov_helpers();
}
