/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Collapse of anonymous base pages into a THP: 6.1's MADV_COLLAPSE, the
 * synchronous form of what khugepaged does in the background. Per 2M range:
 * scan the PTEs (hpage_collapse_scan_pmd), allocate the huge page, read back
 * swapped-out PTEs (a hwpoison entry fails here: the range is never rebuilt
 * from a poisoned page, seed 000), isolate every source page, copy, and map
 * the new THP with one PMD. The scan results and their errno mapping follow
 * 6.1 (madvise_collapse_errno): EAGAIN for transient pins, locks and LRU
 * isolation, ENOMEM when no huge page can be allocated, EINVAL otherwise.
 */
#include <errno.h>

#include "memfail/huge_mm.h"
#include "memfail/locking.h"
#include "memfail/mm.h"

enum scan_result {
	SCAN_FAIL, SCAN_SUCCEED, SCAN_PMD_NULL, SCAN_PMD_MAPPED, SCAN_PAGE_RO, SCAN_PAGE_NULL,
	SCAN_PAGE_LRU, SCAN_PAGE_LOCK, SCAN_PAGE_ANON, SCAN_PAGE_COUNT, SCAN_DEL_PAGE_LRU,
	SCAN_PTE_NON_PRESENT, SCAN_ALLOC_HUGE_PAGE_FAIL,
};

static struct machine *vma_machine(struct vm_area_struct *vma)
{
	return vma->vm_mm->owner->m;
}

/* The page a present, non-zero PTE maps; NULL for none, zero page or a swap entry. */
static struct page *pte_normal_page(struct vm_area_struct *vma, pte_t pte)
{
	struct machine *m = vma_machine(vma);

	if (!pte_present(pte) || pte_pfn(pte) == m->zero_pfn)
		return NULL;
	return pfn_to_page(m, pte_pfn(pte));
}

/* Mappings plus the swap cache's reference: anything more is a pin (GUP, pipe, ...). */
static bool is_refcount_suitable(struct page *head)
{
	int64_t expected = PageFlag(head, PG_head) ? total_mapcount(head) : head->_mapcount;

	if (PageFlag(head, PG_swapcache))
		expected += PageFlag(head, PG_head) ? HPAGE_PMD_NR : 1;
	return head->_refcount == expected;
}

/* hugepage_vma_check(vma, ..., in_pf=false, enforce_sysfs=false): sysfs "never" does not matter. */
static bool collapse_vma_check(struct vm_area_struct *vma)
{
	uint64_t haddr = (vma->vm_end - HPAGE_PMD_SIZE) & HPAGE_PMD_MASK;

	if (vma->vm_flags & (VM_NOHUGEPAGE | VM_HUGETLB))
		return false;
	if (vma->vm_end - vma->vm_start < HPAGE_PMD_SIZE || haddr < vma->vm_start)
		return false;
	/* a regular file's VMA needs READ_ONLY_THP_FOR_FS and VM_EXEC: never here */
	return !vma->vm_file && vma->anon_vma;
}

static enum scan_result scan_pmd(struct vm_area_struct *vma, uint64_t haddr, int *unmapped)
{
	struct mm_struct *mm = vma->vm_mm;
	bool writable = false, any = false;
	uint64_t a;

	*unmapped = 0;
	for (a = haddr; a < haddr + HPAGE_PMD_SIZE; a += PAGE_SIZE) {
		pte_t *p = pte_lookup(mm, a);
		struct page *page, *head;

		if (!p)
			continue;
		any = true;
		if (pte_huge(*p))
			return SCAN_PMD_MAPPED;
		if (pte_is_swp(*p)) {	/* swap, hwpoison or migration entry */
			(*unmapped)++;
			continue;
		}
		page = pte_normal_page(vma, *p);
		if (!page) {
			if (pte_pfn(*p) == vma_machine(vma)->zero_pfn)
				continue;
			return SCAN_PAGE_NULL;
		}
		if (*p & PTE_WRITE)
			writable = true;
		head = compound_head_page(page);
		if (!PageFlag(head, PG_lru))
			return SCAN_PAGE_LRU;
		if (PageFlag(head, PG_locked))
			return SCAN_PAGE_LOCK;
		if (!PageAnon(head))
			return SCAN_PAGE_ANON;
		if (!is_refcount_suitable(head))
			return SCAN_PAGE_COUNT;
	}
	if (!any)
		return SCAN_PMD_NULL;	/* no page table under this PMD */
	return writable ? SCAN_SUCCEED : SCAN_PAGE_RO;
}

/* __collapse_huge_page_swapin: fault every swap PTE back in; a hwpoison entry fails. */
static enum scan_result collapse_swapin(struct vm_area_struct *vma, uint64_t haddr)
{
	struct machine *m = vma_machine(vma);
	uint64_t a;

	for (a = haddr; a < haddr + HPAGE_PMD_SIZE; a += PAGE_SIZE) {
		pte_t *p = pte_lookup(vma->vm_mm, a);

		if (!p || !pte_is_swp(*p))
			continue;
		if (swp_type(*p) != SWP_SWAPFILE || do_swap_page(vma, a, *p) != VM_FAULT_OK)
			return SCAN_FAIL;
	}
	lru_add_drain(m);
	return SCAN_SUCCEED;
}

/*
 * __collapse_huge_page_isolate: every source folio once (a PTE-mapped THP
 * appears 512 times), locked, refcount-checked and taken off the LRU.
 * On failure the folios isolated so far go back.
 */
static enum scan_result collapse_isolate(struct vm_area_struct *vma, uint64_t haddr,
					 struct page **iso, int *nr_iso)
{
	struct machine *m = vma_machine(vma);
	enum scan_result r = SCAN_SUCCEED;
	bool writable = false;
	uint64_t a;
	int i;

	*nr_iso = 0;
	for (a = haddr; a < haddr + HPAGE_PMD_SIZE; a += PAGE_SIZE) {
		pte_t *p = pte_lookup(vma->vm_mm, a);
		struct page *page, *head;

		if (!p || (pte_present(*p) && pte_pfn(*p) == m->zero_pfn))
			continue;
		if (!pte_present(*p)) {
			r = SCAN_PTE_NON_PRESENT;
			break;
		}
		page = pte_normal_page(vma, *p);
		if (!page) {
			r = SCAN_PAGE_NULL;
			break;
		}
		if (*p & PTE_WRITE)
			writable = true;
		head = compound_head_page(page);
		for (i = 0; i < *nr_iso && iso[i] != head; i++)
			;
		if (i < *nr_iso)
			continue;
		if (!trylock_page(m, head)) {
			r = SCAN_PAGE_LOCK;
			break;
		}
		if (!is_refcount_suitable(head)) {
			unlock_page(m, head);
			r = SCAN_PAGE_COUNT;
			break;
		}
		if (!isolate_lru_page(m, head)) {
			unlock_page(m, head);
			r = SCAN_DEL_PAGE_LRU;
			break;
		}
		iso[(*nr_iso)++] = head;
	}
	if (r == SCAN_SUCCEED && !writable)
		r = SCAN_PAGE_RO;
	if (r != SCAN_SUCCEED) {
		for (i = 0; i < *nr_iso; i++) {
			unlock_page(m, iso[i]);
			putback_lru_page(m, iso[i]);
		}
		*nr_iso = 0;
	}
	return r;
}

/* The swap slot goes with the page when no PTE refers to the slot any more. */
static void free_swap_cache(struct machine *m, struct page *head)
{
	if (PageFlag(head, PG_swapcache) && !page_mapped(head) &&
	    m->swap->swap_map[head->private] == 1)
		delete_from_swap_cache(m, head);
}

/* __collapse_huge_page_copy + the PMD install: the old PTEs go, their pages with them. */
static void collapse_copy(struct vm_area_struct *vma, uint64_t haddr, struct page *hpage,
			  struct page **iso, int nr_iso)
{
	struct machine *m = vma_machine(vma);
	uint64_t a, i;
	int k;

	for (a = haddr, i = 0; a < haddr + HPAGE_PMD_SIZE; a += PAGE_SIZE, i++) {
		pte_t *p = pte_lookup(vma->vm_mm, a);
		struct page *src = p ? pte_normal_page(vma, *p) : NULL;

		page_add_anon_rmap(&hpage[i], vma, a);
		if (p)
			pte_clear(vma->vm_mm, a);
		if (!src)
			continue;
		page_data_copy(m, &hpage[i], src);
		page_remove_rmap(m, src, vma);
		put_page(m, src);	/* the PTE's reference */
	}
	for (k = 0; k < nr_iso; k++) {
		unlock_page(m, iso[k]);
		free_swap_cache(m, iso[k]);
		putback_lru_page(m, iso[k]);	/* drops isolation's reference: frees it */
	}
	SetPageFlag(hpage, PG_swapbacked);
	SetPageFlag(hpage, PG_uptodate);
	SetPageFlag(hpage, PG_anon_exclusive);
	if (vma->vm_flags & VM_LOCKED)
		SetPageFlag(hpage, PG_mlocked);
	lru_cache_add(m, hpage);
	map_huge_pmd(vma, haddr, hpage, vma->vm_flags & VM_WRITE, true);
}

static enum scan_result collapse_huge_page(struct vm_area_struct *vma, uint64_t haddr, int unmapped)
{
	struct machine *m = vma_machine(vma);
	struct page *iso[HPAGE_PMD_NR], *hpage;
	enum scan_result r;
	int nr_iso;

	hpage = alloc_pages(m, HPAGE_PMD_ORDER);
	if (!hpage)
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	prep_compound_page(m, hpage, HPAGE_PMD_ORDER);
	r = unmapped ? collapse_swapin(vma, haddr) : SCAN_SUCCEED;
	if (r == SCAN_SUCCEED)
		r = collapse_isolate(vma, haddr, iso, &nr_iso);
	if (r != SCAN_SUCCEED) {
		put_page(m, hpage);
		return r;
	}
	collapse_copy(vma, haddr, hpage, iso, nr_iso);
	return SCAN_SUCCEED;
}

static int madvise_collapse_errno(enum scan_result r)
{
	switch (r) {
	case SCAN_ALLOC_HUGE_PAGE_FAIL:
		return -ENOMEM;
	case SCAN_PAGE_COUNT: case SCAN_PAGE_LOCK: case SCAN_PAGE_LRU: case SCAN_DEL_PAGE_LRU:
		return -EAGAIN;
	default:
		return -EINVAL;
	}
}

/* Results after which the next 2M range is still tried (the rest end the call). */
static bool collapse_may_continue(enum scan_result r)
{
	switch (r) {
	case SCAN_PMD_NULL: case SCAN_PTE_NON_PRESENT: case SCAN_PAGE_RO: case SCAN_PAGE_NULL:
	case SCAN_PAGE_COUNT: case SCAN_PAGE_LOCK: case SCAN_PAGE_LRU: case SCAN_DEL_PAGE_LRU:
		return true;
	default:
		return false;
	}
}

int madvise_collapse(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	uint64_t hstart = (start + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK, hend = end & HPAGE_PMD_MASK, a;
	enum scan_result last_fail = SCAN_FAIL;
	uint64_t thps = 0;

	if (!collapse_vma_check(vma))
		return -EINVAL;
	lru_add_drain(vma_machine(vma));
	for (a = hstart; a < hend; a += HPAGE_PMD_SIZE) {
		int unmapped;
		enum scan_result r = scan_pmd(vma, a, &unmapped);

		if (r == SCAN_SUCCEED)
			r = collapse_huge_page(vma, a, unmapped);
		if (r == SCAN_SUCCEED || r == SCAN_PMD_MAPPED) {
			thps++;
			continue;
		}
		last_fail = r;
		if (!collapse_may_continue(r))
			break;
	}
	return hend <= hstart || thps == (hend - hstart) / HPAGE_PMD_SIZE ? 0 : madvise_collapse_errno(last_fail);
}
