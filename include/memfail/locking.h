/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every lock the memory-failure paths take goes through here: the global
 * mf_mutex, the page lock and the mapping's i_mmap lock (taken by the file
 * rmap walk in mm/rmap.c and by the fsdax process collection, as in 6.1).
 * The model runs one kernel context at a time, so a lock is never contended;
 * what matters is that each acquisition is a named point where a
 * deterministic scheduler (a race explorer) can stop one context and run
 * another. lock_hook is that seam.
 */
#ifndef MEMFAIL_LOCKING_H
#define MEMFAIL_LOCKING_H

#include <stdbool.h>
#include <stdint.h>

#include "memfail/sched_explore.h"

struct machine;
struct page;
struct address_space;

enum mf_lock_kind { MF_LOCK_MF_MUTEX, MF_LOCK_PAGE, MF_LOCK_I_MMAP, MF_LOCK__COUNT };

/* Called before every acquisition and after every release. */
typedef void (*mf_lock_hook_fn)(struct machine *m, enum mf_lock_kind kind, const void *obj, bool acquire,
				void *ctx);

void mf_set_lock_hook(struct machine *m, mf_lock_hook_fn fn, void *ctx);
void mf_mutex_lock(struct machine *m);
void mf_mutex_unlock(struct machine *m);
void lock_page(struct machine *m, struct page *page);
void unlock_page(struct machine *m, struct page *page);
bool trylock_page(struct machine *m, struct page *page);
void i_mmap_lock(struct machine *m, struct address_space *mapping);
void i_mmap_unlock(struct machine *m, struct address_space *mapping);
/*
 * A sleeping lock on any object, for the locks only concurrent contexts need:
 * a mm's mmap_lock (taken as a mutex: mmap, munmap, the fault path of a user
 * access), an inode's i_rwsem (write, truncate, hole punch). Without a
 * scheduler it is a scheduling point and nothing else.
 */
void mf_lock_obj(struct machine *m, const void *obj, const char *what);
void mf_unlock_obj(struct machine *m, const void *obj);
/* Acquisitions so far, per kind (for tests and front ends; no trace prints them). */
uint64_t mf_lock_count(struct machine *m, enum mf_lock_kind kind);

/*
 * No scheduling point between these (the kernel's per-CPU sections: the model
 * has one LRU add batch where the kernel has one per CPU under a local lock).
 */
void mf_preempt_disable(void);
void mf_preempt_enable(void);
/*
 * Sleep until another context made progress (then look again); false when no
 * scheduler runs contexts, i.e. nobody else could ever release obj.
 */
bool mf_sched_wait(struct machine *m, const void *obj);
/* A scheduling point (m may be NULL). */
void mf_sched_point(struct machine *m, enum mf_sp what, const void *obj);


#endif
