// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm/memory-failure*.c after the 6.1-shape rework: the one get_hwpoison_page
 * seen from memory_failure, the i_mmap lock point of the file rmap walk, the
 * per-machine memory_failure_queue, and the exact "Memory failure: " lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "memfail/memfail.h"
#include "memfail/memory-failure.h"
#include "memfail/profile.h"
#include "mm_test.h"

#define RW (VM_READ | VM_WRITE)

static void drain_log(struct machine *m)
{
	while (printk_next_line(m, NULL))
		;
}

/* The next log line is exactly want (with the pfn formatted in). */
static void expect_line(struct machine *m, const char *fmt, unsigned long pfn)
{
	const char *line = printk_next_line(m, NULL);
	char want[160];

	snprintf(want, sizeof(want), fmt, pfn);
	assert_non_null(line);
	assert_string_equal(line, want);
}

/* A free page: get_hwpoison_page gives 0, the page is taken off buddy. */
static void test_free_buddy(void **state)
{
	struct machine *m = mk_machine(16);
	struct page *p = find_free_page(m);
	unsigned long pfn = page_to_pfn(m, p);

	(void)state;
	drain_log(m);
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), 0);
	expect_line(m, "Memory failure: %#lx: recovery action for free buddy page: Recovered", pfn);
	assert_true(PageFlag(p, PG_hwpoison));
	assert_false(is_free_buddy_page(m, p));
	assert_int_equal(p->_refcount, 1);
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), -EHWPOISON);
	expect_line(m, "Memory failure: %#lx: already hardware poisoned", pfn);
	ok(m);
	machine_destroy(m);
}

/* A slab page: not handlable, shaken three times, then refused. */
static void test_unhandlable(void **state)
{
	struct machine *m = mk_machine(16);
	struct page *p = slab_alloc_page(m);
	unsigned long pfn = page_to_pfn(m, p);

	(void)state;
	drain_log(m);
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), -EBUSY);
	expect_line(m, "Memory failure: %#lx: unhandlable page.", pfn);
	expect_line(m, "Memory failure: %#lx: recovery action for unknown page: Ignored", pfn);
	assert_int_equal(p->_refcount, 1);	/* no reference left behind */
	assert_null(printk_next_line(m, NULL));
	machine_destroy(m);
}

struct lockrec {
	char seq[128];
	int n, depth, max_depth;
};

static void hook(struct machine *m, enum mf_lock_kind kind, const void *obj, bool acquire, void *ctx)
{
	static const char name[] = { 'M', 'P', 'I' };
	struct lockrec *r = ctx;

	(void)m, (void)obj;
	if (r->n < (int)sizeof(r->seq) - 1)
		r->seq[r->n++] = acquire ? name[kind] : (char)(name[kind] + 32);
	r->depth += acquire ? 1 : -1;
	if (r->depth > r->max_depth)
		r->max_depth = r->depth;
}

/* rmap_walk_file takes the i_mmap lock, inside the page lock, balanced. */
static void test_i_mmap_lock_points(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	struct inode *inode = fs_create(m, FS_DISK, "f", PAGE_SIZE);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	struct lockrec r = { .n = 0 };
	uint64_t addr, before = mf_lock_count(m, MF_LOCK_I_MMAP);
	unsigned long pfn;
	int i, opened = 0;

	(void)state;
	assert_int_equal(do_mmap(t, PAGE_SIZE, RW | VM_SHARED | VM_MAYSHARE, f, 0, false, &addr), 0);
	store(t, addr, 0x5a);
	pfn = page_to_pfn(m, page_at(t, addr));
	mf_set_lock_hook(m, hook, &r);
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), 0);
	mf_set_lock_hook(m, NULL, NULL);
	assert_true(mf_lock_count(m, MF_LOCK_I_MMAP) > before);
	assert_int_equal(r.depth, 0);
	assert_int_equal(r.max_depth, 3);	/* mf_mutex > page lock > i_mmap */
	assert_int_equal(r.seq[0], 'M');
	assert_int_equal(r.seq[1], 'P');
	for (i = 0; i < r.n; i++) {
		if (r.seq[i] == 'I')
			assert_int_equal(opened++, 0);	/* never nested in itself */
		else if (r.seq[i] == 'i')
			assert_int_equal(--opened, 0);
	}
	assert_int_equal(opened, 0);
	fput(f);
	ok(m);
	machine_destroy(m);
}

/* Another CPU's isolate_lru_page (compaction, migration) at memory_failure's page-lock point. */
static void isolate_at_lock(struct machine *m, enum mf_lock_kind kind, const void *obj, bool acquire,
			    void *ctx)
{
	struct page *page = ctx;

	if (kind == MF_LOCK_PAGE && acquire && obj == page && isolate_lru_page(m, page))
		put_page(m, page);	/* the isolation's own reference is not the point here */
}

/*
 * me_unknown: 6.1 memory_failure goes straight to identify_page_state for a
 * page that is off the LRU once it holds the page lock, and a page that
 * matches no error_states entry gets the catch-all (a race in the kernel:
 * madvise's MF_COUNT_INCREASED skips get_hwpoison_page's LRU check).
 */
static void me_unknown_race(int kernel, const char *result)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t;
	struct page *p;
	unsigned long pfn;
	uint64_t addr;
	char want[96];

	m->profile = kernel_profile_get(kernel);
	t = task_create(m, "A");
	assert_int_equal(do_mmap(t, PAGE_SIZE, RW, NULL, 0, false, &addr), 0);
	store(t, addr, 0x5a);
	p = page_at(t, addr);
	pfn = page_to_pfn(m, p);
	drain_log(m);
	get_page(p);	/* madvise_inject_error's get_user_pages_fast */
	mf_set_lock_hook(m, isolate_at_lock, p);
	memory_failure(m, pfn, MF_COUNT_INCREASED | MF_SW_SIMULATED);
	mf_set_lock_hook(m, NULL, NULL);
	expect_line(m, "Memory failure: %#lx: Unknown page state", pfn);
	snprintf(want, sizeof(want), "Memory failure: %%#lx: recovery action for unknown page: %s",
		 result);
	expect_line(m, want, pfn);
	machine_destroy(m);
}

static void test_me_unknown_race(void **state)
{
	(void)state;
	me_unknown_race(MF_KERNEL_6_1, "Failed");
}

/* 6.12's me_unknown() answers MF_IGNORED (profile me_unknown_ignored). */
static void test_me_unknown_race_612(void **state)
{
	(void)state;
	me_unknown_race(MF_KERNEL_6_12, "Ignored");
}

/*
 * 6.1 hwpoison_user_mappings: a page-cache page without PG_dirty whose
 * mapping still has a dirty PTE (a store through a writable PTE that raced
 * with the clearing of PG_dirty) is found dirty by page_mkclean, marked dirty
 * and handled as a dirty page: no "dropped without side effects" line.
 */
static void test_page_mkclean_finds_dirty(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	struct inode *inode = fs_create(m, FS_DISK, "f", PAGE_SIZE);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	struct page *p;
	unsigned long pfn;
	uint64_t addr;

	(void)state;
	assert_int_equal(do_mmap(t, PAGE_SIZE, RW | VM_SHARED | VM_MAYSHARE, f, 0, false, &addr), 0);
	store(t, addr, 0x5a);
	p = page_at(t, addr);
	pfn = page_to_pfn(m, p);
	ClearPageFlag(p, PG_dirty);	/* the race: PG_dirty cleared, the PTE still dirty */
	assert_true(*pte_lookup(t->mm, addr) & PTE_DIRTY);
	drain_log(m);
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), 0);
	expect_line(m, "Memory failure: %#lx: recovery action for dirty LRU page: Recovered", pfn);
	assert_null(printk_next_line(m, NULL));
	fput(f);
	machine_destroy(m);
}

/* The queue belongs to its machine: another machine's work item does not drain it. */
static void test_queue_per_machine(void **state)
{
	struct machine *a = mk_machine(16), *b = mk_machine(16);
	unsigned long pfn = page_to_pfn(a, find_free_page(a)), i;

	(void)state;
	drain_log(a);
	memory_failure_queue(a, pfn, MF_SW_SIMULATED);
	memory_failure_queue(b, pfn, MF_SW_SIMULATED);
	memory_failure_work(b);
	assert_false(PageFlag(pfn_to_page(a, pfn), PG_hwpoison));
	assert_true(PageFlag(pfn_to_page(b, pfn), PG_hwpoison));
	memory_failure_work(a);
	assert_true(PageFlag(pfn_to_page(a, pfn), PG_hwpoison));
	expect_line(a, "Memory failure: %#lx: recovery action for free buddy page: Recovered", pfn);
	/* 16 entries, then the kfifo is full */
	for (i = 0; i < MF_FIFO_SIZE; i++)
		memory_failure_queue(a, pfn, MF_SW_SIMULATED);
	assert_null(printk_next_line(a, NULL));
	memory_failure_queue(a, pfn + 1, MF_SW_SIMULATED);
	expect_line(a, "Memory failure: buffer overflow when queuing memory failure at %#lx", pfn + 1);
	memory_failure_work(a);
	assert_int_equal(a->mf_fifo.n, 0);
	machine_destroy(a);
	machine_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_buddy),
		cmocka_unit_test(test_unhandlable),
		cmocka_unit_test(test_i_mmap_lock_points),
		cmocka_unit_test(test_queue_per_machine),
		cmocka_unit_test(test_me_unknown_race),
		cmocka_unit_test(test_me_unknown_race_612),
		cmocka_unit_test(test_page_mkclean_finds_dirty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
