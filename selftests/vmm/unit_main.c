// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests of the monitor's device models and loaders.  Output is one
 * TAP line per case, then "vmm: N passed, N failed"; the exit status is
 * non-zero when any case failed.
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
#define GROUP(fn) fn();
#include "groups.h"
#undef GROUP
	printf("1..%u\n", passed + failed);
	printf("vmm: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
