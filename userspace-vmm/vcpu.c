// SPDX-License-Identifier: GPL-2.0-only
/*
 * One thread per vCPU: enter the guest with VIREO_RUN and handle each
 * exit.  Port and MMIO accesses go to the bus with the machine lock held;
 * interrupts come from the PIC and are injected when the guest can take
 * them, else an interrupt window is requested.  Another thread that makes
 * an interrupt deliverable (or stops the machine) kicks the vCPU with a
 * signal whose handler sets immediate_exit, so a kick that lands just
 * before VIREO_RUN is not lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm.h"

#define CPUID_1_ECX_VMX		(1U << 5)
#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_EDX_APIC	(1U << 9)
#define CPUID_1_EDX_HTT		(1U << 28)
#define CPUID_80000001_ECX_SVM	(1U << 2)
#define CPUID_80000001_ECX_X2AVIC (1U << 18)

#define APIC_BASE_ADDR		0xfee00000ULL
#define APIC_BASE_BSP		(1ULL << 8)

static __thread struct vireo_run *vcpu_tls_run;

static void vcpu_kick_handler(int sig)
{
	(void)sig;
	if (vcpu_tls_run)
		__atomic_store_n(&vcpu_tls_run->immediate_exit, 1,
				 __ATOMIC_RELAXED);
}

void vcpu_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: VIREO_RUN must come back with EINTR. */
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

/*
 * With the machine lock held.  A vCPU outside VIREO_RUN holds the lock or
 * sleeps on m->wake, and looks at the PIC before it enters again; only
 * one that is (about to be) in the guest needs the signal.
 */
void vcpu_kick(struct vcpu *v)
{
	if (v->started && v->in_run)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

/*
 * The guest's CPUID: what the hypervisor supports, minus what this
 * machine does not emulate.  There is no local APIC (interrupts come from
 * the i8259), no nested virtualization and no paravirtual leaves, and
 * there is one thread per core.
 */
static bool vcpu_cpuid_keep(const struct vireo_cpuid_entry2 *e)
{
	if (e->function >= 0x40000000 && e->function <= 0x4fffffff)
		return false;	/* hypervisor leaves (KVM's PV features) */
	switch (e->function) {
	case 0xb:		/* x2APIC topology */
	case 0x1f:
	case 0x8000000a:	/* SVM features */
		return false;
	}
	return true;
}

static int vcpu_set_cpuid(struct machine *m, struct vcpu *v, char *err,
			  size_t errlen)
{
	const struct vireo_cpuid2 *host = m->cpuid;
	struct vireo_cpuid2 *c;
	uint32_t n = 0;
	int r;

	c = calloc(1, sizeof(*c) + host->nent * sizeof(c->entries[0]));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < host->nent; i++) {
		struct vireo_cpuid_entry2 e = host->entries[i];

		if (!vcpu_cpuid_keep(&e))
			continue;
		if (e.function == 1) {
			e.ecx &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_X2APIC |
				   CPUID_1_ECX_TSC_DEADLINE);
			e.edx &= ~(CPUID_1_EDX_APIC | CPUID_1_EDX_HTT);
			/* Initial APIC id and logical CPU count. */
			e.ebx = (e.ebx & 0x0000ffff) | (uint32_t)v->id << 24;
		} else if (e.function == 0x80000001) {
			e.ecx &= ~(CPUID_80000001_ECX_SVM |
				   CPUID_80000001_ECX_X2AVIC);
		}
		c->entries[n++] = e;
	}
	c->nent = n;
	r = ioctl(v->fd, VIREO_SET_CPUID2, c);
	free(c);
	if (r) {
		snprintf(err, errlen, "%s refused the guest CPUID table: %s",
			 m->cfg.device, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * There is no local APIC: leave it disabled in IA32_APIC_BASE too (KVM
 * derives CPUID.1:EDX.APIC from the enable bit).
 */
static int vcpu_disable_apic(struct vcpu *v, char *err, size_t errlen)
{
	struct vireo_sregs sregs;

	if (ioctl(v->fd, VIREO_GET_SREGS, &sregs) == 0) {
		sregs.apic_base = APIC_BASE_ADDR | (v->id ? 0 : APIC_BASE_BSP);
		if (ioctl(v->fd, VIREO_SET_SREGS, &sregs) == 0)
			return 0;
	}
	snprintf(err, errlen, "cannot disable vCPU %d's local APIC: %s", v->id,
		 strerror(errno));
	return -1;
}

int vcpu_init(struct machine *m, struct vcpu *v, int id, char *err,
	      size_t errlen)
{
	struct vireo_fpu fpu;

	v->m = m;
	v->id = id;
	v->fd = ioctl(m->vm_fd, VIREO_CREATE_VCPU, id);
	if (v->fd < 0) {
		snprintf(err, errlen, "cannot create vCPU %d: %s", id,
			 strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, m->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		snprintf(err, errlen, "cannot map vCPU %d's run page: %s", id,
			 strerror(errno));
		return -1;
	}
	if (vcpu_set_cpuid(m, v, err, errlen) || vcpu_disable_apic(v, err, errlen))
		return -1;
	/* The FPU as after FNINIT, SSE exceptions masked. */
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	ioctl(v->fd, VIREO_SET_FPU, &fpu);
	return 0;
}

static bool vcpu_intr_pending(struct machine *m)
{
	return m->intr_pending && m->intr_pending(m);
}

/* With the lock held, before entering: inject or ask for a window. */
static void vcpu_prepare_interrupt(struct vcpu *v)
{
	struct machine *m = v->m;
	struct vireo_run *run = v->run;

	run->request_interrupt_window = 0;
	if (!vcpu_intr_pending(m))
		return;
	if (run->ready_for_interrupt_injection) {
		struct vireo_interrupt irq = { .irq = (uint32_t)m->intr_ack(m) };

		if (ioctl(v->fd, VIREO_INTERRUPT, &irq) == 0) {
			/* Another may be waiting behind it. */
			run->request_interrupt_window = vcpu_intr_pending(m);
			return;
		}
	}
	run->request_interrupt_window = 1;
}

static uint64_t vcpu_rip(struct vcpu *v)
{
	struct vireo_regs regs;

	if (ioctl(v->fd, VIREO_GET_REGS, &regs))
		return 0;
	return regs.rip;
}

static void vcpu_io(struct vcpu *v)
{
	struct vireo_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == VIREO_EXIT_IO_OUT;
	unsigned int size = run->io.size;

	if (run->io.data_offset + (uint64_t)run->io.count * size >
	    v->m->run_size || size == 0 || size > 4)
		return;
	for (uint32_t i = 0; i < run->io.count; i++, data += size)
		bus_access(&v->m->bus, BUS_PIO, run->io.port, data, size,
			   is_write);
}

static void vcpu_mmio(struct vcpu *v)
{
	struct vireo_run *run = v->run;
	unsigned int len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	bus_access(&v->m->bus, BUS_MMIO, run->mmio.phys_addr, run->mmio.data,
		   len, run->mmio.is_write);
}

/* HLT: sleep until an interrupt can be taken or the machine stops. */
static void vcpu_halt(struct vcpu *v)
{
	struct machine *m = v->m;

	/*
	 * With interrupts off and nothing to send an NMI, a lone vCPU
	 * never wakes again: that is how Linux halts without ACPI.
	 */
	if (!v->run->if_flag && m->nr_vcpus == 1) {
		machine_stop_locked(m, VMM_STOP_POWEROFF, VIREO_STATUS_OK,
				    "the guest halted with interrupts disabled (it has no ACPI power-off?)");
		return;
	}

	while (!m->stopping && !(v->run->if_flag && vcpu_intr_pending(m)))
		pthread_cond_wait(&m->wake, &m->lock);
}

static void vcpu_fatal(struct vcpu *v, const char *what)
{
	uint64_t rip = vcpu_rip(v);

	machine_stop_locked(v->m, VMM_STOP_ERROR, VIREO_STATUS_GUEST_ERROR,
			    "vCPU %d stopped: %s, guest RIP %#llx", v->id,
			    what, (unsigned long long)rip);
}

/* Handles one exit with the lock held; false ends the thread. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct vireo_run *run = v->run;
	char what[160];

	switch (run->exit_reason) {
	case VIREO_EXIT_IO:
		vcpu_io(v);
		return true;
	case VIREO_EXIT_MMIO:
		vcpu_mmio(v);
		return true;
	case VIREO_EXIT_HLT:
		vcpu_halt(v);
		return true;
	case VIREO_EXIT_IRQ_WINDOW_OPEN:
	case VIREO_EXIT_INTR:
		return true;
	case VIREO_EXIT_SHUTDOWN:
		vcpu_fatal(v, "triple fault (SHUTDOWN exit)");
		return false;
	case VIREO_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what),
			 "the hardware refused to enter the guest (FAIL_ENTRY exit, reason %#llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_fatal(v, what);
		return false;
	case VIREO_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what),
			 "INTERNAL_ERROR exit, suberror %u, data %#llx %#llx",
			 run->internal.suberror,
			 (unsigned long long)(run->internal.ndata > 0 ? run->internal.data[0] : 0),
			 (unsigned long long)(run->internal.ndata > 1 ? run->internal.data[1] : 0));
		vcpu_fatal(v, what);
		return false;
	case VIREO_EXIT_SYSTEM_EVENT:
		/* KVM's PSCI-style events: 1 shutdown, 2 reset. */
		if (run->system_event.type == 1 || run->system_event.type == 2) {
			machine_stop_locked(v->m, run->system_event.type == 1 ?
					    VMM_STOP_POWEROFF : VMM_STOP_RESET,
					    VIREO_STATUS_OK, NULL);
			return false;
		}
		/* fall through */
	default:
		snprintf(what, sizeof(what), "unexpected exit %u",
			 run->exit_reason);
		vcpu_fatal(v, what);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct machine *m = v->m;
	sigset_t kick;

	vcpu_tls_run = v->run;
	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	pthread_mutex_lock(&m->lock);
	for (;;) {
		int r, e;

		if (m->stopping)
			break;
		vcpu_prepare_interrupt(v);
		v->in_run = true;
		pthread_mutex_unlock(&m->lock);

		r = ioctl(v->fd, VIREO_RUN, 0);
		e = errno;

		pthread_mutex_lock(&m->lock);
		v->in_run = false;
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
		if (r < 0) {
			if (e == EINTR || e == EAGAIN)
				continue;
			machine_stop_locked(m, VMM_STOP_ERROR,
					    VIREO_STATUS_GUEST_ERROR,
					    "vCPU %d: VIREO_RUN failed: %s, guest RIP %#llx",
					    v->id, strerror(e),
					    (unsigned long long)vcpu_rip(v));
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	/* The thread unblocks the kick signal itself. */
	if (vmm_thread_start(&v->thread, vcpu_thread, v))
		return -1;
	v->started = true;
	return 0;
}
