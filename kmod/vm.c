// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM object: its file descriptor, its memory slots and its lifetime.
 * A VM lives until its fd and every vCPU fd are closed.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "ioeventfd.h"
#include "vireo.h"
#include "vendor.h"

void vireo_vcpu_free(struct vireo_vcpu *vcpu);

struct vireo_memslots *vireo_memslots(struct vireo_vm *vm)
{
	return srcu_dereference_check(vm->memslots, &vm->srcu,
				      lockdep_is_held(&vm->lock));
}

/* Binary search of the sorted slots; NULL when gfn is in none. */
const struct vireo_memslot *vireo_find_memslot(struct vireo_memslots *slots,
					       u64 gfn)
{
	int lo = 0, hi = slots->count - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct vireo_memslot *s = &slots->slots[mid];

		if (gfn < s->base_gfn)
			hi = mid - 1;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static int memslot_cmp(const void *a, const void *b)
{
	const struct vireo_memslot *x = a, *y = b;

	if (x->base_gfn < y->base_gfn)
		return -1;
	return x->base_gfn > y->base_gfn;
}

static struct vireo_memslot *memslot_by_id(struct vireo_memslots *slots,
					   u32 id)
{
	int i;

	for (i = 0; i < slots->count; i++)
		if (slots->slots[i].id == id)
			return &slots->slots[i];
	return NULL;
}

static bool memslot_overlaps(struct vireo_memslots *slots, u32 skip_id,
			     u64 gfn, u64 npages)
{
	int i;

	for (i = 0; i < slots->count; i++) {
		const struct vireo_memslot *s = &slots->slots[i];

		if (s->id == skip_id)
			continue;
		if (gfn < s->base_gfn + s->npages && s->base_gfn < gfn + npages)
			return true;
	}
	return false;
}

static int check_memory_region(const struct vireo_memory_region *r)
{
	if (r->flags & ~VIREO_MEM_READONLY)
		return -EINVAL;
	if ((r->slot >> 16) != 0 || (r->slot & 0xffff) >= VIREO_MAX_MEMSLOTS)
		return -EINVAL;
	if ((r->memory_size | r->guest_phys_addr | r->userspace_addr) &
	    ~PAGE_MASK)
		return -EINVAL;
	if (r->guest_phys_addr + r->memory_size < r->guest_phys_addr ||
	    r->guest_phys_addr + r->memory_size > VIREO_GPA_LIMIT)
		return -EINVAL;
	if (r->memory_size &&
	    !access_ok((void __user *)(unsigned long)r->userspace_addr,
		       r->memory_size))
		return -EINVAL;
	if (r->userspace_addr != (unsigned long)r->userspace_addr)
		return -EINVAL;
	return 0;
}

/*
 * Work out the new slot set for a request.  *zap is set to the range whose
 * nested entries must go once the new set is published.
 */
static int build_memslots(struct vireo_memslots *new,
			  const struct vireo_memory_region *r,
			  struct vireo_memslot *zap)
{
	u32 id = r->slot & 0xffff;
	u64 gfn = r->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = r->memory_size >> PAGE_SHIFT;
	struct vireo_memslot *old = memslot_by_id(new, id);

	zap->npages = 0;
	if (!npages) {				/* delete */
		if (!old)
			return -EINVAL;
		*zap = *old;
		*old = new->slots[--new->count];
		goto sort;
	}
	if (old) {				/* move or flag change */
		if (old->userspace_addr != r->userspace_addr ||
		    old->npages != npages ||
		    (old->flags ^ r->flags) & VIREO_MEM_READONLY)
			return -EINVAL;
		if (old->base_gfn == gfn)
			return 0;
		if (memslot_overlaps(new, id, gfn, npages))
			return -EEXIST;
		*zap = *old;
		old->base_gfn = gfn;
		goto sort;
	}
	if (memslot_overlaps(new, id, gfn, npages))
		return -EEXIST;
	if (new->count >= VIREO_MAX_MEMSLOTS)
		return -ENOSPC;
	new->slots[new->count++] = (struct vireo_memslot){
		.id = id,
		.flags = r->flags,
		.base_gfn = gfn,
		.npages = npages,
		.userspace_addr = r->userspace_addr,
	};
sort:
	sort(new->slots, new->count, sizeof(new->slots[0]), memslot_cmp, NULL);
	return 1;
}

/*
 * Publish a copy of cur with the slot flagged invalid, wait until no
 * fault handler still sees cur, and remove the slot's nested entries.
 * Returns the published copy, or NULL (nothing changed) without memory.
 */
static struct vireo_memslots *retire_slot(struct vireo_vm *vm,
					  struct vireo_memslots *cur,
					  const struct vireo_memslot *slot)
{
	struct vireo_memslots *retiring;

	retiring = kmemdup(cur, sizeof(*cur), GFP_KERNEL_ACCOUNT);
	if (!retiring)
		return NULL;
	memslot_by_id(retiring, slot->id)->flags |= VIREO_MEMSLOT_INVALID;
	rcu_assign_pointer(vm->memslots, retiring);
	synchronize_srcu(&vm->srcu);
	vireo_mmu_zap_gfn_range(vm, slot->base_gfn, slot->npages);
	return retiring;
}

/*
 * A slot that is deleted or moved first goes out flagged invalid: the
 * fault path maps nothing from it, while the MMU notifier still sees its
 * host range.  Its nested entries are removed then, and only after that
 * is the new set, without it at its old place, published.  Dropping it
 * from the set first would leave a window in which the notifier no
 * longer knows the range but the nested entries still point at its
 * pages, which the host may be freeing.
 */
static int vm_set_memory_region(struct vireo_vm *vm,
				const struct vireo_memory_region *r)
{
	struct vireo_memslots *old, *new, *retiring;
	struct vireo_memslot zap;
	int ret;

	ret = check_memory_region(r);
	if (ret)
		return ret;

	new = kmalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;

	mutex_lock(&vm->lock);
	old = vireo_memslots(vm);
	memcpy(new, old, sizeof(*new));
	ret = build_memslots(new, r, &zap);
	if (ret > 0 && zap.npages) {
		retiring = retire_slot(vm, old, &zap);
		if (retiring) {
			kfree(old);
			old = retiring;
		} else {
			ret = -ENOMEM;
		}
	}
	if (ret <= 0) {
		mutex_unlock(&vm->lock);
		kfree(new);
		return ret;
	}
	rcu_assign_pointer(vm->memslots, new);
	synchronize_srcu(&vm->srcu);
	mutex_unlock(&vm->lock);
	kfree(old);
	return 0;
}

static void vireo_vm_free(struct kref *ref)
{
	struct vireo_vm *vm = container_of(ref, struct vireo_vm, ref);
	int i;

	/* The notifier and the stats file go first: they look at vCPUs. */
	vireo_vm_debugfs_remove(vm);
	vireo_mmu_destroy(vm);
	for (i = 0; i < VIREO_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vireo_vcpu_free(vm->vcpus[i]);
	vireo_ioeventfd_destroy(vm);
	kfree(rcu_dereference_protected(vm->memslots, true));
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	kfree(vm);
	vireo_hardware_put();
	module_put(THIS_MODULE);
}

void vireo_vm_put(struct vireo_vm *vm)
{
	kref_put(&vm->ref, vireo_vm_free);
}

static long vireo_vm_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct vireo_vm *vm = file->private_data;
	void __user *argp = (void __user *)arg;
	struct vireo_memory_region region;

	if (vm->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case VIREO_CREATE_VCPU:
		return vireo_create_vcpu(vm, arg);
	case VIREO_SET_USER_MEMORY_REGION:
		if (copy_from_user(&region, argp, sizeof(region)))
			return -EFAULT;
		return vm_set_memory_region(vm, &region);
	case VIREO_SET_TSS_ADDR:
		/* Needed by VT-x without unrestricted guests only. */
		vm->tss_addr = arg;
		return 0;
	case VIREO_IOEVENTFD:
		return vireo_ioeventfd_ioctl(vm, argp);
	case VIREO_CHECK_EXTENSION:
		return vireo_dev_check_extension(arg);
	default:
		return -ENOTTY;
	}
}

static int vireo_vm_release(struct inode *inode, struct file *file)
{
	vireo_vm_put(file->private_data);
	return 0;
}

static const struct file_operations vireo_vm_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vireo_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = vireo_vm_release,
	.llseek = noop_llseek,
};

long vireo_create_vm(unsigned long type)
{
	struct vireo_vm *vm;
	int ret;

	if (type)
		return -EINVAL;

	ret = vireo_hardware_get();
	if (ret)
		return ret;

	ret = -ENOMEM;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto out_hw;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	RCU_INIT_POINTER(vm->memslots,
			 kzalloc(sizeof(struct vireo_memslots),
				 GFP_KERNEL_ACCOUNT));
	if (!rcu_access_pointer(vm->memslots))
		goto out_vm;
	if (init_srcu_struct(&vm->srcu))
		goto out_slots;
	ret = vireo_mmu_init(vm);
	if (ret)
		goto out_srcu;

	vireo_vm_debugfs_add(vm);
	/* The VM holds the module until vireo_vm_free(). */
	__module_get(THIS_MODULE);
	ret = anon_inode_getfd("vireo-vm", &vireo_vm_fops, vm,
			       O_RDWR | O_CLOEXEC);
	if (ret < 0)
		vireo_vm_put(vm);	/* frees everything, hardware too */
	return ret;

out_srcu:
	cleanup_srcu_struct(&vm->srcu);
out_slots:
	kfree(rcu_access_pointer(vm->memslots));
out_vm:
	mmdrop(vm->mm);
	kfree(vm);
out_hw:
	vireo_hardware_put();
	return ret;
}
