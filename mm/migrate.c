/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page migration, as soft offline uses it: copy an isolated page to a new
 * frame and move every mapping, page-cache and swap-cache slot to it. The old
 * frame keeps the caller's isolation reference; soft offline then poisons it.
 */
#include <errno.h>

#include "memfail/mm.h"

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

int migrate_page(struct machine *m, struct page *page, struct page **out)
{
	struct move_arg a = { m, NULL };
	struct address_space *mapping = page_mapping_file(page);
	struct page *np = alloc_pages(m, 0);
	const uint32_t keep = (uint32_t)(PGF(PG_uptodate) | PGF(PG_dirty) | PGF(PG_swapbacked) |
					 PGF(PG_referenced) | PGF(PG_active) | PGF(PG_mlocked) |
					 PGF(PG_swapcache) | PGF(PG_error));

	if (!np)
		return -ENOMEM;
	a.newpage = np;
	page_data_copy(m, np, page);
	np->flags |= page->flags & keep;
	np->mapping = page->mapping;
	np->index = page->index;
	if (PageAnon(page))
		page_anon_vma(page)->refcount++;
	if (mapping) {
		/* the page cache's reference moves with the slot */
		xa_store(&mapping->i_pages, page->index, np);
		get_page(np);
		page->mapping = 0;
		put_page(m, page);
	} else if (PageFlag(page, PG_swapcache)) {
		np->private = page->private;
		m->swap->cache[page->private] = (uint32_t)page_to_pfn(m, np);
		get_page(np);
		ClearPageFlag(page, PG_swapcache);
		put_page(m, page);
	}
	if (mapping && xa_get_mark(&mapping->i_pages, np->index, XA_MARK_DIRTY))
		SetPageFlag(np, PG_dirty);
	rmap_walk(m, page, remap_one, &a);
	if (PageAnon(page)) {
		anon_vma_put(page_anon_vma(page));
		page->mapping = 0;
	}
	ClearPageFlag(page, PG_mlocked);
	lru_cache_add(m, np);
	put_page(m, np);	/* the allocation's reference: the users hold theirs */
	*out = np;
	return 0;
}
