// SPDX-License-Identifier: GPL-2.0-only
/*
 * uartout: copies its standard input to the PC's first serial port by
 * port I/O, waiting on the line status register before each byte, the
 * way the kernel writes its own console messages; "\n" goes out as
 * "\r\n".  Ends at end of input, once the last byte has left.
 *
 * The VT-x testbed's console.  Bochs 2.7 now and then loses the UART's
 * transmit interrupt; Linux's 8250 driver then waits for it for good
 * and all that userspace writes to ttyS0 stays queued, while kernel
 * messages, written by polling, still come out.  It happened during
 * boot with no hypervisor module loaded, so it is the emulator's.
 * Output that never waits for an interrupt cannot stall that way
 * (Documentation/testing.md, "Known problems").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <unistd.h>

#define COM1		0x3f8
#define UART_LSR	5
#define LSR_THRE	0x20	/* transmit holding register empty */
#define LSR_TEMT	0x40	/* transmitter empty */

static void uart_wait(unsigned char bits)
{
	while ((inb(COM1 + UART_LSR) & bits) != bits)
		;
}

static void uart_put(unsigned char c)
{
	uart_wait(LSR_THRE);
	outb(c, COM1);
}

int main(void)
{
	unsigned char buf[4096];
	ssize_t n, i;

	if (ioperm(COM1, 8, 1) < 0) {
		fprintf(stderr, "uartout: no access to the ports at %#x: %s\n",
			COM1, strerror(errno));
		return 1;
	}
	for (;;) {
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n')
				uart_put('\r');
			uart_put(buf[i]);
		}
	}
	uart_wait(LSR_THRE | LSR_TEMT);
	return n < 0;
}
