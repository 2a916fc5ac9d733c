/* SPDX-License-Identifier: GPL-2.0-only */
/* The model's side of concurrent contexts (include/memfail/sched_explore.h). */
#include "memfail/dax.h"
#include "memfail/sched_explore.h"
#include "sys-internal.h"

void *mf_ctx_save(struct mf_machine *mm)
{
	return mm->m->current;
}

void mf_ctx_restore(struct mf_machine *mm, void *saved)
{
	mm->m->current = saved;
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	return (h ^ w) * 0x100000001b3ULL + (h >> 29);
}

uint64_t mf_state_hash(struct mf_machine *mm)
{
	struct machine *m = mm->m;
	const uint64_t *w = (const uint64_t *)m->pages;
	size_t n = m->nr_pages * sizeof(*m->pages) / sizeof(*w);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = mix(h, w[i]);
	return mix(h, m->num_poisoned_pages);
}

unsigned long mf_dax_lock_losses(struct mf_machine *mm)
{
	return mm->m->pmem ? mm->m->pmem->erased_locked : 0;
}
