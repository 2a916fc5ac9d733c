/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for huge pages (mm/huge_memory.c, mm/hugetlb.c): THP faults,
 * split_huge_page and its refcount rule, partial unmap and the deferred
 * split queue, memory_failure on THP subpages (split, or "unsplit thp" when
 * pinned), the hugetlb pool, dissolving free and in-use hugetlb pages.
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
#include "memfail/memory-failure.h"
#include "memfail/mm.h"

#define RW (VM_READ | VM_WRITE)

static struct machine *mk(void)
{
	return mk_machine(64);
}

/* Fill a THP region with one byte per 4K page. */
static uint64_t thp_region(struct task_struct *t)
{
	uint64_t a = map(t, HPAGE_PMD_SIZE, RW | VM_HUGEPAGE), i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		store(t, a + (i << PAGE_SHIFT), (uint8_t)(i + 1));
	return a;
}

static void test_struct_page_size(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct page), 64);
}

static void test_thp_fault_and_split(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	uint64_t a = thp_region(t), i;
	struct page *head = page_at(t, a);

	(void)state;
	assert_true(PageTransHuge(head));
	assert_true(pte_huge(*pte_lookup(t->mm, a + 0x5000)));
	assert_int_equal(head->_refcount, 1);
	assert_int_equal(total_mapcount(head), 1);
	ok(m);
	get_page(head);		/* the caller's reference */
	assert_true(can_split_huge_page(m, head, NULL));
	assert_int_equal(split_huge_page(m, head + 3), 0);
	assert_false(PageFlag(head, PG_head));
	assert_int_equal(head[3]._refcount, 2);	/* its PTE + the caller's */
	assert_int_equal(head[0]._refcount, 1);
	put_page(m, head + 3);
	for (i = 0; i < HPAGE_PMD_NR; i++)
		assert_int_equal(load(t, a + (i << PAGE_SHIFT)), (uint8_t)(i + 1));
	ok(m);
	machine_destroy(m);
}

static void test_thp_split_fails_when_pinned(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	uint64_t a = thp_region(t);
	struct page *head = page_at(t, a);

	(void)state;
	get_page(head);		/* an extra pin, e.g. RDMA or vfio */
	get_page(head);		/* the caller's */
	assert_int_equal(split_huge_page(m, head + 7), -EBUSY);
	put_page(m, head);
	/* memory_failure: "unsplit thp: Ignored", nobody signalled, still mapped */
	m->sysctl_memory_failure_early_kill = 1;
	assert_int_equal(memory_failure(m, page_to_pfn(m, head + 7), MF_SW_SIMULATED), -EBUSY);
	assert_true(PageFlag(&head[7], PG_hwpoison));
	assert_true(PageFlag(&head[1], PG_has_hwpoisoned));
	assert_true(PageTransHuge(head));
	assert_int_equal(m->nr_sigs, 0);
	assert_int_equal(load(t, a + 0x1000), 2);
	ok(m);
	put_page(m, head);	/* the pin goes */
	machine_destroy(m);
}

static void test_thp_memory_failure_tail(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	uint64_t a = thp_region(t), i;
	struct page *head = page_at(t, a);
	uint8_t v;

	(void)state;
	assert_int_equal(memory_failure(m, page_to_pfn(m, head + 9), MF_SW_SIMULATED), 0);
	assert_false(PageFlag(head, PG_head));
	assert_true(is_hwpoison_pte(*pte_lookup(t->mm, a + (9 << PAGE_SHIFT))));
	for (i = 0; i < HPAGE_PMD_NR; i++)
		if (i != 9)
			assert_int_equal(load(t, a + (i << PAGE_SHIFT)), (uint8_t)(i + 1));
	assert_int_equal(access_user(t, a + (9 << PAGE_SHIFT), &v, false), -1);
	assert_int_equal(m->num_poisoned_pages, 1);
	ok(m);
	machine_destroy(m);
}

static void test_thp_partial_unmap_deferred_split(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	uint64_t a = thp_region(t);
	struct page *head = page_at(t, a);
	uint64_t before;

	(void)state;
	assert_int_equal(do_munmap(t, a + HPAGE_PMD_SIZE / 2, HPAGE_PMD_SIZE / 2), 0);
	assert_true(PageTransHuge(head));	/* PTE-mapped, queued */
	assert_int_equal(*compound_mapcount_ptr(head), 0);
	assert_int_equal(m->thp.nr_deferred, 1);
	ok(m);
	before = nr_free_pages(m);
	assert_int_equal(deferred_split_scan(m), 1);
	assert_int_equal(nr_free_pages(m), before + HPAGE_PMD_NR / 2);
	assert_int_equal(load(t, a + 0x2000), 3);
	ok(m);
	machine_destroy(m);
}

static void test_thp_fork_cow(void **state)
{
	struct machine *m = mk();
	struct task_struct *p = task_create(m, "p"), *c;
	uint64_t a = thp_region(p);
	struct page *head = page_at(p, a);

	(void)state;
	c = task_fork(p, "c");
	assert_non_null(c);
	assert_int_equal(head->_refcount, 2);
	assert_int_equal(*compound_mapcount_ptr(head), 2);
	store(c, a + 0x1000, 0x41);	/* splits the child's PMD, copies one page */
	assert_int_equal(load(c, a + 0x1000), 0x41);
	assert_int_equal(load(p, a + 0x1000), 2);
	assert_int_equal(load(c, a + 0x2000), 3);
	ok(m);
	machine_destroy(m);
}

static void test_hugetlb_pool_and_dissolve(void **state)
{
	struct machine *m = mk();
	struct hstate *h = &m->hstate;
	struct page *free_head;
	uint64_t pfn;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 4, 1), 0);
	assert_int_equal(h->nr_huge_pages, 4);
	assert_int_equal(h->free_huge_pages, 4);
	ok(m);
	free_head = find_free_huge_page(m);
	pfn = page_to_pfn(m, free_head) + 5;
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), 0);
	assert_int_equal(h->nr_huge_pages, 3);
	assert_int_equal(h->free_huge_pages, 3);
	assert_true(PageFlag(pfn_to_page(m, pfn), PG_hwpoison));
	assert_false(PageFlag(free_head, PG_hwpoison));
	assert_int_equal(pfn_to_page(m, pfn)->_refcount, 1);
	assert_true(is_free_buddy_page(m, free_head));
	ok(m);
	/* overcommit: one surplus page beyond the pool, given back on unreserve */
	assert_int_equal(hugetlb_reserve_pages(m, 4), 0);
	assert_int_equal(h->surplus_huge_pages, 1);
	assert_int_equal(hugetlb_reserve_pages(m, 1), -ENOMEM);
	hugetlb_unreserve_pages(m, 4);
	assert_int_equal(h->surplus_huge_pages, 0);
	assert_int_equal(h->nr_huge_pages, 3);
	ok(m);
	machine_destroy(m);
}

static void test_hugetlb_in_use_anon(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	uint64_t a, i;
	struct vm_area_struct *vma;
	struct page *head;
	uint8_t v;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 2, 0), 0);
	a = map(t, HPAGE_PMD_SIZE, RW | VM_HUGETLB);
	vma = find_vma(t->mm, a);
	store(t, a + 0x4000, 0x5a);
	head = page_at(t, a);
	assert_true(PageHuge(head + 4));
	assert_int_equal(m->hstate.free_huge_pages, 1);
	ok(m);
	assert_int_equal(memory_failure(m, page_to_pfn(m, head + 4), MF_SW_SIMULATED), 0);
	assert_int_equal(m->hstate.nr_huge_pages, 1);
	assert_int_equal(m->hstate.free_huge_pages, 1);
	assert_true(PageFlag(head + 4, PG_hwpoison));
	assert_false(PageFlag(head, PG_hwpoison));
	for (i = 0; i < HPAGE_PMD_NR; i++)
		assert_true(is_hwpoison_pte(*pte_lookup(t->mm, a + (i << PAGE_SHIFT))));
	assert_int_equal(hugetlb_fault(vma, a + 0x100000, 0), VM_FAULT_HWPOISON_LARGE);
	assert_int_equal(access_user(t, a, &v, false), -1);
	ok(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_page_size),
		cmocka_unit_test(test_thp_fault_and_split),
		cmocka_unit_test(test_thp_split_fails_when_pinned),
		cmocka_unit_test(test_thp_memory_failure_tail),
		cmocka_unit_test(test_thp_partial_unmap_deferred_split),
		cmocka_unit_test(test_thp_fork_cow),
		cmocka_unit_test(test_hugetlb_pool_and_dissolve),
		cmocka_unit_test(test_hugetlb_in_use_anon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
