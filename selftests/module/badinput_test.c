// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bad input: every ioctl given a bad pointer, bad flags, sizes, ids or
 * numbers fails with the errno KVM gives for the same call, and nothing
 * is left behind.  Also the file descriptors closed in every order, and a
 * VM or vCPU fd used from another process.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm.h"

SNIPPET(touch_pages);

/* An ioctl number that no fd kind knows. */
#define UNKNOWN_IOCTL _IO(VIREO_IOCTL_TYPE, 0xff)
/* A terminal ioctl (TCGETS), from outside the 0xAE space. */
#define FOREIGN_IOCTL 0x5401

/* An address with nothing mapped: a page mapped and unmapped again. */
static void *unmapped_address(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return (void *)8;
	munmap(p, 4096);
	return p;
}

static int set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, uint64_t uaddr)
{
	struct vireo_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = uaddr,
	};

	return ioctl(vm_fd, VIREO_SET_USER_MEMORY_REGION, &r);
}

/* A VM without memory and its fds, for the ioctls that need no guest. */
FIXTURE(bare) {
	int dev, vm, vcpu;
	uint8_t *mem;
};

#define BARE_MEM (1 << 20)

FIXTURE_SETUP(bare)
{
	self->dev = vm_open_device();
	self->vm = ioctl(self->dev, VIREO_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	self->vcpu = ioctl(self->vm, VIREO_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu);
	self->mem = mmap(NULL, BARE_MEM, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(bare)
{
	close(self->vcpu);
	close(self->vm);
	close(self->dev);
	munmap(self->mem, BARE_MEM);
}

#define ASSERT_ERRNO(err, call) do {					\
	errno = 0;							\
	ASSERT_EQ(-1, (call));						\
	ASSERT_EQ(err, errno);						\
} while (0)

/* Every ioctl that reads or writes a struct, given an unmapped one. */
TEST_F(bare, bad_pointer_efault)
{
	void *bad = unmapped_address();

	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_SET_REGS, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_GET_REGS, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_SET_SREGS, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_GET_SREGS, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_SET_FPU, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_GET_FPU, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_SET_MSRS, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_GET_MSRS, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_SET_CPUID2, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_INTERRUPT, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->vm, VIREO_SET_USER_MEMORY_REGION,
				   bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->dev, VIREO_GET_SUPPORTED_CPUID, bad));
	ASSERT_ERRNO(EFAULT, ioctl(self->dev, VIREO_GET_MSR_INDEX_LIST, bad));
}

/* The header is readable but the entries behind it are not. */
TEST_F(bare, bad_array_efault)
{
	size_t page = 4096;
	uint8_t *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vireo_msrs *m;
	struct vireo_cpuid2 *c;

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + page, page));
	/* The headers end exactly at the end of the readable page. */
	m = (struct vireo_msrs *)(two + page - sizeof(*m));
	m->nmsrs = 2;
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_SET_MSRS, m));
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_GET_MSRS, m));
	c = (struct vireo_cpuid2 *)(two + page - sizeof(*c));
	c->nent = 2;
	ASSERT_ERRNO(EFAULT, ioctl(self->vcpu, VIREO_SET_CPUID2, c));
	munmap(two, page);
}

TEST_F(bare, memslot_bad_alignment)
{
	uint64_t host = (uintptr_t)self->mem;

	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0x800, 4096, host));
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0, 4096 + 512, host));
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0, 4096, host + 16));
	/* None of them created the slot: it can be added properly now. */
	ASSERT_EQ(0, set_region(self->vm, 0, 0, 0, 4096, host));
}

TEST_F(bare, memslot_bad_flags)
{
	uint64_t host = (uintptr_t)self->mem;

	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 1u << 7, 0, 4096, host));
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 1u << 31, 0, 4096, host));
}

TEST_F(bare, memslot_bad_slot)
{
	uint64_t host = (uintptr_t)self->mem;
	int n = ioctl(self->dev, VIREO_CHECK_EXTENSION, VIREO_CAP_NR_MEMSLOTS);

	ASSERT_LT(0, n);
	ASSERT_ERRNO(EINVAL, set_region(self->vm, n, 0, 0, 4096, host));
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0xffff, 0, 0, 4096, host));
	/* Address space 2 exists nowhere (KVM has 0 and, on x86, 1: SMM). */
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 2u << 16, 0, 0, 4096, host));
	/* The highest slot number works. */
	ASSERT_EQ(0, set_region(self->vm, n - 1, 0, 0, 4096, host));
}

/* Host memory that is not user memory; wrapping guest ranges. */
TEST_F(bare, memslot_bad_range)
{
	uint64_t host = (uintptr_t)self->mem;

	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0, 4096,
					0xffff888000000000ULL));
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 0, ~0xfffULL, 8192, host));
}

TEST_F(bare, memslot_delete_missing)
{
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 3, 0, 0, 0, 0));
}

TEST_F(bare, memslot_overlap)
{
	uint64_t host = (uintptr_t)self->mem;

	ASSERT_EQ(0, set_region(self->vm, 0, 0, 0x10000, 0x10000, host));
	/* Overlapping the start, the end, inside, around. */
	ASSERT_ERRNO(EEXIST, set_region(self->vm, 1, 0, 0x8000, 0x10000,
					host + 0x10000));
	ASSERT_ERRNO(EEXIST, set_region(self->vm, 1, 0, 0x1f000, 0x2000,
					host + 0x10000));
	ASSERT_ERRNO(EEXIST, set_region(self->vm, 1, 0, 0x14000, 0x1000,
					host + 0x10000));
	ASSERT_ERRNO(EEXIST, set_region(self->vm, 1, 0, 0, 0x40000,
					host + 0x40000));
	/* Touching on either side is fine. */
	ASSERT_EQ(0, set_region(self->vm, 1, 0, 0x20000, 0x1000,
				host + 0x20000));
	ASSERT_EQ(0, set_region(self->vm, 2, 0, 0xf000, 0x1000,
				host + 0x30000));
	/* Moving a slot onto another overlaps too. */
	ASSERT_ERRNO(EEXIST, set_region(self->vm, 1, 0, 0x10000, 0x1000,
					host + 0x20000));
}

/* An existing slot keeps its size, host address and READONLY flag. */
TEST_F(bare, memslot_bad_change)
{
	uint64_t host = (uintptr_t)self->mem;

	ASSERT_EQ(0, set_region(self->vm, 0, 0, 0x10000, 0x10000, host));
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0x10000, 0x20000, host));
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0x10000, 0x10000,
					host + 0x10000));
	ASSERT_ERRNO(EINVAL, set_region(self->vm, 0, VIREO_MEM_READONLY,
					0x10000, 0x10000, host));
	/* The same again is accepted, and so is deleting it. */
	ASSERT_EQ(0, set_region(self->vm, 0, 0, 0x10000, 0x10000, host));
	ASSERT_EQ(0, set_region(self->vm, 0, 0, 0x10000, 0, host));
}

TEST_F(bare, vcpu_duplicate_id)
{
	int v;

	ASSERT_ERRNO(EEXIST, ioctl(self->vm, VIREO_CREATE_VCPU, 0));
	v = ioctl(self->vm, VIREO_CREATE_VCPU, 1);
	ASSERT_LE(0, v);
	ASSERT_ERRNO(EEXIST, ioctl(self->vm, VIREO_CREATE_VCPU, 1));
	close(v);
}

TEST_F(bare, vcpu_id_too_large)
{
	int max = ioctl(self->dev, VIREO_CHECK_EXTENSION,
			VIREO_CAP_MAX_VCPU_ID);

	ASSERT_LT(0, max);
	ASSERT_ERRNO(EINVAL, ioctl(self->vm, VIREO_CREATE_VCPU, max));
	ASSERT_ERRNO(EINVAL, ioctl(self->vm, VIREO_CREATE_VCPU, -1));
}

TEST(create_vm_bad_type)
{
	int dev = vm_open_device();

	ASSERT_ERRNO(EINVAL, ioctl(dev, VIREO_CREATE_VM, 1));
	ASSERT_ERRNO(EINVAL, ioctl(dev, VIREO_CREATE_VM, 0x80000000UL));
	close(dev);
}

/*
 * An ioctl number no fd knows.  KVM on x86 answers ENOTTY only on a VM
 * fd: its device and vCPU fds answer EINVAL (their catch-all cases in
 * virt/kvm and arch/x86/kvm), and vireo gives the same answers inside
 * the 0xAE number space.  A number from another space (a terminal's
 * TCGETS, as isatty() sends) is ENOTTY on every vireo fd; KVM answers
 * EINVAL there too, so on /dev/kvm that half expects KVM's answer.
 */
static bool on_kvm(void)
{
	return strstr(vm_device(), "kvm") != NULL;
}

TEST_F(bare, unknown_ioctl_dev)
{
	ASSERT_ERRNO(EINVAL, ioctl(self->dev, UNKNOWN_IOCTL, 0));
	ASSERT_ERRNO(on_kvm() ? EINVAL : ENOTTY,
		     ioctl(self->dev, FOREIGN_IOCTL, 0));
}

TEST_F(bare, unknown_ioctl_vm)
{
	ASSERT_ERRNO(ENOTTY, ioctl(self->vm, UNKNOWN_IOCTL, 0));
	ASSERT_ERRNO(ENOTTY, ioctl(self->vm, FOREIGN_IOCTL, 0));
}

TEST_F(bare, unknown_ioctl_vcpu)
{
	ASSERT_ERRNO(EINVAL, ioctl(self->vcpu, UNKNOWN_IOCTL, 0));
	ASSERT_ERRNO(on_kvm() ? EINVAL : ENOTTY,
		     ioctl(self->vcpu, FOREIGN_IOCTL, 0));
}

TEST_F(bare, cpuid_too_many_entries)
{
	size_t n = VIREO_MAX_CPUID_ENTRIES + 1;
	struct vireo_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	unsigned int i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < n; i++)
		c->entries[i].function = 0x40000000 + i;
	c->nent = n;
	ASSERT_ERRNO(E2BIG, ioctl(self->vcpu, VIREO_SET_CPUID2, c));
	c->nent = 100000;
	ASSERT_ERRNO(E2BIG, ioctl(self->vcpu, VIREO_SET_CPUID2, c));
	/* The maximum itself is accepted. */
	c->nent = n - 1;
	ASSERT_EQ(0, ioctl(self->vcpu, VIREO_SET_CPUID2, c));
	free(c);
}

TEST_F(bare, supported_cpuid_too_small)
{
	struct {
		struct vireo_cpuid2 hdr;
		struct vireo_cpuid_entry2 e[2];
	} c = { .hdr.nent = 2 };

	ASSERT_ERRNO(E2BIG, ioctl(self->dev, VIREO_GET_SUPPORTED_CPUID, &c));
	c.hdr.nent = 0;
	ASSERT_ERRNO(E2BIG, ioctl(self->dev, VIREO_GET_SUPPORTED_CPUID, &c));
}

/*
 * KVM refuses 256 MSRs or more in one call (its limit is "nmsrs <
 * 256"), so 256 is the first count that must fail.
 */
TEST_F(bare, msrs_too_many)
{
	size_t n = 256;
	struct vireo_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	unsigned int i;

	ASSERT_NE(NULL, m);
	for (i = 0; i < n; i++)
		m->entries[i].index = 0x174;
	m->nmsrs = n;
	ASSERT_ERRNO(E2BIG, ioctl(self->vcpu, VIREO_GET_MSRS, m));
	ASSERT_ERRNO(E2BIG, ioctl(self->vcpu, VIREO_SET_MSRS, m));
	m->nmsrs = 0x7fffffff;
	ASSERT_ERRNO(E2BIG, ioctl(self->vcpu, VIREO_GET_MSRS, m));
	m->nmsrs = 0;
	ASSERT_EQ(0, ioctl(self->vcpu, VIREO_GET_MSRS, m));
	free(m);
}

TEST_F(bare, msr_index_list_too_small)
{
	struct vireo_msr_list l = { .nmsrs = 0 };

	ASSERT_ERRNO(E2BIG, ioctl(self->dev, VIREO_GET_MSR_INDEX_LIST, &l));
	ASSERT_LT(0, l.nmsrs);
}

TEST_F(bare, run_with_argument)
{
	ASSERT_ERRNO(EINVAL, ioctl(self->vcpu, VIREO_RUN, 1));
}

TEST_F(bare, interrupt_bad_vector)
{
	struct vireo_interrupt irq = { .irq = VIREO_NR_INTERRUPTS };

	ASSERT_ERRNO(EINVAL, ioctl(self->vcpu, VIREO_INTERRUPT, &irq));
	irq.irq = 0xffffffff;
	ASSERT_ERRNO(EINVAL, ioctl(self->vcpu, VIREO_INTERRUPT, &irq));
}

/* Invalid register states SET_SREGS refuses, each from a good state. */
static const struct bad_sregs {
	const char *what;
	uint64_t cr0_set, cr0_clear, cr4_set, cr4_clear, efer;
} bad_sregs[] = {
	{ "CR0.PG without CR0.PE", 0x80000000, 1, 0, 0, 0 },
	{ "long mode without CR4.PAE", 0x80000001, 0, 0, 0x20, 0x500 },
	{ "EFER.LMA without LME and paging", 0, 0, 0, 0, 0x400 },
	{ "EFER.LME|LMA without paging", 0, 0x80000000, 0x20, 0, 0x500 },
	{ "reserved CR4 bit 31", 0, 0, 1ULL << 31, 0, 0 },
};

TEST_F(bare, sregs_invalid)
{
	struct vireo_sregs good, s;
	unsigned int i;

	ASSERT_EQ(0, ioctl(self->vcpu, VIREO_GET_SREGS, &good));
	for (i = 0; i < sizeof(bad_sregs) / sizeof(bad_sregs[0]); i++) {
		const struct bad_sregs *b = &bad_sregs[i];

		s = good;
		s.cr0 = (s.cr0 | b->cr0_set) & ~b->cr0_clear;
		s.cr4 = (s.cr4 | b->cr4_set) & ~b->cr4_clear;
		s.efer |= b->efer;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->vcpu, VIREO_SET_SREGS, &s))
			TH_LOG("%s: accepted", b->what);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s", b->what);
		/* Accepted or not, start the next case from the good state. */
		ASSERT_EQ(0, ioctl(self->vcpu, VIREO_SET_SREGS, &good));
	}
	/* A refused state leaves the vCPU as it was. */
	s = good;
	s.cr4 |= 1ULL << 31;
	ASSERT_EQ(-1, ioctl(self->vcpu, VIREO_SET_SREGS, &s));
	ASSERT_EQ(0, ioctl(self->vcpu, VIREO_GET_SREGS, &s));
	ASSERT_EQ(good.cr0, s.cr0);
	ASSERT_EQ(good.cr4, s.cr4);
	ASSERT_EQ(good.efer, s.efer);
}

/* A forked child may not use its parent's VM: EIO on both fd kinds. */
TEST_F(bare, other_process_eio)
{
	struct vireo_regs r;
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int bad = 0;

		if (ioctl(self->vcpu, VIREO_GET_REGS, &r) != -1 || errno != EIO)
			bad |= 1;
		if (ioctl(self->vm, VIREO_CREATE_VCPU, 5) != -1 || errno != EIO)
			bad |= 2;
		if (ioctl(self->vcpu, VIREO_RUN, 0) != -1 || errno != EIO)
			bad |= 4;
		/* The device fd itself is not tied to a process. */
		if (ioctl(self->dev, VIREO_GET_API_VERSION, 0) != VIREO_API_VERSION)
			bad |= 8;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The parent still can. */
	ASSERT_EQ(0, ioctl(self->vcpu, VIREO_GET_REGS, &r));
}

/* ---- Closing the fds in every order ---------------------------------- */

enum closer { C_DEV, C_VM, C_VCPU, C_RUN };

FIXTURE(close_order) {
	int unused;
};

FIXTURE_VARIANT(close_order) {
	enum closer order[4];
};

FIXTURE_VARIANT_ADD(close_order, vcpu_vm_dev) {
	.order = { C_VCPU, C_RUN, C_VM, C_DEV } };
FIXTURE_VARIANT_ADD(close_order, vm_vcpu_dev) {
	.order = { C_VM, C_VCPU, C_RUN, C_DEV } };
FIXTURE_VARIANT_ADD(close_order, dev_vm_vcpu) {
	.order = { C_DEV, C_VM, C_VCPU, C_RUN } };
FIXTURE_VARIANT_ADD(close_order, dev_vcpu_vm) {
	.order = { C_DEV, C_VCPU, C_RUN, C_VM } };
FIXTURE_VARIANT_ADD(close_order, run_page_last) {
	.order = { C_VCPU, C_VM, C_DEV, C_RUN } };

FIXTURE_SETUP(close_order)
{
}

FIXTURE_TEARDOWN(close_order)
{
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#define CLOSE_WARMUP 5
#define CLOSE_CYCLES 25		/* $VIREO_CLOSE_CYCLES to change */
/*
 * 25 VMs with 2 MiB of touched guest memory each: leaked guests would
 * cost 50 MiB.  Up to 4.3 MiB of noise was seen with kvm_amd under TCG;
 * a leaked VM object is caught by its debugfs entry instead.
 */
#define CLOSE_MARGIN_KIB 8192

/*
 * Each cycle creates a VM whose guest touches 2 MiB, then closes the fds
 * (and unmaps the run page) in the variant's order; a few cycles first
 * warm the kernel's caches up.  What is still open
 * keeps working: after the VM or the device fd is closed, the vCPU still
 * runs its guest.  Afterwards no fd and no VM (by the per-VM debugfs
 * entries) is left and the host's available memory has come back.
 */
TEST_F(close_order, cycles)
{
	const char *env = getenv("VIREO_CLOSE_CYCLES");
	int cycles = env ? atoi(env) : CLOSE_CYCLES;
	long before = 0, after;
	int fds = count_fds();
	int c, i, vms;

	for (c = -CLOSE_WARMUP; c < cycles; c++) {
		struct vm vm;
		struct vireo_regs r = { .rflags = 2, .rip = CODE_GPA,
					.rsp = STACK_TOP, .rdi = 3 << 20 };
		bool vcpu_open = true, run_mapped = true;

		vm_create(&vm, 3 << 20);
		vm_set_mode(&vm, MODE_LONG64);
		vm_load(&vm, touch_pages_start, SNIPPET_LEN(touch_pages));
		ASSERT_EQ(0, ioctl(vm.vcpu, VIREO_SET_REGS, &r));
		ASSERT_EQ(0, vm_run(&vm));
		ASSERT_EQ(VIREO_EXIT_HLT, vm.run->exit_reason);
		vms = vm_debugfs_count();
		if (vms >= 0)	/* the count sees this VM */
			ASSERT_EQ(1, vms);
		for (i = 0; i < 4; i++) {
			switch (variant->order[i]) {
			case C_DEV:
				ASSERT_EQ(0, close(vm.dev));
				break;
			case C_VM:
				ASSERT_EQ(0, close(vm.fd));
				break;
			case C_VCPU:
				ASSERT_EQ(0, close(vm.vcpu));
				vcpu_open = false;
				break;
			case C_RUN:
				ASSERT_EQ(0, munmap(vm.run, vm.run_size));
				run_mapped = false;
				break;
			}
			if (!vcpu_open || !run_mapped)
				continue;
			/* What is left still works: run the guest again. */
			vm.run->exit_reason = VIREO_EXIT_UNKNOWN;
			ASSERT_EQ(0, ioctl(vm.vcpu, VIREO_SET_REGS, &r));
			ASSERT_EQ(0, vm_run(&vm));
			ASSERT_EQ(VIREO_EXIT_HLT, vm.run->exit_reason);
		}
		munmap(vm.mem, vm.mem_size);
		if (c == -1) {	/* the kernel's caches have grown by now */
			mem_settle();
			before = mem_available_kib();
		}
	}
	ASSERT_EQ(fds, count_fds());
	/* Every VM is gone: none of this process's debugfs entries is left. */
	vms = vm_debugfs_count();
	if (vms < 0)
		TH_LOG("no debugfs: the VM count is not checked");
	else
		ASSERT_EQ(0, vms);
	/* Freeing may lag behind the close (RCU, work queues). */
	for (i = 0; i < 20; i++) {
		mem_settle();
		after = mem_available_kib();
		if (before - after < CLOSE_MARGIN_KIB)
			break;
		usleep(500000);
	}
	TH_LOG("MemAvailable before %ld KiB, after %ld KiB", before, after);
	ASSERT_LT(before - after, CLOSE_MARGIN_KIB);
}

TEST_HARNESS_MAIN
