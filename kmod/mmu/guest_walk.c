// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest page-table walker (see guest_walk.h).
 *
 * One loop walks every format; a small description per paging mode says
 * how many levels there are, how wide an entry is and how the root is
 * found.  The walker only reads the tables: it does not set accessed or
 * dirty bits.  MAXPHYADDR is taken as 52, the architectural maximum, so
 * address bits the guest's CPU might reserve below that are accepted.
 * Not modelled: SMAP and protection keys (they need RFLAGS.AC and PKRU),
 * and the PDPTE cache of PAE paging (the PDPTEs are read from memory).
 */
#include "guest_walk.h"

#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMEP (1ULL << 20)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define PTE_NX (1ULL << 63)

#define PF_PRESENT (1U << 0)
#define PF_WRITE (1U << 1)
#define PF_USER (1U << 2)
#define PF_RSVD (1U << 3)
#define PF_FETCH (1U << 4)

#define PAGE_SHIFT_4K 12
#define ADDR_MASK_64 0x000ffffffffff000ULL
#define ADDR_MASK_32 0xfffff000ULL

/* Bits hi..lo set (hi < 64). */
#define BITS(hi, lo) ((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))

enum paging_mode { PAGING_32, PAGING_PAE, PAGING_4LEVEL };

struct walk {
	const struct vireo_walk_ctx *ctx;
	enum paging_mode mode;
	unsigned int access;
	/* Rights accumulated over the levels walked so far. */
	bool writable;
	bool user;
	bool no_exec;
};

static bool nx_enabled(const struct walk *w)
{
	return w->mode != PAGING_32 && (w->ctx->efer & EFER_NXE);
}

static unsigned int levels_of(enum paging_mode mode)
{
	return mode == PAGING_32 ? 2 : mode == PAGING_PAE ? 3 : 4;
}

static unsigned int entry_size_of(enum paging_mode mode)
{
	return mode == PAGING_32 ? 4 : 8;
}

static unsigned int index_bits_of(enum paging_mode mode)
{
	return mode == PAGING_32 ? 10 : 9;
}

static unsigned int level_shift(enum paging_mode mode, unsigned int level)
{
	return PAGE_SHIFT_4K + index_bits_of(mode) * (level - 1);
}

static u64 root_table(const struct walk *w)
{
	u64 cr3 = w->ctx->cr3;

	switch (w->mode) {
	case PAGING_32:
		return cr3 & ADDR_MASK_32;
	case PAGING_PAE:
		return cr3 & 0xffffffe0ULL;
	default:
		return cr3 & ADDR_MASK_64;
	}
}

/* PAE's top level (the PDPTEs) has no rights bits and no large pages. */
static bool is_pae_pdpte(const struct walk *w, unsigned int level)
{
	return w->mode == PAGING_PAE && level == 3;
}

static bool is_large_page(const struct walk *w, u64 entry, unsigned int level)
{
	if (!(entry & PTE_PS))
		return false;
	switch (w->mode) {
	case PAGING_32:
		return level == 2 && (w->ctx->cr4 & CR4_PSE);
	case PAGING_PAE:
		return level == 2;
	default:
		return level == 2 || level == 3;
	}
}

/* Bits that must be zero in an entry of this level. */
static u64 reserved_bits(const struct walk *w, u64 entry, unsigned int level)
{
	bool large = is_large_page(w, entry, level);
	u64 rsvd = 0;

	if (w->mode == PAGING_32)
		return large ? BITS(21, 21) : 0;
	if (is_pae_pdpte(w, level))
		return BITS(63, 52) | BITS(8, 5) | BITS(2, 1);
	if (w->mode == PAGING_PAE)
		rsvd |= BITS(62, 52);
	if (!nx_enabled(w))
		rsvd |= PTE_NX;
	if (w->mode == PAGING_4LEVEL && level == 4)
		rsvd |= PTE_PS;
	if (large)
		rsvd |= BITS(level_shift(w->mode, level) - 1, 13);
	return rsvd;
}

static void accumulate_rights(struct walk *w, u64 entry, unsigned int level)
{
	if (is_pae_pdpte(w, level))
		return;
	w->writable = w->writable && (entry & PTE_RW);
	w->user = w->user && (entry & PTE_US);
	if (nx_enabled(w) && (entry & PTE_NX))
		w->no_exec = true;
}

/* Physical address of the page (or large page) an entry maps. */
static u64 frame_of(const struct walk *w, u64 entry, unsigned int level)
{
	u64 low_mask = (1ULL << level_shift(w->mode, level)) - 1;

	if (w->mode != PAGING_32)
		return entry & ADDR_MASK_64 & ~low_mask;
	if (level == 1)
		return entry & ADDR_MASK_32;
	/* 4M page; PSE-36 puts address bits 39:32 in entry bits 20:13. */
	return (entry & BITS(31, 22)) | ((entry & BITS(20, 13)) << 19);
}

static bool access_allowed(const struct walk *w)
{
	unsigned int access = w->access;
	bool user = access & VIREO_WALK_USER;

	if (user && !w->user)
		return false;
	if ((access & VIREO_WALK_WRITE) && !w->writable &&
	    (user || (w->ctx->cr0 & CR0_WP)))
		return false;
	if (access & VIREO_WALK_FETCH) {
		if (w->no_exec)
			return false;
		if (!user && w->user && (w->ctx->cr4 & CR4_SMEP))
			return false;
	}
	return true;
}

/* The error code bits describing the access itself. */
static u32 access_error_bits(const struct walk *w)
{
	const struct vireo_walk_ctx *ctx = w->ctx;
	u32 err = 0;

	if (w->access & VIREO_WALK_WRITE)
		err |= PF_WRITE;
	if (w->access & VIREO_WALK_USER)
		err |= PF_USER;
	if ((w->access & VIREO_WALK_FETCH) &&
	    ((ctx->cr4 & CR4_SMEP) || nx_enabled(w)))
		err |= PF_FETCH;
	return err;
}

static int page_fault(const struct walk *w, u32 extra, u32 *pf_error)
{
	*pf_error = access_error_bits(w) | extra;
	return -EFAULT;
}

static int read_entry(const struct walk *w, u64 gpa, u64 *entry)
{
	unsigned int size = entry_size_of(w->mode);
	u8 buf[8] = { 0 };
	unsigned int i;
	int ret;

	ret = w->ctx->read_gpa(w->ctx->opaque, gpa, buf, size);
	if (ret)
		return ret == -EFAULT || ret > 0 ? -EIO : ret;
	*entry = 0;
	for (i = 0; i < size; i++)
		*entry |= (u64)buf[i] << (8 * i);
	return 0;
}

static int walk_tables(struct walk *w, u64 gva, u64 *gpa, u32 *pf_error)
{
	u64 index_mask = (1ULL << index_bits_of(w->mode)) - 1;
	u64 table = root_table(w);
	unsigned int level;

	for (level = levels_of(w->mode); level >= 1; level--) {
		unsigned int shift = level_shift(w->mode, level);
		u64 index = (gva >> shift) & index_mask;
		u64 entry;
		int ret;

		ret = read_entry(w, table + index * entry_size_of(w->mode),
				 &entry);
		if (ret)
			return ret;
		if (!(entry & PTE_P))
			return page_fault(w, 0, pf_error);
		if (entry & reserved_bits(w, entry, level))
			return page_fault(w, PF_PRESENT | PF_RSVD, pf_error);
		accumulate_rights(w, entry, level);
		if (level == 1 || is_large_page(w, entry, level)) {
			if (!access_allowed(w))
				return page_fault(w, PF_PRESENT, pf_error);
			*gpa = frame_of(w, entry, level) |
			       (gva & ((1ULL << shift) - 1));
			return 0;
		}
		table = w->mode == PAGING_32 ? entry & ADDR_MASK_32 :
					       entry & ADDR_MASK_64;
	}
	return -EINVAL; /* not reached: level 1 always ends the walk */
}

static bool is_canonical_48(u64 gva)
{
	u64 upper = gva >> 47;

	return upper == 0 || upper == (~0ULL >> 47);
}

int vireo_guest_walk(const struct vireo_walk_ctx *ctx, u64 gva,
		     unsigned int access, u64 *gpa, u32 *pf_error)
{
	struct walk w = {
		.ctx = ctx, .access = access,
		.writable = true, .user = true, .no_exec = false,
	};
	bool long_mode = ctx->efer & EFER_LMA;

	*pf_error = 0;
	if (!long_mode)
		gva &= 0xffffffffULL;
	if (!(ctx->cr0 & CR0_PG)) {
		*gpa = gva;
		return 0;
	}
	if (long_mode) {
		if (!(ctx->cr4 & CR4_PAE))
			return -EINVAL;
		if (ctx->cr4 & CR4_LA57)
			return -EOPNOTSUPP;
		if (!is_canonical_48(gva))
			return -EINVAL; /* #GP, not #PF */
		w.mode = PAGING_4LEVEL;
	} else {
		w.mode = ctx->cr4 & CR4_PAE ? PAGING_PAE : PAGING_32;
	}
	if (!ctx->read_gpa)
		return -EINVAL;
	return walk_tables(&w, gva, gpa, pf_error);
}
