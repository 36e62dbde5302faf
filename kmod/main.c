// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module entry: picks the vendor backend, registers /dev/vireo, answers
 * the device-level ioctls, and switches virtualization on each CPU while
 * at least one VM exists.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/smp.h>

#include "vireo.h"
#include "vendor.h"

const struct vireo_vendor_ops *vireo_vendor;

static const struct vireo_vendor_ops *const vireo_backends[] = {
	&vireo_svm_ops,
	&vireo_vmx_ops,
};

/* ---- Per-CPU enable, counted by VMs ---------------------------------- */

static DEFINE_MUTEX(hardware_lock);
static int hardware_users;	/* VMs alive; under hardware_lock */
static DEFINE_PER_CPU(bool, hardware_enabled);
static enum cpuhp_state hotplug_state;
static atomic_t enable_failed;

static void hardware_enable_this_cpu(void *unused)
{
	int ret;

	if (this_cpu_read(hardware_enabled))
		return;
	ret = vireo_vendor->cpu_enable();
	if (ret) {
		atomic_set(&enable_failed, ret);
		return;
	}
	this_cpu_write(hardware_enabled, true);
}

static void hardware_disable_this_cpu(void *unused)
{
	if (!this_cpu_read(hardware_enabled))
		return;
	vireo_vendor->cpu_disable();
	this_cpu_write(hardware_enabled, false);
}

/* Called by the first VM: switch on every online CPU, or none. */
int vireo_hardware_get(void)
{
	int ret = 0;

	cpus_read_lock();	/* before hardware_lock: hotplug takes them so */
	mutex_lock(&hardware_lock);
	if (hardware_users++ == 0) {
		atomic_set(&enable_failed, 0);
		on_each_cpu(hardware_enable_this_cpu, NULL, 1);
		ret = atomic_read(&enable_failed);
		if (ret) {
			on_each_cpu(hardware_disable_this_cpu, NULL, 1);
			hardware_users = 0;
			if (ret == -EBUSY)
				pr_warn_ratelimited("vireo: %s is in use by another hypervisor; unload it first\n",
						    vireo_vendor->name);
		}
	}
	mutex_unlock(&hardware_lock);
	cpus_read_unlock();
	return ret;
}

void vireo_hardware_put(void)
{
	cpus_read_lock();
	mutex_lock(&hardware_lock);
	if (--hardware_users == 0)
		on_each_cpu(hardware_disable_this_cpu, NULL, 1);
	mutex_unlock(&hardware_lock);
	cpus_read_unlock();
}

/*
 * CPU hotplug: a CPU coming online while VMs exist is switched on; one
 * going offline is switched off.  Both run on the CPU concerned.  A CPU
 * that cannot be switched on is refused, so no vCPU can land there.
 */
static int vireo_cpu_online(unsigned int cpu)
{
	int ret = 0;

	mutex_lock(&hardware_lock);
	if (hardware_users) {
		local_irq_disable();
		atomic_set(&enable_failed, 0);
		hardware_enable_this_cpu(NULL);
		ret = atomic_read(&enable_failed);
		local_irq_enable();
	}
	mutex_unlock(&hardware_lock);
	return ret;
}

static int vireo_cpu_offline(unsigned int cpu)
{
	mutex_lock(&hardware_lock);
	if (hardware_users) {
		local_irq_disable();
		hardware_disable_this_cpu(NULL);
		local_irq_enable();
	}
	mutex_unlock(&hardware_lock);
	return 0;
}

/* ---- /dev/vireo ------------------------------------------------------ */

static long vireo_check_extension(unsigned long cap)
{
	switch (cap) {
	case VIREO_CAP_USER_MEMORY:
	case VIREO_CAP_SET_TSS_ADDR:
	case VIREO_CAP_EXT_CPUID:
	case VIREO_CAP_SYNC_MMU:
	case VIREO_CAP_DESTROY_MEMORY_REGION_WORKS:
	case VIREO_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case VIREO_CAP_INTERNAL_ERROR_DATA:
	case VIREO_CAP_READONLY_MEM:
	case VIREO_CAP_IMMEDIATE_EXIT:
	case VIREO_CAP_XSAVE:
	case VIREO_CAP_XCRS:
	case VIREO_CAP_USER_NMI:
	case VIREO_CAP_IOEVENTFD:
	case VIREO_CAP_IOEVENTFD_NO_LENGTH:
	case VIREO_CAP_IOEVENTFD_ANY_LENGTH:
		return 1;
	case VIREO_CAP_NR_VCPUS:
	case VIREO_CAP_MAX_VCPUS:
	case VIREO_CAP_MAX_VCPU_ID:
		return VIREO_MAX_VCPUS;
	case VIREO_CAP_NR_MEMSLOTS:
		return VIREO_MAX_MEMSLOTS;
	default:
		return 0;
	}
}

long vireo_dev_check_extension(unsigned long cap)
{
	return vireo_check_extension(cap);
}

static long vireo_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case VIREO_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return VIREO_API_VERSION;
	case VIREO_CREATE_VM:
		return vireo_create_vm(arg);
	case VIREO_CHECK_EXTENSION:
		return vireo_check_extension(arg);
	case VIREO_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return (VIREO_PIO_PAGE_OFFSET + 1) * PAGE_SIZE;
	case VIREO_GET_MSR_INDEX_LIST:
		return vireo_get_msr_index_list(argp);
	case VIREO_GET_SUPPORTED_CPUID:
		return vireo_get_supported_cpuid(argp);
	default:
		return vireo_unknown_ioctl(cmd, -EINVAL);
	}
}

static const struct file_operations vireo_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vireo_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vireo_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vireo",
	.fops = &vireo_dev_fops,
	.mode = 0660,
};

static int __init vireo_init(void)
{
	int i, ret = -ENODEV;

	for (i = 0; i < ARRAY_SIZE(vireo_backends); i++) {
		ret = vireo_backends[i]->probe();
		if (!ret) {
			vireo_vendor = vireo_backends[i];
			break;
		}
	}
	if (!vireo_vendor) {
		pr_err("vireo: no usable hardware virtualization (VT-x or AMD-V with nested paging)\n");
		return -ENODEV;
	}

	ret = vireo_cpuid_init();
	if (ret)
		goto out_vendor;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "vireo:online",
					vireo_cpu_online, vireo_cpu_offline);
	if (ret < 0)
		goto out_cpuid;
	hotplug_state = ret;
	vireo_debugfs_init();
	ret = misc_register(&vireo_misc);
	if (ret)
		goto out_hotplug;
	pr_info("vireo: using %s\n", vireo_vendor->name);
	return 0;

out_hotplug:
	vireo_debugfs_exit();
	cpuhp_remove_state_nocalls(hotplug_state);
out_cpuid:
	vireo_cpuid_exit();
out_vendor:
	vireo_vendor->unload();
	vireo_vendor = NULL;
	return ret;
}

static void __exit vireo_exit(void)
{
	misc_deregister(&vireo_misc);
	vireo_debugfs_exit();
	cpuhp_remove_state_nocalls(hotplug_state);
	vireo_cpuid_exit();
	vireo_vendor->unload();
	WARN_ON(hardware_users);
}

module_init(vireo_init);
module_exit(vireo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Vireo hardware-assisted hypervisor");
