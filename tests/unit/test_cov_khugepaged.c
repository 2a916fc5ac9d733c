/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MADV_COLLAPSE (mm/khugepaged.c) losing a race: through the locking seam a
 * second context acts the moment the collapse takes its first page lock,
 * after the scan found the range fit. A page pinned, locked or moved to a
 * per-CPU LRU batch in that window makes the collapse give every isolated
 * page back and answer EAGAIN, as 6.1 does for anonymous memory
 * (__collapse_huge_page_isolate) and tmpfs (collapse_file); the range is left
 * as it was and collapses once the other context is done.
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
#include "memfail/huge_mm.h"
#include "memfail/locking.h"
#include "memfail/mm.h"

/*
 * PIN: a GUP reference; LOCK: the page lock; BATCH: the page moved to a
 * per-CPU LRU batch (off the LRU lists, no extra reference), where
 * isolate_lru_page cannot take it.
 */
enum race { RACE_PIN, RACE_LOCK, RACE_BATCH };

struct racer {
	enum race what;
	struct page *victim;	/* a page of the range the other context touches */
	bool done;
};

static void racer_hook(struct machine *m, enum mf_lock_kind kind, const void *obj, bool acquire,
		       void *ctx)
{
	struct racer *r = ctx;

	(void)obj;
	if (r->done || kind != MF_LOCK_PAGE || !acquire)
		return;
	r->done = true;
	switch (r->what) {
	case RACE_PIN: get_page(r->victim); break;
	case RACE_LOCK: SetPageFlag(r->victim, PG_locked); break;
	case RACE_BATCH:
		del_page_from_lru(m, r->victim);
		lru_cache_add(m, r->victim);
		assert_false(PageFlag(r->victim, PG_lru));
		break;
	}
}

static void racer_undo(struct machine *m, struct racer *r)
{
	switch (r->what) {
	case RACE_PIN: put_page(m, r->victim); break;
	case RACE_LOCK: ClearPageFlag(r->victim, PG_locked); break;
	case RACE_BATCH: lru_add_drain(m); break;
	}
}

/* A 2M-aligned anonymous range, every 4K page written with its index. */
static uint64_t filled(struct machine *m, struct task_struct *t)
{
	uint64_t addr = map(t, HPAGE_PMD_SIZE, VM_READ | VM_WRITE | VM_HUGEPAGE);

	assert_int_equal(addr % HPAGE_PMD_SIZE, 0);
	for (uint64_t i = 0; i < HPAGE_PMD_NR; i++)
		store(t, addr + i * PAGE_SIZE, (uint8_t)i);
	lru_add_drain(m);
	return addr;
}

static void race(enum race what)
{
	struct machine *m = mk_machine(64);
	struct task_struct *t;
	struct vm_area_struct *vma;
	struct racer r = { .what = what };
	uint64_t addr;

	m->thp.enabled = 0;	/* faults map 4K pages; MADV_COLLAPSE ignores the policy */
	t = task_create(m, "A");
	addr = filled(m, t);
	vma = find_vma(t->mm, addr);
	r.victim = page_at(t, addr + 100 * PAGE_SIZE);
	mf_set_lock_hook(m, racer_hook, &r);
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), -EAGAIN);
	mf_set_lock_hook(m, NULL, NULL);
	assert_true(r.done);
	assert_false(PageFlag(page_at(t, addr), PG_head));	/* still 4K pages */
	racer_undo(m, &r);
	ok(m);
	for (uint64_t i = 0; i < HPAGE_PMD_NR; i += 37)
		assert_int_equal(load(t, addr + i * PAGE_SIZE), (uint8_t)i);
	/* the other context is gone: the same call collapses */
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), 0);
	assert_true(PageFlag(compound_head_page(page_at(t, addr)), PG_head));
	assert_int_equal(load(t, addr + 100 * PAGE_SIZE), 100);
	ok(m);
	machine_destroy(m);
}

static void test_race_pin(void **state)
{
	(void)state;
	race(RACE_PIN);
}

static void test_race_lock(void **state)
{
	(void)state;
	race(RACE_LOCK);
}

static void test_race_batch(void **state)
{
	(void)state;
	race(RACE_BATCH);
}

/* The same races on a tmpfs file, whose page cache is what collapses (collapse_file). */
static void race_shmem(enum race what)
{
	struct machine *m = mk_machine(64);
	struct task_struct *t = task_create(m, "A");
	struct inode *inode = fs_create(m, FS_TMPFS, "t", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	static uint8_t buf[PAGE_SIZE];
	struct racer r = { .what = what };
	struct vm_area_struct *vma;
	uint64_t addr;

	for (uint64_t i = 0; i < HPAGE_PMD_NR; i++) {
		memset(buf, (uint8_t)i, sizeof(buf));
		assert_int_equal(fs_pwrite(f, buf, PAGE_SIZE, i * PAGE_SIZE), PAGE_SIZE);
	}
	lru_add_drain(m);
	assert_int_equal(do_mmap(t, HPAGE_PMD_SIZE, VM_READ | VM_WRITE | VM_SHARED | VM_HUGEPAGE, f,
				 0, false, &addr), 0);
	assert_int_equal(load(t, addr + PAGE_SIZE), 1);	/* a page table under the range */
	vma = find_vma(t->mm, addr);
	r.victim = xa_load(&inode->i_data.i_pages, 100);
	mf_set_lock_hook(m, racer_hook, &r);
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), -EAGAIN);
	mf_set_lock_hook(m, NULL, NULL);
	assert_true(r.done);
	assert_false(PageFlag((struct page *)xa_load(&inode->i_data.i_pages, 0), PG_head));
	racer_undo(m, &r);
	ok(m);
	assert_int_equal(load(t, addr + 100 * PAGE_SIZE), 100);
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), 0);
	assert_true(PageFlag((struct page *)xa_load(&inode->i_data.i_pages, 0), PG_head));
	assert_int_equal(load(t, addr + 100 * PAGE_SIZE), 100);
	ok(m);
	fput(f);
	machine_destroy(m);
}

static void test_shmem_race_pin(void **state)
{
	(void)state;
	race_shmem(RACE_PIN);
}

static void test_shmem_race_lock(void **state)
{
	(void)state;
	race_shmem(RACE_LOCK);
}

static void test_shmem_race_batch(void **state)
{
	(void)state;
	race_shmem(RACE_BATCH);
}

/* Found by the scan itself: a locked page or one off the LRU is EAGAIN too. */
static void test_scan_busy(void **state)
{
	struct machine *m = mk_machine(64);
	struct task_struct *t;
	struct vm_area_struct *vma;
	struct page *p;
	uint64_t addr;

	(void)state;
	m->thp.enabled = 0;
	t = task_create(m, "A");
	addr = filled(m, t);
	vma = find_vma(t->mm, addr);
	p = page_at(t, addr + 7 * PAGE_SIZE);
	lock_page(m, p);
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), -EAGAIN);
	unlock_page(m, p);
	assert_true(isolate_lru_page(m, p));
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), -EAGAIN);
	putback_lru_page(m, p);
	ok(m);
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), 0);
	ok(m);
	machine_destroy(m);
}

/*
 * Without a race: zero-page PTEs become zero subpages, an mlocked range gives
 * an mlocked THP, a second call finds the PMD mapped (success), and a range
 * with no writable PTE is refused (SCAN_PAGE_RO: EINVAL).
 */
static void test_collapse_shapes(void **state)
{
	struct machine *m = mk_machine(64);
	struct task_struct *t;
	struct vm_area_struct *vma;
	uint64_t addr, i;
	struct page *head;

	(void)state;
	m->thp.enabled = 0;
	t = task_create(m, "A");
	addr = map(t, HPAGE_PMD_SIZE, VM_READ | VM_WRITE | VM_HUGEPAGE);
	for (i = 0; i < HPAGE_PMD_NR; i++)
		if (i % 2)
			store(t, addr + i * PAGE_SIZE, (uint8_t)i);
		else
			assert_int_equal(load(t, addr + i * PAGE_SIZE), 0);	/* the zero page */
	assert_int_equal(do_mlock(t, addr, HPAGE_PMD_SIZE, true), 0);
	vma = find_vma(t->mm, addr);
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), 0);
	head = compound_head_page(page_at(t, addr));
	assert_true(PageFlag(head, PG_head));
	assert_true(PageFlag(head, PG_mlocked));
	assert_int_equal(load(t, addr + 2 * PAGE_SIZE), 0);
	assert_int_equal(load(t, addr + 3 * PAGE_SIZE), 3);
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), 0);
	ok(m);
	/* read-only: nothing writable to collapse */
	addr = map(t, HPAGE_PMD_SIZE, VM_READ | VM_WRITE | VM_HUGEPAGE);
	for (i = 0; i < HPAGE_PMD_NR; i += 64)
		store(t, addr + i * PAGE_SIZE, 1);
	assert_int_equal(do_mprotect(t, addr, HPAGE_PMD_SIZE, VM_READ), 0);
	vma = find_vma(t->mm, addr);
	assert_int_equal(madvise_collapse(vma, addr, addr + HPAGE_PMD_SIZE), -EINVAL);
	assert_false(PageFlag(page_at(t, addr), PG_head));
	ok(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_race_pin),
		cmocka_unit_test(test_race_lock),
		cmocka_unit_test(test_race_batch),
		cmocka_unit_test(test_scan_busy),
		cmocka_unit_test(test_shmem_race_pin),
		cmocka_unit_test(test_shmem_race_lock),
		cmocka_unit_test(test_shmem_race_batch),
		cmocka_unit_test(test_collapse_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
