/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Concurrent contexts and the race explorer (docs/explore.md).
 *
 * A `concurrently` block runs its 2 or 3 steps as coroutines on one model
 * machine, switched only at the model's scheduling points (memfail/locking.h).
 * At each point a decision picks the context that runs next. `memfail run`
 * takes the decisions from the block's schedule (none: listed order, each
 * step to its end); `memfail explore` enumerates them.
 */
#ifndef MEMFAIL_EXPLORE_H
#define MEMFAIL_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "memfail/sched_explore.h"

struct mf_backend;

#define MF_CONC_MAX 3

/* ASan must be told of every swapcontext() stack switch (scenario/concurrent.c). */
#if defined(__SANITIZE_ADDRESS__)
#define CONC_ASAN_BUILD 1
#else
#define CONC_ASAN_BUILD 0
#endif

/* One decision of a run: who could run, who ran before, who was chosen. */
struct mf_decision {
	uint8_t runnable;	/* bit i: context i could run */
	int8_t cur;		/* the context that reached the point (-1: the block's start) */
	int8_t chosen;
	int8_t def;		/* the default choice: cur if runnable, else the lowest runnable */
	uint8_t what;		/* enum mf_sp of the point */
	bool preempt;		/* chosen != cur although cur could go on */
	bool pruned;		/* the state here was explored before: no branching from here */
};

/* What the explorer asks of every concurrently block of one run (mf_run_opts.conc). */
struct mf_conc_ctl {
	const int8_t *forced;	/* decisions to take first (context indices) */
	int nforced;
	/* At each decision (after it is made): hash or check the state; may set d->pruned. */
	void (*at_point)(void *ctx, struct mf_backend *be, struct mf_decision *d,
			 const uint32_t *points, int n);
	void *ctx;
	/* Filled by the run: every decision taken, in order. */
	struct mf_decision *dec;
	int ndec, capdec;
	bool deadlock;		/* every unfinished context was blocked */
};

/* "1x4 2 1" into context indices (0-based); returns the count, -1 on a bad word. */
int mf_schedule_decode(const char *s, int8_t **out);
/* Context indices into "1x4 2 1" (only the decisions up to the last non-default one). */
void mf_schedule_encode(const struct mf_decision *dec, int n, char *buf, size_t len);

struct mf_explore_opts {
	int preemptions;	/* bound (default 2) */
	long max_states;	/* stop after this many distinct states (0: no bound) */
	bool json;
	/* counterexamples go to PREFIX.cex.mf, PREFIX.cex2.mf, ... (NULL: FILE without .mf) */
	const char *cex_prefix;
};
#define MF_EXPLORE_MAX_VIOLATIONS 8
struct mf_violation {
	char what[512];		/* the failing run's first FAIL or ERROR line */
	char schedule[256];	/* "1x4 2 1": replays it */
	int preemptions;	/* the fewest any schedule found for it needs */
	char cex[512];		/* path of the counterexample written, "" none */
};
struct mf_explore_result {
	long runs, states, points;
	double seconds;
	bool exhaustive;	/* every interleaving within the bound was explored */
	int violations;		/* distinct ones (by message, digits aside) */
	struct mf_violation v[MF_EXPLORE_MAX_VIOLATIONS];
};
/* Explore one scenario file; the report goes to out. Exit code as memfail run's. */
int mf_explore_file(const char *path, const struct mf_explore_opts *o, FILE *out,
		    struct mf_explore_result *res);
/* `memfail explore` (cli/explore.c). */
int memfail_cmd_explore(int argc, char **argv);

#endif
