// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vCPU object: its file descriptor, its shared run page, the register
 * ioctls and the run loop.  The loop enters the guest through the vendor
 * ops and goes back to userspace when an exit needs it, a signal is
 * pending, or userspace asked for an immediate exit.
 */
#include <linux/anon_inodes.h>
#include <linux/context_tracking.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vtime.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>

#include "vireo.h"
#include "vendor.h"

/* EFER bits a guest may have. */
#define EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR)

void vireo_set_internal_error(struct vireo_vcpu *vcpu, u32 suberror,
			      u64 data0, u64 data1)
{
	struct vireo_run *run = vcpu->run;

	run->exit_reason = VIREO_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 2;
	run->internal.data[0] = data0;
	run->internal.data[1] = data1;
}

/* ---- Remote flushes ---------------------------------------------------- */

static void vireo_kick_nothing(void *unused)
{
}

/*
 * Called after nested entries were removed and tlb_generation bumped:
 * every vCPU in guest mode is forced out with an IPI (waiting for it), and
 * flushes before it enters again because its generation is stale.
 */
void vireo_kick_vcpus_for_flush(struct vireo_vm *vm)
{
	cpumask_var_t cpus;
	int i;

	if (!zalloc_cpumask_var(&cpus, GFP_ATOMIC)) {
		/* No memory for a mask: interrupt every CPU instead. */
		on_each_cpu(vireo_kick_nothing, NULL, 1);
		return;
	}
	smp_mb();	/* the generation bump before reading modes */
	for (i = 0; i < VIREO_MAX_VCPUS; i++) {
		struct vireo_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);

		if (vcpu && READ_ONCE(vcpu->mode) == VIREO_IN_GUEST)
			cpumask_set_cpu(READ_ONCE(vcpu->cpu), cpus);
	}
	on_each_cpu_mask(cpus, vireo_kick_nothing, NULL, 1);
	free_cpumask_var(cpus);
}

/* ---- Event injection ---------------------------------------------------- */

/*
 * Completes the instruction that exited.  If it sat in the shadow of an
 * STI or MOV SS (STI; HLT), that shadow ends with it.
 */
void vireo_skip_insn(struct vireo_vcpu *vcpu)
{
	vcpu->regs.rip = vcpu->next_rip;
	vireo_vendor->clear_interrupt_shadow(vcpu);
}

/*
 * An event the last exit interrupted was put back for the next entry and
 * goes first: an NMI waits behind it (for the window, as an interrupt
 * does) instead of replacing it.
 */
static void inject_pending_events(struct vireo_vcpu *vcpu)
{
	bool allowed;

	if (vcpu->nmi_pending && !vireo_vendor->event_pending(vcpu)) {
		vireo_vendor->inject_nmi(vcpu);
		vcpu->nmi_pending = false;
		return;
	}
	allowed = vireo_vendor->interrupt_allowed(vcpu);
	if (vcpu->pending_irq >= 0 && allowed) {
		vireo_vendor->inject_irq(vcpu, vcpu->pending_irq);
		vcpu->pending_irq = -1;
		allowed = false;
	}
	vireo_vendor->request_irq_window(vcpu,
		!allowed && (vcpu->pending_irq >= 0 || vcpu->nmi_pending ||
			     vcpu->run->request_interrupt_window));
}

static bool ready_for_interrupt(struct vireo_vcpu *vcpu)
{
	return vcpu->pending_irq < 0 && vireo_vendor->interrupt_allowed(vcpu);
}

/* ---- The run loop --------------------------------------------------- */

/* One entry with the host quiesced; false when it should not happen. */
static bool enter_guest_once(struct vireo_vcpu *vcpu)
{
	struct vireo_vm *vm = vcpu->vm;
	long gen;

	preempt_disable();
	if (vireo_vendor->vcpu_load)
		vireo_vendor->vcpu_load(vcpu);
	local_irq_disable();
	WRITE_ONCE(vcpu->cpu, smp_processor_id());
	WRITE_ONCE(vcpu->mode, VIREO_IN_GUEST);
	smp_mb();	/* mode before generation; pairs with the kicker */
	if (signal_pending(current) || need_resched()) {
		WRITE_ONCE(vcpu->mode, VIREO_OUTSIDE_GUEST);
		local_irq_enable();
		preempt_enable();
		return false;
	}
	/*
	 * The guest's FPU state was put in the registers when RUN began;
	 * if this thread was switched out since, the kernel saved it and
	 * left the registers to be reloaded on the way to userspace.  Our
	 * way is into the guest: reload them now.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	gen = atomic_long_read(&vm->mmu.tlb_generation);

	vireo_msrs_enter_guest(vcpu);
	/* Ticks from here on are the guest's time, not the system's. */
	vtime_account_guest_enter();
	/*
	 * To RCU, guest mode is like user mode: a quiescent state.  Without
	 * saying so, a vCPU that only exits on timer ticks (a guest
	 * spinning) would stall RCU: every tick lands with preemption off.
	 */
	if (!context_tracking_guest_enter())
		rcu_virt_note_context_switch(smp_processor_id());
	vireo_vendor->enter(vcpu, gen != vcpu->tlb_generation);
	context_tracking_guest_exit();
	vcpu->tlb_generation = gen;
	vireo_msrs_exit_guest(vcpu);
	if (vireo_vendor->exit_irqoff)
		vireo_vendor->exit_irqoff(vcpu);

	WRITE_ONCE(vcpu->mode, VIREO_OUTSIDE_GUEST);
	/*
	 * The host takes the interrupt that exited, a tick counted as guest
	 * time, and only then leaves guest accounting.
	 */
	local_irq_enable();
	local_irq_disable();
	vtime_account_guest_exit();
	local_irq_enable();
	preempt_enable();
	return true;
}

static int vcpu_run_loop(struct vireo_vcpu *vcpu)
{
	struct vireo_run *run = vcpu->run;
	int ret, idx;

	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = VIREO_EXIT_INTR;
			return -EINTR;
		}
		cond_resched();
		inject_pending_events(vcpu);
		if (!enter_guest_once(vcpu))
			continue;
		vireo_stat(vcpu, VIREO_STAT_EXITS);
		/* Slots are looked at only here, never while in the guest. */
		idx = srcu_read_lock(&vcpu->vm->srcu);
		ret = vireo_vendor->handle_exit(vcpu);
		srcu_read_unlock(&vcpu->vm->srcu, idx);
		if (ret <= 0)
			return ret;
		if (run->request_interrupt_window && ready_for_interrupt(vcpu)) {
			run->exit_reason = VIREO_EXIT_IRQ_WINDOW_OPEN;
			return 0;
		}
	}
}

static int vireo_vcpu_run(struct vireo_vcpu *vcpu)
{
	struct vireo_run *run = vcpu->run;
	int ret = 1, idx;

	idx = srcu_read_lock(&vcpu->vm->srcu);
	/* Finish what userspace answered, even before an immediate exit. */
	if (vcpu->mmio.pending)
		ret = vireo_mmio_complete(vcpu);
	else if (vcpu->pio.pending)
		ret = vireo_pio_complete(vcpu);
	srcu_read_unlock(&vcpu->vm->srcu, idx);
	if (ret > 0 && run->immediate_exit) {
		run->exit_reason = VIREO_EXIT_INTR;
		ret = -EINTR;
	}
	if (ret > 0) {
		fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
		ret = vcpu_run_loop(vcpu);
		fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	}

	run->if_flag = !!(vcpu->regs.rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = ready_for_interrupt(vcpu);
	run->apic_base = vcpu->msrs.apic_base;
	return ret < 0 ? ret : 0;
}

/* ---- Register ioctls ------------------------------------------------- */

static void get_regs(struct vireo_vcpu *vcpu, struct vireo_regs *r)
{
	const u64 *g = vcpu->regs.gpr;

	*r = (struct vireo_regs){
		.rax = g[VIREO_RAX], .rbx = g[VIREO_RBX],
		.rcx = g[VIREO_RCX], .rdx = g[VIREO_RDX],
		.rsi = g[VIREO_RSI], .rdi = g[VIREO_RDI],
		.rsp = g[VIREO_RSP], .rbp = g[VIREO_RBP],
		.r8 = g[VIREO_R8], .r9 = g[VIREO_R9],
		.r10 = g[VIREO_R10], .r11 = g[VIREO_R11],
		.r12 = g[VIREO_R12], .r13 = g[VIREO_R13],
		.r14 = g[VIREO_R14], .r15 = g[VIREO_R15],
		.rip = vcpu->regs.rip, .rflags = vcpu->regs.rflags,
	};
}

static void set_regs(struct vireo_vcpu *vcpu, const struct vireo_regs *r)
{
	u64 *g = vcpu->regs.gpr;

	g[VIREO_RAX] = r->rax; g[VIREO_RBX] = r->rbx;
	g[VIREO_RCX] = r->rcx; g[VIREO_RDX] = r->rdx;
	g[VIREO_RSI] = r->rsi; g[VIREO_RDI] = r->rdi;
	g[VIREO_RSP] = r->rsp; g[VIREO_RBP] = r->rbp;
	g[VIREO_R8] = r->r8; g[VIREO_R9] = r->r9;
	g[VIREO_R10] = r->r10; g[VIREO_R11] = r->r11;
	g[VIREO_R12] = r->r12; g[VIREO_R13] = r->r13;
	g[VIREO_R14] = r->r14; g[VIREO_R15] = r->r15;
	vcpu->regs.rip = r->rip;
	/* Bit 1 always reads as one; the reserved upper bits are zero. */
	vcpu->regs.rflags = (r->rflags & 0x3f7fd5) | X86_EFLAGS_FIXED;
}

/* The checks the hardware would otherwise fail the entry on. */
static int check_sregs(const struct vireo_sregs *s)
{
	u64 cr4_allowed = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD |
			  X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |
			  X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE |
			  X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
			  X86_CR4_FSGSBASE | X86_CR4_PCIDE |
			  X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP |
			  X86_CR4_UMIP;

	if (s->cr0 >> 32 || s->cr4 & ~cr4_allowed)
		return -EINVAL;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return -EINVAL;
	if (s->efer & ~(u64)EFER_ALLOWED)
		return -EINVAL;
	/* EFER.LMA is the hardware's "long mode active": LME plus paging. */
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return -EINVAL;
	} else if (s->efer & EFER_LMA) {
		return -EINVAL;
	}
	if ((s->cr4 & X86_CR4_PCIDE) && !(s->efer & EFER_LMA))
		return -EINVAL;
	if (s->cr3 >> boot_cpu_data.x86_phys_bits)
		return -EINVAL;
	if ((s->cr4 & X86_CR4_OSXSAVE) && !boot_cpu_has(X86_FEATURE_XSAVE))
		return -EINVAL;
	return 0;
}

static int set_sregs(struct vireo_vcpu *vcpu, const struct vireo_sregs *s)
{
	int ret = check_sregs(s), i;

	if (ret)
		return ret;
	vireo_vendor->set_sregs(vcpu, s);
	vcpu->msrs.apic_base = s->apic_base;
	vcpu->pending_irq = -1;
	for (i = 0; i < VIREO_NR_INTERRUPTS; i++) {
		if (s->interrupt_bitmap[i / 64] & (1ULL << (i % 64))) {
			vcpu->pending_irq = i;
			break;
		}
	}
	return 0;
}

static void get_sregs(struct vireo_vcpu *vcpu, struct vireo_sregs *s)
{
	memset(s, 0, sizeof(*s));
	vireo_vendor->get_sregs(vcpu, s);
	s->apic_base = vcpu->msrs.apic_base;
	if (vcpu->pending_irq >= 0)
		s->interrupt_bitmap[vcpu->pending_irq / 64] |=
			1ULL << (vcpu->pending_irq % 64);
}

/* The guest's XSAVE image in the standard format, as far as it may go. */
static void get_xsave(struct vireo_vcpu *vcpu, struct vireo_xsave *xs)
{
	fpu_copy_guest_fpstate_to_uabi(&vcpu->guest_fpu, xs, sizeof(*xs),
				       vireo_guest_supported_xcr0(vcpu) |
				       XFEATURE_MASK_FPSSE, 0);
}

/* FXSAVE-format legacy area at the start of the XSAVE image. */
static void get_fpu(struct vireo_vcpu *vcpu, struct vireo_fpu *fpu,
		    struct vireo_xsave *xs)
{
	const u8 *fx = (const u8 *)xs->region;

	get_xsave(vcpu, xs);
	memset(fpu, 0, sizeof(*fpu));
	memcpy(&fpu->fcw, fx + 0, 2);
	memcpy(&fpu->fsw, fx + 2, 2);
	fpu->ftwx = fx[4];
	memcpy(&fpu->last_opcode, fx + 6, 2);
	memcpy(&fpu->last_ip, fx + 8, 8);
	memcpy(&fpu->last_dp, fx + 16, 8);
	memcpy(&fpu->mxcsr, fx + 24, 4);
	memcpy(fpu->fpr, fx + 32, sizeof(fpu->fpr));
	memcpy(fpu->xmm, fx + 160, sizeof(fpu->xmm));
}

static int set_fpu(struct vireo_vcpu *vcpu, const struct vireo_fpu *fpu,
		   struct vireo_xsave *xs)
{
	u8 *fx = (u8 *)xs->region;
	u32 pkru = 0;

	get_xsave(vcpu, xs);
	memcpy(fx + 0, &fpu->fcw, 2);
	memcpy(fx + 2, &fpu->fsw, 2);
	fx[4] = fpu->ftwx;
	memcpy(fx + 6, &fpu->last_opcode, 2);
	memcpy(fx + 8, &fpu->last_ip, 8);
	memcpy(fx + 16, &fpu->last_dp, 8);
	memcpy(fx + 24, &fpu->mxcsr, 4);
	memcpy(fx + 32, fpu->fpr, sizeof(fpu->fpr));
	memcpy(fx + 160, fpu->xmm, sizeof(fpu->xmm));
	/* x87 and SSE are now in use in the image's header. */
	fx[512] |= 3;
	return fpu_copy_uabi_to_guest_fpstate(&vcpu->guest_fpu, xs,
					      vireo_guest_supported_xcr0(vcpu) |
					      XFEATURE_MASK_FPSSE, &pkru);
}

static int get_xcrs(struct vireo_vcpu *vcpu, struct vireo_xcrs __user *arg)
{
	struct vireo_xcrs xcrs = {
		.nr_xcrs = 1,
		.xcrs[0] = { .xcr = 0, .value = vcpu->xcr0 },
	};

	return copy_to_user(arg, &xcrs, sizeof(xcrs)) ? -EFAULT : 0;
}

static int set_xcrs(struct vireo_vcpu *vcpu, struct vireo_xcrs __user *arg)
{
	struct vireo_xcrs xcrs;
	u32 i;

	if (copy_from_user(&xcrs, arg, sizeof(xcrs)))
		return -EFAULT;
	if (xcrs.nr_xcrs > VIREO_MAX_XCRS || xcrs.flags)
		return -EINVAL;
	/* As KVM: the first entry for XCR0 counts, other XCRs are ignored. */
	for (i = 0; i < xcrs.nr_xcrs; i++) {
		if (xcrs.xcrs[i].xcr != 0)
			continue;
		if (!vireo_xcr0_valid(vcpu, xcrs.xcrs[i].value))
			return -EINVAL;
		vcpu->xcr0 = xcrs.xcrs[i].value;
		break;
	}
	return 0;
}

/* ---- ioctl dispatch ------------------------------------------------ */

/* State ioctls whose argument is a fixed-size struct copied in or out. */
static long vcpu_state_ioctl(struct vireo_vcpu *vcpu, unsigned int cmd,
			     void __user *argp)
{
	union {
		struct vireo_regs regs;
		struct vireo_sregs sregs;
		struct vireo_interrupt irq;
	} u;
	struct {
		struct vireo_fpu fpu;
		struct vireo_xsave xsave;
	} *fp;
	long ret = 0;

	switch (cmd) {
	case VIREO_GET_REGS:
		get_regs(vcpu, &u.regs);
		return copy_to_user(argp, &u.regs, sizeof(u.regs)) ? -EFAULT : 0;
	case VIREO_SET_REGS:
		if (copy_from_user(&u.regs, argp, sizeof(u.regs)))
			return -EFAULT;
		set_regs(vcpu, &u.regs);
		return 0;
	case VIREO_GET_SREGS:
		get_sregs(vcpu, &u.sregs);
		return copy_to_user(argp, &u.sregs, sizeof(u.sregs)) ?
			-EFAULT : 0;
	case VIREO_SET_SREGS:
		if (copy_from_user(&u.sregs, argp, sizeof(u.sregs)))
			return -EFAULT;
		return set_sregs(vcpu, &u.sregs);
	case VIREO_INTERRUPT:
		if (copy_from_user(&u.irq, argp, sizeof(u.irq)))
			return -EFAULT;
		if (u.irq.irq >= VIREO_NR_INTERRUPTS)
			return -EINVAL;
		vcpu->pending_irq = u.irq.irq;
		return 0;
	}

	fp = kzalloc(sizeof(*fp), GFP_KERNEL);
	if (!fp)
		return -ENOMEM;
	switch (cmd) {
	case VIREO_GET_FPU:
		get_fpu(vcpu, &fp->fpu, &fp->xsave);
		if (copy_to_user(argp, &fp->fpu, sizeof(fp->fpu)))
			ret = -EFAULT;
		break;
	case VIREO_SET_FPU:
		if (copy_from_user(&fp->fpu, argp, sizeof(fp->fpu)))
			ret = -EFAULT;
		else
			ret = set_fpu(vcpu, &fp->fpu, &fp->xsave);
		break;
	case VIREO_GET_XSAVE:
		get_xsave(vcpu, &fp->xsave);
		if (copy_to_user(argp, &fp->xsave, sizeof(fp->xsave)))
			ret = -EFAULT;
		break;
	case VIREO_SET_XSAVE: {
		u32 pkru = 0;

		if (copy_from_user(&fp->xsave, argp, sizeof(fp->xsave)))
			ret = -EFAULT;
		else
			ret = fpu_copy_uabi_to_guest_fpstate(&vcpu->guest_fpu,
				&fp->xsave, vireo_guest_supported_xcr0(vcpu) |
				XFEATURE_MASK_FPSSE, &pkru);
		break;
	}
	default:
		ret = vireo_unknown_ioctl(cmd, -EINVAL);
	}
	kfree(fp);
	return ret;
}

static long vireo_vcpu_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct vireo_vcpu *vcpu = file->private_data;
	void __user *argp = (void __user *)arg;
	long ret;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;

	switch (cmd) {
	case VIREO_RUN:
		ret = arg ? -EINVAL : vireo_vcpu_run(vcpu);
		break;
	case VIREO_NMI:
		vcpu->nmi_pending = true;
		ret = 0;
		break;
	case VIREO_GET_MSRS:
		ret = vireo_vcpu_get_msrs(vcpu, argp);
		break;
	case VIREO_SET_MSRS:
		ret = vireo_vcpu_set_msrs(vcpu, argp);
		break;
	case VIREO_SET_CPUID2:
		ret = vireo_vcpu_set_cpuid2(vcpu, argp);
		break;
	case VIREO_GET_CPUID2:
		ret = vireo_vcpu_get_cpuid2(vcpu, argp);
		break;
	case VIREO_GET_XCRS:
		ret = get_xcrs(vcpu, argp);
		break;
	case VIREO_SET_XCRS:
		ret = set_xcrs(vcpu, argp);
		break;
	default:
		ret = vcpu_state_ioctl(vcpu, cmd, argp);
	}
	mutex_unlock(&vcpu->mutex);
	return ret;
}

/* ---- The vCPU mapping: run page, then the port I/O data page -------- */

static vm_fault_t vireo_vcpu_fault(struct vm_fault *vmf)
{
	struct vireo_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == VIREO_PIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->pio_data);
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct vireo_vcpu_vm_ops = {
	.fault = vireo_vcpu_fault,
};

static int vireo_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &vireo_vcpu_vm_ops;
	return 0;
}

static int vireo_vcpu_release(struct inode *inode, struct file *file)
{
	struct vireo_vcpu *vcpu = file->private_data;

	vireo_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vireo_vcpu_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vireo_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vireo_vcpu_mmap,
	.release = vireo_vcpu_release,
	.llseek = noop_llseek,
};

/* ---- Creation and destruction ------------------------------------------- */

void vireo_vcpu_free(struct vireo_vcpu *vcpu)
{
	if (vcpu->vendor)
		vireo_vendor->vcpu_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	kfree(vcpu->cpuid);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

static void vcpu_reset(struct vireo_vcpu *vcpu)
{
	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs.rip = 0xfff0;
	vcpu->regs.rflags = X86_EFLAGS_FIXED;
	vcpu->regs.gpr[VIREO_RDX] = 0x600;	/* family 6: a plain reset value */
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->pending_irq = -1;
	vcpu->tlb_generation = -1;
	vireo_msrs_reset(vcpu);
	vireo_vendor->vcpu_reset(vcpu);
}

int vireo_create_vcpu(struct vireo_vm *vm, unsigned long id)
{
	struct vireo_vcpu *vcpu;
	int ret = -ENOMEM;

	if (id >= VIREO_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->pio_data)
		goto out_free;
	if (!fpu_alloc_guest_fpstate(&vcpu->guest_fpu))
		goto out_free;
	ret = vireo_vendor->vcpu_create(vcpu);
	if (ret) {
		vcpu->vendor = NULL;
		goto out_free;
	}
	vcpu_reset(vcpu);

	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		ret = -EEXIST;
		goto out_unlock;
	}
	kref_get(&vm->ref);
	ret = anon_inode_getfd("vireo-vcpu", &vireo_vcpu_fops, vcpu,
			       O_RDWR | O_CLOEXEC);
	if (ret < 0) {
		vireo_vm_put(vm);	/* the caller's VM fd keeps it alive */
		goto out_unlock;
	}
	smp_store_release(&vm->vcpus[id], vcpu);
	atomic_inc(&vm->nr_vcpus);
	mutex_unlock(&vm->lock);
	return ret;

out_unlock:
	mutex_unlock(&vm->lock);
out_free:
	vireo_vcpu_free(vcpu);
	return ret;
}
