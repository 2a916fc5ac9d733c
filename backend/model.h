/* SPDX-License-Identifier: GPL-2.0-only */
/* The model back end's state: scenario names bound to model objects. */
#ifndef MEMFAIL_BACKEND_MODEL_H
#define MEMFAIL_BACKEND_MODEL_H

#include "memfail/backend.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"

#define MB_MAX 64

struct mb_region {
	char name[MF_NAME_MAX];
	uint64_t addr, len;
	bool file;	/* pattern pages count from the file offset */
	uint64_t pgoff;
};

struct mb_fd {
	char name[MF_NAME_MAX];
	int fd;		/* index in the task's files_struct */
};

struct mb_proc {
	char name[MF_NAME_MAX];
	struct task_struct *leader;
	struct mb_region reg[MB_MAX];
	int nreg;
	struct mb_fd fds[MB_MAX];
	int nfd;
	int pins[MB_MAX];	/* fds of the pipes its pin steps spliced pages into */
	int npin;
	bool reported_dead;
};

struct mb_thread {
	char name[2 * MF_NAME_MAX];	/* "A" or "A.t2" */
	struct task_struct *t;
	struct mb_proc *proc;
};

struct model {
	struct machine *m;
	struct mb_proc procs[MB_MAX];
	int nproc;
	struct mb_thread threads[MB_MAX];
	int nthread;
	uint32_t slab_pfn;
	bool check;
};

struct mb_proc *mb_proc(struct model *mo, const char *name);
struct mb_region *mb_region(struct mb_proc *p, const char *name);
struct task_struct *mb_thread(struct model *mo, const char *task, const char *thread);
void mb_exec_task_step(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		       struct mf_result *res);
enum mf_fs;
enum fs_type mb_fs_type(int fs);

/* model_dax.c: pmem and filesystem DAX */
int mb_dax_start(struct model *mo, const struct mf_scenario *sc, char *msg, size_t len);
void mb_dax_file_decl(struct model *mo, const struct mf_stmt *st, struct mf_result *res);
int mb_dax_resolve(struct model *mo, const struct mf_pageref *ref, uint64_t *pfn, char *msg, size_t len);
int mb_dax_reflink(struct model *mo, const struct mf_stmt *st);
int mb_dax_sysctl(struct machine *m, const char *key, const char *val);
bool mb_dax_open_fails(struct inode *inode);

#endif
