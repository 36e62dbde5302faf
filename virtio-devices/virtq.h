/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device side of a virtio 1.x virtqueue.  Split rings (virtq.c): the
 * descriptor table, the available ring the driver fills and the used ring
 * the device fills.  Packed rings (virtq_packed.c, when the driver takes
 * VIRTIO_F_RING_PACKED): one descriptor ring both sides write, with a
 * wrap counter each, and two event-suppression words.  Both with indirect
 * descriptor tables and event-index notification suppression, behind the
 * same calls.  Pure code over struct guest_mem: no threads, no file
 * descriptors, so the host tests run it over a plain buffer.
 *
 * The driver is not trusted.  Every address and length it gives is
 * checked against guest memory, chains are bounded by the queue size, and
 * anything that breaks the ring rules stops the queue for good (until a
 * reset): virtq_pop() then returns -EIO and vq->error says why.
 *
 * Ordering with the driver's vCPU: the available index is read with
 * acquire semantics before the ring entries and descriptors it covers;
 * used entries are written before the used index is published with
 * release semantics; a full fence separates publishing an index from
 * reading the other side's event index.
 */
#ifndef VIREO_VIRTQ_H
#define VIREO_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

#include "boot.h"		/* struct guest_mem */

/* The largest queue any of our devices offers; also the chain bound. */
#define VIRTQ_MAX_SIZE 256

struct virtq {
	struct guest_mem *mem;
	uint16_t max_size;		/* what the device offers */
	uint16_t size;			/* what the driver chose */
	/*
	 * Guest physical.  Packed: the descriptor ring, the driver's event
	 * word (the "driver area") and ours (the "device area").
	 */
	uint64_t desc_addr, avail_addr, used_addr;
	bool ready;			/* enabled: the rings are mapped */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX agreed */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC agreed */
	bool packed;			/* VIRTIO_F_RING_PACKED agreed */

	/* Host views of the rings, valid while ready. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct vring_packed_desc *ring;			/* packed */
	struct vring_packed_desc_event *driver_event, *device_event;

	/*
	 * Split: indices into the rings.  Packed: ring positions, each
	 * with its wrap counter, and signalled_used counts positions over
	 * two laps (position + size when the wrap counter is 1).
	 */
	uint16_t last_avail;		/* next available entry to take */
	uint16_t used_idx;		/* our copy of used->idx */
	uint16_t signalled_used;	/* used_idx when we last decided */
	bool signalled_valid;
	bool avail_wrap, used_wrap;	/* packed */
	/* Packed: ring slots taken by each buffer ID in use, 0 if free. */
	uint16_t id_slots[VIRTQ_MAX_SIZE];

	const char *error;		/* why the queue stopped, or NULL */
};

/*
 * One request: the driver's buffers in chain order, the device-readable
 * ones (n_out of them) first, then the device-writable ones (n_in).
 */
struct virtq_chain {
	uint16_t head;
	/*
	 * Descriptors of the ring (split: of the queue's table) the chain
	 * holds until it is pushed; an indirect table counts as one.
	 */
	uint16_t slots;
	unsigned int n_out, n_in;
	uint64_t out_len, in_len;	/* bytes in each part */
	struct iovec iov[VIRTQ_MAX_SIZE];
};

void virtq_init(struct virtq *vq, struct guest_mem *mem, uint16_t max_size);
/* Back to the state after device reset: disabled, size = max_size. */
void virtq_reset(struct virtq *vq);

/*
 * The driver wrote queue_enable = 1: checks the size (at most max_size; a
 * power of two for a split ring) and the ring addresses (aligned, inside
 * guest memory) and maps the rings.  Returns 0, or -EINVAL with
 * vq->error set.
 */
int virtq_enable(struct virtq *vq, bool event_idx, bool indirect,
		 bool packed);

/*
 * Takes the next available chain.  Returns 1 with *chain filled, 0 when
 * the ring is empty (with event index, the device has then asked to be
 * notified of the next entry), -EIO when the queue is broken.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);

/*
 * Returns the chain `head` (packed: its buffer ID) to the driver with
 * `len` bytes written.
 */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/* A chain to return: its head (packed: its buffer ID) and bytes written. */
struct virtq_used {
	uint16_t head;
	uint32_t len;
};

/*
 * Returns n chains (at most the queue size) in one step: the driver sees
 * none of them before it can see all (a frame spread over merged receive
 * buffers).  Returns 0, -EIO when the queue is not running, or -EINVAL
 * (nothing returned) for a packed buffer ID we do not hold.
 */
int virtq_push_many(struct virtq *vq, const struct virtq_used *u,
		    unsigned int n);

/* After one or more pushes: does the driver want an interrupt now? */
bool virtq_should_notify(struct virtq *vq);

/* Helpers over a chain's iovecs. */
size_t iov_copy_from(const struct iovec *iov, unsigned int cnt, size_t skip,
		     void *buf, size_t len);
size_t iov_copy_to(const struct iovec *iov, unsigned int cnt, size_t skip,
		   const void *buf, size_t len);
/* Drops the first n bytes of *iov (after a short read or write). */
void iov_advance(struct iovec **iov, unsigned int *cnt, size_t n);
/*
 * Fills `out` (room for max entries) with the bytes [skip, skip + len) of
 * iov; returns the number of entries used.
 */
unsigned int iov_slice(const struct iovec *iov, unsigned int cnt, size_t skip,
		       size_t len, struct iovec *out, unsigned int max);

/* Shared by virtq.c and virtq_packed.c. */
int virtq_fail(struct virtq *vq, const char *why);
int virtq_refuse(struct virtq *vq, const char *why);
/* Appends one guest buffer to c, checked against memory and the bounds. */
int virtq_add_buffer(struct virtq *vq, struct virtq_chain *c, uint64_t addr,
		     uint32_t len, bool writable);
int virtq_packed_enable(struct virtq *vq);
int virtq_packed_pop(struct virtq *vq, struct virtq_chain *c);
int virtq_packed_push_many(struct virtq *vq, const struct virtq_used *u,
			   unsigned int n);
bool virtq_packed_should_notify(struct virtq *vq);

#endif /* VIREO_VIRTQ_H */
