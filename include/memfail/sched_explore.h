/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The model's side of concurrent contexts (docs/explore.md), next to the API
 * of memfail.h: the scenario language's coroutine runner and the explorer
 * (scenario/concurrent.c, scenario/explore.c) use only this and memfail.h.
 *
 * Scheduling points: every lock and unlock of the locking seam (locking.h),
 * plus the atomics the kernel uses between locks (refcount drops, PG_hwpoison,
 * the buddy allocator's zone lock, DAX XArray entry stores). The hook is
 * process-wide, set only while a concurrently block runs its contexts as
 * coroutines; without it a point costs one test of a pointer.
 */
#ifndef MEMFAIL_SCHED_EXPLORE_H
#define MEMFAIL_SCHED_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct mf_machine;

enum mf_sp {
	MF_SP_LOCK,		/* before taking a lock (obj: the lock's object) */
	MF_SP_UNLOCK,		/* after releasing one */
	MF_SP_WAIT,		/* the lock is held by another context: sleep until someone moved */
	MF_SP_REF,		/* before a refcount drop (put_page) */
	MF_SP_FLAG,		/* before setting PG_hwpoison */
	MF_SP_ZONE,		/* before the buddy allocator takes its zone lock */
	MF_SP_XA,		/* before a DAX XArray entry store (lock, unlock, replace) */
	MF_SP__COUNT
};
/* m: the model's machine when the point knows it (may be NULL; never needed). */
typedef void (*mf_sched_hook_fn)(struct machine *m, enum mf_sp what, const void *obj, void *ctx);

/* kernel/locking.c */
void mf_set_sched_hook(mf_sched_hook_fn fn, void *ctx);
/* Contexts are interleaved now: a state between two points may be mid-operation. */
bool mf_sched_active(void);
const char *mf_sp_name(enum mf_sp what);

/* kernel/sched_explore.c */
/* The task making the running context's system call: saved and restored at each switch. */
void *mf_ctx_save(struct mf_machine *mm);
void mf_ctx_restore(struct mf_machine *mm, void *saved);
/* A hash of the machine state: frames, page tables, every file's XArray, poisoned count. */
uint64_t mf_state_hash(struct mf_machine *mm);
/*
 * The checks valid at every scheduling point (a PTE or a page-cache entry
 * naming a free frame), run at each point of a block; the first failure is
 * kept until the next block starts (mf_point_reset) and read at its end.
 */
void mf_point_check(struct machine *m);
void mf_point_reset(void);
const char *mf_point_violation(void);
/* Unlocks of a DAX entry that found it replaced under its owner, so far (seed 003). */
unsigned long mf_dax_lock_losses(struct mf_machine *mm);

#endif
