/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fleet campaigns (docs/campaign.md): draw DRAM faults from field-study rates
 * over many machine-years, feed the errors to model machines built and driven
 * through memfail.h only, under one or several OS offlining policies, and
 * aggregate what the fleet would lose.
 */
#ifndef MEMFAIL_CAMPAIGN_H
#define MEMFAIL_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memfail/memfail.h"

/* ---- a seeded, portable PRNG (xoshiro256** seeded by splitmix64) ---- */
struct cp_rng {
	uint64_t s[4];
};
void cp_rng_seed(struct cp_rng *r, uint64_t seed);
uint64_t cp_rng_next(struct cp_rng *r);
double cp_rng_uniform(struct cp_rng *r);	/* [0, 1) */
double cp_rng_exp(struct cp_rng *r, double mean);
uint64_t cp_rng_below(struct cp_rng *r, uint64_t n);	/* [0, n) */
long cp_rng_poisson(struct cp_rng *r, double mean);
uint64_t cp_splitmix64(uint64_t *state);

/* ---- error model ---- */
enum cp_mode {
	CP_SINGLE_BIT,
	CP_SINGLE_WORD,
	CP_SINGLE_COLUMN,
	CP_SINGLE_ROW,
	CP_SINGLE_BANK,
	CP_MULTI_BANK,
	CP_MULTI_RANK,
	CP_NR_MODES
};
extern const char *const cp_mode_name[CP_NR_MODES];

struct cp_errmodel {
	double fit[CP_NR_MODES][2];	/* per device, [0] transient, [1] permanent */
	double ue_frac[CP_NR_MODES];	/* faults of the mode that ECC cannot always correct */
	double ue_share;		/* errors of such a fault that are uncorrectable */
	double fit_scale;		/* multiplies every FIT */
	double cluster_p;		/* next error of a fault comes within a burst */
	double burst_gap_h, quiet_gap_h;	/* mean gaps inside / between bursts */
	double pareto_alpha, pareto_max;	/* per-fault error-rate factor */
	double scrub_first;		/* a UE is reported by patrol scrub before use */
};
void cp_errmodel_default(struct cp_errmodel *em);

/* DRAM organisation: physical address -> dimm/rank/bank/row/column. */
struct cp_dram {
	unsigned dimms, ranks, banks, devices;	/* devices per rank, ECC ones included */
	unsigned columns;			/* 8-byte columns per row of a rank */
	uint64_t memory;			/* bytes; rows per bank follow */
};
struct cp_dram_addr {
	unsigned dimm, rank, bank, col;
	uint64_t row;
};
int cp_dram_check(const struct cp_dram *d, char *err, size_t errlen);
uint64_t cp_dram_rows(const struct cp_dram *d);
void cp_dram_decode(const struct cp_dram *d, uint64_t phys, struct cp_dram_addr *a);
uint64_t cp_dram_encode(const struct cp_dram *d, const struct cp_dram_addr *a);
uint64_t cp_dram_row_key(const struct cp_dram_addr *a);
/* The pfns one row of one bank of one rank covers; returns how many (<= max). */
size_t cp_dram_row_pfns(const struct cp_dram *d, const struct cp_dram_addr *a, uint64_t *pfns,
			size_t max);

/* One fault and the errors it produces. */
struct cp_fault {
	enum cp_mode mode;
	bool permanent;
	struct cp_dram_addr at;		/* the fixed coordinates of its footprint */
	double onset_h;			/* when it appeared */
	double next_h;			/* time of its next error, hours; > horizon: done */
	bool uncorrectable;		/* ECC fails on ue_share of its errors */
	double rate;			/* Pareto factor on its error rate */
};
struct cp_error {
	double t_h;
	uint64_t pfn;
	uint64_t row_key;
	bool ue;
	int fault;
	double onset_h;			/* of its fault */
};
/*
 * Bounds that keep a campaign's memory finite whatever its figures: a trial is
 * one machine's life, and a trial's faults and errors are counted (an error
 * model scaled up a million times gives more than a machine could live with).
 */
#define CP_MAX_TRIAL_YEARS 100
#define CP_MAX_FAULTS 1000000
#define CP_MAX_ERRORS 10000000
/* Draw the faults of one machine over hours; returns how many (array malloc'd), or
 * SIZE_MAX (nothing allocated) when that would be more than CP_MAX_FAULTS. */
size_t cp_draw_faults(const struct cp_errmodel *em, const struct cp_dram *d, double hours,
		      struct cp_rng *r, struct cp_fault **out);
/* The next error of faults[0..n) in time order; false when none is left. */
bool cp_next_error(const struct cp_errmodel *em, const struct cp_dram *d, double hours,
		   struct cp_fault *f, size_t n, struct cp_rng *r, struct cp_error *e);

/* ---- machine recipes ---- */
struct cp_file {
	char path[64];
	uint64_t size;
	int state;			/* MF_FILE_INIT_* */
};
struct cp_proc {
	char name[16];
	int count;
	uint64_t anon, shmem, pin, map_len;
	char map[64];			/* a file mapped shared, "" for none */
	bool locked, ksm, thp, early, sigbus_default;
};
struct cp_machine {
	char name[32];
	double weight;
	struct cp_dram dram;
	struct cp_file *files;
	size_t nfiles, cfiles;
	struct cp_proc *procs;
	size_t nprocs, cprocs;
	char snapshot[256];		/* a `memfail snapshot` file instead of files and processes */
	uint64_t ram;			/* bytes of RAM the model has (dram.memory for a recipe) */
	int line;
};
/* A snapshot machine: its model's RAM (campaign/snapshot.c), at parse time. */
int cp_snapshot_ram(const char *path, uint64_t *ram, char *err, size_t errlen);

/* ---- policies ---- */
enum cp_policy_kind { CP_POL_NONE, CP_POL_PAGE, CP_POL_ROW, CP_POL_BUCKET };
struct cp_policy {
	char name[32];
	enum cp_policy_kind kind;
	long threshold;
	double window_h;
};
/* The CE accounting of one policy on one machine. */
struct cp_policy_state;
struct cp_policy_state *cp_policy_new(const struct cp_policy *p);
void cp_policy_reset(struct cp_policy_state *s);
void cp_policy_free(struct cp_policy_state *s);
/* Account one CE; true when the policy now wants the page (or row) offlined. */
bool cp_policy_ce(struct cp_policy_state *s, const struct cp_error *e);

/* ---- the campaign ---- */
struct cp_campaign {
	char title[128];
	char path[256];
	enum mf_kernel kernel;		/* the behaviour profile every machine follows (`kernel`) */
	uint64_t seed;
	double horizon;			/* machine-years over all trials */
	long trials;
	long timeline_trials;		/* trials whose events are stored */
	struct cp_errmodel em;
	struct cp_machine *machines;
	size_t nmachines, cmachines;
	struct cp_policy *policies;
	size_t npolicies, cpolicies;
};
/* Parse a campaign file. 0, or -1 after printing "file:line: error: ..." to err. */
int cp_parse_file(const char *path, struct cp_campaign *c, FILE *err);
int cp_parse_string(const char *name, const char *text, struct cp_campaign *c, FILE *err);
void cp_campaign_free(struct cp_campaign *c);

/* Which memory a killing or lost page was. */
enum cp_kind {
	CP_KIND_ANON,
	CP_KIND_THP,
	CP_KIND_SHMEM,
	CP_KIND_FILE,
	CP_KIND_HUGETLB,
	CP_KIND_KSM,
	CP_KIND_OTHER,
	CP_NR_KINDS
};
extern const char *const cp_kind_name[CP_NR_KINDS];

/* What one policy did to one trial. Every field is a count (int64 for MPI). */
struct cp_outcome {
	int64_t ces, ues, ues_avoided, ues_dead_page;
	int64_t kills, kills_by[CP_NR_KINDS];
	int64_t data_loss, crashes;
	int64_t pages_retired, offline_ok, offline_fail;
	int64_t ao, ar, restores;
};
#define CP_OUTCOME_FIELDS (sizeof(struct cp_outcome) / sizeof(int64_t))
extern const char *const cp_outcome_name[CP_OUTCOME_FIELDS];

/* The draws of one trial, the same for every policy. */
struct cp_draw {
	int64_t machine, faults, permanent, errors;
};

/* One event kept for the timeline (CEs, UEs and offlines of stored trials). */
enum { CP_EV_CE, CP_EV_UE, CP_EV_OFFLINE, CP_EV_KILL, CP_EV_CRASH };
struct cp_event {
	int64_t trial, policy, kind, pfn, result;
	double t_h;
};

/* Everything a run produced, in trial order (outcomes: trial * npolicies + p). */
struct cp_results {
	long trials;
	size_t npolicies;
	struct cp_draw *draws;
	struct cp_outcome *outcomes;
	struct cp_event *events;
	size_t nevents, cevents;
};

/* A machine recipe built once: its checkpoint and who maps which pfn. */
struct cp_built;
int cp_build(const struct cp_machine *mc, enum mf_kernel kernel, struct cp_built **out, char *err,
	     size_t errlen);
void cp_built_free(struct cp_built *b);
uint64_t cp_built_pages(const struct cp_built *b);

/* Run trial `t` under every policy; appends events to res when asked. */
int cp_run_trial(const struct cp_campaign *c, struct cp_built **built, long t,
		 struct cp_results *res, char *err, size_t errlen);

/* Run trials [0, trials) whose index % nranks == rank. progress: may be NULL. */
typedef void (*cp_progress_fn)(void *ctx, long done, long total);
int cp_run_range(const struct cp_campaign *c, int rank, int nranks, struct cp_results *res,
		 cp_progress_fn progress, void *ctx, char *err, size_t errlen);
void cp_results_init(struct cp_results *res, long trials, size_t npolicies);
void cp_results_free(struct cp_results *res);

/* MPI (campaign/mpi.c): rank, size and merging onto rank 0. Without MPI: 0, 1, no-op. */
int cp_mpi_init(int *argc, char ***argv, int *rank, int *size);
int cp_mpi_merge(struct cp_results *res, int rank, int size);
void cp_mpi_finalize(void);
double cp_mpi_max(double v);

/* SQLite (campaign/results.c). */
int cp_results_write(const struct cp_campaign *c, const struct cp_results *res, const char *db,
		     char *err, size_t errlen);
/* A digest of every row of every table in a stable order. */
int cp_results_digest(const char *db, uint64_t *digest, char *err, size_t errlen);

/* Report and plots (campaign/report.c, campaign/plot.c). */
struct cp_stat {
	double mean, lo, hi;		/* per machine-year, 95% interval */
};
void cp_stat_of(const struct cp_campaign *c, const struct cp_results *res, size_t policy,
		size_t field, struct cp_stat *st);
void cp_report(const struct cp_campaign *c, const struct cp_results *res, FILE *f);
int cp_plot(const struct cp_campaign *c, const struct cp_results *res, const char *prefix,
	    char *err, size_t errlen);

/* The `memfail campaign` command (cli/campaign.c). */
int cp_main(int argc, char **argv);

#endif
