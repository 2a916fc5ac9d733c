/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The buddy allocator: per-zone free lists of 2^order blocks, split on
 * allocation, merged on free. A PG_hwpoison page never leaves it through an
 * allocation (the check_new_page gate of seed 001), and taking one poisoned page
 * off a free block splits the block so that only that page leaves the
 * allocator, never the whole block (the leak discussed in seed 001).
 */
#include <errno.h>
#include <stdlib.h>

#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "memfail/mm.h"

/* Zones are pfn ranges; the firmware hole before pmem counts as the first zone. */
struct zone *page_zone(struct machine *m, const struct page *page)
{
	uint64_t pfn = page_to_pfn(m, page);
	int i;

	for (i = m->nr_zones - 1; i > 0; i--)
		if (pfn >= m->zones[i].start_pfn && pfn < m->zones[i].end_pfn)
			return &m->zones[i];
	return &m->zones[0];
}

/* Nodes split RAM evenly, in pfn order; pmem is on node 0. */
unsigned page_to_nid(struct machine *m, const struct page *page)
{
	uint64_t pfn = page_to_pfn(m, page);

	return pfn < m->nr_ram_pages ? (unsigned)(pfn * (uint64_t)m->nr_nodes / m->nr_ram_pages) : 0;
}

void page_list_add(struct machine *m, struct page_list *l, struct page *page)
{
	uint32_t pfn = (uint32_t)page_to_pfn(m, page);

	page->lru_prev = NO_PFN;
	page->lru_next = l->head;
	if (l->head != NO_PFN)
		m->pages[l->head].lru_prev = pfn;
	else
		l->tail = pfn;
	l->head = pfn;
	l->nr++;
}

void page_list_del(struct machine *m, struct page_list *l, struct page *page)
{
	if (page->lru_prev != NO_PFN)
		m->pages[page->lru_prev].lru_next = page->lru_next;
	else
		l->head = page->lru_next;
	if (page->lru_next != NO_PFN)
		m->pages[page->lru_next].lru_prev = page->lru_prev;
	else
		l->tail = page->lru_prev;
	page->lru_prev = page->lru_next = NO_PFN;
	l->nr--;
}

static void add_to_free_list(struct machine *m, struct zone *z, struct page *page, unsigned order)
{
	SetPageFlag(page, PG_buddy);
	page->private = order;
	page_list_add(m, &z->free_area[order].free_list, page);
	z->nr_free += 1UL << order;
}

static void del_from_free_list(struct machine *m, struct zone *z, struct page *page, unsigned order)
{
	page_list_del(m, &z->free_area[order].free_list, page);
	ClearPageFlag(page, PG_buddy);
	page->private = 0;
	z->nr_free -= 1UL << order;
}

bool is_free_buddy_page(struct machine *m, struct page *page)
{
	uint64_t pfn = page_to_pfn(m, page);
	unsigned order;

	for (order = 0; order < MAX_ORDER; order++) {
		struct page *head = &m->pages[pfn & ~((1UL << order) - 1)];
		if (PageFlag(head, PG_buddy) && head->private >= order)
			return true;
	}
	return false;
}

/* Merge with free buddies as far as possible and put the block on its list. */
static void __free_one_page(struct machine *m, struct page *page, unsigned order)
{
	struct zone *z = page_zone(m, page);
	uint64_t pfn = page_to_pfn(m, page);

	while (order < MAX_ORDER - 1) {
		uint64_t bpfn = pfn ^ (1UL << order);
		struct page *buddy;
		if (bpfn < z->start_pfn || bpfn + (1UL << order) > z->end_pfn)
			break;
		buddy = &m->pages[bpfn];
		if (!PageFlag(buddy, PG_buddy) || buddy->private != order)
			break;
		del_from_free_list(m, z, buddy, order);
		pfn &= ~(1UL << order);
		order++;
	}
	add_to_free_list(m, z, &m->pages[pfn], order);
}

/*
 * Boot (the kernel's memblock_free_all): free order-(MAX_ORDER-1) aligned
 * blocks whole and the unaligned ends a page at a time, in ascending pfn
 * order. The free lists end up exactly as freeing every page in turn would
 * leave them, at a thousandth of the cost.
 */
void memblock_free_pages(struct machine *m, struct zone *z, uint64_t start)
{
	const uint64_t nr = 1UL << (MAX_ORDER - 1);
	uint64_t pfn = start, end = z->end_pfn;

	for (; pfn < end && (pfn & (nr - 1)); pfn++)
		__free_one_page(m, &m->pages[pfn], 0);
	/* whole blocks touch only the top-order list: the sparse map lays them out */
	sparse_free_blocks(m, z);
	for (pfn = end - (end - pfn) % nr; pfn < end; pfn++)
		__free_one_page(m, &m->pages[pfn], 0);
}

/* Only these bits may survive on a page that is given back to the allocator. */
static void reset_page(struct page *p)
{
	p->flags &= (uint32_t)(PGF(PG_hwpoison) | PGF(PG_reserved));
	p->_refcount = 0;
	p->_mapcount = 0;
	p->mapping = 0;
	p->index = 0;
	p->private = 0;
	p->order = 0;
	p->mlock_count = 0;
}

void free_pages(struct machine *m, struct page *page, unsigned order)
{
	uint64_t pfn = page_to_pfn(m, page), i;

	mf_sched_point(m, MF_SP_ZONE, page_zone(m, page));
	for (i = 0; i < (1UL << order); i++) {
		/*
		 * 6.1 free_pages_prepare stops early for a poisoned page: its stale
		 * mapping stays, so kpageflags still say anon (or ksm) on it.
		 */
		uintptr_t stale = PageFlag(&m->pages[pfn + i], PG_hwpoison) ?
				  m->pages[pfn + i].mapping & PAGE_MAPPING_FLAGS : 0;

		if (PageKsm(&m->pages[pfn + i]))
			ksm_page_freed(m, &m->pages[pfn + i]);
		else if (page_anon_vma(&m->pages[pfn + i]))
			anon_vma_put(page_anon_vma(&m->pages[pfn + i]));
		page_data_release(m, &m->pages[pfn + i]);
		reset_page(&m->pages[pfn + i]);
		if (m->hwpoison_mapped.nr)
			u64map_del(&m->hwpoison_mapped, pfn + i);
		m->pages[pfn + i].mapping = stale;
		m->pages[pfn + i].head_delta = 0;
		ClearPageFlag(&m->pages[pfn + i], PG_head);
		ClearPageFlag(&m->pages[pfn + i], PG_tail);
	}
	/* A poisoned page must not reach the free lists: keep it out, refcount 0. */
	for (i = 0; i < (1UL << order); i++)
		if (PageFlag(&m->pages[pfn + i], PG_hwpoison))
			break;
	if (i == (1UL << order)) {
		__free_one_page(m, page, order);
		return;
	}
	for (i = 0; i < (1UL << order); i++)
		if (!PageFlag(&m->pages[pfn + i], PG_hwpoison))
			__free_one_page(m, &m->pages[pfn + i], 0);
}

/*
 * Split the free block [head, head + 2^high) down to order low around target,
 * putting every half that does not contain target back on the free lists.
 */
static void break_down_buddy_pages(struct machine *m, struct zone *z, uint64_t head,
				   uint64_t target, unsigned low, unsigned high)
{
	while (high > low) {
		uint64_t half = 1UL << --high;
		uint64_t other = target < head + half ? head + half : head;
		if (target >= head + half)
			head += half;
		add_to_free_list(m, z, &m->pages[other], high);
	}
}

static struct page *rmqueue(struct machine *m, struct zone *z, unsigned order)
{
	unsigned o;

	for (o = order; o < MAX_ORDER; o++) {
		struct page_list *l = &z->free_area[o].free_list;
		uint64_t pfn;
		if (l->head == NO_PFN)
			continue;
		pfn = l->tail;	/* oldest first: allocations are deterministic */
		if (o == MAX_ORDER - 1 && o > order)
			sparse_split_hint(m, pfn);
		if (o > order && o >= 6)	/* a split writes its halves' heads, allocations the rest */
			sparse_track_open(m, pfn, 1ULL << o);
		del_from_free_list(m, z, &m->pages[pfn], o);
		break_down_buddy_pages(m, z, pfn, pfn, order, o);
		return &m->pages[pfn];
	}
	return NULL;
}

/* check_new_page: a block holding a poisoned page is never handed out. */
static bool block_has_hwpoison(struct machine *m, struct page *page, unsigned order)
{
	uint64_t pfn = page_to_pfn(m, page), i;

	for (i = 0; i < (1UL << order); i++)
		if (PageFlag(&m->pages[pfn + i], PG_hwpoison))
			return true;
	return false;
}

struct page *alloc_pages(struct machine *m, unsigned order)
{
	int zi;

	if (order >= MAX_ORDER)
		return NULL;
	mf_sched_point(m, MF_SP_ZONE, m->zones);
	for (zi = m->nr_zones - 1; zi >= 0; zi--) {
		struct zone *z = &m->zones[zi];
		struct page *page;
		if (z->type == ZONE_DEVICE)
			continue;
		while ((page = rmqueue(m, z, order))) {
			uint64_t pfn = page_to_pfn(m, page), i;
			if (block_has_hwpoison(m, page, order)) {
				/*
				 * memfail.soft_offline_order=put_then_poison models the
				 * pre-2016 kernel, whose check_new_page lost the whole block
				 * (seed 001); 6.1 gives back every good page.
				 */
				if (m->soft_offline_order)
					continue;
				for (i = 0; i < (1UL << order); i++)
					if (!PageFlag(&m->pages[pfn + i], PG_hwpoison))
						__free_one_page(m, &m->pages[pfn + i], 0);
				continue;
			}
			for (i = 0; i < (1UL << order); i++) {
				reset_page(&m->pages[pfn + i]);
				m->pages[pfn + i].head_delta = (uint32_t)i;
			}
			page->_refcount = 1;
			page->order = (uint8_t)order;
			return page;
		}
	}
	return NULL;
}

/* A compound page: every tail names its head; PMD mapcount starts at 0. */
void prep_compound_page(struct machine *m, struct page *head, unsigned order)
{
	uint64_t pfn = page_to_pfn(m, head), i;

	SetPageFlag(head, PG_head);
	head->order = (uint8_t)order;
	for (i = 1; i < (1UL << order); i++) {
		struct page *t = &m->pages[pfn + i];
		SetPageFlag(t, PG_tail);
		t->head_delta = (uint32_t)i;
		t->lru_prev = NO_PFN;
		t->lru_next = (uint32_t)i;
	}
	head[1].private = 0;
}

void destroy_compound_page(struct machine *m, struct page *head)
{
	uint64_t pfn = page_to_pfn(m, head), i;

	for (i = 1; i < (1UL << head->order); i++) {
		struct page *t = &m->pages[pfn + i];
		ClearPageFlag(t, PG_tail);
		t->head_delta = 0;
		t->lru_prev = t->lru_next = NO_PFN;
		t->private = 0;
	}
	ClearPageFlag(head, PG_head);
	ClearPageFlag(head, PG_hugetlb);
	ClearPageFlag(&head[1], PG_has_hwpoisoned);
}

/* References to any page of a compound page are the head's (the folio's). */
void get_page(struct page *page)
{
	compound_head_page(page)->_refcount++;
}

void put_page(struct machine *m, struct page *page)
{
	page = compound_head_page(page);
	mf_sched_point(m, MF_SP_REF, page);
	if (--page->_refcount == 0) {
		unsigned order = PageFlag(page, PG_head) ? page->order : 0;
		if (PageFlag(page, PG_hugetlb)) {
			free_huge_page(m, page);	/* back to the pool, not to buddy */
			return;
		}
		if (PageFlag(page, PG_lru))
			del_page_from_lru(m, page);
		if (order && PageFlag(page, PG_head))
			destroy_compound_page(m, page);
		free_pages(m, page, order);
	}
}

bool take_page_off_buddy(struct machine *m, struct page *page)
{
	struct zone *z = page_zone(m, page);
	uint64_t pfn = page_to_pfn(m, page);
	unsigned order;

	for (order = 0; order < MAX_ORDER; order++) {
		uint64_t hpfn = pfn & ~((1UL << order) - 1);
		struct page *head = &m->pages[hpfn];
		if (PageFlag(head, PG_buddy) && head->private >= order) {
			unsigned high = (unsigned)head->private;
			del_from_free_list(m, z, head, high);
			break_down_buddy_pages(m, z, hpfn, pfn, 0, high);
			page->private = MAGIC_HWPOISON;
			return true;
		}
		if (head->_refcount > 0)
			break;
	}
	return false;
}

bool put_page_back_buddy(struct machine *m, struct page *page)
{
	if (--page->_refcount != 0)
		return false;
	if (PageFlag(page, PG_hwpoison))
		page->private = 0;
	ClearPageFlag(page, PG_hwpoison);
	__free_one_page(m, page, 0);
	return true;
}

uint64_t nr_free_pages(struct machine *m)
{
	uint64_t n = 0;
	int zi;

	for (zi = 0; zi < m->nr_zones; zi++)
		n += m->zones[zi].nr_free;
	return n;
}

/* The lowest free pfn that is not poisoned: what "free" names in a scenario. */
struct page *find_free_page(struct machine *m)
{
	uint64_t pfn;

	for (pfn = m->reserved_end; pfn < m->nr_pages; pfn++) {
		struct page *p = &m->pages[pfn];
		if (!PageFlag(p, PG_hwpoison) && p->_refcount == 0 && is_free_buddy_page(m, p))
			return p;
	}
	return NULL;
}
