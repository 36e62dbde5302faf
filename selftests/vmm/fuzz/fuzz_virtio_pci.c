// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for whole virtio devices as a guest drives them: the
 * PCI transport's BARs, guest memory the rings live in, and the devices'
 * queue work, with virtio-blk on a small temporary image and virtio-net
 * on a SOCK_SEQPACKET pair (frames of any length arriving from the
 * "TAP", merged receive buffers or not, as the driver chose):
 *
 *   clang -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -pthread \
 *	-I../../../userspace-vmm -I../../../userspace-vmm/devices \
 *	-I../../../virtio-devices -I../../../include/uapi fuzz_virtio_pci.c \
 *	../../../virtio-devices/{virtq,virtq_packed,virtio_dev,virtio_pci,virtio_blk,virtio_net}.c \
 *	../../../userspace-vmm/{bus,thread}.c \
 *	../../../userspace-vmm/devices/pci.c -o fuzz_virtio_pci && \
 *	./fuzz_virtio_pci -max_len=4096
 *
 * The input is a list of 8-byte steps: an MMIO write or read of either
 * device's BAR, a 4-byte write into guest memory (to build rings and
 * requests), a device's I/O thread running a queue, or a frame arriving
 * for the net card.  Whatever the steps, the monitor must stay inside its
 * buffers and every step must end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pci.h"
#include "virtio_devices.h"
#include "virtio_pci.h"

#define GUEST_MEM	(256u << 10)
#define BAR		0xc0000000ull	/* virtio-blk's */
#define BAR_NET		0xc0100000ull

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
	struct virtio_dev *blk, *net;
	int tap[2];		/* [0] the net card's, [1] the "host" side */
};

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* A frame of len bytes (a vnet header, then a pattern) for the net card. */
static void frame_in(struct rig *r, unsigned int len, uint8_t seed)
{
	static uint8_t frame[66000];

	if (len > sizeof(frame))
		len = sizeof(frame);
	for (unsigned int i = 0; i < len; i++)
		frame[i] = (uint8_t)(i * 7 + seed);
	if (len >= 12)
		memset(frame, 0, 12);	/* a plain header, no offloads */
	if (write(r->tap[1], frame, len) < 0) {
		/* the socket is full: frames wait, as in a TAP queue */
	}
	r->net->watch[0].fn(r->net, r->tap[0]);
}

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
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, r.tap))
		abort();
	r.net = virtio_net_create_fd(&r.gm, r.tap[0], "fuzz", mac);
	if (!r.host || !r.blk || !r.net ||
	    !virtio_pci_create(&r.ctx, r.host, r.blk, 0x018000, BAR, 10) ||
	    !virtio_pci_create(&r.ctx, r.host, r.net, 0x020000, BAR_NET, 11))
		abort();
	return &r;
}

static void step(struct rig *r, const uint8_t *s)
{
	unsigned int size = 1u << (s[1] & 3);
	uint32_t off = (uint32_t)s[2] | (uint32_t)s[3] << 8;
	uint64_t value = 0;	/* an access is up to 8 bytes */
	uint64_t bar = (s[1] & 4) ? BAR_NET : BAR;

	memcpy(&value, s + 4, 4);
	switch (s[0] % 6) {
	case 0:
		bus_access(&r->bus, BUS_MMIO, bar + (off & 0x3fff), &value,
			   size, true);
		break;
	case 1:
		bus_access(&r->bus, BUS_MMIO, bar + (off & 0x3fff), &value,
			   size, false);
		break;
	case 2:
		memcpy(r->mem + ((uint32_t)s[1] << 10 | (off & 0x3fc)) % GUEST_MEM,
		       &value, 4);
		break;
	case 3:
		virtio_dev_handle_kick(r->blk, s[1] & 1);
		break;
	case 4:
		virtio_dev_handle_kick(r->net, s[1] & 1);
		break;
	case 5:
		/* Up to 64 KiB and a bit: GSO-sized frames too. */
		frame_in(r, (off | (uint32_t)(s[4] & 1) << 16) + (s[5] & 0x1f),
			 s[6]);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rig *r = rig_get();
	uint32_t zero = 0;

	uint8_t drain[66000];

	/* Each input starts from reset devices, zeroed memory, no frames. */
	bus_access(&r->bus, BUS_MMIO, BAR + VIRTIO_PCI_COMMON_OFF + 20, &zero,
		   1, true);
	bus_access(&r->bus, BUS_MMIO, BAR_NET + VIRTIO_PCI_COMMON_OFF + 20,
		   &zero, 1, true);
	while (read(r->tap[0], drain, sizeof(drain)) >= 0 ||
	       read(r->tap[1], drain, sizeof(drain)) >= 0)
		;
	memset(r->mem, 0, GUEST_MEM);
	for (size_t i = 0; i + 8 <= size; i += 8)
		step(r, data + i);
	return 0;
}
