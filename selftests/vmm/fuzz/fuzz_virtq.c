// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the virtqueue, split and packed:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I../../../userspace-vmm \
 *	-I../../../virtio-devices -I../../../include/uapi fuzz_virtq.c \
 *	../../../virtio-devices/virtq.c ../../../virtio-devices/virtq_packed.c \
 *	-o fuzz_virtq && ./fuzz_virtq -max_len=8192
 *
 * The input is 64 KiB of guest memory's first bytes (descriptor table,
 * rings, indirect tables, all the driver's) after an 8-byte preamble
 * that picks the queue size, the negotiated ring features, the ring
 * addresses and how many chains each push returns (virtq_push_many, 1 to
 * 8).  Whatever it holds, popping and pushing must stay inside guest
 * memory and end, and each chain's slot count must lie in 1..size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"

#define GUEST_MEM (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Guest memory is [0, GUEST_MEM) of one buffer. */
static void *fuzz_map(struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (gpa > gm->low_end || len > gm->low_end - gpa)
		return NULL;
	return (uint8_t *)gm->opaque + gpa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain chain;
	struct virtq_used batch[8];
	unsigned int n = 0, per;
	struct guest_mem gm;
	struct virtq vq;
	uint8_t *mem;

	if (size < 8)
		return 0;
	/* An exact-size buffer, so any access past it is caught. */
	mem = calloc(1, GUEST_MEM);
	if (!mem)
		abort();
	memcpy(mem, data + 8, size - 8 < GUEST_MEM ? size - 8 : GUEST_MEM);
	gm = (struct guest_mem){ .map = fuzz_map, .opaque = mem,
				 .low_end = GUEST_MEM, .high_base = 1ull << 32,
				 .high_end = 1ull << 32 };
	virtq_init(&vq, &gm, 256);
	per = (data[7] >> 4 & 7) + 1;	/* chains returned per push */
	/* Packed rings may have any size; split ones a power of two. */
	if (data[7] & 4)
		vq.size = (uint16_t)(data[0] + 1);
	else
		vq.size = (uint16_t)(1u << (data[0] % 10));
	vq.desc_addr = (uint64_t)data[1] << 8 | (data[2] & 0xf0);
	vq.avail_addr = (uint64_t)data[3] << 8 | (data[4] & 0xfe);
	vq.used_addr = (uint64_t)data[5] << 8 | (data[6] & 0xfc);
	if (virtq_enable(&vq, data[7] & 1, data[7] & 2, data[7] & 4) == 0) {
		for (int i = 0; i < 512 && virtq_pop(&vq, &chain) > 0; i++) {
			for (unsigned int j = 0; j < chain.n_out + chain.n_in; j++)
				if (chain.iov[j].iov_len)
					((volatile uint8_t *)chain.iov[j].iov_base)
						[chain.iov[j].iov_len - 1] ^= 0;
			/* virtio-net's merged buffers rely on this count. */
			if (chain.slots == 0 || chain.slots > vq.size)
				abort();
			batch[n++] = (struct virtq_used){
				.head = chain.head, .len = (uint32_t)chain.in_len };
			if (n == per) {
				virtq_push_many(&vq, batch, n);
				virtq_should_notify(&vq);
				n = 0;
			}
		}
		if (n)
			virtq_push_many(&vq, batch, n);
	}
	free(mem);
	return 0;
}
