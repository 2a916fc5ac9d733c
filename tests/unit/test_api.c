/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The public API on its own (memfail/memfail.h only): machines made and
 * freed, a mapping poisoned and its signal, bad arguments answered with
 * errors, checkpoint and restore, ten thousand tasks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "memfail/memfail.h"

static struct mf_machine *new_machine(uint64_t mib)
{
	struct mf_machine_desc d;
	struct mf_machine *m = NULL;
	char err[128];

	mf_machine_desc_default(&d);
	d.memory = mib << 20;
	assert_int_equal(mf_machine_create(&d, &m, err, sizeof(err)), 0);
	assert_non_null(m);
	return m;
}

static void test_create_destroy(void **state)
{
	struct mf_machine_desc d;
	struct mf_machine *m = (void *)1;
	char err[128] = "";

	(void)state;
	mf_machine_desc_default(&d);
	d.memory = 12345;	/* not a multiple of 4K */
	assert_int_equal(mf_machine_create(&d, &m, err, sizeof(err)), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(err, "memory=12345"));
	mf_machine_desc_default(&d);
	d.kernel = 99;
	assert_int_equal(mf_machine_create(&d, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(mf_machine_create(NULL, &m, NULL, 0), -EINVAL);
	mf_machine_desc_default(&d);
	assert_int_equal(mf_machine_create(&d, NULL, NULL, 0), -EINVAL);
	m = new_machine(16);
	assert_string_equal(mf_kernel_release(m), "6.1");
	assert_int_equal(mf_machine_panicked(m), 0);
	mf_machine_destroy(m);
	mf_machine_destroy(NULL);
}

/* A process with one populated anonymous page holding 0x41; its address in *addr. */
static int task_with_page(struct mf_machine *m, int sigbus, uint64_t *addr)
{
	struct mf_sig sig;
	int pid = mf_task_create(m, "app", sigbus);

	assert_true(pid > 0);
	assert_int_equal(mf_mmap(m, pid, MF_PAGE_SIZE, MF_PROT_READ | MF_PROT_WRITE,
				 MF_MAP_PRIVATE | MF_MAP_ANONYMOUS | MF_MAP_POPULATE, -1, 0, addr), 0);
	assert_int_equal(mf_store(m, pid, *addr, 0x41, &sig), 0);
	return pid;
}

static void test_inject_signal(void **state)
{
	struct mf_machine *m = new_machine(32);
	struct mf_meminfo mi;
	struct mf_death d;
	struct mf_sig sig;
	uint64_t addr, pfn, flags;
	const char *line;
	bool recovered = false;
	uint8_t b = 0;
	int pid, dead;

	(void)state;
	pid = task_with_page(m, MF_SIGBUS_HANDLER, &addr);
	assert_int_equal(mf_load(m, pid, addr, &b, &sig), 0);
	assert_int_equal(b, 0x41);
	assert_int_equal(mf_virt_to_pfn(m, pid, addr, &pfn), 0);
	assert_int_equal(mf_madvise(m, pid, addr, MF_PAGE_SIZE, MF_MADVISE_HWPOISON), 0);
	while ((line = mf_log_next(m, NULL)))
		recovered |= strstr(line, "dirty LRU page: Recovered") != NULL;
	assert_true(recovered);
	assert_int_equal(mf_kpageflags(m, pfn, &flags), 0);
	assert_true(flags & (1ULL << 19));	/* KPF_HWPOISON */
	assert_int_equal(mf_meminfo(m, &mi), 0);
	assert_int_equal(mi.hardware_corrupted_kb, 4);
	assert_int_equal(mf_load(m, pid, addr + 0x123, &b, &sig), MF_ACCESS_SIGNAL);
	assert_int_equal(sig.signo, MF_SIGBUS);
	assert_int_equal(sig.code, MF_BUS_MCEERR_AR);
	assert_int_equal(sig.addr, addr + 0x123);
	assert_int_equal(sig.lsb, 12);
	assert_int_equal(mf_signal_next(m, &sig), 0);	/* the access took it */

	/* a default SIGBUS kills: the access says so, and the death ledger too */
	pid = task_with_page(m, MF_SIGBUS_DEFAULT, &addr);
	assert_int_equal(mf_madvise(m, pid, addr, MF_PAGE_SIZE, MF_MADVISE_HWPOISON), 0);
	assert_int_equal(mf_store(m, pid, addr, 1, &sig), MF_ACCESS_KILLED);
	assert_int_equal(sig.signo, MF_SIGBUS);
	assert_int_equal(mf_proc_state(m, pid, &dead), MF_PROC_KILLED);
	assert_int_equal(dead, MF_SIGBUS);
	assert_int_equal(mf_death_next(m, &d), 1);
	assert_int_equal(d.pid, pid);
	assert_int_equal(d.signo, MF_SIGBUS);
	assert_int_equal(mf_death_next(m, &d), 0);

	/* mprotect: a store to a read-only page is a SIGSEGV, which no handler takes */
	pid = task_with_page(m, MF_SIGBUS_HANDLER, &addr);
	assert_int_equal(mf_mprotect(m, pid, addr, MF_PAGE_SIZE, MF_PROT_READ), 0);
	assert_int_equal(mf_load(m, pid, addr, &b, &sig), 0);
	assert_int_equal(mf_store(m, pid, addr, 2, &sig), MF_ACCESS_KILLED);
	assert_int_equal(sig.signo, MF_SIGSEGV);
	mf_machine_destroy(m);
}

/* Every call on no machine is -EINVAL (or an empty answer), never a crash. */
static void test_no_machine(void **state)
{
	struct mf_sig sig;
	uint64_t v;
	uint8_t b;

	(void)state;
	assert_int_equal(mf_sysctl_set(NULL, "a", "b"), -EINVAL);
	assert_int_equal(mf_fork(NULL, 1, "x", 0), -EINVAL);
	assert_int_equal(mf_thread_create(NULL, 1), -EINVAL);
	assert_int_equal(mf_exit_group(NULL, 1, 0), -EINVAL);
	assert_int_equal(mf_prctl_mce_kill(NULL, 1, 0, 0), -EINVAL);
	assert_int_equal(mf_proc_state(NULL, 1, NULL), -EINVAL);
	assert_int_equal(mf_signal_next(NULL, &sig), -EINVAL);
	assert_int_equal(mf_mmap(NULL, 1, 4096, 0, 0, -1, 0, &v), -EINVAL);
	assert_int_equal(mf_madvise(NULL, 1, 0, 4096, MF_MADVISE_HWPOISON), -EINVAL);
	assert_int_equal(mf_load(NULL, 1, 0, &b, &sig), -EINVAL);
	assert_int_equal(mf_open(NULL, 1, "disk:a", 0), -EINVAL);
	assert_int_equal(mf_pread(NULL, 1, 0, &b, 1, 0), -EINVAL);
	assert_int_equal(mf_corrupt_pfn(NULL, 1), -EINVAL);
	assert_int_equal(mf_mce(NULL, MF_MCE_AO, 1, 0), -EINVAL);
	assert_int_equal(mf_kpageflags(NULL, 1, &v), -EINVAL);
	assert_int_equal(mf_find_page(NULL, MF_PAGE_FREE, &v), -EINVAL);
	assert_int_equal(mf_checkpoint(NULL, NULL), -EINVAL);
	assert_int_equal(mf_dump_state(NULL, stdout), -EINVAL);
	assert_null(mf_log_next(NULL, NULL));
	assert_string_equal(mf_log_text(NULL), "");
	assert_string_equal(mf_kernel_release(NULL), "");
	assert_non_null(mf_errmsg(NULL));
	mf_checkpoint_free(NULL);
}

static void test_bad_arguments(void **state)
{
	struct mf_machine *m = new_machine(16);
	struct mf_fill pat = { MF_FILL_BYTE, 1, 0, 0 };
	struct mf_sig sig;
	uint64_t addr, v;
	uint8_t b;
	bool match;
	char buf[8];
	int pid;

	(void)state;
	assert_int_equal(mf_task_create(NULL, "x", MF_SIGBUS_HANDLER), -EINVAL);
	assert_int_equal(mf_task_create(m, NULL, MF_SIGBUS_HANDLER), -EINVAL);
	assert_int_equal(mf_task_create(m, "x", 42), -EINVAL);
	assert_int_equal(mf_fork(m, 4242, "x", MF_SIGBUS_INHERIT), -ESRCH);
	assert_int_equal(mf_thread_create(m, -1), -ESRCH);
	assert_int_equal(mf_mmap(m, 4242, MF_PAGE_SIZE, MF_PROT_READ, MF_MAP_PRIVATE | MF_MAP_ANONYMOUS,
				 -1, 0, &addr), -ESRCH);
	pid = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	assert_int_equal(mf_mmap(m, pid, MF_PAGE_SIZE, MF_PROT_READ, MF_MAP_ANONYMOUS, -1, 0, &addr), -EINVAL);
	assert_int_equal(mf_mmap(m, pid, MF_PAGE_SIZE, MF_PROT_READ, MF_MAP_PRIVATE, 77, 0, &addr), -EBADF);
	assert_int_equal(mf_mmap(m, pid, MF_PAGE_SIZE, MF_PROT_READ, MF_MAP_PRIVATE | MF_MAP_ANONYMOUS,
				 -1, 0, NULL), -EINVAL);
	assert_int_equal(mf_madvise(m, pid, 0, MF_PAGE_SIZE, 9999), -EINVAL);
	assert_int_equal(mf_madvise(m, pid, UINT64_MAX - 10, MF_PAGE_SIZE, MF_MADVISE_HWPOISON), -EINVAL);
	assert_int_equal(mf_munmap(m, pid, 0, UINT64_MAX), -EINVAL);
	assert_int_equal(mf_mmap(m, pid, UINT64_MAX, MF_PROT_READ, MF_MAP_PRIVATE | MF_MAP_ANONYMOUS, -1, 0,
				 &addr), -ENOMEM);
	assert_int_equal(mf_load(m, pid, 0x1000, NULL, &sig), -EINVAL);
	assert_int_equal(mf_load(m, 4242, 0x1000, &b, &sig), -ESRCH);
	assert_int_equal(mf_check(m, pid, 0, 1, &pat, NULL, NULL), -EINVAL);
	assert_int_equal(mf_fill(m, pid, 0, 1, NULL, NULL), -EINVAL);
	assert_int_equal(mf_check(m, 4242, 0, 1, &pat, &match, NULL), -ESRCH);
	assert_int_equal(mf_open(m, pid, "nofs:x", MF_O_RDONLY), -EINVAL);
	assert_int_equal(mf_open(m, pid, NULL, MF_O_RDONLY), -EINVAL);
	assert_int_equal(mf_open(m, pid, "disk:none", MF_O_RDONLY), -ENOENT);
	assert_int_equal(mf_pread(m, pid, 3, buf, sizeof(buf), 0), -EBADF);
	assert_int_equal(mf_close(m, pid, -5), -EBADF);
	assert_int_equal(mf_file_create(m, "disk:f", NULL), -EINVAL);
	assert_int_equal(mf_reflink(m, "disk:a", 0, "disk:b", 0, 0), -EINVAL);
	assert_int_equal(mf_kpageflags(m, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mf_kpagecount(m, 1ULL << 40, &v), -EINVAL);
	assert_int_equal(mf_reclaim(m, 1ULL << 40), -EINVAL);
	assert_true(mf_corrupt_pfn(m, 1ULL << 40) < 0);
	assert_true(mf_unpoison_pfn(m, 1ULL << 40) < 0);
	assert_true(mf_soft_offline(m, 1ULL << 52) < 0);
	assert_int_equal(mf_mce(m, MF_MCE_AR, 0x200, 4242), -ESRCH);
	assert_int_equal(mf_mce(m, 7, 0x200, pid), -EINVAL);
	assert_int_equal(mf_pagemap(m, 4242, 0, &v), -ESRCH);
	assert_int_equal(mf_proc_state(m, 4242, NULL), -ESRCH);
	assert_int_equal(mf_sysctl_set(m, "vm.nonsense", "1"), -ENOENT);
	assert_non_null(strstr(mf_errmsg(m), "vm.nonsense"));
	assert_int_equal(mf_sysctl_set(m, "vm.memory_failure_early_kill", "7"), -EINVAL);
	assert_int_equal(mf_sysctl_set(m, NULL, "1"), -EINVAL);
	assert_int_equal(mf_drop_caches(m, 9), -EINVAL);
	assert_int_equal(mf_find_page(m, 99, &v), -EINVAL);
	assert_int_equal(mf_shmat(m, pid, 12, MF_PROT_READ, 0, &addr), -EINVAL);
	assert_int_equal(mf_shmctl_rmid(m, -1), -EINVAL);
	assert_int_equal(mf_signal_next(m, NULL), -EINVAL);
	assert_int_equal(mf_exit_group(m, pid, 0), 0);
	assert_int_equal(mf_exit_group(m, pid, 0), -ESRCH);	/* dead now */
	assert_int_equal(mf_munmap(m, pid, 0, MF_PAGE_SIZE), -ESRCH);
	/* a load from nothing: SIGSEGV, which no handler takes */
	pid = mf_task_create(m, "b", MF_SIGBUS_HANDLER);
	assert_int_equal(mf_load(m, pid, 0x1000, &b, &sig), MF_ACCESS_KILLED);
	assert_int_equal(sig.signo, MF_SIGSEGV);
	mf_machine_destroy(m);
}

/* What a caller can observe of a machine, as text. */
static char *snapshot(struct mf_machine *m, const int *pids, int npid)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t pfn, v;
	int i, st, val;

	assert_non_null(f);
	mf_dump_state(m, f);
	fprintf(f, "%s\n", mf_log_text(m));
	for (pfn = 0; mf_kpageflags(m, pfn, &v) == 0; pfn++)
		fprintf(f, "%llx:%llx ", (unsigned long long)pfn, (unsigned long long)v);
	for (i = 0; i < npid; i++) {
		val = 0;
		st = mf_proc_state(m, pids[i], &val);
		fprintf(f, "\npid %d state %d %d", pids[i], st, val);
	}
	fclose(f);
	return buf;
}

/* Calls that change a machine: tasks, a file, a mapping, injections. */
static void busy(struct mf_machine *m, int *pids, int round)
{
	struct mf_file_init init = { 64 << 10, MF_FILE_INIT_DIRTY, { MF_FILL_INDEX, 0, 0, 0 }, false };
	char path[32], buf[4096];
	uint64_t addr, pfn;
	struct mf_sig sig;
	int fd;

	snprintf(path, sizeof(path), "disk:f%d", round);
	pids[0] = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	pids[1] = mf_fork(m, pids[0], "b", MF_SIGBUS_DEFAULT);
	assert_int_equal(mf_file_create(m, path, &init), 0);
	fd = mf_open(m, pids[1], path, MF_O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(mf_mmap(m, pids[1], 64 << 10, MF_PROT_READ | MF_PROT_WRITE, MF_MAP_SHARED, fd,
				 0, &addr), 0);
	assert_int_equal(mf_store(m, pids[1], addr + 8192, 7, &sig), 0);
	assert_int_equal(mf_pread(m, pids[1], fd, buf, sizeof(buf), 4096), sizeof(buf));
	assert_int_equal(mf_pwrite(m, pids[1], fd, buf, sizeof(buf), 16384), sizeof(buf));
	assert_int_equal(mf_pread(m, pids[1], fd, NULL, sizeof(buf), 0), -EFAULT);
	assert_int_equal(mf_virt_to_pfn(m, pids[1], addr + 8192, &pfn), 0);
	mf_hard_offline(m, pfn * MF_PAGE_SIZE);
	assert_int_equal(mf_find_page(m, MF_PAGE_FREE, &pfn), 0);
	mf_corrupt_pfn(m, pfn);
	mf_load(m, pids[1], addr + 8192, (uint8_t[]){ 0 }, &sig);
}

static void test_checkpoint_restore(void **state)
{
	struct mf_machine *m = new_machine(32), *r, *r2;
	struct mf_checkpoint *cp, *cp2;
	int pids[4];
	char *at_cp, *s;

	(void)state;
	busy(m, pids, 0);
	at_cp = snapshot(m, pids, 2);
	assert_int_equal(mf_checkpoint(m, &cp), 0);
	busy(m, pids + 2, 1);	/* the original goes on */
	assert_int_equal(mf_restore(cp, &r), 0);
	s = snapshot(r, pids, 2);
	assert_string_equal(s, at_cp);
	free(s);
	/* the same calls on the restored machine: the same machine as the original */
	busy(r, pids + 2, 1);
	free(at_cp);
	at_cp = snapshot(m, pids, 4);
	s = snapshot(r, pids, 4);
	assert_string_equal(s, at_cp);
	free(s);
	/* a restored machine checkpoints in turn; a checkpoint outlives its machine */
	assert_int_equal(mf_checkpoint(r, &cp2), 0);
	mf_machine_destroy(r);
	mf_machine_destroy(m);
	assert_int_equal(mf_restore(cp2, &r2), 0);
	s = snapshot(r2, pids, 4);
	assert_string_equal(s, at_cp);
	free(s);
	free(at_cp);
	mf_machine_destroy(r2);
	mf_checkpoint_free(cp);
	mf_checkpoint_free(cp2);
	assert_int_equal(mf_restore(NULL, &r), -EINVAL);
}

/* Restore in place: twice from one checkpoint, after more calls each time; not across machines. */
static void test_restore_into(void **state)
{
	struct mf_machine *m = new_machine(32), *other = new_machine(32);
	struct mf_checkpoint *cp;
	int pids[4], again[4];
	char *at_cp, *after, *s;
	int round;

	(void)state;
	busy(m, pids, 0);
	at_cp = snapshot(m, pids, 2);
	assert_int_equal(mf_checkpoint(m, &cp), 0);
	busy(m, pids + 2, 1);
	after = snapshot(m, pids, 4);
	for (round = 0; round < 2; round++) {
		assert_int_equal(mf_restore_into(m, cp), 0);
		s = snapshot(m, pids, 2);
		assert_string_equal(s, at_cp);
		free(s);
		/* the same calls again: the same machine as after them the first time */
		memcpy(again, pids, sizeof(again));
		busy(m, again + 2, 1);
		s = snapshot(m, again, 4);
		assert_string_equal(s, after);
		free(s);
	}
	assert_int_equal(mf_restore_into(other, cp), -EXDEV);
	assert_int_equal(mf_restore_into(NULL, cp), -EINVAL);
	assert_int_equal(mf_restore_into(m, NULL), -EINVAL);
	free(at_cp);
	free(after);
	mf_checkpoint_free(cp);
	mf_machine_destroy(other);
	mf_machine_destroy(m);
}

/* Under ASan a failed huge malloc returns NULL, as glibc's does. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* The process's address space now, from /proc/self/statm (pages). */
static uint64_t vm_bytes(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu", &pages), 1);
	fclose(f);
	return pages * MF_PAGE_SIZE;
}

/*
 * The host out of memory inside a call: the call unwinds with
 * -ENOTRECOVERABLE and the process goes on. A pread of 2^40 bytes from a 4K
 * file reads 4K; replaying it needs a buffer of MF_MAX_RW_COUNT, which a host
 * with 256 MiB of address space left (RLIMIT_AS) refuses. A machine that
 * cannot boot is an error too.
 */
static void test_out_of_memory(void **state)
{
	struct mf_file_init init = { MF_PAGE_SIZE, MF_FILE_INIT_SYNCED, { MF_FILL_BYTE, 1, 0, 0 }, false };
	struct mf_machine *m = new_machine(16), *r = (void *)1;
	struct mf_checkpoint *cp;
	struct mf_machine *big = (void *)1;
	struct mf_machine_desc d;
	struct rlimit old, low;
	char buf[2 * MF_PAGE_SIZE], err[128];
	int pid, fd, ret, created;

	(void)state;
	pid = mf_task_create(m, "a", MF_SIGBUS_HANDLER);
	assert_int_equal(mf_file_create(m, "disk:f", &init), 0);
	fd = mf_open(m, pid, "disk:f", MF_O_RDONLY);
	assert_int_equal(mf_pread(m, pid, fd, buf, 1ULL << 40, 0), MF_PAGE_SIZE);
	assert_int_equal(mf_checkpoint(m, &cp), 0);
	assert_int_equal(getrlimit(RLIMIT_AS, &old), 0);
	low = old;
	low.rlim_cur = vm_bytes() + (256 << 20);
	assert_int_equal(setrlimit(RLIMIT_AS, &low), 0);
	ret = mf_restore(cp, &r);
	mf_machine_desc_default(&d);
	d.memory = 64ULL << 30;	/* an arena and a frame array of 1 GiB: address space */
	created = mf_machine_create(&d, &big, err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_AS, &old), 0);
	assert_int_equal(ret, -ENOTRECOVERABLE);
	assert_null(r);
	assert_int_equal(created, -ENOTRECOVERABLE);	/* not an exit */
	assert_null(big);
	assert_int_equal(strncmp(err, "out of host memory for ", 23), 0);
	assert_int_equal(mf_close(m, pid, fd), 0);	/* the original is untouched */
	mf_checkpoint_free(cp);
	mf_machine_destroy(m);
}

#define NTASKS 10000

/* Ten thousand processes share one tmpfs page; an early-kill error kills them all. */
static void test_ten_thousand_tasks(void **state)
{
	struct mf_machine *m = new_machine(256);
	struct mf_file_init init = { MF_PAGE_SIZE, MF_FILE_INIT_DIRTY, { MF_FILL_BYTE, 0x5a, 0, 0 }, false };
	struct mf_death d;
	uint64_t addr, pfn;
	int i, pid, fd, deaths = 0, last = 0;

	(void)state;
	assert_int_equal(mf_sysctl_set(m, "vm.memory_failure_early_kill", "1"), 0);
	assert_int_equal(mf_file_create(m, "tmpfs:shared", &init), 0);
	assert_int_equal(mf_file_pfn(m, "tmpfs:shared", 0, &pfn), 0);
	for (i = 0; i < NTASKS; i++) {
		pid = mf_task_create(m, "t", MF_SIGBUS_DEFAULT);
		assert_true(pid > 0);
		fd = mf_open(m, pid, "tmpfs:shared", MF_O_RDWR);
		assert_int_equal(fd, 0);
		assert_int_equal(mf_mmap(m, pid, MF_PAGE_SIZE, MF_PROT_READ | MF_PROT_WRITE,
					 MF_MAP_SHARED | MF_MAP_POPULATE, fd, 0, &addr), 0);
		assert_int_equal(mf_close(m, pid, fd), 0);
	}
	assert_int_equal(mf_corrupt_pfn(m, pfn), 0);
	while (mf_death_next(m, &d) == 1) {
		assert_int_equal(d.signo, MF_SIGBUS);
		assert_true(d.pid > last);	/* creation order */
		last = d.pid;
		deaths++;
	}
	assert_int_equal(deaths, NTASKS);
	assert_int_equal(mf_proc_state(m, pid, NULL), MF_PROC_KILLED);
	mf_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_destroy),
		cmocka_unit_test(test_inject_signal),
		cmocka_unit_test(test_no_machine),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_checkpoint_restore),
		cmocka_unit_test(test_restore_into),
		cmocka_unit_test(test_ten_thousand_tasks),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
