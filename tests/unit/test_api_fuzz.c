/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Random calls of the public API with half-sensible, half-wild arguments
 * (dead and unknown tids, unaligned and huge lengths, pfns outside memory,
 * pipes where files are expected ...): no call may crash, and the model's
 * invariant checker must pass after every call. Seeded, so a failure names
 * the seed and the call that broke it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "memfail/memfail.h"

#define MAXN 64
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fuzz {
	struct mf_machine *m;
	uint64_t rng;
	int tids[MAXN], ntid;
	uint64_t addrs[MAXN];
	int naddr;
	/* this call's arguments */
	int tid, fd;
	uint64_t addr, len, pfn;
	uint8_t buf[1 << 16];
};

static uint64_t rnd(struct fuzz *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return f->rng;
}

static void pick_args(struct fuzz *f)
{
	static const uint64_t lens[] = { 0, 1, 4096, 8192, 2 << 20, 12345, UINT64_MAX, 1ULL << 47 };

	f->tid = f->ntid ? f->tids[rnd(f) % f->ntid] : 1;
	if (rnd(f) % 20 == 0)
		f->tid = (int)rnd(f);
	f->addr = f->naddr && rnd(f) % 4 ? f->addrs[rnd(f) % f->naddr] + (rnd(f) % 3) * 4096 : rnd(f);
	f->len = lens[rnd(f) % ARRAY_LEN(lens)];
	f->pfn = rnd(f) % 2 ? rnd(f) % 5000 : rnd(f);
	f->fd = (int)(rnd(f) % 6) - 1;
}

static const char *path(struct fuzz *f)
{
	static const char *const paths[] = { "disk:a", "tmpfs:b", "hugetlbfs:c", "pmem:d", "bad",
					     NULL, "disk:" };

	return paths[rnd(f) % ARRAY_LEN(paths)];
}

static void add_tid(struct fuzz *f, int tid)
{
	if (tid > 0 && f->ntid < MAXN)
		f->tids[f->ntid++] = tid;
}

static void add_addr(struct fuzz *f, int ret, uint64_t addr)
{
	if (!ret && f->naddr < MAXN)
		f->addrs[f->naddr++] = addr;
}

static void op_task(struct fuzz *f)
{
	switch (rnd(f) % 4) {
	case 0:
		add_tid(f, mf_fork(f->m, f->tid, "f", (int)(rnd(f) % 4)));
		break;
	case 1:
		add_tid(f, mf_thread_create(f->m, f->tid));
		break;
	case 2:
		if (rnd(f) % 8 == 0)
			mf_exit_group(f->m, f->tid, 0);
		break;
	default:
		add_tid(f, mf_task_create(f->m, "t", (int)(rnd(f) % 3)));
		break;
	}
}

static void op_mmap(struct fuzz *f)
{
	int flags = (rnd(f) % 2 ? MF_MAP_PRIVATE : MF_MAP_SHARED) |
		    (rnd(f) % 2 ? MF_MAP_ANONYMOUS : 0) | (rnd(f) % 4 ? 0 : MF_MAP_POPULATE) |
		    (rnd(f) % 8 ? 0 : MF_MAP_HUGETLB) | (rnd(f) % 8 ? 0 : MF_MAP_LOCKED) |
		    (rnd(f) % 8 ? 0 : MF_MAP_THP);
	uint64_t addr = 0;
	int id;

	if (f->len > (4 << 20))
		f->len = 8192;
	if (rnd(f) % 4) {
		add_addr(f, mf_mmap(f->m, f->tid, f->len, (int)(rnd(f) % 4), flags, f->fd,
				    (rnd(f) % 3) * 4096, &addr), addr);
		return;
	}
	id = mf_shmget(f->m, f->len, rnd(f) % 4 ? 0 : MF_SHM_HUGETLB);
	if (id < 0)
		return;
	add_addr(f, mf_shmat(f->m, f->tid, id, MF_PROT_READ | MF_PROT_WRITE, 0, &addr), addr);
	mf_shmctl_rmid(f->m, id);
}

static void op_range(struct fuzz *f)
{
	static const int adv[] = { 3, 4, 12, 13, 14, 15, 21, 25, 100, 101, 7 };

	switch (rnd(f) % 6) {
	case 0:
		mf_munmap(f->m, f->tid, f->addr, f->len);
		break;
	case 1:
		mf_mprotect(f->m, f->tid, f->addr, f->len, (int)(rnd(f) % 4));
		break;
	case 2:
		mf_mlock(f->m, f->tid, f->addr, f->len);
		break;
	case 3:
		mf_munlock(f->m, f->tid, f->addr, f->len);
		break;
	case 4:
		mf_msync(f->m, f->tid, f->addr, f->len);
		break;
	default:
		mf_madvise(f->m, f->tid, f->addr, f->len, adv[rnd(f) % ARRAY_LEN(adv)]);
		break;
	}
}

static void op_access(struct fuzz *f)
{
	struct mf_fill pat = { (int)(rnd(f) % 3), 1, f->addr & ~4095ULL, 0 };
	struct mf_sig sig;
	bool match;

	if (f->len > (1 << 22))
		f->len = 4096;
	switch (rnd(f) % 4) {
	case 0:
		mf_load(f->m, f->tid, f->addr, f->buf, &sig);
		break;
	case 1:
		mf_store(f->m, f->tid, f->addr, 1, &sig);
		break;
	case 2:
		mf_fill(f->m, f->tid, f->addr, f->len, &pat, &sig);
		break;
	default:
		mf_check(f->m, f->tid, f->addr, f->len, &pat, &match, &sig);
		break;
	}
}

static void op_file(struct fuzz *f)
{
	uint64_t off = rnd(f) % 20000, n = f->len <= sizeof(f->buf) ? f->len : 4096;
	int fd;

	switch (rnd(f) % 8) {
	case 0:
		mf_open(f->m, f->tid, path(f), (int)(rnd(f) % 3));
		break;
	case 1:
		mf_close(f->m, f->tid, f->fd);
		break;
	case 2:
		mf_pread(f->m, f->tid, f->fd, f->buf, n, off);
		break;
	case 3:
		mf_pwrite(f->m, f->tid, f->fd, f->buf, n, off);
		break;
	case 4:
		mf_fsync(f->m, f->tid, f->fd);
		mf_ftruncate(f->m, f->tid, f->fd, rnd(f) % 40000);
		break;
	case 5:
		mf_fallocate(f->m, f->tid, f->fd, (int)(rnd(f) % 4), off, f->len);
		break;
	case 6:
		fd = mf_pipe(f->m, f->tid);
		if (fd >= 0)
			mf_vmsplice(f->m, f->tid, fd, f->addr, f->len > (1 << 20) ? 4096 : f->len);
		break;
	default:
		mf_unlink(f->m, f->tid, path(f));
		break;
	}
}

static void op_inject(struct fuzz *f)
{
	switch (rnd(f) % 7) {
	case 0:
		mf_corrupt_pfn(f->m, f->pfn);
		break;
	case 1:
		mf_unpoison_pfn(f->m, f->pfn);
		break;
	case 2:
		mf_hard_offline(f->m, f->pfn * MF_PAGE_SIZE);
		break;
	case 3:
		mf_soft_offline(f->m, f->pfn * MF_PAGE_SIZE);
		break;
	case 4:
		mf_mce(f->m, (int)(rnd(f) % 3), f->pfn, f->tid);
		break;
	case 5:
		mf_reclaim(f->m, f->pfn);
		break;
	default:
		mf_ksm_scan(f->m, (int)(rnd(f) % 3));
		mf_drop_caches(f->m, (int)(rnd(f) % 4));
		break;
	}
}

static void op_observe(struct fuzz *f)
{
	struct mf_death d;
	struct mf_sig sig;
	uint64_t v;

	mf_kpageflags(f->m, f->pfn, &v);
	mf_kpagecount(f->m, f->pfn, &v);
	mf_pagemap(f->m, f->tid, f->addr, &v);
	mf_virt_to_pfn(f->m, f->tid, f->addr, &v);
	mf_file_pfn(f->m, path(f), rnd(f) % 20000, &v);
	mf_find_page(f->m, (int)(rnd(f) % 7), &v);
	while (mf_log_next(f->m, NULL))
		;
	while (mf_signal_next(f->m, &sig) == 1)
		;
	while (mf_death_next(f->m, &d) == 1)
		;
}

static void (*const ops[])(struct fuzz *f) = {
	op_task, op_mmap, op_mmap, op_range, op_range, op_access, op_access, op_file, op_inject,
	op_observe,
};

static void run_seed(uint64_t seed, int iters)
{
	static const struct mf_file_init init = {
		16384, MF_FILE_INIT_DIRTY, { MF_FILL_INDEX, 0, 0, 0 }, false
	};
	struct fuzz *f = calloc(1, sizeof(*f));
	struct mf_machine_desc d;
	char *report;
	int i, op;

	assert_non_null(f);
	f->rng = 88172645463325252ULL ^ seed;
	mf_machine_desc_default(&d);
	d.memory = 16 << 20;
	d.swap = 1 << 20;
	d.hugepages = 2;
	assert_int_equal(mf_machine_create(&d, &f->m, NULL, 0), 0);
	mf_file_create(f->m, "disk:a", &init);
	mf_file_create(f->m, "tmpfs:b", &init);
	for (i = 0; i < iters; i++) {
		pick_args(f);
		op = (int)(rnd(f) % ARRAY_LEN(ops));
		ops[op](f);
		report = NULL;
		if (mf_check_invariants(f->m, &report)) {
			fprintf(stderr, "seed %llu call %d (op %d): %s\n", (unsigned long long)seed, i, op,
				report ? report : "?");
			free(report);
			fail();
		}
	}
	mf_machine_destroy(f->m);
	free(f);
}

static void test_fuzz(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 8; seed++)
		run_seed(seed, 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
