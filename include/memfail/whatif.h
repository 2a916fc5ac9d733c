/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * whatif: a model machine built from a snapshot through the public API
 * (memfail.h) only, an error injected into it at a pfn, and the trace of what
 * happened (docs/exposure.md, "whatif"). Never touches the live machine.
 *
 * snapshot/whatif.c builds the skeleton (machine, processes, threads,
 * mappings, files) once and checkpoints it; snapshot/whatif_page.c puts the
 * page the snapshot shows at a pfn into the model (the model picks its own
 * pfn: the translation is printed); snapshot/whatif_run.c injects, prints
 * the trace and checks the outcome against the exposure class.
 */
#ifndef MEMFAIL_WHATIF_H
#define MEMFAIL_WHATIF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "memfail/memfail.h"
#include "memfail/snapshot.h"

enum wi_inject { WI_MCE_AO, WI_MCE_AR, WI_MADVISE };

/* How a snapshot mapping is modelled. */
enum wi_kind { WI_SKIP, WI_ANON, WI_ANON_SHARED, WI_FILE, WI_HUGETLB, WI_HUGETLB_SHARED };
enum wi_fs { WI_FS_DISK, WI_FS_TMPFS, WI_FS_HUGETLBFS };

struct wi_vma {
	uint64_t start, end; /* the snapshot's addresses */
	uint64_t mstart;     /* where the model put start; 0: not mapped */
	uint64_t pgoff;
	int kind, file;	     /* file: index in whatif.files, -1 for none */
	bool thp, shared;
};

struct wi_file {
	char dev[16];
	uint64_t inode, size;
	int fs;
	char name[48]; /* the model's "FS:NAME" */
};

struct wi_proc {
	const struct snap_proc *sp;
	int pid;	 /* in the model; 0: left out (kernel thread) */
	int sigbus;	 /* 'c'aught, 'b'locked, 'i'gnored, 'd'efault */
	bool early;	 /* prctl(PR_MCE_KILL) early kill, as told by --early-kill */
	struct wi_vma *vmas;
	size_t nr_vmas;
};

/* A process that maps the pfn being put into the model. */
struct wi_mapper {
	size_t proc; /* index in whatif.procs */
	uint64_t va; /* the snapshot's address */
};

struct whatif {
	const struct snapshot *s;
	const struct exposure *e;
	int inject;	   /* enum wi_inject */
	int inject_pid;	   /* snapshot pid for --ar / --madvise */
	const int *early_pids; /* snapshot pids told to have early kill (not in /proc) */
	size_t nr_early;
	struct mf_machine_desc desc;
	struct wi_proc *procs;
	size_t nr_procs, kthreads;
	struct wi_file *files;
	size_t nr_files, cap_files;
	uint64_t ram_pages;
	size_t vmas_mapped, vmas_skipped;
	struct mf_machine *m; /* the current model machine */
	struct mf_checkpoint *cp;
	bool fresh;	      /* m is the skeleton itself, not yet used */
	char notes[2048];     /* what building the skeleton left out */
	/* per injected pfn */
	struct wi_mapper *mappers;
	size_t nr_mappers, cap_mappers;
	uint64_t mpfn;	       /* the model's pfn for the snapshot's */
	int helper;	       /* pid of the helper process, 0 when none */
	int fork_pid[8];       /* model pids of mappers modelled as forks */
	size_t fork_proc[8], nr_forks;
	char approx[256];      /* how the page differs from the snapshot's */
};

/* A pfn's outcome in the model, compared with its exposure class. */
struct wi_result {
	uint64_t pfn, mpfn;
	int cls;	       /* enum exp_class */
	int model_cls;	       /* exp_classify() of the model page's flags before injection */
	bool agrees;
	int signalled;	       /* processes signalled or killed by the injection */
	char why[256];	       /* the disagreement */
};

/* early_pids: processes with prctl(PR_MCE_KILL) early kill, which /proc does not show */
int whatif_build(struct whatif *w, const struct snapshot *s, const struct exposure *e,
		 int inject, int inject_pid, const int *early_pids, size_t nr_early, char *err,
		 size_t errlen);
void whatif_free(struct whatif *w);
/* The model's RAM for a snapshot (its System RAM, rounded up to MiB; at least 16 MiB). */
uint64_t whatif_memory(const struct snapshot *s);
/*
 * Fill the skeleton itself (w->m) with every page the snapshot shows present
 * in a modelled mapping: anonymous, hugetlb, COW and dirty shared-file pages
 * written (one byte value per process, so no contents are stored), the other
 * file pages read. fn (may be NULL) hears of each run of pages put in.
 */
typedef void (*wi_region_fn)(void *ctx, int pid, uint64_t addr, uint64_t len);
int whatif_populate(struct whatif *w, wi_region_fn fn, void *ctx, char *err, size_t errlen);
/* The assumptions, as printed at the start of the output. */
void whatif_print_assumptions(const struct whatif *w, FILE *out);
/* One injection into a fresh copy of the skeleton: trace to out (may be NULL). */
int whatif_pfn(struct whatif *w, uint64_t pfn, FILE *out, bool json, struct wi_result *r,
	       char *err, size_t errlen);
/* K pfns spread over the classes present, in pfn order within a class. */
size_t whatif_sample(const struct exposure *e, unsigned k, uint64_t *pfns);

/* snapshot/whatif_page.c */
int wi_materialize(struct whatif *w, uint64_t pfn, char *err, size_t errlen);
int wi_model_pid(const struct whatif *w, size_t proc);
uint64_t wi_model_addr(const struct whatif *w, size_t proc, uint64_t va);
/* The snapshot process and address behind a model pid and address; -1 if none. */
long wi_snap_proc(const struct whatif *w, int pid);
uint64_t wi_snap_addr(const struct whatif *w, size_t proc, uint64_t maddr);

/* cli/whatif.c */
int memfail_cmd_whatif(int argc, char **argv);

#endif
