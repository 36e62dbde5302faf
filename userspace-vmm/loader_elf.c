// SPDX-License-Identifier: GPL-2.0-only
/*
 * An uncompressed ELF vmlinux started at its PVH entry: the kernel's
 * XEN_ELFNOTE_PHYS32_ENTRY note gives a 32-bit physical entry point,
 * and its PT_LOAD segments go to their physical addresses.
 *
 * The file is untrusted: libelf parses the headers, and every offset,
 * size and address taken from them is checked again here before guest
 * memory or the buffer is touched.
 */
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"

#define PVH_NOTE_NAME		"Xen"
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define ELF_MAX_PHDRS		64

bool elf_is_elf(const uint8_t *img, size_t size)
{
	return size >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG);
}

/* Looks for the PVH entry note in one PT_NOTE segment. */
static int elf_find_pvh_note(Elf *elf, const GElf_Phdr *ph, size_t size,
			     uint32_t *entry)
{
	size_t off = 0, name_off, desc_off;
	Elf_Data *data;
	GElf_Nhdr nh;

	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return -1;
	data = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz,
				    ELF_T_NHDR);
	if (!data)
		return 0;
	while (off < data->d_size &&
	       (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *base = data->d_buf;
		uint64_t value = 0;

		if (nh.n_type != XEN_ELFNOTE_PHYS32_ENTRY ||
		    nh.n_namesz != sizeof(PVH_NOTE_NAME) ||
		    memcmp(base + name_off, PVH_NOTE_NAME, nh.n_namesz))
			continue;
		if (nh.n_descsz != 4 && nh.n_descsz != 8)
			return -1;
		/* gelf_getnote checked that the descriptor is in the data. */
		memcpy(&value, base + desc_off, nh.n_descsz);
		if (value > UINT32_MAX)
			return -1;
		*entry = (uint32_t)value;
		return 1;
	}
	return 0;
}

static int elf_load_segment(const uint8_t *img, size_t size,
			    const GElf_Phdr *ph, struct guest_mem *gm,
			    struct elf_kernel *ek, char *err, size_t errlen)
{
	uint8_t *dst;

	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset ||
	    ph->p_filesz > ph->p_memsz) {
		snprintf(err, errlen,
			 "ELF segment at file offset %#llx (%llu bytes) lies outside the %zu-byte file; the vmlinux is truncated or damaged",
			 (unsigned long long)ph->p_offset,
			 (unsigned long long)ph->p_filesz, size);
		return -1;
	}
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr ||
	    !(dst = gm->map(gm, ph->p_paddr, ph->p_memsz))) {
		snprintf(err, errlen,
			 "ELF segment for guest address %#llx-%#llx is not in guest RAM; give more --mem or use a bzImage",
			 (unsigned long long)ph->p_paddr,
			 (unsigned long long)(ph->p_paddr + ph->p_memsz));
		return -1;
	}
	memcpy(dst, img + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	if (ph->p_paddr < ek->lowest)
		ek->lowest = ph->p_paddr;
	if (ph->p_paddr + ph->p_memsz > ek->highest)
		ek->highest = ph->p_paddr + ph->p_memsz;
	return 0;
}

static int elf_check_ident(const uint8_t *img, size_t size, char *err,
			   size_t errlen)
{
	if (!elf_is_elf(img, size) || size < EI_NIDENT) {
		snprintf(err, errlen, "not an ELF file");
		return -1;
	}
	if (img[EI_CLASS] != ELFCLASS64 || img[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errlen,
			 "ELF kernel is not 64-bit little-endian; use an x86-64 vmlinux");
		return -1;
	}
	return 0;
}

int elf_kernel_load(const uint8_t *img, size_t size, struct guest_mem *gm,
		    struct elf_kernel *ek, char *err, size_t errlen)
{
	GElf_Ehdr eh;
	size_t nphdr, i;
	bool have_entry = false, loaded = false;
	Elf *elf;
	int ret = -1;

	memset(ek, 0, sizeof(*ek));
	ek->lowest = UINT64_MAX;
	if (elf_check_ident(img, size, err, errlen))
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf is unusable: %s", elf_errmsg(-1));
		return -1;
	}
	/* libelf reads a native-order image in place without writing it. */
	elf = elf_memory((char *)img, size);
	if (!elf) {
		snprintf(err, errlen, "ELF file cannot be parsed: %s",
			 elf_errmsg(-1));
		return -1;
	}
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    elf_getphdrnum(elf, &nphdr)) {
		snprintf(err, errlen, "ELF headers are damaged: %s",
			 elf_errmsg(-1));
		goto out;
	}
	if (eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC) {
		snprintf(err, errlen,
			 "ELF file is not an x86-64 executable; pass an x86-64 vmlinux");
		goto out;
	}
	if (nphdr == 0 || nphdr > ELF_MAX_PHDRS) {
		snprintf(err, errlen,
			 "ELF file has %zu program headers; a vmlinux has 1 to %d",
			 nphdr, ELF_MAX_PHDRS);
		goto out;
	}

	for (i = 0; i < nphdr && !have_entry; i++) {
		GElf_Phdr ph;
		int r;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		r = elf_find_pvh_note(elf, &ph, size, &ek->pvh_entry);
		if (r < 0) {
			snprintf(err, errlen,
				 "ELF PVH entry note is malformed; the vmlinux is damaged");
			goto out;
		}
		have_entry = r > 0;
	}
	if (!have_entry) {
		snprintf(err, errlen,
			 "ELF kernel has no PVH entry note (build it with CONFIG_PVH=y) or pass a bzImage");
		goto out;
	}

	for (i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			snprintf(err, errlen, "ELF program header %zu is damaged",
				 i);
			goto out;
		}
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (elf_load_segment(img, size, &ph, gm, ek, err, errlen))
			goto out;
		loaded = true;
	}
	if (!loaded) {
		snprintf(err, errlen, "ELF kernel has nothing to load");
		goto out;
	}
	if (ek->pvh_entry < ek->lowest || ek->pvh_entry >= ek->highest) {
		snprintf(err, errlen,
			 "ELF PVH entry %#x is outside the loaded kernel; the vmlinux is damaged",
			 ek->pvh_entry);
		goto out;
	}
	ret = 0;
out:
	elf_end(elf);
	return ret;
}
