// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net with merged receive buffers (MRG_RXBUF), over a
 * SOCK_SEQPACKET pair standing in for the TAP: a frame spread over as
 * many small buffers as it needs, num_buffers in the first, all returned
 * in one step; a frame waiting for more buffers; a reset dropping a
 * waiting frame; a driver whose buffers are too small to hold a frame,
 * with one descriptor each or two.
 */
#include <endian.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "unit.h"
#include "virtio_devices.h"
#include "virtq_fixture.h"

#define HDR_LEN		sizeof(struct virtio_net_hdr_v1)
#define BUF_LEN		1526u
#define RX_BUF(i)	(FX_DATA + 0x1000 + (i) * 0x800ull)
#define QSIZE		8

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x58 };

/* Posts receive buffer i (descriptor i) of len writable bytes. */
static void post(struct fx *rx, unsigned int i, uint32_t len)
{
	fx_desc(rx, i, RX_BUF(i), len, VRING_DESC_F_WRITE, 0);
	fx_avail(rx, (uint16_t)i);
}

/* Sends a frame of `payload` bytes, byte k of it (k & 0xff) ^ seed. */
static bool send_frame(int fd, unsigned int payload, uint8_t seed)
{
	static uint8_t frame[HDR_LEN + 8192];
	unsigned int n = (unsigned int)HDR_LEN + payload;

	memset(frame, 0, HDR_LEN);
	frame[10] = 0x77;	/* num_buffers as the TAP left it: replaced */
	for (unsigned int k = 0; k < payload; k++)
		frame[HDR_LEN + k] = (uint8_t)(k ^ seed);
	return write(fd, frame, n) == (ssize_t)n;
}

/*
 * Do used elements first..first+nbuf-1, read in order, hold the frame of
 * `payload` bytes sent with seed, with num_buffers nbuf in the first?
 */
static bool frame_ok(const struct fx *rx, unsigned int first,
		     unsigned int nbuf, unsigned int payload, uint8_t seed)
{
	unsigned int k = 0, skip = HDR_LEN;
	uint16_t num;
	uint32_t len, id = fx_used(rx, (uint16_t)first, &len);

	memcpy(&num, rx->mem + RX_BUF(id) + 10, 2);
	if (le16toh(num) != nbuf)
		return false;
	for (unsigned int b = 0; b < nbuf; b++) {
		id = fx_used(rx, (uint16_t)(first + b), &len);
		for (unsigned int o = skip; o < len; o++, k++)
			if (rx->mem[RX_BUF(id) + o] != (uint8_t)(k ^ seed))
				return false;
		skip = 0;
	}
	return k == payload;
}

void test_virtio_net_mrg(void)
{
	struct virtio_dev *net;
	struct fx rx, tx;
	char line[256] = "";
	uint32_t len;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		return;
	fx_init(&rx, QSIZE);
	tx = fx_second_queue(&rx, 0x100000);
	net = virtio_net_create_fd(&rx.gm, sv[0], "mrg", mac);
	unit_case(net && (net->host_features & (1ull << VIRTIO_NET_F_MRG_RXBUF)),
		  "virtio-net mrg: MRG_RXBUF is offered");
	if (!net)
		return;
	fx_activate(&rx, net, 0);
	fx_activate(&tx, net, 1);

	/* A small frame: one buffer, num_buffers 1. */
	post(&rx, 0, BUF_LEN);
	virtio_dev_handle_kick(net, 0);
	send_frame(sv[1], 60, 1);
	net->watch[0].fn(net, sv[0]);
	unit_case(fx_used_idx(&rx) == 1 && (fx_used(&rx, 0, &len), len == HDR_LEN + 60) &&
			  frame_ok(&rx, 0, 1, 60, 1),
		  "virtio-net mrg: a small frame takes one buffer, num_buffers 1");

	/* 5000 bytes over buffers of 1526: four of them, in one step. */
	for (unsigned int i = 1; i <= 5; i++)
		post(&rx, i, BUF_LEN);
	virtio_dev_handle_kick(net, 0);
	send_frame(sv[1], 5000, 2);
	net->watch[0].fn(net, sv[0]);
	unit_case(fx_used_idx(&rx) == 5 && frame_ok(&rx, 1, 4, 5000, 2) &&
			  (fx_used(&rx, 1, &len), len == BUF_LEN) &&
			  (fx_used(&rx, 4, &len), len == HDR_LEN + 5000 - 3 * BUF_LEN),
		  "virtio-net mrg: a 5000-byte frame fills four buffers, num_buffers 4");

	/* 3000 bytes with one buffer left: the frame waits for another. */
	send_frame(sv[1], 3000, 3);
	net->watch[0].fn(net, sv[0]);
	unit_case(fx_used_idx(&rx) == 5,
		  "virtio-net mrg: too few buffers: none returned, the frame waits");
	post(&rx, 6, BUF_LEN);
	post(&rx, 7, BUF_LEN);
	virtio_dev_handle_kick(net, 0);
	unit_case(fx_used_idx(&rx) == 7 && frame_ok(&rx, 5, 2, 3000, 3),
		  "virtio-net mrg: the driver's next buffers take the waiting frame whole");

	/* A reset forgets a waiting frame; the next one arrives whole. */
	post(&rx, 0, BUF_LEN);
	virtio_dev_handle_kick(net, 0);
	send_frame(sv[1], 3000, 5);
	net->watch[0].fn(net, sv[0]);
	virtio_dev_reset(net);
	rx.avail_idx = 0;
	memset(rx.mem + FX_AVAIL, 0, 0x2000);	/* avail and used rings */
	fx_activate(&rx, net, 0);
	fx_activate(&tx, net, 1);
	post(&rx, 0, BUF_LEN);
	post(&rx, 1, BUF_LEN);
	virtio_dev_handle_kick(net, 0);
	send_frame(sv[1], 2000, 6);
	net->watch[0].fn(net, sv[0]);
	unit_case(fx_used_idx(&rx) == 2 && frame_ok(&rx, 0, 2, 2000, 6),
		  "virtio-net mrg: a reset drops the waiting frame, the next one is whole");

	/* Buffers below the spec's minimum: a whole queue of them is cut short. */
	for (unsigned int i = 0; i < QSIZE; i++)
		post(&rx, i, 16);
	virtio_dev_handle_kick(net, 0);
	send_frame(sv[1], 1000, 4);
	net->watch[0].fn(net, sv[0]);
	net->ops->summary(net, line, sizeof(line));
	unit_case(fx_used_idx(&rx) == 2 + QSIZE &&
			  (fx_used(&rx, 2, &len), len == 16) &&
			  strstr(line, "cut 1 short"),
		  "virtio-net mrg: a frame a whole queue of tiny buffers cannot hold is cut short and counted");

	/*
	 * Chains of two descriptors (a header part, then data): four of them
	 * take all 8 slots of the table, so the frame is cut after them
	 * rather than waiting for buffers the driver has no room to post.
	 */
	for (unsigned int i = 0; i < QSIZE; i += 2) {
		fx_desc(&rx, i, RX_BUF(i), HDR_LEN,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (uint16_t)(i + 1));
		fx_desc(&rx, i + 1, RX_BUF(i) + 0x100, 200, VRING_DESC_F_WRITE, 0);
		fx_avail(&rx, (uint16_t)i);
	}
	virtio_dev_handle_kick(net, 0);
	send_frame(sv[1], 1500, 7);
	net->watch[0].fn(net, sv[0]);
	line[0] = 0;
	net->ops->summary(net, line, sizeof(line));
	unit_case(fx_used_idx(&rx) == 2 + QSIZE + 4 &&
			  (fx_used(&rx, 2 + QSIZE, &len), len == HDR_LEN + 200) &&
			  strstr(line, "cut 2 short"),
		  "virtio-net mrg: two-descriptor chains filling the table: the frame is cut, not stuck");

	virtio_device_destroy(net);
	close(sv[1]);
	fx_destroy(&rx);
}
