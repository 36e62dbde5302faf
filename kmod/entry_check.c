// SPDX-License-Identifier: GPL-2.0-only
/*
 * Naming the culprit of a failed VM entry: see entry_check.h.
 */
#include "entry_check.h"

#define CR0_PE (1ULL << 0)
#define CR0_NW (1ULL << 29)
#define CR0_CD (1ULL << 30)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define RFLAGS_FIXED1 (1ULL << 1)
#define RFLAGS_IF (1ULL << 9)
#define RFLAGS_VM (1ULL << 17)
/* Bits 3, 5, 15 and 22-63 read as zero. */
#define RFLAGS_RESERVED (~0x3fffffULL | (1ULL << 3) | (1ULL << 5) | (1ULL << 15))

/* Segment types (the S=1 kinds have bit 3 for code, bit 0 "accessed"). */
#define TYPE_ACCESSED 0x1
#define TYPE_READABLE 0x2	/* code segments */
#define TYPE_CODE 0x8
#define TYPE_LDT 0x2
#define TYPE_TSS16_BUSY 0x3
#define TYPE_TSS_BUSY 0xb

/* Canonical with 57 address bits: what the hardware accepts at most. */
static bool canonical(u64 addr)
{
	return (u64)((s64)(addr << 7) >> 7) == addr;
}

/* The granularity bit must agree with the limit in bytes. */
static bool limit_matches_granularity(const struct vireo_segment *seg)
{
	if ((seg->limit & 0xfff) != 0xfff && seg->g)
		return false;
	if ((seg->limit >> 20) && !seg->g)
		return false;
	return true;
}

/* What every usable code or data segment needs on VT-x. */
static bool usable_segment_ok(const struct vireo_segment *seg)
{
	return seg->present && seg->s && (seg->type & TYPE_ACCESSED) &&
	       limit_matches_granularity(seg);
}

static bool cs_ok(const struct vireo_sregs *s, bool unrestricted)
{
	const struct vireo_segment *cs = &s->cs;

	if (cs->unusable || !usable_segment_ok(cs))
		return false;
	if (cs->type & TYPE_CODE)
		return true;
	/* Read/write accessed data: real mode under an unrestricted guest. */
	return unrestricted && cs->type == 3 && cs->dpl == 0;
}

static bool ss_ok(const struct vireo_sregs *s)
{
	const struct vireo_segment *ss = &s->ss;

	if (ss->unusable)
		return true;
	return usable_segment_ok(ss) && (ss->type == 3 || ss->type == 7);
}

static bool data_segment_ok(const struct vireo_segment *seg)
{
	if (seg->unusable)
		return true;
	if (!usable_segment_ok(seg))
		return false;
	return !(seg->type & TYPE_CODE) || (seg->type & TYPE_READABLE);
}

static bool tr_ok(const struct vireo_sregs *s)
{
	const struct vireo_segment *tr = &s->tr;
	bool long_mode = s->efer & EFER_LMA;

	if (tr->unusable || tr->s || !tr->present || (tr->selector & 4))
		return false;
	if (tr->type != TYPE_TSS_BUSY &&
	    (long_mode || tr->type != TYPE_TSS16_BUSY))
		return false;
	return limit_matches_granularity(tr) && canonical(tr->base);
}

static bool ldt_ok(const struct vireo_sregs *s)
{
	const struct vireo_segment *ldt = &s->ldt;

	if (ldt->unusable)
		return true;
	return !ldt->s && ldt->present && ldt->type == TYPE_LDT &&
	       !(ldt->selector & 4) && limit_matches_granularity(ldt) &&
	       canonical(ldt->base);
}

/* The rules both vendors apply to control registers and EFER. */
static enum vireo_state_field check_control(const struct vireo_entry_state *st)
{
	const struct vireo_sregs *s = st->sregs;

	if (s->cr0 >> 32 || ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD)) ||
	    ((s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE)))
		return VIREO_STATE_CR0;
	if (st->restricted && (s->cr0 & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG))
		return VIREO_STATE_CR0;
	if ((s->efer & EFER_LME) && (s->cr0 & CR0_PG)) {
		if (!(s->cr4 & CR4_PAE))
			return VIREO_STATE_CR4;
		if (!(s->efer & EFER_LMA))
			return VIREO_STATE_EFER;
	} else if (s->efer & EFER_LMA) {
		return VIREO_STATE_EFER;
	}
	/* 64-bit code segments cannot also be 32-bit ones. */
	if ((s->efer & EFER_LMA) && s->cs.l && s->cs.db)
		return VIREO_STATE_CS;
	return VIREO_STATE_UNKNOWN;
}

/* The guest-state checks only VT-x makes. */
static enum vireo_state_field check_vmx(const struct vireo_entry_state *st)
{
	const struct vireo_sregs *s = st->sregs;
	bool unrestricted = !st->restricted;

	if (st->rflags & RFLAGS_RESERVED || !(st->rflags & RFLAGS_FIXED1) ||
	    ((st->rflags & RFLAGS_VM) && (s->efer & EFER_LMA)))
		return VIREO_STATE_RFLAGS;
	if ((st->sti_blocking && st->movss_blocking) ||
	    (st->sti_blocking && !(st->rflags & RFLAGS_IF)))
		return VIREO_STATE_INTERRUPTIBILITY;
	/* Virtual-8086 mode has rules of its own; they are not named here. */
	if (st->rflags & RFLAGS_VM)
		return VIREO_STATE_UNKNOWN;
	if (!cs_ok(s, unrestricted))
		return VIREO_STATE_CS;
	if (!ss_ok(s))
		return VIREO_STATE_SS;
	if (!data_segment_ok(&s->ds))
		return VIREO_STATE_DS;
	if (!data_segment_ok(&s->es))
		return VIREO_STATE_ES;
	if (!data_segment_ok(&s->fs) || !canonical(s->fs.base))
		return VIREO_STATE_FS;
	if (!data_segment_ok(&s->gs) || !canonical(s->gs.base))
		return VIREO_STATE_GS;
	if (!tr_ok(s))
		return VIREO_STATE_TR;
	if (!ldt_ok(s))
		return VIREO_STATE_LDT;
	if (!canonical(s->gdt.base))
		return VIREO_STATE_GDT;
	if (!canonical(s->idt.base))
		return VIREO_STATE_IDT;
	return VIREO_STATE_UNKNOWN;
}

enum vireo_state_field vireo_entry_state_check(const struct vireo_entry_state *st)
{
	enum vireo_state_field f = check_control(st);

	if (f == VIREO_STATE_UNKNOWN && st->vmx_rules)
		f = check_vmx(st);
	return f;
}

const char *vireo_state_field_name(enum vireo_state_field field)
{
	static const char *const names[] = {
		[VIREO_STATE_UNKNOWN] = "unknown",
		[VIREO_STATE_CR0] = "CR0",
		[VIREO_STATE_CR4] = "CR4",
		[VIREO_STATE_EFER] = "EFER",
		[VIREO_STATE_RFLAGS] = "RFLAGS",
		[VIREO_STATE_CS] = "CS",
		[VIREO_STATE_SS] = "SS",
		[VIREO_STATE_DS] = "DS",
		[VIREO_STATE_ES] = "ES",
		[VIREO_STATE_FS] = "FS",
		[VIREO_STATE_GS] = "GS",
		[VIREO_STATE_TR] = "TR",
		[VIREO_STATE_LDT] = "LDTR",
		[VIREO_STATE_GDT] = "GDTR",
		[VIREO_STATE_IDT] = "IDTR",
		[VIREO_STATE_INTERRUPTIBILITY] = "interruptibility state",
		[VIREO_STATE_EVENT_INJECTION] = "event injection",
	};

	if ((unsigned int)field >= sizeof(names) / sizeof(names[0]) ||
	    !names[field])
		return "unknown";
	return names[field];
}
