// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk over a raw image: one request queue, requests served on the
 * device's I/O thread with preadv/pwritev straight into guest memory.
 *
 * Offered: SEG_MAX, SIZE_MAX, BLK_SIZE (512), FLUSH (fdatasync), RO for
 * read-only images, and DISCARD / WRITE_ZEROES only when the host file
 * system can punch holes / zero ranges (probed at open).  Every request
 * is range-checked against the capacity before it touches the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "virtio_devices.h"

#define SECTOR		512ull
#define QUEUE_REQ	0
#define SEG_MAX		(VIRTQ_MAX_SIZE - 2)	/* header and status */
#define SIZE_MAX_SEG	(1u << 20)
#define MAX_DISCARD_SECTORS	(1u << 22)	/* 2 GiB a segment */
#define MAX_DISCARD_SEGS	16
#define DISCARD_ALIGN_SECTORS	8		/* 4 KiB */
#define PCI_CLASS_STORAGE_OTHER	0x018000

struct virtio_blk {
	struct virtio_dev vdev;
	int fd;
	bool read_only;
	bool can_punch, can_zero;	/* fallocate modes that work */
	uint64_t sectors;
	char serial[VIRTIO_BLK_ID_BYTES];
	char path[PATH_MAX];
	struct virtio_blk_config config;
	struct virtq_chain chain;
	struct iovec data[VIRTQ_MAX_SIZE];
};

/* A request as framed by the chain: header, data, status byte. */
struct blk_request {
	struct virtio_blk_outhdr hdr;
	struct iovec *data;
	unsigned int data_cnt;
	uint64_t data_len;
	uint8_t *status;
	uint32_t written;		/* bytes for the used ring */
};

/* Reads or writes all of iov at off; false on an error or end of file. */
static bool blk_rw_all(int fd, struct iovec *iov, unsigned int cnt,
		       uint64_t off, bool write)
{
	while (cnt) {
		ssize_t n = write ? pwritev(fd, iov, (int)cnt, (off_t)off) :
				    preadv(fd, iov, (int)cnt, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		off += (uint64_t)n;
		iov_advance(&iov, &cnt, (size_t)n);
	}
	return true;
}

/* [sector, sector + count) lies on the disk. */
static bool blk_in_range(const struct virtio_blk *blk, uint64_t sector,
			 uint64_t count)
{
	return sector <= blk->sectors && count <= blk->sectors - sector;
}

static uint8_t blk_read_write(struct virtio_blk *blk, struct blk_request *req,
			      bool write)
{
	uint64_t sector = le64toh(req->hdr.sector);

	if (write && blk->read_only)
		return VIRTIO_BLK_S_IOERR;
	/* The used length is 32 bits: no longer transfer in one request. */
	if (req->data_len % SECTOR || req->data_len > UINT32_MAX - 1 ||
	    !blk_in_range(blk, sector, req->data_len / SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (!blk_rw_all(blk->fd, req->data, req->data_cnt, sector * SECTOR, write))
		return VIRTIO_BLK_S_IOERR;
	if (!write)
		req->written += (uint32_t)req->data_len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct virtio_blk *blk, struct blk_request *req)
{
	size_t n = iov_copy_to(req->data, req->data_cnt, 0, blk->serial,
			       sizeof(blk->serial));

	req->written += (uint32_t)n;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_discard_one(struct virtio_blk *blk,
			       const struct virtio_blk_discard_write_zeroes *seg,
			       bool zeroes)
{
	uint64_t sector = le64toh(seg->sector);
	uint32_t count = le32toh(seg->num_sectors);
	uint32_t flags = le32toh(seg->flags);
	int mode = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;

	if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
	    (!zeroes && flags) || count > MAX_DISCARD_SECTORS)
		return VIRTIO_BLK_S_UNSUPP;
	if (!blk_in_range(blk, sector, count))
		return VIRTIO_BLK_S_IOERR;
	if (zeroes && blk->can_zero)
		mode = FALLOC_FL_KEEP_SIZE | FALLOC_FL_ZERO_RANGE;
	if (count && fallocate(blk->fd, mode, (off_t)(sector * SECTOR),
			       (off_t)(count * SECTOR)))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_discard(struct virtio_blk *blk, struct blk_request *req,
			   bool zeroes)
{
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t nsegs = req->data_len / sizeof(seg);

	if (!(zeroes ? blk->can_zero || blk->can_punch : blk->can_punch))
		return VIRTIO_BLK_S_UNSUPP;
	if (blk->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (req->data_len % sizeof(seg) || nsegs == 0 || nsegs > MAX_DISCARD_SEGS)
		return VIRTIO_BLK_S_UNSUPP;
	for (uint64_t i = 0; i < nsegs; i++) {
		uint8_t status;

		iov_copy_from(req->data, req->data_cnt, i * sizeof(seg), &seg,
			      sizeof(seg));
		status = blk_discard_one(blk, &seg, zeroes);
		if (status != VIRTIO_BLK_S_OK)
			return status;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_execute(struct virtio_blk *blk, struct blk_request *req)
{
	switch (le32toh(req->hdr.type)) {
	case VIRTIO_BLK_T_IN:
		return blk_read_write(blk, req, false);
	case VIRTIO_BLK_T_OUT:
		return blk_read_write(blk, req, true);
	case VIRTIO_BLK_T_FLUSH:
		return fdatasync(blk->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(blk, req);
	case VIRTIO_BLK_T_DISCARD:
		return blk_discard(blk, req, false);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_discard(blk, req, true);
	}
	return VIRTIO_BLK_S_UNSUPP;
}

/*
 * Frames the chain: the header from the start of the readable part, the
 * status byte at the very end of the writable part, and the data between
 * (the rest of the readable part, or the writable part but the status).
 * False for a chain too short to hold a header and a status byte.
 */
static bool blk_frame(struct virtio_blk *blk, struct blk_request *req)
{
	struct virtq_chain *c = &blk->chain;
	struct iovec *in = &c->iov[c->n_out];
	unsigned int last = c->n_in;

	memset(req, 0, sizeof(*req));
	while (last && in[last - 1].iov_len == 0)
		last--;
	if (!last || iov_copy_from(c->iov, c->n_out, 0, &req->hdr,
				   sizeof(req->hdr)) != sizeof(req->hdr))
		return false;
	req->status = (uint8_t *)in[last - 1].iov_base + in[last - 1].iov_len - 1;
	req->written = 1;
	if (c->out_len > sizeof(req->hdr)) {
		req->data_len = c->out_len - sizeof(req->hdr);
		req->data_cnt = iov_slice(c->iov, c->n_out, sizeof(req->hdr),
					  req->data_len, blk->data, VIRTQ_MAX_SIZE);
	} else {
		req->data_len = c->in_len - 1;
		req->data_cnt = iov_slice(in, c->n_in, 0, req->data_len,
					  blk->data, VIRTQ_MAX_SIZE);
	}
	req->data = blk->data;
	return true;
}

/*
 * The file I/O runs without the device lock, so a vCPU touching the
 * device's registers meanwhile never waits for the disk; a reset in that
 * time makes us drop the request instead of completing it.
 */
static void blk_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_blk *blk = vdev->model;
	struct blk_request req;

	while (virtio_dev_pop(vdev, q, &blk->chain) > 0) {
		unsigned int generation = vdev->generation;
		uint8_t status;

		if (!blk_frame(blk, &req)) {
			/* Nowhere to put a status: give the buffers back. */
			virtio_dev_push(vdev, q, blk->chain.head, 0);
			continue;
		}
		pthread_mutex_unlock(&vdev->lock);
		status = blk_execute(blk, &req);
		pthread_mutex_lock(&vdev->lock);
		if (generation != vdev->generation)
			return;
		*req.status = status;
		virtio_dev_push(vdev, q, blk->chain.head, req.written);
	}
}

static void blk_destroy(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->model;

	virtio_dev_destroy(vdev);
	if (blk->fd >= 0)
		close(blk->fd);
	free(blk);
}

static const struct virtio_dev_ops blk_ops = {
	.type = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_size = VIRTQ_MAX_SIZE,
	.config_size = sizeof(struct virtio_blk_config),
	.pci_class = PCI_CLASS_STORAGE_OTHER,
	.queue_notify = blk_queue_notify,
	.destroy = blk_destroy,
};

/* Whether fallocate(mode) works here, tried past the end of the file. */
static bool blk_probe_fallocate(int fd, uint64_t size, int mode)
{
	bool ok = fallocate(fd, FALLOC_FL_KEEP_SIZE | mode, (off_t)size,
			    (off_t)SECTOR) == 0;

	/* Give back any block the probe allocated past the end. */
	if (ok && mode != FALLOC_FL_PUNCH_HOLE)
		fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			  (off_t)size, (off_t)SECTOR);
	return ok;
}

/* The serial: up to 11 bytes of the file name, '-', the inode in hex. */
static void blk_make_serial(struct virtio_blk *blk, const struct stat *st)
{
	const char *base = strrchr(blk->path, '/');
	char id[VIRTIO_BLK_ID_BYTES + 1];

	base = base ? base + 1 : blk->path;
	snprintf(id, sizeof(id), "%.11s-%08llx", base,
		 (unsigned long long)(st->st_ino & 0xffffffff));
	memcpy(blk->serial, id, sizeof(blk->serial));
}

static void blk_fill_config(struct virtio_blk *blk, uint64_t *features)
{
	struct virtio_blk_config *c = &blk->config;

	*features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_SIZE_MAX |
		    1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH;
	c->capacity = htole64(blk->sectors);
	c->size_max = htole32(SIZE_MAX_SEG);
	c->seg_max = htole32(SEG_MAX);
	c->blk_size = htole32(SECTOR);
	if (blk->read_only) {
		*features |= 1ull << VIRTIO_BLK_F_RO;
		return;
	}
	if (blk->can_punch) {
		*features |= 1ull << VIRTIO_BLK_F_DISCARD;
		c->max_discard_sectors = htole32(MAX_DISCARD_SECTORS);
		c->max_discard_seg = htole32(MAX_DISCARD_SEGS);
		c->discard_sector_alignment = htole32(DISCARD_ALIGN_SECTORS);
	}
	if (blk->can_punch || blk->can_zero) {
		*features |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
		c->max_write_zeroes_sectors = htole32(MAX_DISCARD_SECTORS);
		c->max_write_zeroes_seg = htole32(MAX_DISCARD_SEGS);
		c->write_zeroes_may_unmap = !blk->can_zero;
	}
}

static int blk_open(struct virtio_blk *blk, const char *path, bool read_only,
		    char *err, size_t errlen)
{
	struct stat st;
	off_t end;

	blk->fd = read_only ? -1 : open(path, O_RDWR | O_CLOEXEC);
	if (blk->fd < 0 && (read_only || errno == EACCES || errno == EROFS)) {
		blk->read_only = true;
		blk->fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (blk->fd < 0) {
		snprintf(err, errlen, "cannot open disk image %s: %s; check the --disk path",
			 path, strerror(errno));
		return -1;
	}
	end = lseek(blk->fd, 0, SEEK_END);
	if (fstat(blk->fd, &st) || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) ||
	    end < (off_t)SECTOR) {
		snprintf(err, errlen, "disk image %s is not a file of at least 512 bytes; pass a raw image to --disk",
			 path);
		return -1;
	}
	blk->sectors = (uint64_t)end / SECTOR;
	snprintf(blk->path, sizeof(blk->path), "%s", path);
	blk_make_serial(blk, &st);
	if (!blk->read_only) {
		blk->can_punch = blk_probe_fallocate(blk->fd, (uint64_t)end,
						     FALLOC_FL_PUNCH_HOLE);
		blk->can_zero = blk_probe_fallocate(blk->fd, (uint64_t)end,
						    FALLOC_FL_ZERO_RANGE);
	}
	return 0;
}

struct virtio_dev *virtio_blk_create(struct guest_mem *mem, const char *path,
				     bool read_only, char *err, size_t errlen)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	uint64_t features;

	if (!blk) {
		snprintf(err, errlen, "out of memory for disk %s", path);
		return NULL;
	}
	blk->vdev.ops = &blk_ops;
	blk->vdev.model = blk;
	if (blk_open(blk, path, read_only, err, errlen)) {
		if (blk->fd >= 0)
			close(blk->fd);
		free(blk);
		return NULL;
	}
	blk_fill_config(blk, &features);
	if (virtio_dev_init(&blk->vdev, &blk_ops, blk, blk->path, mem, features)) {
		snprintf(err, errlen, "cannot set up disk %s: out of file descriptors",
			 path);
		blk_destroy(&blk->vdev);
		return NULL;
	}
	blk->vdev.config = &blk->config;
	return &blk->vdev;
}
