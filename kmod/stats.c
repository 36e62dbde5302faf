// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exit counters in debugfs: /sys/kernel/debug/vireo/<pid>-<n> holds one
 * line per vCPU with its counts of each neutral exit reason.
 */
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "vireo.h"

static struct dentry *vireo_debugfs_root;
static atomic_t vireo_vm_seq;

static const char *const stat_names[VIREO_NR_STATS] = {
	[VIREO_STAT_EXITS] = "exits",
	[VIREO_STAT_IO] = "io",
	[VIREO_STAT_MMIO] = "mmio",
	[VIREO_STAT_NPF] = "nested_faults",
	[VIREO_STAT_CPUID] = "cpuid",
	[VIREO_STAT_MSR] = "msr",
	[VIREO_STAT_HLT] = "hlt",
	[VIREO_STAT_INTR] = "interrupts",
	[VIREO_STAT_IRQ_WINDOW] = "irq_windows",
	[VIREO_STAT_HYPERCALL] = "hypercalls",
	[VIREO_STAT_OTHER] = "other",
	[VIREO_STAT_IOEVENTFD] = "ioeventfd",
};

static int vm_stats_show(struct seq_file *m, void *unused)
{
	struct vireo_vm *vm = m->private;
	int i, s;

	for (i = 0; i < VIREO_MAX_VCPUS; i++) {
		struct vireo_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);

		if (!vcpu)
			continue;
		seq_printf(m, "vcpu%d", i);
		for (s = 0; s < VIREO_NR_STATS; s++)
			seq_printf(m, " %s=%llu", stat_names[s],
				   READ_ONCE(vcpu->stats[s]));
		seq_putc(m, '\n');
	}
	seq_printf(m, "nested_table_pages=%lu\n",
		   READ_ONCE(vm->mmu.table_pages));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vm_stats);

void vireo_debugfs_init(void)
{
	vireo_debugfs_root = debugfs_create_dir("vireo", NULL);
}

void vireo_debugfs_exit(void)
{
	debugfs_remove_recursive(vireo_debugfs_root);
}

void vireo_vm_debugfs_add(struct vireo_vm *vm)
{
	char name[32];

	snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current),
		 atomic_inc_return(&vireo_vm_seq));
	vm->debugfs = debugfs_create_file(name, 0444, vireo_debugfs_root, vm,
					  &vm_stats_fops);
}

void vireo_vm_debugfs_remove(struct vireo_vm *vm)
{
	debugfs_remove(vm->debugfs);
}
