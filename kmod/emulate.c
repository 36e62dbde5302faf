// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoder and emulator for the instructions guests use against MMIO.
 *
 * The hardware has already told us the guest-physical address that
 * faulted, so the decoder only needs the instruction's length, its
 * operation, its register operand and its immediate.  Each memory access
 * is handed to the caller one at a time (see emulate.h).
 *
 * Pure code: builds in the kernel and in the host unit tests.
 */
#include "emulate.h"

/* What the instruction does with its memory operand. */
enum insn_kind {
	KIND_NONE = 0,
	KIND_STORE,        /* mem = reg or imm */
	KIND_LOAD,         /* reg = extend(mem) */
	KIND_STOS,         /* mem = rAX, step rDI (and rCX under REP) */
	KIND_ALU_MEM_DST,  /* mem = mem op src (or flags only) */
	KIND_ALU_REG_DST,  /* reg = reg op mem (or flags only) */
};

/* ALU operations: 0-7 are the x86 encoding (opcode bits 5:3, or /digit). */
enum alu_op {
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
	ALU_TEST,
};

enum insn_phase {
	PHASE_DECODED = 0,
	PHASE_FIRST_ACCESS,  /* begin handed out the first access */
	PHASE_RMW_WRITE,     /* continue handed out the write of an RMW */
	PHASE_FINISHED,
};

#define FLAG_CF (1ULL << 0)
#define FLAG_PF (1ULL << 2)
#define FLAG_AF (1ULL << 4)
#define FLAG_ZF (1ULL << 6)
#define FLAG_SF (1ULL << 7)
#define FLAG_DF (1ULL << 10)
#define FLAG_OF (1ULL << 11)
#define STATUS_FLAGS (FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF)

#define REX_R 0x4
#define REX_W 0x8

/* ---- Value helpers ---------------------------------------------------- */

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static u64 size_sign_bit(unsigned int size)
{
	return 1ULL << (size * 8 - 1);
}

static u64 sign_extend(u64 value, unsigned int size)
{
	value &= size_mask(size);
	if (value & size_sign_bit(size))
		value |= ~size_mask(size);
	return value;
}

static bool valid_size(unsigned int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static u64 get_op_data(const struct vireo_mem_op *op, unsigned int size)
{
	u64 value = 0;
	unsigned int i;

	for (i = 0; i < size && i < sizeof(op->data); i++)
		value |= (u64)op->data[i] << (8 * i);
	return value;
}

static void set_op(struct vireo_mem_op *op, bool is_write, unsigned int size,
		   u64 value)
{
	unsigned int i;

	memset(op, 0, sizeof(*op));
	op->is_write = is_write;
	op->len = size;
	if (!is_write)
		return;
	for (i = 0; i < size && i < sizeof(op->data); i++)
		op->data[i] = (u8)(value >> (8 * i));
}

/* ---- Registers -------------------------------------------------------- */

/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
static bool is_high_byte_reg(const struct vireo_insn *insn, unsigned int reg,
			     unsigned int size)
{
	return size == 1 && !insn->rex && reg >= 4 && reg < 8;
}

static u64 read_reg(const struct vireo_insn *insn,
		    const struct vireo_emul_regs *regs, unsigned int reg,
		    unsigned int size)
{
	reg &= VIREO_NR_GPRS - 1;
	if (is_high_byte_reg(insn, reg, size))
		return (regs->gpr[reg - 4] >> 8) & 0xff;
	return regs->gpr[reg] & size_mask(size);
}

/*
 * 8- and 16-bit writes keep the rest of the register; 32-bit writes
 * zero-extend to 64 bits (architectural in long mode; the upper half is
 * invisible elsewhere).
 */
static void write_reg(const struct vireo_insn *insn,
		      struct vireo_emul_regs *regs, unsigned int reg,
		      unsigned int size, u64 value)
{
	u64 *gpr;

	reg &= VIREO_NR_GPRS - 1;
	if (is_high_byte_reg(insn, reg, size)) {
		gpr = &regs->gpr[reg - 4];
		*gpr = (*gpr & ~0xff00ULL) | ((value & 0xff) << 8);
		return;
	}
	gpr = &regs->gpr[reg];
	if (size >= 4)
		*gpr = value & size_mask(size);
	else
		*gpr = (*gpr & ~size_mask(size)) | (value & size_mask(size));
}

static void advance_rip(const struct vireo_insn *insn,
			struct vireo_emul_regs *regs)
{
	regs->rip += insn->len;
	if (insn->mode != VIREO_MODE_LONG64)
		regs->rip &= 0xffffffffULL;
}

/* ---- Arithmetic flags ------------------------------------------------- */

static bool even_parity(u64 value)
{
	u8 v = (u8)value;

	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/* ZF, SF and PF of a result; CF, OF and AF are the caller's. */
static u64 result_flags(u64 result, unsigned int size)
{
	u64 flags = 0;

	if (!(result & size_mask(size)))
		flags |= FLAG_ZF;
	if (result & size_sign_bit(size))
		flags |= FLAG_SF;
	if (even_parity(result))
		flags |= FLAG_PF;
	return flags;
}

static u64 add_flags(u64 a, u64 b, u64 r, unsigned int size)
{
	u64 sign = size_sign_bit(size);
	u64 flags = result_flags(r, size);

	if (((a & b) | ((a | b) & ~r)) & sign)
		flags |= FLAG_CF;
	if ((a ^ r) & (b ^ r) & sign)
		flags |= FLAG_OF;
	if ((a ^ b ^ r) & 0x10)
		flags |= FLAG_AF;
	return flags;
}

static u64 sub_flags(u64 a, u64 b, u64 r, unsigned int size)
{
	u64 sign = size_sign_bit(size);
	u64 flags = result_flags(r, size);

	if (((~a & b) | ((~a | b) & r)) & sign)
		flags |= FLAG_CF;
	if ((a ^ b) & (a ^ r) & sign)
		flags |= FLAG_OF;
	if ((a ^ b ^ r) & 0x10)
		flags |= FLAG_AF;
	return flags;
}

/*
 * Compute dst op src at the given size.  Returns the result and sets
 * *flags to the new status flags (AF, undefined for the logical
 * operations, is cleared).
 */
static u64 alu_compute(unsigned int op, unsigned int size, u64 dst, u64 src,
		       u64 rflags, u64 *flags)
{
	u64 mask = size_mask(size);
	u64 carry = rflags & FLAG_CF ? 1 : 0;
	u64 r;

	dst &= mask;
	src &= mask;
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		r = (dst + src + (op == ALU_ADC ? carry : 0)) & mask;
		*flags = add_flags(dst, src, r, size);
		return r;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		r = (dst - src - (op == ALU_SBB ? carry : 0)) & mask;
		*flags = sub_flags(dst, src, r, size);
		return r;
	case ALU_OR:
		r = dst | src;
		break;
	case ALU_XOR:
		r = dst ^ src;
		break;
	default: /* ALU_AND, ALU_TEST */
		r = dst & src;
		break;
	}
	*flags = result_flags(r, size);
	return r;
}

static bool alu_writes_result(unsigned int op)
{
	return op != ALU_CMP && op != ALU_TEST;
}

static void commit_flags(struct vireo_emul_regs *regs, u64 flags)
{
	regs->rflags = (regs->rflags & ~STATUS_FLAGS) | (flags & STATUS_FLAGS);
}

/* ---- Decoder ---------------------------------------------------------- */

struct decoder {
	const u8 *bytes;
	unsigned int nbytes;
	unsigned int pos;
	struct vireo_insn *insn;
	bool opsize_prefix;
	bool addrsize_prefix;
};

static int fetch_byte(struct decoder *d, u8 *out)
{
	if (d->pos >= d->nbytes)
		return -EINVAL;
	*out = d->bytes[d->pos++];
	return 0;
}

/* Little-endian value of size bytes, sign-extended to 64 bits. */
static int fetch_signed(struct decoder *d, unsigned int size, u64 *out)
{
	u64 value = 0;
	unsigned int i;

	if (size > 8 || size > d->nbytes - d->pos)
		return -EINVAL;
	for (i = 0; i < size; i++)
		value |= (u64)d->bytes[d->pos + i] << (8 * i);
	d->pos += size;
	*out = size ? sign_extend(value, size) : 0;
	return 0;
}

static int skip_bytes(struct decoder *d, unsigned int count)
{
	if (count > d->nbytes - d->pos)
		return -EINVAL;
	d->pos += count;
	return 0;
}

static bool is_legacy_prefix(u8 b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

/*
 * Consume prefixes.  In long mode a REX counts only when it comes last,
 * right before the opcode; a legacy prefix after it cancels it.
 */
static int parse_prefixes(struct decoder *d)
{
	struct vireo_insn *insn = d->insn;
	u8 b;

	for (;;) {
		if (d->pos >= d->nbytes)
			return -EINVAL;
		b = d->bytes[d->pos];
		if (insn->mode == VIREO_MODE_LONG64 && (b & 0xf0) == 0x40) {
			insn->rex = b;
			d->pos++;
			continue;
		}
		if (!is_legacy_prefix(b))
			return 0;
		insn->rex = 0;
		d->pos++;
		if (b == 0x66)
			d->opsize_prefix = true;
		else if (b == 0x67)
			d->addrsize_prefix = true;
		else if (b == 0xf0)
			insn->lock = 1;
		else if (b == 0xf2 || b == 0xf3)
			insn->rep = b;
		/* Segment overrides: the hardware gave us the address. */
	}
}

static void set_sizes(struct decoder *d)
{
	struct vireo_insn *insn = d->insn;

	switch (insn->mode) {
	case VIREO_MODE_LONG64:
		insn->addr_size = d->addrsize_prefix ? 4 : 8;
		if (insn->rex & REX_W)
			insn->op_size = 8;
		else
			insn->op_size = d->opsize_prefix ? 2 : 4;
		break;
	case VIREO_MODE_PROT32:
		insn->addr_size = d->addrsize_prefix ? 2 : 4;
		insn->op_size = d->opsize_prefix ? 2 : 4;
		break;
	default:
		insn->addr_size = d->addrsize_prefix ? 4 : 2;
		insn->op_size = d->opsize_prefix ? 4 : 2;
		break;
	}
}

static unsigned int disp_size_16(u8 mod, u8 rm)
{
	if (mod == 1)
		return 1;
	if (mod == 2 || (mod == 0 && rm == 6))
		return 2;
	return 0;
}

/*
 * Parse ModRM, SIB and displacement.  Only the length and ModRM.reg
 * matter: the effective address comes from the hardware.  A register
 * operand (mod == 3) cannot be what touched MMIO.
 */
static int parse_modrm(struct decoder *d)
{
	struct vireo_insn *insn = d->insn;
	unsigned int disp = 0;
	u8 modrm, mod, rm, sib;
	int ret;

	ret = fetch_byte(d, &modrm);
	if (ret)
		return ret;
	mod = modrm >> 6;
	rm = modrm & 7;
	insn->reg = ((modrm >> 3) & 7) | (insn->rex & REX_R ? 8 : 0);
	if (mod == 3)
		return -EOPNOTSUPP;
	if (insn->addr_size == 2)
		return skip_bytes(d, disp_size_16(mod, rm));
	if (rm == 4) {
		ret = fetch_byte(d, &sib);
		if (ret)
			return ret;
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	}
	if (mod == 1)
		disp = 1;
	else if (mod == 2 || (mod == 0 && rm == 5)) /* rm 5: RIP/disp32 */
		disp = 4;
	return skip_bytes(d, disp);
}

/* The /digit of a group opcode: ModRM.reg without REX.R. */
static unsigned int modrm_digit(const struct vireo_insn *insn)
{
	return insn->reg & 7;
}

/* Immediate of an "iz" operand: 16 bits for 16-bit operands, else 32. */
static unsigned int imm_z_size(const struct vireo_insn *insn)
{
	return insn->op_size == 2 ? 2 : 4;
}

static int fetch_imm(struct decoder *d, unsigned int size)
{
	d->insn->has_imm = 1;
	return fetch_signed(d, size, &d->insn->imm);
}

/* 00-3B: op r/m, reg (bit 1 clear) or op reg, r/m (bit 1 set). */
static int decode_alu_modrm(struct decoder *d, u8 opcode)
{
	struct vireo_insn *insn = d->insn;

	insn->alu_op = opcode >> 3;
	if (!(opcode & 1))
		insn->op_size = 1;
	insn->kind = opcode & 2 ? KIND_ALU_REG_DST : KIND_ALU_MEM_DST;
	return parse_modrm(d);
}

/* 80/81/82/83: group 1, op r/m, imm. */
static int decode_alu_imm(struct decoder *d, u8 opcode)
{
	struct vireo_insn *insn = d->insn;
	int ret;

	if (opcode == 0x82 && insn->mode == VIREO_MODE_LONG64)
		return -EOPNOTSUPP;
	if (opcode == 0x80 || opcode == 0x82)
		insn->op_size = 1;
	insn->kind = KIND_ALU_MEM_DST;
	ret = parse_modrm(d);
	if (ret)
		return ret;
	insn->alu_op = modrm_digit(insn);
	return fetch_imm(d, opcode == 0x81 ? imm_z_size(insn) : 1);
}

/* F6/F7 /0: TEST r/m, imm.  The other digits are not emulated. */
static int decode_test_imm(struct decoder *d, u8 opcode)
{
	struct vireo_insn *insn = d->insn;
	int ret;

	if (opcode == 0xf6)
		insn->op_size = 1;
	insn->kind = KIND_ALU_MEM_DST;
	insn->alu_op = ALU_TEST;
	ret = parse_modrm(d);
	if (ret)
		return ret;
	if (modrm_digit(insn) != 0)
		return -EOPNOTSUPP;
	return fetch_imm(d, opcode == 0xf6 ? 1 : imm_z_size(insn));
}

/* C6/C7 /0: MOV r/m, imm. */
static int decode_mov_imm(struct decoder *d, u8 opcode)
{
	struct vireo_insn *insn = d->insn;
	int ret;

	if (opcode == 0xc6)
		insn->op_size = 1;
	insn->kind = KIND_STORE;
	ret = parse_modrm(d);
	if (ret)
		return ret;
	if (modrm_digit(insn) != 0)
		return -EOPNOTSUPP;
	return fetch_imm(d, opcode == 0xc6 ? 1 : imm_z_size(insn));
}

/* 88-8B: MOV between r/m and reg. */
static int decode_mov_modrm(struct decoder *d, u8 opcode)
{
	struct vireo_insn *insn = d->insn;

	if (!(opcode & 1))
		insn->op_size = 1;
	insn->kind = opcode & 2 ? KIND_LOAD : KIND_STORE;
	insn->src_size = insn->op_size;
	return parse_modrm(d);
}

/* A0-A3: MOV between rAX and a memory offset of address size. */
static int decode_mov_moffs(struct decoder *d, u8 opcode)
{
	struct vireo_insn *insn = d->insn;

	if (!(opcode & 1))
		insn->op_size = 1;
	insn->kind = opcode & 2 ? KIND_STORE : KIND_LOAD;
	insn->src_size = insn->op_size;
	insn->reg = VIREO_RAX;
	return skip_bytes(d, insn->addr_size);
}

/* 63: MOVSXD reg, r/m32 (long mode only; elsewhere it is ARPL). */
static int decode_movsxd(struct decoder *d)
{
	struct vireo_insn *insn = d->insn;

	if (insn->mode != VIREO_MODE_LONG64)
		return -EOPNOTSUPP;
	insn->kind = KIND_LOAD;
	insn->src_size = insn->op_size == 8 ? 4 : insn->op_size;
	insn->sign_extend = 1;
	return parse_modrm(d);
}

/* AA/AB: STOS. */
static int decode_stos(struct decoder *d, u8 opcode)
{
	struct vireo_insn *insn = d->insn;

	if (opcode == 0xaa)
		insn->op_size = 1;
	insn->kind = KIND_STOS;
	insn->reg = VIREO_RAX;
	return 0;
}

/* 0F B6/B7/BE/BF: MOVZX and MOVSX. */
static int decode_two_byte(struct decoder *d)
{
	struct vireo_insn *insn = d->insn;
	u8 opcode;
	int ret;

	ret = fetch_byte(d, &opcode);
	if (ret)
		return ret;
	insn->opmap = 1;
	insn->opcode = opcode;
	switch (opcode) {
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:
		insn->kind = KIND_LOAD;
		insn->src_size = opcode & 1 ? 2 : 1;
		insn->sign_extend = opcode >= 0xbe;
		return parse_modrm(d);
	default:
		return -EOPNOTSUPP;
	}
}

static int decode_opcode(struct decoder *d, u8 opcode)
{
	if (opcode < 0x40 && (opcode & 7) < 4)
		return decode_alu_modrm(d, opcode);
	switch (opcode) {
	case 0x0f:
		return decode_two_byte(d);
	case 0x63:
		return decode_movsxd(d);
	case 0x80: case 0x81: case 0x82: case 0x83:
		return decode_alu_imm(d, opcode);
	case 0x84: case 0x85:
		d->insn->alu_op = ALU_TEST;
		if (opcode == 0x84)
			d->insn->op_size = 1;
		d->insn->kind = KIND_ALU_MEM_DST;
		return parse_modrm(d);
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		return decode_mov_modrm(d, opcode);
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		return decode_mov_moffs(d, opcode);
	case 0xaa: case 0xab:
		return decode_stos(d, opcode);
	case 0xc6: case 0xc7:
		return decode_mov_imm(d, opcode);
	case 0xf6: case 0xf7:
		return decode_test_imm(d, opcode);
	default:
		return -EOPNOTSUPP;
	}
}

/* LOCK is legal only on a read-modify-write of memory. */
static bool lock_allowed(const struct vireo_insn *insn)
{
	return insn->kind == KIND_ALU_MEM_DST &&
	       alu_writes_result(insn->alu_op);
}

int vireo_insn_decode(struct vireo_insn *insn, const u8 *bytes,
		      unsigned int nbytes, enum vireo_cpu_mode mode)
{
	struct decoder d = { .bytes = bytes, .nbytes = nbytes, .insn = insn };
	u8 opcode;
	int ret;

	memset(insn, 0, sizeof(*insn));
	if (!bytes || nbytes > VIREO_MAX_INSN_LEN)
		return -EINVAL;
	if ((unsigned int)mode > VIREO_MODE_LONG64)
		return -EINVAL;
	insn->mode = mode;
	ret = parse_prefixes(&d);
	if (ret)
		goto fail;
	set_sizes(&d);
	ret = fetch_byte(&d, &opcode);
	if (ret)
		goto fail;
	insn->opcode = opcode;
	ret = decode_opcode(&d, opcode);
	if (ret)
		goto fail;
	if (insn->lock && !lock_allowed(insn)) {
		ret = -EOPNOTSUPP;
		goto fail;
	}
	insn->len = d.pos;
	return 0;
fail:
	insn->kind = KIND_NONE;
	return ret;
}

/* ---- Execution -------------------------------------------------------- */

static bool insn_is_sane(const struct vireo_insn *insn)
{
	return insn->kind != KIND_NONE && valid_size(insn->op_size) &&
	       valid_size(insn->addr_size) && insn->len &&
	       insn->len <= VIREO_MAX_INSN_LEN;
}

/* The register or immediate operand of the instruction. */
static u64 source_operand(const struct vireo_insn *insn,
			  const struct vireo_emul_regs *regs)
{
	if (insn->has_imm)
		return insn->imm & size_mask(insn->op_size);
	return read_reg(insn, regs, insn->reg, insn->op_size);
}

static u64 rep_count(const struct vireo_insn *insn,
		     const struct vireo_emul_regs *regs)
{
	return regs->gpr[VIREO_RCX] & size_mask(insn->addr_size);
}

int vireo_insn_begin(struct vireo_insn *insn, struct vireo_emul_regs *regs,
		     struct vireo_mem_op *op)
{
	if (!insn_is_sane(insn) || insn->phase != PHASE_DECODED)
		return -EINVAL;
	switch (insn->kind) {
	case KIND_STORE:
		set_op(op, true, insn->op_size, source_operand(insn, regs));
		break;
	case KIND_STOS:
		if (insn->rep && rep_count(insn, regs) == 0)
			return -EINVAL;
		set_op(op, true, insn->op_size,
		       read_reg(insn, regs, VIREO_RAX, insn->op_size));
		break;
	case KIND_LOAD:
		if (!valid_size(insn->src_size))
			return -EINVAL;
		set_op(op, false, insn->src_size, 0);
		break;
	default: /* the ALU kinds read first */
		set_op(op, false, insn->op_size, 0);
		break;
	}
	insn->phase = PHASE_FIRST_ACCESS;
	return 0;
}

static void finish_insn(struct vireo_insn *insn, struct vireo_emul_regs *regs)
{
	advance_rip(insn, regs);
	insn->phase = PHASE_FINISHED;
}

static void finish_load(struct vireo_insn *insn, struct vireo_emul_regs *regs,
			const struct vireo_mem_op *op)
{
	u64 value = get_op_data(op, insn->src_size);

	if (insn->sign_extend)
		value = sign_extend(value, insn->src_size);
	write_reg(insn, regs, insn->reg, insn->op_size, value);
	finish_insn(insn, regs);
}

/* One element of STOS done: step rDI, and rCX under REP. */
static void finish_stos_element(struct vireo_insn *insn,
				struct vireo_emul_regs *regs)
{
	unsigned int asize = insn->addr_size;
	u64 rdi = regs->gpr[VIREO_RDI];
	u64 count;

	if (regs->rflags & FLAG_DF)
		rdi -= insn->op_size;
	else
		rdi += insn->op_size;
	write_reg(insn, regs, VIREO_RDI, asize, rdi);
	if (!insn->rep) {
		finish_insn(insn, regs);
		return;
	}
	count = rep_count(insn, regs) - 1;
	write_reg(insn, regs, VIREO_RCX, asize, count);
	if (count & size_mask(asize))
		insn->phase = PHASE_FINISHED; /* rip stays: re-execute */
	else
		finish_insn(insn, regs);
}

/* The read of mem op src came back: write the result or just set flags. */
static int finish_alu_mem_dst(struct vireo_insn *insn,
			      struct vireo_emul_regs *regs,
			      struct vireo_mem_op *op)
{
	unsigned int size = insn->op_size;
	u64 flags, result;

	insn->read_value = get_op_data(op, size);
	result = alu_compute(insn->alu_op, size, insn->read_value,
			     source_operand(insn, regs), regs->rflags, &flags);
	if (!alu_writes_result(insn->alu_op)) {
		commit_flags(regs, flags);
		finish_insn(insn, regs);
		return VIREO_EMUL_DONE;
	}
	insn->new_rflags = flags;
	set_op(op, true, size, result);
	insn->phase = PHASE_RMW_WRITE;
	return VIREO_EMUL_MORE;
}

static void finish_alu_reg_dst(struct vireo_insn *insn,
			       struct vireo_emul_regs *regs,
			       const struct vireo_mem_op *op)
{
	unsigned int size = insn->op_size;
	u64 flags, result;

	result = alu_compute(insn->alu_op, size,
			     read_reg(insn, regs, insn->reg, size),
			     get_op_data(op, size), regs->rflags, &flags);
	if (alu_writes_result(insn->alu_op))
		write_reg(insn, regs, insn->reg, size, result);
	commit_flags(regs, flags);
	finish_insn(insn, regs);
}

static int finish_first_access(struct vireo_insn *insn,
			       struct vireo_emul_regs *regs,
			       struct vireo_mem_op *op)
{
	switch (insn->kind) {
	case KIND_STORE:
		finish_insn(insn, regs);
		return VIREO_EMUL_DONE;
	case KIND_LOAD:
		finish_load(insn, regs, op);
		return VIREO_EMUL_DONE;
	case KIND_STOS:
		finish_stos_element(insn, regs);
		return VIREO_EMUL_DONE;
	case KIND_ALU_MEM_DST:
		return finish_alu_mem_dst(insn, regs, op);
	case KIND_ALU_REG_DST:
		finish_alu_reg_dst(insn, regs, op);
		return VIREO_EMUL_DONE;
	default:
		return -EINVAL;
	}
}

int vireo_insn_continue(struct vireo_insn *insn,
			struct vireo_emul_regs *regs, struct vireo_mem_op *op)
{
	if (!insn_is_sane(insn))
		return -EINVAL;
	switch (insn->phase) {
	case PHASE_FIRST_ACCESS:
		return finish_first_access(insn, regs, op);
	case PHASE_RMW_WRITE:
		commit_flags(regs, insn->new_rflags);
		finish_insn(insn, regs);
		return VIREO_EMUL_DONE;
	default:
		return -EINVAL;
	}
}
