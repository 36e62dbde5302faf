// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-console with a single port (no MULTIPORT): queue 0 carries input
 * to the guest, queue 1 its output.  Linux makes it hvc0.
 *
 * Input is read from in_fd only while the guest has receive buffers
 * posted: with none, the fd is taken off the I/O thread's watch until
 * the driver notifies queue 0 again, so no host byte is lost or spun on.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "virtio_devices.h"

#define QUEUE_RX	0
#define QUEUE_TX	1
#define PCI_CLASS_COMM_OTHER	0x078000

struct virtio_console {
	struct virtio_dev vdev;
	int in_fd, out_fd;
	bool in_watched;		/* in_fd is on the I/O thread */
	bool in_eof;
	struct virtq_chain chain;
};

static void console_watch_input(struct virtio_console *con, bool on)
{
	if (!con->in_watched || con->in_eof)
		on = false;
	virtio_dev_watch_enable(&con->vdev, con->in_fd, on);
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

	if (q == QUEUE_TX)
		console_transmit(con);
	else
		console_watch_input(con, true);	/* new receive buffers */
}

/* in_fd is readable: move what it has into one receive buffer. */
static void console_input_ready(struct virtio_dev *vdev, int fd)
{
	struct virtio_console *con = vdev->model;
	struct virtq_chain *c = &con->chain;
	ssize_t n;

	if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
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

static void console_config_read(struct virtio_dev *vdev, uint32_t offset,
				 void *data, unsigned int size)
{
	struct virtio_console_config cfg = { 0 };

	(void)vdev;
	iov_copy_from(&(struct iovec){ &cfg, sizeof(cfg) }, 1, offset, data, size);
}

static void console_reset(struct virtio_dev *vdev)
{
	console_watch_input(vdev->model, false);
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
	.num_queues = 2,
	.queue_size = VIRTQ_MAX_SIZE,
	.config_size = sizeof(struct virtio_console_config),
	.pci_class = PCI_CLASS_COMM_OTHER,
	.config_read = console_config_read,
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
	if (virtio_dev_init(&con->vdev, &console_ops, con, "(hvc0)", mem, 0)) {
		console_destroy(&con->vdev);
		return NULL;
	}
	/* An fd epoll cannot wait on (a regular file) gives no input. */
	con->in_watched = in_fd >= 0 &&
			  virtio_dev_watch(&con->vdev, in_fd, console_input_ready) == 0;
	console_watch_input(con, false);
	return &con->vdev;
}
