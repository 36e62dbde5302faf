// SPDX-License-Identifier: GPL-2.0-only
/*
 * hold_vm [DEVICE]: holds one VM open until killed.  The device is the
 * argument, else $VIREO_DEVICE, else /dev/vireo.  The testbed runs it
 * beside the tests on Debian's kvm: creating and destroying VMs flips
 * kernel static keys, and QEMU's TCG sometimes hangs rewriting them (see
 * Documentation/testing.md); with one VM alive they stay on.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm.h"

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : vm_device();
	int dev = open(path, O_RDWR | O_CLOEXEC);
	int fd;

	if (dev < 0) {
		perror(path);
		return 1;
	}
	fd = ioctl(dev, VIREO_CREATE_VM, 0);
	if (fd < 0) {
		perror("hold_vm: CREATE_VM");
		return 1;
	}
	for (;;)
		pause();
}
