/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The invariant checker's page-table pass: every entry is checked, and the
 * PTEs and PMD slots mapping each pfn are counted (ck_count) for the
 * frame pass to compare with the mapcounts.
 *
 * The counts are kept from check to check. What each entry of a block was
 * counted as is kept too (its shadow), so a check of what changed reads only
 * the blocks handed out writable since (pt_lookup and pt_set mark them):
 * it takes back an entry's old count and adds its new one. A block that
 * goes with its address space leaves its shadow on the machine's ck_dead
 * list, taken back at the next check.
 *
 * An entry's check also reads its VMA, its frame, its folio's head and the
 * swap map, which change without the entry changing. So a check of what
 * changed reads every block of an address space whose VMAs changed, and
 * every block of every one when the machine holds a poisoned page or a used
 * swap slot (now or at the last check), or, after the frame pass, when a
 * frame that changed is one an entry's check would now refuse (frame_suspect,
 * check_page_tables_rest).
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"
#include "debug.h"

#define CK_PMD (1ULL << 63)	/* a shadow entry counted in pmd_slots, not maps */

/* Shadows are told apart from those of an earlier full check (or machine) by this (31 bits). */
static uint32_t ck_gen_last;

static void count(struct ck *c, uint64_t key, int32_t d)
{
	uint64_t pfn = (key & ~CK_PMD) - 1;
	struct ck_count *n = &c->cnt[pfn];

	if (key & CK_PMD)
		n->pmd_slots += d;
	else
		n->maps += d;
	if (n->maps || n->pmd_slots) {
		set_pfn(c->mapped, pfn);
		c->st->mapped_hi = max_u64(c->st->mapped_hi, pfn / 64 + 1);
	} else {
		c->mapped[pfn / 64] &= ~(1ULL << (pfn % 64));
	}
	todo_set(c->st, pfn / 64);	/* the frame pass compares it with its mapcount */
}

/* Every entry's check: what it counts (0: nothing; pfn + 1, with CK_PMD for a PMD slot). */
static uint64_t check_pte(struct ck *c, struct task_struct *t, struct vm_area_struct *vma, uint64_t addr,
			  pte_t pte)
{
	struct machine *m = c->m;

	if (!vma)
		ck_fail(c, "%s: PTE at %#llx outside every VMA", t->comm, (unsigned long long)addr);
	if (pte_present(pte)) {
		uint64_t pfn = pte_pfn(pte);
		struct page *p;
		if (!pfn_valid(m, pfn)) {
			ck_fail(c, "%s: PTE maps invalid pfn %#llx", t->comm, (unsigned long long)pfn);
			return 0;
		}
		if (pfn == m->zero_pfn)
			return 0;
		if (pte & PTE_DEVMAP) {
			/* fsdax: no mapcount, and a poisoned pfn may be mapped again */
			if (page_zone(m, &m->pages[pfn])->type != ZONE_DEVICE)
				ck_fail(c, "%s: DAX PTE maps RAM pfn %#llx", t->comm, (unsigned long long)pfn);
			return 0;
		}
		p = &m->pages[pfn];
		if (pte & PTE_HUGE) {
			/* one of the 512 slots of a PMD mapping: counted on the folio */
			struct page *head = compound_head_page(p);
			if (!PageFlag(head, PG_head) || head->_refcount <= 0)
				ck_fail(c, "%s: PMD slot maps pfn %#llx outside a live compound page",
					t->comm, (unsigned long long)pfn);
			if (PageFlag(p, PG_hwpoison) && PageFlag(&head[1], PG_has_hwpoisoned))
				return (page_to_pfn(m, head) + 1) | CK_PMD;	/* 6.1 unsplit THP: stays mapped */
			if (PageFlag(head, PG_hwpoison) && PageFlag(head, PG_hugetlb))
				ck_fail(c, "%s: maps poisoned hugetlb pfn %#llx", t->comm, (unsigned long long)pfn);
			if (PageFlag(p, PG_hwpoison))
				ck_fail(c, "%s: can read hwpoison pfn %#llx without being told", t->comm,
					(unsigned long long)pfn);
			return (page_to_pfn(m, head) + 1) | CK_PMD;
		}
		if (compound_head_page(p)->_refcount <= 0 || PageFlag(p, PG_buddy))
			ck_fail(c, "%s: PTE maps free pfn %#llx", t->comm, (unsigned long long)pfn);
		/*
		 * 6.1 leaves a THP that could not be split mapped, and a later
		 * PMD split (munmap, COW) PTE-maps every subpage, the poisoned
		 * one too, as a split of a PMD-mapped one does (MAGIC_HWPOISON_REMAPPED).
		 * 6.1 hwpoison_user_mappings gives up on a KSM page; a page
		 * memory_failure found off the LRU, or failed to unmap, stays
		 * mapped (hwpoison_mapped).
		 */
		if (PageFlag(p, PG_hwpoison) && !PageKsm(p) && p->private != MAGIC_HWPOISON_REMAPPED &&
		    !u64map_slot(&m->hwpoison_mapped, pfn) &&
		    !(PageCompound(p) && PageFlag(&compound_head_page(p)[1], PG_has_hwpoisoned)))
			ck_fail(c, "%s: can read hwpoison pfn %#llx without being told", t->comm,
				(unsigned long long)pfn);
		return pfn + 1;
	}
	if (pte_is_swp(pte) && swp_type(pte) == SWP_SWAPFILE) {
		uint64_t slot = swp_offset(pte);
		if (!m->swap || slot >= m->swap->nr_slots || !m->swap->swap_map[slot])
			ck_fail(c, "%s: swap entry %#llx names a free slot", t->comm, (unsigned long long)slot);
	} else if (!is_hwpoison_pte(pte) && swp_type(pte) != SWP_SWAPIN_ERROR) {
		ck_fail(c, "%s: unknown PTE %#llx", t->comm, (unsigned long long)pte);
	} else if (!pfn_valid(m, swp_offset(pte))) {
		ck_fail(c, "%s: hwpoison entry for invalid pfn", t->comm);
	}
	return 0;
}

/* The block's shadow: the one of this generation, or a new one, zero (counted nothing yet). */
static uint64_t *shadow_of(struct ck *c, struct pte_block *b)
{
	struct ck_state *st = c->st;

	if (b->ck_gen != st->gen) {
		struct mf_arena *arena = mf_arena_enter(NULL);	/* the checker's state is the host's */
		uint32_t id;
		if (st->nr_free_ids) {
			id = st->free_ids[--st->nr_free_ids];
		} else {
			ARRAY_GROW(st->shadow, st->nr_shadow, st->cap_shadow, "the invariant checker");
			id = (uint32_t)st->nr_shadow++;
		}
		mf_arena_enter(arena);
		memset(st->shadow[id], 0, sizeof(st->shadow[id]));
		b->ck_id = id;
		b->ck_gen = st->gen;
	}
	return st->shadow[b->ck_id];
}

static void check_block(struct ck *c, struct task_struct *t, struct pte_block *b, uint64_t vpn,
			struct vm_area_struct **vma)
{
	uint64_t *sh = shadow_of(c, b);

	for (int i = 0; i < PTES_PER_BLOCK; i++) {
		uint64_t addr = (vpn + (uint64_t)i) << PAGE_SHIFT, key = 0;
		if (b->pte[i]) {
			/* a table's entries come in order: often the last one's VMA */
			if (!*vma || addr < (*vma)->vm_start || addr >= (*vma)->vm_end)
				*vma = find_vma(t->mm, addr);
			key = check_pte(c, t, *vma, addr, b->pte[i]);
		}
		if (key == sh[i])
			continue;
		if (sh[i])
			count(c, sh[i], -1);
		if (key)
			count(c, key, 1);
		sh[i] = key;
	}
}

/* Every block, or every block but those check_dirty_blocks read this time. */
static void check_all_blocks(struct ck *c, struct task_struct *t, bool skip_dirty)
{
	struct vm_area_struct *vma = NULL;
	struct pt_iter it = { 0 };
	struct pte_block *b;
	uint64_t vpn;

	while ((b = pt_next_block(&t->mm->pt, &it, &vpn)))
		if (!skip_dirty || !b->ck_dirty)
			check_block(c, t, b, vpn, &vma);
}

static void check_dirty_blocks(struct ck *c, struct task_struct *t)
{
	struct page_table *pt = &t->mm->pt;
	struct vm_area_struct *vma = NULL;

	for (size_t i = 0; i < pt->nr_dirty; i++)
		check_block(c, t, pt->dirty[i].b, pt->dirty[i].vpn, &vma);
}

/* Its VMAs' bounds, hashed: a check of what changed reads all of an mm whose VMAs moved. */
static uint64_t vma_sig(const struct mm_struct *mm)
{
	uint64_t h = 0;

	for (const struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		h = ((h ^ v->vm_start) * 0x9e3779b97f4a7c15ULL ^ v->vm_end) * 0xff51afd7ed558ccdULL;
	return h;
}

/* Take back the counts of the blocks freed since the last check (their ids are free again). */
static void release_dead(struct ck *c)
{
	struct machine *m = c->m;
	struct ck_state *st = c->st;

	for (size_t i = 0; i < m->ck_nr_dead; i++) {
		uint32_t gen = (uint32_t)(m->ck_dead[i] >> 32), id = (uint32_t)m->ck_dead[i];
		if (gen != st->gen)
			continue;
		for (int k = 0; k < PTES_PER_BLOCK; k++)
			if (st->shadow[id][k])
				count(c, st->shadow[id][k], -1);
		struct mf_arena *arena = mf_arena_enter(NULL);
		ARRAY_PUSH(st->free_ids, st->nr_free_ids, st->cap_free_ids, id, "the invariant checker");
		mf_arena_enter(arena);
	}
	m->ck_nr_dead = 0;
}

/* An address space goes (mmput): its blocks' counts are taken back at the next check. */
void ck_pt_release(struct machine *m, struct page_table *pt)
{
	struct pt_iter it = { 0 };
	struct pte_block *b;
	uint64_t vpn;

	if (!m->ck)
		return;
	while ((b = pt_next_block(pt, &it, &vpn)))
		if (b->ck_gen == m->ck->gen)
			ARRAY_PUSH(m->ck_dead, m->ck_nr_dead, m->ck_cap_dead,
				   (uint64_t)b->ck_gen << 32 | b->ck_id, "freeing a page table");
}

/*
 * A full check counts from nothing: the counts of the last one (nonzero only
 * where mapped says) go, and every shadow with them.
 */
static void counts_reset(struct ck *c)
{
	struct ck_state *st = c->st;

	for (uint64_t w = 0; w < st->mapped_hi; w++) {
		for (uint64_t bits = st->mapped[w]; bits; bits &= bits - 1) {
			uint64_t pfn = w * 64 + (uint64_t)__builtin_ctzll(bits);
			st->cnt[pfn] = (struct ck_count){ 0 };
		}
		st->mapped[w] = 0;
	}
	st->mapped_hi = 0;
	st->nr_shadow = st->nr_free_ids = 0;
	ck_gen_last = ck_gen_last % 0x7fffffff + 1;	/* 1 .. 2^31 - 1 (pte_block.ck_gen); 0: never counted */
	st->gen = ck_gen_last;
	c->m->ck_nr_dead = 0;
}

/*
 * A frame the frame pass checks that an entry's check would refuse if the
 * entry maps it (the checks of check_pte that read frames): an entry that did
 * not change may map it, so check_page_tables_rest reads every block.
 */
bool frame_suspect(struct ck *c, uint64_t pfn)
{
	struct page *p = &c->m->pages[pfn];

	if (PageFlag(p, PG_hwpoison) || (PageFlag(p, PG_head) && p->_refcount <= 0))
		return true;
	struct ck_count n = ck_count_of(c, pfn);

	if (n.maps && (compound_head_page(p)->_refcount <= 0 || PageFlag(p, PG_buddy)))
		return true;
	return n.pmd_slots && (!PageFlag(p, PG_head) || p->_refcount <= 0);
}

/*
 * Full: every entry, counted from nothing. Else the blocks marked since the
 * last check, and the others of an address space whose VMAs changed, or of
 * every one while the machine holds a poisoned page or a used swap slot (now
 * or at the last check). The groups whose counts change go to todo.
 */
void check_page_tables(struct ck *c, bool full)
{
	struct ck_state *st = c->st;
	uint64_t poisoned = c->m->num_poisoned_pages, swap_inuse = c->m->swap ? c->m->swap->inuse : 0;
	struct task_struct *t;

	if (full)
		counts_reset(c);
	release_dead(c);
	c->ptes_all = full || poisoned || st->poisoned || swap_inuse || st->swap_inuse;
	st->poisoned = poisoned;
	st->swap_inuse = swap_inuse;
	for (t = c->m->tasks; t; t = t->next_all) {
		struct mm_struct *mm = t->mm;
		uint64_t sig;
		if (!mm)
			continue;
		sig = vma_sig(mm);
		/* a table the checker has not read whole marks nothing (mm/pgtable.c) */
		mm->ck_read_all = c->ptes_all || sig != mm->ck_vma_sig || !mm->pt.ck_tracked;
		if (mm->ck_read_all)
			check_all_blocks(c, t, false);
		else
			check_dirty_blocks(c, t);
		mm->ck_vma_sig = sig;
	}
}

/* After a frame pass that found a suspect: the blocks check_page_tables did not read. */
void check_page_tables_rest(struct ck *c)
{
	for (struct task_struct *t = c->m->tasks; t; t = t->next_all)
		if (t->mm && !t->mm->ck_read_all)
			check_all_blocks(c, t, true);
	c->ptes_all = true;
}

/* The marks go: every block that changed has been read. */
void check_page_tables_done(struct ck *c)
{
	for (struct task_struct *t = c->m->tasks; t; t = t->next_all)
		if (t->mm)
			pt_dirty_clear(&t->mm->pt, true);
}
