// SPDX-License-Identifier: GPL-2.0-only
/*
 * The i8259 pair: each case is a short script of port accesses, line
 * changes and INTA cycles with the values expected back.
 */
#include "pic.h"
#include "unit.h"

enum op { END, OUT, IN, LINE, PENDING, ACK, KICKS };

struct step {
	enum op op;
	uint16_t port;		/* OUT, IN; the line for LINE */
	int val;		/* OUT: value; LINE: level; others: expected */
};

#define OUTB(p, v)	{ OUT, p, v }
#define INB(p, v)	{ IN, p, v }
#define RAISE(l)	{ LINE, l, 1 }
#define LOWER(l)	{ LINE, l, 0 }
#define PEND(v)		{ PENDING, 0, v }
#define INTA(v)		{ ACK, 0, v }
#define NKICKS(v)	{ KICKS, 0, v }

/* Linux's init: vectors 0x30 and 0x38, cascade on IRQ2, 8086 mode. */
#define LINUX_INIT \
	OUTB(0x20, 0x11), OUTB(0x21, 0x30), OUTB(0x21, 0x04), \
	OUTB(0x21, 0x01), OUTB(0xa0, 0x11), OUTB(0xa1, 0x38), \
	OUTB(0xa1, 0x02), OUTB(0xa1, 0x01), OUTB(0x21, 0x00), \
	OUTB(0xa1, 0x00)

struct pic_case {
	const char *name;
	struct step steps[40];
};

static const struct pic_case cases[] = {
	{ "init sets vectors and clears the mask",
	  { LINUX_INIT, INB(0x21, 0x00), INB(0xa1, 0x00), PEND(-1),
	    RAISE(0), PEND(0x30), INTA(0x30), PEND(-1) } },
	{ "ICW1 clears the mask register",
	  { OUTB(0x21, 0xff), INB(0x21, 0xff), OUTB(0x20, 0x11),
	    INB(0x21, 0x00) } },
	{ "masked lines do not deliver until unmasked",
	  { LINUX_INIT, OUTB(0x21, 0x01), RAISE(0), PEND(-1), INB(0x20, 0x01),
	    OUTB(0x21, 0x00), PEND(0x30) } },
	{ "edge request stays latched after the line drops",
	  { LINUX_INIT, RAISE(3), LOWER(3), PEND(0x33), INTA(0x33),
	    PEND(-1) } },
	{ "edge needs a new rising edge after INTA",
	  { LINUX_INIT, RAISE(4), INTA(0x34), OUTB(0x20, 0x20), PEND(-1),
	    RAISE(4), PEND(-1), LOWER(4), RAISE(4), PEND(0x34) } },
	{ "level request ends when the line drops",
	  { LINUX_INIT, OUTB(0x4d1, 0x02), INB(0x4d1, 0x02), RAISE(9),
	    PEND(0x39), LOWER(9), PEND(-1) } },
	{ "level request returns after EOI while the line is high",
	  { LINUX_INIT, OUTB(0x4d1, 0x02), RAISE(9), INTA(0x39), PEND(-1),
	    OUTB(0xa0, 0x20), OUTB(0x20, 0x20), PEND(0x39) } },
	{ "ELCR ignores IRQ0-2, 8 and 13",
	  { OUTB(0x4d0, 0xff), INB(0x4d0, 0xf8), OUTB(0x4d1, 0xff),
	    INB(0x4d1, 0xde) } },
	{ "lower IRQ number wins",
	  { LINUX_INIT, RAISE(5), RAISE(1), PEND(0x31), INTA(0x31),
	    PEND(-1), OUTB(0x20, 0x20), PEND(0x35) } },
	{ "higher priority nests in a lower one in service",
	  { LINUX_INIT, RAISE(5), INTA(0x35), RAISE(1), PEND(0x31),
	    INTA(0x31), INB(0x20, 0x00), OUTB(0x20, 0x0b),
	    INB(0x20, 0x22) } },
	{ "non-specific EOI ends the highest in service",
	  { LINUX_INIT, RAISE(5), INTA(0x35), RAISE(1), INTA(0x31),
	    OUTB(0x20, 0x0b), OUTB(0x20, 0x20), INB(0x20, 0x20),
	    OUTB(0x20, 0x20), INB(0x20, 0x00) } },
	{ "specific EOI ends the named IRQ",
	  { LINUX_INIT, RAISE(5), INTA(0x35), RAISE(1), INTA(0x31),
	    OUTB(0x20, 0x0b), OUTB(0x20, 0x65), INB(0x20, 0x02) } },
	{ "OCW3 selects IRR or ISR",
	  { LINUX_INIT, RAISE(6), INB(0x20, 0x40), OUTB(0x20, 0x0b),
	    INB(0x20, 0x00), INTA(0x36), INB(0x20, 0x40), OUTB(0x20, 0x0a),
	    INB(0x20, 0x00) } },
	{ "cascade: slave IRQ arrives through IRQ2",
	  { LINUX_INIT, RAISE(12), PEND(0x3c), INTA(0x3c), OUTB(0x20, 0x0b),
	    INB(0x20, 0x04), OUTB(0xa0, 0x0b), INB(0xa0, 0x10),
	    OUTB(0xa0, 0x20), OUTB(0x20, 0x20), INB(0x20, 0x00),
	    INB(0xa0, 0x00) } },
	{ "cascade: slave IRQ8 beats master IRQ3",
	  { LINUX_INIT, RAISE(3), RAISE(8), PEND(0x38), INTA(0x38),
	    PEND(-1), OUTB(0xa0, 0x20), OUTB(0x20, 0x20), PEND(0x33) } },
	{ "cascade: master mask bit 2 blocks the slave",
	  { LINUX_INIT, OUTB(0x21, 0x04), RAISE(14), PEND(-1),
	    OUTB(0x21, 0x00), PEND(0x3e) } },
	{ "cascade: a second slave request after EOI",
	  { LINUX_INIT, RAISE(10), RAISE(11), INTA(0x3a), PEND(-1),
	    OUTB(0xa0, 0x20), OUTB(0x20, 0x20), PEND(0x3b), INTA(0x3b) } },
	{ "auto-EOI leaves nothing in service",
	  { OUTB(0x20, 0x11), OUTB(0x21, 0x08), OUTB(0x21, 0x04),
	    OUTB(0x21, 0x03), OUTB(0x21, 0x00), RAISE(1), INTA(0x09),
	    OUTB(0x20, 0x0b), INB(0x20, 0x00), RAISE(3), PEND(0x0b) } },
	{ "set priority makes IRQ4 the lowest",
	  { LINUX_INIT, OUTB(0x20, 0xc4), RAISE(3), RAISE(5), PEND(0x35) } },
	{ "rotate on non-specific EOI",
	  { LINUX_INIT, RAISE(0), INTA(0x30), RAISE(7), OUTB(0x20, 0xa0),
	    RAISE(0), LOWER(0), PEND(0x37) } },
	{ "poll command acknowledges",
	  { LINUX_INIT, RAISE(6), OUTB(0x20, 0x0c), INB(0x20, 0x86),
	    OUTB(0x20, 0x0b), INB(0x20, 0x40), OUTB(0x20, 0x0c),
	    INB(0x20, 0x00) } },
	{ "special mask mode lets a lower IRQ in",
	  { LINUX_INIT, RAISE(1), INTA(0x31), RAISE(5), PEND(-1),
	    OUTB(0x21, 0x02), OUTB(0x20, 0x68), PEND(0x35),
	    OUTB(0x20, 0x48), PEND(-1) } },
	{ "spurious INTA answers IRQ7",
	  { LINUX_INIT, INTA(0x37), OUTB(0x20, 0x0b), INB(0x20, 0x00) } },
	{ "kick only when an interrupt becomes deliverable",
	  { LINUX_INIT, NKICKS(0), RAISE(3), NKICKS(1), RAISE(4), NKICKS(1),
	    INTA(0x33), OUTB(0x20, 0x20), NKICKS(2) } },
	{ "ICW1 without ICW4 ends after ICW3",
	  { OUTB(0x20, 0x10), OUTB(0x21, 0x50), OUTB(0x21, 0x04),
	    OUTB(0x21, 0xfe), INB(0x21, 0xfe), RAISE(0), PEND(0x50) } },
};

static bool run_case(const struct pic_case *c, int *failed_step, int *got)
{
	struct test_machine m;
	struct pic *pic;
	struct irq_chip *chip;
	bool ok = true;

	test_machine_init(&m, 0);
	m.ctx.irq = NULL;
	pic = pic_create(&m.ctx);
	if (!pic) {
		*failed_step = -1;
		return false;
	}
	chip = pic_irq_chip(pic);
	for (int i = 0; ok && c->steps[i].op != END; i++) {
		const struct step *s = &c->steps[i];

		switch (s->op) {
		case OUT:
			test_outb(&m, s->port, (uint8_t)s->val);
			continue;
		case LINE:
			chip->set_line(chip, s->port, s->val);
			continue;
		case IN:
			*got = test_inb(&m, s->port);
			break;
		case PENDING:
			*got = pic_pending_vector(pic);
			break;
		case ACK:
			*got = pic_acknowledge(pic);
			break;
		case KICKS:
			*got = (int)m.kicks;
			break;
		case END:
			break;
		}
		if (*got != s->val) {
			*failed_step = i;
			ok = false;
		}
	}
	if (ok && m.ctx.irq != chip) {
		*failed_step = -2;
		ok = false;
	}
	test_machine_destroy(&m);
	pic_destroy(pic);
	return ok;
}

static void test_two_pics(void)
{
	struct test_machine a, b;
	struct pic *pa, *pb;

	test_machine_init(&a, 0);
	test_machine_init(&b, 0);
	pa = pic_create(&a.ctx);
	pb = pic_create(&b.ctx);
	unit_case(pa && pb, "pic: two instances on two machines");
	if (pa && pb) {
		pic_irq_chip(pa)->set_line(pic_irq_chip(pa), 1, true);
		unit_case(pic_pending_vector(pa) == 1 &&
				  pic_pending_vector(pb) == -1,
			  "pic: instances keep separate state");
	}
	unit_case(!pic_create(&a.ctx), "pic: the ports cannot be taken twice");
	test_machine_destroy(&a);
	test_machine_destroy(&b);
	pic_destroy(pa);
	pic_destroy(pb);
}

void test_pic(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int step = 0, got = 0;

		if (!unit_case(run_case(&cases[i], &step, &got), "pic: %s",
			       cases[i].name))
			unit_diag("step %d: got %#x, expected %#x", step, got,
				  step >= 0 ? cases[i].steps[step].val : 0);
	}
	test_two_pics();
}
