/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The system-call layer (kernel/sys_*.c) behind include/memfail/memfail.h:
 * struct mf_machine wraps a struct machine with what the API adds (task
 * lookup by tid, SysV segment ids, the ledgers' read cursors, the call record
 * for checkpoints, the out-of-memory unwinding).
 */
#ifndef MEMFAIL_SYS_INTERNAL_H
#define MEMFAIL_SYS_INTERNAL_H

#include <errno.h>
#include <setjmp.h>

#include "memfail/array.h"
#include "memfail/memfail.h"
#include "memfail/mm.h"

struct mf_machine;
struct sys_rec;
/* Replays one recorded call on a machine (kernel/sys_checkpoint.c). */
typedef void (*sys_replay_fn)(struct mf_machine *mm, const struct sys_rec *r);

/*
 * One recorded call: its replay function, integer arguments, strings, a
 * buffer. A large buffer of long runs of one byte (a written fill pattern)
 * is kept as its runs (blob_runs): replays read it with sys_rec_blob().
 */
struct sys_rec {
	sys_replay_fn fn;
	int64_t a[6];
	char *s[2];
	void *blob;
	size_t blob_len;	/* the buffer's length */
	size_t blob_size;	/* bytes held at blob */
	bool blob_runs;
};

struct sys_shm {
	struct file *f;			/* NULL once removed */
	uint64_t size;
};

struct sys_death {
	struct mf_death d;
	uint64_t seq;		/* creation order of the process */
};

struct mf_machine {
	struct machine *m;
	struct mf_machine_desc desc;
	struct u64map tasks;		/* tid -> struct task_struct *, every task ever made */
	struct sys_shm *shm;		/* SysV segments by id */
	int nr_shm, cap_shm;
	int sig_pos;			/* m->sigs[0, sig_pos) were handed out */
	struct sys_death *deaths;	/* died, not yet handed out */
	int nr_deaths, cap_deaths;
	bool have_slab;
	uint64_t slab_pfn;
	struct sys_rec *rec;		/* every call that changed the machine */
	size_t nr_rec, cap_rec;
	bool interleaved;		/* calls ran as interleaved contexts: no replay */
	bool broken;			/* out of memory once: unusable */
	jmp_buf oom_jmp;
	mf_oom_handler_t prev_oom;
	struct mf_machine *prev_current;
	char errmsg[256];
};

/*
 * Every API function starts with SYS_ENTER: it refuses a NULL or broken
 * machine and arms the out-of-memory unwinding (an allocation failure deep in
 * the model longjmps back here and the call returns -ENOTRECOVERABLE); it
 * ends with `return sys_leave(mm, ret)`, which disarms it.
 */
#define SYS_ENTER(mm)                                   \
	do {                                            \
		if (!(mm))                              \
			return -EINVAL;                 \
		if ((mm)->broken)                       \
			return -ENOTRECOVERABLE;        \
		if (setjmp((mm)->oom_jmp))              \
			return -ENOTRECOVERABLE;        \
		sys_arm(mm);                            \
	} while (0)
void sys_arm(struct mf_machine *mm);
long sys_leave(struct mf_machine *mm, long ret);
/* For functions that return a pointer: the same, NULL on a broken machine. */
#define SYS_ENTER_PTR(mm)                               \
	do {                                            \
		if (!(mm) || (mm)->broken)              \
			return NULL;                    \
		if (setjmp((mm)->oom_jmp))              \
			return NULL;                    \
		sys_arm(mm);                            \
	} while (0)

/* A sentence for mf_errmsg(); returns err. */
int sys_error(struct mf_machine *mm, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The live thread tid, made current for the call; NULL if none. */
struct task_struct *sys_task(struct mf_machine *mm, int tid);
/* Any thread the machine ever had with this tid, dead or alive. */
struct task_struct *sys_task_any(struct mf_machine *mm, int tid);
void sys_task_add(struct mf_machine *mm, struct task_struct *t);

/* "disk:NAME" -> the filesystem type and NAME; -EINVAL for another prefix. */
int sys_parse_path(const char *path, enum fs_type *type, const char **name);
struct file *sys_fd_file(struct task_struct *t, int fd);
int sys_install_fd(struct task_struct *t, struct file *f);

/* kernel/sys_checkpoint.c: record a call (before it runs). */
void sys_record(struct mf_machine *mm, sys_replay_fn fn, const int64_t *a, int na, const char *s0,
		const char *s1, const void *blob, size_t blob_len);
void sys_records_free(struct sys_rec *rec, size_t nr);
/* The recorded buffer as the call passed it; give it to sys_rec_blob_put when done. */
void *sys_rec_blob(const struct sys_rec *r);
void sys_rec_blob_put(const struct sys_rec *r, void *buf);

/* kernel/sys_task.c: the exit hook the kernel calls for each dying process */
void sys_exit_hook(void *ctx, struct task_struct *leader);

#endif
