// SPDX-License-Identifier: GPL-2.0-only
/*
 * The selftest library: see vm.h.  Every failure here is a test failure:
 * it prints what failed and exits the test's process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

#define die(...) do { fprintf(stderr, "# vm library: " __VA_ARGS__); \
		      fprintf(stderr, " (errno %d)\n", errno); exit(1); } while (0)

#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18
#define SEL_TSS 0x20

const char *vm_device(void)
{
	const char *d = getenv("VIREO_DEVICE");

	return d && *d ? d : "/dev/vireo";
}

bool vm_device_is_svm(void)
{
	char line[4096];
	bool svm = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			svm = strstr(line, " svm") != NULL;
			break;
		}
	fclose(f);
	return svm;
}

int vm_open_device(void)
{
	int fd = open(vm_device(), O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("cannot open %s", vm_device());
	return fd;
}

static void add_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		     void *host)
{
	struct vireo_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (ioctl(vm->fd, VIREO_SET_USER_MEMORY_REGION, &r))
		die("SET_USER_MEMORY_REGION slot %u", slot);
}

/* The exception stubs: "mov $vector, %al; out %al, $0xe0; hlt". */
static void write_stubs(struct vm *vm)
{
	int v;

	for (v = 0; v < 64; v++) {
		uint8_t *p = vm_gpa(vm, STUBS_GPA + v * 8);

		p[0] = 0xb0;
		p[1] = v;
		p[2] = 0xe6;
		p[3] = EXCEPTION_PORT;
		p[4] = 0xf4;
	}
}

void vm_create(struct vm *vm, size_t mem_size)
{
	memset(vm, 0, sizeof(*vm));
	vm->dev = vm_open_device();
	vm->fd = ioctl(vm->dev, VIREO_CREATE_VM, 0);
	if (vm->fd < 0)
		die("CREATE_VM");
	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		die("mmap of %zu bytes", mem_size);
	add_slot(vm, 0, 0, LOW_MEM_END, vm->mem);
	add_slot(vm, 1, HIGH_MEM_GPA, mem_size - HIGH_MEM_GPA,
		 vm->mem + HIGH_MEM_GPA);
	vm->vcpu = ioctl(vm->fd, VIREO_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		die("CREATE_VCPU");
	vm->run_size = ioctl(vm->dev, VIREO_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		die("mmap of the run page");
	write_stubs(vm);
}

void vm_destroy(struct vm *vm)
{
	munmap(vm->run, vm->run_size);
	close(vm->vcpu);
	close(vm->fd);
	munmap(vm->mem, vm->mem_size);
	close(vm->dev);
}

uint8_t *vm_gpa(struct vm *vm, uint64_t gpa)
{
	if (gpa >= vm->mem_size)
		die("guest address %#llx outside memory", (unsigned long long)gpa);
	return vm->mem + gpa;
}

static void set_gdt_entry(struct vm *vm, int sel, uint32_t base,
			  uint32_t limit, uint8_t access, uint8_t flags)
{
	uint8_t *e = vm_gpa(vm, GDT_GPA + sel);

	e[0] = limit;
	e[1] = limit >> 8;
	e[2] = base;
	e[3] = base >> 8;
	e[4] = base >> 16;
	e[5] = access;
	e[6] = ((limit >> 16) & 0xf) | (flags << 4);
	e[7] = base >> 24;
}

static void write_idt(struct vm *vm, enum guest_mode mode)
{
	int v;

	for (v = 0; v < 64; v++) {
		uint64_t stub = STUBS_GPA + v * 8;

		if (mode == MODE_REAL) {
			uint16_t *e = (uint16_t *)vm_gpa(vm, v * 4);

			e[0] = v * 8;
			e[1] = STUBS_GPA >> 4;
		} else if (mode == MODE_PROT32) {
			uint16_t *e = (uint16_t *)vm_gpa(vm, IDT_GPA + v * 8);

			e[0] = stub;
			e[1] = SEL_CODE32;
			e[2] = 0x8e00;	/* present 32-bit interrupt gate */
			e[3] = stub >> 16;
		} else {
			uint16_t *e = (uint16_t *)vm_gpa(vm, IDT_GPA + v * 16);

			memset(e, 0, 16);
			e[0] = stub;
			e[1] = SEL_CODE64;
			e[2] = 0x8e00;
			e[3] = stub >> 16;
		}
	}
}

/* Identity map of the first GiB with 2 MiB pages. */
static void write_page_tables(struct vm *vm)
{
	uint64_t *pml4 = (uint64_t *)vm_gpa(vm, PT_GPA);
	uint64_t *pdpt = (uint64_t *)vm_gpa(vm, PT_GPA + 0x1000);
	uint64_t *pd = (uint64_t *)vm_gpa(vm, PT_GPA + 0x2000);
	int i;

	memset(pml4, 0, 3 * 4096);
	pml4[0] = (PT_GPA + 0x1000) | 3;
	pdpt[0] = (PT_GPA + 0x2000) | 3;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
}

static struct vireo_segment segment(uint16_t sel, uint8_t type, bool code64,
				    bool db)
{
	return (struct vireo_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = db, .s = 1, .l = code64, .g = 1,
	};
}

void vm_set_mode(struct vm *vm, enum guest_mode mode)
{
	struct vireo_sregs s;

	if (ioctl(vm->vcpu, VIREO_GET_SREGS, &s))
		die("GET_SREGS");
	vm->mode = mode;
	write_idt(vm, mode);
	if (mode == MODE_REAL) {
		struct vireo_segment rs = {
			.limit = 0xffff, .type = 3, .present = 1, .s = 1,
		};

		s.ds = s.es = s.fs = s.gs = s.ss = rs;
		s.cs = rs;
		s.cs.type = 11;
		s.cs.selector = CODE_GPA >> 4;
		s.cs.base = CODE_GPA;
		s.idt.base = 0;
		s.idt.limit = 0x3ff;
		s.cr0 = 0x10;	/* ET: real mode, no paging */
		s.cr4 = 0;
		s.efer = 0;
	} else {
		set_gdt_entry(vm, SEL_CODE32, 0, 0xfffff, 0x9b, 0xc);
		set_gdt_entry(vm, SEL_DATA, 0, 0xfffff, 0x93, 0xc);
		set_gdt_entry(vm, SEL_CODE64, 0, 0xfffff, 0x9b, 0xa);
		set_gdt_entry(vm, SEL_TSS, 0, 0x67, 0x8b, 0);
		s.gdt.base = GDT_GPA;
		s.gdt.limit = SEL_TSS + 15;
		s.idt.base = IDT_GPA;
		s.idt.limit = (mode == MODE_LONG64 ? 16 : 8) * 64 - 1;
		s.ds = s.es = s.fs = s.gs = s.ss =
			segment(SEL_DATA, 3, false, true);
		if (mode == MODE_PROT32) {
			s.cs = segment(SEL_CODE32, 11, false, true);
			s.cr0 = 0x11 | 0x2;	/* PE, ET, MP */
			s.cr4 = 0x600;		/* OSFXSR, OSXMMEXCPT */
			s.efer = 0;
		} else {
			write_page_tables(vm);
			s.cs = segment(SEL_CODE64, 11, true, false);
			s.cr3 = PT_GPA;
			s.cr4 = 0x20 | 0x600;	/* PAE, OSFXSR, OSXMMEXCPT */
			s.cr0 = 0x80000013;	/* PG, PE, MP, ET */
			s.efer = 0x500;		/* LME, LMA */
		}
	}
	s.tr = (struct vireo_segment){
		.limit = 0x67, .selector = SEL_TSS, .type = 11, .present = 1,
	};
	s.ldt = (struct vireo_segment){ .unusable = 1, .type = 2 };
	if (ioctl(vm->vcpu, VIREO_SET_SREGS, &s))
		die("SET_SREGS");
}

void vm_load(struct vm *vm, const void *code, size_t len)
{
	struct vireo_regs r = { .rflags = 2 };

	memcpy(vm_gpa(vm, CODE_GPA), code, len);
	r.rip = vm->mode == MODE_REAL ? 0 : CODE_GPA;
	r.rsp = STACK_TOP;
	if (ioctl(vm->vcpu, VIREO_SET_REGS, &r))
		die("SET_REGS");
}

int vm_run(struct vm *vm)
{
	return ioctl(vm->vcpu, VIREO_RUN, 0);
}

uint32_t vm_io_value(struct vm *vm)
{
	uint32_t v = 0;

	memcpy(&v, (uint8_t *)vm->run + vm->run->io.data_offset,
	       vm->run->io.size);
	return v;
}

void vm_set_io_value(struct vm *vm, uint32_t value)
{
	memcpy((uint8_t *)vm->run + vm->run->io.data_offset, &value,
	       vm->run->io.size);
}

long meminfo_kib(const char *key)
{
	char line[256], name[64];
	long kib = -1, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %ld kB", name, &v) == 2 &&
		    !strcmp(name, key)) {
			kib = v;
			break;
		}
	fclose(f);
	return kib;
}

long mem_available_kib(void)
{
	return meminfo_kib("MemAvailable");
}

void mem_settle(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		/* Fails unless root; then the caches simply stay. */
		ssize_t n = write(fd, "3", 1);

		(void)n;
		close(fd);
	}
}

int vm_debugfs_count(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/debug/vireo", "/sys/kernel/debug/kvm",
	};
	char prefix[32];
	int n = -1;
	unsigned int i;

	snprintf(prefix, sizeof(prefix), "%d-", (int)getpid());
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		if (!d)
			continue;
		if (n < 0)
			n = 0;
		while ((e = readdir(d)))
			n += !strncmp(e->d_name, prefix, strlen(prefix));
		closedir(d);
	}
	return n;
}
