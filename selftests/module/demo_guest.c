// SPDX-License-Identifier: GPL-2.0-only
/*
 * make demo's first guest: a 64-bit guest prints a greeting through port
 * 0x3f8, one OUT per byte, and halts.  The host prints what it receives,
 * then the exits it saw.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"

SNIPPET(puts);

int main(void)
{
	static const char msg[] = "Hello from a vireo guest\n";
	unsigned long io = 0, other = 0;
	struct vireo_regs r = { .rflags = 2 };
	struct vm vm;

	printf("demo: running a 64-bit guest on %s\n", vm_device());
	vm_create(&vm, 4 << 20);
	vm_set_mode(&vm, MODE_LONG64);
	vm_load(&vm, puts_start, SNIPPET_LEN(puts));
	memcpy(vm_gpa(&vm, DATA_GPA), msg, sizeof(msg));
	r.rip = CODE_GPA;
	r.rsp = STACK_TOP;
	r.rsi = DATA_GPA;
	if (ioctl(vm.vcpu, VIREO_SET_REGS, &r)) {
		perror("demo: SET_REGS");
		return 1;
	}
	for (;;) {
		if (vm_run(&vm)) {
			perror("demo: RUN");
			return 1;
		}
		if (vm.run->exit_reason == VIREO_EXIT_IO &&
		    vm.run->io.port == 0x3f8) {
			putchar(vm_io_value(&vm));
			io++;
			continue;
		}
		if (vm.run->exit_reason == VIREO_EXIT_HLT)
			break;
		other++;
		printf("demo: unexpected exit %u\n", vm.run->exit_reason);
		return 1;
	}
	printf("demo: the guest halted after %lu port writes and %lu other exits\n",
	       io, other);
	vm_destroy(&vm);
	return 0;
}
