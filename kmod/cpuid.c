// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID: the table of what we can offer (GET_SUPPORTED_CPUID), the
 * per-vCPU table userspace sets (SET_CPUID2), and the CPUID exit.
 *
 * What we offer is the host's CPUID filtered through allow-lists: a bit
 * is passed only when the guest can use it under Vireo as it is.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>

#include "vireo.h"
#include "vendor.h"

u64 vireo_host_xcr0;

/* XSAVE components a guest may enable: x87, SSE, AVX, AVX-512. */
#define GUEST_XCR0_ALLOWED (XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
			    XFEATURE_MASK_YMM | XFEATURE_MASK_OPMASK | \
			    XFEATURE_MASK_ZMM_Hi256 | XFEATURE_MASK_Hi16_ZMM)

struct cpuid_filter {
	u32 function;
	u32 index;
	u32 eax, ebx, ecx, edx;	/* bits passed from the host */
};

#define B(n) (1U << (n))

static const struct cpuid_filter feature_filters[] = {
	/* 1: family/model in EAX; features in ECX/EDX; no MONITOR, VMX,
	 * SMX, x2APIC, TSC-deadline, PDCM; OSXSAVE is computed. */
	{ 1, 0, ~0U, 0x0000ffff,
	  B(0) | B(1) | B(9) | B(12) | B(13) | B(17) | B(19) | B(20) |
	  B(22) | B(23) | B(25) | B(26) | B(28) | B(29) | B(30),
	  B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(8) | B(11) |
	  B(13) | B(15) | B(16) | B(19) | B(23) | B(24) | B(25) | B(26) },
	/* 7.0: FSGSBASE, BMI1, AVX2, SMEP, BMI2, ERMS, INVPCID, AVX-512
	 * family, RDSEED, ADX, SMAP, CLFLUSHOPT, CLWB, SHA; UMIP, VBMI,
	 * GFNI, VAES, VPCLMULQDQ, VNNI, BITALG, VPOPCNTDQ, RDPID; FSRM. */
	{ 7, 0, 0,
	  B(0) | B(3) | B(5) | B(7) | B(8) | B(9) | B(10) | B(16) | B(17) |
	  B(18) | B(19) | B(20) | B(21) | B(23) | B(24) | B(28) | B(29) |
	  B(30) | B(31),
	  B(1) | B(2) | B(6) | B(8) | B(9) | B(10) | B(11) | B(12) | B(14) |
	  B(22),
	  B(4) },
	/* 0x80000001: LAHF, ABM, SSE4A, MISALIGNSSE, PREFETCHW; SYSCALL,
	 * NX, MMXEXT, FXSR_OPT, 1G pages, RDTSCP, LM and the mirrored
	 * leaf-1 bits. */
	{ 0x80000001, 0, ~0U, 0,
	  B(0) | B(5) | B(6) | B(7) | B(8),
	  B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(8) | B(11) |
	  B(13) | B(15) | B(16) | B(17) | B(20) | B(22) | B(23) | B(24) |
	  B(25) | B(26) | B(27) | B(29) },
	/* 0x80000007: invariant TSC. */
	{ 0x80000007, 0, 0, 0, 0, B(8) },
	/* 0x80000008: address sizes only. */
	{ 0x80000008, 0, 0xffff, 0, 0, 0 },
};

/* Leaves passed as the host has them (names, caches). */
static bool leaf_passed_whole(u32 function)
{
	return function == 0x80000002 || function == 0x80000003 ||
	       function == 0x80000004 || function == 0x80000005 ||
	       function == 0x80000006;
}

static struct vireo_cpuid_entry2 *supported;
static int supported_nent;

static void add_entry(u32 function, u32 index, u32 flags)
{
	struct vireo_cpuid_entry2 *e = &supported[supported_nent++];
	int i;

	e->function = function;
	e->index = index;
	e->flags = flags;
	cpuid_count(function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
	if (leaf_passed_whole(function))
		return;
	for (i = 0; i < ARRAY_SIZE(feature_filters); i++) {
		const struct cpuid_filter *f = &feature_filters[i];

		if (f->function == function && f->index == index) {
			e->eax &= f->eax;
			e->ebx &= f->ebx;
			e->ecx &= f->ecx;
			e->edx &= f->edx;
			return;
		}
	}
}

/* Where each XSAVE component ends in the standard format, from the host. */
static u32 xfeature_end[64];

static void read_xfeature_ends(void)
{
	u32 size, offset, ecx, edx;
	int i;

	for (i = 2; i < 63; i++) {
		if (!(vireo_host_xcr0 & (1ULL << i)))
			continue;
		cpuid_count(0xd, i, &size, &offset, &ecx, &edx);
		xfeature_end[i] = offset + size;
	}
}

/*
 * The size of an XSAVE area holding the components in xcr0: the legacy
 * region and header (576 bytes), or the end of the last component.
 */
static u32 xsave_size(u64 xcr0)
{
	u32 size = 512 + 64;
	int i;

	for (i = 2; i < 63; i++)
		if (xcr0 & (1ULL << i))
			size = max(size, xfeature_end[i]);
	return size;
}

static void add_xsave_leaves(void)
{
	u64 xcr0 = vireo_host_xcr0 & GUEST_XCR0_ALLOWED;
	struct vireo_cpuid_entry2 *e;
	int i;

	add_entry(0xd, 0, VIREO_CPUID_FLAG_SIGNIFICANT_INDEX);
	e = &supported[supported_nent - 1];
	e->eax = (u32)xcr0;
	e->edx = (u32)(xcr0 >> 32);
	/*
	 * Sizes for what is offered, not for all the host has: ECX for
	 * every offered component, EBX for x87 and SSE (the guest's XCR0
	 * at reset; the CPUID exit gives it for the XCR0 of the moment).
	 */
	read_xfeature_ends();
	e->ecx = xsave_size(xcr0);
	e->ebx = xsave_size(XFEATURE_MASK_FP | XFEATURE_MASK_SSE);
	add_entry(0xd, 1, VIREO_CPUID_FLAG_SIGNIFICANT_INDEX);
	e = &supported[supported_nent - 1];
	e->eax &= B(0) | B(1) | B(2);	/* XSAVEOPT, XSAVEC, XGETBV1 */
	e->ebx = e->ecx = e->edx = 0;	/* no supervisor states */
	for (i = 2; i < 63; i++)
		if (xcr0 & (1ULL << i))
			add_entry(0xd, i, VIREO_CPUID_FLAG_SIGNIFICANT_INDEX);
}

int vireo_cpuid_init(void)
{
	u32 max_basic = cpuid_eax(0), max_ext = cpuid_eax(0x80000000);
	u32 f;

	supported = kcalloc(VIREO_MAX_CPUID_ENTRIES, sizeof(*supported),
			    GFP_KERNEL);
	if (!supported)
		return -ENOMEM;
	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		vireo_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

	max_basic = min(max_basic, 0xdU);
	max_ext = min(max_ext, 0x80000008U);
	add_entry(0, 0, 0);
	supported[0].eax = max_basic;
	for (f = 1; f <= max_basic; f++) {
		if (f == 7)
			add_entry(7, 0, VIREO_CPUID_FLAG_SIGNIFICANT_INDEX);
		else if (f == 0xd && vireo_host_xcr0)
			add_xsave_leaves();
		else if (f == 1)
			add_entry(1, 0, 0);
	}
	add_entry(0x80000000, 0, 0);
	supported[supported_nent - 1].eax = max_ext;
	for (f = 0x80000001; f <= max_ext; f++)
		add_entry(f, 0, 0);

	/* Tell the guest it runs under a hypervisor. */
	supported[1].ecx |= B(31);
	return 0;
}

void vireo_cpuid_exit(void)
{
	kfree(supported);
}

int vireo_get_supported_cpuid(struct vireo_cpuid2 __user *arg)
{
	struct vireo_cpuid2 hdr;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < supported_nent)
		return -E2BIG;
	hdr.nent = supported_nent;
	if (copy_to_user(arg, &hdr, sizeof(hdr)) ||
	    copy_to_user(arg->entries, supported,
			 supported_nent * sizeof(*supported)))
		return -EFAULT;
	return 0;
}

int vireo_vcpu_set_cpuid2(struct vireo_vcpu *vcpu,
			  struct vireo_cpuid2 __user *arg)
{
	struct vireo_cpuid_entry2 *entries = NULL;
	struct vireo_cpuid2 hdr;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > VIREO_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (hdr.nent) {
		entries = memdup_user(arg->entries,
				      hdr.nent * sizeof(*entries));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}
	kfree(vcpu->cpuid);
	vcpu->cpuid = entries;
	vcpu->cpuid_nent = hdr.nent;
	/* XCR0 may not keep components the new table does not offer. */
	vcpu->xcr0 &= vireo_guest_supported_xcr0(vcpu) | XFEATURE_MASK_FP;
	return 0;
}

int vireo_vcpu_get_cpuid2(struct vireo_vcpu *vcpu,
			  struct vireo_cpuid2 __user *arg)
{
	struct vireo_cpuid2 hdr;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->cpuid_nent)
		return -E2BIG;
	hdr.nent = vcpu->cpuid_nent;
	if (copy_to_user(arg, &hdr, sizeof(hdr)) ||
	    copy_to_user(arg->entries, vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	return 0;
}

const struct vireo_cpuid_entry2 *vireo_cpuid_find(struct vireo_vcpu *vcpu,
						  u32 function, u32 index)
{
	int i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct vireo_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function != function)
			continue;
		if ((e->flags & VIREO_CPUID_FLAG_SIGNIFICANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

/* XCR0 bits the guest may set: what its CPUID offers and we allow. */
u64 vireo_guest_supported_xcr0(struct vireo_vcpu *vcpu)
{
	const struct vireo_cpuid_entry2 *e = vireo_cpuid_find(vcpu, 0xd, 0);
	u64 offered;

	if (!e)
		return XFEATURE_MASK_FP;
	offered = e->eax | ((u64)e->edx << 32);
	return offered & vireo_host_xcr0 & GUEST_XCR0_ALLOWED;
}

/*
 * The CPUID exit: answer from the table userspace set, with the bits that
 * follow guest state (OSXSAVE) computed; an unknown leaf reads as zeros.
 */
int vireo_handle_cpuid(struct vireo_vcpu *vcpu)
{
	u64 *g = vcpu->regs.gpr;
	u32 function = g[VIREO_RAX], index = g[VIREO_RCX];
	const struct vireo_cpuid_entry2 *e;
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;

	vireo_stat(vcpu, VIREO_STAT_CPUID);
	e = vireo_cpuid_find(vcpu, function, index);
	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
	}
	if (function == 1) {
		ecx &= ~B(27);
		if (vireo_vendor->get_cr4(vcpu) & X86_CR4_OSXSAVE)
			ecx |= B(27);
	}
	/* 0xD.0 EBX: the XSAVE area size for the guest's current XCR0. */
	if (function == 0xd && index == 0 && e)
		ebx = xsave_size(vcpu->xcr0);
	g[VIREO_RAX] = eax;
	g[VIREO_RBX] = ebx;
	g[VIREO_RCX] = ecx;
	g[VIREO_RDX] = edx;
	vireo_skip_insn(vcpu);
	return 1;
}
