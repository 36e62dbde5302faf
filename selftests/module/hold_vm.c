// SPDX-License-Identifier: GPL-2.0-only
/*
 * Holds one VM open until killed.  The testbed runs it beside the tests
 * on Debian's kvm: creating and destroying VMs flips kernel static keys,
 * and QEMU's TCG sometimes hangs rewriting them (see
 * Documentation/testing.md); with one VM alive they stay on.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm.h"

int main(void)
{
	int dev = vm_open_device();
	int fd = ioctl(dev, VIREO_CREATE_VM, 0);

	if (fd < 0) {
		perror("hold_vm: CREATE_VM");
		return 1;
	}
	for (;;)
		pause();
}
