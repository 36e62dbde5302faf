// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the bzImage loader and boot_params:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I../../../userspace-vmm \
 *	-I../../../include/uapi fuzz_bzimage.c \
 *	../../../userspace-vmm/loader_bzimage.c ../../../userspace-vmm/boot.c \
 *	-o fuzz_bzimage && ./fuzz_bzimage -max_len=65536
 *
 * The input is the kernel image; whatever it claims, parsing and booting
 * it into 64 MiB of guest memory must stay inside the buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

#define GUEST_MEM (64ULL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[4096] = { 0x1f, 0x8b };
	static uint8_t *host;
	struct boot_config cfg = { .cmdline = "console=ttyS0",
				   .initrd = initrd, .initrd_size = sizeof(initrd) };
	char err[BOOT_ERR_LEN];
	struct boot_cpu_state st;
	struct guest_mem gm;
	struct bzimage bz;
	uint8_t *img;

	if (!host && !(host = malloc(GUEST_MEM)))
		abort();
	/* An exact-size copy, so reads past the end are caught. */
	img = malloc(size ? size : 1);
	if (!img)
		abort();
	memcpy(img, data, size);
	if (bzimage_parse(img, size, &bz, err, sizeof(err)) == 0) {
		guest_mem_init_flat(&gm, host, GUEST_MEM, 4ULL << 30, 0);
		boot_bzimage(&gm, &bz, &cfg, &st, err, sizeof(err));
	}
	free(img);
	return 0;
}
