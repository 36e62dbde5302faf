// SPDX-License-Identifier: GPL-2.0-only
/*
 * The same guest programs in real mode, 32-bit protected mode and 64-bit
 * long mode: port I/O (plain and string), MMIO reads and writes, CPUID,
 * MSR access and #GP on an unknown MSR, HLT and a triple fault.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vm.h"

#define MODE_SNIPPETS(m) \
	SNIPPET(out_##m); SNIPPET(in_##m); SNIPPET(outs_##m); \
	SNIPPET(ins_##m); SNIPPET(mmio_##m); SNIPPET(cpuid_##m); \
	SNIPPET(msr_##m); SNIPPET(hlt_##m); SNIPPET(ud2_##m)
MODE_SNIPPETS(16);
MODE_SNIPPETS(32);
MODE_SNIPPETS(64);

#define LOAD(vm, name) vm_load(vm, name##_start, SNIPPET_LEN(name))

/* Run once and check that the exit is port I/O with these properties. */
#define ASSERT_IO(vm, dir, port_, size_, count_) do {			\
	ASSERT_EQ(0, vm_run(vm));					\
	ASSERT_EQ(VIREO_EXIT_IO, (vm)->run->exit_reason);		\
	ASSERT_EQ(dir, (vm)->run->io.direction);			\
	ASSERT_EQ(port_, (vm)->run->io.port);				\
	ASSERT_EQ(size_, (vm)->run->io.size);				\
	ASSERT_EQ(count_, (vm)->run->io.count);				\
} while (0)

#define ASSERT_EXIT(vm, reason) do {					\
	ASSERT_EQ(0, vm_run(vm));					\
	ASSERT_EQ(reason, (vm)->run->exit_reason);			\
} while (0)

FIXTURE(mode) {
	struct vm vm;
};

FIXTURE_VARIANT(mode) {
	enum guest_mode mode;
};

FIXTURE_VARIANT_ADD(mode, real) { .mode = MODE_REAL };
FIXTURE_VARIANT_ADD(mode, prot32) { .mode = MODE_PROT32 };
FIXTURE_VARIANT_ADD(mode, long64) { .mode = MODE_LONG64 };

FIXTURE_SETUP(mode)
{
	vm_create(&self->vm, 4 << 20);
	vm_set_mode(&self->vm, variant->mode);
}

FIXTURE_TEARDOWN(mode)
{
	vm_destroy(&self->vm);
}

#define PICK(m, name) \
	((m) == MODE_REAL ? name##_16_start : (m) == MODE_PROT32 ? \
	 name##_32_start : name##_64_start)
#define PICK_LEN(m, name) \
	((m) == MODE_REAL ? SNIPPET_LEN(name##_16) : (m) == MODE_PROT32 ? \
	 SNIPPET_LEN(name##_32) : SNIPPET_LEN(name##_64))
#define LOAD_MODE(self, variant, name) \
	vm_load(&(self)->vm, PICK((variant)->mode, name), \
		PICK_LEN((variant)->mode, name))

TEST_F(mode, port_out)
{
	struct vm *vm = &self->vm;

	LOAD_MODE(self, variant, out);
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x10, 1, 1);
	ASSERT_EQ(0x5a, vm_io_value(vm));
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x12, 2, 1);
	ASSERT_EQ(0x1234, vm_io_value(vm));
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x14, 4, 1);
	ASSERT_EQ(0xdeadbeef, vm_io_value(vm));
	ASSERT_EQ(4096, vm->run->io.data_offset);
	ASSERT_EXIT(vm, VIREO_EXIT_HLT);
}

TEST_F(mode, port_in)
{
	struct vm *vm = &self->vm;

	LOAD_MODE(self, variant, in);
	ASSERT_IO(vm, VIREO_EXIT_IO_IN, 0x20, 1, 1);
	vm_set_io_value(vm, 0xa5);
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x21, 1, 1);
	ASSERT_EQ(0xa5, vm_io_value(vm));
	ASSERT_IO(vm, VIREO_EXIT_IO_IN, 0x22, 2, 1);
	vm_set_io_value(vm, 0xbeef);
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x23, 2, 1);
	ASSERT_EQ(0xbeef, vm_io_value(vm));
	ASSERT_IO(vm, VIREO_EXIT_IO_IN, 0x24, 4, 1);
	vm_set_io_value(vm, 0xcafef00d);
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x25, 4, 1);
	ASSERT_EQ(0xcafef00d, vm_io_value(vm));
	ASSERT_EXIT(vm, VIREO_EXIT_HLT);
}

/* String I/O may take one exit or several: collect until HLT. */
TEST_F(mode, rep_outsb)
{
	struct vm *vm = &self->vm;
	struct vireo_regs r;
	char got[16];
	size_t n = 0;

	memcpy(vm_gpa(vm, DATA_GPA), "vireo!!\n", 8);
	LOAD_MODE(self, variant, outs);
	for (;;) {
		ASSERT_EQ(0, vm_run(vm));
		if (vm->run->exit_reason != VIREO_EXIT_IO)
			break;
		ASSERT_EQ(VIREO_EXIT_IO_OUT, vm->run->io.direction);
		ASSERT_EQ(0x30, vm->run->io.port);
		ASSERT_EQ(1, vm->run->io.size);
		ASSERT_LE(n + vm->run->io.count, 8);
		memcpy(got + n, (uint8_t *)vm->run + vm->run->io.data_offset,
		       vm->run->io.count);
		n += vm->run->io.count;
	}
	ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
	ASSERT_EQ(8, n);
	ASSERT_EQ(0, memcmp(got, "vireo!!\n", 8));
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_GET_REGS, &r));
	ASSERT_EQ(0, r.rcx & 0xffff);
	ASSERT_EQ(DATA_GPA + 8, r.rsi & 0xffff);
}

TEST_F(mode, rep_insw)
{
	struct vm *vm = &self->vm;
	const uint16_t words[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };
	size_t n = 0;

	LOAD_MODE(self, variant, ins);
	for (;;) {
		ASSERT_EQ(0, vm_run(vm));
		if (vm->run->exit_reason != VIREO_EXIT_IO)
			break;
		ASSERT_EQ(VIREO_EXIT_IO_IN, vm->run->io.direction);
		ASSERT_EQ(0x32, vm->run->io.port);
		ASSERT_EQ(2, vm->run->io.size);
		ASSERT_LE(n + vm->run->io.count, 4);
		memcpy((uint8_t *)vm->run + vm->run->io.data_offset, words + n,
		       2 * vm->run->io.count);
		n += vm->run->io.count;
	}
	ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
	ASSERT_EQ(4, n);
	ASSERT_EQ(0, memcmp(vm_gpa(vm, DATA2_GPA), words, sizeof(words)));
}

TEST_F(mode, mmio_read_write)
{
	struct vm *vm = &self->vm;
	uint32_t v;

	LOAD_MODE(self, variant, mmio);
	ASSERT_EXIT(vm, VIREO_EXIT_MMIO);
	ASSERT_EQ(MMIO_GPA, vm->run->mmio.phys_addr);
	ASSERT_EQ(4, vm->run->mmio.len);
	ASSERT_EQ(0, vm->run->mmio.is_write);
	v = 0x87654321;
	memcpy(vm->run->mmio.data, &v, 4);
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x40, 4, 1);
	ASSERT_EQ(0x87654321, vm_io_value(vm));

	ASSERT_EXIT(vm, VIREO_EXIT_MMIO);
	ASSERT_EQ(MMIO_GPA + 8, vm->run->mmio.phys_addr);
	ASSERT_EQ(4, vm->run->mmio.len);
	ASSERT_EQ(1, vm->run->mmio.is_write);
	memcpy(&v, vm->run->mmio.data, 4);
	ASSERT_EQ(0x11223344, v);

	ASSERT_EXIT(vm, VIREO_EXIT_MMIO);
	ASSERT_EQ(MMIO_GPA + 16, vm->run->mmio.phys_addr);
	ASSERT_EQ(1, vm->run->mmio.len);
	vm->run->mmio.data[0] = 0xfe;
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x41, 4, 1);
	ASSERT_EQ(0xfe, vm_io_value(vm));	/* zero-extended */
	ASSERT_EXIT(vm, VIREO_EXIT_HLT);
}

TEST_F(mode, cpuid_from_table)
{
	struct vm *vm = &self->vm;
	struct {
		struct vireo_cpuid2 hdr;
		struct vireo_cpuid_entry2 e[1];
	} c = {
		.hdr.nent = 1,
		.e[0] = { .function = 0x40000000, .eax = 0x12345678,
			  .ebx = 0x56524956 /* "VIRV" */, .edx = 0x4f },
	};

	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_SET_CPUID2, &c));
	LOAD_MODE(self, variant, cpuid);
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x50, 4, 1);
	ASSERT_EQ(0x12345678, vm_io_value(vm));
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x51, 4, 1);
	ASSERT_EQ(0x56524956, vm_io_value(vm));
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x52, 4, 1);
	ASSERT_EQ(0x4f, vm_io_value(vm));
	ASSERT_EXIT(vm, VIREO_EXIT_HLT);
}

TEST_F(mode, msr_access_and_gp)
{
	struct vm *vm = &self->vm;
	struct {
		struct vireo_msrs hdr;
		struct vireo_msr_entry e[1];
	} m = { .hdr.nmsrs = 1, .e[0] = { .index = 0x174, .data = 0x5a5a } };

	/* The host's value reaches the guest's RDMSR ... */
	ASSERT_EQ(1, ioctl(vm->vcpu, VIREO_SET_MSRS, &m));
	LOAD_MODE(self, variant, msr);
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x62, 4, 1);
	ASSERT_EQ(0x5a5a, vm_io_value(vm));
	/* ... and the guest's WRMSR reaches RDMSR and the host. */
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, 0x60, 4, 1);
	ASSERT_EQ(0x1234, vm_io_value(vm));
	m.e[0].data = 0;
	ASSERT_EQ(1, ioctl(vm->vcpu, VIREO_GET_MSRS, &m));
	ASSERT_EQ(0x1234, m.e[0].data);
	/* The unknown MSR: the #GP stub reports vector 13. */
	ASSERT_IO(vm, VIREO_EXIT_IO_OUT, EXCEPTION_PORT, 1, 1);
	ASSERT_EQ(13, vm_io_value(vm));
}

TEST_F(mode, hlt)
{
	struct vm *vm = &self->vm;
	struct vireo_regs r;

	LOAD_MODE(self, variant, hlt);
	ASSERT_EXIT(vm, VIREO_EXIT_HLT);
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_GET_REGS, &r));
	ASSERT_EQ(r.rip, (variant->mode == MODE_REAL ? 0 : CODE_GPA) + 1);
}

TEST_F(mode, triple_fault)
{
	struct vm *vm = &self->vm;
	struct vireo_sregs s;

	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_GET_SREGS, &s));
	s.idt.limit = 0;	/* nothing can be delivered */
	if (variant->mode == MODE_REAL)
		s.idt.base = 0x9f000, s.idt.limit = 0;
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_SET_SREGS, &s));
	LOAD_MODE(self, variant, ud2);
	ASSERT_EXIT(vm, VIREO_EXIT_SHUTDOWN);
}

TEST_HARNESS_MAIN
