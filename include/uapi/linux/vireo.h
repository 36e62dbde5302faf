/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Vireo's user ABI: the ioctls of /dev/vireo, its VM and vCPU file
 * descriptors, and the shared run page.
 *
 * Every number and every layout below is the one Linux KVM uses for the
 * same operation, so a program written for /dev/kvm runs on /dev/vireo
 * unchanged for the subset we implement.  The names are Vireo's own.
 * Host tests (selftests/unit/uapi_layout.c) compare each struct, field by
 * field, with the system's <linux/kvm.h>.
 *
 * Only x86-64 is described: Vireo runs on VT-x and AMD-V hosts.
 */
#ifndef _UAPI_LINUX_VIREO_H
#define _UAPI_LINUX_VIREO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VIREO_API_VERSION 12

/* ---- Memory slots ---------------------------------------------------- */

/* Flags of struct vireo_memory_region. */
#define VIREO_MEM_LOG_DIRTY_PAGES (1U << 0) /* not supported: -EINVAL */
#define VIREO_MEM_READONLY (1U << 1)

/*
 * Add, move or delete one slot of guest physical memory backed by the
 * caller's memory.  memory_size == 0 deletes the slot.  The slot number's
 * upper 16 bits select an address space; only space 0 exists.
 */
struct vireo_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

/* ---- ioeventfd ------------------------------------------------------- */

/* Flags of struct vireo_ioeventfd. */
#define VIREO_IOEVENTFD_FLAG_DATAMATCH (1U << 0) /* only when data == datamatch */
#define VIREO_IOEVENTFD_FLAG_PIO (1U << 1)       /* a port, not an MMIO address */
#define VIREO_IOEVENTFD_FLAG_DEASSIGN (1U << 2)  /* remove the registration */
/* s390 only: -EINVAL here (KVM on x86 accepts it; nothing ever fires). */
#define VIREO_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY (1U << 3)

/*
 * A guest write of len bytes to addr (a port with FLAG_PIO, else a
 * guest-physical MMIO address), and with FLAG_DATAMATCH only one whose
 * value is datamatch, signals the eventfd fd and completes in the kernel
 * without an exit to userspace.  len is 1, 2, 4 or 8, or 0 for a write
 * of any length (no DATAMATCH then).  pad is ignored.
 */
struct vireo_ioeventfd {
	__u64 datamatch;
	__u64 addr;
	__u32 len;
	__s32 fd;
	__u32 flags;
	__u8 pad[36];
};

/* ---- Register state -------------------------------------------------- */

struct vireo_regs {
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
};

/* One segment register, with its hidden part spelled out field by field. */
struct vireo_segment {
	__u64 base;
	__u32 limit; /* in bytes, after granularity scaling */
	__u16 selector;
	__u8 type;
	__u8 present, dpl, db, s, l, g, avl;
	__u8 unusable;
	__u8 padding;
};

struct vireo_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

#define VIREO_NR_INTERRUPTS 256

struct vireo_sregs {
	struct vireo_segment cs, ds, es, fs, gs, ss;
	struct vireo_segment tr, ldt;
	struct vireo_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	/* A set bit is an external interrupt waiting to be injected. */
	__u64 interrupt_bitmap[(VIREO_NR_INTERRUPTS + 63) / 64];
};

/* x87 and SSE state in the layout of FXSAVE's fields. */
struct vireo_fpu {
	__u8 fpr[8][16];
	__u16 fcw;
	__u16 fsw;
	__u8 ftwx; /* abridged tag word, one bit per register */
	__u8 pad1;
	__u16 last_opcode;
	__u64 last_ip;
	__u64 last_dp;
	__u8 xmm[16][16];
	__u32 mxcsr;
	__u32 pad2;
};

/* The XSAVE image in standard (non-compacted) format, 4 KiB. */
struct vireo_xsave {
	__u32 region[1024];
};

#define VIREO_MAX_XCRS 16

struct vireo_xcr {
	__u32 xcr;
	__u32 reserved;
	__u64 value;
};

struct vireo_xcrs {
	__u32 nr_xcrs;
	__u32 flags;
	struct vireo_xcr xcrs[VIREO_MAX_XCRS];
	__u64 padding[16];
};

/* ---- MSRs ------------------------------------------------------------ */

struct vireo_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

/* Header of an array of MSR entries; GET/SET_MSRS return how many worked. */
struct vireo_msrs {
	__u32 nmsrs;
	__u32 pad;
	struct vireo_msr_entry entries[];
};

/* In: room for nmsrs indices.  Out: how many there are, and the list. */
struct vireo_msr_list {
	__u32 nmsrs;
	__u32 indices[];
};

/* ---- CPUID ----------------------------------------------------------- */

/* The entry's index (sub-leaf, ECX) is significant for matching. */
#define VIREO_CPUID_FLAG_SIGNIFICANT_INDEX (1U << 0)

struct vireo_cpuid_entry2 {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 padding[3];
};

#define VIREO_MAX_CPUID_ENTRIES 256

struct vireo_cpuid2 {
	__u32 nent;
	__u32 padding;
	struct vireo_cpuid_entry2 entries[];
};

/* ---- Interrupts ------------------------------------------------------ */

/* An external interrupt vector, for guests without an in-kernel PIC. */
struct vireo_interrupt {
	__u32 irq;
};

/* ---- The shared run page --------------------------------------------- */

/* Why VIREO_RUN returned (vireo_run.exit_reason). */
#define VIREO_EXIT_UNKNOWN 0
#define VIREO_EXIT_EXCEPTION 1
#define VIREO_EXIT_IO 2
#define VIREO_EXIT_HYPERCALL 3
#define VIREO_EXIT_DEBUG 4
#define VIREO_EXIT_HLT 5
#define VIREO_EXIT_MMIO 6
#define VIREO_EXIT_IRQ_WINDOW_OPEN 7
#define VIREO_EXIT_SHUTDOWN 8
#define VIREO_EXIT_FAIL_ENTRY 9
#define VIREO_EXIT_INTR 10
#define VIREO_EXIT_NMI 16
#define VIREO_EXIT_INTERNAL_ERROR 17
#define VIREO_EXIT_SYSTEM_EVENT 24

#define VIREO_EXIT_IO_IN 0
#define VIREO_EXIT_IO_OUT 1

/* internal.suberror */
#define VIREO_INTERNAL_ERROR_EMULATION 1
#define VIREO_INTERNAL_ERROR_SIMUL_EX 2
#define VIREO_INTERNAL_ERROR_DELIVERY_EV 3
#define VIREO_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON 4


/*
 * The part of the guest state that made an entry fail (run->fail_entry.
 * state_field): the same names on both vendors.
 */
enum vireo_state_field {
	VIREO_STATE_UNKNOWN = 0,
	VIREO_STATE_CR0 = 1,
	VIREO_STATE_CR4 = 2,
	VIREO_STATE_EFER = 3,
	VIREO_STATE_RFLAGS = 4,
	VIREO_STATE_CS = 5,
	VIREO_STATE_SS = 6,
	VIREO_STATE_DS = 7,
	VIREO_STATE_ES = 8,
	VIREO_STATE_FS = 9,
	VIREO_STATE_GS = 10,
	VIREO_STATE_TR = 11,
	VIREO_STATE_LDT = 12,
	VIREO_STATE_GDT = 13,
	VIREO_STATE_IDT = 14,
	VIREO_STATE_INTERRUPTIBILITY = 15,
	VIREO_STATE_EVENT_INJECTION = 16,
};
/*
 * Where port I/O data lives: this many pages into the vCPU mapping
 * (io.data_offset says the same in bytes).
 */
#define VIREO_PIO_PAGE_OFFSET 1

struct vireo_run {
	/* Set by userspace before VIREO_RUN. */
	__u8 request_interrupt_window;
	__u8 immediate_exit;
	__u8 padding1[6];

	/* Set by the kernel when VIREO_RUN returns. */
	__u32 exit_reason;
	__u8 ready_for_interrupt_injection;
	__u8 if_flag;
	__u16 flags;

	__u64 cr8;
	__u64 apic_base;

	union {
		/* VIREO_EXIT_UNKNOWN: the vendor's exit code. */
		struct {
			__u64 hardware_exit_reason;
		} hw;
		/*
		 * VIREO_EXIT_FAIL_ENTRY: why the hardware refused the entry.
		 * state_field is Vireo's addition in KVM's padding: the
		 * part of the guest state found inconsistent (enum
		 * vireo_state_field), 0 when none was found.
		 */
		struct {
			__u64 hardware_entry_failure_reason;
			__u32 cpu;
			__u32 state_field;
		} fail_entry;
		/* VIREO_EXIT_EXCEPTION */
		struct {
			__u32 exception;
			__u32 error_code;
		} ex;
		/* VIREO_EXIT_IO: count items of size bytes at data_offset. */
		struct {
			__u8 direction;
			__u8 size;
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		/* VIREO_EXIT_MMIO: for reads, userspace fills data. */
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
		} mmio;
		/* VIREO_EXIT_HYPERCALL */
		struct {
			__u64 nr;
			__u64 args[6];
			__u64 ret;
			__u32 longmode;
			__u32 pad;
		} hypercall;
		/* VIREO_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[16];
		} internal;
		/* VIREO_EXIT_SYSTEM_EVENT */
		struct {
			__u32 type;
			__u32 ndata;
			__u64 data[16];
		} system_event;
		char padding[256];
	};

	/* Register sharing through the run page is not offered (no cap). */
	__u64 valid_regs;
	__u64 dirty_regs;
	union {
		char padding[2048];
	} s;
};

/* ---- Capabilities (VIREO_CHECK_EXTENSION) ---------------------------- */

#define VIREO_CAP_IRQCHIP 0
#define VIREO_CAP_HLT 1
#define VIREO_CAP_USER_MEMORY 3
#define VIREO_CAP_SET_TSS_ADDR 4
#define VIREO_CAP_EXT_CPUID 7
#define VIREO_CAP_NR_VCPUS 9
#define VIREO_CAP_NR_MEMSLOTS 10
#define VIREO_CAP_NOP_IO_DELAY 12
#define VIREO_CAP_COALESCED_MMIO 15
#define VIREO_CAP_SYNC_MMU 16
#define VIREO_CAP_DESTROY_MEMORY_REGION_WORKS 21
#define VIREO_CAP_USER_NMI 22
#define VIREO_CAP_JOIN_MEMORY_REGIONS_WORKS 30
#define VIREO_CAP_IOEVENTFD 36
#define VIREO_CAP_INTERNAL_ERROR_DATA 40
#define VIREO_CAP_XSAVE 55
#define VIREO_CAP_XCRS 56
#define VIREO_CAP_MAX_VCPUS 66
#define VIREO_CAP_READONLY_MEM 81
#define VIREO_CAP_IOEVENTFD_NO_LENGTH 100
#define VIREO_CAP_IOEVENTFD_ANY_LENGTH 122
#define VIREO_CAP_IMMEDIATE_EXIT 136
#define VIREO_CAP_MAX_VCPU_ID 128

/* ---- ioctl numbers --------------------------------------------------- */

#define VIREO_IOCTL_TYPE 0xAE

/* On /dev/vireo */
#define VIREO_GET_API_VERSION _IO(VIREO_IOCTL_TYPE, 0x00)
#define VIREO_CREATE_VM _IO(VIREO_IOCTL_TYPE, 0x01)
#define VIREO_GET_MSR_INDEX_LIST \
	_IOWR(VIREO_IOCTL_TYPE, 0x02, struct vireo_msr_list)
#define VIREO_CHECK_EXTENSION _IO(VIREO_IOCTL_TYPE, 0x03)
#define VIREO_GET_VCPU_MMAP_SIZE _IO(VIREO_IOCTL_TYPE, 0x04)
#define VIREO_GET_SUPPORTED_CPUID \
	_IOWR(VIREO_IOCTL_TYPE, 0x05, struct vireo_cpuid2)

/* On a VM fd (CHECK_EXTENSION works there too) */
#define VIREO_CREATE_VCPU _IO(VIREO_IOCTL_TYPE, 0x41)
#define VIREO_SET_USER_MEMORY_REGION \
	_IOW(VIREO_IOCTL_TYPE, 0x46, struct vireo_memory_region)
#define VIREO_SET_TSS_ADDR _IO(VIREO_IOCTL_TYPE, 0x47)
#define VIREO_IOEVENTFD _IOW(VIREO_IOCTL_TYPE, 0x79, struct vireo_ioeventfd)

/* On a vCPU fd */
#define VIREO_RUN _IO(VIREO_IOCTL_TYPE, 0x80)
#define VIREO_GET_REGS _IOR(VIREO_IOCTL_TYPE, 0x81, struct vireo_regs)
#define VIREO_SET_REGS _IOW(VIREO_IOCTL_TYPE, 0x82, struct vireo_regs)
#define VIREO_GET_SREGS _IOR(VIREO_IOCTL_TYPE, 0x83, struct vireo_sregs)
#define VIREO_SET_SREGS _IOW(VIREO_IOCTL_TYPE, 0x84, struct vireo_sregs)
#define VIREO_INTERRUPT _IOW(VIREO_IOCTL_TYPE, 0x86, struct vireo_interrupt)
#define VIREO_GET_MSRS _IOWR(VIREO_IOCTL_TYPE, 0x88, struct vireo_msrs)
#define VIREO_SET_MSRS _IOW(VIREO_IOCTL_TYPE, 0x89, struct vireo_msrs)
#define VIREO_GET_FPU _IOR(VIREO_IOCTL_TYPE, 0x8c, struct vireo_fpu)
#define VIREO_SET_FPU _IOW(VIREO_IOCTL_TYPE, 0x8d, struct vireo_fpu)
#define VIREO_SET_CPUID2 _IOW(VIREO_IOCTL_TYPE, 0x90, struct vireo_cpuid2)
#define VIREO_GET_CPUID2 _IOWR(VIREO_IOCTL_TYPE, 0x91, struct vireo_cpuid2)
#define VIREO_NMI _IO(VIREO_IOCTL_TYPE, 0x9a)
#define VIREO_GET_XSAVE _IOR(VIREO_IOCTL_TYPE, 0xa4, struct vireo_xsave)
#define VIREO_SET_XSAVE _IOW(VIREO_IOCTL_TYPE, 0xa5, struct vireo_xsave)
#define VIREO_GET_XCRS _IOR(VIREO_IOCTL_TYPE, 0xa6, struct vireo_xcrs)
#define VIREO_SET_XCRS _IOW(VIREO_IOCTL_TYPE, 0xa7, struct vireo_xcrs)

#endif /* _UAPI_LINUX_VIREO_H */
