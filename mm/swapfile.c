/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Swap: one device of page-sized slots, the swap cache (slot -> page), swap-out
 * by reclaim and swap-in by fault. An anonymous page on its way out or back in
 * sits in the swap cache, which is what memory_failure's swapcache rows see.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/ksm.h"
#include "memfail/mm.h"
#include "memfail/profile.h"

void swap_init(struct machine *m, uint64_t bytes)
{
	struct swap_info *si = xcalloc(1, sizeof(*si), "adding a swap device");

	si->nr_slots = bytes >> PAGE_SHIFT;
	si->swap_map = xcalloc(si->nr_slots, sizeof(*si->swap_map), "adding a swap device");
	si->slot_data = xcalloc(si->nr_slots, sizeof(*si->slot_data), "adding a swap device");
	si->cache = xcalloc(si->nr_slots, sizeof(*si->cache), "adding a swap device");
	si->swap_map[0] = 1;	/* slot 0 holds the swap header, as on Linux */
	si->lowest_free = 1;
	m->swap = si;
}

/* A bounded log: past it the checker walks everything once (check_invariants_changed). */
#define SWAP_CK_LOG_MAX 4096

static void swap_ck_log(struct swap_info *si, uint32_t pfn)
{
	if (pfn == NO_PFN || si->ck_lost)
		return;
	if (si->ck_nr == SWAP_CK_LOG_MAX) {
		si->ck_lost = true;
		return;
	}
	ARRAY_PUSH(si->ck_pfns, si->ck_nr, si->ck_cap, pfn, "logging a swap-cache change");
}

void swap_cache_set(struct machine *m, uint64_t slot, uint32_t pfn)
{
	struct swap_info *si = m->swap;

	swap_ck_log(si, swap_cache_pfn(si, slot));
	si->cache[slot] = pfn == NO_PFN ? 0 : pfn + 1;
	swap_ck_log(si, pfn);
}

void swap_free_all(struct machine *m)
{
	struct swap_info *si = m->swap;
	uint64_t i, left;

	if (!si)
		return;
	/* only a slot in use has data; stop after the last (a device of terabytes) */
	for (i = 1, left = si->inuse; left && i < si->nr_slots; i++) {
		if (si->swap_map[i]) {
			free(si->slot_data[i]);
			left--;
		}
	}
	free(si->slot_data);
	free(si->swap_map);
	free(si->cache);
	free(si->ck_pfns);
	free(si);
	m->swap = NULL;
}

struct page *lookup_swap_cache(struct machine *m, uint64_t slot)
{
	if (!m->swap || slot >= m->swap->nr_slots || swap_cache_pfn(m->swap, slot) == NO_PFN)
		return NULL;
	return pfn_to_page(m, swap_cache_pfn(m->swap, slot));
}

void swap_duplicate(struct machine *m, uint64_t slot)
{
	m->swap->swap_map[slot]++;
}

static void swap_slot_release(struct machine *m, uint64_t slot)
{
	struct swap_info *si = m->swap;

	free(si->slot_data[slot]);
	si->slot_data[slot] = NULL;
	si->inuse--;
	if (slot < si->lowest_free)
		si->lowest_free = slot;
}

/* One user of the slot is gone; the swap cache holds a use of its own. */
void swap_entry_free(struct machine *m, uint64_t slot)
{
	struct swap_info *si = m->swap;

	if (!si || slot >= si->nr_slots || !si->swap_map[slot])
		return;
	if (--si->swap_map[slot] == 0)
		swap_slot_release(m, slot);
	else if (si->swap_map[slot] == 1 && swap_cache_pfn(si, slot) != NO_PFN) {
		/* only the swap cache is left: a clean cached page can go now */
		struct page *page = pfn_to_page(m, swap_cache_pfn(si, slot));
		if (!page_mapped(page) && !PageFlag(page, PG_dirty) && page->_refcount == 1 &&
		    !PageFlag(page, PG_hwpoison))
			delete_from_swap_cache(m, page);
	}
}

static int add_to_swap(struct machine *m, struct page *page)
{
	struct swap_info *si = m->swap;
	uint64_t slot;

	if (!si)
		return -ENOSPC;
	/* the lowest free slot, as the kernel's lowest_bit hint finds it */
	for (slot = si->lowest_free; slot < si->nr_slots; slot++)
		if (!si->swap_map[slot])
			break;
	si->lowest_free = slot;
	if (slot == si->nr_slots)
		return -ENOSPC;
	si->swap_map[slot] = 1;	/* the swap cache's use */
	si->inuse++;
	si->lowest_free = slot + 1;
	swap_cache_set(m, slot, (uint32_t)page_to_pfn(m, page));
	page->private = slot;
	SetPageFlag(page, PG_swapcache);
	SetPageFlag(page, PG_dirty);	/* must be written before it can be dropped */
	get_page(page);
	return 0;
}

void delete_from_swap_cache(struct machine *m, struct page *page)
{
	uint64_t slot = page->private;

	swap_cache_set(m, slot, NO_PFN);
	ClearPageFlag(page, PG_swapcache);
	page->private = 0;
	swap_entry_free(m, slot);
	put_page(m, page);
}

static void swap_writepage(struct machine *m, struct page *page)
{
	struct swap_info *si = m->swap;
	uint64_t slot = page->private;
	const uint8_t *d = page_data(m, page);

	if (!si->slot_data[slot])
		si->slot_data[slot] = xmalloc(PAGE_SIZE, "writing a page to swap");
	if (d)
		memcpy(si->slot_data[slot], d, PAGE_SIZE);
	else
		memset(si->slot_data[slot], 0, PAGE_SIZE);
	ClearPageFlag(page, PG_dirty);
}

/*
 * shrink_folio_list for one page: anonymous pages go to swap, clean file pages
 * are dropped, dirty file pages are written first. As in 6.1 the isolated page
 * is reclaimed under its lock, taken with a trylock: a page someone else holds
 * locked (memory_failure holds it across its handling) is kept, not waited
 * for. 0 when the page left memory, -EAGAIN when it could not.
 */
int reclaim_page(struct machine *m, struct page *page)
{
	struct address_space *mapping;

	lru_add_drain(m);
	if (PageFlag(page, PG_hwpoison) || PageFlag(page, PG_mlocked) || !PageFlag(page, PG_lru))
		return -EAGAIN;
	/* A shmem THP would have to be split first (shmem_writepage): not modelled, it stays. */
	if (PageFlag(page, PG_head) && !PageAnon(page))
		return -EAGAIN;
	/* Swapping a KSM page out (and ksm_might_need_to_copy on the way in): not modelled. */
	if (PageKsm(page))
		return -EAGAIN;
	if (!isolate_lru_page(m, page))
		return -EAGAIN;
	if (!trylock_page(m, page))
		goto keep;
	if (PageAnon(page) && !PageFlag(page, PG_swapcache) && add_to_swap(m, page))
		goto keep_locked;
	if (page_mapped(page) && !try_to_unmap(m, page, 0))
		goto keep_locked;
	if (PageFlag(page, PG_swapcache)) {
		if (PageFlag(page, PG_dirty))
			swap_writepage(m, page);
		if (page->_refcount != 2)	/* the swap cache's and ours */
			goto keep_locked;
		delete_from_swap_cache(m, page);
		goto free_it;
	}
	mapping = page_mapping_file(page);
	if (!mapping)
		goto keep_locked;
	if (PageFlag(page, PG_dirty)) {
		if (!mapping_can_writeback(mapping) || filemap_write_page(page))
			goto keep_locked;
	}
	if (page->_refcount != 2)	/* the page cache's and ours */
		goto keep_locked;
	delete_from_page_cache(page);
free_it:
	unlock_page(m, page);
	put_page(m, page);
	return 0;
keep_locked:
	unlock_page(m, page);
keep:
	putback_lru_page(m, page);
	return -EAGAIN;
}

/* read_swap_cache_async: slot's data in a new page, added to the swap cache; NULL: no memory. */
static struct page *swap_read_page(struct vm_area_struct *vma, uint64_t addr, uint64_t slot)
{
	struct machine *m = vma->vm_mm->owner->m;
	struct page *page = alloc_pages(m, 0);

	if (!page)
		return NULL;
	SetPageFlag(page, PG_swapbacked);
	SetPageFlag(page, PG_uptodate);
	if (m->swap->slot_data[slot])
		memcpy(page_data_w(m, page), m->swap->slot_data[slot], PAGE_SIZE);
	/* the swap cache takes the allocation's reference */
	swap_cache_set(m, slot, (uint32_t)page_to_pfn(m, page));
	page->private = slot;
	SetPageFlag(page, PG_swapcache);
	m->swap->swap_map[slot]++;
	page_add_anon_rmap(page, vma, addr);
	lru_cache_add(m, page);
	return page;
}

/* Map a swap-cache page at addr in place of the swap PTE of its slot (read-only, old). */
static void swap_map_page(struct vm_area_struct *vma, uint64_t addr, struct page *page, pte_t flags)
{
	struct machine *m = vma->vm_mm->owner->m;
	uint64_t slot = page->private;

	get_page(page);
	/*
	 * 6.1 maps the page exclusive when the swap PTE carried the exclusive
	 * marker: no other PTE shares the slot (the cache holds one count).
	 */
	if (m->swap->swap_map[slot] - 1 == 1)
		SetPageFlag(page, PG_anon_exclusive);
	swap_entry_free(m, slot);	/* the PTE's use of the slot */
	page->_mapcount++;
	set_pte(vma->vm_mm, addr, (page_to_pfn(m, page) << PTE_PFN_SHIFT) | PTE_PRESENT | flags);
}

/* A fault on a swap entry: find the page in the swap cache or read it back. */
int do_swap_page(struct vm_area_struct *vma, uint64_t addr, pte_t pte)
{
	struct machine *m = vma->vm_mm->owner->m;
	uint64_t slot = swp_offset(pte);
	struct page *page = lookup_swap_cache(m, slot);

	if (page && PageFlag(page, PG_hwpoison))
		return VM_FAULT_HWPOISON;	/* kept poisoned in the swap cache */
	if (!page && !vma->anon_vma)
		return VM_FAULT_SIGBUS;
	if (!page) {
		page = swap_read_page(vma, addr, slot);
		if (!page)
			return VM_FAULT_OOM;
	}
	swap_map_page(vma, addr, page, PTE_YOUNG);
	return VM_FAULT_OK;
}

/*
 * unuse_pte: the page of a swap PTE goes back in, except one it must not map:
 * 6.1 leaves a swapin-error entry for a page that is not uptodate (what
 * me_swapcache_dirty left in the swap cache), 6.12 a hwpoison entry for a
 * poisoned page (profile unuse_pte_hwpoison). A fault on either is SIGBUS:
 * VM_FAULT_SIGBUS (BUS_ADRERR) on 6.1, VM_FAULT_HWPOISON (BUS_MCEERR_AR) on 6.12.
 */
static int unuse_pte(struct vm_area_struct *vma, uint64_t addr, uint64_t slot)
{
	struct machine *m = vma->vm_mm->owner->m;
	struct page *page = lookup_swap_cache(m, slot);
	unsigned bad = 0;

	if (!page)
		page = swap_read_page(vma, addr, slot);
	if (!page)
		return -ENOMEM;
	if (m->profile->unuse_pte_hwpoison && PageFlag(page, PG_hwpoison))
		bad = SWP_HWPOISON;
	else if (!PageFlag(page, PG_uptodate))
		bad = SWP_SWAPIN_ERROR;
	if (bad) {
		set_pte(vma->vm_mm, addr, mk_swp_pte(bad, page_to_pfn(m, page)));
		swap_entry_free(m, slot);
		return 0;
	}
	swap_map_page(vma, addr, page, 0);
	return 0;
}

/*
 * swapoff(2) of the one device (try_to_unuse): every swap PTE of every process
 * gets its page back, then the swap cache lets go of each page (folio_free_swap:
 * a mapped one becomes dirty, its only copy now) and the device goes away.
 */
int swapoff(struct machine *m)
{
	struct task_struct *t;
	uint64_t slot, left;

	if (!m->swap)
		return -EINVAL;
	for (t = m->tasks; t; t = t->next_all) {
		struct vm_area_struct *v;

		for (v = t->mm ? t->mm->mmap : NULL; v; v = v->vm_next) {
			for (uint64_t a = v->vm_start; a < v->vm_end; a += PAGE_SIZE) {
				pte_t *p = pte_lookup(t->mm, a);

				if (p && pte_is_swp(*p) && swp_type(*p) == SWP_SWAPFILE &&
				    unuse_pte(v, a, swp_offset(*p)))
					return -ENOMEM;
			}
		}
	}
	/* the slots in use, counted as met: the loop ends at the last one */
	for (slot = 1, left = m->swap->inuse; left && slot < m->swap->nr_slots; slot++) {
		struct page *page;

		if (!m->swap->swap_map[slot])
			continue;
		left--;
		page = lookup_swap_cache(m, slot);
		if (!page)
			continue;
		if (page_mapped(page))
			SetPageFlag(page, PG_dirty);
		delete_from_swap_cache(m, page);
	}
	swap_free_all(m);
	return 0;
}
