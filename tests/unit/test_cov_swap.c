/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reclaim of anonymous pages (mm/swapfile.c reclaim_page) in the cases the
 * scenarios do not reach: no swap device, a page someone else holds, a page
 * whose contents are all zero bytes. A page that cannot go stays mapped
 * with its data.
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

#include "memfail/ksm.h"

#define RW (VM_READ | VM_WRITE)
#define CHUNK (256ULL << 10)	/* within the overcommit heuristic of a 4M machine */
#define NCHUNK 32		/* more than its free frames */

/* Map and write CHUNKs until a write fault finds no frame; its return value. */
static int exhaust(struct task_struct *t, uint64_t *chunk)
{
	uint8_t v = 1;
	int ret = 0, i;

	for (i = 0; i < NCHUNK && !ret; i++) {
		chunk[i] = map(t, CHUNK, RW);
		for (uint64_t a = chunk[i]; a < chunk[i] + CHUNK && !ret; a += PAGE_SIZE)
			ret = access_user(t, a, &v, true);
	}
	return ret;
}

static struct machine *mk_swap_machine(uint64_t swap)
{
	struct machine_config cfg = { .memory = 16 << 20, .nodes = 1, .seed = 1, .swap = swap };
	struct machine *m;
	char err[128];

	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	return m;
}

static void test_no_swap_device(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = map(t, PAGE_SIZE, RW);
	struct page *p;

	(void)state;
	store(t, a, 7);
	p = page_at(t, a);
	assert_int_equal(reclaim_page(m, p), -EAGAIN);
	assert_int_equal(load(t, a), 7);
	ok(m);
	machine_destroy(m);
}

static void test_extra_reference(void **state)
{
	struct machine *m = mk_swap_machine(1 << 20);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = map(t, PAGE_SIZE, RW);
	struct page *p;

	(void)state;
	store(t, a, 7);
	p = page_at(t, a);
	get_page(p);	/* a pin: the swap cache keeps the page */
	assert_int_equal(reclaim_page(m, p), -EAGAIN);
	assert_true(PageFlag(p, PG_swapcache));
	put_page(m, p);
	assert_int_equal(load(t, a), 7);
	ok(m);
	machine_destroy(m);
}

/* A page of zero bytes has no data buffer: the swap slot is zero-filled. */
static void test_zero_page_out_and_in(void **state)
{
	struct machine *m = mk_swap_machine(1 << 20);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = map(t, PAGE_SIZE, RW);

	(void)state;
	store(t, a, 0);
	assert_int_equal(reclaim_page(m, page_at(t, a)), 0);
	assert_false(pte_present(*pte_lookup(t->mm, a)));
	assert_int_equal(load(t, a), 0);
	ok(m);
	machine_destroy(m);
}

/*
 * No free frame, no swap and no page cache: a write fault to a new anonymous
 * page fails with VM_FAULT_OOM and 6.1's OOM killer picks the faulting task
 * (the highest oom_badness): the access fails with ENOMEM and the task dies
 * on its return. Its child keeps the page they shared.
 */
static void test_out_of_frames(void **state)
{
	struct machine *m = mk_machine(4);
	struct task_struct *t = task_create(m, "A"), *c;
	uint64_t shared = map(t, PAGE_SIZE, RW), chunk[NCHUNK];

	(void)state;
	store(t, shared, 3);
	c = task_fork(t, "B");
	assert_non_null(c);
	m->current = t;	/* A's own faults */
	assert_int_equal(exhaust(t, chunk), -ENOMEM);	/* memory ran out */
	m->current = NULL;
	assert_null(m->oom_stop);
	assert_true(t->signal->dead);
	assert_int_equal(t->signal->exit_signal, SIGKILL);
	assert_int_equal(load(c, shared), 3);
	ok(m);
	machine_destroy(m);
}

/*
 * The same with a cached disk page: 6.1 would reclaim it before killing, and
 * the model does not reclaim, so it records where it ran out (the run stops).
 */
static void test_out_of_frames_reclaimable(void **state)
{
	struct machine *m = mk_machine(4);
	struct task_struct *t = task_create(m, "A");
	struct inode *inode = fs_create(m, FS_DISK, "f", PAGE_SIZE);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint64_t chunk[NCHUNK], a;
	uint8_t v = 1;

	(void)state;
	assert_int_equal(do_mmap(t, PAGE_SIZE, RW | VM_SHARED | VM_MAYSHARE, f, 0, false, &a), 0);
	assert_int_equal(access_user(t, a, &v, true), 0);
	assert_int_equal(exhaust(t, chunk), -ENOMEM);
	assert_non_null(m->oom_stop);
	assert_false(t->signal->dead);
	fput(f);
	machine_destroy(m);
}

/*
 * MADV_UNMERGEABLE breaks KSM sharing with write faults; with no frame for
 * the copy it fails with ENOMEM (6.1 unmerge_ksm_pages) and the page stays
 * merged. Holes in the range are skipped. A cached disk page keeps the OOM
 * killer out (6.1 would reclaim it first).
 */
static void test_unmerge_out_of_frames(void **state)
{
	struct machine *m = mk_machine(4);
	struct task_struct *t = task_create(m, "A");
	struct inode *inode = fs_create(m, FS_DISK, "f", PAGE_SIZE);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint64_t x = map(t, 3 * PAGE_SIZE, RW), chunk[NCHUNK] = { 0 }, a;
	uint8_t v = 1;
	int i;

	(void)state;
	assert_int_equal(do_mmap(t, PAGE_SIZE, RW | VM_SHARED | VM_MAYSHARE, f, 0, false, &a), 0);
	assert_int_equal(access_user(t, a, &v, true), 0);
	store(t, x, 0x5a);
	store(t, x + PAGE_SIZE, 0x5a);	/* x + 2 pages: never touched */
	assert_int_equal(do_madvise(t, x, 3 * PAGE_SIZE, MADV_MERGEABLE), 0);
	ksm_run_scans(m, 2);
	assert_true(PageKsm(page_at(t, x)));
	assert_int_equal(exhaust(t, chunk), -ENOMEM);
	assert_int_equal(do_madvise(t, x, 3 * PAGE_SIZE, MADV_UNMERGEABLE), -ENOMEM);
	assert_true(PageKsm(page_at(t, x)));
	for (i = 0; i < NCHUNK && chunk[i]; i++)
		assert_int_equal(do_munmap(t, chunk[i], CHUNK), 0);
	assert_int_equal(do_madvise(t, x, 3 * PAGE_SIZE, MADV_UNMERGEABLE), 0);
	assert_false(PageKsm(page_at(t, x)));
	assert_int_equal(load(t, x + PAGE_SIZE), 0x5a);
	ok(m);
	fput(f);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_swap_device),
		cmocka_unit_test(test_extra_reference),
		cmocka_unit_test(test_zero_page_out_and_in),
		cmocka_unit_test(test_out_of_frames),
		cmocka_unit_test(test_out_of_frames_reclaimable),
		cmocka_unit_test(test_unmerge_out_of_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
