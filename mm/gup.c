/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * get_user_pages_fast: take a reference on the pages behind a user range,
 * faulting them in first, as madvise(MADV_HWPOISON/SOFT_OFFLINE) and
 * vmsplice(2) do. A plain reference (FOLL_GET), not FOLL_PIN: 6.1's vmsplice
 * holds exactly this, and it is what makes a THP split or a migration fail.
 */
#include <errno.h>

#include "memfail/mm.h"

static int gup_one_locked(struct task_struct *t, uint64_t addr, bool write, struct page **out)
{
	struct vm_area_struct *vma = find_vma(t->mm, addr);
	pte_t *p;

	if (!vma)
		return -EFAULT;
	p = pte_lookup(t->mm, addr);
	if (p && pte_present(*p) && (!write || (*p & PTE_WRITE))) {
		/* the lockless fast path only sets PG_referenced (6.1 gup_pte_range) */
		*out = pfn_to_page(t->m, pte_pfn(*p));
		if (pte_pfn(*p) != t->m->zero_pfn)
			SetPageFlag(*out, PG_referenced);
		get_page(*out);
		return 0;
	}
	if (handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0) != VM_FAULT_OK)
		return -EFAULT;
	p = pte_lookup(t->mm, addr);
	if (!p || !pte_present(*p))
		return -EFAULT;
	*out = pfn_to_page(t->m, pte_pfn(*p));
	follow_page_touch(vma, addr);
	get_page(*out);
	return 0;
}

/*
 * Under the mm's mmap_lock: the slow path takes it, and the lockless fast path
 * runs with interrupts off, so an unmap's TLB shootdown waits for it.
 */
static int gup_one(struct task_struct *t, uint64_t addr, bool write, struct page **out)
{
	void *lock = t->mm;
	int ret;

	mf_lock_obj(t->m, lock, "mmap_lock");
	ret = gup_one_locked(t, addr, write, out);
	mf_unlock_obj(t->m, lock);
	return ret;
}

/* The slow path's FOLL_TOUCH (follow_page_pte): the page just faulted in is marked accessed. */
void follow_page_touch(struct vm_area_struct *vma, uint64_t addr)
{
	struct machine *m = vma->vm_mm->owner->m;
	pte_t *p = pte_lookup(vma->vm_mm, addr);

	if (!p || !pte_present(*p) || pte_pfn(*p) == m->zero_pfn || (vma->vm_flags & VM_HUGETLB))
		return;
	mark_page_accessed(m, pfn_to_page(m, pte_pfn(*p)));
}

int get_user_pages_fast(struct task_struct *t, uint64_t start, int nr_pages, bool write,
			struct page **pages)
{
	int i, ret;

	for (i = 0; i < nr_pages; i++) {
		ret = gup_one(t, start + ((uint64_t)i << PAGE_SHIFT), write, &pages[i]);
		if (ret)
			return i ? i : ret;
	}
	return nr_pages;
}
