/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The model back end: scenario statements translated into calls of the
 * public API (include/memfail/memfail.h). This state only binds scenario
 * names to the API's handles: tasks to pids, threads to tids, regions to
 * addresses, fds to fd numbers. Nothing here is capped: arrays grow, and
 * names are found through hash tables, so a scenario may have any number of
 * tasks, threads, regions, fds and pins.
 */
#ifndef MEMFAIL_BACKEND_MODEL_H
#define MEMFAIL_BACKEND_MODEL_H

#include "memfail/array.h"
#include "memfail/backend.h"
#include "memfail/memfail.h"

/* backend/names.c: string -> int, open addressing */
struct mb_names {
	struct mb_name_slot *slot;
	size_t cap, used;	/* used counts removed slots too */
};
int mb_names_get(const struct mb_names *n, const char *key);	/* -1 if absent */
void mb_names_put(struct mb_names *n, const char *key, int val);
void mb_names_del(struct mb_names *n, const char *key);
void mb_names_free(struct mb_names *n);

struct mb_region {
	char name[MF_NAME_MAX];
	uint64_t addr, len;
	bool file;	/* pattern pages count from the file offset */
	uint64_t pgoff;
};

struct mb_fd {
	char name[MF_NAME_MAX];
	int fd;
};

struct mb_proc {
	char name[MF_NAME_MAX];
	int pid;
	struct mb_region *reg;
	int nreg, cap_reg;
	struct mb_names reg_idx;
	struct mb_fd *fds;
	int nfd, cap_fd;
	struct mb_names fd_idx;
	int *pins;	/* fds of the pipes its pin steps spliced pages into */
	int npin, cap_pin;
};

struct mb_thread {
	char name[2 * MF_NAME_MAX];	/* "A" or "A.t2" */
	int tid;
	struct mb_proc *proc;
};

struct model {
	struct mf_machine *m;
	struct mb_proc **procs;
	int nproc, cap_proc;
	struct mb_names proc_idx;
	struct mb_thread *threads;
	int nthread, cap_thread;
	struct mb_names thread_idx;	/* by name */
	struct mb_names tid_idx;	/* by decimal tid */
	bool check;
	bool restore_check;	/* MEMFAIL_RESTORE_CHECK: restore_check() before each step */
	const struct mf_stmt *last;	/* the scenario's last statement: a full check after it */
	bool oops_told;	/* the step that oopsed reported it (MF_EV_OOPS) */
};

/* model_conc.c: concurrently blocks with a schedule (backend.h) */
extern const struct mf_conc_ops mb_conc_ops;

struct mb_proc *mb_proc(struct model *mo, const char *name);
struct mb_region *mb_region(struct mb_proc *p, const char *name);
int mb_tid(struct model *mo, const char *task, const char *thread);	/* -1 if none */
/* "disk:NAME" etc. for a scenario file name */
void mb_path(char *buf, size_t len, int fs, const char *file);
void mb_set_errno(struct mf_result *res, long ret, bool value);
/* backend/model_decl.c: declarations (the exec table's entries) */
void mb_decl_file(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns, struct mf_result *res);
void mb_decl_task(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns, struct mf_result *res);
void mb_decl_thread(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns, struct mf_result *res);
void mb_decl_sysctl(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns, struct mf_result *res);
void mb_sysctl_msg(struct mf_result *res, const char *key, const char *val, int err);
void mb_exec_task_step(struct model *mo, const struct mf_stmt *st, struct mf_result *res);
void mb_exec_file_step(struct model *mo, struct mb_proc *p, int tid, const struct mf_stmt *st,
		       struct mf_result *res);

#endif
