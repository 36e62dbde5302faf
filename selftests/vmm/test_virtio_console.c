// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-console over pipes: the MULTIPORT handshake as Linux's driver
 * does it (DEVICE_READY, PORT_READY, PORT_OPEN), guest output reaching
 * out_fd, and host input that waits, unread, until the guest has opened
 * the port and posted a receive buffer.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_console.h>

#include "unit.h"
#include "virtio_devices.h"
#include "virtq_fixture.h"

#define RX_BUF		(FX_DATA + 0x1000)
#define TX_BUF		(FX_DATA + 0x2000)
#define CTRL_IN_BUF	(FX_DATA + 0x3000)	/* 8 buffers of 8 bytes */
#define CTRL_OUT_BUF	(FX_DATA + 0x4000)
#define RING_STRIDE	0x100000ull

struct con_rig {
	struct fx q[4];		/* rx, tx, control in, control out */
	struct virtio_dev *con;
	int in[2], out[2];
};

static bool rig_open(struct con_rig *r)
{
	if (pipe2(r->in, O_NONBLOCK) || pipe2(r->out, O_NONBLOCK))
		return false;
	fx_init(&r->q[0], 8);
	for (unsigned int i = 1; i < 4; i++)
		r->q[i] = fx_second_queue(&r->q[0], i * RING_STRIDE);
	r->con = virtio_console_create(&r->q[0].gm, r->in[0], r->out[1]);
	for (unsigned int i = 0; i < 4; i++)
		fx_activate(&r->q[i], r->con, i);
	return r->con != NULL;
}

static void rig_close(struct con_rig *r)
{
	virtio_device_destroy(r->con);
	close(r->in[0]);
	close(r->in[1]);
	close(r->out[0]);
	close(r->out[1]);
	fx_destroy(&r->q[0]);
}

/* What the I/O thread does when in_fd is readable. */
static void input_ready(struct con_rig *r)
{
	r->con->watch[0].fn(r->con, r->in[0]);
}

static void post_control_buffers(struct con_rig *r)
{
	for (unsigned int i = 0; i < 4; i++) {
		fx_desc(&r->q[2], i, CTRL_IN_BUF + 8 * i, 8, VRING_DESC_F_WRITE, 0);
		fx_avail(&r->q[2], (uint16_t)i);
	}
	virtio_dev_handle_kick(r->con, 2);
}

static void send_control(struct con_rig *r, uint32_t id, uint16_t event,
			 uint16_t value)
{
	struct virtio_console_control msg = { id, event, value };

	memcpy(r->q[0].mem + CTRL_OUT_BUF, &msg, sizeof(msg));
	fx_desc(&r->q[3], 0, CTRL_OUT_BUF, sizeof(msg), 0, 0);
	fx_avail(&r->q[3], 0);
	virtio_dev_handle_kick(r->con, 3);
}

/* The device's control message number i, as the guest receives it. */
static struct virtio_console_control received(struct con_rig *r, unsigned int i)
{
	struct virtio_console_control msg;

	memcpy(&msg, r->q[0].mem + CTRL_IN_BUF + 8 * i, sizeof(msg));
	return msg;
}

static void test_handshake(struct con_rig *r)
{
	struct virtio_console_control m0, m1, m2;

	post_control_buffers(r);
	send_control(r, VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	m0 = received(r, 0);
	unit_case(fx_used_idx(&r->q[2]) == 1 && m0.id == 0 &&
			  m0.event == VIRTIO_CONSOLE_PORT_ADD,
		  "virtio-console: DEVICE_READY is answered with PORT_ADD for port 0");
	send_control(r, 0, VIRTIO_CONSOLE_PORT_READY, 1);
	m1 = received(r, 1);
	m2 = received(r, 2);
	unit_case(fx_used_idx(&r->q[2]) == 3 &&
			  m1.event == VIRTIO_CONSOLE_CONSOLE_PORT && m1.value == 1 &&
			  m2.event == VIRTIO_CONSOLE_PORT_OPEN && m2.value == 1,
		  "virtio-console: PORT_READY makes port 0 a console port, open on our side");
}

static void test_output(struct con_rig *r)
{
	char got[32] = "";
	uint32_t len = 1;
	ssize_t n;

	memcpy(r->q[0].mem + TX_BUF, "hello, host", 11);
	fx_desc(&r->q[1], 0, TX_BUF, 5, VRING_DESC_F_NEXT, 1);
	fx_desc(&r->q[1], 1, TX_BUF + 5, 6, 0, 0);
	fx_avail(&r->q[1], 0);
	virtio_dev_handle_kick(r->con, 1);
	n = read(r->out[0], got, sizeof(got) - 1);
	unit_case(n == 11 && !memcmp(got, "hello, host", 11) &&
			  fx_used_idx(&r->q[1]) == 1 &&
			  (fx_used(&r->q[1], 0, &len), len == 0),
		  "virtio-console: guest output is written to out_fd");
}

static void test_input(struct con_rig *r)
{
	uint32_t len = 0;

	if (write(r->in[1], "abc", 3) != 3)
		return;
	fx_desc(&r->q[0], 0, RX_BUF, 64, VRING_DESC_F_WRITE, 0);
	fx_avail(&r->q[0], 0);
	virtio_dev_handle_kick(r->con, 0);
	input_ready(r);
	unit_case(fx_used_idx(&r->q[0]) == 0,
		  "virtio-console: input waits until the guest opens the port");
	send_control(r, 0, VIRTIO_CONSOLE_PORT_OPEN, 1);
	input_ready(r);
	unit_case(fx_used_idx(&r->q[0]) == 1 &&
			  (fx_used(&r->q[0], 0, &len), len == 3) &&
			  !memcmp(r->q[0].mem + RX_BUF, "abc", 3),
		  "virtio-console: then it fills the posted buffer");
	if (write(r->in[1], "de", 2) != 2)
		return;
	input_ready(r);
	unit_case(fx_used_idx(&r->q[0]) == 1,
		  "virtio-console: no receive buffer: input stays in the fd");
	close(r->in[1]);
	r->in[1] = -1;
	fx_avail(&r->q[0], 0);
	virtio_dev_handle_kick(r->con, 0);
	input_ready(r);
	input_ready(r);
	fx_avail(&r->q[0], 0);
	virtio_dev_handle_kick(r->con, 0);
	input_ready(r);
	unit_case(fx_used_idx(&r->q[0]) == 3 &&
			  (fx_used(&r->q[0], 1, &len), len == 2) &&
			  (fx_used(&r->q[0], 2, &len), len == 0),
		  "virtio-console: the rest, then end of input returns a buffer empty");
}

void test_virtio_console(void)
{
	struct con_rig r;

	if (!rig_open(&r))
		return;
	unit_case(r.con->ops->num_queues == 4 && r.con->ops->device_id == 3 &&
			  (r.con->host_features & (1ull << VIRTIO_CONSOLE_F_MULTIPORT)),
		  "virtio-console: MULTIPORT with four queues");
	test_handshake(&r);
	test_output(&r);
	test_input(&r);
	rig_close(&r);
}
