// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net over a TAP device: queue 0 receives (frames from the TAP
 * fd into the guest's buffers), queue 1 transmits.  Offered: MAC,
 * STATUS (link up), MRG_RXBUF and, when the TAP takes TUNSETOFFLOAD, the
 * checksum and TCP segmentation offloads both ways (CSUM, GUEST_CSUM,
 * HOST_TSO4/6, GUEST_TSO4/6); no ECN or UFO, no control queue.  The TAP
 * fd carries the same 12-byte virtio_net_hdr_v1 in front of each frame
 * (IFF_VNET_HDR), so frames and their headers go through unchanged,
 * except that on receive num_buffers is set and flags the driver did not
 * agree to are cleared.
 *
 * Receiving, two ways.  With MRG_RXBUF (what the Linux driver takes) a
 * frame is read whole into rx_frame, then copied into as many of the
 * driver's small buffers as it needs; num_buffers, in the first one,
 * says how many, and all of them are returned in one step because the
 * driver must not see the first before the rest.  If the buffers run out
 * part way the frame waits in rx_frame until the driver posts more; if
 * even buffers taking every slot of the ring cannot hold it (a driver
 * breaking the spec's minimum size), it is delivered cut short and
 * counted.  Without
 * MRG_RXBUF a frame goes by one readv straight into one buffer.
 *
 * Offloads: the TAP's own offloads (what it may hand us: partial
 * checksums, GSO frames) are off until DRIVER_OK, then set to match the
 * GUEST_* features the driver accepted, and off again at reset.  The
 * guest's headers are checked before they go to the TAP: a chain shorter
 * than the header, a header asking for an offload the driver did not
 * negotiate, or a checksum place past the frame's end drops the frame
 * (counted in tx_dropped); the TAP checks the rest.  With GUEST_TSO and
 * no MRG_RXBUF the Linux driver posts 64 KiB chains ("big packets").
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
#include <stddef.h>
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
#define HDR_LEN		sizeof(struct virtio_net_hdr_v1)
/* The largest frame the TAP hands over: header, 64 KiB GSO, Ethernet+VLAN. */
#define RX_FRAME_MAX	(HDR_LEN + 65536 + 256)
#define PCI_CLASS_NETWORK_ETHERNET	0x020000

struct virtio_net {
	struct virtio_dev vdev;
	int fd;
	bool watching;
	bool rx_held;			/* rx_chain is popped, not yet used */
	char name[IFNAMSIZ];
	struct virtio_net_config config;
	struct virtq_chain rx_chain, tx_chain;
	virtio_net_offload_fn set_offload;	/* NULL: not a TAP */
	unsigned long tx_dropped, rx_dropped, rx_cut;

	/* MRG_RXBUF: the frame being placed, and the buffers it has so far. */
	uint8_t *rx_frame;		/* RX_FRAME_MAX bytes */
	size_t rx_len, rx_off;		/* its length (0: none), bytes placed */
	unsigned int rx_nbuf;
	unsigned int rx_slots;		/* ring slots its buffers hold */
	struct virtq_used rx_used[VIRTQ_MAX_SIZE];
	struct iovec rx_hdr_iov[HDR_LEN];	/* where its header went */
	unsigned int rx_hdr_cnt;
};

/* The virtio features the TAP's offloads make possible. */
#define NET_F_OFFLOADS	(1ull << VIRTIO_NET_F_CSUM | \
			 1ull << VIRTIO_NET_F_GUEST_CSUM | \
			 1ull << VIRTIO_NET_F_HOST_TSO4 | \
			 1ull << VIRTIO_NET_F_HOST_TSO6 | \
			 1ull << VIRTIO_NET_F_GUEST_TSO4 | \
			 1ull << VIRTIO_NET_F_GUEST_TSO6)

/*
 * Is hdr a header the driver may send (tx) or receive (rx) with the
 * features agreed?  The CSUM/HOST_TSO features govern what the driver
 * sends, GUEST_CSUM/GUEST_TSO what it takes.
 */
static bool net_hdr_ok(const struct virtio_dev *vdev,
		       const struct virtio_net_hdr_v1 *hdr, bool rx)
{
	unsigned int csum = rx ? VIRTIO_NET_F_GUEST_CSUM : VIRTIO_NET_F_CSUM;
	unsigned int tso4 = rx ? VIRTIO_NET_F_GUEST_TSO4 : VIRTIO_NET_F_HOST_TSO4;
	unsigned int tso6 = rx ? VIRTIO_NET_F_GUEST_TSO6 : VIRTIO_NET_F_HOST_TSO6;

	if ((hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !virtio_dev_has(vdev, csum))
		return false;
	switch (hdr->gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return virtio_dev_has(vdev, tso4) && hdr->gso_size;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return virtio_dev_has(vdev, tso6) && hdr->gso_size;
	default:			/* UDP, ECN: not offered */
		return false;
	}
}

/* TUN_F_* for the GUEST_* features the driver accepted. */
static unsigned int net_tun_offloads(const struct virtio_dev *vdev)
{
	unsigned int f = 0;

	if (!virtio_dev_has(vdev, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	f |= TUN_F_CSUM;
	if (virtio_dev_has(vdev, VIRTIO_NET_F_GUEST_TSO4))
		f |= TUN_F_TSO4;
	if (virtio_dev_has(vdev, VIRTIO_NET_F_GUEST_TSO6))
		f |= TUN_F_TSO6;
	return f;
}

static void net_watch(struct virtio_net *net, bool on)
{
	if (net->watching != on)
		virtio_dev_watch_enable(&net->vdev, net->fd, on);
	net->watching = on;
}

/*
 * Has a receive buffer in rx_chain; with none, stops reading the TAP
 * until the driver posts more.
 */
static bool net_rx_buffer(struct virtio_net *net)
{
	if (net->rx_held)
		return true;
	if (virtio_dev_pop(&net->vdev, QUEUE_RX, &net->rx_chain) <= 0) {
		net_watch(net, false);
		return false;
	}
	net->rx_held = true;
	return true;
}

/* One frame into one receive buffer; false when there is none to move. */
static bool net_receive_one(struct virtio_net *net)
{
	struct virtq_chain *c = &net->rx_chain;
	struct virtio_net_hdr_v1 hdr;
	uint16_t one = htole16(1);
	ssize_t n;

	if (!net_rx_buffer(net))
		return false;
	do {
		n = c->n_in ? readv(net->fd, &c->iov[c->n_out], (int)c->n_in) : 0;
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return false;		/* keep the buffer for the next frame */
	if (n >= (ssize_t)sizeof(hdr)) {
		iov_copy_from(&c->iov[c->n_out], c->n_in, 0, &hdr, sizeof(hdr));
		if (!net_hdr_ok(&net->vdev, &hdr, true)) {
			/* An offload the driver refused: keep the buffer. */
			net->rx_dropped++;
			return true;
		}
	}
	net->rx_held = false;
	if (n < (ssize_t)sizeof(hdr)) {
		virtio_dev_push(&net->vdev, QUEUE_RX, c->head, 0);
		return n > 0;
	}
	/* Without GUEST_CSUM the flags must be 0 (DATA_VALID too). */
	if (!virtio_dev_has(&net->vdev, VIRTIO_NET_F_GUEST_CSUM))
		hdr.flags = 0;
	/* Without MRG_RXBUF a frame is always in one buffer: num_buffers 1. */
	hdr.num_buffers = one;
	iov_copy_to(&c->iov[c->n_out], c->n_in, 0, &hdr, sizeof(hdr));
	virtio_dev_push(&net->vdev, QUEUE_RX, c->head, (uint32_t)n);
	return true;
}

/*
 * MRG_RXBUF: reads the next frame into rx_frame, once the driver has a
 * buffer for it.  False when there is no frame to place.
 */
static bool net_read_frame(struct virtio_net *net)
{
	struct virtio_net_hdr_v1 hdr;
	ssize_t n;

	if (!net_rx_buffer(net))
		return false;
	do {
		n = read(net->fd, net->rx_frame, RX_FRAME_MAX);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return false;		/* keep the buffer for the next frame */
	if (n < (ssize_t)HDR_LEN) {
		/* A failing fd: give the buffer back empty, as without MRG. */
		net->rx_held = false;
		virtio_dev_push(&net->vdev, QUEUE_RX, net->rx_chain.head, 0);
		return false;
	}
	memcpy(&hdr, net->rx_frame, HDR_LEN);
	if (!net_hdr_ok(&net->vdev, &hdr, true)) {
		net->rx_dropped++;	/* the buffer waits for the next one */
		return false;
	}
	if (!virtio_dev_has(&net->vdev, VIRTIO_NET_F_GUEST_CSUM))
		hdr.flags = 0;
	/* Set once the buffers are counted; a TAP may leave it unwritten. */
	hdr.num_buffers = 0;
	memcpy(net->rx_frame, &hdr, HDR_LEN);
	net->rx_len = (size_t)n;
	net->rx_off = 0;
	net->rx_nbuf = 0;
	net->rx_slots = 0;
	return true;
}

/*
 * MRG_RXBUF: places the waiting frame (or reads one) into as many
 * buffers as it takes.  False when it must wait for buffers, or there
 * was no frame.
 */
static bool net_receive_merged(struct virtio_net *net)
{
	struct virtq_chain *c = &net->rx_chain;
	unsigned int limit = net->vdev.vqs[QUEUE_RX].size;
	uint16_t nbuf;

	if (!net->rx_len && !net_read_frame(net))
		return false;
	/*
	 * Once our buffers hold every slot of the ring, the driver cannot
	 * post another: the frame is cut there.
	 */
	while (net->rx_off < net->rx_len && net->rx_slots < limit) {
		struct iovec *in;
		size_t put;

		if (!net_rx_buffer(net))
			return false;	/* the rest when the driver posts more */
		in = &c->iov[c->n_out];
		put = iov_copy_to(in, c->n_in, 0, net->rx_frame + net->rx_off,
				  net->rx_len - net->rx_off);
		if (!net->rx_nbuf)
			net->rx_hdr_cnt = iov_slice(in, c->n_in, 0, HDR_LEN,
						    net->rx_hdr_iov, HDR_LEN);
		net->rx_used[net->rx_nbuf++] =
			(struct virtq_used){ .head = c->head, .len = (uint32_t)put };
		net->rx_off += put;
		net->rx_slots += c->slots;
		net->rx_held = false;
	}
	if (net->rx_off < net->rx_len)
		net->rx_cut++;
	nbuf = htole16((uint16_t)net->rx_nbuf);
	iov_copy_to(net->rx_hdr_iov, net->rx_hdr_cnt,
		    offsetof(struct virtio_net_hdr_v1, num_buffers), &nbuf,
		    sizeof(nbuf));
	virtio_dev_push_many(&net->vdev, QUEUE_RX, net->rx_used, net->rx_nbuf);
	net->rx_len = 0;
	return true;
}

static void net_fd_ready(struct virtio_dev *vdev, int fd)
{
	struct virtio_net *net = vdev->model;
	bool merged = virtio_dev_has(vdev, VIRTIO_NET_F_MRG_RXBUF);

	(void)fd;
	if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		net_watch(net, false);
		return;
	}
	for (int i = 0; i < RX_BURST; i++)
		if (!(merged ? net_receive_merged(net) : net_receive_one(net)))
			break;
}

static void net_transmit(struct virtio_net *net)
{
	struct virtq_chain *c = &net->tx_chain;

	/* Every frame the driver has posted, one writev each, per kick. */
	while (virtio_dev_pop(&net->vdev, QUEUE_TX, c) > 0) {
		struct virtio_net_hdr_v1 hdr;
		ssize_t n;

		if (c->out_len < sizeof(hdr) ||
		    iov_copy_from(c->iov, c->n_out, 0, &hdr, sizeof(hdr)) !=
			    sizeof(hdr) ||
		    !net_hdr_ok(&net->vdev, &hdr, false) ||
		    ((hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		     (uint64_t)le16toh(hdr.csum_start) +
				     le16toh(hdr.csum_offset) + 2 >
			     c->out_len - sizeof(hdr))) {
			net->tx_dropped++;
			virtio_dev_push(&net->vdev, QUEUE_TX, c->head, 0);
			continue;
		}
		do {
			n = writev(net->fd, c->iov, (int)c->n_out);
		} while (n < 0 && errno == EINTR);
		/* A frame the host cannot take now is dropped, as on a wire. */
		if (n < 0)
			net->tx_dropped++;
		virtio_dev_push(&net->vdev, QUEUE_TX, c->head, 0);
	}
}

static void net_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_net *net = vdev->model;

	if (q == QUEUE_TX) {
		net_transmit(net);
		return;
	}
	net_watch(net, true);			/* new receive buffers */
	if (net->rx_len)			/* for a frame that waits */
		net_fd_ready(vdev, net->fd);
}

/* DRIVER_OK: the TAP may now hand over what the driver accepted. */
static void net_start(struct virtio_dev *vdev)
{
	struct virtio_net *net = vdev->model;

	if (net->set_offload &&
	    net->set_offload(net->fd, net_tun_offloads(vdev)) &&
	    net->set_offload(net->fd, 0))
		fprintf(stderr, "vireo: %s: cannot set the TAP's offloads: %s\n",
			net->name, strerror(errno));
}

static void net_reset(struct virtio_dev *vdev)
{
	struct virtio_net *net = vdev->model;

	net->rx_held = false;
	net->rx_len = 0;
	net_watch(net, false);
	if (net->set_offload)
		net->set_offload(net->fd, 0);
}

static void net_destroy(struct virtio_dev *vdev)
{
	struct virtio_net *net = vdev->model;

	virtio_dev_destroy(vdev);
	if (net->fd >= 0)
		close(net->fd);
	free(net->rx_frame);
	free(net);
}

static void net_summary(struct virtio_dev *vdev, char *buf, size_t len)
{
	struct virtio_net *net = vdev->model;

	if (net->tx_dropped || net->rx_dropped || net->rx_cut)
		snprintf(buf, len,
			 "dropped %lu frames from the guest (a bad header, or the TAP refused them) and %lu to it (an offload its driver did not accept); cut %lu short (receive buffers below the spec's size)",
			 net->tx_dropped, net->rx_dropped, net->rx_cut);
}

static const struct virtio_dev_ops net_ops = {
	.type = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_size = VIRTQ_MAX_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.pci_class = PCI_CLASS_NETWORK_ETHERNET,
	.queue_notify = net_queue_notify,
	.start = net_start,
	.reset = net_reset,
	.destroy = net_destroy,
	.summary = net_summary,
};

/*
 * What the TAP can do: with no TUN_F_CSUM, nothing; TSO4/6 each only if
 * the TAP takes them.  The TAP is left with no offloads until DRIVER_OK.
 */
static uint64_t net_probe_offloads(int fd, virtio_net_offload_fn set_offload)
{
	uint64_t f = 0;

	if (!set_offload || set_offload(fd, TUN_F_CSUM))
		return 0;
	f |= 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM;
	if (!set_offload(fd, TUN_F_CSUM | TUN_F_TSO4))
		f |= 1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO4;
	if (!set_offload(fd, TUN_F_CSUM | TUN_F_TSO6))
		f |= 1ull << VIRTIO_NET_F_HOST_TSO6 | 1ull << VIRTIO_NET_F_GUEST_TSO6;
	set_offload(fd, 0);
	return f & NET_F_OFFLOADS;
}

struct virtio_dev *virtio_net_create_fd(struct guest_mem *mem, int fd,
					const char *name, const uint8_t mac[6])
{
	return virtio_net_create_offload(mem, fd, name, mac, NULL);
}

struct virtio_dev *virtio_net_create_offload(struct guest_mem *mem, int fd,
					     const char *name,
					     const uint8_t mac[6],
					     virtio_net_offload_fn set_offload)
{
	struct virtio_net *net = calloc(1, sizeof(*net));

	if (!net)
		return NULL;
	net->rx_frame = malloc(RX_FRAME_MAX);
	if (!net->rx_frame) {
		free(net);
		return NULL;
	}
	net->fd = fd;
	net->set_offload = set_offload;
	snprintf(net->name, sizeof(net->name), "%s", name);
	memcpy(net->config.mac, mac, sizeof(net->config.mac));
	net->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	if (virtio_dev_init(&net->vdev, &net_ops, net, net->name, mem,
			    1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
				    1ull << VIRTIO_NET_F_MRG_RXBUF |
				    net_probe_offloads(fd, set_offload)) ||
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

static int net_tap_set_offload(int fd, unsigned int tun_flags)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags) ? -1 : 0;
}

unsigned long virtio_net_dropped(const struct virtio_dev *vdev, bool rx)
{
	const struct virtio_net *net = vdev->model;

	return rx ? net->rx_dropped : net->tx_dropped;
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
	vdev = virtio_net_create_offload(mem, fd, tap, mac, net_tap_set_offload);
	if (!vdev) {
		close(fd);
		snprintf(err, errlen, "cannot set up the network card on %s: out of memory or file descriptors",
			 tap);
	}
	return vdev;
}
