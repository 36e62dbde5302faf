/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ports a PC guest touches that need a quiet answer: 0x80 (POST codes,
 * Linux's I/O delay), 0xed (the other I/O delay port) and 0x92 (system
 * control port A: A20 on, bit 0 resets the machine).
 */
#ifndef VIREO_DEVICES_LEGACY_H
#define VIREO_DEVICES_LEGACY_H

#include "vmm.h"

struct legacy_ports;

struct legacy_ports *legacy_ports_create(struct vmm_ctx *ctx);
void legacy_ports_destroy(struct legacy_ports *lp);

#endif /* VIREO_DEVICES_LEGACY_H */
