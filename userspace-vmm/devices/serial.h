/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A 16550A UART: eight ports from `base` (0x3f8 for COM1, IRQ4).
 * Transmitted bytes go to out_fd; bytes read from in_fd (when it is
 * not -1 and can be polled) arrive in the receive FIFO.
 */
#ifndef VIREO_DEVICES_SERIAL_H
#define VIREO_DEVICES_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ	 4

struct serial;

/* NULL on failure; an in_fd that cannot be polled just gives no input. */
struct serial *serial_create(struct vmm_ctx *ctx, uint16_t base,
			     unsigned int irq, int in_fd, int out_fd);
void serial_destroy(struct serial *uart);

/* Puts bytes in the receive FIFO as far as it has room; returns how many. */
size_t serial_receive(struct serial *uart, const uint8_t *buf, size_t len);

#endif /* VIREO_DEVICES_SERIAL_H */
