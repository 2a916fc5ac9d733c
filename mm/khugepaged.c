/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Collapse of base pages into a THP: 6.1's MADV_COLLAPSE, the synchronous
 * form of what khugepaged does in the background. Per 2M range of an
 * anonymous VMA: scan the PTEs (hpage_collapse_scan_pmd), allocate the huge
 * page, read back swapped-out PTEs (a hwpoison entry fails here), isolate
 * every source page, copy, and map the new THP with one PMD. Per 2M of a
 * shmem VMA: scan the page cache (hpage_collapse_scan_file; a poisoned page,
 * kept in the cache off the LRU, fails it), replace the 4K pages by a 2M
 * folio (collapse_file) and map it in the caller's PMD. Either way the range
 * is never rebuilt from a poisoned page (seed 000). Scan results and their
 * errno mapping follow 6.1 (madvise_collapse_errno): EAGAIN for transient
 * pins, locks and LRU isolation, ENOMEM when no huge page can be allocated,
 * EINVAL otherwise.
 */
#include <errno.h>

#include "memfail/fs.h"
#include "memfail/huge_mm.h"
#include "memfail/locking.h"
#include "memfail/mm.h"
#include "memfail/profile.h"
#include "../fs/internal.h"

enum scan_result {
	SCAN_FAIL, SCAN_SUCCEED, SCAN_PMD_NONE, SCAN_PMD_MAPPED, SCAN_PAGE_RO, SCAN_PAGE_NULL,
	SCAN_PAGE_LRU, SCAN_PAGE_LOCK, SCAN_PAGE_ANON, SCAN_PAGE_COUNT, SCAN_DEL_PAGE_LRU,
	SCAN_PTE_NON_PRESENT, SCAN_ALLOC_HUGE_PAGE_FAIL, SCAN_PAGE_COMPOUND,
	SCAN_PTE_MAPPED_HUGEPAGE, SCAN_TRUNCATED,
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

static bool vma_is_shmem(struct vm_area_struct *vma)
{
	return vma->vm_file && shmem_mapping(file_mapping(vma->vm_file));
}

/*
 * hugepage_vma_check(vma, ..., in_pf=false, enforce_sysfs=false): neither the
 * sysfs policy nor shmem's huge= matters (shmem_huge_force).
 */
static bool collapse_vma_check(struct vm_area_struct *vma)
{
	if (vma->vm_flags & (VM_NOHUGEPAGE | VM_HUGETLB))
		return false;
	if (vma->vm_end - vma->vm_start < HPAGE_PMD_SIZE ||
	    !transhuge_vma_suitable(vma, (vma->vm_end - HPAGE_PMD_SIZE) & HPAGE_PMD_MASK))
		return false;
	if (vma->vm_file)	/* other files need READ_ONLY_THP_FOR_FS and VM_EXEC: never here */
		return vma_is_shmem(vma) && vma->vm_file->f_inode->regular;
	return vma->anon_vma;
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
		return SCAN_PMD_NONE;	/* no page table under this PMD */
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
		mlock_page(m, hpage);	/* mlock_new_page */
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

/* ---- shmem: the page cache is what gets collapsed ------------------------------------ */

/* hpage_collapse_scan_file: every cached page of the range must be a plain, idle LRU page. */
static enum scan_result scan_file(struct address_space *mapping, uint64_t start)
{
	uint64_t i;

	for (i = start; i < start + HPAGE_PMD_NR; i++) {
		struct page *page = xa_load(&mapping->i_pages, i);

		/* (the model never swaps shmem out: no value entries here) */
		if (!page)
			continue;
		if (PageFlag(page, PG_head))
			return page->order == HPAGE_PMD_ORDER && page->index == start ?
			       SCAN_PTE_MAPPED_HUGEPAGE : SCAN_PAGE_COMPOUND;
		if (!PageFlag(page, PG_lru))	/* e.g. a poisoned page memory_failure kept */
			return SCAN_PAGE_LRU;
		if (page->_refcount != 1 + page->_mapcount + (PageFlag(page, PG_private) ? 1 : 0))
			return SCAN_PAGE_COUNT;
	}
	return SCAN_SUCCEED;
}

/* set_huge_pmd: map the cached THP in this VMA with one PMD (do_set_pmd may refuse). */
static enum scan_result set_huge_pmd(struct vm_area_struct *vma, uint64_t haddr, struct page *hpage)
{
	get_page(hpage);
	if (do_set_pmd(vma, haddr, hpage, false) != VM_FAULT_OK) {
		put_page(vma_machine(vma), hpage);
		return SCAN_FAIL;
	}
	return SCAN_SUCCEED;
}

/*
 * retract_page_tables' collapse_and_free_pmd for the caller's range: the page
 * table goes with what is left in it, which after the unmap is at most the
 * hwpoison entries of pages punched since (zap_pte_range kept them).
 */
static void collapse_and_free_pmd(struct vm_area_struct *vma, uint64_t haddr)
{
	uint64_t i;

	for (i = 0; i < HPAGE_PMD_NR; i++) {
		uint64_t a = haddr + (i << PAGE_SHIFT);
		pte_t *p = pte_lookup(vma->vm_mm, a);

		if (p && !pte_present(*p))
			pte_clear(vma->vm_mm, a);
	}
}

/*
 * collapse_file for shmem: isolate and unmap every cached page of the range
 * (holes become zero pages), then one 2M folio takes their place. As in
 * 6.1 (retract_page_tables), the caller's range is PMD-mapped right away
 * only if it had a page table; else, or in a VMA with anon pages, the call
 * reports failure although the page cache was collapsed.
 */
static enum scan_result collapse_file(struct vm_area_struct *vma, uint64_t haddr,
				      struct address_space *mapping, uint64_t start)
{
	struct machine *m = vma_machine(vma);
	struct page *iso[HPAGE_PMD_NR], *hpage;
	bool had_table = !pmd_none_range(vma->vm_mm, haddr);	/* a page table is there */
	enum scan_result r = SCAN_SUCCEED;
	unsigned long first = start;
	int n = 0, i;

	hpage = alloc_pages(m, HPAGE_PMD_ORDER);
	if (!hpage)
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	prep_compound_page(m, hpage, HPAGE_PMD_ORDER);
	if (!xa_find(&mapping->i_pages, &first, start + HPAGE_PMD_NR - 1, XA_PRESENT))
		r = SCAN_TRUNCATED;
	for (first = start; r == SCAN_SUCCEED && first < start + HPAGE_PMD_NR; first++) {
		struct page *page = xa_load(&mapping->i_pages, first);

		if (!page)
			continue;	/* a hole: a zero subpage */
		if (!trylock_page(m, page)) {
			r = SCAN_PAGE_LOCK;
		} else if (!PageFlag(page, PG_uptodate) || !isolate_lru_page(m, page)) {
			r = PageFlag(page, PG_uptodate) ? SCAN_DEL_PAGE_LRU : SCAN_FAIL;
			unlock_page(m, page);
		} else {
			if (page_mapped(page))
				try_to_unmap(m, page, TTU_IGNORE_MLOCK);
			if (page->_refcount != 2) {	/* the cache's and the isolation's */
				r = SCAN_PAGE_COUNT;
				unlock_page(m, page);
				putback_lru_page(m, page);
			} else {
				iso[n++] = page;
			}
		}
	}
	if (r != SCAN_SUCCEED) {
		for (i = 0; i < n; i++) {
			unlock_page(m, iso[i]);
			putback_lru_page(m, iso[i]);
		}
		put_page(m, hpage);
		return r;
	}
	for (i = 0; i < n; i++) {
		page_data_copy(m, &hpage[iso[i]->index - start], iso[i]);
		delete_from_page_cache(iso[i]);
		ClearPageFlag(iso[i], PG_active);
		ClearPageFlag(iso[i], PG_unevictable);
		unlock_page(m, iso[i]);
		put_page(m, iso[i]);	/* the isolation's: the old page is freed */
	}
	SetPageFlag(hpage, PG_uptodate);
	add_to_page_cache(hpage, mapping, start);	/* its reference is one of the cache's */
	set_page_dirty_cache(mapping, hpage);
	lru_cache_add(m, hpage);
	if (vma->anon_vma)
		return SCAN_PAGE_ANON;
	/* 6.12 goes on to collapse_pte_mapped_thp, which installs the PMD even without a table */
	if (!had_table && !m->profile->collapse_pmd_none_installs)
		return SCAN_PMD_NONE;
	collapse_and_free_pmd(vma, haddr);
	return set_huge_pmd(vma, haddr, hpage);
}

/*
 * collapse_pte_mapped_thp(install_pmd): the range's cache is a THP already.
 * Its PTEs (each the matching subpage, or none) go and one PMD maps it.
 */
static enum scan_result collapse_pte_mapped_thp(struct vm_area_struct *vma, uint64_t haddr,
						struct page *hpage)
{
	struct machine *m = vma_machine(vma);
	uint64_t i;

	for (i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t *p = pte_lookup(vma->vm_mm, haddr + (i << PAGE_SHIFT));

		if (!p)
			continue;
		if (!pte_present(*p))
			return SCAN_PTE_NON_PRESENT;	/* e.g. a hwpoison entry */
		if (pte_pfn(*p) != page_to_pfn(m, hpage + i))
			return SCAN_FAIL;
	}
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		uint64_t a = haddr + (i << PAGE_SHIFT);
		pte_t *p = pte_lookup(vma->vm_mm, a);

		if (!p)
			continue;
		if (*p & PTE_DIRTY)
			SetPageFlag(hpage, PG_dirty);
		pte_clear(vma->vm_mm, a);
		page_remove_rmap(m, hpage + i, vma);
		put_page(m, hpage);
	}
	return set_huge_pmd(vma, haddr, hpage);	/* refused for a THP with a poisoned subpage */
}

static enum scan_result collapse_shmem_range(struct vm_area_struct *vma, uint64_t haddr)
{
	struct address_space *mapping = file_mapping(vma->vm_file);
	uint64_t start = vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT);
	pte_t *p = pte_lookup(vma->vm_mm, haddr);
	enum scan_result r;

	if (p && pte_huge(*p))
		return SCAN_PMD_MAPPED;
	r = scan_file(mapping, start);
	if (r == SCAN_SUCCEED)
		return collapse_file(vma, haddr, mapping, start);
	if (r == SCAN_PTE_MAPPED_HUGEPAGE)
		return collapse_pte_mapped_thp(vma, haddr, xa_load(&mapping->i_pages, start));
	return r;
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
	case SCAN_PTE_NON_PRESENT: case SCAN_PAGE_RO: case SCAN_PAGE_NULL: case SCAN_PAGE_COUNT:
	case SCAN_PAGE_LOCK: case SCAN_PAGE_COMPOUND: case SCAN_PAGE_LRU: case SCAN_DEL_PAGE_LRU:
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
		enum scan_result r;

		if (vma_is_shmem(vma)) {
			r = collapse_shmem_range(vma, a);
		} else {
			r = scan_pmd(vma, a, &unmapped);
			if (r == SCAN_SUCCEED)
				r = collapse_huge_page(vma, a, unmapped);
		}
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
