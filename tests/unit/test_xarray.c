/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for the XArray (lib/xarray.c), including the seed 003 example. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memfail/xarray.h"

#define PMD_ORDER 9

static void check(const struct xarray *xa)
{
	char msg[256];
	int ret = xa_check(xa, msg, sizeof(msg));

	if (ret)
		fail_msg("xa_check: %s", msg);
}

static unsigned long mask(unsigned int order)
{
	return (1UL << order) - 1;
}

/* Distinct aligned pointers to store. */
static long objs[64];
#define OBJ(i) ((void *)&objs[i])

static void test_empty(void **state)
{
	struct xarray xa = XARRAY_INIT;
	unsigned long idx = 0;

	(void)state;
	check(&xa);
	assert_null(xa_load(&xa, 0));
	assert_null(xa_load(&xa, ULONG_MAX));
	assert_null(xa_erase(&xa, 5));
	assert_null(xa_find(&xa, &idx, ULONG_MAX, XA_PRESENT));
	assert_null(xa_find_conflict(&xa, 0, XA_MAX_ORDER));
	assert_null(xa_load_order_raw(&xa, 512, PMD_ORDER));
	assert_int_equal(xa_get_order(&xa, 0), 0);
	assert_false(xa_marked(&xa, XA_MARK_DIRTY));
	assert_true(xa_empty(&xa));
	assert_int_equal(xa_count(&xa), 0);
	xa_destroy(&xa, NULL, NULL);
}

static void test_store_load_order0(void **state)
{
	static const unsigned long idx[] = {
		0, 1, 63, 64, 4095, 4096, 1UL << 20, 1UL << 40,
		(1UL << 40) + 1, ULONG_MAX - 1, ULONG_MAX,
	};
	size_t n = sizeof(idx) / sizeof(idx[0]), i;
	struct xarray xa;

	(void)state;
	xa_init(&xa);
	for (i = 0; i < n; i++) {
		assert_null(xa_store(&xa, idx[i], OBJ(i)));
		check(&xa);
	}
	assert_int_equal(xa_count(&xa), n);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(xa_load(&xa, idx[i]), OBJ(i));
		assert_int_equal(xa_get_order(&xa, idx[i]), 0);
	}
	assert_null(xa_load(&xa, 2));
	assert_null(xa_load(&xa, 65));
	assert_null(xa_load(&xa, (1UL << 40) + 2));
	/* overwrite returns the old entry; storing NULL erases */
	assert_ptr_equal(xa_store(&xa, 64, OBJ(40)), OBJ(3));
	assert_ptr_equal(xa_load(&xa, 64), OBJ(40));
	assert_ptr_equal(xa_store(&xa, 64, NULL), OBJ(40));
	assert_null(xa_load(&xa, 64));
	assert_int_equal(xa_count(&xa), n - 1);
	check(&xa);
	for (i = 0; i < n; i++)
		xa_erase(&xa, idx[i]);
	check(&xa);
	assert_true(xa_empty(&xa));
	assert_int_equal(xa.nr_nodes, 0);
	xa_destroy(&xa, NULL, NULL);
}

static const unsigned int orders[] = { 1, 3, 5, 6, 7, 9, 11, 12, 13, 18 };
#define NR_ORDERS (sizeof(orders) / sizeof(orders[0]))

static void test_multi_order_load(void **state)
{
	struct xarray xa;
	size_t o;

	(void)state;
	xa_init(&xa);
	for (o = 0; o < NR_ORDERS; o++) {
		unsigned int order = orders[o];
		unsigned long base[2] = { 3UL << order, (1UL << 40) + (5UL << order) };
		unsigned long step = order > 13 ? 97 : 1;
		int b;

		for (b = 0; b < 2; b++) {
			unsigned long i, s = base[b];

			assert_int_equal(xa_store_order(&xa, s, order, OBJ(o)), 0);
			check(&xa);
			for (i = 0; i <= mask(order); i += step) {
				assert_ptr_equal(xa_load(&xa, s + i), OBJ(o));
				assert_int_equal(xa_get_order(&xa, s + i), order);
			}
			assert_ptr_equal(xa_load(&xa, s + mask(order)), OBJ(o));
			assert_null(xa_load(&xa, s - 1));
			assert_null(xa_load(&xa, s + mask(order) + 1));
			assert_int_equal(xa_count(&xa), 1);
			assert_ptr_equal(xa_erase(&xa, s), OBJ(o));
			assert_true(xa_empty(&xa));
		}
	}
	xa_destroy(&xa, NULL, NULL);
}

static void test_multi_order_erase_inside(void **state)
{
	struct xarray xa;
	size_t o;

	(void)state;
	xa_init(&xa);
	assert_null(xa_store(&xa, 7, OBJ(50)));	/* a bystander */
	for (o = 0; o < NR_ORDERS; o++) {
		unsigned int order = orders[o];
		unsigned long s = 1UL << (order + 2), i;
		unsigned long step = order > 9 ? 61 : 1;

		for (i = 0; i <= mask(order); i += step) {
			assert_int_equal(xa_store_order(&xa, s, order, OBJ(o)), 0);
			assert_ptr_equal(xa_erase(&xa, s + i), OBJ(o));
			assert_null(xa_load(&xa, s));
			assert_null(xa_load(&xa, s + i));
			assert_int_equal(xa_count(&xa), 1);
			check(&xa);
		}
	}
	assert_ptr_equal(xa_load(&xa, 7), OBJ(50));
	/* only the bystander's node remains */
	assert_int_equal(xa.nr_nodes, 1);
	xa_destroy(&xa, NULL, NULL);
}

static void test_conflict(void **state)
{
	struct xarray xa;
	void *pte = xa_mk_value(0x1234);

	(void)state;
	xa_init(&xa);
	assert_null(xa_store(&xa, 1023, pte));
	assert_ptr_equal(xa_find_conflict(&xa, 512, PMD_ORDER), pte);
	assert_ptr_equal(xa_find_conflict(&xa, 700, PMD_ORDER), pte);
	assert_ptr_equal(xa_find_conflict(&xa, 1023, 0), pte);
	assert_ptr_equal(xa_find_conflict(&xa, 0, 10), pte);
	assert_null(xa_find_conflict(&xa, 0, PMD_ORDER));
	assert_null(xa_find_conflict(&xa, 1024, PMD_ORDER));
	assert_null(xa_find_conflict(&xa, 1022, 0));
	/* a taller tree and more entries: still the first overlapping one */
	assert_null(xa_store(&xa, 1UL << 30, OBJ(1)));
	assert_null(xa_store(&xa, 600, OBJ(2)));
	assert_ptr_equal(xa_find_conflict(&xa, 512, PMD_ORDER), OBJ(2));
	assert_ptr_equal(xa_find_conflict(&xa, 601, 0), NULL);
	assert_ptr_equal(xa_find_conflict(&xa, 0, 31), OBJ(2));
	assert_ptr_equal(xa_find_conflict(&xa, 1UL << 30, 18), OBJ(1));
	/* a PMD entry found from a small range inside it */
	assert_int_equal(xa_store_order(&xa, 4096, PMD_ORDER, OBJ(3)), 0);
	assert_ptr_equal(xa_find_conflict(&xa, 4096 + 300, 0), OBJ(3));
	assert_ptr_equal(xa_find_conflict(&xa, 4096 + 256, 8), OBJ(3));
	assert_ptr_equal(xa_find_conflict(&xa, 0, 13), OBJ(2));
	assert_null(xa_find_conflict(&xa, 8192, 12));
	check(&xa);
	xa_destroy(&xa, NULL, NULL);
}

/*
 * Seed 003: a PTE entry at 1023, a huge-page fault looks up a PMD entry at
 * 512. The order-9 load returns NULL (or a node), the buggy caller treats
 * that as empty and stores its locked PMD entry, erasing the PTE entry.
 * xa_find_conflict() sees the PTE entry and so prevents it.
 */
static void test_seed003(void **state)
{
	void *pte = xa_mk_value(0xabc0 | 1), *pmd_locked = xa_mk_value(0x2);
	struct xarray xa;
	void *e;

	(void)state;
	xa_init(&xa);
	assert_null(xa_store(&xa, 1023, pte));
	assert_ptr_equal(xa_load(&xa, 1023), pte);

	e = xa_load_order_raw(&xa, 512, PMD_ORDER);
	assert_ptr_not_equal(e, pte);
	assert_null(e);			/* looks empty: the regression */
	assert_ptr_equal(xa_find_conflict(&xa, 512, PMD_ORDER), pte);

	/* the buggy grab_mapping_entry() path */
	if (!e || xa_is_internal(e))
		assert_int_equal(xa_store_order(&xa, 512, PMD_ORDER,
						pmd_locked), 0);
	assert_ptr_equal(xa_load(&xa, 1023), pmd_locked);	/* PTE lost */
	assert_int_equal(xa_count(&xa), 1);
	check(&xa);

	/* the fixed path never overwrites */
	xa_erase(&xa, 512);
	assert_null(xa_store(&xa, 1023, pte));
	assert_int_equal(xa_insert_order(&xa, 512, PMD_ORDER, pmd_locked),
			 -EBUSY);
	assert_ptr_equal(xa_load(&xa, 1023), pte);

	/* PTE entry under the first slot: the raw load returns a node */
	assert_null(xa_store(&xa, 512, OBJ(1)));
	e = xa_load_order_raw(&xa, 512, PMD_ORDER);
	assert_true(xa_is_internal(e));
	assert_true(xa_is_node(e));
	assert_ptr_equal(xa_find_conflict(&xa, 512, PMD_ORDER), OBJ(1));
	/* a bigger tree changes nothing */
	assert_null(xa_store(&xa, 1UL << 40, OBJ(2)));
	assert_true(xa_is_node(xa_load_order_raw(&xa, 512, PMD_ORDER)));
	xa_erase(&xa, 512);
	assert_null(xa_load_order_raw(&xa, 512, PMD_ORDER));

	/* with a real PMD entry the raw load works, from any inside index */
	xa_erase(&xa, 1023);
	assert_int_equal(xa_store_order(&xa, 512, PMD_ORDER, pmd_locked), 0);
	assert_ptr_equal(xa_load_order_raw(&xa, 512, PMD_ORDER), pmd_locked);
	assert_ptr_equal(xa_load_order_raw(&xa, 1000, PMD_ORDER), pmd_locked);
	assert_ptr_equal(xa_load_order_raw(&xa, 700, 0), pmd_locked);
	/* order 0 raw == xa_load */
	assert_ptr_equal(xa_load_order_raw(&xa, 1UL << 40, 0), OBJ(2));
	check(&xa);
	xa_destroy(&xa, NULL, NULL);
}

static void test_marks(void **state)
{
	struct xarray xa;
	unsigned long i, idx;
	void *e;

	(void)state;
	xa_init(&xa);
	assert_int_equal(xa_store_order(&xa, 512, PMD_ORDER, OBJ(0)), 0);
	assert_null(xa_store(&xa, 5, OBJ(1)));
	assert_null(xa_store(&xa, 1UL << 33, OBJ(2)));
	xa_set_mark(&xa, 700, XA_MARK_DIRTY);
	check(&xa);
	for (i = 512; i < 1024; i++)
		assert_true(xa_get_mark(&xa, i, XA_MARK_DIRTY));
	assert_false(xa_get_mark(&xa, 5, XA_MARK_DIRTY));
	assert_false(xa_get_mark(&xa, 600, XA_MARK_WRITEBACK));
	assert_true(xa_marked(&xa, XA_MARK_DIRTY));
	assert_false(xa_marked(&xa, XA_MARK_TOWRITE));
	/* marking nothing does nothing */
	xa_set_mark(&xa, 4096, XA_MARK_TOWRITE);
	assert_false(xa_marked(&xa, XA_MARK_TOWRITE));

	xa_set_mark(&xa, 1UL << 33, XA_MARK_DIRTY);
	xa_set_mark(&xa, 1UL << 33, XA_MARK_WRITEBACK);
	idx = 0;
	e = xa_find(&xa, &idx, ULONG_MAX, XA_MARK_DIRTY);
	assert_ptr_equal(e, OBJ(0));
	assert_int_equal(idx, 512);
	e = xa_find_after(&xa, &idx, ULONG_MAX, XA_MARK_DIRTY);
	assert_ptr_equal(e, OBJ(2));
	assert_int_equal(idx, 1UL << 33);
	assert_null(xa_find_after(&xa, &idx, ULONG_MAX, XA_MARK_DIRTY));
	idx = 0;
	assert_ptr_equal(xa_find(&xa, &idx, ULONG_MAX, XA_MARK_WRITEBACK), OBJ(2));
	check(&xa);

	/* clear through another inside index */
	xa_clear_mark(&xa, 1023, XA_MARK_DIRTY);
	assert_false(xa_get_mark(&xa, 512, XA_MARK_DIRTY));
	assert_true(xa_marked(&xa, XA_MARK_DIRTY));
	check(&xa);

	/* same-shape store and xa_replace keep marks; reshaping drops them */
	xa_set_mark(&xa, 512, XA_MARK_TOWRITE);
	assert_int_equal(xa_store_order(&xa, 512, PMD_ORDER, OBJ(3)), 0);
	assert_true(xa_get_mark(&xa, 800, XA_MARK_TOWRITE));
	assert_ptr_equal(xa_replace(&xa, 900, OBJ(4)), OBJ(3));
	assert_true(xa_get_mark(&xa, 512, XA_MARK_TOWRITE));
	assert_int_equal(xa_get_order(&xa, 513), PMD_ORDER);
	assert_int_equal(xa_store_order(&xa, 512, 8, OBJ(5)), 0);
	assert_false(xa_get_mark(&xa, 512, XA_MARK_TOWRITE));
	assert_null(xa_load(&xa, 800));
	assert_false(xa_marked(&xa, XA_MARK_TOWRITE));
	check(&xa);

	/* erasing a marked entry clears the summaries */
	xa_erase(&xa, 1UL << 33);
	assert_false(xa_marked(&xa, XA_MARK_DIRTY));
	assert_false(xa_marked(&xa, XA_MARK_WRITEBACK));
	check(&xa);
	assert_null(xa_replace(&xa, 4000, OBJ(6)));
	assert_null(xa_load(&xa, 4000));
	assert_int_equal(xa_err(xa_replace(&xa, 5, NULL)), -EINVAL);
	xa_destroy(&xa, NULL, NULL);
}

static void test_iteration(void **state)
{
	static const struct { unsigned long s; unsigned int o; } ents[] = {
		{ 0, 0 }, { 2, 1 }, { 64, 6 }, { 512, 9 }, { 1024, 0 },
		{ 1UL << 20, 12 }, { 1UL << 40, 0 }, { 1UL << 63, 63 },
	};
	size_t n = sizeof(ents) / sizeof(ents[0]), i;
	struct xarray xa;
	unsigned long idx;
	void *e;

	(void)state;
	xa_init(&xa);
	for (i = n; i-- > 0;)
		assert_int_equal(xa_store_order(&xa, ents[i].s, ents[i].o,
						OBJ(i)), 0);
	check(&xa);
	assert_int_equal(xa_count(&xa), n);
	i = 0;
	xa_for_each(&xa, idx, e) {
		assert_true(i < n);
		assert_ptr_equal(e, OBJ(i));
		assert_int_equal(idx, ents[i].s);
		i++;
	}
	assert_int_equal(i, n);

	/* from inside a multi-order entry: that entry, at its start */
	idx = 700;
	assert_ptr_equal(xa_find(&xa, &idx, ULONG_MAX, XA_PRESENT), OBJ(3));
	assert_int_equal(idx, 512);
	idx = 700;
	assert_ptr_equal(xa_find_after(&xa, &idx, ULONG_MAX, XA_PRESENT), OBJ(4));
	assert_int_equal(idx, 1024);
	/* max bounds the start */
	idx = 1025;
	assert_null(xa_find(&xa, &idx, (1UL << 20) - 1, XA_PRESENT));
	idx = 1025;
	assert_ptr_equal(xa_find(&xa, &idx, 1UL << 20, XA_PRESENT), OBJ(5));
	idx = ULONG_MAX;
	assert_ptr_equal(xa_find(&xa, &idx, ULONG_MAX, XA_PRESENT), OBJ(7));
	assert_int_equal(idx, 1UL << 63);
	assert_null(xa_find_after(&xa, &idx, ULONG_MAX, XA_PRESENT));
	i = 0;
	xa_for_each_range(&xa, idx, e, 3, 600)
		i++;
	assert_int_equal(i, 3);		/* {2,1}, {64,6}, {512,9} */
	assert_ptr_equal(xa_load(&xa, ULONG_MAX), OBJ(7));
	assert_int_equal(xa_get_order(&xa, (1UL << 63) + 12345), 63);
	xa_destroy(&xa, NULL, NULL);
}

static void test_values_and_errors(void **state)
{
	struct xarray xa;
	void *big = xa_mk_value(LONG_MAX), *zero = xa_mk_value(0);

	(void)state;
	xa_init(&xa);
	assert_true(xa_is_value(zero));
	assert_non_null(zero);
	assert_false(xa_is_internal(zero));
	assert_int_equal(xa_to_value(big), LONG_MAX);
	assert_false(xa_is_value(OBJ(0)));
	assert_null(xa_store(&xa, 10, zero));
	assert_null(xa_store(&xa, 11, big));
	assert_ptr_equal(xa_load(&xa, 10), zero);
	assert_int_equal(xa_to_value(xa_load(&xa, 11)), LONG_MAX);

	/* internal entries, misalignment and oversize orders are refused */
	assert_int_equal(xa_store_order(&xa, 0, 0, (void *)(uintptr_t)6), -EINVAL);
	assert_int_equal(xa_store_order(&xa, 513, PMD_ORDER, OBJ(0)), -EINVAL);
	assert_int_equal(xa_store_order(&xa, 0, 64, OBJ(0)), -EINVAL);
	assert_int_equal(xa_err(xa_store(&xa, 3, (void *)(uintptr_t)6)), -EINVAL);
	assert_int_equal(xa_insert_order(&xa, 12, 0, NULL), -EINVAL);
	assert_true(xa_is_err(xa_mk_err(-ENOMEM)));
	assert_int_equal(xa_err(xa_mk_err(-ENOMEM)), -ENOMEM);
	assert_int_equal(xa_err(xa_mk_err(-4095)), -4095);
	assert_int_equal(xa_err(OBJ(0)), 0);
	assert_false(xa_is_node(xa_mk_err(-EIO)));
	assert_false(xa_is_sibling(xa_mk_err(-EIO)));
	assert_int_equal(xa_count(&xa), 2);
	check(&xa);
	xa_destroy(&xa, NULL, NULL);
}

/* The checker notices bookkeeping that disagrees with the tree. */
static void test_check_detects(void **state)
{
	struct xarray xa;
	char msg[128];

	(void)state;
	xa_init(&xa);
	assert_int_equal(xa_store_order(&xa, 512, PMD_ORDER, OBJ(0)), 0);
	assert_null(xa_store(&xa, 1UL << 40, OBJ(1)));
	assert_int_equal(xa_check(&xa, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	xa.count++;
	assert_int_equal(xa_check(&xa, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "count"));
	xa.count--;
	xa.nr_nodes--;
	assert_int_equal(xa_check(&xa, NULL, 0), -EUCLEAN);
	assert_int_equal(xa_check(&xa, msg, 8), -EUCLEAN);	/* truncates */
	assert_int_equal(strlen(msg), 7);
	xa.nr_nodes++;
	check(&xa);
	/* marks out of range are ignored */
	xa_set_mark(&xa, 512, XA_MAX_MARKS);
	xa_set_mark(&xa, 512, -1);
	assert_false(xa_get_mark(&xa, 512, XA_MAX_MARKS));
	assert_false(xa_marked(&xa, -1));
	check(&xa);
	xa_destroy(&xa, NULL, NULL);
}

/*
 * A store whose removals shrink the tree to one level, then grows it back
 * to the top: the node reservation made before removing must cover both.
 */
static void test_shrink_regrow(void **state)
{
	struct xarray xa;

	(void)state;
	xa_init(&xa);
	assert_null(xa_store(&xa, 5, OBJ(0)));
	assert_int_equal(xa.nr_nodes, 1);
	assert_null(xa_store(&xa, (1UL << 40) + 3, OBJ(1)));
	assert_int_equal(xa_store_order(&xa, 1UL << 40, 40, OBJ(2)), 0);
	check(&xa);
	assert_ptr_equal(xa_load(&xa, (1UL << 40) + 3), OBJ(2));
	assert_int_equal(xa_get_order(&xa, (1UL << 41) - 1), 40);

	assert_null(xa_store(&xa, (1UL << 63) + 3, OBJ(3)));
	xa_erase(&xa, 1UL << 40);
	check(&xa);
	assert_int_equal(xa_store_order(&xa, (1UL << 63) + 2, 1, OBJ(4)), 0);
	check(&xa);
	assert_ptr_equal(xa_load(&xa, (1UL << 63) + 3), OBJ(4));
	assert_ptr_equal(xa_load(&xa, 5), OBJ(0));
	assert_int_equal(xa_count(&xa), 2);
	/* order 0 at the very top and order-63 entries */
	assert_null(xa_store(&xa, ULONG_MAX, OBJ(5)));
	assert_int_equal(xa_store_order(&xa, 0, 63, OBJ(6)), 0);
	assert_int_equal(xa_count(&xa), 3);	/* 5 was swallowed */
	assert_ptr_equal(xa_load(&xa, (1UL << 63) - 1), OBJ(6));
	assert_int_equal(xa_store_order(&xa, 1UL << 63, 63, OBJ(7)), 0);
	assert_int_equal(xa_count(&xa), 2);
	assert_ptr_equal(xa_find_conflict(&xa, ULONG_MAX, 0), OBJ(7));
	check(&xa);
	xa_erase(&xa, 0);
	xa_erase(&xa, ULONG_MAX);
	assert_true(xa_empty(&xa));
	check(&xa);
	xa_destroy(&xa, NULL, NULL);
}

static void count_free(void *entry, void *ctx)
{
	(void)entry;
	(*(int *)ctx)++;
}

static void test_destroy(void **state)
{
	struct xarray xa;
	int freed = 0;

	(void)state;
	xa_init(&xa);
	assert_int_equal(xa_store_order(&xa, 0, 13, OBJ(0)), 0);
	assert_int_equal(xa_store_order(&xa, 1UL << 30, 3, OBJ(1)), 0);
	assert_null(xa_store(&xa, 5UL << 30, OBJ(2)));
	xa_destroy(&xa, count_free, &freed);
	assert_int_equal(freed, 3);
	assert_true(xa_empty(&xa));
	assert_int_equal(xa.nr_spare, 0);
}

/* ---- randomized test against a list of ranges ---- */

struct ref {
	unsigned long start, last;
	void *entry;
	unsigned int order, marks;
};

#define REF_MAX 4096
static struct ref refs[REF_MAX];
static size_t nr_refs;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct ref *ref_find(unsigned long index)
{
	size_t i;

	for (i = 0; i < nr_refs; i++)
		if (refs[i].start <= index && index <= refs[i].last)
			return &refs[i];
	return NULL;
}

/* Lowest-starting range overlapping [first, last] whose end >= first. */
static struct ref *ref_first(unsigned long first, unsigned long last, int mark)
{
	struct ref *best = NULL;
	size_t i;

	for (i = 0; i < nr_refs; i++) {
		struct ref *r = &refs[i];

		if (r->last < first || r->start > last)
			continue;
		if (mark >= 0 && !(r->marks >> mark & 1))
			continue;
		if (!best || r->start < best->start)
			best = r;
	}
	return best;
}

static void ref_del(struct ref *r)
{
	*r = refs[--nr_refs];
}

static void ref_store(unsigned long s, unsigned int order, void *entry)
{
	unsigned long last = s + mask(order);
	struct ref *r = ref_find(s);
	size_t i;

	if (entry && r && r->start == s && r->order == order) {
		r->entry = entry;
		return;
	}
	for (i = 0; i < nr_refs;) {
		if (refs[i].last < s || refs[i].start > last)
			i++;
		else
			ref_del(&refs[i]);
	}
	if (entry) {
		assert_true(nr_refs < REF_MAX);
		refs[nr_refs++] = (struct ref){ s, last, entry, order, 0 };
	}
}

/* A few clustered regions, so the tree stays small enough to check often. */
static unsigned long rnd_index(void)
{
	static const unsigned long base[] = {
		0, 0, 0, 1UL << 40, 0x5a5a5a5a5a00UL, 1UL << 63,
		ULONG_MAX - 0xffff,
	};

	if (rnd() % 256 == 0)
		return rnd();			/* anywhere */
	return base[rnd() % (sizeof(base) / sizeof(base[0]))] + rnd() % 0x10000;
}

static unsigned int rnd_order(void)
{
	static const unsigned int pick[] = { 0, 0, 0, 0, 1, 2, 3, 5, 6, 7, 9, 9, 12, 14 };

	if (rnd() % 200 == 0)
		return (unsigned int)(rnd() % 64);
	return pick[rnd() % (sizeof(pick) / sizeof(pick[0]))];
}

static void compare_all(const struct xarray *xa)
{
	unsigned long idx, prev = 0, n = 0;
	bool first = true;
	void *e;

	xa_for_each(xa, idx, e) {
		struct ref *r = ref_find(idx);

		assert_non_null(r);
		assert_int_equal(r->start, idx);
		assert_ptr_equal(r->entry, e);
		assert_true(first || idx > prev);
		first = false;
		prev = idx;
		n++;
	}
	assert_int_equal(n, nr_refs);
	assert_int_equal(xa_count(xa), nr_refs);
}

static void test_random(void **state)
{
	struct xarray xa;
	unsigned long op, serial = 1;

	(void)state;
	/* XA_SEED=n reruns with another seed */
	if (getenv("XA_SEED"))
		rng = strtoull(getenv("XA_SEED"), NULL, 0) | 1;
	xa_init(&xa);
	nr_refs = 0;
	for (op = 0; op < 30000; op++) {
		unsigned int order = rnd_order();
		unsigned long index = rnd_index(), s;
		int kind = (int)(rnd() % 16), mark = (int)(rnd() % XA_MAX_MARKS);
		struct ref *r;

		/* lookups and erases: half the time aim inside an entry */
		if (kind > 4 && nr_refs && rnd() & 1) {
			r = &refs[rnd() % nr_refs];
			index = r->start + rnd() % (r->last - r->start + 1);
		}
		s = index & ~mask(order);
		r = ref_find(index);
		void *e = (rnd() & 1) ? xa_mk_value(serial++) :
					OBJ(serial++ % 64);

		switch (kind) {
		case 0: case 1: case 2: case 3: {
			int ret;

			ret = xa_store_order(&xa, s, order, e);
			assert_int_equal(ret, 0);
			ref_store(s, order, e);
			break;
		}
		case 4:
			assert_int_equal(xa_insert_order(&xa, s, order, e),
					 ref_first(s, s + mask(order), -1) ?
					 -EBUSY : 0);
			if (!ref_first(s, s + mask(order), -1))
				ref_store(s, order, e);
			break;
		case 5: case 6:
			assert_ptr_equal(xa_erase(&xa, index), r ? r->entry : NULL);
			if (r)
				ref_del(r);
			break;
		case 7:
			if (r) {
				index = r->start + rnd() % (r->last - r->start + 1);
				xa_set_mark(&xa, index, mark);
				r->marks |= 1U << mark;
			}
			break;
		case 8:
			xa_clear_mark(&xa, index, mark);
			if (r)
				r->marks &= ~(1U << mark);
			break;
		case 9: {
			struct ref *c = ref_first(s, s + mask(order), -1);

			assert_ptr_equal(xa_find_conflict(&xa, index, order),
					 c ? c->entry : NULL);
			break;
		}
		case 10: {
			unsigned long i = index, max = index + rnd() % (1UL << 20);
			int m = rnd() & 1 ? XA_PRESENT : mark;
			struct ref *c;

			if (max < index)
				max = ULONG_MAX;
			c = ref_first(index, max, m);
			e = xa_find(&xa, &i, max, m);
			assert_ptr_equal(e, c ? c->entry : NULL);
			if (c)
				assert_int_equal(i, c->start);
			break;
		}
		case 11: {
			unsigned long i = 0;
			struct ref *c = ref_first(0, ULONG_MAX, mark);

			e = xa_find(&xa, &i, ULONG_MAX, mark);
			assert_ptr_equal(e, c ? c->entry : NULL);
			assert_int_equal(xa_marked(&xa, mark), c != NULL);
			break;
		}
		case 12:
			if (r)
				assert_int_equal(xa_replace(&xa, index, e), r->entry);
			else
				assert_null(xa_replace(&xa, index, e));
			if (r)
				r->entry = e;
			break;
		default:
			assert_ptr_equal(xa_load(&xa, index), r ? r->entry : NULL);
			assert_int_equal(xa_get_order(&xa, index), r ? r->order : 0);
			assert_int_equal(xa_get_mark(&xa, index, mark),
					 r ? r->marks >> mark & 1 : 0);
			break;
		}
		check(&xa);
		if (op % 500 == 0)
			compare_all(&xa);
	}
	compare_all(&xa);
	print_message("random: %zu entries, %lu nodes at the end\n", nr_refs,
		      xa.nr_nodes);
	while (nr_refs) {
		assert_ptr_equal(xa_erase(&xa, refs[0].start + rnd() %
				 (refs[0].last - refs[0].start + 1)), refs[0].entry);
		ref_del(&refs[0]);
		check(&xa);
	}
	assert_true(xa_empty(&xa));
	assert_int_equal(xa.nr_nodes, 0);
	xa_destroy(&xa, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_store_load_order0),
		cmocka_unit_test(test_multi_order_load),
		cmocka_unit_test(test_multi_order_erase_inside),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_seed003),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_iteration),
		cmocka_unit_test(test_values_and_errors),
		cmocka_unit_test(test_shrink_regrow),
		cmocka_unit_test(test_check_detects),
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
