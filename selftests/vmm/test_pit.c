// SPDX-License-Identifier: GPL-2.0-only
/*
 * The i8254 with a clock the cases set: each case is a script of port
 * accesses at given tick times, timer expirations and IRQ0 counts.
 */
#include "pit.h"
#include "unit.h"

enum op { END, OUT, IN, AT, AT_MID, FIRE, IRQS, SLOW };

struct step {
	enum op op;
	uint16_t port;
	uint8_t mask;		/* IN: bits compared */
	uint32_t val;		/* OUT, IN: byte; AT: tick; IRQS: count */
};

#define OUTB(p, v)	{ OUT, p, 0, v }
#define INB(p, v)	{ IN, p, 0xff, v }
#define INM(p, m, v)	{ IN, p, m, v }
#define AT_TICK(t)	{ AT, 0, 0, t }
#define MID_TICK(t)	{ AT_MID, 0, 0, t }	/* half a tick later */
#define TIMER		{ FIRE, 0, 0, 0 }
#define NIRQ(n)		{ IRQS, 0, 0, n }
#define OUT2(v)		INM(0x61, 0x20, (v) ? 0x20 : 0)
/* From here on the clock moves n ticks at every read: a host running late. */
#define SLOW_BY(n)	{ SLOW, 0, 0, n }

#define T0 1000000000ll

struct pit_case {
	const char *name;
	struct step steps[32];
};

static const struct pit_case cases[] = {
	{ "Linux calibration: mode 0 on channel 2, OUT2 at terminal count",
	  { OUTB(0x61, 0x01), OUTB(0x43, 0xb0), OUT2(0), OUTB(0x42, 100),
	    OUTB(0x42, 0), OUT2(0), AT_TICK(99), OUT2(0), AT_TICK(100),
	    OUT2(1), AT_TICK(5000), OUT2(1) } },
	{ "lo/hi reads alternate (quick calibration MSB)",
	  { OUTB(0x61, 0x01), OUTB(0x43, 0xb0), OUTB(0x42, 0xff),
	    OUTB(0x42, 0xff), AT_TICK(256), INB(0x42, 0xff), INB(0x42, 0xfe),
	    AT_TICK(512), INB(0x42, 0xff), INB(0x42, 0xfd) } },
	{ "counter latch holds the value until both bytes are read",
	  { OUTB(0x43, 0x34), OUTB(0x40, 0xe8), OUTB(0x40, 0x03),
	    AT_TICK(100), OUTB(0x43, 0x00), AT_TICK(300), INB(0x40, 0x84),
	    AT_TICK(400), INB(0x40, 0x03), INB(0x40, 0x58), INB(0x40, 0x02) } },
	{ "second latch before reading is ignored",
	  { OUTB(0x43, 0x34), OUTB(0x40, 0xe8), OUTB(0x40, 0x03),
	    AT_TICK(100), OUTB(0x43, 0x00), AT_TICK(200), OUTB(0x43, 0x00),
	    INB(0x40, 0x84), INB(0x40, 0x03) } },
	{ "lobyte-only access",
	  { OUTB(0x43, 0x50), OUTB(0x41, 0x40), AT_TICK(16), INB(0x41, 0x30),
	    INB(0x41, 0x30) } },
	{ "hibyte-only access",
	  { OUTB(0x43, 0x60), OUTB(0x41, 0x10), AT_TICK(1), INB(0x41, 0x0f) } },
	{ "read-back status: null count until loaded",
	  { OUTB(0x43, 0x34), OUTB(0x43, 0xe2), INB(0x40, 0xf4),
	    OUTB(0x40, 0x00), OUTB(0x40, 0x10), OUTB(0x43, 0xe2),
	    INB(0x40, 0xb4) } },
	{ "read-back status then count",
	  { OUTB(0x43, 0x30), OUTB(0x40, 10), OUTB(0x40, 0), AT_TICK(4),
	    OUTB(0x43, 0xc2), INB(0x40, 0x30), INB(0x40, 6), INB(0x40, 0) } },
	{ "mode 2 counts N..1 and OUT dips at 1",
	  { OUTB(0x61, 0x01), OUTB(0x43, 0xb4), OUTB(0x42, 10), OUTB(0x42, 0),
	    INB(0x42, 10), INB(0x42, 0), AT_TICK(9), INB(0x42, 1),
	    INB(0x42, 0), OUT2(0), AT_TICK(10), INB(0x42, 10), INB(0x42, 0),
	    OUT2(1) } },
	{ "mode 3 square wave halves",
	  { OUTB(0x61, 0x01), OUTB(0x43, 0xb6), OUTB(0x42, 100),
	    OUTB(0x42, 0), AT_TICK(10), OUT2(1), INB(0x42, 80), INB(0x42, 0),
	    AT_TICK(49), OUT2(1), AT_TICK(50), OUT2(0), AT_TICK(99), OUT2(0),
	    AT_TICK(100), OUT2(1) } },
	{ "count 0 means 65536",
	  { OUTB(0x43, 0x34), OUTB(0x40, 0), OUTB(0x40, 0), AT_TICK(1),
	    INB(0x40, 0xff), INB(0x40, 0xff) } },
	{ "mode 2 on channel 0: one IRQ0 per period",
	  { OUTB(0x43, 0x34), OUTB(0x40, 0xa9), OUTB(0x40, 0x04), TIMER,
	    NIRQ(0), AT_TICK(1192), TIMER, NIRQ(0), AT_TICK(1193), TIMER,
	    NIRQ(1), AT_TICK(2386), TIMER, NIRQ(2), TIMER, NIRQ(2) } },
	{ "missed periods collapse into one IRQ0",
	  { OUTB(0x43, 0x34), OUTB(0x40, 100), OUTB(0x40, 0), AT_TICK(1000),
	    TIMER, NIRQ(1), AT_TICK(1050), TIMER, NIRQ(1), AT_TICK(1100),
	    TIMER, NIRQ(2) } },
	{ "mode 0 on channel 0: a single IRQ0",
	  { OUTB(0x43, 0x30), OUTB(0x40, 100), OUTB(0x40, 0), AT_TICK(99),
	    TIMER, NIRQ(0), AT_TICK(100), TIMER, NIRQ(1), AT_TICK(100000),
	    TIMER, NIRQ(1) } },
	{ "mode 4 on channel 0: IRQ0 one tick after terminal count",
	  { OUTB(0x43, 0x38), OUTB(0x40, 100), OUTB(0x40, 0), AT_TICK(100),
	    TIMER, NIRQ(0), AT_TICK(101), TIMER, NIRQ(1), AT_TICK(500),
	    TIMER, NIRQ(1) } },
	{ "mode 4 edge already past when the timer is set still raises IRQ0",
	  { SLOW_BY(1000), OUTB(0x43, 0x38), OUTB(0x40, 100), OUTB(0x40, 0),
	    TIMER, NIRQ(1), TIMER, NIRQ(1) } },
	{ "mode 0 edge already past when the timer is set still raises IRQ0",
	  { SLOW_BY(1000), OUTB(0x43, 0x30), OUTB(0x40, 100), OUTB(0x40, 0),
	    TIMER, NIRQ(1), TIMER, NIRQ(1) } },
	{ "mode 2 late by many periods: one IRQ0, then on time",
	  { SLOW_BY(1000), OUTB(0x43, 0x34), OUTB(0x40, 100), OUTB(0x40, 0),
	    TIMER, NIRQ(1), TIMER, NIRQ(2) } },
	{ "a new mode word stops channel 0",
	  { OUTB(0x43, 0x34), OUTB(0x40, 100), OUTB(0x40, 0),
	    OUTB(0x43, 0x34), AT_TICK(1000), TIMER, NIRQ(0) } },
	{ "gate low pauses mode 0",
	  { OUTB(0x61, 0x01), OUTB(0x43, 0xb0), OUTB(0x42, 100),
	    OUTB(0x42, 0), AT_TICK(40), OUTB(0x61, 0x00), AT_TICK(1000),
	    INB(0x42, 60), INB(0x42, 0), OUT2(0), OUTB(0x61, 0x01),
	    AT_TICK(1059), OUT2(0), AT_TICK(1061), OUT2(1) } },
	{ "mode 2 waits for the gate and restarts on it",
	  { OUTB(0x61, 0x00), OUTB(0x43, 0xb4), OUTB(0x42, 10), OUTB(0x42, 0),
	    AT_TICK(5), INB(0x42, 10), INB(0x42, 0), OUTB(0x61, 0x01),
	    MID_TICK(8), INB(0x42, 7), INB(0x42, 0) } },
	{ "mode 1 starts on a rising gate, OUT low until terminal",
	  { OUTB(0x61, 0x00), OUTB(0x43, 0xb2), OUTB(0x42, 10), OUTB(0x42, 0),
	    OUT2(1), AT_TICK(20), OUTB(0x61, 0x01), OUT2(0), AT_TICK(29),
	    OUT2(0), AT_TICK(30), OUT2(1) } },
	{ "port 0x61: writable bits, refresh toggles, bits 6-7 clear",
	  { OUTB(0x61, 0xff), INM(0x61, 0xcf, 0x0f), AT_TICK(0),
	    INM(0x61, 0x10, 0x10), AT_TICK(18), INM(0x61, 0x10, 0x00) } },
	{ "the control port reads all ones",
	  { INB(0x43, 0xff) } },
};

/* A clock that may advance by itself at every read (SLOW_BY). */
struct pit_test_clock {
	int64_t ns;
	int64_t step_ns;
};

static int64_t pit_test_clock_read(void *arg)
{
	struct pit_test_clock *clock = arg;
	int64_t now = clock->ns;

	clock->ns += clock->step_ns;
	return now;
}

static bool run_case(const struct pit_case *c, int *failed_step,
		     uint32_t *got)
{
	struct test_machine m;
	struct pit_test_clock clock = { T0, 0 };
	struct test_event *timer = NULL;
	struct pit *pit;
	bool ok = true;

	test_machine_init(&m, 0);
	pit = pit_create(&m.ctx, 0);
	if (!pit) {
		*failed_step = -1;
		test_machine_destroy(&m);
		return false;
	}
	pit_set_clock(pit, pit_test_clock_read, &clock);
	for (int i = 0; i < 16; i++)
		if (test_events[i].live && test_events[i].arg == pit)
			timer = &test_events[i];
	if (!timer) {
		*failed_step = -2;
		ok = false;
	}
	for (int i = 0; ok && c->steps[i].op != END; i++) {
		const struct step *s = &c->steps[i];
		uint64_t t = s->val;

		switch (s->op) {
		case OUT:
			test_outb(&m, s->port, (uint8_t)s->val);
			continue;
		case AT:
			/* The first nanosecond of tick t. */
			clock.ns = T0 + (int64_t)((t * 1000000000ull +
						   PIT_FREQ_HZ - 1) /
						  PIT_FREQ_HZ);
			continue;
		case AT_MID:
			clock.ns = T0 + (int64_t)((2 * t + 1) * 1000000000ull /
						  (2 * PIT_FREQ_HZ));
			continue;
		case FIRE:
			timer->fn(timer->arg, 1);
			continue;
		case SLOW:
			clock.step_ns = (int64_t)(t * 1000000000ull / PIT_FREQ_HZ);
			continue;
		case IN:
			*got = test_inb(&m, s->port) & s->mask;
			break;
		case IRQS:
			*got = m.rises[0];
			break;
		case END:
			break;
		}
		if (*got != s->val) {
			*failed_step = i;
			ok = false;
		}
	}
	pit_destroy(pit);
	test_machine_destroy(&m);
	return ok;
}

void test_pit(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int step = 0;
		uint32_t got = 0;

		if (!unit_case(run_case(&cases[i], &step, &got), "pit: %s",
			       cases[i].name))
			unit_diag("step %d: got %#x, expected %#x", step, got,
				  step >= 0 ? cases[i].steps[step].val : 0);
	}
}
