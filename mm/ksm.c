/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel same-page merging as 6.1's ksmd does it, one full scan at a time:
 * every present anonymous page of a VM_MERGEABLE VMA has an rmap item; a page
 * equal to a KSM page (the stable tree) is replaced by it; otherwise a page
 * whose checksum did not change since the previous scan goes into the
 * unstable tree of this scan, and two equal ones there become a new KSM page
 * (the later one in scan order is kept, the earlier one replaced). So a page
 * merges on its second scan at the earliest. The trees are content-keyed
 * arrays searched with memcmp: the model has few pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/dax.h"
#include "memfail/array.h"
#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "memfail/ptr_array.h"
#include "ksm-internal.h"

static struct ksm_state *ksm_state(struct machine *m)
{
	if (!m->ksm)
		m->ksm = xcalloc(1, sizeof(*m->ksm), "starting ksmd");
	return m->ksm;
}

struct ksm_mm_slot *mm_slot_lookup(struct ksm_state *ks, const struct mm_struct *mm, int *idx)
{
	for (int i = 0; ks && i < ks->nr_slots; i++) {
		if (ks->slots[i]->mm == mm) {
			if (idx)
				*idx = i;
			return ks->slots[i];
		}
	}
	return NULL;
}

/* __ksm_enter: ksmd scans mms in the order they entered. */
void ksm_enter(struct machine *m, struct mm_struct *mm)
{
	struct ksm_state *ks = ksm_state(m);
	struct ksm_mm_slot *slot;

	if (mm_slot_lookup(ks, mm, NULL))
		return;
	slot = xcalloc(1, sizeof(*slot), "adding an mm to ksmd");
	slot->mm = mm;
	ptr_push((void ***)&ks->slots, &ks->nr_slots, &ks->cap_slots, slot, "adding an mm to ksmd");
}

void remove_rmap_item_from_tree(struct ksm_state *ks, struct ksm_rmap_item *item)
{
	struct ksm_stable_node *node = item->head;
	int i;

	if (node) {
		for (i = 0; i < node->nr; i++)
			if (node->items[i] == item)
				ptr_del((void **)node->items, &node->nr, i--);
		anon_vma_put(item->anon_vma);
		item->anon_vma = NULL;
		item->head = NULL;
	}
	if (item->unstable) {
		for (i = 0; i < ks->nr_unstable; i++)
			if (ks->unstable[i] == item)
				ptr_del((void **)ks->unstable, &ks->nr_unstable, i--);
		item->unstable = false;
	}
}

static void stable_tree_append(struct ksm_rmap_item *item, struct ksm_stable_node *node,
			       struct vm_area_struct *vma)
{
	ptr_array_reserve((void ***)&node->items, &node->cap, node->nr, "adding to a KSM stable node");
	memmove(&node->items[1], &node->items[0], (size_t)node->nr * sizeof(*node->items));
	node->items[0] = item;
	node->nr++;
	item->head = node;
	item->anon_vma = vma->anon_vma;
	item->anon_vma->refcount++;
}

/* A KSM page is going away: its stable node and the items' anon_vma holds go with it. */
void ksm_page_freed(struct machine *m, struct page *page)
{
	struct ksm_stable_node *node = page_stable_node(page);
	struct ksm_state *ks = m->ksm;

	page->mapping = 0;
	if (!node)
		return;
	while (node->nr)
		remove_rmap_item_from_tree(ks, node->items[0]);
	for (int i = 0; i < ks->nr_nodes; i++)
		if (ks->nodes[i] == node)
			ptr_del((void **)ks->nodes, &ks->nr_nodes, i--);
	free(node->items);
	free(node);
}

/* folio_migrate_ksm: the stable node follows its page. */
void ksm_migrate_page(struct machine *m, struct page *newpage, struct page *oldpage)
{
	struct ksm_stable_node *node = page_stable_node(oldpage);

	if (node)
		node->kpfn = page_to_pfn(m, newpage);
}

static uint64_t calc_checksum(struct machine *m, struct page *page)
{
	const uint8_t *d = page_data(m, page);
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (size_t i = 0; i < PAGE_SIZE; i++) {
		h ^= d ? d[i] : 0;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static bool pages_identical(struct machine *m, struct page *a, struct page *b)
{
	const uint8_t *x = page_data(m, a), *y = page_data(m, b);
	static const uint8_t zero[PAGE_SIZE];

	return !memcmp(x ? x : zero, y ? y : zero, PAGE_SIZE);
}

/*
 * write_protect_page: make the PTE read-only and clean (its dirty bit goes to
 * the page), unless someone beyond the mappers holds the page (GUP, I/O).
 */
static int write_protect_page(struct machine *m, struct vm_area_struct *vma, uint64_t addr,
			      struct page *page)
{
	pte_t *p = pte_lookup(vma->vm_mm, addr);

	if (!p || !pte_present(*p) || pte_pfn(*p) != page_to_pfn(m, page))
		return -EFAULT;
	if ((*p & (PTE_WRITE | PTE_DIRTY)) || PageFlag(page, PG_anon_exclusive)) {
		/* +1: the scan's own reference */
		if (page->_mapcount + 1 + PageFlag(page, PG_swapcache) != page->_refcount)
			return -EFAULT;
		ClearPageFlag(page, PG_anon_exclusive);
		if (*p & PTE_DIRTY)
			SetPageFlag(page, PG_dirty);
		*p &= ~(PTE_WRITE | PTE_DIRTY);
	}
	return 0;
}

/* replace_page: map kpage read-only where page was; page loses that mapping. */
static void replace_page(struct machine *m, struct vm_area_struct *vma, uint64_t addr,
			 struct page *page, struct page *kpage)
{
	get_page(kpage);
	kpage->_mapcount++;
	set_pte(vma->vm_mm, addr, (page_to_pfn(m, kpage) << PTE_PFN_SHIFT) | PTE_PRESENT | PTE_YOUNG);
	page_remove_rmap(m, page, vma);
	put_page(m, page);
}

/*
 * Merge page (mapped at addr in vma) into kpage, or with kpage NULL turn page
 * itself into a KSM page (its stable node comes with stable_tree_insert).
 */
static int try_to_merge_one_page(struct machine *m, struct vm_area_struct *vma, uint64_t addr,
				 struct page *page, struct page *kpage)
{
	struct anon_vma *av;

	if (page == kpage)	/* a KSM page forked */
		return 0;
	/* 6.1 splits a THP here; the model does not merge THP subpages */
	if (!PageAnon(page) || PageCompound(page))
		return -EFAULT;
	if (write_protect_page(m, vma, addr, page))
		return -EFAULT;
	if (!kpage) {
		av = page_anon_vma(page);
		page->mapping = PAGE_MAPPING_KSM;	/* the rmap items hold the anon_vmas now */
		anon_vma_put(av);
		mark_page_accessed(m, page);
		SetPageFlag(page, PG_dirty);	/* reclaim must swap it, not drop it */
		return 0;
	}
	if (!pages_identical(m, page, kpage))
		return -EFAULT;
	replace_page(m, vma, addr, page, kpage);
	return 0;
}

static struct vm_area_struct *find_mergeable_vma(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (!vma || addr < vma->vm_start || !(vma->vm_flags & VM_MERGEABLE) || !vma->anon_vma)
		return NULL;
	return vma;
}

/* The anonymous page an rmap item's address maps now, or NULL. */
static struct page *item_page(struct machine *m, struct ksm_rmap_item *item, struct vm_area_struct **vmap)
{
	struct vm_area_struct *vma = find_mergeable_vma(item->mm, item->address);
	pte_t *p = vma ? pte_lookup(item->mm, item->address) : NULL;
	struct page *page;

	if (!p || !pte_present(*p) || (*p & (PTE_DEVMAP | PTE_HUGE)) || pte_pfn(*p) == m->zero_pfn)
		return NULL;
	page = pfn_to_page(m, pte_pfn(*p));
	if (!PageAnon(page))
		return NULL;
	*vmap = vma;
	return page;
}

static struct page *stable_tree_search(struct machine *m, struct ksm_state *ks, struct page *page)
{
	for (int i = 0; i < ks->nr_nodes; i++) {
		struct page *kpage = pfn_to_page(m, ks->nodes[i]->kpfn);
		if (kpage == page || pages_identical(m, page, kpage))
			return kpage;
	}
	return NULL;
}

static struct ksm_stable_node *stable_tree_insert(struct machine *m, struct ksm_state *ks, struct page *kpage)
{
	struct ksm_stable_node *node = xcalloc(1, sizeof(*node), "inserting a KSM stable node");

	node->kpfn = page_to_pfn(m, kpage);
	kpage->mapping = (uintptr_t)node | PAGE_MAPPING_KSM;
	ptr_push((void ***)&ks->nodes, &ks->nr_nodes, &ks->cap_nodes, node, "inserting a KSM stable node");
	return node;
}

/* An equal page already in this scan's unstable tree (its item), or insert item. */
static struct ksm_rmap_item *unstable_tree_search_insert(struct machine *m, struct ksm_state *ks,
							 struct ksm_rmap_item *item, struct page *page,
							 struct page **tree_pagep, struct vm_area_struct **tree_vmap)
{
	for (int i = 0; i < ks->nr_unstable; i++) {
		struct ksm_rmap_item *u = ks->unstable[i];
		struct page *tp = item_page(m, u, tree_vmap);
		if (!tp || tp == page || PageKsm(tp) || PageCompound(tp))
			continue;
		if (pages_identical(m, page, tp)) {
			*tree_pagep = tp;
			return u;
		}
	}
	ptr_push((void ***)&ks->unstable, &ks->nr_unstable, &ks->cap_unstable, item,
		 "inserting into the KSM unstable tree");
	item->unstable = true;
	return NULL;
}

static void cmp_and_merge_page(struct machine *m, struct ksm_state *ks, struct vm_area_struct *vma,
			       struct page *page, struct ksm_rmap_item *item)
{
	struct ksm_stable_node *node = page_stable_node(page);
	struct ksm_rmap_item *tree_item;
	struct vm_area_struct *tree_vma;
	struct page *kpage, *tree_page;
	uint64_t checksum;

	if (node && item->head == node)
		return;
	kpage = stable_tree_search(m, ks, page);
	remove_rmap_item_from_tree(ks, item);
	if (kpage) {
		if (!try_to_merge_one_page(m, vma, item->address, page, kpage))
			stable_tree_append(item, page_stable_node(kpage), vma);
		return;
	}
	checksum = calc_checksum(m, page);
	if (item->oldchecksum != checksum) {	/* still changing: not worth a tree slot */
		item->oldchecksum = checksum;
		return;
	}
	tree_item = unstable_tree_search_insert(m, ks, item, page, &tree_page, &tree_vma);
	if (!tree_item)
		return;
	/* try_to_merge_two_pages: page becomes the KSM page, tree_page is replaced */
	get_page(tree_page);
	if (!try_to_merge_one_page(m, vma, item->address, page, NULL)) {
		if (!try_to_merge_one_page(m, tree_vma, tree_item->address, tree_page, page)) {
			remove_rmap_item_from_tree(ks, tree_item);
			node = stable_tree_insert(m, ks, page);
			stable_tree_append(tree_item, node, tree_vma);
			stable_tree_append(item, node, vma);
		} else {
			/* break_cow: a KSM page with one PTE is unshared again */
			handle_mm_fault(vma, item->address, FAULT_FLAG_WRITE);
		}
	}
	put_page(m, tree_page);
}

static struct ksm_rmap_item *get_rmap_item(struct ksm_mm_slot *slot, uint64_t addr)
{
	struct ksm_rmap_item *item;
	int i;

	for (i = 0; i < slot->nr && slot->items[i]->address <= addr; i++)
		if (slot->items[i]->address == addr)
			return slot->items[i];
	item = xcalloc(1, sizeof(*item), "adding a KSM rmap item");
	ptr_array_reserve((void ***)&slot->items, &slot->cap, slot->nr, "adding a KSM rmap item");
	item->mm = slot->mm;
	item->address = addr;
	memmove(&slot->items[i + 1], &slot->items[i], (size_t)(slot->nr - i) * sizeof(*slot->items));
	slot->items[i] = item;
	slot->nr++;
	return item;
}

static void scan_mm_slot(struct machine *m, struct ksm_state *ks, struct ksm_mm_slot *slot)
{
	struct vm_area_struct *vma;

	for (vma = slot->mm->mmap; vma; vma = vma->vm_next) {
		if (!(vma->vm_flags & VM_MERGEABLE) || !vma->anon_vma)
			continue;
		for (uint64_t a = vma->vm_start; a < vma->vm_end; a += PAGE_SIZE) {
			struct ksm_rmap_item tmp = { .mm = slot->mm, .address = a }, *item;
			struct vm_area_struct *v;
			struct page *page = item_page(m, &tmp, &v);
			if (!page)
				continue;
			item = get_rmap_item(slot, a);
			item->seen = ks->seqnr;
			get_page(page);	/* follow_page(FOLL_GET) */
			cmp_and_merge_page(m, ks, vma, page, item);
			put_page(m, page);
		}
	}
	/* remove_trailing_rmap_items: pages that are gone, or areas no longer mergeable */
	for (int i = 0; i < slot->nr; i++) {
		if (slot->items[i]->seen == ks->seqnr)
			continue;
		remove_rmap_item_from_tree(ks, slot->items[i]);
		free(slot->items[i]);
		ptr_del((void **)slot->items, &slot->nr, i--);
	}
}

int ksm_run_scans(struct machine *m, int nr_scans)
{
	struct ksm_state *ks = ksm_state(m);
	int n;

	for (n = 0; n < nr_scans; n++) {
		ks->seqnr++;
		lru_add_drain(m);	/* batched pages hold a reference that blocks merging */
		for (int i = 0; i < ks->nr_slots; i++)
			scan_mm_slot(m, ks, ks->slots[i]);
		while (ks->nr_unstable)	/* the unstable tree lives for one scan */
			remove_rmap_item_from_tree(ks, ks->unstable[0]);
	}
	return n;
}

