/* SPDX-License-Identifier: GPL-2.0-only */
/* The locking seam (include/memfail/locking.h). */
#include <stdio.h>
#include <stdlib.h>

#include "memfail/locking.h"
#include "memfail/mm.h"
#include "memfail/sched_explore.h"

static mf_sched_hook_fn sched_hook;
static void *sched_hook_ctx;
static int preempt_count;

void mf_set_lock_hook(struct machine *m, mf_lock_hook_fn fn, void *ctx)
{
	m->lock_hook = fn;
	m->lock_hook_ctx = ctx;
}

/* Sleeping locks taken with mf_lock_obj while contexts interleave. */
static const void *held[32];
static int nheld;

void mf_set_sched_hook(mf_sched_hook_fn fn, void *ctx)
{
	sched_hook = fn;
	sched_hook_ctx = ctx;
	if (fn)
		mf_point_reset();
	nheld = 0;	/* a run that ended in a deadlock left its holders here */
}

void mf_preempt_disable(void)
{
	preempt_count++;
}

void mf_preempt_enable(void)
{
	preempt_count--;
}

/* The scheduler is not model code: what it allocates is not the machine's (lib/arena.c). */
static void call_sched_hook(struct machine *m, enum mf_sp what, const void *obj)
{
	struct mf_arena *arena = mf_arena_enter(NULL);

	sched_hook(m, what, obj, sched_hook_ctx);
	mf_arena_enter(arena);
}

void mf_sched_point(struct machine *m, enum mf_sp what, const void *obj)
{
	if (sched_hook && !preempt_count) {
		mf_point_check(m);
		call_sched_hook(m, what, obj);
	}
}

bool mf_sched_active(void)
{
	return sched_hook != NULL;
}

const char *mf_sp_name(enum mf_sp what)
{
	static const char *const names[MF_SP__COUNT] = {
		[MF_SP_LOCK] = "lock", [MF_SP_UNLOCK] = "unlock", [MF_SP_WAIT] = "wait",
		[MF_SP_REF] = "put_page", [MF_SP_FLAG] = "set PG_hwpoison",
		[MF_SP_ZONE] = "zone lock", [MF_SP_XA] = "xa store",
	};
	return what < MF_SP__COUNT ? names[what] : "?";
}

static void point(struct machine *m, enum mf_lock_kind kind, const void *obj, bool acquire)
{
	if (acquire)
		m->lock_count[kind]++;
	if (m->lock_hook) {
		struct mf_arena *arena = mf_arena_enter(NULL);

		m->lock_hook(m, kind, obj, acquire, m->lock_hook_ctx);
		mf_arena_enter(arena);
	}
	mf_sched_point(m, acquire ? MF_SP_LOCK : MF_SP_UNLOCK, obj);
}

/*
 * The lock is held. With a scheduler, another context holds it: block until it
 * is released. Without one, the one running context holds it: a model bug.
 */
bool mf_sched_wait(struct machine *m, const void *obj)
{
	if (!sched_hook)
		return false;
	call_sched_hook(m, MF_SP_WAIT, obj);
	return true;
}

static void wait_for(struct machine *m, const void *obj, const char *what)
{
	if (!sched_hook) {
		fprintf(stderr, "memfail: %s taken twice by one context (self-deadlock)\n", what);
		abort();
	}
	call_sched_hook(m, MF_SP_WAIT, obj);
}

static int held_index(const void *obj)
{
	for (int i = 0; i < nheld; i++)
		if (held[i] == obj)
			return i;
	return -1;
}

/* Take obj for the running context, waiting while another holds it. */
static void track_acquire(struct machine *m, const void *obj, const char *what)
{
	if (!sched_hook)
		return;		/* one context: never contended, nothing to track */
	while (held_index(obj) >= 0)
		wait_for(m, obj, what);
	if (nheld == (int)(sizeof(held) / sizeof(held[0]))) {
		fprintf(stderr, "memfail: more than %d sleeping locks held at once\n", nheld);
		abort();
	}
	held[nheld++] = obj;
}

static void track_release(const void *obj)
{
	int i = held_index(obj);

	if (i >= 0)
		held[i] = held[--nheld];
}

void mf_lock_obj(struct machine *m, const void *obj, const char *what)
{
	mf_sched_point(m, MF_SP_LOCK, obj);
	track_acquire(m, obj, what);
}

void mf_unlock_obj(struct machine *m, const void *obj)
{
	track_release(obj);
	mf_sched_point(m, MF_SP_UNLOCK, obj);
}

void mf_mutex_lock(struct machine *m)
{
	point(m, MF_LOCK_MF_MUTEX, m, true);
	while (m->mf_mutex_held)
		wait_for(m, m, "mf_mutex");
	m->mf_mutex_held = true;
}

void mf_mutex_unlock(struct machine *m)
{
	m->mf_mutex_held = false;
	point(m, MF_LOCK_MF_MUTEX, m, false);
}

bool trylock_page(struct machine *m, struct page *page)
{
	if (PageFlag(page, PG_locked))
		return false;
	point(m, MF_LOCK_PAGE, page, true);
	if (PageFlag(page, PG_locked))
		return false;	/* taken by another context at the point */
	SetPageFlag(page, PG_locked);
	return true;
}

void lock_page(struct machine *m, struct page *page)
{
	while (!trylock_page(m, page))
		wait_for(m, page, "page lock");
}

void unlock_page(struct machine *m, struct page *page)
{
	ClearPageFlag(page, PG_locked);
	point(m, MF_LOCK_PAGE, page, false);
}

void i_mmap_lock(struct machine *m, struct address_space *mapping)
{
	point(m, MF_LOCK_I_MMAP, mapping, true);
	track_acquire(m, mapping, "i_mmap_rwsem");
}

void i_mmap_unlock(struct machine *m, struct address_space *mapping)
{
	track_release(mapping);
	point(m, MF_LOCK_I_MMAP, mapping, false);
}

uint64_t mf_lock_count(struct machine *m, enum mf_lock_kind kind)
{
	return m->lock_count[kind];
}
