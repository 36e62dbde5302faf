// SPDX-License-Identifier: GPL-2.0-only
/*
 * The event loop: one thread waiting in epoll on the devices' file
 * descriptors (timers, the console) and calling each one's callback with
 * the machine lock held.
 *
 * A registration removed while its event is already in the batch being
 * handled is only marked dead; the loop skips it and frees it after the
 * batch, so a callback never runs on freed memory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vm.h"

#define EVENT_BATCH 16

struct event_reg {
	int fd;
	event_fn fn;
	void *arg;
	bool dead;
	struct event_reg *next;
};

struct event_loop {
	int epfd;
	int stopfd;		/* an eventfd that ends the thread */
	pthread_mutex_t *lock;	/* the machine lock */
	pthread_t thread;
	bool running;
	struct event_reg *regs;
};

struct event_loop *event_loop_create(pthread_mutex_t *lock)
{
	struct event_loop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!loop)
		return NULL;
	loop->lock = lock;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.ptr = NULL;
	if (loop->epfd < 0 || loop->stopfd < 0 ||
	    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->stopfd, &ev)) {
		event_loop_destroy(loop);
		return NULL;
	}
	return loop;
}

int event_add_fd(struct event_loop *loop, int fd, event_fn fn, void *arg)
{
	struct event_reg *reg = calloc(1, sizeof(*reg));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!reg)
		return -ENOMEM;
	*reg = (struct event_reg){ .fd = fd, .fn = fn, .arg = arg };
	ev.data.ptr = reg;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int e = errno;

		free(reg);
		return -e;
	}
	reg->next = loop->regs;
	loop->regs = reg;
	return 0;
}

void event_del_fd(struct event_loop *loop, int fd)
{
	for (struct event_reg *reg = loop->regs; reg; reg = reg->next) {
		if (reg->fd == fd && !reg->dead) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			reg->dead = true;
		}
	}
}

static void event_free_dead(struct event_loop *loop)
{
	struct event_reg **pp = &loop->regs;

	while (*pp) {
		struct event_reg *reg = *pp;

		if (reg->dead) {
			*pp = reg->next;
			free(reg);
		} else {
			pp = &reg->next;
		}
	}
}

static void *event_thread(void *arg)
{
	struct event_loop *loop = arg;
	struct epoll_event evs[EVENT_BATCH];
	bool stop = false;

	while (!stop) {
		int n = epoll_wait(loop->epfd, evs, EVENT_BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		pthread_mutex_lock(loop->lock);
		for (int i = 0; i < n; i++) {
			struct event_reg *reg = evs[i].data.ptr;

			if (!reg)
				stop = true;
			else if (!reg->dead)
				reg->fn(reg->arg, evs[i].events);
		}
		event_free_dead(loop);
		pthread_mutex_unlock(loop->lock);
	}
	return NULL;
}

int event_loop_start(struct event_loop *loop)
{
	/* Signals are for the main thread and the vCPU kicks, not for us. */
	int r = vmm_thread_start(&loop->thread, event_thread, loop);

	if (r)
		return r;
	loop->running = true;
	return 0;
}

/* Call without the machine lock. */
void event_loop_stop(struct event_loop *loop)
{
	uint64_t one = 1;

	if (!loop->running)
		return;
	if (write(loop->stopfd, &one, sizeof(one)) != sizeof(one))
		return;
	pthread_join(loop->thread, NULL);
	loop->running = false;
}

void event_loop_destroy(struct event_loop *loop)
{
	if (!loop)
		return;
	event_loop_stop(loop);
	while (loop->regs) {
		struct event_reg *reg = loop->regs;

		loop->regs = reg->next;
		free(reg);
	}
	if (loop->stopfd >= 0)
		close(loop->stopfd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop);
}
