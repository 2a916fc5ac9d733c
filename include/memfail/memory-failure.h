/* SPDX-License-Identifier: GPL-2.0-only */
/* mm/memory-failure.c and its entry points (madvise, debugfs, sysfs, MCE). */
#ifndef MEMFAIL_MEMORY_FAILURE_H
#define MEMFAIL_MEMORY_FAILURE_H

#include <stddef.h>
#include <stdint.h>

#include "memfail/kpageflags.h"	/* umbrella, for now */

struct machine;
struct task_struct;

/* enum mf_flags, 6.1 values */
#define MF_COUNT_INCREASED (1 << 0)
#define MF_ACTION_REQUIRED (1 << 1)
#define MF_MUST_KILL (1 << 2)
#define MF_SOFT_OFFLINE (1 << 3)
#define MF_UNPOISON (1 << 4)
#define MF_SW_SIMULATED (1 << 5)
#define MF_NO_RETRY (1 << 6)

/* enum mf_action_result */
enum mf_action_result { MF_IGNORED, MF_FAILED, MF_DELAYED, MF_RECOVERED };

/* enum mf_action_page_type, 6.1 order (the tracepoint's type numbers) */
enum mf_action_page_type {
	MF_MSG_KERNEL, MF_MSG_KERNEL_HIGH_ORDER, MF_MSG_SLAB, MF_MSG_DIFFERENT_COMPOUND,
	MF_MSG_HUGE, MF_MSG_FREE_HUGE, MF_MSG_UNMAP_FAILED, MF_MSG_DIRTY_SWAPCACHE,
	MF_MSG_CLEAN_SWAPCACHE, MF_MSG_DIRTY_MLOCKED_LRU, MF_MSG_CLEAN_MLOCKED_LRU,
	MF_MSG_DIRTY_UNEVICTABLE_LRU, MF_MSG_CLEAN_UNEVICTABLE_LRU, MF_MSG_DIRTY_LRU,
	MF_MSG_CLEAN_LRU, MF_MSG_TRUNCATED_LRU, MF_MSG_BUDDY, MF_MSG_DAX,
	MF_MSG_UNSPLIT_THP, MF_MSG_UNKNOWN,
	MF_MSG_GET_HWPOISON, MF_MSG_ALREADY_POISONED,	/* 6.12's (numbered differently there) */
};

/*
 * memory_failure(): handle a hardware-poisoned pfn. current is the task that
 * consumed the error (MF_ACTION_REQUIRED) or made the injecting system call.
 * Returns 0, -EBUSY, -EHWPOISON, -EOPNOTSUPP (filtered), -ENXIO, -EFAULT.
 */
int memory_failure(struct machine *m, unsigned long pfn, int flags);
/* The patrol-scrub path: queue from "interrupt" context, run from the work queue. */
void memory_failure_queue(struct machine *m, unsigned long pfn, int flags);
void memory_failure_work(struct machine *m);
int unpoison_memory(struct machine *m, unsigned long pfn);
int soft_offline_page(struct machine *m, unsigned long pfn, int flags);
/*
 * Model-only knobs (mm/memory-failure-offline.c), set by a scenario's
 * `sysctl memfail.KEY=VALUE`: memfail.soft_offline_order=poison_then_put|
 * put_then_poison, memfail.soft_offline_pause=1|0. 0, -ENOENT (unknown key),
 * -EINVAL (bad value).
 */
int memfail_sysctl_set(struct machine *m, const char *key, const char *val);
/* Let a soft offline stopped in its window (memfail.soft_offline_pause) finish. */
void soft_offline_resume(struct machine *m);
/*
 * Model-only page->private marker: a frame that 6.1's unpoison cleared while
 * nobody held it and that is on no free list (6.1 loses it until reboot).
 */
#define MAGIC_UNPOISON_LEAKED 0x554e504cUL
/*
 * Model-only page->private marker: a poisoned subpage that a split of its
 * PMD-mapped THP mapped again by PTE (6.1's remap_page restores the frozen
 * PMD as PTEs, the poisoned subpage's too): readable, as on 6.1.
 */
#define MAGIC_HWPOISON_REMAPPED 0x48575250UL

/* mm/hwpoison-inject.c: debugfs hwpoison/ */
int hwpoison_inject_corrupt_pfn(struct machine *m, unsigned long pfn);
int hwpoison_inject_unpoison_pfn(struct machine *m, unsigned long pfn);
int hwpoison_filter(struct machine *m, unsigned long pfn);
/* drivers/base/memory.c: sysfs, physical addresses */
int sysfs_hard_offline_page(struct machine *m, uint64_t phys);
int sysfs_soft_offline_page(struct machine *m, uint64_t phys);
/* arch/x86/kernel/cpu/mce: an uncorrected error consumed by t's access (SRAR) */
int mce_srar(struct machine *m, struct task_struct *t, unsigned long pfn);

#endif
