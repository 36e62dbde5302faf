// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioeventfd: a guest write to a registered port or MMIO address signals
 * an eventfd and is completed in the kernel.  A virtio device's queue
 * notification then wakes its back end directly, without a round trip
 * through the vCPU thread.
 *
 * The registrations of a VM are one array sorted by (space, address),
 * replaced as a whole on every change and published under vm->srcu, like
 * the memory slots: the exit path finds a write's candidates with a binary
 * search and never takes a lock.  Changes are serialised by vm->lock.
 *
 * The rules are KVM's: a registration matches a write to exactly its
 * address; one of length 0 (any length) matches every write there, one
 * of length n only writes of n bytes, and with DATAMATCH only writes of
 * that value.  Two registrations that could match the same write collide
 * (-EEXIST), so at most one matches any write.
 */
#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioeventfd.h"
#include "vireo.h"

#define IOEVENTFD_FLAGS (VIREO_IOEVENTFD_FLAG_DATAMATCH | \
			 VIREO_IOEVENTFD_FLAG_PIO | \
			 VIREO_IOEVENTFD_FLAG_DEASSIGN)

enum ioevent_space {
	IOEVENT_MMIO,
	IOEVENT_PIO,
};

struct vireo_ioevent {
	u64 addr;
	u64 datamatch;		/* with match_data only */
	struct eventfd_ctx *ctx;	/* a reference of ours */
	u8 space;		/* enum ioevent_space */
	u8 len;			/* 1, 2, 4, 8; 0 for any length */
	bool match_data;
};

struct vireo_ioevents {
	unsigned int count;
	struct vireo_ioevent entries[];	/* sorted by space, then addr */
};

static struct vireo_ioevents *ioevents_locked(struct vireo_vm *vm)
{
	return rcu_dereference_protected(vm->ioevents,
					 lockdep_is_held(&vm->lock));
}

static int key_cmp(u8 space, u64 addr, const struct vireo_ioevent *e)
{
	if (space != e->space)
		return space < e->space ? -1 : 1;
	if (addr != e->addr)
		return addr < e->addr ? -1 : 1;
	return 0;
}

/* Index of the first entry whose key is (space, addr) or greater. */
static unsigned int first_at(const struct vireo_ioevents *set, u8 space,
			     u64 addr)
{
	unsigned int lo = 0, hi = set->count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (key_cmp(space, addr, &set->entries[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Could one guest write match both?  Both are at the same key. */
static bool ioevents_collide(const struct vireo_ioevent *a,
			     const struct vireo_ioevent *b)
{
	if (!a->len || !b->len)
		return true;
	if (a->len != b->len)
		return false;
	return !a->match_data || !b->match_data ||
	       a->datamatch == b->datamatch;
}

static bool ioevent_matches(const struct vireo_ioevent *e, unsigned int len,
			    u64 value)
{
	if (!e->len)
		return true;
	if (e->len != len)
		return false;
	return !e->match_data || e->datamatch == value;
}

/* Swap in a new set (NULL for none); no vCPU reads the old one after. */
static void ioevents_publish(struct vireo_vm *vm, struct vireo_ioevents *new)
{
	rcu_assign_pointer(vm->ioevents, new);
	synchronize_srcu_expedited(&vm->srcu);
}

static struct vireo_ioevents *ioevents_alloc(unsigned int count)
{
	struct vireo_ioevents *set;

	set = kvmalloc(struct_size(set, entries, count), GFP_KERNEL_ACCOUNT);
	if (set)
		set->count = count;
	return set;
}

static int check_assign(const struct vireo_ioeventfd *args)
{
	switch (args->len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	/* A write of any length has no single value to compare. */
	if (!args->len && (args->flags & VIREO_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	return 0;
}

static int ioeventfd_assign(struct vireo_vm *vm,
			    const struct vireo_ioeventfd *args)
{
	struct vireo_ioevents *old, *new;
	struct vireo_ioevent e = {
		.addr = args->addr,
		.len = args->len,
		.space = args->flags & VIREO_IOEVENTFD_FLAG_PIO ?
			 IOEVENT_PIO : IOEVENT_MMIO,
		.match_data = args->flags & VIREO_IOEVENTFD_FLAG_DATAMATCH,
	};
	unsigned int count, pos, i;
	int ret;

	ret = check_assign(args);
	if (ret)
		return ret;
	if (e.match_data)
		e.datamatch = args->datamatch;
	e.ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(e.ctx))
		return PTR_ERR(e.ctx);

	mutex_lock(&vm->lock);
	old = ioevents_locked(vm);
	count = old ? old->count : 0;
	pos = old ? first_at(old, e.space, e.addr) : 0;
	for (i = pos; i < count; i++) {
		if (key_cmp(e.space, e.addr, &old->entries[i]))
			break;
		if (ioevents_collide(&old->entries[i], &e)) {
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	ret = -ENOSPC;
	if (count >= VIREO_MAX_IOEVENTFDS)
		goto out_unlock;
	ret = -ENOMEM;
	new = ioevents_alloc(count + 1);
	if (!new)
		goto out_unlock;
	if (old) {
		memcpy(new->entries, old->entries, pos * sizeof(e));
		memcpy(new->entries + pos + 1, old->entries + pos,
		       (count - pos) * sizeof(e));
	}
	new->entries[pos] = e;
	ioevents_publish(vm, new);
	mutex_unlock(&vm->lock);
	kvfree(old);
	return 0;

out_unlock:
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(e.ctx);
	return ret;
}

/* Index of the registration args describes, with this eventfd, or -1. */
static int find_registration(const struct vireo_ioevents *set,
			     const struct vireo_ioeventfd *args,
			     const struct eventfd_ctx *ctx)
{
	u8 space = args->flags & VIREO_IOEVENTFD_FLAG_PIO ?
		   IOEVENT_PIO : IOEVENT_MMIO;
	bool match_data = args->flags & VIREO_IOEVENTFD_FLAG_DATAMATCH;
	unsigned int i;

	if (!set)
		return -1;
	for (i = first_at(set, space, args->addr); i < set->count; i++) {
		const struct vireo_ioevent *e = &set->entries[i];

		if (key_cmp(space, args->addr, e))
			break;
		if (e->ctx == ctx && e->len == args->len &&
		    e->match_data == match_data &&
		    (!match_data || e->datamatch == args->datamatch))
			return i;
	}
	return -1;
}

/*
 * As KVM, a deassign checks nothing but the eventfd: a registration that
 * could not have been made is simply not found.
 */
static int ioeventfd_deassign(struct vireo_vm *vm,
			      const struct vireo_ioeventfd *args)
{
	struct vireo_ioevents *old, *new = NULL;
	struct eventfd_ctx *ctx, *gone;
	int ret, i;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vm->lock);
	old = ioevents_locked(vm);
	i = find_registration(old, args, ctx);
	ret = -ENOENT;
	if (i < 0)
		goto out_unlock;
	if (old->count > 1) {
		ret = -ENOMEM;
		new = ioevents_alloc(old->count - 1);
		if (!new)
			goto out_unlock;
		memcpy(new->entries, old->entries, i * sizeof(old->entries[0]));
		memcpy(new->entries + i, old->entries + i + 1,
		       (old->count - i - 1) * sizeof(old->entries[0]));
	}
	gone = old->entries[i].ctx;
	ioevents_publish(vm, new);
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(gone);
	kvfree(old);
	eventfd_ctx_put(ctx);
	return 0;

out_unlock:
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(ctx);
	return ret;
}

int vireo_ioeventfd_ioctl(struct vireo_vm *vm,
			  struct vireo_ioeventfd __user *arg)
{
	struct vireo_ioeventfd args;

	if (copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	/* KVM would take the s390 flag and an unused one here; we refuse. */
	if (args.flags & ~IOEVENTFD_FLAGS)
		return -EINVAL;
	if (args.flags & VIREO_IOEVENTFD_FLAG_DEASSIGN)
		return ioeventfd_deassign(vm, &args);
	return ioeventfd_assign(vm, &args);
}

bool vireo_ioeventfd_write(struct vireo_vm *vm, bool pio, u64 addr,
			   unsigned int len, const void *data)
{
	struct vireo_ioevents *set = srcu_dereference(vm->ioevents, &vm->srcu);
	u8 space = pio ? IOEVENT_PIO : IOEVENT_MMIO;
	u64 value = 0;
	unsigned int i;

	if (!set || !len || len > sizeof(value))
		return false;
	memcpy(&value, data, len);	/* little-endian, zero-extended */
	for (i = first_at(set, space, addr); i < set->count; i++) {
		const struct vireo_ioevent *e = &set->entries[i];

		if (key_cmp(space, addr, e))
			break;
		if (ioevent_matches(e, len, value)) {
			eventfd_signal(e->ctx, 1);
			return true;
		}
	}
	return false;
}

void vireo_ioeventfd_destroy(struct vireo_vm *vm)
{
	struct vireo_ioevents *set = rcu_dereference_protected(vm->ioevents,
							       true);
	unsigned int i;

	if (!set)
		return;
	for (i = 0; i < set->count; i++)
		eventfd_ctx_put(set->entries[i].ctx);
	kvfree(set);
	RCU_INIT_POINTER(vm->ioevents, NULL);
}
