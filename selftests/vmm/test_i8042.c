// SPDX-License-Identifier: GPL-2.0-only
/*
 * The i8042: scripts of command and data port accesses as Linux's
 * probe and reboot make them, with the interrupt lines and resets seen.
 */
#include "i8042.h"
#include "unit.h"

enum op { END, CMD, DATA, STATUS, READ, KBD_IRQ, AUX_IRQ, RESETS };

struct step {
	enum op op;
	int val;	/* CMD, DATA: byte written; the others: expected */
};

struct kbc_case {
	const char *name;
	struct step steps[24];
};

static const struct kbc_case cases[] = {
	{ "idle status: nothing to read, not inhibited, system flag",
	  { { STATUS, 0x14 } } },
	{ "read and write the configuration byte",
	  { { CMD, 0x20 }, { STATUS, 0x1d }, { READ, 0x65 }, { STATUS, 0x1c },
	    { CMD, 0x60 }, { DATA, 0x47 }, { CMD, 0x20 }, { READ, 0x47 } } },
	{ "controller self test answers 0x55",
	  { { CMD, 0xaa }, { READ, 0x55 } } },
	{ "interface tests pass",
	  { { CMD, 0xab }, { READ, 0x00 }, { CMD, 0xa9 }, { READ, 0x00 } } },
	{ "port enables change the configuration byte",
	  { { CMD, 0xad }, { CMD, 0xa8 }, { CMD, 0x20 }, { READ, 0x55 },
	    { CMD, 0xae }, { CMD, 0xa7 }, { CMD, 0x20 }, { READ, 0x65 } } },
	{ "mouse loopback comes back as mouse data on IRQ12",
	  { { CMD, 0x60 }, { DATA, 0x47 }, { CMD, 0xd3 }, { DATA, 0x5a },
	    { STATUS, 0x35 }, { AUX_IRQ, 1 }, { KBD_IRQ, 0 }, { READ, 0x5a },
	    { AUX_IRQ, 0 } } },
	{ "a byte for the absent mouse times out",
	  { { CMD, 0xd4 }, { DATA, 0xff }, { STATUS, 0x75 }, { READ, 0xfe },
	    { STATUS, 0x14 } } },
	{ "keyboard reset: ack then passed, on IRQ1",
	  { { DATA, 0xff }, { KBD_IRQ, 1 }, { READ, 0xfa }, { KBD_IRQ, 1 },
	    { READ, 0xaa }, { KBD_IRQ, 0 }, { STATUS, 0x14 } } },
	{ "keyboard identify, translated",
	  { { DATA, 0xf2 }, { READ, 0xfa }, { READ, 0xab }, { READ, 0x41 } } },
	{ "keyboard echo and acknowledged commands",
	  { { DATA, 0xee }, { READ, 0xee }, { DATA, 0xed }, { READ, 0xfa },
	    { DATA, 0x00 }, { READ, 0xfa } } },
	{ "IRQ1 off when the configuration disables it",
	  { { CMD, 0x60 }, { DATA, 0x44 }, { DATA, 0xf4 }, { KBD_IRQ, 0 },
	    { STATUS, 0x15 }, { READ, 0xfa } } },
	{ "an empty data port repeats the last byte",
	  { { CMD, 0xaa }, { READ, 0x55 }, { READ, 0x55 } } },
	{ "command 0xfe resets the machine",
	  { { RESETS, 0 }, { CMD, 0xfe }, { RESETS, 1 } } },
	{ "odd pulse commands do not reset",
	  { { CMD, 0xff }, { CMD, 0xf1 }, { RESETS, 0 } } },
	{ "output port: read, and a cleared reset bit resets",
	  { { CMD, 0xd0 }, { READ, 0x03 }, { CMD, 0xd1 }, { DATA, 0x03 },
	    { RESETS, 0 }, { CMD, 0xd1 }, { DATA, 0x02 }, { RESETS, 1 } } },
};

static bool run_case(const struct kbc_case *c, int *failed_step, int *got)
{
	struct test_machine m;
	struct i8042 *k;
	bool ok = true;

	test_machine_init(&m, 0);
	k = i8042_create(&m.ctx);
	if (!k) {
		*failed_step = -1;
		test_machine_destroy(&m);
		return false;
	}
	for (int i = 0; ok && c->steps[i].op != END; i++) {
		const struct step *s = &c->steps[i];

		switch (s->op) {
		case CMD:
			test_outb(&m, 0x64, (uint8_t)s->val);
			continue;
		case DATA:
			test_outb(&m, 0x60, (uint8_t)s->val);
			continue;
		case STATUS:
			*got = test_inb(&m, 0x64);
			break;
		case READ:
			*got = test_inb(&m, 0x60);
			break;
		case KBD_IRQ:
			*got = m.line[I8042_KBD_IRQ];
			break;
		case AUX_IRQ:
			*got = m.line[I8042_AUX_IRQ];
			break;
		case RESETS:
			*got = m.stops;
			if (m.stops && m.last_stop != VMM_STOP_RESET)
				*got = -1;
			break;
		case END:
			break;
		}
		if (*got != s->val) {
			*failed_step = i;
			ok = false;
		}
	}
	i8042_destroy(k);
	test_machine_destroy(&m);
	return ok;
}

void test_i8042(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int step = 0, got = 0;

		if (!unit_case(run_case(&cases[i], &step, &got), "i8042: %s",
			       cases[i].name))
			unit_diag("step %d: got %#x, expected %#x", step, got,
				  step >= 0 ? cases[i].steps[step].val : 0);
	}
}
