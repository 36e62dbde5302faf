// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-console over pipes: the guest's output reaches out_fd, host
 * input fills posted receive buffers, and input waits (unread) while
 * the guest has no buffer posted.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "virtio_devices.h"
#include "virtq_fixture.h"

#define RX_BUF	(FX_DATA + 0x1000)
#define TX_BUF	(FX_DATA + 0x2000)

/* What the I/O thread does when in_fd is readable. */
static void input_ready(struct virtio_dev *con, int fd)
{
	con->watch[0].fn(con, fd);
}

/*
 * Input that is waiting before the driver is there: not consumed while
 * the device is not DRIVER_OK, delivered once receive buffers come.
 */
static void test_early_input(void)
{
	struct virtio_dev *con;
	uint32_t len = 0;
	int in[2];
	struct fx rx;

	if (pipe2(in, O_NONBLOCK))
		return;
	fx_init(&rx, 8);
	con = virtio_console_create(&rx.gm, in[0], -1);
	if (write(in[1], "early", 5) != 5)
		return;
	close(in[1]);
	input_ready(con, in[0]);
	fx_place(&rx, &con->vqs[0]);
	con->guest_features = con->host_features;
	virtio_dev_set_status(con, VIRTIO_CONFIG_S_ACKNOWLEDGE |
				   VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_FEATURES_OK);
	virtio_dev_enable_queue(con, 0);
	virtio_dev_set_status(con, 0xf);
	virtio_dev_handle_kick(con, 0);		/* the DRIVER_OK recheck */
	input_ready(con, in[0]);
	unit_case(fx_used_idx(&rx) == 0,
		  "virtio-console: input before DRIVER_OK or buffers stays unread");
	fx_desc(&rx, 0, RX_BUF, 64, VRING_DESC_F_WRITE, 0);
	fx_avail(&rx, 0);
	virtio_dev_handle_kick(con, 0);
	input_ready(con, in[0]);
	unit_case(fx_used_idx(&rx) == 1 && (fx_used(&rx, 0, &len), len == 5) &&
			  !memcmp(rx.mem + RX_BUF, "early", 5),
		  "virtio-console: it arrives with the first receive buffer");
	virtio_device_destroy(con);
	close(in[0]);
	fx_destroy(&rx);
}

void test_virtio_console(void)
{
	int in[2], out[2];
	struct virtio_dev *con;
	struct fx rx, tx;
	uint32_t len = 0;
	char got[32] = "";
	ssize_t n;

	if (pipe2(in, O_NONBLOCK) || pipe2(out, O_NONBLOCK))
		return;
	fx_init(&rx, 8);
	tx = fx_second_queue(&rx, 0x100000);
	con = virtio_console_create(&rx.gm, in[0], out[1]);
	fx_activate(&rx, con, 0);
	fx_activate(&tx, con, 1);
	unit_case(con->ops->num_queues == 2 && con->ops->device_id == 3 &&
			  con->watch[0].fd == in[0],
		  "virtio-console: two queues, input fd watched");

	memcpy(rx.mem + TX_BUF, "hello, host", 11);
	fx_desc(&tx, 0, TX_BUF, 5, VRING_DESC_F_NEXT, 1);
	fx_desc(&tx, 1, TX_BUF + 5, 6, 0, 0);
	fx_avail(&tx, 0);
	virtio_dev_handle_kick(con, 1);
	n = read(out[0], got, sizeof(got) - 1);
	unit_case(n == 11 && !memcmp(got, "hello, host", 11) &&
			  fx_used_idx(&tx) == 1 && (fx_used(&tx, 0, &len), len == 0),
		  "virtio-console: guest output is written to out_fd");

	if (write(in[1], "abc", 3) != 3)
		return;
	input_ready(con, in[0]);
	unit_case(fx_used_idx(&rx) == 0,
		  "virtio-console: no receive buffer: input stays in the fd");
	fx_desc(&rx, 0, RX_BUF, 64, VRING_DESC_F_WRITE, 0);
	fx_avail(&rx, 0);
	virtio_dev_handle_kick(con, 0);
	input_ready(con, in[0]);
	unit_case(fx_used_idx(&rx) == 1 && (fx_used(&rx, 0, &len), len == 3) &&
			  !memcmp(rx.mem + RX_BUF, "abc", 3),
		  "virtio-console: host input fills the posted buffer");
	close(in[1]);
	fx_avail(&rx, 0);
	input_ready(con, in[0]);
	unit_case(fx_used_idx(&rx) == 2 && (fx_used(&rx, 1, &len), len == 0),
		  "virtio-console: end of input returns the buffer empty");

	virtio_device_destroy(con);
	close(in[0]);
	close(out[0]);
	close(out[1]);
	fx_destroy(&rx);
	test_early_input();
}
