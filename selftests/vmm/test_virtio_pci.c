// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport, driven the way Linux's virtio_pci_modern
 * drives it: config space and capabilities, feature negotiation, queue
 * setup, doorbells (through the bus and through a fake ioeventfd),
 * ISR and INTx, reset, a broken ring, BAR moves.  The device behind it
 * is a stub model that counts what it is asked.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "pci.h"
#include "unit.h"
#include "virtio_dev.h"
#include "virtio_pci.h"
#include "virtq_fixture.h"

#define BAR	0xc0000000ull
#define IRQ	10
#define CFG_ADDR(dev, reg) (0x80000000u | (dev) << 11 | (reg))
#define COMMON(off)	(BAR + VIRTIO_PCI_COMMON_OFF + (off))

struct stub_model {
	unsigned int notified[2];
	unsigned int resets, starts;
	uint8_t config[8];
};

static void stub_config_read(struct virtio_dev *vdev, uint32_t off,
			     void *data, unsigned int size)
{
	struct stub_model *s = vdev->model;

	memcpy(data, s->config + off, size);
}

static void stub_notify(struct virtio_dev *vdev, unsigned int q)
{
	((struct stub_model *)vdev->model)->notified[q]++;
}

static void stub_reset(struct virtio_dev *vdev)
{
	((struct stub_model *)vdev->model)->resets++;
}

static void stub_start(struct virtio_dev *vdev)
{
	((struct stub_model *)vdev->model)->starts++;
}

static const struct virtio_dev_ops stub_ops = {
	.type = "virtio-stub",
	.device_id = 4,
	.num_queues = 2,
	.queue_size = 16,
	.config_size = 8,
	.pci_class = 0xff0000,
	.config_read = stub_config_read,
	.queue_notify = stub_notify,
	.start = stub_start,
	.reset = stub_reset,
};

/* A fake KVM_IOEVENTFD: records the doorbells assigned. */
struct fake_ioeventfd {
	int answer;		/* 0 or -EOPNOTSUPP */
	unsigned int assigned;
	uint64_t addr[4];
};

static struct fake_ioeventfd fake_iofd;

static int fake_ioeventfd(struct vmm_ctx *ctx, uint64_t addr, unsigned int len,
			  int fd, bool assign)
{
	(void)ctx;
	(void)fd;
	if (fake_iofd.answer || len != 2)
		return fake_iofd.answer ? fake_iofd.answer : -EINVAL;
	if (assign && fake_iofd.assigned < 4)
		fake_iofd.addr[fake_iofd.assigned++] = addr;
	else if (!assign && fake_iofd.assigned)
		fake_iofd.assigned--;
	return 0;
}

struct rig {
	struct test_machine m;
	struct fx f;
	struct pci_host *host;
	struct stub_model model;
	struct virtio_dev vdev;
	struct virtio_pci *vp;
};

static void rig_init(struct rig *r, int ioeventfd_answer)
{
	memset(&r->model, 0, sizeof(r->model));
	memcpy(r->model.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	test_machine_init(&r->m, 0);
	fx_init(&r->f, 16);
	fake_iofd = (struct fake_ioeventfd){ .answer = ioeventfd_answer };
	r->m.ctx.ioeventfd = fake_ioeventfd;
	r->host = pci_host_create(&r->m.ctx);
	virtio_dev_init(&r->vdev, &stub_ops, &r->model, "stub", &r->f.gm,
			1ull << 3);
	r->vp = virtio_pci_create(&r->m.ctx, r->host, &r->vdev, 0xff0000, BAR,
				  IRQ);
}

static void rig_destroy(struct rig *r)
{
	virtio_pci_destroy(r->vp);
	virtio_dev_destroy(&r->vdev);
	pci_host_destroy(r->host);
	test_machine_destroy(&r->m);
	fx_destroy(&r->f);
}

static uint64_t mmio_in(struct rig *r, uint64_t addr, unsigned int size)
{
	uint64_t v = 0;

	bus_access(&r->m.bus, BUS_MMIO, addr, &v, size, false);
	return v;
}

static void mmio_out(struct rig *r, uint64_t addr, uint64_t v,
		     unsigned int size)
{
	bus_access(&r->m.bus, BUS_MMIO, addr, &v, size, true);
}

static uint32_t cfg_in(struct rig *r, unsigned int reg, unsigned int size)
{
	test_out(&r->m, 0xcf8, CFG_ADDR(1, reg & ~3u), 4);
	return test_in(&r->m, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_out(struct rig *r, unsigned int reg, uint32_t v,
		    unsigned int size)
{
	test_out(&r->m, 0xcf8, CFG_ADDR(1, reg & ~3u), 4);
	test_out(&r->m, (uint16_t)(0xcfc + (reg & 3)), v, size);
}

/* What the event loop would do: deliver the transport's irq wakeups. */
static void run_events(void)
{
	for (size_t i = 0; i < 16; i++)
		if (test_events[i].live)
			test_events[i].fn(test_events[i].arg, 1);
}

/* The driver's probe: reset, ACKNOWLEDGE | DRIVER, features, FEATURES_OK. */
static uint8_t negotiate(struct rig *r, uint32_t low, uint32_t high)
{
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_STATUS), 0, 1);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_STATUS), 3, 1);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 0, 4);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_GF), low, 4);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 1, 4);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_GF), high, 4);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_STATUS), 3 | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	return (uint8_t)mmio_in(r, COMMON(VIRTIO_PCI_COMMON_STATUS), 1);
}

static void setup_queue(struct rig *r, uint16_t q, uint16_t size)
{
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), q, 2);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), size, 2);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), FX_DESC, 4);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_Q_DESCHI), 0, 4);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), FX_AVAIL, 4);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), FX_USED, 4);
	mmio_out(r, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
}

/* Finds the vendor capability of cfg_type; its config offset or 0. */
static unsigned int find_cap(struct rig *r, uint8_t type)
{
	unsigned int at = cfg_in(r, 0x34, 1);

	for (int guard = 0; at && guard < 48; guard++) {
		if (cfg_in(r, at, 1) == 0x09 && cfg_in(r, at + 3, 1) == type)
			return at;
		at = cfg_in(r, at + 1, 1);
	}
	return 0;
}

static void test_config_space(void)
{
	unsigned int common, notify, isr, device;
	struct rig r;

	rig_init(&r, 0);
	unit_case(r.vp && virtio_pci_slot(r.vp) == 1,
		  "virtio-pci: the function sits in slot 1");
	unit_case(cfg_in(&r, 0, 4) == 0x10441af4 && cfg_in(&r, 8, 1) == 1 &&
			  cfg_in(&r, 0x2c, 4) == 0x00041af4,
		  "virtio-pci: modern IDs 1af4:1044, revision 1, subsystem");
	unit_case(cfg_in(&r, 0x10, 4) == (uint32_t)BAR + 4 && cfg_in(&r, 0x14, 4) == 0,
		  "virtio-pci: BAR0 is 64-bit memory in the hole");
	unit_case(cfg_in(&r, 0x3c, 2) == (0x100 | IRQ), "virtio-pci: INTA# on line 10");
	common = find_cap(&r, VIRTIO_PCI_CAP_COMMON_CFG);
	notify = find_cap(&r, VIRTIO_PCI_CAP_NOTIFY_CFG);
	isr = find_cap(&r, VIRTIO_PCI_CAP_ISR_CFG);
	device = find_cap(&r, VIRTIO_PCI_CAP_DEVICE_CFG);
	unit_case(common && notify && isr && device &&
			  cfg_in(&r, common + 4, 1) == 0 &&
			  cfg_in(&r, common + 8, 4) == VIRTIO_PCI_COMMON_OFF &&
			  cfg_in(&r, common + 12, 4) >= 56 &&
			  cfg_in(&r, isr + 8, 4) == VIRTIO_PCI_ISR_OFF &&
			  cfg_in(&r, device + 8, 4) == VIRTIO_PCI_DEVICE_OFF &&
			  cfg_in(&r, device + 12, 4) == 8,
		  "virtio-pci: the four vendor capabilities point into BAR0");
	unit_case(notify && cfg_in(&r, notify + 2, 1) == 20 &&
			  cfg_in(&r, notify + 16, 4) == VIRTIO_PCI_NOTIFY_MULT &&
			  cfg_in(&r, notify + 12, 4) == 2 * VIRTIO_PCI_NOTIFY_MULT,
		  "virtio-pci: notify capability with its multiplier");
	unit_case(mmio_in(&r, BAR + VIRTIO_PCI_DEVICE_OFF + 2, 2) == 0x0403 &&
			  mmio_in(&r, BAR + VIRTIO_PCI_DEVICE_OFF + 6, 4) == 0,
		  "virtio-pci: device config reads, out of range reads 0");
	rig_destroy(&r);
}

static void test_features(void)
{
	struct rig r;
	uint64_t dev;

	rig_init(&r, 0);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 0, 4);
	dev = mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_DF), 4);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 1, 4);
	dev |= mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_DF), 4) << 32;
	unit_case(dev == (1ull << 3 | 1ull << VIRTIO_F_VERSION_1 |
			  1ull << VIRTIO_RING_F_INDIRECT_DESC |
			  1ull << VIRTIO_RING_F_EVENT_IDX),
		  "virtio-pci: device features: the model's, VERSION_1, ring features");
	unit_case(negotiate(&r, 1u << 3, 1) & VIRTIO_CONFIG_S_FEATURES_OK,
		  "virtio-pci: FEATURES_OK for offered features");
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 0, 4);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_GF), 0, 4);
	unit_case(r.vdev.guest_features == (1ull << 3 | 1ull << 32),
		  "virtio-pci: features are frozen after FEATURES_OK");
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 3, 1);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_GF), 0, 4);
	unit_case((mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 1) &
		   VIRTIO_CONFIG_S_FEATURES_OK) &&
			  r.vdev.guest_features == (1ull << 3 | 1ull << 32),
		  "virtio-pci: only a reset clears FEATURES_OK; the features stay frozen");
	unit_case(!(negotiate(&r, 1u << 4, 1) & VIRTIO_CONFIG_S_FEATURES_OK),
		  "virtio-pci: FEATURES_OK refused for a feature not offered");
	unit_case(!(negotiate(&r, 1u << 3, 0) & VIRTIO_CONFIG_S_FEATURES_OK),
		  "virtio-pci: FEATURES_OK refused without VERSION_1");
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 0xf, 1);
	unit_case(!(mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 1) &
		    VIRTIO_CONFIG_S_DRIVER_OK) && r.model.starts == 0,
		  "virtio-pci: no DRIVER_OK without FEATURES_OK");
	rig_destroy(&r);
}

static void test_queues(void)
{
	struct rig r;
	uint64_t count = 0;

	rig_init(&r, -EOPNOTSUPP);
	unit_case(!virtio_pci_uses_ioeventfd(r.vp),
		  "virtio-pci: no ioeventfd offered: doorbells on the bus");
	negotiate(&r, 0, 1);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 1, 2);
	unit_case(mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2) == 16 &&
			  mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_NOFF), 2) == 1 &&
			  mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2) == 0xffff,
		  "virtio-pci: queue 1: maximum size, notify offset 1, no vector");
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 7, 2);
	unit_case(mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2) == 0,
		  "virtio-pci: a queue that does not exist has size 0");
	setup_queue(&r, 0, 8);
	unit_case(mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2) == 1 &&
			  mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4) == FX_DESC &&
			  r.vdev.vqs[0].size == 8 && r.vdev.vqs[0].event_idx == false,
		  "virtio-pci: queue 0 enabled with the driver's size and rings");
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 4, 2);
	unit_case(r.vdev.vqs[0].size == 8,
		  "virtio-pci: an enabled queue's size stays");
	mmio_out(&r, BAR + VIRTIO_PCI_NOTIFY_OFF, 0, 2);
	virtio_dev_handle_kick(&r.vdev, 0);
	unit_case(r.model.notified[0] == 0,
		  "virtio-pci: no work before DRIVER_OK");
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 0xf, 1);
	unit_case(r.model.starts == 1 && read(r.vdev.kick_fd[0], &count, 8) == 8,
		  "virtio-pci: DRIVER_OK starts the model and rechecks the queues");
	mmio_out(&r, BAR + VIRTIO_PCI_NOTIFY_OFF, 0, 2);
	virtio_dev_handle_kick(&r.vdev, 0);
	mmio_out(&r, BAR + VIRTIO_PCI_NOTIFY_OFF + 4, 1, 2);
	virtio_dev_handle_kick(&r.vdev, 1);
	unit_case(r.model.notified[0] == 1 && r.model.notified[1] == 0,
		  "virtio-pci: a doorbell runs the enabled queue, not a disabled one");
	mmio_out(&r, BAR + VIRTIO_PCI_NOTIFY_OFF + 64, 1, 2);
	unit_case(true, "virtio-pci: a doorbell past the queues is ignored");
	rig_destroy(&r);
}

static void test_ioeventfd(void)
{
	struct rig r;

	rig_init(&r, 0);
	unit_case(virtio_pci_uses_ioeventfd(r.vp) && fake_iofd.assigned == 2 &&
			  fake_iofd.addr[0] == BAR + VIRTIO_PCI_NOTIFY_OFF &&
			  fake_iofd.addr[1] == BAR + VIRTIO_PCI_NOTIFY_OFF + 4,
		  "virtio-pci: each doorbell is registered with ioeventfd");
	cfg_out(&r, 0x04, 0, 2);
	unit_case(fake_iofd.assigned == 0 && mmio_in(&r, COMMON(0), 4) == 0xffffffff,
		  "virtio-pci: memory decode off: BAR and doorbells gone");
	cfg_out(&r, 0x10, 0xd0000004, 4);
	cfg_out(&r, 0x04, 2, 2);
	unit_case(fake_iofd.assigned == 2 &&
			  fake_iofd.addr[0] == 0xd0000000 + VIRTIO_PCI_NOTIFY_OFF &&
			  mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_NUMQ), 2) == 0xffff &&
			  mmio_in(&r, 0xd0000000 + VIRTIO_PCI_COMMON_NUMQ, 2) == 2,
		  "virtio-pci: a moved BAR decodes at its new address");
	rig_destroy(&r);
}

static void test_isr_and_reset(void)
{
	struct rig r;

	rig_init(&r, -EOPNOTSUPP);
	negotiate(&r, 0, 1);
	setup_queue(&r, 0, 8);
	r.vdev.signal(&r.vdev, VIRTIO_SIGNAL_QUEUE);
	unit_case(!r.m.line[IRQ], "virtio-pci: the line waits for the event loop");
	run_events();
	unit_case(r.m.line[IRQ], "virtio-pci: a used buffer raises INTx");
	unit_case(mmio_in(&r, BAR + VIRTIO_PCI_ISR_OFF, 1) == 1 && !r.m.line[IRQ] &&
			  mmio_in(&r, BAR + VIRTIO_PCI_ISR_OFF, 1) == 0,
		  "virtio-pci: reading the ISR returns the cause, clears it, lowers the line");
	cfg_out(&r, 0x04, 0x0402, 2);
	r.vdev.signal(&r.vdev, VIRTIO_SIGNAL_QUEUE);
	run_events();
	unit_case(!r.m.line[IRQ], "virtio-pci: INTx disable keeps the line low");
	cfg_out(&r, 0x04, 0x0002, 2);
	unit_case(r.m.line[IRQ], "virtio-pci: INTx enabled again raises it");
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 0, 1);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 0, 2);
	unit_case(!r.m.line[IRQ] && r.model.resets == 2 &&
			  mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0 &&
			  mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2) == 0 &&
			  mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2) == 16 &&
			  mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4) == 0 &&
			  r.vdev.guest_features == 0 && r.vdev.vqs[0].last_avail == 0,
		  "virtio-pci: status 0 resets the device, the queues and the ISR");
	rig_destroy(&r);
}

static void test_broken_ring(void)
{
	struct rig r;

	rig_init(&r, -EOPNOTSUPP);
	negotiate(&r, 0, 1);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 0, 2);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), 0xfffff000, 4);
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
	run_events();
	unit_case((mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 1) &
		   VIRTIO_CONFIG_S_NEEDS_RESET) && r.m.line[IRQ] &&
			  mmio_in(&r, BAR + VIRTIO_PCI_ISR_OFF, 1) == VIRTIO_PCI_ISR_CONFIG &&
			  r.vdev.fail_reported,
		  "virtio-pci: a used ring outside memory: NEEDS_RESET and a config interrupt");
	mmio_out(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 0xf, 1);
	unit_case(mmio_in(&r, COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET,
		  "virtio-pci: NEEDS_RESET stays until a reset");
	setup_queue(&r, 1, 8);
	unit_case(negotiate(&r, 0, 1) == (3 | VIRTIO_CONFIG_S_FEATURES_OK) &&
			  !r.vdev.failed && !r.vdev.fail_reported,
		  "virtio-pci: a reset makes the device usable again");
	rig_destroy(&r);
}

void test_virtio_pci(void)
{
	test_config_space();
	test_features();
	test_queues();
	test_ioeventfd();
	test_isr_and_reset();
	test_broken_ring();
}
