// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net over a TAP device: queue 0 receives (frames from the TAP
 * fd into the guest's buffers), queue 1 transmits.  Offered: MAC and
 * STATUS (link up); no offloads, no merged receive buffers, no control
 * queue.  The TAP fd carries the same 12-byte virtio_net_hdr_v1 in front
 * of each frame (IFF_VNET_HDR), so frames go through unchanged.
 *
 * Any fd that reads and writes whole frames works (the host tests use a
 * SOCK_SEQPACKET pair).  Frames are read only while the guest has a
 * receive buffer: a popped buffer that finds no frame is held for the
 * next one, and with none the fd leaves the I/O thread's watch until the
 * driver posts more.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "virtio_devices.h"

#define QUEUE_RX	0
#define QUEUE_TX	1
#define RX_BURST	64		/* frames per wakeup */
#define PCI_CLASS_NETWORK_ETHERNET	0x020000

struct virtio_net {
	struct virtio_dev vdev;
	int fd;
	bool watching;
	bool rx_held;			/* rx_chain is popped, not yet used */
	char name[IFNAMSIZ];
	struct virtio_net_config config;
	struct virtq_chain rx_chain, tx_chain;
};

static void net_watch(struct virtio_net *net, bool on)
{
	if (net->watching != on)
		virtio_dev_watch_enable(&net->vdev, net->fd, on);
	net->watching = on;
}

/* One frame into one receive buffer; false when there is none to move. */
static bool net_receive_one(struct virtio_net *net)
{
	struct virtq_chain *c = &net->rx_chain;
	uint16_t one = htole16(1);
	ssize_t n;

	if (!net->rx_held) {
		if (virtio_dev_pop(&net->vdev, QUEUE_RX, c) <= 0) {
			net_watch(net, false);	/* until buffers come */
			return false;
		}
		net->rx_held = true;
	}
	do {
		n = c->n_in ? readv(net->fd, &c->iov[c->n_out], (int)c->n_in) : 0;
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return false;		/* keep the buffer for the next frame */
	net->rx_held = false;
	if (n < (ssize_t)sizeof(struct virtio_net_hdr_v1)) {
		virtio_dev_push(&net->vdev, QUEUE_RX, c->head, 0);
		return n > 0;
	}
	/* Without MRG_RXBUF a frame is always in one buffer. */
	iov_copy_to(&c->iov[c->n_out], c->n_in,
		    offsetof(struct virtio_net_hdr_v1, num_buffers), &one,
		    sizeof(one));
	virtio_dev_push(&net->vdev, QUEUE_RX, c->head, (uint32_t)n);
	return true;
}

static void net_fd_ready(struct virtio_dev *vdev, int fd)
{
	struct virtio_net *net = vdev->model;

	(void)fd;
	if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		net_watch(net, false);
		return;
	}
	for (int i = 0; i < RX_BURST && net_receive_one(net); i++)
		;
}

static void net_transmit(struct virtio_net *net)
{
	struct virtq_chain *c = &net->tx_chain;

	while (virtio_dev_pop(&net->vdev, QUEUE_TX, c) > 0) {
		ssize_t n;

		do {
			n = writev(net->fd, c->iov, (int)c->n_out);
		} while (n < 0 && errno == EINTR);
		/* A frame the host cannot take now is dropped, as on a wire. */
		virtio_dev_push(&net->vdev, QUEUE_TX, c->head, 0);
	}
}

static void net_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_net *net = vdev->model;

	if (q == QUEUE_TX)
		net_transmit(net);
	else
		net_watch(net, true);		/* new receive buffers */
}

static void net_reset(struct virtio_dev *vdev)
{
	struct virtio_net *net = vdev->model;

	net->rx_held = false;
	net_watch(net, false);
}

static void net_destroy(struct virtio_dev *vdev)
{
	struct virtio_net *net = vdev->model;

	virtio_dev_destroy(vdev);
	if (net->fd >= 0)
		close(net->fd);
	free(net);
}

static const struct virtio_dev_ops net_ops = {
	.type = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_size = VIRTQ_MAX_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.pci_class = PCI_CLASS_NETWORK_ETHERNET,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
	.destroy = net_destroy,
};

struct virtio_dev *virtio_net_create_fd(struct guest_mem *mem, int fd,
					const char *name, const uint8_t mac[6])
{
	struct virtio_net *net = calloc(1, sizeof(*net));

	if (!net)
		return NULL;
	net->fd = fd;
	snprintf(net->name, sizeof(net->name), "%s", name);
	memcpy(net->config.mac, mac, sizeof(net->config.mac));
	net->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	if (virtio_dev_init(&net->vdev, &net_ops, net, net->name, mem,
			    1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS) ||
	    virtio_dev_watch(&net->vdev, fd, net_fd_ready)) {
		net->fd = -1;		/* the caller's, on failure */
		net_destroy(&net->vdev);
		return NULL;
	}
	net->vdev.config = &net->config;
	net->watching = true;
	net_watch(net, false);
	return &net->vdev;
}

/* Opens (or creates) TAP device `name` with 12-byte virtio headers. */
static int net_open_tap(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_len = sizeof(struct virtio_net_hdr_v1);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open /dev/net/tun for --net: %s; load the tun module",
			 strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdr_len)) {
		snprintf(err, errlen, "cannot attach to TAP device %s: %s; check --net tap=NAME (and that you may use it)",
			 name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct virtio_dev *virtio_net_create(struct guest_mem *mem, const char *tap,
				     const uint8_t mac[6], char *err,
				     size_t errlen)
{
	struct virtio_dev *vdev;
	int fd = net_open_tap(tap, err, errlen);

	if (fd < 0)
		return NULL;
	vdev = virtio_net_create_fd(mem, fd, tap, mac);
	if (!vdev) {
		close(fd);
		snprintf(err, errlen, "cannot set up the network card on %s: out of memory or file descriptors",
			 tap);
	}
	return vdev;
}
