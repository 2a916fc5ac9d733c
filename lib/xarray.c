/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * XArray: radix tree of 64-slot nodes, see include/memfail/xarray.h.
 *
 * Node marks: for a slot holding an entry the bit is the entry's mark (only
 * the canonical slot carries it); for a slot holding a child node the bit is
 * set iff the child has any bit set, so marked searches can skip subtrees.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "xarray-internal.h"

/*
 * ---- node allocation: a small spare list, filled before a store changes
 * anything, so no store stops half-way (the one out-of-memory policy, mf_oom,
 * may unwind from the fill) ----
 */

static void spare_fill(struct xarray *xa, unsigned int need)
{
	while (xa->nr_spare < need) {
		struct xa_node *node = xmalloc(sizeof(*node), "growing an xarray");

		node->parent = xa->spare;
		xa->spare = node;
		xa->nr_spare++;
	}
}

static struct xa_node *node_get(struct xarray *xa, unsigned int shift,
				struct xa_node *parent, unsigned int off)
{
	struct xa_node *node = xa->spare;

	/* spare_fill() guaranteed enough; running dry is a sizing bug */
	if (!node)
		abort();
	xa->spare = node->parent;
	xa->nr_spare--;
	memset(node, 0, sizeof(*node));
	node->shift = (unsigned char)shift;
	node->parent = parent;
	node->offset = (unsigned char)off;
	xa->nr_nodes++;
	return node;
}

static void node_put(struct xarray *xa, struct xa_node *node)
{
	xa->nr_nodes--;
	if (xa->nr_spare < XA_MAX_SPARE) {
		node->parent = xa->spare;
		xa->spare = node;
		xa->nr_spare++;
	} else {
		free(node);
	}
}

void xa_init(struct xarray *xa)
{
	memset(xa, 0, sizeof(*xa));
}

static void node_destroy(struct xarray *xa, struct xa_node *node,
			 void (*free_entry)(void *, void *), void *ctx)
{
	unsigned int i;

	for (i = 0; i < XA_CHUNK_SIZE; i++) {
		void *e = node->slots[i];

		if (!e || xa_is_sibling(e))
			continue;
		if (xa_is_node(e))
			node_destroy(xa, to_node(e), free_entry, ctx);
		else if (free_entry)
			free_entry(e, ctx);
	}
	free(node);
}

void xa_destroy(struct xarray *xa, void (*free_entry)(void *, void *),
		void *ctx)
{
	if (xa->head)
		node_destroy(xa, xa->head, free_entry, ctx);
	while (xa->spare) {
		struct xa_node *node = xa->spare;

		xa->spare = node->parent;
		free(node);
	}
	xa_init(xa);
}

/* ---- marks ---- */

/* Make the summary bits of node's ancestors agree with node's own bits. */
static void mark_propagate(struct xa_node *node, xa_mark_t mark)
{
	while (node->parent) {
		struct xa_node *parent = node->parent;
		uint64_t bit = 1ULL << node->offset;
		bool want = node->marks[mark] != 0;

		if (want == !!(parent->marks[mark] & bit))
			break;
		parent->marks[mark] ^= bit;
		node = parent;
	}
}

/* ---- lookup ---- */

/* Find the entry covering index, resolving siblings and descending nodes. */
static void *locate(const struct xarray *xa, unsigned long index,
		    struct xa_hit *hit)
{
	struct xa_node *node = xa->head;

	if (!node || !node_fits(node, index))
		return NULL;
	for (;;) {
		unsigned int off = (index >> node->shift) & XA_CHUNK_MASK;
		void *e = node->slots[off];

		if (xa_is_sibling(e)) {
			off = sibling_off(e);
			e = node->slots[off];
		}
		if (xa_is_node(e)) {
			node = to_node(e);
			continue;
		}
		if (e && hit) {
			hit->entry = e;
			hit->node = node;
			hit->off = off;
			hit->start = index & ~order_mask(entry_order(node, off));
		}
		return e;
	}
}

void *xa_load(const struct xarray *xa, unsigned long index)
{
	return locate(xa, index, NULL);
}

int xa_get_order(const struct xarray *xa, unsigned long index)
{
	struct xa_hit hit;

	if (!locate(xa, index, &hit))
		return 0;
	return (int)entry_order(hit.node, hit.off);
}

bool xa_get_mark(const struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_hit hit;

	if (mark < 0 || mark >= XA_MAX_MARKS || !locate(xa, index, &hit))
		return false;
	return hit.node->marks[mark] >> hit.off & 1;
}

bool xa_marked(const struct xarray *xa, xa_mark_t mark)
{
	if (mark < 0 || mark >= XA_MAX_MARKS || !xa->head)
		return false;
	return xa->head->marks[mark] != 0;
}

void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_hit hit;

	if (mark < 0 || mark >= XA_MAX_MARKS || !locate(xa, index, &hit))
		return;
	hit.node->marks[mark] |= 1ULL << hit.off;
	mark_propagate(hit.node, mark);
}

void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_hit hit;

	if (mark < 0 || mark >= XA_MAX_MARKS || !locate(xa, index, &hit))
		return;
	hit.node->marks[mark] &= ~(1ULL << hit.off);
	mark_propagate(hit.node, mark);
}

void *xa_load_order_raw(const struct xarray *xa, unsigned long index,
			unsigned int order)
{
	unsigned int want;
	void *entry;

	if (order > XA_MAX_ORDER)
		return NULL;
	want = order - order % XA_CHUNK_SHIFT;
	index &= ~order_mask(order);
	if (!xa->head || !node_fits(xa->head, index))
		return NULL;
	entry = mk_node(xa->head);
	/*
	 * Stop above nodes finer than the cursor's level and look at one
	 * slot only: the flaw is exactly that the rest of the range (the
	 * other 2^(order % 6) - 1 slots, or the node's contents) is unseen.
	 */
	while (xa_is_node(entry)) {
		struct xa_node *node = to_node(entry);
		unsigned int off;

		if (want > node->shift)
			break;
		off = (index >> node->shift) & XA_CHUNK_MASK;
		entry = node->slots[off];
		if (xa_is_sibling(entry))
			entry = node->slots[sibling_off(entry)];
		if (!node->shift)
			break;
	}
	return entry;
}

/*
 * First entry (carrying mark unless XA_PRESENT) whose range ends at or after
 * from and starts at or before max, in the subtree node covering from base.
 */
static bool node_find(struct xa_node *node, unsigned long base,
		      unsigned long from, unsigned long max, xa_mark_t mark,
		      struct xa_hit *hit)
{
	unsigned int off = 0, lim = node_slots(node);

	if (from > base) {
		off = (unsigned int)((from - base) >> node->shift);
		/* from inside a multi-order entry: that entry comes first */
		if (xa_is_sibling(node->slots[off]))
			off = sibling_off(node->slots[off]);
	}
	for (; off < lim; off++) {
		unsigned long start = base + ((unsigned long)off << node->shift);
		void *e = node->slots[off];

		if (start > max)
			return false;
		if (!e || xa_is_sibling(e))
			continue;
		if (mark != XA_PRESENT && !(node->marks[mark] >> off & 1))
			continue;
		if (xa_is_node(e)) {
			if (node_find(to_node(e), start, from, max, mark, hit))
				return true;
			continue;
		}
		hit->entry = e;
		hit->node = node;
		hit->off = off;
		hit->start = start;
		return true;
	}
	return false;
}

static void *find(const struct xarray *xa, unsigned long from,
		  unsigned long max, xa_mark_t mark, struct xa_hit *hit)
{
	if (mark != XA_PRESENT && (mark < 0 || mark >= XA_MAX_MARKS))
		return NULL;
	if (from > max || !xa->head || !node_fits(xa->head, from))
		return NULL;
	if (!node_find(xa->head, 0, from, max, mark, hit))
		return NULL;
	return hit->entry;
}

void *xa_find(const struct xarray *xa, unsigned long *index,
	      unsigned long max, xa_mark_t mark)
{
	struct xa_hit hit;

	if (!find(xa, *index, max, mark, &hit))
		return NULL;
	*index = hit.start;
	return hit.entry;
}

void *xa_find_after(const struct xarray *xa, unsigned long *index,
		    unsigned long max, xa_mark_t mark)
{
	unsigned long from = *index;
	struct xa_hit hit;

	for (;;) {
		unsigned long last;

		if (from == ULONG_MAX)
			return NULL;
		if (!find(xa, from + 1, max, mark, &hit))
			return NULL;
		if (hit.start > *index)
			break;
		/* the entry covering *index reaches past it: skip all of it */
		last = hit.start + order_mask(entry_order(hit.node, hit.off));
		from = last;
	}
	*index = hit.start;
	return hit.entry;
}

void *xa_find_conflict(const struct xarray *xa, unsigned long index,
		       unsigned int order)
{
	struct xa_hit hit;

	if (order > XA_MAX_ORDER)
		return NULL;
	index &= ~order_mask(order);
	return find(xa, index, index + order_mask(order), XA_PRESENT, &hit);
}

/* ---- removal ---- */

/* Replace a head with a single child in slot 0 by that child. */
static void shrink(struct xarray *xa)
{
	for (;;) {
		struct xa_node *head = xa->head, *child;

		if (!head || head->count != 1 || !xa_is_node(head->slots[0]))
			return;
		child = to_node(head->slots[0]);
		child->parent = NULL;
		child->offset = 0;
		xa->head = child;
		node_put(xa, head);
	}
}

/* Free node and then its ancestors as long as they are empty. */
static void trim(struct xarray *xa, struct xa_node *node)
{
	while (node && !node->count) {
		struct xa_node *parent = node->parent;

		/* an empty node has no marks, so its parent's bits are clear */
		if (parent) {
			parent->slots[node->offset] = NULL;
			parent->count--;
		} else {
			xa->head = NULL;
		}
		node_put(xa, node);
		node = parent;
	}
	shrink(xa);
}

static void erase_hit(struct xarray *xa, const struct xa_hit *hit)
{
	struct xa_node *node = hit->node;
	unsigned int i, n = entry_slots(node, hit->off);
	xa_mark_t mark;

	for (i = 0; i < n; i++)
		node->slots[hit->off + i] = NULL;
	node->count -= (unsigned char)n;
	for (mark = 0; mark < XA_MAX_MARKS; mark++) {
		if (node->marks[mark] >> hit->off & 1) {
			node->marks[mark] &= ~(1ULL << hit->off);
			mark_propagate(node, mark);
		}
	}
	xa->count--;
	trim(xa, node);
}

void *xa_erase(struct xarray *xa, unsigned long index)
{
	struct xa_hit hit;

	if (!locate(xa, index, &hit))
		return NULL;
	erase_hit(xa, &hit);
	return hit.entry;
}

/* Erase every entry overlapping [first, last], whole. */
static void remove_range(struct xarray *xa, unsigned long first,
			 unsigned long last)
{
	struct xa_hit hit;

	while (find(xa, first, last, XA_PRESENT, &hit)) {
		unsigned long end = hit.start +
				    order_mask(entry_order(hit.node, hit.off));

		erase_hit(xa, &hit);
		if (end >= last)
			break;
		first = end + 1;
	}
}

/* ---- insertion ---- */

/* Place entry in a range known to be empty; nodes come from the spares. */
static void insert(struct xarray *xa, unsigned long index, unsigned int order,
		   void *entry)
{
	unsigned int shift = order - order % XA_CHUNK_SHIFT;
	unsigned int top = shift_for(index + order_mask(order));
	unsigned int off, i, n = 1U << (order - shift);
	struct xa_node *node;

	if (top < shift)
		top = shift;
	if (!xa->head)
		xa->head = node_get(xa, top, NULL, 0);
	/* grow upward: the old head becomes slot 0 of a new head */
	while (xa->head->shift < top) {
		struct xa_node *old = xa->head;
		xa_mark_t mark;

		node = node_get(xa, old->shift + XA_CHUNK_SHIFT, NULL, 0);
		node->slots[0] = mk_node(old);
		node->count = 1;
		for (mark = 0; mark < XA_MAX_MARKS; mark++)
			node->marks[mark] = old->marks[mark] ? 1 : 0;
		old->parent = node;
		xa->head = node;
	}
	node = xa->head;
	while (node->shift > shift) {
		void *e;

		off = (index >> node->shift) & XA_CHUNK_MASK;
		e = node->slots[off];
		if (!e) {
			struct xa_node *child = node_get(xa,
					node->shift - XA_CHUNK_SHIFT, node, off);

			e = mk_node(child);
			node->slots[off] = e;
			node->count++;
		}
		/* the caller emptied the range, so only a node can be here */
		if (!xa_is_node(e))
			abort();
		node = to_node(e);
	}
	off = (index >> shift) & XA_CHUNK_MASK;
	node->slots[off] = entry;
	for (i = 1; i < n; i++)
		node->slots[off + i] = mk_sibling(off);
	node->count += (unsigned char)n;
	xa->count++;
}

int xa_store_order(struct xarray *xa, unsigned long index, unsigned int order,
		   void *entry)
{
	unsigned long last;
	unsigned int shift, top, need;
	struct xa_hit hit;

	if (order > XA_MAX_ORDER || (index & order_mask(order)) ||
	    xa_is_internal(entry))
		return -EINVAL;
	last = index + order_mask(order);
	if (entry && locate(xa, index, &hit) && hit.start == index &&
	    entry_order(hit.node, hit.off) == order) {
		hit.node->slots[hit.off] = entry;	/* same shape: keep marks */
		return 0;
	}
	if (entry) {
		/* reserve every node insert() may need before changing anything */
		shift = order - order % XA_CHUNK_SHIFT;
		top = shift_for(last);
		if (top < shift)
			top = shift;
		/*
		 * Removing the overlapped entries may shrink the tree to any
		 * height, so count the worst case: growing back from shift 0
		 * to top, plus a path from top down to shift; or a path from
		 * the current, higher, head.
		 */
		need = (top + top - shift) / XA_CHUNK_SHIFT + 1;
		if (xa->head && xa->head->shift > top &&
		    (xa->head->shift - shift) / XA_CHUNK_SHIFT > need)
			need = (xa->head->shift - shift) / XA_CHUNK_SHIFT;
		spare_fill(xa, need);
	}
	remove_range(xa, index, last);
	if (entry)
		insert(xa, index, order, entry);
	return 0;
}

int xa_insert_order(struct xarray *xa, unsigned long index, unsigned int order,
		    void *entry)
{
	if (!entry || order > XA_MAX_ORDER || (index & order_mask(order)) ||
	    xa_is_internal(entry))
		return -EINVAL;
	if (xa_find_conflict(xa, index, order))
		return -EBUSY;
	return xa_store_order(xa, index, order, entry);
}

void *xa_store(struct xarray *xa, unsigned long index, void *entry)
{
	void *old = xa_load(xa, index);
	int err = xa_store_order(xa, index, 0, entry);

	return err ? xa_mk_err(err) : old;
}

void *xa_replace(struct xarray *xa, unsigned long index, void *entry)
{
	struct xa_hit hit;

	if (!entry || xa_is_internal(entry))
		return xa_mk_err(-EINVAL);
	if (!locate(xa, index, &hit))
		return NULL;
	hit.node->slots[hit.off] = entry;
	return hit.entry;
}
