// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmod/entry_check.c: from a good 64-bit, 32-bit and real-mode state,
 * one change at a time, each must be named as the field it broke, and
 * the good states must be named as nothing.
 */
#include <stdio.h>
#include <string.h>

#include "entry_check.h"
#include "unit.h"

static struct vireo_segment seg(u16 sel, u8 type, bool s, u32 limit, bool g)
{
	struct vireo_segment v = {
		.selector = sel, .type = type, .present = 1, .s = s,
		.limit = limit, .g = g,
	};

	return v;
}

/* Flat long mode as a 64-bit kernel runs. */
static void long_mode(struct vireo_sregs *s)
{
	memset(s, 0, sizeof(*s));
	s->cs = seg(0x10, 0xb, true, 0xffffffff, true);
	s->cs.l = 1;
	s->ss = seg(0x18, 0x3, true, 0xffffffff, true);
	s->ds = s->es = s->ss;
	s->fs = s->gs = s->ss;
	s->tr = seg(0x40, 0xb, false, 0x67, false);
	s->ldt = seg(0, 0x2, false, 0xffff, false);
	s->ldt.unusable = 1;
	s->gdt.limit = 0x7f;
	s->idt.limit = 0xfff;
	s->cr0 = 0x80050033;
	s->cr4 = 0x20;
	s->efer = 0x500;
}

static void prot32(struct vireo_sregs *s)
{
	long_mode(s);
	s->cs.l = 0;
	s->cs.db = 1;
	s->tr.type = 0x3;
	s->cr0 = 0x11;
	s->cr4 = 0;
	s->efer = 0;
}

/* Real mode at reset, as an unrestricted guest runs it. */
static void real_mode(struct vireo_sregs *s)
{
	memset(s, 0, sizeof(*s));
	s->cs = seg(0xf000, 0xb, true, 0xffff, false);
	s->cs.base = 0xffff0000;
	s->ss = seg(0, 0x3, true, 0xffff, false);
	s->ds = s->es = s->fs = s->gs = s->ss;
	s->tr = seg(0, 0xb, false, 0xffff, false);
	s->ldt = seg(0, 0x2, false, 0xffff, false);
	s->gdt.limit = s->idt.limit = 0xffff;
	s->cr0 = 0x60000010;
}

enum mode { LONG, PROT, REAL };

struct entry_case {
	const char *what;
	enum mode mode;
	bool vmx;
	void (*change)(struct vireo_sregs *s, struct vireo_entry_state *st);
	enum vireo_state_field want;
};

static void nothing(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)s;
	(void)st;
}

static void cs_l_and_d(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->cs.db = 1;
}

static void pg_without_pe(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->cr0 &= ~1ULL;
}

static void nw_without_cd(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->cr0 = (s->cr0 | (1ULL << 29)) & ~(1ULL << 30);
}

static void cr0_high(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->cr0 |= 1ULL << 40;
}

static void no_pae(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->cr4 &= ~0x20ULL;
}

static void lme_no_lma(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->efer = 0x100;
}

static void lma_alone(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->efer = 0x400;
}

static void rflags_bit1(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)s;
	st->rflags = 0;
}

static void rflags_reserved(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)s;
	st->rflags |= 1ULL << 40;
}

static void vm86_long(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)s;
	st->rflags |= 1ULL << 17;
}

static void sti_if0(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)s;
	st->sti_blocking = true;
	st->rflags &= ~(1ULL << 9);
}

static void sti_and_movss(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)s;
	st->sti_blocking = st->movss_blocking = true;
}

static void cs_data(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->cs.type = 0x3;
	s->cs.dpl = 0;
}

static void cs_unusable(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->cs.unusable = 1;
}

static void cs_not_accessed(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->cs.type &= ~1;
}

static void ss_code(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->ss.type = 0xb;
}

static void ss_g_small(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->ss.limit = 0x1000;	/* G set, low 12 bits not all ones */
}

static void ds_not_present(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->ds.present = 0;
}

static void ds_unusable(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->ds.present = 0;
	s->ds.unusable = 1;
}

static void es_system(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->es.s = 0;
}

static void fs_noncanonical(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->fs.base = 0x8000000000000000ULL;
}

static void gs_big_no_g(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->gs.g = 0;
}

static void tr_32bit_in_long(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->tr.type = 0x3;
}

static void tr_unusable(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->tr.unusable = 1;
}

static void ldt_usable_bad(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->ldt.unusable = 0;
	s->ldt.type = 0xb;
}

static void gdt_noncanonical(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->gdt.base = 0x0100000000000000ULL;
}

static void idt_noncanonical(struct vireo_sregs *s, struct vireo_entry_state *st)
{
	(void)st;
	s->idt.base = 0x0100000000000000ULL;
}

static const struct entry_case entry_cases[] = {
	{ "good long mode", LONG, true, nothing, VIREO_STATE_UNKNOWN },
	{ "good prot32", PROT, true, nothing, VIREO_STATE_UNKNOWN },
	{ "good real mode", REAL, true, nothing, VIREO_STATE_UNKNOWN },
	{ "good long mode, svm", LONG, false, nothing, VIREO_STATE_UNKNOWN },
	{ "CS.L and CS.D", LONG, true, cs_l_and_d, VIREO_STATE_CS },
	{ "CS.L and CS.D, svm", LONG, false, cs_l_and_d, VIREO_STATE_CS },
	{ "CS.L and CS.D outside long mode", PROT, true, cs_l_and_d,
	  VIREO_STATE_UNKNOWN },
	{ "PG without PE", LONG, false, pg_without_pe, VIREO_STATE_CR0 },
	{ "NW without CD", PROT, true, nw_without_cd, VIREO_STATE_CR0 },
	{ "CR0 bit 40", REAL, false, cr0_high, VIREO_STATE_CR0 },
	{ "long mode without PAE", LONG, false, no_pae, VIREO_STATE_CR4 },
	{ "LME and PG without LMA", LONG, true, lme_no_lma, VIREO_STATE_EFER },
	{ "LMA without LME", PROT, true, lma_alone, VIREO_STATE_EFER },
	{ "RFLAGS bit 1 clear", LONG, true, rflags_bit1, VIREO_STATE_RFLAGS },
	{ "RFLAGS bit 1 clear, svm", LONG, false, rflags_bit1,
	  VIREO_STATE_UNKNOWN },
	{ "RFLAGS bit 40", PROT, true, rflags_reserved, VIREO_STATE_RFLAGS },
	{ "RFLAGS.VM in long mode", LONG, true, vm86_long, VIREO_STATE_RFLAGS },
	{ "STI shadow with IF clear", LONG, true, sti_if0,
	  VIREO_STATE_INTERRUPTIBILITY },
	{ "STI and MOV SS shadows", PROT, true, sti_and_movss,
	  VIREO_STATE_INTERRUPTIBILITY },
	{ "CS a data segment in long mode", LONG, true, cs_data,
	  VIREO_STATE_UNKNOWN },
	{ "CS unusable", PROT, true, cs_unusable, VIREO_STATE_CS },
	{ "CS not accessed", REAL, true, cs_not_accessed, VIREO_STATE_CS },
	{ "SS a code segment", PROT, true, ss_code, VIREO_STATE_SS },
	{ "SS G with a small limit", LONG, true, ss_g_small, VIREO_STATE_SS },
	{ "DS not present", PROT, true, ds_not_present, VIREO_STATE_DS },
	{ "DS not present but unusable", PROT, true, ds_unusable,
	  VIREO_STATE_UNKNOWN },
	{ "ES a system segment", REAL, true, es_system, VIREO_STATE_ES },
	{ "FS base not canonical", LONG, true, fs_noncanonical,
	  VIREO_STATE_FS },
	{ "GS 4 GiB without G", PROT, true, gs_big_no_g, VIREO_STATE_GS },
	{ "TR a 16-bit TSS in long mode", LONG, true, tr_32bit_in_long,
	  VIREO_STATE_TR },
	{ "TR 16-bit busy TSS in prot32", PROT, true, nothing,
	  VIREO_STATE_UNKNOWN },
	{ "TR unusable", REAL, true, tr_unusable, VIREO_STATE_TR },
	{ "LDTR usable with a TSS type", LONG, true, ldt_usable_bad,
	  VIREO_STATE_LDT },
	{ "GDTR base not canonical", LONG, true, gdt_noncanonical,
	  VIREO_STATE_GDT },
	{ "IDTR base not canonical", LONG, true, idt_noncanonical,
	  VIREO_STATE_IDT },
	{ "segments are not AMD-V's business", PROT, false, ds_not_present,
	  VIREO_STATE_UNKNOWN },
};

static void test_entry_cases(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(entry_cases) / sizeof(entry_cases[0]); i++) {
		const struct entry_case *c = &entry_cases[i];
		struct vireo_sregs s;
		struct vireo_entry_state st = { .sregs = &s, .rflags = 2,
						.vmx_rules = c->vmx };
		enum vireo_state_field got;

		if (c->mode == LONG)
			long_mode(&s);
		else if (c->mode == PROT)
			prot32(&s);
		else
			real_mode(&s);
		c->change(&s, &st);
		got = vireo_entry_state_check(&st);
		if (!unit_case(got == c->want, "entry check: %s", c->what))
			unit_diag("named %s, want %s",
				  vireo_state_field_name(got),
				  vireo_state_field_name(c->want));
	}
}

static void test_field_names(void)
{
	unit_case(!strcmp(vireo_state_field_name(VIREO_STATE_CS), "CS"),
		  "entry check: field name CS");
	unit_case(!strcmp(vireo_state_field_name(VIREO_STATE_EVENT_INJECTION),
			  "event injection"),
		  "entry check: field name event injection");
	unit_case(!strcmp(vireo_state_field_name((enum vireo_state_field)999),
			  "unknown"),
		  "entry check: out-of-range field is unknown");
}

void test_entry_check(void)
{
	test_entry_cases();
	test_field_names();
}
