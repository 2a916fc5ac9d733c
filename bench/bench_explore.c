/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench_explore: memfail explore on seed 001's scenarios (tests/explore/):
 * distinct states per second of the whole search (fresh machine per run,
 * scenario replay, coroutine switches, state hashing), bound 2. Fails only
 * when the search answers wrongly (a violation missed or invented).
 */
#include <stdio.h>

#include "memfail/driver.h"
#include "memfail/explore.h"

static int one(const char *file, int want, const char *name)
{
	struct mf_explore_opts o = { .preemptions = 2, .cex_prefix = "/tmp/bench-explore" };
	struct mf_explore_result res;
	FILE *devnull = fopen("/dev/null", "w");
	int rc = mf_explore_file(file, &o, devnull ? devnull : stderr, &res);

	if (devnull)
		fclose(devnull);
	if (rc == MF_EXIT_USAGE || res.violations != want) {
		fprintf(stderr, "bench_explore: %s: %d violations, expected %d\n", file,
			res.violations, want);
		return 1;
	}
	printf("bench: %s %.0f states/s (%ld states, %ld interleavings, %ld points, %.2f s)\n",
	       name, res.states / res.seconds, res.states, res.runs, res.points, res.seconds);
	return 0;
}

int main(void)
{
	int bad = one("tests/explore/seed001-6.1.mf", 0, "explore_states_per_s");

	bad |= one("tests/explore/seed001-unsafe.mf", 2, "explore_states_per_s_unsafe");
	for (int i = 1; i <= 2; i++) {
		char p[64];

		snprintf(p, sizeof(p), i == 1 ? "/tmp/bench-explore.cex.mf" : "/tmp/bench-explore.cex%d.mf",
			 i);
		remove(p);
	}
	return bad;
}
