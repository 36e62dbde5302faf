// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nested page-table entry formats (kmod/mmu/npt.c, ept.c): what a
 * table entry and a leaf look like, bit by bit, and that every address
 * bit survives while no address bit leaks into the flags.
 */
#include <stdio.h>

#include "mmu/pte.h"
#include "unit.h"

struct pte_case {
	const struct vireo_pte_format *fmt;
	const char *what;
	bool leaf, writable;
	u64 pa, expect;
};

static const struct pte_case pte_cases[] = {
	/* NPT: P, RW, US on tables; leaves P, US and RW when writable. */
	{ &vireo_npt_format, "table", false, false, 0x1234000, 0x1234007 },
	{ &vireo_npt_format, "leaf rw", true, true, 0x5000, 0x5007 },
	{ &vireo_npt_format, "leaf ro", true, false, 0x5000, 0x5005 },
	{ &vireo_npt_format, "high address", true, true,
	  0x000ffffffffff000ULL, 0x000ffffffffff007ULL },
	{ &vireo_npt_format, "low bits dropped", true, true, 0x5fff, 0x5007 },
	/* EPT: RWX on tables; leaves R, X, WB memory type, W if writable. */
	{ &vireo_ept_format, "table", false, false, 0x1234000, 0x1234007 },
	{ &vireo_ept_format, "leaf rw", true, true, 0x5000, 0x5037 },
	{ &vireo_ept_format, "leaf ro", true, false, 0x5000, 0x5035 },
	{ &vireo_ept_format, "high address", true, false,
	  0x000ffffffffff000ULL, 0x000ffffffffff035ULL },
	{ &vireo_ept_format, "bits above 51 dropped", true, true,
	  0xfff0000000006000ULL, 0x6037 },
};

static void test_pte_entries(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(pte_cases) / sizeof(pte_cases[0]); i++) {
		const struct pte_case *c = &pte_cases[i];
		u64 e = c->leaf ? c->fmt->leaf_entry(c->pa, c->writable) :
				  c->fmt->table_entry(c->pa);

		if (!unit_case(e == c->expect, "pte %s %s", c->fmt->name,
			       c->what))
			unit_diag("got %#llx, want %#llx",
				  (unsigned long long)e,
				  (unsigned long long)c->expect);
	}
}

static void test_pte_present(void)
{
	const struct vireo_pte_format *fmts[] = { &vireo_npt_format,
						  &vireo_ept_format };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		const struct vireo_pte_format *f = fmts[i];

		unit_case(!f->is_present(0), "pte %s zero is absent", f->name);
		unit_case(f->is_present(f->leaf_entry(0x7000, false)),
			  "pte %s read-only leaf is present", f->name);
		unit_case(f->is_present(f->table_entry(0x7000)),
			  "pte %s table is present", f->name);
		/* An address alone (zapped permissions) maps nothing. */
		unit_case(!f->is_present(0x7000), "pte %s bare address absent",
			  f->name);
	}
}

static void test_pt_index(void)
{
	u64 gpa = (5ULL << 39) | (6ULL << 30) | (7ULL << 21) | (8ULL << 12);

	unit_case(vireo_pt_index(gpa, 4) == 5 && vireo_pt_index(gpa, 3) == 6 &&
		  vireo_pt_index(gpa, 2) == 7 && vireo_pt_index(gpa, 1) == 8,
		  "pte index of each level");
	unit_case(vireo_pt_index(1ULL << 48, 5) == 1 &&
		  vireo_pt_index(1ULL << 48, 4) == 0,
		  "pte index of the fifth level");
	unit_case(vireo_pte_addr(0x8000000000005067ULL) == 0x5000,
		  "pte address strips flags and NX");
}

void test_pte(void)
{
	test_pte_entries();
	test_pte_present();
	test_pt_index();
}
