/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for KSM (mm/ksm.c): when pages merge (the second scan, equal
 * content, mergeable areas only), the KSM page's refcount and mapcount, the
 * stable node across fork, COW, unmerge and exit, and the rmap walk.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "mm_test.h"

#include "memfail/ksm.h"
#include "memfail/mm.h"

#define RW (VM_READ | VM_WRITE)

static uint64_t pfn_at(struct task_struct *t, uint64_t addr)
{
	pte_t *p = pte_lookup(t->mm, addr);

	return p && pte_present(*p) ? pte_pfn(*p) : NO_PFN;
}

/* A private region of n pages, every 512th byte of page i set to v[i] (the rest zero). */
static uint64_t region(struct task_struct *t, int n, const uint8_t *v, bool mergeable)
{
	uint64_t addr = 0;

	assert_int_equal(do_mmap(t, (uint64_t)n * PAGE_SIZE, RW, NULL, 0, false, &addr), 0);
	for (int i = 0; i < n; i++)
		for (uint64_t b = 0; b < PAGE_SIZE; b += 512)
			store(t, addr + (uint64_t)i * PAGE_SIZE + b, v[i]);
	if (mergeable)
		assert_int_equal(do_madvise(t, addr, (uint64_t)n * PAGE_SIZE, MADV_MERGEABLE), 0);
	return addr;
}

static void test_merge_needs_two_scans(void **state)
{
	static const uint8_t same[2] = { 0x5a, 0x5a }, other[1] = { 0x11 };
	struct machine *m = mk_machine(64);
	struct task_struct *a = task_create(m, "a"), *b = task_create(m, "b");
	uint64_t x = region(a, 2, same, true), y = region(b, 1, same, true);
	uint64_t z = region(b, 1, other, true), u = region(a, 1, same, false), kpfn;
	struct page *k;

	(void)state;
	/* the first scan only records checksums */
	assert_int_equal(ksm_run_scans(m, 1), 1);
	assert_int_not_equal(pfn_at(a, x), pfn_at(b, y));
	ok(m);
	assert_int_equal(ksm_run_scans(m, 1), 1);
	kpfn = pfn_at(a, x);
	assert_int_equal(pfn_at(a, x + PAGE_SIZE), kpfn);
	assert_int_equal(pfn_at(b, y), kpfn);
	k = pfn_to_page(m, kpfn);
	assert_true(PageKsm(k));
	assert_true(PageAnon(k));
	assert_null(page_anon_vma(k));
	assert_int_equal(k->_mapcount, 3);
	assert_int_equal(k->_refcount, 3);	/* one per PTE; the stable node holds none */
	assert_true(PageFlag(k, PG_dirty));
	assert_false(PageFlag(k, PG_anon_exclusive));
	assert_false(*pte_lookup(a->mm, x) & (PTE_WRITE | PTE_DIRTY));
	/* different content, and a region never advised, stay apart */
	assert_false(PageKsm(pfn_to_page(m, pfn_at(b, z))));
	assert_int_not_equal(pfn_at(a, u), kpfn);
	ok(m);
	machine_destroy(m);
}

static void test_cow_fork_exit(void **state)
{
	static const uint8_t same[1] = { 0x77 };
	struct machine *m = mk_machine(64);
	struct task_struct *a = task_create(m, "a"), *b = task_create(m, "b"), *c;
	uint64_t x = region(a, 1, same, true), y = region(b, 1, same, true), kpfn;
	struct page *k;
	uint8_t v = 0;

	(void)state;
	assert_int_equal(ksm_run_scans(m, 2), 2);
	kpfn = pfn_at(a, x);
	k = pfn_to_page(m, kpfn);
	assert_int_equal(pfn_at(b, y), kpfn);
	c = task_fork(a, "c");
	assert_non_null(c);
	assert_int_equal(pfn_at(c, x), kpfn);
	assert_int_equal(k->_mapcount, 3);
	ok(m);
	/* a write copies, whoever maps it, even the last mapper */
	store(b, y + 1, 0x01);
	assert_int_not_equal(pfn_at(b, y), kpfn);
	assert_int_equal(k->_mapcount, 2);
	do_exit_group(c, 0, 0);
	task_release(c);
	assert_int_equal(k->_mapcount, 1);
	assert_int_equal(k->_refcount, 1);
	store(a, x, 0x02);
	assert_int_not_equal(pfn_at(a, x), kpfn);
	assert_int_equal(access_user(a, x + 512, &v, false), 0);
	assert_int_equal(v, 0x77);
	/* the KSM page was freed, and its stable node with it */
	assert_true(PageFlag(k, PG_buddy) || k->_refcount == 0);
	assert_false(PageKsm(k));
	ok(m);
	machine_destroy(m);
}

static bool count_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	(void)page;
	(void)vma;
	(void)addr;
	(*(int *)arg)++;
	return true;
}

static void test_unmerge_and_rmap(void **state)
{
	static const uint8_t same[2] = { 0x33, 0x33 };
	struct machine *m = mk_machine(64);
	struct task_struct *a = task_create(m, "a"), *b = task_create(m, "b");
	uint64_t x = region(a, 2, same, true), y = region(b, 2, same, true), kpfn;
	int n = 0;

	(void)state;
	assert_int_equal(ksm_run_scans(m, 2), 2);
	kpfn = pfn_at(a, x);
	rmap_walk(m, pfn_to_page(m, kpfn), count_one, &n);
	assert_int_equal(n, 4);
	/* unmerge one page of a: only it gets a private copy */
	assert_int_equal(do_madvise(a, x, PAGE_SIZE, MADV_UNMERGEABLE), 0);
	assert_int_not_equal(pfn_at(a, x), kpfn);
	assert_false(PageKsm(pfn_to_page(m, pfn_at(a, x))));
	assert_int_equal(pfn_to_page(m, kpfn)->_mapcount, 3);
	/* the area is no longer mergeable: later scans leave it */
	assert_int_equal(ksm_run_scans(m, 2), 2);
	assert_int_not_equal(pfn_at(a, x), kpfn);
	assert_int_equal(pfn_at(b, y + PAGE_SIZE), kpfn);
	ok(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_needs_two_scans),
		cmocka_unit_test(test_cow_fork_exit),
		cmocka_unit_test(test_unmerge_and_rmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
