// SPDX-License-Identifier: GPL-2.0-only
/*
 * A table of tiny guest programs and the exits each must produce, run in
 * real mode, 32-bit protected mode and 64-bit long mode: port I/O through
 * an immediate or DX, HLT, exceptions delivered through the guest's IDT
 * (each stub reports its vector on EXCEPTION_PORT), and with an empty IDT
 * the same exceptions ending in a triple fault (SHUTDOWN).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vm.h"

#define MODE_SNIPPETS(m) \
	SNIPPET(out_##m); SNIPPET(hlt_##m); SNIPPET(ud2_##m); \
	SNIPPET(int3_##m); SNIPPET(div0_##m); SNIPPET(msr_##m); \
	SNIPPET(wrmsr_bad_##m); SNIPPET(dx_port_##m)
MODE_SNIPPETS(16);
MODE_SNIPPETS(32);
MODE_SNIPPETS(64);

/* One expected exit; for IO, also its port, size and value. */
struct step {
	uint32_t reason;
	uint16_t port;
	uint8_t size;
	uint8_t dir;
	uint32_t value;
	/* For an IN: the value the host supplies. */
	uint32_t in;
};

#define OUT(p, s, v) { VIREO_EXIT_IO, p, s, VIREO_EXIT_IO_OUT, v, 0 }
#define IN(p, s, v) { VIREO_EXIT_IO, p, s, VIREO_EXIT_IO_IN, 0, v }
#define VECTOR(v) OUT(EXCEPTION_PORT, 1, v)
#define HLT { VIREO_EXIT_HLT }
#define SHUTDOWN { VIREO_EXIT_SHUTDOWN }

struct exit_case {
	const char *name;
	const uint8_t *code[3];	/* per mode: real, prot32, long64 */
	const uint8_t *end[3];
	bool empty_idt;
	struct step steps[5];
};

#define CODE(n) { n##_16_start, n##_32_start, n##_64_start }
#define END(n) { n##_16_end, n##_32_end, n##_64_end }
#define CASE(label, n, idt0, ...) \
	{ label, CODE(n), END(n), idt0, { __VA_ARGS__ } }

static const struct exit_case cases[] = {
	CASE("out imm8 port, sizes 1 2 4", out, false,
	     OUT(0x10, 1, 0x5a), OUT(0x12, 2, 0x1234),
	     OUT(0x14, 4, 0xdeadbeef), HLT),
	CASE("out and in through dx", dx_port, false,
	     OUT(0x3f8, 1, 0x41), IN(0x3f8, 1, 0x7e), OUT(0x44, 1, 0x7e), HLT),
	CASE("hlt", hlt, false, HLT),
	CASE("ud2 is #UD, vector 6", ud2, false, VECTOR(6), HLT),
	CASE("int3 is vector 3", int3, false, VECTOR(3), HLT),
	CASE("div by zero is #DE, vector 0", div0, false, VECTOR(0), HLT),
	CASE("rdmsr of an unknown MSR is #GP", msr, false,
	     OUT(0x62, 4, 0), OUT(0x60, 4, 0x1234), VECTOR(13), HLT),
	CASE("wrmsr of an unknown MSR is #GP", wrmsr_bad, false,
	     VECTOR(13), HLT),
	CASE("ud2 with an empty IDT: triple fault", ud2, true, SHUTDOWN),
	CASE("int3 with an empty IDT: triple fault", int3, true, SHUTDOWN),
	CASE("#DE with an empty IDT: triple fault", div0, true, SHUTDOWN),
};

FIXTURE(exits) {
	int unused;
};

FIXTURE_VARIANT(exits) {
	enum guest_mode mode;
};

FIXTURE_VARIANT_ADD(exits, real) { .mode = MODE_REAL };
FIXTURE_VARIANT_ADD(exits, prot32) { .mode = MODE_PROT32 };
FIXTURE_VARIANT_ADD(exits, long64) { .mode = MODE_LONG64 };

FIXTURE_SETUP(exits)
{
}

FIXTURE_TEARDOWN(exits)
{
}

static void empty_idt(struct __test_metadata *_metadata, struct vm *vm)
{
	struct vireo_sregs s;

	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_GET_SREGS, &s));
	s.idt.limit = 0;
	if (vm->mode == MODE_REAL)	/* an IVT with nothing in it */
		s.idt.base = 0x9f000;
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_SET_SREGS, &s));
}

/* An assertion that, failing, also names the case and the exit. */
#define CHECK_EQ(a, b) \
	ASSERT_EQ(a, b) TH_LOG("case \"%s\", exit %d", c->name, i + 1)

static void run_case(struct __test_metadata *_metadata, enum guest_mode mode,
		     const struct exit_case *c)
{
	int m = mode == MODE_REAL ? 0 : mode == MODE_PROT32 ? 1 : 2;
	struct vm vm;
	int i = 0;

	vm_create(&vm, 2 << 20);
	vm_set_mode(&vm, mode);
	if (c->empty_idt)
		empty_idt(_metadata, &vm);
	vm_load(&vm, c->code[m], c->end[m] - c->code[m]);
	for (i = 0; i < 5 && c->steps[i].reason; i++) {
		const struct step *s = &c->steps[i];

		CHECK_EQ(0, vm_run(&vm));
		CHECK_EQ(s->reason, vm.run->exit_reason);
		if (s->reason != VIREO_EXIT_IO)
			continue;
		CHECK_EQ(s->dir, vm.run->io.direction);
		CHECK_EQ(s->port, vm.run->io.port);
		CHECK_EQ(s->size, vm.run->io.size);
		CHECK_EQ(1, vm.run->io.count);
		if (s->dir == VIREO_EXIT_IO_OUT) {
			CHECK_EQ(s->value, vm_io_value(&vm));
		} else {
			vm_set_io_value(&vm, s->in);
		}
	}
	vm_destroy(&vm);
}

TEST_F(exits, table)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(_metadata, variant->mode, &cases[i]);
}

/*
 * A state the hardware refuses: a long-mode code segment with both L and
 * D set (both vendors check it at entry; SET_SREGS, like KVM's, lets it
 * through).  RUN ends in FAIL_ENTRY with the vendor's reason, vireo
 * names CS as the culprit in the field it adds to KVM's layout, nothing
 * else happens, and once userspace puts the state back the vCPU runs.
 * The registers are put back too: QEMU's emulated VMRUN, unlike the
 * hardware, writes registers back to the VMCB on a refused entry.
 */
TEST(fail_entry)
{
	struct vireo_sregs good, bad;
	struct vireo_regs regs;
	struct vm vm;

	vm_create(&vm, 4 << 20);
	vm_set_mode(&vm, MODE_LONG64);
	vm_load(&vm, hlt_64_start, SNIPPET_LEN(hlt_64));
	ASSERT_EQ(0, ioctl(vm.vcpu, VIREO_GET_SREGS, &good));
	ASSERT_EQ(0, ioctl(vm.vcpu, VIREO_GET_REGS, &regs));
	bad = good;
	bad.cs.db = 1;
	ASSERT_EQ(0, ioctl(vm.vcpu, VIREO_SET_SREGS, &bad));
	ASSERT_EQ(0, vm_run(&vm));
	ASSERT_EQ(VIREO_EXIT_FAIL_ENTRY, vm.run->exit_reason);
	TH_LOG("hardware reason %#llx, state field %u",
	       (unsigned long long)vm.run->fail_entry.hardware_entry_failure_reason,
	       vm.run->fail_entry.state_field);
	ASSERT_NE(0, vm.run->fail_entry.hardware_entry_failure_reason);
	/* KVM has padding where vireo names the field. */
	if (!strstr(vm_device(), "kvm"))
		ASSERT_EQ(VIREO_STATE_CS, vm.run->fail_entry.state_field);
	ASSERT_EQ(0, ioctl(vm.vcpu, VIREO_SET_SREGS, &good));
	ASSERT_EQ(0, ioctl(vm.vcpu, VIREO_SET_REGS, &regs));
	ASSERT_EQ(0, vm_run(&vm));
	EXPECT_EQ(VIREO_EXIT_HLT, vm.run->exit_reason)
		TH_LOG("exit %u, internal error %u: %#llx %#llx",
		       vm.run->exit_reason, vm.run->internal.suberror,
		       (unsigned long long)vm.run->internal.data[0],
		       (unsigned long long)vm.run->internal.data[1]);
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
