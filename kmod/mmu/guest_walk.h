/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest page-table walker: translates a guest linear address to a guest
 * physical address the way the guest's MMU would (paging off, 32-bit,
 * PAE, 4-level long mode; 4K, 2M/4M and 1G pages).  Pure code, used by
 * the module to fetch instruction bytes and string I/O data, and by the
 * host unit tests.
 */
#ifndef VIREO_GUEST_WALK_H
#define VIREO_GUEST_WALK_H

#include "../pure.h"

/* Kind of access being translated (bits of the access argument). */
#define VIREO_WALK_WRITE (1U << 0)
#define VIREO_WALK_USER (1U << 1)
#define VIREO_WALK_FETCH (1U << 2)

struct vireo_walk_ctx {
	u64 cr0, cr3, cr4, efer;
	/*
	 * Read one page-table entry (size 4 or 8) at a guest-physical
	 * address.  Returns 0, or a negative errno when the address is not
	 * guest memory.
	 */
	int (*read_gpa)(void *opaque, u64 gpa, void *buf, unsigned int size);
	void *opaque;
};

/*
 * Returns 0 and sets *gpa; -EFAULT when the guest would take a page fault
 * (*pf_error then holds the #PF error code); or the error of read_gpa.
 * An -EFAULT (or positive value) from read_gpa is returned as -EIO so it
 * cannot be mistaken for a guest page fault.  Also -EINVAL for a
 * non-canonical address in long mode (a #GP, not a #PF) or an impossible
 * control-register state, and -EOPNOTSUPP for 5-level paging.
 * Accessed and dirty bits are not set; MAXPHYADDR is taken as 52.
 */
int vireo_guest_walk(const struct vireo_walk_ctx *ctx, u64 gva,
		     unsigned int access, u64 *gpa, u32 *pf_error);

#endif /* VIREO_GUEST_WALK_H */
