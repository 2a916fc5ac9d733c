/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for files and the page cache: lib/errseq.c, fs/inode.c,
 * fs/read_write.c, mm/filemap.c, mm/truncate.c.
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

#include "memfail/mm.h"

static struct machine *mk(void)
{
	return mk_machine(16);
}

/* End of a test: the machine must be consistent, then goes. */
static void done(struct machine *m)
{
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

/* Write npages pages, page i filled with (i + 1) & 0xff. */
static void fill_index(struct file *f, unsigned npages)
{
	static uint8_t buf[PAGE_SIZE];
	unsigned i;

	for (i = 0; i < npages; i++) {
		memset(buf, (i + 1) & 0xff, sizeof(buf));
		assert_int_equal(fs_pwrite(f, buf, PAGE_SIZE, (uint64_t)i * PAGE_SIZE), PAGE_SIZE);
	}
}

static void assert_page_bytes(struct file *f, uint64_t index, uint8_t val)
{
	static uint8_t buf[PAGE_SIZE];
	uint64_t i;

	assert_int_equal(fs_pread(f, buf, PAGE_SIZE, index * PAGE_SIZE), PAGE_SIZE);
	for (i = 0; i < PAGE_SIZE; i++)
		if (buf[i] != val)
			fail_msg("page %llu byte %llu: %#x, expected %#x", (unsigned long long)index,
				 (unsigned long long)i, buf[i], val);
}

static struct page *cached(struct file *f, uint64_t index)
{
	return xa_load(&file_mapping(f)->i_pages, index);
}

static void test_errseq(void **state)
{
	errseq_t e = 0, a, b;

	(void)state;
	assert_int_equal(errseq_sample(&e), 0);
	a = errseq_sample(&e);
	assert_int_equal(errseq_check(&e, a), 0);
	assert_int_equal(errseq_check_and_advance(&e, &a), 0);

	errseq_set(&e, -EIO);
	/* Unseen: a late subscriber still starts before it. */
	b = errseq_sample(&e);
	assert_int_equal(b, 0);
	assert_int_equal(errseq_check(&e, a), -EIO);
	assert_int_equal(errseq_check_and_advance(&e, &a), -EIO);
	assert_int_equal(errseq_check_and_advance(&e, &a), 0);
	assert_int_equal(errseq_check_and_advance(&e, &b), -EIO);
	assert_int_equal(errseq_check_and_advance(&e, &b), 0);
	/* Seen: a new subscriber does not get it. */
	b = errseq_sample(&e);
	assert_int_equal(errseq_check_and_advance(&e, &b), 0);

	/* A new error after being seen bumps the counter: everyone sees it. */
	errseq_set(&e, -ENOSPC);
	assert_int_equal(errseq_check(&e, a), -ENOSPC);
	assert_int_equal(errseq_check_and_advance(&e, &a), -ENOSPC);
	assert_int_equal(errseq_check_and_advance(&e, &b), -ENOSPC);

	/* Two errors before anyone looks: reported once, the latest code. */
	errseq_set(&e, -EIO);
	a = e;
	errseq_set(&e, -ENOSPC);
	errseq_set(&e, -EIO);
	b = 0;
	assert_int_equal(errseq_check_and_advance(&e, &b), -EIO);
	(void)a;

	/* 0 and out-of-range values are not errors. */
	a = e;
	errseq_set(&e, 0);
	errseq_set(&e, 5);
	errseq_set(&e, -5000);
	assert_int_equal(e, a);
}

static void test_read_after_drop(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_DISK, "data", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);

	(void)state;
	assert_non_null(f);
	assert_null(fs_create(m, FS_DISK, "data", 0));
	assert_ptr_equal(fs_lookup(m, FS_DISK, "data"), inode);
	assert_null(fs_lookup(m, FS_TMPFS, "data"));
	fill_index(f, 3);
	assert_int_equal(inode->i_size, 3 * PAGE_SIZE);
	assert_true(PageFlag(cached(f, 0), PG_dirty));
	assert_true(xa_get_mark(&inode->i_data.i_pages, 0, XA_MARK_DIRTY));
	assert_int_equal(fs_fsync(f, false), 0);
	assert_false(PageFlag(cached(f, 0), PG_dirty));
	assert_false(xa_marked(&inode->i_data.i_pages, XA_MARK_DIRTY));
	assert_non_null(inode->disk[2]);

	drop_caches(m, 3);
	assert_int_equal(inode->i_data.nrpages, 0);
	assert_page_bytes(f, 1, 2);
	assert_int_equal(inode->i_data.nrpages, 1);
	assert_page_bytes(f, 0, 1);
	assert_page_bytes(f, 2, 3);
	assert_int_equal(inode->i_data.nrpages, 3);
	assert_int_equal(cached(f, 2)->_refcount >= 1, 1);
	fput(f);
	done(m);
}

static void test_eof_and_modes(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_DISK, "small", 0);
	struct file *ro = fs_open(inode, FMODE_READ), *wo = fs_open(inode, FMODE_WRITE);
	uint8_t buf[300];

	(void)state;
	assert_null(fs_open(inode, 0));
	assert_int_equal(fs_pwrite(wo, "hello", 5, 100), 5);
	assert_int_equal(inode->i_size, 105);
	assert_int_equal(fs_pread(wo, buf, 5, 100), -EBADF);
	assert_int_equal(fs_pwrite(ro, "x", 1, 0), -EBADF);
	assert_int_equal(fs_ftruncate(ro, 0), -EINVAL);
	assert_int_equal(fs_punch_hole(ro, 0, 1), -EBADF);
	assert_int_equal(fs_pread(ro, buf, sizeof(buf), 0), 105);
	assert_memory_equal(buf + 100, "hello", 5);
	assert_int_equal(buf[0], 0);
	assert_int_equal(fs_pread(ro, buf, 10, 105), 0);
	assert_int_equal(fs_pread(ro, buf, 10, 1 << 20), 0);
	/* A write past EOF leaves a hole that reads as zeroes. */
	assert_int_equal(fs_pwrite(wo, "z", 1, 5 * PAGE_SIZE), 1);
	assert_page_bytes(ro, 3, 0);
	assert_int_equal(fs_fsync(ro, true), 0);
	fput(ro);
	fput(wo);
	done(m);
}

static void test_dirty_until_writeback(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_DISK, "log", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t buf[PAGE_SIZE];

	(void)state;
	fill_index(f, 2);
	/* drop_caches writes nothing and keeps dirty pages. */
	drop_caches(m, 1);
	assert_int_equal(inode->i_data.nrpages, 2);
	assert_null(inode->disk);
	assert_page_bytes(f, 1, 2);

	/* Truncating dirty pages loses their data: nothing reached the disk. */
	assert_int_equal(fs_ftruncate(f, 0), 0);
	assert_int_equal(inode->i_data.nrpages, 0);
	assert_int_equal(fs_ftruncate(f, 2 * PAGE_SIZE), 0);
	assert_page_bytes(f, 0, 0);
	assert_page_bytes(f, 1, 0);

	/* Synced data, then a dirty overwrite that is removed: the old data comes back. */
	fill_index(f, 2);
	sync_all(m);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(fs_pwrite(f, buf, PAGE_SIZE, PAGE_SIZE), PAGE_SIZE);
	assert_int_equal(generic_error_remove_page(file_mapping(f), cached(f, 1)), 0);
	assert_int_equal(inode->i_data.nrpages, 1);
	assert_page_bytes(f, 1, 2);

	/* A partial truncation zeroes the tail in the cache and on disk. */
	assert_int_equal(fs_ftruncate(f, 100), 0);
	assert_int_equal(fs_ftruncate(f, PAGE_SIZE), 0);
	assert_int_equal(fs_pread(f, buf, PAGE_SIZE, 0), PAGE_SIZE);
	assert_int_equal(buf[99], 1);
	assert_int_equal(buf[100], 0);
	drop_caches(m, 1);
	assert_int_equal(inode->i_data.nrpages, 0);
	assert_int_equal(fs_pread(f, buf, PAGE_SIZE, 0), PAGE_SIZE);
	assert_int_equal(buf[99], 1);
	assert_int_equal(buf[100], 0);
	fput(f);
	done(m);
}

/* What memory_failure does to a dirty disk page: record EIO, truncate. */
static void lose_dirty_page(struct file *f, uint64_t index)
{
	struct address_space *mapping = file_mapping(f);

	mapping_set_error(mapping, -EIO);
	assert_int_equal(generic_error_remove_page(mapping, cached(f, index)), 0);
}

static void test_fsync_two_fds(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_DISK, "data", 0);
	struct file *f1 = fs_open(inode, FMODE_READ | FMODE_WRITE);
	struct file *f2 = fs_open(inode, FMODE_READ);

	(void)state;
	fill_index(f1, 2);
	assert_int_equal(fs_fsync(f1, false), 0);
	assert_int_equal(fs_pwrite(f1, "x", 1, 0), 1);
	lose_dirty_page(f1, 0);
	assert_true(inode->i_data.flags & (1UL << AS_EIO));
	assert_int_not_equal(m->disk_sb.s_wb_err, 0);
	/* pread sees the old on-disk data. */
	assert_page_bytes(f2, 0, 1);
	assert_int_equal(fs_fsync(f1, false), -EIO);
	assert_false(inode->i_data.flags & (1UL << AS_EIO));
	assert_int_equal(fs_fsync(f1, false), 0);
	assert_int_equal(fs_fsync(f2, true), -EIO);
	assert_int_equal(fs_fsync(f2, true), 0);
	assert_int_equal(fs_fsync(f1, false), 0);

	/* Seen, closed, reopened: no error. */
	fput(f1);
	f1 = fs_open(inode, FMODE_READ | FMODE_WRITE);
	assert_int_equal(fs_fsync(f1, false), 0);

	/* A second error, nobody looks, the only fd closes: a new open sees it once. */
	assert_int_equal(fs_pwrite(f1, "y", 1, PAGE_SIZE), 1);
	lose_dirty_page(f1, 1);
	fput(f1);
	fput(f2);
	f1 = fs_open(inode, FMODE_READ);
	f2 = fs_open(inode, FMODE_READ);
	assert_int_equal(fs_fsync(f1, false), -EIO);
	assert_int_equal(fs_fsync(f1, false), 0);
	/* f2 opened before anybody saw it: it gets it once too. */
	assert_int_equal(fs_fsync(f2, false), -EIO);
	assert_int_equal(fs_fsync(f2, false), 0);
	fput(f2);
	f2 = fs_open(inode, FMODE_READ);
	assert_int_equal(fs_fsync(f2, false), 0);
	fput(f1);
	fput(f2);
	done(m);
}

static void test_punch_hole(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_DISK, "data", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t buf[PAGE_SIZE];

	(void)state;
	fill_index(f, 3);
	assert_int_equal(fs_fsync(f, false), 0);
	assert_int_equal(fs_punch_hole(f, 0, 0), -EINVAL);
	assert_int_equal(fs_punch_hole(f, PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(inode->i_size, 3 * PAGE_SIZE);
	assert_int_equal(inode->i_data.nrpages, 2);
	assert_null(cached(f, 1));
	assert_null(inode->disk[1]);
	assert_non_null(inode->disk[2]);
	assert_page_bytes(f, 1, 0);
	assert_page_bytes(f, 0, 1);
	assert_page_bytes(f, 2, 3);

	/* A partial punch zeroes bytes, in the cache and on disk. */
	assert_int_equal(fs_punch_hole(f, 2 * PAGE_SIZE + 10, 20), 0);
	drop_caches(m, 1);
	assert_int_equal(fs_pread(f, buf, PAGE_SIZE, 2 * PAGE_SIZE), PAGE_SIZE);
	assert_int_equal(buf[9], 3);
	assert_int_equal(buf[10], 0);
	assert_int_equal(buf[29], 0);
	assert_int_equal(buf[30], 3);
	fput(f);
	done(m);
}

static void test_tmpfs_poison(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_TMPFS, "t1", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	static uint8_t buf[3 * PAGE_SIZE];
	struct page *p;

	(void)state;
	fill_index(f, 3);
	p = cached(f, 1);
	assert_true(PageFlag(p, PG_swapbacked));
	assert_true(PageFlag(p, PG_dirty));
	assert_false(mapping_can_writeback(file_mapping(f)));
	assert_true(shmem_mapping(file_mapping(f)));
	/* tmpfs pages are never written anywhere: drop_caches keeps them. */
	drop_caches(m, 3);
	assert_int_equal(inode->i_data.nrpages, 3);

	/* memory_failure's view: dirty page, EIO recorded, error_remove_page keeps it. */
	SetPageFlag(p, PG_hwpoison);
	mapping_set_error(file_mapping(f), -EIO);
	assert_int_equal(generic_error_remove_page(file_mapping(f), p), 0);
	assert_ptr_equal(cached(f, 1), p);

	assert_int_equal(fs_pread(f, buf, sizeof(buf), 0), PAGE_SIZE);
	assert_int_equal(buf[PAGE_SIZE - 1], 1);
	assert_int_equal(fs_pread(f, buf, sizeof(buf), PAGE_SIZE + 7), -EIO);
	assert_int_equal(fs_pread(f, buf, PAGE_SIZE, 2 * PAGE_SIZE), PAGE_SIZE);
	assert_int_equal(buf[0], 3);
	assert_int_equal(fs_pwrite(f, "x", 1, PAGE_SIZE + 5), -EIO);
	assert_int_equal(fs_pwrite(f, buf, 2, PAGE_SIZE - 1), 1);	/* stops at the poison */
	assert_int_equal(fs_fsync(f, false), 0);

	/* The fault path gets the page and tests PG_hwpoison itself. */
	{
		int err;
		struct page *fp = filemap_get_page(file_mapping(f), 1, NULL, &err);
		assert_int_equal(err, 0);
		assert_ptr_equal(fp, p);
		put_page(m, fp);
		assert_null(filemap_get_page(file_mapping(f), 3, NULL, &err));
		assert_int_equal(err, -EFAULT);
	}

	/* Punching the hole removes it; the page is kept out of the allocator. */
	assert_int_equal(fs_punch_hole(f, PAGE_SIZE, PAGE_SIZE), 0);
	assert_null(cached(f, 1));
	assert_int_equal(inode->i_data.nrpages, 2);
	lru_add_drain(m);
	assert_int_equal(p->_refcount, 0);
	assert_int_equal(p->mapping, 0);
	assert_false(is_free_buddy_page(m, p));
	assert_page_bytes(f, 1, 0);
	assert_int_equal(inode->i_data.nrpages, 2);	/* a tmpfs hole read allocates nothing */
	fput(f);
	done(m);
}

static void test_bdev_invalidate(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_BDEV, "vda", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	struct page *p0, *p1;

	(void)state;
	assert_false(inode->regular);
	fill_index(f, 2);
	assert_int_equal(fs_fsync(f, false), 0);
	assert_int_equal(fs_pwrite(f, "d", 1, PAGE_SIZE), 1);
	lru_add_drain(m);
	p0 = cached(f, 0);
	p1 = cached(f, 1);
	assert_int_equal(generic_error_remove_page(file_mapping(f), p0), -EIO);

	/* Busy: someone else holds a reference. */
	get_page(p0);
	get_page(p0);
	assert_int_equal(invalidate_inode_page(p0), 0);
	put_page(m, p0);
	/* Dirty: refused. */
	get_page(p1);
	assert_int_equal(invalidate_inode_page(p1), 0);
	put_page(m, p1);
	/* Clean, only ours and the cache's: dropped, our reference remains. */
	assert_int_equal(invalidate_inode_page(p0), 1);
	assert_int_equal(p0->_refcount, 1);
	assert_int_equal(p0->mapping, 0);
	assert_int_equal(invalidate_inode_page(p0), 0);
	put_page(m, p0);
	assert_int_equal(inode->i_data.nrpages, 1);
	assert_page_bytes(f, 0, 1);
	fput(f);
	done(m);
}

static void test_unlink(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_DISK, "gone", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint64_t free_before;

	(void)state;
	assert_int_equal(fs_unlink(m, FS_DISK, "nope"), -ENOENT);
	fill_index(f, 4);
	lru_add_drain(m);
	free_before = nr_free_pages(m);
	assert_int_equal(fs_unlink(m, FS_DISK, "gone"), 0);
	assert_null(fs_lookup(m, FS_DISK, "gone"));
	assert_int_equal(m->nr_inodes, 1);
	assert_page_bytes(f, 3, 4);	/* still open: still there */
	/* The name is free again while the old file lives on. */
	assert_non_null(fs_create(m, FS_DISK, "gone", 0));
	fput(f);
	assert_int_equal(m->nr_inodes, 1);
	assert_int_equal(nr_free_pages(m), free_before + 4);
	done(m);
}

static void test_truncate_unmaps(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_DISK, "mapped", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	struct task_struct *t = task_create(m, "A");
	uint64_t addr;
	struct page *p;

	(void)state;
	fill_index(f, 2);
	assert_int_equal(fs_fsync(f, false), 0);
	assert_int_equal(do_mmap(t, 2 * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED | VM_MAYSHARE,
				 f, 0, true, &addr), 0);
	p = cached(f, 1);
	assert_true(page_mapped(p));
	/* A store through the mapping dirties the page; fsync writes it and write-protects. */
	{
		uint8_t b = 0x77;
		assert_int_equal(access_user(t, addr + 5, &b, true), 0);
		assert_true(PageFlag(cached(f, 0), PG_dirty));
		assert_int_equal(fs_fsync(f, false), 0);
		assert_false(PageFlag(cached(f, 0), PG_dirty));
		assert_int_equal(inode->disk[0][5], 0x77);
		assert_false(*pte_lookup(t->mm, addr) & PTE_WRITE);
		assert_int_equal(access_user(t, addr + 6, &b, true), 0);
		assert_true(PageFlag(cached(f, 0), PG_dirty));
		sync_all(m);
		assert_int_equal(inode->disk[0][6], 0x77);
	}
	/* drop_caches leaves mapped pages alone. */
	drop_caches(m, 1);
	assert_ptr_equal(cached(f, 1), p);
	assert_int_equal(fs_ftruncate(f, PAGE_SIZE), 0);
	assert_null(cached(f, 1));
	assert_true(pte_lookup(t->mm, addr + PAGE_SIZE) == NULL ||
		    pte_none(*pte_lookup(t->mm, addr + PAGE_SIZE)));
	assert_true(page_mapped(cached(f, 0)));
	/* Punching a mapped page unmaps it too. */
	assert_int_equal(fs_punch_hole(f, 0, PAGE_SIZE), 0);
	assert_null(cached(f, 0));
	assert_int_equal(inode->i_data.nrpages, 0);
	fput(f);
	done(m);
}

static void test_hugetlbfs(void **state)
{
	struct machine *m = mk();
	struct inode *inode = fs_create(m, FS_HUGETLBFS, "h1", HPAGE_PMD_NR * PAGE_SIZE);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t buf[64];

	(void)state;
	assert_int_equal(fs_pwrite(f, "x", 1, 0), -EINVAL);
	assert_int_equal(fs_pread(f, buf, sizeof(buf), 4096), (long)sizeof(buf));
	assert_int_equal(buf[0], 0);
	assert_int_equal(fs_ftruncate(f, PAGE_SIZE), -EINVAL);
	assert_int_equal(fs_ftruncate(f, 0), 0);
	assert_int_equal(fs_fsync(f, false), 0);
	assert_int_equal(inode->i_data.nrpages, 0);
	fput(f);
	done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errseq),
		cmocka_unit_test(test_read_after_drop),
		cmocka_unit_test(test_eof_and_modes),
		cmocka_unit_test(test_dirty_until_writeback),
		cmocka_unit_test(test_fsync_two_fds),
		cmocka_unit_test(test_punch_hole),
		cmocka_unit_test(test_tmpfs_poison),
		cmocka_unit_test(test_bdev_invalidate),
		cmocka_unit_test(test_unlink),
		cmocka_unit_test(test_truncate_unmaps),
		cmocka_unit_test(test_hugetlbfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
