// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one place the machine's devices are created, wired to the PIC and
 * destroyed: the PC's legacy set behind the devices/ constructors.
 */
#include <stdio.h>
#include <stdlib.h>

#include "devices/pic.h"
#include "vm.h"

struct machine_devices {
	struct pic *pic;
};

static bool machine_pic_pending(struct machine *m)
{
	struct machine_devices *d = m->devices;

	return pic_pending_vector(d->pic) >= 0;
}

static int machine_pic_ack(struct machine *m)
{
	struct machine_devices *d = m->devices;

	return pic_acknowledge(d->pic);
}

int machine_create_devices(struct machine *m, char *err, size_t errlen)
{
	struct machine_devices *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(err, errlen, "out of memory creating the devices");
		return -1;
	}
	m->devices = d;
	d->pic = pic_create(&m->ctx);
	if (!d->pic) {
		snprintf(err, errlen, "cannot create the interrupt controller");
		return -1;
	}
	m->intr_pending = machine_pic_pending;
	m->intr_ack = machine_pic_ack;
	return 0;
}

void machine_destroy_devices(struct machine *m)
{
	struct machine_devices *d = m->devices;

	if (!d)
		return;
	if (d->pic)
		pic_destroy(d->pic);
	free(d);
	m->devices = NULL;
}
