/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for MADV_COLLAPSE (mm/khugepaged.c) and vmsplice pins
 * (fs/pipe.c): the reference counts around a collapse, the frames it frees,
 * and a pipe's page references outliving the mapping they came from.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "mm_test.h"

#include "memfail/fs.h"
#include "memfail/huge_mm.h"
#include "memfail/mm.h"

#define RW (VM_READ | VM_WRITE)

static struct machine *mk(int thp)
{
	struct machine *m = mk_machine(64);

	m->thp.enabled = thp;
	return m;
}

/* A 2M-aligned anonymous region of base pages (THP off), one byte per page. */
static uint64_t small_pages(struct task_struct *t)
{
	uint64_t a, i;

	assert_int_equal(do_mmap(t, 2 * HPAGE_PMD_SIZE, RW, NULL, 0, false, &a), 0);
	a = (a + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	for (i = 0; i < HPAGE_PMD_NR; i++)
		store(t, a + (i << PAGE_SHIFT), (uint8_t)(i + 1));
	lru_add_drain(t->m);
	return a;
}

static void test_collapse_counts(void **state)
{
	struct machine *m = mk(0);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = small_pages(t), free_before, i;
	struct page *old = page_at(t, a), *head;

	(void)state;
	free_before = nr_free_pages(m);
	assert_int_equal(do_madvise(t, a, HPAGE_PMD_SIZE, MADV_COLLAPSE), 0);
	head = page_at(t, a);
	assert_true(PageTransHuge(head));
	assert_ptr_not_equal(head, old);
	assert_int_equal(head->_refcount, 1);	/* the PMD's */
	assert_int_equal(total_mapcount(head), 1);
	assert_int_equal(old->_refcount, 0);	/* every source page went back */
	assert_int_equal(nr_free_pages(m), free_before);
	for (i = 0; i < HPAGE_PMD_NR; i++)
		assert_int_equal(load(t, a + (i << PAGE_SHIFT)), (uint8_t)(i + 1));
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

static void test_collapse_refuses_pinned_then_allows(void **state)
{
	struct machine *m = mk(0);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = small_pages(t);
	struct file *pipe = create_pipe_file(m);
	struct page *pinned = page_at(t, a + 5 * PAGE_SIZE);

	(void)state;
	assert_int_equal(do_vmsplice(t, pipe, a + 5 * PAGE_SIZE, PAGE_SIZE), PAGE_SIZE);
	assert_int_equal(pinned->_refcount, 2);
	assert_int_equal(do_madvise(t, a, HPAGE_PMD_SIZE, MADV_COLLAPSE), -EAGAIN);
	assert_ptr_equal(page_at(t, a + 5 * PAGE_SIZE), pinned);
	fput(pipe);
	assert_int_equal(pinned->_refcount, 1);
	assert_int_equal(do_madvise(t, a, HPAGE_PMD_SIZE, MADV_COLLAPSE), 0);
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

static void test_pipe_outlives_mapping(void **state)
{
	struct machine *m = mk(0);
	struct task_struct *t = task_create(m, "A");
	struct file *pipe = create_pipe_file(m);
	struct page *p;
	uint64_t a;

	(void)state;
	assert_int_equal(do_mmap(t, 4 * PAGE_SIZE, RW, NULL, 0, false, &a), 0);
	store(t, a, 0x41);
	lru_add_drain(m);	/* the per-CPU batch holds a reference too */
	p = page_at(t, a);
	assert_int_equal(do_vmsplice(t, pipe, a, 4 * PAGE_SIZE), 4 * PAGE_SIZE);
	assert_int_equal(do_vmsplice(t, pipe, a, 13 * PAGE_SIZE), -EINVAL);	/* 16 buffers */
	assert_int_equal(do_munmap(t, a, 4 * PAGE_SIZE), 0);
	assert_int_equal(p->_refcount, 1);	/* only the pipe holds it now */
	assert_false(is_free_buddy_page(m, p));
	assert_int_equal(check_invariants(m, stderr), 0);
	fput(pipe);
	assert_int_equal(p->_refcount, 0);
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collapse_counts),
		cmocka_unit_test(test_collapse_refuses_pinned_then_allows),
		cmocka_unit_test(test_pipe_outlives_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
