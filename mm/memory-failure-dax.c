/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memory_failure() on a ZONE_DEVICE pfn, as 6.1 handles filesystem DAX:
 * memory_failure_dev_pagemap() asks the device (pmem -> dax holder -> XFS
 * notify_failure, which calls mf_dax_kill_procs() for every rmap owner) and
 * falls back to the generic one-file path (mf_generic_kill_procs(), through
 * page->mapping/index) when nobody claims it. Device memory cannot be swapped
 * for a good page, so every collected process is signalled (MF_MUST_KILL);
 * only the injecting task and early-kill processes are collected. The largest
 * mapping size found is unmapped from every process mapping the file there,
 * and reported in si_addr_lsb (12 PTE, 21 PMD).
 */
#define pr_fmt(fmt) "Memory failure: " fmt

#include <errno.h>
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/locking.h"
#include "memfail/printk.h"
#include "mf-internal.h"

struct dax_tk {
	struct task_struct *tsk;
	uint64_t addr, seq, vseq;
	unsigned shift;
};

struct dax_tk_list {
	struct dax_tk *tk;
	int nr, cap;
};

static int tk_cmp(const void *a, const void *b)
{
	const struct dax_tk *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->vseq < y->vseq ? -1 : x->vseq > y->vseq;
}

/* collect_procs_fsdax / collect_procs_file with force_early: mappers of pgoff. */
static void collect_procs_dax(struct machine *m, struct address_space *mapping, uint64_t pgoff,
			      struct dax_tk_list *l)
{
	int i;

	i_mmap_lock(m, mapping);	/* 6.1 collect_procs_fsdax: i_mmap_lock_read */
	i_mmap_compact(mapping);
	for (i = 0; i < mapping->nr_mmap; i++) {
		struct vm_area_struct *vma = mapping->i_mmap[i];
		uint64_t npages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT, addr;
		struct task_struct *t;
		unsigned shift;

		if (pgoff < vma->vm_pgoff || pgoff >= vma->vm_pgoff + npages)
			continue;
		t = task_early_kill(m, vma->vm_mm->owner, true);
		if (!t)
			continue;
		addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
		shift = dax_mapping_shift(vma, addr);
		if (!shift)
			continue;	/* this VMA does not map it: no signal from it */
		ARRAY_PUSH(l->tk, l->nr, l->cap, ((struct dax_tk){ t, addr, t->signal->seq, vma->seq, shift }),
			   "collecting the processes to kill");
	}
	i_mmap_unlock(m, mapping);
	if (l->nr > 1)
		qsort(l->tk, (size_t)l->nr, sizeof(*l->tk), tk_cmp);
}

/* A SIGBUS to t queued since this memory_failure began: a second one is dropped. */
static bool sigbus_pending(struct machine *m, struct task_struct *t)
{
	int i;

	for (i = m->mf_sig_base; i < m->nr_sigs && i >= 0; i++)
		if (m->sigs[i].tid == t->pid && m->sigs[i].info.si_signo == SIGBUS)
			return true;
	return false;
}

static void dax_kill_proc(struct machine *m, struct dax_tk *tk, unsigned long pfn, int flags)
{
	struct task_struct *t = tk->tsk;
	int ret = 0;

	pr_err(m, "%#lx: Sending SIGBUS to %s:%d due to hardware memory corruption", pfn, t->comm, t->pid);
	if (sigbus_pending(m, t))
		return;	/* a legacy signal already queued: the kernel drops this one silently */
	if ((flags & MF_ACTION_REQUIRED) && t == m->current)
		ret = force_sig_mceerr(MF_BUS_MCEERR_AR_CODE, tk->addr, (int)tk->shift, t);
	else
		ret = send_sig_mceerr(MF_BUS_MCEERR_AO_CODE, tk->addr, (int)tk->shift, t);
	if (ret < 0)
		pr_info(m, "Error sending signal to %s:%d: %d", t->comm, t->pid, ret);
}

static void unmap_and_kill(struct machine *m, struct dax_tk_list *l, unsigned long pfn,
			   struct address_space *mapping, uint64_t index, int flags)
{
	uint64_t size = 0;
	int i;

	for (i = 0; i < l->nr; i++)
		if ((1ULL << l->tk[i].shift) > size)
			size = 1ULL << l->tk[i].shift;
	if (size) {
		/* the largest mapping, aligned, from everyone mapping the file there */
		uint64_t start = (index << PAGE_SHIFT) & ~(size - 1);
		unmap_mapping_pages(mapping, start >> PAGE_SHIFT, size >> PAGE_SHIFT, false);
	}
	for (i = 0; (flags & MF_MUST_KILL) && i < l->nr; i++)
		dax_kill_proc(m, &l->tk[i], pfn, flags);
	free(l->tk);
	l->tk = NULL;
	l->nr = l->cap = 0;
}

int mf_dax_kill_procs(struct address_space *mapping, uint64_t index, uint64_t count, int mf_flags)
{
	struct machine *m = mapping->host->m;
	uint64_t end = index + count;

	mf_flags |= MF_ACTION_REQUIRED | MF_MUST_KILL;
	for (; index < end; index++) {
		struct dax_tk_list l = { NULL, 0, 0 };
		struct page *page = NULL;
		dax_entry_t cookie = dax_lock_mapping_entry(mapping, index, &page);

		if (!cookie)
			return -EBUSY;
		if (page) {
			/* the page of the entry: a PMD entry's first page */
			SetPageFlag(page, PG_hwpoison);
			collect_procs_dax(m, mapping, index, &l);
			unmap_and_kill(m, &l, page_to_pfn(m, page), mapping, index, mf_flags);
		}
		dax_unlock_mapping_entry(mapping, index, cookie);
	}
	return 0;
}

/*
 * 6.12 (profile dax_shared_lock_oops): a page of a shared (reflinked) extent
 * has folio->mapping PAGE_MAPPING_DAX_SHARED, not a pointer, and
 * dax_lock_folio() dereferences it: a NULL-pointer oops that kills the task
 * (SIGKILL) with mf_mutex held.
 */
static bool dax_lock_folio_oopses(struct machine *m, struct page *page)
{
	struct address_space *mapping = (struct address_space *)page->mapping;

	if (!m->profile->dax_shared_lock_oops || !mapping || PageAnon(page) ||
	    !daxfs_is_shared(mapping->host, page->index))
		return false;
	m->oops = "dax_lock_folio";
	if (m->current)
		do_exit_group(m->current, SIGKILL, 0);
	return true;
}

static int mf_generic_kill_procs(struct machine *m, unsigned long pfn, int flags)
{
	struct page *page = pfn_to_page(m, pfn);
	struct dax_tk_list l = { NULL, 0, 0 };
	struct address_space *mapping;
	dax_entry_t cookie;
	int rc = 0;

	if (dax_lock_folio_oopses(m, page))
		return -EFAULT;
	cookie = dax_lock_page(m, page);
	if (!cookie)
		return -EBUSY;	/* no file (free block, metadata, never faulted) */
	mapping = (struct address_space *)page->mapping;
	if (hwpoison_filter(m, pfn)) {
		rc = -EOPNOTSUPP;
		goto unlock;
	}
	SetPageFlag(page, PG_hwpoison);	/* marks the page remapped uncached */
	flags |= MF_ACTION_REQUIRED | MF_MUST_KILL;
	collect_procs_dax(m, mapping, page->index, &l);
	unmap_and_kill(m, &l, pfn, mapping, page->index, flags);
unlock:
	dax_unlock_page(m, page, cookie);
	return rc;
}

int memory_failure_dev_pagemap(struct machine *m, unsigned long pfn, int flags, struct dev_pagemap *pgmap)
{
	struct page *page = pfn_to_page(m, pfn);
	int rc = -ENXIO;

	m->mf_sig_base = m->nr_sigs;
	if (flags & MF_COUNT_INCREASED)
		put_page(m, page);	/* the madvise GUP reference */
	if (pgmap->ops && pgmap->ops->memory_failure) {
		rc = pgmap->ops->memory_failure(pgmap, pfn, 1, flags);
		if (rc != -EOPNOTSUPP)
			goto out;
	}
	rc = mf_generic_kill_procs(m, pfn, flags);
	if (m->oops)
		return rc;	/* the task died in the middle: nothing more is printed */
out:
	/* 6.1: counted and reported whatever happened, even -EOPNOTSUPP */
	action_result(m, pfn, MF_MSG_DAX, rc ? MF_FAILED : MF_RECOVERED);
	return rc;
}
