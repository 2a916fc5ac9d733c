/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The injection paths of mm/hwpoison-inject.c that scenarios cannot name:
 * the corrupt filter's device and memcg keys, an invalid pfn, the 16-entry
 * memory_failure_queue (overflow, soft offline through it) and an SRAR
 * machine check that memory_failure cannot recover.
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

#include "memfail/fs.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"
#include "memfail/sched.h"

#define SIGBUS_NR 7	/* <signal.h> clashes with the model's siginfo names */

/* A disk file's page in the page cache. */
static struct page *file_page(struct machine *m, struct file **f)
{
	struct inode *inode = fs_create(m, FS_DISK, "data", 0);
	static uint8_t buf[PAGE_SIZE];

	*f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	assert_int_equal(fs_pwrite(*f, buf, PAGE_SIZE, 0), PAGE_SIZE);
	assert_int_equal(fs_fsync(*f, false), 0);
	lru_add_drain(m);
	return xa_load(&inode->i_data.i_pages, 0);
}

static void test_filter_dev(void **state)
{
	struct machine *m = mk_machine(16);
	struct file *f;
	struct page *p = file_page(m, &f);
	uint64_t pfn = page_to_pfn(m, p);
	struct super_block *sb = page_mapping_file(p)->host->i_sb;

	(void)state;
	m->filter = (struct hwpoison_filter){ .enable = true, .dev_major = sb->dev_major + 1,
					      .dev_minor = ~0U };
	assert_int_equal(hwpoison_filter(m, pfn), -EINVAL);
	m->filter.dev_major = sb->dev_major;
	m->filter.dev_minor = sb->dev_minor + 1;
	assert_int_equal(hwpoison_filter(m, pfn), -EINVAL);
	assert_int_equal(hwpoison_inject_corrupt_pfn(m, pfn), 0);	/* filtered: nothing */
	assert_false(PageFlag(p, PG_hwpoison));
	m->filter.memcg = 1;	/* no page is in a memcg in the model */
	m->filter.dev_minor = sb->dev_minor;
	assert_int_equal(hwpoison_filter(m, pfn), -EINVAL);
	m->filter.memcg = 0;
	assert_int_equal(hwpoison_filter(m, pfn), 0);
	/* a free page has no mapping: a device filter rejects it */
	assert_int_equal(hwpoison_filter(m, page_to_pfn(m, find_free_page(m))), -EINVAL);
	assert_int_equal(hwpoison_inject_corrupt_pfn(m, pfn), 0);
	assert_true(PageFlag(p, PG_hwpoison));
	assert_true(logged(m, "Injecting memory failure at pfn"));
	ok(m);
	fput(f);
	machine_destroy(m);
}

static void test_bad_pfn(void **state)
{
	struct machine *m = mk_machine(16);

	(void)state;
	assert_int_equal(hwpoison_inject_corrupt_pfn(m, m->nr_pages), -ENXIO);
	machine_destroy(m);
}

/* The per-CPU fifo holds 16 errors; the 17th is dropped with 6.1's message. */
static void test_queue(void **state)
{
	struct machine *m = mk_machine(16);
	struct page *p[17];
	uint64_t pfn[17];

	(void)state;
	for (int i = 0; i < 17; i++)
		p[i] = alloc_pages(m, 0);
	for (int i = 0; i < 17; i++) {
		pfn[i] = page_to_pfn(m, p[i]);
		put_page(m, p[i]);	/* free again: 17 different free buddy pages */
		memory_failure_queue(m, pfn[i], i == 0 ? MF_SOFT_OFFLINE : 0);
	}
	assert_true(logged(m, "buffer overflow when queuing memory failure"));
	memory_failure_work(m);
	memory_failure_work(m);	/* empty now */
	assert_int_equal(m->num_poisoned_pages, 16);
	assert_true(PageFlag(&m->pages[pfn[0]], PG_hwpoison));	/* soft-offlined */
	ok(m);
	machine_destroy(m);
}

/* A consumed error on a page memory_failure ignores: the task gets SIGBUS. */
static void test_srar_not_recovered(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");

	(void)state;
	assert_true(m->reserved_end > 0);
	assert_int_not_equal(mce_srar(m, t, 0), 0);
	assert_true(logged(m, "Memory error not recovered"));
	/* a task made by task_create handles SIGBUS: the signal is recorded */
	assert_int_equal(m->nr_sigs, 1);
	assert_int_equal(m->sigs[0].tid, t->pid);
	assert_int_equal(m->sigs[0].info.si_signo, SIGBUS_NR);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_dev),
		cmocka_unit_test(test_bad_pfn),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_srar_not_recovered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
