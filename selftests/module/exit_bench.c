// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench's first figures: the round trip of an exit handled in the
 * kernel (CPUID, N times in one VIREO_RUN) and of an exit to userspace
 * (OUT, N VIREO_RUN calls).  Prints "cpuid_exit_ns V" and "pio_exit_ns V".
 * A benchmark, not a test: nothing is compared with a threshold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>

#include "vm.h"

SNIPPET(cpuid_loop);
SNIPPET(out_loop);

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int run_until_io(struct vm *vm)
{
	do {
		if (vm_run(vm))
			return -1;
	} while (vm->run->exit_reason != VIREO_EXIT_IO);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	struct vireo_regs r = { .rflags = 2, .rip = CODE_GPA, .rsp = STACK_TOP };
	double t, cpuid_ns, pio_ns;
	struct vm vm;
	long i;

	vm_create(&vm, 4 << 20);
	vm_set_mode(&vm, MODE_LONG64);
	vm_load(&vm, cpuid_loop_start, SNIPPET_LEN(cpuid_loop));
	/* Warm up: fault in the code page and the tables. */
	r.rdi = 100;
	ioctl(vm.vcpu, VIREO_SET_REGS, &r);
	if (run_until_io(&vm))
		goto fail;
	r.rdi = n;
	ioctl(vm.vcpu, VIREO_SET_REGS, &r);
	t = now_ns();
	if (run_until_io(&vm))
		goto fail;
	cpuid_ns = (now_ns() - t) / n;

	vm_load(&vm, out_loop_start, SNIPPET_LEN(out_loop));
	if (run_until_io(&vm))
		goto fail;
	t = now_ns();
	for (i = 0; i < n; i++)
		if (run_until_io(&vm))
			goto fail;
	pio_ns = (now_ns() - t) / n;

	printf("device %s\n", vm_device());
	printf("iterations %ld\n", n);
	printf("cpuid_exit_ns %.0f\n", cpuid_ns);
	printf("pio_exit_ns %.0f\n", pio_ns);
	vm_destroy(&vm);
	return 0;
fail:
	perror("exit_bench: RUN");
	return 1;
}
