/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tiny guest programs for the selftests.  Each lies between name_start and
 * name_end, is copied to CODE_GPA (see vm.h) and ends in HLT.  Only
 * relative jumps: the code runs wherever it is copied.  Ports and
 * addresses are the constants of vm.h.
 */

#define MMIO_GPA 0xc0000
#define DATA_GPA 0x9000
#define DATA2_GPA 0x9800

	.section .rodata.guest, "a"

.macro snip name
	.globl \name\()_start, \name\()_end
\name\()_start:
.endm

.macro endsnip name
\name\()_end:
.endm

/* ---- code valid in every mode, assembled three times ---- */
.macro common mode
	.code\mode

snip out_\mode
	mov	$0x5a, %al
	out	%al, $0x10
	mov	$0x1234, %ax
	out	%ax, $0x12
	mov	$0xdeadbeef, %eax
	out	%eax, $0x14
	hlt
endsnip out_\mode

snip in_\mode
	in	$0x20, %al
	out	%al, $0x21
	in	$0x22, %ax
	out	%ax, $0x23
	in	$0x24, %eax
	out	%eax, $0x25
	hlt
endsnip in_\mode

snip outs_\mode
	mov	$DATA_GPA, %esi
	mov	$8, %ecx
	mov	$0x30, %dx
	cld
	rep outsb
	hlt
endsnip outs_\mode

snip ins_\mode
	mov	$DATA2_GPA, %edi
	mov	$4, %ecx
	mov	$0x32, %dx
	cld
	rep insw
	hlt
endsnip ins_\mode

snip mmio_\mode
.ifc \mode,16
	/* Real mode reaches MMIO_GPA through DS. */
	mov	$(MMIO_GPA >> 4), %ax
	mov	%ax, %ds
	mov	0, %eax
	out	%eax, $0x40
	mov	$0x11223344, %ebx
	mov	%ebx, 8
	movzbl	16, %eax
	out	%eax, $0x41
	xor	%ax, %ax
	mov	%ax, %ds
.else
	mov	MMIO_GPA, %eax
	out	%eax, $0x40
	mov	$0x11223344, %ebx
	mov	%ebx, MMIO_GPA + 8
	movzbl	MMIO_GPA + 16, %eax
	out	%eax, $0x41
.endif
	hlt
endsnip mmio_\mode

snip cpuid_\mode
	mov	$0x40000000, %eax
	xor	%ecx, %ecx
	cpuid
	out	%eax, $0x50
	mov	%ebx, %eax
	out	%eax, $0x51
	mov	%edx, %eax
	out	%eax, $0x52
	hlt
endsnip cpuid_\mode

snip msr_\mode
	mov	$0x174, %ecx		/* IA32_SYSENTER_CS */
	rdmsr				/* as the host set it */
	out	%eax, $0x62
	mov	$0x1234, %eax
	xor	%edx, %edx
	wrmsr
	xor	%eax, %eax
	rdmsr
	out	%eax, $0x60
	mov	$0x4b564dff, %ecx	/* an MSR nobody has */
	rdmsr
	out	%eax, $0x61		/* not reached: #GP first */
	hlt
endsnip msr_\mode

snip hlt_\mode
	hlt
endsnip hlt_\mode

snip int3_\mode
	int3
	hlt
endsnip int3_\mode

snip div0_\mode
	xor	%ecx, %ecx
	mov	$1, %eax
	xor	%edx, %edx
	div	%ecx
	hlt
endsnip div0_\mode

snip wrmsr_bad_\mode
	mov	$0x4b564dff, %ecx	/* an MSR nobody has */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	hlt
endsnip wrmsr_bad_\mode

/* Port 0x3f8 through DX, then the same port with IN. */
snip dx_port_\mode
	mov	$0x3f8, %dx
	mov	$0x41, %al
	out	%al, %dx
	in	%dx, %al
	out	%al, $0x44
	hlt
endsnip dx_port_\mode

snip ud2_\mode
	ud2
	hlt
endsnip ud2_\mode

snip spin_\mode
1:	jmp	1b
endsnip spin_\mode

snip sti_hlt_\mode
	sti
	hlt
	hlt
endsnip sti_hlt_\mode

/* IF=0 (reported on port 0x73), then IF=1 and spin: the window opens. */
snip irq_window_\mode
	cli
	out	%al, $0x73
	sti
1:	jmp	1b
endsnip irq_window_\mode

snip vmmcall_\mode
	mov	$0x12345, %eax
	vmmcall
	out	%eax, $0x70
	hlt
endsnip vmmcall_\mode

snip vmcall_\mode
	mov	$0x12345, %eax
	vmcall
	out	%eax, $0x70
	hlt
endsnip vmcall_\mode
.endm

	common 16
	common 32
	common 64

	.code64
/* Touch one byte in every page from 1 MiB up to RDI = end. */
snip touch_pages
	mov	$0x100000, %rax
1:	movb	$1, (%rax)
	add	$4096, %rax
	cmp	%rdi, %rax
	jb	1b
	hlt
endsnip touch_pages

/* Report XMM0's low 32 bits. */
snip xmm_out
	movd	%xmm0, %eax
	out	%eax, $0x70
	hlt
endsnip xmm_out

/* Read the byte at RSI and report it; then write to it. */
snip read_write_rsi
	movzbl	(%rsi), %eax
	out	%eax, $0x71
	movb	$0x99, (%rsi)
	hlt
endsnip read_write_rsi

/* Report the byte at RSI. */
snip read_rsi
	movzbl	(%rsi), %eax
	out	%eax, $0x71
	hlt
endsnip read_rsi

/* Loop N = RDI times on CPUID, then OUT: the CPUID-exit benchmark. */
snip cpuid_loop
1:	xor	%eax, %eax
	cpuid
	dec	%rdi
	jnz	1b
	out	%al, $0x80
	hlt
endsnip cpuid_loop

/*
 * XCR0 and CPUID leaf 0xD: sets CR4.OSXSAVE and reports CPUID.1:ECX on
 * port 0x70.  Then, for each value the host gives on IN from port 0x75
 * until it gives 0: XSETBV of it into XCR0, CPUID.(0xD,0):EBX on 0x76,
 * an OUT exit on 0x77 (the host's XCR0 is back meanwhile), XGETBV's EAX
 * on 0x78.
 */
snip xcr_probe
	mov	%cr4, %rax
	or	$(1 << 18), %rax
	mov	%rax, %cr4
	mov	$1, %eax
	xor	%ecx, %ecx
	cpuid
	mov	%ecx, %eax
	out	%eax, $0x70
1:	in	$0x75, %eax
	test	%eax, %eax
	jz	2f
	xor	%ecx, %ecx
	xor	%edx, %edx
	xsetbv
	mov	$0xd, %eax
	xor	%ecx, %ecx
	cpuid
	mov	%ebx, %eax
	out	%eax, $0x76
	out	%al, $0x77
	xor	%ecx, %ecx
	xgetbv
	out	%eax, $0x78
	jmp	1b
2:	hlt
endsnip xcr_probe

/* OUT forever: each exit returns to userspace. */
snip out_loop
1:	out	%al, $0x81
	jmp	1b
endsnip out_loop

/* Print a message at RSI to port 0x3f8, byte by byte. */
snip puts
1:	lodsb
	test	%al, %al
	jz	2f
	mov	$0x3f8, %dx
	out	%al, %dx
	jmp	1b
2:	hlt
endsnip puts

/* Scribble over host-relevant state the CPU lets a guest change. */
snip clobber
	mov	$0xc0000081, %ecx	/* STAR */
	mov	$0x12345678, %eax
	mov	$0x00230010, %edx
	wrmsr
	mov	$0xc0000082, %ecx	/* LSTAR */
	mov	$0xdead0000, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0xc0000084, %ecx	/* SFMASK */
	mov	$0xffffffff, %eax
	wrmsr
	mov	$0xc0000102, %ecx	/* KERNEL_GS_BASE */
	mov	$0xbad00000, %eax
	wrmsr
	mov	$0xc0000100, %ecx	/* FS_BASE */
	mov	$0xbad10000, %eax
	wrmsr
	swapgs
	mov	$0x176, %ecx		/* SYSENTER_EIP */
	mov	$0xbad20000, %eax
	wrmsr
	mov	$0x0, %eax
	mov	%rax, %dr0
	mov	$0x1000, %eax
	mov	%rax, %dr1
	out	%al, $0x72
	hlt
endsnip clobber

/*
 * Counts in RBX and reports every 0x4000 iterations with OUT to port
 * 0x73, checking on the way that R8-R15 and XMM0 still hold what the host
 * gave them (R8 + i for R8+i, XMM0 = R8 in both halves).  A value that
 * changed under it is reported on port 0x74, AL naming the check
 * (1 R9, 2 R15, 3 R11, 4 XMM0 low, 5 XMM0 high), before HLT.
 */
snip spin_check
1:	inc	%rbx
	test	$0x3fff, %ebx
	jnz	1b
	mov	$1, %dl
	lea	1(%r8), %rax
	cmp	%rax, %r9
	jne	2f
	mov	$2, %dl
	lea	7(%r8), %rax
	cmp	%rax, %r15
	jne	2f
	mov	$3, %dl
	lea	3(%r8), %rax
	cmp	%rax, %r11
	jne	2f
	mov	$4, %dl
	movq	%xmm0, %rax
	cmp	%rax, %r8
	jne	2f
	mov	$5, %dl
	pextrq	$1, %xmm0, %rax
	cmp	%rax, %r8
	jne	2f
	out	%al, $0x73
	jmp	1b
2:	mov	%dl, %al
	out	%al, $0x74
	hlt
endsnip spin_check
	.section .note.GNU-stack, "", @progbits
