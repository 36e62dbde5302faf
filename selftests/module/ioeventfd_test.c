// SPDX-License-Identifier: GPL-2.0-only
/*
 * VIREO_IOEVENTFD: a guest write to a registered port or MMIO address
 * (and value, with DATAMATCH) adds one to the eventfd's counter and the
 * guest goes on to its next exit; a write that does not match exits to
 * userspace as before.  Also every refused registration with KVM's errno,
 * registrations changing under a running guest, and eventfds and VMs
 * closed with registrations in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm.h"

/*
 * The guests, 64-bit.  The host sets the value in RAX, the port in RDX
 * and the MMIO address in RBX; each snippet ends in HLT.
 */
asm(".pushsection .rodata.guest, \"a\"\n"
    ".code64\n"
    "ioev_outb_start: out %al, %dx; hlt\n"
    "ioev_outb_end:\n"
    "ioev_outw_start: out %ax, %dx; hlt\n"
    "ioev_outw_end:\n"
    "ioev_outl_start: out %eax, %dx; hlt\n"
    "ioev_outl_end:\n"
    /* Three writes, then one to the port after: only that one exits. */
    "ioev_out3_start: out %al, %dx; out %al, %dx; out %al, %dx\n"
    "  inc %dx; out %al, %dx; hlt\n"
    "ioev_out3_end:\n"
    /* RSI, RCX set by the host. */
    "ioev_outsb_start: cld; rep outsb; hlt\n"
    "ioev_outsb_end:\n"
    "ioev_spin_start: 1: out %al, %dx; jmp 1b\n"
    "ioev_spin_end:\n"
    "ioev_movb_start: mov %al, (%rbx); hlt\n"
    "ioev_movb_end:\n"
    "ioev_movw_start: mov %ax, (%rbx); hlt\n"
    "ioev_movw_end:\n"
    "ioev_movl_start: mov %eax, (%rbx); hlt\n"
    "ioev_movl_end:\n"
    "ioev_movq_start: mov %rax, (%rbx); hlt\n"
    "ioev_movq_end:\n"
    "ioev_load_start: mov (%rbx), %eax; hlt\n"
    "ioev_load_end:\n"
    /* A read, then a write of read + 1, both at (%rbx). */
    "ioev_addl_start: addl $1, (%rbx); hlt\n"
    "ioev_addl_end:\n"
    ".popsection\n");

SNIPPET(ioev_outb);
SNIPPET(ioev_outw);
SNIPPET(ioev_outl);
SNIPPET(ioev_out3);
SNIPPET(ioev_outsb);
SNIPPET(ioev_spin);
SNIPPET(ioev_movb);
SNIPPET(ioev_movw);
SNIPPET(ioev_movl);
SNIPPET(ioev_movq);
SNIPPET(ioev_load);
SNIPPET(ioev_addl);

#define PORT 0x300
#define MMIO_ADDR (MMIO_GPA + 0x100)
#define FLAG_DATAMATCH VIREO_IOEVENTFD_FLAG_DATAMATCH
#define FLAG_PIO VIREO_IOEVENTFD_FLAG_PIO
#define FLAG_DEASSIGN VIREO_IOEVENTFD_FLAG_DEASSIGN
/* Bit 4 is KVM's unused "fast MMIO" flag; bit 5 is nobody's. */
#define FLAG_KVM_FAST_MMIO (1U << 4)
#define FLAG_UNKNOWN (1U << 5)
/* Vireo's limit of registrations per VM (kmod/ioeventfd.h). */
#define MAX_IOEVENTFDS 1000

#define ASSERT_ERRNO(err, call) do {					\
	errno = 0;							\
	ASSERT_EQ(-1, (call));						\
	ASSERT_EQ(err, errno);						\
} while (0)

static bool on_kvm(void)
{
	return strstr(vm_device(), "kvm") != NULL;
}

static int ioeventfd(int vm_fd, uint64_t addr, uint32_t len, int fd,
		     uint32_t flags, uint64_t datamatch)
{
	struct vireo_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return ioctl(vm_fd, VIREO_IOEVENTFD, &a);
}

/* Reads (and so resets) the eventfd's counter; 0 when nothing came. */
static uint64_t take_count(int efd)
{
	uint64_t n;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* Loads a snippet at CODE_GPA with RAX = value, RBX = RDX = addr. */
static void load(struct vm *vm, const uint8_t *code, size_t len,
		 uint64_t value, uint64_t addr)
{
	struct vireo_regs r = {
		.rflags = 2, .rip = CODE_GPA, .rsp = STACK_TOP,
		.rax = value, .rbx = addr, .rdx = addr,
	};

	memcpy(vm_gpa(vm, CODE_GPA), code, len);
	if (ioctl(vm->vcpu, VIREO_SET_REGS, &r))
		abort();
}

#define LOAD(vm, name, value, addr) \
	load(vm, name##_start, SNIPPET_LEN(name), value, addr)

/* RIP of the snippet's last byte, its HLT, once the guest halted there. */
#define HLT_RIP(name) (CODE_GPA + SNIPPET_LEN(name))

static uint64_t guest_rip(struct vm *vm)
{
	struct vireo_regs r;

	if (ioctl(vm->vcpu, VIREO_GET_REGS, &r))
		return 0;
	return r.rip;
}

FIXTURE(ioev) {
	struct vm vm;
	int efd;
};

FIXTURE_SETUP(ioev)
{
	vm_create(&self->vm, 4 << 20);
	vm_set_mode(&self->vm, MODE_LONG64);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(ioev)
{
	vm_destroy(&self->vm);
	close(self->efd);
}

/* Runs the loaded guest and expects HLT at the snippet's end. */
#define EXPECT_HLT(vm, name) do {					\
	ASSERT_EQ(0, vm_run(vm));					\
	ASSERT_EQ(VIREO_EXIT_HLT, (vm)->run->exit_reason);		\
	ASSERT_EQ(HLT_RIP(name), guest_rip(vm));			\
} while (0)

#define EXPECT_PIO_OUT(vm, port_, size_, value_) do {			\
	ASSERT_EQ(0, vm_run(vm));					\
	ASSERT_EQ(VIREO_EXIT_IO, (vm)->run->exit_reason);		\
	ASSERT_EQ(VIREO_EXIT_IO_OUT, (vm)->run->io.direction);		\
	ASSERT_EQ(port_, (vm)->run->io.port);				\
	ASSERT_EQ(size_, (vm)->run->io.size);				\
	ASSERT_EQ(1, (vm)->run->io.count);				\
	ASSERT_EQ(value_, vm_io_value(vm) &				\
		  (uint32_t)((1ULL << (8 * (size_))) - 1));		\
} while (0)

#define EXPECT_MMIO_WRITE(vm, addr_, len_, value_) do {			\
	uint64_t v_ = 0;						\
									\
	ASSERT_EQ(0, vm_run(vm));					\
	ASSERT_EQ(VIREO_EXIT_MMIO, (vm)->run->exit_reason);		\
	ASSERT_EQ(1, (vm)->run->mmio.is_write);				\
	ASSERT_EQ(addr_, (vm)->run->mmio.phys_addr);			\
	ASSERT_EQ(len_, (vm)->run->mmio.len);				\
	memcpy(&v_, (vm)->run->mmio.data, len_);			\
	ASSERT_EQ(value_, v_);						\
} while (0)

TEST(capabilities)
{
	static const unsigned long caps[] = {
		VIREO_CAP_IOEVENTFD, VIREO_CAP_IOEVENTFD_NO_LENGTH,
		VIREO_CAP_IOEVENTFD_ANY_LENGTH,
	};
	int dev = vm_open_device(), vm_fd, i;

	vm_fd = ioctl(dev, VIREO_CREATE_VM, 0);
	ASSERT_LE(0, vm_fd);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1, ioctl(dev, VIREO_CHECK_EXTENSION, caps[i]));
		EXPECT_EQ(1, ioctl(vm_fd, VIREO_CHECK_EXTENSION, caps[i]));
	}
	close(vm_fd);
	close(dev);
}

/* Without DATAMATCH: every write of the registered size, any value. */
TEST_F(ioev, pio_any_value)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, ioeventfd(vm->fd, PORT, 1, self->efd, FLAG_PIO, 0));
	LOAD(vm, ioev_outb, 0x5a, PORT);
	EXPECT_HLT(vm, ioev_outb);
	ASSERT_EQ(1, take_count(self->efd));

	LOAD(vm, ioev_outb, 0xa5, PORT);
	EXPECT_HLT(vm, ioev_outb);
	ASSERT_EQ(1, take_count(self->efd));

	/* Three in one RUN, then the next port exits as usual. */
	LOAD(vm, ioev_out3, 0x11, PORT);
	EXPECT_PIO_OUT(vm, PORT + 1, 1, 0x11);
	EXPECT_HLT(vm, ioev_out3);
	ASSERT_EQ(3, take_count(self->efd));

	/* Another size at the same port is not this registration's. */
	LOAD(vm, ioev_outw, 0x1234, PORT);
	EXPECT_PIO_OUT(vm, PORT, 2, 0x1234);
	EXPECT_HLT(vm, ioev_outw);
	ASSERT_EQ(0, take_count(self->efd));
}

/* With DATAMATCH, for each size: the value signals, another exits. */
TEST_F(ioev, pio_datamatch)
{
	const struct {
		uint32_t size;
		const uint8_t *code;
		size_t len;
		uint64_t match, other;
	} sizes[] = {
		{ 1, ioev_outb_start, SNIPPET_LEN(ioev_outb), 0x42, 0x43 },
		{ 2, ioev_outw_start, SNIPPET_LEN(ioev_outw), 0xbeef, 0xbeee },
		{ 4, ioev_outl_start, SNIPPET_LEN(ioev_outl), 0xcafe0001,
		  0x0afe0001 },
	};
	struct vm *vm = &self->vm;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint16_t port = PORT + 8 * i;

		TH_LOG("size %u", sizes[i].size);
		ASSERT_EQ(0, ioeventfd(vm->fd, port, sizes[i].size, self->efd,
				       FLAG_PIO | FLAG_DATAMATCH,
				       sizes[i].match));
		load(vm, sizes[i].code, sizes[i].len, sizes[i].match, port);
		ASSERT_EQ(0, vm_run(vm));
		ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
		ASSERT_EQ(CODE_GPA + sizes[i].len, guest_rip(vm));
		ASSERT_EQ(1, take_count(self->efd));

		load(vm, sizes[i].code, sizes[i].len, sizes[i].other, port);
		EXPECT_PIO_OUT(vm, port, sizes[i].size, sizes[i].other);
		ASSERT_EQ(0, vm_run(vm));
		ASSERT_EQ(VIREO_EXIT_HLT, vm->run->exit_reason);
		ASSERT_EQ(0, take_count(self->efd));
	}
}

/* REP OUTSB: every byte is a write to the port, each one signals. */
TEST_F(ioev, pio_rep_outsb)
{
	struct vm *vm = &self->vm;
	struct vireo_regs r;

	ASSERT_EQ(0, ioeventfd(vm->fd, PORT, 1, self->efd, FLAG_PIO, 0));
	memcpy(vm_gpa(vm, DATA_GPA), "abcdefgh", 8);
	LOAD(vm, ioev_outsb, 0, PORT);
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_GET_REGS, &r));
	r.rsi = DATA_GPA;
	r.rcx = 8;
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_SET_REGS, &r));
	EXPECT_HLT(vm, ioev_outsb);
	ASSERT_EQ(8, take_count(self->efd));
	ASSERT_EQ(0, ioctl(vm->vcpu, VIREO_GET_REGS, &r));
	ASSERT_EQ(0, r.rcx);
	ASSERT_EQ(DATA_GPA + 8, r.rsi);
}

/* MMIO, 4 bytes, any value: other sizes and reads still exit. */
TEST_F(ioev, mmio_4byte_any_value)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, ioeventfd(vm->fd, MMIO_ADDR, 4, self->efd, 0, 0));
	LOAD(vm, ioev_movl, 0x12345678, MMIO_ADDR);
	EXPECT_HLT(vm, ioev_movl);
	ASSERT_EQ(1, take_count(self->efd));

	LOAD(vm, ioev_movb, 0x12345678, MMIO_ADDR);
	EXPECT_MMIO_WRITE(vm, MMIO_ADDR, 1, 0x78);
	EXPECT_HLT(vm, ioev_movb);

	/* A write next to it is not at its address. */
	LOAD(vm, ioev_movl, 0x12345678, MMIO_ADDR + 4);
	EXPECT_MMIO_WRITE(vm, MMIO_ADDR + 4, 4, 0x12345678);
	EXPECT_HLT(vm, ioev_movl);

	/* Only writes are taken: a read exits and completes as before. */
	LOAD(vm, ioev_load, 0, MMIO_ADDR);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_MMIO, vm->run->exit_reason);
	ASSERT_EQ(0, vm->run->mmio.is_write);
	ASSERT_EQ(MMIO_ADDR, vm->run->mmio.phys_addr);
	ASSERT_EQ(0, take_count(self->efd));
}

TEST_F(ioev, mmio_4byte_datamatch)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, ioeventfd(vm->fd, MMIO_ADDR, 4, self->efd,
			       FLAG_DATAMATCH, 0xfeedf00d));
	LOAD(vm, ioev_movl, 0xfeedf00d, MMIO_ADDR);
	EXPECT_HLT(vm, ioev_movl);
	ASSERT_EQ(1, take_count(self->efd));

	LOAD(vm, ioev_movl, 0xfeedf00e, MMIO_ADDR);
	EXPECT_MMIO_WRITE(vm, MMIO_ADDR, 4, 0xfeedf00e);
	EXPECT_HLT(vm, ioev_movl);
	ASSERT_EQ(0, take_count(self->efd));

	/* The value is the whole write's: 8 bytes never match 4 here. */
	LOAD(vm, ioev_movq, 0xfeedf00d, MMIO_ADDR);
	EXPECT_MMIO_WRITE(vm, MMIO_ADDR, 8, 0xfeedf00d);
	EXPECT_HLT(vm, ioev_movq);
	ASSERT_EQ(0, take_count(self->efd));
}

/* The write half of a read-modify-write is taken after the read exits. */
TEST_F(ioev, mmio_read_modify_write)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, ioeventfd(vm->fd, MMIO_ADDR, 4, self->efd,
			       FLAG_DATAMATCH, 0x11));
	LOAD(vm, ioev_addl, 0, MMIO_ADDR);
	ASSERT_EQ(0, vm_run(vm));
	ASSERT_EQ(VIREO_EXIT_MMIO, vm->run->exit_reason);
	ASSERT_EQ(0, vm->run->mmio.is_write);
	ASSERT_EQ(4, vm->run->mmio.len);
	memset(vm->run->mmio.data, 0, 8);
	vm->run->mmio.data[0] = 0x10;
	EXPECT_HLT(vm, ioev_addl);
	ASSERT_EQ(1, take_count(self->efd));
}

/* Length 0: every write to the address, whatever its size. */
TEST_F(ioev, mmio_any_length)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, ioeventfd(vm->fd, MMIO_ADDR, 0, self->efd, 0, 0));
	LOAD(vm, ioev_movb, 1, MMIO_ADDR);
	EXPECT_HLT(vm, ioev_movb);
	LOAD(vm, ioev_movw, 2, MMIO_ADDR);
	EXPECT_HLT(vm, ioev_movw);
	LOAD(vm, ioev_movl, 3, MMIO_ADDR);
	EXPECT_HLT(vm, ioev_movl);
	LOAD(vm, ioev_movq, 4, MMIO_ADDR);
	EXPECT_HLT(vm, ioev_movq);
	ASSERT_EQ(4, take_count(self->efd));

	LOAD(vm, ioev_movb, 5, MMIO_ADDR + 1);
	EXPECT_MMIO_WRITE(vm, MMIO_ADDR + 1, 1, 5);
	EXPECT_HLT(vm, ioev_movb);
	ASSERT_EQ(0, take_count(self->efd));

	ASSERT_EQ(0, ioeventfd(vm->fd, MMIO_ADDR, 0, self->efd,
			       FLAG_DEASSIGN, 0));
	LOAD(vm, ioev_movw, 6, MMIO_ADDR);
	EXPECT_MMIO_WRITE(vm, MMIO_ADDR, 2, 6);
	EXPECT_HLT(vm, ioev_movw);
	ASSERT_EQ(0, take_count(self->efd));
}

/* KVM takes length 0 for ports as well: any size at the port. */
TEST_F(ioev, pio_any_length)
{
	struct vm *vm = &self->vm;

	ASSERT_EQ(0, ioeventfd(vm->fd, PORT, 0, self->efd, FLAG_PIO, 0));
	LOAD(vm, ioev_outb, 1, PORT);
	EXPECT_HLT(vm, ioev_outb);
	LOAD(vm, ioev_outl, 2, PORT);
	EXPECT_HLT(vm, ioev_outl);
	ASSERT_EQ(2, take_count(self->efd));
}

/* After DEASSIGN the exit comes back; the other registrations stay. */
TEST_F(ioev, deassign)
{
	struct vm *vm = &self->vm;
	int efd2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, ioeventfd(vm->fd, PORT, 1, self->efd, FLAG_PIO, 0));
	ASSERT_EQ(0, ioeventfd(vm->fd, PORT + 1, 1, efd2, FLAG_PIO, 0));
	ASSERT_EQ(0, ioeventfd(vm->fd, MMIO_ADDR, 4, self->efd,
			       FLAG_DATAMATCH, 7));

	ASSERT_EQ(0, ioeventfd(vm->fd, PORT, 1, self->efd,
			       FLAG_PIO | FLAG_DEASSIGN, 0));
	LOAD(vm, ioev_outb, 9, PORT);
	EXPECT_PIO_OUT(vm, PORT, 1, 9);
	/*
	 * Run on to the HLT before loading again: KVM skips an OUT it
	 * exited for when the next RUN finds RIP still on it.
	 */
	EXPECT_HLT(vm, ioev_outb);
	LOAD(vm, ioev_outb, 9, PORT + 1);
	EXPECT_HLT(vm, ioev_outb);
	ASSERT_EQ(1, take_count(efd2));
	LOAD(vm, ioev_movl, 7, MMIO_ADDR);
	EXPECT_HLT(vm, ioev_movl);
	ASSERT_EQ(1, take_count(self->efd));

	ASSERT_EQ(0, ioeventfd(vm->fd, MMIO_ADDR, 4, self->efd,
			       FLAG_DATAMATCH | FLAG_DEASSIGN, 7));
	LOAD(vm, ioev_movl, 7, MMIO_ADDR);
	EXPECT_MMIO_WRITE(vm, MMIO_ADDR, 4, 7);
	EXPECT_HLT(vm, ioev_movl);
	ASSERT_EQ(0, take_count(self->efd));

	/* Gone means gone: a second DEASSIGN finds nothing. */
	ASSERT_ERRNO(ENOENT, ioeventfd(vm->fd, PORT, 1, self->efd,
				       FLAG_PIO | FLAG_DEASSIGN, 0));
	/* And it can be made again. */
	ASSERT_EQ(0, ioeventfd(vm->fd, PORT, 1, self->efd, FLAG_PIO, 0));
	LOAD(vm, ioev_outb, 9, PORT);
	EXPECT_HLT(vm, ioev_outb);
	ASSERT_EQ(1, take_count(self->efd));
	close(efd2);
}

/* Refused arguments, each with the errno KVM gives. */
TEST_F(ioev, bad_arguments_einval)
{
	static const uint32_t bad_lens[] = { 3, 5, 16, 0x80000000u };
	int fd = self->vm.fd, efd = self->efd, pipefd[2];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		ASSERT_ERRNO(EINVAL, ioeventfd(fd, PORT, bad_lens[i], efd,
					       FLAG_PIO, 0));
		ASSERT_ERRNO(EINVAL, ioeventfd(fd, MMIO_ADDR, bad_lens[i],
					       efd, 0, 0));
	}
	ASSERT_ERRNO(EINVAL, ioeventfd(fd, MMIO_ADDR, 4, efd, FLAG_UNKNOWN, 0));
	ASSERT_ERRNO(EINVAL, ioeventfd(fd, MMIO_ADDR, 4, efd, 1U << 31, 0));
	/* Length 0 with DATAMATCH: no one value to compare. */
	ASSERT_ERRNO(EINVAL, ioeventfd(fd, MMIO_ADDR, 0, efd,
				       FLAG_DATAMATCH, 0));
	/* addr + len past 2^64. */
	ASSERT_ERRNO(EINVAL, ioeventfd(fd, ~0ULL, 1, efd, 0, 0));
	ASSERT_ERRNO(EINVAL, ioeventfd(fd, ~0ULL - 3, 8, efd, 0, 0));
	ASSERT_EQ(0, ioeventfd(fd, ~0ULL - 8, 8, efd, 0, 0));
	/* The argument checks come before the fd is looked at. */
	ASSERT_ERRNO(EINVAL, ioeventfd(fd, MMIO_ADDR, 3, -1, 0, 0));
	/* An fd that is not an eventfd. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_ERRNO(EINVAL, ioeventfd(fd, MMIO_ADDR, 4, pipefd[0], 0, 0));
	close(pipefd[0]);
	close(pipefd[1]);
}

/*
 * The s390 flag and KVM's unused fast-MMIO flag: vireo refuses both on
 * x86; KVM takes them (the first registers on a bus nothing writes).
 */
TEST_F(ioev, s390_and_fast_mmio_flags)
{
	static const uint32_t flags[] = {
		VIREO_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY, FLAG_KVM_FAST_MMIO,
	};
	int fd = self->vm.fd;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (on_kvm()) {
			ASSERT_EQ(0, ioeventfd(fd, MMIO_ADDR + 16 * i, 4,
					       self->efd, flags[i], 0));
		} else {
			ASSERT_ERRNO(EINVAL, ioeventfd(fd, MMIO_ADDR + 16 * i,
						       4, self->efd, flags[i],
						       0));
		}
	}
}

TEST_F(ioev, bad_fd_ebadf)
{
	int fd = self->vm.fd, closed = dup(self->efd);

	ASSERT_LE(0, closed);
	close(closed);
	ASSERT_ERRNO(EBADF, ioeventfd(fd, PORT, 1, -1, FLAG_PIO, 0));
	ASSERT_ERRNO(EBADF, ioeventfd(fd, PORT, 1, closed, FLAG_PIO, 0));
	ASSERT_ERRNO(EBADF, ioeventfd(fd, MMIO_ADDR, 0, 1 << 30, 0, 0));
	ASSERT_EQ(0, ioeventfd(fd, PORT, 1, self->efd, FLAG_PIO, 0));
	ASSERT_ERRNO(EBADF, ioeventfd(fd, PORT, 1, closed,
				      FLAG_PIO | FLAG_DEASSIGN, 0));
}

TEST_F(ioev, bad_pointer_efault)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	munmap(p, 4096);
	ASSERT_ERRNO(EFAULT, ioctl(self->vm.fd, VIREO_IOEVENTFD, p));
	ASSERT_ERRNO(EFAULT, ioctl(self->vm.fd, VIREO_IOEVENTFD, NULL));
	/* The struct may end at the last byte of a page, not past it. */
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap((char *)p + 4096, 4096);
	ASSERT_ERRNO(EFAULT, ioctl(self->vm.fd, VIREO_IOEVENTFD,
				   (char *)p + 4096 - 32));
	munmap(p, 4096);
}

/*
 * Two registrations that could match one write collide: EEXIST, whatever
 * the eventfd.  Those that cannot (another space, address, size or value)
 * live side by side.
 */
TEST_F(ioev, collisions_eexist)
{
	int fd = self->vm.fd, efd = self->efd, efd2 = eventfd(0, 0);

	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, ioeventfd(fd, PORT, 4, efd, FLAG_PIO | FLAG_DATAMATCH, 1));
	ASSERT_ERRNO(EEXIST, ioeventfd(fd, PORT, 4, efd,
				       FLAG_PIO | FLAG_DATAMATCH, 1));
	ASSERT_ERRNO(EEXIST, ioeventfd(fd, PORT, 4, efd2,
				       FLAG_PIO | FLAG_DATAMATCH, 1));
	ASSERT_ERRNO(EEXIST, ioeventfd(fd, PORT, 4, efd, FLAG_PIO, 0));
	ASSERT_ERRNO(EEXIST, ioeventfd(fd, PORT, 0, efd, FLAG_PIO, 0));
	ASSERT_EQ(0, ioeventfd(fd, PORT, 4, efd, FLAG_PIO | FLAG_DATAMATCH, 2));
	ASSERT_EQ(0, ioeventfd(fd, PORT, 2, efd, FLAG_PIO, 0));
	ASSERT_EQ(0, ioeventfd(fd, PORT + 1, 0, efd, FLAG_PIO, 0));
	ASSERT_EQ(0, ioeventfd(fd, PORT, 4, efd, FLAG_DATAMATCH, 1));

	ASSERT_EQ(0, ioeventfd(fd, MMIO_ADDR, 0, efd, 0, 0));
	ASSERT_ERRNO(EEXIST, ioeventfd(fd, MMIO_ADDR, 0, efd2, 0, 0));
	ASSERT_ERRNO(EEXIST, ioeventfd(fd, MMIO_ADDR, 8, efd,
				       FLAG_DATAMATCH, 5));
	close(efd2);
}

/* DEASSIGN must name a registration exactly, with its eventfd. */
TEST_F(ioev, deassign_missing_enoent)
{
	int fd = self->vm.fd, efd = self->efd, efd2 = eventfd(0, 0);
	const uint32_t pio_dm = FLAG_PIO | FLAG_DATAMATCH | FLAG_DEASSIGN;

	ASSERT_LE(0, efd2);
	ASSERT_ERRNO(ENOENT, ioeventfd(fd, PORT, 1, efd,
				       FLAG_PIO | FLAG_DEASSIGN, 0));
	ASSERT_EQ(0, ioeventfd(fd, PORT, 2, efd, FLAG_PIO | FLAG_DATAMATCH, 9));
	ASSERT_ERRNO(ENOENT, ioeventfd(fd, PORT, 2, efd2, pio_dm, 9));
	ASSERT_ERRNO(ENOENT, ioeventfd(fd, PORT, 2, efd, pio_dm, 8));
	ASSERT_ERRNO(ENOENT, ioeventfd(fd, PORT, 4, efd, pio_dm, 9));
	ASSERT_ERRNO(ENOENT, ioeventfd(fd, PORT + 1, 2, efd, pio_dm, 9));
	ASSERT_ERRNO(ENOENT, ioeventfd(fd, PORT, 2, efd,
				       FLAG_PIO | FLAG_DEASSIGN, 9));
	ASSERT_ERRNO(ENOENT, ioeventfd(fd, PORT, 2, efd,
				       FLAG_DATAMATCH | FLAG_DEASSIGN, 9));
	/* Not checked as an assignment is: a length 3 is simply not there. */
	ASSERT_ERRNO(ENOENT, ioeventfd(fd, PORT, 3, efd, pio_dm, 9));
	ASSERT_EQ(0, ioeventfd(fd, PORT, 2, efd, pio_dm, 9));
	close(efd2);
}

/* Vireo holds 1000 registrations per VM; KVM has no such limit. */
TEST_F_TIMEOUT(ioev, too_many_enospc, 180)
{
	int fd = self->vm.fd, i;

	for (i = 0; i < MAX_IOEVENTFDS; i++)
		ASSERT_EQ(0, ioeventfd(fd, MMIO_ADDR + 8 * i, 4, self->efd,
				       0, 0));
	if (on_kvm()) {
		ASSERT_EQ(0, ioeventfd(fd, PORT, 1, self->efd, FLAG_PIO, 0));
		return;
	}
	ASSERT_ERRNO(ENOSPC, ioeventfd(fd, PORT, 1, self->efd, FLAG_PIO, 0));
	/* A collision is still told as such. */
	ASSERT_ERRNO(EEXIST, ioeventfd(fd, MMIO_ADDR, 4, self->efd, 0, 0));
	ASSERT_EQ(0, ioeventfd(fd, MMIO_ADDR, 4, self->efd, FLAG_DEASSIGN, 0));
	ASSERT_EQ(0, ioeventfd(fd, PORT, 1, self->efd, FLAG_PIO, 0));
	LOAD(&self->vm, ioev_outb, 1, PORT);
	EXPECT_HLT(&self->vm, ioev_outb);
	ASSERT_EQ(1, take_count(self->efd));
}

/* The eventfd closed while registered: writes still complete. */
TEST_F(ioev, eventfd_closed_first)
{
	struct vm *vm = &self->vm;
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ioeventfd(vm->fd, PORT, 1, efd, FLAG_PIO, 0));
	ASSERT_EQ(0, ioeventfd(vm->fd, MMIO_ADDR, 0, efd, 0, 0));
	close(efd);
	LOAD(vm, ioev_outb, 1, PORT);
	EXPECT_HLT(vm, ioev_outb);
	LOAD(vm, ioev_movl, 1, MMIO_ADDR);
	EXPECT_HLT(vm, ioev_movl);
	/* The teardown then closes the VM with both still registered. */
}

/* Registrations come and go while the guest writes without pause. */
struct toggler {
	int vm_fd, efd, rounds;
	volatile int done;
};

static void *toggle(void *arg)
{
	struct toggler *t = arg;
	int i;

	for (i = 0; i < t->rounds; i++) {
		if (ioeventfd(t->vm_fd, PORT, 1, t->efd, FLAG_PIO, 0))
			break;
		usleep(1000);
		if (ioeventfd(t->vm_fd, PORT, 1, t->efd,
			      FLAG_PIO | FLAG_DEASSIGN, 0))
			break;
		usleep(200);
	}
	t->done = i == t->rounds ? 1 : -1;
	return NULL;
}

TEST_F_TIMEOUT(ioev, changes_under_running_guest, 180)
{
	struct vm *vm = &self->vm;
	struct toggler t = { .vm_fd = vm->fd, .efd = self->efd, .rounds = 100 };
	unsigned long exits = 0;
	pthread_t thread;

	LOAD(vm, ioev_spin, 0x33, PORT);
	ASSERT_EQ(0, pthread_create(&thread, NULL, toggle, &t));
	/* A RUN returns only when the port is not registered. */
	do {
		ASSERT_EQ(0, vm_run(vm));
		ASSERT_EQ(VIREO_EXIT_IO, vm->run->exit_reason);
		ASSERT_EQ(PORT, vm->run->io.port);
		exits++;
	} while (!t.done);
	pthread_join(thread, NULL);
	ASSERT_EQ(1, t.done);
	TH_LOG("%lu exits, %llu writes signalled", exits,
	       (unsigned long long)take_count(self->efd));
	ASSERT_LT(0, exits);
}

/* eventfd-id of an eventfd, from /proc/self/fdinfo; -1 if not there. */
static int eventfd_id(int efd)
{
	char path[64], line[128];
	int id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", efd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "eventfd-id: %d", &id) == 1)
			break;
	fclose(f);
	return id;
}

/*
 * VMs closed with registrations in place release their eventfds: an
 * eventfd's id is the lowest one free, so while none leaks, every new
 * eventfd gets the same id.  And no VM is left behind (debugfs).
 */
FIXTURE(cycles) {
	int unused;
};

FIXTURE_SETUP(cycles)
{
}

FIXTURE_TEARDOWN(cycles)
{
}

TEST_F_TIMEOUT(cycles, vm_closed_with_registrations, 300)
{
	int first = -1, i, j;

	for (i = 0; i < 20; i++) {
		int efd = eventfd(0, EFD_CLOEXEC), id;
		struct vm vm;

		ASSERT_LE(0, efd);
		id = eventfd_id(efd);
		if (first < 0)
			first = id;
		ASSERT_EQ(first, id);
		vm_create(&vm, 2 << 20);
		for (j = 0; j < 50; j++) {
			ASSERT_EQ(0, ioeventfd(vm.fd, PORT + j, 1, efd,
					       FLAG_PIO, 0));
			ASSERT_EQ(0, ioeventfd(vm.fd, MMIO_ADDR + 8 * j, 0,
					       efd, 0, 0));
		}
		/* Half of them from an eventfd closed before the VM. */
		if (i % 2)
			close(efd);
		vm_destroy(&vm);
		if (!(i % 2))
			close(efd);
	}
	ASSERT_LE(0, first);
	i = vm_debugfs_count();
	if (i >= 0)
		ASSERT_EQ(0, i);
}

TEST_HARNESS_MAIN
