// SPDX-License-Identifier: GPL-2.0-only
/*
 * A vCPU whose thread changes CPU.  On VT-x the VMCS is loaded on one CPU
 * at a time: a vCPU that moves must have it cleared where it was and made
 * current, with that CPU's host state, where it goes.  On AMD-V the VMCB
 * has no such tie, but the host save area and ASIDs are per CPU.  The
 * guest (spin_check) counts in RBX and checks R8-R15 and XMM0 on every
 * report, so state lost in a move shows as a wrong count or a report on
 * port 0x74.
 *
 * Needs two online CPUs; both emulated machines of the testbed have two.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm.h"

SNIPPET(spin_check);

#define REPORT_PORT 0x73
#define CORRUPT_PORT 0x74
#define STEP 0x4000		/* iterations between two reports */
#define R8_VALUE 0x1122334455667700ULL

static int online_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	return CPU_COUNT(&set);
}

/* The n-th CPU of the set this process may run on. */
static int nth_cpu(const cpu_set_t *allowed, int n)
{
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, allowed) && n-- == 0)
			return cpu;
	return -1;
}

static int pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

FIXTURE(migrate) {
	struct vm vm;
	cpu_set_t allowed;
	int ncpus;
};

FIXTURE_SETUP(migrate)
{
	struct vireo_xsave *x = calloc(1, sizeof(*x));
	uint8_t *b = (uint8_t *)x->region;
	uint64_t v = R8_VALUE;
	uint32_t mxcsr = 0x1f80;
	struct vireo_regs r;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(self->allowed),
				       &self->allowed));
	self->ncpus = CPU_COUNT(&self->allowed);
	vm_create(&self->vm, 4 << 20);
	vm_set_mode(&self->vm, MODE_LONG64);
	vm_load(&self->vm, spin_check_start, SNIPPET_LEN(spin_check));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, VIREO_GET_REGS, &r));
	r.rbx = 0;
	r.r8 = R8_VALUE;
	r.r9 = R8_VALUE + 1;
	r.r10 = R8_VALUE + 2;
	r.r11 = R8_VALUE + 3;
	r.r12 = R8_VALUE + 4;
	r.r13 = R8_VALUE + 5;
	r.r14 = R8_VALUE + 6;
	r.r15 = R8_VALUE + 7;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, VIREO_SET_REGS, &r));
	/*
	 * XMM0 through the XSAVE image with its SSE bit in XSTATE_BV: KVM
	 * leaves that bit alone in SET_FPU, and with it clear XRSTOR gives
	 * the guest zeroes.
	 */
	ASSERT_NE(NULL, x);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, VIREO_GET_XSAVE, x));
	memcpy(b + XSAVE_XMM0, &v, 8);
	memcpy(b + XSAVE_XMM0 + 8, &v, 8);
	memcpy(b + XSAVE_MXCSR, &mxcsr, 4);
	b[XSAVE_XSTATE_BV] |= 2;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, VIREO_SET_XSAVE, x));
	free(x);
}

FIXTURE_TEARDOWN(migrate)
{
	sched_setaffinity(0, sizeof(self->allowed), &self->allowed);
	vm_destroy(&self->vm);
}

static const char *what_changed(uint32_t check)
{
	static const char *const names[] = {
		"?", "R9", "R15", "R11", "XMM0[63:0]", "XMM0[127:64]",
	};

	return names[(check & 0xff) < 6 ? (check & 0xff) : 0];
}

/* One RUN: must end in the report of the n-th step, state intact. */
static void expect_report(struct __test_metadata *_metadata, struct vm *vm,
			  uint64_t n)
{
	struct vireo_regs r;

	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_NE(CORRUPT_PORT, vm->run->io.port)
		TH_LOG("at step %llu the guest saw %s change",
		       (unsigned long long)n, what_changed(vm_io_value(vm)));
	ASSERT_EQ(REPORT_PORT, vm->run->io.port);
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_GET_REGS, &r));
	ASSERT_EQ(n * STEP, r.rbx);
	ASSERT_EQ(R8_VALUE + 7, r.r15);
}

/* The thread moves itself to the other CPU before every RUN. */
TEST_F(migrate, every_run_on_another_cpu)
{
	uint64_t n;

	if (self->ncpus < 2)
		SKIP(return, "needs two CPUs, this machine lets us use %d",
		     self->ncpus);
	for (n = 1; n <= 200; n++) {
		int cpu = nth_cpu(&self->allowed, n % 2);

		ASSERT_EQ(0, pin(0, cpu));
		expect_report(_metadata, &self->vm, n);
		/* Still there: the affinity holds across the ioctl. */
		ASSERT_EQ(cpu, sched_getcpu());
	}
}

struct mover {
	pid_t tid;
	int cpus[2];
	atomic_bool stop;
	atomic_int moves;
};

static void *mover_thread(void *arg)
{
	struct mover *m = arg;
	int i = 0;

	while (!atomic_load(&m->stop)) {
		if (pin(m->tid, m->cpus[i++ % 2]) == 0)
			atomic_fetch_add(&m->moves, 1);
		usleep(300);
	}
	return NULL;
}

/*
 * Another thread moves the vCPU thread between the CPUs every few hundred
 * microseconds, so moves land anywhere: in the guest, in the exit
 * handlers, between RUNs.  The guest reports at least 400 times, and on
 * until 20 moves have happened and both CPUs have run it: how many moves
 * fit in 400 reports depends on the scheduler and the emulator's speed,
 * so no count of moves per report is assumed (at most 100000 reports).
 */
TEST_F(migrate, moved_by_another_thread)
{
	struct mover m = { .tid = syscall(SYS_gettid) };
	bool seen[CPU_SETSIZE] = { false };
	int ncpu_seen = 0, cpu;
	pthread_t t;
	uint64_t n;

	if (self->ncpus < 2)
		SKIP(return, "needs two CPUs, this machine lets us use %d",
		     self->ncpus);
	m.cpus[0] = nth_cpu(&self->allowed, 0);
	m.cpus[1] = nth_cpu(&self->allowed, 1);
	ASSERT_EQ(0, pthread_create(&t, NULL, mover_thread, &m));
	for (n = 1; n <= 400 || ((atomic_load(&m.moves) < 20 ||
				  ncpu_seen < 2) && n <= 100000); n++) {
		expect_report(_metadata, &self->vm, n);
		cpu = sched_getcpu();
		if (cpu >= 0 && cpu < CPU_SETSIZE && !seen[cpu]) {
			seen[cpu] = true;
			ncpu_seen++;
		}
	}
	atomic_store(&m.stop, true);
	ASSERT_EQ(0, pthread_join(t, NULL));
	TH_LOG("%d moves, %d CPUs seen in %llu reports",
	       atomic_load(&m.moves), ncpu_seen, (unsigned long long)(n - 1));
	ASSERT_LE(20, atomic_load(&m.moves));
	ASSERT_EQ(2, ncpu_seen);
}

/* State ioctls from a thread on another CPU than the last RUN. */
TEST_F(migrate, state_ioctls_from_another_cpu)
{
	struct vireo_sregs s;
	uint64_t n;

	if (self->ncpus < 2)
		SKIP(return, "needs two CPUs, this machine lets us use %d",
		     self->ncpus);
	for (n = 1; n <= 50; n++) {
		ASSERT_EQ(0, pin(0, nth_cpu(&self->allowed, 0)));
		expect_report(_metadata, &self->vm, n);
		ASSERT_EQ(0, pin(0, nth_cpu(&self->allowed, 1)));
		ASSERT_EQ(0, ioctl(self->vm.vcpu, VIREO_GET_SREGS, &s));
		ASSERT_EQ(0, ioctl(self->vm.vcpu, VIREO_SET_SREGS, &s));
	}
}

int main(int argc, char **argv)
{
	if (online_cpus() < 2)
		ksft_print_msg("fewer than two CPUs: the move tests skip\n");
	return test_harness_run(argc, argv);
}
