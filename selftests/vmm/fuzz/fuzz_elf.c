// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the PVH ELF loader and start info:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I../../../userspace-vmm \
 *	-I../../../include/uapi fuzz_elf.c ../../../userspace-vmm/loader_elf.c \
 *	../../../userspace-vmm/loader_bzimage.c ../../../userspace-vmm/boot.c \
 *	-lelf -o fuzz_elf && ./fuzz_elf -max_len=65536
 *
 * The input is the vmlinux; libelf and our own checks must keep every
 * segment copy inside the file and inside 32 MiB of guest memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

#define GUEST_MEM (32ULL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[4096] = { 0x1f, 0x8b };
	static uint8_t *host;
	struct boot_config cfg = { .cmdline = "console=ttyS0",
				   .initrd = initrd, .initrd_size = sizeof(initrd) };
	char err[BOOT_ERR_LEN];
	struct boot_cpu_state st;
	struct elf_kernel ek;
	struct guest_mem gm;
	uint8_t *img;

	if (!host && !(host = malloc(GUEST_MEM)))
		abort();
	img = malloc(size ? size : 1);
	if (!img)
		abort();
	memcpy(img, data, size);
	guest_mem_init_flat(&gm, host, GUEST_MEM, 4ULL << 30, 0);
	if (elf_kernel_load(img, size, &gm, &ek, err, sizeof(err)) == 0)
		boot_pvh(&gm, &ek, &cfg, &st, err, sizeof(err));
	free(img);
	return 0;
}
