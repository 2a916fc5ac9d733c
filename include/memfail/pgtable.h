/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A process's page table (mm/pgtable.c): blocks of 64 PTEs (256 KiB of
 * address space each), made by the first entry set in them and found by
 * their index in a hash map (the model's pgd/pud/pmd levels in one). A
 * populate or a zap walks a block's entries in order, and the last block used
 * is remembered, so a run of neighbouring addresses costs one hash lookup per
 * 64 of them; a process that maps a few pages costs 512 bytes a block, not a
 * kernel PTE page's 4 KiB (forks of 100,000 tasks).
 */
#ifndef MEMFAIL_PGTABLE_H
#define MEMFAIL_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "memfail/u64map.h"

typedef uint64_t pte_t;

#define PTRS_PER_PTE 512		/* the kernel's PTE page: 2 MiB */
#define PTES_PER_BLOCK 64

struct pte_block {
	pte_t pte[PTES_PER_BLOCK];
	/* the invariant checker's (mm/debug_pte.c): how it counted these entries */
	uint32_t ck_id;
	uint32_t ck_gen : 31;		/* 8 bytes in all: a block stays in a 528-byte chunk */
	uint32_t ck_dirty : 1;		/* handed out writable since its last check */
};

struct page_table {
	struct u64map blocks;		/* vpn / 64 -> struct pte_block * */
	uint64_t nr;			/* entries that are not none */
	uint64_t last_idx;		/* vpn / 64 of last, when last is not NULL */
	struct pte_block *last;
	/*
	 * Once the invariant checker has read the whole table (ck_tracked), the
	 * blocks with ck_dirty and their vpns: its next check reads only these.
	 * Untracked, nothing is marked: without the checker marking costs nothing.
	 */
	bool ck_tracked;
	struct pt_dirty { struct pte_block *b; uint64_t vpn; } *dirty;
	size_t nr_dirty, cap_dirty;
};

/* A walk of every entry that is not none: blocks in no order, each block's entries ascending. */
struct pt_iter {
	uint64_t slot;
	uint32_t i;
	uint64_t vpn;
	struct pte_block *b;
};

void pt_init(struct page_table *pt);
void pt_free(struct page_table *pt);
/*
 * The entry for vpn, NULL when none. Writes through it must keep it not none.
 * It and pt_set mark the block for the invariant checker (once ck_tracked):
 * every write to an entry goes through one of them.
 */
pte_t *pt_lookup(struct page_table *pt, uint64_t vpn);
void pt_set(struct page_table *pt, uint64_t vpn, pte_t pte);	/* none: clears */
/* The block holding vpn, NULL when none was ever made. */
struct pte_block *pt_block(struct page_table *pt, uint64_t vpn);
bool pt_block_empty(const struct pte_block *b);
/* No entry in [vpn, vpn + n), n a multiple of PTES_PER_BLOCK from a block's start. */
bool pt_range_none(struct page_table *pt, uint64_t vpn, uint64_t n);
bool pt_next(const struct page_table *pt, struct pt_iter *it, uint64_t *vpn, pte_t **pte);
/* The next block (any order), the vpn of its first entry in *vpn; it.slot starts at 0. */
struct pte_block *pt_next_block(const struct page_table *pt, struct pt_iter *it, uint64_t *vpn);
/* Forget the marks: the checker has read every marked block (and, tracked, now every block). */
void pt_dirty_clear(struct page_table *pt, bool tracked);

#endif
