// SPDX-License-Identifier: GPL-2.0-only
/*
 * Injection and administration of the public API: debugfs corrupt-pfn,
 * unpoison-pfn and the hwpoison filter, sysfs hard/soft offline, machine
 * checks (AO from the work queue, AR by a consuming task), reclaim, ksmd
 * and the LRU batch drain. Each calls the kernel's own entry point
 * (mm/hwpoison-inject.c, mm/memory-failure*.c), which checks the pfn.
 */
#include "memfail/ksm.h"
#include "memfail/memory-failure.h"
#include "sys-internal.h"

enum pfn_op { P_CORRUPT, P_UNPOISON, P_HARD_OFFLINE, P_SOFT_OFFLINE, P_MCE_AO, P_MCE_AR, P_RECLAIM };

static int pfn_call(struct mf_machine *mm, int op, uint64_t pfn, int tid)
{
	struct machine *m = mm->m;
	struct task_struct *t;

	switch (op) {
	case P_CORRUPT:
		return hwpoison_inject_corrupt_pfn(m, pfn);
	case P_UNPOISON:
		return hwpoison_inject_unpoison_pfn(m, pfn);
	case P_HARD_OFFLINE:
		return sysfs_hard_offline_page(m, pfn << PAGE_SHIFT);
	case P_SOFT_OFFLINE:
		return sysfs_soft_offline_page(m, pfn << PAGE_SHIFT);
	case P_MCE_AO:
		memory_failure_queue(m, pfn, 0);
		memory_failure_work(m);
		return 0;
	case P_MCE_AR:
		/* the consuming thread is current only inside mce_srar */
		t = sys_task(mm, tid);
		m->current = NULL;
		if (!t)
			return -ESRCH;
		printk(m, KERN_ERR, "Uncorrected hardware memory error in user-access at %llx",
		       (unsigned long long)(pfn << PAGE_SHIFT));
		mce_srar(m, t, pfn);
		return 0;
	default:
		if (!pfn_valid(m, pfn))
			return -EINVAL;
		return reclaim_page(m, pfn_to_page(m, pfn));
	}
}

static void replay_pfn(struct mf_machine *mm, const struct sys_rec *r);

static int pfn_rec(struct mf_machine *mm, int op, uint64_t pfn, int tid)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_pfn, (int64_t[]){ op, (int64_t)pfn, tid }, 3, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, pfn_call(mm, op, pfn, tid));
}

static void replay_pfn(struct mf_machine *mm, const struct sys_rec *r)
{
	pfn_rec(mm, (int)r->a[0], (uint64_t)r->a[1], (int)r->a[2]);
}

int mf_corrupt_pfn(struct mf_machine *mm, uint64_t pfn)
{
	return pfn_rec(mm, P_CORRUPT, pfn, 0);
}

int mf_unpoison_pfn(struct mf_machine *mm, uint64_t pfn)
{
	return pfn_rec(mm, P_UNPOISON, pfn, 0);
}

int mf_hard_offline(struct mf_machine *mm, uint64_t phys)
{
	return pfn_rec(mm, P_HARD_OFFLINE, phys >> PAGE_SHIFT, 0);
}

int mf_soft_offline(struct mf_machine *mm, uint64_t phys)
{
	return pfn_rec(mm, P_SOFT_OFFLINE, phys >> PAGE_SHIFT, 0);
}

int mf_mce(struct mf_machine *mm, int kind, uint64_t pfn, int tid)
{
	if (kind != MF_MCE_AO && kind != MF_MCE_AR)
		return -EINVAL;
	return pfn_rec(mm, kind == MF_MCE_AO ? P_MCE_AO : P_MCE_AR, pfn, tid);
}

int mf_reclaim(struct mf_machine *mm, uint64_t pfn)
{
	return pfn_rec(mm, P_RECLAIM, pfn, 0);
}

/* ---- the filter ------------------------------------------------------------------------- */

static int filter_get(struct mf_machine *mm, struct mf_hwpoison_filter *out)
{
	const struct hwpoison_filter *f = &mm->m->filter;

	if (!out)
		return -EINVAL;
	*out = (struct mf_hwpoison_filter){ f->enable, f->dev_major, f->dev_minor, f->flags_mask,
					    f->flags_value, f->memcg };
	return 0;
}

int mf_filter_get(struct mf_machine *mm, struct mf_hwpoison_filter *f)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, filter_get(mm, f));
}

static int filter_set(struct mf_machine *mm, const struct mf_hwpoison_filter *in)
{
	if (!in)
		return -EINVAL;
	mm->m->filter = (struct hwpoison_filter){ in->enable, in->dev_major, in->dev_minor,
						  in->flags_mask, in->flags_value, in->memcg };
	return 0;
}

static void replay_filter(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_filter_set(mm, r->blob);
}

int mf_filter_set(struct mf_machine *mm, const struct mf_hwpoison_filter *f)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_filter, NULL, 0, NULL, NULL, f, f ? sizeof(*f) : 0);
	return (int)sys_leave(mm, filter_set(mm, f));
}

/* ---- ksmd and the LRU batch ------------------------------------------------------------ */

static int ksm_lru(struct mf_machine *mm, int nr)
{
	if (!nr) {
		lru_add_drain(mm->m);
		return 0;
	}
	if (nr < 0)
		return -EINVAL;
	return ksm_run_scans(mm->m, nr) < 0 ? -ENOMEM : 0;
}

static void replay_ksm_lru(struct mf_machine *mm, const struct sys_rec *r)
{
	if (r->a[0])
		mf_ksm_scan(mm, (int)r->a[0]);
	else
		mf_lru_drain(mm);
}

int mf_ksm_scan(struct mf_machine *mm, int nr)
{
	SYS_ENTER(mm);
	if (!nr)
		return (int)sys_leave(mm, 0);
	sys_record(mm, replay_ksm_lru, (int64_t[]){ nr }, 1, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, ksm_lru(mm, nr));
}

static void replay_swapoff(struct mf_machine *mm, const struct sys_rec *r)
{
	(void)r;
	mf_swapoff(mm);
}

int mf_swapoff(struct mf_machine *mm)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_swapoff, NULL, 0, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, swapoff(mm->m));
}

int mf_lru_drain(struct mf_machine *mm)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_ksm_lru, (int64_t[]){ 0 }, 1, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, ksm_lru(mm, 0));
}
