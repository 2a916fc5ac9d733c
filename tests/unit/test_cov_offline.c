/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * soft_offline_page (mm/memory-failure-offline.c) losing a race: through the
 * locking seam another context acts the moment soft offline takes the
 * page lock. A memory_failure that poisoned the page first makes soft
 * offline stop ("page already poisoned", 0); a page that went to a per-CPU
 * LRU batch cannot be isolated ("isolation failed", EBUSY). Either way the
 * page keeps its data and its mapping.
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

#include "memfail/locking.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"

enum race { RACE_POISONED, RACE_BATCH };

struct racer {
	enum race what;
	struct page *page;
	bool done;
};

static void racer_hook(struct machine *m, enum mf_lock_kind kind, const void *obj, bool acquire,
		       void *ctx)
{
	struct racer *r = ctx;

	if (r->done || kind != MF_LOCK_PAGE || !acquire || obj != r->page)
		return;
	r->done = true;
	if (r->what == RACE_POISONED) {
		SetPageFlag(r->page, PG_hwpoison);
	} else {
		del_page_from_lru(m, r->page);
		lru_cache_add(m, r->page);
	}
}

static void race(enum race what, int want, const char *msg)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr = map(t, PAGE_SIZE, VM_READ | VM_WRITE);
	struct racer r = { .what = what };

	store(t, addr, 0x5a);
	lru_add_drain(m);
	r.page = page_at(t, addr);
	mf_set_lock_hook(m, racer_hook, &r);
	assert_int_equal(soft_offline_page(m, page_to_pfn(m, r.page), 0), want);
	mf_set_lock_hook(m, NULL, NULL);
	assert_true(r.done);
	assert_true(logged(m, msg));
	assert_ptr_equal(page_at(t, addr), r.page);	/* not migrated */
	if (what == RACE_POISONED)
		ClearPageFlag(r.page, PG_hwpoison);	/* the other context's, not counted here */
	else
		lru_add_drain(m);
	assert_int_equal(m->num_poisoned_pages, 0);
	assert_int_equal(load(t, addr), 0x5a);
	ok(m);
	machine_destroy(m);
}

static void test_poisoned_meanwhile(void **state)
{
	(void)state;
	race(RACE_POISONED, 0, "page already poisoned");
}

static void test_isolation_failed(void **state)
{
	(void)state;
	race(RACE_BATCH, -EBUSY, "isolation failed, page count");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poisoned_meanwhile),
		cmocka_unit_test(test_isolation_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
