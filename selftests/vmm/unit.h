/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host tests of the monitor: a TAP reporter (the same calls as
 * selftests/unit) and a fake machine to create device models on.
 *
 * Each test_<name>.c defines `void test_<name>(void)`; the Makefile
 * lists them in groups.h and unit_main.c runs them in name order.
 */
#ifndef VIREO_VMM_UNIT_H
#define VIREO_VMM_UNIT_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "irq.h"
#include "vmm.h"

/* Record one case; returns ok so callers can chain. */
__attribute__((format(printf, 2, 3)))
bool unit_case(bool ok, const char *fmt, ...);

/* Print a diagnostic line ("# ...") under the current case. */
__attribute__((format(printf, 1, 2)))
void unit_diag(const char *fmt, ...);

#define GROUP(fn) void fn(void);
#include "groups.h"
#undef GROUP

/*
 * A machine for device tests: a bus, a recording interrupt controller
 * (replaced by the PIC in the PIC's own tests), optional guest memory,
 * and stop()/kick() that only count.
 */
struct test_machine {
	struct vmm_ctx ctx;
	struct bus bus;
	struct irq_chip chip;		/* the recording controller */
	bool line[16];			/* its current line levels */
	unsigned int rises[16];		/* low-to-high transitions seen */
	unsigned int kicks;
	int stops;			/* calls of stop() */
	enum vmm_stop_reason last_stop;
};

/* mem_size may be 0 for no guest memory. */
void test_machine_init(struct test_machine *m, uint64_t mem_size);
void test_machine_destroy(struct test_machine *m);

/* Port I/O through the bus, as the vCPU loop does it. */
uint32_t test_in(struct test_machine *m, uint16_t port, unsigned int size);
void test_out(struct test_machine *m, uint16_t port, uint32_t value,
	      unsigned int size);
static inline uint8_t test_inb(struct test_machine *m, uint16_t port)
{
	return (uint8_t)test_in(m, port, 1);
}
static inline void test_outb(struct test_machine *m, uint16_t port,
			     uint8_t value)
{
	test_out(m, port, value, 1);
}

/* A settable clock for models that take one (nanoseconds). */
struct test_clock {
	int64_t ns;
};
int64_t test_clock_read(void *arg);

/* The fds and callbacks the models gave to the stubbed event loop. */
struct test_event {
	int fd;
	event_fn fn;
	void *arg;
	bool live;
};
extern struct test_event test_events[16];

#endif /* VIREO_VMM_UNIT_H */
