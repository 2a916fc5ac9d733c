/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A back end runs scenario statements: the model (backend/model.c) or a real
 * Linux kernel (conformance/linux_backend.c). The driver (scenario/driver.c)
 * owns everything that must be identical between them: labels, page-reference
 * bookkeeping, expectation checking, log normalization and the trace. A back
 * end only executes, and reports raw facts (kernel log lines as the kernel
 * prints them, signals with raw addresses, pids).
 */
#ifndef MEMFAIL_BACKEND_H
#define MEMFAIL_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "memfail/scenario.h"
#include "memfail/memfail.h"

/* Outcome of one statement. */
enum mf_res_kind {
	MF_RES_OK,	/* "ok" */
	MF_RES_ERRNO,	/* an errno: "EIO", "EBUSY", ... */
	MF_RES_VALUE,	/* a system call's return value: "0", "4096", "2" */
	MF_RES_BYTE,	/* load: "0x41" */
	MF_RES_CHECK,	/* check: "ok" | "mismatch" (value: 1 = ok) */
	MF_RES_READ,	/* read: see read_kind */
	MF_RES_SIGNAL,	/* the step was interrupted by a signal */
	MF_RES_KILLED,	/* the stepping task died ("killed SIGBUS") */
	MF_RES_SKIP,	/* backend cannot run this statement: reason in msg (exit 77 style) */
	MF_RES_ERROR,	/* run-time error (msg), ends the scenario with ERROR */
};
enum mf_read_kind { MF_READ_INDEX, MF_READ_BYTE, MF_READ_DATA, MF_READ_EOF };

/* si_code values as Linux numbers them for SIGBUS/SIGSEGV. */
#define MF_BUS_ADRERR 2
#define MF_BUS_MCEERR_AR 4
#define MF_BUS_MCEERR_AO 5
#define MF_SEGV_MAPERR 1
#define MF_SEGV_ACCERR 2

struct mf_siginfo {
	int signo;	/* 7 = SIGBUS, 11 = SIGSEGV, 9 = SIGKILL */
	int code;
	uint64_t addr;	/* raw user virtual address */
	int lsb;
};

struct mf_result {
	enum mf_res_kind kind;
	int err;		/* ERRNO: positive errno value */
	int64_t value;		/* VALUE, BYTE, CHECK */
	enum mf_read_kind read_kind;
	uint8_t read_byte;	/* READ_BYTE */
	bool read_short;
	uint64_t read_len;	/* bytes read when short */
	struct mf_siginfo sig;	/* SIGNAL (interrupting signal) */
	int killed_signo;	/* KILLED */
	char msg[256];		/* SKIP/ERROR */
};

/* Asynchronous facts, reported in the order they happened. */
enum mf_event_kind {
	MF_EV_LOG,	/* a kernel log line, without prefix or timestamp, as printed */
	MF_EV_SIGNAL,	/* a signal delivered to a thread (not the one that interrupted the step) */
	MF_EV_KILLED,	/* a process other than the stepping one died */
	MF_EV_EXITED,	/* ... or exited with a status */
	MF_EV_PANIC,	/* the modelled machine panicked (memory_failure_recovery=0) */
	MF_EV_OOPS,	/* the kernel oopsed in function text; printed after the step's lines */
};
struct mf_event {
	enum mf_event_kind kind;
	char text[256];		/* LOG, PANIC */
	int tid;		/* SIGNAL: receiving thread; KILLED/EXITED: process pid */
	struct mf_siginfo sig;	/* SIGNAL; KILLED: sig.signo */
	int exit_code;		/* EXITED */
};

struct mf_events {
	int n, cap;
	struct mf_event *ev;
};
void mf_events_push(struct mf_events *evs, const struct mf_event *e);
void mf_events_clear(struct mf_events *evs);

enum mf_task_state { MF_TASK_ALIVE, MF_TASK_KILLED, MF_TASK_EXITED, MF_TASK_UNKNOWN };

/*
 * What a back end can run (0: no limit). The driver refuses a scenario that
 * needs more before it starts (mf_check_limits), naming the back end.
 */
struct mf_limits {
	int tasks;		/* task declarations */
	int threads;		/* threads of one task, the main thread included */
	int regions;		/* regions of one task mapped at once */
	int fds;		/* fds of one task open at once */
	int pins;		/* pin steps of one task before its unpin */
};

struct mf_backend;
/*
 * What a back end that can interleave kernel contexts offers a concurrently
 * block with a schedule (scenario/concurrent.c, docs/explore.md): the model's
 * scheduling hook (memfail/sched_explore.h) and what the runner saves or
 * checks around a switch. NULL in a back end's ops: it runs blocks in listed
 * order only.
 */
struct mf_conc_ops {
	void (*set_hook)(mf_sched_hook_fn fn, void *ctx);
	void *(*save)(struct mf_backend *be);		/* the running context's task */
	void (*restore)(struct mf_backend *be, void *saved);
	uint64_t (*state_hash)(struct mf_backend *be);
	unsigned long (*lock_losses)(struct mf_backend *be);	/* DAX entry locks lost so far */
	int (*check)(struct mf_backend *be, char **report);	/* invariant checker: violations */
};

struct mf_backend_ops {
	const char *name;	/* "model", "linux" */
	bool model_only_ok;	/* can run "requires model" scenarios and model-only statements */
	const struct mf_limits *limits;	/* NULL: none */
	const struct mf_conc_ops *conc;	/* NULL: concurrently blocks in listed order only */

	/*
	 * Start a scenario: the machine config and header sysctls. Returns 0, or
	 * -1 with a reason in res->msg and res->kind MF_RES_SKIP or MF_RES_ERROR.
	 */
	int (*start)(struct mf_backend *be, const struct mf_scenario *sc, struct mf_result *res);
	/*
	 * Run one statement. Page references are resolved by the driver before the
	 * call: pfns[] holds one pfn per page the statement injects into (nr of them;
	 * madvise: one per page of the range; others: one). Events go to evs.
	 */
	void (*exec)(struct mf_backend *be, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		     struct mf_result *res, struct mf_events *evs);
	/* Resolve a page reference (not a label) to a pfn; -1 and msg on failure. */
	int (*resolve)(struct mf_backend *be, const struct mf_pageref *ref, uint64_t *pfn,
		       char *msg, size_t msglen);
	/* Facts used for expectations and normalization. */
	uint64_t (*hardware_corrupted_kb)(struct mf_backend *be);
	int (*kpageflags)(struct mf_backend *be, uint64_t pfn, uint64_t *flags);
	int (*hugepages)(struct mf_backend *be, long *free, long *total);
	/* node's memory_failure statistics (MF_STAT_* order); -1 where the kernel has none (6.1) */
	int (*mf_stats)(struct mf_backend *be, int node, uint64_t v[5]);
	enum mf_task_state (*task_state)(struct mf_backend *be, const char *task, int *signo_or_code);
	/* Name of the task or thread with this pid/tid ("A", "A.t2"); NULL if unknown. */
	const char *(*name_of_tid)(struct mf_backend *be, int tid);
	/* pid (tid of the main thread) of a task, or tid of "A.t2"; -1 if unknown. */
	int (*tid_of)(struct mf_backend *be, const char *task, const char *thread);
	/* Address of REGION+0 in a task; 0 if the task has no such region. */
	uint64_t (*region_base)(struct mf_backend *be, const char *task, const char *region);
	/* Region of a task containing addr: name and offset; false if none. */
	bool (*addr_region)(struct mf_backend *be, const char *task, uint64_t addr,
			    char *region, size_t len, uint64_t *off);
	/* The full kernel log so far (for --log); may be NULL. */
	const char *(*dmesg)(struct mf_backend *be);
	/* A page-types-like end-state summary (for --state); may be NULL. */
	void (*dump_state)(struct mf_backend *be, void *file);
	/* Finish the scenario and free everything. */
	void (*destroy)(struct mf_backend *be);
};

struct mf_backend {
	const struct mf_backend_ops *ops;
	void *priv;
	uint64_t seed;
	bool check_invariants;	/* model: run the invariant checker after every statement */
	/*
	 * model: walk everything after every statement; otherwise check what the
	 * statement changed, with a full walk after the last statement and every
	 * 64th check (mf_check_invariants_mode)
	 */
	bool check_full;
};

/* The model back end. */
struct mf_backend *mf_model_backend_new(uint64_t seed, bool check_invariants);

#endif
