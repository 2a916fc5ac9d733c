/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * XArray: the per-address_space index from page offset to entry.
 *
 * A radix tree of 64-slot nodes. A node of shift S has slots each covering
 * 2^S indices. An entry of order N lives in the node of shift N - N % 6 and
 * takes 2^(N % 6) consecutive slots there: the first (canonical) slot holds
 * the entry, the others hold sibling entries pointing back at it. Orders that
 * are a multiple of 6 therefore take one slot at a higher level.
 *
 * Entries are pointers (4-byte aligned) or value entries (xa_mk_value()).
 * Entries with the low bits 10 are internal (nodes, siblings, errors) and
 * are never stored by callers nor returned by xa_load() and friends; only
 * xa_load_order_raw() can hand out a node, on purpose (seed 003).
 *
 * No locking: the model is single-threaded.
 */
#ifndef MEMFAIL_XARRAY_H
#define MEMFAIL_XARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_SIZE (1U << XA_CHUNK_SHIFT)
#define XA_MAX_ORDER 63U	/* largest order: half the index space */

/* Marks: one bit per entry, a multi-order entry has one bit for all of it. */
typedef int xa_mark_t;
#define XA_MARK_0 0
#define XA_MARK_1 1
#define XA_MARK_2 2
#define XA_MAX_MARKS 3
#define XA_PRESENT (-1)		/* "any entry" for xa_find() */
/* Page-cache meanings, as Linux assigns them. */
#define XA_MARK_DIRTY XA_MARK_0
#define XA_MARK_WRITEBACK XA_MARK_1
#define XA_MARK_TOWRITE XA_MARK_2

struct xa_node;

struct xarray {
	struct xa_node *head;	/* root node, NULL when empty */
	unsigned long count;	/* entries, each multi-order entry once */
	unsigned long nr_nodes;	/* nodes in the tree (not the spare cache) */
	struct xa_node *spare;	/* preallocated nodes, so a store is atomic */
	unsigned int nr_spare;
};

#define XARRAY_INIT { NULL, 0, 0, NULL, 0 }

/* Value entries: an integer up to LONG_MAX tagged with the low bit. */
static inline void *xa_mk_value(unsigned long v)
{
	return (void *)((v << 1) | 1);
}

static inline unsigned long xa_to_value(const void *entry)
{
	return (uintptr_t)entry >> 1;
}

static inline bool xa_is_value(const void *entry)
{
	return (uintptr_t)entry & 1;
}

static inline bool xa_is_internal(const void *entry)
{
	return ((uintptr_t)entry & 3) == 2;
}

/* Errors travel as internal entries: (errno << 2) | 2, errno negative. */
static inline void *xa_mk_err(int err)
{
	return (void *)(((uintptr_t)(intptr_t)err << 2) | 2);
}

static inline bool xa_is_err(const void *entry)
{
	return xa_is_internal(entry) &&
	       (uintptr_t)entry >= ((uintptr_t)(intptr_t)-4095 << 2);
}

static inline int xa_err(const void *entry)
{
	if (!xa_is_err(entry))
		return 0;
	return -(int)((-((uintptr_t)entry & ~(uintptr_t)3)) >> 2);
}

/* Siblings are small internal values (slot offset << 2 | 2). */
static inline bool xa_is_sibling(const void *entry)
{
	return xa_is_internal(entry) &&
	       (uintptr_t)entry < ((uintptr_t)XA_CHUNK_SIZE << 2);
}

/* Only xa_load_order_raw() can return one of these. */
static inline bool xa_is_node(const void *entry)
{
	return xa_is_internal(entry) && !xa_is_sibling(entry) &&
	       !xa_is_err(entry);
}

void xa_init(struct xarray *xa);
/* Free every node; free_entry (may be NULL) sees each entry once. */
void xa_destroy(struct xarray *xa, void (*free_entry)(void *entry, void *ctx),
		void *ctx);

static inline bool xa_empty(const struct xarray *xa)
{
	return xa->head == NULL;
}

static inline unsigned long xa_count(const struct xarray *xa)
{
	return xa->count;
}

/*
 * Store entry over [index, index + 2^order). index must be aligned to
 * 2^order and entry must not be internal (-EINVAL). Storing over an entry of
 * exactly the same index and order overwrites it in place and keeps its
 * marks (how DAX flips its lock bit). Otherwise every entry overlapping the
 * range is removed whole, with its marks, even the parts outside the range,
 * and the new entry starts unmarked. NULL just removes. Nodes come
 * from xmalloc (the one out-of-memory policy, include/memfail/array.h).
 * Returns 0 or -EINVAL.
 */
int xa_store_order(struct xarray *xa, unsigned long index, unsigned int order,
		   void *entry);
/* As xa_store_order() but -EBUSY if anything overlaps the range. */
int xa_insert_order(struct xarray *xa, unsigned long index, unsigned int order,
		    void *entry);
/* Order 0; returns the entry it displaced at index or xa_mk_err(). */
void *xa_store(struct xarray *xa, unsigned long index, void *entry);
/*
 * Overwrite the entry covering index in place, keeping its order and marks.
 * Returns the old entry, NULL if nothing was there (nothing is stored then),
 * or xa_mk_err(-EINVAL) for a NULL or internal entry.
 */
void *xa_replace(struct xarray *xa, unsigned long index, void *entry);

/* The entry covering index (a multi-order entry at any index inside it). */
void *xa_load(const struct xarray *xa, unsigned long index);
/* Erase the whole entry covering index; returns it. */
void *xa_erase(struct xarray *xa, unsigned long index);
/* Order of the entry covering index, 0 if none. */
int xa_get_order(const struct xarray *xa, unsigned long index);

/*
 * First entry overlapping [index, index + 2^order) with index rounded down
 * to 2^order, NULL if none. Never an internal entry. This is what a
 * PMD-sized DAX fault must use to see PTE entries below it (seed 003).
 */
void *xa_find_conflict(const struct xarray *xa, unsigned long index,
		       unsigned int order);

/*
 * Reproduces the 2018 regression (seed 003): a load with an order-N cursor,
 * the way xas_load() behaves with XA_STATE_ORDER. It descends only to the
 * level where order-N entries live and looks at the single slot for index
 * (rounded down to 2^order). So it returns the order-N (or larger) entry if
 * there, an internal node (xa_is_node()) if smaller entries sit under that
 * first slot, and NULL even when a smaller entry sits elsewhere in the
 * range (PTE entry at 1023 vs PMD lookup at 512). Callers that treat NULL
 * or internal as "empty" erase the smaller entries. Order 0 == xa_load().
 */
void *xa_load_order_raw(const struct xarray *xa, unsigned long index,
			unsigned int order);

/* Marks apply to the whole entry covering index; no-op if none. */
void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
bool xa_get_mark(const struct xarray *xa, unsigned long index, xa_mark_t mark);
/* Any entry carries mark. */
bool xa_marked(const struct xarray *xa, xa_mark_t mark);

/*
 * First entry (with mark, or XA_PRESENT) covering or after *index and
 * starting at or before max. Sets *index to the entry's first index, which
 * may be below the original *index for a multi-order entry. So do not walk
 * with "*index + 1" (it finds the same multi-order entry forever): use
 * xa_find_after() or xa_for_each().
 */
void *xa_find(const struct xarray *xa, unsigned long *index,
	      unsigned long max, xa_mark_t mark);
/* The next entry starting after the one covering *index (or after *index). */
void *xa_find_after(const struct xarray *xa, unsigned long *index,
		    unsigned long max, xa_mark_t mark);

/* Visit each entry once, in index order; index is the entry's first index. */
#define xa_for_each_range(xa, index, entry, start, last)		\
	for ((index) = (start),						\
	     (entry) = xa_find((xa), &(index), (last), XA_PRESENT);	\
	     (entry);							\
	     (entry) = xa_find_after((xa), &(index), (last), XA_PRESENT))
#define xa_for_each(xa, index, entry)					\
	xa_for_each_range(xa, index, entry, 0, ~0UL)
#define xa_for_each_marked(xa, index, entry, mark)			\
	for ((index) = 0,						\
	     (entry) = xa_find((xa), &(index), ~0UL, (mark));		\
	     (entry);							\
	     (entry) = xa_find_after((xa), &(index), ~0UL, (mark)))

/*
 * Validate the whole structure (counts, shifts, parent links, siblings,
 * alignment, mark summaries, minimal height). Returns 0, or -EUCLEAN with a
 * description in msg.
 */
int xa_check(const struct xarray *xa, char *msg, size_t len);

#endif /* MEMFAIL_XARRAY_H */
