/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who is told about a poisoned page, and how: collect_procs finds the
 * processes that map it (through rmap, so the cost does not grow with unrelated
 * tasks), unmapping installs hwpoison entries, and kill_procs sends SIGBUS
 * (BUS_MCEERR_AO early, BUS_MCEERR_AR to the consuming thread) or SIGKILL.
 */
#define pr_fmt(fmt) "Memory failure: " fmt

#include <errno.h>
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/filemap.h"
#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "memfail/printk.h"
#include "ksm-internal.h"
#include "mf-internal.h"

struct to_kill {
	struct task_struct *tsk;
	uint64_t addr;
	/* process list order, then the rmap interval tree's: vm_pgoff, then insertion */
	uint64_t seq, vpgoff, vseq;
	int size_shift;
};

struct tk_list {
	struct to_kill *tk;
	int nr, cap;
	struct machine *m;
	struct page *page;
	bool force_early;
	uint64_t sub_off;	/* 6.12 (kill_addr_subpage): the poisoned 4K page's offset in page */
};

void mf_trace_event(struct machine *m, const struct mf_trace_rec *rec)
{
	ARRAY_PUSH(m->trace, m->nr_trace, m->cap_trace, *rec, "recording a memory_failure_event");
}

static struct task_struct *find_early_kill_thread(struct machine *m, struct task_struct *tsk)
{
	struct signal_struct *sig = tsk->signal;
	int i;

	for (i = 0; i < sig->nr_threads; i++) {
		struct task_struct *t = sig->threads[i];
		if (t->flags & PF_MCE_PROCESS) {
			if (t->flags & PF_MCE_EARLY)
				return t;
		} else if (m->sysctl_memory_failure_early_kill) {
			return t;
		}
	}
	return NULL;
}

struct task_struct *task_early_kill(struct machine *m, struct task_struct *tsk, bool force_early)
{
	if (!tsk->mm || tsk->signal->dead)
		return NULL;
	if (force_early && m->current && tsk->mm == m->current->mm)
		return m->current;
	return find_early_kill_thread(m, tsk);
}

static void add_to_kill(struct tk_list *l, struct task_struct *t, struct vm_area_struct *vma, uint64_t addr)
{
	ARRAY_GROW(l->tk, l->nr, l->cap, "collecting the processes to kill");
	/* size_shift: page_shift(compound_head(p)), 21 for a hugetlb page */
	l->tk[l->nr++] = (struct to_kill){ t, addr + l->sub_off, t->signal->seq, vma->vm_pgoff, vma->seq,
		PAGE_SHIFT + (PageFlag(l->page, PG_head) ? l->page->order : 0) };
}

static bool collect_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct tk_list *l = arg;
	struct task_struct *t = task_early_kill(l->m, vma->vm_mm->owner, l->force_early);

	if (!t)
		return true;
	if (PageAnon(page)) {
		/* page_mapped_in_vma: only where this (sub)page is really mapped */
		pte_t *p = pte_lookup(vma->vm_mm, addr + l->sub_off);
		if (!p || !pte_present(*p) ||
		    pte_pfn(*p) != page_to_pfn(l->m, page) + (l->sub_off >> PAGE_SHIFT))
			return true;
	}
	add_to_kill(l, t, vma, addr);
	return true;
}

static int tk_cmp(const void *a, const void *b)
{
	const struct to_kill *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->vpgoff != y->vpgoff)
		return x->vpgoff < y->vpgoff ? -1 : 1;
	if (x->vseq != y->vseq)
		return x->vseq < y->vseq ? -1 : 1;
	return 0;
}

static bool tk_has_task(const struct tk_list *l, const struct task_struct *t)
{
	for (int i = 0; i < l->nr; i++)
		if (l->tk[i].tsk == t)
			return true;
	return false;
}

/*
 * 6.12 collect_procs_ksm (profile ksm_recoverable): the stable node's rmap
 * items, newest first; for each, the processes (in process order) with a VMA
 * on the item's anon_vma, once each, at the item's address.
 */
static void collect_procs_ksm(struct tk_list *l)
{
	struct ksm_stable_node *node = page_stable_node(l->page);

	for (int i = 0; node && i < node->nr; i++) {
		struct ksm_rmap_item *item = node->items[i];
		struct anon_vma *av = item->anon_vma;
		int start = l->nr;

		anon_vma_compact(av);
		for (int j = 0; j < av->nr; j++) {
			struct vm_area_struct *vma = av->vmas[j];
			struct task_struct *t = task_early_kill(l->m, vma->vm_mm->owner,
								 l->force_early);

			if (t && !tk_has_task(l, t))
				add_to_kill(l, t, vma, item->address);
		}
		if (l->nr - start > 1)
			qsort(l->tk + start, (size_t)(l->nr - start), sizeof(*l->tk), tk_cmp);
	}
}

/* for_each_process order, found without walking every process. */
static void collect_procs(struct tk_list *l)
{
	if (!l->page->mapping)
		return;
	if (PageKsm(l->page) && l->m->profile->ksm_recoverable) {
		collect_procs_ksm(l);
		return;
	}
	rmap_walk(l->m, l->page, collect_one, l);
	if (l->nr > 1)
		qsort(l->tk, (size_t)l->nr, sizeof(*l->tk), tk_cmp);
}

static int kill_proc(struct machine *m, struct to_kill *tk, unsigned long pfn, int flags)
{
	struct task_struct *t = tk->tsk;
	int ret;

	pr_err(m, "%#lx: Sending SIGBUS to %s:%d due to hardware memory corruption", pfn, t->comm, t->pid);
	if ((flags & MF_ACTION_REQUIRED) && t == m->current)
		ret = force_sig_mceerr(MF_BUS_MCEERR_AR_CODE, tk->addr, tk->size_shift, t);
	else
		ret = send_sig_mceerr(MF_BUS_MCEERR_AO_CODE, tk->addr, tk->size_shift, t);
	if (ret < 0)
		pr_info(m, "Error sending signal to %s:%d: %d", t->comm, t->pid, ret);
	return ret;
}

static void kill_procs(struct tk_list *l, bool forcekill, bool fail, unsigned long pfn, int flags)
{
	struct machine *m = l->m;
	int i;

	for (i = 0; forcekill && i < l->nr; i++) {
		struct to_kill *tk = &l->tk[i];
		if (fail) {
			struct kernel_siginfo si = { SIGKILL, 0, 0, 0 };
			pr_err(m, "%#lx: forcibly killing %s:%d because of failure to unmap corrupted page",
			       pfn, tk->tsk->comm, tk->tsk->pid);
			send_sig_info(SIGKILL, &si, tk->tsk, true);
		} else if (kill_proc(m, tk, pfn, flags) < 0) {
			pr_err(m, "%#lx: Cannot send advisory machine check signal to %s:%d", pfn,
			       tk->tsk->comm, tk->tsk->pid);
		}
	}
	free(l->tk);
	l->tk = NULL;
	l->nr = l->cap = 0;
}

/*
 * The hugetlb case of hwpoison_user_mappings: every mapping of the whole
 * folio goes (hwpoison entries over all 2 MiB); hugetlbfs never writes back.
 */
static bool hwpoison_user_mappings_huge(struct machine *m, struct page *p, unsigned long pfn, int flags)
{
	struct page *hpage = compound_head_page(p);
	struct tk_list l = { NULL, 0, 0, m, hpage, flags & MF_ACTION_REQUIRED, 0 };
	bool unmap_success, forcekill;

	if (m->profile->kill_addr_subpage)
		l.sub_off = (uint64_t)(p - hpage) << PAGE_SHIFT;
	if (!total_mapcount(hpage))
		return true;
	collect_procs(&l);
	unmap_success = hugetlb_try_to_unmap(m, hpage, true);
	if (!unmap_success)
		pr_err(m, "%#lx: failed to unmap page (mapcount=%d)", pfn, total_mapcount(hpage));
	forcekill = PageFlag(hpage, PG_dirty) || (flags & MF_MUST_KILL) || !unmap_success;
	kill_procs(&l, forcekill, !unmap_success && !m->profile->unmap_failed_sigbus, pfn, flags);
	return unmap_success;
}

bool hwpoison_user_mappings(struct machine *m, struct page *p, unsigned long pfn, int flags)
{
	unsigned ttu = TTU_IGNORE_MLOCK | TTU_HWPOISON;
	struct tk_list l = { NULL, 0, 0, m, p, flags & MF_ACTION_REQUIRED, 0 };
	struct address_space *mapping;
	bool mlocked = PageFlag(p, PG_mlocked), unmap_success, forcekill;

	if (PageFlag(p, PG_reserved) || PageFlag(p, PG_slab) || PageFlag(p, PG_table))
		return true;
	if (PageHuge(p))
		return hwpoison_user_mappings_huge(m, p, pfn, flags);
	if (!PageFlag(p, PG_lru))
		return true;
	if (!page_mapped(p))
		return true;
	/* 6.1 gives up: the KSM page stays mapped (6.3 added collect_procs_ksm) */
	if (PageKsm(p) && !m->profile->ksm_recoverable) {
		pr_err(m, "%#lx: can't handle KSM pages.", pfn);
		return false;
	}
	if (PageFlag(p, PG_swapcache)) {
		pr_err(m, "%#lx: keeping poisoned page in swap cache", pfn);
		ttu &= ~TTU_HWPOISON;
	}
	mapping = page_mapping_file(p);
	if (!(flags & MF_MUST_KILL) && !PageFlag(p, PG_dirty) && mapping && mapping_can_writeback(mapping)) {
		if (page_mkclean(m, p)) {
			SetPageFlag(p, PG_dirty);
		} else {
			ttu &= ~TTU_HWPOISON;
			pr_info(m, "%#lx: corrupted page was clean: dropped without side effects", pfn);
		}
	}
	collect_procs(&l);
	try_to_unmap(m, p, ttu);
	unmap_success = !page_mapped(p);
	if (!unmap_success)	/* stays mapped: the invariant checker is told */
		u64map_put(&m->hwpoison_mapped, pfn, 1);
	if (!unmap_success)
		pr_err(m, "%#lx: failed to unmap page (mapcount=%d)", pfn, p->_mapcount);
	if (mlocked)
		shake_page(m, p);
	forcekill = PageFlag(p, PG_dirty) || (flags & MF_MUST_KILL) || !unmap_success;
	kill_procs(&l, forcekill, !unmap_success && !m->profile->unmap_failed_sigbus, pfn, flags);
	return unmap_success;
}

/*
 * 6.12: a THP that cannot be split is not unmapped, but its mappers hear of
 * the error now (AR for the injector, AO for early-kill processes), at the 4K
 * page's address with the THP's size (profile thp_unsplit_kill).
 */
void kill_procs_now(struct machine *m, struct page *p, unsigned long pfn, int flags)
{
	struct page *head = compound_head_page(p);
	struct tk_list l = { NULL, 0, 0, m, head, flags & MF_ACTION_REQUIRED,
			     (uint64_t)(p - head) << PAGE_SHIFT };

	collect_procs(&l);
	kill_procs(&l, true, false, pfn, flags);
}

/* MF_ACTION_REQUIRED on a page already poisoned: signal the thread that touched it again. */
int kill_accessing_process(struct machine *m, struct task_struct *t, unsigned long pfn, int flags)
{
	struct vm_area_struct *vma;
	struct to_kill tk;

	if (!t || !t->mm)
		return -EFAULT;
	for (vma = t->mm->mmap; vma; vma = vma->vm_next) {
		uint64_t a;
		for (a = vma->vm_start; a < vma->vm_end; a += PAGE_SIZE) {
			pte_t *p = pte_lookup(t->mm, a);
			uint64_t f;
			if (!p)
				continue;
			if (pte_present(*p))
				f = pte_pfn(*p);
			else if (is_hwpoison_pte(*p))
				f = swp_offset(*p);
			else
				continue;
			if (f != pfn)
				continue;
			tk = (struct to_kill){ .tsk = t, .addr = a, .size_shift = PAGE_SHIFT };
			kill_proc(m, &tk, pfn, flags);
			return -EHWPOISON;
		}
	}
	return 0;
}
