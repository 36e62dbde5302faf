// SPDX-License-Identifier: GPL-2.0-only
/*
 * Vireo's user ABI must be KVM's, bit for bit, for the subset it offers:
 * every struct of include/uapi/linux/vireo.h is compared field by field
 * (offset and size) with the system's <linux/kvm.h>, and every ioctl
 * number, exit reason, capability and flag with its KVM_* twin.  The
 * comparisons are _Static_asserts, so a mismatch does not even build;
 * they are also counted at run time so the report shows what was checked.
 */
#include <stddef.h>
#include <stdio.h>

#include <linux/kvm.h>
#include <linux/vireo.h>

#include "unit.h"

static unsigned int checked, mismatched;

static void record(bool ok, const char *what)
{
	checked++;
	if (!ok) {
		mismatched++;
		unit_diag("mismatch: %s", what);
	}
}

static void report(const char *what)
{
	unit_case(!mismatched, "uapi: %s (%u checks)", what, checked);
	checked = 0;
	mismatched = 0;
}

#define MEMBER_SIZE(type, f) sizeof(((type *)0)->f)

/* Field vf of struct v sits where field kf of struct k does, same size. */
#define SAME_FIELD2(v, vf, k, kf)					\
	do {								\
		_Static_assert(offsetof(struct v, vf) ==		\
			       offsetof(struct k, kf),			\
			       #v "." #vf ": offset differs");		\
		_Static_assert(MEMBER_SIZE(struct v, vf) ==		\
			       MEMBER_SIZE(struct k, kf),		\
			       #v "." #vf ": size differs");		\
		record(offsetof(struct v, vf) == offsetof(struct k, kf) && \
		       MEMBER_SIZE(struct v, vf) ==			\
		       MEMBER_SIZE(struct k, kf), #v "." #vf);		\
	} while (0)

#define SAME_FIELD(v, k, f) SAME_FIELD2(v, f, k, f)

/* For flexible array members, which have no size: offset only. */
#define SAME_OFFSET(v, k, f)						\
	do {								\
		_Static_assert(offsetof(struct v, f) ==			\
			       offsetof(struct k, f),			\
			       #v "." #f ": offset differs");		\
		record(offsetof(struct v, f) == offsetof(struct k, f),	\
		       #v "." #f);					\
	} while (0)

#define SAME_SIZE(v, k)							\
	do {								\
		_Static_assert(sizeof(struct v) == sizeof(struct k),	\
			       "sizeof " #v " differs");		\
		_Static_assert(_Alignof(struct v) == _Alignof(struct k), \
			       "alignment of " #v " differs");		\
		record(sizeof(struct v) == sizeof(struct k) &&		\
		       _Alignof(struct v) == _Alignof(struct k),	\
		       "sizeof " #v);					\
	} while (0)

#define SAME_CONST(name)						\
	do {								\
		_Static_assert((unsigned long long)(VIREO_##name) ==	\
			       (unsigned long long)(KVM_##name),	\
			       "VIREO_" #name " differs");		\
		record((unsigned long long)(VIREO_##name) ==		\
		       (unsigned long long)(KVM_##name), "VIREO_" #name); \
	} while (0)

static void check_memory_region(void)
{
	SAME_SIZE(vireo_memory_region, kvm_userspace_memory_region);
	SAME_FIELD(vireo_memory_region, kvm_userspace_memory_region, slot);
	SAME_FIELD(vireo_memory_region, kvm_userspace_memory_region, flags);
	SAME_FIELD(vireo_memory_region, kvm_userspace_memory_region,
		   guest_phys_addr);
	SAME_FIELD(vireo_memory_region, kvm_userspace_memory_region,
		   memory_size);
	SAME_FIELD(vireo_memory_region, kvm_userspace_memory_region,
		   userspace_addr);
	report("vireo_memory_region == kvm_userspace_memory_region");
}

static void check_ioeventfd(void)
{
	SAME_SIZE(vireo_ioeventfd, kvm_ioeventfd);
	SAME_FIELD(vireo_ioeventfd, kvm_ioeventfd, datamatch);
	SAME_FIELD(vireo_ioeventfd, kvm_ioeventfd, addr);
	SAME_FIELD(vireo_ioeventfd, kvm_ioeventfd, len);
	SAME_FIELD(vireo_ioeventfd, kvm_ioeventfd, fd);
	SAME_FIELD(vireo_ioeventfd, kvm_ioeventfd, flags);
	SAME_FIELD(vireo_ioeventfd, kvm_ioeventfd, pad);
	report("vireo_ioeventfd == kvm_ioeventfd");
}

static void check_regs(void)
{
	SAME_SIZE(vireo_regs, kvm_regs);
	SAME_FIELD(vireo_regs, kvm_regs, rax);
	SAME_FIELD(vireo_regs, kvm_regs, rbx);
	SAME_FIELD(vireo_regs, kvm_regs, rcx);
	SAME_FIELD(vireo_regs, kvm_regs, rdx);
	SAME_FIELD(vireo_regs, kvm_regs, rsi);
	SAME_FIELD(vireo_regs, kvm_regs, rdi);
	SAME_FIELD(vireo_regs, kvm_regs, rsp);
	SAME_FIELD(vireo_regs, kvm_regs, rbp);
	SAME_FIELD(vireo_regs, kvm_regs, r8);
	SAME_FIELD(vireo_regs, kvm_regs, r9);
	SAME_FIELD(vireo_regs, kvm_regs, r10);
	SAME_FIELD(vireo_regs, kvm_regs, r11);
	SAME_FIELD(vireo_regs, kvm_regs, r12);
	SAME_FIELD(vireo_regs, kvm_regs, r13);
	SAME_FIELD(vireo_regs, kvm_regs, r14);
	SAME_FIELD(vireo_regs, kvm_regs, r15);
	SAME_FIELD(vireo_regs, kvm_regs, rip);
	SAME_FIELD(vireo_regs, kvm_regs, rflags);
	report("vireo_regs == kvm_regs");
}

static void check_segment_dtable(void)
{
	SAME_SIZE(vireo_segment, kvm_segment);
	SAME_FIELD(vireo_segment, kvm_segment, base);
	SAME_FIELD(vireo_segment, kvm_segment, limit);
	SAME_FIELD(vireo_segment, kvm_segment, selector);
	SAME_FIELD(vireo_segment, kvm_segment, type);
	SAME_FIELD(vireo_segment, kvm_segment, present);
	SAME_FIELD(vireo_segment, kvm_segment, dpl);
	SAME_FIELD(vireo_segment, kvm_segment, db);
	SAME_FIELD(vireo_segment, kvm_segment, s);
	SAME_FIELD(vireo_segment, kvm_segment, l);
	SAME_FIELD(vireo_segment, kvm_segment, g);
	SAME_FIELD(vireo_segment, kvm_segment, avl);
	SAME_FIELD(vireo_segment, kvm_segment, unusable);
	SAME_FIELD(vireo_segment, kvm_segment, padding);
	report("vireo_segment == kvm_segment");

	SAME_SIZE(vireo_dtable, kvm_dtable);
	SAME_FIELD(vireo_dtable, kvm_dtable, base);
	SAME_FIELD(vireo_dtable, kvm_dtable, limit);
	SAME_FIELD(vireo_dtable, kvm_dtable, padding);
	report("vireo_dtable == kvm_dtable");
}

static void check_sregs(void)
{
	SAME_SIZE(vireo_sregs, kvm_sregs);
	SAME_FIELD(vireo_sregs, kvm_sregs, cs);
	SAME_FIELD(vireo_sregs, kvm_sregs, ds);
	SAME_FIELD(vireo_sregs, kvm_sregs, es);
	SAME_FIELD(vireo_sregs, kvm_sregs, fs);
	SAME_FIELD(vireo_sregs, kvm_sregs, gs);
	SAME_FIELD(vireo_sregs, kvm_sregs, ss);
	SAME_FIELD(vireo_sregs, kvm_sregs, tr);
	SAME_FIELD(vireo_sregs, kvm_sregs, ldt);
	SAME_FIELD(vireo_sregs, kvm_sregs, gdt);
	SAME_FIELD(vireo_sregs, kvm_sregs, idt);
	SAME_FIELD(vireo_sregs, kvm_sregs, cr0);
	SAME_FIELD(vireo_sregs, kvm_sregs, cr2);
	SAME_FIELD(vireo_sregs, kvm_sregs, cr3);
	SAME_FIELD(vireo_sregs, kvm_sregs, cr4);
	SAME_FIELD(vireo_sregs, kvm_sregs, cr8);
	SAME_FIELD(vireo_sregs, kvm_sregs, efer);
	SAME_FIELD(vireo_sregs, kvm_sregs, apic_base);
	SAME_FIELD(vireo_sregs, kvm_sregs, interrupt_bitmap);
	report("vireo_sregs == kvm_sregs");
}

static void check_fpu(void)
{
	SAME_SIZE(vireo_fpu, kvm_fpu);
	SAME_FIELD(vireo_fpu, kvm_fpu, fpr);
	SAME_FIELD(vireo_fpu, kvm_fpu, fcw);
	SAME_FIELD(vireo_fpu, kvm_fpu, fsw);
	SAME_FIELD(vireo_fpu, kvm_fpu, ftwx);
	SAME_FIELD(vireo_fpu, kvm_fpu, pad1);
	SAME_FIELD(vireo_fpu, kvm_fpu, last_opcode);
	SAME_FIELD(vireo_fpu, kvm_fpu, last_ip);
	SAME_FIELD(vireo_fpu, kvm_fpu, last_dp);
	SAME_FIELD(vireo_fpu, kvm_fpu, xmm);
	SAME_FIELD(vireo_fpu, kvm_fpu, mxcsr);
	SAME_FIELD(vireo_fpu, kvm_fpu, pad2);
	report("vireo_fpu == kvm_fpu");
}

static void check_xsave_xcrs(void)
{
	/* kvm_xsave ends in a flexible array, so only region is fixed. */
	SAME_SIZE(vireo_xsave, kvm_xsave);
	SAME_FIELD(vireo_xsave, kvm_xsave, region);
	report("vireo_xsave == kvm_xsave");

	SAME_SIZE(vireo_xcr, kvm_xcr);
	SAME_FIELD(vireo_xcr, kvm_xcr, xcr);
	SAME_FIELD(vireo_xcr, kvm_xcr, reserved);
	SAME_FIELD(vireo_xcr, kvm_xcr, value);
	report("vireo_xcr == kvm_xcr");

	SAME_SIZE(vireo_xcrs, kvm_xcrs);
	SAME_FIELD(vireo_xcrs, kvm_xcrs, nr_xcrs);
	SAME_FIELD(vireo_xcrs, kvm_xcrs, flags);
	SAME_FIELD(vireo_xcrs, kvm_xcrs, xcrs);
	SAME_FIELD(vireo_xcrs, kvm_xcrs, padding);
	report("vireo_xcrs == kvm_xcrs");
}

static void check_msrs(void)
{
	SAME_SIZE(vireo_msr_entry, kvm_msr_entry);
	SAME_FIELD(vireo_msr_entry, kvm_msr_entry, index);
	SAME_FIELD(vireo_msr_entry, kvm_msr_entry, reserved);
	SAME_FIELD(vireo_msr_entry, kvm_msr_entry, data);
	report("vireo_msr_entry == kvm_msr_entry");

	SAME_SIZE(vireo_msrs, kvm_msrs);
	SAME_FIELD(vireo_msrs, kvm_msrs, nmsrs);
	SAME_FIELD(vireo_msrs, kvm_msrs, pad);
	SAME_OFFSET(vireo_msrs, kvm_msrs, entries);
	SAME_FIELD(vireo_msrs, kvm_msrs, entries[0]);
	SAME_FIELD(vireo_msrs, kvm_msrs, entries[1].data);
	report("vireo_msrs == kvm_msrs");

	SAME_SIZE(vireo_msr_list, kvm_msr_list);
	SAME_FIELD(vireo_msr_list, kvm_msr_list, nmsrs);
	SAME_OFFSET(vireo_msr_list, kvm_msr_list, indices);
	SAME_FIELD(vireo_msr_list, kvm_msr_list, indices[0]);
	SAME_FIELD(vireo_msr_list, kvm_msr_list, indices[3]);
	report("vireo_msr_list == kvm_msr_list");
}

static void check_cpuid(void)
{
	SAME_SIZE(vireo_cpuid_entry2, kvm_cpuid_entry2);
	SAME_FIELD(vireo_cpuid_entry2, kvm_cpuid_entry2, function);
	SAME_FIELD(vireo_cpuid_entry2, kvm_cpuid_entry2, index);
	SAME_FIELD(vireo_cpuid_entry2, kvm_cpuid_entry2, flags);
	SAME_FIELD(vireo_cpuid_entry2, kvm_cpuid_entry2, eax);
	SAME_FIELD(vireo_cpuid_entry2, kvm_cpuid_entry2, ebx);
	SAME_FIELD(vireo_cpuid_entry2, kvm_cpuid_entry2, ecx);
	SAME_FIELD(vireo_cpuid_entry2, kvm_cpuid_entry2, edx);
	SAME_FIELD(vireo_cpuid_entry2, kvm_cpuid_entry2, padding);
	report("vireo_cpuid_entry2 == kvm_cpuid_entry2");

	SAME_SIZE(vireo_cpuid2, kvm_cpuid2);
	SAME_FIELD(vireo_cpuid2, kvm_cpuid2, nent);
	SAME_FIELD(vireo_cpuid2, kvm_cpuid2, padding);
	SAME_OFFSET(vireo_cpuid2, kvm_cpuid2, entries);
	SAME_FIELD(vireo_cpuid2, kvm_cpuid2, entries[0]);
	SAME_FIELD(vireo_cpuid2, kvm_cpuid2, entries[2].edx);
	report("vireo_cpuid2 == kvm_cpuid2");

	SAME_SIZE(vireo_interrupt, kvm_interrupt);
	SAME_FIELD(vireo_interrupt, kvm_interrupt, irq);
	report("vireo_interrupt == kvm_interrupt");
}

static void check_run_header(void)
{
	SAME_SIZE(vireo_run, kvm_run);
	SAME_FIELD(vireo_run, kvm_run, request_interrupt_window);
	SAME_FIELD(vireo_run, kvm_run, immediate_exit);
	SAME_FIELD(vireo_run, kvm_run, padding1);
	SAME_FIELD(vireo_run, kvm_run, exit_reason);
	SAME_FIELD(vireo_run, kvm_run, ready_for_interrupt_injection);
	SAME_FIELD(vireo_run, kvm_run, if_flag);
	SAME_FIELD(vireo_run, kvm_run, flags);
	SAME_FIELD(vireo_run, kvm_run, cr8);
	SAME_FIELD(vireo_run, kvm_run, apic_base);
	SAME_FIELD(vireo_run, kvm_run, padding);
	SAME_FIELD2(vireo_run, valid_regs, kvm_run, kvm_valid_regs);
	SAME_FIELD2(vireo_run, dirty_regs, kvm_run, kvm_dirty_regs);
	SAME_FIELD(vireo_run, kvm_run, s);
	SAME_FIELD(vireo_run, kvm_run, s.padding);
	report("vireo_run == kvm_run: header, valid/dirty_regs, s");
}

static void check_run_exits(void)
{
	SAME_FIELD(vireo_run, kvm_run, hw);
	SAME_FIELD(vireo_run, kvm_run, hw.hardware_exit_reason);
	SAME_FIELD(vireo_run, kvm_run, fail_entry);
	SAME_FIELD(vireo_run, kvm_run, fail_entry.hardware_entry_failure_reason);
	SAME_FIELD(vireo_run, kvm_run, fail_entry.cpu);
	SAME_FIELD(vireo_run, kvm_run, ex);
	SAME_FIELD(vireo_run, kvm_run, ex.exception);
	SAME_FIELD(vireo_run, kvm_run, ex.error_code);
	SAME_FIELD(vireo_run, kvm_run, io);
	SAME_FIELD(vireo_run, kvm_run, io.direction);
	SAME_FIELD(vireo_run, kvm_run, io.size);
	SAME_FIELD(vireo_run, kvm_run, io.port);
	SAME_FIELD(vireo_run, kvm_run, io.count);
	SAME_FIELD(vireo_run, kvm_run, io.data_offset);
	SAME_FIELD(vireo_run, kvm_run, mmio);
	SAME_FIELD(vireo_run, kvm_run, mmio.phys_addr);
	SAME_FIELD(vireo_run, kvm_run, mmio.data);
	SAME_FIELD(vireo_run, kvm_run, mmio.len);
	SAME_FIELD(vireo_run, kvm_run, mmio.is_write);
	SAME_FIELD(vireo_run, kvm_run, hypercall);
	SAME_FIELD(vireo_run, kvm_run, hypercall.nr);
	SAME_FIELD(vireo_run, kvm_run, hypercall.args);
	SAME_FIELD(vireo_run, kvm_run, hypercall.ret);
	SAME_FIELD(vireo_run, kvm_run, hypercall.longmode);
	SAME_FIELD(vireo_run, kvm_run, hypercall.pad);
	SAME_FIELD(vireo_run, kvm_run, internal);
	SAME_FIELD(vireo_run, kvm_run, internal.suberror);
	SAME_FIELD(vireo_run, kvm_run, internal.ndata);
	SAME_FIELD(vireo_run, kvm_run, internal.data);
	SAME_FIELD(vireo_run, kvm_run, system_event);
	SAME_FIELD(vireo_run, kvm_run, system_event.type);
	SAME_FIELD(vireo_run, kvm_run, system_event.ndata);
	SAME_FIELD(vireo_run, kvm_run, system_event.data);
	report("vireo_run == kvm_run: exit union members");
}

static void check_ioctls(void)
{
	_Static_assert(VIREO_IOCTL_TYPE == KVMIO, "ioctl type differs");
	record(VIREO_IOCTL_TYPE == KVMIO, "VIREO_IOCTL_TYPE");
	SAME_CONST(API_VERSION);
	SAME_CONST(GET_API_VERSION);
	SAME_CONST(CREATE_VM);
	SAME_CONST(GET_MSR_INDEX_LIST);
	SAME_CONST(CHECK_EXTENSION);
	SAME_CONST(GET_VCPU_MMAP_SIZE);
	SAME_CONST(GET_SUPPORTED_CPUID);
	SAME_CONST(CREATE_VCPU);
	SAME_CONST(SET_USER_MEMORY_REGION);
	SAME_CONST(SET_TSS_ADDR);
	SAME_CONST(IOEVENTFD);
	SAME_CONST(RUN);
	SAME_CONST(GET_REGS);
	SAME_CONST(SET_REGS);
	SAME_CONST(GET_SREGS);
	SAME_CONST(SET_SREGS);
	SAME_CONST(INTERRUPT);
	SAME_CONST(GET_MSRS);
	SAME_CONST(SET_MSRS);
	SAME_CONST(GET_FPU);
	SAME_CONST(SET_FPU);
	SAME_CONST(SET_CPUID2);
	SAME_CONST(GET_CPUID2);
	SAME_CONST(NMI);
	SAME_CONST(GET_XSAVE);
	SAME_CONST(SET_XSAVE);
	SAME_CONST(GET_XCRS);
	SAME_CONST(SET_XCRS);
	report("ioctl numbers equal KVM's");
}

static void check_exit_reasons(void)
{
	SAME_CONST(EXIT_UNKNOWN);
	SAME_CONST(EXIT_EXCEPTION);
	SAME_CONST(EXIT_IO);
	SAME_CONST(EXIT_HYPERCALL);
	SAME_CONST(EXIT_DEBUG);
	SAME_CONST(EXIT_HLT);
	SAME_CONST(EXIT_MMIO);
	SAME_CONST(EXIT_IRQ_WINDOW_OPEN);
	SAME_CONST(EXIT_SHUTDOWN);
	SAME_CONST(EXIT_FAIL_ENTRY);
	SAME_CONST(EXIT_INTR);
	SAME_CONST(EXIT_NMI);
	SAME_CONST(EXIT_INTERNAL_ERROR);
	SAME_CONST(EXIT_SYSTEM_EVENT);
	SAME_CONST(EXIT_IO_IN);
	SAME_CONST(EXIT_IO_OUT);
	SAME_CONST(INTERNAL_ERROR_EMULATION);
	SAME_CONST(INTERNAL_ERROR_SIMUL_EX);
	SAME_CONST(INTERNAL_ERROR_DELIVERY_EV);
	SAME_CONST(INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	SAME_CONST(PIO_PAGE_OFFSET);
	report("exit reasons and suberrors equal KVM's");
}

static void check_caps_and_flags(void)
{
	SAME_CONST(CAP_IRQCHIP);
	SAME_CONST(CAP_HLT);
	SAME_CONST(CAP_USER_MEMORY);
	SAME_CONST(CAP_SET_TSS_ADDR);
	SAME_CONST(CAP_EXT_CPUID);
	SAME_CONST(CAP_NR_VCPUS);
	SAME_CONST(CAP_NR_MEMSLOTS);
	SAME_CONST(CAP_NOP_IO_DELAY);
	SAME_CONST(CAP_COALESCED_MMIO);
	SAME_CONST(CAP_SYNC_MMU);
	SAME_CONST(CAP_DESTROY_MEMORY_REGION_WORKS);
	SAME_CONST(CAP_USER_NMI);
	SAME_CONST(CAP_JOIN_MEMORY_REGIONS_WORKS);
	SAME_CONST(CAP_IOEVENTFD);
	SAME_CONST(CAP_INTERNAL_ERROR_DATA);
	SAME_CONST(CAP_XSAVE);
	SAME_CONST(CAP_XCRS);
	SAME_CONST(CAP_MAX_VCPUS);
	SAME_CONST(CAP_READONLY_MEM);
	SAME_CONST(CAP_IOEVENTFD_NO_LENGTH);
	SAME_CONST(CAP_IOEVENTFD_ANY_LENGTH);
	SAME_CONST(CAP_IMMEDIATE_EXIT);
	SAME_CONST(CAP_MAX_VCPU_ID);
	report("capability numbers equal KVM's");

	SAME_CONST(MEM_LOG_DIRTY_PAGES);
	SAME_CONST(MEM_READONLY);
	SAME_CONST(IOEVENTFD_FLAG_DATAMATCH);
	SAME_CONST(IOEVENTFD_FLAG_PIO);
	SAME_CONST(IOEVENTFD_FLAG_DEASSIGN);
	SAME_CONST(IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY);
	/* KVM's header spells this one "SIGNIFCANT". */
	_Static_assert(VIREO_CPUID_FLAG_SIGNIFICANT_INDEX ==
		       KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		       "VIREO_CPUID_FLAG_SIGNIFICANT_INDEX differs");
	record(VIREO_CPUID_FLAG_SIGNIFICANT_INDEX ==
	       KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
	       "VIREO_CPUID_FLAG_SIGNIFICANT_INDEX");
	SAME_CONST(NR_INTERRUPTS);
	SAME_CONST(MAX_XCRS);
	report("flags and limits equal KVM's");
}

void test_uapi_layout(void)
{
	check_memory_region();
	check_ioeventfd();
	check_regs();
	check_segment_dtable();
	check_sregs();
	check_fpu();
	check_xsave_xcrs();
	check_msrs();
	check_cpuid();
	check_run_header();
	check_run_exits();
	check_ioctls();
	check_exit_reasons();
	check_caps_and_flags();
}
