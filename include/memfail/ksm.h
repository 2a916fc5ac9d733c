/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel same-page merging (mm/ksm.c): identical anonymous pages of
 * MADV_MERGEABLE areas become one write-protected KSM page. As in 6.1, a KSM
 * page's mapping names its stable node (PAGE_MAPPING_KSM), not an anon_vma,
 * and its mappers are found through the stable node's rmap items.
 */
#ifndef MEMFAIL_KSM_H
#define MEMFAIL_KSM_H

#include <stdio.h>

#include "memfail/mm.h"

#define VM_MERGEABLE 0x80000000UL
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13

struct ksm_rmap_item;

/* One KSM page: where it is and which (mm, address) pairs were merged into it. */
struct ksm_stable_node {
	unsigned long kpfn;
	struct ksm_rmap_item **items;	/* newest first, as 6.1's hlist_add_head */
	int nr, cap;
};

static inline bool PageKsm(const struct page *p)
{
	return (p->mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_KSM;
}

static inline struct ksm_stable_node *page_stable_node(const struct page *p)
{
	return PageKsm(p) ? (struct ksm_stable_node *)(p->mapping & ~PAGE_MAPPING_FLAGS) : NULL;
}

/* madvise(MADV_MERGEABLE/MADV_UNMERGEABLE) on [start, end) of one VMA. */
int ksm_madvise(struct vm_area_struct *vma, uint64_t start, uint64_t end, int advice);
/* ksmd: run full scans; returns how many (the kernel's full_scans advance). */
int ksm_run_scans(struct machine *m, int nr_scans);
void ksm_fork(struct mm_struct *child, struct mm_struct *parent);
void ksm_exit(struct machine *m, struct mm_struct *mm);
/* A KSM page is being freed, or moved to newpage by migration. */
void ksm_page_freed(struct machine *m, struct page *page);
void ksm_migrate_page(struct machine *m, struct page *newpage, struct page *oldpage);
/* rmap_walk for a KSM page: the mms merged into it, then their forks. */
void rmap_walk_ksm(struct machine *m, struct page *page, rmap_one_fn fn, void *arg);
/* Free everything KSM still holds (machine teardown). */
void ksm_destroy(struct machine *m);
/* Invariant checks of KSM pages and stable nodes; returns the number of violations. */
int ksm_check(struct machine *m, FILE *out, uint64_t nr_ksm);

#endif
