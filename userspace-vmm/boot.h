/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loading a Linux kernel into guest memory and describing the vCPU state
 * it starts in.  Everything here is pure code over byte buffers and a
 * guest-memory callback: no ioctls, no threads, so the host tests link it.
 *
 * Every function that can fail returns 0 or -1 and then leaves one line
 * in err (what is wrong and what to do), without the program name.
 */
#ifndef VIREO_VMM_BOOT_H
#define VIREO_VMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vireo.h>

#define BOOT_ERR_LEN 256

/* The loaders' view of guest memory. */
struct guest_mem {
	/*
	 * Host address of [gpa, gpa + len) when all of it is RAM in one
	 * piece, else NULL.  len may be 0 (then gpa must still be RAM or
	 * the end of a RAM range).
	 */
	void *(*map)(struct guest_mem *gm, uint64_t gpa, uint64_t len);
	void *opaque;
	uint64_t low_end;	/* RAM is [0, low_end) ... */
	uint64_t high_base;	/* ... and [high_base, high_end) */
	uint64_t high_end;	/* == high_base when there is none */
};

/* The usual layout over one host buffer: low part, then the high part. */
void guest_mem_init_flat(struct guest_mem *gm, uint8_t *host,
			 uint64_t low_size, uint64_t high_base,
			 uint64_t high_size);

/* A parsed bzImage (loader_bzimage.c); points into the image buffer. */
struct bzimage {
	const uint8_t *setup_header;	/* image + 0x1f1 */
	size_t setup_header_len;	/* bytes copied into boot_params */
	uint16_t version;		/* boot protocol, e.g. 0x020f */
	uint16_t xloadflags;
	uint8_t loadflags;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint32_t cmdline_size;		/* longest command line, no NUL */
	uint32_t init_size;		/* memory the kernel needs at load */
	uint64_t pref_address;
	const uint8_t *payload;		/* the protected-mode kernel */
	size_t payload_len;
};

int bzimage_parse(const uint8_t *img, size_t size, struct bzimage *bz,
		  char *err, size_t errlen);
/* Copies the payload to load_addr; 0 or -1 when it does not fit. */
int bzimage_load(const struct bzimage *bz, struct guest_mem *gm,
		 uint64_t load_addr, char *err, size_t errlen);

/* An ELF vmlinux with a PVH entry note (loader_elf.c). */
struct elf_kernel {
	uint32_t pvh_entry;	/* 32-bit physical entry point */
	uint64_t lowest;	/* physical range the segments cover */
	uint64_t highest;	/* one past the last byte */
};

/* True when the buffer starts with the ELF magic. */
bool elf_is_elf(const uint8_t *img, size_t size);
/* Parses and loads in one step; img is not modified. */
int elf_kernel_load(const uint8_t *img, size_t size, struct guest_mem *gm,
		    struct elf_kernel *ek, char *err, size_t errlen);

/* What the guest is started with, apart from the kernel. */
struct boot_config {
	const char *cmdline;
	const uint8_t *initrd;
	size_t initrd_size;
	uint64_t rsdp;		/* 0 when there are no ACPI tables */
};

enum boot_cpu_mode { BOOT_CPU_LONG64, BOOT_CPU_PROT32 };

/* The boot vCPU's starting state; the rest is what reset leaves. */
struct boot_cpu_state {
	enum boot_cpu_mode mode;
	uint64_t rip, rsi, rbx;
	uint64_t cr3;
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

/* Fixed places in low memory the loaders use. */
#define BOOT_GDT_ADDR		0x500ULL
#define BOOT_PVH_INFO_ADDR	0x6000ULL
#define BOOT_PARAMS_ADDR	0x7000ULL
#define BOOT_PML4_ADDR		0x9000ULL	/* then PDPT, 4 PDs */
#define BOOT_CMDLINE_ADDR	0x20000ULL
#define BOOT_CMDLINE_MAX	0x10000ULL
#define BOOT_KERNEL_ADDR	0x100000ULL
#define BOOT_EBDA_ADDR		0x9fc00ULL
#define BOOT_BIOS_ADDR		0xe0000ULL	/* reserved to 1 MiB */

/* The whole boot of a bzImage over the 64-bit entry. */
int boot_bzimage(struct guest_mem *gm, const struct bzimage *bz,
		 const struct boot_config *cfg, struct boot_cpu_state *st,
		 char *err, size_t errlen);
/* PVH: the kernel is loaded already; start info, initrd, registers. */
int boot_pvh(struct guest_mem *gm, const struct elf_kernel *ek,
	     const struct boot_config *cfg, struct boot_cpu_state *st,
	     char *err, size_t errlen);

/* Fill register state from st (on top of what GET_SREGS returned). */
void boot_cpu_regs(const struct boot_cpu_state *st, struct vireo_regs *regs);
void boot_cpu_sregs(const struct boot_cpu_state *st,
		    struct vireo_sregs *sregs);

/* The e820 map of this layout; returns the number of entries. */
struct boot_e820 {
	uint64_t addr, size;
	uint32_t type;
};
#define BOOT_E820_MAX 8
size_t boot_e820_map(const struct guest_mem *gm, struct boot_e820 *map);

#endif /* VIREO_VMM_BOOT_H */
