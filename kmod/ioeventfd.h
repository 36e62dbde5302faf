/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ioeventfd: guest writes to registered ports and MMIO addresses signal
 * an eventfd and complete in the kernel instead of exiting to userspace.
 *
 * Registrations belong to the VM.  They change under vm->lock and are
 * read on the vCPU exit path under vm->srcu, which the run loop already
 * holds while it handles an exit.
 */
#ifndef VIREO_IOEVENTFD_H
#define VIREO_IOEVENTFD_H

#include <linux/types.h>

/*
 * Registrations per VM, ports and MMIO together.  KVM counts none of its
 * ioeventfds against a limit (only against the memory cgroup); ours keeps
 * the copy made on each change small.  One more is -ENOSPC.
 */
#define VIREO_MAX_IOEVENTFDS 1000

struct vireo_vm;
struct vireo_ioeventfd;

/* The VIREO_IOEVENTFD ioctl: assign or deassign one registration. */
int vireo_ioeventfd_ioctl(struct vireo_vm *vm,
			  struct vireo_ioeventfd __user *arg);

/*
 * A guest write of len bytes (1, 2, 4 or 8) of data to a port (pio) or
 * an MMIO address.  Signals the matching registration's eventfd and
 * returns true; false when none matches.  Called under vm->srcu.
 */
bool vireo_ioeventfd_write(struct vireo_vm *vm, bool pio, u64 addr,
			   unsigned int len, const void *data);

/* Drops every registration; the VM is being freed. */
void vireo_ioeventfd_destroy(struct vireo_vm *vm);

#endif /* VIREO_IOEVENTFD_H */
