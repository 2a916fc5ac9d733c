// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/: ARRAY_SIZE, the growable arrays and their one out-of-memory policy,
 * ptr_array, u64map, and printk's pr_fmt prefixes.
 */
#define pr_fmt(fmt) "Test prefix: " fmt

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "memfail/array.h"
#include "memfail/ptr_array.h"
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
		cmocka_unit_test(test_pr_fmt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
