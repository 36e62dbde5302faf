/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny TAP reporter for the host unit tests: every case prints one
 * "ok N - name" or "not ok N - name" line; main() prints the totals.
 */
#ifndef VIREO_UNIT_H
#define VIREO_UNIT_H

#include <stdbool.h>

/* Record one case; returns ok so callers can chain. */
__attribute__((format(printf, 2, 3)))
bool unit_case(bool ok, const char *fmt, ...);

/* Print a diagnostic line ("# ...") under the current case. */
__attribute__((format(printf, 1, 2)))
void unit_diag(const char *fmt, ...);

/* The groups of cases, one per source file. */
void test_emulate(void);
void test_alu_native(void);
void test_guest_walk(void);
void test_uapi_layout(void);
void test_pte(void);
void test_entry_check(void);

#endif /* VIREO_UNIT_H */
