/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LRU lists. New pages go to a per-CPU batch first and reach the LRU only
 * when the batch is drained: memory_failure must drain ("shake") before it can
 * trust PG_lru, exactly as in the kernel.
 */
#include "memfail/mm.h"
#include "memfail/profile.h"

static enum lru_list page_lru(const struct page *page)
{
	if (PageFlag(page, PG_unevictable))
		return LRU_UNEVICTABLE;
	if (PageFlag(page, PG_swapbacked))
		return PageFlag(page, PG_active) ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON;
	return PageFlag(page, PG_active) ? LRU_ACTIVE_FILE : LRU_INACTIVE_FILE;
}

static void add_page_to_lru(struct machine *m, struct page *page)
{
	if (PageFlag(page, PG_mlocked))
		SetPageFlag(page, PG_unevictable);
	else
		ClearPageFlag(page, PG_unevictable);
	/*
	 * MGLRU (6.12 profile lru_gen): lru_gen_add_folio() puts an active folio
	 * in the youngest generation and clears PG_active and PG_referenced.
	 */
	if (m->profile->lru_gen && PageFlag(page, PG_active)) {
		ClearPageFlag(page, PG_active);
		ClearPageFlag(page, PG_referenced);
	}
	page->lru_list = (uint8_t)page_lru(page);
	page_list_add(m, &m->lruvec.lists[page->lru_list], page);
	SetPageFlag(page, PG_lru);
}

void del_page_from_lru(struct machine *m, struct page *page)
{
	page_list_del(m, &m->lruvec.lists[page->lru_list], page);
	page->lru_list = LRU_NONE;
	ClearPageFlag(page, PG_lru);
}

bool page_in_pagevec(struct machine *m, struct page *page)
{
	uint32_t pfn = (uint32_t)page_to_pfn(m, page);
	unsigned i;

	for (i = 0; i < m->lru_add_pvec.nr; i++)
		if (m->lru_add_pvec.pfn[i] == pfn)
			return true;
	return false;
}

void lru_add_drain(struct machine *m)
{
	struct pagevec *pv = &m->lru_add_pvec;
	unsigned i;

	mf_preempt_disable();	/* a per-CPU batch: nobody else sees it half-drained */
	for (i = 0; i < pv->nr; i++) {
		struct page *page = &m->pages[pv->pfn[i]];
		/* The batch held a reference; a page freed meanwhile is only ours now. */
		if (page->_refcount > 1 && !PageFlag(page, PG_lru))
			add_page_to_lru(m, page);
		put_page(m, page);
	}
	pv->nr = 0;
	mf_preempt_enable();
}

void lru_cache_add(struct machine *m, struct page *page)
{
	struct pagevec *pv = &m->lru_add_pvec;

	get_page(page);
	pv->pfn[pv->nr++] = (uint32_t)page_to_pfn(m, page);
	/* 6.1 folio_add_lru: a large folio goes to the LRU at once */
	if (pv->nr == m->profile->lru_batch || PageFlag(page, PG_head))
		lru_add_drain(m);
}

bool isolate_lru_page(struct machine *m, struct page *page)
{
	if (!PageFlag(page, PG_lru))
		return false;
	del_page_from_lru(m, page);
	/* MGLRU's lru_gen_del_folio: a folio of a young generation (no aging here) leaves active */
	if (m->profile->lru_gen && !PageFlag(page, PG_unevictable))
		SetPageFlag(page, PG_active);
	get_page(page);
	return true;
}

/* 6.1 putback_lru_page: back through the per-CPU add batch (PG_lru comes at the drain). */
void putback_lru_page(struct machine *m, struct page *page)
{
	page->mlock_count = 0;	/* lru_add_fn: an unevictable page starts its count again */
	lru_cache_add(m, page);
	put_page(m, page);
}

/*
 * 6.1 mm/mlock.c without its per-CPU batch (mlock_pvec): the model does the
 * work at once, as if that batch drained right after the LRU add batch (the
 * order lru_add_drain takes them in), so a page still in the add batch counts
 * as one on the LRU. mlock_count is the number of locked mappings counted:
 * mlock_page (mlock_folio, mlock_new_page: a mapping in a VM_LOCKED VMA) adds
 * one, the first making an evictable page unevictable; munlock_page (a locked
 * mapping gone, or munlock) takes one off, and the last clears PG_mlocked
 * whatever other, unlocked, mappings the page has (__munlock_page).
 */
void mlock_page(struct machine *m, struct page *page)
{
	if (!TestSetPageFlag(page, PG_mlocked))
		page->mlock_count = 0;
	if (PageFlag(page, PG_lru) && !PageFlag(page, PG_unevictable)) {
		page->mlock_count = 1;
		page_lru_update(m, page);
	} else if (page->mlock_count < UINT16_MAX) {
		page->mlock_count++;
	}
}

void munlock_page(struct machine *m, struct page *page)
{
	if (!PageFlag(page, PG_mlocked))
		return;
	/* 0: counted too few (e.g. locked while isolated); the kernel clears then too */
	if (page->mlock_count && --page->mlock_count)
		return;
	ClearPageFlag(page, PG_mlocked);
	page_lru_update(m, page);
}

/* mlock/munlock changed PG_mlocked: move the page between evictable and unevictable. */
/*
 * folio_mark_accessed (classic LRU): the first access sets PG_referenced, a
 * second one activates the page (at once while it waits in the add batch,
 * else by moving it to the active list) and clears PG_referenced.
 */
void mark_page_accessed(struct machine *m, struct page *page)
{
	page = compound_head_page(page);
	/* MGLRU's folio_inc_refs: referenced, then workingset, then a counter; never activates */
	if (m->profile->lru_gen) {
		if (PageFlag(page, PG_unevictable))
			return;
		if (!TestSetPageFlag(page, PG_referenced))
			return;
		SetPageFlag(page, PG_workingset);
		return;
	}
	if (!PageFlag(page, PG_referenced)) {
		SetPageFlag(page, PG_referenced);
		return;
	}
	if (PageFlag(page, PG_unevictable) || PageFlag(page, PG_active))
		return;
	SetPageFlag(page, PG_active);
	page_lru_update(m, page);
	ClearPageFlag(page, PG_referenced);
}

void page_lru_update(struct machine *m, struct page *page)
{
	if (!PageFlag(page, PG_lru))
		return;
	del_page_from_lru(m, page);
	add_page_to_lru(m, page);
}
