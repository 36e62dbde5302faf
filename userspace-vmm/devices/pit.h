/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The i8254 programmable interval timer at ports 0x40-0x43, with the
 * channel 2 gate and output bits of port 0x61 (system control port B).
 * Channel 0 drives an interrupt line (IRQ0 on a PC) from a timerfd.
 */
#ifndef VIREO_DEVICES_PIT_H
#define VIREO_DEVICES_PIT_H

#include <stdint.h>

#include "vmm.h"

#define PIT_FREQ_HZ 1193182u

struct pit;

/* NULL on failure (ports taken, no timerfd, event loop full). */
struct pit *pit_create(struct vmm_ctx *ctx, unsigned int irq);
void pit_destroy(struct pit *pit);

/*
 * Replace CLOCK_MONOTONIC by another clock in nanoseconds, for tests.
 * Call it before the guest programs the timer.
 */
void pit_set_clock(struct pit *pit, int64_t (*now_ns)(void *arg), void *arg);

#endif /* VIREO_DEVICES_PIT_H */
