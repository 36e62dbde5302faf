// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel EPT entries: read, write and execute permissions in bits 0-2, and
 * in a leaf the memory type in bits 3-5.  RAM is mapped write-back with
 * the guest's PAT honoured (the "ignore PAT" bit is clear).
 */
#include "pte.h"

#define EPT_READ (1ULL << 0)
#define EPT_WRITE (1ULL << 1)
#define EPT_EXEC (1ULL << 2)
#define EPT_MEMTYPE_WB (6ULL << 3)

static u64 ept_table_entry(u64 table_pa)
{
	return (table_pa & VIREO_PT_ADDR_MASK) | EPT_READ | EPT_WRITE |
	       EPT_EXEC;
}

static u64 ept_leaf_entry(u64 page_pa, bool writable)
{
	return (page_pa & VIREO_PT_ADDR_MASK) | EPT_READ | EPT_EXEC |
	       EPT_MEMTYPE_WB | (writable ? EPT_WRITE : 0);
}

/* An entry with none of R, W, X maps nothing. */
static bool ept_is_present(u64 entry)
{
	return entry & (EPT_READ | EPT_WRITE | EPT_EXEC);
}

const struct vireo_pte_format vireo_ept_format = {
	.name = "EPT",
	.table_entry = ept_table_entry,
	.leaf_entry = ept_leaf_entry,
	.is_present = ept_is_present,
};
