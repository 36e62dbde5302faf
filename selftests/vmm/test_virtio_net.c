// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net over a SOCK_SEQPACKET pair standing in for the TAP fd:
 * frames (with their 12-byte virtio header) go out unchanged, frames
 * come in with num_buffers set, and a frame waits while the guest has
 * no receive buffer.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "unit.h"
#include "virtio_devices.h"
#include "virtq_fixture.h"

#define RX_BUF	(FX_DATA + 0x1000)
#define TX_BUF	(FX_DATA + 0x3000)
#define HDR_LEN	sizeof(struct virtio_net_hdr_v1)

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

void test_virtio_net(void)
{
	uint8_t frame[HDR_LEN + 60] = { 0 }, got[128];
	struct virtio_dev *net;
	uint8_t cfg[8] = { 0 };
	struct fx rx, tx;
	uint32_t len = 0;
	uint16_t nbuf;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		return;
	fx_init(&rx, 8);
	tx = fx_second_queue(&rx, 0x100000);
	net = virtio_net_create_fd(&rx.gm, sv[0], "test", mac);
	fx_activate(&rx, net, 0);
	fx_activate(&tx, net, 1);
	memcpy(cfg, net->config, sizeof(cfg));
	unit_case(!memcmp(cfg, mac, 6) && cfg[6] == VIRTIO_NET_S_LINK_UP &&
			  (net->host_features & (1ull << VIRTIO_NET_F_MAC)) &&
			  net->ops->device_id == 1,
		  "virtio-net: MAC and link status in the config space");

	memset(rx.mem + TX_BUF, 0, HDR_LEN);
	memset(rx.mem + TX_BUF + HDR_LEN, 0xab, 60);
	fx_desc(&tx, 0, TX_BUF, HDR_LEN, VRING_DESC_F_NEXT, 1);
	fx_desc(&tx, 1, TX_BUF + HDR_LEN, 60, 0, 0);
	fx_avail(&tx, 0);
	virtio_dev_handle_kick(net, 1);
	unit_case(read(sv[1], got, sizeof(got)) == (ssize_t)(HDR_LEN + 60) &&
			  got[HDR_LEN] == 0xab && fx_used_idx(&tx) == 1,
		  "virtio-net: a transmitted frame reaches the TAP fd whole");

	memset(frame + HDR_LEN, 0xcd, 60);
	if (write(sv[1], frame, sizeof(frame)) != (ssize_t)sizeof(frame))
		return;
	net->watch[0].fn(net, sv[0]);
	unit_case(fx_used_idx(&rx) == 0,
		  "virtio-net: no receive buffer: the frame waits");
	fx_desc(&rx, 0, RX_BUF, 1526, VRING_DESC_F_WRITE, 0);
	fx_avail(&rx, 0);
	virtio_dev_handle_kick(net, 0);
	net->watch[0].fn(net, sv[0]);
	memcpy(&nbuf, rx.mem + RX_BUF + 10, 2);
	unit_case(fx_used_idx(&rx) == 1 && (fx_used(&rx, 0, &len), len == sizeof(frame)) &&
			  rx.mem[RX_BUF + HDR_LEN] == 0xcd && nbuf == 1,
		  "virtio-net: a received frame fills a buffer, num_buffers 1");
	fx_avail(&rx, 0);
	net->watch[0].fn(net, sv[0]);
	unit_case(fx_used_idx(&rx) == 1,
		  "virtio-net: a buffer with no frame yet is kept, not returned");
	if (write(sv[1], frame, sizeof(frame)) != (ssize_t)sizeof(frame))
		return;
	net->watch[0].fn(net, sv[0]);
	unit_case(fx_used_idx(&rx) == 2, "virtio-net: the kept buffer takes the next frame");
	virtio_device_destroy(net);
	close(sv[1]);
	fx_destroy(&rx);
}
