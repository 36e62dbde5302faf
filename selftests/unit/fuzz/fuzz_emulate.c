// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the instruction emulator: decode fuzzed bytes in a
 * fuzzed mode, then drive begin/continue with fuzzed registers and read
 * data, re-executing REP instructions a few times.  It checks that
 * nothing reads outside the instruction buffer (which is allocated to
 * its exact size), that every access is well formed, that the protocol
 * ends within two rounds, and that rip moves by the length or not at all.
 *
 * Input: mode, nbytes, 16 instruction bytes, registers, then read data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulate.h"

#define HEADER (2 + 16)
#define MAX_REPEATS 3

struct input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static uint8_t next_byte(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static uint64_t next_u64(struct input *in)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)next_byte(in) << (8 * i);
	return v;
}

static void check_op(const struct vireo_mem_op *op)
{
	if (op->len != 1 && op->len != 2 && op->len != 4 && op->len != 8)
		abort();
	if (op->is_write > 1)
		abort();
}

/* One begin/continue round; returns whether it completed normally. */
static int run_round(struct vireo_insn *insn, struct vireo_emul_regs *regs,
		     struct input *in)
{
	struct vireo_mem_op op;
	uint64_t rip = regs->rip;
	int rounds, ret, i;

	memset(&op, 0xa5, sizeof(op));
	if (vireo_insn_begin(insn, regs, &op))
		return 0;
	for (rounds = 0;; rounds++) {
		check_op(&op);
		if (rounds >= 2)
			abort(); /* a read and a write at most */
		if (!op.is_write)
			for (i = 0; i < 8; i++)
				op.data[i] = next_byte(in);
		ret = vireo_insn_continue(insn, regs, &op);
		if (ret < 0)
			abort(); /* begin succeeded, so must the rest */
		if (ret == VIREO_EMUL_DONE)
			break;
	}
	if (vireo_insn_continue(insn, regs, &op) != -EINVAL)
		abort();
	if (regs->rip == rip)
		return 1; /* REP with count left */
	if (((regs->rip - rip) & 0xffffffffULL) != insn->len)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .data = data, .size = size };
	struct vireo_emul_regs regs;
	struct vireo_insn insn;
	enum vireo_cpu_mode mode;
	unsigned int nbytes, i, repeat;
	uint8_t *bytes;

	if (size < HEADER)
		return 0;
	mode = (enum vireo_cpu_mode)(next_byte(&in) % 5); /* 4: invalid */
	nbytes = next_byte(&in) % 17;
	bytes = malloc(nbytes ? nbytes : 1);
	if (!bytes)
		return 0;
	memcpy(bytes, data + in.pos, nbytes);
	in.pos += 16;
	for (i = 0; i < VIREO_NR_GPRS; i++)
		regs.gpr[i] = next_u64(&in);
	regs.rip = next_u64(&in);
	regs.rflags = next_u64(&in);

	for (repeat = 0; repeat < MAX_REPEATS; repeat++) {
		int ret = vireo_insn_decode(&insn, bytes, nbytes, mode);

		if (ret) {
			if (ret != -EINVAL && ret != -EOPNOTSUPP)
				abort();
			break;
		}
		if (insn.len == 0 || insn.len > nbytes ||
		    insn.len > VIREO_MAX_INSN_LEN)
			abort();
		if (!run_round(&insn, &regs, &in))
			break;
	}
	free(bytes);
	return 0;
}
