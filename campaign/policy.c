// SPDX-License-Identifier: GPL-2.0-only
/*
 * The user-space offlining policies a campaign compares. Each counts
 * corrected errors per key (a pfn, or a DRAM row) in a small open-addressing
 * table and says when the key's page(s) should be soft offlined:
 *  - page: rasdaemon's page isolation: a per-page count that restarts when a
 *    refresh cycle (PAGE_CE_REFRESH_CYCLE) has passed since the count began;
 *    at PAGE_CE_THRESHOLD the page is offlined;
 *  - row: the proposed rasdaemon row policy: the same count per DRAM row,
 *    and every page of the row is offlined;
 *  - bucket: mcelog's leaky bucket per page: the count ages by halving for
 *    every full window (agetime) that passed, and triggers at the threshold
 *    (an approximation of mcelog's bucket_age; docs/campaign.md).
 * A key triggers once: both daemons record the page as handled either way.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/campaign.h"

struct slot {
	uint64_t key;		/* key + 1; 0 = empty */
	double start, level;
	bool fired;
};

struct cp_policy_state {
	struct cp_policy p;
	struct slot *t;
	size_t cap, used;
};

struct cp_policy_state *cp_policy_new(const struct cp_policy *p)
{
	struct cp_policy_state *s = xcalloc(1, sizeof(*s), "campaign policy");

	s->p = *p;
	return s;
}

void cp_policy_reset(struct cp_policy_state *s)
{
	if (s->used)
		memset(s->t, 0, s->cap * sizeof(*s->t));
	s->used = 0;
}

void cp_policy_free(struct cp_policy_state *s)
{
	if (s) {
		free(s->t);
		free(s);
	}
}

static size_t hash(uint64_t k, size_t cap)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static void grow(struct cp_policy_state *s)
{
	struct slot *old = s->t;
	size_t ocap = s->cap;

	s->cap = ocap ? ocap * 2 : 256;
	s->t = xcalloc(s->cap, sizeof(*s->t), "campaign policy table");
	for (size_t i = 0; i < ocap; i++) {
		size_t h;

		if (!old[i].key)
			continue;
		for (h = hash(old[i].key, s->cap); s->t[h].key; h = (h + 1) & (s->cap - 1))
			;
		s->t[h] = old[i];
	}
	free(old);
}

static struct slot *lookup(struct cp_policy_state *s, uint64_t key, double t)
{
	size_t h;

	if (2 * (s->used + 1) > s->cap)
		grow(s);
	for (h = hash(key + 1, s->cap); s->t[h].key; h = (h + 1) & (s->cap - 1))
		if (s->t[h].key == key + 1)
			return &s->t[h];
	s->t[h] = (struct slot){ .key = key + 1, .start = t };
	s->used++;
	return &s->t[h];
}

bool cp_policy_ce(struct cp_policy_state *s, const struct cp_error *e)
{
	struct slot *sl;

	if (s->p.kind == CP_POL_NONE)
		return false;
	sl = lookup(s, s->p.kind == CP_POL_ROW ? e->row_key : e->pfn, e->t_h);
	if (sl->fired)
		return false;
	if (s->p.kind == CP_POL_BUCKET) {
		double age = floor((e->t_h - sl->start) / s->p.window_h);

		sl->level = ldexp(sl->level, -(int)fmin(age, 64));
		sl->start += age * s->p.window_h;
		sl->level += 1.0;
	} else {
		if (e->t_h - sl->start > s->p.window_h) {
			sl->start = e->t_h;
			sl->level = 0;
		}
		sl->level += 1.0;
	}
	if (sl->level >= (double)s->p.threshold)
		sl->fired = true;
	return sl->fired;
}
