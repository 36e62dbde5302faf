// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests of Vireo's pure code: the instruction emulator, the
 * guest page walker and the user ABI layout.  Output is TAP, then a
 * summary line; the exit status is non-zero when any case failed.
 */
#include <stdarg.h>
#include <stdio.h>

#include "unit.h"

static unsigned int passed, failed;

bool unit_case(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		passed++;
	else
		failed++;
	printf("%sok %u - ", ok ? "" : "not ", passed + failed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return ok;
}

void unit_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_emulate();
	test_alu_native();
	test_guest_walk();
	test_uapi_layout();
	test_pte();
	test_entry_check();
	printf("1..%u\n", passed + failed);
	printf("unit: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
