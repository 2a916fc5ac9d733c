/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The 2 MiB hugetlb pool and hugetlb faults, as in Linux 6.1: a pool of
 * order-9 folios (nr_hugepages, free, reserved, surplus up to the overcommit
 * limit), reservations taken at mmap time, faults that map a whole huge page,
 * and memory_failure's hugetlb path: the head carries PG_hwpoison, the raw
 * error pages are listed (PG_raw_hwp here, 6.1's raw_hwp_page list) so that
 * dissolving the folio leaves only them poisoned. A poisoned free folio is
 * never handed out again.
 */
#include <errno.h>
#include <string.h>

#include "memfail/huge_mm.h"
#include "memfail/mm.h"
#include "mf-internal.h"
#include "../fs/internal.h"

static void enqueue_huge_page(struct machine *m, struct page *head)
{
	page_list_add(m, &m->hstate.freelist, head);
	m->hstate.free_huge_pages++;
}

/* alloc_fresh_huge_page: a new folio from buddy, not yet in the pool counts. */
static struct page *alloc_fresh_huge_page(struct machine *m)
{
	struct page *head = alloc_pages(m, HPAGE_PMD_ORDER);

	if (!head)
		return NULL;
	prep_compound_page(m, head, HPAGE_PMD_ORDER);
	SetPageFlag(head, PG_hugetlb);
	head->_refcount = 0;
	return head;
}

/*
 * update_and_free_page: the poison moves from the head to the listed raw
 * pages, then the folio goes back to buddy; the model's free_pages keeps the
 * raw pages out of the free lists (the kernel's check_new_page refuses them).
 */
static void update_and_free_page(struct machine *m, struct page *head)
{
	uint64_t pfn = page_to_pfn(m, head), i;
	bool poisoned = PageFlag(head, PG_hwpoison);

	ClearPageFlag(head, PG_hwpoison);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *p = &m->pages[pfn + i];
		page_data_release(m, p);
		if (PageFlag(p, PG_raw_hwp)) {
			ClearPageFlag(p, PG_raw_hwp);
			if (poisoned)
				SetPageFlag(p, PG_hwpoison);
		}
	}
	destroy_compound_page(m, head);
	free_pages(m, head, HPAGE_PMD_ORDER);
}

/* set_max_huge_pages for a fresh machine, and nr_overcommit_hugepages. */
int hugetlb_set_pool(struct machine *m, uint64_t nr, uint64_t overcommit)
{
	struct hstate *h = &m->hstate;

	h->nr_overcommit_huge_pages = overcommit;
	while (h->nr_huge_pages < nr) {
		struct page *head = alloc_fresh_huge_page(m);
		if (!head)
			return -ENOMEM;
		h->nr_huge_pages++;
		enqueue_huge_page(m, head);
	}
	h->max_huge_pages = h->nr_huge_pages;
	return 0;
}

static struct page *dequeue_huge_page(struct machine *m)
{
	uint32_t pfn;

	for (pfn = m->hstate.freelist.head; pfn != NO_PFN; pfn = m->pages[pfn].lru_next) {
		struct page *head = &m->pages[pfn];
		if (PageFlag(head, PG_hwpoison))
			continue;	/* never hand out a poisoned folio */
		page_list_del(m, &m->hstate.freelist, head);
		m->hstate.free_huge_pages--;
		return head;
	}
	return NULL;
}

/* A free folio for a fault, refcount 1; reserved: the VMA's reservation pays for it. */
struct page *alloc_huge_page(struct machine *m, bool reserved)
{
	struct hstate *h = &m->hstate;
	struct page *head = NULL;

	if (reserved || h->free_huge_pages > h->resv_huge_pages)
		head = dequeue_huge_page(m);
	if (head) {
		if (reserved)
			h->resv_huge_pages--;
	} else if (!reserved && h->surplus_huge_pages < h->nr_overcommit_huge_pages) {
		head = alloc_fresh_huge_page(m);
		if (head) {
			h->nr_huge_pages++;
			h->surplus_huge_pages++;
		}
	}
	if (head)
		head->_refcount = 1;
	return head;
}

/* The last reference is gone: back to the free list, or to buddy if temporary or surplus. */
void free_huge_page(struct machine *m, struct page *head)
{
	struct hstate *h = &m->hstate;

	if (PageAnon(head))
		anon_vma_put(page_anon_vma(head));
	head->mapping = 0;
	head->index = 0;
	*compound_mapcount_ptr(head) = 0;
	ClearPageFlag(head, PG_dirty);
	ClearPageFlag(head, PG_uptodate);
	if (head->private & HPG_TEMPORARY) {
		head->private = 0;
		h->nr_huge_pages--;
		update_and_free_page(m, head);
		return;
	}
	if (h->surplus_huge_pages) {
		h->surplus_huge_pages--;
		h->nr_huge_pages--;
		update_and_free_page(m, head);
		return;
	}
	enqueue_huge_page(m, head);
}

/*
 * alloc_huge_page_nodemask, migration's target: a free folio the pool can
 * spare (not promised to a reservation), else a fresh temporary one that
 * counts in nr_huge_pages while it lives but never as surplus, whatever the
 * overcommit limit (6.1 alloc_migrate_huge_page). Refcount 1, or NULL.
 */
struct page *alloc_huge_page_nodemask(struct machine *m)
{
	struct hstate *h = &m->hstate;
	struct page *head = NULL;

	if (h->free_huge_pages > h->resv_huge_pages)
		head = dequeue_huge_page(m);
	if (!head) {
		head = alloc_fresh_huge_page(m);
		if (!head)
			return NULL;
		h->nr_huge_pages++;
		head->private = HPG_TEMPORARY;
	}
	head->_refcount = 1;
	return head;
}

/* 0 when page is (now) not a hugetlb page; -EBUSY when it is in use or reserved. */
/* get_hwpoison_huge_page: 0 for a free pool page, else 1 with a reference taken. */
int get_hwpoison_huge_page(struct page *head)
{
	if (!head->_refcount)
		return 0;
	get_page(head);
	return 1;
}

int dissolve_free_huge_page(struct machine *m, struct page *page)
{
	struct hstate *h = &m->hstate;
	struct page *head = compound_head_page(page);

	if (!PageFlag(head, PG_hugetlb))
		return 0;
	if (head->_refcount || h->free_huge_pages <= h->resv_huge_pages)
		return -EBUSY;
	page_list_del(m, &h->freelist, head);
	h->free_huge_pages--;
	h->nr_huge_pages--;
	if (h->max_huge_pages)
		h->max_huge_pages--;
	update_and_free_page(m, head);
	return 0;
}

/* hugetlb_acct_memory: reserve at mmap, growing surplus pages if overcommit allows. */
int hugetlb_reserve_pages(struct machine *m, uint64_t nr)
{
	struct hstate *h = &m->hstate;
	uint64_t avail = h->free_huge_pages - h->resv_huge_pages, need;

	if (avail < nr) {
		need = nr - avail;
		if (h->surplus_huge_pages + need > h->nr_overcommit_huge_pages)
			return -ENOMEM;
		while (need--) {
			struct page *head = alloc_fresh_huge_page(m);
			if (!head)
				return -ENOMEM;
			h->nr_huge_pages++;
			h->surplus_huge_pages++;
			enqueue_huge_page(m, head);
		}
	}
	h->resv_huge_pages += nr;
	return 0;
}

/* Unused reservations go away; unused surplus pages go back to buddy. */
void hugetlb_unreserve_pages(struct machine *m, uint64_t nr)
{
	struct hstate *h = &m->hstate;

	h->resv_huge_pages -= nr;
	while (h->surplus_huge_pages && h->free_huge_pages > h->resv_huge_pages) {
		struct page *head = dequeue_huge_page(m);
		if (!head)
			break;
		h->surplus_huge_pages--;
		h->nr_huge_pages--;
		update_and_free_page(m, head);
	}
}

/*
 * hugetlb_reserve_pages at mmap: a private mapping reserves every huge page,
 * a shared one those its file does not hold yet. The count, or UINT64_MAX
 * (-ENOMEM).
 */
uint64_t hugetlb_mmap_reserve(struct machine *m, struct file *file, uint64_t off, uint64_t len,
			      unsigned long vm_flags)
{
	uint64_t nr = 0, idx;

	for (idx = off >> HUGETLB_PAGE_SHIFT; idx < (off + len + HPAGE_PMD_SIZE - 1) >> HUGETLB_PAGE_SHIFT; idx++) {
		if (file && (vm_flags & VM_SHARED) && xa_load(&file_mapping(file)->i_pages, idx))
			continue;
		nr++;
	}
	return hugetlb_reserve_pages(m, nr) ? UINT64_MAX : nr;
}

/* What the scenario's "free-huge" names: the first free, healthy pool folio. */
struct page *find_free_huge_page(struct machine *m)
{
	uint32_t pfn;

	for (pfn = m->hstate.freelist.head; pfn != NO_PFN; pfn = m->pages[pfn].lru_next)
		if (!PageFlag(&m->pages[pfn], PG_hwpoison))
			return &m->pages[pfn];
	return NULL;
}

uint64_t hugetlb_vma_address(struct page *head, struct vm_area_struct *vma)
{
	uint64_t pg = PageAnon(head) ? head->index : head->index << HPAGE_PMD_ORDER;
	uint64_t npages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	if (pg < vma->vm_pgoff || pg >= vma->vm_pgoff + npages)
		return UINT64_MAX;
	return vma->vm_start + ((pg - vma->vm_pgoff) << PAGE_SHIFT);
}

static struct machine *vma_machine(struct vm_area_struct *vma)
{
	return vma->vm_mm->owner->m;
}

static void clear_huge_pte(struct mm_struct *mm, uint64_t haddr)
{
	uint64_t i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		pte_clear(mm, haddr + (i << PAGE_SHIFT));
}

/* Remove one mapping of a present huge PTE (the folio may be freed). */
static void hugetlb_unmap_one(struct vm_area_struct *vma, uint64_t haddr, struct page *head)
{
	struct machine *m = vma_machine(vma);
	pte_t *p = pte_lookup(vma->vm_mm, haddr);

	if (p && (*p & PTE_DIRTY))
		SetPageFlag(head, PG_dirty);
	clear_huge_pte(vma->vm_mm, haddr);
	(*compound_mapcount_ptr(head))--;
	put_page(m, head);
}

/* A pool page keeps its last owner's bytes: every new user gets it cleared. */
void clear_huge_page(struct machine *m, struct page *head)
{
	uint64_t i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		page_data_release(m, &head[i]);
}

/*
 * alloc_huge_page for a fault in vma: from its reservation while one is left,
 * cleared as hugetlb_no_page() does (a COW copy overwrites it all anyway).
 */
static struct page *alloc_huge_page_vma(struct vm_area_struct *vma)
{
	bool resv = vma->hugetlb_resv > 0;
	struct page *head = alloc_huge_page(vma_machine(vma), resv);

	if (head && resv)
		vma->hugetlb_resv--;
	if (head)
		clear_huge_page(vma_machine(vma), head);
	return head;
}

static struct page *hugetlb_new_anon(struct vm_area_struct *vma, uint64_t haddr)
{
	struct page *head;

	if (anon_vma_prepare(vma))
		return NULL;
	head = alloc_huge_page_vma(vma);
	if (!head)
		return NULL;
	vma->anon_vma->refcount++;
	head->mapping = (uintptr_t)vma->anon_vma | PAGE_MAPPING_ANON;
	head->index = vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT);
	SetPageFlag(head, PG_uptodate);
	return head;
}

/* hugetlb_wp: a private write to a shared-read huge page copies all 2 MiB. */
static int hugetlb_wp(struct vm_area_struct *vma, uint64_t haddr, struct page *old)
{
	struct machine *m = vma_machine(vma);
	struct page *head;
	uint64_t i;

	if (PageAnon(old) && old->_refcount == 1 && *compound_mapcount_ptr(old) == 1) {
		for (i = 0; i < HPAGE_PMD_NR; i++)
			*pte_lookup(vma->vm_mm, haddr + (i << PAGE_SHIFT)) |= PTE_WRITE | PTE_DIRTY;
		return VM_FAULT_OK;
	}
	head = hugetlb_new_anon(vma, haddr);
	if (!head)
		return VM_FAULT_SIGBUS;
	for (i = 0; i < HPAGE_PMD_NR; i++)
		page_data_copy(m, &head[i], &old[i]);
	hugetlb_unmap_one(vma, haddr, old);
	map_huge_pmd(vma, haddr, head, true, true);
	return VM_FAULT_OK;
}

static int hugetlb_no_page(struct vm_area_struct *vma, uint64_t haddr, bool write)
{
	struct machine *m = vma_machine(vma);
	struct address_space *mapping = vma->vm_file ? file_mapping(vma->vm_file) : NULL;
	uint64_t idx = (vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT)) >> HPAGE_PMD_ORDER;
	bool shared = vma->vm_flags & VM_SHARED;
	struct page *head;

	if (!mapping) {
		head = hugetlb_new_anon(vma, haddr);
		if (!head)
			return VM_FAULT_SIGBUS;
		map_huge_pmd(vma, haddr, head, true, true);
		return VM_FAULT_OK;
	}
	if ((idx << HUGETLB_PAGE_SHIFT) >= mapping->host->i_size)
		return VM_FAULT_SIGBUS;
	head = find_get_page(mapping, idx);
	if (head && PageFlag(head, PG_hwpoison)) {
		/* no hwpoison entry in this mm: the folio flag blocks the fault */
		put_page(m, head);
		return VM_FAULT_HWPOISON_LARGE;
	}
	if (!head) {
		if (!shared && write)
			goto anon;
		head = alloc_huge_page_vma(vma);
		if (!head)
			return VM_FAULT_SIGBUS;
		SetPageFlag(head, PG_uptodate);
		SetPageFlag(head, PG_dirty);	/* hugetlb_add_to_page_cache */
		if (add_to_page_cache(head, mapping, idx)) {
			put_page(m, head);
			return VM_FAULT_SIGBUS;
		}
		get_page(head);	/* the mapping's; alloc's is the cache's */
	}
	if (!shared && write) {
		int ret;
		map_huge_pmd(vma, haddr, head, false, false);
		ret = hugetlb_wp(vma, haddr, head);
		return ret;
	}
	map_huge_pmd(vma, haddr, head, shared && (vma->vm_flags & VM_WRITE), write);
	return VM_FAULT_OK;
anon:
	head = hugetlb_new_anon(vma, haddr);
	if (!head)
		return VM_FAULT_SIGBUS;
	map_huge_pmd(vma, haddr, head, true, true);
	return VM_FAULT_OK;
}

int hugetlb_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct machine *m = vma_machine(vma);
	uint64_t haddr = addr & HPAGE_PMD_MASK, i;
	bool write = flags & FAULT_FLAG_WRITE;
	pte_t *p = pte_lookup(vma->vm_mm, haddr);

	if (!p)
		return hugetlb_no_page(vma, haddr, write);
	if (is_hwpoison_pte(*p))
		return VM_FAULT_HWPOISON_LARGE;
	if (!pte_present(*p))
		return VM_FAULT_SIGBUS;
	if (write && !(*p & PTE_WRITE))
		return hugetlb_wp(vma, haddr, compound_head_page(pfn_to_page(m, pte_pfn(*p))));
	for (i = 0; i < HPAGE_PMD_NR; i++)
		*pte_lookup(vma->vm_mm, haddr + (i << PAGE_SHIFT)) |= PTE_YOUNG | (write ? PTE_DIRTY : 0);
	return VM_FAULT_OK;
}

void hugetlb_zap_range(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	struct machine *m = vma_machine(vma);
	uint64_t a;

	for (a = start & HPAGE_PMD_MASK; a < end; a += HPAGE_PMD_SIZE) {
		pte_t *p = pte_lookup(vma->vm_mm, a);
		if (!p)
			continue;
		if (pte_present(*p))
			hugetlb_unmap_one(vma, a, compound_head_page(pfn_to_page(m, pte_pfn(*p))));
		else
			clear_huge_pte(vma->vm_mm, a);
	}
	if (start <= vma->vm_start && end >= vma->vm_end && vma->hugetlb_resv) {
		hugetlb_unreserve_pages(m, vma->hugetlb_resv);
		vma->hugetlb_resv = 0;
	}
}

/* fork: private huge pages become COW-shared; hwpoison entries are copied. */
void copy_hugetlb_page_range(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct machine *m = vma_machine(src);
	bool cow = !(src->vm_flags & VM_SHARED);
	uint64_t a, i;

	for (a = src->vm_start; a < src->vm_end; a += HPAGE_PMD_SIZE) {
		pte_t *p = pte_lookup(src->vm_mm, a);
		if (!p)
			continue;
		if (pte_present(*p)) {
			struct page *head = compound_head_page(pfn_to_page(m, pte_pfn(*p)));
			get_page(head);
			(*compound_mapcount_ptr(head))++;
		}
		for (i = 0; i < HPAGE_PMD_NR; i++) {
			uint64_t va = a + (i << PAGE_SHIFT);
			pte_t *q = pte_lookup(src->vm_mm, va);
			if (cow && pte_present(*q))
				*q &= ~PTE_WRITE;
			set_pte(dst->vm_mm, va, *q);
		}
	}
}

/* try_to_unmap of a hugetlb folio: each huge PTE becomes hwpoison entries, or none. */
/* Calls fn for every VMA whose huge PTE maps the hugetlb folio head, with its address. */
void hugetlb_rmap_walk(struct machine *m, struct page *head, hugetlb_rmap_fn fn, void *arg)
{
	struct address_space *mapping = NULL;
	struct vm_area_struct **vmas;
	uint64_t pfn = page_to_pfn(m, head);
	int i, nr;

	if (PageAnon(head)) {
		anon_vma_compact(page_anon_vma(head));
		vmas = page_anon_vma(head)->vmas;
		nr = page_anon_vma(head)->nr;
	} else if ((mapping = page_mapping_file(head))) {
		/* 6.1 hugetlb_page_mapping_lock_write: a shared folio's unmap holds i_mmap_rwsem */
		i_mmap_lock(m, mapping);
		i_mmap_compact(mapping);
		vmas = mapping->i_mmap;
		nr = mapping->nr_mmap;
	} else {
		return;
	}
	for (i = 0; i < nr; i++) {
		struct vm_area_struct *vma = vmas[i];
		uint64_t a = hugetlb_vma_address(head, vma);
		pte_t *p;
		if (a == UINT64_MAX || !(vma->vm_flags & VM_HUGETLB))
			continue;
		p = pte_lookup(vma->vm_mm, a);
		if (p && pte_present(*p) && pte_pfn(*p) == pfn)
			fn(vma, a, head, arg);
	}
	if (mapping)
		i_mmap_unlock(m, mapping);
}

static void unmap_hwpoison_one(struct vm_area_struct *vma, uint64_t a, struct page *head, void *arg)
{
	struct machine *m = vma_machine(vma);
	uint64_t pfn = page_to_pfn(m, head), j;

	get_page(head);
	hugetlb_unmap_one(vma, a, head);
	if (*(bool *)arg)
		for (j = 0; j < HPAGE_PMD_NR; j++)
			set_pte(vma->vm_mm, a + (j << PAGE_SHIFT), mk_swp_pte(SWP_HWPOISON, pfn + j));
	put_page(m, head);
}

bool hugetlb_try_to_unmap(struct machine *m, struct page *head, bool hwpoison)
{
	hugetlb_rmap_walk(m, head, unmap_hwpoison_one, &hwpoison);
	return *compound_mapcount_ptr(head) == 0;
}
