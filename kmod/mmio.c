// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exits that the core handles the same way for every vendor: port I/O
 * and MMIO to userspace, nested page faults, HLT, hypercalls, shutdown
 * and failed entries.  Also guest memory access through the memory slots
 * and the guest's own page tables.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/trapnr.h>

#include "entry_check.h"
#include "ioeventfd.h"
#include "vireo.h"
#include "vendor.h"
#include "mmu/guest_walk.h"

#define VIREO_HYPERCALL_ENOSYS 1000

/* ---- Guest memory --------------------------------------------------- */

/* Host address of a guest page, or 0 when it is not (writable) memory. */
static unsigned long gpa_to_hva(struct vireo_vm *vm, u64 gpa, bool write)
{
	const struct vireo_memslot *slot;
	u64 gfn = gpa >> PAGE_SHIFT;

	slot = vireo_find_memslot(vireo_memslots(vm), gfn);
	if (!slot || (write && (slot->flags & VIREO_MEM_READONLY)))
		return 0;
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT) +
	       offset_in_page(gpa);
}

static int access_guest_phys(struct vireo_vm *vm, u64 gpa, void *buf,
			     unsigned int len, bool write)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gpa));
		unsigned long hva = gpa_to_hva(vm, gpa, write);
		unsigned long left;

		if (!hva)
			return -EFAULT;
		if (write)
			left = copy_to_user((void __user *)hva, buf, n);
		else
			left = copy_from_user(buf, (void __user *)hva, n);
		if (left)
			return -EFAULT;
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int vireo_read_guest_phys(struct vireo_vm *vm, u64 gpa, void *buf,
			  unsigned int len)
{
	return access_guest_phys(vm, gpa, buf, len, false);
}

int vireo_write_guest_phys(struct vireo_vm *vm, u64 gpa, const void *buf,
			   unsigned int len)
{
	return access_guest_phys(vm, gpa, (void *)buf, len, true);
}

static int walk_read_gpa(void *opaque, u64 gpa, void *buf, unsigned int size)
{
	return vireo_read_guest_phys(opaque, gpa, buf, size);
}

/*
 * Read or write guest memory by linear address.  Returns 0; -EFAULT after
 * injecting the page fault the guest would take; or -EIO when the memory
 * is not guest RAM.
 */
static int access_guest_linear(struct vireo_vcpu *vcpu, u64 la, void *buf,
			       unsigned int len, unsigned int access)
{
	struct vireo_walk_ctx ctx;

	vireo_vendor->paging_state(vcpu, &ctx);
	ctx.read_gpa = walk_read_gpa;
	ctx.opaque = vcpu->vm;
	if (vireo_vendor->get_cpl(vcpu) == 3)
		access |= VIREO_WALK_USER;

	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(la));
		u32 pf_error;
		u64 gpa;
		int ret;

		ret = vireo_guest_walk(&ctx, la, access, &gpa, &pf_error);
		if (ret == -EFAULT) {
			vireo_vendor->inject_exception(vcpu, X86_TRAP_PF, true,
						       pf_error, la);
			return -EFAULT;
		}
		if (ret)
			return -EIO;
		ret = access_guest_phys(vcpu->vm, gpa, buf, n,
					access & VIREO_WALK_WRITE);
		if (ret)
			return -EIO;
		la += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* ---- Port I/O ------------------------------------------------------- */

static u64 addr_mask(u8 addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* Write the low addr_size bytes of a register the way the CPU does. */
static void set_reg_masked(u64 *reg, u64 value, u8 addr_size)
{
	if (addr_size == 2)
		*reg = (*reg & ~0xffffULL) | (value & 0xffff);
	else
		*reg = value & addr_mask(addr_size);
}

/* Elements of a string op that stay inside the first page touched. */
static u32 elements_in_page(u64 la, u8 size, bool down)
{
	u32 off = offset_in_page(la);

	if (off + size > PAGE_SIZE)
		return 1;
	return down ? off / size + 1 : (PAGE_SIZE - off) / size;
}

/* Advance RSI/RDI and RCX after count elements; true when the op is done. */
static bool string_op_advance(struct vireo_vcpu *vcpu, int index_reg,
			      u32 count)
{
	struct vireo_pio *pio = &vcpu->pio;
	u64 *g = vcpu->regs.gpr;
	s64 step = (vcpu->regs.rflags & X86_EFLAGS_DF) ? -pio->size : pio->size;
	u64 mask = addr_mask(pio->addr_size);

	set_reg_masked(&g[index_reg], g[index_reg] + step * count,
		       pio->addr_size);
	if (!pio->rep)
		return true;
	set_reg_masked(&g[VIREO_RCX], (g[VIREO_RCX] & mask) - count,
		       pio->addr_size);
	return (g[VIREO_RCX] & mask) == 0;
}

static u64 string_op_address(struct vireo_vcpu *vcpu, int index_reg, u32 i)
{
	struct vireo_pio *pio = &vcpu->pio;
	s64 step = (vcpu->regs.rflags & X86_EFLAGS_DF) ? -pio->size : pio->size;
	u64 la = vireo_vendor->segment_base(vcpu, pio->seg) +
		 ((vcpu->regs.gpr[index_reg] + step * i) &
		  addr_mask(pio->addr_size));

	return vireo_vendor->cpu_mode(vcpu) == VIREO_MODE_LONG64 ?
		la : (u32)la;
}

/* How many elements one exit moves: bounded by RCX, the page, the buffer. */
static u32 string_op_count(struct vireo_vcpu *vcpu, int index_reg)
{
	struct vireo_pio *pio = &vcpu->pio;
	u64 want = pio->rep ? vcpu->regs.gpr[VIREO_RCX] &
				      addr_mask(pio->addr_size) : 1;
	u32 fit = PAGE_SIZE / pio->size;

	fit = min(fit, elements_in_page(string_op_address(vcpu, index_reg, 0),
					pio->size,
					vcpu->regs.rflags & X86_EFLAGS_DF));
	return min_t(u64, want, fit);
}

/* How many leading elements of the gathered OUTS data ioeventfds took. */
static u32 pio_string_ioeventfd(struct vireo_vcpu *vcpu)
{
	struct vireo_pio *pio = &vcpu->pio;
	u32 n = 0;

	while (n < pio->count &&
	       vireo_ioeventfd_write(vcpu->vm, true, pio->port, pio->size,
				     vcpu->pio_data + n * pio->size))
		n++;
	vcpu->stats[VIREO_STAT_IOEVENTFD] += n;
	return n;
}

/*
 * Returns 1 to re-enter the guest: it takes a page fault, or ioeventfds
 * took the first elements (the rest, if any, exit when the guest runs the
 * instruction again); 0 to exit to userspace with the data.
 */
static int pio_string_out(struct vireo_vcpu *vcpu)
{
	struct vireo_pio *pio = &vcpu->pio;
	u32 i, done;
	int ret;

	for (i = 0; i < pio->count; i++) {
		ret = access_guest_linear(vcpu,
			string_op_address(vcpu, VIREO_RSI, i),
			vcpu->pio_data + i * pio->size, pio->size, 0);
		if (ret == -EFAULT)
			return 1;	/* the guest takes its page fault */
		if (ret) {
			vireo_set_internal_error(vcpu,
				VIREO_INTERNAL_ERROR_EMULATION, vcpu->regs.rip,
				string_op_address(vcpu, VIREO_RSI, i));
			return 0;
		}
	}
	done = pio_string_ioeventfd(vcpu);
	if (string_op_advance(vcpu, VIREO_RSI, done ? done : pio->count))
		vireo_skip_insn(vcpu);
	return done ? 1 : 0;
}

int vireo_handle_io(struct vireo_vcpu *vcpu, const struct vireo_io_exit *io)
{
	struct vireo_run *run = vcpu->run;
	struct vireo_pio *pio = &vcpu->pio;
	int index_reg = io->in ? VIREO_RDI : VIREO_RSI;

	vireo_stat(vcpu, VIREO_STAT_IO);
	*pio = (struct vireo_pio){
		.string = io->string, .size = io->size,
		.addr_size = io->addr_size, .port = io->port,
		.seg = io->in ? VIREO_SEG_ES : io->seg, .rep = io->rep,
		.count = 1,
	};
	vcpu->next_rip = io->next_rip;

	if (!io->in && !io->string &&
	    vireo_ioeventfd_write(vcpu->vm, true, io->port, io->size,
				  &vcpu->regs.gpr[VIREO_RAX])) {
		vireo_stat(vcpu, VIREO_STAT_IOEVENTFD);
		vireo_skip_insn(vcpu);
		return 1;
	}

	run->exit_reason = VIREO_EXIT_IO;
	run->io.direction = io->in ? VIREO_EXIT_IO_IN : VIREO_EXIT_IO_OUT;
	run->io.size = io->size;
	run->io.port = io->port;
	run->io.data_offset = VIREO_PIO_PAGE_OFFSET * PAGE_SIZE;

	if (!io->string) {
		run->io.count = 1;
		if (io->in)
			pio->pending = true;
		else
			memcpy(vcpu->pio_data, &vcpu->regs.gpr[VIREO_RAX],
			       io->size);
		vireo_skip_insn(vcpu);
		return 0;
	}

	pio->count = string_op_count(vcpu, index_reg);
	if (!pio->count) {		/* REP with RCX == 0 */
		vireo_skip_insn(vcpu);
		return 1;
	}
	run->io.count = pio->count;
	if (!io->in)
		return pio_string_out(vcpu) ? 1 : 0;

	/* Make sure the destination can be written before asking. */
	if (access_guest_linear(vcpu, string_op_address(vcpu, VIREO_RDI, 0),
				vcpu->pio_data, pio->size, 0) == -EFAULT)
		return 1;
	pio->pending = true;
	return 0;
}

/* Finish an IN once userspace has put the data in the I/O page. */
int vireo_pio_complete(struct vireo_vcpu *vcpu)
{
	struct vireo_pio *pio = &vcpu->pio;
	u64 *rax = &vcpu->regs.gpr[VIREO_RAX];
	u32 i;

	pio->pending = false;
	if (!pio->string) {
		if (pio->size == 4)
			*rax = 0;	/* 32-bit writes zero the upper half */
		memcpy(rax, vcpu->pio_data, pio->size);
		return 1;
	}
	for (i = 0; i < pio->count; i++) {
		int ret = access_guest_linear(vcpu,
			string_op_address(vcpu, VIREO_RDI, i),
			vcpu->pio_data + i * pio->size, pio->size,
			VIREO_WALK_WRITE);

		if (ret == -EFAULT)
			return 1;
		if (ret) {
			vireo_set_internal_error(vcpu,
				VIREO_INTERNAL_ERROR_EMULATION, vcpu->regs.rip,
				string_op_address(vcpu, VIREO_RDI, i));
			return 0;
		}
	}
	if (string_op_advance(vcpu, VIREO_RDI, pio->count))
		vireo_skip_insn(vcpu);
	return 1;
}

/* ---- MMIO --------------------------------------------------------- */

/*
 * Writes an ioeventfd takes complete here, and the instruction goes on.
 * Returns 1 when that finished the instruction, 0 when op is an access
 * for userspace, -errno when the emulator failed.
 */
static int mmio_ioeventfd(struct vireo_vcpu *vcpu)
{
	struct vireo_mmio *m = &vcpu->mmio;
	int ret;

	while (m->op.is_write &&
	       vireo_ioeventfd_write(vcpu->vm, false, m->gpa, m->op.len,
				     m->op.data)) {
		vireo_stat(vcpu, VIREO_STAT_IOEVENTFD);
		ret = vireo_insn_continue(&m->insn, &vcpu->regs, &m->op);
		if (ret != VIREO_EMUL_MORE)
			return ret < 0 ? ret : 1;
	}
	return 0;
}

/*
 * Hand the pending memory operation of the MMIO instruction to userspace,
 * unless an ioeventfd takes it.  Returns 1 to re-enter the guest.
 */
static int mmio_exit_to_user(struct vireo_vcpu *vcpu)
{
	struct vireo_mmio *m = &vcpu->mmio;
	struct vireo_run *run = vcpu->run;
	int ret;

	ret = mmio_ioeventfd(vcpu);
	if (ret) {
		m->pending = false;
		if (ret < 0)
			vireo_set_internal_error(vcpu,
				VIREO_INTERNAL_ERROR_EMULATION,
				vcpu->regs.rip, m->gpa);
		return ret > 0;
	}
	run->exit_reason = VIREO_EXIT_MMIO;
	run->mmio.phys_addr = m->gpa;
	run->mmio.len = m->op.len;
	run->mmio.is_write = m->op.is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (!m->op.is_write) {
		m->pending = true;
		return 0;
	}
	memcpy(run->mmio.data, m->op.data, m->op.len);
	/* A write needs nothing back: retire the instruction now. */
	ret = vireo_insn_continue(&m->insn, &vcpu->regs, &m->op);
	m->pending = ret == VIREO_EMUL_MORE;
	if (ret < 0)
		vireo_set_internal_error(vcpu, VIREO_INTERNAL_ERROR_EMULATION,
					 vcpu->regs.rip, m->gpa);
	return 0;
}

/* The linear address of the instruction at RIP. */
static u64 insn_linear(struct vireo_vcpu *vcpu)
{
	u64 la = vireo_vendor->segment_base(vcpu, VIREO_SEG_CS) +
		 vcpu->regs.rip;

	if (vireo_vendor->cpu_mode(vcpu) != VIREO_MODE_LONG64)
		la = (u32)la;
	return la;
}

static int fetch_instruction(struct vireo_vcpu *vcpu, u8 *bytes)
{
	u64 la = insn_linear(vcpu);
	unsigned int first;
	int ret;

	/* The rest of the page always; the next page only if readable. */
	first = min_t(unsigned int, VIREO_MAX_INSN_LEN,
		      PAGE_SIZE - offset_in_page(la));
	ret = access_guest_linear(vcpu, la, bytes, first, VIREO_WALK_FETCH);
	if (ret)
		return ret;
	if (first < VIREO_MAX_INSN_LEN) {
		struct vireo_walk_ctx ctx;
		u32 err;
		u64 gpa;

		vireo_vendor->paging_state(vcpu, &ctx);
		ctx.read_gpa = walk_read_gpa;
		ctx.opaque = vcpu->vm;
		if (vireo_guest_walk(&ctx, la + first, VIREO_WALK_FETCH, &gpa,
				     &err) ||
		    vireo_read_guest_phys(vcpu->vm, gpa, bytes + first,
					  VIREO_MAX_INSN_LEN - first))
			return first;
	}
	return VIREO_MAX_INSN_LEN;
}

/* The reads of one page walk, for the message when a fetch fails. */
struct walk_trace {
	struct vireo_vm *vm;
	unsigned int n;
	u64 gpa[5], entry[5];
	int ret[5];
};

static int traced_read_gpa(void *opaque, u64 gpa, void *buf,
			   unsigned int size)
{
	struct walk_trace *t = opaque;
	int ret = vireo_read_guest_phys(t->vm, gpa, buf, size);

	if (t->n < ARRAY_SIZE(t->gpa)) {
		t->gpa[t->n] = gpa;
		t->entry[t->n] = 0;
		if (!ret)
			memcpy(&t->entry[t->n], buf, min_t(unsigned int, size, 8));
		t->ret[t->n++] = ret;
	}
	return ret;
}

/*
 * The instruction that touched MMIO could not be read (not a page fault:
 * its walk or its bytes left guest RAM).  Say what the walk saw, once in
 * a while, as that should never happen with a sane guest state.
 */
static void report_fetch_failure(struct vireo_vcpu *vcpu, u64 mmio_gpa,
				 int err)
{
	struct walk_trace t = { .vm = vcpu->vm };
	unsigned int access = VIREO_WALK_FETCH;
	struct vireo_walk_ctx ctx;
	u64 gpa = 0;
	u32 pf;
	int ret;

	vireo_vendor->paging_state(vcpu, &ctx);
	ctx.read_gpa = traced_read_gpa;
	ctx.opaque = &t;
	if (vireo_vendor->get_cpl(vcpu) == 3)
		access |= VIREO_WALK_USER;	/* as access_guest_linear() */
	ret = vireo_guest_walk(&ctx, insn_linear(vcpu), access, &gpa, &pf);
	pr_warn_ratelimited("vireo: cannot fetch the instruction at RIP %#llx that touched GPA %#llx (error %d): CR0 %#llx CR3 %#llx CR4 %#llx EFER %#llx, walk %d to GPA %#llx; tables read: %#llx=%#llx (%d) %#llx=%#llx (%d) %#llx=%#llx (%d) %#llx=%#llx (%d)\n",
			    vcpu->regs.rip, mmio_gpa, err, ctx.cr0, ctx.cr3, ctx.cr4,
			    ctx.efer, ret, gpa, t.gpa[0], t.entry[0], t.ret[0],
			    t.gpa[1], t.entry[1], t.ret[1], t.gpa[2], t.entry[2],
			    t.ret[2], t.gpa[3], t.entry[3], t.ret[3]);
}

int vireo_mmio_start(struct vireo_vcpu *vcpu, u64 gpa)
{
	struct vireo_mmio *m = &vcpu->mmio;
	u8 bytes[VIREO_MAX_INSN_LEN] = { 0 };
	int n, ret;

	vireo_stat(vcpu, VIREO_STAT_MMIO);
	n = fetch_instruction(vcpu, bytes);
	if (n == -EFAULT)
		return 1;	/* fetch faulted: the guest takes its #PF */
	if (n < 0)
		report_fetch_failure(vcpu, gpa, n);
	m->gpa = gpa;
	ret = n < 0 ? n : vireo_insn_decode(&m->insn, bytes, n,
					    vireo_vendor->cpu_mode(vcpu));
	if (!ret)
		ret = vireo_insn_begin(&m->insn, &vcpu->regs, &m->op);
	if (ret < 0) {
		u64 head;

		memcpy(&head, bytes, sizeof(head));
		vireo_set_internal_error(vcpu, VIREO_INTERNAL_ERROR_EMULATION,
					 vcpu->regs.rip, head);
		return 0;
	}
	return mmio_exit_to_user(vcpu);
}

/* Finish a read (or continue after a write) once userspace answered. */
int vireo_mmio_complete(struct vireo_vcpu *vcpu)
{
	struct vireo_mmio *m = &vcpu->mmio;
	int ret;

	m->pending = false;
	if (!m->op.is_write) {
		memcpy(m->op.data, vcpu->run->mmio.data, m->op.len);
		ret = vireo_insn_continue(&m->insn, &vcpu->regs, &m->op);
	} else {
		ret = VIREO_EMUL_MORE;	/* the op after a write is ready */
	}
	if (ret < 0) {
		vireo_set_internal_error(vcpu, VIREO_INTERNAL_ERROR_EMULATION,
					 vcpu->regs.rip, m->gpa);
		return 0;
	}
	if (ret == VIREO_EMUL_MORE)
		return mmio_exit_to_user(vcpu);
	return 1;
}

/* ---- Other neutral exits ------------------------------------------- */

int vireo_handle_page_fault(struct vireo_vcpu *vcpu, u64 gpa, bool write,
			    bool fetch)
{
	bool is_mmio = false;
	int ret;

	vireo_stat(vcpu, VIREO_STAT_NPF);
	ret = vireo_mmu_map_gpa(vcpu, gpa, write, &is_mmio);
	if (ret < 0)
		return ret;
	if (!is_mmio)
		return 1;
	if (fetch) {
		vireo_set_internal_error(vcpu, VIREO_INTERNAL_ERROR_EMULATION,
					 vcpu->regs.rip, gpa);
		return 0;
	}
	return vireo_mmio_start(vcpu, gpa);
}

int vireo_handle_hlt(struct vireo_vcpu *vcpu)
{
	vireo_stat(vcpu, VIREO_STAT_HLT);
	vireo_skip_insn(vcpu);
	vcpu->run->exit_reason = VIREO_EXIT_HLT;
	return 0;
}

/* No hypercalls are defined yet: every one fails with ENOSYS. */
int vireo_handle_hypercall(struct vireo_vcpu *vcpu)
{
	vireo_stat(vcpu, VIREO_STAT_HYPERCALL);
	vcpu->regs.gpr[VIREO_RAX] = (u64)-VIREO_HYPERCALL_ENOSYS;
	vireo_skip_insn(vcpu);
	return 1;
}

int vireo_handle_shutdown(struct vireo_vcpu *vcpu)
{
	vcpu->run->exit_reason = VIREO_EXIT_SHUTDOWN;
	return 0;
}

/*
 * The hardware refused the entry; field names the part of the guest
 * state the backend found inconsistent (see entry_check.h), or is 0.
 */
int vireo_handle_fail_entry(struct vireo_vcpu *vcpu, u64 reason,
			    enum vireo_state_field field)
{
	pr_warn_ratelimited("vireo: VM entry failed on CPU %d: hardware reason %#llx, inconsistent guest state: %s\n",
			    vcpu->cpu, reason, vireo_state_field_name(field));
	vcpu->run->exit_reason = VIREO_EXIT_FAIL_ENTRY;
	vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
	vcpu->run->fail_entry.cpu = vcpu->cpu;
	vcpu->run->fail_entry.state_field = field;
	return 0;
}

int vireo_handle_unknown_exit(struct vireo_vcpu *vcpu, u64 code)
{
	vireo_stat(vcpu, VIREO_STAT_OTHER);
	vireo_set_internal_error(vcpu,
				 VIREO_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				 code, vcpu->cpu);
	return 0;
}
