/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small library for the module's selftests: a VM with one vCPU, guest
 * memory, a guest mode (real, 32-bit protected, 64-bit long) set up from
 * the host, and the tiny guest programs of guest.S.
 *
 * Guest memory (slot 0) covers 0 - 640 KiB and 1 MiB - mem_size; the hole
 * in between holds MMIO_GPA.  The device is $VIREO_DEVICE, /dev/vireo by
 * default: the same tests run against Debian's /dev/kvm as the reference.
 */
#ifndef VIREO_SELFTEST_VM_H
#define VIREO_SELFTEST_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vireo.h>

#define GDT_GPA 0x500
#define IDT_GPA 0x1000
#define PT_GPA 0x2000		/* PML4; PDPT and PD follow */
#define STUBS_GPA 0x6000	/* exception stubs, 8 bytes each */
#define DATA_GPA 0x9000
#define DATA2_GPA 0x9800
#define STACK_TOP 0x8000
#define CODE_GPA 0x10000
#define MMIO_GPA 0xc0000
#define LOW_MEM_END 0xa0000
#define HIGH_MEM_GPA 0x100000

/* Offsets in the standard XSAVE image. */
#define XSAVE_MXCSR 24
#define XSAVE_XMM0 160
#define XSAVE_XSTATE_BV 512

/* Port on which the exception stubs report their vector. */
#define EXCEPTION_PORT 0xe0

enum guest_mode { MODE_REAL, MODE_PROT32, MODE_LONG64 };

struct vm {
	int dev, fd, vcpu;
	struct vireo_run *run;
	size_t run_size;
	uint8_t *mem;
	size_t mem_size;
	enum guest_mode mode;
};

#define SNIPPET(name) \
	extern const uint8_t name##_start[], name##_end[]
#define SNIPPET_LEN(name) ((size_t)(name##_end - name##_start))

const char *vm_device(void);
bool vm_device_is_svm(void);
int vm_open_device(void);
/* Creates VM, memory, one vCPU and its run page; exits the test on error. */
void vm_create(struct vm *vm, size_t mem_size);
void vm_destroy(struct vm *vm);
void vm_set_mode(struct vm *vm, enum guest_mode mode);
/* Copies code to CODE_GPA and points RIP (or CS:IP) at it. */
void vm_load(struct vm *vm, const void *code, size_t len);
int vm_run(struct vm *vm);
uint8_t *vm_gpa(struct vm *vm, uint64_t gpa);
uint32_t vm_io_value(struct vm *vm);
void vm_set_io_value(struct vm *vm, uint32_t value);
/* A /proc/meminfo field in KiB ("MemFree"), or -1. */
long meminfo_kib(const char *key);
long mem_available_kib(void);
/* Syncs and drops the page cache (when root) before a measurement. */
void mem_settle(void);
/*
 * How many VMs of this process are alive, from the per-VM debugfs
 * directories ("<pid>-<fd>") of vireo and KVM; -1 without debugfs.
 */
int vm_debugfs_count(void);

#endif /* VIREO_SELFTEST_VM_H */
