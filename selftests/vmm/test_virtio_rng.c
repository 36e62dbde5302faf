// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-rng: buffers are filled with random bytes, called directly and
 * through the device's own I/O thread woken by its notify eventfd (the
 * path a doorbell takes, whether the kernel or the bus signals it).
 */
#include <string.h>
#include <time.h>

#include "unit.h"
#include "virtio_devices.h"
#include "virtq_fixture.h"

/* Two writable buffers, 32 and 100 bytes, as one chain. */
static void post_two_buffers(struct fx *f)
{
	memset(f->mem + FX_DATA, 0, 0x200);
	fx_desc(f, 0, FX_DATA, 32, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	fx_desc(f, 1, FX_DATA + 0x100, 100, VRING_DESC_F_WRITE, 0);
	fx_avail(f, 0);
}

static bool looks_random(const uint8_t *p, size_t len)
{
	size_t zeros = 0;

	for (size_t i = 0; i < len; i++)
		zeros += p[i] == 0;
	return zeros < len / 4;
}

/* Waits up to a second for the used index to reach want. */
static bool wait_used(struct fx *f, uint16_t want)
{
	for (int i = 0; i < 1000; i++) {
		if (__atomic_load_n((uint16_t *)(f->mem + FX_USED + 2),
				    __ATOMIC_ACQUIRE) == want)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return false;
}

void test_virtio_rng(void)
{
	struct virtio_dev *rng;
	uint32_t len = 0;
	struct fx f;

	fx_init(&f, 8);
	rng = virtio_rng_create(&f.gm);
	fx_activate(&f, rng, 0);
	post_two_buffers(&f);
	virtio_dev_handle_kick(rng, 0);
	unit_case(fx_used_idx(&f) == 1 && fx_used(&f, 0, &len) == 0 && len == 132,
		  "virtio-rng: a chain of two buffers is filled whole");
	unit_case(looks_random(f.mem + FX_DATA, 32) &&
			  looks_random(f.mem + FX_DATA + 0x100, 100),
		  "virtio-rng: the bytes are random");
	unit_case(rng->host_features == (1ull << 32 | 1ull << 28 | 1ull << 29),
		  "virtio-rng: no device features, only VERSION_1 and the ring's");

	fx_desc(&f, 0, FX_DATA, 128u << 10, VRING_DESC_F_WRITE, 0);
	fx_avail(&f, 0);
	virtio_dev_handle_kick(rng, 0);
	unit_case(fx_used_idx(&f) == 2 && (fx_used(&f, 1, &len), len == 64u << 10),
		  "virtio-rng: at most 64 KiB a request");

	virtio_dev_start(rng);
	post_two_buffers(&f);
	virtio_dev_kick(rng, 0);
	unit_case(wait_used(&f, 3), "virtio-rng: the I/O thread serves a kick");
	virtio_device_destroy(rng);
	fx_destroy(&f);
}
