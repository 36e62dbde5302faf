/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The machine: the hypervisor device and its VM, guest memory, the vCPU
 * threads, the event loop and the devices, tied together by one lock.
 */
#ifndef VIREO_VMM_VM_H
#define VIREO_VMM_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "bus.h"
#include "vmm.h"

/* Exit statuses of the monitor (Documentation/monitor.md). */
enum {
	VIREO_STATUS_OK = 0,		/* poweroff or reboot */
	VIREO_STATUS_GUEST_ERROR = 1,	/* triple fault, internal error */
	VIREO_STATUS_USAGE = 2,		/* bad option, file, memory */
};

/* Guest physical layout: RAM below 3 GiB, the hole, the rest above 4 GiB. */
#define VM_LOW_MEM_MAX	 (3ULL << 30)
#define VM_HIGH_MEM_BASE (4ULL << 30)

/* The signal that kicks a vCPU thread out of VIREO_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

struct machine;

struct vcpu {
	struct machine *m;
	int id;
	int fd;
	struct vireo_run *run;
	pthread_t thread;
	bool started;
	bool in_run;		/* between unlock and VIREO_RUN's return */
};

/* At most this many virtio PCI functions: each has its own PIC line. */
#define VM_MAX_VIRTIO	8

struct machine_disk {
	const char *path;
	bool read_only;
};

struct machine_nic {
	const char *tap;		/* TAP device name */
	uint8_t mac[6];
};

enum machine_console { CONSOLE_SERIAL, CONSOLE_VIRTIO };

/* The paravirtual devices (virtio-devices/) the command line asks for. */
struct machine_virtio_config {
	struct machine_disk disks[VM_MAX_VIRTIO];
	int nr_disks;
	struct machine_nic nics[VM_MAX_VIRTIO];
	int nr_nics;
	bool rng;
	enum machine_console console;
	bool packed;			/* offer packed rings too */
};

struct machine_config {
	const char *device;		/* /dev/vireo or /dev/kvm */
	uint64_t mem_size;
	int cpus;
	struct machine_virtio_config virtio;
};

struct machine {
	struct machine_config cfg;
	int dev_fd, vm_fd;
	size_t run_size;
	bool has_ioeventfd;		/* KVM_CAP_IOEVENTFD */

	uint8_t *mem;
	uint64_t mem_size;
	uint64_t low_size, high_size;
	struct guest_mem gm;

	struct bus bus;
	struct vmm_ctx ctx;
	struct event_loop *loop;

	/* The machine lock (vmm.h) and what waits on it. */
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* kick: an interrupt or a stop */
	bool stopping;
	enum vmm_stop_reason why;
	int status;
	char stop_msg[256];

	int nr_vcpus;
	struct vcpu *vcpus;

	/* Device state owned by machine_create_devices(). */
	void *devices;
	/*
	 * The CPU side of the interrupt controller, with the lock held:
	 * is an interrupt waiting, and the acknowledge that returns its
	 * vector.  Set by machine_create_devices().
	 */
	bool (*intr_pending)(struct machine *m);
	int (*intr_ack)(struct machine *m);
	uint64_t rsdp;			/* ACPI root pointer, 0 if none */

	struct vireo_cpuid2 *cpuid;	/* what the host supports */
};

/* vm.c */
int machine_open(struct machine *m, const struct machine_config *cfg,
		 char *err, size_t errlen);
int machine_boot_cpu(struct machine *m, const struct boot_cpu_state *st,
		     char *err, size_t errlen);
int machine_run(struct machine *m);
void machine_close(struct machine *m);
/* With the lock held: ends the VM with a status and an optional message. */
void machine_stop_locked(struct machine *m, enum vmm_stop_reason why,
			 int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* machine_devices.c: the one place device constructors are called. */
int machine_create_devices(struct machine *m, char *err, size_t errlen);
void machine_destroy_devices(struct machine *m);
void machine_report_devices(struct machine *m);

/* vcpu.c */
int vcpu_init(struct machine *m, struct vcpu *v, int id, char *err,
	      size_t errlen);
int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpu_signals_init(void);

/* event.c */
struct event_loop *event_loop_create(pthread_mutex_t *lock);
int event_loop_start(struct event_loop *loop);
void event_loop_stop(struct event_loop *loop);
void event_loop_destroy(struct event_loop *loop);

/* term.c */
void term_raw(int fd);
void term_restore(void);

#endif /* VIREO_VMM_VM_H */
