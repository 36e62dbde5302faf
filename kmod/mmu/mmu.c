// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested page tables built on demand.
 *
 * A nested fault on a guest page in a memory slot looks the host page up
 * with get_user_pages, maps it, and drops the page reference at once: the
 * host stays free to swap, migrate or unmap it.  An MMU notifier removes
 * the nested entries for any host range that changes, and every vCPU
 * flushes its TLB before it next enters the guest.
 *
 * The fault path does not hold mmu.lock while it sleeps in
 * get_user_pages; it reads invalidate_seq first and maps only if no
 * invalidation started or ended since.
 */
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/slab.h>
#include <asm/io.h>

#include "../vireo.h"
#include "../vendor.h"
#include "pte.h"

/* Table pages a single fault may need below the root. */
#define FAULT_TABLE_PAGES (VIREO_PT_MAX_LEVELS - 1)

static const struct vireo_pte_format *fmt(void)
{
	return vireo_vendor->pte_format;
}

static u64 *table_va(u64 entry)
{
	return __va(vireo_pte_addr(entry));
}

/* ---- Removing entries ----------------------------------------------- */

/*
 * Clear the leaves for gfns [start, end) below table, which covers the
 * gfns from base at level.  Returns true if anything was present.
 */
static bool zap_table(u64 *table, int level, u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << (9 * (level - 1));	/* gfns per entry */
	bool zapped = false;
	unsigned int i;

	for (i = 0; i < VIREO_PT_ENTRIES; i++) {
		u64 lo = base + i * span, hi = lo + span;

		if (hi <= start || lo >= end || !fmt()->is_present(table[i]))
			continue;
		if (level == 1) {
			WRITE_ONCE(table[i], 0);
			zapped = true;
		} else {
			zapped |= zap_table(table_va(table[i]), level - 1, lo,
					    start, end);
		}
	}
	return zapped;
}

static bool zap_locked(struct vireo_vm *vm, u64 gfn, u64 npages)
{
	lockdep_assert_held(&vm->mmu.lock);
	return zap_table(vm->mmu.root, vm->mmu.levels, 0, gfn, gfn + npages);
}

static void flush_remote(struct vireo_vm *vm)
{
	atomic_long_inc(&vm->mmu.tlb_generation);
	vireo_kick_vcpus_for_flush(vm);
}

void vireo_mmu_zap_gfn_range(struct vireo_vm *vm, u64 gfn, u64 npages)
{
	bool zapped;

	spin_lock(&vm->mmu.lock);
	zapped = zap_locked(vm, gfn, npages);
	spin_unlock(&vm->mmu.lock);
	if (zapped)
		flush_remote(vm);
}

/* ---- The MMU notifier ----------------------------------------------- */

static struct vireo_vm *notifier_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct vireo_vm, mmu.notifier);
}

/* Zap every slot's part of the host range [start, end). */
static bool zap_hva_range(struct vireo_vm *vm, unsigned long start,
			  unsigned long end)
{
	struct vireo_memslots *slots;
	bool zapped = false;
	int i, idx;

	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->memslots, &vm->srcu);
	for (i = 0; i < slots->count; i++) {
		const struct vireo_memslot *s = &slots->slots[i];
		unsigned long s_end = s->userspace_addr +
				      (s->npages << PAGE_SHIFT);
		unsigned long lo = max(start, s->userspace_addr);
		unsigned long hi = min(end, s_end);

		if (lo >= hi)
			continue;
		zapped |= zap_locked(vm, s->base_gfn +
				     ((lo - s->userspace_addr) >> PAGE_SHIFT),
				     (PAGE_ALIGN(hi) - (lo & PAGE_MASK)) >>
				     PAGE_SHIFT);
	}
	srcu_read_unlock(&vm->srcu, idx);
	return zapped;
}

static int vireo_mn_invalidate_start(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct vireo_vm *vm = notifier_vm(mn);
	bool zapped;

	spin_lock(&vm->mmu.lock);
	vm->mmu.invalidate_count++;
	zapped = zap_hva_range(vm, range->start, range->end);
	spin_unlock(&vm->mmu.lock);
	if (zapped)
		flush_remote(vm);
	return 0;
}

static void vireo_mn_invalidate_end(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct vireo_vm *vm = notifier_vm(mn);

	spin_lock(&vm->mmu.lock);
	vm->mmu.invalidate_seq++;
	vm->mmu.invalidate_count--;
	spin_unlock(&vm->mmu.lock);
}

/* The process is exiting: nothing may stay mapped. */
static void vireo_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vireo_vm *vm = notifier_vm(mn);
	bool zapped;

	spin_lock(&vm->mmu.lock);
	zapped = zap_locked(vm, 0, VIREO_GPA_LIMIT >> PAGE_SHIFT);
	spin_unlock(&vm->mmu.lock);
	if (zapped)
		flush_remote(vm);
}

static const struct mmu_notifier_ops vireo_mn_ops = {
	.invalidate_range_start = vireo_mn_invalidate_start,
	.invalidate_range_end = vireo_mn_invalidate_end,
	.release = vireo_mn_release,
};

/* ---- Mapping on a nested fault ----------------------------------------- */

struct table_cache {
	int count;
	void *pages[FAULT_TABLE_PAGES];
};

static int cache_fill(struct table_cache *c)
{
	while (c->count < FAULT_TABLE_PAGES) {
		void *p = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		c->pages[c->count++] = p;
	}
	return 0;
}

static void cache_free(struct table_cache *c)
{
	while (c->count)
		free_page((unsigned long)c->pages[--c->count]);
}

/* Install the leaf for gpa, creating tables from the cache. */
static u64 *install_leaf(struct vireo_vm *vm, u64 gpa, u64 leaf,
			 struct table_cache *cache)
{
	u64 *table = vm->mmu.root;
	int level;

	for (level = vm->mmu.levels; level > 1; level--) {
		u64 *entry = &table[vireo_pt_index(gpa, level)];

		if (!fmt()->is_present(*entry)) {
			void *page = cache->pages[--cache->count];

			vm->mmu.table_pages++;
			WRITE_ONCE(*entry, fmt()->table_entry(__pa(page)));
		}
		table = table_va(*entry);
	}
	table += vireo_pt_index(gpa, 1);
	WRITE_ONCE(*table, leaf);
	return table;
}

static struct page *get_host_page(unsigned long hva, bool *writable)
{
	struct page *page;

	if (*writable &&
	    get_user_pages_unlocked(hva, 1, &page, FOLL_WRITE | FOLL_HWPOISON) == 1)
		return page;
	/* A read-only host mapping still serves reads. */
	*writable = false;
	if (get_user_pages_unlocked(hva, 1, &page, FOLL_HWPOISON) == 1)
		return page;
	return NULL;
}

/*
 * Resolve a nested fault.  Returns 0 with *is_mmio set when the address is
 * not RAM the access may use (no slot, or a write to a read-only slot), 0
 * after mapping (or after losing a race: the guest simply faults again),
 * or a negative errno when the slot's host memory is gone.
 */
int vireo_mmu_map_gpa(struct vireo_vcpu *vcpu, u64 gpa, bool write,
		      bool *is_mmio)
{
	struct vireo_vm *vm = vcpu->vm;
	struct table_cache cache = { 0 };
	const struct vireo_memslot *slot;
	unsigned long hva, seq;
	struct page *page;
	bool writable;
	int ret = 0;

	slot = vireo_find_memslot(vireo_memslots(vm), gpa >> PAGE_SHIFT);
	/* Being deleted or moved: the guest faults again until it is done. */
	if (slot && (slot->flags & VIREO_MEMSLOT_INVALID))
		return 0;
	writable = slot && !(slot->flags & VIREO_MEM_READONLY);
	if (!slot || (write && !writable)) {
		*is_mmio = true;
		return 0;
	}
	hva = slot->userspace_addr +
	      (((gpa >> PAGE_SHIFT) - slot->base_gfn) << PAGE_SHIFT);

	seq = READ_ONCE(vm->mmu.invalidate_seq);
	smp_rmb();	/* the sequence before the page lookup */
	page = get_host_page(hva, &writable);
	if (!page || (write && !writable)) {
		if (page)
			put_page(page);
		return -EFAULT;
	}
	ret = cache_fill(&cache);
	if (ret)
		goto out;

	spin_lock(&vm->mmu.lock);
	if (!vm->mmu.invalidate_count && vm->mmu.invalidate_seq == seq)
		install_leaf(vm, gpa, fmt()->leaf_entry(page_to_phys(page),
							 writable), &cache);
	spin_unlock(&vm->mmu.lock);
out:
	put_page(page);
	cache_free(&cache);
	return ret;
}

/* ---- Setup and teardown --------------------------------------------- */

int vireo_mmu_init(struct vireo_vm *vm)
{
	struct vireo_mmu *mmu = &vm->mmu;
	int ret;

	spin_lock_init(&mmu->lock);
	mmu->levels = vireo_vendor->nested_pt_levels();
	atomic_long_set(&mmu->tlb_generation, 0);
	mmu->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!mmu->root)
		return -ENOMEM;
	mmu->root_pa = __pa(mmu->root);
	mmu->notifier.ops = &vireo_mn_ops;
	ret = mmu_notifier_register(&mmu->notifier, vm->mm);
	if (ret) {
		free_page((unsigned long)mmu->root);
		mmu->root = NULL;
		return ret;
	}
	mmu->notifier_registered = true;
	return 0;
}

static void free_tables(u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < VIREO_PT_ENTRIES; i++)
			if (fmt()->is_present(table[i]))
				free_tables(table_va(table[i]), level - 1);
	}
	free_page((unsigned long)table);
}

void vireo_mmu_destroy(struct vireo_vm *vm)
{
	if (vm->mmu.notifier_registered)
		mmu_notifier_unregister(&vm->mmu.notifier, vm->mm);
	if (vm->mmu.root)
		free_tables(vm->mmu.root, vm->mmu.levels);
	vm->mmu.root = NULL;
}
