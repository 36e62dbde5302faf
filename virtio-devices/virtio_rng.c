// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-rng: every device-writable byte the driver offers is filled from
 * the host's getrandom().  One queue, no features, no config space.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include <linux/virtio_ids.h>

#include "virtio_devices.h"

#define PCI_CLASS_OTHER	0xff0000
#define RNG_MAX		(64u << 10)	/* bytes per request */

struct virtio_rng {
	struct virtio_dev vdev;
	struct virtq_chain chain;
};

/* Fills one buffer; returns the bytes written. */
static size_t rng_fill(void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

static void rng_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_rng *rng = vdev->model;
	struct virtq_chain *c = &rng->chain;

	while (virtio_dev_pop(vdev, q, c) > 0) {
		size_t written = 0;

		/* The device may fill less than offered: at most RNG_MAX. */
		for (unsigned int i = c->n_out; i < c->n_out + c->n_in; i++) {
			size_t len = c->iov[i].iov_len;

			if (len > RNG_MAX - written)
				len = RNG_MAX - written;
			written += rng_fill(c->iov[i].iov_base, len);
		}
		virtio_dev_push(vdev, q, c->head, (uint32_t)written);
	}
}

static void rng_destroy(struct virtio_dev *vdev)
{
	struct virtio_rng *rng = vdev->model;

	virtio_dev_destroy(vdev);
	free(rng);
}

static const struct virtio_dev_ops rng_ops = {
	.type = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_size = VIRTQ_MAX_SIZE,
	.config_size = 0,
	.pci_class = PCI_CLASS_OTHER,
	.queue_notify = rng_queue_notify,
	.destroy = rng_destroy,
};

struct virtio_dev *virtio_rng_create(struct guest_mem *mem)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return NULL;
	if (virtio_dev_init(&rng->vdev, &rng_ops, rng, "(getrandom)", mem, 0)) {
		rng_destroy(&rng->vdev);
		return NULL;
	}
	return &rng->vdev;
}
