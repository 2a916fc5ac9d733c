/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The argument checks of mmap, munmap, mprotect, mlock and msync (mm/mmap.c)
 * and the faults that follow from protections (mm/memory.c): errno values
 * as 6.1 gives them, and SIGSEGV for an access no VMA or protection allows.
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
#include "memfail/mm.h"
#include "memfail/sched.h"

#define RW (VM_READ | VM_WRITE)
#define SIGSEGV_NR 11	/* <signal.h> clashes with the model's siginfo names */

static void test_mmap_args(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	struct inode *inode = fs_create(m, FS_DISK, "data", 0);
	struct file *ro = fs_open(inode, FMODE_READ);
	uint64_t addr;

	(void)state;
	assert_int_equal(do_mmap(t, 0, RW, NULL, 0, false, &addr), -EINVAL);
	assert_int_equal(do_mmap(t, PAGE_SIZE + 1, RW, NULL, 0, false, &addr), -EINVAL);
	/* hugetlb: whole huge pages (hugetlb_get_unmapped_area), a huge-page offset */
	assert_int_equal(do_mmap(t, PAGE_SIZE, RW | VM_HUGETLB, NULL, 0, false, &addr), -EINVAL);
	assert_int_equal(do_mmap(t, HPAGE_PMD_SIZE, RW | VM_HUGETLB, NULL, 1, false, &addr), -EINVAL);
	/* a shared writable mapping needs a file opened for writing */
	assert_int_equal(do_mmap(t, PAGE_SIZE, RW | VM_SHARED, ro, 0, false, &addr), -EACCES);
	assert_int_equal(do_mmap(t, PAGE_SIZE, VM_READ | VM_SHARED, ro, 0, false, &addr), 0);
	/* mprotect cannot make it writable either */
	assert_int_equal(do_mprotect(t, addr, PAGE_SIZE, RW), -EACCES);
	ok(m);
	fput(ro);
	machine_destroy(m);
}

static void test_munmap_mlock_msync_args(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr = map(t, 4 * PAGE_SIZE, RW);

	(void)state;
	assert_int_equal(do_munmap(t, addr + 1, PAGE_SIZE), -EINVAL);
	assert_int_equal(do_munmap(t, addr, 0), -EINVAL);
	assert_int_equal(do_mlock(t, addr + 1, PAGE_SIZE, true), -EINVAL);
	assert_int_equal(do_msync(t, addr + 1, PAGE_SIZE), -EINVAL);
	assert_int_equal(do_msync(t, addr, PAGE_SIZE), 0);	/* anonymous: nothing to write */
	ok(m);
	machine_destroy(m);
}

static void test_mprotect(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr = map(t, 4 * PAGE_SIZE, RW);
	uint8_t v = 1;

	(void)state;
	store(t, addr + PAGE_SIZE, 5);
	assert_int_equal(do_mprotect(t, addr + 1, PAGE_SIZE, VM_READ), -EINVAL);
	assert_int_equal(do_mprotect(t, addr, PAGE_SIZE, VM_READ | 0x40), -EINVAL);
	assert_int_equal(do_mprotect(t, addr, 64 * PAGE_SIZE, VM_READ), -ENOMEM);	/* a hole */
	/* the middle page read-only: its VMA is split, its PTE write-protected */
	assert_int_equal(do_mprotect(t, addr + PAGE_SIZE, PAGE_SIZE, VM_READ), 0);
	assert_false(*pte_lookup(t->mm, addr + PAGE_SIZE) & PTE_WRITE);
	assert_int_equal(load(t, addr + PAGE_SIZE), 5);
	store(t, addr, 6);
	ok(m);
	assert_int_equal(access_user(t, addr + PAGE_SIZE, &v, true), -1);
	assert_true(t->signal->dead);
	assert_int_equal(t->signal->exit_signal, SIGSEGV_NR);
	machine_destroy(m);
}

/* An access where no VMA is: SIGSEGV (SEGV_MAPERR), the default kills. */
static void test_access_no_vma(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr = map(t, PAGE_SIZE, RW);
	uint8_t v;

	(void)state;
	assert_int_equal(do_munmap(t, addr, PAGE_SIZE), 0);
	assert_int_equal(access_user(t, addr, &v, false), -1);
	assert_true(t->signal->dead);
	assert_int_equal(t->signal->exit_signal, SIGSEGV_NR);
	machine_destroy(m);
}

/* access_user_page: several bytes through the PTE the first byte faulted in. */
static void test_access_user_page(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr = map(t, 2 * PAGE_SIZE, RW);
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];

	(void)state;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(access_user_page(t, addr + 100, out, sizeof(out), false), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(out[i], 0);	/* the zero page */
	assert_int_equal(access_user_page(t, addr + 100, buf, sizeof(buf), true), 0);
	assert_int_equal(access_user_page(t, addr + 100, out, sizeof(out), false), 0);
	assert_memory_equal(out, buf, sizeof(buf));
	ok(m);
	machine_destroy(m);
}

/*
 * A fault on a PTE that already allows the access (another thread won the
 * race): only the young and dirty bits change.
 */
static void test_spurious_fault(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr = map(t, PAGE_SIZE, RW);
	struct vm_area_struct *v;
	pte_t *p, before;

	(void)state;
	store(t, addr, 9);
	v = find_vma(t->mm, addr);
	p = pte_lookup(t->mm, addr);
	*p &= ~(PTE_YOUNG | PTE_DIRTY);
	before = *p;
	assert_int_equal(handle_mm_fault(v, addr, 0), VM_FAULT_OK);
	assert_int_equal(*p, before | PTE_YOUNG);
	assert_int_equal(handle_mm_fault(v, addr, FAULT_FLAG_WRITE), VM_FAULT_OK);
	assert_int_equal(*p, before | PTE_YOUNG | PTE_DIRTY);
	assert_int_equal(load(t, addr), 9);
	ok(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmap_args),
		cmocka_unit_test(test_munmap_mlock_msync_args),
		cmocka_unit_test(test_mprotect),
		cmocka_unit_test(test_access_no_vma),
		cmocka_unit_test(test_access_user_page),
		cmocka_unit_test(test_spurious_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
