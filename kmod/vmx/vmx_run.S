/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * int vireo_vmx_vmenter(u64 *gprs, bool launched)
 *
 * Runs the guest once with the current VMCS: VMLAUNCH the first time,
 * VMRESUME afterwards.  gprs[] holds the guest's general-purpose registers
 * in the x86 encoding order; RSP, RIP and RFLAGS live in the VMCS.  Called
 * with interrupts disabled.  Returns 0 after a VM exit (the VMCS host RIP
 * is vireo_vmx_exit below) and 1 when the instruction itself failed.
 *
 * void vireo_vmx_do_nmi(void)
 *
 * Hands an NMI that caused a VM exit to the kernel's NMI handler, through
 * an interrupt frame as the CPU would have built it.
 *
 * void vireo_vmx_do_irq(unsigned long handler): see below.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define GPR(n) ((n) * 8)
#define VMCS_HOST_RSP 0x6c14

	.section .text
SYM_FUNC_START(vireo_vmx_vmenter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi		/* 0(%rsp): gprs, found again after the exit */

	mov	$VMCS_HOST_RSP, %rax
	vmwrite	%rsp, %rax
	jbe	.Lfail_early

	mov	%esi, %ebx	/* launched, tested after the loads */
	mov	GPR(0)(%rdi), %rax
	mov	GPR(1)(%rdi), %rcx
	mov	GPR(2)(%rdi), %rdx
	mov	GPR(5)(%rdi), %rbp
	mov	GPR(6)(%rdi), %rsi
	mov	GPR(8)(%rdi), %r8
	mov	GPR(9)(%rdi), %r9
	mov	GPR(10)(%rdi), %r10
	mov	GPR(11)(%rdi), %r11
	mov	GPR(12)(%rdi), %r12
	mov	GPR(13)(%rdi), %r13
	mov	GPR(14)(%rdi), %r14
	mov	GPR(15)(%rdi), %r15
	test	%ebx, %ebx
	mov	GPR(3)(%rdi), %rbx	/* mov leaves the flags alone */
	mov	GPR(7)(%rdi), %rdi
	UNWIND_HINT_SAVE
	jnz	.Lresume
	vmlaunch
	jmp	.Lfail
.Lresume:
	vmresume
.Lfail:
	/* The entry did not happen; the host stack is as we left it. */
	mov	$1, %eax
	jmp	.Lout

SYM_INNER_LABEL(vireo_vmx_exit, SYM_L_GLOBAL)
	/* RSP is the one written to the VMCS above: the frame is as saved. */
	UNWIND_HINT_RESTORE
	push	%rax
	mov	8(%rsp), %rax
	mov	%rcx, GPR(1)(%rax)
	mov	%rdx, GPR(2)(%rax)
	mov	%rbx, GPR(3)(%rax)
	mov	%rbp, GPR(5)(%rax)
	mov	%rsi, GPR(6)(%rax)
	mov	%rdi, GPR(7)(%rax)
	mov	%r8, GPR(8)(%rax)
	mov	%r9, GPR(9)(%rax)
	mov	%r10, GPR(10)(%rax)
	mov	%r11, GPR(11)(%rax)
	mov	%r12, GPR(12)(%rax)
	mov	%r13, GPR(13)(%rax)
	mov	%r14, GPR(14)(%rax)
	mov	%r15, GPR(15)(%rax)
	pop	%rcx
	mov	%rcx, GPR(0)(%rax)
	xor	%eax, %eax

.Lout:
	/* Guest-controlled return predictions must not reach the host. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

.Lfail_early:
	mov	$1, %eax
	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(vireo_vmx_vmenter)

SYM_FUNC_START(vireo_vmx_do_nmi)
	push	%rbp
	mov	%rsp, %rbp
	UNWIND_HINT_SAVE
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	call	asm_exc_nmi_noist
	/* The handler's IRET brought RSP back to RBP. */
	UNWIND_HINT_RESTORE
	pop	%rbp
	RET
SYM_FUNC_END(vireo_vmx_do_nmi)

/*
 * void vireo_vmx_do_irq(unsigned long handler)
 *
 * The same for an external interrupt acknowledged on exit: calls its
 * handler from the host's IDT through an interrupt frame.
 */
SYM_FUNC_START(vireo_vmx_do_irq)
	push	%rbp
	mov	%rsp, %rbp
	UNWIND_HINT_SAVE
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	CALL_NOSPEC rdi
	UNWIND_HINT_RESTORE
	pop	%rbp
	RET
SYM_FUNC_END(vireo_vmx_do_irq)
