/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A process's page table (mm/pgtable.c): PTE tables of 512 entries, one per
 * 2M of address space that ever held an entry, found by their 2M index in a
 * hash map (the model's pgd/pud/pmd levels in one). A populate or a zap walks
 * a table's entries in order, and the last table used is remembered, so a
 * run of neighbouring addresses costs one hash lookup per 512 of them.
 */
#ifndef MEMFAIL_PGTABLE_H
#define MEMFAIL_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "memfail/u64map.h"

typedef uint64_t pte_t;

#define PTRS_PER_PTE 512

struct pte_table {
	pte_t pte[PTRS_PER_PTE];
	uint32_t nr;			/* entries that are not none */
};

struct page_table {
	struct u64map tables;		/* vpn / 512 -> struct pte_table * */
	uint64_t nr;			/* entries that are not none, in every table */
	uint64_t last_idx;		/* vpn / 512 of last, when last is not NULL */
	struct pte_table *last;
};

/* A walk of every entry that is not none: tables in no order, each table's entries ascending. */
struct pt_iter {
	uint64_t slot;
	uint32_t i;
	uint64_t idx;
	struct pte_table *t;
};

void pt_init(struct page_table *pt);
void pt_free(struct page_table *pt);
/* The entry for vpn, NULL when none. Writes through it must keep it not none. */
pte_t *pt_lookup(struct page_table *pt, uint64_t vpn);
void pt_set(struct page_table *pt, uint64_t vpn, pte_t pte);	/* none: clears */
/* The table holding vpn, NULL when none was ever made. */
struct pte_table *pt_table(struct page_table *pt, uint64_t vpn);
bool pt_next(const struct page_table *pt, struct pt_iter *it, uint64_t *vpn, pte_t **pte);
/* The next table (any order), its first vpn in *vpn; it.slot starts at 0. */
struct pte_table *pt_next_table(const struct page_table *pt, struct pt_iter *it, uint64_t *vpn);

#endif
