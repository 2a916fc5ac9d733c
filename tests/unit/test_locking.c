/* SPDX-License-Identifier: GPL-2.0-only */
/* The locking seam: memory_failure takes mf_mutex and the page lock at named points. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "memfail/memory-failure.h"
#include "memfail/mm.h"

struct rec {
	char seq[64];
	int n;
	int depth;
	int max_depth;
};

static void hook(struct machine *m, enum mf_lock_kind kind, const void *obj, bool acquire, void *ctx)
{
	struct rec *r = ctx;
	static const char name[] = { 'M', 'P', 'I' };

	(void)m, (void)obj;
	if (r->n < (int)sizeof(r->seq) - 1)
		r->seq[r->n++] = acquire ? name[kind] : (char)(name[kind] + 32);
	r->depth += acquire ? 1 : -1;
	if (r->depth > r->max_depth)
		r->max_depth = r->depth;
}

static struct machine *mk(void)
{
	struct machine_config cfg = { 16 << 20, 0, 1, 1 };
	struct machine *m;
	char err[128];

	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	return m;
}

static void test_memory_failure_lock_points(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "A");
	struct rec r = { .n = 0 };
	uint64_t addr;
	uint8_t b = 0x41;
	pte_t *pte;
	uint64_t pfn;

	(void)state;
	assert_int_equal(do_mmap(t, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0, false, &addr), 0);
	assert_int_equal(access_user(t, addr, &b, true), 0);
	pte = pte_lookup(t->mm, addr);
	pfn = pte_pfn(*pte);
	mf_set_lock_hook(m, hook, &r);
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), 0);
	/* mutex, then the page lock inside it, released in reverse order */
	assert_string_equal(r.seq, "MPpm");
	assert_int_equal(r.depth, 0);
	assert_int_equal(r.max_depth, 2);
	assert_false(PageFlag(pfn_to_page(m, pfn), PG_locked));
	assert_int_equal(mf_lock_count(m, MF_LOCK_MF_MUTEX), 1);
	/* an already-poisoned page never reaches the page lock */
	memset(&r, 0, sizeof(r));
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), -EHWPOISON);
	assert_string_equal(r.seq, "Mm");
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

static void test_trylock(void **state)
{
	struct machine *m = mk();
	struct page *p = alloc_pages(m, 0);

	(void)state;
	assert_true(trylock_page(m, p));
	assert_false(trylock_page(m, p));
	unlock_page(m, p);
	assert_true(trylock_page(m, p));
	unlock_page(m, p);
	put_page(m, p);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_failure_lock_points),
		cmocka_unit_test(test_trylock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
