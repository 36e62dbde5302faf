// SPDX-License-Identifier: GPL-2.0-only
/*
 * hold_vm DEVICE: opens DEVICE (/dev/kvm or /dev/vireo), creates one VM
 * with one vCPU and keeps them until killed.  Run in the background of a
 * testbed guest, it keeps the kernel's static keys for VMs switched on
 * (preempt notifiers, kvm's per-vCPU keys), so that tests creating and
 * destroying VMs do not rewrite live kernel text each time: QEMU's TCG
 * sometimes mishandles that rewrite and hangs both CPUs (see
 * Documentation/testing.md, "The TCG trap").
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm";
	int sys, vm, vcpu;

	sys = open(dev, O_RDWR | O_CLOEXEC);
	if (sys < 0) {
		perror(dev);
		return 1;
	}
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("KVM_CREATE_VM");
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		perror("KVM_CREATE_VCPU");
		return 1;
	}
	printf("# hold_vm: holding a VM with one vCPU on %s\n", dev);
	fflush(stdout);
	for (;;)
		pause();
}
