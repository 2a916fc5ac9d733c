/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The XArray's node layout and entry encoding, shared by lib/xarray.c (the
 * operations) and lib/xarray-check.c (the structure check).
 */
#ifndef MEMFAIL_LIB_XARRAY_INTERNAL_H
#define MEMFAIL_LIB_XARRAY_INTERNAL_H

#include <limits.h>
#include <stdint.h>

#include "memfail/xarray.h"

#define XA_CHUNK_MASK (XA_CHUNK_SIZE - 1)
#define XA_BITS ((unsigned int)(sizeof(unsigned long) * CHAR_BIT))
#define XA_MAX_SHIFT (((XA_BITS - 1) / XA_CHUNK_SHIFT) * XA_CHUNK_SHIFT)
/* Enough for one store: new heads up to the top plus a path down to 0. */
#define XA_MAX_SPARE (2 * (XA_MAX_SHIFT / XA_CHUNK_SHIFT) + 1)

struct xa_node {
	unsigned char shift;	/* each slot covers 2^shift indices */
	unsigned char offset;	/* slot in parent */
	unsigned char count;	/* non-NULL slots, siblings included */
	struct xa_node *parent;	/* NULL for the head; spare-list link */
	uint64_t marks[XA_MAX_MARKS];
	void *slots[XA_CHUNK_SIZE];
};

/* Where an entry sits: its node, canonical slot and first index. */
struct xa_hit {
	void *entry;
	struct xa_node *node;
	unsigned int off;
	unsigned long start;
};

static inline void *mk_node(struct xa_node *node)
{
	return (void *)((uintptr_t)node | 2);
}

static inline struct xa_node *to_node(const void *entry)
{
	return (struct xa_node *)((uintptr_t)entry - 2);
}

static inline void *mk_sibling(unsigned int off)
{
	return (void *)(((uintptr_t)off << 2) | 2);
}

static inline unsigned int sibling_off(const void *entry)
{
	return (uintptr_t)entry >> 2;
}

static inline unsigned long order_mask(unsigned int order)
{
	return (1UL << order) - 1;
}

/* The top node (shift 60) only has 16 usable slots in a 64-bit index. */
static inline unsigned int node_slots(const struct xa_node *node)
{
	if (node->shift + XA_CHUNK_SHIFT > (int)XA_BITS)
		return 1U << (XA_BITS - node->shift);
	return XA_CHUNK_SIZE;
}

static inline bool node_fits(const struct xa_node *node, unsigned long index)
{
	return ((index >> node->shift) >> XA_CHUNK_SHIFT) == 0;
}

/* Smallest node shift whose node starting at 0 reaches index. */
static inline unsigned int shift_for(unsigned long index)
{
	unsigned int shift = 0;

	while ((index >> shift) >> XA_CHUNK_SHIFT)
		shift += XA_CHUNK_SHIFT;
	return shift;
}

static inline unsigned int entry_slots(const struct xa_node *node, unsigned int off)
{
	unsigned int i = off + 1, lim = node_slots(node);

	while (i < lim && xa_is_sibling(node->slots[i]) &&
	       sibling_off(node->slots[i]) == off)
		i++;
	return i - off;
}

static inline unsigned int entry_order(const struct xa_node *node, unsigned int off)
{
	return node->shift + (unsigned int)__builtin_ctz(entry_slots(node, off));
}

#endif
