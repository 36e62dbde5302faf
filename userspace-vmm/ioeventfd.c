// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_IOEVENTFD (ioeventfd.h).  The ioctl number and struct are KVM's;
 * /dev/vireo will take the same ones (VIREO_IOEVENTFD).  Until the uapi
 * header has them, <linux/kvm.h> supplies them, in this file only.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "ioeventfd.h"

bool vm_has_ioeventfd(int vm_fd)
{
	return ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) > 0;
}

int vm_ioeventfd(int vm_fd, uint64_t addr, unsigned int len, int fd,
		 bool assign)
{
	struct kvm_ioeventfd req = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(vm_fd, KVM_IOEVENTFD, &req) ? -errno : 0;
}
