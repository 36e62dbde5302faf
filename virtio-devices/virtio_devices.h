/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio device models.  Each constructor returns a device that is
 * not on any transport yet: give it to virtio_pci_create(), then start its
 * I/O thread with virtio_dev_start().  virtio_device_destroy() stops the
 * thread and frees it (destroy the transport first).
 */
#ifndef VIREO_VIRTIO_DEVICES_H
#define VIREO_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_dev.h"

/* Entropy from getrandom(). */
struct virtio_dev *virtio_rng_create(struct guest_mem *mem);

/*
 * A console with one port (hvc0 in Linux): the guest's output goes to
 * out_fd, in_fd's bytes are its input (-1, or an fd epoll cannot wait
 * on, gives no input).
 */
struct virtio_dev *virtio_console_create(struct guest_mem *mem, int in_fd,
					 int out_fd);

/*
 * A disk over a raw image file (or block device).  A file that cannot be
 * opened for writing is used read-only, as is any with read_only set.
 * Returns NULL with one line in err (what is wrong, what to do).
 */
struct virtio_dev *virtio_blk_create(struct guest_mem *mem, const char *path,
				     bool read_only, char *err, size_t errlen);

/*
 * A network card on TAP device `tap` (created if it does not exist, which
 * needs CAP_NET_ADMIN), with MAC address mac.  NULL with one line in err.
 */
struct virtio_dev *virtio_net_create(struct guest_mem *mem, const char *tap,
				     const uint8_t mac[6], char *err,
				     size_t errlen);
/* The same over any fd that reads and writes whole frames, no offloads. */
struct virtio_dev *virtio_net_create_fd(struct guest_mem *mem, int fd,
					const char *name, const uint8_t mac[6]);
/*
 * Sets the TAP's offloads (TUN_F_* flags, as TUNSETOFFLOAD); 0 or -1 with
 * errno.  The device probes with it at creation (no TUN_F_CSUM: no
 * offloads offered) and sets what the driver accepted at DRIVER_OK.
 */
typedef int (*virtio_net_offload_fn)(int fd, unsigned int tun_flags);
struct virtio_dev *virtio_net_create_offload(struct guest_mem *mem, int fd,
					     const char *name,
					     const uint8_t mac[6],
					     virtio_net_offload_fn set_offload);
/*
 * Frames dropped: from the guest for a bad header or because the TAP
 * refused them (tx), to it for an offload its driver refused (rx).
 */
unsigned long virtio_net_dropped(const struct virtio_dev *vdev, bool rx);

static inline void virtio_device_destroy(struct virtio_dev *vdev)
{
	if (vdev)
		vdev->ops->destroy(vdev);
}

#endif /* VIREO_VIRTIO_DEVICES_H */
