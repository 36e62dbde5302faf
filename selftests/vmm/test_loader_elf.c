// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PVH ELF loader and the PVH start info: a synthetic x86-64 vmlinux
 * (one PT_LOAD with a BSS tail, one PT_NOTE with the Xen PHYS32_ENTRY
 * note), then truncated and hostile variants.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "unit.h"

#define GUEST_MEM	(32ULL << 20)
#define LOAD_ADDR	0x1000000ULL
#define TEXT_LEN	4096
#define BSS_LEN		8192
#define ENTRY		(LOAD_ADDR + 0x40)

/* File layout: ehdr, 2 phdrs, the note, then the text at 0x1000. */
#define NOTE_OFF	(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr))
#define NOTE_LEN	(12 + 4 + 8)
#define TEXT_OFF	0x1000
#define FILE_LEN	(TEXT_OFF + TEXT_LEN)

static uint8_t *make_elf(size_t *len, unsigned int desc_size)
{
	uint8_t *f = calloc(1, FILE_LEN);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(*eh));
	uint32_t *note = (uint32_t *)(f + NOTE_OFF);
	uint64_t entry = ENTRY;

	if (!f)
		abort();
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0xffffffff81000000ULL;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;

	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
			      .p_offset = TEXT_OFF,
			      .p_vaddr = 0xffffffff81000000ULL,
			      .p_paddr = LOAD_ADDR, .p_filesz = TEXT_LEN,
			      .p_memsz = TEXT_LEN + BSS_LEN, .p_align = 4096 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFF,
			      .p_filesz = 12 + 4 + desc_size,
			      .p_memsz = 12 + 4 + desc_size, .p_align = 4 };
	note[0] = 4;			/* namesz: "Xen\0" */
	note[1] = desc_size;
	note[2] = 18;			/* XEN_ELFNOTE_PHYS32_ENTRY */
	memcpy(&note[3], "Xen", 4);
	memcpy(&note[4], &entry, desc_size);
	for (size_t i = 0; i < TEXT_LEN; i++)
		f[TEXT_OFF + i] = (uint8_t)(i * 13 + 5);
	*len = FILE_LEN;
	return f;
}

static uint8_t *guest_host;

static int load(const uint8_t *f, size_t len, struct elf_kernel *ek,
		struct guest_mem *gm, char *err)
{
	memset(guest_host, 0xcc, GUEST_MEM);
	guest_mem_init_flat(gm, guest_host, GUEST_MEM, 4ULL << 30, 0);
	err[0] = '\0';
	return elf_kernel_load(f, len, gm, ek, err, BOOT_ERR_LEN);
}

/* Mirrors boot.c's PVH start info, as the guest reads it. */
struct pvh_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist, cmdline, rsdp, memmap;
	uint32_t memmap_entries, reserved;
};

static void test_good_elf(void)
{
	static const uint8_t initrd[3000] = { 1, 2, 3 };
	struct boot_config cfg = { .cmdline = "console=ttyS0",
				   .initrd = initrd, .initrd_size = sizeof(initrd) };
	char err[BOOT_ERR_LEN];
	struct boot_cpu_state st;
	struct vireo_sregs sregs;
	struct elf_kernel ek;
	struct guest_mem gm;
	struct pvh_info *si;
	uint64_t *mod;
	size_t len;
	uint8_t *f = make_elf(&len, 8);
	bool bss_zero = true;

	unit_case(elf_is_elf(f, len), "ELF: the magic is recognised");
	unit_case(load(f, len, &ek, &gm, err) == 0, "ELF: a PVH vmlinux loads (%s)",
		  err);
	unit_case(ek.pvh_entry == ENTRY && ek.lowest == LOAD_ADDR &&
		  ek.highest == LOAD_ADDR + TEXT_LEN + BSS_LEN,
		  "ELF: entry from the 8-byte note, extent of the segment");
	unit_case(!memcmp(guest_host + LOAD_ADDR, f + TEXT_OFF, TEXT_LEN),
		  "ELF: the segment is at its physical address");
	for (size_t i = 0; i < BSS_LEN; i++)
		bss_zero &= guest_host[LOAD_ADDR + TEXT_LEN + i] == 0;
	unit_case(bss_zero, "ELF: memsz past filesz is zeroed");

	unit_case(boot_pvh(&gm, &ek, &cfg, &st, err, sizeof(err)) == 0,
		  "PVH: start info written (%s)", err);
	si = (struct pvh_info *)(guest_host + BOOT_PVH_INFO_ADDR);
	unit_case(si->magic == 0x336ec578 && si->version == 1 &&
		  si->cmdline == BOOT_CMDLINE_ADDR &&
		  !strcmp((char *)guest_host + BOOT_CMDLINE_ADDR, cfg.cmdline),
		  "PVH: magic, version and command line");
	unit_case(si->memmap_entries == 4 && si->nr_modules == 1,
		  "PVH: four memory map entries and the initrd module");
	mod = (uint64_t *)(guest_host + si->modlist);
	unit_case(mod[1] == sizeof(initrd) && mod[0] >= ek.highest &&
		  mod[0] + mod[1] <= GUEST_MEM &&
		  !memcmp(guest_host + mod[0], initrd, sizeof(initrd)),
		  "PVH: the initrd is above the kernel, below the end");
	unit_case(st.mode == BOOT_CPU_PROT32 && st.rip == ENTRY &&
		  st.rbx == BOOT_PVH_INFO_ADDR,
		  "PVH: 32-bit entry with EBX = start info");
	memset(&sregs, 0, sizeof(sregs));
	boot_cpu_sregs(&st, &sregs);
	unit_case(sregs.cs.db && !sregs.cs.l && sregs.cr0 & 1 &&
		  !(sregs.cr0 & 0x80000000) && !sregs.efer,
		  "PVH: flat 32-bit protected mode, no paging");
	free(f);

	f = make_elf(&len, 4);
	unit_case(load(f, len, &ek, &gm, err) == 0 && ek.pvh_entry == ENTRY,
		  "ELF: a 4-byte entry note works too (%s)", err);
	free(f);
}

static void test_truncated(void)
{
	struct elf_kernel ek;
	struct guest_mem gm;
	char err[BOOT_ERR_LEN];
	size_t len, cut;
	uint8_t *f = make_elf(&len, 8);
	bool all = true;

	for (cut = 0; cut < len; cut += (cut < NOTE_OFF + NOTE_LEN ? 1 : 61)) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, f, cut);
		if (load(copy, cut, &ek, &gm, err) == 0 || !err[0]) {
			unit_diag("a %zu-byte prefix loaded", cut);
			all = false;
		}
		free(copy);
	}
	unit_case(all, "ELF: every truncated file is refused with a message");
	free(f);
}

static void hostile(const char *name, void (*mutate)(uint8_t *f))
{
	struct elf_kernel ek;
	struct guest_mem gm;
	char err[BOOT_ERR_LEN];
	size_t len;
	uint8_t *f = make_elf(&len, 8);

	mutate(f);
	unit_case(load(f, len, &ek, &gm, err) != 0 && err[0],
		  "ELF: refused: %s (%s)", name, err);
	free(f);
}

static Elf64_Phdr *phdr(uint8_t *f, int i)
{
	return (Elf64_Phdr *)(f + sizeof(Elf64_Ehdr)) + i;
}

static void m_class32(uint8_t *f) { f[EI_CLASS] = ELFCLASS32; }
static void m_bigendian(uint8_t *f) { f[EI_DATA] = ELFDATA2MSB; }
static void m_machine(uint8_t *f) { ((Elf64_Ehdr *)f)->e_machine = EM_386; }
static void m_phnum(uint8_t *f) { ((Elf64_Ehdr *)f)->e_phnum = 0xffff; }
static void m_phoff(uint8_t *f) { ((Elf64_Ehdr *)f)->e_phoff = 1ULL << 62; }
static void m_no_note(uint8_t *f) { phdr(f, 1)->p_type = PT_NULL; }
static void m_note_type(uint8_t *f) { ((uint32_t *)(f + NOTE_OFF))[2] = 17; }
static void m_note_desc(uint8_t *f) { ((uint32_t *)(f + NOTE_OFF))[1] = 0x7fffffff; }
static void m_note_off(uint8_t *f) { phdr(f, 1)->p_offset = ~0ULL - 8; }
static void m_entry_high(uint8_t *f) { ((uint32_t *)(f + NOTE_OFF))[5] = 1; }
static void m_entry_out(uint8_t *f) { ((uint32_t *)(f + NOTE_OFF))[4] = 0x100; }
static void m_seg_off(uint8_t *f) { phdr(f, 0)->p_offset = FILE_LEN - 16; }
static void m_seg_wrap(uint8_t *f) { phdr(f, 0)->p_offset = ~0ULL - 100; }
static void m_filesz(uint8_t *f) { phdr(f, 0)->p_memsz = 16; }
static void m_paddr(uint8_t *f) { phdr(f, 0)->p_paddr = GUEST_MEM - 4096; }
static void m_paddr_wrap(uint8_t *f) { phdr(f, 0)->p_paddr = ~0ULL - 4096; }
static void m_memsz(uint8_t *f) { phdr(f, 0)->p_memsz = ~0ULL; }
static void m_no_load(uint8_t *f) { phdr(f, 0)->p_type = PT_NULL; }

static void test_hostile(void)
{
	hostile("32-bit class", m_class32);
	hostile("big-endian", m_bigendian);
	hostile("not x86-64", m_machine);
	hostile("65535 program headers", m_phnum);
	hostile("program headers past the end", m_phoff);
	hostile("no PVH note", m_no_note);
	hostile("a Xen note of another type", m_note_type);
	hostile("a note descriptor larger than the file", m_note_desc);
	hostile("a note segment past the end", m_note_off);
	hostile("an entry above 4 GiB", m_entry_high);
	hostile("an entry outside the kernel", m_entry_out);
	hostile("a segment running past the end of the file", m_seg_off);
	hostile("a segment offset that wraps", m_seg_wrap);
	hostile("filesz larger than memsz", m_filesz);
	hostile("a segment past the end of guest memory", m_paddr);
	hostile("a segment address that wraps", m_paddr_wrap);
	hostile("a 16 EiB memsz", m_memsz);
	hostile("nothing to load", m_no_load);
}

void test_loader_elf(void)
{
	guest_host = malloc(GUEST_MEM);
	if (!guest_host)
		abort();
	test_good_elf();
	test_truncated();
	test_hostile();
	free(guest_host);
}
