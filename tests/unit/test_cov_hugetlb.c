/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A hugetlb fault (mm/hugetlb.c) no portable scenario pins down: a private
 * write over a hole of a hugetlbfs file takes an anonymous huge page and
 * leaves the file a hole (the real-kernel runner fills hugetlbfs files, so
 * it cannot make that hole).
 */
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
#include "memfail/mm.h"

static void test_private_write_over_hole(void **state)
{
	struct machine *m = mk_machine(32);
	struct task_struct *t = task_create(m, "A");
	struct inode *inode;
	struct file *f;
	uint64_t addr;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 2, 0), 0);
	inode = fs_create(m, FS_HUGETLBFS, "h", HPAGE_PMD_SIZE);
	f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	assert_int_equal(do_mmap(t, HPAGE_PMD_SIZE, VM_READ | VM_WRITE | VM_HUGETLB, f, 0, false,
				 &addr), 0);
	store(t, addr + 0x10, 0x22);
	assert_true(PageAnon(compound_head_page(page_at(t, addr))));
	assert_null(xa_load(&inode->i_data.i_pages, 0));	/* the file is still a hole */
	assert_int_equal(m->hstate.free_huge_pages, 1);
	assert_int_equal(load(t, addr + 0x10), 0x22);
	assert_int_equal(load(t, addr + 0x20), 0);
	ok(m);
	assert_int_equal(do_munmap(t, addr, HPAGE_PMD_SIZE), 0);
	assert_int_equal(m->hstate.free_huge_pages, 2);
	ok(m);
	fput(f);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_write_over_hole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
