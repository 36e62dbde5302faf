/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MC146818 real-time clock and CMOS RAM at ports 0x70 (index) and
 * 0x71 (data).  The clock shows the host's UTC time, moved by whatever
 * the guest sets; the RAM carries the memory size fields firmware
 * leaves there.
 */
#ifndef VIREO_DEVICES_RTC_H
#define VIREO_DEVICES_RTC_H

#include <stdint.h>

#include "vmm.h"

/* The century byte, for the FADT. */
#define RTC_REG_CENTURY 0x32

struct rtc;

/*
 * low_mem: bytes of RAM below 4 GiB, high_mem: bytes above 4 GiB, for
 * the CMOS memory size fields.  NULL on failure.
 */
struct rtc *rtc_create(struct vmm_ctx *ctx, uint64_t low_mem,
		       uint64_t high_mem);
void rtc_destroy(struct rtc *rtc);

/* Replace CLOCK_REALTIME by another clock in nanoseconds, for tests. */
void rtc_set_clock(struct rtc *rtc, int64_t (*now_ns)(void *arg), void *arg);

#endif /* VIREO_DEVICES_RTC_H */
