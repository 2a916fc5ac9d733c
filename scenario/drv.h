/* SPDX-License-Identifier: GPL-2.0-only */
/* Private state of one scenario run (scenario/driver.c, normalize.c, check.c, trace.c). */
#ifndef MEMFAIL_SCENARIO_DRV_H
#define MEMFAIL_SCENARIO_DRV_H

#include <stdio.h>

#include "memfail/array.h"
#include "memfail/driver.h"
#include "text.h"

#define MF_PFN_NONE UINT64_MAX

struct label {
	char name[96];		/* explicit: the label; implicit: the page reference text */
	uint64_t pfn;
	bool explicit_;
};

/* A signal some thread received, with its address already normalized. */
struct sigrec {
	char proc[MF_NAME_MAX];
	char thread[MF_NAME_MAX];	/* "" = main thread */
	struct mf_siginfo si;
	bool addr_ok;
	char region[MF_NAME_MAX];
	uint64_t off;
};

/* An mmap step that failed: later steps on its region name it. */
struct failed_mmap {
	char task[MF_NAME_MAX], region[MF_NAME_MAX];
	int line;
};

struct cursor {
	char key[2 * MF_NAME_MAX + 1];	/* "A" (process) or "A.main", "A.t2" */
	int pos;
};

struct drv {
	struct mf_backend *be;
	const struct mf_scenario *sc;
	const struct mf_run_opts *o;
	FILE *out;
	const struct mf_stmt *st;	/* running now */
	const char *step_task;		/* process whose regions name addresses, or NULL */

	int nlabel, caplabel;
	struct label *label;
	int nsig, capsig;
	struct sigrec *sig;
	int ncur, capcur;
	struct cursor *cur;
	int nfailed, capfailed;
	struct failed_mmap *failed;
	int nlog, caplog;
	char **log;			/* kept, normalized log lines */
	int log_printed;		/* lines before it are in the trace already */
	int win_start, win_end, group_end;
	bool in_group;
	uint64_t hwc_base, hwc_prev;
	uint64_t mfs_base[MF_MAX_NUMNODES][5];	/* per-node memory_failure statistics at the start */
	uint64_t mfs_nodes;			/* bit N: node N reported them at the start */
	bool panicked;
};

#define DRV_CONTINUE (-1)	/* a statement's outcome when the scenario goes on */
/* driver.c: run one step (label, exec, events, trace, its expected result). */
int drv_run_step(struct drv *d, const struct mf_stmt *st, struct mf_events *evs);
/* concurrent.c: a concurrently block statement and its contexts. */
int drv_run_conc(struct drv *d, const struct mf_stmt *st, struct mf_events *evs);

/* driver.c: "A has no region h: its mmap at FILE:LINE failed" into msg; false if it did not fail. */
bool mf_failed_mmap(struct drv *d, const char *task, const char *region, struct sbuf *msg);

/* normalize.c */
bool mf_log_kept(const char *line);
/* Normalized text of a kept raw kernel line (prefix stripped). */
void mf_norm_log(struct drv *d, const char *raw, struct sbuf *out);
/* "REGION+0xOFF" for addr in task, or NULL. */
bool mf_norm_addr(struct drv *d, const char *task, uint64_t addr, char *region, uint64_t *off);
const char *mf_pfn_name(struct drv *d, uint64_t pfn);
void mf_label_bind(struct drv *d, const char *name, uint64_t pfn, bool expl);
/* pfn of an explicit label, MF_PFN_NONE if unbound. */
uint64_t mf_label_pfn(struct drv *d, const char *name);
/* "SIGBUS BUS_MCEERR_AR addr=buf+0x10 lsb=12" (addr unknown: addr=?). */
void mf_fmt_sigrec(struct sbuf *b, const struct sigrec *r, bool short_code);

/* check.c: expectations; 0 held, 1 failed (message in msg), -1 run-time error (msg). */
int mf_resolve(struct drv *d, const struct mf_pageref *ref, uint64_t *pfn, struct sbuf *msg);
int mf_check_expect(struct drv *d, const struct mf_stmt *st, struct sbuf *msg);
int mf_check_expres(struct drv *d, const struct mf_stmt *st, const struct mf_result *res,
		    const char *restext, struct sbuf *msg);

/* trace.c: output in text or JSON */
void tr_step(struct drv *d, int line, const char *text, const char *result);
void tr_log(struct drv *d, const char *text);
void tr_signal(struct drv *d, const char *who, const char *sig);
void tr_killed(struct drv *d, const char *who, const char *how, bool exited);
void tr_counter(struct drv *d, const char *value);
void tr_oops(struct drv *d, const char *function);
void tr_fail(struct drv *d, int line, const char *msg);
void tr_error(struct drv *d, int line, const char *msg);
void tr_skip(struct drv *d, int line, const char *msg);
void tr_note(struct drv *d, const char *msg);
void tr_dmesg(struct drv *d, const char *text);
/* The back end's dump_state: plain text, or one JSON object holding it. */
void tr_state(struct drv *d);
/* Framing of several files (files.c). */
void tr_frame(FILE *out, const struct mf_run_opts *o, const char *file, const char *result);
void tr_summary(FILE *out, const struct mf_run_opts *o, int n, int p, int f, int s, int e);

#endif
