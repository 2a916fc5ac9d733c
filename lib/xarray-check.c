/* SPDX-License-Identifier: GPL-2.0-only */
/* xa_check: the XArray's structure (counts, siblings, marks), for tests and the invariant checker. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "xarray-internal.h"

struct xa_chk {
	char *msg;
	size_t len;
	unsigned long entries;
	unsigned long nodes;
};

__attribute__((format(printf, 3, 4)))
static int chk_fail(struct xa_chk *c, const struct xa_node *node,
		    const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (c->msg && c->len) {
		n = snprintf(c->msg, c->len, "node %p shift %u: ",
			     (const void *)node, node ? node->shift : 0);
		if (n < 0 || (size_t)n >= c->len)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(c->msg + n, c->len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

/* First mark set on slot i, or -1. */
static int slot_mark(const struct xa_node *node, unsigned int i)
{
	xa_mark_t mark;

	for (mark = 0; mark < XA_MAX_MARKS; mark++)
		if (node->marks[mark] >> i & 1)
			return mark;
	return -1;
}

static int check_node(struct xa_chk *c, const struct xa_node *node)
{
	unsigned int i, used = 0, lim = node_slots(node);
	xa_mark_t mark;

	c->nodes++;
	if (node->shift % XA_CHUNK_SHIFT || node->shift > XA_MAX_SHIFT)
		return chk_fail(c, node, "bad shift");
	for (mark = 0; mark < XA_MAX_MARKS; mark++)
		if (lim < 64 && node->marks[mark] >> lim)
			return chk_fail(c, node, "mark beyond last slot");
	for (i = 0; i < XA_CHUNK_SIZE; i++) {
		void *e = node->slots[i];
		unsigned int n, j;

		if (!e) {
			if (slot_mark(node, i) >= 0)
				return chk_fail(c, node, "mark on empty slot %u",
						i);
			continue;
		}
		used++;
		if (i >= lim)
			return chk_fail(c, node, "slot %u beyond limit", i);
		/* siblings are consumed with their canonical slot */
		if (xa_is_sibling(e))
			return chk_fail(c, node, "stray sibling at %u", i);
		if (xa_is_err(e))
			return chk_fail(c, node, "error entry at %u", i);
		if (xa_is_node(e)) {
			const struct xa_node *child = to_node(e);
			int ret;

			if (!node->shift)
				return chk_fail(c, node, "child under shift 0");
			if (child->parent != node || child->offset != i ||
			    child->shift + XA_CHUNK_SHIFT != node->shift)
				return chk_fail(c, node, "bad child link at %u", i);
			for (mark = 0; mark < XA_MAX_MARKS; mark++)
				if ((node->marks[mark] >> i & 1) !=
				    (child->marks[mark] != 0))
					return chk_fail(c, node,
						"mark %d summary wrong at %u",
						mark, i);
			ret = check_node(c, child);
			if (ret)
				return ret;
			continue;
		}
		c->entries++;
		n = entry_slots(node, i);
		if (n & (n - 1) || i % n)
			return chk_fail(c, node, "entry at %u spans %u slots",
					i, n);
		for (j = i + 1; j < i + n; j++)
			if (slot_mark(node, j) >= 0)
				return chk_fail(c, node,
						"mark on sibling slot %u", j);
		used += n - 1;
		i += n - 1;
	}
	if (used != node->count)
		return chk_fail(c, node, "count %u but %u slots used",
				node->count, used);
	if (!used)
		return chk_fail(c, node, "empty node not freed");
	return 0;
}

int xa_check(const struct xarray *xa, char *msg, size_t len)
{
	struct xa_chk c = { msg, len, 0, 0 };
	const struct xa_node *head = xa->head;
	int ret;

	if (msg && len)
		msg[0] = '\0';
	if (xa->nr_spare > XA_MAX_SPARE)
		return chk_fail(&c, NULL, "%u spare nodes", xa->nr_spare);
	if (head) {
		if (head->parent || head->offset)
			return chk_fail(&c, head, "head has a parent");
		if (head->count == 1 && xa_is_node(head->slots[0]))
			return chk_fail(&c, head, "tree not shrunk");
		ret = check_node(&c, head);
		if (ret)
			return ret;
	}
	if (c.entries != xa->count)
		return chk_fail(&c, head, "count %lu but %lu entries",
				xa->count, c.entries);
	if (c.nodes != xa->nr_nodes)
		return chk_fail(&c, head, "nr_nodes %lu but %lu nodes",
				xa->nr_nodes, c.nodes);
	return 0;
}
