// SPDX-License-Identifier: GPL-2.0-only
/*
 * The transport-independent half of a virtio device: status and feature
 * rules, queue state, the notify eventfds and the I/O thread that runs
 * the device model (virtio_dev.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "virtio_dev.h"
#include "vmm.h"

/* epoll data: queue q is q, watch w is WATCH_TAG + w, the stop fd STOP_TAG. */
#define WATCH_TAG	0x100
#define STOP_TAG	0x200

int virtio_dev_init(struct virtio_dev *vdev, const struct virtio_dev_ops *ops,
		    void *model, const char *name, struct guest_mem *mem,
		    uint64_t device_features)
{
	memset(vdev, 0, sizeof(*vdev));
	vdev->ops = ops;
	vdev->model = model;
	vdev->name = name;
	vdev->host_features = device_features |
			      1ull << VIRTIO_F_VERSION_1 |
			      1ull << VIRTIO_RING_F_INDIRECT_DESC |
			      1ull << VIRTIO_RING_F_EVENT_IDX;
	vdev->epfd = vdev->stop_fd = -1;
	for (unsigned int q = 0; q < VIRTIO_DEV_MAX_QUEUES; q++)
		vdev->kick_fd[q] = -1;
	for (unsigned int w = 0; w < VIRTIO_DEV_MAX_WATCHES; w++)
		vdev->watch[w].fd = -1;
	if (ops->num_queues > VIRTIO_DEV_MAX_QUEUES ||
	    ops->queue_size > VIRTQ_MAX_SIZE)
		return -EINVAL;
	pthread_mutex_init(&vdev->lock, NULL);
	for (unsigned int q = 0; q < ops->num_queues; q++) {
		virtq_init(&vdev->vqs[q], mem, ops->queue_size);
		vdev->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vdev->kick_fd[q] < 0)
			return -errno;
	}
	vdev->epfd = epoll_create1(EPOLL_CLOEXEC);
	vdev->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vdev->epfd < 0 || vdev->stop_fd < 0)
		return -errno;
	for (unsigned int q = 0; q <= ops->num_queues; q++) {
		bool stop = q == ops->num_queues;
		struct epoll_event ev = {
			.events = EPOLLIN,
			.data.u32 = stop ? STOP_TAG : q,
		};

		if (epoll_ctl(vdev->epfd, EPOLL_CTL_ADD,
			      stop ? vdev->stop_fd : vdev->kick_fd[q], &ev))
			return -errno;
	}
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *vdev)
{
	virtio_dev_stop(vdev);
	for (unsigned int q = 0; q < VIRTIO_DEV_MAX_QUEUES; q++)
		if (vdev->kick_fd[q] >= 0)
			close(vdev->kick_fd[q]);
	if (vdev->stop_fd >= 0)
		close(vdev->stop_fd);
	if (vdev->epfd >= 0)
		close(vdev->epfd);
	vdev->epfd = vdev->stop_fd = -1;
}

int virtio_dev_watch(struct virtio_dev *vdev, int fd, virtio_watch_fn fn)
{
	for (unsigned int w = 0; w < VIRTIO_DEV_MAX_WATCHES; w++) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u32 = WATCH_TAG + w };

		if (vdev->watch[w].fd >= 0)
			continue;
		if (epoll_ctl(vdev->epfd, EPOLL_CTL_ADD, fd, &ev))
			return -errno;
		vdev->watch[w].fd = fd;
		vdev->watch[w].fn = fn;
		return 0;
	}
	return -ENOSPC;
}

void virtio_dev_watch_enable(struct virtio_dev *vdev, int fd, bool on)
{
	for (unsigned int w = 0; w < VIRTIO_DEV_MAX_WATCHES; w++) {
		struct epoll_event ev = { .events = on ? EPOLLIN : 0,
					  .data.u32 = WATCH_TAG + w };

		if (vdev->watch[w].fd == fd)
			epoll_ctl(vdev->epfd, EPOLL_CTL_MOD, fd, &ev);
	}
}

static bool virtio_dev_live(const struct virtio_dev *vdev)
{
	return (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) && !vdev->failed;
}

void virtio_dev_handle_kick(struct virtio_dev *vdev, unsigned int q)
{
	uint64_t count;

	if (q >= vdev->ops->num_queues)
		return;
	/* Clear the eventfd first: a notify after this wakes us again. */
	if (read(vdev->kick_fd[q], &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&vdev->lock);
	if (virtio_dev_live(vdev) && vdev->vqs[q].ready)
		vdev->ops->queue_notify(vdev, q);
	pthread_mutex_unlock(&vdev->lock);
}

void virtio_dev_kick(struct virtio_dev *vdev, unsigned int q)
{
	uint64_t one = 1;

	if (q < vdev->ops->num_queues &&
	    write(vdev->kick_fd[q], &one, sizeof(one)) != sizeof(one))
		return;	/* the counter is full: the thread has work anyway */
}

static void virtio_dev_handle_watch(struct virtio_dev *vdev, unsigned int w)
{
	if (w >= VIRTIO_DEV_MAX_WATCHES || vdev->watch[w].fd < 0)
		return;
	pthread_mutex_lock(&vdev->lock);
	vdev->watch[w].fn(vdev, vdev->watch[w].fd);
	pthread_mutex_unlock(&vdev->lock);
}

static void *virtio_dev_thread(void *arg)
{
	struct virtio_dev *vdev = arg;
	struct epoll_event evs[VIRTIO_DEV_MAX_QUEUES + VIRTIO_DEV_MAX_WATCHES + 1];

	for (;;) {
		int n = epoll_wait(vdev->epfd, evs, sizeof(evs) / sizeof(evs[0]), -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;

			if (tag == STOP_TAG)
				return NULL;
			if (tag >= WATCH_TAG)
				virtio_dev_handle_watch(vdev, tag - WATCH_TAG);
			else
				virtio_dev_handle_kick(vdev, tag);
		}
	}
}

int virtio_dev_start(struct virtio_dev *vdev)
{
	int r = vmm_thread_start(&vdev->thread, virtio_dev_thread, vdev);

	if (r)
		return r;
	vdev->running = true;
	return 0;
}

void virtio_dev_stop(struct virtio_dev *vdev)
{
	uint64_t one = 1;

	if (!vdev->running)
		return;
	if (write(vdev->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(vdev->thread, NULL);
	vdev->running = false;
}

void virtio_dev_offer_packed(struct virtio_dev *vdev)
{
	vdev->host_features |= 1ull << VIRTIO_F_RING_PACKED;
}

bool virtio_dev_has(const struct virtio_dev *vdev, unsigned int feature)
{
	return feature < 64 && (vdev->guest_features >> feature & 1);
}

void virtio_dev_fail(struct virtio_dev *vdev, unsigned int q, const char *why)
{
	if (!vdev->fail_reported)
		fprintf(stderr, "\r\nvireo: %s %s: the guest driver broke queue %u (%s); the device stops until the guest resets it\r\n",
			vdev->ops->type, vdev->name, q, why);
	vdev->fail_reported = true;
	vdev->failed = true;
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vdev->signal)
		vdev->signal(vdev, VIRTIO_SIGNAL_CONFIG);
}

int virtio_dev_pop(struct virtio_dev *vdev, unsigned int q,
		   struct virtq_chain *chain)
{
	int r;

	if (vdev->failed)
		return -EIO;
	r = virtq_pop(&vdev->vqs[q], chain);
	if (r < 0)
		virtio_dev_fail(vdev, q, vdev->vqs[q].error);
	return r;
}

void virtio_dev_push_many(struct virtio_dev *vdev, unsigned int q,
			  const struct virtq_used *u, unsigned int n)
{
	struct virtq *vq = &vdev->vqs[q];

	if (virtq_push_many(vq, u, n))
		return;
	if (virtq_should_notify(vq) && vdev->signal)
		vdev->signal(vdev, VIRTIO_SIGNAL_QUEUE);
}

void virtio_dev_push(struct virtio_dev *vdev, unsigned int q, uint16_t head,
		     uint32_t len)
{
	struct virtq_used u = { .head = head, .len = len };

	virtio_dev_push_many(vdev, q, &u, 1);
}

void virtio_dev_reset(struct virtio_dev *vdev)
{
	for (unsigned int q = 0; q < vdev->ops->num_queues; q++)
		virtq_reset(&vdev->vqs[q]);
	vdev->generation++;
	vdev->status = 0;
	vdev->guest_features = 0;
	vdev->failed = false;
	vdev->fail_reported = false;
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

static bool virtio_dev_features_ok(const struct virtio_dev *vdev)
{
	return !(vdev->guest_features & ~vdev->host_features) &&
	       virtio_dev_has(vdev, VIRTIO_F_VERSION_1);
}

void virtio_dev_set_status(struct virtio_dev *vdev, uint8_t status)
{
	uint8_t old = vdev->status;

	/*
	 * Only a reset (a write of 0) clears bits: once FEATURES_OK or
	 * DRIVER_OK is set, the features and the models' state built on them
	 * stay until then.
	 */
	status |= old & (VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !virtio_dev_features_ok(vdev))
		status &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	/* DRIVER_OK only counts after FEATURES_OK. */
	if (!(status & VIRTIO_CONFIG_S_FEATURES_OK))
		status &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
	vdev->status = status | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		if (vdev->ops->start)
			vdev->ops->start(vdev);
		/* Buffers made available before DRIVER_OK are seen now. */
		for (unsigned int q = 0; q < vdev->ops->num_queues; q++)
			virtio_dev_kick(vdev, q);
	}
}

void virtio_dev_enable_queue(struct virtio_dev *vdev, unsigned int q)
{
	struct virtq *vq = &vdev->vqs[q];

	if (q >= vdev->ops->num_queues || vq->ready)
		return;
	if (virtq_enable(vq, virtio_dev_has(vdev, VIRTIO_RING_F_EVENT_IDX),
			 virtio_dev_has(vdev, VIRTIO_RING_F_INDIRECT_DESC),
			 virtio_dev_has(vdev, VIRTIO_F_RING_PACKED)))
		virtio_dev_fail(vdev, q, vq->error);
}
