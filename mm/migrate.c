/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page migration, as soft offline uses it (6.1 migrate_pages with reason
 * MR_MEMORY_FAILURE): copy an isolated page to a new frame and move every
 * mapping, the page-cache or swap-cache slot and the buffer heads to it. The
 * source keeps the caller's isolation reference (MR_MEMORY_FAILURE: "we
 * release the page in page_handle_poison"); soft offline then retires it.
 */
#include <errno.h>

#include "memfail/locking.h"
#include "mf-internal.h"

#define NR_MIGRATE_PASSES 10	/* 6.1 retries a busy page ten times */

struct move_arg {
	struct machine *m;
	struct page *newpage;
};

static bool remap_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct move_arg *a = arg;
	struct machine *m = a->m;
	pte_t *p = pte_lookup(vma->vm_mm, addr);

	if (!p || !pte_present(*p) || pte_pfn(*p) != page_to_pfn(m, page))
		return true;
	*p = (*p & ((1ULL << PTE_PFN_SHIFT) - 1)) | (page_to_pfn(m, a->newpage) << PTE_PFN_SHIFT);
	page->_mapcount--;
	put_page(m, page);
	a->newpage->_mapcount++;
	get_page(a->newpage);
	return true;
}

/*
 * folio_expected_refs() plus the mapped references try_to_migrate() would
 * have turned into migration entries: anything above is a pin (GUP, a busy
 * buffer head) and migration must wait for it.
 */
static int expected_refs(struct page *page)
{
	int refs = 1 + page->_mapcount;

	if (page_mapping_file(page) || PageFlag(page, PG_swapcache))
		refs += 1 + (PageFlag(page, PG_private) ? 1 : 0);
	return refs;
}

/* Move everything that names page over to np; page keeps only the caller's reference. */
static void move_to_new_page(struct machine *m, struct page *page, struct page *np)
{
	struct move_arg a = { m, np };
	struct address_space *mapping = page_mapping_file(page);
	const uint32_t keep = (uint32_t)(PGF(PG_uptodate) | PGF(PG_dirty) | PGF(PG_swapbacked) |
					 PGF(PG_referenced) | PGF(PG_active) | PGF(PG_mlocked) |
					 PGF(PG_swapcache) | PGF(PG_error) | PGF(PG_mappedtodisk) |
					 PGF(PG_workingset));

	page_data_copy(m, np, page);
	np->flags |= page->flags & keep;
	np->mapping = page->mapping;
	np->index = page->index;
	if (PageKsm(page))
		ksm_migrate_page(m, np, page);	/* the stable node moves with it: still KSM */
	else if (PageAnon(page))
		page_anon_vma(page)->refcount++;
	/* the mappings first: the rmap walk needs page->mapping */
	rmap_walk(m, page, remap_one, &a);
	if (mapping) {
		/* the page cache's reference moves with the slot */
		xa_store(&mapping->i_pages, page->index, np);
		get_page(np);
		page->mapping = 0;
		put_page(m, page);
		if (xa_get_mark(&mapping->i_pages, np->index, XA_MARK_DIRTY))
			SetPageFlag(np, PG_dirty);
	} else if (PageFlag(page, PG_swapcache)) {
		np->private = page->private;
		swap_cache_set(m, page->private, (uint32_t)page_to_pfn(m, np));
		get_page(np);
		ClearPageFlag(page, PG_swapcache);
		page->private = 0;
		put_page(m, page);
	}
	if (PageFlag(page, PG_private)) {
		/* buffer_migrate_folio: the buffer heads and their reference move too */
		SetPageFlag(np, PG_private);
		get_page(np);
		ClearPageFlag(page, PG_private);
		put_page(m, page);
	}
	if (PageKsm(page)) {
		page->mapping = PAGE_MAPPING_KSM;	/* the stable node went to np */
	} else if (PageAnon(page)) {
		/*
		 * 6.1 leaves the old mapping in place (a poisoned page's free stops
		 * early), so kpageflags still say "anon": keep the bit, drop the
		 * anon_vma it named.
		 */
		anon_vma_put(page_anon_vma(page));
		page->mapping = PAGE_MAPPING_ANON;
		ClearPageFlag(page, PG_anon_exclusive);	/* try_to_migrate shared it */
	}
	ClearPageFlag(page, PG_mlocked);
	ClearPageFlag(page, PG_dirty);
	ClearPageFlag(page, PG_active);
	ClearPageFlag(page, PG_unevictable);
}

static bool mark_dirty_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	pte_t *p = pte_lookup(vma->vm_mm, addr);

	if (p && pte_present(*p) && pte_pfn(*p) == page_to_pfn((struct machine *)arg, page) &&
	    (*p & PTE_DIRTY))
		SetPageFlag(page, PG_dirty);
	return true;
}

/*
 * migrate_pages() for one isolated order-0 page. Returns 0 (migrated, *out =
 * the new page, or NULL when the page had been freed under us), the number
 * of pages that could not be migrated (1: still pinned after every pass), or
 * -ENOMEM when no target frame could be allocated.
 */
int migrate_pages(struct machine *m, struct page *page, struct page **out)
{
	struct page *np;
	int pass;

	*out = NULL;
	if (page->_refcount == 1) {
		/* only the isolation reference is left: freed from under us, done */
		ClearPageFlag(page, PG_active);
		ClearPageFlag(page, PG_unevictable);
		return 0;
	}
	for (pass = 0; pass < NR_MIGRATE_PASSES; pass++)
		if (page->_refcount <= expected_refs(page))
			break;
	if (pass == NR_MIGRATE_PASSES) {
		/*
		 * Each pass unmapped the page first (try_to_migrate moves a dirty
		 * PTE's bit to the page) and restored the mappings after the
		 * reference check failed.
		 */
		rmap_walk(m, page, mark_dirty_one, m);
		return 1;
	}
	np = alloc_pages(m, 0);
	if (!np)
		return -ENOMEM;
	lock_page(m, page);
	move_to_new_page(m, page, np);
	unlock_page(m, page);
	lru_cache_add(m, np);
	put_page(m, np);	/* the allocation's reference: the users hold theirs */
	*out = np;
	return 0;
}
