/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry formats of the nested page tables.  NPT uses the x86-64 long-mode
 * format; EPT has its own.  The table code in mmu.c builds tables of 4 or
 * 5 levels (as the vendor says), 512 entries each, and asks the format
 * how an entry looks.
 * Pure code, shared with the host unit tests.
 */
#ifndef VIREO_PTE_H
#define VIREO_PTE_H

#include "../pure.h"

#define VIREO_PT_MAX_LEVELS 5
#define VIREO_PT_ENTRIES 512
#define VIREO_PT_ADDR_MASK 0x000ffffffffff000ULL

struct vireo_pte_format {
	const char *name;
	u64 (*table_entry)(u64 table_pa);
	u64 (*leaf_entry)(u64 page_pa, bool writable);
	bool (*is_present)(u64 entry);
};

extern const struct vireo_pte_format vireo_npt_format;
extern const struct vireo_pte_format vireo_ept_format;

/* Index into the table at level (1 = the leaves) for a guest-physical address. */
static inline unsigned int vireo_pt_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (VIREO_PT_ENTRIES - 1);
}

static inline u64 vireo_pte_addr(u64 entry)
{
	return entry & VIREO_PT_ADDR_MASK;
}

#endif /* VIREO_PTE_H */
