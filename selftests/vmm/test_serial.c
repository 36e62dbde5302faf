// SPDX-License-Identifier: GPL-2.0-only
/*
 * The 16550A: scripts of register accesses (offsets from 0x3f8), bytes
 * arriving from the host, and the IRQ4 level the PIC would see.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "serial.h"
#include "unit.h"

enum op { END, OUT, IN, RX, LINE };

struct step {
	enum op op;
	uint8_t reg;
	int val;		/* OUT: value; IN, RX, LINE: expected */
	const char *bytes;	/* RX */
};

#define OUTB(r, v)	{ OUT, r, v, NULL }
#define INB(r, v)	{ IN, r, v, NULL }
#define RECV(s, n)	{ RX, 0, n, s }
#define IRQ(v)		{ LINE, 0, v, NULL }

enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct serial_case {
	const char *name;
	struct step steps[32];
};

static const struct serial_case cases[] = {
	{ "reset state: LSR empty transmitter, IIR no interrupt, MSR lines",
	  { INB(LSR, 0x60), INB(IIR, 0x01), INB(MSR, 0xb0), INB(IER, 0x00),
	    INB(LCR, 0x00), INB(MCR, 0x00) } },
	{ "scratch register keeps its value",
	  { OUTB(SCR, 0x5a), INB(SCR, 0x5a), OUTB(SCR, 0xa5),
	    INB(SCR, 0xa5) } },
	{ "divisor latch hides RBR and IER",
	  { OUTB(IER, 0x05), OUTB(LCR, 0x83), OUTB(DLL, 0x01),
	    OUTB(DLM, 0x02), INB(DLL, 0x01), INB(DLM, 0x02),
	    OUTB(LCR, 0x03), INB(IER, 0x05), INB(LCR, 0x03),
	    OUTB(LCR, 0x83), INB(DLL, 0x01), INB(DLM, 0x02) } },
	{ "without FIFOs one byte is held",
	  { RECV("ab", 1), INB(LSR, 0x61), INB(RBR, 'a'), INB(LSR, 0x60),
	    RECV("b", 1), INB(RBR, 'b') } },
	{ "FIFO holds 16 bytes in order",
	  { OUTB(FCR, 0x01), INB(IIR, 0xc1),
	    RECV("0123456789abcdefg", 16), INB(RBR, '0'), INB(RBR, '1'),
	    RECV("XYZ", 2), INB(RBR, '2'), INB(LSR, 0x61) } },
	{ "FCR clears the receive FIFO",
	  { OUTB(FCR, 0x01), RECV("abc", 3), OUTB(FCR, 0x03),
	    INB(LSR, 0x60) } },
	{ "turning the FIFOs off empties them",
	  { OUTB(FCR, 0x01), RECV("abc", 3), OUTB(FCR, 0x00),
	    INB(LSR, 0x60), INB(IIR, 0x01) } },
	{ "THR-empty interrupt when enabled, cleared by reading IIR",
	  { OUTB(IER, 0x02), INB(IIR, 0x02), INB(IIR, 0x01),
	    OUTB(THR, 'x'), INB(IIR, 0x02), INB(IIR, 0x01) } },
	{ "THR-empty interrupt again on re-enable (no THRE bug)",
	  { OUTB(IER, 0x02), INB(IIR, 0x02), OUTB(IER, 0x00),
	    OUTB(IER, 0x02), INB(IIR, 0x02) } },
	{ "received data outranks THR empty",
	  { OUTB(FCR, 0x01), OUTB(IER, 0x03), RECV("z", 1), INB(IIR, 0xc4),
	    INB(RBR, 'z'), INB(IIR, 0xc2), INB(IIR, 0xc1) } },
	{ "character timeout below the trigger level",
	  { OUTB(FCR, 0x81), OUTB(IER, 0x01), RECV("abc", 3), INB(IIR, 0xcc),
	    RECV("defgh", 5), INB(IIR, 0xc4), INB(RBR, 'a'),
	    INB(IIR, 0xcc) } },
	{ "trigger levels 1, 4, 14",
	  { OUTB(IER, 0x01), OUTB(FCR, 0x41), RECV("abc", 3), INB(IIR, 0xcc),
	    RECV("d", 1), INB(IIR, 0xc4), OUTB(FCR, 0xc3),
	    RECV("0123456789abc", 13), INB(IIR, 0xcc), RECV("d", 1),
	    INB(IIR, 0xc4), OUTB(FCR, 0x03), RECV("a", 1),
	    INB(IIR, 0xc4) } },
	{ "loopback: THR comes back in RBR",
	  { OUTB(MCR, 0x10), OUTB(THR, 'q'), INB(LSR, 0x61), INB(RBR, 'q'),
	    INB(LSR, 0x60) } },
	{ "loopback: overrun sets OE until LSR is read",
	  { OUTB(MCR, 0x10), OUTB(THR, 'a'), OUTB(THR, 'b'), INB(LSR, 0x63),
	    INB(LSR, 0x61), INB(RBR, 'a') } },
	{ "line status interrupt outranks data",
	  { OUTB(IER, 0x05), OUTB(MCR, 0x10), OUTB(THR, 'a'), OUTB(THR, 'b'),
	    INB(IIR, 0x06), INB(LSR, 0x63), INB(IIR, 0x04) } },
	{ "loopback: modem lines follow MCR, deltas clear on read",
	  { OUTB(MCR, 0x1f), INB(MSR, 0xf0), INB(MSR, 0xf0), OUTB(MCR, 0x10),
	    INB(MSR, 0x0f), INB(MSR, 0x00), OUTB(MCR, 0x00),
	    INB(MSR, 0xbb) } },
	{ "modem status interrupt",
	  { OUTB(IER, 0x08), OUTB(MCR, 0x12), INB(IIR, 0x00), INB(MSR, 0x1a),
	    INB(IIR, 0x01) } },
	{ "IRQ needs OUT2",
	  { OUTB(IER, 0x01), RECV("a", 1), IRQ(0), OUTB(MCR, 0x08), IRQ(1),
	    INB(RBR, 'a'), IRQ(0) } },
	{ "IRQ is disconnected in loopback",
	  { OUTB(IER, 0x01), OUTB(MCR, 0x18), OUTB(THR, 'a'), IRQ(0),
	    INB(IIR, 0x04), OUTB(MCR, 0x08), IRQ(1) } },
	{ "THR-empty IRQ drops when IIR is read",
	  { OUTB(MCR, 0x08), OUTB(IER, 0x02), IRQ(1), INB(IIR, 0x02),
	    IRQ(0), OUTB(THR, 'a'), IRQ(1) } },
};

static bool run_case(struct test_machine *m, struct serial *u,
		     const struct serial_case *c, int *failed_step, int *got)
{
	for (int i = 0; c->steps[i].op != END; i++) {
		const struct step *s = &c->steps[i];

		switch (s->op) {
		case OUT:
			test_outb(m, SERIAL_COM1_BASE + s->reg, (uint8_t)s->val);
			continue;
		case IN:
			*got = test_inb(m, SERIAL_COM1_BASE + s->reg);
			break;
		case RX:
			*got = (int)serial_receive(u, (const uint8_t *)s->bytes,
						   strlen(s->bytes));
			break;
		case LINE:
			*got = m->line[SERIAL_COM1_IRQ];
			break;
		case END:
			break;
		}
		if (*got != s->val) {
			*failed_step = i;
			return false;
		}
	}
	return true;
}

static void test_serial_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct test_machine m;
		struct serial *u;
		int step = -1, got = 0;
		bool ok;

		test_machine_init(&m, 0);
		u = serial_create(&m.ctx, SERIAL_COM1_BASE, SERIAL_COM1_IRQ,
				  -1, -1);
		ok = u && run_case(&m, u, &cases[i], &step, &got);
		if (!unit_case(ok, "serial: %s", cases[i].name))
			unit_diag("step %d: got %#x, expected %#x", step, got,
				  step >= 0 ? cases[i].steps[step].val : 0);
		serial_destroy(u);
		test_machine_destroy(&m);
	}
}

/* The host side: output to a pipe, input from a pipe via the loop. */
static void test_serial_fds(void)
{
	struct test_machine m;
	struct test_event *ev = NULL;
	int in[2], out[2];
	struct serial *u;
	char buf[32] = { 0 };
	const char *msg = "0123456789abcdefXYZ";
	bool ok = true;

	if (pipe(in) || pipe(out)) {
		unit_case(false, "serial: pipes");
		return;
	}
	fcntl(in[0], F_SETFL, O_NONBLOCK);
	test_machine_init(&m, 0);
	u = serial_create(&m.ctx, SERIAL_COM1_BASE, SERIAL_COM1_IRQ, in[0],
			  out[1]);
	for (const char *p = "hi\n"; *p; p++)
		test_outb(&m, SERIAL_COM1_BASE, (uint8_t)*p);
	unit_case(read(out[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "hi\n", 3),
		  "serial: THR bytes reach the output fd");

	for (int i = 0; i < 16; i++)
		if (test_events[i].live && test_events[i].arg == u)
			ev = &test_events[i];
	unit_case(ev && ev->fd == in[0], "serial: input fd is on the loop");
	if (!ev)
		goto out;
	test_outb(&m, SERIAL_COM1_BASE + FCR, 0x01);
	if (write(in[1], msg, strlen(msg)) != (ssize_t)strlen(msg))
		ok = false;
	ev->fn(ev->arg, 1);
	unit_case(ok && !ev->live,
		  "serial: a full FIFO takes the input fd off the loop");
	for (int i = 0; i < 16; i++)
		buf[i] = (char)test_inb(&m, SERIAL_COM1_BASE);
	unit_case(!memcmp(buf, msg, 16), "serial: input arrives in order");
	for (int i = 0; i < 16; i++)
		if (test_events[i].live && test_events[i].arg == u)
			ev = &test_events[i];
	unit_case(ev->live, "serial: reading RBR puts the fd back");
	ev->fn(ev->arg, 1);
	for (int i = 0; i < 3; i++)
		buf[i] = (char)test_inb(&m, SERIAL_COM1_BASE);
	unit_case(!memcmp(buf, "XYZ", 3) &&
			  test_inb(&m, SERIAL_COM1_BASE + LSR) == 0x60,
		  "serial: no host byte is lost");
	close(in[1]);
	ev->fn(ev->arg, 1);
	unit_case(!ev->live, "serial: end of input leaves the loop");
out:
	serial_destroy(u);
	test_machine_destroy(&m);
	close(in[0]);
	close(out[0]);
	close(out[1]);
}

static void test_serial_two(void)
{
	struct test_machine m;
	struct serial *a, *b;

	test_machine_init(&m, 0);
	a = serial_create(&m.ctx, 0x3f8, 4, -1, -1);
	b = serial_create(&m.ctx, 0x2f8, 3, -1, -1);
	test_outb(&m, 0x3f8 + SCR, 1);
	test_outb(&m, 0x2f8 + SCR, 2);
	unit_case(a && b && test_inb(&m, 0x3ff) == 1 && test_inb(&m, 0x2ff) == 2,
		  "serial: COM1 and COM2 are separate objects");
	serial_destroy(a);
	serial_destroy(b);
	test_machine_destroy(&m);
}

void test_serial(void)
{
	test_serial_cases();
	test_serial_fds();
	test_serial_two();
}
