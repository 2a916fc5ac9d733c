/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/<pid>/pagemap encoding: present pfn, hwpoison swap entry (type 26, as 6.1 shows it). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "memfail/memory-failure.h"
#include "memfail/mm.h"

static void test_pagemap_states(void **state)
{
	struct machine_config cfg = { 16 << 20, 0, 1, 1 };
	struct machine *m;
	struct task_struct *t;
	char err[128];
	uint64_t addr, e, pfn;
	uint8_t b = 0x41;

	(void)state;
	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	t = task_create(m, "A");
	m->current = t;
	assert_int_equal(do_mmap(t, 2 * PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0, false, &addr), 0);
	assert_int_equal(pagemap_entry(m, t->mm, addr), 0);		/* nothing mapped */
	assert_int_equal(access_user(t, addr, &b, true), 0);
	e = pagemap_entry(m, t->mm, addr);
	assert_true(e >> 63);						/* present */
	assert_false((e >> 62) & 1);
	assert_false((e >> 61) & 1);					/* anonymous */
	pfn = e & ((1ULL << 55) - 1);
	assert_int_equal(pfn, pte_pfn(*pte_lookup(t->mm, addr)));
	assert_int_equal(do_madvise(t, addr, PAGE_SIZE, MADV_HWPOISON), 0);
	e = pagemap_entry(m, t->mm, addr);
	assert_false(e >> 63);
	assert_true((e >> 62) & 1);					/* a swap entry ... */
	assert_int_equal(e & 0x1f, 26);					/* ... of the hwpoison type */
	assert_int_equal((e & ((1ULL << 55) - 1)) >> 5, pfn);		/* whose offset is the pfn */
	assert_int_equal(access_user(t, addr + 8, &b, false), -1);
	assert_int_equal(m->sigs[m->nr_sigs - 1].info.si_code, 4);	/* BUS_MCEERR_AR */
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pagemap_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
