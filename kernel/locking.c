/* SPDX-License-Identifier: GPL-2.0-only */
/* The locking seam (include/memfail/locking.h). */
#include <stdio.h>
#include <stdlib.h>

#include "memfail/locking.h"
#include "memfail/mm.h"

void mf_set_lock_hook(struct machine *m, mf_lock_hook_fn fn, void *ctx)
{
	m->lock_hook = fn;
	m->lock_hook_ctx = ctx;
}

static void point(struct machine *m, enum mf_lock_kind kind, const void *obj, bool acquire)
{
	if (acquire)
		m->lock_count[kind]++;
	if (m->lock_hook)
		m->lock_hook(m, kind, obj, acquire, m->lock_hook_ctx);
}

/* A lock held twice by the one running context is a model bug: fail loudly. */
static void deadlock(const char *what)
{
	fprintf(stderr, "memfail: %s taken twice by one context (self-deadlock)\n", what);
	abort();
}

void mf_mutex_lock(struct machine *m)
{
	point(m, MF_LOCK_MF_MUTEX, m, true);
	if (m->mf_mutex_held)
		deadlock("mf_mutex");
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
	SetPageFlag(page, PG_locked);
	return true;
}

void lock_page(struct machine *m, struct page *page)
{
	if (!trylock_page(m, page))
		deadlock("page lock");
}

void unlock_page(struct machine *m, struct page *page)
{
	ClearPageFlag(page, PG_locked);
	point(m, MF_LOCK_PAGE, page, false);
}

void i_mmap_lock(struct machine *m, struct address_space *mapping)
{
	point(m, MF_LOCK_I_MMAP, mapping, true);
}

void i_mmap_unlock(struct machine *m, struct address_space *mapping)
{
	point(m, MF_LOCK_I_MMAP, mapping, false);
}

uint64_t mf_lock_count(struct machine *m, enum mf_lock_kind kind)
{
	return m->lock_count[kind];
}
