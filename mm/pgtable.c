/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page tables (include/memfail/pgtable.h): a block of 64 PTEs per 256 KiB of
 * address space, made by the first entry set in it and kept, empty or not,
 * until the address space goes (as the kernel keeps its tables until
 * free_pgtables), so a pointer to an entry stays valid while others are set
 * or cleared. A block handed out writable is marked for the invariant
 * checker, which then reads only the marked blocks (mm/debug_pte.c).
 */
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/pgtable.h"

void pt_init(struct page_table *pt)
{
	*pt = (struct page_table){ 0 };
	u64map_init(&pt->blocks);
}

void pt_free(struct page_table *pt)
{
	struct pt_iter it = { 0 };
	struct pte_block *b;
	uint64_t vpn;

	while ((b = pt_next_block(pt, &it, &vpn)))
		free(b);
	u64map_free(&pt->blocks);
	free(pt->dirty);
	pt_init(pt);
}

static void pt_mark(struct page_table *pt, struct pte_block *b, uint64_t idx)
{
	if (!pt->ck_tracked || b->ck_dirty)
		return;
	b->ck_dirty = true;
	ARRAY_PUSH(pt->dirty, pt->nr_dirty, pt->cap_dirty,
		   ((struct pt_dirty){ b, idx * PTES_PER_BLOCK }), "marking a page table");
}

void pt_dirty_clear(struct page_table *pt, bool tracked)
{
	for (size_t i = 0; i < pt->nr_dirty; i++)
		pt->dirty[i].b->ck_dirty = false;
	pt->nr_dirty = 0;
	pt->ck_tracked = tracked;
}

struct pte_block *pt_block(struct page_table *pt, uint64_t vpn)
{
	uint64_t idx = vpn / PTES_PER_BLOCK, *slot;

	if (pt->last && pt->last_idx == idx)
		return pt->last;
	slot = u64map_slot(&pt->blocks, idx);
	if (!slot)
		return NULL;
	pt->last_idx = idx;
	pt->last = (struct pte_block *)(uintptr_t)*slot;
	return pt->last;
}

/* Eight entries at a time: a fault's pmd_none check usually meets a populated block's first ones. */
bool pt_block_empty(const struct pte_block *b)
{
	for (int i = 0; i < PTES_PER_BLOCK; i += 8) {
		pte_t any = 0;
		for (int j = 0; j < 8; j++)
			any |= b->pte[i + j];
		if (any)
			return false;
	}
	return true;
}

/* Read without moving the last-block cache: a fault asks this, then sets the entry it asked for. */
bool pt_range_none(struct page_table *pt, uint64_t vpn, uint64_t n)
{
	for (uint64_t v = vpn; v < vpn + n; v += PTES_PER_BLOCK) {
		const uint64_t *slot = u64map_slot(&pt->blocks, v / PTES_PER_BLOCK);
		if (slot && !pt_block_empty((const struct pte_block *)(uintptr_t)*slot))
			return false;
	}
	return true;
}

pte_t *pt_lookup(struct page_table *pt, uint64_t vpn)
{
	struct pte_block *b = pt_block(pt, vpn);
	pte_t *p = b ? &b->pte[vpn % PTES_PER_BLOCK] : NULL;

	if (!p || !*p)
		return NULL;
	pt_mark(pt, b, vpn / PTES_PER_BLOCK);
	return p;
}

void pt_set(struct page_table *pt, uint64_t vpn, pte_t pte)
{
	struct pte_block *b = pt_block(pt, vpn);
	pte_t *p;

	if (!b) {
		if (!pte)
			return;
		b = xcalloc(1, sizeof(*b), "allocating a page table");
		u64map_put(&pt->blocks, vpn / PTES_PER_BLOCK, (uint64_t)(uintptr_t)b);
		pt->last_idx = vpn / PTES_PER_BLOCK;
		pt->last = b;
	}
	p = &b->pte[vpn % PTES_PER_BLOCK];
	if (*p != pte)
		pt_mark(pt, b, vpn / PTES_PER_BLOCK);
	pt->nr += (uint64_t)(pte != 0) - (*p != 0);
	*p = pte;
}

struct pte_block *pt_next_block(const struct page_table *pt, struct pt_iter *it, uint64_t *vpn)
{
	uint64_t idx;

	while (it->slot < pt->blocks.cap) {
		uint64_t s = it->slot++;
		if (u64map_key_at(&pt->blocks, s, &idx)) {
			*vpn = idx * PTES_PER_BLOCK;
			return (struct pte_block *)(uintptr_t)pt->blocks.vals[s];
		}
	}
	return NULL;
}

bool pt_next(const struct page_table *pt, struct pt_iter *it, uint64_t *vpn, pte_t **pte)
{
	for (;;) {
		while (it->b && it->i < PTES_PER_BLOCK) {
			uint32_t i = it->i++;
			if (it->b->pte[i]) {
				*vpn = it->vpn + i;
				*pte = &it->b->pte[i];
				return true;
			}
		}
		it->b = pt_next_block(pt, it, &it->vpn);
		it->i = 0;
		if (!it->b)
			return false;
	}
}
