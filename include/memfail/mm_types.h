/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page frames and the machine that owns them. Names follow the kernel
 * (struct page, pfn, PG_* flags) so that a kernel developer can read the model
 * next to mm/memory-failure.c.
 */
#ifndef MEMFAIL_MM_TYPES_H
#define MEMFAIL_MM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
/* x86-64's user address space with 4-level paging: mmap refuses ranges beyond
 * it, and no user buffer ends above TASK_SIZE_MAX (read/write's access_ok) */
#define TASK_SIZE (1ULL << 47)
#define TASK_SIZE_MAX (TASK_SIZE - PAGE_SIZE)
#define MAX_ORDER 11 /* 6.1: orders 0..MAX_ORDER-1 */
#define HPAGE_PMD_ORDER 9
#define HPAGE_PMD_NR (1UL << HPAGE_PMD_ORDER)
#define NO_PFN UINT32_MAX

/* struct page flag bits (a subset with 6.1's meanings). */
enum pageflags {
	PG_locked, PG_referenced, PG_uptodate, PG_dirty, PG_lru, PG_active,
	PG_workingset, PG_error, PG_slab, PG_owner_priv_1, PG_private,
	PG_writeback, PG_head, PG_mappedtodisk, PG_reclaim, PG_swapbacked,
	PG_unevictable, PG_mlocked, PG_hwpoison, PG_reserved, PG_swapcache,
	PG_has_hwpoisoned, PG_tail,
	/* page types (the kernel keeps these in page_type; a bit each here) */
	PG_buddy, PG_offline, PG_table, PG_zero, /* PG_zero: the shared zero page */
	PG_hugetlb,	/* head of a hugetlb folio (the kernel's HUGETLB_PAGE_DTOR) */
	PG_raw_hwp,	/* a raw error page on its hugetlb folio's raw hwpoison list */
	__NR_PAGEFLAGS
};
#define PGF(b) (1ULL << (b))
/*
 * 6.1 reuses PG_mappedtodisk on anonymous pages as PG_anon_exclusive: the
 * page is mapped by one process only, so a write may reuse it. It shows in
 * %pGp and kpageflags as "mappedtodisk".
 */
#define PG_anon_exclusive PG_mappedtodisk

enum zone_type { ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE, ZONE_DEVICE, MAX_NR_ZONES };

/* Which LRU list a page is on (page->lru_list), or LRU_NONE. */
enum lru_list {
	LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_INACTIVE_FILE, LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE, NR_LRU_LISTS, LRU_NONE = 15,
};

struct address_space;
struct anon_vma;

/*
 * One modelled frame: 64 bytes, the size of Linux's own struct page, so a 64 GiB
 * machine fits in 1 GiB. List links are pfns, not pointers, to stay small.
 * All-zero bytes are a valid frame that nothing uses (inside a free block, or
 * not yet handed out), so boot leaves the frames of free memory untouched and
 * the host backs them only once something touches them.
 */
struct page {
	uint32_t flags;		/* PGF(PG_*) */
	int32_t _refcount;
	int32_t _mapcount;	/* number of PTEs mapping this page (0 = unmapped) */
	uint32_t head_delta;	/* pfns back to the head of its block or compound page (0: itself) */
	uintptr_t mapping;	/* struct address_space *, or struct anon_vma * | PAGE_MAPPING_ANON */
	uint64_t index;		/* file page offset, or linear address page for anon */
	uint64_t private;	/* swap entry in the swap cache, buddy order, MAGIC_HWPOISON */
	uint32_t lru_prev, lru_next; /* buddy free list or LRU list links (pfns) */
	uint8_t order;		/* compound order (head) */
	uint8_t lru_list;	/* enum lru_list; zone and node follow from the pfn */
	uint16_t mlock_count;	/* 6.1 folio->mlock_count: the locked mappings it counted */
	uint32_t data_slot;	/* index into the machine's data store, 0 = all zero */
	void *pgmap;		/* struct dev_pagemap * for ZONE_DEVICE pages */
};

#define PAGE_MAPPING_ANON 1UL
#define PAGE_MAPPING_MOVABLE 2UL
#define PAGE_MAPPING_KSM (PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE)	/* a KSM stable node */
#define PAGE_MAPPING_FLAGS PAGE_MAPPING_KSM
#define MAGIC_HWPOISON 0x48575053UL /* "HWPS": set in private when taken off buddy */

/* A doubly linked list of pages through lru_prev/lru_next. */
struct page_list {
	uint32_t head, tail;
	uint64_t nr;
};

struct free_area {
	struct page_list free_list;
};

struct zone {
	enum zone_type type;
	int node;
	uint64_t start_pfn, end_pfn; /* [start, end) */
	uint64_t managed, nr_free;
	struct free_area free_area[MAX_ORDER];
	const char *name;
};

/* Per-CPU LRU batch (the kernel's folio batch / pagevec): not on the LRU yet.
 * Its capacity is the profile's lru_batch (6.1: 15, 6.12: 31), at most this. */
#define PAGEVEC_SIZE 31
struct pagevec {
	unsigned nr;
	uint32_t pfn[PAGEVEC_SIZE];
};

struct lruvec {
	struct page_list lists[NR_LRU_LISTS];
};

/* The 2 MiB hugetlb pool (mm/hugetlb.c); counters as in /proc/meminfo. */
struct hstate {
	uint64_t max_huge_pages;	/* nr_hugepages as last set */
	uint64_t nr_huge_pages, free_huge_pages, resv_huge_pages;
	uint64_t surplus_huge_pages, nr_overcommit_huge_pages;
	struct page_list freelist;	/* free folios through their heads' lru links */
};

/* THP state (mm/huge_memory.c): sysfs policies and the deferred split queue. */
#define THP_DEFERRED_MAX 64
struct thp_state {
	int enabled;			/* 0 never, 1 madvise, 2 always */
	int shmem_huge;			/* 0 never, 1 advise, 2 within_size, 3 always */
	uint32_t deferred[THP_DEFERRED_MAX];	/* heads of partially unmapped THPs */
	int nr_deferred;
};

#endif
