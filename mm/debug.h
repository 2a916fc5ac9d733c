/* SPDX-License-Identifier: GPL-2.0-only */
/* The invariant checker's parts (mm/debug.c: the checks; mm/debug_changed.c: what to check). */
#ifndef MM_DEBUG_H
#define MM_DEBUG_H

#include <stdio.h>

#include "memfail/mm.h"

/* What maps a pfn: PTEs; PMD slots (counted on a folio's head). Side by side: one cache line. */
struct ck_count {
	int32_t maps, pmd_slots;
};

/* Kept on the machine (m->ck) between checks. */
struct ck_state {
	uint64_t nr, words;		/* pfns covered; 64-bit words of each per-pfn bitmap */
	uint64_t nr_lru, nr_huge, nr_ksm;	/* bits set in lru, huge, ksm */
	uint64_t since_full;		/* checks of what changed since the last full walk */
	/* per pfn, kept up to date by the page-table pass (mm/debug_pte.c) */
	struct ck_count *cnt;
	uint64_t *mapped;		/* bitmap: a count non-zero */
	/* per pfn */
	uint64_t *seen, *prev_seen;	/* on a free list: this check (zero between checks); the last */
	uint64_t *lru, *huge, *ksm;	/* PG_lru; a hugetlb head; a KSM page */
	uint64_t *todo, *done;		/* a bit per 64 pfns: to check this time; checked */
	/*
	 * Words of each bitmap below which a bit may be set (todo_hi: groups): a
	 * machine of terabytes of pmem has bitmaps of gigabytes, nearly all zero,
	 * that no check must copy or scan whole.
	 */
	uint64_t seen_hi, prev_hi, mapped_hi, bits_hi, todo_hi;
	/* what each page-table entry was counted as, per block (pte_block.ck_id) */
	uint32_t gen;			/* of the full check that counted every entry */
	uint64_t (*shadow)[PTES_PER_BLOCK];
	size_t nr_shadow, cap_shadow;
	uint32_t *free_ids;		/* shadows of blocks freed since */
	size_t nr_free_ids, cap_free_ids;
	uint64_t poisoned, swap_inuse;	/* at the last check */
	/* what the free-list and LRU walks read outside the frames, at the last walk */
	struct zone *zones;
	uint8_t *sections;
	uint64_t nr_zones, nr_sections;
	struct lruvec lruvec;
};

struct ck {
	struct machine *m;
	struct ck_state *st;
	FILE *out;
	int bad;
	uint64_t g_lru, g_huge, g_ksm;	/* the 64 pfns being checked: their lru, huge, ksm bits */
	struct ck_count *cnt;		/* st's */
	uint64_t *seen, *mapped;
	bool ptes_all;			/* the page-table pass read every block */
	bool suspect;			/* the frame pass found a frame an entry's check would refuse */
	bool lru_touched;		/* the frame pass checked a frame with PG_lru, then or now */
};

void ck_fail(struct ck *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline bool test_pfn(const uint64_t *bm, uint64_t pfn) { return bm[pfn / 64] >> (pfn % 64) & 1; }
static inline void set_pfn(uint64_t *bm, uint64_t pfn) { bm[pfn / 64] |= 1ULL << (pfn % 64); }

static inline uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Group w goes to todo. */
static inline void todo_set(struct ck_state *st, uint64_t w)
{
	set_pfn(st->todo, w);
	st->todo_hi = max_u64(st->todo_hi, w + 1);
}

/* What maps pfn: the mapped bit first, so an unmapped pfn's page of counts is never read (faulted in). */
static inline struct ck_count ck_count_of(const struct ck *c, uint64_t pfn)
{
	return test_pfn(c->mapped, pfn) ? c->cnt[pfn] : (struct ck_count){ 0 };
}

void check_free_lists(struct ck *c);
/* mm/debug_pte.c: the page-table pass; check_page_tables_rest reads the blocks it did not */
void check_page_tables(struct ck *c, bool full);
void check_page_tables_rest(struct ck *c);
void check_page_tables_done(struct ck *c);
bool frame_suspect(struct ck *c, uint64_t pfn);
void check_pages(struct ck *c);		/* every frame */
void check_frames(struct ck *c, uint64_t pfn, uint64_t end);	/* of a present section */
void check_untouched_section(struct ck *c, uint64_t pfn, uint64_t end);
void check_lru(struct ck *c, uint64_t flagged);
void check_hstate(struct ck *c, uint64_t nr_huge);
void check_page_cache(struct ck *c);

#endif
