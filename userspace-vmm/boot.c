// SPDX-License-Identifier: GPL-2.0-only
/*
 * Starting Linux: the zero page (boot_params) of the x86 boot protocol
 * with the 64-bit entry, or the PVH start info with the 32-bit entry;
 * the e820 map, command line and initrd both share; and the page tables
 * and GDT the first instruction runs on.  Pure code: it only writes guest
 * memory through struct guest_mem and fills register structs.
 */
#include <asm/bootparam.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"

#define E820_RAM	1
#define E820_RESERVED	2

#define PAGE_SIZE	4096ULL
#define PTE_PRESENT	(1ULL << 0)
#define PTE_WRITE	(1ULL << 1)
#define PTE_LARGE	(1ULL << 7)

#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/* The boot GDT: null, 32-bit code, 64-bit code, flat data. */
#define GDT_CODE32_SEL	0x08
#define GDT_CODE64_SEL	0x10	/* __BOOT_CS of the 64-bit boot protocol */
#define GDT_DATA_SEL	0x18	/* __BOOT_DS */
static const uint64_t boot_gdt[] = {
	0,
	0x00cf9b000000ffffULL,
	0x00af9b000000ffffULL,
	0x00cf93000000ffffULL,
};

/* The 64-bit entry point is this far into the protected-mode kernel. */
#define BZIMAGE_ENTRY64_OFFSET	0x200
#define LOADER_TYPE_UNDEFINED	0xff
#define DEFAULT_INITRD_ADDR_MAX	0x37ffffffULL

/* The PVH start info (version 1) and what it points to. */
#define PVH_START_MAGIC		0x336ec578U
struct pvh_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct pvh_module {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct pvh_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};
_Static_assert(sizeof(struct pvh_start_info) == 56, "PVH start info");
_Static_assert(sizeof(struct pvh_module) == 32, "PVH module entry");
_Static_assert(sizeof(struct pvh_memmap_entry) == 24, "PVH memmap entry");
#define PVH_MODLIST_ADDR	(BOOT_PVH_INFO_ADDR + 64)
#define PVH_MEMMAP_ADDR		(BOOT_PVH_INFO_ADDR + 128)

static void *flat_map(struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint8_t *host = gm->opaque;

	if (gpa <= gm->low_end && len <= gm->low_end - gpa)
		return host + gpa;
	if (gpa >= gm->high_base && gpa <= gm->high_end &&
	    len <= gm->high_end - gpa)
		return host + gm->low_end + (gpa - gm->high_base);
	return NULL;
}

void guest_mem_init_flat(struct guest_mem *gm, uint8_t *host,
			 uint64_t low_size, uint64_t high_base,
			 uint64_t high_size)
{
	gm->map = flat_map;
	gm->opaque = host;
	gm->low_end = low_size;
	gm->high_base = high_base;
	gm->high_end = high_base + high_size;
}

size_t boot_e820_map(const struct guest_mem *gm, struct boot_e820 *map)
{
	size_t n = 0;

	map[n++] = (struct boot_e820){ 0, BOOT_EBDA_ADDR, E820_RAM };
	map[n++] = (struct boot_e820){ BOOT_EBDA_ADDR, 0xa0000 - BOOT_EBDA_ADDR,
				       E820_RESERVED };
	map[n++] = (struct boot_e820){ BOOT_BIOS_ADDR,
				       BOOT_KERNEL_ADDR - BOOT_BIOS_ADDR,
				       E820_RESERVED };
	map[n++] = (struct boot_e820){ BOOT_KERNEL_ADDR,
				       gm->low_end - BOOT_KERNEL_ADDR, E820_RAM };
	if (gm->high_end > gm->high_base)
		map[n++] = (struct boot_e820){ gm->high_base,
					       gm->high_end - gm->high_base,
					       E820_RAM };
	return n;
}

/* The identity map of the first 4 GiB with 2 MiB pages, and the GDT. */
static int boot_write_tables(struct guest_mem *gm, char *err, size_t errlen)
{
	uint64_t *pml4 = gm->map(gm, BOOT_PML4_ADDR, 6 * PAGE_SIZE);
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
	void *gdt = gm->map(gm, BOOT_GDT_ADDR, sizeof(boot_gdt));

	if (!pml4 || !gdt) {
		snprintf(err, errlen, "guest memory too small for the boot tables; give more --mem");
		return -1;
	}
	memset(pml4, 0, 6 * PAGE_SIZE);
	pml4[0] = (BOOT_PML4_ADDR + PAGE_SIZE) | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PML4_ADDR + (2 + i) * PAGE_SIZE) | PTE_PRESENT |
			  PTE_WRITE;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
	memcpy(gdt, boot_gdt, sizeof(boot_gdt));
	return 0;
}

static int boot_write_cmdline(struct guest_mem *gm, const char *cmdline,
			      uint64_t max_len, char *err, size_t errlen)
{
	size_t len = strlen(cmdline ? cmdline : "");
	char *dst;

	if (max_len > BOOT_CMDLINE_MAX - 1)
		max_len = BOOT_CMDLINE_MAX - 1;
	if (len > max_len) {
		snprintf(err, errlen,
			 "--cmdline is %zu bytes, the kernel takes at most %llu; shorten it",
			 len, (unsigned long long)max_len);
		return -1;
	}
	dst = gm->map(gm, BOOT_CMDLINE_ADDR, len + 1);
	if (!dst) {
		snprintf(err, errlen, "guest memory too small for the command line; give more --mem");
		return -1;
	}
	memcpy(dst, cmdline ? cmdline : "", len);
	dst[len] = '\0';
	return 0;
}

/*
 * The initrd goes as high as possible below limit (exclusive) and the end
 * of low RAM, page-aligned, but not below floor.
 */
static int boot_place_initrd(struct guest_mem *gm, const struct boot_config *cfg,
			     uint64_t floor, uint64_t limit, uint64_t *addr,
			     char *err, size_t errlen)
{
	uint64_t top = limit < gm->low_end ? limit : gm->low_end;
	uint8_t *dst;

	*addr = 0;
	if (!cfg->initrd_size)
		return 0;
	if (cfg->initrd_size > top || ((top - cfg->initrd_size) & ~(PAGE_SIZE - 1)) < floor) {
		snprintf(err, errlen,
			 "the initrd (%zu MiB) does not fit in guest memory below %llu MiB next to the kernel; give more --mem",
			 cfg->initrd_size >> 20, (unsigned long long)(top >> 20));
		return -1;
	}
	*addr = (top - cfg->initrd_size) & ~(PAGE_SIZE - 1);
	dst = gm->map(gm, *addr, cfg->initrd_size);
	if (!dst) {
		snprintf(err, errlen, "initrd placement failed; give more --mem");
		return -1;
	}
	memcpy(dst, cfg->initrd, cfg->initrd_size);
	return 0;
}

int boot_bzimage(struct guest_mem *gm, const struct bzimage *bz,
		 const struct boot_config *cfg, struct boot_cpu_state *st,
		 char *err, size_t errlen)
{
	struct boot_e820 map[BOOT_E820_MAX];
	uint64_t run_addr, initrd_addr, initrd_max;
	struct boot_params *bp;
	size_t n;

	if (gm->low_end < 2 * BOOT_KERNEL_ADDR) {
		snprintf(err, errlen, "guest memory is too small to boot Linux; give more --mem");
		return -1;
	}
	bp = gm->map(gm, BOOT_PARAMS_ADDR, sizeof(*bp));
	if (!bp || boot_write_tables(gm, err, errlen))
		return -1;
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, bz->setup_header, bz->setup_header_len);
	bp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.vid_mode = 0xffff;

	if (boot_write_cmdline(gm, cfg->cmdline, bz->cmdline_size, err, errlen))
		return -1;
	bp->hdr.cmd_line_ptr = (uint32_t)BOOT_CMDLINE_ADDR;

	if (bzimage_load(bz, gm, BOOT_KERNEL_ADDR, err, errlen))
		return -1;

	run_addr = BOOT_KERNEL_ADDR;
	if (bz->pref_address > run_addr)
		run_addr = bz->pref_address;
	initrd_max = bz->initrd_addr_max ? bz->initrd_addr_max :
					   DEFAULT_INITRD_ADDR_MAX;
	if (bz->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G)
		initrd_max = UINT32_MAX;
	if (boot_place_initrd(gm, cfg, run_addr + bz->init_size, initrd_max + 1,
			      &initrd_addr, err, errlen))
		return -1;
	bp->hdr.ramdisk_image = (uint32_t)initrd_addr;
	bp->hdr.ramdisk_size = (uint32_t)cfg->initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(initrd_addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)((uint64_t)cfg->initrd_size >> 32);
	bp->acpi_rsdp_addr = cfg->rsdp;

	n = boot_e820_map(gm, map);
	for (size_t i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;

	memset(st, 0, sizeof(*st));
	st->mode = BOOT_CPU_LONG64;
	st->rip = BOOT_KERNEL_ADDR + BZIMAGE_ENTRY64_OFFSET;
	st->rsi = BOOT_PARAMS_ADDR;
	st->cr3 = BOOT_PML4_ADDR;
	st->gdt_base = BOOT_GDT_ADDR;
	st->gdt_limit = sizeof(boot_gdt) - 1;
	return 0;
}

int boot_pvh(struct guest_mem *gm, const struct elf_kernel *ek,
	     const struct boot_config *cfg, struct boot_cpu_state *st,
	     char *err, size_t errlen)
{
	struct boot_e820 map[BOOT_E820_MAX];
	struct pvh_memmap_entry *mm;
	struct pvh_start_info *si;
	struct pvh_module *mod;
	uint64_t initrd_addr;
	size_t n;

	n = boot_e820_map(gm, map);
	si = gm->map(gm, BOOT_PVH_INFO_ADDR, sizeof(*si));
	mod = gm->map(gm, PVH_MODLIST_ADDR, sizeof(*mod));
	mm = gm->map(gm, PVH_MEMMAP_ADDR, n * sizeof(*mm));
	if (!si || !mod || !mm || boot_write_tables(gm, err, errlen))
		return -1;
	if (ek->lowest < BOOT_KERNEL_ADDR) {
		snprintf(err, errlen,
			 "the ELF kernel loads at %#llx, over the boot data; link it at 1 MiB or above",
			 (unsigned long long)ek->lowest);
		return -1;
	}
	if (boot_write_cmdline(gm, cfg->cmdline, BOOT_CMDLINE_MAX - 1, err, errlen))
		return -1;
	if (boot_place_initrd(gm, cfg, ek->highest, UINT32_MAX, &initrd_addr,
			      err, errlen))
		return -1;

	memset(si, 0, sizeof(*si));
	si->magic = PVH_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = BOOT_CMDLINE_ADDR;
	si->rsdp_paddr = cfg->rsdp;
	si->memmap_paddr = PVH_MEMMAP_ADDR;
	si->memmap_entries = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		mm[i] = (struct pvh_memmap_entry){ map[i].addr, map[i].size,
						   map[i].type, 0 };
	if (cfg->initrd_size) {
		*mod = (struct pvh_module){ initrd_addr, cfg->initrd_size, 0, 0 };
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST_ADDR;
	}

	memset(st, 0, sizeof(*st));
	st->mode = BOOT_CPU_PROT32;
	st->rip = ek->pvh_entry;
	st->rbx = BOOT_PVH_INFO_ADDR;
	st->gdt_base = BOOT_GDT_ADDR;
	st->gdt_limit = sizeof(boot_gdt) - 1;
	return 0;
}

void boot_cpu_regs(const struct boot_cpu_state *st, struct vireo_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	regs->rflags = 2;
	regs->rip = st->rip;
	regs->rsi = st->rsi;
	regs->rbx = st->rbx;
}

static void flat_segment(struct vireo_segment *s, uint16_t sel, uint8_t type,
			 bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

void boot_cpu_sregs(const struct boot_cpu_state *st, struct vireo_sregs *sregs)
{
	bool lm = st->mode == BOOT_CPU_LONG64;

	flat_segment(&sregs->cs, lm ? GDT_CODE64_SEL : GDT_CODE32_SEL, 0xb, lm);
	flat_segment(&sregs->ds, GDT_DATA_SEL, 0x3, false);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	/* A busy TSS, as the entry checks of VT-x want. */
	sregs->tr.type = 0xb;
	sregs->tr.present = 1;
	sregs->tr.s = 0;
	sregs->tr.unusable = 0;
	sregs->gdt.base = st->gdt_base;
	sregs->gdt.limit = st->gdt_limit;
	sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | (lm ? CR0_PG : 0);
	sregs->cr3 = lm ? st->cr3 : 0;
	sregs->cr4 = lm ? CR4_PAE : 0;
	sregs->efer = lm ? EFER_LME | EFER_LMA : 0;
}
