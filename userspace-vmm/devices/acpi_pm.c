// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACPI fixed hardware in I/O space: the PM1a event block (status and
 * enable), the PM1a control block and the 24-bit PM timer.
 *
 * Writing SLP_EN with the \_S5 sleep type powers the machine off; other
 * sleep types are not offered by the DSDT and are ignored.  SCI_EN reads
 * as set: there is no SMI_CMD, the machine is always in ACPI mode.  The
 * only fixed event is the power button; the SCI is a level line.
 * Not emulated: timer overflow events (TMR_STS), global lock, GPEs.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "acpi.h"
#include "bus.h"

#define PM_TIMER_HZ	3579545ull
#define NS_PER_SEC	1000000000ull

#define STS_PWRBTN	(1u << 8)
#define STS_WAK		(1u << 15)
#define EN_PWRBTN	(1u << 8)
/* Status bits that can raise the SCI, and the enables beside them. */
#define STS_EVENTS	0x0721u

#define CNT_SCI_EN	(1u << 0)
#define CNT_SLP_TYP_SHIFT 10
#define CNT_SLP_TYP	(7u << CNT_SLP_TYP_SHIFT)
#define CNT_SLP_EN	(1u << 13)
#define CNT_WMASK	0x1ffeu	/* SCI_EN fixed, SLP_EN write-only */

struct acpi_pm {
	struct vmm_ctx *ctx;
	struct vmm_device dev;
	struct irq_line sci;
	uint16_t sts, en, cnt;
	bool sci_level;
	int64_t (*now_ns)(void *arg);
	void *clock_arg;
};

static int64_t monotonic_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * (int64_t)NS_PER_SEC + ts.tv_nsec;
}

static uint32_t pm_timer(struct acpi_pm *pm)
{
	uint64_t ns = (uint64_t)pm->now_ns(pm->clock_arg);
	uint64_t ticks = ns / NS_PER_SEC * PM_TIMER_HZ +
			 ns % NS_PER_SEC * PM_TIMER_HZ / NS_PER_SEC;

	return (uint32_t)(ticks & 0xffffff);
}

static void pm_update_sci(struct acpi_pm *pm)
{
	bool level = (pm->cnt & CNT_SCI_EN) && (pm->sts & pm->en & STS_EVENTS);

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_set(&pm->sci, level);
	}
}

static void pm_write_cnt(struct acpi_pm *pm, uint16_t v)
{
	pm->cnt = (pm->cnt & ~CNT_WMASK) | (v & CNT_WMASK);
	if (!(v & CNT_SLP_EN))
		return;
	if (((v & CNT_SLP_TYP) >> CNT_SLP_TYP_SHIFT) == ACPI_SLP_TYP_S5)
		pm->ctx->stop(pm->ctx, VMM_STOP_POWEROFF,
			     "ACPI sleep state S5 (SLP_EN in PM1a_CNT)");
}

/* The block as bytes: STS, EN, CNT, two unused bytes, TMR. */
static void pm_read(struct vmm_device *dev, uint64_t offset, void *data,
		    unsigned int size)
{
	struct acpi_pm *pm = dev->priv;
	uint32_t tmr = pm_timer(pm);
	uint8_t regs[ACPI_PM_LEN] = {
		(uint8_t)pm->sts, (uint8_t)(pm->sts >> 8),
		(uint8_t)pm->en, (uint8_t)(pm->en >> 8),
		(uint8_t)pm->cnt, (uint8_t)(pm->cnt >> 8),
		0, 0,
		(uint8_t)tmr, (uint8_t)(tmr >> 8), (uint8_t)(tmr >> 16), 0,
	};
	uint8_t *out = data;

	for (unsigned int i = 0; i < size; i++)
		out[i] = offset + i < ACPI_PM_LEN ? regs[offset + i] : 0xff;
}

static void pm_write(struct vmm_device *dev, uint64_t offset,
		     const void *data, unsigned int size)
{
	struct acpi_pm *pm = dev->priv;
	const uint8_t *in = data;
	uint16_t w1c = 0, en = pm->en, cnt = pm->cnt;
	bool cnt_written = false;

	for (unsigned int i = 0; i < size && offset + i < ACPI_PM_LEN; i++) {
		unsigned int at = (unsigned int)offset + i;
		unsigned int shift = 8 * (at & 1);
		uint16_t keep = (uint16_t)~(0xffu << shift);

		switch (at >> 1) {
		case 0:
			w1c |= (uint16_t)(in[i] << shift);
			break;
		case 1:
			en = (en & keep) | (uint16_t)(in[i] << shift);
			break;
		case 2:
			cnt = (cnt & keep) | (uint16_t)(in[i] << shift);
			cnt_written = true;
			break;
		default: /* the timer is read-only */
			break;
		}
	}
	pm->sts &= ~w1c;
	pm->en = en;
	if (cnt_written)
		pm_write_cnt(pm, cnt);
	pm_update_sci(pm);
}

static const struct vmm_device_ops pm_ops = {
	.name = "acpi-pm",
	.read = pm_read,
	.write = pm_write,
};

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->sts |= STS_PWRBTN;
	pm_update_sci(pm);
}

void acpi_pm_set_clock(struct acpi_pm *pm, int64_t (*now_ns)(void *arg),
		       void *arg)
{
	pm->now_ns = now_ns;
	pm->clock_arg = arg;
}

struct acpi_pm *acpi_pm_create(struct vmm_ctx *ctx, uint16_t base,
			       unsigned int sci_irq)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pm->ctx = ctx;
	pm->dev = (struct vmm_device){ &pm_ops, pm };
	pm->sci = (struct irq_line){ ctx->irq, sci_irq };
	pm->cnt = CNT_SCI_EN;
	pm->now_ns = monotonic_ns;
	if (bus_register(ctx->bus, BUS_PIO, base, ACPI_PM_LEN, &pm->dev)) {
		free(pm);
		return NULL;
	}
	return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	free(pm);
}
