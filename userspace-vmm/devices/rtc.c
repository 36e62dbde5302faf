// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MC146818 RTC and its 128 bytes of CMOS RAM.
 *
 * The time is not kept in the registers: reads work it out from the
 * host clock plus an offset in seconds, which changes when the guest
 * writes a time register.  While register B's SET bit is on, the guest
 * edits a frozen copy that becomes the new time when SET goes off, as
 * Linux's set_rtc does.  Register B chooses BCD or binary and 12 or 24
 * hours.  Register A's update-in-progress bit is on during the last
 * 244 us of every second.
 *
 * Not emulated: the periodic, alarm and update interrupts (register C
 * always reads 0), the divider chain reset.  Bit 7 of the index (the
 * NMI mask) is ignored.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "io_access.h"
#include "rtc.h"

#define RTC_PORT	0x70
#define NS_PER_SEC	1000000000ll
#define UIP_NS		244000

enum rtc_reg {
	REG_SEC = 0x00, REG_MIN = 0x02, REG_HOUR = 0x04, REG_WDAY = 0x06,
	REG_MDAY = 0x07, REG_MON = 0x08, REG_YEAR = 0x09, REG_A = 0x0a,
	REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d,
};

#define A_UIP		0x80
#define B_SET		0x80
#define B_BINARY	0x04
#define B_24H		0x02
#define D_VRT		0x80
#define HOUR_PM		0x80

/* CMOS RAM offsets of the memory fields (PC/AT and later BIOSes). */
#define CMOS_BASE_MEM	0x15	/* KiB below 1 MiB, 2 bytes */
#define CMOS_EXT_MEM	0x17	/* KiB above 1 MiB, 2 bytes */
#define CMOS_EXT_MEM2	0x30	/* the same again */
#define CMOS_MEM_16M	0x34	/* 64 KiB units from 16 MiB to 4 GiB */
#define CMOS_MEM_4G	0x5b	/* 64 KiB units above 4 GiB, 3 bytes */
#define CMOS_EQUIPMENT	0x14
#define CMOS_CSUM	0x2e	/* sum of 0x10-0x2d, high byte first */

struct rtc {
	struct vmm_device dev;
	uint8_t index;
	uint8_t ram[128];
	int64_t offset_s;	/* guest time minus host time */
	struct tm frozen;	/* the time being set while B.SET is on */
	int64_t (*now_ns)(void *arg);
	void *clock_arg;
};

static int64_t realtime_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t host_seconds(struct rtc *rtc)
{
	int64_t ns = rtc->now_ns(rtc->clock_arg);

	return ns >= 0 ? ns / NS_PER_SEC : -((-ns + NS_PER_SEC - 1) / NS_PER_SEC);
}

static void guest_tm(struct rtc *rtc, struct tm *tm)
{
	time_t t = (time_t)(host_seconds(rtc) + rtc->offset_s);

	if (rtc->ram[REG_B] & B_SET)
		*tm = rtc->frozen;
	else
		gmtime_r(&t, tm);
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t encode(const struct rtc *rtc, unsigned int v)
{
	return rtc->ram[REG_B] & B_BINARY ? (uint8_t)v : to_bcd(v);
}

static unsigned int decode(const struct rtc *rtc, uint8_t v)
{
	return rtc->ram[REG_B] & B_BINARY ? v : from_bcd(v);
}

static uint8_t encode_hour(const struct rtc *rtc, int hour)
{
	unsigned int h12;

	if (rtc->ram[REG_B] & B_24H)
		return encode(rtc, (unsigned int)hour);
	h12 = hour % 12 ? (unsigned int)hour % 12 : 12;
	return encode(rtc, h12) | (hour >= 12 ? HOUR_PM : 0);
}

static int decode_hour(const struct rtc *rtc, uint8_t v)
{
	int h;

	if (rtc->ram[REG_B] & B_24H)
		return (int)decode(rtc, v);
	h = (int)decode(rtc, v & ~HOUR_PM) % 12;
	return v & HOUR_PM ? h + 12 : h;
}

static uint8_t rtc_time_reg(struct rtc *rtc, unsigned int reg)
{
	struct tm tm;

	guest_tm(rtc, &tm);
	switch (reg) {
	case REG_SEC:
		return encode(rtc, (unsigned int)tm.tm_sec);
	case REG_MIN:
		return encode(rtc, (unsigned int)tm.tm_min);
	case REG_HOUR:
		return encode_hour(rtc, tm.tm_hour);
	case REG_WDAY:
		return encode(rtc, (unsigned int)tm.tm_wday + 1);
	case REG_MDAY:
		return encode(rtc, (unsigned int)tm.tm_mday);
	case REG_MON:
		return encode(rtc, (unsigned int)tm.tm_mon + 1);
	case REG_YEAR:
		return encode(rtc, (unsigned int)tm.tm_year % 100);
	default: /* RTC_REG_CENTURY */
		return encode(rtc, (unsigned int)(tm.tm_year + 1900) / 100);
	}
}

static void rtc_set_time_reg(struct rtc *rtc, unsigned int reg, uint8_t val)
{
	struct tm tm;
	int v = (int)decode(rtc, val);

	guest_tm(rtc, &tm);
	switch (reg) {
	case REG_SEC:
		tm.tm_sec = v;
		break;
	case REG_MIN:
		tm.tm_min = v;
		break;
	case REG_HOUR:
		tm.tm_hour = decode_hour(rtc, val);
		break;
	case REG_WDAY:
		return;	/* worked out from the date */
	case REG_MDAY:
		tm.tm_mday = v;
		break;
	case REG_MON:
		tm.tm_mon = v - 1;
		break;
	case REG_YEAR:
		tm.tm_year = (tm.tm_year + 1900) / 100 * 100 + v % 100 - 1900;
		break;
	default: /* RTC_REG_CENTURY */
		tm.tm_year = v * 100 + (tm.tm_year + 1900) % 100 - 1900;
		break;
	}
	if (rtc->ram[REG_B] & B_SET)
		rtc->frozen = tm;
	else
		rtc->offset_s = (int64_t)timegm(&tm) - host_seconds(rtc);
}

static bool is_time_reg(unsigned int reg)
{
	return reg == REG_SEC || reg == REG_MIN || reg == REG_HOUR ||
	       (reg >= REG_WDAY && reg <= REG_YEAR) || reg == RTC_REG_CENTURY;
}

static uint8_t rtc_read_reg(struct rtc *rtc, unsigned int reg)
{
	int64_t ns;
	uint8_t v;

	if (is_time_reg(reg))
		return rtc_time_reg(rtc, reg);
	switch (reg) {
	case REG_A:
		ns = rtc->now_ns(rtc->clock_arg) % NS_PER_SEC;
		v = rtc->ram[REG_A] & ~A_UIP;
		if (!(rtc->ram[REG_B] & B_SET) && ns >= NS_PER_SEC - UIP_NS)
			v |= A_UIP;
		return v;
	case REG_C:
		v = rtc->ram[REG_C];
		rtc->ram[REG_C] = 0;
		return v;
	case REG_D:
		return D_VRT;
	default:
		return rtc->ram[reg];
	}
}

static void rtc_write_reg(struct rtc *rtc, unsigned int reg, uint8_t val)
{
	if (is_time_reg(reg)) {
		rtc_set_time_reg(rtc, reg, val);
		return;
	}
	switch (reg) {
	case REG_A:
		rtc->ram[REG_A] = val & ~A_UIP;
		break;
	case REG_B:
		if ((val & B_SET) && !(rtc->ram[REG_B] & B_SET))
			guest_tm(rtc, &rtc->frozen);
		if (!(val & B_SET) && (rtc->ram[REG_B] & B_SET))
			rtc->offset_s = (int64_t)timegm(&rtc->frozen) -
					host_seconds(rtc);
		rtc->ram[REG_B] = val;
		break;
	case REG_C:
	case REG_D:
		break;	/* read-only */
	default:
		rtc->ram[reg] = val;
		break;
	}
}

static void rtc_read(struct vmm_device *dev, uint64_t offset, void *data,
		     unsigned int size)
{
	struct rtc *rtc = dev->priv;

	/* The index port is write-only. */
	io_data_put(data, size, offset ? rtc_read_reg(rtc, rtc->index) : 0xff);
}

static void rtc_write(struct vmm_device *dev, uint64_t offset,
		      const void *data, unsigned int size)
{
	struct rtc *rtc = dev->priv;
	uint8_t v = (uint8_t)io_data_get(data, size);

	if (offset == 0)
		rtc->index = v & 0x7f;	/* bit 7 masks NMIs: ignored */
	else
		rtc_write_reg(rtc, rtc->index, v);
}

static const struct vmm_device_ops rtc_ops = {
	.name = "mc146818",
	.read = rtc_read,
	.write = rtc_write,
};

static void put16(uint8_t *p, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void rtc_fill_memory_fields(struct rtc *rtc, uint64_t low, uint64_t high)
{
	uint8_t *ram = rtc->ram;
	uint64_t above4g = high >> 16;
	unsigned int sum = 0;

	put16(ram + CMOS_BASE_MEM, 640);
	put16(ram + CMOS_EXT_MEM, low > (1 << 20) ? (low - (1 << 20)) >> 10 : 0);
	memcpy(ram + CMOS_EXT_MEM2, ram + CMOS_EXT_MEM, 2);
	put16(ram + CMOS_MEM_16M,
	      low > (16 << 20) ? (low - (16 << 20)) >> 16 : 0);
	if (above4g > 0xffffff)
		above4g = 0xffffff;
	ram[CMOS_MEM_4G] = (uint8_t)above4g;
	ram[CMOS_MEM_4G + 1] = (uint8_t)(above4g >> 8);
	ram[CMOS_MEM_4G + 2] = (uint8_t)(above4g >> 16);
	ram[CMOS_EQUIPMENT] = 0x02;	/* a maths coprocessor, no floppy */
	for (unsigned int i = 0x10; i < CMOS_CSUM; i++)
		sum += ram[i];
	ram[CMOS_CSUM] = (uint8_t)(sum >> 8);
	ram[CMOS_CSUM + 1] = (uint8_t)sum;
}

void rtc_set_clock(struct rtc *rtc, int64_t (*now_ns)(void *arg), void *arg)
{
	rtc->now_ns = now_ns;
	rtc->clock_arg = arg;
}

struct rtc *rtc_create(struct vmm_ctx *ctx, uint64_t low_mem,
		       uint64_t high_mem)
{
	struct rtc *rtc = calloc(1, sizeof(*rtc));

	if (!rtc)
		return NULL;
	rtc->dev = (struct vmm_device){ &rtc_ops, rtc };
	rtc->now_ns = realtime_ns;
	rtc->ram[REG_A] = 0x26;	/* 32.768 kHz divider, 1024 Hz rate */
	rtc->ram[REG_B] = B_24H;
	rtc_fill_memory_fields(rtc, low_mem, high_mem);
	if (bus_register(ctx->bus, BUS_PIO, RTC_PORT, 2, &rtc->dev)) {
		free(rtc);
		return NULL;
	}
	return rtc;
}

void rtc_destroy(struct rtc *rtc)
{
	free(rtc);
}
