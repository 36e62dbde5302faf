// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RTC at fixed host times: register values per register B mode,
 * the update-in-progress window, setting the time, and the CMOS RAM.
 */
#include "rtc.h"
#include "unit.h"

#define NS 1000000000ll
/* 2024-02-29 23:59:58 UTC, a Thursday; 1999-12-31 12:30:00, a Friday. */
#define LEAP_EVE	1709251198ll
#define Y2K_NOON	946643400ll

struct rtc_case {
	const char *name;
	int64_t now_ns;
	uint8_t reg_b;
	uint8_t reg;
	uint8_t expect;
};

static const struct rtc_case cases[] = {
	{ "BCD seconds", LEAP_EVE * NS, 0x02, 0x00, 0x58 },
	{ "BCD minutes", LEAP_EVE * NS, 0x02, 0x02, 0x59 },
	{ "BCD hours, 24h", LEAP_EVE * NS, 0x02, 0x04, 0x23 },
	{ "BCD weekday (Sunday is 1)", LEAP_EVE * NS, 0x02, 0x06, 0x05 },
	{ "BCD day of month", LEAP_EVE * NS, 0x02, 0x07, 0x29 },
	{ "BCD month", LEAP_EVE * NS, 0x02, 0x08, 0x02 },
	{ "BCD year", LEAP_EVE * NS, 0x02, 0x09, 0x24 },
	{ "BCD century", LEAP_EVE * NS, 0x02, 0x32, 0x20 },
	{ "binary seconds", LEAP_EVE * NS, 0x06, 0x00, 58 },
	{ "binary hours, 24h", LEAP_EVE * NS, 0x06, 0x04, 23 },
	{ "binary year", LEAP_EVE * NS, 0x06, 0x09, 24 },
	{ "binary century", LEAP_EVE * NS, 0x06, 0x32, 20 },
	{ "BCD hours, 12h, PM", LEAP_EVE * NS, 0x00, 0x04, 0x91 },
	{ "binary hours, 12h, PM", LEAP_EVE * NS, 0x04, 0x04, 0x8b },
	{ "BCD hours, 12h, noon", Y2K_NOON * NS, 0x00, 0x04, 0x92 },
	{ "BCD hours, 12h, midnight", (LEAP_EVE + 2) * NS, 0x00, 0x04, 0x12 },
	{ "rolls over into March", (LEAP_EVE + 2) * NS, 0x02, 0x08, 0x03 },
	{ "previous century", Y2K_NOON * NS, 0x02, 0x32, 0x19 },
	{ "Friday", Y2K_NOON * NS, 0x02, 0x06, 0x06 },
	{ "register A: divider, no update yet", LEAP_EVE * NS, 0x02, 0x0a,
	  0x26 },
	{ "register A: update in progress", LEAP_EVE * NS + NS - 200000, 0x02,
	  0x0a, 0xa6 },
	{ "register A: just before the window", LEAP_EVE * NS + NS - 250000,
	  0x02, 0x0a, 0x26 },
	{ "register C: no interrupt flags", LEAP_EVE * NS, 0x02, 0x0c, 0x00 },
	{ "register D: valid RAM and time", LEAP_EVE * NS, 0x02, 0x0d, 0x80 },
	{ "NMI mask bit of the index is ignored", LEAP_EVE * NS, 0x02, 0x80,
	  0x58 },
};

static void test_rtc_registers(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rtc_case *c = &cases[i];
		struct test_clock clock = { c->now_ns };
		struct test_machine m;
		struct rtc *rtc;
		uint8_t got = 0;

		test_machine_init(&m, 0);
		rtc = rtc_create(&m.ctx, 256 << 20, 0);
		if (rtc) {
			rtc_set_clock(rtc, test_clock_read, &clock);
			test_outb(&m, 0x70, 0x0b);
			test_outb(&m, 0x71, c->reg_b);
			test_outb(&m, 0x70, c->reg);
			got = test_inb(&m, 0x71);
		}
		if (!unit_case(rtc && got == c->expect, "rtc: %s", c->name))
			unit_diag("got %#x, expected %#x", got, c->expect);
		rtc_destroy(rtc);
		test_machine_destroy(&m);
	}
}

static uint8_t cmos(struct test_machine *m, uint8_t reg)
{
	test_outb(m, 0x70, reg);
	return test_inb(m, 0x71);
}

static void cmos_set(struct test_machine *m, uint8_t reg, uint8_t v)
{
	test_outb(m, 0x70, reg);
	test_outb(m, 0x71, v);
}

static void test_rtc_set_time(void)
{
	struct test_clock clock = { LEAP_EVE * NS };
	struct test_machine m;
	struct rtc *rtc;

	test_machine_init(&m, 0);
	rtc = rtc_create(&m.ctx, 0, 0);
	rtc_set_clock(rtc, test_clock_read, &clock);

	/* Linux's set_rtc: SET on, write the fields, SET off. */
	cmos_set(&m, 0x0b, 0x82);
	cmos_set(&m, 0x09, 0x28);
	cmos_set(&m, 0x04, 0x08);
	clock.ns += 5 * NS;
	unit_case(cmos(&m, 0x00) == 0x58 && cmos(&m, 0x09) == 0x28,
		  "rtc: the time stands still while SET is on");
	cmos_set(&m, 0x0b, 0x02);
	clock.ns += 3 * NS;
	/* Set at 08:59:58, three seconds later it is 09:00:01. */
	unit_case(cmos(&m, 0x09) == 0x28 && cmos(&m, 0x04) == 0x09 &&
			  cmos(&m, 0x00) == 0x01 && cmos(&m, 0x07) == 0x29 &&
			  cmos(&m, 0x08) == 0x02,
		  "rtc: the new time runs on from SET off");
	unit_case(cmos(&m, 0x06) == 0x03, "rtc: weekday follows the new date");
	cmos_set(&m, 0x00, 0x30);
	unit_case(cmos(&m, 0x00) == 0x30 && cmos(&m, 0x02) == 0x00,
		  "rtc: a field written without SET applies at once");
	cmos_set(&m, 0x0b, 0x06);
	cmos_set(&m, 0x09, 99);
	unit_case(cmos(&m, 0x09) == 99 && cmos(&m, 0x32) == 20,
		  "rtc: binary year written keeps the century");
	rtc_destroy(rtc);
	test_machine_destroy(&m);
}

static void test_rtc_ram(void)
{
	struct test_machine m;
	struct rtc *a, *b;
	unsigned int sum = 0;

	test_machine_init(&m, 0);
	a = rtc_create(&m.ctx, 3ull << 30, 1ull << 30);
	cmos_set(&m, 0x40, 0x5a);
	cmos_set(&m, 0x7f, 0xa5);
	unit_case(cmos(&m, 0x40) == 0x5a && cmos(&m, 0x7f) == 0xa5,
		  "rtc: CMOS RAM keeps bytes");
	unit_case(cmos(&m, 0x15) == 0x80 && cmos(&m, 0x16) == 0x02,
		  "rtc: base memory 640 KiB");
	unit_case(cmos(&m, 0x17) == 0xff && cmos(&m, 0x18) == 0xff &&
			  cmos(&m, 0x30) == 0xff && cmos(&m, 0x31) == 0xff,
		  "rtc: extended memory capped at 0xffff KiB");
	unit_case(cmos(&m, 0x34) == 0x00 && cmos(&m, 0x35) == 0xbf,
		  "rtc: memory above 16 MiB in 64 KiB units");
	unit_case(cmos(&m, 0x5b) == 0x00 && cmos(&m, 0x5c) == 0x40 &&
			  cmos(&m, 0x5d) == 0x00,
		  "rtc: memory above 4 GiB in 64 KiB units");
	for (uint8_t r = 0x10; r < 0x2e; r++)
		sum += cmos(&m, r);
	unit_case(cmos(&m, 0x2e) == (sum >> 8 & 0xff) &&
			  cmos(&m, 0x2f) == (sum & 0xff),
		  "rtc: checksum of 0x10-0x2d");
	unit_case(test_inb(&m, 0x70) == 0xff, "rtc: index port is write-only");
	b = rtc_create(&m.ctx, 0, 0);
	unit_case(!b, "rtc: the ports cannot be taken twice");
	rtc_destroy(a);
	test_machine_destroy(&m);
}

void test_rtc(void)
{
	test_rtc_registers();
	test_rtc_set_time();
	test_rtc_ram();
}
