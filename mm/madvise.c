/* SPDX-License-Identifier: GPL-2.0-only */
/* madvise(2), including the two memory-failure injection advices. */
#include <errno.h>

#include "memfail/huge_mm.h"
#include "memfail/memory-failure.h"
#include "memfail/ksm.h"
#include "memfail/mm.h"
#include "memfail/profile.h"

static int madvise_inject_error(struct task_struct *t, int behavior, uint64_t start, uint64_t end)
{
	struct machine *m = t->m;
	uint64_t size;

	for (; start < end; start += size) {
		struct page *page, *head;
		unsigned long pfn;
		int ret;

		/*
		 * A SIGKILL (kill_procs' forcekill) kills the model's task at once,
		 * not on its return to user space as 6.1 does: the rest of the range
		 * is left uninjected rather than walked without an mm. A default-
		 * action SIGBUS waits for the return (deliver_fatal_signals).
		 */
		if (!t->mm)
			return 0;
		ret = get_user_pages_fast(t, start, 1, false, &page);
		if (ret < 0)
			return ret;
		pfn = page_to_pfn(m, page);
		/* 6.1 steps by page_size(compound_head(page)), taken before the split */
		head = compound_head_page(page);
		size = PAGE_SIZE << (PageFlag(head, PG_head) ? head->order : 0);
		if (behavior == MADV_SOFT_OFFLINE) {
			printk(m, KERN_INFO, "Soft offlining pfn %#lx at process virtual address %#llx",
			       pfn, (unsigned long long)start);
			ret = soft_offline_page(m, pfn, MF_COUNT_INCREASED);
		} else {
			printk(m, KERN_INFO, "Injecting memory failure for pfn %#lx at process virtual address %#llx",
			       pfn, (unsigned long long)start);
			ret = memory_failure(m, pfn, MF_COUNT_INCREASED | MF_SW_SIMULATED |
					     (m->profile->madv_hwpoison_ar ? MF_ACTION_REQUIRED : 0));
			if (ret == -EOPNOTSUPP)
				ret = 0;
		}
		if (ret)
			return ret;
	}
	return 0;
}

int do_madvise(struct task_struct *t, uint64_t start, uint64_t len, int advice)
{
	struct vm_area_struct *v;
	uint64_t end = start + len;

	if (!t->mm || start % PAGE_SIZE)
		return -EINVAL;
	if (advice == MADV_HWPOISON || advice == MADV_SOFT_OFFLINE)
		return madvise_inject_error(t, advice, start, end);
	for (v = t->mm->mmap; v; v = v->vm_next) {
		uint64_t s = v->vm_start > start ? v->vm_start : start;
		uint64_t e = v->vm_end < end ? v->vm_end : end, a;
		if (s >= e)
			continue;
		switch (advice) {
		case MADV_DONTNEED:
			zap_page_range(v, s, e);
			break;
		case MADV_PAGEOUT:
			for (a = s; a < e; a += PAGE_SIZE) {
				pte_t *p = pte_lookup(t->mm, a);
				struct page *page;
				if (!p || !pte_present(*p) || pte_pfn(*p) == t->m->zero_pfn)
					continue;
				page = pfn_to_page(t->m, pte_pfn(*p));
				if (page->_mapcount == 1)	/* only pages this process alone maps */
					reclaim_page(t->m, page);
			}
			break;
		case MADV_HUGEPAGE:
			v->vm_flags = (v->vm_flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
			break;
		case MADV_NOHUGEPAGE:
			v->vm_flags = (v->vm_flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
			break;
		case MADV_WILLNEED:
			break;
		case MADV_MERGEABLE:
		case MADV_UNMERGEABLE: {
			int ret = ksm_madvise(v, s, e, advice);
			if (ret)
				return ret;
			break;
		}
		case MADV_COLLAPSE: {
			int ret = madvise_collapse(v, s, e);
			if (ret)
				return ret;
			break;
		}
		default:
			return -EINVAL;
		}
	}
	return 0;
}
