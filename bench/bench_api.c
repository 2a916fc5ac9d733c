/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The public API's costs: calls per second through the system-call layer,
 * and what a checkpoint, a restore (record and replay) and a restore in
 * place (a copy of the state) cost. Prints
 * "bench: <name> <value> [<unit>]" lines (bench/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "memfail/memfail.h"

#define NTASKS 1000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_api: %s: %d\n", what, err);
	exit(1);
}

/* NTASKS processes, each with a written page; every tenth page poisoned. Returns the calls made. */
static long populate(struct mf_machine *m)
{
	struct mf_sig sig;
	uint64_t addr;
	long calls = 0;
	int i, pid;

	for (i = 0; i < NTASKS; i++) {
		pid = mf_task_create(m, "t", MF_SIGBUS_HANDLER);
		if (pid < 0 || mf_mmap(m, pid, MF_PAGE_SIZE, MF_PROT_READ | MF_PROT_WRITE,
				       MF_MAP_PRIVATE | MF_MAP_ANONYMOUS, -1, 0, &addr))
			die("populate", pid);
		if (mf_store(m, pid, addr, (uint8_t)i, &sig))
			die("store", i);
		calls += 3;
		if (i % 10 == 0) {
			mf_madvise(m, pid, addr, MF_PAGE_SIZE, MF_MADVISE_HWPOISON);
			mf_load(m, pid, addr, (uint8_t[]){ 0 }, &sig);
			calls += 2;
		}
	}
	while (mf_log_next(m, NULL))
		calls++;
	return calls;
}

int main(void)
{
	struct mf_machine_desc d;
	struct mf_machine *m, *r;
	struct mf_checkpoint *cp;
	double t0, t1, t2, t3, t4;
	long calls;
	int i, n = 20, err;

	mf_machine_desc_default(&d);
	d.memory = 64 << 20;
	err = mf_machine_create(&d, &m, NULL, 0);
	if (err)
		die("create", err);
	t0 = now();
	calls = populate(m);
	t1 = now();
	if ((err = mf_checkpoint(m, &cp)))
		die("checkpoint", err);
	t2 = now();
	for (i = 0; i < n; i++) {
		if ((err = mf_restore(cp, &r)))
			die("restore", err);
		mf_machine_destroy(r);
	}
	t3 = now();
	for (i = 0; i < n; i++)
		if ((err = mf_restore_into(m, cp)))
			die("restore in place", err);
	t4 = now();
	printf("bench: api_calls_per_s %.0f calls/s\n", (double)calls / (t1 - t0));
	printf("bench: api_checkpoint_ms_%ld_calls %.2f ms\n", calls, (t2 - t1) * 1e3);
	printf("bench: api_restore_ms_%ld_calls %.2f ms\n", calls, (t3 - t2) * 1e3 / n);
	printf("bench: api_restore_into_ms_%ld_calls %.2f ms\n", calls, (t4 - t3) * 1e3 / n);
	mf_checkpoint_free(cp);
	mf_machine_destroy(m);
	return 0;
}
