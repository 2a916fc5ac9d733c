/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * get_user_pages_fast: take a reference on the pages behind a user range,
 * faulting them in first, as madvise(MADV_HWPOISON/SOFT_OFFLINE) and
 * vmsplice(2) do. A plain reference (FOLL_GET), not FOLL_PIN: 6.1's vmsplice
 * holds exactly this, and it is what makes a THP split or a migration fail.
 */
#include <errno.h>

#include "memfail/mm.h"

static int gup_one(struct task_struct *t, uint64_t addr, bool write, struct page **out)
{
	struct vm_area_struct *vma = find_vma(t->mm, addr);
	pte_t *p;

	if (!vma)
		return -EFAULT;
	p = pte_lookup(t->mm, addr);
	if (!p || !pte_present(*p) || (write && !(*p & PTE_WRITE))) {
		if (handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0) != VM_FAULT_OK)
			return -EFAULT;
		p = pte_lookup(t->mm, addr);
		if (!p || !pte_present(*p))
			return -EFAULT;
	}
	*out = pfn_to_page(t->m, pte_pfn(*p));
	get_page(*out);
	return 0;
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
