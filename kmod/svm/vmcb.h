/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMCB as AMD's manual lays it out (APM volume 2, appendix B), and the
 * intercept and exit codes we use.  Only svm.c includes this file.
 */
#ifndef VIREO_SVM_VMCB_H
#define VIREO_SVM_VMCB_H

#include <linux/build_bug.h>
#include <linux/types.h>

struct vmcb_segment {
	u16 selector;
	u16 attrib;	/* type, S, DPL, P, AVL, L, D/B, G packed in 12 bits */
	u32 limit;
	u64 base;
} __packed;

struct vmcb_control {
	u32 intercept_cr;		/* 0x000: reads 0-15, writes 16-31 */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exceptions;	/* 0x008 */
	u32 intercept_misc1;		/* 0x00c */
	u32 intercept_misc2;		/* 0x010 */
	u32 intercept_misc3;		/* 0x014 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8 tlb_control;			/* 0x05c */
	u8 reserved_05d[3];
	u32 int_ctl;			/* 0x060 */
	u32 int_vector;			/* 0x064 */
	u64 int_state;			/* 0x068 */
	u64 exit_code;			/* 0x070 */
	u64 exit_info_1;		/* 0x078 */
	u64 exit_info_2;		/* 0x080 */
	u64 exit_int_info;		/* 0x088 */
	u64 nested_ctl;			/* 0x090 */
	u64 avic_vapic_bar;		/* 0x098 */
	u64 ghcb_pa;			/* 0x0a0 */
	u64 event_inject;		/* 0x0a8 */
	u64 nested_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8 */
	u32 clean_bits;			/* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;			/* 0x0c8 */
	u8 insn_len;			/* 0x0d0 */
	u8 insn_bytes[15];		/* 0x0d1 */
	u8 reserved_0e0[0x400 - 0x0e0];
} __packed;

struct vmcb_save {
	struct vmcb_segment es, cs, ss, ds, fs, gs;	/* 0x400 */
	struct vmcb_segment gdtr, ldtr, idtr, tr;	/* 0x460 */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;				/* 0x4cb */
	u32 reserved_4cc;
	u64 efer;			/* 0x4d0 */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;			/* 0x548 */
	u64 cr3;			/* 0x550 */
	u64 cr0;			/* 0x558 */
	u64 dr7;			/* 0x560 */
	u64 dr6;			/* 0x568 */
	u64 rflags;			/* 0x570 */
	u64 rip;			/* 0x578 */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;			/* 0x5d8 */
	u64 s_cet, ssp, isst_addr;	/* 0x5e0 */
	u64 rax;			/* 0x5f8 */
	u64 star;			/* 0x600 */
	u64 lstar;			/* 0x608 */
	u64 cstar;			/* 0x610 */
	u64 sfmask;			/* 0x618 */
	u64 kernel_gs_base;		/* 0x620 */
	u64 sysenter_cs;		/* 0x628 */
	u64 sysenter_esp;		/* 0x630 */
	u64 sysenter_eip;		/* 0x638 */
	u64 cr2;			/* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;			/* 0x668 */
	u64 dbgctl;			/* 0x670 */
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __packed;

static_assert(sizeof(struct vmcb_control) == 0x400);
static_assert(offsetof(struct vmcb, save.cpl) == 0x4cb);
static_assert(offsetof(struct vmcb, save.efer) == 0x4d0);
static_assert(offsetof(struct vmcb, save.cr4) == 0x548);
static_assert(offsetof(struct vmcb, save.rsp) == 0x5d8);
static_assert(offsetof(struct vmcb, save.rax) == 0x5f8);
static_assert(offsetof(struct vmcb, save.cr2) == 0x640);
static_assert(offsetof(struct vmcb, save.g_pat) == 0x668);
static_assert(sizeof(struct vmcb) <= 4096);

/* intercept_misc1 */
#define INTERCEPT_INTR (1U << 0)
#define INTERCEPT_NMI (1U << 1)
#define INTERCEPT_SMI (1U << 2)
#define INTERCEPT_INIT (1U << 3)
#define INTERCEPT_VINTR (1U << 4)
#define INTERCEPT_CPUID (1U << 18)
#define INTERCEPT_RSM (1U << 19)
#define INTERCEPT_INVD (1U << 22)
#define INTERCEPT_HLT (1U << 24)
#define INTERCEPT_INVLPGA (1U << 26)
#define INTERCEPT_IOIO (1U << 27)
#define INTERCEPT_MSR (1U << 28)
#define INTERCEPT_FERR_FREEZE (1U << 30)
#define INTERCEPT_SHUTDOWN (1U << 31)
/* intercept_misc2 */
#define INTERCEPT_VMRUN (1U << 0)
#define INTERCEPT_VMMCALL (1U << 1)
#define INTERCEPT_VMLOAD (1U << 2)
#define INTERCEPT_VMSAVE (1U << 3)
#define INTERCEPT_STGI (1U << 4)
#define INTERCEPT_CLGI (1U << 5)
#define INTERCEPT_SKINIT (1U << 6)
#define INTERCEPT_WBINVD (1U << 9)
#define INTERCEPT_MONITOR (1U << 10)
#define INTERCEPT_MWAIT (1U << 11)
#define INTERCEPT_MWAIT_ARMED (1U << 12)
#define INTERCEPT_XSETBV (1U << 13)
#define INTERCEPT_RDPRU (1U << 14)

/* int_ctl */
#define V_TPR_MASK 0xfU
#define V_IRQ (1U << 8)
#define V_INTR_PRIO_SHIFT 16
#define V_IGN_TPR (1U << 20)
#define V_INTR_MASKING (1U << 24)

#define INT_STATE_SHADOW (1ULL << 0)
#define NESTED_CTL_NP_ENABLE (1ULL << 0)
#define TLB_CONTROL_FLUSH_ALL 1

/* event_inject and exit_int_info */
#define EVENT_VECTOR_MASK 0xffULL
#define EVENT_TYPE_SHIFT 8
#define EVENT_TYPE_MASK (7ULL << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_INTR (0ULL << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_NMI (2ULL << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_EXCEPTION (3ULL << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_SOFT_INT (4ULL << EVENT_TYPE_SHIFT)
#define EVENT_ERROR_VALID (1ULL << 11)
#define EVENT_VALID (1ULL << 31)

/* Exit codes. */
#define SVM_EXIT_DR_READ0 0x020
#define SVM_EXIT_DR_WRITE15 0x03f
#define SVM_EXIT_EXCEPTION0 0x040
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_SMI 0x062
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_RSM 0x073
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_FERR_FREEZE 0x07e
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_WBINVD 0x089
#define SVM_EXIT_MONITOR 0x08a
#define SVM_EXIT_MWAIT 0x08b
#define SVM_EXIT_MWAIT_ARMED 0x08c
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_RDPRU 0x08e
#define SVM_EXIT_MAX_TABLE 0x090	/* handler table covers below this */
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID ((u64)-1)

/* exit_info_1 of an I/O intercept */
#define IOIO_IN (1U << 0)
#define IOIO_STRING (1U << 2)
#define IOIO_REP (1U << 3)
#define IOIO_SIZE_SHIFT 4	/* 1, 2, 4 bytes as bits 4, 5, 6 */
#define IOIO_ADDR_SHIFT 7	/* 16, 32, 64 bits as bits 7, 8, 9 */
#define IOIO_SEG_SHIFT 10
#define IOIO_PORT_SHIFT 16

/* exit_info_1 of a nested page fault */
#define NPF_WRITE (1ULL << 1)
#define NPF_RESERVED (1ULL << 3)
#define NPF_FETCH (1ULL << 4)

#define MSR_VM_CR_SVMDIS (1ULL << 4)

#endif /* VIREO_SVM_VMCB_H */
