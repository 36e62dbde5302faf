// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Linux x86 bzImage format: a real-mode setup part of setup_sects
 * sectors whose header (at 0x1f1) describes the protected-mode kernel
 * that follows.  We only use the 64-bit entry point, so the setup code
 * itself is never run; its header is copied into boot_params by boot.c.
 *
 * The image is untrusted input: every offset and length read from it is
 * checked against the buffer before use.
 */
#include <stdio.h>
#include <string.h>

#include "boot.h"

/* Offsets in the image of the setup header fields we read. */
#define HDR_START		0x1f1
#define HDR_SETUP_SECTS		0x1f1
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP		0x200	/* short jmp; byte 0x201 = header length */
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_LOADFLAGS		0x211
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260
#define HDR_LAST_READ		0x264	/* end of the last field we read */
/* boot_params holds the header up to here; a longer one is cut. */
#define HDR_COPY_END		0x26c

#define BOOT_FLAG_MAGIC		0xaa55
#define HDR_MAGIC_VALUE		0x53726448	/* "HdrS" */
#define MIN_VERSION		0x020c	/* 2.12: xloadflags */
#define XLF_KERNEL_64		(1U << 0)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int bzimage_parse(const uint8_t *img, size_t size, struct bzimage *bz,
		  char *err, size_t errlen)
{
	size_t hdr_end, setup_len;
	unsigned int setup_sects;

	memset(bz, 0, sizeof(*bz));
	if (size < HDR_LAST_READ || get16(img + HDR_BOOT_FLAG) != BOOT_FLAG_MAGIC ||
	    get32(img + HDR_MAGIC) != HDR_MAGIC_VALUE) {
		snprintf(err, errlen,
			 "not a bzImage (no Linux boot header); pass a bzImage such as /boot/vmlinuz-* or an ELF vmlinux with a PVH note");
		return -1;
	}
	bz->version = get16(img + HDR_VERSION);
	if (bz->version < MIN_VERSION) {
		snprintf(err, errlen,
			 "bzImage boot protocol %u.%02u is too old (2.12 or later needed for the 64-bit entry); use a newer kernel",
			 bz->version >> 8, bz->version & 0xff);
		return -1;
	}
	bz->xloadflags = get16(img + HDR_XLOADFLAGS);
	if (!(bz->xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen,
			 "bzImage has no 64-bit entry point (a 32-bit kernel?); use an x86-64 kernel");
		return -1;
	}

	hdr_end = HDR_JUMP + 2 + img[HDR_JUMP + 1];
	if (hdr_end < HDR_LAST_READ || hdr_end > size) {
		snprintf(err, errlen,
			 "bzImage setup header length %zu is invalid; the image is damaged",
			 hdr_end - HDR_START);
		return -1;
	}
	bz->setup_header = img + HDR_START;
	if (hdr_end > HDR_COPY_END)
		hdr_end = HDR_COPY_END;
	bz->setup_header_len = hdr_end - HDR_START;

	setup_sects = img[HDR_SETUP_SECTS];
	if (!setup_sects)
		setup_sects = 4;
	setup_len = (size_t)(setup_sects + 1) * 512;
	if (setup_len >= size) {
		snprintf(err, errlen,
			 "bzImage is truncated: %zu bytes, but its setup part alone is %zu; the file is damaged",
			 size, setup_len);
		return -1;
	}
	bz->payload = img + setup_len;
	bz->payload_len = size - setup_len;

	bz->loadflags = img[HDR_LOADFLAGS];
	bz->initrd_addr_max = get32(img + HDR_INITRD_ADDR_MAX);
	bz->kernel_alignment = get32(img + HDR_KERNEL_ALIGNMENT);
	bz->cmdline_size = get32(img + HDR_CMDLINE_SIZE);
	bz->pref_address = get64(img + HDR_PREF_ADDRESS);
	bz->init_size = get32(img + HDR_INIT_SIZE);
	if (bz->init_size < bz->payload_len)
		bz->init_size = (uint32_t)bz->payload_len;
	return 0;
}

int bzimage_load(const struct bzimage *bz, struct guest_mem *gm,
		 uint64_t load_addr, char *err, size_t errlen)
{
	uint64_t run_addr = load_addr;
	uint8_t *dst;

	/*
	 * The kernel decompresses itself into init_size bytes from where it
	 * runs: its preferred address, or where it was put when that is
	 * higher.
	 */
	if (bz->pref_address > run_addr && bz->pref_address < gm->low_end)
		run_addr = bz->pref_address;
	if (run_addr + bz->init_size > gm->low_end ||
	    !(dst = gm->map(gm, load_addr, bz->payload_len))) {
		snprintf(err, errlen,
			 "the kernel needs %u MiB from %#llx but guest memory ends at %llu MiB; give more --mem",
			 (unsigned int)(bz->init_size >> 20),
			 (unsigned long long)run_addr,
			 (unsigned long long)(gm->low_end >> 20));
		return -1;
	}
	memcpy(dst, bz->payload, bz->payload_len);
	return 0;
}
