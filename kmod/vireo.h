/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The core's objects: the VM, its memory slots and its vCPUs.  The core
 * owns lifetimes, locking, user copies and argument checks; the vendor
 * backend (kmod/svm, kmod/vmx) only touches VMCB/VMCS state and the
 * hardware, through struct vireo_vendor_ops in vendor.h.
 */
#ifndef VIREO_CORE_H
#define VIREO_CORE_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <asm/fpu/api.h>
#include <uapi/linux/vireo.h>

#include "emulate.h"

#define VIREO_MAX_VCPUS 64
#define VIREO_MAX_MEMSLOTS 64
/* GET/SET_MSRS take fewer than this many entries per call, as KVM. */
#define VIREO_MAX_MSRS_PER_CALL 256
/* Largest guest-physical address a memory slot may reach. */
#define VIREO_GPA_LIMIT (1ULL << 48)

struct vireo_vm;
struct vireo_vcpu;
struct vireo_ioevents;

/* ---- Memory slots ---------------------------------------------------- */

/* A slot flag of ours, never userspace's: see vm_set_memory_region(). */
#define VIREO_MEMSLOT_INVALID (1U << 31)

struct vireo_memslot {
	u32 id;
	u32 flags;		/* VIREO_MEM_READONLY, VIREO_MEMSLOT_INVALID */
	u64 base_gfn;
	u64 npages;
	unsigned long userspace_addr;
};

/* An immutable, sorted-by-gfn set of slots, replaced as a whole. */
struct vireo_memslots {
	struct rcu_head rcu;
	int count;
	struct vireo_memslot slots[VIREO_MAX_MEMSLOTS];
};

/* ---- Nested page tables (kmod/mmu) ------------------------------------ */

struct vireo_mmu {
	spinlock_t lock;	/* page-table pages and entries */
	int levels;		/* 4, or 5 when the nested tables need it */
	u64 *root;		/* top-level table, NULL until the first vCPU */
	phys_addr_t root_pa;
	unsigned long invalidate_seq;	/* bumped when an invalidation ends */
	long invalidate_count;	/* invalidations in progress */
	atomic_long_t tlb_generation;	/* bumped when entries are removed */
	struct mmu_notifier notifier;
	bool notifier_registered;
	unsigned long table_pages;	/* for the stats */
};

/* ---- The VM ---------------------------------------------------------- */

struct vireo_vm {
	struct kref ref;
	struct mm_struct *mm;	/* the creating process's, grabbed */
	struct mutex lock;	/* vCPU creation, slot and ioeventfd changes */
	struct vireo_memslots __rcu *memslots;
	struct vireo_ioevents __rcu *ioevents;	/* see ioeventfd.c */
	struct srcu_struct srcu;	/* protects readers of both */
	struct vireo_vcpu *vcpus[VIREO_MAX_VCPUS];
	atomic_t nr_vcpus;
	struct vireo_mmu mmu;
	u64 tss_addr;
	struct dentry *debugfs;
};

/* ---- The vCPU -------------------------------------------------------- */

enum vireo_vcpu_mode {
	VIREO_OUTSIDE_GUEST,
	VIREO_IN_GUEST,
};

/* Neutral exit reasons, for the statistics. */
enum vireo_exit_stat {
	VIREO_STAT_EXITS,
	VIREO_STAT_IO,
	VIREO_STAT_MMIO,
	VIREO_STAT_NPF,
	VIREO_STAT_CPUID,
	VIREO_STAT_MSR,
	VIREO_STAT_HLT,
	VIREO_STAT_INTR,
	VIREO_STAT_IRQ_WINDOW,
	VIREO_STAT_HYPERCALL,
	VIREO_STAT_OTHER,
	VIREO_STAT_IOEVENTFD,	/* writes completed by an ioeventfd */
	VIREO_NR_STATS
};

/* A port I/O instruction waiting for userspace. */
struct vireo_pio {
	bool pending;	/* an IN whose data userspace supplies */
	bool string;
	u8 size;
	u8 addr_size;
	u16 port;
	u32 count;
	int seg;	/* segment of the memory operand (string forms) */
	bool rep;
	unsigned long next_rip;
};

/* The MMIO instruction in flight (see emulate.h). */
struct vireo_mmio {
	bool pending;	/* a read whose data userspace supplies */
	u64 gpa;
	struct vireo_insn insn;
	struct vireo_mem_op op;
};

/* MSRs the core keeps itself (the rest live in VMCB/VMCS). */
struct vireo_core_msrs {
	u64 tsc_aux;
	u64 spec_ctrl;
	u64 misc_enable;
	u64 apic_base;
};

struct vireo_vcpu {
	struct vireo_vm *vm;
	u32 id;
	struct mutex mutex;	/* serialises this vCPU's ioctls */
	struct vireo_run *run;	/* page 0 of the vCPU mapping */
	void *pio_data;		/* page 1 */

	/* The register file; vendors move rsp/rip/rflags in and out. */
	struct vireo_emul_regs regs;
	unsigned long next_rip;	/* after the exiting instruction */

	int cpu;		/* CPU the vCPU last ran on */
	int mode;		/* enum vireo_vcpu_mode, read by kickers */
	long tlb_generation;	/* vm->mmu.tlb_generation last seen */

	struct fpu_guest guest_fpu;
	u64 xcr0;

	struct vireo_cpuid_entry2 *cpuid;
	int cpuid_nent;

	struct vireo_core_msrs msrs;
	int pending_irq;	/* vector from VIREO_INTERRUPT, or -1 */
	bool nmi_pending;
	bool shutdown;		/* a triple fault happened */

	struct vireo_pio pio;
	struct vireo_mmio mmio;

	u64 stats[VIREO_NR_STATS];

	void *vendor;		/* the backend's per-vCPU state */
};

/* ---- Core entry points used by the vendor backends --------------------- */

/* Exit handlers: return 1 to re-enter the guest, 0 to go to userspace. */
int vireo_handle_cpuid(struct vireo_vcpu *vcpu);
int vireo_handle_hlt(struct vireo_vcpu *vcpu);
int vireo_handle_hypercall(struct vireo_vcpu *vcpu);
int vireo_handle_rdmsr(struct vireo_vcpu *vcpu, u32 index);
int vireo_handle_wrmsr(struct vireo_vcpu *vcpu, u32 index, u64 data);
int vireo_handle_xsetbv(struct vireo_vcpu *vcpu, u32 index, u64 value);
bool vireo_xcr0_valid(struct vireo_vcpu *vcpu, u64 value);
int vireo_handle_shutdown(struct vireo_vcpu *vcpu);
int vireo_handle_page_fault(struct vireo_vcpu *vcpu, u64 gpa, bool write,
			    bool fetch);
int vireo_handle_fail_entry(struct vireo_vcpu *vcpu, u64 reason,
			    enum vireo_state_field field);
int vireo_handle_unknown_exit(struct vireo_vcpu *vcpu, u64 code);

/* What the backend decoded of an I/O instruction exit. */
struct vireo_io_exit {
	u16 port;
	u8 size;	/* 1, 2, 4 */
	u8 addr_size;	/* 2, 4, 8: for string forms */
	bool in;
	bool string;
	bool rep;
	int seg;	/* VIREO_SEG_* of the string source */
	unsigned long next_rip;
};
int vireo_handle_io(struct vireo_vcpu *vcpu, const struct vireo_io_exit *io);

/* Segment numbers used between core and backends. */
enum vireo_seg {
	VIREO_SEG_ES, VIREO_SEG_CS, VIREO_SEG_SS, VIREO_SEG_DS,
	VIREO_SEG_FS, VIREO_SEG_GS, VIREO_SEG_TR, VIREO_SEG_LDTR,
};

/* ---- Core services --------------------------------------------------- */

/* cpuid.c */
int vireo_cpuid_init(void);
void vireo_cpuid_exit(void);
int vireo_get_supported_cpuid(struct vireo_cpuid2 __user *arg);
int vireo_vcpu_set_cpuid2(struct vireo_vcpu *vcpu,
			  struct vireo_cpuid2 __user *arg);
int vireo_vcpu_get_cpuid2(struct vireo_vcpu *vcpu,
			  struct vireo_cpuid2 __user *arg);
const struct vireo_cpuid_entry2 *vireo_cpuid_find(struct vireo_vcpu *vcpu,
						  u32 function, u32 index);
u64 vireo_guest_supported_xcr0(struct vireo_vcpu *vcpu);
extern u64 vireo_host_xcr0;

/* msr.c */
int vireo_get_msr_index_list(struct vireo_msr_list __user *arg);
int vireo_vcpu_get_msrs(struct vireo_vcpu *vcpu, struct vireo_msrs __user *arg);
int vireo_vcpu_set_msrs(struct vireo_vcpu *vcpu, struct vireo_msrs __user *arg);
int vireo_msr_read(struct vireo_vcpu *vcpu, u32 index, u64 *data, bool host);
int vireo_msr_write(struct vireo_vcpu *vcpu, u32 index, u64 data, bool host);
void vireo_msrs_reset(struct vireo_vcpu *vcpu);
void vireo_msrs_enter_guest(struct vireo_vcpu *vcpu);
void vireo_msrs_exit_guest(struct vireo_vcpu *vcpu);

/* mmio.c: guest memory access and the MMIO/PIO paths */
int vireo_read_guest_phys(struct vireo_vm *vm, u64 gpa, void *buf,
			  unsigned int len);
int vireo_write_guest_phys(struct vireo_vm *vm, u64 gpa, const void *buf,
			   unsigned int len);
int vireo_mmio_start(struct vireo_vcpu *vcpu, u64 gpa);
int vireo_mmio_complete(struct vireo_vcpu *vcpu);
int vireo_pio_complete(struct vireo_vcpu *vcpu);

/* vm.c */
const struct vireo_memslot *vireo_find_memslot(struct vireo_memslots *slots,
					       u64 gfn);
struct vireo_memslots *vireo_memslots(struct vireo_vm *vm);
void vireo_vm_put(struct vireo_vm *vm);
long vireo_create_vm(unsigned long type);

/* vcpu.c */
int vireo_create_vcpu(struct vireo_vm *vm, unsigned long id);
void vireo_kick_vcpus_for_flush(struct vireo_vm *vm);
void vireo_set_internal_error(struct vireo_vcpu *vcpu, u32 suberror,
			      u64 data0, u64 data1);

/* main.c */
long vireo_dev_check_extension(unsigned long cap);

/*
 * The answer to an ioctl an fd does not implement.  A number outside
 * the 0xAE space is not ours at all: -ENOTTY.  One inside it gets the
 * errno KVM gives on the same kind of fd (-EINVAL on the device and
 * vCPU fds, -ENOTTY on a VM fd), so a KVM program probing it sees no
 * difference.
 */
static inline long vireo_unknown_ioctl(unsigned int cmd, long kvm_errno)
{
	return _IOC_TYPE(cmd) == VIREO_IOCTL_TYPE ? kvm_errno : -ENOTTY;
}
/* main.c: per-CPU virtualization on/off, reference counted by VMs */
int vireo_hardware_get(void);
void vireo_hardware_put(void);

/* stats.c */
void vireo_debugfs_init(void);
void vireo_debugfs_exit(void);
void vireo_vm_debugfs_add(struct vireo_vm *vm);
void vireo_vm_debugfs_remove(struct vireo_vm *vm);

/* mmu/mmu.c */
int vireo_mmu_init(struct vireo_vm *vm);
void vireo_mmu_destroy(struct vireo_vm *vm);
int vireo_mmu_map_gpa(struct vireo_vcpu *vcpu, u64 gpa, bool write,
		      bool *is_mmio);
void vireo_mmu_zap_gfn_range(struct vireo_vm *vm, u64 gfn, u64 npages);

/* Completes the instruction that exited. */
void vireo_skip_insn(struct vireo_vcpu *vcpu);

static inline void vireo_stat(struct vireo_vcpu *vcpu, enum vireo_exit_stat s)
{
	vcpu->stats[s]++;
}

#endif /* VIREO_CORE_H */
