// SPDX-License-Identifier: GPL-2.0-only
/*
 * Check the emulator's ALU results and flags against this x86-64 host:
 * the same operation runs natively (inline asm on a memory operand) and
 * through decode/begin/continue with a real encoding, for many random
 * and edge-case operands, in each operand size and encoding form.
 */
#include <stdio.h>

#include "emulate.h"
#include "unit.h"

#define CF 0x001ULL
#define AF 0x010ULL
#define STATUS 0x8d5ULL /* CF PF AF ZF SF OF */
#define FIXED 0x002ULL
#define ITERATIONS 3000

typedef u64 (*native_fn)(u64 dst, u64 src, u64 cf, u64 *flags);

/*
 * dst op= src on a memory operand, with CF preset from cf bit 0; returns
 * the new dst and the RFLAGS image.  The stack pointer steps over the red
 * zone around pushfq.
 */
#define NATIVE(fn, mnem, type, rmod)					\
static u64 fn(u64 dst, u64 src, u64 cf, u64 *flags)			\
{									\
	type d = (type)dst, s = (type)src;				\
	u64 f;								\
									\
	__asm__ volatile("bt $0, %[cf]\n\t"					\
		     mnem " %" rmod "[s], %[d]\n\t"			\
		     "lea -128(%%rsp), %%rsp\n\t"			\
		     "pushfq\n\t"					\
		     "popq %[f]\n\t"					\
		     "lea 128(%%rsp), %%rsp"				\
		     : [d] "+m" (d), [f] "=r" (f)			\
		     : [s] "q" (s), [cf] "r" (cf)			\
		     : "cc");						\
	*flags = f;							\
	return d;							\
}

#define NATIVE_SIZES(op)						\
	NATIVE(native_##op##_1, #op "b", u8, "b")			\
	NATIVE(native_##op##_2, #op "w", u16, "w")			\
	NATIVE(native_##op##_4, #op "l", u32, "k")			\
	NATIVE(native_##op##_8, #op "q", u64, "q")

NATIVE_SIZES(add)
NATIVE_SIZES(or)
NATIVE_SIZES(adc)
NATIVE_SIZES(sbb)
NATIVE_SIZES(and)
NATIVE_SIZES(sub)
NATIVE_SIZES(xor)
NATIVE_SIZES(cmp)
NATIVE_SIZES(test)

#define NATIVE_ROW(op)							\
	{ native_##op##_1, native_##op##_2, NULL, native_##op##_4,	\
	  NULL, NULL, NULL, native_##op##_8 }

/* Indexed by the x86 ALU number (ADD=0 ... CMP=7), then TEST; size-1. */
static const native_fn natives[9][8] = {
	NATIVE_ROW(add), NATIVE_ROW(or), NATIVE_ROW(adc), NATIVE_ROW(sbb),
	NATIVE_ROW(and), NATIVE_ROW(sub), NATIVE_ROW(xor), NATIVE_ROW(cmp),
	NATIVE_ROW(test),
};

static const char *const op_names[9] = {
	"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test",
};

#define OP_TEST 8

enum form {
	FORM_MEM_REG,  /* op r/m, reg: 00-39, 84/85 */
	FORM_REG_MEM,  /* op reg, r/m: 02-3B */
	FORM_MEM_IMM,  /* op r/m, imm: 80/81, F6/F7 /0 */
	FORM_MEM_IMM8, /* op r/m, imm8 sign-extended: 83 */
	NR_FORMS
};

static const char *const form_names[NR_FORMS] = {
	"r/m,reg", "reg,r/m", "r/m,imm", "r/m,imm8",
};

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 random_u64(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Mostly random, sometimes a value at an edge of the size's range. */
static u64 random_operand(void)
{
	static const u64 edges[] = {
		0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL,
	};
	u64 r = random_u64();

	if (r % 4 == 0)
		return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))];
	return random_u64();
}

static u64 mask_of(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static u64 sext(u64 v, unsigned int bits)
{
	u64 sign = 1ULL << (bits - 1);

	v &= (sign << 1) - 1;
	return (v ^ sign) - sign;
}

static bool form_applies(unsigned int op, unsigned int size, enum form f)
{
	if (op == OP_TEST)
		return f == FORM_MEM_REG || f == FORM_MEM_IMM;
	return !(f == FORM_MEM_IMM8 && size == 1);
}

static unsigned int encode_opcode(unsigned int op, unsigned int size,
				  enum form f, u8 *out, u8 *modrm)
{
	unsigned int wide = size != 1;

	*modrm = 0x08; /* reg = rcx, r/m = [rax] */
	switch (f) {
	case FORM_MEM_REG:
		*out = op == OP_TEST ? 0x84 + wide : op * 8 + wide;
		return 1;
	case FORM_REG_MEM:
		*out = op * 8 + 2 + wide;
		return 1;
	case FORM_MEM_IMM:
		*out = op == OP_TEST ? 0xf6 + wide : 0x80 + wide;
		*modrm = op == OP_TEST ? 0x00 : (u8)(op << 3);
		return 1;
	default:
		*out = 0x83;
		*modrm = (u8)(op << 3);
		return 1;
	}
}

/* Build the instruction; the immediate (if any) is *src, adjusted. */
static unsigned int build_insn(unsigned int op, unsigned int size,
			       enum form f, u64 *src, u8 *bytes)
{
	unsigned int n = 0, imm_size = 0, i;
	u8 modrm;

	if (size == 2)
		bytes[n++] = 0x66;
	if (size == 8)
		bytes[n++] = 0x48;
	n += encode_opcode(op, size, f, &bytes[n], &modrm);
	bytes[n++] = modrm;
	if (f == FORM_MEM_IMM)
		imm_size = size > 4 ? 4 : size;
	else if (f == FORM_MEM_IMM8)
		imm_size = 1;
	if (imm_size) {
		*src = sext(*src, imm_size * 8) & mask_of(size);
		for (i = 0; i < imm_size; i++)
			bytes[n++] = (u8)(*src >> (8 * i));
	}
	return n;
}

struct outcome {
	u64 result;
	u64 flags;
	bool wrote;
};

static bool emulate_once(unsigned int op, unsigned int size, enum form f,
			 u64 mem, u64 src, u64 rflags, struct outcome *out)
{
	struct vireo_emul_regs regs = { .rflags = rflags };
	struct vireo_mem_op mop;
	struct vireo_insn insn;
	u8 bytes[16];
	unsigned int n, i;
	int ret;

	n = build_insn(op, size, f, &src, bytes);
	regs.gpr[VIREO_RCX] = src;
	if (vireo_insn_decode(&insn, bytes, n, VIREO_MODE_LONG64) ||
	    insn.len != n || vireo_insn_begin(&insn, &regs, &mop) ||
	    mop.is_write || mop.len != size)
		return false;
	for (i = 0; i < size; i++)
		mop.data[i] = (u8)(mem >> (8 * i));
	ret = vireo_insn_continue(&insn, &regs, &mop);
	out->wrote = ret == VIREO_EMUL_MORE;
	out->result = regs.gpr[VIREO_RCX];
	if (out->wrote) {
		out->result = 0;
		for (i = 0; i < size && i < mop.len; i++)
			out->result |= (u64)mop.data[i] << (8 * i);
		ret = vireo_insn_continue(&insn, &regs, &mop);
	}
	out->flags = regs.rflags;
	return ret == VIREO_EMUL_DONE && regs.rip == n;
}

/* What the emulator should leave in rcx for the reg,r/m form. */
static u64 merged_reg(u64 old, u64 value, unsigned int size)
{
	if (size >= 4)
		return value & mask_of(size);
	return (old & ~mask_of(size)) | (value & mask_of(size));
}

static bool check_one(unsigned int op, unsigned int size, enum form f)
{
	bool logical = op == 1 || op == 4 || op == 6 || op == OP_TEST;
	bool writes = op != 7 && op != OP_TEST;
	u64 a = random_operand(), b = random_operand();
	u64 rflags = (random_u64() & STATUS) | FIXED;
	u64 compare = logical ? STATUS & ~AF : STATUS;
	u64 want, want_flags, src = b;
	struct outcome got;
	u8 scratch[16];

	build_insn(op, size, f, &src, scratch); /* the immediate's value */
	if (f == FORM_REG_MEM)
		want = natives[op][size - 1](src, a, rflags & CF, &want_flags);
	else
		want = natives[op][size - 1](a, src, rflags & CF, &want_flags);
	if (!emulate_once(op, size, f, a, src, rflags, &got)) {
		unit_diag("%s size %u: protocol failure", op_names[op], size);
		return false;
	}
	if (f == FORM_REG_MEM) {
		u64 reg = writes ? merged_reg(src, want, size) : src;

		if (got.wrote || got.result != reg)
			goto mismatch;
	} else if (got.wrote != writes ||
		   (writes && got.result != (want & mask_of(size)))) {
		goto mismatch;
	}
	if ((got.flags ^ want_flags) & compare)
		goto mismatch;
	if ((got.flags & ~STATUS) != (rflags & ~STATUS))
		goto mismatch;
	return true;
mismatch:
	unit_diag("%s size %u %s: a=%#llx b=%#llx cf=%llu: got %#llx flags %#llx, cpu %#llx flags %#llx",
		  op_names[op], size, form_names[f], (unsigned long long)a,
		  (unsigned long long)src, (unsigned long long)(rflags & CF),
		  (unsigned long long)got.result,
		  (unsigned long long)got.flags, (unsigned long long)want,
		  (unsigned long long)want_flags);
	return false;
}

void test_alu_native(void)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	unsigned int op, s, i;
	enum form f;

	for (op = 0; op < 9; op++) {
		for (s = 0; s < 4; s++) {
			for (f = 0; f < NR_FORMS; f++) {
				bool ok = true;

				if (!form_applies(op, sizes[s], f))
					continue;
				for (i = 0; i < ITERATIONS && ok; i++)
					ok = check_one(op, sizes[s], f);
				unit_case(ok, "alu vs cpu: %s%u %s x%u",
					  op_names[op], sizes[s] * 8,
					  form_names[f], ITERATIONS);
			}
		}
	}
}
