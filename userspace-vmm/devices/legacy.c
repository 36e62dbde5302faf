// SPDX-License-Identifier: GPL-2.0-only
/*
 * Quiet legacy ports.  Port 0x80 keeps the last POST code written and
 * reads it back; 0xed swallows writes; port 0x92 reads A20 as enabled
 * and resets the machine when bit 0 (fast reset) is written as 1.
 */
#include <stdlib.h>

#include "bus.h"
#include "io_access.h"
#include "legacy.h"

#define PORT_POST	0x80
#define PORT_DELAY	0xed
#define PORT_SYSCTL_A	0x92

#define SYSCTL_RESET	0x01
#define SYSCTL_A20	0x02

struct legacy_ports {
	struct vmm_ctx *ctx;
	struct vmm_device post, delay, sysctl;
	uint8_t post_code;
	uint8_t sysctl_a;
};

static void legacy_read(struct vmm_device *dev, uint64_t offset, void *data,
			unsigned int size)
{
	struct legacy_ports *lp = dev->priv;
	uint8_t v = 0xff;

	(void)offset;
	if (dev == &lp->post)
		v = lp->post_code;
	else if (dev == &lp->sysctl)
		v = lp->sysctl_a;
	io_data_put(data, size, v);
}

static void legacy_write(struct vmm_device *dev, uint64_t offset,
			 const void *data, unsigned int size)
{
	struct legacy_ports *lp = dev->priv;
	uint8_t v = (uint8_t)io_data_get(data, size);

	(void)offset;
	if (dev == &lp->post) {
		lp->post_code = v;
	} else if (dev == &lp->sysctl) {
		/* A20 cannot be turned off; the reset bit is not kept. */
		lp->sysctl_a = (v & ~SYSCTL_RESET) | SYSCTL_A20;
		if (v & SYSCTL_RESET)
			lp->ctx->stop(lp->ctx, VMM_STOP_RESET,
				      "port 0x92 (fast reset)");
	}
}

static const struct vmm_device_ops legacy_ops = {
	.name = "legacy",
	.read = legacy_read,
	.write = legacy_write,
};

struct legacy_ports *legacy_ports_create(struct vmm_ctx *ctx)
{
	struct legacy_ports *lp = calloc(1, sizeof(*lp));

	if (!lp)
		return NULL;
	lp->ctx = ctx;
	lp->post = (struct vmm_device){ &legacy_ops, lp };
	lp->delay = (struct vmm_device){ &legacy_ops, lp };
	lp->sysctl = (struct vmm_device){ &legacy_ops, lp };
	lp->sysctl_a = SYSCTL_A20;
	if (bus_register(ctx->bus, BUS_PIO, PORT_POST, 1, &lp->post) ||
	    bus_register(ctx->bus, BUS_PIO, PORT_DELAY, 1, &lp->delay) ||
	    bus_register(ctx->bus, BUS_PIO, PORT_SYSCTL_A, 1, &lp->sysctl)) {
		free(lp);
		return NULL;
	}
	return lp;
}

void legacy_ports_destroy(struct legacy_ports *lp)
{
	free(lp);
}
