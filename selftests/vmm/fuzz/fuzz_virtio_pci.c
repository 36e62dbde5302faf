// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for a whole virtio device as a guest drives it: the
 * PCI transport's BAR, guest memory the rings live in, and the device's
 * queue work, with virtio-blk on a small temporary image behind it:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -pthread \
 *	-I../../../userspace-vmm -I../../../userspace-vmm/devices \
 *	-I../../../virtio-devices -I../../../include/uapi fuzz_virtio_pci.c \
 *	../../../virtio-devices/{virtq,virtq_packed,virtio_dev,virtio_pci,virtio_blk}.c \
 *	../../../userspace-vmm/{bus,thread}.c \
 *	../../../userspace-vmm/devices/pci.c -o fuzz_virtio_pci && \
 *	./fuzz_virtio_pci -max_len=4096
 *
 * The input is a list of 8-byte steps: an MMIO write or read of the BAR,
 * a 4-byte write into guest memory (to build rings and requests), or the
 * device's I/O thread running a queue.  Whatever the steps, the monitor
 * must stay inside its buffers and every step must end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci.h"
#include "virtio_devices.h"
#include "virtio_pci.h"

#define GUEST_MEM	(256u << 10)
#define BAR		0xc0000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int event_add_fd(struct event_loop *loop, int fd, event_fn fn, void *arg)
{
	(void)loop;
	(void)fd;
	(void)fn;
	(void)arg;
	return 0;
}

void event_del_fd(struct event_loop *loop, int fd)
{
	(void)loop;
	(void)fd;
}

static void set_line(struct irq_chip *chip, unsigned int line, bool level)
{
	(void)chip;
	(void)line;
	(void)level;
}

static void *fuzz_map(struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (gpa > gm->low_end || len > gm->low_end - gpa)
		return NULL;
	return (uint8_t *)gm->opaque + gpa;
}

struct rig {
	uint8_t *mem;
	struct guest_mem gm;
	struct bus bus;
	struct irq_chip chip;
	struct vmm_ctx ctx;
	struct pci_host *host;
	struct virtio_dev *blk;
};

static struct rig *rig_get(void)
{
	static struct rig r;
	char path[] = "/tmp/vireo-fuzz-blk-XXXXXX", err[256];
	int fd;

	if (r.blk)
		return &r;
	r.mem = calloc(1, GUEST_MEM);
	fd = mkstemp(path);
	if (!r.mem || fd < 0 || ftruncate(fd, 64 << 10))
		abort();
	close(fd);
	r.gm = (struct guest_mem){ .map = fuzz_map, .opaque = r.mem,
				   .low_end = GUEST_MEM, .high_base = 1ull << 32,
				   .high_end = 1ull << 32 };
	bus_init(&r.bus);
	r.chip.set_line = set_line;
	r.ctx = (struct vmm_ctx){ .bus = &r.bus, .irq = &r.chip,
				  .console_in = -1, .console_out = -1 };
	r.host = pci_host_create(&r.ctx);
	r.blk = virtio_blk_create(&r.gm, path, false, err, sizeof(err));
	unlink(path);
	if (!r.host || !r.blk ||
	    !virtio_pci_create(&r.ctx, r.host, r.blk, 0x018000, BAR, 10))
		abort();
	return &r;
}

static void step(struct rig *r, const uint8_t *s)
{
	unsigned int size = 1u << (s[1] & 3);
	uint32_t off = (uint32_t)s[2] | (uint32_t)s[3] << 8;
	uint64_t value = 0;	/* an access is up to 8 bytes */

	memcpy(&value, s + 4, 4);
	switch (s[0] % 4) {
	case 0:
		bus_access(&r->bus, BUS_MMIO, BAR + (off & 0x3fff), &value,
			   size, true);
		break;
	case 1:
		bus_access(&r->bus, BUS_MMIO, BAR + (off & 0x3fff), &value,
			   size, false);
		break;
	case 2:
		memcpy(r->mem + ((uint32_t)s[1] << 10 | (off & 0x3fc)) % GUEST_MEM,
		       &value, 4);
		break;
	case 3:
		virtio_dev_handle_kick(r->blk, s[1] & 1);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rig *r = rig_get();
	uint32_t zero = 0;

	/* Each input starts from a reset device and zeroed memory. */
	bus_access(&r->bus, BUS_MMIO, BAR + VIRTIO_PCI_COMMON_OFF + 20, &zero,
		   1, true);
	memset(r->mem, 0, GUEST_MEM);
	for (size_t i = 0; i + 8 <= size; i += 8)
		step(r, data + i);
	return 0;
}
