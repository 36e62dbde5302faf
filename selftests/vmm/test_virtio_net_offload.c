// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net offloads over a fake TAP: a SOCK_SEQPACKET pair for the
 * frames and a recording TUNSETOFFLOAD stand-in.  What is offered with
 * and without TAP support, the TAP's offloads following what the driver
 * accepted, headers passing through both ways, and hostile transmit
 * chains dropped and counted.
 */
#include <endian.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "unit.h"
#include "virtio_devices.h"
#include "virtq_fixture.h"

#define RX_BUF	(FX_DATA + 0x1000)
#define TX_BUF	(FX_DATA + 0x3000)
#define HDR_LEN	sizeof(struct virtio_net_hdr_v1)
#define PAYLOAD	100

#define F(x)	(1ull << VIRTIO_NET_F_##x)
#define ALL_OFFLOADS	(F(CSUM) | F(GUEST_CSUM) | F(HOST_TSO4) | F(HOST_TSO6) | \
			 F(GUEST_TSO4) | F(GUEST_TSO6))

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

/* The fake TAP takes the TUN_F_* bits in fake_supported, nothing else. */
static unsigned int fake_supported, fake_flags, fake_calls;

static int fake_set_offload(int fd, unsigned int flags)
{
	(void)fd;
	fake_calls++;
	if (flags & ~fake_supported)
		return -1;
	fake_flags = flags;
	return 0;
}

static uint64_t offered(unsigned int supported)
{
	struct fx f;
	struct virtio_dev *net;
	uint64_t feat = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		return ~0ull;
	fx_init(&f, 8);
	fake_supported = supported;
	fake_flags = 0xdead;
	net = virtio_net_create_offload(&f.gm, sv[0], "t", mac, fake_set_offload);
	if (net)
		feat = net->host_features;
	virtio_device_destroy(net);
	close(sv[1]);
	fx_destroy(&f);
	return feat;
}

/* The driver accepts `features` and sets DRIVER_OK. */
static void driver_ok(struct virtio_dev *net, uint64_t features)
{
	net->guest_features = features | (1ull << VIRTIO_F_VERSION_1);
	net->status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		      VIRTIO_CONFIG_S_FEATURES_OK;
	virtio_dev_set_status(net, net->status | VIRTIO_CONFIG_S_DRIVER_OK);
}

static struct virtio_net_hdr_v1 gso_hdr(uint8_t gso_type)
{
	struct virtio_net_hdr_v1 h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = gso_type,
		.hdr_len = htole16(54),
		.gso_size = htole16(1448),
		.csum_start = htole16(34),
		.csum_offset = htole16(16),
		.num_buffers = 0,
	};
	return h;
}

/* One transmit chain at descriptor d: header part hlen bytes, then data. */
static void post_tx(struct fx *tx, unsigned int d, const void *hdr,
		    uint32_t hlen, uint32_t dlen)
{
	memcpy(tx->mem + TX_BUF, hdr, hlen);
	memset(tx->mem + TX_BUF + hlen, 0x5a, dlen);
	if (dlen) {
		fx_desc(tx, d, TX_BUF, hlen, VRING_DESC_F_NEXT, d + 1);
		fx_desc(tx, d + 1, TX_BUF + hlen, dlen, 0, 0);
	} else {
		fx_desc(tx, d, TX_BUF, hlen, 0, 0);
	}
	fx_avail(tx, d);
}

static void post_rx(struct fx *rx)
{
	fx_desc(rx, 0, RX_BUF, 4096, VRING_DESC_F_WRITE, 0);
	fx_avail(rx, 0);
}

void test_virtio_net_offload(void)
{
	uint8_t frame[HDR_LEN + PAYLOAD], got[512];
	struct virtio_net_hdr_v1 h, g;
	struct virtio_dev *net;
	struct fx rx, tx;
	uint64_t feat;
	uint32_t len;
	int sv[2];

	unit_case((offered(0) & ALL_OFFLOADS) == 0 && fake_calls == 1,
		  "virtio-net offload: a TAP without TUN_F_CSUM: no offloads offered");
	unit_case((offered(TUN_F_CSUM) & ALL_OFFLOADS) == (F(CSUM) | F(GUEST_CSUM)),
		  "virtio-net offload: checksums only: CSUM and GUEST_CSUM, no TSO");
	unit_case((offered(TUN_F_CSUM | TUN_F_TSO4) & ALL_OFFLOADS) ==
			  (F(CSUM) | F(GUEST_CSUM) | F(HOST_TSO4) | F(GUEST_TSO4)),
		  "virtio-net offload: TSO4 but not TSO6: only the v4 features");
	feat = offered(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_UFO);
	unit_case((feat & ALL_OFFLOADS) == ALL_OFFLOADS &&
			  !(feat & (F(HOST_ECN) | F(GUEST_ECN) | F(HOST_UFO) |
				    F(GUEST_UFO))) &&
			  (feat & F(MRG_RXBUF)) && fake_flags == 0,
		  "virtio-net offload: full support: the six offloads and MRG_RXBUF, no ECN/UFO, the TAP left at 0");

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		return;
	fx_init(&rx, 16);
	tx = fx_second_queue(&rx, 0x100000);
	fake_supported = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	net = virtio_net_create_offload(&rx.gm, sv[0], "t", mac, fake_set_offload);
	if (!net)
		return;
	fx_activate(&rx, net, 0);
	fx_activate(&tx, net, 1);
	{
		char line[256] = "";

		net->ops->summary(net, line, sizeof(line));
		unit_case(line[0] == 0,
			  "virtio-net: nothing dropped, nothing in the exit summary");
	}

	/* The TAP's offloads follow the GUEST_* features accepted. */
	fake_flags = 0xdead;
	driver_ok(net, F(CSUM) | F(GUEST_CSUM) | F(GUEST_TSO4) | F(HOST_TSO4));
	unit_case(fake_flags == (TUN_F_CSUM | TUN_F_TSO4),
		  "virtio-net offload: DRIVER_OK sets the TAP to GUEST_CSUM + GUEST_TSO4");
	virtio_dev_reset(net);
	unit_case(fake_flags == 0, "virtio-net offload: a reset turns the TAP's offloads off");
	driver_ok(net, F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6));
	unit_case(fake_flags == 0,
		  "virtio-net offload: a driver taking only host offloads gets none from the TAP");
	virtio_dev_reset(net);
	driver_ok(net, ALL_OFFLOADS);
	fx_activate(&rx, net, 0);
	fx_activate(&tx, net, 1);
	unit_case(fake_flags == (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6),
		  "virtio-net offload: all accepted: CSUM, TSO4, TSO6 on the TAP");

	/* Transmit: the header goes to the TAP unchanged. */
	h = gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4);
	post_tx(&tx, 0, &h, HDR_LEN, PAYLOAD);
	virtio_dev_handle_kick(net, 1);
	unit_case(read(sv[1], got, sizeof(got)) == (ssize_t)(HDR_LEN + PAYLOAD) &&
			  !memcmp(got, &h, HDR_LEN) && got[HDR_LEN] == 0x5a &&
			  fx_used_idx(&tx) == 1 && !virtio_net_dropped(net, false),
		  "virtio-net offload: a GSO frame's header reaches the TAP unchanged");

	/* Several frames per notification: all drained by one kick. */
	h = gso_hdr(VIRTIO_NET_HDR_GSO_NONE);
	post_tx(&tx, 2, &h, HDR_LEN, PAYLOAD);
	post_tx(&tx, 4, &h, HDR_LEN, PAYLOAD);
	post_tx(&tx, 6, &h, HDR_LEN, PAYLOAD);
	virtio_dev_handle_kick(net, 1);
	{
		int frames = 0;

		while (read(sv[1], got, sizeof(got)) > 0)
			frames++;
		unit_case(frames == 3 && fx_used_idx(&tx) == 4,
			  "virtio-net offload: three frames, one kick: all three sent");
	}

	/* Hostile chains: dropped, counted, returned, nothing sent. */
	post_tx(&tx, 0, &h, 8, 0);
	post_tx(&tx, 2, &h, 4, 4);
	fx_desc(&tx, 4, TX_BUF, 64, VRING_DESC_F_WRITE, 0);	/* no out part */
	fx_avail(&tx, 4);
	virtio_dev_handle_kick(net, 1);
	unit_case(virtio_net_dropped(net, false) == 3 && fx_used_idx(&tx) == 7 &&
			  (fx_used(&tx, 6, &len), len == 0) &&
			  read(sv[1], got, sizeof(got)) < 0,
		  "virtio-net offload: chains shorter than the header are dropped and counted");
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	memcpy(tx.mem + TX_BUF, &h, HDR_LEN);
	fx_desc(&tx, 0, TX_BUF, 4, VRING_DESC_F_NEXT, 1);
	fx_desc(&tx, 1, TX_BUF + 4, HDR_LEN - 4, 0, 0);
	fx_avail(&tx, 0);
	virtio_dev_handle_kick(net, 1);
	unit_case(read(sv[1], got, sizeof(got)) == (ssize_t)(HDR_LEN) &&
			  !memcmp(got, &h, HDR_LEN) && virtio_net_dropped(net, false) == 3,
		  "virtio-net offload: a header split over descriptors is read whole");
	h = gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4);
	h.csum_start = htole16(PAYLOAD - 10);
	post_tx(&tx, 0, &h, HDR_LEN, PAYLOAD);
	h = gso_hdr(VIRTIO_NET_HDR_GSO_UDP);
	post_tx(&tx, 2, &h, HDR_LEN, PAYLOAD);
	h = gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
	post_tx(&tx, 4, &h, HDR_LEN, PAYLOAD);
	virtio_dev_handle_kick(net, 1);
	unit_case(virtio_net_dropped(net, false) == 6 &&
			  read(sv[1], got, sizeof(got)) < 0,
		  "virtio-net offload: checksum past the end, UFO, ECN: dropped");

	/* Receive: the TAP's header reaches the guest, num_buffers 1. */
	h = gso_hdr(VIRTIO_NET_HDR_GSO_TCPV6);
	h.num_buffers = htole16(7);
	memcpy(frame, &h, HDR_LEN);
	memset(frame + HDR_LEN, 0xc3, PAYLOAD);
	post_rx(&rx);
	virtio_dev_handle_kick(net, 0);
	if (write(sv[1], frame, sizeof(frame)) != (ssize_t)sizeof(frame))
		return;
	net->watch[0].fn(net, sv[0]);
	memcpy(&g, rx.mem + RX_BUF, HDR_LEN);
	h.num_buffers = htole16(1);
	unit_case(fx_used_idx(&rx) == 1 && (fx_used(&rx, 0, &len), len == sizeof(frame)) &&
			  !memcmp(&g, &h, HDR_LEN) && rx.mem[RX_BUF + HDR_LEN] == 0xc3,
		  "virtio-net offload: a received GSO header reaches the guest, num_buffers 1");

	/* A driver without GUEST_TSO/GUEST_CSUM gets no such header. */
	virtio_dev_reset(net);
	driver_ok(net, F(CSUM));
	rx.avail_idx = 0;
	tx.avail_idx = 0;
	memset(rx.mem + FX_USED, 0, 0x100);
	fx_activate(&rx, net, 0);
	net->guest_features = F(CSUM) | (1ull << VIRTIO_F_VERSION_1);
	post_rx(&rx);
	virtio_dev_handle_kick(net, 0);
	if (write(sv[1], frame, sizeof(frame)) != (ssize_t)sizeof(frame))
		return;
	net->watch[0].fn(net, sv[0]);
	unit_case(fx_used_idx(&rx) == 0 && virtio_net_dropped(net, true) == 1,
		  "virtio-net offload: a GSO frame the driver refused is dropped, the buffer kept");
	{
		char line[256] = "";

		net->ops->summary(net, line, sizeof(line));
		unit_case(strstr(line, "dropped 6 frames from the guest") &&
				  strstr(line, "and 1 to it"),
			  "virtio-net: the exit summary gives both drop counts");
	}
	h = gso_hdr(VIRTIO_NET_HDR_GSO_NONE);
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	memcpy(frame, &h, HDR_LEN);
	if (write(sv[1], frame, sizeof(frame)) != (ssize_t)sizeof(frame))
		return;
	net->watch[0].fn(net, sv[0]);
	memcpy(&g, rx.mem + RX_BUF, HDR_LEN);
	unit_case(fx_used_idx(&rx) == 1 && g.flags == 0 && le16toh(g.num_buffers) == 1,
		  "virtio-net offload: without GUEST_CSUM the flags reach the guest as 0");

	virtio_device_destroy(net);
	close(sv[1]);
	fx_destroy(&rx);
}
