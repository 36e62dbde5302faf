// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory slots: read-only slots, moving and deleting a slot, page tables
 * outside RAM, host memory unmapped under a running guest, and 200
 * create/run/destroy cycles of a 16 MiB VM after which the host's memory
 * has come back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm.h"

SNIPPET(read_write_rsi);
SNIPPET(read_rsi);
SNIPPET(touch_pages);

#define EXTRA_GPA 0x1000000ULL	/* 16 MiB, above slot 1 of a 4 MiB VM */

FIXTURE(guest) {
	struct vm vm;
	uint8_t *extra;
};

FIXTURE_SETUP(guest)
{
	vm_create(&self->vm, 4 << 20);
	vm_set_mode(&self->vm, MODE_LONG64);
	self->extra = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->extra);
	self->extra[0] = 0x77;
}

FIXTURE_TEARDOWN(guest)
{
	vm_destroy(&self->vm);
	munmap(self->extra, 4096);
}

static int set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		    void *host, uint32_t flags)
{
	struct vireo_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)host,
	};

	return ioctl(vm->fd, VIREO_SET_USER_MEMORY_REGION, &r);
}

static void run_at(struct vm *vm, const uint8_t *code, size_t len,
		   uint64_t rsi)
{
	struct vireo_regs r = { .rflags = 2, .rip = CODE_GPA, .rsp = STACK_TOP,
				.rsi = rsi };

	memcpy(vm_gpa(vm, CODE_GPA), code, len);
	ioctl(vm->vcpu, VIREO_SET_REGS, &r);
}

TEST_F(guest, readonly_slot)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, set_slot(vm, 5, EXTRA_GPA, 4096, self->extra,
			      VIREO_MEM_READONLY));
	run_at(vm, read_write_rsi_start, SNIPPET_LEN(read_write_rsi), EXTRA_GPA);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(0x77, vm_io_value(vm));
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_MMIO, vm->run->exit_reason);
	ASSERT_EQ(1, vm->run->mmio.is_write);
	ASSERT_EQ(EXTRA_GPA, vm->run->mmio.phys_addr);
	ASSERT_EQ(0x99, vm->run->mmio.data[0]);
	ASSERT_EQ(0x77, self->extra[0]);	/* memory unchanged */
}

TEST_F(guest, move_and_delete_slot)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, set_slot(vm, 5, EXTRA_GPA, 4096, self->extra, 0));
	run_at(vm, read_rsi_start, SNIPPET_LEN(read_rsi), EXTRA_GPA);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(0x77, vm_io_value(vm));

	/* Move: same slot, host memory and size, new guest address. */
	ASSERT_EQ(0, set_slot(vm, 5, 2 * EXTRA_GPA, 4096, self->extra, 0));
	self->extra[0] = 0x55;
	run_at(vm, read_rsi_start, SNIPPET_LEN(read_rsi), 2 * EXTRA_GPA);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(0x55, vm_io_value(vm));
	run_at(vm, read_rsi_start, SNIPPET_LEN(read_rsi), EXTRA_GPA);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_MMIO, vm->run->exit_reason);
	ASSERT_EQ(EXTRA_GPA, vm->run->mmio.phys_addr);
	/* The next RUN completes that read: the guest reports the data. */
	vm->run->mmio.data[0] = 0x31;
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(0x31, vm_io_value(vm));

	/* Delete: the old address is MMIO now. */
	ASSERT_EQ(0, set_slot(vm, 5, 2 * EXTRA_GPA, 0, self->extra, 0));
	run_at(vm, read_rsi_start, SNIPPET_LEN(read_rsi), 2 * EXTRA_GPA);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_MMIO, vm->run->exit_reason);
	ASSERT_EQ(2 * EXTRA_GPA, vm->run->mmio.phys_addr);
}

/* The host sees the guest's writes and the guest the host's, at once. */
TEST_F(guest, memory_is_shared)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, set_slot(vm, 5, EXTRA_GPA, 4096, self->extra, 0));
	run_at(vm, read_write_rsi_start, SNIPPET_LEN(read_write_rsi), EXTRA_GPA);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(0x77, vm_io_value(vm));
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
	ASSERT_EQ(0x99, self->extra[0]);
}

/*
 * The guest's own page tables outside RAM: a page directory in the hole
 * below 1 MiB.  As on KVM, the fault of the guest's page walk is served
 * as the instruction's access at the table's address: an MMIO read of
 * the operand's size there, whose answer the instruction then gets.
 */
TEST_F(guest, page_table_outside_ram)
{
	struct vm *vm = &self->vm;
	uint64_t *pdpt = (uint64_t *)vm_gpa(vm, PT_GPA + 0x1000);

	pdpt[1] = MMIO_GPA | 3;		/* linear 1 GiB up */
	run_at(vm, read_rsi_start, SNIPPET_LEN(read_rsi), 1ULL << 30);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_MMIO, vm->run->exit_reason);
	ASSERT_EQ(MMIO_GPA, vm->run->mmio.phys_addr);
	ASSERT_EQ(1, vm->run->mmio.len);
	ASSERT_EQ(0, vm->run->mmio.is_write);
	vm->run->mmio.data[0] = 0x5a;
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(0x71, vm->run->io.port);
	ASSERT_EQ(0x5a, vm_io_value(vm));
}

/* Unmapping a slot's memory under the guest: RUN fails, the host lives. */
TEST_F(guest, host_memory_unmapped)
{
	struct vm *vm = &self->vm;
	uint8_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, set_slot(vm, 6, EXTRA_GPA, 4096, m, 0));
	ASSERT_EQ(0, munmap(m, 4096));
	run_at(vm, read_rsi_start, SNIPPET_LEN(read_rsi), EXTRA_GPA);
	ASSERT_EQ(-1, vm_run(vm));
	ASSERT_EQ(EFAULT, errno);
}

/*
 * 200 VMs of 16 MiB whose guest touches every page: afterwards the host
 * has its memory back.  One VM stays open throughout so that the run does
 * not flip kernel static keys 200 times (see Documentation/testing.md).
 *
 * The baseline is taken after a few full cycles, once the kernel's caches
 * have grown to their working size; a leak grows with the number of
 * cycles, caches do not.  Freeing can lag behind the close (RCU, work
 * queues; slow under TCG), so the end is measured again for a while.
 */
#define CYCLE_MEM (16 << 20)
#define CYCLE_WARMUP 10
/*
 * What may go missing, noise included: 16 MiB plus 16 KiB a cycle.  Seen
 * under TCG: kvm_amd lost up to 5.6 MiB after 200 cycles and gained 1 MiB
 * after 600; vireo.ko lost 0 after 600 cycles but once 11.7 MiB after
 * 200, i.e. noise, not growth.  A leaked guest would be 16 MiB a cycle,
 * and a leaked VM object is caught by its debugfs entry.
 */
#define CYCLE_MARGIN_KIB(n) (16384L + 16L * (n))

/* The kernel's own use, logged to tell where missing memory went. */
static const char *const kernel_fields[] = {
	"SUnreclaim", "PageTables", "KernelStack", "VmallocUsed", "AnonPages",
};
#define NFIELDS (sizeof(kernel_fields) / sizeof(kernel_fields[0]))

static void read_fields(long *v)
{
	unsigned int i;

	for (i = 0; i < NFIELDS; i++)
		v[i] = meminfo_kib(kernel_fields[i]);
}

static int one_cycle(struct __test_metadata *_metadata)
{
	struct vireo_regs r = { .rflags = 2, .rip = CODE_GPA, .rsp = STACK_TOP,
				.rdi = CYCLE_MEM };
	struct vm vm;

	vm_create(&vm, CYCLE_MEM);
	vm_set_mode(&vm, MODE_LONG64);
	vm_load(&vm, touch_pages_start, SNIPPET_LEN(touch_pages));
	EXPECT_EQ(0, ioctl(vm.vcpu, VIREO_SET_REGS, &r));
	EXPECT_EQ(0, vm_run(&vm));
	EXPECT_EQ(VIREO_EXIT_HLT, vm.run->exit_reason);
	vm_destroy(&vm);
	return _metadata->passed ? 0 : -1;
}

FIXTURE(cycles) {
	int unused;
};

FIXTURE_SETUP(cycles)
{
}

FIXTURE_TEARDOWN(cycles)
{
}

TEST_F_TIMEOUT(cycles, create_run_destroy, 900)
{
	int cycles = getenv("VIREO_CYCLES") ? atoi(getenv("VIREO_CYCLES")) : 200;
	long avail0, free0, avail = 0, mfree = 0, margin;
	long k0[NFIELDS], k1[NFIELDS];
	struct vm keep;
	unsigned int f;
	int i, vms;

	vm_create(&keep, 2 << 20);
	for (i = 0; i < CYCLE_WARMUP; i++)
		ASSERT_EQ(0, one_cycle(_metadata));
	mem_settle();
	avail0 = mem_available_kib();
	free0 = meminfo_kib("MemFree");
	read_fields(k0);
	ASSERT_LT(0, avail0);
	for (i = 0; i < cycles; i++)
		ASSERT_EQ(0, one_cycle(_metadata));
	margin = CYCLE_MARGIN_KIB(cycles);
	for (i = 0; i < 20; i++) {
		mem_settle();
		avail = mem_available_kib();
		mfree = meminfo_kib("MemFree");
		if (avail0 - avail < margin && free0 - mfree < margin)
			break;
		usleep(500000);
	}
	TH_LOG("%d cycles: MemAvailable %ld -> %ld KiB, MemFree %ld -> %ld KiB",
	       cycles, avail0, avail, free0, mfree);
	read_fields(k1);
	for (f = 0; f < NFIELDS; f++)
		TH_LOG("  %s %ld -> %ld KiB", kernel_fields[f], k0[f], k1[f]);
	/* Of this process's VMs only the one kept open is alive. */
	vms = vm_debugfs_count();
	if (vms >= 0)
		ASSERT_EQ(1, vms);
	ASSERT_LT(avail0 - avail, margin);
	ASSERT_LT(free0 - mfree, margin);
	vm_destroy(&keep);
}

TEST_HARNESS_MAIN
