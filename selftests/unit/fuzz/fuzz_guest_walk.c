// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the guest page walker: fuzzed control registers,
 * address, access kind and page-table memory.  Guest memory is a heap
 * copy of exactly the fuzzed size, so a read outside it is caught by
 * ASan if the bounds check in read_gpa were wrong, and read_gpa itself
 * checks that the walker asks only for 4 or 8 bytes at most 4 times.
 *
 * Input: cr0, cr3, cr4, efer, gva (8 bytes each), access, then memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/guest_walk.h"

#define HEADER (5 * 8 + 1)

struct guest {
	uint8_t *mem;
	size_t size;
	unsigned int reads;
};

static int fuzz_read_gpa(void *opaque, u64 gpa, void *buf, unsigned int size)
{
	struct guest *g = opaque;

	if (size != 4 && size != 8)
		abort();
	if (++g->reads > 4)
		abort(); /* at most one read per level */
	if (gpa >= g->size || size > g->size - gpa)
		return -ENOENT;
	memcpy(buf, g->mem + gpa, size);
	return 0;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest g = { 0 };
	struct vireo_walk_ctx ctx = {
		.read_gpa = fuzz_read_gpa, .opaque = &g,
	};
	uint32_t pf_error = 0;
	uint64_t gva, gpa = 0;
	unsigned int access;
	int ret;

	if (size < HEADER)
		return 0;
	ctx.cr0 = get_u64(data);
	ctx.cr3 = get_u64(data + 8);
	ctx.cr4 = get_u64(data + 16);
	ctx.efer = get_u64(data + 24);
	gva = get_u64(data + 32);
	access = data[40] & 7;
	g.size = size - HEADER;
	g.mem = malloc(g.size ? g.size : 1);
	if (!g.mem)
		return 0;
	memcpy(g.mem, data + HEADER, g.size);

	ret = vireo_guest_walk(&ctx, gva, access, &gpa, &pf_error);
	switch (ret) {
	case 0:
		if ((gpa & 0xfff) != (gva & 0xfff))
			abort();
		break;
	case -EFAULT:
		if (pf_error & ~0x1fU)
			abort();
		break;
	case -ENOENT:
	case -EINVAL:
	case -EOPNOTSUPP:
		break;
	default:
		abort();
	}
	free(g.mem);
	return 0;
}
