/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Transparent huge pages: for anonymous memory the PMD fault, PMD COW, fork's
 * copy, PMD zap and split (a PMD mapping becomes 512 PTE mappings); for
 * page-cache (shmem) THPs the PMD mapping of a cached folio (a split PMD is
 * dropped, the pages refault); and split_huge_page, which fails exactly when
 * 6.1's can_split_folio() does: when a reference other than the mappings, the
 * page cache's and the caller's one pins the folio. Partially unmapped anon
 * THPs wait on the deferred split queue.
 *
 * A PMD mapping is 512 PTE_HUGE entries (see docs/architecture.md): it holds
 * one reference on the head and one count in the compound mapcount.
 */
#include <errno.h>
#include <stdlib.h>

#include "memfail/huge_mm.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"
#include "memfail/profile.h"

static struct machine *vma_machine(struct vm_area_struct *vma)
{
	return vma->vm_mm->owner->m;
}

int total_mapcount(struct page *head)
{
	int n = (int)*compound_mapcount_ptr(head);
	unsigned long i;

	for (i = 0; i < (1UL << head->order); i++)
		n += head[i]._mapcount;
	return n;
}

/* folio_mapped(): a large folio is mapped while a PMD or any PTE maps any of its pages. */
bool folio_mapped(struct page *page)
{
	struct page *head = compound_head_page(page);

	if (!PageFlag(head, PG_head))
		return page_mapped(head);
	return total_mapcount(head) > 0;
}

/* 6.1 transhuge_vma_suitable(): the PMD lies inside vma, and file offsets line up with it. */
bool transhuge_vma_suitable(struct vm_area_struct *vma, uint64_t haddr)
{
	if (vma->vm_file && ((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff) % HPAGE_PMD_NR)
		return false;
	return haddr >= vma->vm_start && haddr + HPAGE_PMD_SIZE <= vma->vm_end;
}

/* transhuge_vma_suitable + the sysfs "enabled" policy (6.1 hugepage_vma_check). */
bool thp_vma_suitable(struct vm_area_struct *vma, uint64_t haddr)
{
	struct machine *m = vma_machine(vma);

	if (vma->vm_file || (vma->vm_flags & (VM_HUGETLB | VM_NOHUGEPAGE)))
		return false;
	if (m->thp.enabled == 0 || (m->thp.enabled == 1 && !(vma->vm_flags & VM_HUGEPAGE)))
		return false;
	return transhuge_vma_suitable(vma, haddr);
}

void map_huge_pmd(struct vm_area_struct *vma, uint64_t haddr, struct page *head, bool write, bool dirty)
{
	struct machine *m = vma_machine(vma);
	uint64_t pfn = page_to_pfn(m, head), i;
	pte_t f = PTE_PRESENT | PTE_YOUNG | PTE_HUGE | (write ? PTE_WRITE : 0) | (dirty ? PTE_DIRTY : 0);

	(*compound_mapcount_ptr(head))++;
	for (i = 0; i < HPAGE_PMD_NR; i++)
		set_pte(vma->vm_mm, haddr + (i << PAGE_SHIFT), ((pfn + i) << PTE_PFN_SHIFT) | f);
}

/* The anon_vma rmap of every subpage, as a THP is split into independent pages later. */
static void thp_add_anon_rmap(struct page *head, struct vm_area_struct *vma, uint64_t haddr)
{
	unsigned long i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		page_add_anon_rmap(&head[i], vma, haddr + (i << PAGE_SHIFT));
}

int do_huge_pmd_anonymous_page(struct vm_area_struct *vma, uint64_t addr)
{
	struct machine *m = vma_machine(vma);
	uint64_t haddr = addr & HPAGE_PMD_MASK;
	struct page *head;

	if (!thp_vma_suitable(vma, haddr) || !pmd_none_range(vma->vm_mm, haddr))
		return VM_FAULT_FALLBACK;
	anon_vma_prepare(vma);
	head = alloc_pages(m, HPAGE_PMD_ORDER);
	if (!head)
		return VM_FAULT_FALLBACK;	/* thp_fault_fallback */
	prep_compound_page(m, head, HPAGE_PMD_ORDER);
	SetPageFlag(head, PG_swapbacked);
	SetPageFlag(head, PG_uptodate);
	SetPageFlag(head, PG_anon_exclusive);
	thp_add_anon_rmap(head, vma, haddr);
	if (vma->vm_flags & VM_LOCKED)
		mlock_page(m, head);	/* mlock_new_page */
	lru_cache_add(m, head);
	map_huge_pmd(vma, haddr, head, true, true);	/* alloc_pages' reference is the PMD's */
	return VM_FAULT_OK;
}

static bool pmd_dirty_range(struct mm_struct *mm, uint64_t haddr)
{
	uint64_t a;

	for (a = haddr; a < haddr + HPAGE_PMD_SIZE; a += PAGE_SIZE) {
		pte_t *p = pte_lookup(mm, a);
		if (p && (*p & PTE_DIRTY))
			return true;
	}
	return false;
}

/*
 * do_set_pmd(): map the page-cache THP head at addr's PMD; the caller's
 * reference becomes the mapping's. A THP with a poisoned subpage is only
 * ever mapped by PTEs, so the poisoned one cannot be reached silently.
 */
int do_set_pmd(struct vm_area_struct *vma, uint64_t addr, struct page *head, bool write)
{
	uint64_t haddr = addr & HPAGE_PMD_MASK;

	if (!transhuge_vma_suitable(vma, haddr) || head->order != HPAGE_PMD_ORDER)
		return VM_FAULT_FALLBACK;
	if (PageFlag(&head[1], PG_has_hwpoisoned) || !pmd_none_range(vma->vm_mm, haddr))
		return VM_FAULT_FALLBACK;
	/* 6.12's __folio_add_file_rmap mlocks only small folios (mlock_large_on_map) */
	if ((vma->vm_flags & VM_LOCKED) && vma_machine(vma)->profile->mlock_large_on_map)
		mlock_page(vma_machine(vma), head);
	/*
	 * A shared mapping of a file without dirty accounting (shmem) needs no
	 * write notification: its PMD is writable from the start, and stores
	 * only dirty the PMD until it is unmapped (vma_wants_writenotify).
	 */
	map_huge_pmd(vma, haddr, head, write || ((vma->vm_flags & (VM_SHARED | VM_WRITE)) ==
				 (VM_SHARED | VM_WRITE) && !mapping_can_writeback(page_mapping_file(head))),
		     write);
	if (write)
		SetPageFlag(head, PG_dirty);	/* fault_dirty_shared_page */
	return VM_FAULT_OK;
}

/* The folio a huge PMD at haddr maps, or NULL when there is none. */
static struct page *huge_pmd_head(struct vm_area_struct *vma, uint64_t haddr)
{
	pte_t *p = pte_lookup(vma->vm_mm, haddr);

	if (!p || !pte_huge(*p))
		return NULL;
	return compound_head_page(pfn_to_page(vma_machine(vma), pte_pfn(*p)));
}

/*
 * __split_huge_pmd_locked: the PMD becomes 512 PTEs, each holding a reference
 * on the folio and a mapcount on its subpage; a dirty PMD dirties the folio.
 * A PMD of a file or shmem object is only dropped: its pages refault.
 */
void split_huge_pmd(struct vm_area_struct *vma, uint64_t haddr)
{
	struct page *head = huge_pmd_head(vma, haddr);
	uint64_t i;

	if (!head)
		return;
	if (vma->vm_file) {
		zap_huge_pmd(vma, haddr);
		return;
	}
	if (pmd_dirty_range(vma->vm_mm, haddr))
		SetPageFlag(head, PG_dirty);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t *q = pte_lookup(vma->vm_mm, haddr + (i << PAGE_SHIFT));
		*q &= ~PTE_HUGE;
		head[i]._mapcount++;
		/* an exclusive PMD leaves every PTE's page exclusive */
		if (PageFlag(head, PG_anon_exclusive))
			SetPageFlag(&head[i], PG_anon_exclusive);
	}
	head->_refcount += HPAGE_PMD_NR - 1;
	(*compound_mapcount_ptr(head))--;
}

/* zap_huge_pmd: drop the whole PMD mapping. */
void zap_huge_pmd(struct vm_area_struct *vma, uint64_t haddr)
{
	struct machine *m = vma_machine(vma);
	struct page *head = huge_pmd_head(vma, haddr);
	uint64_t i;

	if (!head)
		return;
	if (!PageAnon(head) && pmd_dirty_range(vma->vm_mm, haddr))
		SetPageFlag(head, PG_dirty);
	for (i = 0; i < HPAGE_PMD_NR; i++)
		pte_clear(vma->vm_mm, haddr + (i << PAGE_SHIFT));
	(*compound_mapcount_ptr(head))--;
	if (vma->vm_flags & VM_LOCKED)
		munlock_page(m, head);	/* page_remove_rmap(compound) → munlock_vma_page */
	put_page(m, head);
}

/* fork: the child shares the THP read-only (copy_huge_pmd). */
void copy_huge_pmd(struct vm_area_struct *dst, struct vm_area_struct *src, uint64_t haddr)
{
	struct page *head = huge_pmd_head(src, haddr);
	uint64_t i;

	if (!head || dst->vm_file)
		return;	/* a file THP is not copied: the child refaults it */
	get_page(head);
	(*compound_mapcount_ptr(head))++;
	ClearPageFlag(head, PG_anon_exclusive);	/* page_try_dup_anon_rmap */
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		uint64_t a = haddr + (i << PAGE_SHIFT);
		pte_t *q = pte_lookup(src->vm_mm, a);
		*q &= ~PTE_WRITE;
		set_pte(dst->vm_mm, a, *q);
	}
}

/*
 * A write to a write-protected PMD: reuse an exclusive anonymous THP, or
 * make a shared file PMD writable; else split the PMD
 * and let the PTE fault copy one 4K page (6.1 falls back the same way rather
 * than copying 2M).
 */
int do_huge_pmd_wp_page(struct vm_area_struct *vma, uint64_t addr)
{
	uint64_t haddr = addr & HPAGE_PMD_MASK, i;
	struct page *head = huge_pmd_head(vma, haddr);

	/* a shared file PMD write-protected by mprotect: writable again, dirty bit only */
	if ((vma->vm_file && (vma->vm_flags & VM_SHARED)) ||
	    (PageAnon(head) && head->_refcount == 1 && total_mapcount(head) == 1)) {
		for (i = 0; i < HPAGE_PMD_NR; i++)
			*pte_lookup(vma->vm_mm, haddr + (i << PAGE_SHIFT)) |= PTE_WRITE | PTE_DIRTY;
		if (PageAnon(head))
			SetPageFlag(head, PG_anon_exclusive);	/* page_move_anon_rmap */
		return VM_FAULT_OK;
	}
	split_huge_pmd(vma, haddr);
	return VM_FAULT_FALLBACK;
}

/* can_split_folio(): only the mappings, the page-cache/swap-cache pins and the caller's ref. */
bool can_split_huge_page(struct machine *m, struct page *head, int *pextra_pins)
{
	int extra_pins;

	(void)m;
	if (PageAnon(head))
		extra_pins = PageFlag(head, PG_swapcache) ? HPAGE_PMD_NR : 0;
	else
		extra_pins = HPAGE_PMD_NR;	/* the page cache's, one per page */
	if (pextra_pins)
		*pextra_pins = extra_pins;
	return total_mapcount(head) == head->_refcount - extra_pins - 1;
}

struct split_walk {
	struct machine *m;
	struct page *head;
};

static bool split_pmd_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct split_walk *w = arg;
	pte_t *p = pte_lookup(vma->vm_mm, addr);

	(void)page;
	if (p && pte_huge(*p) && pte_pfn(*p) == page_to_pfn(w->m, w->head))
		split_huge_pmd(vma, addr);
	return true;
}

/*
 * try_to_migrate_one meets a PTE mapping a poisoned subpage of the folio
 * being split: it installs a hwpoison entry instead of a migration entry, so
 * that PTE is not restored. PMD mappings are frozen whole and come back.
 */
static bool poison_pte_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct machine *m = arg;
	pte_t *p = pte_lookup(vma->vm_mm, addr);

	if (!p || !pte_present(*p) || pte_huge(*p) || pte_pfn(*p) != page_to_pfn(m, page))
		return true;
	if (*p & PTE_DIRTY)
		SetPageFlag(compound_head_page(page), PG_dirty);
	*p = mk_swp_pte(SWP_HWPOISON, page_to_pfn(m, page));
	page->_mapcount--;
	compound_head_page(page)->_refcount--;
	return true;
}

/* Flags a tail inherits from its head when the folio is split (__split_huge_page_tail). */
#define SPLIT_FLAGS (PGF(PG_mlocked) | PGF(PG_swapbacked) | PGF(PG_referenced) | PGF(PG_uptodate) | \
		     PGF(PG_active) | PGF(PG_workingset) | PGF(PG_dirty) | PGF(PG_unevictable))

/* __split_huge_page_tail for every tail: order-0 pages with the head's flags, on its LRU list. */
static void split_folio_pages(struct machine *m, struct page *head)
{
	bool lru = PageFlag(head, PG_lru);
	uint64_t i;

	for (i = 1; i < HPAGE_PMD_NR; i++) {
		struct page *t = &head[i];
		t->flags |= head->flags & (uint32_t)SPLIT_FLAGS;
		ClearPageFlag(t, PG_tail);
		t->head_delta = 0;
		t->lru_prev = t->lru_next = NO_PFN;
		t->private = 0;
		if (lru) {
			t->lru_list = head->lru_list;
			page_list_add(m, &m->lruvec.lists[t->lru_list], t);
			SetPageFlag(t, PG_lru);
		}
	}
	ClearPageFlag(head, PG_head);
	ClearPageFlag(&head[1], PG_has_hwpoisoned);
	head->order = 0;
}

/* A page that lost its last reference in the split goes back to the allocator. */
static void free_if_unused(struct machine *m, struct page *t)
{
	if (t->_refcount == 0) {
		t->_refcount = 1;
		put_page(m, t);
	}
}

static int split_anon_thp(struct machine *m, struct page *head, struct page *page)
{
	struct split_walk w = { m, head };
	uint64_t i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		if (PageFlag(&head[i], PG_hwpoison) && head[i]._mapcount)
			rmap_walk(m, &head[i], poison_pte_one, m);
	/* unmap_folio with TTU_SPLIT_HUGE_PMD, then remap_page: PTE-map every PMD. */
	rmap_walk(m, head, split_pmd_one, &w);
	/*
	 * folio_ref_freeze: the walk had scheduling points, and a reference
	 * taken meanwhile (reclaim isolating the folio) fails the split; the
	 * folio stays whole and PTE-mapped, as after 6.1's remap_page. From here
	 * to the new refcounts there is no scheduling point: the freeze.
	 */
	if (!can_split_huge_page(m, head, NULL))
		return -EBUSY;
	split_folio_pages(m, head);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		head[i]._refcount = head[i]._mapcount + (&head[i] == page ? 1 : 0);
		if (PageFlag(&head[i], PG_hwpoison) && &head[i] != page && head[i]._mapcount)
			head[i].private = MAGIC_HWPOISON_REMAPPED;
	}
	/* Subpages nobody maps are freed now (the unmapped part of a partially mapped THP). */
	for (i = 0; i < HPAGE_PMD_NR; i++)
		free_if_unused(m, &head[i]);
	return 0;
}

/*
 * unmap_folio() of a page-cache THP: file mappings are simply dropped (the
 * pages refault later), a PMD whole; a PTE of a poisoned subpage becomes a
 * hwpoison entry, as try_to_unmap_one() does. Mlocked mappings go too.
 */
static void unmap_file_folio(struct machine *m, struct page *head)
{
	struct address_space *mapping = page_mapping_file(head);
	uint64_t pfn = page_to_pfn(m, head), i;
	int v;

	/* 6.1 split_huge_page_to_list holds i_mmap_lock_read over a file folio's unmap */
	i_mmap_lock(m, mapping);
	i_mmap_compact(mapping);
	for (v = 0; v < mapping->nr_mmap; v++) {
		struct vm_area_struct *vma = mapping->i_mmap[v];
		for (i = 0; i < HPAGE_PMD_NR; i++) {
			uint64_t a = vma_address(&head[i], vma);
			pte_t *p = a == UINT64_MAX ? NULL : pte_lookup(vma->vm_mm, a);
			if (!p || !pte_present(*p) || pte_pfn(*p) != pfn + i)
				continue;
			if (pte_huge(*p)) {
				zap_huge_pmd(vma, a & HPAGE_PMD_MASK);
				continue;
			}
			if (*p & PTE_DIRTY)
				SetPageFlag(head, PG_dirty);
			if (PageFlag(&head[i], PG_hwpoison))
				*p = mk_swp_pte(SWP_HWPOISON, pfn + i);
			else
				pte_clear(vma->vm_mm, a);
			page_remove_rmap(m, &head[i], vma);
			put_page(m, head);
		}
	}
	i_mmap_unlock(m, mapping);
}

/*
 * A page-cache THP becomes 512 order-0 cache entries, each holding one of
 * the cache's references; pages wholly beyond EOF leave the cache (6.1
 * __split_huge_page). The split unmapped everything, so only the cache and
 * the caller hold the pages.
 */
static int split_file_thp(struct machine *m, struct page *head, struct page *page)
{
	struct address_space *mapping = page_mapping_file(head);
	uint64_t end = (mapping->host->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT, i;
	bool dirty = PageFlag(head, PG_dirty);

	unmap_file_folio(m, head);
	if (!can_split_huge_page(m, head, NULL))
		return -EBUSY;	/* the freeze, as split_anon_thp's; a file folio is not remapped */
	xa_erase(&mapping->i_pages, head->index);
	split_folio_pages(m, head);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *t = &head[i];
		t->_refcount = 1 + (t == page ? 1 : 0);
		if (t->index >= end) {
			ClearPageFlag(t, PG_dirty);
			t->mapping = 0;
			mapping->nrpages--;
			t->_refcount--;
			continue;
		}
		xa_store(&mapping->i_pages, t->index, t);
		if (dirty)
			xa_set_mark(&mapping->i_pages, t->index, XA_MARK_DIRTY);
	}
	for (i = 0; i < HPAGE_PMD_NR; i++)
		free_if_unused(m, &head[i]);
	return 0;
}

/*
 * Split the THP holding page into 512 order-0 pages; the caller's reference
 * (and lock) stay with page. 0, or -EBUSY when something else pins it, or
 * when the folio is under write-back or was truncated.
 */
int split_huge_page(struct machine *m, struct page *page)
{
	struct page *head = compound_head_page(page);

	if (!PageTransHuge(head))
		return 0;
	if (PageAnon(head) ? !page_anon_vma(head) : !head->mapping)
		return -EBUSY;	/* anon_vma gone, or a truncated file folio */
	if (PageFlag(head, PG_writeback) || !can_split_huge_page(m, head, NULL))
		return -EBUSY;
	return PageAnon(head) ? split_anon_thp(m, head, page) : split_file_thp(m, head, page);
}

/*
 * memory_failure's and soft offline's split (6.1 try_to_split_thp_page; its
 * put_page on failure is the callers', as 6.12's release=false): under the
 * folio lock, so reclaim (trylock_page) keeps its hands off meanwhile.
 */
int try_to_split_thp_page(struct machine *m, struct page *page)
{
	struct page *head = compound_head_page(page);
	int ret;

	lock_page(m, head);
	ret = split_huge_page(m, page);
	unlock_page(m, head);
	return ret;
}

void deferred_split_huge_page(struct machine *m, struct page *head)
{
	uint32_t pfn = (uint32_t)page_to_pfn(m, head);
	int i;

	for (i = 0; i < m->thp.nr_deferred; i++)
		if (m->thp.deferred[i] == pfn)
			return;
	if (m->thp.nr_deferred < THP_DEFERRED_MAX)
		m->thp.deferred[m->thp.nr_deferred++] = pfn;
}

/* The deferred split shrinker: split what can be split; returns how many were. */
unsigned long deferred_split_scan(struct machine *m)
{
	unsigned long done = 0;
	int i, n = m->thp.nr_deferred;
	uint32_t q[THP_DEFERRED_MAX];

	for (i = 0; i < n; i++)
		q[i] = m->thp.deferred[i];
	m->thp.nr_deferred = 0;
	for (i = 0; i < n; i++) {
		struct page *head = &m->pages[q[i]];
		uint64_t j;
		if (!PageTransHuge(head) || head->_refcount == 0 || *compound_mapcount_ptr(head))
			continue;
		for (j = 0; j < HPAGE_PMD_NR && head[j]._mapcount; j++)
			;
		if (j == HPAGE_PMD_NR)
			continue;	/* fully mapped again: not a partial THP */
		get_page(head);
		if (!split_huge_page(m, head))
			done++;
		else
			deferred_split_huge_page(m, head);
		put_page(m, head);
	}
	return done;
}
