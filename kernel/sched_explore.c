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

/*
 * page->mapping is a host pointer, different in every run of a scenario: the
 * hash takes its type bits and, for a file page, the inode number instead, so
 * that equal states of different runs hash equal (and the search is the same
 * on every run).
 */
static uint64_t mapping_id(const struct page *p)
{
	uintptr_t flags = p->mapping & PAGE_MAPPING_FLAGS;
	const struct address_space *as;

	if (!p->mapping || flags)
		return flags | (p->mapping ? 4 : 0);
	as = (const struct address_space *)p->mapping;
	return as->host ? (as->host->i_ino << 3) | 4 : 4;
}

uint64_t mf_state_hash(struct mf_machine *mm)
{
	struct machine *m = mm->m;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint64_t i = 0; i < m->nr_pages; i++) {
		const struct page *p = &m->pages[i];

		if (!p->flags && !p->_refcount && !p->mapping && !p->lru_next && !p->private)
			continue;	/* a never-used frame: most of them */
		h = mix(h, i);
		h = mix(h, ((uint64_t)p->flags << 32) | (uint32_t)p->_refcount);
		h = mix(h, ((uint64_t)(uint32_t)p->_mapcount << 32) | p->head_delta);
		h = mix(h, mapping_id(p));
		h = mix(h, p->index);
		h = mix(h, p->private);
		h = mix(h, ((uint64_t)p->lru_prev << 32) | p->lru_next);
		h = mix(h, ((uint64_t)p->order << 8) | p->lru_list);
	}
	return mix(h, m->num_poisoned_pages);
}

unsigned long mf_dax_lock_losses(struct mf_machine *mm)
{
	return mm->m->pmem ? mm->m->pmem->erased_locked : 0;
}
