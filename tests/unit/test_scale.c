/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The small version of bench_scale: 10,000 forked children that share an
 * anonymous page (one anon_vma) and a file page (one i_mmap), killed in
 * creation order, in reverse, and every other one first. The rmap walk must
 * keep creation order throughout (it fixes the order of SIGBUS signals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "memfail/mm.h"

enum { NKIDS = 10000 };

struct family {
	struct machine *m;
	struct task_struct *kids[NKIDS];
	struct page *anon, *shared;
};

static struct page *page_at(struct task_struct *t, uint64_t addr)
{
	pte_t *p = pte_lookup(t->mm, addr);

	assert_non_null(p);
	assert_true(pte_present(*p));
	return pfn_to_page(t->m, pte_pfn(*p));
}

static void setup(struct family *f)
{
	struct machine_config cfg = { .memory = 64ULL << 20, .nodes = 1, .seed = 1 };
	struct task_struct *p;
	struct file *file;
	uint64_t anon, shared;
	uint8_t v = 1;
	char err[128];
	int i;

	assert_int_equal(machine_create(&cfg, &f->m, err, sizeof(err)), 0);
	p = task_create(f->m, "parent");
	file = fs_open(fs_create(f->m, FS_TMPFS, "shared", PAGE_SIZE), FMODE_READ | FMODE_WRITE);
	assert_int_equal(do_mmap(p, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0, false, &anon), 0);
	assert_int_equal(do_mmap(p, PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, file, 0, false, &shared), 0);
	fput(file);
	assert_int_equal(access_user(p, anon, &v, true), 0);
	assert_int_equal(access_user(p, shared, &v, true), 0);
	f->anon = page_at(p, anon);
	f->shared = page_at(p, shared);
	for (i = 0; i < NKIDS; i++)
		assert_non_null(f->kids[i] = task_fork(p, "child"));
}

struct walk {
	uint64_t last_seq;
	int nr;
};

static bool in_order(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct walk *w = arg;

	(void)page, (void)addr;
	assert_true(vma->vm_mm->owner->signal->seq >= w->last_seq);
	w->last_seq = vma->vm_mm->owner->signal->seq;
	w->nr++;
	return true;
}

static void check_walks(struct family *f, int alive)
{
	struct walk w = { 0, 0 };

	rmap_walk(f->m, f->anon, in_order, &w);
	assert_int_equal(w.nr, alive + 1);
	w = (struct walk){ 0, 0 };
	rmap_walk(f->m, f->shared, in_order, &w);
	assert_int_equal(w.nr, alive + 1);
	assert_int_equal(check_invariants(f->m, stderr), 0);
}

static void kill(struct family *f, int i)
{
	do_exit_group(f->kids[i], SIGKILL, 0);
	task_release(f->kids[i]);
	f->kids[i] = NULL;
}

static void test_kill_in_any_order(void **state)
{
	struct family *f = calloc(1, sizeof(*f));
	int i, alive = NKIDS;

	(void)state;
	setup(f);
	check_walks(f, alive);
	for (i = 0; i < NKIDS; i += 2, alive--)	/* every other one: holes everywhere */
		kill(f, i);
	check_walks(f, alive);
	for (i = NKIDS - 1; i >= NKIDS / 2; i -= 2, alive--)	/* from the end */
		kill(f, i);
	check_walks(f, alive);
	for (i = 1; i < NKIDS; i += 2)
		if (f->kids[i]) {
			kill(f, i);
			alive--;
		}
	check_walks(f, alive);
	assert_int_equal(f->m->nr_threads, 1);
	machine_destroy(f->m);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_in_any_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
