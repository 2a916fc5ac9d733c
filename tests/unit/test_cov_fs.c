/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The argument checks of pwrite, pread, ftruncate and fallocate(PUNCH_HOLE)
 * (fs/read_write.c), with 6.1's errno values: nothing happens to the file.
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
#include <sys/mman.h>

#include "mm_test.h"

#include "memfail/fs.h"
#include "memfail/huge_mm.h"
#include "memfail/mm.h"

#define LFS_MAX ((uint64_t)INT64_MAX)	/* MAX_LFS_FILESIZE on 64-bit */

static void test_write_args(void **state)
{
	struct machine *m = mk_machine(16);
	struct inode *inode = fs_create(m, FS_DISK, "d", 0);
	struct file *rw = fs_open(inode, FMODE_READ | FMODE_WRITE), *ro = fs_open(inode, FMODE_READ);
	static uint8_t buf[PAGE_SIZE];

	(void)state;
	assert_int_equal(fs_pwrite(ro, buf, 1, 0), -EBADF);
	assert_int_equal(fs_pwrite(rw, buf, 0, 0), 0);
	/* 6.1 (checked on the kernel, tests/scenarios/file/edge-errnos.mf): a negative
	 * loff_t, or pos + count overflowing it, is EINVAL */
	assert_int_equal(fs_pwrite(rw, buf, 1, LFS_MAX + 1), -EINVAL);
	assert_int_equal(fs_pwrite(rw, buf, 2, LFS_MAX - 1), -EINVAL);
	assert_int_equal(inode->i_size, 0);
	assert_int_equal(fs_pread(rw, buf, PAGE_SIZE, 0), 0);	/* empty file: EOF */
	assert_int_equal(fs_ftruncate(rw, LFS_MAX + 1), -EINVAL);	/* a negative length */
	assert_int_equal(fs_ftruncate(ro, PAGE_SIZE), -EINVAL);
	assert_int_equal(fs_punch_hole(ro, 0, PAGE_SIZE), -EBADF);
	assert_int_equal(fs_punch_hole(rw, 0, 0), -EINVAL);
	assert_int_equal(fs_punch_hole(rw, LFS_MAX, 2), -EFBIG);
	ok(m);
	fput(ro);
	fput(rw);
	machine_destroy(m);
}

/*
 * vfs_read cuts a count to MAX_RW_COUNT after rw_verify_area: 2 GiB of a
 * 3 GiB tmpfs hole is one call's most; pos + count still overflow-checked
 * on the whole count. Read from the source, not checked on the kernel (the
 * conformance guest cannot hold a 2 GiB buffer); the EFAULT of a count of
 * 2^56 or more is (file/rw-huge-count.mf).
 */
static void test_read_count_cut(void **state)
{
	struct machine *m = mk_machine(16);
	struct inode *inode = fs_create(m, FS_TMPFS, "t", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t *buf = mmap(NULL, MF_MAX_RW_COUNT, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	(void)state;
	assert_true(buf != MAP_FAILED);
	assert_int_equal(MF_MAX_RW_COUNT, 0x7ffff000);
	assert_int_equal(fs_ftruncate(f, 3ULL << 30), 0);
	assert_int_equal(fs_pread(f, buf, 4ULL << 40, 0), MF_MAX_RW_COUNT);
	assert_int_equal(buf[MF_MAX_RW_COUNT - 1], 0);
	assert_int_equal(fs_pread(f, buf, PAGE_SIZE, LFS_MAX - 1), -EINVAL);
	/* access_ok first: no buffer of 2^47 bytes or more (4-level paging) */
	assert_int_equal(fs_pread(f, buf, 1ULL << 47, 0), -EFAULT);
	assert_int_equal(fs_pwrite(f, buf, LFS_MAX, 1), -EFAULT);
	munmap(buf, MF_MAX_RW_COUNT);
	ok(m);
	fput(f);
	machine_destroy(m);
}

/* hugetlbfs: no write(2); sizes in whole huge pages; a punch inside one huge page does nothing. */
static void test_hugetlbfs_args(void **state)
{
	struct machine *m = mk_machine(32);
	struct inode *inode;
	struct file *f;
	static uint8_t buf[PAGE_SIZE];

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 1, 0), 0);
	inode = fs_create(m, FS_HUGETLBFS, "h", 0);
	f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	assert_int_equal(fs_pwrite(f, buf, 1, 0), -EINVAL);
	assert_int_equal(fs_ftruncate(f, PAGE_SIZE), -EINVAL);
	assert_int_equal(fs_ftruncate(f, HPAGE_PMD_SIZE), 0);
	assert_int_equal(fs_punch_hole(f, PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(inode->i_size, HPAGE_PMD_SIZE);
	ok(m);
	fput(f);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_args),
		cmocka_unit_test(test_hugetlbfs_args),
		cmocka_unit_test(test_read_count_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
