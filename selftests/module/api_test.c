// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device-level ioctls: API version, capabilities, the size of the vCPU
 * mapping, the supported CPUID table and the MSR list.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm.h"

TEST(api_version)
{
	int dev = vm_open_device();

	ASSERT_EQ(VIREO_API_VERSION, ioctl(dev, VIREO_GET_API_VERSION, 0));
	close(dev);
}

TEST(capabilities)
{
	int dev = vm_open_device();

	ASSERT_EQ(1, ioctl(dev, VIREO_CHECK_EXTENSION, VIREO_CAP_USER_MEMORY));
	ASSERT_EQ(1, ioctl(dev, VIREO_CHECK_EXTENSION, VIREO_CAP_READONLY_MEM));
	ASSERT_EQ(1, ioctl(dev, VIREO_CHECK_EXTENSION,
			   VIREO_CAP_IMMEDIATE_EXIT));
	ASSERT_LT(0, ioctl(dev, VIREO_CHECK_EXTENSION, VIREO_CAP_NR_MEMSLOTS));
	ASSERT_LT(0, ioctl(dev, VIREO_CHECK_EXTENSION, VIREO_CAP_MAX_VCPUS));
	/* A capability number nobody has defined. */
	ASSERT_EQ(0, ioctl(dev, VIREO_CHECK_EXTENSION, 100000));
	close(dev);
}

/* CHECK_EXTENSION on a VM fd answers like the device. */
TEST(capabilities_on_vm_fd)
{
	int dev = vm_open_device();
	int vm = ioctl(dev, VIREO_CREATE_VM, 0);
	static const int caps[] = {
		VIREO_CAP_USER_MEMORY, VIREO_CAP_READONLY_MEM,
		VIREO_CAP_IMMEDIATE_EXIT, VIREO_CAP_NR_MEMSLOTS,
		VIREO_CAP_MAX_VCPUS, 100000,
	};
	unsigned int i;

	ASSERT_LE(0, vm);
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		ASSERT_EQ(ioctl(dev, VIREO_CHECK_EXTENSION, caps[i]),
			  ioctl(vm, VIREO_CHECK_EXTENSION, caps[i]));
	close(vm);
	close(dev);
}

TEST(vcpu_mmap_size)
{
	int dev = vm_open_device();
	int size = ioctl(dev, VIREO_GET_VCPU_MMAP_SIZE, 0);

	ASSERT_GE(size, 2 * 4096);
	ASSERT_EQ(0, size % 4096);
	close(dev);
}

static const struct vireo_cpuid_entry2 *find_leaf(const struct vireo_cpuid2 *c,
						   uint32_t function,
						   uint32_t index)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == function &&
		    c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

/*
 * Leaf 0xD: the XSAVE area sizes must be those of the components offered
 * (EAX/EDX), not of everything the host has: ECX is where the last
 * offered component ends (subleaf i: size in EAX, offset in EBX), and
 * EBX, for x87 and SSE alone at reset, is at most that.  A guest kernel
 * checks these and stops using XSAVE when they disagree.
 */
static void xsave_sizes_match_features(struct __test_metadata *_metadata,
				       const struct vireo_cpuid2 *c)
{
	const struct vireo_cpuid_entry2 *d = find_leaf(c, 0xd, 0), *f;
	uint64_t offered;
	uint32_t end = 576;
	int i;

	if (!d)
		return;
	offered = d->eax | (uint64_t)d->edx << 32;
	for (i = 2; i < 63; i++) {
		if (!(offered & (1ULL << i)))
			continue;
		f = find_leaf(c, 0xd, i);
		ASSERT_NE(NULL, f) TH_LOG("no subleaf 0xd.%d", i);
		if (f->ebx + f->eax > end)
			end = f->ebx + f->eax;
	}
	EXPECT_EQ(end, d->ecx) TH_LOG("offered XCR0 %#llx",
				      (unsigned long long)offered);
	EXPECT_LE(576, d->ebx);
	EXPECT_GE(d->ecx, d->ebx);
}

TEST(supported_cpuid)
{
	int dev = vm_open_device();
	struct vireo_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	struct vireo_cpuid2 small = { .nent = 1 };
	bool leaf0 = false, hv = false;
	unsigned int i;

	ASSERT_NE(NULL, c);
	c->nent = 256;
	ASSERT_EQ(0, ioctl(dev, VIREO_GET_SUPPORTED_CPUID, c));
	ASSERT_LT(2, c->nent);
	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 0)
			leaf0 = c->entries[i].eax >= 1;
		if (c->entries[i].function == 1)
			hv = !(c->entries[i].ecx & (1u << 5)); /* no VMX */
	}
	ASSERT_TRUE(leaf0);
	ASSERT_TRUE(hv);
	xsave_sizes_match_features(_metadata, c);
	ASSERT_EQ(-1, ioctl(dev, VIREO_GET_SUPPORTED_CPUID, &small));
	ASSERT_EQ(E2BIG, errno);
	free(c);
	close(dev);
}

TEST(msr_index_list)
{
	int dev = vm_open_device();
	struct vireo_msr_list small = { .nmsrs = 1 };
	struct vireo_msr_list *l;
	bool star = false;
	unsigned int i;

	ASSERT_EQ(-1, ioctl(dev, VIREO_GET_MSR_INDEX_LIST, &small));
	ASSERT_EQ(E2BIG, errno);
	ASSERT_LT(1, small.nmsrs);	/* the count needed comes back */
	l = calloc(1, sizeof(*l) + small.nmsrs * sizeof(l->indices[0]));
	ASSERT_NE(NULL, l);
	l->nmsrs = small.nmsrs;
	ASSERT_EQ(0, ioctl(dev, VIREO_GET_MSR_INDEX_LIST, l));
	for (i = 0; i < l->nmsrs; i++)
		star |= l->indices[i] == 0xc0000081;
	ASSERT_TRUE(star);
	free(l);
	close(dev);
}

TEST_HARNESS_MAIN
