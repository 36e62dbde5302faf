// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport (virtio_pci.h).  Register accesses come from
 * the vCPU thread with the machine lock held; each takes vdev->lock for
 * the status and queue state it touches.
 *
 * Interrupts: the I/O thread's signal() only ORs a cause into the ISR
 * and writes irq_fd; the event loop (machine lock held) then sets the
 * line from the ISR.  Reading the ISR clears it and lowers the line.
 * Either order of the two leaves the line matching the ISR.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "devices/io_access.h"
#include "irq.h"
#include "virtio_pci.h"

#define PCI_VENDOR_REDHAT	0x1af4
#define PCI_DEVICE_MODERN_BASE	0x1040
#define PCI_CAP_ID_VENDOR	0x09
#define PCI_REG_COMMAND		0x04
#define PCI_CMD_MEMORY		0x0002
#define PCI_CMD_INTX_DISABLE	0x0400
#define NO_MSI_VECTOR		0xffff

struct virtio_pci {
	struct vmm_ctx *ctx;
	struct virtio_dev *vdev;
	struct pci_function fn;
	struct vmm_device mmio;
	int slot;
	uint64_t mapped_at;		/* where the BAR decodes, 0 if off */
	bool ioeventfd;			/* the notify area is in the kernel */
	struct irq_line irq;
	int irq_fd;			/* wakes the event loop */
	uint8_t isr;			/* atomic */
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
};

int virtio_pci_slot(const struct virtio_pci *vp)
{
	return vp->slot;
}

bool virtio_pci_uses_ioeventfd(const struct virtio_pci *vp)
{
	return vp->ioeventfd;
}

/* Machine lock held: the line follows the ISR unless INTx is disabled. */
static void vp_update_line(struct virtio_pci *vp)
{
	uint16_t cmd = (uint16_t)pci_cfg_get(&vp->fn, PCI_REG_COMMAND, 2);
	bool level = __atomic_load_n(&vp->isr, __ATOMIC_SEQ_CST) &&
		     !(cmd & PCI_CMD_INTX_DISABLE);

	irq_set(&vp->irq, level);
}

static void vp_irq_event(void *arg, uint32_t events)
{
	struct virtio_pci *vp = arg;
	uint64_t count;

	(void)events;
	if (read(vp->irq_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	vp_update_line(vp);
}

/* Any thread: raise an interrupt cause. */
static void vp_signal(struct virtio_dev *vdev, unsigned int cause)
{
	struct virtio_pci *vp = vdev->transport;
	uint64_t one = 1;

	__atomic_fetch_or(&vp->isr, (uint8_t)cause, __ATOMIC_SEQ_CST);
	if (write(vp->irq_fd, &one, sizeof(one)) != sizeof(one))
		return;	/* the counter is full: a wakeup is pending */
}

static uint8_t vp_read_isr(struct virtio_pci *vp)
{
	uint8_t isr = __atomic_exchange_n(&vp->isr, 0, __ATOMIC_SEQ_CST);

	vp_update_line(vp);
	return isr;
}

static struct virtq *vp_selected_queue(struct virtio_pci *vp)
{
	if (vp->queue_select >= vp->vdev->ops->num_queues)
		return NULL;
	return &vp->vdev->vqs[vp->queue_select];
}

/* The common configuration as the driver sees it now. */
static void vp_common_snapshot(struct virtio_pci *vp,
			       struct virtio_pci_common_cfg *c)
{
	struct virtio_dev *vdev = vp->vdev;
	struct virtq *vq = vp_selected_queue(vp);
	uint64_t host = vdev->host_features, guest = vdev->guest_features;

	memset(c, 0, sizeof(*c));
	c->device_feature_select = vp->dfselect;
	c->device_feature = vp->dfselect < 2 ? (uint32_t)(host >> (32 * vp->dfselect)) : 0;
	c->guest_feature_select = vp->gfselect;
	c->guest_feature = vp->gfselect < 2 ? (uint32_t)(guest >> (32 * vp->gfselect)) : 0;
	c->msix_config = NO_MSI_VECTOR;
	c->num_queues = (uint16_t)vdev->ops->num_queues;
	c->device_status = vdev->status;
	c->queue_select = vp->queue_select;
	c->queue_msix_vector = NO_MSI_VECTOR;
	if (!vq)
		return;
	c->queue_size = vq->size;
	c->queue_enable = vq->ready;
	c->queue_notify_off = vp->queue_select;
	c->queue_desc_lo = (uint32_t)vq->desc_addr;
	c->queue_desc_hi = (uint32_t)(vq->desc_addr >> 32);
	c->queue_avail_lo = (uint32_t)vq->avail_addr;
	c->queue_avail_hi = (uint32_t)(vq->avail_addr >> 32);
	c->queue_used_lo = (uint32_t)vq->used_addr;
	c->queue_used_hi = (uint32_t)(vq->used_addr >> 32);
}

static void vp_common_read(struct virtio_pci *vp, uint64_t off, void *data,
			   unsigned int size)
{
	struct virtio_pci_common_cfg c;

	if (off + size > sizeof(c)) {
		memset(data, 0, size);
		return;
	}
	pthread_mutex_lock(&vp->vdev->lock);
	vp_common_snapshot(vp, &c);
	pthread_mutex_unlock(&vp->vdev->lock);
	memcpy(data, (uint8_t *)&c + off, size);
}

static void vp_reset(struct virtio_pci *vp)
{
	virtio_dev_reset(vp->vdev);
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	__atomic_store_n(&vp->isr, 0, __ATOMIC_SEQ_CST);
	vp_update_line(vp);
}

/* Sets half of a 64-bit value: word 0 is the low half. */
static void set_half(uint64_t *v, unsigned int word, uint32_t half)
{
	unsigned int shift = word ? 32 : 0;

	*v = (*v & ~(0xffffffffull << shift)) | (uint64_t)half << shift;
}

/* Queue fields may change only while the queue is disabled. */
static void vp_queue_write(struct virtio_pci *vp, uint64_t off, uint32_t v)
{
	struct virtq *vq = vp_selected_queue(vp);

	if (!vq)
		return;
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE) {
		if (v == 1)
			virtio_dev_enable_queue(vp->vdev, vp->queue_select);
		return;
	}
	if (vq->ready)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE: vq->size = (uint16_t)v; break;
	case VIRTIO_PCI_COMMON_Q_DESCLO: set_half(&vq->desc_addr, 0, v); break;
	case VIRTIO_PCI_COMMON_Q_DESCHI: set_half(&vq->desc_addr, 1, v); break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: set_half(&vq->avail_addr, 0, v); break;
	case VIRTIO_PCI_COMMON_Q_AVAILHI: set_half(&vq->avail_addr, 1, v); break;
	case VIRTIO_PCI_COMMON_Q_USEDLO: set_half(&vq->used_addr, 0, v); break;
	case VIRTIO_PCI_COMMON_Q_USEDHI: set_half(&vq->used_addr, 1, v); break;
	}
}

/* The width of each writable field of the common configuration. */
static unsigned int vp_common_field_size(uint64_t off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return 2;
	case VIRTIO_PCI_COMMON_STATUS:
		return 1;
	}
	return 0;
}

static void vp_common_write_locked(struct virtio_pci *vp, uint64_t off,
				   uint32_t v)
{
	struct virtio_dev *vdev = vp->vdev;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->dfselect = v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->gfselect = v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (vp->gfselect < 2 &&
		    !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&vdev->guest_features, vp->gfselect, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		if (v == 0)
			vp_reset(vp);
		else
			virtio_dev_set_status(vdev, (uint8_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_Q_MSIX:
		break;		/* no MSI-X: the vectors stay NO_VECTOR */
	default:
		vp_queue_write(vp, off, v);
	}
}

static void vp_common_write(struct virtio_pci *vp, uint64_t off,
			    const void *data, unsigned int size)
{
	if (vp_common_field_size(off) != size)
		return;		/* only whole fields are written */
	pthread_mutex_lock(&vp->vdev->lock);
	vp_common_write_locked(vp, off, (uint32_t)io_data_get(data, size));
	pthread_mutex_unlock(&vp->vdev->lock);
}

static bool vp_device_cfg_range(struct virtio_pci *vp, uint64_t off,
				unsigned int size)
{
	return off < vp->vdev->ops->config_size &&
	       size <= vp->vdev->ops->config_size - off;
}

static void vp_mmio_read(struct vmm_device *dev, uint64_t off, void *data,
			 unsigned int size)
{
	struct virtio_pci *vp = dev->priv;
	struct virtio_dev *vdev = vp->vdev;

	memset(data, 0, size);
	if (off < VIRTIO_PCI_ISR_OFF) {
		vp_common_read(vp, off - VIRTIO_PCI_COMMON_OFF, data, size);
	} else if (off == VIRTIO_PCI_ISR_OFF) {
		*(uint8_t *)data = vp_read_isr(vp);
	} else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_NOTIFY_OFF) {
		off -= VIRTIO_PCI_DEVICE_OFF;
		if (!vp_device_cfg_range(vp, off, size))
			return;
		pthread_mutex_lock(&vdev->lock);
		if (vdev->ops->config_read)
			vdev->ops->config_read(vdev, (uint32_t)off, data, size);
		else if (vdev->config)
			memcpy(data, (const uint8_t *)vdev->config + off, size);
		pthread_mutex_unlock(&vdev->lock);
	}
}

static void vp_mmio_write(struct vmm_device *dev, uint64_t off,
			  const void *data, unsigned int size)
{
	struct virtio_pci *vp = dev->priv;
	struct virtio_dev *vdev = vp->vdev;

	if (off < VIRTIO_PCI_ISR_OFF) {
		vp_common_write(vp, off - VIRTIO_PCI_COMMON_OFF, data, size);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF) {
		/* The doorbell's address names the queue, not the value. */
		off -= VIRTIO_PCI_NOTIFY_OFF;
		if (off % VIRTIO_PCI_NOTIFY_MULT == 0)
			virtio_dev_kick(vdev, (unsigned int)(off / VIRTIO_PCI_NOTIFY_MULT));
	} else if (off >= VIRTIO_PCI_DEVICE_OFF) {
		off -= VIRTIO_PCI_DEVICE_OFF;
		if (!vp_device_cfg_range(vp, off, size) || !vdev->ops->config_write)
			return;
		pthread_mutex_lock(&vdev->lock);
		vdev->ops->config_write(vdev, (uint32_t)off, data, size);
		pthread_mutex_unlock(&vdev->lock);
	}
}

static const struct vmm_device_ops vp_mmio_ops = {
	.name = "virtio-pci",
	.read = vp_mmio_read,
	.write = vp_mmio_write,
};

static uint64_t vp_notify_addr(const struct virtio_pci *vp, unsigned int q)
{
	return vp->mapped_at + VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT;
}

/* Hands the doorbells to the kernel, or takes them back. */
static void vp_set_ioeventfds(struct virtio_pci *vp, bool assign)
{
	unsigned int nq = vp->vdev->ops->num_queues;

	if (!vp->ctx->ioeventfd || (assign == vp->ioeventfd))
		return;
	for (unsigned int q = 0; q < nq; q++) {
		if (vp->ctx->ioeventfd(vp->ctx, vp_notify_addr(vp, q), 2,
				       vp->vdev->kick_fd[q], assign) == 0)
			continue;
		/* Not offered (or refused): undo, the bus path takes over. */
		while (assign && q--)
			vp->ctx->ioeventfd(vp->ctx, vp_notify_addr(vp, q), 2,
					   vp->vdev->kick_fd[q], false);
		return;
	}
	vp->ioeventfd = assign;
}

static void vp_unmap(struct virtio_pci *vp)
{
	if (!vp->mapped_at)
		return;
	vp_set_ioeventfds(vp, false);
	bus_unregister(vp->ctx->bus, BUS_MMIO, vp->mapped_at, &vp->mmio);
	vp->mapped_at = 0;
}

/* The BAR decodes at its address while memory space is enabled. */
static void vp_update_mapping(struct virtio_pci *vp)
{
	uint16_t cmd = (uint16_t)pci_cfg_get(&vp->fn, PCI_REG_COMMAND, 2);
	uint64_t want = pci_function_bar_addr(&vp->fn, 0);

	if (!(cmd & PCI_CMD_MEMORY))
		want = 0;
	if (want == vp->mapped_at)
		return;
	vp_unmap(vp);
	/* A BAR being sized, or moved onto something else, stays off. */
	if (want && bus_register(vp->ctx->bus, BUS_MMIO, want,
				 VIRTIO_PCI_BAR_SIZE, &vp->mmio) == 0) {
		vp->mapped_at = want;
		vp_set_ioeventfds(vp, true);
	}
}

static void vp_cfg_write(struct pci_function *fn, unsigned int offset,
			 unsigned int size)
{
	struct virtio_pci *vp = fn->priv;

	if (offset <= PCI_REG_COMMAND + 1 && offset + size > PCI_REG_COMMAND) {
		vp_update_mapping(vp);
		vp_update_line(vp);
	}
}

static void vp_bar_moved(struct pci_function *fn, unsigned int bar,
			 uint64_t addr)
{
	(void)bar;
	(void)addr;
	vp_update_mapping(fn->priv);
}

static const struct pci_function_ops vp_pci_ops = {
	.cfg_write = vp_cfg_write,
	.bar_moved = vp_bar_moved,
};

static void vp_add_cap(struct virtio_pci *vp, uint8_t type, uint32_t offset,
		       uint32_t length, uint32_t multiplier)
{
	struct virtio_pci_notify_cap cap = {
		.cap = {
			.cap_vndr = PCI_CAP_ID_VENDOR,
			.cap_len = sizeof(struct virtio_pci_cap),
			.cfg_type = type,
			.bar = 0,
			.offset = offset,
			.length = length,
		},
		.notify_off_multiplier = multiplier,
	};

	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		cap.cap.cap_len = sizeof(cap);
	pci_function_add_cap(&vp->fn, &cap, cap.cap.cap_len);
}

static void vp_init_function(struct virtio_pci *vp, uint32_t class_code,
			     uint64_t bar_addr, unsigned int irq)
{
	const struct virtio_dev_ops *ops = vp->vdev->ops;
	struct pci_function *fn = &vp->fn;

	pci_function_init(fn, PCI_VENDOR_REDHAT,
			  PCI_DEVICE_MODERN_BASE + ops->device_id, class_code, 1);
	pci_function_set_subsystem(fn, PCI_VENDOR_REDHAT, ops->device_id);
	pci_function_set_bar(fn, 0, bar_addr, VIRTIO_PCI_BAR_SIZE, PCI_BAR_MEM64);
	pci_function_set_irq(fn, 1, (uint8_t)irq);
	/* Firmware would have enabled decoding of the BAR it placed. */
	pci_cfg_put(fn, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY);
	vp_add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		   sizeof(struct virtio_pci_common_cfg), 0);
	vp_add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, 0);
	vp_add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
		   ops->config_size ? ops->config_size : 1, 0);
	vp_add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		   ops->num_queues * VIRTIO_PCI_NOTIFY_MULT,
		   VIRTIO_PCI_NOTIFY_MULT);
	fn->ops = &vp_pci_ops;
	fn->priv = vp;
}

struct virtio_pci *virtio_pci_create(struct vmm_ctx *ctx, struct pci_host *host,
				     struct virtio_dev *vdev, uint32_t class_code,
				     uint64_t bar_addr, unsigned int irq)
{
	struct virtio_pci *vp = calloc(1, sizeof(*vp));

	if (!vp)
		return NULL;
	if (bar_addr % VIRTIO_PCI_BAR_SIZE || irq >= 16) {
		free(vp);
		errno = EINVAL;
		return NULL;
	}
	vp->ctx = ctx;
	vp->vdev = vdev;
	vp->mmio = (struct vmm_device){ &vp_mmio_ops, vp };
	vp->irq = (struct irq_line){ ctx->irq, irq };
	vp->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vdev->signal = vp_signal;
	vdev->transport = vp;
	vp_init_function(vp, class_code, bar_addr, irq);
	if (vp->irq_fd < 0 || event_add_fd(ctx->loop, vp->irq_fd, vp_irq_event, vp))
		goto fail;
	vp_update_mapping(vp);
	if (!vp->mapped_at) {
		errno = EEXIST;
		goto fail;
	}
	vp->slot = pci_host_add(host, &vp->fn, -1);
	if (vp->slot < 0) {
		errno = -vp->slot;
		goto fail;
	}
	return vp;
fail:
	vp_unmap(vp);
	if (vp->irq_fd >= 0) {
		event_del_fd(ctx->loop, vp->irq_fd);
		close(vp->irq_fd);
	}
	vdev->signal = NULL;
	free(vp);
	return NULL;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	vp_unmap(vp);
	event_del_fd(vp->ctx->loop, vp->irq_fd);
	close(vp->irq_fd);
	free(vp);
}
