/* SPDX-License-Identifier: GPL-2.0-only */
/* The invariant checker's parts (mm/debug.c: the checks; mm/debug_changed.c: what to check). */
#ifndef MM_DEBUG_H
#define MM_DEBUG_H

#include <stdio.h>

#include "memfail/mm.h"

/* Kept on the machine (m->ck) between checks. */
struct ck_state {
	uint64_t nr, words;		/* pfns covered; 64-bit words of each per-pfn bitmap */
	uint64_t nr_lru, nr_huge, nr_ksm;	/* bits set in lru, huge, ksm */
	uint64_t since_full;		/* checks of what changed since the last full walk */
	/* per pfn, all zero between checks: this check's counts */
	int32_t *maps, *pmd_slots;	/* PTEs mapping it; PMD slots mapping it (heads) */
	uint64_t *seen, *mapped;	/* bitmaps: on a free list; maps or pmd_slots non-zero */
	/* per pfn, what the last check found */
	int32_t *prev_maps, *prev_pmd_slots;
	uint64_t *prev_seen, *prev_mapped;
	uint64_t *lru, *huge, *ksm;	/* PG_lru; a hugetlb head; a KSM page */
	uint64_t *todo;			/* a bit per 64 pfns: to check this time */
};

struct ck {
	struct machine *m;
	struct ck_state *st;
	FILE *out;
	int bad;
	uint64_t g_lru, g_huge, g_ksm;	/* the 64 pfns being checked: their lru, huge, ksm bits */
	int32_t *maps, *pmd_slots;	/* st's */
	uint64_t *seen, *mapped;
};

static inline bool test_pfn(const uint64_t *bm, uint64_t pfn) { return bm[pfn / 64] >> (pfn % 64) & 1; }
static inline void set_pfn(uint64_t *bm, uint64_t pfn) { bm[pfn / 64] |= 1ULL << (pfn % 64); }

void check_free_lists(struct ck *c);
void check_page_tables(struct ck *c);
void check_pages(struct ck *c);		/* every frame */
void check_frames(struct ck *c, uint64_t pfn, uint64_t end);	/* of a present section */
void check_untouched_section(struct ck *c, uint64_t pfn, uint64_t end);
void check_lru(struct ck *c, uint64_t flagged);
void check_hstate(struct ck *c, uint64_t nr_huge);
void check_page_cache(struct ck *c);

#endif
