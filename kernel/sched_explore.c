/* SPDX-License-Identifier: GPL-2.0-only */
/* The model's side of concurrent contexts (include/memfail/sched_explore.h). */
#include <stdio.h>
#include <string.h>

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

/* A page's bytes (n a multiple of 32): four independent lanes, so the multiplies overlap. */
static uint64_t hash_bytes(const uint8_t *b, size_t n)
{
	uint64_t l[4] = { 0x84222325cbf29ce4ULL, 1, 2, 3 }, w[4];

	for (size_t i = 0; i + sizeof(w) <= n; i += sizeof(w)) {
		memcpy(w, b + i, sizeof(w));
		for (int k = 0; k < 4; k++)
			l[k] = (l[k] ^ w[k]) * 0x100000001b3ULL;
	}
	return mix(mix(mix(l[0], l[1]), l[2]), l[3]);
}

/* A page's contents: zero, one repeated byte, or its bytes (a slot number is history). */
static uint64_t data_id(struct machine *m, const struct page *p)
{
	int b = page_data_byte(p);
	const uint8_t *d;

	if (b >= 0)
		return 0x100u | (unsigned)b;
	d = page_data(m, (struct page *)p);	/* reads only */
	/*
	 * a buffer written whole with one byte (fsdax writes through the buffer);
	 * not page_data_is_byte: its compare image would be allocated outside the
	 * machine's arena here, and outlive it
	 */
	if (d[0] == d[PAGE_SIZE - 1] && !memcmp(d, d + 1, PAGE_SIZE - 1))
		return 0x100u | d[0];
	return hash_bytes(d, PAGE_SIZE);
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
		h = mix(h, data_id(m, p));
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

		h = mix(mix(h, m->inodes[i]->i_ino), m->inodes[i]->i_size);
		h = mix(mix(h, mapping->flags), mapping->wb_err);
		h = mix(h, (uint64_t)m->inodes[i]->unlinked);
		for (uint64_t k = 0; k < m->inodes[i]->nr_disk; k++)	/* a disk file's on-disk copy */
			if (m->inodes[i]->disk[k])
				h = mix(mix(h, k), hash_bytes(m->inodes[i]->disk[k], PAGE_SIZE));
		xa_for_each(&mapping->i_pages, index, e) {
			h = mix(h, index);
			h = mix(h, xa_is_value(e) ? (uint64_t)(uintptr_t)e
						  : page_to_pfn(m, (struct page *)e) << 2);
		}
	}
	return h;
}

static uint64_t file_id(const struct file *f)
{
	if (!f)
		return 0;
	return mix(mix(f->f_inode ? f->f_inode->i_ino : 0, f->f_mode), ((uint64_t)f->f_wb_err << 32) | f->f_sb_err);
}

/* A process: its threads, signal state, open files and VMAs (bounds, flags, file, anon_vma). */
static uint64_t hash_task(const struct task_struct *t, const struct u64map *ids, uint64_t h)
{
	const struct signal_struct *s = t->signal;

	for (int i = 0; i < s->nr_threads; i++)
		h = mix(mix(h, (uint64_t)s->threads[i]->pid), s->threads[i]->flags);
	h = mix(h, (uint64_t)s->dead | (uint64_t)(uint8_t)s->exit_signal << 8 |
		   (uint64_t)(uint8_t)s->fatal_signal << 16 | (uint64_t)s->sigbus << 24);
	h = mix(h, (uint64_t)(uint32_t)s->exit_code);
	for (int i = 0; t->files && i < t->files->nr; i++)
		h = mix(h, file_id(t->files->fd[i]));
	for (const struct vm_area_struct *v = t->mm ? t->mm->mmap : NULL; v; v = v->vm_next) {
		const uint64_t *id = v->anon_vma ? u64map_slot(ids, (uintptr_t)v->anon_vma) : NULL;
		h = mix(mix(mix(h, v->vm_start), v->vm_end), v->vm_flags);
		h = mix(mix(mix(h, v->vm_pgoff), file_id(v->vm_file)), id ? *id : 0);
		h = mix(h, v->hugetlb_resv);
	}
	return h;
}

/* Swap slots in use: references, swap-cache frame, contents. */
static uint64_t hash_swap(const struct swap_info *si, uint64_t h)
{
	uint64_t seen = 0;

	for (uint64_t slot = 1; si && slot < si->nr_slots && seen < si->inuse; slot++) {
		if (!si->swap_map[slot])
			continue;
		seen++;
		h = mix(mix(mix(h, slot), si->swap_map[slot]), si->cache[slot]);
		h = mix(h, si->slot_data[slot] ? hash_bytes(si->slot_data[slot], PAGE_SIZE) : 0);
	}
	return si ? mix(h, si->inuse) : h;
}

/* What the machine holds outside frames, page tables and files' pages. */
static uint64_t hash_machine(struct machine *m, uint64_t h)
{
	const struct hstate *hs = &m->hstate;

	for (unsigned i = 0; i < m->lru_add_pvec.nr; i++)
		h = mix(h, m->lru_add_pvec.pfn[i]);
	for (int i = 0; i < m->nr_sigs; i++) {
		const struct sigrecord *r = &m->sigs[i];
		h = mix(mix(h, (uint64_t)r->tid << 32 | (uint32_t)r->info.si_signo), r->info.si_addr);
		h = mix(h, (uint64_t)(uint32_t)r->info.si_code << 32 | (uint32_t)r->info.si_addr_lsb);
	}
	for (int i = 0; i < m->mf_fifo.n; i++)
		h = mix(mix(h, m->mf_fifo.pfn[i]), (uint64_t)(uint32_t)m->mf_fifo.flags[i]);
	h = mix(mix(mix(h, hs->nr_huge_pages), hs->free_huge_pages), hs->resv_huge_pages);
	h = mix(mix(h, hs->surplus_huge_pages), m->log.seq);
	for (int i = 0; i < 4; i++)
		h = mix(h, m->mf_results[i]);
	h = mix(h, (uint64_t)m->panicked | (uint64_t)(m->oops != NULL) << 1 | (uint64_t)m->mf_mutex_held << 2);
	return hash_swap(m->swap, h);
}

uint64_t mf_state_hash(struct mf_machine *mm)
{
	struct machine *m = mm->m;
	struct u64map ids;
	uint64_t h;

	u64map_init(&ids);
	name_anon_vmas(m, &ids);
	h = hash_frames(m, &ids, 0xcbf29ce484222325ULL);
	for (struct task_struct *t = m->tasks; t; t = t->next_all)
		h = hash_task(t, &ids, mix(h, (uint64_t)t->pid));
	u64map_free(&ids);
	h = hash_page_tables(m, h);
	h = hash_mappings(m, h);
	h = hash_machine(m, h);
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
