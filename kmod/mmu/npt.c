// SPDX-License-Identifier: GPL-2.0-only
/*
 * AMD nested page table entries.  They have the long-mode page-table
 * format, and every nested access counts as a user access, so the U/S bit
 * is set at every level.  The memory type comes from PAT index 0 (write
 * back), combined by the hardware with the guest's own choice.
 */
#include "pte.h"

#define NPT_PRESENT (1ULL << 0)
#define NPT_WRITABLE (1ULL << 1)
#define NPT_USER (1ULL << 2)

static u64 npt_table_entry(u64 table_pa)
{
	return (table_pa & VIREO_PT_ADDR_MASK) | NPT_PRESENT | NPT_WRITABLE |
	       NPT_USER;
}

static u64 npt_leaf_entry(u64 page_pa, bool writable)
{
	return (page_pa & VIREO_PT_ADDR_MASK) | NPT_PRESENT | NPT_USER |
	       (writable ? NPT_WRITABLE : 0);
}

static bool npt_is_present(u64 entry)
{
	return entry & NPT_PRESENT;
}

const struct vireo_pte_format vireo_npt_format = {
	.name = "NPT",
	.table_entry = npt_table_entry,
	.leaf_entry = npt_leaf_entry,
	.is_present = npt_is_present,
};
