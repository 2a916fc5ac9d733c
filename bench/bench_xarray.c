/* SPDX-License-Identifier: GPL-2.0-only */
/* XArray throughput: page-cache-like fills, lookups, walks and erases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "memfail/xarray.h"

#define NR (1UL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void report(const char *what, unsigned long ops, double t)
{
	printf("bench_xarray: %-28s %8.1f ns/op\n", what, t * 1e9 / (double)ops);
}

int main(void)
{
	struct xarray xa;
	unsigned long i, idx, sum = 0, n;
	uint64_t x = 88172645463325252ULL;
	double t;
	void *e;

	xa_init(&xa);
	t = now();
	for (i = 0; i < NR; i++)
		xa_store(&xa, i, xa_mk_value(i));
	report("store order-0 sequential", NR, now() - t);

	t = now();
	for (i = 0; i < NR; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		sum += xa_to_value(xa_load(&xa, x % NR));
	}
	report("load order-0 random", NR, now() - t);

	t = now();
	n = 0;
	xa_for_each(&xa, idx, e)
		n++;
	report("xa_for_each", n, now() - t);

	t = now();
	for (i = 0; i < NR; i += 2)
		xa_set_mark(&xa, i, XA_MARK_DIRTY);
	report("set mark", NR / 2, now() - t);

	t = now();
	for (i = 0; i < NR; i++)
		xa_erase(&xa, i);
	report("erase order-0", NR, now() - t);

	t = now();
	for (i = 0; i < NR; i += 512)
		xa_store_order(&xa, i, 9, xa_mk_value(i));
	report("store PMD (order 9)", NR / 512, now() - t);

	t = now();
	for (i = 0; i < NR; i++)
		sum += xa_find_conflict(&xa, i & ~511UL, 9) != NULL;
	report("find_conflict order 9", NR, now() - t);

	if (xa_count(&xa) != NR / 512 || xa_check(&xa, NULL, 0)) {
		fprintf(stderr, "bench_xarray: inconsistent array\n");
		return 1;
	}
	xa_destroy(&xa, NULL, NULL);
	printf("bench_xarray: checksum %lu\n", sum);
	return 0;
}
