/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for shmem transparent huge pages: the 6.1 shmem_is_huge()
 * policies (within_size above all), 2M folios in the page cache, their PMD
 * mapping, split_huge_page of a file THP (refcounts and cache entries, pages
 * beyond EOF), the split refused when pinned, and the invariant checker on a
 * THP that could not be split.
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

static struct machine *mk(int shmem_huge)
{
	struct machine *m = mk_machine(64);

	m->thp.shmem_huge = shmem_huge;
	return m;
}

/* A tmpfs file of size bytes, written 4K at a time with page i holding i + 1. */
static struct inode *tmpfs_file(struct machine *m, const char *name, uint64_t size)
{
	struct inode *inode = fs_create(m, FS_TMPFS, name, 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t buf[PAGE_SIZE];
	uint64_t off;

	for (off = 0; off < size; off += PAGE_SIZE) {
		memset(buf, (int)((off >> PAGE_SHIFT) + 1), sizeof(buf));
		assert_int_equal(fs_pwrite(f, buf, PAGE_SIZE, off), PAGE_SIZE);
	}
	fput(f);
	return inode;
}

/* Map the file shared and read every page: a PMD where the mapping allows it. */
static uint64_t map_file(struct task_struct *t, struct inode *inode, uint64_t len)
{
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint64_t addr, i;

	assert_int_equal(do_mmap(t, len, RW | VM_SHARED, f, 0, false, &addr), 0);
	fput(f);
	for (i = 0; i < len; i += PAGE_SIZE)
		assert_int_equal(load(t, addr + i), (uint8_t)((i >> PAGE_SHIFT) + 1));
	return addr;
}

static void test_shmem_is_huge_policies(void **state)
{
	struct machine *m = mk(SHMEM_HUGE_WITHIN_SIZE);
	struct inode *inode = fs_create(m, FS_TMPFS, "w", 0);
	struct vm_area_struct advised = { .vm_flags = RW | VM_SHARED | VM_HUGEPAGE };
	struct vm_area_struct refused = { .vm_flags = RW | VM_SHARED | VM_NOHUGEPAGE };

	(void)state;
	/* within_size: the whole 2M range holding index must lie inside i_size */
	assert_false(shmem_is_huge(NULL, inode, 0));
	inode->i_size = (2ULL << 20) - 1;	/* rounded up to pages: 512 */
	assert_true(shmem_is_huge(NULL, inode, 0));
	assert_true(shmem_is_huge(NULL, inode, 511));
	assert_false(shmem_is_huge(NULL, inode, 512));
	inode->i_size = 1ULL << 20;
	assert_false(shmem_is_huge(NULL, inode, 0));
	assert_true(shmem_is_huge(&advised, inode, 0));	/* MADV_HUGEPAGE still counts */
	inode->i_size = 4ULL << 20;
	assert_false(shmem_is_huge(&refused, inode, 0));
	assert_true(shmem_is_huge(NULL, inode, 1023));
	m->thp.shmem_huge = SHMEM_HUGE_ADVISE;
	assert_false(shmem_is_huge(NULL, inode, 0));
	assert_true(shmem_is_huge(&advised, inode, 0));
	m->thp.shmem_huge = SHMEM_HUGE_NEVER;
	assert_false(shmem_is_huge(&advised, inode, 0));
	m->thp.shmem_huge = SHMEM_HUGE_ALWAYS;
	inode->i_size = 0;
	assert_true(shmem_is_huge(NULL, inode, 7));
	machine_destroy(m);
}

/* within_size: a file written 4K at a time from empty never has a 2M range inside i_size. */
static void test_within_size_written_file_stays_small(void **state)
{
	struct machine *m = mk(SHMEM_HUGE_WITHIN_SIZE);
	struct inode *inode = tmpfs_file(m, "w", 2ULL << 20);
	struct page *p = xa_load(&inode->i_data.i_pages, 0);

	(void)state;
	assert_non_null(p);
	assert_false(PageCompound(p));
	assert_int_equal(inode->i_data.nrpages, HPAGE_PMD_NR);
	ok(m);
	machine_destroy(m);
}

static void test_shmem_thp_in_page_cache(void **state)
{
	struct machine *m = mk(SHMEM_HUGE_ALWAYS);
	struct inode *inode = tmpfs_file(m, "t", 2ULL << 20);
	struct page *head = xa_load(&inode->i_data.i_pages, 5);
	uint64_t i;

	(void)state;
	assert_true(PageTransHuge(head));
	assert_int_equal(xa_get_order(&inode->i_data.i_pages, 5), HPAGE_PMD_ORDER);
	assert_int_equal(head->index, 0);
	assert_int_equal(head->_refcount, HPAGE_PMD_NR);	/* one per page, as 6.1 */
	assert_int_equal(inode->i_data.nrpages, HPAGE_PMD_NR);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		assert_ptr_equal(page_mapping_file(&head[i]), &inode->i_data);
		assert_int_equal(head[i].index, i);
	}
	ok(m);
	machine_destroy(m);
}

static void test_split_file_thp(void **state)
{
	struct machine *m = mk(SHMEM_HUGE_ALWAYS);
	struct task_struct *t = task_create(m, "t");
	struct inode *inode = tmpfs_file(m, "t", 2ULL << 20);
	uint64_t a = map_file(t, inode, 2ULL << 20), i;
	struct page *head = xa_load(&inode->i_data.i_pages, 0);
	int extra_pins;

	(void)state;
	assert_int_equal(a & (HPAGE_PMD_SIZE - 1), 0);	/* shmem_get_unmapped_area aligned it */
	assert_true(pte_huge(*pte_lookup(t->mm, a + 0x7000)));
	assert_int_equal(total_mapcount(head), 1);
	assert_int_equal(head->_refcount, HPAGE_PMD_NR + 1);	/* cache + PMD */
	ok(m);
	get_page(head + 7);	/* the caller's reference */
	/* can_split_folio: refs == mapcount + the cache's nr pages + the caller's */
	assert_true(can_split_huge_page(m, head, &extra_pins));
	assert_int_equal(extra_pins, HPAGE_PMD_NR);
	assert_int_equal(split_huge_page(m, head + 7), 0);
	assert_false(PageFlag(head, PG_head));
	assert_null(pte_lookup(t->mm, a));	/* file mappings are dropped, not split */
	assert_int_equal(inode->i_data.nrpages, HPAGE_PMD_NR);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		assert_ptr_equal(xa_load(&inode->i_data.i_pages, i), &head[i]);
		assert_int_equal(xa_get_order(&inode->i_data.i_pages, i), 0);
		assert_int_equal(head[i]._mapcount, 0);
		assert_int_equal(head[i]._refcount, i == 7 ? 2 : 1);
		assert_true(PageFlag(&head[i], PG_lru) && PageFlag(&head[i], PG_dirty));
	}
	put_page(m, head + 7);
	ok(m);
	for (i = 0; i < HPAGE_PMD_NR; i += 37)	/* the data refaults, 4K at a time */
		assert_int_equal(load(t, a + (i << PAGE_SHIFT)), (uint8_t)(i + 1));
	assert_false(pte_huge(*pte_lookup(t->mm, a)));
	ok(m);
	machine_destroy(m);
}

/* huge=always gives even an 8K file a 2M folio; the split drops what lies beyond EOF. */
static void test_split_drops_pages_beyond_eof(void **state)
{
	struct machine *m = mk(SHMEM_HUGE_ALWAYS);
	struct inode *inode = tmpfs_file(m, "s", 8192);
	struct page *head = xa_load(&inode->i_data.i_pages, 0);
	uint64_t free_before = nr_free_pages(m);

	(void)state;
	assert_true(PageTransHuge(head));
	get_page(head);
	assert_int_equal(split_huge_page(m, head), 0);
	put_page(m, head);
	assert_int_equal(inode->i_data.nrpages, 2);
	assert_null(xa_load(&inode->i_data.i_pages, 2));
	assert_int_equal(nr_free_pages(m), free_before + HPAGE_PMD_NR - 2);
	ok(m);
	machine_destroy(m);
}

/* An extra pin: split refused, memory_failure reports "unsplit thp", the PMD stays. */
static void test_file_thp_pinned(void **state)
{
	struct machine *m = mk(SHMEM_HUGE_ALWAYS);
	struct task_struct *t = task_create(m, "t");
	struct inode *inode = tmpfs_file(m, "t", 2ULL << 20);
	uint64_t a = map_file(t, inode, 2ULL << 20);
	struct page *head = xa_load(&inode->i_data.i_pages, 0);

	(void)state;
	get_page(head);		/* a pin, e.g. RDMA */
	get_page(head);		/* the caller's */
	assert_false(can_split_huge_page(m, head, NULL));
	assert_int_equal(split_huge_page(m, head + 3), -EBUSY);
	put_page(m, head);
	assert_int_equal(memory_failure(m, page_to_pfn(m, head + 3), MF_SW_SIMULATED), -EBUSY);
	assert_int_equal(m->mf_results[MF_IGNORED], 1);
	assert_true(PageFlag(&head[1], PG_has_hwpoisoned));
	assert_true(pte_huge(*pte_lookup(t->mm, a)));
	assert_int_equal(load(t, a + 0x4000), 5);
	ok(m);
	/* a new mapping of it gets PTEs only, never the poisoned page */
	{
		struct task_struct *u = task_create(m, "u");
		struct file *f = fs_open(inode, FMODE_READ);
		uint64_t b;
		uint8_t v;
		assert_int_equal(do_mmap(u, 2ULL << 20, VM_READ | VM_SHARED, f, 0, false, &b), 0);
		fput(f);
		assert_int_equal(load(u, b + 0x4000), 5);
		assert_false(pte_huge(*pte_lookup(u->mm, b + 0x4000)));
		assert_int_equal(access_user(u, b + 0x3000, &v, false), -1);	/* SIGBUS AR */
	}
	ok(m);
	put_page(m, head);	/* the pin goes */
	machine_destroy(m);
}

/*
 * An anon THP that could not be split stays mapped with its poisoned page;
 * a later PMD split (partial munmap) PTE-maps that page too, as 6.1 does.
 * The checker must accept both until a split succeeds.
 */
static void test_unsplit_anon_thp_remapped(void **state)
{
	struct machine *m = mk(SHMEM_HUGE_NEVER);
	struct task_struct *t = task_create(m, "t");
	uint64_t a, i;
	struct page *head;

	(void)state;
	m->thp.enabled = 1;
	assert_int_equal(do_mmap(t, 4ULL << 20, RW | VM_HUGEPAGE, NULL, 0, false, &a), 0);
	a = (a + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		uint8_t v = (uint8_t)(i + 1);
		assert_int_equal(access_user(t, a + (i << PAGE_SHIFT), &v, true), 0);
	}
	head = pfn_to_page(m, pte_pfn(*pte_lookup(t->mm, a)));
	assert_true(PageTransHuge(head));
	get_page(head);		/* a pin */
	assert_int_equal(memory_failure(m, page_to_pfn(m, head + 2), MF_SW_SIMULATED), -EBUSY);
	ok(m);
	assert_int_equal(do_munmap(t, a + HPAGE_PMD_SIZE - PAGE_SIZE, PAGE_SIZE), 0);
	assert_true(pte_present(*pte_lookup(t->mm, a + 0x2000)));
	assert_false(pte_huge(*pte_lookup(t->mm, a + 0x2000)));
	ok(m);
	put_page(m, head);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shmem_is_huge_policies),
		cmocka_unit_test(test_within_size_written_file_stays_small),
		cmocka_unit_test(test_shmem_thp_in_page_cache),
		cmocka_unit_test(test_split_file_thp),
		cmocka_unit_test(test_split_drops_pages_beyond_eof),
		cmocka_unit_test(test_file_thp_pinned),
		cmocka_unit_test(test_unsplit_anon_thp_remapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
