// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Intel VT-x backend: one VMCS per vCPU, EPT, VPID, unrestricted
 * guests, and a handler per exit reason that turns the exit into one of
 * the core's neutral handlers.  Nothing VMX-specific leaves this
 * directory.
 *
 * A VMCS can only be read or written on the CPU where it is current.  The
 * core calls us from preemptible code, so every access goes through
 * vmx_get()/vmx_put(), which make the vCPU's VMCS current on this CPU
 * (clearing it on the CPU that had it) with preemption disabled.
 */
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>

#include "../vireo.h"
#include "../vendor.h"
#include "../entry_check.h"
#include "vmcs.h"

int vireo_vmx_vmenter(u64 *gprs, bool launched);
void vireo_vmx_exit(void);
void vireo_vmx_do_nmi(void);
void vireo_vmx_do_irq(unsigned long handler);

/* MSRs switched by the VM-entry and VM-exit MSR lists. */
static const u32 vmx_switched_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
};
#define NR_SWITCHED_MSRS ARRAY_SIZE(vmx_switched_msrs)
#define SWITCHED_KERNEL_GS_BASE 4

struct vmx_msr_slot {
	u32 index;
	u32 reserved;
	u64 value;
};

struct vmx_cpu {
	void *vmxon_region;
	struct list_head loaded;	/* vCPUs whose VMCS is active here */
	void *current_vmcs;		/* the one VMPTRLD made current */
};

struct vmx_vcpu {
	struct vireo_vcpu *vcpu;
	void *vmcs;
	int loaded_cpu;		/* -1: VMCS clear, in memory only */
	bool launched;
	struct list_head loaded_link;
	u16 vpid;
	u64 cr2;
	u64 cr8;
	unsigned long host_cr3, host_cr4;
	/* Guest values (loaded at entry, stored at exit), host values. */
	struct vmx_msr_slot *guest_msrs;
	struct vmx_msr_slot *host_msrs;
	bool guest_owns_dr;
	unsigned long guest_dr[4];
	unsigned long host_dr[4];
	/* Exit information read once after each exit. */
	u32 exit_reason;
	u64 exit_qualification;
	u32 exit_intr_info;
	u32 idt_vectoring_info;
	u32 entry_error;
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu_data);

/* What probe() found and chose. */
static struct {
	u32 revision;
	u32 pin, proc, proc2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid_cap;
	bool vpid;
	bool inout_info;
} vmx_caps;

static void *msr_bitmap;
static DEFINE_IDA(vpid_ida);

static struct vmx_vcpu *to_vmx(struct vireo_vcpu *vcpu)
{
	return vcpu->vendor;
}

/* ---- VMX instructions ----------------------------------------------- */

static u64 vmread(unsigned long field)
{
	unsigned long value;

	asm volatile("vmread %1, %0" : "=rm"(value) : "r"(field) : "cc");
	return value;
}

static void vmwrite(unsigned long field, u64 value)
{
	bool fail;

	asm volatile("vmwrite %1, %2" CC_SET(be)
		     : CC_OUT(be)(fail) : "rm"(value), "r"(field) : "memory");
	if (unlikely(fail))
		pr_warn_ratelimited("vireo: vmwrite %#lx failed (error %llu)\n",
				    field, vmread(VMCS_INSTRUCTION_ERROR));
}

static int vmclear(void *vmcs)
{
	u64 pa = __pa(vmcs);
	bool fail;

	asm volatile("vmclear %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa)
		     : "memory");
	return fail ? -EIO : 0;
}

static int vmptrld(void *vmcs)
{
	u64 pa = __pa(vmcs);
	bool fail;

	asm volatile("vmptrld %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa)
		     : "memory");
	return fail ? -EIO : 0;
}

static void invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, reserved; } desc = { eptp, 0 };

	asm volatile("invept %0, %1" :: "m"(desc), "r"(type) : "cc", "memory");
}

static void invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, address; } desc = { vpid, 0 };

	asm volatile("invvpid %0, %1" :: "m"(desc), "r"(type)
		     : "cc", "memory");
}

/* ---- Detection ----------------------------------------------------- */

/*
 * A control word: the bits we want, plus those the CPU forces to 1, minus
 * none.  Fails when a wanted bit may not be 1.
 */
static int adjust_controls(u32 want, u32 optional, u32 msr, u32 *result)
{
	u64 cap;
	u32 must_be_one, may_be_one;

	rdmsrl(msr, cap);
	must_be_one = (u32)cap;
	may_be_one = cap >> 32;
	if (want & ~may_be_one)
		return -ENODEV;
	*result = (want | (optional & may_be_one) | must_be_one) & may_be_one;
	return 0;
}

static const char *vmx_choose_controls(bool true_ctls)
{
	u32 pin_msr = true_ctls ? MSR_VMX_TRUE_PINBASED_CTLS :
				  MSR_VMX_PINBASED_CTLS;
	u32 proc_msr = true_ctls ? MSR_VMX_TRUE_PROCBASED_CTLS :
				   MSR_VMX_PROCBASED_CTLS;
	u32 exit_msr = true_ctls ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS;
	u32 entry_msr = true_ctls ? MSR_VMX_TRUE_ENTRY_CTLS :
				    MSR_VMX_ENTRY_CTLS;

	if (adjust_controls(PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING,
			    PIN_VIRTUAL_NMIS, pin_msr, &vmx_caps.pin))
		return "external-interrupt and NMI exiting";
	if (adjust_controls(PROC_HLT_EXITING | PROC_USE_TSC_OFFSETTING |
			    PROC_MWAIT_EXITING | PROC_MONITOR_EXITING |
			    PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING |
			    PROC_MOV_DR_EXITING |
			    PROC_UNCONDITIONAL_IO_EXITING |
			    PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY,
			    0, proc_msr, &vmx_caps.proc))
		return "the primary processor controls we use (MSR bitmaps, secondary controls)";
	/* CR3 accesses need no exits with EPT, where the CPU allows it. */
	vmx_caps.proc &= ~(PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |
			   PROC_INVLPG_EXITING | PROC_RDTSC_EXITING |
			   PROC_RDPMC_EXITING) | (u32)native_read_msr(proc_msr);
	if (adjust_controls(PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST |
			    PROC2_WBINVD_EXITING,
			    PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP |
			    PROC2_ENABLE_INVPCID,
			    MSR_VMX_PROCBASED_CTLS2, &vmx_caps.proc2))
		return "EPT and unrestricted guests";
	if (adjust_controls(EXIT_HOST_ADDRESS_SPACE_64 | EXIT_SAVE_EFER |
			    EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT |
			    EXIT_SAVE_DEBUG_CONTROLS | EXIT_ACK_INTERRUPT_ON_EXIT,
			    0, exit_msr, &vmx_caps.exit))
		return "the VM-exit controls for EFER, PAT, debug state and interrupt acknowledgement";
	if (adjust_controls(ENTRY_LOAD_EFER | ENTRY_LOAD_PAT |
			    ENTRY_LOAD_DEBUG_CONTROLS,
			    0, entry_msr, &vmx_caps.entry))
		return "the VM-entry controls for EFER, PAT and debug state";
	return NULL;
}

static const char *vmx_check_ept(void)
{
	u64 cap = vmx_caps.ept_vpid_cap;

	if (!(cap & EPT_CAP_WALK_4) || !(cap & EPT_CAP_WB))
		return "4-level write-back EPT";
	if (!(cap & EPT_CAP_INVEPT) ||
	    !(cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		return "INVEPT";
	vmx_caps.vpid = (vmx_caps.proc2 & PROC2_ENABLE_VPID) &&
			(cap & VPID_CAP_INVVPID) &&
			(cap & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	if (!vmx_caps.vpid)
		vmx_caps.proc2 &= ~PROC2_ENABLE_VPID;
	return NULL;
}

static bool feature_control_allows_vmx(void)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc))
		return false;
	if (!(fc & FEAT_CTL_LOCKED))
		return true;	/* we may set it when switching on */
	return fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
}

static void vmx_free_cpu_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu_data, cpu);

		free_page((unsigned long)vc->vmxon_region);
		vc->vmxon_region = NULL;
	}
	free_page((unsigned long)msr_bitmap);
	msr_bitmap = NULL;
}

/* The guest may use these MSRs directly: the VMCS switches them. */
static void msr_bitmap_pass(u32 msr)
{
	u32 base = msr >= 0xc0000000 ? 0x400 * 8 : 0;
	u32 bit = msr & 0x1fff;

	__clear_bit(base + bit, msr_bitmap);		/* read */
	__clear_bit(0x800 * 8 + base + bit, msr_bitmap);	/* write */
}

static int vmx_probe(void)
{
	const char *missing;
	u64 basic;
	int cpu;

	if (!boot_cpu_has(X86_FEATURE_VMX))
		return -ENODEV;
	if (!feature_control_allows_vmx()) {
		pr_err("vireo: VT-x is disabled by the firmware (IA32_FEATURE_CONTROL); enable it in the BIOS setup\n");
		return -ENODEV;
	}
	rdmsrl(MSR_VMX_BASIC, basic);
	vmx_caps.revision = basic & VMX_BASIC_REVISION_MASK;
	vmx_caps.inout_info = basic & VMX_BASIC_INOUT_INFO;
	rdmsrl(MSR_VMX_CR0_FIXED0, vmx_caps.cr0_fixed0);
	rdmsrl(MSR_VMX_CR0_FIXED1, vmx_caps.cr0_fixed1);
	rdmsrl(MSR_VMX_CR4_FIXED0, vmx_caps.cr4_fixed0);
	rdmsrl(MSR_VMX_CR4_FIXED1, vmx_caps.cr4_fixed1);

	missing = vmx_choose_controls(basic & VMX_BASIC_TRUE_CTLS);
	if (!missing) {
		rdmsrl(MSR_VMX_EPT_VPID_CAP, vmx_caps.ept_vpid_cap);
		missing = vmx_check_ept();
	}
	if (missing) {
		pr_err("vireo: VT-x without %s is not supported\n", missing);
		return -ENODEV;
	}

	msr_bitmap = (void *)get_zeroed_page(GFP_KERNEL);
	if (!msr_bitmap)
		return -ENOMEM;
	memset(msr_bitmap, 0xff, PAGE_SIZE);
	msr_bitmap_pass(MSR_FS_BASE);
	msr_bitmap_pass(MSR_GS_BASE);
	msr_bitmap_pass(MSR_IA32_SYSENTER_CS);
	msr_bitmap_pass(MSR_IA32_SYSENTER_ESP);
	msr_bitmap_pass(MSR_IA32_SYSENTER_EIP);

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu_data, cpu);

		INIT_LIST_HEAD(&vc->loaded);
		vc->vmxon_region = (void *)get_zeroed_page(GFP_KERNEL);
		if (!vc->vmxon_region) {
			vmx_free_cpu_pages();
			return -ENOMEM;
		}
		*(u32 *)vc->vmxon_region = vmx_caps.revision;
	}
	return 0;
}

/* ---- Per-CPU enable --------------------------------------------------- */

static int vmx_cpu_enable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu_data);
	u64 pa = __pa(vc->vmxon_region), fc;
	bool fail;

	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;
	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (!(fc & FEAT_CTL_LOCKED))
		wrmsrl(MSR_IA32_FEAT_CTL, fc | FEAT_CTL_LOCKED |
		       FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX);
	cr4_set_bits(X86_CR4_VMXE);
	asm volatile("vmxon %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa)
		     : "memory");
	if (fail) {
		cr4_clear_bits(X86_CR4_VMXE);
		return -EIO;
	}
	/* Nothing cached from before counts. */
	if (vmx_caps.ept_vpid_cap & EPT_CAP_INVEPT_ALL)
		invept(INVEPT_ALL, 0);
	return 0;
}

static void vmx_cpu_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu_data);
	struct vmx_vcpu *vmx, *next;

	/* VMCSs current here must reach memory before VMXOFF. */
	list_for_each_entry_safe(vmx, next, &vc->loaded, loaded_link) {
		vmclear(vmx->vmcs);
		list_del_init(&vmx->loaded_link);
		vmx->loaded_cpu = -1;
		vmx->launched = false;
	}
	vc->current_vmcs = NULL;
	asm volatile("vmxoff" ::: "cc", "memory");
	cr4_clear_bits(X86_CR4_VMXE);
}

/* ---- Making the VMCS current ----------------------------------------- */

static void vmx_clear_here(void *arg)
{
	struct vmx_vcpu *vmx = arg;

	if (vmx->loaded_cpu != smp_processor_id())
		return;
	vmclear(vmx->vmcs);
	if (this_cpu_read(vmx_cpu_data.current_vmcs) == vmx->vmcs)
		this_cpu_write(vmx_cpu_data.current_vmcs, NULL);
	list_del_init(&vmx->loaded_link);
	vmx->loaded_cpu = -1;
	vmx->launched = false;
}

static void vmx_clear_remote(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->loaded_cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_here, vmx, 1);
}

static u64 vmx_eptp(struct vireo_vcpu *vcpu)
{
	return vcpu->vm->mmu.root_pa | EPTP_WALK_4 | EPTP_MEMTYPE_WB;
}

/* Host state that differs from CPU to CPU. */
static void vmx_set_host_percpu_state(void)
{
	struct desc_ptr gdt, idt;
	u64 gs_base, sysenter_esp;
	u16 tr;
	struct ldttss_desc *tss;

	native_store_gdt(&gdt);
	store_idt(&idt);
	asm volatile("str %0" : "=r"(tr));
	tss = (struct ldttss_desc *)(gdt.address + (tr & ~7));
	vmwrite(VMCS_HOST_TR_BASE, get_desc_base((struct desc_struct *)tss) |
				   ((u64)tss->base3 << 32));
	vmwrite(VMCS_HOST_GDTR_BASE, gdt.address);
	vmwrite(VMCS_HOST_IDTR_BASE, idt.address);
	rdmsrl(MSR_GS_BASE, gs_base);
	vmwrite(VMCS_HOST_GS_BASE, gs_base);
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmwrite(VMCS_HOST_SYSENTER_ESP, sysenter_esp);
}

/*
 * Make the vCPU's VMCS current on this CPU.  Preemption must be off and
 * interrupts on (clearing it elsewhere takes an IPI).  A VMCS that arrives
 * on a CPU gets that CPU's host state, and the guest's cached
 * translations there are dropped: they may predate changes.
 */
static void vmx_load(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu_data);
	int cpu = smp_processor_id();
	bool arrived = vmx->loaded_cpu != cpu;
	unsigned long flags;

	if (arrived)
		vmx_clear_remote(vmx);
	if (vc->current_vmcs != vmx->vmcs) {
		if (vmptrld(vmx->vmcs))
			pr_warn_ratelimited("vireo: vmptrld failed\n");
		vc->current_vmcs = vmx->vmcs;
	}
	if (!arrived)
		return;
	local_irq_save(flags);
	list_add(&vmx->loaded_link, &vc->loaded);
	vmx->loaded_cpu = cpu;
	local_irq_restore(flags);
	vmx_set_host_percpu_state();
	invept(vmx_caps.ept_vpid_cap & EPT_CAP_INVEPT_SINGLE ?
	       INVEPT_SINGLE : INVEPT_ALL, vmx_eptp(vcpu));
	if (vmx_caps.vpid)
		invvpid(vmx_caps.ept_vpid_cap & VPID_CAP_INVVPID_SINGLE ?
			INVVPID_SINGLE : INVVPID_ALL, vmx->vpid);
}

/* Bracket VMCS accesses made from preemptible code. */
static void vmx_get(struct vireo_vcpu *vcpu)
{
	preempt_disable();
	vmx_load(vcpu);
}

static void vmx_put(void)
{
	preempt_enable();
}

static u64 vmx_read(struct vireo_vcpu *vcpu, unsigned long field)
{
	u64 value;

	vmx_get(vcpu);
	value = vmread(field);
	vmx_put();
	return value;
}

static void vmx_write(struct vireo_vcpu *vcpu, unsigned long field, u64 value)
{
	vmx_get(vcpu);
	vmwrite(field, value);
	vmx_put();
}

/* ---- Segments and registers ------------------------------------------- */

static unsigned long seg_field(unsigned long first, int seg)
{
	static const u8 order[] = {
		[VIREO_SEG_ES] = 0, [VIREO_SEG_CS] = 1, [VIREO_SEG_SS] = 2,
		[VIREO_SEG_DS] = 3, [VIREO_SEG_FS] = 4, [VIREO_SEG_GS] = 5,
		[VIREO_SEG_LDTR] = 6, [VIREO_SEG_TR] = 7,
	};

	return first + 2 * order[seg];
}

static void segment_to_user(int seg, struct vireo_segment *s)
{
	u32 ar = vmread(seg_field(VMCS_GUEST_ES_AR, seg));

	*s = (struct vireo_segment){
		.base = vmread(seg_field(VMCS_GUEST_ES_BASE, seg)),
		.limit = vmread(seg_field(VMCS_GUEST_ES_LIMIT, seg)),
		.selector = vmread(seg_field(VMCS_GUEST_ES_SELECTOR, seg)),
		.type = ar & 15, .s = (ar >> 4) & 1, .dpl = (ar >> 5) & 3,
		.present = (ar >> 7) & 1, .avl = (ar >> 12) & 1,
		.l = (ar >> 13) & 1, .db = (ar >> 14) & 1,
		.g = (ar >> 15) & 1, .unusable = !!(ar & AR_UNUSABLE),
	};
}

static void segment_from_user(int seg, const struct vireo_segment *s)
{
	u32 ar;

	if (s->unusable || !s->present) {
		ar = AR_UNUSABLE;
	} else {
		ar = (s->type & 15) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
		     1 << 7 | (s->avl & 1) << 12 | (s->l & 1) << 13 |
		     (s->db & 1) << 14 | (s->g & 1) << 15;
		/* Unrestricted guests need code and data marked accessed. */
		if (seg != VIREO_SEG_LDTR && seg != VIREO_SEG_TR)
			ar |= 1;
	}
	vmwrite(seg_field(VMCS_GUEST_ES_BASE, seg), s->base);
	vmwrite(seg_field(VMCS_GUEST_ES_LIMIT, seg), s->limit);
	vmwrite(seg_field(VMCS_GUEST_ES_SELECTOR, seg), s->selector);
	vmwrite(seg_field(VMCS_GUEST_ES_AR, seg), ar);
}

/*
 * The guest's CR0 and CR4 as it sees them (with the VMCS loaded): the
 * bits in the guest/host mask are the read shadow's, the others the
 * guest changes without an exit and are in the guest field itself.
 */
static u64 vmx_guest_cr0(void)
{
	u64 mask = vmread(VMCS_CR0_MASK);

	return (vmread(VMCS_CR0_READ_SHADOW) & mask) |
	       (vmread(VMCS_GUEST_CR0) & ~mask);
}

static u64 vmx_guest_cr4(void)
{
	u64 mask = vmread(VMCS_CR4_MASK);

	return (vmread(VMCS_CR4_READ_SHADOW) & mask) |
	       (vmread(VMCS_GUEST_CR4) & ~mask);
}

static void vmx_get_sregs(struct vireo_vcpu *vcpu, struct vireo_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_get(vcpu);
	segment_to_user(VIREO_SEG_CS, &s->cs);
	segment_to_user(VIREO_SEG_DS, &s->ds);
	segment_to_user(VIREO_SEG_ES, &s->es);
	segment_to_user(VIREO_SEG_FS, &s->fs);
	segment_to_user(VIREO_SEG_GS, &s->gs);
	segment_to_user(VIREO_SEG_SS, &s->ss);
	segment_to_user(VIREO_SEG_TR, &s->tr);
	segment_to_user(VIREO_SEG_LDTR, &s->ldt);
	s->gdt.base = vmread(VMCS_GUEST_GDTR_BASE);
	s->gdt.limit = vmread(VMCS_GUEST_GDTR_LIMIT);
	s->idt.base = vmread(VMCS_GUEST_IDTR_BASE);
	s->idt.limit = vmread(VMCS_GUEST_IDTR_LIMIT);
	s->cr0 = vmx_guest_cr0();
	s->cr3 = vmread(VMCS_GUEST_CR3);
	s->cr4 = vmx_guest_cr4();
	s->efer = vmread(VMCS_GUEST_EFER);
	vmx_put();
	s->cr2 = vmx->cr2;
	s->cr8 = vmx->cr8;
}

/* What the CPU must see for a guest CR0/CR4 value the guest asked for. */
static u64 cr0_for_hardware(u64 cr0)
{
	u64 forced = vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);

	return (cr0 | forced) & vmx_caps.cr0_fixed1;
}

static u64 cr4_for_hardware(u64 cr4)
{
	return (cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

static void vmx_set_cr0(u64 cr0)
{
	vmwrite(VMCS_CR0_READ_SHADOW, cr0);
	vmwrite(VMCS_GUEST_CR0, cr0_for_hardware(cr0));
}

static void vmx_set_cr4(u64 cr4)
{
	vmwrite(VMCS_CR4_READ_SHADOW, cr4);
	vmwrite(VMCS_GUEST_CR4, cr4_for_hardware(cr4));
}

/* The entry control follows EFER.LMA. */
static void vmx_set_efer(u64 efer)
{
	u32 entry = vmread(VMCS_ENTRY_CONTROLS);

	vmwrite(VMCS_GUEST_EFER, efer);
	if (efer & EFER_LMA)
		entry |= ENTRY_IA32E_MODE_GUEST;
	else
		entry &= ~ENTRY_IA32E_MODE_GUEST;
	vmwrite(VMCS_ENTRY_CONTROLS, entry);
}

/* PAE paging without long mode takes its PDPTEs from the VMCS. */
static void read_pdptes(struct vireo_vcpu *vcpu, const struct vireo_sregs *s,
			u64 efer, u64 *pdpte)
{
	int idx;

	memset(pdpte, 0, 4 * sizeof(*pdpte));
	if (!(s->cr0 & X86_CR0_PG) || !(s->cr4 & X86_CR4_PAE) ||
	    (efer & EFER_LMA))
		return;
	idx = srcu_read_lock(&vcpu->vm->srcu);
	if (vireo_read_guest_phys(vcpu->vm, s->cr3 & ~0x1fULL, pdpte,
				  4 * sizeof(*pdpte)))
		memset(pdpte, 0, 4 * sizeof(*pdpte));
	srcu_read_unlock(&vcpu->vm->srcu, idx);
}

static void vmx_set_sregs(struct vireo_vcpu *vcpu, const struct vireo_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 efer = s->efer & ~EFER_LMA, pdpte[4];
	int i;

	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG))
		efer |= EFER_LMA;
	read_pdptes(vcpu, s, efer, pdpte);	/* may sleep: before vmx_get */

	vmx_get(vcpu);
	segment_from_user(VIREO_SEG_CS, &s->cs);
	segment_from_user(VIREO_SEG_DS, &s->ds);
	segment_from_user(VIREO_SEG_ES, &s->es);
	segment_from_user(VIREO_SEG_FS, &s->fs);
	segment_from_user(VIREO_SEG_GS, &s->gs);
	segment_from_user(VIREO_SEG_SS, &s->ss);
	segment_from_user(VIREO_SEG_TR, &s->tr);
	segment_from_user(VIREO_SEG_LDTR, &s->ldt);
	vmwrite(VMCS_GUEST_GDTR_BASE, s->gdt.base);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, s->gdt.limit);
	vmwrite(VMCS_GUEST_IDTR_BASE, s->idt.base);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, s->idt.limit);
	vmx_set_cr0(s->cr0);
	vmwrite(VMCS_GUEST_CR3, s->cr3);
	vmx_set_cr4(s->cr4);
	vmx_set_efer(efer);
	for (i = 0; i < 4; i++)
		vmwrite(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	vmx_put();
	vmx->cr2 = s->cr2;
	vmx->cr8 = s->cr8 & 15;
}

static enum vireo_cpu_mode vmx_cpu_mode(struct vireo_vcpu *vcpu)
{
	u64 cr0, efer;
	u32 cs_ar;

	vmx_get(vcpu);
	cr0 = vmread(VMCS_GUEST_CR0);
	efer = vmread(VMCS_GUEST_EFER);
	cs_ar = vmread(VMCS_GUEST_ES_AR + 2);
	vmx_put();
	if (!(cr0 & X86_CR0_PE) || (vcpu->regs.rflags & X86_EFLAGS_VM))
		return VIREO_MODE_REAL;
	if ((efer & EFER_LMA) && (cs_ar & (1 << 13)))
		return VIREO_MODE_LONG64;
	return (cs_ar & (1 << 14)) ? VIREO_MODE_PROT32 : VIREO_MODE_PROT16;
}

static u64 vmx_segment_base(struct vireo_vcpu *vcpu, enum vireo_seg seg)
{
	if (vmx_cpu_mode(vcpu) == VIREO_MODE_LONG64 &&
	    seg != VIREO_SEG_FS && seg != VIREO_SEG_GS)
		return 0;
	return vmx_read(vcpu, seg_field(VMCS_GUEST_ES_BASE, seg));
}

static void vmx_paging_state(struct vireo_vcpu *vcpu,
			     struct vireo_walk_ctx *ctx)
{
	vmx_get(vcpu);
	ctx->cr0 = vmread(VMCS_GUEST_CR0);
	ctx->cr3 = vmread(VMCS_GUEST_CR3);
	ctx->cr4 = vmx_guest_cr4();
	ctx->efer = vmread(VMCS_GUEST_EFER);
	vmx_put();
}

static u64 vmx_get_cr4(struct vireo_vcpu *vcpu)
{
	u64 cr4;

	vmx_get(vcpu);
	cr4 = vmx_guest_cr4();
	vmx_put();
	return cr4;
}

static int vmx_get_cpl(struct vireo_vcpu *vcpu)
{
	u32 ss_ar = vmx_read(vcpu, VMCS_GUEST_ES_AR + 4);

	if (vmx_cpu_mode(vcpu) == VIREO_MODE_REAL)
		return vcpu->regs.rflags & X86_EFLAGS_VM ? 3 : 0;
	return (ss_ar >> 5) & 3;
}

/* ---- MSRs kept in the VMCS or the switch lists ----------------------- */

static int switched_msr_slot(u32 index)
{
	int i;

	for (i = 0; i < NR_SWITCHED_MSRS; i++)
		if (vmx_switched_msrs[i] == index)
			return i;
	return -1;
}

static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

static int vmx_get_msr(struct vireo_vcpu *vcpu, u32 index, u64 *data)
{
	int slot = switched_msr_slot(index);

	if (slot >= 0) {
		*data = to_vmx(vcpu)->guest_msrs[slot].value;
		return 0;
	}
	switch (index) {
	case MSR_EFER: *data = vmx_read(vcpu, VMCS_GUEST_EFER); break;
	case MSR_FS_BASE: *data = vmx_read(vcpu, VMCS_GUEST_ES_BASE + 8); break;
	case MSR_GS_BASE: *data = vmx_read(vcpu, VMCS_GUEST_ES_BASE + 10); break;
	case MSR_IA32_SYSENTER_CS:
		*data = vmx_read(vcpu, VMCS_GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = vmx_read(vcpu, VMCS_GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = vmx_read(vcpu, VMCS_GUEST_SYSENTER_EIP);
		break;
	case MSR_IA32_CR_PAT: *data = vmx_read(vcpu, VMCS_GUEST_PAT); break;
	case MSR_IA32_TSC:
		*data = rdtsc() + vmx_read(vcpu, VMCS_TSC_OFFSET);
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

static int vmx_write_efer(struct vireo_vcpu *vcpu, u64 efer)
{
	u64 allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;
	u64 old;

	if (efer & ~allowed)
		return -EINVAL;
	vmx_get(vcpu);
	old = vmread(VMCS_GUEST_EFER);
	if ((vmx_guest_cr0() & X86_CR0_PG) &&
	    ((efer ^ old) & EFER_LME)) {
		vmx_put();
		return -EINVAL;
	}
	vmx_set_efer((efer & ~EFER_LMA) | (old & EFER_LMA));
	vmx_put();
	return 0;
}

static int vmx_set_msr(struct vireo_vcpu *vcpu, u32 index, u64 data)
{
	int slot = switched_msr_slot(index);

	if (slot >= 0) {
		to_vmx(vcpu)->guest_msrs[slot].value = data;
		return 0;
	}
	switch (index) {
	case MSR_EFER: return vmx_write_efer(vcpu, data);
	case MSR_FS_BASE: vmx_write(vcpu, VMCS_GUEST_ES_BASE + 8, data); break;
	case MSR_GS_BASE: vmx_write(vcpu, VMCS_GUEST_ES_BASE + 10, data); break;
	case MSR_IA32_SYSENTER_CS:
		vmx_write(vcpu, VMCS_GUEST_SYSENTER_CS, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmx_write(vcpu, VMCS_GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmx_write(vcpu, VMCS_GUEST_SYSENTER_EIP, data);
		break;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return -EINVAL;
		vmx_write(vcpu, VMCS_GUEST_PAT, data);
		break;
	case MSR_IA32_TSC:
		vmx_write(vcpu, VMCS_TSC_OFFSET, data - rdtsc());
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/* ---- Events ------------------------------------------------------------ */

static bool vmx_interrupt_allowed(struct vireo_vcpu *vcpu)
{
	u32 block, entry;

	if (!(vcpu->regs.rflags & X86_EFLAGS_IF))
		return false;
	vmx_get(vcpu);
	block = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	entry = vmread(VMCS_ENTRY_INTR_INFO);
	vmx_put();
	return !(block & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) &&
	       !(entry & INTR_INFO_VALID);
}

static bool vmx_event_pending(struct vireo_vcpu *vcpu)
{
	return vmx_read(vcpu, VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
}

static void vmx_clear_interrupt_shadow(struct vireo_vcpu *vcpu)
{
	u32 block;

	vmx_get(vcpu);
	block = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (block & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, block &
			~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
	vmx_put();
}

static void vmx_inject_irq(struct vireo_vcpu *vcpu, u8 vector)
{
	vmx_write(vcpu, VMCS_ENTRY_INTR_INFO,
		  vector | INTR_TYPE_EXTERNAL | INTR_INFO_VALID);
}

static void vmx_inject_nmi(struct vireo_vcpu *vcpu)
{
	vmx_write(vcpu, VMCS_ENTRY_INTR_INFO,
		  X86_TRAP_NMI | INTR_TYPE_NMI | INTR_INFO_VALID);
}

static void vmx_inject_exception(struct vireo_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error, u64 cr2)
{
	u32 info = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID;

	vmx_get(vcpu);
	/*
	 * Real mode pushes no error codes, and an entry that tries to
	 * deliver one there fails its control checks (SDM 26.2.1.3).
	 */
	if (!(vmread(VMCS_GUEST_CR0) & X86_CR0_PE))
		has_error = false;
	if (has_error) {
		info |= INTR_INFO_ERROR_VALID;
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
	}
	vmwrite(VMCS_ENTRY_INTR_INFO, info);
	vmx_put();
	if (vector == X86_TRAP_PF)
		to_vmx(vcpu)->cr2 = cr2;
}

static void vmx_request_irq_window(struct vireo_vcpu *vcpu, bool on)
{
	u32 proc;

	vmx_get(vcpu);
	proc = vmread(VMCS_PROC_CONTROLS);
	if (on)
		proc |= PROC_INTERRUPT_WINDOW_EXITING;
	else
		proc &= ~PROC_INTERRUPT_WINDOW_EXITING;
	vmwrite(VMCS_PROC_CONTROLS, proc);
	vmx_put();
}

/* ---- vCPU setup ------------------------------------------------------- */

static void set_guest_segment(int seg, u16 selector, u64 base, u32 ar)
{
	vmwrite(seg_field(VMCS_GUEST_ES_SELECTOR, seg), selector);
	vmwrite(seg_field(VMCS_GUEST_ES_BASE, seg), base);
	vmwrite(seg_field(VMCS_GUEST_ES_LIMIT, seg), 0xffff);
	vmwrite(seg_field(VMCS_GUEST_ES_AR, seg), ar);
}

/* Bits of CR0/CR4 whose guest view differs from what the CPU runs with. */
static u64 cr0_owned_bits(void)
{
	return (vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG)) |
	       (u32)~vmx_caps.cr0_fixed1;
}

static u64 cr4_owned_bits(void)
{
	return vmx_caps.cr4_fixed0 | (u32)~vmx_caps.cr4_fixed1 |
	       X86_CR4_VMXE | X86_CR4_SMXE | X86_CR4_PKE | X86_CR4_LA57;
}

static void init_vmcs_controls(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmwrite(VMCS_PIN_CONTROLS, vmx_caps.pin);
	vmwrite(VMCS_PROC_CONTROLS, vmx_caps.proc);
	vmwrite(VMCS_PROC_CONTROLS2, vmx_caps.proc2);
	vmwrite(VMCS_EXIT_CONTROLS, vmx_caps.exit);
	vmwrite(VMCS_ENTRY_CONTROLS, vmx_caps.entry);
	/* #DB and #AC could otherwise loop in the CPU, host blocked. */
	vmwrite(VMCS_EXCEPTION_BITMAP, 1U << X86_TRAP_DB | 1U << X86_TRAP_AC);
	vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_MSR_BITMAP, __pa(msr_bitmap));
	vmwrite(VMCS_ENTRY_MSR_LOAD_ADDR, __pa(vmx->guest_msrs));
	vmwrite(VMCS_EXIT_MSR_STORE_ADDR, __pa(vmx->guest_msrs));
	vmwrite(VMCS_EXIT_MSR_LOAD_ADDR, __pa(vmx->host_msrs));
	vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, NR_SWITCHED_MSRS);
	vmwrite(VMCS_EXIT_MSR_STORE_COUNT, NR_SWITCHED_MSRS);
	vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, NR_SWITCHED_MSRS);
	vmwrite(VMCS_EPT_POINTER, vmx_eptp(vcpu));
	if (vmx_caps.vpid)
		vmwrite(VMCS_VPID, vmx->vpid);
	vmwrite(VMCS_TSC_OFFSET, -rdtsc());	/* the guest's TSC starts at 0 */
	vmwrite(VMCS_CR0_MASK, cr0_owned_bits());
	vmwrite(VMCS_CR4_MASK, cr4_owned_bits());
	vmwrite(VMCS_LINK_POINTER, ~0ULL);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
}

static void init_vmcs_host(void)
{
	u64 msr;

	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CS_SELECTOR, __KERNEL_CS);
	vmwrite(VMCS_HOST_SS_SELECTOR, __KERNEL_DS);
	vmwrite(VMCS_HOST_DS_SELECTOR, 0);
	vmwrite(VMCS_HOST_ES_SELECTOR, 0);
	vmwrite(VMCS_HOST_FS_SELECTOR, 0);
	vmwrite(VMCS_HOST_GS_SELECTOR, 0);
	vmwrite(VMCS_HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmwrite(VMCS_HOST_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmwrite(VMCS_HOST_SYSENTER_EIP, msr);
	rdmsrl(MSR_IA32_CR_PAT, msr);
	vmwrite(VMCS_HOST_PAT, msr);
	rdmsrl(MSR_EFER, msr);
	vmwrite(VMCS_HOST_EFER, msr);
	vmwrite(VMCS_HOST_RIP, (unsigned long)vireo_vmx_exit);
	vmx_set_host_percpu_state();
}

/* The architectural state after RESET, as an unrestricted guest. */
static void init_vmcs_guest(void)
{
	int i;

	set_guest_segment(VIREO_SEG_CS, 0xf000, 0xffff0000, 0x9b);
	set_guest_segment(VIREO_SEG_DS, 0, 0, 0x93);
	set_guest_segment(VIREO_SEG_ES, 0, 0, 0x93);
	set_guest_segment(VIREO_SEG_SS, 0, 0, 0x93);
	set_guest_segment(VIREO_SEG_FS, 0, 0, 0x93);
	set_guest_segment(VIREO_SEG_GS, 0, 0, 0x93);
	set_guest_segment(VIREO_SEG_LDTR, 0, 0, 0x82);
	set_guest_segment(VIREO_SEG_TR, 0, 0, 0x8b);
	vmwrite(VMCS_GUEST_GDTR_BASE, 0);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmx_set_cr0(X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmwrite(VMCS_GUEST_CR3, 0);
	vmx_set_cr4(0);
	vmx_set_efer(0);
	vmwrite(VMCS_GUEST_DR7, 0x400);
	vmwrite(VMCS_GUEST_DEBUGCTL, 0);
	vmwrite(VMCS_GUEST_PAT, 0x0007040600070406ULL);
	vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
	for (i = 0; i < 4; i++)
		vmwrite(VMCS_GUEST_PDPTE0 + 2 * i, 0);
}

static void vmx_vcpu_reset(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int i;

	for (i = 0; i < NR_SWITCHED_MSRS; i++) {
		vmx->guest_msrs[i] = (struct vmx_msr_slot){
			.index = vmx_switched_msrs[i] };
		vmx->host_msrs[i].index = vmx_switched_msrs[i];
		if (i != SWITCHED_KERNEL_GS_BASE)
			rdmsrl(vmx_switched_msrs[i], vmx->host_msrs[i].value);
	}
	vmx->cr2 = 0;
	vmx->cr8 = 0;
	vmx->guest_owns_dr = false;
	memset(vmx->guest_dr, 0, sizeof(vmx->guest_dr));

	vmx_get(vcpu);
	init_vmcs_controls(vcpu);
	init_vmcs_host();
	init_vmcs_guest();
	vmx_put();
}

static int vmx_vcpu_create(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	void *msrs;
	int vpid = 0;

	if (!vmx)
		return -ENOMEM;
	vmx->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	msrs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (vmx_caps.vpid)
		vpid = ida_alloc_range(&vpid_ida, 1, 0xffff, GFP_KERNEL);
	if (!vmx->vmcs || !msrs || vpid < 0) {
		free_page((unsigned long)vmx->vmcs);
		free_page((unsigned long)msrs);
		if (vpid > 0)
			ida_free(&vpid_ida, vpid);
		kfree(vmx);
		return vpid < 0 ? vpid : -ENOMEM;
	}
	*(u32 *)vmx->vmcs = vmx_caps.revision;
	vmx->guest_msrs = msrs;
	vmx->host_msrs = msrs + PAGE_SIZE / 2;
	vmx->vpid = vpid;
	vmx->vcpu = vcpu;
	vmx->loaded_cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	preempt_disable();
	vmclear(vmx->vmcs);	/* a VMCS starts clear */
	preempt_enable();
	vcpu->vendor = vmx;
	return 0;
}

static void vmx_vcpu_free(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_clear_remote(vmx);
	if (vmx->vpid)
		ida_free(&vpid_ida, vmx->vpid);
	free_page((unsigned long)vmx->guest_msrs);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	vcpu->vendor = NULL;
}

/* ---- Entering the guest --------------------------------------------------- */

static void switch_debug(unsigned long *save, const unsigned long *load)
{
	get_debugreg(save[0], 0);
	get_debugreg(save[1], 1);
	get_debugreg(save[2], 2);
	get_debugreg(save[3], 3);
	set_debugreg(load[0], 0);
	set_debugreg(load[1], 1);
	set_debugreg(load[2], 2);
	set_debugreg(load[3], 3);
}

/* Host state that can change between entries on the same CPU. */
static void vmx_update_host_state(struct vmx_vcpu *vmx)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();
	u64 fs_base;

	if (cr3 != vmx->host_cr3) {
		vmwrite(VMCS_HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (cr4 != vmx->host_cr4) {
		vmwrite(VMCS_HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	rdmsrl(MSR_FS_BASE, fs_base);
	vmwrite(VMCS_HOST_FS_BASE, fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE,
	       vmx->host_msrs[SWITCHED_KERNEL_GS_BASE].value);
}

static void vmx_record_exit(struct vmx_vcpu *vmx, int failed)
{
	if (failed) {
		/* VMLAUNCH/VMRESUME itself failed: report its error. */
		vmx->exit_reason = EXIT_REASON_ENTRY_FAILED;
		vmx->entry_error = vmread(VMCS_INSTRUCTION_ERROR);
		return;
	}
	vmx->exit_reason = vmread(VMCS_EXIT_REASON);
	/* An entry that failed on guest state leaves the VMCS unlaunched. */
	if (!(vmx->exit_reason & EXIT_REASON_ENTRY_FAILED))
		vmx->launched = true;
	vmx->exit_qualification = vmread(VMCS_EXIT_QUALIFICATION);
	vmx->exit_intr_info = vmread(VMCS_EXIT_INTR_INFO);
	vmx->idt_vectoring_info = vmread(VMCS_IDT_VECTORING_INFO);
	vmx->entry_error = 0;
}

/*
 * The exit acknowledged the interrupt that caused it (the CPU took it
 * from the interrupt controller): run its handler from the host's IDT
 * now, as the CPU would have.  Called by the core with interrupts still
 * off, once the host's state (MSRs, XCR0, GDT) is back.  Left pending
 * instead, Bochs 2.7 loses some of them (a UART's transmit interrupt:
 * the console stalls).
 */
static void vmx_exit_irqoff(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = vmx->exit_intr_info;
	struct desc_ptr idt;
	gate_desc *gate;

	if ((u16)vmx->exit_reason != EXIT_EXTERNAL_INTERRUPT ||
	    !(info & INTR_INFO_VALID))
		return;
	store_idt(&idt);
	gate = (gate_desc *)idt.address + (info & INTR_INFO_VECTOR_MASK);
	vireo_vmx_do_irq(gate_offset(gate));
}

static void vmx_enter(struct vireo_vcpu *vcpu, bool flush_tlb)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int failed;

	vmwrite(VMCS_GUEST_RSP, vcpu->regs.gpr[VIREO_RSP]);
	vmwrite(VMCS_GUEST_RIP, vcpu->regs.rip);
	vmwrite(VMCS_GUEST_RFLAGS, vcpu->regs.rflags);
	vmx_update_host_state(vmx);
	if (flush_tlb)
		invept(vmx_caps.ept_vpid_cap & EPT_CAP_INVEPT_SINGLE ?
		       INVEPT_SINGLE : INVEPT_ALL, vmx_eptp(vcpu));
	if (vmx->guest_owns_dr) {
		/* As on AMD-V: no host breakpoint on the guest's addresses. */
		if (hw_breakpoint_active())
			set_debugreg(0, 7);
		switch_debug(vmx->host_dr, vmx->guest_dr);
	}
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);

	failed = vireo_vmx_vmenter(vcpu->regs.gpr, vmx->launched);

	vmx->cr2 = native_read_cr2();
	vmx_record_exit(vmx, failed);
	if ((u16)vmx->exit_reason == EXIT_EXCEPTION_NMI &&
	    (vmx->exit_intr_info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
		vireo_vmx_do_nmi();	/* the host's NMI, taken in the guest */
	/* The exit left the GDT limit at 64K and TR's at 0x67. */
	load_fixmap_gdt(smp_processor_id());
	invalidate_tss_limit();
	if (vmx->guest_owns_dr)
		switch_debug(vmx->guest_dr, vmx->host_dr);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	vcpu->regs.gpr[VIREO_RSP] = vmread(VMCS_GUEST_RSP);
	vcpu->regs.rip = vmread(VMCS_GUEST_RIP);
	vcpu->regs.rflags = vmread(VMCS_GUEST_RFLAGS);
}

static void vmx_vcpu_load(struct vireo_vcpu *vcpu)
{
	vmx_load(vcpu);
}

/* ---- Exit handlers: one per exit reason --------------------------------- */

static int vmx_exit_nothing(struct vireo_vcpu *vcpu)
{
	return 1;
}

static int vmx_exit_external_interrupt(struct vireo_vcpu *vcpu)
{
	vireo_stat(vcpu, VIREO_STAT_INTR);
	return 1;	/* the host takes it once interrupts are on */
}

/* NMIs were handled in vmx_enter(); #DB and #AC go back to the guest. */
static int vmx_exit_exception(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = vmx->exit_intr_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
		return 1;
	vmx_inject_exception(vcpu, vector, info & INTR_INFO_ERROR_VALID,
			     vmx_read(vcpu, VMCS_EXIT_INTR_ERROR), 0);
	return 1;
}

static int vmx_exit_triple_fault(struct vireo_vcpu *vcpu)
{
	vmx_vcpu_reset(vcpu);
	return vireo_handle_shutdown(vcpu);
}

static int vmx_exit_interrupt_window(struct vireo_vcpu *vcpu)
{
	vireo_stat(vcpu, VIREO_STAT_IRQ_WINDOW);
	vmx_request_irq_window(vcpu, false);
	return 1;
}

static int vmx_exit_cpuid(struct vireo_vcpu *vcpu)
{
	return vireo_handle_cpuid(vcpu);
}

static int vmx_exit_hlt(struct vireo_vcpu *vcpu)
{
	return vireo_handle_hlt(vcpu);
}

static int vmx_exit_vmcall(struct vireo_vcpu *vcpu)
{
	return vireo_handle_hypercall(vcpu);
}

static int vmx_exit_skip(struct vireo_vcpu *vcpu)
{
	vireo_skip_insn(vcpu);	/* INVD and WBINVD: nothing to do */
	return 1;
}

/* VMX instructions, GETSEC, MONITOR/MWAIT: not offered to guests. */
static int vmx_exit_undefined(struct vireo_vcpu *vcpu)
{
	vmx_inject_exception(vcpu, X86_TRAP_UD, false, 0, 0);
	return 1;
}

static int vmx_exit_rdmsr(struct vireo_vcpu *vcpu)
{
	return vireo_handle_rdmsr(vcpu, vcpu->regs.gpr[VIREO_RCX]);
}

static int vmx_exit_wrmsr(struct vireo_vcpu *vcpu)
{
	u64 *g = vcpu->regs.gpr;

	return vireo_handle_wrmsr(vcpu, g[VIREO_RCX],
				  (u32)g[VIREO_RAX] | (g[VIREO_RDX] << 32));
}

static int vmx_exit_xsetbv(struct vireo_vcpu *vcpu)
{
	u64 *g = vcpu->regs.gpr;

	return vireo_handle_xsetbv(vcpu, g[VIREO_RCX],
				   (u32)g[VIREO_RAX] | (g[VIREO_RDX] << 32));
}

static u8 default_addr_size(struct vireo_vcpu *vcpu)
{
	switch (vmx_cpu_mode(vcpu)) {
	case VIREO_MODE_LONG64: return 8;
	case VIREO_MODE_PROT32: return 4;
	default: return 2;
	}
}

static int vmx_exit_io(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qualification;
	struct vireo_io_exit io = {
		.port = q >> IO_QUAL_PORT_SHIFT,
		.size = (q & IO_QUAL_SIZE_MASK) + 1,
		.in = q & IO_QUAL_IN,
		.string = q & IO_QUAL_STRING,
		.rep = q & IO_QUAL_REP,
		.seg = VIREO_SEG_DS,
		.next_rip = vcpu->next_rip,
	};

	io.addr_size = default_addr_size(vcpu);
	if (io.string && vmx_caps.inout_info) {
		u32 info = vmx_read(vcpu, VMCS_EXIT_INSTRUCTION_INFO);

		io.addr_size = 2 << ((info >> 7) & 3);
		io.seg = (info >> 15) & 7;
	}
	return vireo_handle_io(vcpu, &io);
}

/* ---- Control registers ---- */

#define CR4_GUEST_ALLOWED (X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | \
			   X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | \
			   X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | \
			   X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
			   X86_CR4_FSGSBASE | X86_CR4_PCIDE | \
			   X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP | \
			   X86_CR4_UMIP)

static int vmx_write_cr0(struct vireo_vcpu *vcpu, u64 cr0)
{
	struct vireo_sregs s;
	u64 efer;

	if (cr0 >> 32 || ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE)) ||
	    ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD)))
		return -EINVAL;
	vmx_get_sregs(vcpu, &s);
	efer = s.efer;
	if ((cr0 & X86_CR0_PG) && !(s.cr0 & X86_CR0_PG) &&
	    (efer & EFER_LME) && !(s.cr4 & X86_CR4_PAE))
		return -EINVAL;
	/* Turning paging on or off moves long mode with it. */
	s.cr0 = cr0;
	vmx_set_sregs(vcpu, &s);
	return 0;
}

static int vmx_write_cr4(struct vireo_vcpu *vcpu, u64 cr4)
{
	struct vireo_sregs s;

	if (cr4 & ~(u64)CR4_GUEST_ALLOWED)
		return -EINVAL;
	vmx_get_sregs(vcpu, &s);
	if ((s.efer & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	s.cr4 = cr4;
	vmx_set_sregs(vcpu, &s);
	return 0;
}

static int vmx_mov_to_cr(struct vireo_vcpu *vcpu, int cr, u64 value)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vireo_sregs s;

	switch (cr) {
	case 0:
		return vmx_write_cr0(vcpu, value);
	case 3:
		vmx_get_sregs(vcpu, &s);
		s.cr3 = value;
		vmx_set_sregs(vcpu, &s);
		return 0;
	case 4:
		return vmx_write_cr4(vcpu, value);
	case 8:
		if (value & ~15ULL)
			return -EINVAL;
		vmx->cr8 = value;
		return 0;
	}
	return -EINVAL;
}

static int vmx_exit_cr_access(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qualification, cr0;
	u64 *reg = &vcpu->regs.gpr[CR_QUAL_GPR(q)];
	int cr = CR_QUAL_NUMBER(q), ret = 0;

	switch (CR_QUAL_TYPE(q)) {
	case CR_TYPE_MOV_TO:
		ret = vmx_mov_to_cr(vcpu, cr, *reg);
		break;
	case CR_TYPE_MOV_FROM:
		if (cr == 8)
			*reg = vmx->cr8;
		else if (cr == 3)
			*reg = vmx_read(vcpu, VMCS_GUEST_CR3);
		else
			ret = -EINVAL;
		break;
	case CR_TYPE_CLTS:
		vmx_get(vcpu);
		cr0 = vmx_guest_cr0();
		vmx_put();
		ret = vmx_write_cr0(vcpu, cr0 & ~X86_CR0_TS);
		break;
	case CR_TYPE_LMSW:
		/* LMSW sets the low four bits but cannot clear PE. */
		vmx_get(vcpu);
		cr0 = vmx_guest_cr0();
		vmx_put();
		ret = vmx_write_cr0(vcpu, (cr0 & ~0xeULL) |
					  ((q >> 16) & 0xf));
		break;
	}
	if (ret) {
		vmx_inject_exception(vcpu, X86_TRAP_GP, true, 0, 0);
		return 1;
	}
	vireo_skip_insn(vcpu);
	return 1;
}

/* First debug-register access: from now on DR0-3 follow the guest. */
static int vmx_exit_dr_access(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->guest_owns_dr = true;
	vmx_write(vcpu, VMCS_PROC_CONTROLS,
		  vmx_read(vcpu, VMCS_PROC_CONTROLS) & ~PROC_MOV_DR_EXITING);
	return 1;	/* run the instruction again, now unintercepted */
}

static int vmx_exit_ept_violation(struct vireo_vcpu *vcpu)
{
	u64 q = to_vmx(vcpu)->exit_qualification;

	return vireo_handle_page_fault(vcpu,
				       vmx_read(vcpu, VMCS_GUEST_PHYSICAL_ADDRESS),
				       q & EPT_QUAL_WRITE, q & EPT_QUAL_FETCH);
}

/* Our own tables are wrong: say so rather than loop. */
static int vmx_exit_ept_misconfig(struct vireo_vcpu *vcpu)
{
	u64 gpa = vmx_read(vcpu, VMCS_GUEST_PHYSICAL_ADDRESS);

	pr_err_ratelimited("vireo: EPT misconfiguration at guest address %#llx\n",
			   gpa);
	vireo_set_internal_error(vcpu,
				 VIREO_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				 EXIT_EPT_MISCONFIG, gpa);
	return 0;
}

typedef int (*vmx_exit_handler)(struct vireo_vcpu *vcpu);

static const vmx_exit_handler vmx_exit_handlers[EXIT_MAX_TABLE] = {
	[EXIT_EXCEPTION_NMI] = vmx_exit_exception,
	[EXIT_EXTERNAL_INTERRUPT] = vmx_exit_external_interrupt,
	[EXIT_TRIPLE_FAULT] = vmx_exit_triple_fault,
	[EXIT_INIT] = vmx_exit_nothing,
	[EXIT_SIPI] = vmx_exit_nothing,
	[EXIT_INTERRUPT_WINDOW] = vmx_exit_interrupt_window,
	[EXIT_CPUID] = vmx_exit_cpuid,
	[EXIT_GETSEC] = vmx_exit_undefined,
	[EXIT_HLT] = vmx_exit_hlt,
	[EXIT_INVD] = vmx_exit_skip,
	[EXIT_VMCALL] = vmx_exit_vmcall,
	[EXIT_VMCLEAR ... EXIT_VMXON] = vmx_exit_undefined,
	[EXIT_CR_ACCESS] = vmx_exit_cr_access,
	[EXIT_DR_ACCESS] = vmx_exit_dr_access,
	[EXIT_IO] = vmx_exit_io,
	[EXIT_RDMSR] = vmx_exit_rdmsr,
	[EXIT_WRMSR] = vmx_exit_wrmsr,
	[EXIT_MWAIT] = vmx_exit_undefined,
	[EXIT_MONITOR] = vmx_exit_undefined,
	[EXIT_EPT_VIOLATION] = vmx_exit_ept_violation,
	[EXIT_EPT_MISCONFIG] = vmx_exit_ept_misconfig,
	[EXIT_INVEPT] = vmx_exit_undefined,
	[EXIT_INVVPID] = vmx_exit_undefined,
	[EXIT_WBINVD] = vmx_exit_skip,
	[EXIT_XSETBV] = vmx_exit_xsetbv,
	[EXIT_VMFUNC] = vmx_exit_undefined,
};

/*
 * An event the exit interrupted on its way into the guest is delivered
 * again; software interrupts and exceptions are not, their instruction
 * simply runs again.
 */
static void vmx_requeue_interrupted_event(struct vireo_vcpu *vcpu)
{
	u32 info = to_vmx(vcpu)->idt_vectoring_info;
	u32 type = info & INTR_INFO_TYPE_MASK;

	if (!(info & INTR_INFO_VALID) ||
	    (type != INTR_TYPE_EXTERNAL && type != INTR_TYPE_NMI &&
	     type != INTR_TYPE_HARD_EXCEPTION))
		return;
	vmx_get(vcpu);
	if (info & INTR_INFO_ERROR_VALID)
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR,
			vmread(VMCS_IDT_VECTORING_ERROR));
	vmwrite(VMCS_ENTRY_INTR_INFO, info & ~INTR_INFO_NMI_UNBLOCK);
	vmx_put();
}

/* Which part of the guest state a failed entry most likely refused. */
static enum vireo_state_field vmx_failed_field(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vireo_entry_state st = { .vmx_rules = true };
	struct vireo_sregs s;
	u32 block, entry;

	vmx_get(vcpu);
	block = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	entry = vmread(VMCS_ENTRY_INTR_INFO);
	vmx_put();
	if (vmx->entry_error == VMXERR_ENTRY_INVALID_CONTROL) {
		/* The one control-field rule guests' state can break. */
		if ((entry & INTR_INFO_VALID) &&
		    (entry & INTR_INFO_ERROR_VALID) &&
		    !(vmx_read(vcpu, VMCS_GUEST_CR0) & X86_CR0_PE))
			return VIREO_STATE_EVENT_INJECTION;
		return VIREO_STATE_UNKNOWN;
	}
	if ((vmx->exit_reason & 0xffff) != EXIT_INVALID_GUEST_STATE)
		return VIREO_STATE_UNKNOWN;
	vmx_get_sregs(vcpu, &s);
	st.sregs = &s;
	st.rflags = vcpu->regs.rflags;
	st.sti_blocking = block & INTERRUPTIBILITY_STI;
	st.movss_blocking = block & INTERRUPTIBILITY_MOV_SS;
	return vireo_entry_state_check(&st);
}

static int vmx_entry_failed(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 reason = vmx->entry_error ? vmx->entry_error : vmx->exit_reason;

	return vireo_handle_fail_entry(vcpu, reason, vmx_failed_field(vcpu));
}

static int vmx_handle_exit(struct vireo_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u16 reason = vmx->exit_reason;

	if (vmx->exit_reason & EXIT_REASON_ENTRY_FAILED)
		return vmx_entry_failed(vcpu);
	vmx_requeue_interrupted_event(vcpu);
	vcpu->next_rip = vcpu->regs.rip +
			 vmx_read(vcpu, VMCS_EXIT_INSTRUCTION_LEN);
	if (reason < EXIT_MAX_TABLE && vmx_exit_handlers[reason])
		return vmx_exit_handlers[reason](vcpu);
	return vireo_handle_unknown_exit(vcpu, reason);
}

static int vmx_nested_pt_levels(void)
{
	return 4;
}

static void vmx_unload(void)
{
	vmx_free_cpu_pages();
}

const struct vireo_vendor_ops vireo_vmx_ops = {
	.name = "Intel VT-x (VMX) with EPT",
	.probe = vmx_probe,
	.unload = vmx_unload,
	.pte_format = &vireo_ept_format,
	.nested_pt_levels = vmx_nested_pt_levels,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_reset = vmx_vcpu_reset,
	.vcpu_load = vmx_vcpu_load,
	.exit_irqoff = vmx_exit_irqoff,
	.enter = vmx_enter,
	.handle_exit = vmx_handle_exit,
	.get_sregs = vmx_get_sregs,
	.set_sregs = vmx_set_sregs,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.cpu_mode = vmx_cpu_mode,
	.segment_base = vmx_segment_base,
	.paging_state = vmx_paging_state,
	.get_cr4 = vmx_get_cr4,
	.get_cpl = vmx_get_cpl,
	.interrupt_allowed = vmx_interrupt_allowed,
	.event_pending = vmx_event_pending,
	.inject_irq = vmx_inject_irq,
	.inject_nmi = vmx_inject_nmi,
	.inject_exception = vmx_inject_exception,
	.request_irq_window = vmx_request_irq_window,
	.clear_interrupt_shadow = vmx_clear_interrupt_shadow,
};
