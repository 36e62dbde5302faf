/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * void vireo_svm_vmrun(u64 vmcb_pa, u64 host_save_pa, u64 *gprs)
 *
 * Runs the guest once.  Called with interrupts disabled and GIF clear.
 * The host's FS, GS, TR, LDTR and syscall MSRs are saved with VMSAVE to
 * host_save_pa and the guest's loaded with VMLOAD; VMRUN then switches
 * the rest.  RAX, RSP, RIP and RFLAGS of the guest live in the VMCB; the
 * other general-purpose registers in gprs[], in the x86 encoding order.
 *
 * IF is set just around VMRUN so that the host's saved RFLAGS lets
 * physical interrupts cause an exit; with GIF clear none is taken here.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#define GPR(n) ((n) * 8)

	.section .text
SYM_FUNC_START(vireo_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdx		/* 16(%rsp): gprs */
	push	%rdi		/* 8(%rsp): vmcb_pa */
	push	%rsi		/* 0(%rsp): host_save_pa */

	mov	%rsi, %rax
	vmsave	%rax
	mov	8(%rsp), %rax
	vmload	%rax

	mov	16(%rsp), %rax
	mov	GPR(1)(%rax), %rcx
	mov	GPR(2)(%rax), %rdx
	mov	GPR(3)(%rax), %rbx
	mov	GPR(5)(%rax), %rbp
	mov	GPR(6)(%rax), %rsi
	mov	GPR(7)(%rax), %rdi
	mov	GPR(8)(%rax), %r8
	mov	GPR(9)(%rax), %r9
	mov	GPR(10)(%rax), %r10
	mov	GPR(11)(%rax), %r11
	mov	GPR(12)(%rax), %r12
	mov	GPR(13)(%rax), %r13
	mov	GPR(14)(%rax), %r14
	mov	GPR(15)(%rax), %r15
	mov	8(%rsp), %rax

	sti
	vmrun	%rax
	cli

	/* RAX is vmcb_pa again and RSP the host's. */
	push	%rax
	mov	24(%rsp), %rax
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
	pop	%rax
	vmsave	%rax
	mov	(%rsp), %rax
	vmload	%rax

	/* Guest-controlled return predictions must not reach the host. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* Leave no guest values in scratch registers. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(vireo_svm_vmrun)
