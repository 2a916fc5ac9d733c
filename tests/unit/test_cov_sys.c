/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The argument and state checks of the system-call layer (kernel/sys_*.c)
 * that scenarios cannot reach: descriptions out of range, NULL out-pointers,
 * calls on dead or unknown tasks, sysctls and file operations the model
 * refuses. Each call returns its errno and leaves the machine usable.
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

#include "memfail/memfail.h"

#define RW (MF_PROT_READ | MF_PROT_WRITE)

static struct mf_machine *new_machine(const struct mf_machine_desc *d)
{
	struct mf_machine *m = NULL;
	char err[128];

	assert_int_equal(mf_machine_create(d, &m, err, sizeof(err)), 0);
	return m;
}

static int create_fails(const struct mf_machine_desc *d, const char *want)
{
	struct mf_machine *m = (void *)1;
	char err[128] = "";
	int ret = mf_machine_create(d, &m, err, sizeof(err));

	assert_null(m);
	assert_non_null(strstr(err, want));
	return ret;
}

static void test_desc(void **state)
{
	struct mf_machine_desc d;

	(void)state;
	mf_machine_desc_default(NULL);	/* no description: nothing to fill */
	mf_machine_desc_default(&d);
	d.thp = 7;
	assert_int_equal(create_fails(&d, "out of range"), -EINVAL);
	mf_machine_desc_default(&d);
	d.pmem_fs = MF_PMEM_FS_XFS;
	assert_int_equal(create_fails(&d, "without pmem"), -EINVAL);
	mf_machine_desc_default(&d);
	d.memory = 16 << 20;
	d.hugepages = 64;	/* 128 MiB of huge pages in 16 MiB */
	assert_int_equal(create_fails(&d, "not enough memory"), -ENOMEM);
	mf_machine_desc_default(&d);
	d.memory = 16 << 20;
	d.pmem = 3 << 20;
	assert_int_equal(create_fails(&d, "multiple of 2M"), -EINVAL);
}

/*
 * RAM that is not a multiple of 2M: the buddy allocator frees the odd tail
 * in small blocks, and pmem starts at the next 2M boundary, the hole up to it
 * reserved (as firmware leaves it).
 */
static void test_odd_ram(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	uint64_t pfn, flags;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = (17 << 20) + 3 * MF_PAGE_SIZE;
	d.pmem = 2 << 20;
	m = new_machine(&d);
	assert_int_equal(mf_pmem_pfn(m, 0, &pfn), 0);
	assert_int_equal(pfn % 512, 0);
	assert_int_equal(pfn, 9 * 512);
	assert_int_equal(mf_kpageflags(m, pfn - 1, &flags), 0);
	assert_true(flags & (1ULL << 32));	/* KPF_RESERVED */
	assert_int_equal(mf_find_page(m, MF_PAGE_FREE, &pfn), 0);
	mf_machine_destroy(m);
}

static void test_sysctl(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 16 << 20;
	m = new_machine(&d);
	assert_int_equal(mf_sysctl_set(m, "vm.dirty_ratio", "5"), 0);	/* accepted, no effect */
	assert_int_equal(mf_sysctl_set(m, "memfail.dax_lookup", "load"), -EINVAL);	/* no pmem */
	mf_machine_destroy(m);
	d.pmem = 8 << 20;
	d.pmem_fs = MF_PMEM_FS_XFS;
	m = new_machine(&d);
	assert_int_equal(mf_sysctl_set(m, "memfail.dax_lookup", "sometimes"), -EINVAL);
	assert_int_equal(mf_sysctl_set(m, "memfail.dax_lookup", "load"), 0);
	assert_int_equal(mf_sysctl_set(m, "memfail.dax_lookup", "conflict"), 0);
	assert_int_equal(mf_reflink(m, "pmem:a", 0, "pmem:b", 0, MF_PAGE_SIZE), -ENOENT);
	mf_machine_destroy(m);
}

/* NULL out-pointers and unknown or dead tasks. */
static void test_null_and_dead(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	int a, b, dead;
	uint64_t pfn, addr;
	struct mf_sig sig;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 16 << 20;
	m = new_machine(&d);
	a = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	assert_int_equal(mf_mmap(m, a, MF_PAGE_SIZE, RW, MF_MAP_PRIVATE | MF_MAP_ANONYMOUS, -1, 0,
				 &addr), 0);
	assert_int_equal(mf_pagemap(m, a, addr, NULL), -EINVAL);
	assert_int_equal(mf_meminfo(m, NULL), -EINVAL);
	assert_int_equal(mf_find_page(m, MF_PAGE_FREE, NULL), -EINVAL);
	assert_int_equal(mf_virt_to_pfn(m, a, addr, NULL), -EINVAL);
	assert_int_equal(mf_pmem_pfn(m, 0, NULL), -EINVAL);
	assert_int_equal(mf_filter_get(m, NULL), -EINVAL);
	assert_int_equal(mf_filter_set(m, NULL), -EINVAL);
	assert_int_equal(mf_checkpoint(m, NULL), -EINVAL);
	assert_int_equal(mf_death_next(m, NULL), -EINVAL);
	assert_int_equal(mf_ksm_scan(m, -1), -EINVAL);
	assert_int_equal(mf_prctl_mce_kill_get(m, 999), -ESRCH);
	assert_int_equal(mf_store(m, a, addr, 1, NULL), 0);
	/* a thread's store after its process died */
	b = mf_fork(m, a, "b", MF_SIGBUS_INHERIT);
	dead = mf_thread_create(m, b);
	assert_int_equal(mf_exit_group(m, b, 0), 0);
	assert_true(mf_store(m, dead, addr, 1, &sig) < 0);
	/* SIGSEGV kills even a process with a SIGBUS handler; sig may be NULL */
	assert_int_equal(mf_store(m, a, addr + 64 * MF_PAGE_SIZE, 1, NULL), MF_ACCESS_KILLED);
	assert_int_equal(mf_find_page(m, MF_PAGE_FREE, &pfn), 0);
	mf_machine_destroy(m);
}

/* mmap, munmap, mprotect and shmat arguments the kernel refuses. */
static void test_mm_args(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	struct mf_file_init init = { 2 << 20, MF_FILE_INIT_HOLE, { MF_FILL_BYTE, 0, 0, 0 }, false };
	uint64_t addr, huge;
	int a, fd, shm;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 32 << 20;
	d.hugepages = 2;
	d.thp = MF_THP_ALWAYS;
	m = new_machine(&d);
	a = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	/* a read-only hugetlbfs file mapped shared and writable: the reservation is given back */
	assert_int_equal(mf_file_create(m, "hugetlbfs:h", &init), 0);
	fd = mf_open(m, a, "hugetlbfs:h", MF_O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(mf_mmap(m, a, 2 << 20, RW, MF_MAP_SHARED, fd, 0, &addr), -EACCES);
	assert_int_equal(mf_mmap(m, a, 2 << 20, MF_PROT_READ, MF_MAP_SHARED, fd, 0, &huge), 0);
	/* hugetlb_vm_op_split: no VMA edge inside a huge page */
	assert_int_equal(mf_munmap(m, a, huge + MF_PAGE_SIZE, MF_PAGE_SIZE), -EINVAL);
	assert_int_equal(mf_mprotect(m, a, huge, MF_PAGE_SIZE, MF_PROT_READ), -EINVAL);
	assert_int_equal(mf_mmap(m, a, MF_PAGE_SIZE, RW, MF_MAP_PRIVATE | MF_MAP_ANONYMOUS, -1, 0,
				 &addr), 0);
	assert_int_equal(mf_mprotect(m, a, addr, MF_PAGE_SIZE, 0x80), -EINVAL);
	shm = mf_shmget(m, MF_PAGE_SIZE, 0);
	assert_true(shm >= 0);
	assert_int_equal(mf_shmat(m, a, shm, RW, MF_MAP_PRIVATE, &addr), -EINVAL);
	assert_int_equal(mf_fallocate(m, a, fd, 0, 0, MF_PAGE_SIZE), -EOPNOTSUPP);
	mf_machine_destroy(m);
}

/*
 * DAX faults at the end of a file: a PMD that would reach past EOF falls
 * back to PTEs (dax_iomap_pmd_fault), and a page past EOF is SIGBUS.
 */
static void test_dax_eof(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	struct mf_file_init init = { 3 << 20, MF_FILE_INIT_SYNCED, { MF_FILL_BYTE, 5, 0, 0 }, true };
	struct mf_sig sig;
	uint64_t addr;
	uint8_t byte = 0;
	int a, fd;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 32 << 20;
	d.pmem = 16 << 20;
	d.pmem_fs = MF_PMEM_FS_XFS;
	m = new_machine(&d);
	a = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	assert_int_equal(mf_file_create(m, "pmem:f", &init), 0);
	fd = mf_open(m, a, "pmem:f", MF_O_RDWR);
	assert_int_equal(mf_mmap(m, a, 4 << 20, RW, MF_MAP_SHARED, fd, 0, &addr), 0);
	assert_int_equal(mf_load(m, a, addr + (2 << 20), &byte, &sig), 0);	/* a PTE */
	assert_int_equal(byte, 5);
	assert_int_equal(mf_load(m, a, addr + (3 << 20), &byte, &sig), MF_ACCESS_SIGNAL);
	assert_int_equal(sig.signo, 7);	/* SIGBUS */
	assert_int_equal(mf_load(m, a, addr, &byte, &sig), 0);	/* a PMD */
	assert_int_equal(byte, 5);
	mf_machine_destroy(m);
}

/*
 * A write through a mapping to a reflinked (shared) pmem block: the
 * filesystem gives the page a new block (COW); the old one keeps the source
 * file's data, and every mapper of the destination sees the new block. The
 * reads map the shared 2M extent with read-only PMDs; the write must not
 * upgrade a PMD of a shared extent in place (it did: the store reached the
 * source file), it zaps it and COWs one page through the PTE path.
 */
static void test_dax_reflink_cow(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	struct mf_file_init src = { 2 << 20, MF_FILE_INIT_SYNCED, { MF_FILL_BYTE, 5, 0, 0 }, true };
	struct mf_file_init dst = { 2 << 20, MF_FILE_INIT_SYNCED, { MF_FILL_BYTE, 9, 0, 0 }, true };
	struct mf_sig sig;
	uint64_t x, y;
	uint8_t byte = 0, buf[1];
	int a, b, fa, fb, fb2;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 32 << 20;
	d.pmem = 32 << 20;
	d.pmem_fs = MF_PMEM_FS_XFS;
	m = new_machine(&d);
	a = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	b = mf_task_create(m, "b", MF_SIGBUS_HANDLER);
	assert_int_equal(mf_file_create(m, "pmem:s", &src), 0);
	assert_int_equal(mf_file_create(m, "pmem:d", &dst), 0);
	assert_int_equal(mf_reflink(m, "pmem:s", 0, "pmem:d", 0, 2 << 20), 0);
	fa = mf_open(m, a, "pmem:s", MF_O_RDONLY);
	fb = mf_open(m, a, "pmem:d", MF_O_RDWR);
	fb2 = mf_open(m, b, "pmem:d", MF_O_RDWR);
	assert_int_equal(mf_mmap(m, a, 2 << 20, RW, MF_MAP_SHARED, fb, 0, &x), 0);
	assert_int_equal(mf_mmap(m, b, 2 << 20, RW, MF_MAP_SHARED, fb2, 0, &y), 0);
	assert_int_equal(mf_load(m, a, x + 3 * MF_PAGE_SIZE, &byte, &sig), 0);
	assert_int_equal(byte, 5);
	assert_int_equal(mf_load(m, b, y + 3 * MF_PAGE_SIZE, &byte, &sig), 0);
	assert_int_equal(mf_store(m, a, x + 3 * MF_PAGE_SIZE, 7, &sig), 0);
	assert_int_equal(mf_load(m, b, y + 3 * MF_PAGE_SIZE, &byte, &sig), 0);
	assert_int_equal(byte, 7);
	assert_int_equal(mf_pread(m, a, fa, buf, 1, 3 * MF_PAGE_SIZE), 1);
	assert_int_equal(buf[0], 5);
	mf_machine_destroy(m);
}

/*
 * A hard offline of a hugetlbfs page that is cached but mapped by nobody:
 * nothing to unmap, nobody to signal; the page is poisoned. mf_file_pfn
 * finds the 4K page of a byte offset of a hugetlbfs file (it used the 4K
 * index on the huge-page-indexed cache: ENOENT for this offset).
 */
static void test_unmapped_hugetlbfs_page(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	struct mf_file_init init = { 2 << 20, MF_FILE_INIT_DIRTY, { MF_FILL_BYTE, 3, 0, 0 }, false };
	struct mf_sig sig;
	uint64_t pfn, flags;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 32 << 20;
	d.hugepages = 2;
	m = new_machine(&d);
	assert_int_equal(mf_file_create(m, "hugetlbfs:h", &init), 0);
	assert_int_equal(mf_file_pfn(m, "hugetlbfs:h", 5 * MF_PAGE_SIZE, &pfn), 0);
	assert_int_equal(mf_hard_offline(m, pfn * MF_PAGE_SIZE), 0);
	assert_int_equal(mf_kpageflags(m, pfn - 5, &flags), 0);
	assert_true(flags & (1ULL << 19));	/* KPF_HWPOISON, on the head as 6.1 keeps it */
	assert_int_equal(mf_signal_next(m, &sig), 0);
	mf_machine_destroy(m);
}

/*
 * Soft offline of a block-device metadata page with idle buffers: it
 * migrates (buffer_migrate_folio moves the buffers and their reference)
 * and the old frame is retired.
 */
static void test_soft_offline_metadata(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	uint64_t pfn, flags;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 16 << 20;
	m = new_machine(&d);
	assert_int_equal(mf_find_page(m, MF_PAGE_METADATA, &pfn), 0);
	assert_int_equal(mf_soft_offline(m, pfn * MF_PAGE_SIZE), 0);
	assert_int_equal(mf_kpageflags(m, pfn, &flags), 0);
	assert_true(flags & (1ULL << 19));	/* KPF_HWPOISON */
	mf_machine_destroy(m);
}

/*
 * tmpfs: fsync has nothing to write back; a mapping at a small nonzero
 * offset is not aligned for huge pages even with shmem THP on; unmapping the
 * middle of a file mapping splits the VMA, both halves keeping the file.
 */
static void test_tmpfs_misc(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	struct mf_file_init init = { 4 << 20, MF_FILE_INIT_DIRTY, { MF_FILL_INDEX, 0, 0, 0 }, false };
	struct mf_sig sig;
	uint64_t addr;
	uint8_t byte;
	int a, fd;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 32 << 20;
	d.shmem_thp = MF_SHMEM_THP_ALWAYS;
	m = new_machine(&d);
	a = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	assert_int_equal(mf_file_create(m, "tmpfs:t", &init), 0);
	fd = mf_open(m, a, "tmpfs:t", MF_O_RDWR);
	assert_int_equal(mf_fsync(m, a, fd), 0);
	assert_int_equal(mf_mmap(m, a, 2 << 20, RW, MF_MAP_SHARED, fd, MF_PAGE_SIZE, &addr), 0);
	assert_int_equal(mf_munmap(m, a, addr + MF_PAGE_SIZE, MF_PAGE_SIZE), 0);
	assert_int_equal(mf_load(m, a, addr + 2 * MF_PAGE_SIZE, &byte, &sig), 0);
	assert_int_equal(byte, 4);	/* file page 3: MF_FILL_INDEX counts from 1 */
	mf_machine_destroy(m);
}

/*
 * The injection knobs: an unknown soft_offline_pause value is refused; a
 * soft offline of a page already poisoned succeeds and does nothing more; a
 * filter that matches no page (a memcg: no page has one in the model) makes
 * a hard offline of a pmem block do nothing.
 */
static void test_injection_knobs(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	struct mf_file_init init = { MF_PAGE_SIZE, MF_FILE_INIT_SYNCED, { MF_FILL_BYTE, 1, 0, 0 }, false };
	struct mf_hwpoison_filter f = { true, ~0u, ~0u, 0, 0, 1 };
	uint64_t pfn, flags, addr;
	struct mf_meminfo mi;
	struct mf_sig sig;
	uint8_t byte;
	int a, fd;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 16 << 20;
	d.pmem = 8 << 20;
	d.pmem_fs = MF_PMEM_FS_XFS;
	m = new_machine(&d);
	assert_int_equal(mf_sysctl_set(m, "memfail.soft_offline_pause", "2"), -EINVAL);
	assert_int_equal(mf_find_page(m, MF_PAGE_FREE, &pfn), 0);
	assert_int_equal(mf_soft_offline(m, pfn * MF_PAGE_SIZE), 0);
	assert_int_equal(mf_meminfo(m, &mi), 0);
	assert_int_equal(mf_soft_offline(m, pfn * MF_PAGE_SIZE), 0);
	assert_true(strstr(mf_log_text(m), "page already poisoned") != NULL);
	assert_int_equal(mf_file_create(m, "pmem:f", &init), 0);
	a = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	fd = mf_open(m, a, "pmem:f", MF_O_RDWR);
	assert_int_equal(mf_mmap(m, a, MF_PAGE_SIZE, RW, MF_MAP_SHARED, fd, 0, &addr), 0);
	assert_int_equal(mf_load(m, a, addr, &byte, &sig), 0);	/* a DAX entry for the block */
	assert_int_equal(mf_file_pfn(m, "pmem:f", 0, &pfn), 0);
	assert_int_equal(mf_filter_set(m, &f), 0);
	/* memory_failure's EOPNOTSUPP: hard_offline_page_store answers 0 */
	assert_int_equal(mf_hard_offline(m, pfn * MF_PAGE_SIZE), 0);
	assert_int_equal(mf_kpageflags(m, pfn, &flags), 0);
	assert_false(flags & (1ULL << 19));	/* KPF_HWPOISON */
	assert_int_equal(mf_load(m, a, addr, &byte, &sig), 0);
	assert_int_equal(byte, 1);
	mf_machine_destroy(m);
}

/* A hugetlbfs file bigger than the pool cannot be filled; vmsplice needs a pipe. */
static void test_file_limits(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m;
	struct mf_file_init init = { 4 << 20, MF_FILE_INIT_DIRTY, { MF_FILL_BYTE, 3, 0, 0 }, false };
	uint64_t addr;
	int a, fd;

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 32 << 20;
	d.hugepages = 1;
	m = new_machine(&d);
	assert_int_equal(mf_file_create(m, "hugetlbfs:big", &init), -ENOMEM);
	init.size = MF_PAGE_SIZE;
	assert_int_equal(mf_file_create(m, "disk:f", &init), 0);
	a = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	fd = mf_open(m, a, "disk:f", MF_O_RDWR);
	assert_int_equal(mf_mmap(m, a, MF_PAGE_SIZE, RW, MF_MAP_PRIVATE | MF_MAP_ANONYMOUS, -1, 0,
				 &addr), 0);
	assert_int_equal(mf_vmsplice(m, a, fd, addr, MF_PAGE_SIZE), -EBADF);
	mf_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desc),
		cmocka_unit_test(test_odd_ram),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_null_and_dead),
		cmocka_unit_test(test_mm_args),
		cmocka_unit_test(test_dax_eof),
		cmocka_unit_test(test_dax_reflink_cow),
		cmocka_unit_test(test_unmapped_hugetlbfs_page),
		cmocka_unit_test(test_soft_offline_metadata),
		cmocka_unit_test(test_tmpfs_misc),
		cmocka_unit_test(test_injection_knobs),
		cmocka_unit_test(test_file_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
