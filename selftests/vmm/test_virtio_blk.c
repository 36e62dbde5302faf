// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk over a temporary image: a table of requests (type, sector,
 * data length, framing) with the status and used length each must give,
 * then the data itself, read-only images, the serial and open errors.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "unit.h"
#include "virtio_devices.h"
#include "virtq_fixture.h"

#define SECTORS		64		/* a 32 KiB image */
#define HDR		FX_DATA
#define STATUS		(FX_DATA + 0x100)
#define BUF		(FX_DATA + 0x1000)
#define NO_STATUS	0xee

struct blk_rig {
	struct fx f;
	struct virtio_dev *vdev;
	char path[64];
};

/* An image whose sector s is filled with the byte s. */
static void make_image(char *path, size_t len)
{
	uint8_t sector[512];
	int fd;

	snprintf(path, len, "/tmp/vireo-blk-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	for (int s = 0; s < SECTORS; s++) {
		memset(sector, s, sizeof(sector));
		if (write(fd, sector, sizeof(sector)) != sizeof(sector))
			abort();
	}
	close(fd);
}

static void rig_open(struct blk_rig *r, bool read_only)
{
	char err[256];

	fx_init(&r->f, 16);
	make_image(r->path, sizeof(r->path));
	r->vdev = virtio_blk_create(&r->f.gm, r->path, read_only, err, sizeof(err));
	if (!r->vdev) {
		unit_diag("virtio_blk_create: %s", err);
		abort();
	}
	fx_activate(&r->f, r->vdev, 0);
}

static void rig_close(struct blk_rig *r)
{
	virtio_device_destroy(r->vdev);
	unlink(r->path);
	fx_destroy(&r->f);
}

/*
 * One request: header, then data of len bytes (device-writable when
 * `writable`), then the status byte; runs the queue.  Returns the status
 * and the used length in *used.
 */
static uint8_t blk_request(struct blk_rig *r, uint32_t type, uint64_t sector,
			   uint32_t len, bool writable, uint32_t *used)
{
	struct virtio_blk_outhdr hdr = { .type = type, .sector = sector };
	uint16_t before = fx_used_idx(&r->f);
	unsigned int d = 0;

	memcpy(r->f.mem + HDR, &hdr, sizeof(hdr));
	r->f.mem[STATUS] = NO_STATUS;
	fx_desc(&r->f, d, HDR, sizeof(hdr), VRING_DESC_F_NEXT, d + 1);
	d++;
	if (len) {
		fx_desc(&r->f, d, BUF, len,
			VRING_DESC_F_NEXT | (writable ? VRING_DESC_F_WRITE : 0), d + 1);
		d++;
	}
	fx_desc(&r->f, d, STATUS, 1, VRING_DESC_F_WRITE, 0);
	fx_avail(&r->f, 0);
	virtio_dev_handle_kick(r->vdev, 0);
	*used = 0;
	if (fx_used_idx(&r->f) != (uint16_t)(before + 1))
		return NO_STATUS;
	fx_used(&r->f, before, used);
	return r->f.mem[STATUS];
}

struct blk_case {
	const char *name;
	uint32_t type;
	uint64_t sector;
	uint32_t len;
	bool writable;
	uint8_t status;
	uint32_t used;
};

static const struct blk_case blk_cases[] = {
	{ "read sector 0", VIRTIO_BLK_T_IN, 0, 512, true, VIRTIO_BLK_S_OK, 513 },
	{ "read the last sector", VIRTIO_BLK_T_IN, SECTORS - 1, 512, true, VIRTIO_BLK_S_OK, 513 },
	{ "read 4 sectors", VIRTIO_BLK_T_IN, 8, 2048, true, VIRTIO_BLK_S_OK, 2049 },
	{ "read past the end", VIRTIO_BLK_T_IN, SECTORS - 1, 1024, true, VIRTIO_BLK_S_IOERR, 1 },
	{ "read at the capacity", VIRTIO_BLK_T_IN, SECTORS, 512, true, VIRTIO_BLK_S_IOERR, 1 },
	{ "read at sector 2^64 - 1", VIRTIO_BLK_T_IN, ~0ull, 512, true, VIRTIO_BLK_S_IOERR, 1 },
	{ "read of 100 bytes", VIRTIO_BLK_T_IN, 0, 100, true, VIRTIO_BLK_S_IOERR, 1 },
	{ "write sector 3", VIRTIO_BLK_T_OUT, 3, 512, false, VIRTIO_BLK_S_OK, 1 },
	{ "write past the end", VIRTIO_BLK_T_OUT, SECTORS, 512, false, VIRTIO_BLK_S_IOERR, 1 },
	{ "flush", VIRTIO_BLK_T_FLUSH, 0, 0, false, VIRTIO_BLK_S_OK, 1 },
	{ "get id", VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true, VIRTIO_BLK_S_OK, 21 },
	{ "an unknown type", 99, 0, 512, true, VIRTIO_BLK_S_UNSUPP, 1 },
	{ "SCSI passthrough", 2, 0, 512, true, VIRTIO_BLK_S_UNSUPP, 1 },
	{ "discard of 0 segments", VIRTIO_BLK_T_DISCARD, 0, 0, false, VIRTIO_BLK_S_UNSUPP, 1 },
};

static void test_blk_cases(void)
{
	for (size_t i = 0; i < sizeof(blk_cases) / sizeof(blk_cases[0]); i++) {
		const struct blk_case *c = &blk_cases[i];
		struct blk_rig r;
		uint32_t used;
		uint8_t status;

		rig_open(&r, false);
		status = blk_request(&r, c->type, c->sector, c->len, c->writable, &used);
		if (!unit_case(status == c->status && used == c->used,
			       "virtio-blk: %s", c->name))
			unit_diag("status %u used %u, want %u and %u", status,
				  used, c->status, c->used);
		rig_close(&r);
	}
}

static bool file_sector_is(const char *path, uint64_t sector, uint8_t byte)
{
	uint8_t buf[512];
	int fd = open(path, O_RDONLY);
	bool ok = fd >= 0 && pread(fd, buf, sizeof(buf), (off_t)sector * 512) == 512;

	for (size_t i = 0; ok && i < sizeof(buf); i++)
		ok = buf[i] == byte;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_blk_data(void)
{
	struct virtio_blk_discard_write_zeroes seg = { .sector = 5, .num_sectors = 2 };
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_IN, .sector = 7 };
	uint64_t features;
	struct blk_rig r;
	uint32_t used;

	rig_open(&r, false);
	features = r.vdev->host_features;
	blk_request(&r, VIRTIO_BLK_T_IN, 9, 1024, true, &used);
	unit_case(r.f.mem[BUF] == 9 && r.f.mem[BUF + 511] == 9 &&
			  r.f.mem[BUF + 512] == 10 && r.f.mem[BUF + 1023] == 10,
		  "virtio-blk: read data comes from the image");
	memset(r.f.mem + BUF, 0xab, 512);
	blk_request(&r, VIRTIO_BLK_T_OUT, 4, 512, false, &used);
	unit_case(file_sector_is(r.path, 4, 0xab) && file_sector_is(r.path, 5, 5),
		  "virtio-blk: written data lands in the image, no further");
	blk_request(&r, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true, &used);
	unit_case(!memcmp(r.f.mem + BUF, "vireo-blk-t-", 12),
		  "virtio-blk: the serial starts with the file name");
	unit_case((features & (1ull << VIRTIO_BLK_F_FLUSH)) &&
			  (features & (1ull << VIRTIO_BLK_F_SEG_MAX)) &&
			  (features & (1ull << VIRTIO_BLK_F_BLK_SIZE)) &&
			  !(features & (1ull << VIRTIO_BLK_F_RO)),
		  "virtio-blk: FLUSH, SEG_MAX, BLK_SIZE offered, not RO");
	if (features & (1ull << VIRTIO_BLK_F_DISCARD)) {
		memcpy(r.f.mem + BUF, &seg, sizeof(seg));
		unit_case(blk_request(&r, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg),
				      false, &used) == VIRTIO_BLK_S_OK &&
				  file_sector_is(r.path, 5, 0) &&
				  file_sector_is(r.path, 6, 0) &&
				  file_sector_is(r.path, 7, 7),
			  "virtio-blk: discard punches exactly its sectors");
		seg.flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
		memcpy(r.f.mem + BUF, &seg, sizeof(seg));
		unit_case(blk_request(&r, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg),
				      false, &used) == VIRTIO_BLK_S_UNSUPP,
			  "virtio-blk: discard with the unmap flag is unsupported");
		seg = (struct virtio_blk_discard_write_zeroes){ .sector = SECTORS - 1,
								.num_sectors = 2 };
		memcpy(r.f.mem + BUF, &seg, sizeof(seg));
		unit_case(blk_request(&r, VIRTIO_BLK_T_WRITE_ZEROES, 0, sizeof(seg),
				      false, &used) == VIRTIO_BLK_S_IOERR,
			  "virtio-blk: write zeroes past the end fails");
	} else {
		unit_diag("the host file system cannot punch holes: discard not offered");
	}
	/* A header split over two descriptors, data in a third. */
	memcpy(r.f.mem + HDR, &hdr, sizeof(hdr));
	fx_desc(&r.f, 0, HDR, 8, VRING_DESC_F_NEXT, 1);
	fx_desc(&r.f, 1, HDR + 8, 8, VRING_DESC_F_NEXT, 2);
	fx_desc(&r.f, 2, BUF, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3);
	fx_desc(&r.f, 3, STATUS, 1, VRING_DESC_F_WRITE, 0);
	fx_avail(&r.f, 0);
	virtio_dev_handle_kick(r.vdev, 0);
	unit_case(r.f.mem[STATUS] == VIRTIO_BLK_S_OK && r.f.mem[BUF] == 7,
		  "virtio-blk: a header split over two descriptors");
	/* No writable byte for the status: given back, nothing done. */
	fx_desc(&r.f, 0, HDR, 16, 0, 0);
	fx_avail(&r.f, 0);
	virtio_dev_handle_kick(r.vdev, 0);
	unit_case(fx_used(&r.f, (uint16_t)(fx_used_idx(&r.f) - 1), &used) == 0 &&
			  used == 0 && !r.vdev->failed,
		  "virtio-blk: a request without a status byte is returned unused");
	rig_close(&r);
}

static void test_blk_read_only(void)
{
	char err[256], path[64];
	struct blk_rig r;
	uint32_t used;

	rig_open(&r, true);
	unit_case(r.vdev->host_features & (1ull << VIRTIO_BLK_F_RO) &&
			  !(r.vdev->host_features & (1ull << VIRTIO_BLK_F_DISCARD)),
		  "virtio-blk: ,ro offers RO and no discard");
	memset(r.f.mem + BUF, 0xcd, 512);
	unit_case(blk_request(&r, VIRTIO_BLK_T_OUT, 2, 512, false, &used) ==
			  VIRTIO_BLK_S_IOERR && file_sector_is(r.path, 2, 2),
		  "virtio-blk: a write to a read-only disk fails, the image unchanged");
	unit_case(blk_request(&r, VIRTIO_BLK_T_IN, 2, 512, true, &used) ==
			  VIRTIO_BLK_S_OK && r.f.mem[BUF] == 2,
		  "virtio-blk: a read-only disk still reads");
	rig_close(&r);

	snprintf(path, sizeof(path), "/tmp/vireo-blk-test-missing-%d", getpid());
	err[0] = 0;
	unit_case(!virtio_blk_create(&r.f.gm, path, false, err, sizeof(err)) &&
			  strstr(err, "cannot open disk image") && strstr(err, "--disk"),
		  "virtio-blk: a missing image: one line naming it and --disk");
}

void test_virtio_blk(void)
{
	test_blk_cases();
	test_blk_data();
	test_blk_read_only();
}
