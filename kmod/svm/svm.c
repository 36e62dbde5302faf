// SPDX-License-Identifier: GPL-2.0-only
/*
 * The AMD-V backend: one VMCB per vCPU, nested paging, and a handler per
 * exit code that turns the exit into one of the core's neutral handlers.
 * Nothing SVM-specific leaves this directory.
 */
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <asm/debugreg.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/trapnr.h>

#include "../vireo.h"
#include "../vendor.h"
#include "../entry_check.h"
#include "vmcb.h"

/* The assembly in svm_run.S: VMSAVE host, VMLOAD guest, VMRUN, back. */
void vireo_svm_vmrun(u64 vmcb_pa, u64 host_save_pa, u64 *gprs);

#define IOPM_ORDER 2	/* 12 KiB used */
#define MSRPM_ORDER 1	/* 8 KiB */
#define PAT_POWER_ON 0x0007040600070406ULL

struct svm_cpu {
	void *hsave;		/* VM_HSAVE_PA: the CPU's own use */
	void *host_save;	/* our VMSAVE/VMLOAD of host state */
	u32 next_asid;
	u64 asid_generation;
	unsigned long host_dr[4];
};

/* One exit, as vireo.dump_shutdown keeps it. */
struct svm_exit_record {
	u64 code;
	u64 rip;		/* where the guest was entered */
	u64 injected;		/* event_inject of that entry */
	u64 exit_int_info;
};

#define SVM_EXIT_HISTORY 16

struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u32 asid;
	u64 asid_generation;
	int asid_cpu;
	bool guest_owns_dr;	/* DR0-3 switched on every entry */
	unsigned long guest_dr[4];
	/* With dump_shutdown only: the last exits, oldest at history_next. */
	struct svm_exit_record history[SVM_EXIT_HISTORY];
	unsigned int history_next;
	u64 entry_rip, entry_event;
};

/*
 * vireo.dump_shutdown=1: when a guest triple-faults, log what the VMCB
 * held and the guest's last exits, to chase a guest that dies without a
 * word.  Hardware leaves the VMCB undefined at a SHUTDOWN exit; QEMU's
 * emulation leaves the state of the fault there.  Off by default.
 */
static bool dump_shutdown;
module_param(dump_shutdown, bool, 0644);
MODULE_PARM_DESC(dump_shutdown,
		 "AMD-V: log the guest state and its last exits when a guest triple-faults");

static DEFINE_PER_CPU(struct svm_cpu, svm_cpu_data);
static void *iopm;		/* shared: every port intercepted */
static void *msrpm;		/* shared: see msrpm_init() */
static u32 max_asid;
static bool has_decode_assists;
static bool has_nrips;

/*
 * Lengths of the instructions whose exits complete them, for CPUs that do
 * not save the next RIP in the VMCB.  Prefixed forms are not expected.
 */
static const u8 svm_insn_len[] = {
	[SVM_EXIT_CPUID] = 2, [SVM_EXIT_HLT] = 1, [SVM_EXIT_MSR] = 2,
	[SVM_EXIT_VMMCALL] = 3, [SVM_EXIT_XSETBV] = 3, [SVM_EXIT_INVD] = 2,
	[SVM_EXIT_WBINVD] = 2,
};

static struct svm_vcpu *to_svm(struct vireo_vcpu *vcpu)
{
	return vcpu->vendor;
}

static struct vmcb *vmcb_of(struct vireo_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb;
}

/* ---- Detection and per-CPU enable ------------------------------------ */

static void svm_free_cpu_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpu_data, cpu);

		free_page((unsigned long)sd->hsave);
		free_page((unsigned long)sd->host_save);
		sd->hsave = sd->host_save = NULL;
	}
	free_pages((unsigned long)iopm, IOPM_ORDER);
	free_pages((unsigned long)msrpm, MSRPM_ORDER);
	iopm = msrpm = NULL;
}

/* Let the guest reach an MSR directly; all others stay intercepted. */
static void msrpm_pass(u32 msr)
{
	u32 base, offset;

	if (msr < 0x2000) {
		base = 0;
		offset = 0;
	} else if (msr >= 0xc0000000 && msr < 0xc0002000) {
		base = 0xc0000000;
		offset = 0x800;
	} else {
		return;
	}
	/* Two bits per MSR: read intercept, then write intercept. */
	__clear_bit(offset * 8 + (msr - base) * 2, msrpm);
	__clear_bit(offset * 8 + (msr - base) * 2 + 1, msrpm);
}

/*
 * The MSRs whose guest values live in the VMCB and are switched by
 * VMLOAD/VMSAVE or VMRUN need no intercept.
 */
static void msrpm_init(void)
{
	static const u32 passed[] = {
		MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR,
		MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_IA32_SYSENTER_CS,
		MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	};
	int i;

	memset(msrpm, 0xff, PAGE_SIZE << MSRPM_ORDER);
	for (i = 0; i < ARRAY_SIZE(passed); i++)
		msrpm_pass(passed[i]);
}

static int svm_probe(void)
{
	u64 vm_cr;
	int cpu;

	if (!boot_cpu_has(X86_FEATURE_SVM))
		return -ENODEV;
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & MSR_VM_CR_SVMDIS) {
		pr_err("vireo: AMD-V is disabled by the firmware (VM_CR.SVMDIS); enable SVM in the BIOS setup\n");
		return -ENODEV;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("vireo: AMD-V without nested paging is not supported\n");
		return -ENODEV;
	}
	has_nrips = boot_cpu_has(X86_FEATURE_NRIPS);
	max_asid = cpuid_ebx(0x8000000a);
	if (max_asid < 2) {
		pr_err("vireo: AMD-V reports no usable ASIDs\n");
		return -ENODEV;
	}
	has_decode_assists = boot_cpu_has(X86_FEATURE_DECODEASSISTS);

	iopm = (void *)__get_free_pages(GFP_KERNEL, IOPM_ORDER);
	msrpm = (void *)__get_free_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!iopm || !msrpm)
		goto nomem;
	memset(iopm, 0xff, PAGE_SIZE << IOPM_ORDER);
	msrpm_init();
	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpu_data, cpu);

		sd->hsave = (void *)get_zeroed_page(GFP_KERNEL);
		sd->host_save = (void *)get_zeroed_page(GFP_KERNEL);
		if (!sd->hsave || !sd->host_save)
			goto nomem;
	}
	return 0;
nomem:
	svm_free_cpu_pages();
	return -ENOMEM;
}

static int svm_cpu_enable(void)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu_data);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, __pa(sd->hsave));
	/* Fresh ASIDs: whatever ran here before is flushed on first use. */
	sd->next_asid = max_asid;
	sd->asid_generation++;
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

/* ---- Segments and registers --------------------------------------------- */

static struct vmcb_segment *vmcb_segment(struct vmcb *vmcb, int seg)
{
	switch (seg) {
	case VIREO_SEG_ES: return &vmcb->save.es;
	case VIREO_SEG_CS: return &vmcb->save.cs;
	case VIREO_SEG_SS: return &vmcb->save.ss;
	case VIREO_SEG_DS: return &vmcb->save.ds;
	case VIREO_SEG_FS: return &vmcb->save.fs;
	case VIREO_SEG_GS: return &vmcb->save.gs;
	case VIREO_SEG_TR: return &vmcb->save.tr;
	default: return &vmcb->save.ldtr;
	}
}

static void segment_to_user(const struct vmcb_segment *v,
			    struct vireo_segment *s)
{
	u16 a = v->attrib;

	*s = (struct vireo_segment){
		.base = v->base, .limit = v->limit, .selector = v->selector,
		.type = a & 0xf, .s = (a >> 4) & 1, .dpl = (a >> 5) & 3,
		.present = (a >> 7) & 1, .avl = (a >> 8) & 1,
		.l = (a >> 9) & 1, .db = (a >> 10) & 1, .g = (a >> 11) & 1,
	};
	s->unusable = !s->present;
}

static void segment_from_user(struct vmcb_segment *v,
			      const struct vireo_segment *s)
{
	v->base = s->base;
	v->limit = s->limit;
	v->selector = s->selector;
	v->attrib = 0;
	if (s->unusable || !s->present)
		return;
	v->attrib = (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
		    1 << 7 | (s->avl & 1) << 8 | (s->l & 1) << 9 |
		    (s->db & 1) << 10 | (s->g & 1) << 11;
}

static void svm_get_sregs(struct vireo_vcpu *vcpu, struct vireo_sregs *s)
{
	struct vmcb *vmcb = vmcb_of(vcpu);

	segment_to_user(&vmcb->save.cs, &s->cs);
	segment_to_user(&vmcb->save.ds, &s->ds);
	segment_to_user(&vmcb->save.es, &s->es);
	segment_to_user(&vmcb->save.fs, &s->fs);
	segment_to_user(&vmcb->save.gs, &s->gs);
	segment_to_user(&vmcb->save.ss, &s->ss);
	segment_to_user(&vmcb->save.tr, &s->tr);
	segment_to_user(&vmcb->save.ldtr, &s->ldt);
	s->gdt.base = vmcb->save.gdtr.base;
	s->gdt.limit = vmcb->save.gdtr.limit;
	s->idt.base = vmcb->save.idtr.base;
	s->idt.limit = vmcb->save.idtr.limit;
	s->cr0 = vmcb->save.cr0;
	s->cr2 = vmcb->save.cr2;
	s->cr3 = vmcb->save.cr3;
	s->cr4 = vmcb->save.cr4;
	s->cr8 = vmcb->control.int_ctl & V_TPR_MASK;
	s->efer = vmcb->save.efer & ~EFER_SVME;
}

static void svm_set_sregs(struct vireo_vcpu *vcpu, const struct vireo_sregs *s)
{
	struct vmcb *vmcb = vmcb_of(vcpu);

	segment_from_user(&vmcb->save.cs, &s->cs);
	segment_from_user(&vmcb->save.ds, &s->ds);
	segment_from_user(&vmcb->save.es, &s->es);
	segment_from_user(&vmcb->save.fs, &s->fs);
	segment_from_user(&vmcb->save.gs, &s->gs);
	segment_from_user(&vmcb->save.ss, &s->ss);
	segment_from_user(&vmcb->save.tr, &s->tr);
	segment_from_user(&vmcb->save.ldtr, &s->ldt);
	vmcb->save.gdtr.base = s->gdt.base;
	vmcb->save.gdtr.limit = s->gdt.limit;
	vmcb->save.idtr.base = s->idt.base;
	vmcb->save.idtr.limit = s->idt.limit;
	vmcb->save.cr0 = s->cr0;
	vmcb->save.cr2 = s->cr2;
	vmcb->save.cr3 = s->cr3;
	vmcb->save.cr4 = s->cr4;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
				(s->cr8 & V_TPR_MASK);
	vmcb->save.efer = s->efer | EFER_SVME;
	/* Long mode is active exactly when enabled and paging is on. */
	vmcb->save.efer &= ~EFER_LMA;
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG))
		vmcb->save.efer |= EFER_LMA;
	vmcb->save.cpl = (s->cr0 & X86_CR0_PE) ? s->ss.dpl & 3 : 0;
}

static enum vireo_cpu_mode svm_cpu_mode(struct vireo_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	u16 cs = vmcb->save.cs.attrib;

	if (!(vmcb->save.cr0 & X86_CR0_PE) ||
	    (vcpu->regs.rflags & X86_EFLAGS_VM))
		return VIREO_MODE_REAL;
	if ((vmcb->save.efer & EFER_LMA) && (cs & (1 << 9)))
		return VIREO_MODE_LONG64;
	return (cs & (1 << 10)) ? VIREO_MODE_PROT32 : VIREO_MODE_PROT16;
}

static u64 svm_segment_base(struct vireo_vcpu *vcpu, enum vireo_seg seg)
{
	/* In 64-bit mode only FS and GS have a base. */
	if (svm_cpu_mode(vcpu) == VIREO_MODE_LONG64 &&
	    seg != VIREO_SEG_FS && seg != VIREO_SEG_GS)
		return 0;
	return vmcb_segment(vmcb_of(vcpu), seg)->base;
}

static void svm_paging_state(struct vireo_vcpu *vcpu,
			     struct vireo_walk_ctx *ctx)
{
	struct vmcb *vmcb = vmcb_of(vcpu);

	ctx->cr0 = vmcb->save.cr0;
	ctx->cr3 = vmcb->save.cr3;
	ctx->cr4 = vmcb->save.cr4;
	ctx->efer = vmcb->save.efer & ~EFER_SVME;
}

static u64 svm_get_cr4(struct vireo_vcpu *vcpu)
{
	return vmcb_of(vcpu)->save.cr4;
}

static int svm_get_cpl(struct vireo_vcpu *vcpu)
{
	return vmcb_of(vcpu)->save.cpl;
}

/* ---- MSRs kept in the VMCB ----------------------------------------------- */

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

static int svm_get_msr(struct vireo_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb_save *save = &vmcb_of(vcpu)->save;

	switch (index) {
	case MSR_EFER: *data = save->efer & ~EFER_SVME; break;
	case MSR_STAR: *data = save->star; break;
	case MSR_LSTAR: *data = save->lstar; break;
	case MSR_CSTAR: *data = save->cstar; break;
	case MSR_SYSCALL_MASK: *data = save->sfmask; break;
	case MSR_KERNEL_GS_BASE: *data = save->kernel_gs_base; break;
	case MSR_FS_BASE: *data = save->fs.base; break;
	case MSR_GS_BASE: *data = save->gs.base; break;
	case MSR_IA32_SYSENTER_CS: *data = save->sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP: *data = save->sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP: *data = save->sysenter_eip; break;
	case MSR_IA32_CR_PAT: *data = save->g_pat; break;
	case MSR_IA32_TSC:
		*data = rdtsc() + vmcb_of(vcpu)->control.tsc_offset;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

static int svm_set_efer(struct vireo_vcpu *vcpu, u64 efer)
{
	struct vmcb_save *save = &vmcb_of(vcpu)->save;
	u64 allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR;

	if (efer & ~allowed)
		return -EINVAL;
	/* LME may not change while paging is on; LMA is the CPU's. */
	if ((save->cr0 & X86_CR0_PG) && ((efer ^ save->efer) & EFER_LME))
		return -EINVAL;
	save->efer = (efer & ~EFER_LMA) | (save->efer & EFER_LMA) | EFER_SVME;
	return 0;
}

static int svm_set_msr(struct vireo_vcpu *vcpu, u32 index, u64 data)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	struct vmcb_save *save = &vmcb->save;

	switch (index) {
	case MSR_EFER: return svm_set_efer(vcpu, data);
	case MSR_STAR: save->star = data; break;
	case MSR_LSTAR: save->lstar = data; break;
	case MSR_CSTAR: save->cstar = data; break;
	case MSR_SYSCALL_MASK: save->sfmask = data; break;
	case MSR_KERNEL_GS_BASE: save->kernel_gs_base = data; break;
	case MSR_FS_BASE: save->fs.base = data; break;
	case MSR_GS_BASE: save->gs.base = data; break;
	case MSR_IA32_SYSENTER_CS: save->sysenter_cs = data; break;
	case MSR_IA32_SYSENTER_ESP: save->sysenter_esp = data; break;
	case MSR_IA32_SYSENTER_EIP: save->sysenter_eip = data; break;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return -EINVAL;
		save->g_pat = data;
		break;
	case MSR_IA32_TSC:
		vmcb->control.tsc_offset = data - rdtsc();
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/* ---- Events ------------------------------------------------------------ */

static bool svm_interrupt_allowed(struct vireo_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);

	return (vcpu->regs.rflags & X86_EFLAGS_IF) &&
	       !(vmcb->control.int_state & INT_STATE_SHADOW) &&
	       !(vmcb->control.event_inject & EVENT_VALID);
}

static bool svm_event_pending(struct vireo_vcpu *vcpu)
{
	return vmcb_of(vcpu)->control.event_inject & EVENT_VALID;
}

static void svm_clear_interrupt_shadow(struct vireo_vcpu *vcpu)
{
	vmcb_of(vcpu)->control.int_state &= ~INT_STATE_SHADOW;
}

static void svm_inject_irq(struct vireo_vcpu *vcpu, u8 vector)
{
	vmcb_of(vcpu)->control.event_inject = vector | EVENT_TYPE_INTR |
					      EVENT_VALID;
}

static void svm_inject_nmi(struct vireo_vcpu *vcpu)
{
	vmcb_of(vcpu)->control.event_inject = X86_TRAP_NMI | EVENT_TYPE_NMI |
					      EVENT_VALID;
}

static void svm_inject_exception(struct vireo_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error, u64 cr2)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	u64 event = vector | EVENT_TYPE_EXCEPTION | EVENT_VALID;

	/* Real mode pushes no error codes. */
	if (has_error && (vmcb->save.cr0 & X86_CR0_PE))
		event |= EVENT_ERROR_VALID | (u64)error << 32;
	if (vector == X86_TRAP_PF)
		vmcb->save.cr2 = cr2;
	vmcb->control.event_inject = event;
}

/*
 * A virtual interrupt of the lowest priority, never delivered: its only
 * purpose is the VINTR exit when the guest can take interrupts again.
 */
static void svm_request_irq_window(struct vireo_vcpu *vcpu, bool on)
{
	struct vmcb_control *c = &vmcb_of(vcpu)->control;

	if (on) {
		c->int_ctl |= V_IRQ | V_IGN_TPR | 0xf << V_INTR_PRIO_SHIFT;
		c->intercept_misc1 |= INTERCEPT_VINTR;
	} else {
		c->int_ctl &= ~(V_IRQ | V_IGN_TPR | 0xf << V_INTR_PRIO_SHIFT);
		c->intercept_misc1 &= ~INTERCEPT_VINTR;
	}
}

/* ---- vCPU setup ------------------------------------------------------- */

static void set_segment(struct vmcb_segment *seg, u16 selector, u64 base,
			u16 attrib)
{
	*seg = (struct vmcb_segment){
		.selector = selector, .attrib = attrib, .limit = 0xffff,
		.base = base,
	};
}

static void init_vmcb_control(struct vireo_vcpu *vcpu)
{
	struct vmcb_control *c = &vmcb_of(vcpu)->control;

	memset(c, 0, sizeof(*c));
	/* All debug-register accesses until the guest first uses one. */
	c->intercept_dr = 0xffffffff;
	/* #DB and #AC could otherwise loop in the CPU, host blocked. */
	c->intercept_exceptions = 1U << X86_TRAP_DB | 1U << X86_TRAP_AC;
	c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI |
			     INTERCEPT_INIT | INTERCEPT_CPUID | INTERCEPT_RSM |
			     INTERCEPT_INVD | INTERCEPT_HLT |
			     INTERCEPT_INVLPGA | INTERCEPT_IOIO |
			     INTERCEPT_MSR | INTERCEPT_FERR_FREEZE |
			     INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL |
			     INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
			     INTERCEPT_STGI | INTERCEPT_CLGI |
			     INTERCEPT_SKINIT | INTERCEPT_WBINVD |
			     INTERCEPT_MONITOR | INTERCEPT_MWAIT |
			     INTERCEPT_MWAIT_ARMED | INTERCEPT_XSETBV |
			     INTERCEPT_RDPRU;
	c->iopm_base_pa = __pa(iopm);
	c->msrpm_base_pa = __pa(msrpm);
	c->tsc_offset = -rdtsc();	/* the guest's TSC starts at zero */
	c->int_ctl = V_INTR_MASKING;
	c->nested_ctl = NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = vcpu->vm->mmu.root_pa;
}

/* The architectural state after RESET. */
static void init_vmcb_save(struct vireo_vcpu *vcpu)
{
	struct vmcb_save *s = &vmcb_of(vcpu)->save;

	memset(s, 0, sizeof(*s));
	set_segment(&s->cs, 0xf000, 0xffff0000, 0x9b);
	set_segment(&s->ds, 0, 0, 0x93);
	set_segment(&s->es, 0, 0, 0x93);
	set_segment(&s->ss, 0, 0, 0x93);
	set_segment(&s->fs, 0, 0, 0x93);
	set_segment(&s->gs, 0, 0, 0x93);
	set_segment(&s->ldtr, 0, 0, 0x82);
	set_segment(&s->tr, 0, 0, 0x8b);
	s->gdtr.limit = 0xffff;
	s->idtr.limit = 0xffff;
	s->efer = EFER_SVME;
	s->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->g_pat = PAT_POWER_ON;
}

static void svm_vcpu_reset(struct vireo_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	init_vmcb_control(vcpu);
	init_vmcb_save(vcpu);
	svm->asid_cpu = -1;
	svm->guest_owns_dr = false;
	memset(svm->guest_dr, 0, sizeof(svm->guest_dr));
}

static int svm_vcpu_create(struct vireo_vcpu *vcpu)
{
	struct svm_vcpu *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);

	if (!svm)
		return -ENOMEM;
	svm->vmcb = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!svm->vmcb) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb_pa = __pa(svm->vmcb);
	svm->asid_cpu = -1;
	vcpu->vendor = svm;
	return 0;
}

static void svm_vcpu_free(struct vireo_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->vendor = NULL;
}

/* ---- Entering the guest --------------------------------------------------- */

/*
 * ASIDs are handed out per CPU.  When they run out the CPU's TLB is
 * flushed whole and a new generation starts; a vCPU whose ASID is from
 * another CPU or an old generation takes a fresh one.  A fresh ASID has no
 * TLB entries, which is also how a vCPU flushes its own.
 */
static void svm_new_asid(struct svm_vcpu *svm, struct svm_cpu *sd, int cpu)
{
	if (sd->next_asid >= max_asid) {
		sd->asid_generation++;
		sd->next_asid = 1;
		svm->vmcb->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	}
	svm->asid = sd->next_asid++;
	svm->asid_generation = sd->asid_generation;
	svm->asid_cpu = cpu;
	svm->vmcb->control.asid = svm->asid;
}

static void switch_debug_to_guest(struct svm_vcpu *svm, struct svm_cpu *sd)
{
	get_debugreg(sd->host_dr[0], 0);
	get_debugreg(sd->host_dr[1], 1);
	get_debugreg(sd->host_dr[2], 2);
	get_debugreg(sd->host_dr[3], 3);
	set_debugreg(svm->guest_dr[0], 0);
	set_debugreg(svm->guest_dr[1], 1);
	set_debugreg(svm->guest_dr[2], 2);
	set_debugreg(svm->guest_dr[3], 3);
}

static void switch_debug_to_host(struct svm_vcpu *svm, struct svm_cpu *sd)
{
	get_debugreg(svm->guest_dr[0], 0);
	get_debugreg(svm->guest_dr[1], 1);
	get_debugreg(svm->guest_dr[2], 2);
	get_debugreg(svm->guest_dr[3], 3);
	set_debugreg(sd->host_dr[0], 0);
	set_debugreg(sd->host_dr[1], 1);
	set_debugreg(sd->host_dr[2], 2);
	set_debugreg(sd->host_dr[3], 3);
}

static void svm_enter(struct vireo_vcpu *vcpu, bool flush_tlb)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu_data);
	struct vmcb *vmcb = svm->vmcb;
	int cpu = smp_processor_id();

	vmcb->save.rax = vcpu->regs.gpr[VIREO_RAX];
	vmcb->save.rsp = vcpu->regs.gpr[VIREO_RSP];
	vmcb->save.rip = vcpu->regs.rip;
	vmcb->save.rflags = vcpu->regs.rflags;
	if (flush_tlb || svm->asid_cpu != cpu ||
	    svm->asid_generation != sd->asid_generation)
		svm_new_asid(svm, sd, cpu);
	if (svm->guest_owns_dr) {
		/*
		 * The host's breakpoints are disarmed while DR0-3 hold the
		 * guest's addresses; the exit leaves DR7 at 0x400, and
		 * hw_breakpoint_restore() arms them again.
		 */
		if (hw_breakpoint_active())
			set_debugreg(0, 7);
		switch_debug_to_guest(svm, sd);
	}

	if (READ_ONCE(dump_shutdown)) {
		svm->entry_rip = vmcb->save.rip;
		svm->entry_event = vmcb->control.event_inject;
	}

	asm volatile("clgi" ::: "memory");
	vireo_svm_vmrun(svm->vmcb_pa, __pa(sd->host_save), vcpu->regs.gpr);
	asm volatile("stgi" ::: "memory");

	if (svm->guest_owns_dr)
		switch_debug_to_host(svm, sd);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	vmcb->control.tlb_control = 0;
	vcpu->regs.gpr[VIREO_RAX] = vmcb->save.rax;
	vcpu->regs.gpr[VIREO_RSP] = vmcb->save.rsp;
	vcpu->regs.rip = vmcb->save.rip;
	vcpu->regs.rflags = vmcb->save.rflags;
}

/* ---- Exit handlers: one per exit code --------------------------------- */

static int svm_exit_nothing(struct vireo_vcpu *vcpu)
{
	return 1;	/* the host already took the interrupt or NMI */
}

static int svm_exit_intr(struct vireo_vcpu *vcpu)
{
	vireo_stat(vcpu, VIREO_STAT_INTR);
	return 1;
}

static int svm_exit_vintr(struct vireo_vcpu *vcpu)
{
	vireo_stat(vcpu, VIREO_STAT_IRQ_WINDOW);
	svm_request_irq_window(vcpu, false);
	return 1;
}

static int svm_exit_cpuid(struct vireo_vcpu *vcpu)
{
	return vireo_handle_cpuid(vcpu);
}

static int svm_exit_hlt(struct vireo_vcpu *vcpu)
{
	return vireo_handle_hlt(vcpu);
}

static int svm_exit_vmmcall(struct vireo_vcpu *vcpu)
{
	return vireo_handle_hypercall(vcpu);
}

static int svm_exit_skip(struct vireo_vcpu *vcpu)
{
	vireo_skip_insn(vcpu);	/* INVD and WBINVD: nothing to do */
	return 1;
}

/* SVM instructions and MONITOR/MWAIT are not offered to guests. */
static int svm_exit_undefined(struct vireo_vcpu *vcpu)
{
	svm_inject_exception(vcpu, X86_TRAP_UD, false, 0, 0);
	return 1;
}

static u8 default_addr_size(struct vireo_vcpu *vcpu)
{
	switch (svm_cpu_mode(vcpu)) {
	case VIREO_MODE_LONG64: return 8;
	case VIREO_MODE_PROT32: return 4;
	default: return 2;
	}
}

static int svm_exit_ioio(struct vireo_vcpu *vcpu)
{
	struct vmcb_control *c = &vmcb_of(vcpu)->control;
	u32 info = c->exit_info_1;
	struct vireo_io_exit io = {
		.port = info >> IOIO_PORT_SHIFT,
		.size = (info >> IOIO_SIZE_SHIFT) & 7,
		.in = info & IOIO_IN,
		.string = info & IOIO_STRING,
		.rep = info & IOIO_REP,
		.seg = VIREO_SEG_DS,
		.next_rip = c->exit_info_2,
	};

	/*
	 * Size bits are one-hot 1/2/4 bytes, address bits 16/32/64; QEMU's
	 * emulation leaves the address bits clear, so fall back to the
	 * code segment's default then.
	 */
	switch ((info >> IOIO_ADDR_SHIFT) & 7) {
	case 1: io.addr_size = 2; break;
	case 2: io.addr_size = 4; break;
	case 4: io.addr_size = 8; break;
	default: io.addr_size = default_addr_size(vcpu); break;
	}
	if (has_decode_assists)
		io.seg = (info >> IOIO_SEG_SHIFT) & 7;
	return vireo_handle_io(vcpu, &io);
}

static int svm_exit_msr(struct vireo_vcpu *vcpu)
{
	struct vmcb_control *c = &vmcb_of(vcpu)->control;
	u64 *g = vcpu->regs.gpr;
	u32 index = g[VIREO_RCX];

	if (c->exit_info_1)
		return vireo_handle_wrmsr(vcpu, index,
					  (u32)g[VIREO_RAX] |
					  (g[VIREO_RDX] << 32));
	return vireo_handle_rdmsr(vcpu, index);
}

static int svm_exit_xsetbv(struct vireo_vcpu *vcpu)
{
	u64 *g = vcpu->regs.gpr;

	return vireo_handle_xsetbv(vcpu, g[VIREO_RCX],
				   (u32)g[VIREO_RAX] | (g[VIREO_RDX] << 32));
}

static void svm_record_exit(struct svm_vcpu *svm, u64 code)
{
	struct svm_exit_record *r;

	r = &svm->history[svm->history_next++ % SVM_EXIT_HISTORY];
	*r = (struct svm_exit_record){
		.code = code,
		.rip = svm->entry_rip,
		.injected = svm->entry_event,
		.exit_int_info = svm->vmcb->control.exit_int_info,
	};
}

static void dump_segment(u32 id, const char *name,
			 const struct vmcb_segment *s)
{
	pr_info("vireo: vCPU %u %-4s sel %#06x attrib %#05x limit %#010x base %#018llx\n",
		id, name, s->selector, s->attrib, s->limit, s->base);
}

static void svm_dump_shutdown(struct vireo_vcpu *vcpu)
{
	static DEFINE_RATELIMIT_STATE(rs, 10 * HZ, 1);
	struct svm_vcpu *svm = to_svm(vcpu);
	const struct vmcb *v = svm->vmcb;
	const u64 *g = vcpu->regs.gpr;
	unsigned int i;

	if (!__ratelimit(&rs))
		return;
	pr_info("vireo: vCPU %u triple fault: rip %#llx rsp %#llx rflags %#llx cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx\n",
		vcpu->id, v->save.rip, v->save.rsp, v->save.rflags,
		v->save.cr0, v->save.cr2, v->save.cr3, v->save.cr4,
		v->save.efer);
	pr_info("vireo: vCPU %u rax %#llx rbx %#llx rcx %#llx rdx %#llx rsi %#llx rdi %#llx rbp %#llx\n",
		vcpu->id, v->save.rax, g[VIREO_RBX], g[VIREO_RCX],
		g[VIREO_RDX], g[VIREO_RSI], g[VIREO_RDI], g[VIREO_RBP]);
	pr_info("vireo: vCPU %u exit_int_info %#llx int_state %#llx int_ctl %#x dr7 %#llx\n",
		vcpu->id, v->control.exit_int_info, v->control.int_state,
		v->control.int_ctl, v->save.dr7);
	dump_segment(vcpu->id, "cs", &v->save.cs);
	dump_segment(vcpu->id, "ss", &v->save.ss);
	dump_segment(vcpu->id, "gs", &v->save.gs);
	dump_segment(vcpu->id, "tr", &v->save.tr);
	dump_segment(vcpu->id, "gdtr", &v->save.gdtr);
	dump_segment(vcpu->id, "idtr", &v->save.idtr);
	for (i = 0; i < SVM_EXIT_HISTORY; i++) {
		const struct svm_exit_record *r =
			&svm->history[(svm->history_next + i) % SVM_EXIT_HISTORY];

		if (!r->code && !r->rip)
			continue;
		pr_info("vireo: vCPU %u exit -%u: code %#llx entered at %#llx injecting %#llx, exit_int_info %#llx\n",
			vcpu->id, SVM_EXIT_HISTORY - i, r->code, r->rip,
			r->injected, r->exit_int_info);
	}
}

/* The VMCB is undefined after a shutdown: start it afresh. */
static int svm_exit_shutdown(struct vireo_vcpu *vcpu)
{
	if (READ_ONCE(dump_shutdown))
		svm_dump_shutdown(vcpu);
	svm_vcpu_reset(vcpu);
	return vireo_handle_shutdown(vcpu);
}

/* First debug-register access: from now on DR0-3 follow the guest. */
static int svm_exit_dr_access(struct vireo_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->guest_owns_dr = true;
	svm->vmcb->control.intercept_dr = 0;
	return 1;	/* run the instruction again, now unintercepted */
}

/* #DB and #AC are intercepted only so that they go through us. */
static int svm_exit_reflect_exception(struct vireo_vcpu *vcpu)
{
	struct vmcb_control *c = &vmcb_of(vcpu)->control;
	u8 vector = c->exit_code - SVM_EXIT_EXCEPTION0;

	svm_inject_exception(vcpu, vector, vector == X86_TRAP_AC,
			     c->exit_info_1, 0);
	return 1;
}

static int svm_exit_npf(struct vireo_vcpu *vcpu)
{
	struct vmcb_control *c = &vmcb_of(vcpu)->control;

	if (c->exit_info_1 & NPF_RESERVED)
		return vireo_handle_unknown_exit(vcpu, c->exit_code);
	return vireo_handle_page_fault(vcpu, c->exit_info_2,
				       c->exit_info_1 & NPF_WRITE,
				       c->exit_info_1 & NPF_FETCH);
}

typedef int (*svm_exit_handler)(struct vireo_vcpu *vcpu);

static const svm_exit_handler svm_exit_handlers[SVM_EXIT_MAX_TABLE] = {
	[SVM_EXIT_DR_READ0 ... SVM_EXIT_DR_WRITE15] = svm_exit_dr_access,
	[SVM_EXIT_EXCEPTION0 + X86_TRAP_DB] = svm_exit_reflect_exception,
	[SVM_EXIT_EXCEPTION0 + X86_TRAP_AC] = svm_exit_reflect_exception,
	[SVM_EXIT_INTR] = svm_exit_intr,
	[SVM_EXIT_NMI] = svm_exit_nothing,
	[SVM_EXIT_SMI] = svm_exit_nothing,
	[SVM_EXIT_INIT] = svm_exit_nothing,
	[SVM_EXIT_VINTR] = svm_exit_vintr,
	[SVM_EXIT_CPUID] = svm_exit_cpuid,
	[SVM_EXIT_RSM] = svm_exit_undefined,
	[SVM_EXIT_INVD] = svm_exit_skip,
	[SVM_EXIT_HLT] = svm_exit_hlt,
	[SVM_EXIT_INVLPGA] = svm_exit_undefined,
	[SVM_EXIT_IOIO] = svm_exit_ioio,
	[SVM_EXIT_MSR] = svm_exit_msr,
	[SVM_EXIT_FERR_FREEZE] = svm_exit_nothing,
	[SVM_EXIT_SHUTDOWN] = svm_exit_shutdown,
	[SVM_EXIT_VMRUN] = svm_exit_undefined,
	[SVM_EXIT_VMMCALL] = svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD] = svm_exit_undefined,
	[SVM_EXIT_VMSAVE] = svm_exit_undefined,
	[SVM_EXIT_STGI] = svm_exit_undefined,
	[SVM_EXIT_CLGI] = svm_exit_undefined,
	[SVM_EXIT_SKINIT] = svm_exit_undefined,
	[SVM_EXIT_WBINVD] = svm_exit_skip,
	[SVM_EXIT_MONITOR] = svm_exit_undefined,
	[SVM_EXIT_MWAIT] = svm_exit_undefined,
	[SVM_EXIT_MWAIT_ARMED] = svm_exit_undefined,
	[SVM_EXIT_XSETBV] = svm_exit_xsetbv,
	[SVM_EXIT_RDPRU] = svm_exit_undefined,
};

/*
 * An event the exit interrupted on its way into the guest (an interrupt
 * whose IDT entry faulted on a nested page, say) is delivered again.
 * Software interrupts and INT3/INTO are not: the guest's RIP still points
 * at the instruction, which simply runs again.
 */
static void svm_requeue_interrupted_event(struct vmcb_control *c)
{
	u64 info = c->exit_int_info;
	u64 type = info & EVENT_TYPE_MASK;
	u8 vector = info & EVENT_VECTOR_MASK;

	c->event_inject = 0;
	if (!(info & EVENT_VALID) || type == EVENT_TYPE_SOFT_INT)
		return;
	if (type == EVENT_TYPE_EXCEPTION &&
	    (vector == X86_TRAP_BP || vector == X86_TRAP_OF))
		return;
	c->event_inject = info;
}

/* VMRUN refused the guest state: name the part that breaks its checks. */
static int svm_entry_failed(struct vireo_vcpu *vcpu, u64 code)
{
	struct vireo_entry_state st = { .rflags = vcpu->regs.rflags };
	struct vireo_sregs s;

	svm_get_sregs(vcpu, &s);
	st.sregs = &s;
	return vireo_handle_fail_entry(vcpu, code, vireo_entry_state_check(&st));
}

static int svm_handle_exit(struct vireo_vcpu *vcpu)
{
	struct vmcb_control *c = &vmcb_of(vcpu)->control;
	u64 code = c->exit_code;

	/*
	 * VMEXIT_INVALID is -1 in all 64 bits; QEMU's emulation writes only
	 * the low 32.
	 */
	if ((u32)code == (u32)SVM_EXIT_INVALID)
		return svm_entry_failed(vcpu, code);
	if (READ_ONCE(dump_shutdown))
		svm_record_exit(to_svm(vcpu), code);
	svm_requeue_interrupted_event(c);
	if (has_nrips)
		vcpu->next_rip = c->next_rip;
	else if (code < ARRAY_SIZE(svm_insn_len))
		vcpu->next_rip = vcpu->regs.rip + svm_insn_len[code];
	if (code == SVM_EXIT_NPF)
		return svm_exit_npf(vcpu);
	if (code < SVM_EXIT_MAX_TABLE && svm_exit_handlers[code])
		return svm_exit_handlers[code](vcpu);
	return vireo_handle_unknown_exit(vcpu, code);
}

/* Nested tables have as many levels as the host's own (5 with LA57). */
static int svm_nested_pt_levels(void)
{
	return native_read_cr4() & X86_CR4_LA57 ? 5 : 4;
}

static void svm_unload(void)
{
	svm_free_cpu_pages();
}

const struct vireo_vendor_ops vireo_svm_ops = {
	.name = "AMD-V (SVM) with nested paging",
	.probe = svm_probe,
	.unload = svm_unload,
	.pte_format = &vireo_npt_format,
	.nested_pt_levels = svm_nested_pt_levels,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_reset = svm_vcpu_reset,
	.enter = svm_enter,
	.handle_exit = svm_handle_exit,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.cpu_mode = svm_cpu_mode,
	.segment_base = svm_segment_base,
	.paging_state = svm_paging_state,
	.get_cr4 = svm_get_cr4,
	.get_cpl = svm_get_cpl,
	.interrupt_allowed = svm_interrupt_allowed,
	.event_pending = svm_event_pending,
	.inject_irq = svm_inject_irq,
	.inject_nmi = svm_inject_nmi,
	.inject_exception = svm_inject_exception,
	.request_irq_window = svm_request_irq_window,
	.clear_interrupt_shadow = svm_clear_interrupt_shadow,
};
