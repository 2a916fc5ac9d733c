/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scenario driver: runs parsed scenarios on any back end (backend.h),
 * owns labels, expectation checking, log normalization and the trace.
 * cli/memfail.c and the conformance runner are thin main()s around it.
 */
#ifndef MEMFAIL_DRIVER_H
#define MEMFAIL_DRIVER_H

#include <stdbool.h>
#include <stdio.h>

#include "memfail/backend.h"
#include "memfail/explore.h"
#include "memfail/scenario.h"

struct mf_run_opts {
	bool quiet;	/* print only failures and errors (and the summary) */
	bool json;	/* one JSON object per line instead of the text trace */
	bool log;	/* print the back end's full kernel log after each scenario */
	bool state;	/* call the back end's dump_state after each scenario */
	FILE *err;	/* parse errors and usage problems; NULL = stderr */
	struct mf_conc_ctl *conc; /* the explorer drives every concurrently block (explore.h) */
	const char *kernel; /* run under this kernel profile ("6.12"), not the file's; NULL: the file's */
	bool keep_going;    /* run on after a failed expectation (memfail diff-kernels) */
	bool tap;	    /* TAP 13 as kselftest prints it: each trace as "# " lines, then
			       "ok N FILE", "not ok N FILE" or "ok N FILE # SKIP reason" */
};

enum mf_outcome { MF_PASS, MF_FAIL, MF_SKIP, MF_ERROR };

/* Exit codes of a run. */
#define MF_EXIT_OK 0
#define MF_EXIT_FAIL 1	 /* an expectation failed or a run-time error */
#define MF_EXIT_USAGE 2	 /* usage, parse or static error: nothing ran */
#define MF_EXIT_SKIP 77	 /* every scenario was skipped */

/*
 * Run one parsed scenario on a fresh back end (the caller creates and
 * destroys it). The trace, failures, run-time errors and skips go to out.
 */
enum mf_outcome mf_run_scenario(struct mf_backend *be, const struct mf_scenario *sc,
				const struct mf_run_opts *o, FILE *out);

/*
 * Parse every file first (any parse error: messages to o->err, exit 2, nothing
 * runs), then run each on a back end from make_backend(ctx) (NULL: that
 * scenario is an ERROR), destroying it afterwards. Several files are framed
 * "=== FILE" ... "=== FILE: pass|FAIL|skip|ERROR" with a closing summary.
 * Returns the exit code: 0 all passed (or some skipped), 1 a failure or
 * error, 2 a parse error, 77 all skipped.
 */
int mf_run_files(struct mf_backend *(*make_backend)(void *ctx), void *ctx, char **files, int n,
		 const struct mf_run_opts *o, FILE *out);

/* Parse only: errors to err; returns 0 or 2. */
int mf_check_files(char **files, int n, FILE *err);
/* The same, with o->err and o->json (each error one JSON object) used. */
int mf_check_files_opts(char **files, int n, const struct mf_run_opts *o);

/* The largest scenario read, in bytes (docs/limits.md). */
#define MF_SCENARIO_MAX (64 << 20)

/*
 * The text of a scenario file, "-" for standard input: a regular file or a
 * pipe of at most MF_SCENARIO_MAX bytes. 0 and a malloc'd *buf, or -1 with
 * "PATH: error: WHY" in msg.
 */
int mf_read_scenario(const char *path, char **buf, size_t *len, char *msg, size_t ml);

/*
 * The first statement of sc that needs more than lim (the limits of back end
 * `name`), with a message naming the back end and the limit in msg; NULL if
 * sc fits.
 */
const struct mf_stmt *mf_check_limits(const struct mf_scenario *sc, const char *name,
				      const struct mf_limits *lim, char *msg, size_t len);
/* mf_check_files, then mf_check_limits for every file: 0 or 2. */
int mf_check_files_limits(char **files, int n, const char *name, const struct mf_limits *lim,
			  FILE *err);

const char *mf_outcome_name(enum mf_outcome r);	/* "pass", "FAIL", "skip", "ERROR" */

#endif
