// SPDX-License-Identifier: GPL-2.0-only
/*
 * Table-driven tests of the MMIO instruction emulator: decode each byte
 * sequence, play the expected memory accesses through begin/continue and
 * compare the registers, flags and rip afterwards.
 */
#include <stdio.h>

#include "emulate.h"
#include "unit.h"

#define CF 0x001ULL
#define PF 0x004ULL
#define AF 0x010ULL
#define ZF 0x040ULL
#define SF 0x080ULL
#define DF 0x400ULL
#define OF 0x800ULL
#define FIXED 0x002ULL /* RFLAGS bit 1 always reads as 1 */
#define ALL_STATUS (CF | PF | AF | ZF | SF | OF)

#define RIP0 0x1000ULL

/* A register and a value; reg is stored plus one so 0 ends a list. */
struct reg_val {
	int reg1;
	u64 val;
};

#define R(r, v) { VIREO_##r + 1, (v) }

struct access {
	u8 is_write;
	u8 len;
	u64 data; /* written (checked) or read (supplied) */
};

#define RD(n, v) { 0, (n), (v) }
#define WR(n, v) { 1, (n), (v) }

struct emu_case {
	const char *name;
	enum vireo_cpu_mode mode;
	u8 bytes[20];
	u8 nbytes;
	int decode_ret;
	int begin_ret;
	u8 len;
	struct reg_val set[3];
	u64 rflags_in;   /* 0: FIXED */
	u64 rip_in;      /* 0: RIP0 */
	struct access acc[2];
	struct reg_val expect[3];
	u64 rflags_out;  /* 0: unchanged */
	u64 rip_out;     /* 0: rip_in + len, or rip_in when rip_stays */
	bool rip_stays;
};

#define B(...) .bytes = { __VA_ARGS__ }, .nbytes = sizeof((u8[]){ __VA_ARGS__ })
#define L64 .mode = VIREO_MODE_LONG64
#define P32 .mode = VIREO_MODE_PROT32
#define P16 .mode = VIREO_MODE_PROT16
#define REAL .mode = VIREO_MODE_REAL
#define UNSUP .decode_ret = -EOPNOTSUPP
#define TRUNC .decode_ret = -EINVAL
#define D32(x) (x) & 0xff, ((x) >> 8) & 0xff, ((x) >> 16) & 0xff, ((x) >> 24) & 0xff

static const struct emu_case cases[] = {
	/* MOV stores */
	{ "mov [rax],ecx", L64, B(0x89, 0x08), .len = 2,
	  .acc = { WR(4, 0x11111111) } },
	{ "mov [rax],rcx", L64, B(0x48, 0x89, 0x08), .len = 3,
	  .acc = { WR(8, 0x1111111111111111) } },
	{ "mov [rax],cx", L64, B(0x66, 0x89, 0x08), .len = 3,
	  .acc = { WR(2, 0x1111) } },
	{ "mov [rax],cl", L64, B(0x88, 0x08), .len = 2,
	  .acc = { WR(1, 0x11) } },
	{ "mov [rax],ah", L64, B(0x88, 0x20), .len = 2,
	  .set = { R(RAX, 0x1234) }, .acc = { WR(1, 0x12) } },
	{ "mov [rax],spl (REX)", L64, B(0x40, 0x88, 0x20), .len = 3,
	  .acc = { WR(1, 0x14) } },
	{ "mov [rax],r9d (REX.R)", L64, B(0x44, 0x89, 0x08), .len = 3,
	  .acc = { WR(4, 0x19191919) } },
	{ "mov [rax],r9b (REX.R)", L64, B(0x44, 0x88, 0x08), .len = 3,
	  .acc = { WR(1, 0x19) } },
	{ "mov [rax],cl with REX.W stays byte", L64, B(0x48, 0x88, 0x08),
	  .len = 3, .acc = { WR(1, 0x11) } },
	{ "mov [rax],cl with 66 stays byte", L64, B(0x66, 0x88, 0x08),
	  .len = 3, .acc = { WR(1, 0x11) } },
	{ "mov [bx+si],cx real", REAL, B(0x89, 0x08), .len = 2,
	  .acc = { WR(2, 0x1111) } },
	{ "mov [bx+si],ecx prot16 66", P16, B(0x66, 0x89, 0x08), .len = 3,
	  .acc = { WR(4, 0x11111111) } },
	{ "mov [eax],cx prot32 66", P32, B(0x66, 0x89, 0x08), .len = 3,
	  .acc = { WR(2, 0x1111) } },
	/* MOV loads */
	{ "mov ecx,[rax] zero-extends", L64, B(0x8b, 0x08), .len = 2,
	  .acc = { RD(4, 0x89abcdef) }, .expect = { R(RCX, 0x89abcdef) } },
	{ "mov cl,[rax]", L64, B(0x8a, 0x08), .len = 2,
	  .acc = { RD(1, 0xaa) }, .expect = { R(RCX, 0x11111111111111aa) } },
	{ "mov ch,[rax]", L64, B(0x8a, 0x28), .len = 2,
	  .acc = { RD(1, 0xaa) }, .expect = { R(RCX, 0x111111111111aa11) } },
	{ "mov bpl,[rax] (REX)", L64, B(0x40, 0x8a, 0x28), .len = 3,
	  .acc = { RD(1, 0xaa) }, .expect = { R(RBP, 0x15151515151515aa) } },
	{ "mov cx,[rax]", L64, B(0x66, 0x8b, 0x08), .len = 3,
	  .acc = { RD(2, 0xbeef) }, .expect = { R(RCX, 0x111111111111beef) } },
	{ "mov rcx,[rax]", L64, B(0x48, 0x8b, 0x08), .len = 3,
	  .acc = { RD(8, 0x0123456789abcdef) },
	  .expect = { R(RCX, 0x0123456789abcdef) } },
	{ "mov r15,[rax]", L64, B(0x4c, 0x8b, 0x38), .len = 3,
	  .acc = { RD(8, 0x0123456789abcdef) },
	  .expect = { R(R15, 0x0123456789abcdef) } },
	{ "mov ecx,[eax] prot32", P32, B(0x8b, 0x08), .len = 2,
	  .acc = { RD(4, 0x89abcdef) }, .expect = { R(RCX, 0x89abcdef) } },
	{ "mov cx,[bx+si] real", REAL, B(0x8b, 0x08), .len = 2,
	  .acc = { RD(2, 0xbeef) }, .expect = { R(RCX, 0x111111111111beef) } },
	/* MOV immediate */
	{ "mov dword [rax],imm32", L64, B(0xc7, 0x00, D32(0x12345678)),
	  .len = 6, .acc = { WR(4, 0x12345678) } },
	{ "mov qword [rax],imm32 sign-extends", L64,
	  B(0x48, 0xc7, 0x00, D32(0x80000000)), .len = 7,
	  .acc = { WR(8, 0xffffffff80000000) } },
	{ "mov word [rax],imm16", L64, B(0x66, 0xc7, 0x00, 0x34, 0x12),
	  .len = 5, .acc = { WR(2, 0x1234) } },
	{ "mov byte [rax],imm8", L64, B(0xc6, 0x00, 0xab), .len = 3,
	  .acc = { WR(1, 0xab) } },
	{ "mov word [bx+si],imm16 real", REAL, B(0xc7, 0x00, 0x34, 0x12),
	  .len = 4, .acc = { WR(2, 0x1234) } },
	{ "mov dword [bx+si],imm32 real 66", REAL,
	  B(0x66, 0xc7, 0x00, D32(0xcafef00d)), .len = 7,
	  .acc = { WR(4, 0xcafef00d) } },
	{ "c6 /1 is not mov", L64, B(0xc6, 0x08, 0xab), UNSUP },
	{ "c7 /2 is not mov", L64, B(0xc7, 0x10, D32(1)), UNSUP },
	/* MOV moffs */
	{ "mov eax,[moffs64]", L64, B(0xa1, 0, 0, 0, 0xfe, 0, 0, 0, 0),
	  .len = 9, .acc = { RD(4, 0xdeadbeef) },
	  .expect = { R(RAX, 0xdeadbeef) } },
	{ "mov eax,[moffs32] 67", L64, B(0x67, 0xa1, 0, 0, 0xfe, 0),
	  .len = 6, .acc = { RD(4, 0xdeadbeef) },
	  .expect = { R(RAX, 0xdeadbeef) } },
	{ "mov [moffs32],eax prot32", P32, B(0xa3, 0, 0, 0xfe, 0), .len = 5,
	  .acc = { WR(4, 0x10101010) } },
	{ "mov al,[moffs16] real", REAL, B(0xa0, 0x00, 0x80), .len = 3,
	  .acc = { RD(1, 0x5a) }, .expect = { R(RAX, 0x101010101010105a) } },
	{ "mov [moffs64],rax", L64, B(0x48, 0xa3, 0, 0, 0, 0, 1, 0, 0, 0),
	  .len = 10, .acc = { WR(8, 0x1010101010101010) } },
	{ "mov [moffs64],al", L64, B(0xa2, 0, 0, 0, 0, 1, 0, 0, 0),
	  .len = 9, .acc = { WR(1, 0x10) } },
	{ "moffs truncated", L64, B(0xa1, 0, 0), TRUNC },
	/* MOVZX, MOVSX, MOVSXD */
	{ "movzx ecx,byte", L64, B(0x0f, 0xb6, 0x08), .len = 3,
	  .acc = { RD(1, 0x80) }, .expect = { R(RCX, 0x80) } },
	{ "movsx ecx,byte", L64, B(0x0f, 0xbe, 0x08), .len = 3,
	  .acc = { RD(1, 0x80) }, .expect = { R(RCX, 0xffffff80) } },
	{ "movsx rcx,word", L64, B(0x48, 0x0f, 0xbf, 0x08), .len = 4,
	  .acc = { RD(2, 0x8000) },
	  .expect = { R(RCX, 0xffffffffffff8000) } },
	{ "movzx cx,byte keeps upper", L64, B(0x66, 0x0f, 0xb6, 0x08),
	  .len = 4, .acc = { RD(1, 0x80) },
	  .expect = { R(RCX, 0x1111111111110080) } },
	{ "movzx ecx,word", L64, B(0x0f, 0xb7, 0x08), .len = 3,
	  .acc = { RD(2, 0xfedc) }, .expect = { R(RCX, 0xfedc) } },
	{ "movsx cx,byte real", REAL, B(0x0f, 0xbe, 0x08), .len = 3,
	  .acc = { RD(1, 0xfe) }, .expect = { R(RCX, 0x111111111111fffe) } },
	{ "movsxd rcx,dword", L64, B(0x48, 0x63, 0x08), .len = 3,
	  .acc = { RD(4, 0x80000000) },
	  .expect = { R(RCX, 0xffffffff80000000) } },
	{ "movsxd ecx,dword (no REX.W)", L64, B(0x63, 0x08), .len = 2,
	  .acc = { RD(4, 0x80000000) }, .expect = { R(RCX, 0x80000000) } },
	{ "63 is arpl outside long mode", P32, B(0x63, 0x08), UNSUP },
	{ "0f b8 is not emulated", L64, B(0xf3, 0x0f, 0xb8, 0x08), UNSUP },
	{ "ud2", L64, B(0x0f, 0x0b), UNSUP },
	/* STOS */
	{ "stosb", L64, B(0xaa), .len = 1, .acc = { WR(1, 0x10) },
	  .expect = { R(RDI, 0x1717171717171718) } },
	{ "stosd with DF", L64, B(0xab), .len = 1, .rflags_in = FIXED | DF,
	  .acc = { WR(4, 0x10101010) },
	  .expect = { R(RDI, 0x1717171717171713) } },
	{ "rep stosq, count left", L64, B(0xf3, 0x48, 0xab), .len = 3,
	  .set = { R(RCX, 3) }, .acc = { WR(8, 0x1010101010101010) },
	  .expect = { R(RCX, 2), R(RDI, 0x171717171717171f) },
	  .rip_stays = true },
	{ "rep stosb, last element", L64, B(0xf3, 0xaa), .len = 2,
	  .set = { R(RCX, 1) }, .acc = { WR(1, 0x10) },
	  .expect = { R(RCX, 0), R(RDI, 0x1717171717171718) } },
	{ "repne stosb repeats too", L64, B(0xf2, 0xaa), .len = 2,
	  .set = { R(RCX, 2) }, .acc = { WR(1, 0x10) },
	  .expect = { R(RCX, 1), R(RDI, 0x1717171717171718) },
	  .rip_stays = true },
	{ "rep stosb a32: edi/ecx wrap and zero-extend", L64,
	  B(0xf3, 0x67, 0xaa), .len = 3,
	  .set = { R(RDI, 0x12345678ffffffff), R(RCX, 0xabcdef0000000002) },
	  .acc = { WR(1, 0x10) }, .expect = { R(RDI, 0), R(RCX, 1) },
	  .rip_stays = true },
	{ "rep stosw real: di/cx wrap, upper kept", REAL, B(0xf3, 0xab),
	  .len = 2,
	  .set = { R(RDI, 0xaaaa00000000fffe), R(RCX, 0x5555000000000001) },
	  .acc = { WR(2, 0x1010) },
	  .expect = { R(RDI, 0xaaaa000000000000), R(RCX, 0x5555000000000000) } },
	{ "rep stosb with rcx 0 refused", L64, B(0xf3, 0xaa), .len = 2,
	  .set = { R(RCX, 0) }, .begin_ret = -EINVAL },
	{ "rep stosb a32 with ecx 0 refused", L64, B(0xf3, 0x67, 0xaa),
	  .len = 3, .set = { R(RCX, 0x100000000) }, .begin_ret = -EINVAL },
	{ "lock stos", L64, B(0xf0, 0xaa), UNSUP },
	/* ALU, memory destination (read, then write) */
	{ "add [rax],ecx", L64, B(0x01, 0x08), .len = 2,
	  .acc = { RD(4, 1), WR(4, 0x11111112) }, .rflags_out = FIXED | PF },
	{ "add [rax],cl carry+AF", L64, B(0x00, 0x08), .len = 2,
	  .acc = { RD(1, 0xff), WR(1, 0x10) },
	  .rflags_out = FIXED | CF | AF },
	{ "sub [rax],ecx borrow", L64, B(0x29, 0x08), .len = 2,
	  .acc = { RD(4, 0x10), WR(4, 0xeeeeeeff) },
	  .rflags_out = FIXED | CF | PF | AF | SF },
	{ "adc [rax],ecx with CF", L64, B(0x11, 0x08), .len = 2,
	  .rflags_in = FIXED | CF, .acc = { RD(4, 0xeeeeeeee), WR(4, 0) },
	  .rflags_out = FIXED | CF | PF | AF | ZF },
	{ "sbb [rax],ecx with CF", L64, B(0x19, 0x08), .len = 2,
	  .rflags_in = FIXED | CF, .acc = { RD(4, 0x11111112), WR(4, 0) },
	  .rflags_out = FIXED | PF | ZF },
	{ "xor [rax],ecx", L64, B(0x31, 0x08), .len = 2,
	  .rflags_in = FIXED | ALL_STATUS,
	  .acc = { RD(4, 0x11111111), WR(4, 0) },
	  .rflags_out = FIXED | PF | ZF },
	{ "and dword [rax],imm32 clears CF/OF", L64,
	  B(0x81, 0x20, D32(0xf0f0f0f0)), .len = 6,
	  .rflags_in = FIXED | ALL_STATUS | DF,
	  .acc = { RD(4, 0x12345678), WR(4, 0x10305070) },
	  .rflags_out = FIXED | DF },
	{ "or word [rax],imm16", L64, B(0x66, 0x81, 0x08, 0x01, 0x80),
	  .len = 5, .acc = { RD(2, 0x0100), WR(2, 0x8101) },
	  .rflags_out = FIXED | SF },
	{ "add dword [rax],imm8 -1", L64, B(0x83, 0x00, 0xff), .len = 3,
	  .acc = { RD(4, 1), WR(4, 0) },
	  .rflags_out = FIXED | CF | PF | AF | ZF },
	{ "add qword [rax],imm8 -1 overflow", L64,
	  B(0x48, 0x83, 0x00, 0xff), .len = 4,
	  .acc = { RD(8, 0x8000000000000000), WR(8, 0x7fffffffffffffff) },
	  .rflags_out = FIXED | CF | PF | OF },
	{ "add word [bx+si],imm8 -128 real", REAL, B(0x83, 0x00, 0x80),
	  .len = 3, .acc = { RD(2, 0x0080), WR(2, 0) },
	  .rflags_out = FIXED | CF | PF | ZF },
	{ "82 add byte prot32", P32, B(0x82, 0x00, 0x01), .len = 3,
	  .acc = { RD(1, 0x7f), WR(1, 0x80) },
	  .rflags_out = FIXED | AF | SF | OF },
	{ "82 is invalid in long mode", L64, B(0x82, 0x00, 0x01), UNSUP },
	{ "lock add [rax],ecx", L64, B(0xf0, 0x01, 0x08), .len = 3,
	  .acc = { RD(4, 1), WR(4, 0x11111112) }, .rflags_out = FIXED | PF },
	{ "lock with REX", L64, B(0xf0, 0x48, 0x01, 0x08), .len = 4,
	  .acc = { RD(8, 1), WR(8, 0x1111111111111112) },
	  .rflags_out = FIXED | PF },
	/* Flags only */
	{ "cmp [rax],ecx equal", L64, B(0x39, 0x08), .len = 2,
	  .acc = { RD(4, 0x11111111) }, .rflags_out = FIXED | ZF | PF },
	{ "cmp byte [rax],imm8", L64, B(0x80, 0x38, 0x05), .len = 3,
	  .acc = { RD(1, 5) }, .rflags_out = FIXED | ZF | PF },
	{ "cmp ecx,[rax]", L64, B(0x3b, 0x08), .len = 2,
	  .acc = { RD(4, 0x11111112) },
	  .rflags_out = FIXED | CF | PF | AF | SF },
	{ "test [rax],ecx", L64, B(0x85, 0x08), .len = 2,
	  .rflags_in = FIXED | ALL_STATUS, .acc = { RD(4, 0x10000000) },
	  .rflags_out = FIXED | PF },
	{ "test byte [rax],imm8", L64, B(0xf6, 0x00, 0x80), .len = 3,
	  .acc = { RD(1, 0xff) }, .rflags_out = FIXED | SF },
	{ "test dword [rax],imm32", L64, B(0xf7, 0x00, D32(0x80000000)),
	  .len = 6, .acc = { RD(4, 0x7fffffff) },
	  .rflags_out = FIXED | ZF | PF },
	{ "test qword [rax],imm32 sign-extended", L64,
	  B(0x48, 0xf7, 0x00, D32(0x80000000)), .len = 7,
	  .acc = { RD(8, 0x8000000000000000) },
	  .rflags_out = FIXED | SF | PF },
	{ "test word [rax],imm16", L64, B(0x66, 0xf7, 0x00, 0x00, 0x80),
	  .len = 5, .acc = { RD(2, 0x8000) }, .rflags_out = FIXED | SF | PF },
	{ "lock cmp", L64, B(0xf0, 0x39, 0x08), UNSUP },
	{ "lock test", L64, B(0xf0, 0x85, 0x08), UNSUP },
	{ "lock mov", L64, B(0xf0, 0x89, 0x08), UNSUP },
	{ "neg (f7 /3)", L64, B(0xf7, 0x18), UNSUP },
	{ "add al,imm8 has no memory operand", L64, B(0x04, 0x05), UNSUP },
	/* ALU, register destination */
	{ "add ecx,[rax] zero-extends", L64, B(0x03, 0x08), .len = 2,
	  .acc = { RD(4, 0xeeeeeeef) }, .expect = { R(RCX, 0) },
	  .rflags_out = FIXED | CF | PF | AF | ZF },
	{ "sub ch,[rax]", L64, B(0x2a, 0x28), .len = 2,
	  .acc = { RD(1, 0x12) }, .expect = { R(RCX, 0x111111111111ff11) },
	  .rflags_out = FIXED | CF | PF | AF | SF },
	{ "add ah,[rax]", L64, B(0x02, 0x20), .len = 2,
	  .set = { R(RAX, 0x1234) }, .acc = { RD(1, 1) },
	  .expect = { R(RAX, 0x1334) }, .rflags_out = FIXED },
	{ "or r10w,[rax]", L64, B(0x66, 0x44, 0x0b, 0x10), .len = 4,
	  .acc = { RD(2, 0x0f00) }, .expect = { R(R10, 0x1a1a1a1a1a1a1f1a) },
	  .rflags_out = FIXED },
	/* Prefixes and addressing forms (lengths) */
	{ "segment overrides ignored", L64, B(0x2e, 0x3e, 0x64, 0x89, 0x08),
	  .len = 5, .acc = { WR(4, 0x11111111) } },
	{ "REX before 66 is dropped", L64, B(0x48, 0x66, 0x89, 0x08),
	  .len = 4, .acc = { WR(2, 0x1111) } },
	{ "REX.W beats 66", L64, B(0x66, 0x48, 0x89, 0x08), .len = 4,
	  .acc = { WR(8, 0x1111111111111111) } },
	{ "40 is inc outside long mode", P32, B(0x40, 0x89, 0x08), UNSUP },
	{ "register operand (mod 3)", L64, B(0x89, 0xc8), UNSUP },
	{ "sib [rsp]", L64, B(0x89, 0x04, 0x24), .len = 3,
	  .acc = { WR(4, 0x10101010) } },
	{ "sib disp8", L64, B(0x89, 0x44, 0x24, 0x08), .len = 4,
	  .acc = { WR(4, 0x10101010) } },
	{ "sib no base disp32", L64, B(0x89, 0x04, 0x25, D32(0x1000)),
	  .len = 7, .acc = { WR(4, 0x10101010) } },
	{ "sib disp32", L64, B(0x89, 0x84, 0x24, D32(0x100)), .len = 7,
	  .acc = { WR(4, 0x10101010) } },
	{ "rip-relative", L64, B(0x89, 0x05, D32(0x100)), .len = 6,
	  .acc = { WR(4, 0x10101010) } },
	{ "rip-relative REX.W", L64, B(0x48, 0x89, 0x05, D32(0x100)),
	  .len = 7, .acc = { WR(8, 0x1010101010101010) } },
	{ "[r12] needs sib", L64, B(0x41, 0x89, 0x04, 0x24), .len = 4,
	  .acc = { WR(4, 0x10101010) } },
	{ "[r13+0] has disp8", L64, B(0x41, 0x89, 0x45, 0x00), .len = 4,
	  .acc = { WR(4, 0x10101010) } },
	{ "REX.B mod0 rm5 is rip-relative", L64,
	  B(0x41, 0x89, 0x05, D32(0)), .len = 7, .acc = { WR(4, 0x10101010) } },
	{ "a16 [disp16]", REAL, B(0x89, 0x06, 0x34, 0x12), .len = 4,
	  .acc = { WR(2, 0x1010) } },
	{ "a16 [bx+disp8]", REAL, B(0x89, 0x47, 0x08), .len = 3,
	  .acc = { WR(2, 0x1010) } },
	{ "a16 [bx+disp16]", REAL, B(0x89, 0x87, 0x34, 0x12), .len = 4,
	  .acc = { WR(2, 0x1010) } },
	{ "a16 [bx]", P16, B(0x89, 0x07), .len = 2, .acc = { WR(2, 0x1010) } },
	{ "67 in prot32 gives a16", P32, B(0x67, 0x89, 0x06, 0x34, 0x12),
	  .len = 5, .acc = { WR(4, 0x10101010) } },
	{ "67 in real mode gives a32 sib", REAL, B(0x67, 0x89, 0x04, 0x24),
	  .len = 4, .acc = { WR(2, 0x1010) } },
	{ "67 in real mode, disp32 (no rip)", REAL,
	  B(0x67, 0x89, 0x05, D32(0x100)), .len = 7, .acc = { WR(2, 0x1010) } },
	{ "rip wraps at 4G in prot32", P32, B(0x89, 0x08), .len = 2,
	  .rip_in = 0xffffffff, .rip_out = 1,
	  .acc = { WR(4, 0x11111111) } },
	{ "15 bytes with prefixes", L64,
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x89, 0x08), .len = 15, .acc = { WR(2, 0x1111) } },
	/* Truncated and oversized input */
	{ "empty", L64, .nbytes = 0, TRUNC },
	{ "opcode only", L64, B(0x89), TRUNC },
	{ "prefix only", L64, B(0x66), TRUNC },
	{ "REX only", L64, B(0x48), TRUNC },
	{ "0f only", L64, B(0x0f), TRUNC },
	{ "missing sib", L64, B(0x89, 0x04), TRUNC },
	{ "short disp32", L64, B(0x89, 0x05, 0, 0), TRUNC },
	{ "short imm32", L64, B(0xc7, 0x00, 0x12, 0x34), TRUNC },
	{ "short imm8", L64, B(0x80, 0x00), TRUNC },
	{ "group 1 without modrm", L64, B(0x83), TRUNC },
	{ "test imm without modrm", L64, B(0xf7), TRUNC },
	{ "mov imm without modrm", L64, B(0x66, 0xc6), TRUNC },
	{ "16 bytes of input", L64,
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x89, 0x08, 0x90), TRUNC },
	{ "more than 15 bytes of prefixes", L64,
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x89), TRUNC },
	{ "nop", L64, B(0x90), UNSUP },
	{ "inc [rax] (ff /0)", L64, B(0xff, 0x00), UNSUP },
};

static void init_regs(struct vireo_emul_regs *regs, const struct emu_case *c)
{
	unsigned int i;

	for (i = 0; i < VIREO_NR_GPRS; i++)
		regs->gpr[i] = 0x0101010101010101ULL * (0x10 + i);
	for (i = 0; i < 3 && c->set[i].reg1; i++)
		regs->gpr[c->set[i].reg1 - 1] = c->set[i].val;
	regs->rip = c->rip_in ? c->rip_in : RIP0;
	regs->rflags = c->rflags_in ? c->rflags_in : FIXED;
}

static void expected_regs(struct vireo_emul_regs *regs,
			  const struct emu_case *c)
{
	unsigned int i;

	init_regs(regs, c);
	for (i = 0; i < 3 && c->expect[i].reg1; i++)
		regs->gpr[c->expect[i].reg1 - 1] = c->expect[i].val;
	if (c->rip_out)
		regs->rip = c->rip_out;
	else if (!c->rip_stays)
		regs->rip += c->len;
	if (c->rflags_out)
		regs->rflags = c->rflags_out;
}

static unsigned int count_accesses(const struct emu_case *c)
{
	return c->acc[1].len ? 2 : c->acc[0].len ? 1 : 0;
}

static u64 op_value(const struct vireo_mem_op *op)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < op->len && i < 8; i++)
		v |= (u64)op->data[i] << (8 * i);
	return v;
}

static bool check_access(const struct emu_case *c, unsigned int i,
			 struct vireo_mem_op *op)
{
	const struct access *a = &c->acc[i];
	unsigned int b;

	if (op->is_write != a->is_write || op->len != a->len) {
		unit_diag("access %u: got %s of %u, want %s of %u", i,
			  op->is_write ? "write" : "read", op->len,
			  a->is_write ? "write" : "read", a->len);
		return false;
	}
	if (a->is_write && op_value(op) != a->data) {
		unit_diag("access %u: wrote %#llx, want %#llx", i,
			  (unsigned long long)op_value(op),
			  (unsigned long long)a->data);
		return false;
	}
	if (!a->is_write)
		for (b = 0; b < a->len; b++)
			op->data[b] = (u8)(a->data >> (8 * b));
	return true;
}

static bool compare_regs(const struct vireo_emul_regs *got,
			 const struct vireo_emul_regs *want)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < VIREO_NR_GPRS; i++) {
		if (got->gpr[i] != want->gpr[i]) {
			unit_diag("gpr %u = %#llx, want %#llx", i,
				  (unsigned long long)got->gpr[i],
				  (unsigned long long)want->gpr[i]);
			ok = false;
		}
	}
	if (got->rip != want->rip || got->rflags != want->rflags) {
		unit_diag("rip %#llx rflags %#llx, want rip %#llx rflags %#llx",
			  (unsigned long long)got->rip,
			  (unsigned long long)got->rflags,
			  (unsigned long long)want->rip,
			  (unsigned long long)want->rflags);
		ok = false;
	}
	return ok;
}

/* Play the case's accesses; returns whether everything matched. */
static bool play_accesses(const struct emu_case *c, struct vireo_insn *insn,
			  struct vireo_emul_regs *regs)
{
	unsigned int i, n = count_accesses(c);
	struct vireo_mem_op op;
	int ret;

	ret = vireo_insn_begin(insn, regs, &op);
	if (ret != c->begin_ret) {
		unit_diag("begin returned %d, want %d", ret, c->begin_ret);
		return false;
	}
	if (ret)
		return true;
	for (i = 0; i < n; i++) {
		int want = i + 1 < n ? VIREO_EMUL_MORE : VIREO_EMUL_DONE;

		if (!check_access(c, i, &op))
			return false;
		ret = vireo_insn_continue(insn, regs, &op);
		if (ret != want) {
			unit_diag("continue %u returned %d, want %d", i, ret,
				  want);
			return false;
		}
	}
	return true;
}

static bool run_case(const struct emu_case *c)
{
	struct vireo_emul_regs regs, want;
	struct vireo_insn insn;
	int ret;

	ret = vireo_insn_decode(&insn, c->bytes, c->nbytes, c->mode);
	if (ret != c->decode_ret) {
		unit_diag("decode returned %d, want %d", ret, c->decode_ret);
		return false;
	}
	if (ret)
		return true;
	if (insn.len != c->len) {
		unit_diag("length %u, want %u", insn.len, c->len);
		return false;
	}
	init_regs(&regs, c);
	if (!play_accesses(c, &insn, &regs))
		return false;
	if (c->begin_ret)
		init_regs(&want, c); /* nothing may change */
	else
		expected_regs(&want, c);
	return compare_regs(&regs, &want);
}

/* Calls out of order must be refused, not acted upon. */
static void test_protocol(void)
{
	static const u8 add[] = { 0x01, 0x08 };
	struct vireo_emul_regs regs = { .rflags = FIXED };
	struct vireo_insn insn;
	struct vireo_mem_op op;
	bool ok;

	ok = !vireo_insn_decode(&insn, add, sizeof(add), VIREO_MODE_LONG64);
	ok = ok && vireo_insn_continue(&insn, &regs, &op) == -EINVAL;
	unit_case(ok, "emulate: continue before begin is refused");

	ok = !vireo_insn_begin(&insn, &regs, &op);
	ok = ok && vireo_insn_begin(&insn, &regs, &op) == -EINVAL;
	unit_case(ok, "emulate: begin twice is refused");

	op.len = 0; /* a caller scribbling on op does not matter */
	ok = vireo_insn_continue(&insn, &regs, &op) == VIREO_EMUL_MORE &&
	     op.len == 4 && op.is_write;
	ok = ok && vireo_insn_continue(&insn, &regs, &op) == VIREO_EMUL_DONE;
	ok = ok && vireo_insn_continue(&insn, &regs, &op) == -EINVAL;
	ok = ok && regs.rip == 2;
	unit_case(ok, "emulate: continue after done is refused");

	ok = vireo_insn_decode(&insn, add, sizeof(add), VIREO_MODE_LONG64 + 1)
	     == -EINVAL;
	ok = ok && vireo_insn_begin(&insn, &regs, &op) == -EINVAL;
	unit_case(ok, "emulate: bad mode refused, begin after failed decode");

	ok = vireo_insn_decode(&insn, NULL, 0, VIREO_MODE_LONG64) == -EINVAL;
	unit_case(ok, "emulate: NULL bytes refused");
}

void test_emulate(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		unit_case(run_case(&cases[i]), "emulate: %s", cases[i].name);
	test_protocol();
}
