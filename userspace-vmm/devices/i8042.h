/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An i8042 keyboard controller at ports 0x60 (data) and 0x64 (status and
 * command), with a keyboard that only answers commands and no mouse.  Its
 * use is to let Linux probe it quickly and to reset the machine (command
 * 0xfe, or the output port's reset bit).
 */
#ifndef VIREO_DEVICES_I8042_H
#define VIREO_DEVICES_I8042_H

#include "vmm.h"

#define I8042_KBD_IRQ	1
#define I8042_AUX_IRQ	12

struct i8042;

struct i8042 *i8042_create(struct vmm_ctx *ctx);
void i8042_destroy(struct i8042 *kbc);

#endif /* VIREO_DEVICES_I8042_H */
