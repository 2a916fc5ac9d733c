/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hugetlb page migration, as soft offline uses it (6.1 migrate_pages() ->
 * unmap_and_move_huge_page(), reason MR_MEMORY_FAILURE): copy an isolated
 * hugetlb folio to another one (from the free pool, or a temporary fresh
 * folio when the pool has none to spare), move every huge PTE and the
 * hugetlbfs page-cache slot to it. Then the isolation reference goes too, which
 * frees the old folio (to the pool, or to buddy when it became temporary or
 * the pool has surplus pages), and soft offline dissolves it so that only the
 * bad base page is retired.
 */
#include <errno.h>

#include "memfail/huge_mm.h"
#include "memfail/locking.h"
#include "mf-internal.h"

#define NR_MIGRATE_PASSES 10	/* 6.1 retries a busy folio ten times */

/* isolate_hugetlb: only a folio in use can be isolated; the isolation holds a reference. */
bool isolate_hugetlb(struct page *head)
{
	if (!PageFlag(head, PG_head) || !PageFlag(head, PG_hugetlb) || !head->_refcount)
		return false;
	get_page(head);
	return true;
}

/* move_hugetlb_state: the new folio is final, so the old one takes over its temporariness. */
static void move_hugetlb_state(struct page *oldhead, struct page *newhead)
{
	if (newhead->private & HPG_TEMPORARY) {
		newhead->private = 0;
		oldhead->private = HPG_TEMPORARY;
	}
}

/*
 * The references a folio may hold and still be migrated: the isolation's,
 * one per huge PTE (try_to_migrate turns them into migration entries) and
 * the page cache's (migrate_huge_page_move_mapping expects two with it).
 * Anything else (memory_failure's reference on a poisoned folio, a pin)
 * makes every pass fail with -EAGAIN.
 */
static int expected_huge_refs(struct page *head)
{
	return 1 + (int)*compound_mapcount_ptr(head) + (page_mapping_file(head) ? 1 : 0);
}

/* remove_migration_ptes: every huge PTE that mapped old maps new, reference and mapcount with it. */
static void move_huge_pte(struct vm_area_struct *vma, uint64_t a, struct page *old, void *arg)
{
	struct page *new = arg;
	struct machine *m = vma->vm_mm->owner->m;
	uint64_t npfn = page_to_pfn(m, new), j;

	for (j = 0; j < HPAGE_PMD_NR; j++) {
		pte_t *p = pte_lookup(vma->vm_mm, a + (j << PAGE_SHIFT));
		*p = (*p & ((1ULL << PTE_PFN_SHIFT) - 1)) | ((npfn + j) << PTE_PFN_SHIFT);
	}
	(*compound_mapcount_ptr(old))--;
	put_page(m, old);	/* never the last: the isolation holds one */
	(*compound_mapcount_ptr(new))++;
	get_page(new);
}

/*
 * migrate_pages() for one isolated hugetlb folio. Returns 0 (*out = the new
 * folio), 1 (the folio that could not be migrated: still referenced by
 * someone else after every pass) or -ENOMEM (no folio to migrate to). As in
 * 6.1 the target is allocated before the references are looked at, so an
 * empty pool and no memory give -ENOMEM even for a busy folio.
 */
int migrate_huge_page(struct machine *m, struct page *hpage, struct page **out)
{
	struct address_space *mapping = page_mapping_file(hpage);
	struct page *new;
	uint64_t i;
	int pass;

	*out = NULL;
	for (pass = 0;; pass++) {
		if (pass == NR_MIGRATE_PASSES)
			return 1;
		new = alloc_huge_page_nodemask(m);
		if (!new)
			return -ENOMEM;
		if (hpage->_refcount == expected_huge_refs(hpage))
			break;
		put_page(m, new);	/* -EAGAIN: the target goes back where it came from */
	}
	lock_page(m, hpage);
	for (i = 0; i < HPAGE_PMD_NR; i++)
		page_data_copy(m, &new[i], &hpage[i]);
	new->flags |= hpage->flags & (uint32_t)(PGF(PG_uptodate) | PGF(PG_dirty));
	new->mapping = hpage->mapping;
	new->index = hpage->index;
	if (PageAnon(hpage))
		page_anon_vma(hpage)->refcount++;	/* the new folio's; free_huge_page drops the old one's */
	hugetlb_rmap_walk(m, hpage, move_huge_pte, new);
	if (mapping) {
		/* the page cache's reference moves with the slot */
		xa_store(&mapping->i_pages, hpage->index, new);
		get_page(new);
		put_page(m, hpage);
	}
	unlock_page(m, hpage);
	move_hugetlb_state(hpage, new);
	/*
	 * Unlike a base page, the old folio does not keep the isolation
	 * reference for soft offline (folio_putback_hugetlb): it is freed now.
	 */
	put_page(m, hpage);
	put_page(m, new);	/* the allocation's: the mappings and the page cache hold theirs */
	*out = new;
	return 0;
}
