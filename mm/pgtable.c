/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page tables (include/memfail/pgtable.h): a PTE table per 2M of address
 * space, made by the first entry set in it and kept, empty or not, until the
 * address space goes (as the kernel keeps its tables until free_pgtables), so
 * a pointer to an entry stays valid while others are set or cleared.
 */
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/pgtable.h"

void pt_init(struct page_table *pt)
{
	u64map_init(&pt->tables);
	pt->nr = 0;
	pt->last = NULL;
}

void pt_free(struct page_table *pt)
{
	struct pt_iter it = { 0 };
	struct pte_table *t;
	uint64_t vpn;

	while ((t = pt_next_table(pt, &it, &vpn)))
		free(t);
	u64map_free(&pt->tables);
	pt_init(pt);
}

struct pte_table *pt_table(struct page_table *pt, uint64_t vpn)
{
	uint64_t idx = vpn / PTRS_PER_PTE, *slot;

	if (pt->last && pt->last_idx == idx)
		return pt->last;
	slot = u64map_slot(&pt->tables, idx);
	if (!slot)
		return NULL;
	pt->last_idx = idx;
	pt->last = (struct pte_table *)(uintptr_t)*slot;
	return pt->last;
}

pte_t *pt_lookup(struct page_table *pt, uint64_t vpn)
{
	struct pte_table *t = pt_table(pt, vpn);
	pte_t *p = t ? &t->pte[vpn % PTRS_PER_PTE] : NULL;

	return p && *p ? p : NULL;
}

void pt_set(struct page_table *pt, uint64_t vpn, pte_t pte)
{
	struct pte_table *t = pt_table(pt, vpn);
	pte_t *p;

	if (!t) {
		if (!pte)
			return;
		t = xcalloc(1, sizeof(*t), "allocating a page table");
		u64map_put(&pt->tables, vpn / PTRS_PER_PTE, (uint64_t)(uintptr_t)t);
		pt->last_idx = vpn / PTRS_PER_PTE;
		pt->last = t;
	}
	p = &t->pte[vpn % PTRS_PER_PTE];
	t->nr += (pte != 0) - (*p != 0);
	pt->nr += (uint64_t)(pte != 0) - (*p != 0);
	*p = pte;
}

struct pte_table *pt_next_table(const struct page_table *pt, struct pt_iter *it, uint64_t *vpn)
{
	uint64_t idx;

	while (it->slot < pt->tables.cap) {
		uint64_t s = it->slot++;
		if (u64map_key_at(&pt->tables, s, &idx)) {
			*vpn = idx * PTRS_PER_PTE;
			return (struct pte_table *)(uintptr_t)pt->tables.vals[s];
		}
	}
	return NULL;
}

bool pt_next(const struct page_table *pt, struct pt_iter *it, uint64_t *vpn, pte_t **pte)
{
	for (;;) {
		if (it->t && it->t->nr) {
			while (it->i < PTRS_PER_PTE) {
				uint32_t i = it->i++;
				if (it->t->pte[i]) {
					*vpn = it->idx + i;
					*pte = &it->t->pte[i];
					return true;
				}
			}
		}
		it->t = pt_next_table(pt, it, &it->idx);
		it->i = 0;
		if (!it->t)
			return false;
	}
}
