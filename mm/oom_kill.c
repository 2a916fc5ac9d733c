/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running out of modelled memory. When a user page fault finds no free page,
 * 6.1 reclaims (page cache, swap) and, failing that, out_of_memory() picks a
 * victim by oom_badness() and SIGKILLs it; the fault then tries again. The
 * model has no direct reclaim: it runs the OOM killer only when 6.1 would
 * have nothing to reclaim either (no disk page cache, no free swap slot).
 * Otherwise, and when a read or write finds no page for the page cache, any
 * answer it gave would differ from the kernel's: it records what ran out and
 * the back end stops the run with a run-time error at the end of the step.
 */
#include "memfail/dax.h"
#include "memfail/fs.h"
#include "memfail/mm.h"
#include "memfail/printk.h"

void out_of_memory(struct machine *m, const char *where)
{
	if (!m->oom_stop)
		m->oom_stop = where;
}

/* What 6.1's shrink_node could still free: cached disk pages, anon pages with swap. */
static bool reclaimable(struct machine *m)
{
	int i;

	if (m->swap && m->swap->inuse < m->swap->nr_slots)
		return true;
	for (i = 0; i < m->nr_inodes; i++) {
		struct inode *inode = m->inodes[i];

		if (inode && (inode->i_sb->type == FS_DISK || inode->i_sb->type == FS_BDEV) &&
		    inode->i_data.nrpages)
			return true;
	}
	return false;
}

struct oom_points {
	long rss, swapents, ptes, pmds;
};

/* get_mm_rss + MM_SWAPENTS + mm_pgtables_bytes / PAGE_SIZE, from the page table. */
static long oom_badness(struct machine *m, struct mm_struct *mm, struct oom_points *pt)
{
	struct u64map tables;
	struct pt_iter it = { 0 };
	struct pte_block *b;
	uint64_t vpn;

	*pt = (struct oom_points){ 0 };
	u64map_init(&tables);
	while ((b = pt_next_block(&mm->pt, &it, &vpn))) {
		if (pt_block_empty(b))
			continue;
		for (int i = 0; i < PTES_PER_BLOCK; i++) {
			pte_t pte = b->pte[i];

			if (pte_present(pte) && pte_pfn(pte) != m->zero_pfn && !(pte & PTE_DEVMAP))
				pt->rss++;
			else if (pte_is_swp(pte) && swp_type(pte) == SWP_SWAPFILE)
				pt->swapents++;
		}
		/* one PTE table per 2M, one PMD table per 1G that holds any entry */
		if (!u64map_slot(&tables, vpn >> 9)) {
			u64map_put(&tables, vpn >> 9, 0);
			pt->ptes++;
		}
		if (!u64map_slot(&tables, (vpn >> 18) | (1ULL << 63))) {
			u64map_put(&tables, (vpn >> 18) | (1ULL << 63), 0);
			pt->pmds++;
		}
	}
	u64map_free(&tables);
	return pt->rss + pt->swapents + pt->ptes + pt->pmds;
}

/*
 * select_bad_process: for_each_process in creation order, the highest
 * oom_badness wins and an equal one later in the list replaces it
 * (oom_evaluate_task skips only a lower score). Then oom_kill_process: the
 * show_mem line the conformance trace keeps, the kill message, SIGKILL. A
 * victim that is the faulting task dies on its return to user space; any
 * other dies now, giving its memory back for the fault to try again.
 * Returns false when there was nothing to kill (or 6.1 would reclaim).
 */
bool oom_kill(struct machine *m, struct task_struct *current)
{
	struct task_struct *t, *victim = NULL;
	struct oom_points pt, vpt = { 0 };
	long best = 0;

	if (reclaimable(m))
		return false;
	for (t = m->tasks; t; t = t->next_all) {
		if (t->signal->dead || !t->mm)
			continue;
		long points = oom_badness(m, t->mm, &pt);

		if (!victim || points >= best) {
			victim = t;
			best = points;
			vpt = pt;
		}
	}
	if (!victim)
		return false;
	printk(m, KERN_WARNING, "%s invoked oom-killer: order=0, oom_score_adj=0",
	       current ? current->comm : "?");
	printk(m, KERN_INFO, "%llu pages hwpoisoned", (unsigned long long)m->num_poisoned_pages);
	printk(m, KERN_ERR,
	       "Out of memory: Killed process %d (%s) anon-rss:%ldkB, pgtables:%ldkB oom_score_adj:0",
	       victim->pid, victim->comm, vpt.rss * 4, (vpt.ptes + vpt.pmds) * 4);
	if (current && victim == current->group_leader) {
		if (!victim->signal->fatal_signal)
			m->nr_fatal++;
		victim->signal->fatal_signal = SIGKILL;
	} else {
		do_exit_group(victim, SIGKILL, 0);
	}
	return true;
}
