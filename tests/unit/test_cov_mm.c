/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small entry points of mm/ that no scenario reaches through the back end:
 * madvise argument checks, the hugetlb overcommit pool and reclaim of pages
 * it must keep.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm_test.h"

#include "memfail/huge_mm.h"
#include "memfail/mm.h"
#include "memfail/sched.h"

#define RW (VM_READ | VM_WRITE)

static void test_madvise_args(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr = map(t, 2 * PAGE_SIZE, RW);

	(void)state;
	store(t, addr, 1);
	assert_int_equal(do_madvise(t, addr + 1, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	assert_int_equal(do_madvise(t, addr, PAGE_SIZE, 12345), -EINVAL);
	assert_int_equal(load(t, addr), 1);	/* nothing happened */
	ok(m);
	machine_destroy(m);
}

/* nr_overcommit_hugepages: surplus pages come from buddy and go back to it. */
static void test_hugetlb_surplus(void **state)
{
	struct machine *m = mk_machine(32);
	struct hstate *h = &m->hstate;
	uint64_t free0 = nr_free_pages(m);
	struct page *p, *q;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 0, 1), 0);
	p = alloc_huge_page(m, false);
	assert_non_null(p);
	assert_int_equal(h->nr_huge_pages, 1);
	assert_int_equal(h->surplus_huge_pages, 1);
	q = alloc_huge_page(m, false);	/* overcommit used up */
	assert_null(q);
	ok(m);
	put_page(m, p);
	assert_int_equal(h->nr_huge_pages, 0);
	assert_int_equal(h->surplus_huge_pages, 0);
	assert_int_equal(nr_free_pages(m), free0);
	ok(m);
	machine_destroy(m);
}

/* Pages reclaim must leave alone: poisoned, mlocked, off the LRU. */
static void test_reclaim_keeps(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr = map(t, 2 * PAGE_SIZE, RW | VM_LOCKED);
	struct page *slab = slab_alloc_page(m);

	(void)state;
	store(t, addr, 7);
	assert_int_equal(reclaim_page(m, page_at(t, addr)), -EAGAIN);
	assert_non_null(slab);
	assert_int_equal(reclaim_page(m, slab), -EAGAIN);
	assert_int_equal(load(t, addr), 7);
	ok(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_madvise_args),
		cmocka_unit_test(test_hugetlb_surplus),
		cmocka_unit_test(test_reclaim_keeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
