/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for pmem and filesystem DAX: mm/memremap.c, fs/dax.c,
 * fs/dax_fs.c, mm/memory-failure-dax.c. The seed-003 test holds a PTE entry
 * locked (as memory_failure does while it kills) and takes a PMD-sized
 * lookup over it under both lookup policies.
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

#include "memfail/dax.h"
#include "memfail/memory-failure.h"

static struct machine *mk(enum daxfs_kind kind)
{
	struct machine_config cfg = { .memory = 16ULL << 20, .swap = 0, .nodes = 1, .seed = 1 };
	struct machine *m;
	char err[128];

	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	assert_int_equal(pmem_create(m, 32ULL << 20, err, sizeof(err)), 0);
	assert_int_equal(daxfs_mount(m, kind), 0);
	return m;
}

static void done(struct machine *m)
{
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

static struct inode *mkfile(struct machine *m, const char *name, uint64_t size, bool aligned)
{
	struct inode *inode = fs_create(m, FS_DAX, name, 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t buf[PAGE_SIZE];
	uint64_t off;

	if (aligned)
		assert_int_equal(daxfs_fallocate_aligned(inode, size), 0);
	for (off = 0; off < size; off += PAGE_SIZE) {
		memset(buf, (int)((off >> PAGE_SHIFT) + 1), sizeof(buf));
		assert_int_equal(fs_pwrite(f, buf, PAGE_SIZE, off), PAGE_SIZE);
	}
	fput(f);
	return inode;
}

static void test_zone_device(void **state)
{
	struct machine *m = mk(DAXFS_XFS);
	uint64_t pfn = m->pmem->start_pfn + 600;

	(void)state;
	assert_null(pfn_to_online_page(m, pfn));
	assert_non_null(get_dev_pagemap(m, pfn));
	assert_int_equal(m->pmem->start_pfn % HPAGE_PMD_NR, 0);
	assert_int_equal(stable_page_flags(m, pfn), 1ULL << KPF_NOPAGE);
	assert_int_equal(unpoison_memory(m, pfn), -EIO);
	assert_int_equal(soft_offline_page(m, pfn, 0), -EIO);
	done(m);
}

/* Seed 003: a PTE entry at 1023 is locked; a PMD fault looks up [512, 1024). */
static void seed003(enum dax_lookup_policy policy)
{
	struct machine *m = mk(DAXFS_XFS);
	struct inode *inode = mkfile(m, "f", 4 << 20, true);
	struct address_space *mapping = &inode->i_data;
	void *pte_entry = dax_make_entry(m->pmem->start_pfn + 1023, 0), *got;
	struct page *page = NULL;
	dax_entry_t cookie;
	int status;

	assert_int_equal(xa_store_order(&mapping->i_pages, 1023, 0, pte_entry), 0);
	cookie = dax_lock_mapping_entry(mapping, 1023, &page);
	assert_true(cookie && cookie != ~(dax_entry_t)0);
	assert_ptr_equal(page, pfn_to_page(m, m->pmem->start_pfn + 1023));
	got = dax_grab_mapping_entry(mapping, 512, PMD_ORDER, policy, &status);
	if (policy == DAX_LOOKUP_CONFLICT) {
		/* 6.1: xas_find_conflict sees the PTE entry: fall back, nothing erased */
		assert_null(got);
		assert_int_equal(status, 1);
		assert_true(dax_is_locked(xa_load(&mapping->i_pages, 1023)));
		assert_int_equal(xa_get_order(&mapping->i_pages, 1023), 0);
		assert_int_equal(dax_unlock_entry(mapping, 1023, (void *)cookie), 0);
	} else {
		/* v4.20-rc1: NULL from the order-9 load; an empty PMD entry erases ours */
		assert_non_null(got);
		assert_true(dax_is_pmd_entry(got) && dax_is_empty_entry(got));
		assert_int_equal(xa_get_order(&mapping->i_pages, 1023), PMD_ORDER);
		assert_ptr_equal(xa_load(&mapping->i_pages, 1023), got);
		/* the fault finishes and unlocks; our unlock then finds a stranger */
		assert_int_equal(dax_unlock_entry(mapping, 512, got), 0);
		assert_int_equal(dax_unlock_entry(mapping, 1023, (void *)cookie), -EINVAL);
	}
	xa_erase(&mapping->i_pages, 1023);
	done(m);
}

static void test_seed003_conflict(void **state)
{
	(void)state;
	seed003(DAX_LOOKUP_CONFLICT);
}

static void test_seed003_plain_load(void **state)
{
	(void)state;
	seed003(DAX_LOOKUP_PLAIN_LOAD);
}

/* A locked entry makes a PTE-sized grab report "would sleep", leaving it alone. */
static void test_locked_entry_waits(void **state)
{
	struct machine *m = mk(DAXFS_XFS);
	struct inode *inode = mkfile(m, "f", 16 << 10, false);
	void *e = dax_make_entry(m->pmem->start_pfn + 700, DAX_LOCKED);
	int status;

	(void)state;
	assert_int_equal(xa_store_order(&inode->i_data.i_pages, 3, 0, e), 0);
	assert_null(dax_grab_mapping_entry(&inode->i_data, 3, 0, DAX_LOOKUP_CONFLICT, &status));
	assert_int_equal(status, -EAGAIN);
	assert_ptr_equal(xa_load(&inode->i_data.i_pages, 3), e);
	xa_erase(&inode->i_data.i_pages, 3);
	done(m);
}

/* Reflink shares blocks; a write copies; rmap-driven failure reaches both owners. */
static void test_reflink_cow(void **state)
{
	struct machine *m = mk(DAXFS_XFS);
	struct inode *a = mkfile(m, "a", 16 << 10, false), *b = fs_create(m, FS_DAX, "b", 0);
	struct file *fb = fs_open(b, FMODE_READ | FMODE_WRITE);
	uint8_t buf[16];
	bool cow = false;
	int err;
	uint64_t pa, pb;

	(void)state;
	assert_int_equal(daxfs_reflink(a, 0, b, 0, 0), 0);
	assert_int_equal(b->i_size, a->i_size);
	pa = daxfs_iomap(a, 1, false, NULL, &err);
	pb = daxfs_iomap(b, 1, false, NULL, &err);
	assert_int_equal(pa, pb);
	assert_true(daxfs_is_shared(a, 1));
	assert_int_equal(fs_pwrite(fb, "x", 1, PAGE_SIZE), 1);
	pb = daxfs_iomap(b, 1, false, &cow, &err);
	assert_int_not_equal(pa, pb);
	assert_false(daxfs_is_shared(a, 1));
	assert_int_equal(fs_pread(fb, buf, 2, PAGE_SIZE), 2);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(buf[1], 2);
	fput(fb);
	/* nobody mapped them: XFS finds the owners, nothing to kill, Recovered */
	assert_int_equal(memory_failure(m, pa, MF_SW_SIMULATED), 0);
	/* the superblock: shutdown, EUCLEAN */
	assert_int_equal(memory_failure(m, m->pmem->start_pfn, MF_SW_SIMULATED), -EUCLEAN);
	assert_true(daxfs_shutdown(m));
	done(m);
}

static void test_ext4_generic(void **state)
{
	struct machine *m = mk(DAXFS_EXT4);

	(void)state;
	mkfile(m, "a", 16 << 10, false);
	assert_int_equal(daxfs_reflink(m->inodes[0], 0, m->inodes[0], 0, 0), -EOPNOTSUPP);
	/* never faulted: page->mapping NULL, dax_lock_page fails */
	assert_int_equal(memory_failure(m, m->pmem->start_pfn + 600, MF_SW_SIMULATED), -EBUSY);
	assert_int_equal(memory_failure(m, m->pmem->start_pfn, MF_SW_SIMULATED), -EBUSY);
	assert_false(daxfs_shutdown(m));
	assert_int_equal(m->num_poisoned_pages, 2);
	done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_device),
		cmocka_unit_test(test_seed003_conflict),
		cmocka_unit_test(test_seed003_plain_load),
		cmocka_unit_test(test_locked_entry_waits),
		cmocka_unit_test(test_reflink_cow),
		cmocka_unit_test(test_ext4_generic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
