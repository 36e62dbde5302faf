// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events: injecting an external interrupt and an NMI, the interrupt window,
 * immediate_exit, a signal interrupting a spinning guest, hypercalls.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm.h"

SNIPPET(sti_hlt_64);
SNIPPET(spin_64);
SNIPPET(vmmcall_64);
SNIPPET(vmcall_64);
SNIPPET(hlt_64);
SNIPPET(irq_window_64);

FIXTURE(guest) {
	struct vm vm;
};

FIXTURE_SETUP(guest)
{
	vm_create(&self->vm, 4 << 20);
	vm_set_mode(&self->vm, MODE_LONG64);
}

FIXTURE_TEARDOWN(guest)
{
	vm_destroy(&self->vm);
}

/* The guest enables interrupts and halts; an injected vector 0x21 reaches
 * its IDT stub, which reports the vector on the exception port. */
TEST_F(guest, inject_interrupt)
{
	struct vm *vm = &self->vm;
	struct vireo_interrupt irq = { .irq = 0x21 };

	vm_load(vm, sti_hlt_64_start, SNIPPET_LEN(sti_hlt_64));
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
	ASSERT_EQ(1, vm->run->if_flag);
	ASSERT_EQ(1, vm->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_INTERRUPT, &irq));
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(EXCEPTION_PORT, vm->run->io.port);
	ASSERT_EQ(0x21, vm_io_value(vm));
}

/*
 * VIREO_NMI: a guest halted with interrupts disabled still takes an NMI,
 * through IDT vector 2; RUN clears the request, so a second RUN brings no
 * second NMI.
 */
TEST_F(guest, inject_nmi)
{
	struct vm *vm = &self->vm;

	vm_load(vm, hlt_64_start, SNIPPET_LEN(hlt_64));
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
	ASSERT_EQ(0, vm->run->if_flag);
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_NMI, 0));
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(EXCEPTION_PORT, vm->run->io.port);
	ASSERT_EQ(2, vm_io_value(vm));
	/* The stub halts after reporting: no NMI is left to wake it. */
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
}

/*
 * request_interrupt_window: while the guest runs with IF=0 nothing is
 * ready; once it sets IF, RUN returns IRQ_WINDOW_OPEN with
 * ready_for_interrupt_injection, and a vector injected then is taken.
 */
TEST_F(guest, irq_window_open)
{
	struct vm *vm = &self->vm;
	struct vireo_interrupt irq = { .irq = 0x30 };

	vm_load(vm, irq_window_64_start, SNIPPET_LEN(irq_window_64));
	vm->run->request_interrupt_window = 1;
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(0x73, vm->run->io.port);
	ASSERT_EQ(0, vm->run->if_flag);
	ASSERT_EQ(0, vm->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IRQ_WINDOW_OPEN, vm->run->exit_reason);
	ASSERT_EQ(1, vm->run->if_flag);
	ASSERT_EQ(1, vm->run->ready_for_interrupt_injection);
	vm->run->request_interrupt_window = 0;
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_INTERRUPT, &irq));
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(EXCEPTION_PORT, vm->run->io.port);
	ASSERT_EQ(0x30, vm_io_value(vm));
}

TEST_F(guest, immediate_exit)
{
	struct vm *vm = &self->vm;

	vm_load(vm, hlt_64_start, SNIPPET_LEN(hlt_64));
	vm->run->immediate_exit = 1;
	ASSERT_EQ(-1, vm_run(vm));
	ASSERT_EQ(EINTR, errno);
	vm->run->immediate_exit = 0;
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A guest spinning forever is interrupted by a signal to its thread. */
TEST_F(guest, signal_interrupts_run)
{
	struct vm *vm = &self->vm;
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval t = { .it_value.tv_usec = 200000 };

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	vm_load(vm, spin_64_start, SNIPPET_LEN(spin_64));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &t, NULL));
	ASSERT_EQ(-1, vm_run(vm));
	ASSERT_EQ(EINTR, errno);
	ASSERT_EQ(VIREO_EXIT_INTR, vm->run->exit_reason);
}

struct kicker {
	pthread_t target;
	volatile int stop;
};

static void *kick_loop(void *arg)
{
	struct kicker *k = arg;

	usleep(100000);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

TEST_F(guest, signal_from_another_thread)
{
	struct vm *vm = &self->vm;
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kicker k = { .target = pthread_self() };
	pthread_t t;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vm_load(vm, spin_64_start, SNIPPET_LEN(spin_64));
	ASSERT_EQ(0, pthread_create(&t, NULL, kick_loop, &k));
	ASSERT_EQ(-1, vm_run(vm));
	ASSERT_EQ(EINTR, errno);
	pthread_join(t, NULL);
}

/* No hypercall is defined: RAX comes back as -ENOSYS (-1000). */
TEST_F(guest, unknown_hypercall)
{
	struct vm *vm = &self->vm;

	if (vm_device_is_svm())
		vm_load(vm, vmmcall_64_start, SNIPPET_LEN(vmmcall_64));
	else
		vm_load(vm, vmcall_64_start, SNIPPET_LEN(vmcall_64));
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
	ASSERT_EQ(0x70, vm->run->io.port);
	ASSERT_EQ((uint32_t)-1000, vm_io_value(vm));
}

TEST_HARNESS_MAIN
