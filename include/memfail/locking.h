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
/* Acquisitions so far, per kind (for tests and front ends; no trace prints them). */
uint64_t mf_lock_count(struct machine *m, enum mf_lock_kind kind);

#endif
