/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ioeventfd on a VM fd: the kernel signals an eventfd on a guest write
 * to an address instead of exiting to us (VIREO_IOEVENTFD, which is
 * KVM_IOEVENTFD on /dev/kvm).
 */
#ifndef VIREO_VMM_IOEVENTFD_H
#define VIREO_VMM_IOEVENTFD_H

#include <stdbool.h>
#include <stdint.h>

/* Whether the VM's hypervisor has ioeventfd (CHECK_EXTENSION 36). */
bool vm_has_ioeventfd(int vm_fd);
/* Assigns or removes an MMIO ioeventfd; 0 or -errno. */
int vm_ioeventfd(int vm_fd, uint64_t addr, unsigned int len, int fd,
		 bool assign);

#endif /* VIREO_VMM_IOEVENTFD_H */
