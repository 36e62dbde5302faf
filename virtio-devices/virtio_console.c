// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-console with one port, a console port (Linux makes it hvc0):
 * queue 0 carries input to the guest, queue 1 its output, queues 2 and 3
 * the control messages of VIRTIO_CONSOLE_F_MULTIPORT.  The control
 * channel is why MULTIPORT is offered: the guest says when it has opened
 * the port (PORT_OPEN), and input waits until then.  Without it, bytes
 * sent while Linux's driver is still setting the port up are dropped by
 * the driver, which discards data for a port not yet connected.
 *
 * Input is read from in_fd only while the port is open and the guest has
 * receive buffers posted: else the fd is taken off the I/O thread's watch
 * until that changes, so no host byte is lost or spun on.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "virtio_devices.h"

#define QUEUE_RX	0
#define QUEUE_TX	1
#define QUEUE_CTRL_RX	2	/* device to driver */
#define QUEUE_CTRL_TX	3	/* driver to device */
#define PORT_ID		0
#define MAX_PENDING	8	/* control messages waiting for a buffer */
#define PCI_CLASS_COMM_OTHER	0x078000

struct virtio_console {
	struct virtio_dev vdev;
	int in_fd, out_fd;
	bool in_watched;		/* in_fd is on the I/O thread */
	bool in_eof;
	bool port_open;			/* the guest opened the port */
	struct virtio_console_control pending[MAX_PENDING];
	unsigned int nr_pending;
	struct virtio_console_config config;
	struct virtq_chain chain;
};

static void console_watch_input(struct virtio_console *con, bool on)
{
	if (!con->in_watched || con->in_eof || !con->port_open)
		on = false;
	virtio_dev_watch_enable(&con->vdev, con->in_fd, on);
}

/* Sends what control messages the guest has buffers for. */
static void console_flush_control(struct virtio_console *con)
{
	struct virtq_chain *c = &con->chain;
	unsigned int sent = 0;

	while (sent < con->nr_pending &&
	       virtio_dev_pop(&con->vdev, QUEUE_CTRL_RX, c) > 0) {
		size_t n = iov_copy_to(&c->iov[c->n_out], c->n_in, 0,
				       &con->pending[sent], sizeof(con->pending[0]));

		virtio_dev_push(&con->vdev, QUEUE_CTRL_RX, c->head, (uint32_t)n);
		sent++;
	}
	memmove(con->pending, con->pending + sent,
		(con->nr_pending - sent) * sizeof(con->pending[0]));
	con->nr_pending -= sent;
}

static void console_send_control(struct virtio_console *con, uint16_t event,
				 uint16_t value)
{
	if (con->nr_pending < MAX_PENDING)
		con->pending[con->nr_pending++] = (struct virtio_console_control){
			.id = htole32(PORT_ID),
			.event = htole16(event),
			.value = htole16(value),
		};
	console_flush_control(con);
}

/*
 * The driver's side of the handshake: DEVICE_READY -> we add port 0;
 * PORT_READY -> it is a console port, and open on our side; PORT_OPEN ->
 * input may flow (or stops, on a close).
 */
static void console_handle_control(struct virtio_console *con,
				   const struct virtio_console_control *msg)
{
	uint16_t event = le16toh(msg->event), value = le16toh(msg->value);

	if (event == VIRTIO_CONSOLE_DEVICE_READY && value == 1) {
		console_send_control(con, VIRTIO_CONSOLE_PORT_ADD, 0);
	} else if (event == VIRTIO_CONSOLE_PORT_READY && value == 1 &&
		   le32toh(msg->id) == PORT_ID) {
		console_send_control(con, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
		console_send_control(con, VIRTIO_CONSOLE_PORT_OPEN, 1);
	} else if (event == VIRTIO_CONSOLE_PORT_OPEN &&
		   le32toh(msg->id) == PORT_ID) {
		con->port_open = value == 1;
		console_watch_input(con, con->port_open);
	}
}

static void console_control_received(struct virtio_console *con)
{
	struct virtq_chain *c = &con->chain;

	while (virtio_dev_pop(&con->vdev, QUEUE_CTRL_TX, c) > 0) {
		struct virtio_console_control msg;
		bool whole = iov_copy_from(c->iov, c->n_out, 0, &msg,
					   sizeof(msg)) == sizeof(msg);

		virtio_dev_push(&con->vdev, QUEUE_CTRL_TX, c->head, 0);
		if (whole)
			console_handle_control(con, &msg);
	}
}

/* Writes all of iov to fd; output to a closed fd is dropped. */
static void console_write_all(int fd, struct iovec *iov, unsigned int cnt)
{
	while (cnt) {
		ssize_t n = writev(fd, iov, (int)cnt);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		iov_advance(&iov, &cnt, (size_t)n);
	}
}

static void console_transmit(struct virtio_console *con)
{
	struct virtq_chain *c = &con->chain;

	while (virtio_dev_pop(&con->vdev, QUEUE_TX, c) > 0) {
		if (con->out_fd >= 0)
			console_write_all(con->out_fd, c->iov, c->n_out);
		virtio_dev_push(&con->vdev, QUEUE_TX, c->head, 0);
	}
}

static void console_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_console *con = vdev->model;

	switch (q) {
	case QUEUE_RX:
		console_watch_input(con, true);	/* new receive buffers */
		break;
	case QUEUE_TX:
		console_transmit(con);
		break;
	case QUEUE_CTRL_RX:
		console_flush_control(con);
		break;
	case QUEUE_CTRL_TX:
		console_control_received(con);
		break;
	}
}

/* in_fd is readable: move what it has into one receive buffer. */
static void console_input_ready(struct virtio_dev *vdev, int fd)
{
	struct virtio_console *con = vdev->model;
	struct virtq_chain *c = &con->chain;
	ssize_t n;

	if (!con->port_open || !(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    virtio_dev_pop(vdev, QUEUE_RX, c) <= 0) {
		console_watch_input(con, false);
		return;
	}
	do {
		n = c->n_in ? readv(fd, &c->iov[c->n_out], (int)c->n_in) : 0;
	} while (n < 0 && errno == EINTR);
	if (n == 0 && c->n_in) {
		con->in_eof = true;
		console_watch_input(con, false);
	}
	virtio_dev_push(vdev, QUEUE_RX, c->head, n > 0 ? (uint32_t)n : 0);
}

static void console_reset(struct virtio_dev *vdev)
{
	struct virtio_console *con = vdev->model;

	con->port_open = false;
	con->nr_pending = 0;
	console_watch_input(con, false);
}

static void console_destroy(struct virtio_dev *vdev)
{
	struct virtio_console *con = vdev->model;

	virtio_dev_destroy(vdev);
	free(con);
}

static const struct virtio_dev_ops console_ops = {
	.type = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 4,
	.queue_size = VIRTQ_MAX_SIZE,
	.config_size = sizeof(struct virtio_console_config),
	.pci_class = PCI_CLASS_COMM_OTHER,
	.queue_notify = console_queue_notify,
	.reset = console_reset,
	.destroy = console_destroy,
};

struct virtio_dev *virtio_console_create(struct guest_mem *mem, int in_fd,
					 int out_fd)
{
	struct virtio_console *con = calloc(1, sizeof(*con));

	if (!con)
		return NULL;
	con->in_fd = in_fd;
	con->out_fd = out_fd;
	con->config.max_nr_ports = htole32(1);
	if (virtio_dev_init(&con->vdev, &console_ops, con, "(hvc0)", mem,
			    1ull << VIRTIO_CONSOLE_F_MULTIPORT)) {
		console_destroy(&con->vdev);
		return NULL;
	}
	con->vdev.config = &con->config;
	/* An fd epoll cannot wait on (a regular file) gives no input. */
	con->in_watched = in_fd >= 0 &&
			  virtio_dev_watch(&con->vdev, in_fd, console_input_ready) == 0;
	console_watch_input(con, false);
	return &con->vdev;
}
