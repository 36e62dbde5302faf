/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decoder and emulator for the instructions a guest uses to touch MMIO.
 *
 * Pure code: it sees only the instruction bytes, a register file and the
 * data of one memory access at a time.  The caller (kmod/mmio.c) fetches
 * the bytes, knows the faulting guest-physical address from the NPT/EPT
 * exit, and performs each memory access by exiting to userspace.
 *
 * Use:
 *	vireo_insn_decode(&insn, bytes, n, mode)       -> 0 or -errno
 *	vireo_insn_begin(&insn, &regs, &op)             -> first access
 *	... perform op (for a read, fill op.data) ...
 *	vireo_insn_continue(&insn, &regs, &op)          -> DONE or MORE
 * MORE means op now holds a further access (the write half of a
 * read-modify-write); perform it and call continue again.  On DONE the
 * registers, flags and rip have been updated.  A REP string instruction
 * performs one element per begin/continue round and leaves rip on the
 * instruction while the count is not exhausted, so the guest re-executes
 * it and faults again.
 *
 * Errors: decode returns -EINVAL for truncated input, for nbytes larger
 * than VIREO_MAX_INSN_LEN, or an instruction longer than that; and
 * -EOPNOTSUPP for anything it does not emulate (or that would #UD).
 * begin and continue return -EINVAL when called out of order, and begin
 * refuses a REP string instruction whose count is already zero (the
 * hardware would not have touched memory).  Documentation/emulator.md
 * lists the instructions.
 */
#ifndef VIREO_EMULATE_H
#define VIREO_EMULATE_H

#include "pure.h"

/* General-purpose registers in the order of the x86 register encoding. */
enum vireo_gpr {
	VIREO_RAX, VIREO_RCX, VIREO_RDX, VIREO_RBX,
	VIREO_RSP, VIREO_RBP, VIREO_RSI, VIREO_RDI,
	VIREO_R8, VIREO_R9, VIREO_R10, VIREO_R11,
	VIREO_R12, VIREO_R13, VIREO_R14, VIREO_R15,
	VIREO_NR_GPRS
};

struct vireo_emul_regs {
	u64 gpr[VIREO_NR_GPRS];
	u64 rip;
	u64 rflags;
};

/* The code segment's default sizes when the instruction runs. */
enum vireo_cpu_mode {
	VIREO_MODE_REAL,   /* 16-bit operands and addresses */
	VIREO_MODE_PROT16, /* protected mode, CS.D = 0 */
	VIREO_MODE_PROT32, /* protected mode, CS.D = 1 */
	VIREO_MODE_LONG64, /* long mode, CS.L = 1 */
};

/* One access to the MMIO address; data is little-endian. */
struct vireo_mem_op {
	u8 is_write;
	u8 len; /* 1, 2, 4 or 8 */
	u8 data[8];
};

enum vireo_emul_result {
	VIREO_EMUL_DONE = 0,
	VIREO_EMUL_MORE = 1,
};

#define VIREO_MAX_INSN_LEN 15

/* Decoded form; callers treat it as opaque and keep it between rounds. */
struct vireo_insn {
	u8 len;            /* bytes, prefixes included */
	u8 opcode;         /* last opcode byte */
	u8 opmap;          /* 0: one-byte map, 1: 0F map */
	u8 op_size;        /* operand size in bytes */
	u8 addr_size;      /* address size in bytes */
	u8 src_size;       /* MOVZX/MOVSX source size */
	u8 kind;           /* enum in emulate.c */
	u8 alu_op;         /* which ALU operation, for the ALU kinds */
	u8 reg;            /* ModRM.reg with REX.R applied */
	u8 rex;            /* the REX prefix, 0 when absent */
	u8 rep;            /* 0, 0xf2 or 0xf3 */
	u8 phase;          /* progress through begin/continue */
	u64 imm;           /* immediate, sign-extended to 64 bits */
	u64 read_value;    /* data of the read half of an RMW */
	/* Added fields: */
	u8 mode;           /* enum vireo_cpu_mode at decode time */
	u8 has_imm;        /* the source operand is imm, not a register */
	u8 sign_extend;    /* loads: sign- rather than zero-extend */
	u8 lock;           /* LOCK prefix seen */
	u64 new_rflags;    /* flags to commit when an RMW completes */
};

int vireo_insn_decode(struct vireo_insn *insn, const u8 *bytes,
		      unsigned int nbytes, enum vireo_cpu_mode mode);
int vireo_insn_begin(struct vireo_insn *insn, struct vireo_emul_regs *regs,
		     struct vireo_mem_op *op);
int vireo_insn_continue(struct vireo_insn *insn,
			struct vireo_emul_regs *regs, struct vireo_mem_op *op);

#endif /* VIREO_EMULATE_H */
