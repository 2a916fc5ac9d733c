/* SPDX-License-Identifier: GPL-2.0-only */
/* The model's side of concurrent contexts (include/memfail/sched_explore.h). */
#include <stdio.h>

#include "memfail/dax.h"
#include "memfail/fs.h"
#include "memfail/sched.h"
#include "memfail/sched_explore.h"
#include "memfail/u64map.h"
#include "memfail/xarray.h"
#include "sys-internal.h"

void *mf_ctx_save(struct mf_machine *mm)
{
	return mm->m->current;
}

void mf_ctx_restore(struct mf_machine *mm, void *saved)
{
	mm->m->current = saved;
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	return (h ^ w) * 0x100000001b3ULL + (h >> 29);
}

/*
 * An anon_vma is a host pointer too: it is named by the first VMA (owner's pid,
 * start) that uses it, walking processes and VMAs in order. A page is looked up
 * by pointer only (an unmapped page's anon_vma may be freed already), and only
 * while mapped, so a freed and reused address names nothing.
 */
static void name_anon_vmas(struct machine *m, struct u64map *ids)
{
	for (struct task_struct *t = m->tasks; t; t = t->next_all) {
		if (!t->mm)
			continue;
		for (struct vm_area_struct *v = t->mm->mmap; v; v = v->vm_next)
			if (v->anon_vma && !u64map_slot(ids, (uintptr_t)v->anon_vma))
				u64map_put(ids, (uintptr_t)v->anon_vma,
					   mix((uint64_t)t->pid, v->vm_start) | 1);
	}
}

/*
 * page->mapping as an id: a file page's inode number, a mapped anonymous
 * page's anon_vma name, else the type bits (KSM, movable).
 */
static uint64_t mapping_id(const struct page *p, const struct u64map *ids)
{
	uintptr_t flags = p->mapping & PAGE_MAPPING_FLAGS;
	const struct address_space *as;

	if (p->mapping && flags == PAGE_MAPPING_ANON && p->_mapcount > 0) {
		const uint64_t *id = u64map_slot(ids, (uintptr_t)page_anon_vma(p));

		return mix(flags | 4, id ? *id : 0);
	}
	if (!p->mapping || flags)
		return flags | (p->mapping ? 4 : 0);
	as = (const struct address_space *)p->mapping;
	return as->host ? (as->host->i_ino << 3) | 4 : 4;
}

static uint64_t hash_frames(struct machine *m, const struct u64map *ids, uint64_t h)
{
	for (uint64_t i = 0; i < m->nr_pages; i++) {
		const struct page *p = &m->pages[i];

		if (!p->flags && !p->_refcount && !p->mapping && !p->lru_next && !p->private)
			continue;	/* a never-used frame: most of them */
		h = mix(h, i);
		h = mix(h, ((uint64_t)p->flags << 32) | (uint32_t)p->_refcount);
		h = mix(h, ((uint64_t)(uint32_t)p->_mapcount << 32) | p->head_delta);
		h = mix(h, mapping_id(p, ids));
		h = mix(h, p->index);
		h = mix(h, p->private);
		h = mix(h, ((uint64_t)p->lru_prev << 32) | p->lru_next);
		h = mix(h, ((uint64_t)p->order << 8) | p->lru_list);
	}
	return h;
}

/*
 * Each process's PTEs. The table is a hash map whose slot order depends on
 * its history: entries are summed, so equal tables hash equal.
 */
static uint64_t hash_page_tables(struct machine *m, uint64_t h)
{
	for (struct task_struct *t = m->tasks; t; t = t->next_all) {
		const struct mm_struct *mm = t->mm;
		struct pt_iter it = { 0 };
		uint64_t sum = 0, vpn;
		pte_t *pte;

		if (!mm)
			continue;
		while (pt_next(&mm->pt, &it, &vpn, &pte))
			sum += mix(mix(0x9e3779b97f4a7c15ULL, vpn), *pte);
		h = mix(mix(h, (uint64_t)t->pid), sum);
	}
	return h;
}

/*
 * Every file's XArray: page-cache pages by pfn, value entries (shadow, swap,
 * and a DAX file's entries with their lock bit) as they are.
 */
static uint64_t hash_mappings(struct machine *m, uint64_t h)
{
	for (int i = 0; i < m->nr_inodes; i++) {
		struct address_space *mapping = &m->inodes[i]->i_data;
		unsigned long index;
		void *e;

		h = mix(h, m->inodes[i]->i_ino);
		xa_for_each(&mapping->i_pages, index, e) {
			h = mix(h, index);
			h = mix(h, xa_is_value(e) ? (uint64_t)(uintptr_t)e
						  : page_to_pfn(m, (struct page *)e) << 2);
		}
	}
	return h;
}

uint64_t mf_state_hash(struct mf_machine *mm)
{
	struct machine *m = mm->m;
	struct u64map ids;
	uint64_t h;

	u64map_init(&ids);
	name_anon_vmas(m, &ids);
	h = hash_frames(m, &ids, 0xcbf29ce484222325ULL);
	u64map_free(&ids);
	h = hash_page_tables(m, h);
	h = hash_mappings(m, h);
	return mix(h, m->num_poisoned_pages);
}

/*
 * The checks that hold at every scheduling point, not only between whole
 * operations: the kernel clears a PTE and deletes a page-cache entry before it
 * drops the reference they held, so neither ever names a free frame. The
 * first one broken in a block is kept for the block-end check.
 */
static char point_bad[256];

static bool frame_free(const struct page *p)
{
	return PageFlag(p, PG_buddy) || compound_head_page((struct page *)p)->_refcount <= 0;
}

static void check_ptes(struct machine *m)
{
	for (struct task_struct *t = m->tasks; t && !point_bad[0]; t = t->next_all) {
		const struct mm_struct *mm = t->mm;
		struct pt_iter it = { 0 };
		uint64_t vpn;
		pte_t *ptep;

		while (mm && pt_next(&mm->pt, &it, &vpn, &ptep)) {
			pte_t pte = *ptep;
			uint64_t pfn = pte_pfn(pte);

			if (!pte_present(pte) || (pte & PTE_DEVMAP) ||
			    !pfn_valid(m, pfn) || pfn == m->zero_pfn || !frame_free(&m->pages[pfn]))
				continue;
			snprintf(point_bad, sizeof(point_bad), "%s: PTE at %#llx maps free pfn %#llx",
				 t->comm, (unsigned long long)(vpn << PAGE_SHIFT),
				 (unsigned long long)pfn);
			return;
		}
	}
}

static void check_cache(struct machine *m)
{
	for (int i = 0; i < m->nr_inodes && !point_bad[0]; i++) {
		unsigned long index;
		struct page *p;

		xa_for_each(&m->inodes[i]->i_data.i_pages, index, p) {
			if (xa_is_value(p) || !frame_free(p))
				continue;
			snprintf(point_bad, sizeof(point_bad), "%s: page-cache entry %lu is free pfn %#llx",
				 m->inodes[i]->name, index, (unsigned long long)page_to_pfn(m, p));
			return;
		}
	}
}

void mf_point_check(struct machine *m)
{
	if (!m || point_bad[0])
		return;
	check_ptes(m);
	check_cache(m);
}

void mf_point_reset(void)
{
	point_bad[0] = 0;
}

const char *mf_point_violation(void)
{
	return point_bad[0] ? point_bad : NULL;
}

unsigned long mf_dax_lock_losses(struct mf_machine *mm)
{
	return mm->m->pmem ? mm->m->pmem->erased_locked : 0;
}
