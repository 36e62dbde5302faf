/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one interface between the core and a vendor backend.  Each backend
 * fills one constant table at the bottom of its file; main.c picks the
 * first whose probe() says yes when the module loads.
 *
 * Calling context: vcpu_* ops run with the vCPU's mutex held; enter()
 * runs with interrupts and preemption disabled; cpu_enable/cpu_disable
 * run on the CPU concerned with interrupts disabled.
 */
#ifndef VIREO_VENDOR_H
#define VIREO_VENDOR_H

#include "vireo.h"
#include "mmu/guest_walk.h"
#include "mmu/pte.h"

struct vireo_vendor_ops {
	const char *name;

	/* Module load: 0 when this CPU family can run guests, else -ENODEV. */
	int (*probe)(void);
	void (*unload)(void);	/* undoes a successful probe() */
	/* Page-table entry format of the nested tables (mmu/pte.h). */
	const struct vireo_pte_format *pte_format;
	int (*nested_pt_levels)(void);

	int (*cpu_enable)(void);	/* -EBUSY: someone else owns it */
	void (*cpu_disable)(void);

	int (*vcpu_create)(struct vireo_vcpu *vcpu);
	void (*vcpu_free)(struct vireo_vcpu *vcpu);
	/* Architectural state after RESET (real mode at f000:fff0). */
	void (*vcpu_reset)(struct vireo_vcpu *vcpu);

	/*
	 * Optional: make the vCPU's hardware state usable on this CPU, with
	 * preemption disabled and interrupts still on.
	 */
	void (*vcpu_load)(struct vireo_vcpu *vcpu);
	/*
	 * Enter the guest once, with interrupts and preemption disabled;
	 * flush_tlb asks for the guest's TLB entries to be dropped first.
	 * Only records the exit.
	 */
	void (*enter)(struct vireo_vcpu *vcpu, bool flush_tlb);
	/*
	 * Handle the recorded exit, preemptible.  Returns 1 to enter again,
	 * 0 to return to userspace with run->exit_reason set, or -errno.
	 */
	int (*handle_exit)(struct vireo_vcpu *vcpu);

	void (*get_sregs)(struct vireo_vcpu *vcpu, struct vireo_sregs *sregs);
	void (*set_sregs)(struct vireo_vcpu *vcpu,
			  const struct vireo_sregs *sregs);
	/* MSRs kept in the VMCB/VMCS; -ENOENT when not one of those. */
	int (*get_msr)(struct vireo_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct vireo_vcpu *vcpu, u32 index, u64 data);

	/* What the emulator and the guest walker need to know. */
	enum vireo_cpu_mode (*cpu_mode)(struct vireo_vcpu *vcpu);
	u64 (*segment_base)(struct vireo_vcpu *vcpu, enum vireo_seg seg);
	void (*paging_state)(struct vireo_vcpu *vcpu,
			     struct vireo_walk_ctx *ctx);
	u64 (*get_cr4)(struct vireo_vcpu *vcpu);
	int (*get_cpl)(struct vireo_vcpu *vcpu);

	/* Events. */
	bool (*interrupt_allowed)(struct vireo_vcpu *vcpu);
	/* An event is already set for the next entry (one put back). */
	bool (*event_pending)(struct vireo_vcpu *vcpu);
	void (*inject_irq)(struct vireo_vcpu *vcpu, u8 vector);
	void (*inject_nmi)(struct vireo_vcpu *vcpu);
	void (*inject_exception)(struct vireo_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error, u64 cr2);
	/* Exit as soon as the guest can take an interrupt. */
	void (*request_irq_window)(struct vireo_vcpu *vcpu, bool on);
	/*
	 * Optional: called after each exit with the host's state back and
	 * interrupts still off (VT-x hands an acknowledged interrupt to
	 * its handler here).
	 */
	void (*exit_irqoff)(struct vireo_vcpu *vcpu);
	/*
	 * The instruction after STI or MOV SS completed: interrupts are no
	 * longer held off for it.
	 */
	void (*clear_interrupt_shadow)(struct vireo_vcpu *vcpu);
};

extern const struct vireo_vendor_ops *vireo_vendor;
extern const struct vireo_vendor_ops vireo_svm_ops;
extern const struct vireo_vendor_ops vireo_vmx_ops;

#endif /* VIREO_VENDOR_H */
