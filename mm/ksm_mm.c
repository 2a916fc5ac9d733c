/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KSM seen from the address spaces: MADV_MERGEABLE/UNMERGEABLE, fork and
 * exit of a merging mm, the rmap walk of a KSM page, teardown and the
 * invariant checks.
 */
#include <errno.h>
#include <stdlib.h>

#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "ksm-internal.h"

/* break_ksm: write-fault every KSM page of [start, end) into a private copy. */
static int unmerge_ksm_pages(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	struct machine *m = vma->vm_mm->owner->m;

	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		pte_t *p = pte_lookup(vma->vm_mm, a);
		if (!p || !pte_present(*p) || pte_pfn(*p) == m->zero_pfn || (*p & PTE_DEVMAP))
			continue;
		if (PageKsm(pfn_to_page(m, pte_pfn(*p))) &&
		    (handle_mm_fault(vma, a, FAULT_FLAG_WRITE) & VM_FAULT_OOM))
			return -ENOMEM;
	}
	return 0;
}

int ksm_madvise(struct vm_area_struct *vma, uint64_t start, uint64_t end, int advice)
{
	struct machine *m = vma->vm_mm->owner->m;
	int err;

	if (advice == MADV_MERGEABLE) {
		/* 6.1 leaves shared and hugetlb VMAs alone, silently */
		if (vma->vm_flags & (VM_MERGEABLE | VM_SHARED | VM_MAYSHARE | VM_HUGETLB))
			return 0;
		ksm_enter(m, vma->vm_mm);
		vma->vm_flags |= VM_MERGEABLE;
		return 0;
	}
	if (!(vma->vm_flags & VM_MERGEABLE))
		return 0;
	if (vma->anon_vma) {
		err = unmerge_ksm_pages(vma, start, end);
		if (err)
			return err;
	}
	vma->vm_flags &= ~VM_MERGEABLE;
	return 0;
}

void ksm_fork(struct mm_struct *child, struct mm_struct *parent)
{
	struct machine *m = parent->owner->m;

	if (mm_slot_lookup(m->ksm, parent, NULL))
		ksm_enter(m, child);
}

void ksm_exit(struct machine *m, struct mm_struct *mm)
{
	struct ksm_state *ks = m->ksm;
	struct ksm_mm_slot *slot;
	int idx;

	slot = mm_slot_lookup(ks, mm, &idx);
	if (!slot)
		return;
	for (int i = 0; i < slot->nr; i++) {
		remove_rmap_item_from_tree(ks, slot->items[i]);
		free(slot->items[i]);
	}
	free(slot->items);
	free(slot);
	ptr_del((void **)ks->slots, &ks->nr_slots, idx);
}

void rmap_walk_ksm(struct machine *m, struct page *page, rmap_one_fn fn, void *arg)
{
	struct ksm_stable_node *node = page_stable_node(page);

	(void)m;
	if (!node)
		return;
	/* first the mms merged into it, then mms forked from them since */
	for (int forks = 0; forks < 2; forks++) {
		for (int i = 0; i < node->nr; i++) {
			struct ksm_rmap_item *item = node->items[i];
			struct anon_vma *av = item->anon_vma;
			anon_vma_compact(av);
			for (int j = 0; j < av->nr; j++) {
				struct vm_area_struct *vma = av->vmas[j];
				if (item->address < vma->vm_start || item->address >= vma->vm_end)
					continue;
				if ((item->mm == vma->vm_mm) == (bool)forks)
					continue;
				if (!fn(page, vma, item->address, arg))
					return;
			}
		}
	}
}

void ksm_destroy(struct machine *m)
{
	struct ksm_state *ks = m->ksm;

	if (!ks)
		return;
	while (ks->nr_nodes)	/* KSM pages kept for ever (poisoned) */
		ksm_page_freed(m, pfn_to_page(m, ks->nodes[0]->kpfn));
	while (ks->nr_slots)
		ksm_exit(m, ks->slots[0]->mm);
	free(ks->slots);
	free(ks->nodes);
	free(ks->unstable);
	free(ks);
	m->ksm = NULL;
}

/*
 * nr_ksm: frames whose mapping names a stable node, counted by the checker's
 * pass over every frame (a page soft offline retired keeps the KSM bits, not
 * the node).
 */
int ksm_check(struct machine *m, FILE *out, uint64_t nr_ksm)
{
	struct ksm_state *ks = m->ksm;
	int bad = 0;

	for (int i = 0; ks && i < ks->nr_nodes; i++) {
		struct ksm_stable_node *node = ks->nodes[i];
		struct page *kpage = pfn_valid(m, node->kpfn) ? pfn_to_page(m, node->kpfn) : NULL;
		if (!kpage || page_stable_node(kpage) != node) {
			fprintf(out, "KSM stable node %d does not own pfn %#lx; ", i, node->kpfn);
			bad++;
		} else if (kpage->_refcount < 1 || PageCompound(kpage)) {
			fprintf(out, "KSM pfn %#lx is free or compound; ", node->kpfn);
			bad++;
		}
	}
	if (nr_ksm != (unsigned long)(ks ? ks->nr_nodes : 0)) {
		fprintf(out, "%lu KSM pages but %d stable nodes; ", nr_ksm, ks ? ks->nr_nodes : 0);
		bad++;
	}
	return bad;
}
