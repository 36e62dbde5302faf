/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a device model is given when it is created: the bus to register
 * on, the interrupt controller, the event loop for its file descriptors
 * (timers, the console), and the machine's controls.
 *
 * Locking: one lock, the machine lock, serialises every device callback.
 * The vCPU thread holds it around bus_access(); the event loop holds it
 * around every fd callback.  Device code never takes it itself.
 */
#ifndef VIREO_VMM_H
#define VIREO_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "irq.h"

struct event_loop;

/* events: EPOLLIN etc. of the fd.  Runs with the machine lock held. */
typedef void (*event_fn)(void *arg, uint32_t events);

/* Returns 0 or -errno; the callback runs on the event-loop thread. */
int event_add_fd(struct event_loop *loop, int fd, event_fn fn, void *arg);
void event_del_fd(struct event_loop *loop, int fd);

/* A thread with every signal blocked (thread.c); 0 or -errno. */
int vmm_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

enum vmm_stop_reason {
	VMM_STOP_POWEROFF,	/* guest powered off: exit status 0 */
	VMM_STOP_RESET,		/* guest asked for a reset */
	VMM_STOP_ERROR,		/* internal error: non-zero exit status */
};

struct vmm_ctx {
	struct bus *bus;
	struct irq_chip *irq;		/* the PIC, once created */
	struct event_loop *loop;
	/* Guest memory, for devices that read or write it (ACPI, DMA). */
	uint8_t *mem;
	uint64_t mem_size;
	/*
	 * Ends the VM; safe from any thread, with the machine lock held.
	 * how names the mechanism for the user ("port 0xcf9"); may be NULL.
	 */
	void (*stop)(struct vmm_ctx *ctx, enum vmm_stop_reason why,
		     const char *how);
	/* An interrupt may have become deliverable: wake the vCPU. */
	void (*kick)(struct vmm_ctx *ctx);
	/*
	 * Have the hypervisor signal eventfd fd on a guest write of len
	 * bytes to MMIO address addr (KVM_IOEVENTFD), or stop doing so.
	 * Returns 0, or -errno (-EOPNOTSUPP when the hypervisor has no
	 * ioeventfd: the device then sees the write on the bus).  May be
	 * NULL.
	 */
	int (*ioeventfd)(struct vmm_ctx *ctx, uint64_t addr, unsigned int len,
			 int fd, bool assign);
	/* The guest console. */
	int console_in, console_out;
	void *owner;			/* the monitor's own state */
};

#endif /* VIREO_VMM_H */
