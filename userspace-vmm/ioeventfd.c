// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioeventfd (ioeventfd.h): VIREO_IOEVENTFD, which has KVM_IOEVENTFD's
 * number and layout, so the same call works on /dev/vireo and /dev/kvm.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include <linux/vireo.h>

#include "ioeventfd.h"

bool vm_has_ioeventfd(int vm_fd)
{
	return ioctl(vm_fd, VIREO_CHECK_EXTENSION, VIREO_CAP_IOEVENTFD) > 0;
}

int vm_ioeventfd(int vm_fd, uint64_t addr, unsigned int len, int fd,
		 bool assign)
{
	struct vireo_ioeventfd req = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = assign ? 0 : VIREO_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(vm_fd, VIREO_IOEVENTFD, &req) ? -errno : 0;
}
