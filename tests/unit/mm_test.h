/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers the model's cmocka unit tests share: a small machine, mappings,
 * user loads and stores that must not fault, the page a PTE maps, the log
 * ring, and the invariant checker as an assertion. Include after <cmocka.h>.
 */
#ifndef MEMFAIL_TESTS_MM_TEST_H
#define MEMFAIL_TESTS_MM_TEST_H

#include <string.h>

#include "memfail/mm.h"

static inline struct machine *mk_machine(uint64_t mib)
{
	struct machine_config cfg = { .memory = mib << 20, .nodes = 1, .seed = 1 };
	struct machine *m;
	char err[128];

	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	return m;
}

/* Consistent by both checks: of what changed since the last ok() (after the first), and whole. */
static inline void ok(struct machine *m)
{
	assert_int_equal(check_invariants_changed(m, stderr), 0);
	assert_int_equal(check_invariants(m, stderr), 0);
}

static inline void store(struct task_struct *t, uint64_t addr, uint8_t v)
{
	assert_int_equal(access_user(t, addr, &v, true), 0);
}

static inline uint8_t load(struct task_struct *t, uint64_t addr)
{
	uint8_t v = 0xee;

	assert_int_equal(access_user(t, addr, &v, false), 0);
	return v;
}

static inline struct page *page_at(struct task_struct *t, uint64_t addr)
{
	pte_t *p = pte_lookup(t->mm, addr);

	assert_non_null(p);
	assert_true(pte_present(*p));
	return pfn_to_page(t->m, pte_pfn(*p));
}

static inline uint64_t map(struct task_struct *t, uint64_t len, unsigned long flags)
{
	uint64_t addr;

	assert_int_equal(do_mmap(t, len, flags, NULL, 0, false, &addr), 0);
	return addr;
}

/* Is there a log line containing s since the last call? */
static inline bool logged(struct machine *m, const char *s)
{
	const char *line;
	bool found = false;
	int level;

	while ((line = printk_next_line(m, &level)))
		found |= strstr(line, s) != NULL;
	return found;
}

#endif
