// SPDX-License-Identifier: GPL-2.0-only
/*
 * Model-specific registers: the list userspace may save and restore, the
 * GET/SET_MSRS ioctls, the guest's RDMSR/WRMSR exits, and the MSRs whose
 * host values must be swapped around each guest entry.
 *
 * The MSRs that live in the VMCB/VMCS are read and written through the
 * vendor ops; the core keeps the rest.  An MSR nobody knows gives the
 * guest a #GP, like a CPU without it.
 */
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/trapnr.h>

#include "vireo.h"
#include "vendor.h"

#define MISC_ENABLE_FAST_STRING (1ULL << 0)
#define MISC_ENABLE_ALLOWED (MISC_ENABLE_FAST_STRING | (1ULL << 3) | \
			     (1ULL << 7) | (1ULL << 11) | (1ULL << 12))
#define APIC_BASE_DEFAULT (0xfee00000ULL | (1ULL << 11))
#define APIC_BASE_BSP (1ULL << 8)
#define SPEC_CTRL_ALLOWED 0x7ULL	/* IBRS, STIBP, SSBD */

/* Every MSR GET/SET_MSRS knows, for GET_MSR_INDEX_LIST. */
static const u32 vireo_msr_list[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_FS_BASE, MSR_GS_BASE, MSR_EFER,
	MSR_IA32_CR_PAT, MSR_IA32_TSC, MSR_TSC_AUX, MSR_IA32_MISC_ENABLE,
	MSR_IA32_APICBASE,
	MSR_IA32_SPEC_CTRL,	/* last: only listed when the host has it */
};

static DEFINE_PER_CPU(u64, host_tsc_aux);
static DEFINE_PER_CPU(bool, host_tsc_aux_valid);

int vireo_get_msr_index_list(struct vireo_msr_list __user *arg)
{
	u32 n, count = ARRAY_SIZE(vireo_msr_list);

	if (!boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
		count--;

	if (get_user(n, &arg->nmsrs))
		return -EFAULT;
	if (put_user(count, &arg->nmsrs))
		return -EFAULT;
	if (n < count)
		return -E2BIG;
	if (copy_to_user(arg->indices, vireo_msr_list,
			 count * sizeof(vireo_msr_list[0])))
		return -EFAULT;
	return 0;
}

void vireo_msrs_reset(struct vireo_vcpu *vcpu)
{
	vcpu->msrs = (struct vireo_core_msrs){
		.misc_enable = MISC_ENABLE_FAST_STRING,
		.apic_base = APIC_BASE_DEFAULT |
			     (vcpu->id == 0 ? APIC_BASE_BSP : 0),
	};
}

static bool is_canonical(u64 addr)
{
	return (u64)((s64)(addr << 16) >> 16) == addr;
}

static bool msr_needs_canonical(u32 index)
{
	switch (index) {
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return true;
	}
	return false;
}

/* Returns 0, or -EINVAL for an MSR the guest would get #GP on. */
int vireo_msr_read(struct vireo_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	int ret;

	switch (index) {
	case MSR_TSC_AUX:
		*data = vcpu->msrs.tsc_aux;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->msrs.misc_enable;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->msrs.apic_base;
		return 0;
	case MSR_IA32_SPEC_CTRL:
		if (!boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
			return -EINVAL;
		*data = vcpu->msrs.spec_ctrl;
		return 0;
	}
	ret = vireo_vendor->get_msr(vcpu, index, data);
	return ret ? -EINVAL : 0;
}

int vireo_msr_write(struct vireo_vcpu *vcpu, u32 index, u64 data, bool host)
{
	int ret;

	if (msr_needs_canonical(index) && !is_canonical(data))
		return -EINVAL;
	switch (index) {
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->msrs.tsc_aux = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		if (!host && (data ^ vcpu->msrs.misc_enable) &
			     ~MISC_ENABLE_FAST_STRING)
			return -EINVAL;
		vcpu->msrs.misc_enable = data & (host ? ~0ULL :
						 MISC_ENABLE_ALLOWED);
		return 0;
	case MSR_IA32_APICBASE:
		/* Only the base and flags; there is no in-kernel APIC. */
		if (data & ~(PAGE_MASK | APIC_BASE_BSP | (1ULL << 11) |
			     (1ULL << 10)) ||
		    data >> boot_cpu_data.x86_phys_bits)
			return -EINVAL;
		vcpu->msrs.apic_base = data;
		return 0;
	case MSR_IA32_SPEC_CTRL:
		if (!boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL) ||
		    data & ~SPEC_CTRL_ALLOWED)
			return -EINVAL;
		vcpu->msrs.spec_ctrl = data;
		return 0;
	}
	ret = vireo_vendor->set_msr(vcpu, index, data);
	return ret ? -EINVAL : 0;
}

/* RDMSR exit: EDX:EAX = value, or #GP. */
int vireo_handle_rdmsr(struct vireo_vcpu *vcpu, u32 index)
{
	u64 data;

	vireo_stat(vcpu, VIREO_STAT_MSR);
	if (vireo_msr_read(vcpu, index, &data, false)) {
		vireo_vendor->inject_exception(vcpu, X86_TRAP_GP, true, 0, 0);
		return 1;
	}
	vcpu->regs.gpr[VIREO_RAX] = (u32)data;
	vcpu->regs.gpr[VIREO_RDX] = data >> 32;
	vireo_skip_insn(vcpu);
	return 1;
}

int vireo_handle_wrmsr(struct vireo_vcpu *vcpu, u32 index, u64 data)
{
	vireo_stat(vcpu, VIREO_STAT_MSR);
	if (vireo_msr_write(vcpu, index, data, false)) {
		vireo_vendor->inject_exception(vcpu, X86_TRAP_GP, true, 0, 0);
		return 1;
	}
	vireo_skip_insn(vcpu);
	return 1;
}

/*
 * A value XCR0 may take: x87 on, only components the guest's CPUID
 * offers, AVX only with SSE, the AVX-512 components all or none and only
 * with AVX.  XSETBV (#GP otherwise) and SET_XCRS (EINVAL) both use it.
 */
bool vireo_xcr0_valid(struct vireo_vcpu *vcpu, u64 value)
{
	u64 avx512 = XFEATURE_MASK_OPMASK | XFEATURE_MASK_ZMM_Hi256 |
		     XFEATURE_MASK_Hi16_ZMM;

	return (value & XFEATURE_MASK_FP) &&
	       !(value & ~vireo_guest_supported_xcr0(vcpu)) &&
	       (!(value & XFEATURE_MASK_YMM) || (value & XFEATURE_MASK_SSE)) &&
	       (!(value & avx512) || ((value & avx512) == avx512 &&
				      (value & XFEATURE_MASK_YMM)));
}

/* XSETBV exit: only XCR0, with a value vireo_xcr0_valid() accepts. */
int vireo_handle_xsetbv(struct vireo_vcpu *vcpu, u32 index, u64 value)
{
	if (index != 0 || !vireo_xcr0_valid(vcpu, value)) {
		vireo_vendor->inject_exception(vcpu, X86_TRAP_GP, true, 0, 0);
		return 1;
	}
	vcpu->xcr0 = value;
	vireo_skip_insn(vcpu);
	return 1;
}

static int do_msrs(struct vireo_vcpu *vcpu, struct vireo_msrs __user *arg,
		   bool write)
{
	struct vireo_msr_entry *entries;
	struct vireo_msrs hdr;
	u32 i;
	int ret;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= VIREO_MAX_MSRS_PER_CALL)
		return -E2BIG;
	if (!hdr.nmsrs)
		return 0;
	entries = memdup_user(arg->entries, hdr.nmsrs * sizeof(*entries));
	if (IS_ERR(entries))
		return PTR_ERR(entries);

	for (i = 0; i < hdr.nmsrs; i++) {
		if (write)
			ret = vireo_msr_write(vcpu, entries[i].index,
					      entries[i].data, true);
		else
			ret = vireo_msr_read(vcpu, entries[i].index,
					     &entries[i].data, true);
		if (ret)
			break;
	}
	ret = i;
	if (!write && copy_to_user(arg->entries, entries,
				   hdr.nmsrs * sizeof(*entries)))
		ret = -EFAULT;
	kfree(entries);
	return ret;
}

int vireo_vcpu_get_msrs(struct vireo_vcpu *vcpu, struct vireo_msrs __user *arg)
{
	return do_msrs(vcpu, arg, false);
}

int vireo_vcpu_set_msrs(struct vireo_vcpu *vcpu, struct vireo_msrs __user *arg)
{
	return do_msrs(vcpu, arg, true);
}

/* ---- Host state swapped around each entry (interrupts off) --------- */

static bool host_has_tsc_aux(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP) ||
	       boot_cpu_has(X86_FEATURE_RDPID);
}

void vireo_msrs_enter_guest(struct vireo_vcpu *vcpu)
{
	if (vireo_host_xcr0 && vcpu->xcr0 != vireo_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	if (host_has_tsc_aux()) {
		if (!this_cpu_read(host_tsc_aux_valid)) {
			this_cpu_write(host_tsc_aux, native_read_msr(MSR_TSC_AUX));
			this_cpu_write(host_tsc_aux_valid, true);
		}
		if (vcpu->msrs.tsc_aux != this_cpu_read(host_tsc_aux))
			wrmsrl(MSR_TSC_AUX, vcpu->msrs.tsc_aux);
	}
	if (boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL) &&
	    vcpu->msrs.spec_ctrl != this_cpu_read(x86_spec_ctrl_current))
		wrmsrl(MSR_IA32_SPEC_CTRL, vcpu->msrs.spec_ctrl);
}

void vireo_msrs_exit_guest(struct vireo_vcpu *vcpu)
{
	if (boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL) &&
	    vcpu->msrs.spec_ctrl != this_cpu_read(x86_spec_ctrl_current))
		wrmsrl(MSR_IA32_SPEC_CTRL, this_cpu_read(x86_spec_ctrl_current));
	if (host_has_tsc_aux() &&
	    vcpu->msrs.tsc_aux != this_cpu_read(host_tsc_aux))
		wrmsrl(MSR_TSC_AUX, this_cpu_read(host_tsc_aux));
	/*
	 * XSETBV always exits on hardware, but a CPU model that ignores the
	 * intercept (QEMU's TCG under SVM) lets the guest write XCR0 itself:
	 * look at what is there, not at what the guest was given.
	 */
	if (vireo_host_xcr0 &&
	    xgetbv(XCR_XFEATURE_ENABLED_MASK) != vireo_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vireo_host_xcr0);
}
