/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Soft offline of huge pages and unpoison of hugetlb folios
 * (mm/memory-failure-offline.c, mm/migrate_hugetlb.c,
 * mm/memory-failure-unpoison.c): every huge mapping moves to the new folio
 * with its reference and mapcount, the pool's counters (a pool folio, a
 * temporary one), a busy folio and no memory fail as 6.1 does, a pinned THP
 * is not split, and unpoison of a free poisoned folio clears every raw page.
 * The cases a real kernel can run are scenarios in tests/scenarios/offline/.
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

static uint64_t pfn_at(struct task_struct *t, uint64_t addr)
{
	pte_t *p = pte_lookup(t->mm, addr);

	assert_non_null(p);
	assert_true(pte_present(*p));
	return pte_pfn(*p);
}

/* A 2M private hugetlb region whose page i holds i + 1 at offset i. */
static uint64_t hugetlb_region(struct task_struct *t)
{
	uint64_t a = map(t, HPAGE_PMD_SIZE, RW | VM_HUGETLB), i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		store(t, a + (i << PAGE_SHIFT) + i, (uint8_t)(i + 1));
	return a;
}

static void check_region(struct task_struct *t, uint64_t a)
{
	uint64_t i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		assert_int_equal(load(t, a + (i << PAGE_SHIFT) + i), (uint8_t)(i + 1));
}

/* Every 4K entry of the huge mapping at a maps new's subpage, as a huge PTE. */
static void check_huge_ptes(struct task_struct *t, uint64_t a, uint64_t newpfn)
{
	uint64_t i;

	for (i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t p = *pte_lookup(t->mm, a + (i << PAGE_SHIFT));
		assert_true(pte_huge(p));
		assert_int_equal(pte_pfn(p), newpfn + i);
	}
}

static void test_mappings_move(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t"), *c;
	struct hstate *h = &m->hstate;
	struct page *old, *new;
	uint64_t a, raw;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 4, 0), 0);
	a = hugetlb_region(t);
	c = task_fork(t, "c");	/* COW-shared: two huge mappings of one folio */
	old = pfn_to_page(m, pfn_at(t, a));
	assert_int_equal(*compound_mapcount_ptr(old), 2);
	raw = page_to_pfn(m, old) + 3;
	assert_int_equal(sysfs_soft_offline_page(m, raw << PAGE_SHIFT), 0);
	new = pfn_to_page(m, pfn_at(t, a));
	assert_ptr_not_equal(new, old);
	assert_true(PageHuge(new));
	assert_int_equal(*compound_mapcount_ptr(new), 2);
	assert_int_equal(new->_refcount, 2);	/* one per mapping */
	check_huge_ptes(t, a, page_to_pfn(m, new));
	check_huge_ptes(c, a, page_to_pfn(m, new));
	/* the old folio was dissolved: the raw page retired, the rest back in buddy */
	assert_false(PageCompound(old));
	assert_true(PageFlag(pfn_to_page(m, raw), PG_hwpoison));
	assert_int_equal(pfn_to_page(m, raw)->_refcount, 1);
	assert_false(PageFlag(old, PG_hwpoison));
	assert_true(is_free_buddy_page(m, old));
	assert_int_equal(m->num_poisoned_pages, 1);
	assert_int_equal(h->nr_huge_pages, 3);
	assert_int_equal(h->free_huge_pages, 2);
	ok(m);
	check_region(t, a);
	check_region(c, a);
	store(c, a, 0x41);	/* still COW: the child copies */
	assert_int_equal(load(t, a), 1);
	assert_int_equal(unpoison_memory(m, raw), 0);
	assert_int_equal(m->num_poisoned_pages, 0);
	ok(m);
	machine_destroy(m);
}

static void test_temporary_target(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	struct hstate *h = &m->hstate;
	struct page *new;
	uint64_t a, old;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 1, 0), 0);
	a = hugetlb_region(t);
	old = pfn_at(t, a);
	assert_int_equal(h->free_huge_pages, 0);
	assert_int_equal(soft_offline_page(m, old, 0), 0);
	new = pfn_to_page(m, pfn_at(t, a));
	assert_int_not_equal(page_to_pfn(m, new), old);
	/* the new folio is an ordinary pool page now; the old one left as the temporary one */
	assert_int_equal(new->private, 0);
	assert_int_equal(h->nr_huge_pages, 1);
	assert_int_equal(h->free_huge_pages, 0);
	assert_int_equal(h->surplus_huge_pages, 0);
	assert_true(PageFlag(pfn_to_page(m, old), PG_hwpoison));
	ok(m);
	check_region(t, a);
	assert_int_equal(do_munmap(t, a, HPAGE_PMD_SIZE), 0);
	assert_int_equal(h->free_huge_pages, 1);	/* it goes back to the pool, not to buddy */
	ok(m);
	machine_destroy(m);
}

static void test_busy_folio(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	struct hstate *h = &m->hstate;
	struct page *head;
	uint64_t a;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 2, 0), 0);
	a = hugetlb_region(t);
	head = pfn_to_page(m, pfn_at(t, a));
	get_page(head);		/* a pin: migration expects only the mapping's and its own */
	logged(m, "");
	assert_int_equal(soft_offline_page(m, page_to_pfn(m, head) + 1, 0), -EBUSY);
	assert_true(logged(m, "hugepage migration failed 1, type"));
	assert_int_equal(pfn_at(t, a), page_to_pfn(m, head));
	assert_int_equal(head->_refcount, 2);
	assert_int_equal(h->nr_huge_pages, 2);
	assert_int_equal(h->free_huge_pages, 1);	/* each pass's target went back */
	assert_int_equal(m->num_poisoned_pages, 0);
	put_page(m, head);
	ok(m);
	machine_destroy(m);
}

static void test_no_memory(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	uint64_t a, old;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 1, 0), 0);
	a = hugetlb_region(t);
	old = pfn_at(t, a);
	while (alloc_pages(m, HPAGE_PMD_ORDER))
		;	/* no 2M block left for a temporary folio */
	logged(m, "");
	assert_int_equal(soft_offline_page(m, old, 0), -ENOMEM);
	assert_true(logged(m, "hugepage migration failed -12"));
	assert_int_equal(pfn_at(t, a), old);
	assert_false(PageFlag(pfn_to_page(m, old), PG_hwpoison));
	assert_int_equal(m->num_poisoned_pages, 0);
	assert_int_equal(m->hstate.nr_huge_pages, 1);
	check_region(t, a);
	ok(m);
	machine_destroy(m);
}

static void test_pinned_thp_not_split(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "t");
	uint64_t a = map(t, HPAGE_PMD_SIZE, RW | VM_HUGEPAGE), i;
	struct page *head;

	(void)state;
	for (i = 0; i < HPAGE_PMD_NR; i++)
		store(t, a + (i << PAGE_SHIFT), (uint8_t)(i + 1));
	head = pfn_to_page(m, pfn_at(t, a));
	assert_true(PageTransHuge(head));
	get_page(head);		/* an extra pin, e.g. RDMA */
	logged(m, "");
	assert_int_equal(sysfs_soft_offline_page(m, (page_to_pfn(m, head) + 9) << PAGE_SHIFT), -EBUSY);
	assert_true(logged(m, "thp split failed"));
	assert_true(PageTransHuge(head));
	assert_int_equal(head->_refcount, 2);	/* the mapping's and the pin; soft offline's is gone */
	assert_false(PageFlag(head + 9, PG_hwpoison));
	assert_int_equal(m->num_poisoned_pages, 0);
	put_page(m, head);
	ok(m);
	/* without the pin: split, and only that page moves */
	assert_int_equal(sysfs_soft_offline_page(m, (page_to_pfn(m, head) + 9) << PAGE_SHIFT), 0);
	assert_false(PageTransHuge(head));
	assert_int_equal(pfn_at(t, a), page_to_pfn(m, head));
	assert_int_not_equal(pfn_at(t, a + 9 * PAGE_SIZE), page_to_pfn(m, head) + 9);
	assert_int_equal(load(t, a + 9 * PAGE_SIZE), 10);
	ok(m);
	machine_destroy(m);
}

static void test_unpoison_free_folio(void **state)
{
	struct machine *m = mk();
	struct hstate *h = &m->hstate;
	struct page *head;
	uint64_t pfn;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 1, 0), 0);
	assert_int_equal(hugetlb_reserve_pages(m, 1), 0);	/* so it cannot be dissolved */
	head = find_free_huge_page(m);
	pfn = page_to_pfn(m, head);
	assert_int_equal(memory_failure(m, pfn + 2, MF_SW_SIMULATED), -EBUSY);
	assert_int_equal(memory_failure(m, pfn + 7, MF_SW_SIMULATED), -EHWPOISON);
	assert_int_equal(m->num_poisoned_pages, 2);	/* both raw pages count */
	assert_true(PageFlag(head, PG_hwpoison));
	assert_int_equal(h->free_huge_pages, 1);
	ok(m);
	assert_int_equal(unpoison_memory(m, pfn + 2), -EBUSY);	/* only the head has the flag */
	assert_int_equal(unpoison_memory(m, pfn), 0);
	assert_int_equal(m->num_poisoned_pages, 0);
	assert_false(PageFlag(head, PG_hwpoison));
	assert_false(PageFlag(head + 2, PG_raw_hwp));
	assert_false(PageFlag(head + 7, PG_raw_hwp));
	assert_int_equal(unpoison_memory(m, pfn), -EBUSY);
	assert_ptr_equal(alloc_huge_page(m, true), head);	/* handed out again */
	put_page(m, head);
	ok(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mappings_move),
		cmocka_unit_test(test_temporary_target),
		cmocka_unit_test(test_busy_folio),
		cmocka_unit_test(test_no_memory),
		cmocka_unit_test(test_pinned_thp_not_split),
		cmocka_unit_test(test_unpoison_free_folio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
