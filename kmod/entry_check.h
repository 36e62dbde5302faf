/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Naming the culprit of a failed VM entry.
 *
 * When VMLAUNCH/VMRESUME or VMRUN refuses the guest state, the hardware
 * says only that it did (VT-x: exit reason 33, "invalid guest state";
 * AMD-V: VMEXIT_INVALID).  After such a failure the backend hands the
 * state to vireo_entry_state_check(), which goes through the
 * architectural consistency rules both vendors apply (Intel SDM vol. 3
 * 28.3.1, "Checks on the Guest State Area"; AMD APM vol. 2 15.5.1,
 * "Basic Operation", the VMRUN consistency checks) and returns the first
 * part of the state that breaks one, for FAIL_ENTRY and the kernel log.
 * It is a diagnosis only: nothing is refused or changed because of it.
 *
 * Pure code, shared with the host unit tests.
 */
#ifndef VIREO_ENTRY_CHECK_H
#define VIREO_ENTRY_CHECK_H

#include "pure.h"
#include <uapi/linux/vireo.h>

struct vireo_entry_state {
	const struct vireo_sregs *sregs;
	u64 rflags;
	bool sti_blocking;	/* in the shadow of an STI */
	bool movss_blocking;	/* in the shadow of a MOV SS or POP SS */
	/*
	 * Apply the rules only VT-x has: segment access rights (accessed
	 * bits, types, granularity against the limit) and the descriptor
	 * table limits.  AMD-V checks none of these at VMRUN.
	 */
	bool vmx_rules;
	/* VT-x without "unrestricted guest" wants CR0.PE and CR0.PG. */
	bool restricted;
};

enum vireo_state_field vireo_entry_state_check(const struct vireo_entry_state *st);
const char *vireo_state_field_name(enum vireo_state_field field);

#endif /* VIREO_ENTRY_CHECK_H */
