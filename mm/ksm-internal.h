/* SPDX-License-Identifier: GPL-2.0-only */
/* KSM's private structures, shared by mm/ksm.c (ksmd) and mm/ksm_mm.c (the mms' side). */
#ifndef MEMFAIL_KSM_INTERNAL_H
#define MEMFAIL_KSM_INTERNAL_H

#include "memfail/ksm.h"
#include "memfail/ptr_array.h"

struct ksm_rmap_item {
	struct mm_struct *mm;
	uint64_t address;
	struct anon_vma *anon_vma;	/* held while in a stable node (rmap_walk_ksm) */
	struct ksm_stable_node *head;	/* the KSM page it was merged into, or NULL */
	uint64_t oldchecksum;		/* 0 until the first scan computes one */
	uint64_t seen;			/* the scan that last found the page */
	bool unstable;			/* in this scan's unstable tree */
};

struct ksm_mm_slot {
	struct mm_struct *mm;
	struct ksm_rmap_item **items;	/* sorted by address */
	int nr, cap;
};

struct ksm_state {
	struct ksm_mm_slot **slots;	/* scan order: the order mms entered */
	int nr_slots, cap_slots;
	struct ksm_stable_node **nodes;	/* the stable tree */
	int nr_nodes, cap_nodes;
	struct ksm_rmap_item **unstable;	/* this scan's unstable tree */
	int nr_unstable, cap_unstable;
	uint64_t seqnr;			/* full scans done */
};

struct ksm_mm_slot *mm_slot_lookup(struct ksm_state *ks, const struct mm_struct *mm, int *idx);
void ksm_enter(struct machine *m, struct mm_struct *mm);
void remove_rmap_item_from_tree(struct ksm_state *ks, struct ksm_rmap_item *item);

#endif
