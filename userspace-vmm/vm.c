// SPDX-License-Identifier: GPL-2.0-only
/*
 * The machine: opens the hypervisor device (/dev/vireo, or /dev/kvm with
 * the same ABI), creates the VM, its memory and vCPUs, hands the devices
 * their context, runs the vCPU threads and the event loop, and stops it
 * all when the guest powers off, resets or breaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "ioeventfd.h"
#include "vm.h"

#define VM_TSS_ADDR	0xfffbd000ULL	/* three pages in the hole, for VT-x */
#define MiB(x)		((unsigned long long)(x) >> 20)

void machine_stop_locked(struct machine *m, enum vmm_stop_reason why,
			 int status, const char *fmt, ...)
{
	va_list ap;

	if (m->stopping)
		return;
	m->stopping = true;
	m->why = why;
	m->status = status;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(m->stop_msg, sizeof(m->stop_msg), fmt, ap);
		va_end(ap);
	}
	pthread_cond_broadcast(&m->wake);
	for (int i = 0; i < m->nr_vcpus; i++)
		vcpu_kick(&m->vcpus[i]);
}

static void machine_ctx_stop(struct vmm_ctx *ctx, enum vmm_stop_reason why,
			     const char *how)
{
	struct machine *m = ctx->owner;

	if (!how)
		how = "a device";
	if (why == VMM_STOP_ERROR)
		machine_stop_locked(m, why, VIREO_STATUS_GUEST_ERROR,
				    "a device model stopped the machine on an error (%s)",
				    how);
	else if (why == VMM_STOP_RESET)
		machine_stop_locked(m, why, VIREO_STATUS_OK,
				    "the guest reset the machine through %s; a reboot ends the monitor",
				    how);
	else
		machine_stop_locked(m, why, VIREO_STATUS_OK,
				    "the guest powered off through %s", how);
}

static void machine_ctx_kick(struct vmm_ctx *ctx)
{
	struct machine *m = ctx->owner;

	pthread_cond_broadcast(&m->wake);
	for (int i = 0; i < m->nr_vcpus; i++)
		vcpu_kick(&m->vcpus[i]);
}

static int machine_ctx_ioeventfd(struct vmm_ctx *ctx, uint64_t addr,
				 unsigned int len, int fd, bool assign)
{
	struct machine *m = ctx->owner;

	if (!m->has_ioeventfd)
		return -EOPNOTSUPP;
	return vm_ioeventfd(m->vm_fd, addr, len, fd, assign);
}

static int machine_open_device(struct machine *m, char *err, size_t errlen)
{
	const char *dev = m->cfg.device;
	int version;

	m->dev_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (m->dev_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			snprintf(err, errlen,
				 "%s does not exist; load the module (insmod vireo.ko) or pick another with --device",
				 dev);
		else if (e == EACCES || e == EPERM)
			snprintf(err, errlen,
				 "no permission to open %s; run as root or get access to the device",
				 dev);
		else
			snprintf(err, errlen, "cannot open %s: %s", dev,
				 strerror(e));
		return -1;
	}
	version = ioctl(m->dev_fd, VIREO_GET_API_VERSION, 0);
	if (version < 0) {
		snprintf(err, errlen,
			 "%s is not a hypervisor device (%s); pass /dev/vireo or /dev/kvm to --device",
			 dev, strerror(errno));
		return -1;
	}
	if (version != VIREO_API_VERSION) {
		snprintf(err, errlen,
			 "%s speaks API version %d, this monitor needs %d; use a matching module or --device",
			 dev, version, VIREO_API_VERSION);
		return -1;
	}
	do {
		m->vm_fd = ioctl(m->dev_fd, VIREO_CREATE_VM, 0);
	} while (m->vm_fd < 0 && errno == EINTR);
	if (m->vm_fd < 0) {
		if (errno == EBUSY)
			snprintf(err, errlen,
				 "cannot create a VM on %s: another hypervisor owns the CPU's virtualization; unload it or use its device",
				 dev);
		else
			snprintf(err, errlen, "cannot create a VM on %s: %s",
				 dev, strerror(errno));
		return -1;
	}
	ioctl(m->vm_fd, VIREO_SET_TSS_ADDR, VM_TSS_ADDR);
	/* VIREO_NO_IOEVENTFD=1 forces the notify writes through the bus. */
	m->has_ioeventfd = vm_has_ioeventfd(m->vm_fd) &&
			   !getenv("VIREO_NO_IOEVENTFD");
	m->run_size = (size_t)ioctl(m->dev_fd, VIREO_GET_VCPU_MMAP_SIZE, 0);
	if ((long)m->run_size < (long)sizeof(struct vireo_run)) {
		snprintf(err, errlen, "%s gives a bad vCPU mapping size", dev);
		return -1;
	}
	return 0;
}

static int machine_set_slot(struct machine *m, uint32_t slot, uint64_t gpa,
			    uint64_t size, void *host, char *err, size_t errlen)
{
	struct vireo_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(m->vm_fd, VIREO_SET_USER_MEMORY_REGION, &region)) {
		snprintf(err, errlen,
			 "the hypervisor refused %llu MiB of guest memory at %#llx: %s; try a smaller --mem",
			 MiB(size), (unsigned long long)gpa, strerror(errno));
		return -1;
	}
	return 0;
}

static int machine_alloc_memory(struct machine *m, char *err, size_t errlen)
{
	struct sysinfo si;

	m->mem_size = m->cfg.mem_size;
	/* More than the host has in RAM and swap could never be had. */
	if (sysinfo(&si) == 0) {
		unsigned long long host = ((unsigned long long)si.totalram +
					   si.totalswap) * si.mem_unit;

		if (m->mem_size > host) {
			snprintf(err, errlen,
				 "--mem %llu MiB is more than this host's %llu MiB of RAM and swap; use a smaller --mem",
				 MiB(m->mem_size), MiB(host));
			return -1;
		}
	}
	m->low_size = m->mem_size < VM_LOW_MEM_MAX ? m->mem_size : VM_LOW_MEM_MAX;
	m->high_size = m->mem_size - m->low_size;
	m->mem = mmap(NULL, m->mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		snprintf(err, errlen,
			 "cannot allocate %llu MiB of guest memory: %s; use a smaller --mem",
			 MiB(m->mem_size), strerror(errno));
		return -1;
	}
	madvise(m->mem, m->mem_size, MADV_HUGEPAGE);
	if (machine_set_slot(m, 0, 0, m->low_size, m->mem, err, errlen))
		return -1;
	if (m->high_size &&
	    machine_set_slot(m, 1, VM_HIGH_MEM_BASE, m->high_size,
			     m->mem + m->low_size, err, errlen))
		return -1;
	guest_mem_init_flat(&m->gm, m->mem, m->low_size, VM_HIGH_MEM_BASE,
			    m->high_size);
	return 0;
}

static int machine_get_cpuid(struct machine *m, char *err, size_t errlen)
{
	size_t sz = sizeof(*m->cpuid) +
		    VIREO_MAX_CPUID_ENTRIES * sizeof(m->cpuid->entries[0]);

	m->cpuid = calloc(1, sz);
	if (!m->cpuid) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->cpuid->nent = VIREO_MAX_CPUID_ENTRIES;
	if (ioctl(m->dev_fd, VIREO_GET_SUPPORTED_CPUID, m->cpuid)) {
		snprintf(err, errlen, "%s cannot list its CPUID leaves: %s",
			 m->cfg.device, strerror(errno));
		return -1;
	}
	return 0;
}

int machine_open(struct machine *m, const struct machine_config *cfg,
		 char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->dev_fd = m->vm_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	bus_init(&m->bus);
	vcpu_signals_init();

	if (machine_open_device(m, err, errlen) ||
	    machine_alloc_memory(m, err, errlen) ||
	    machine_get_cpuid(m, err, errlen))
		return -1;

	m->vcpus = calloc((size_t)cfg->cpus, sizeof(*m->vcpus));
	if (!m->vcpus) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < cfg->cpus; i++) {
		if (vcpu_init(m, &m->vcpus[i], i, err, errlen))
			return -1;
		m->nr_vcpus++;
	}

	m->loop = event_loop_create(&m->lock);
	if (!m->loop) {
		snprintf(err, errlen, "cannot create the event loop: %s",
			 strerror(errno));
		return -1;
	}
	m->ctx = (struct vmm_ctx){
		.bus = &m->bus,
		.loop = m->loop,
		.mem = m->mem,
		.mem_size = m->mem_size,
		.stop = machine_ctx_stop,
		.kick = machine_ctx_kick,
		.ioeventfd = machine_ctx_ioeventfd,
		.console_in = STDIN_FILENO,
		.console_out = STDOUT_FILENO,
		.owner = m,
	};
	return machine_create_devices(m, err, errlen);
}

int machine_boot_cpu(struct machine *m, const struct boot_cpu_state *st,
		     char *err, size_t errlen)
{
	struct vcpu *v = &m->vcpus[0];
	struct vireo_sregs sregs;
	struct vireo_regs regs;

	if (ioctl(v->fd, VIREO_GET_SREGS, &sregs)) {
		snprintf(err, errlen, "cannot read the boot vCPU's registers: %s",
			 strerror(errno));
		return -1;
	}
	boot_cpu_sregs(st, &sregs);
	boot_cpu_regs(st, &regs);
	if (ioctl(v->fd, VIREO_SET_SREGS, &sregs) ||
	    ioctl(v->fd, VIREO_SET_REGS, &regs)) {
		snprintf(err, errlen,
			 "the hypervisor refused the boot vCPU's registers: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int machine_run(struct machine *m)
{
	int i;

	if (event_loop_start(m->loop)) {
		fprintf(stderr, "vireo: cannot start the event loop thread\n");
		return VIREO_STATUS_USAGE;
	}
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nr_vcpus; i++) {
		if (vcpu_start(&m->vcpus[i])) {
			machine_stop_locked(m, VMM_STOP_ERROR,
					    VIREO_STATUS_USAGE,
					    "cannot start the vCPU threads");
			break;
		}
	}
	while (!m->stopping)
		pthread_cond_wait(&m->wake, &m->lock);
	pthread_mutex_unlock(&m->lock);

	for (i = 0; i < m->nr_vcpus; i++) {
		/* machine_stop_locked() kicked them out of the guest. */
		if (m->vcpus[i].started) {
			pthread_join(m->vcpus[i].thread, NULL);
			m->vcpus[i].started = false;
		}
	}
	event_loop_stop(m->loop);
	return m->status;
}

void machine_close(struct machine *m)
{
	if (m->loop)
		event_loop_stop(m->loop);
	machine_destroy_devices(m);
	event_loop_destroy(m->loop);
	m->loop = NULL;
	bus_destroy(&m->bus);
	for (int i = 0; i < m->nr_vcpus; i++) {
		if (m->vcpus[i].run)
			munmap(m->vcpus[i].run, m->run_size);
		close(m->vcpus[i].fd);
	}
	free(m->vcpus);
	m->vcpus = NULL;
	m->nr_vcpus = 0;
	free(m->cpuid);
	m->cpuid = NULL;
	if (m->vm_fd >= 0)
		close(m->vm_fd);
	if (m->dev_fd >= 0)
		close(m->dev_fd);
	if (m->mem)
		munmap(m->mem, m->mem_size);
	m->mem = NULL;
	m->vm_fd = m->dev_fd = -1;
}
