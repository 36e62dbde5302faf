/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A virtio device, between a transport (virtio_pci.c) and a device model
 * (virtio_blk.c, virtio_console.c, virtio_rng.c).
 *
 * The model fills a constant struct virtio_dev_ops and knows nothing of
 * PCI; the transport knows nothing of blocks or consoles.  What they
 * share lives in struct virtio_dev: the device status, the features, the
 * queues, and one notify eventfd per queue.
 *
 * Threads and locks: each device has an I/O thread that waits on its
 * queues' eventfds (written by the kernel through ioeventfd, or by the
 * transport on a notify MMIO write) and on any fd the model watches, and
 * calls the model with vdev->lock held.  The transport takes vdev->lock
 * for everything that changes the status or the queues (with the machine
 * lock already held on the vCPU thread: the order is machine lock, then
 * vdev->lock).  The I/O thread never takes the machine lock: interrupts
 * go through the transport's signal(), which only sets bits atomically
 * and wakes the event loop.
 */
#ifndef VIREO_VIRTIO_DEV_H
#define VIREO_VIRTIO_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtq.h"

#define VIRTIO_DEV_MAX_QUEUES	4
#define VIRTIO_DEV_MAX_WATCHES	2

/* Interrupt causes, as in the PCI ISR register. */
#define VIRTIO_SIGNAL_QUEUE	0x1
#define VIRTIO_SIGNAL_CONFIG	0x2

struct virtio_dev;

struct virtio_dev_ops {
	const char *type;		/* "virtio-blk", for messages */
	uint16_t device_id;		/* VIRTIO_ID_* */
	unsigned int num_queues;
	uint16_t queue_size;		/* the maximum offered */
	uint32_t config_size;		/* bytes of device config space */
	uint32_t pci_class;		/* class code, for lspci */
	/*
	 * Device config space reads (offset + size <= config_size); when
	 * NULL the transport copies from vdev->config.
	 */
	void (*config_read)(struct virtio_dev *vdev, uint32_t offset,
			    void *data, unsigned int size);
	void (*config_write)(struct virtio_dev *vdev, uint32_t offset,
			     const void *data, unsigned int size);
	/*
	 * The driver notified queue q (I/O thread, vdev->lock held).  A model
	 * may drop the lock around slow work on a popped chain; after taking
	 * it again it must drop the chain if vdev->generation changed (the
	 * device was reset meanwhile).
	 */
	void (*queue_notify)(struct virtio_dev *vdev, unsigned int q);
	/* The driver set DRIVER_OK (vdev->lock held).  May be NULL. */
	void (*start)(struct virtio_dev *vdev);
	/* Device reset: forget all driver state (vdev->lock held). */
	void (*reset)(struct virtio_dev *vdev);
	/* Stops the I/O thread and frees the model (virtio_devices.h). */
	void (*destroy)(struct virtio_dev *vdev);
	/*
	 * What the monitor says of the device when it ends: one line into
	 * buf, or nothing (buf[0] stays 0) when all went well.  May be NULL.
	 */
	void (*summary)(struct virtio_dev *vdev, char *buf, size_t len);
};

/* An extra fd the model waits on in its I/O thread. */
typedef void (*virtio_watch_fn)(struct virtio_dev *vdev, int fd);

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *model;			/* the device model's own state */
	const void *config;		/* config_size bytes, or NULL */
	const char *name;		/* "disk.img", for messages */

	pthread_mutex_t lock;
	uint8_t status;			/* VIRTIO_CONFIG_S_* */
	uint64_t host_features;		/* offered */
	uint64_t guest_features;	/* the driver's, final at FEATURES_OK */
	struct virtq vqs[VIRTIO_DEV_MAX_QUEUES];
	int kick_fd[VIRTIO_DEV_MAX_QUEUES];	/* notify eventfds */
	bool failed;			/* broken until reset */
	unsigned int generation;	/* counts resets */
	bool fail_reported;		/* the message is printed once */

	/* The transport's interrupt: cause is VIRTIO_SIGNAL_*. */
	void (*signal)(struct virtio_dev *vdev, unsigned int cause);
	void *transport;

	/* The I/O thread. */
	int epfd, stop_fd;
	pthread_t thread;
	bool running;
	struct {
		int fd;
		virtio_watch_fn fn;
	} watch[VIRTIO_DEV_MAX_WATCHES];
};

/*
 * Sets up the common part; host_features must include VIRTIO_F_VERSION_1
 * (the transport adds it and the ring features).  Returns 0 or -errno.
 */
int virtio_dev_init(struct virtio_dev *vdev, const struct virtio_dev_ops *ops,
		    void *model, const char *name, struct guest_mem *mem,
		    uint64_t device_features);
void virtio_dev_destroy(struct virtio_dev *vdev);
/* Offers packed rings too (VIRTIO_F_RING_PACKED); before the guest runs. */
void virtio_dev_offer_packed(struct virtio_dev *vdev);

/* The I/O thread; start after the transport is set up, stop before freeing. */
int virtio_dev_start(struct virtio_dev *vdev);
void virtio_dev_stop(struct virtio_dev *vdev);
/* Waits for fd to be readable on the I/O thread (call before start). */
int virtio_dev_watch(struct virtio_dev *vdev, int fd, virtio_watch_fn fn);
/* Pauses or resumes a watched fd (e.g. while there is nowhere to put input). */
void virtio_dev_watch_enable(struct virtio_dev *vdev, int fd, bool on);

/*
 * What the I/O thread does when queue q's eventfd fires; the host tests
 * call it directly.  Takes vdev->lock.
 */
void virtio_dev_handle_kick(struct virtio_dev *vdev, unsigned int q);
/* Wakes the I/O thread for queue q as a driver notification would. */
void virtio_dev_kick(struct virtio_dev *vdev, unsigned int q);

/* For the models, with vdev->lock held. */
bool virtio_dev_has(const struct virtio_dev *vdev, unsigned int feature);
/* virtq_pop(), but a broken queue marks the device as needing a reset. */
int virtio_dev_pop(struct virtio_dev *vdev, unsigned int q,
		   struct virtq_chain *chain);
/* virtq_push(), then an interrupt if the driver wants one. */
void virtio_dev_push(struct virtio_dev *vdev, unsigned int q, uint16_t head,
		     uint32_t len);
/* virtq_push_many(), then an interrupt if the driver wants one. */
void virtio_dev_push_many(struct virtio_dev *vdev, unsigned int q,
			  const struct virtq_used *u, unsigned int n);
/*
 * The device is broken: DEVICE_NEEDS_RESET, a config interrupt, and one
 * message on stderr (only the first time until the next reset).
 */
void virtio_dev_fail(struct virtio_dev *vdev, unsigned int q, const char *why);

/* For the transport, with vdev->lock held. */
void virtio_dev_reset(struct virtio_dev *vdev);
/* A status write (not 0); FEATURES_OK is kept only for offered features. */
void virtio_dev_set_status(struct virtio_dev *vdev, uint8_t status);
/* queue_enable = 1 for queue q. */
void virtio_dev_enable_queue(struct virtio_dev *vdev, unsigned int q);

#endif /* VIREO_VIRTIO_DEV_H */
