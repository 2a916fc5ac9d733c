// SPDX-License-Identifier: GPL-2.0-only
/*
 * mf_check_invariants_mode's report through the API: one stream serves
 * every check (kernel/sys_observe.c), so each report must hold its own
 * check's violations only, a clean check must hand out none, and machines
 * take turns on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../kernel/sys-internal.h"

static struct mf_machine *new_machine(void)
{
	struct mf_machine_desc d;
	struct mf_machine *mm = NULL;
	char err[128];

	mf_machine_desc_default(&d);
	d.memory = 64 << 20;
	assert_int_equal(mf_machine_create(&d, &mm, err, sizeof(err)), 0);
	return mm;
}

/* The check's count; its report (NULL when clean) in *out. */
static int check(struct mf_machine *mm, enum mf_check_mode mode, char **out)
{
	*out = (char *)1;	/* must be overwritten */
	return mf_check_invariants_mode(mm, mode, out);
}

/* The head of a free block, on the lowest order's list that has one. */
static struct page *free_head(struct machine *m)
{
	for (unsigned o = 0; o < MAX_ORDER; o++)
		if (m->zones[0].free_area[o].free_list.head != NO_PFN)
			return &m->pages[m->zones[0].free_area[o].free_list.head];
	fail_msg("no free block");
	return NULL;
}

static void test_report_per_check(void **state)
{
	struct mf_machine *a = new_machine(), *b = new_machine();
	struct zone *z = &a->m->zones[0];
	struct page *head;
	char *r;

	(void)state;
	z->nr_free += 3;	/* the lists hold 3 pages fewer than the zone counts */
	assert_true(check(a, MF_CHECK_FULL, &r) > 0);
	assert_non_null(strstr(r, "counts"));
	free(r);
	assert_int_equal(check(b, MF_CHECK_FULL, &r), 0);	/* the other machine: clean, no report */
	assert_null(r);
	z->nr_free -= 3;
	assert_int_equal(check(a, MF_CHECK_FULL, &r), 0);
	assert_null(r);
	/* a shorter violation after a longer one: nothing of the first is left over */
	head = free_head(a->m);
	head->_refcount = 3;
	assert_true(check(a, MF_CHECK_FULL, &r) > 0);
	assert_non_null(strstr(r, "has refcount 3"));
	assert_null(strstr(r, "counts"));
	free(r);
	head->_refcount = 0;
	assert_int_equal(mf_check_invariants_mode(a, MF_CHECK_FULL, NULL), 0);
	mf_machine_destroy(a);
	mf_machine_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_per_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
