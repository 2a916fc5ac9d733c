/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/<pid>/pagemap: one 64-bit word per virtual page, encoded as the real
 * file encodes it, so a scenario (or a user) names a pfn the same way on the
 * model and on a real kernel.
 */
#include "memfail/mm.h"
#include "memfail/pagemap.h"

#define PM_PFRAME_MASK ((1ULL << 55) - 1)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_FILE (1ULL << 61)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP_TYPE_BITS 5

uint64_t pagemap_entry(struct machine *m, struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	pte_t *p = pte_lookup(mm, addr & ~(PAGE_SIZE - 1));
	uint64_t e = 0;

	if (!vma || !p)
		return 0;
	if (pte_present(*p)) {
		uint64_t pfn = pte_pfn(*p);
		struct page *page = pfn_to_page(m, pfn);
		e = PM_PRESENT | (pfn & PM_PFRAME_MASK);
		if (pfn != m->zero_pfn && !PageAnon(page))
			e |= PM_FILE;
		if (pfn != m->zero_pfn && page->_mapcount == 1)
			e |= PM_MMAP_EXCLUSIVE;
	} else if (vma->vm_flags & VM_HUGETLB) {
		/* 6.1 pagemap_hugetlb_range reports only present huge PTEs: a hwpoison
		 * entry there reads as nothing mapped (checked on 6.1) */
	} else if (pte_is_swp(*p)) {
		/* swap type in the low bits, offset (or pfn for hwpoison) above them */
		e = PM_SWAP | swp_type(*p) | ((swp_offset(*p) << PM_SWAP_TYPE_BITS) & PM_PFRAME_MASK);
	}
	if (e && (*p & PTE_DIRTY))
		e |= PM_SOFT_DIRTY;
	return e;
}
