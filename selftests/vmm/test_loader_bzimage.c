// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bzImage loader and boot_params: a synthetic image with the boot
 * header fields the loader reads, booted into a small guest memory; then
 * truncated and hostile variants, which must be refused with a message.
 */
#include <asm/bootparam.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "unit.h"

#define GUEST_MEM	(64ULL << 20)
#define SETUP_SECTS	4
#define PAYLOAD_LEN	8192
#define IMAGE_LEN	((SETUP_SECTS + 1) * 512 + PAYLOAD_LEN)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* A 2.15 image: 64-bit entry, relocatable, 16 MiB preferred address. */
static uint8_t *make_image(size_t *len)
{
	uint8_t *img = calloc(1, IMAGE_LEN);

	if (!img)
		abort();
	img[0x1f1] = SETUP_SECTS;
	put16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;			/* header ends at 0x26c */
	put32(img + 0x202, 0x53726448);		/* "HdrS" */
	put16(img + 0x206, 0x020f);
	img[0x211] = 0x01;			/* LOADED_HIGH */
	put32(img + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(img + 0x230, 0x200000);		/* kernel_alignment */
	img[0x234] = 1;				/* relocatable */
	put16(img + 0x236, 0x3);		/* KERNEL_64, above 4G */
	put32(img + 0x238, 2047);		/* cmdline_size */
	put32(img + 0x258, 0x1000000);		/* pref_address */
	put32(img + 0x260, 0x800000);		/* init_size: 8 MiB */
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		img[(SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7 + 1);
	*len = IMAGE_LEN;
	return img;
}

struct guest {
	uint8_t *host;
	struct guest_mem gm;
};

static void guest_init(struct guest *g, uint64_t size)
{
	g->host = calloc(1, size);
	if (!g->host)
		abort();
	guest_mem_init_flat(&g->gm, g->host, size, 4ULL << 30, 0);
}

static void test_good_image(void)
{
	static const uint8_t initrd[5000] = { 0x1f, 0x8b, 8 };
	struct boot_config cfg = { .cmdline = "console=ttyS0 quiet",
				   .initrd = initrd, .initrd_size = sizeof(initrd) };
	char err[BOOT_ERR_LEN] = "";
	struct boot_cpu_state st;
	struct boot_params *bp;
	struct vireo_sregs sregs;
	struct vireo_regs regs;
	struct bzimage bz;
	struct guest g;
	uint64_t *pt;
	size_t len;
	uint8_t *img = make_image(&len);

	unit_case(bzimage_parse(img, len, &bz, err, sizeof(err)) == 0,
		  "bzImage: a 2.15 image parses (%s)", err);
	unit_case(bz.payload == img + 5 * 512 && bz.payload_len == PAYLOAD_LEN,
		  "bzImage: the payload follows setup_sects + 1 sectors");
	unit_case(bz.setup_header_len == 0x26c - 0x1f1,
		  "bzImage: the header length comes from the jump at 0x200");

	guest_init(&g, GUEST_MEM);
	unit_case(boot_bzimage(&g.gm, &bz, &cfg, &st, err, sizeof(err)) == 0,
		  "bzImage: boots into 64 MiB (%s)", err);
	bp = (struct boot_params *)(g.host + BOOT_PARAMS_ADDR);
	unit_case(!memcmp(g.host + BOOT_KERNEL_ADDR, bz.payload, PAYLOAD_LEN),
		  "bzImage: the payload is at 1 MiB");
	unit_case(bp->hdr.type_of_loader == 0xff && bp->hdr.boot_flag == 0xaa55 &&
		  bp->hdr.header == 0x53726448,
		  "boot_params: the setup header is copied, loader type set");
	unit_case(bp->hdr.cmd_line_ptr == BOOT_CMDLINE_ADDR &&
		  !strcmp((char *)g.host + BOOT_CMDLINE_ADDR, cfg.cmdline),
		  "boot_params: the command line");
	unit_case(bp->hdr.ramdisk_size == sizeof(initrd) &&
		  bp->hdr.ramdisk_image % 4096 == 0 &&
		  bp->hdr.ramdisk_image >= 0x1000000 + 0x800000 &&
		  bp->hdr.ramdisk_image + sizeof(initrd) <= GUEST_MEM &&
		  !memcmp(g.host + bp->hdr.ramdisk_image, initrd, sizeof(initrd)),
		  "boot_params: the initrd is page-aligned above the kernel, below the end (%#x)",
		  bp->hdr.ramdisk_image);
	unit_case(bp->e820_entries == 4 && bp->e820_table[0].addr == 0 &&
		  bp->e820_table[0].type == 1 &&
		  bp->e820_table[3].addr == 0x100000 &&
		  bp->e820_table[3].size == GUEST_MEM - 0x100000 &&
		  bp->e820_table[3].type == 1,
		  "boot_params: the e820 map has low RAM, the BIOS holes, RAM from 1 MiB");
	unit_case(st.mode == BOOT_CPU_LONG64 && st.rip == 0x100200 &&
		  st.rsi == BOOT_PARAMS_ADDR && st.cr3 == BOOT_PML4_ADDR,
		  "bzImage: 64-bit entry at load + 0x200 with RSI = boot_params");
	pt = (uint64_t *)(g.host + BOOT_PML4_ADDR);
	unit_case((pt[0] & ~0xfffULL) == BOOT_PML4_ADDR + 4096 &&
		  pt[1024 + 1] == (0x200000 | 0x83) &&
		  pt[1024 + 2047] == (0xffe00000ULL | 0x83),
		  "page tables: the first 4 GiB identity-mapped with 2 MiB pages");

	memset(&sregs, 0, sizeof(sregs));
	boot_cpu_sregs(&st, &sregs);
	boot_cpu_regs(&st, &regs);
	unit_case(sregs.cs.l && !sregs.cs.db && sregs.cs.selector == 0x10 &&
		  sregs.ds.selector == 0x18 && (sregs.efer & 0x500) == 0x500 &&
		  (sregs.cr0 & 0x80000001) == 0x80000001 && (sregs.cr4 & 0x20) &&
		  regs.rip == 0x100200 && regs.rflags == 2,
		  "registers: long mode, __BOOT_CS and __BOOT_DS, paging on");
	free(g.host);
	free(img);
}

static bool refused(const uint8_t *img, size_t len)
{
	char err[BOOT_ERR_LEN] = "";
	struct bzimage bz;

	return bzimage_parse(img, len, &bz, err, sizeof(err)) != 0 &&
	       err[0] != '\0';
}

static void test_truncated(void)
{
	size_t len, cut;
	uint8_t *img = make_image(&len);
	bool all = true;

	/* Up to the end of the setup part nothing may parse. */
	for (cut = 0; cut <= 5 * 512; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, img, cut);
		if (!refused(copy, cut)) {
			unit_diag("a %zu-byte prefix parsed", cut);
			all = false;
		}
		free(copy);
	}
	unit_case(all, "bzImage: every prefix up to the setup part is refused");
	free(img);
}

typedef void (*mutate_fn)(uint8_t *img);

static void no_boot_flag(uint8_t *img) { put16(img + 0x1fe, 0); }
static void no_hdrs(uint8_t *img) { img[0x202] = 'X'; }
static void old_protocol(uint8_t *img) { put16(img + 0x206, 0x0204); }
static void no_kernel64(uint8_t *img) { put16(img + 0x236, 0); }
static void short_header(uint8_t *img) { img[0x201] = 0x10; }
static void huge_setup(uint8_t *img) { img[0x1f1] = 0xff; }

static void test_hostile_headers(void)
{
	static const struct {
		const char *name;
		mutate_fn fn;
	} cases[] = {
		{ "no 0xaa55 boot flag", no_boot_flag },
		{ "no HdrS magic", no_hdrs },
		{ "boot protocol 2.04", old_protocol },
		{ "no 64-bit entry", no_kernel64 },
		{ "header shorter than its fields", short_header },
		{ "setup_sects past the end", huge_setup },
	};
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *img = make_image(&len);

		cases[i].fn(img);
		unit_case(refused(img, len), "bzImage: refused: %s", cases[i].name);
		free(img);
	}
}

static int boot_with(uint8_t *img, size_t len, uint64_t mem,
		     const struct boot_config *cfg, char *err)
{
	struct boot_cpu_state st;
	struct bzimage bz;
	struct guest g;
	int r;

	if (bzimage_parse(img, len, &bz, err, BOOT_ERR_LEN))
		return -1;
	guest_init(&g, mem);
	r = boot_bzimage(&g.gm, &bz, cfg, &st, err, BOOT_ERR_LEN);
	free(g.host);
	return r;
}

static void test_does_not_fit(void)
{
	static uint8_t big_initrd[48 << 20];
	char cmdline[3000], err[BOOT_ERR_LEN];
	struct boot_config cfg = { .cmdline = "" };
	size_t len;
	uint8_t *img = make_image(&len);

	put32(img + 0x260, 0xffffffff);
	err[0] = '\0';
	unit_case(boot_with(img, len, GUEST_MEM, &cfg, err) && err[0],
		  "bzImage: an init_size of 4 GiB does not fit 64 MiB (%s)", err);
	free(img);

	img = make_image(&len);
	put32(img + 0x258, 0xffffffff);
	put32(img + 0x25c, 0xffffffff);
	err[0] = '\0';
	unit_case(boot_with(img, len, GUEST_MEM, &cfg, err) == 0,
		  "bzImage: a preferred address beyond memory is ignored (%s)", err);

	free(img);
	img = make_image(&len);
	memset(cmdline, 'x', sizeof(cmdline) - 1);
	cmdline[sizeof(cmdline) - 1] = '\0';
	cfg.cmdline = cmdline;
	err[0] = '\0';
	unit_case(boot_with(img, len, GUEST_MEM, &cfg, err) && err[0],
		  "bzImage: a command line longer than cmdline_size (%s)", err);

	cfg.cmdline = "";
	cfg.initrd = big_initrd;
	cfg.initrd_size = sizeof(big_initrd);
	err[0] = '\0';
	unit_case(boot_with(img, len, GUEST_MEM, &cfg, err) && err[0],
		  "bzImage: a 48 MiB initrd next to the kernel in 64 MiB (%s)", err);

	cfg.initrd = NULL;
	cfg.initrd_size = 0;
	err[0] = '\0';
	unit_case(boot_with(img, len, 1 << 20, &cfg, err) && err[0],
		  "bzImage: 1 MiB of guest memory (%s)", err);
	free(img);
}

void test_loader_bzimage(void)
{
	test_good_image();
	test_truncated();
	test_hostile_headers();
	test_does_not_fit();
}
