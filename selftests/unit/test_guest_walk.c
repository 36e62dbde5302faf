// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the guest page walker: page tables are built in a fake guest
 * memory array for each paging mode, then translations and #PF error
 * codes are checked, including hostile tables.
 */
#include <stdio.h>

#include "mmu/guest_walk.h"
#include "unit.h"

#define MEM_SIZE (4U << 20)

#define CR0_PG (1ULL << 31)
#define CR0_WP (1ULL << 16)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMEP (1ULL << 20)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

#define P 0x1ULL
#define W 0x2ULL
#define U 0x4ULL
#define PS 0x80ULL
#define NX (1ULL << 63)

#define PF_P 0x01U
#define PF_W 0x02U
#define PF_U 0x04U
#define PF_RSVD 0x08U
#define PF_I 0x10U

#define RD 0U
#define WRITE VIREO_WALK_WRITE
#define USER VIREO_WALK_USER
#define FETCH VIREO_WALK_FETCH

static u8 guest_mem[MEM_SIZE];
static int read_error = -ENOENT;

static int fake_read_gpa(void *opaque, u64 gpa, void *buf, unsigned int size)
{
	(void)opaque;
	if (gpa >= MEM_SIZE || size > MEM_SIZE - gpa)
		return read_error;
	memcpy(buf, &guest_mem[gpa], size);
	return 0;
}

static void put32(u64 gpa, u32 v)
{
	memcpy(&guest_mem[gpa], &v, sizeof(v));
}

static void put64(u64 gpa, u64 v)
{
	memcpy(&guest_mem[gpa], &v, sizeof(v));
}

static struct vireo_walk_ctx make_ctx(u64 cr0, u64 cr3, u64 cr4, u64 efer)
{
	struct vireo_walk_ctx ctx = {
		.cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer,
		.read_gpa = fake_read_gpa,
	};
	return ctx;
}

/* Expect a translation. */
static void expect_gpa(const char *name, const struct vireo_walk_ctx *ctx,
		       u64 gva, unsigned int access, u64 want)
{
	u32 err = 0xdead;
	u64 gpa = 0;
	int ret;

	ret = vireo_guest_walk(ctx, gva, access, &gpa, &err);
	if (!unit_case(ret == 0 && gpa == want, "walk: %s", name))
		unit_diag("ret %d gpa %#llx err %#x, want gpa %#llx", ret,
			  (unsigned long long)gpa, err,
			  (unsigned long long)want);
}

/* Expect a page fault with this error code. */
static void expect_pf(const char *name, const struct vireo_walk_ctx *ctx,
		      u64 gva, unsigned int access, u32 want)
{
	u32 err = 0xdead;
	u64 gpa = 0;
	int ret;

	ret = vireo_guest_walk(ctx, gva, access, &gpa, &err);
	if (!unit_case(ret == -EFAULT && err == want, "walk: %s", name))
		unit_diag("ret %d err %#x, want -EFAULT err %#x", ret, err,
			  want);
}

/* Expect another error. */
static void expect_err(const char *name, const struct vireo_walk_ctx *ctx,
		       u64 gva, unsigned int access, int want)
{
	u32 err;
	u64 gpa;
	int ret;

	ret = vireo_guest_walk(ctx, gva, access, &gpa, &err);
	if (!unit_case(ret == want, "walk: %s", name))
		unit_diag("ret %d, want %d", ret, want);
}

static void test_paging_off(void)
{
	struct vireo_walk_ctx ctx = make_ctx(0, 0, 0, 0);

	expect_gpa("paging off is identity", &ctx, 0x12345678, WRITE,
		   0x12345678);
	expect_gpa("paging off truncates to 32 bits", &ctx, 0x100001000ULL,
		   RD, 0x1000);
}

/* 32-bit paging: PD at 0x1000, PT at 0x2000. */
static void test_32bit(void)
{
	struct vireo_walk_ctx ctx = make_ctx(CR0_PG, 0x1000, 0, 0);
	u64 va = (1ULL << 22) | (2ULL << 12) | 0x123;

	memset(guest_mem, 0, 0x10000);
	put32(0x1000 + 1 * 4, 0x2000 | P | W | U);
	put32(0x2000 + 2 * 4, 0x5000 | P | W | U);
	put32(0x2000 + 3 * 4, 0x6000 | P | U);          /* read-only */
	put32(0x2000 + 4 * 4, 0x7000 | P | W);          /* supervisor */
	put32(0x1000 + 3 * 4, 0x00800000 | PS | P | W); /* 4M page */
	put32(0x1000 + 5 * 4, 0x00c00000 | PS | P | W | (1U << 13));
	put32(0x1000 + 6 * 4, 0x00c00000 | PS | P | W | (1U << 21));

	expect_gpa("32-bit 4K", &ctx, va, RD, 0x5123);
	expect_gpa("32-bit user write", &ctx, va, USER | WRITE, 0x5123);
	expect_gpa("32-bit ignores gva bits above 31", &ctx,
		   0xabcd00000000ULL | va, RD, 0x5123);
	expect_pf("32-bit PTE not present", &ctx, va + 0x4000, RD, 0);
	expect_pf("32-bit PDE not present, user write", &ctx, 2ULL << 22,
		  USER | WRITE, PF_W | PF_U);
	expect_gpa("32-bit read-only, supervisor write, WP=0", &ctx,
		   va + 0x1000, WRITE, 0x6123);
	expect_pf("32-bit read-only, user write", &ctx, va + 0x1000,
		  USER | WRITE, PF_P | PF_W | PF_U);
	expect_pf("32-bit supervisor page, user read", &ctx, va + 0x2000,
		  USER, PF_P | PF_U);
	expect_gpa("32-bit fetch, no NX in this mode", &ctx, va, FETCH,
		   0x5123);

	ctx.cr0 |= CR0_WP;
	expect_pf("32-bit read-only, supervisor write, WP=1", &ctx,
		  va + 0x1000, WRITE, PF_P | PF_W);

	expect_err("32-bit PS without CR4.PSE is a table pointer", &ctx,
		   3ULL << 22, RD, -ENOENT);
	ctx.cr4 = CR4_PSE;
	expect_gpa("32-bit 4M page", &ctx, (3ULL << 22) | 0x12345, RD,
		   0x812345);
	expect_gpa("32-bit 4M page, PSE-36 high bits", &ctx,
		   (5ULL << 22) | 0x54321, RD, 0x100c54321ULL);
	expect_pf("32-bit 4M page, reserved bit 21", &ctx, 6ULL << 22, RD,
		  PF_P | PF_RSVD);

	ctx.cr4 = CR4_SMEP;
	expect_pf("32-bit SMEP: supervisor fetch from user page", &ctx, va,
		  FETCH, PF_P | PF_I);
	expect_pf("32-bit not present fetch with SMEP sets I/D", &ctx,
		  va + 0x4000, FETCH, PF_I);
}

/* PAE: PDPT at 0x3020 (32-byte aligned), PD 0x4000, PT 0x6000. */
static void test_pae(void)
{
	struct vireo_walk_ctx ctx = make_ctx(CR0_PG, 0x3020, CR4_PAE, 0);
	u64 va = 0x5000 | 0x321;

	memset(guest_mem, 0, 0x10000);
	put64(0x3020, 0x4000 | P);
	put64(0x3028, 0x8000 | P | W);          /* PDPTE with reserved bit 1 */
	put64(0x3030, 0x9000 | P | (1ULL << 52)); /* reserved high bit */
	put64(0x4000, 0x6000 | P | W | U);
	put64(0x4008, 0x200000 | PS | P | W | U);
	put64(0x4010, 0x400000 | PS | P | W | (1ULL << 13));
	put64(0x6000 + 5 * 8, 0x7000 | P | W | U | NX);
	put64(0x6000 + 6 * 8, 0xa000 | P | W | U | (1ULL << 52));
	put64(0x6000 + 7 * 8, 0xb000 | P | W | U);

	expect_gpa("PAE 4K", &ctx, 0x7123, RD, 0xb123);
	expect_gpa("PAE 2M page", &ctx, 0x200000 | 0x1abcde, RD, 0x3abcde);
	expect_pf("PAE 2M page, reserved bit 13", &ctx, 0x400000, RD,
		  PF_P | PF_RSVD);
	expect_pf("PAE NX without EFER.NXE is reserved", &ctx, va, RD,
		  PF_P | PF_RSVD);
	expect_pf("PAE bit 52 is reserved", &ctx, 0x6000, WRITE,
		  PF_P | PF_RSVD | PF_W);
	expect_pf("PAE PDPTE bit 1 is reserved", &ctx, 0x40000000, RD,
		  PF_P | PF_RSVD);
	expect_pf("PAE PDPTE bit 52 is reserved", &ctx, 0x80000000, RD,
		  PF_P | PF_RSVD);
	expect_pf("PAE PDPTE not present", &ctx, 0xc0000000, USER,
		  PF_U);

	ctx.efer = EFER_NXE;
	expect_gpa("PAE NX page, read", &ctx, va, USER, 0x7321);
	expect_pf("PAE NX page, fetch", &ctx, va, FETCH, PF_P | PF_I);
	expect_pf("PAE NX page, user fetch", &ctx, va, FETCH | USER,
		  PF_P | PF_I | PF_U);
	expect_pf("PAE not present fetch with NXE sets I/D", &ctx,
		  0x8000, FETCH, PF_I);
}

/*
 * 4-level paging: PML4 0x10000, PDPT 0x11000, PD 0x12000, PT 0x13000.
 * A second chain for the upper half: PML4[256] -> 0x14000 (PDPT) ->
 * 0x15000 (PD) -> 0x16000 (PT).
 */
static void build_long_tables(void)
{
	memset(guest_mem, 0, 0x40000);
	put64(0x10000, 0x11000 | P | W | U);
	put64(0x11000, 0x12000 | P | W | U);
	put64(0x12000, 0x13000 | P | W | U);
	put64(0x13000, 0x20000 | P | W | U);
	put64(0x13008, 0x21000 | P | W | U | NX);
	put64(0x13010, 0x22000 | P | U);                  /* read-only */
	put64(0x13018, 0x23000 | P | W | U | (0x7ffULL << 52)); /* ignored */
	put64(0x11008, 0x40000000 | PS | P | W | U);      /* 1G */
	put64(0x11010, 0x80000000 | PS | P | W | (1ULL << 13));
	put64(0x12008, 0x200000 | PS | P | W | U);        /* 2M */
	put64(0x12010, 0x30000 | P | U);                  /* PD read-only */
	put64(0x30000, 0x24000 | P | W | U);
	put64(0x10008, 0x11000 | P | W | U | PS);         /* PML4E PS */
	put64(0x10010, 0x11000 | P | W);                  /* supervisor */
	put64(0x10018, 0xfffffffff000ULL | P | W | U);    /* outside memory */
	put64(0x10000 + 256 * 8, 0x14000 | P | W);
	put64(0x14000, 0x15000 | P | W);
	put64(0x15000, 0x16000 | P | W | NX);
	put64(0x16000 + 511 * 8, 0x25000 | P | W);
}

static void test_long_mode(void)
{
	struct vireo_walk_ctx ctx = make_ctx(CR0_PG | CR0_WP, 0x10000,
					     CR4_PAE, EFER_LME | EFER_LMA);
	const u64 high = 0xffff800000000000ULL;
	struct vireo_walk_ctx odd_cr3;

	build_long_tables();
	expect_gpa("long 4K", &ctx, 0x234, RD, 0x20234);
	expect_gpa("long 4K user write", &ctx, 0x234, USER | WRITE, 0x20234);
	odd_cr3 = ctx;
	odd_cr3.cr3 |= 0x8000000000000fffULL; /* no-flush bit, PCID */
	expect_gpa("long CR3 low and high bits ignored", &odd_cr3, 0x234, RD,
		   0x20234);
	expect_gpa("long 1G page", &ctx, 0x40000000 | 0x3456789, RD,
		   0x43456789);
	expect_pf("long 1G page, reserved bit 13", &ctx, 0x80000000, RD,
		  PF_P | PF_RSVD);
	expect_gpa("long 2M page", &ctx, 0x200000 | 0x54321, WRITE,
		   0x254321);
	expect_gpa("long bits 62:52 of a PTE are ignored", &ctx, 0x3abc,
		   RD, 0x23abc);
	expect_pf("long NX without EFER.NXE is reserved", &ctx, 0x1000, RD,
		  PF_P | PF_RSVD);
	expect_pf("long PML4E PS is reserved", &ctx, 1ULL << 39, RD,
		  PF_P | PF_RSVD);
	expect_pf("long supervisor PML4E, user read", &ctx, 2ULL << 39,
		  USER, PF_P | PF_U);
	expect_pf("long read-only PTE, supervisor write, WP=1", &ctx, 0x2000,
		  WRITE, PF_P | PF_W);
	expect_pf("long read-only PD, supervisor write, WP=1", &ctx,
		  0x400000, WRITE, PF_P | PF_W);
	expect_pf("long PTE not present", &ctx, 0x5000, WRITE, PF_W);
	expect_err("long table outside guest memory", &ctx, 3ULL << 39, RD,
		   -ENOENT);
	expect_pf("long upper half, NX in PDE without NXE", &ctx,
		  high | 0x1ff000, RD, PF_P | PF_RSVD);
	expect_err("long non-canonical address", &ctx, 0x0000800000000000ULL,
		   RD, -EINVAL);

	ctx.efer |= EFER_NXE;
	expect_gpa("long NX page, read", &ctx, 0x1000, RD, 0x21000);
	expect_gpa("long upper half", &ctx, high | 0x1ff000 | 0x10, RD,
		   0x25010);
	expect_pf("long NX page, fetch", &ctx, 0x1000, FETCH, PF_P | PF_I);
	expect_pf("long NX in a PDE, fetch", &ctx, high | 0x1ff000, FETCH,
		  PF_P | PF_I);
	expect_gpa("long fetch from executable page", &ctx, 0x234, FETCH,
		   0x20234);
	ctx.cr4 |= CR4_SMEP;
	expect_pf("long SMEP: supervisor fetch from user page", &ctx, 0x234,
		  FETCH, PF_P | PF_I);
	expect_gpa("long SMEP: user fetch from user page", &ctx, 0x234,
		   FETCH | USER, 0x20234);

	ctx.cr0 &= ~CR0_WP;
	expect_gpa("long read-only PTE, supervisor write, WP=0", &ctx,
		   0x2000, WRITE, 0x22000);
	expect_pf("long read-only PTE, user write, WP=0", &ctx, 0x2000,
		  WRITE | USER, PF_P | PF_W | PF_U);

	ctx.cr4 |= CR4_LA57;
	expect_err("5-level paging not supported", &ctx, 0, RD, -EOPNOTSUPP);
	ctx.cr4 = 0;
	expect_err("LMA without PAE is refused", &ctx, 0, RD, -EINVAL);
}

static void test_hostile(void)
{
	struct vireo_walk_ctx ctx = make_ctx(CR0_PG, 0x10000, CR4_PAE,
					     EFER_LMA);
	u64 last = MEM_SIZE - 8;

	build_long_tables();
	/* Self-referencing PML4: the walk still ends after four levels. */
	put64(0x10000 + 4 * 8, 0x10000 | P | W);
	expect_gpa("recursive PML4 entry terminates", &ctx,
		   (4ULL << 39) | (4ULL << 30) | (4ULL << 21) | (4ULL << 12),
		   RD, 0x10000);
	/* Entry in the last 8 bytes of guest memory. */
	put64(0x10000 + 5 * 8, (MEM_SIZE - 0x1000) | P | W);
	put64(last, 0x40000000 | PS | P | W);
	expect_gpa("entry in the last bytes of guest memory", &ctx,
		   (5ULL << 39) | (511ULL << 30) | 0x123, RD, 0x40000123);
	/* A table pointer just past the end of guest memory. */
	put64(0x10000 + 6 * 8, MEM_SIZE | P | W);
	expect_err("table just past guest memory", &ctx, 6ULL << 39, RD,
		   -ENOENT);
	/* A read_gpa saying -EFAULT must not look like a guest #PF. */
	read_error = -EFAULT;
	expect_err("read_gpa -EFAULT becomes -EIO", &ctx, 6ULL << 39, RD,
		   -EIO);
	read_error = -ENOENT;
	/* PAE CR3 near 4G with the top PDPTE outside memory. */
	ctx = make_ctx(CR0_PG, 0xffffffe0, CR4_PAE, 0);
	expect_err("PAE PDPT outside memory", &ctx, 0xc0000000, RD, -ENOENT);
	/* Reserved bits everywhere with P clear: not-present wins. */
	ctx = make_ctx(CR0_PG, 0x10000, CR4_PAE, EFER_LMA);
	put64(0x10000 + 7 * 8, ~P);
	expect_pf("reserved bits ignored when not present", &ctx, 7ULL << 39,
		  RD, 0);
	ctx.read_gpa = NULL;
	expect_err("missing read_gpa refused", &ctx, 0, RD, -EINVAL);
}

void test_guest_walk(void)
{
	test_paging_off();
	test_32bit();
	test_pae();
	test_long_mode();
	test_hostile();
}
