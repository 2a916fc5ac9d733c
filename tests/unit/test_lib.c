// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/: ARRAY_SIZE, the growable arrays and their one out-of-memory policy,
 * ptr_array, u64map, page tables (mm/pgtable.c), the machine arenas' reuse,
 * and printk's pr_fmt prefixes.
 */
#define pr_fmt(fmt) "Test prefix: " fmt

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memfail/arena.h"	/* its macros send this file's allocations by address: as before */
#include "memfail/array.h"
#include "memfail/ptr_array.h"
#include "memfail/pgtable.h"
#include "memfail/printk.h"
#include "memfail/u64map.h"
#include "mm_test.h"

static void test_array_size_and_push(void **state)
{
	static const int five[5];
	int *arr = NULL, nr = 0, cap = 0, i;

	(void)state;
	assert_int_equal(ARRAY_SIZE(five), 5);
	for (i = 0; i < 1000; i++)
		ARRAY_PUSH(arr, nr, cap, i * 3, "testing ARRAY_PUSH");
	assert_int_equal(nr, 1000);
	assert_true(cap >= 1000 && cap < 2000);	/* doubling, not one at a time */
	for (i = 0; i < 1000; i++)
		assert_int_equal(arr[i], i * 3);
	free(arr);
}

static jmp_buf oom_jmp;
static const char *oom_what;

static void oom_catch(const char *what)
{
	oom_what = what;
	longjmp(oom_jmp, 1);
}

/* An impossible size reaches the handler with what the model was doing. */
static void test_oom_policy(void **state)
{
	mf_oom_handler_t old = mf_set_oom_handler(oom_catch);
	void *volatile p = NULL;

	(void)state;
	oom_what = NULL;
	if (!setjmp(oom_jmp))
		p = xrealloc_array(NULL, SIZE_MAX / 2, 4, "sizing an impossible array");
	assert_null(p);
	assert_string_equal(oom_what, "sizing an impossible array");
	assert_ptr_equal(mf_set_oom_handler(old), oom_catch);
}

static void test_ptr_array(void **state)
{
	int vals[6], i;
	void **arr = NULL;
	int nr = 0, cap = 0;

	(void)state;
	for (i = 0; i < 6; i++)
		ptr_push(&arr, &nr, &cap, &vals[i], "testing ptr_push");
	assert_int_equal(nr, 6);
	ptr_del(arr, &nr, 0);
	ptr_remove(arr, &nr, &vals[3]);
	ptr_remove(arr, &nr, &vals[0]);	/* not there any more: nothing happens */
	assert_int_equal(nr, 4);
	/* removal keeps the order: rmap walks and ksmd depend on it */
	assert_ptr_equal(arr[0], &vals[1]);
	assert_ptr_equal(arr[1], &vals[2]);
	assert_ptr_equal(arr[2], &vals[4]);
	assert_ptr_equal(arr[3], &vals[5]);
	ptr_array_reserve(&arr, &cap, nr, "testing ptr_array_reserve");
	assert_true(cap > nr);
	free(arr);
}

static void test_u64map(void **state)
{
	struct u64map mp;
	uint64_t k;

	(void)state;
	u64map_init(&mp);
	assert_null(u64map_slot(&mp, 1));
	assert_false(u64map_del(&mp, 1));
	for (k = 0; k < 5000; k++)
		u64map_put(&mp, k * 7919, k);
	assert_int_equal(mp.nr, 5000);
	for (k = 0; k < 5000; k += 2)
		assert_true(u64map_del(&mp, k * 7919));
	/* tombstones are reused and rehashed away; survivors keep their values */
	for (k = 0; k < 20000; k++) {
		u64map_put(&mp, 1ULL << 40 | k, k);
		assert_true(u64map_del(&mp, 1ULL << 40 | k));
	}
	for (k = 0; k < 5000; k++) {
		uint64_t *v = u64map_slot(&mp, k * 7919);
		if (k % 2) {
			assert_non_null(v);
			assert_int_equal(*v, k);
		} else {
			assert_null(v);
		}
	}
	assert_int_equal(mp.nr, 2500);
	assert_true(mp.cap <= 16384);	/* churn does not grow it without bound */
	u64map_put(&mp, 7919, 42);	/* replace */
	assert_int_equal(*u64map_slot(&mp, 7919), 42);
	assert_int_equal(mp.nr, 2500);
	u64map_free(&mp);
}

/*
 * Page tables: an entry set is found, a none entry is NULL, the count follows
 * sets and clears, an emptied block stays (an entry pointer stays valid), a
 * 2M range reads as none when all its blocks are empty, and a walk gives
 * every entry once, each block's in ascending order.
 */
static void test_pgtable(void **state)
{
	static const uint64_t vpns[] = { 0, 1, 63, 64, 65, 512, 1ULL << 30, (1ULL << 30) + 7, 1ULL << 35 };
	struct page_table pt;
	struct pt_iter it = { 0 };
	uint64_t vpn, seen = 0, last = 0, i;
	pte_t *p, *keep;

	(void)state;
	pt_init(&pt);
	assert_null(pt_lookup(&pt, 5));
	assert_null(pt_block(&pt, 5));
	pt_set(&pt, 5, 0);	/* clearing nothing makes no block */
	assert_null(pt_block(&pt, 5));
	for (i = 0; i < ARRAY_SIZE(vpns); i++)
		pt_set(&pt, vpns[i], (vpns[i] << 12) | 1);
	assert_int_equal(pt.nr, ARRAY_SIZE(vpns));
	for (i = 0; i < ARRAY_SIZE(vpns); i++) {
		p = pt_lookup(&pt, vpns[i]);
		assert_non_null(p);
		assert_int_equal(*p, (vpns[i] << 12) | 1);
	}
	assert_null(pt_lookup(&pt, 2));
	pt_set(&pt, 1, 0x2001);	/* replace: the count stays */
	assert_int_equal(pt.nr, ARRAY_SIZE(vpns));
	while (pt_next(&pt, &it, &vpn, &p)) {
		if (vpn / PTES_PER_BLOCK == last / PTES_PER_BLOCK && seen)
			assert_true(vpn > last);
		assert_ptr_equal(p, pt_lookup(&pt, vpn));
		last = vpn;
		seen++;
	}
	assert_int_equal(seen, ARRAY_SIZE(vpns));
	assert_false(pt_range_none(&pt, 0, PTRS_PER_PTE));
	assert_false(pt_range_none(&pt, 512, PTRS_PER_PTE));
	keep = pt_lookup(&pt, 512);
	pt_set(&pt, 512, 0);
	assert_null(pt_lookup(&pt, 512));
	assert_true(pt_range_none(&pt, 512, PTRS_PER_PTE));
	assert_non_null(pt_block(&pt, 512));	/* empty, kept */
	assert_true(pt_block_empty(pt_block(&pt, 512)));
	assert_ptr_equal(keep, &pt_block(&pt, 512)->pte[0]);
	assert_int_equal(pt.nr, ARRAY_SIZE(vpns) - 1);
	pt_free(&pt);
	assert_int_equal(pt.nr, 0);
	assert_null(pt_lookup(&pt, 0));
}

/* The last arena destroyed comes back for the next one: empty, and what it allocates is as new. */
static void test_arena_reuse(void **state)
{
	struct mf_arena *a = mf_arena_create(), *b;
	size_t fresh = mf_arena_used(a);
	unsigned char *p, *q;
	size_t i;

	(void)state;
	mf_arena_enter(a);
	p = malloc(4000);
	memset(p, 0xab, 4000);
	mf_arena_enter(NULL);
	assert_true(mf_arena_used(a) > fresh);
	mf_arena_destroy(a);
	b = mf_arena_create();
	assert_int_equal(mf_arena_used(b), fresh);
	mf_arena_enter(b);
	q = calloc(1, 4000);
	mf_arena_enter(NULL);
	assert_ptr_equal(q, p);	/* the same bytes of host memory, backed already */
	for (i = 0; i < 4000; i++)
		assert_int_equal(q[i], 0);
	free(q);	/* by address: to b's free list, though b is not current */
	mf_arena_destroy(b);
}

/* pr_* put the file's pr_fmt in front and keep the level; printk does not. */
static void test_pr_fmt(void **state)
{
	struct machine *m = mk_machine(16);
	const char *line;
	int level;

	(void)state;
	while (printk_next_line(m, NULL))
		;	/* boot messages */
	pr_err(m, "%#lx: something", 0x1234UL);
	pr_info(m, "no arguments");
	printk(m, KERN_WARNING, "plain %d", 7);
	line = printk_next_line(m, &level);
	assert_string_equal(line, "Test prefix: 0x1234: something");
	assert_int_equal(level, KERN_ERR);
	line = printk_next_line(m, &level);
	assert_string_equal(line, "Test prefix: no arguments");
	assert_int_equal(level, KERN_INFO);
	line = printk_next_line(m, &level);
	assert_string_equal(line, "plain 7");
	assert_int_equal(level, KERN_WARNING);
	assert_null(printk_next_line(m, NULL));
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_size_and_push),
		cmocka_unit_test(test_oom_policy),
		cmocka_unit_test(test_ptr_array),
		cmocka_unit_test(test_u64map),
		cmocka_unit_test(test_pgtable),
		cmocka_unit_test(test_arena_reuse),
		cmocka_unit_test(test_pr_fmt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
