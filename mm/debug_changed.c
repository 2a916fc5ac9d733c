/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The invariant checker's entry points: a full walk (check_invariants), or
 * a check of what changed since the last check (check_invariants_changed),
 * which knows what changed from the frame array's write tracking
 * (mm/sparse.c: the host's page protection, so no write can go unseen) and
 * from what the last check found (free lists, mappings, the swap cache).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memfail/array.h"
#include "memfail/ksm.h"
#include "memfail/mm.h"
#include "debug.h"

/*
 * The state of the last machine destroyed: the next machine of its size takes
 * it (a process running scenario after scenario would otherwise fault its
 * pages in again for each). What is zero between checks is zero already.
 */
static struct ck_state *ck_spare;

static void ck_state_release(struct ck_state *st)
{
	if (!st)
		return;
	munmap(st->cnt, st->nr * sizeof(*st->cnt));
	free(st->seen);
	free(st->shadow);
	free(st->free_ids);
	free(st->zones);
	free(st->sections);
	free(st);
}

static struct ck_state *ck_spare_take(uint64_t nr)
{
	struct ck_state *st = ck_spare;

	if (!st || st->nr != nr)
		return NULL;
	ck_spare = NULL;
	for (uint64_t w = 0; w < st->mapped_hi; w++) {
		for (uint64_t bits = st->mapped[w]; bits; bits &= bits - 1) {
			uint64_t pfn = w * 64 + (uint64_t)__builtin_ctzll(bits);
			st->cnt[pfn] = (struct ck_count){ 0 };
		}
	}
	/* what may be set: seen and todo are clear between checks already */
	memset(st->mapped, 0, st->mapped_hi * sizeof(uint64_t));
	memset(st->prev_seen, 0, st->prev_hi * sizeof(uint64_t));
	memset(st->lru, 0, st->bits_hi * sizeof(uint64_t));
	memset(st->huge, 0, st->bits_hi * sizeof(uint64_t));
	memset(st->ksm, 0, st->bits_hi * sizeof(uint64_t));
	st->mapped_hi = st->prev_hi = st->bits_hi = 0;
	st->nr_lru = st->nr_huge = st->nr_ksm = st->since_full = 0;
	st->nr_shadow = st->nr_free_ids = 0;
	st->gen = 0;	/* no block has a shadow: the first check is full */
	st->poisoned = st->swap_inuse = 0;
	return st;
}

static struct ck_state *ck_state_alloc(uint64_t nr);

/*
 * The host's, not the machine's (lib/arena.c): the spare outlives the
 * machine's arena, and a restore in place keeps the live state (its next
 * check walks everything: mf_restore_into stops the write tracking).
 */
static struct ck_state *ck_state_new(uint64_t nr)
{
	struct mf_arena *arena = mf_arena_enter(NULL);
	struct ck_state *st = ck_state_alloc(nr);

	mf_arena_enter(arena);
	return st;
}

static struct ck_state *ck_state_alloc(uint64_t nr)
{
	struct ck_state *st = xcalloc(1, sizeof(*st), "the invariant checker");
	uint64_t words = (nr + 63) / 64, todo = (words + 63) / 64;
	uint64_t *bm;

	st->nr = nr;
	st->words = words;
	/* 8 bytes a frame, touched only where pages are mapped: an 8T machine's 16 GiB
	 * must not count against the host's overcommit heuristic */
	st->cnt = mmap(NULL, nr * sizeof(*st->cnt), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (st->cnt == MAP_FAILED)
		mf_oom("the invariant checker");
	bm = xcalloc(6 * words + 2 * todo, sizeof(uint64_t), "the invariant checker");
	st->seen = bm;
	st->mapped = bm + words;
	st->prev_seen = bm + 2 * words;
	st->lru = bm + 3 * words;
	st->huge = bm + 4 * words;
	st->ksm = bm + 5 * words;
	st->todo = bm + 6 * words;
	st->done = st->todo + todo;
	return st;
}

/*
 * The per-pfn counters and bitmaps live on the machine between checks: a
 * fresh calloc per step cost a host mmap and its faults, and the counts are
 * kept up to date rather than made again (mm/debug_pte.c).
 * Returns true when the state is new: nothing to compare with, walk it all.
 */
static bool ck_state_get(struct ck *c)
{
	struct machine *m = c->m;
	struct ck_state *st = m->ck;
	bool fresh = !st || st->nr != m->nr_pages;

	if (fresh) {
		ck_state_free(m);
		st = ck_spare_take(m->nr_pages);
		st = m->ck = st ? st : ck_state_new(m->nr_pages);
	}
	c->st = st;
	c->seen = st->seen;
	c->mapped = st->mapped;
	c->cnt = st->cnt;
	return fresh;
}

static void ck_state_put(struct ck *c)
{
	struct ck_state *st = c->st;

	memcpy(st->prev_seen, st->seen, max_u64(st->seen_hi, st->prev_hi) * sizeof(uint64_t));
	memset(st->seen, 0, st->seen_hi * sizeof(uint64_t));
	st->prev_hi = st->seen_hi;
	st->seen_hi = 0;
}

void ck_state_free(struct machine *m)
{
	if (!m->ck)
		return;
	ck_state_release(ck_spare);
	ck_spare = m->ck;
	m->ck = NULL;
}

static void todo_pfn(struct ck *c, uint64_t pfn)
{
	if (pfn < c->m->nr_pages)
		todo_set(c->st, pfn / 64);
}

/* Frames whose swap-cache slot changed (mm/swapfile.c's log): a PG_swapcache frame's check reads its slot. */
static void changed_swap_slots(struct ck *c)
{
	struct swap_info *si = c->m->swap;

	for (size_t i = 0; si && i < si->ck_nr; i++)
		todo_pfn(c, si->ck_pfns[i]);
}

static void swap_log_clear(struct machine *m)
{
	if (m->swap) {
		m->swap->ck_nr = 0;
		m->swap->ck_lost = false;
	}
}

/* The first bit set in bm at or after i, or n (a walk of a sparse bitmap a word at a time). */
static uint64_t next_set(const uint64_t *bm, uint64_t i, uint64_t n)
{
	while (i < n) {
		uint64_t bits = bm[i / 64] >> (i % 64);
		if (bits)
			return i + (uint64_t)__builtin_ctzll(bits);
		i = (i / 64 + 1) * 64;
	}
	return n;
}


/*
 * The frame pass of a check of what changed: a group of 64 pfns is checked
 * when a host page of its frames was written (wp_dirty), when the PTEs or PMD
 * slots mapping its pfns changed (the page-table pass marks it), when its
 * free-list bits changed, when a swap slot naming it changed, or when it
 * shares a block with such a group. The others would give what the last check found: a
 * frame's checks read only its bytes, those counts, the free lists, its swap
 * slot and its block's other frames.
 */
static void check_todo_group(struct ck *c, uint64_t w)
{
	struct machine *m = c->m;
	uint64_t end = (w + 1) * 64 < m->nr_pages ? (w + 1) * 64 : m->nr_pages;

	if (sparse_section_state(m, w * 64) == SECTION_PRESENT)
		check_frames(c, w * 64, end);
	else
		check_untouched_section(c, w * 64, end);
}

/* Before the page-table pass: the groups of frames written since the last check. */
static void todo_written(struct ck *c)
{
	struct machine *m = c->m;
	uint64_t w, hp, groups = sparse_host_page_frames() / 64;
	uint64_t hps = m->nr_sections * PAGES_PER_SECTION / sparse_host_page_frames();

	for (hp = 0; hp < hps && hp < m->wp_dirty_hi; hp += 64) {
		for (uint64_t bits = m->wp_dirty[hp / 64]; bits; bits &= bits - 1) {
			uint64_t page = hp + (uint64_t)__builtin_ctzll(bits);
			for (w = page * groups; w < (page + 1) * groups; w++)
				todo_pfn(c, w * 64);
		}
	}
	changed_swap_slots(c);
}

/*
 * Group w and what shares a block with it: a frame's check reads its block's
 * head (refcount) and a head's reads its tails (mapcounts), so a tail's head
 * group is checked first (out of turn) and, when the next group starts with a
 * tail of the same block, that group goes to todo. The frames' head offsets
 * are read just before their checks: one pass over them, not two.
 */
static void check_closed(struct ck *c, uint64_t w)
{
	struct machine *m = c->m;
	struct ck_state *st = c->st;
	uint64_t pfn, end = (w + 1) * 64 < m->nr_pages ? (w + 1) * 64 : m->nr_pages;

	if (test_pfn(st->done, w))
		return;
	set_pfn(st->done, w);
	if (sparse_section_state(m, w * 64) == SECTION_PRESENT) {
		for (pfn = w * 64; pfn < end; pfn++) {
			uint32_t d = m->pages[pfn].head_delta;
			/* a head in an earlier group: the block is aligned, it starts that group */
			if (d && d <= pfn && (pfn - d) / 64 < w)
				check_closed(c, (pfn - d) / 64);
		}
		if (end < m->nr_pages && sparse_section_state(m, end) == SECTION_PRESENT &&
		    m->pages[end].head_delta && m->pages[end].head_delta <= end)
			todo_pfn(c, end);
	}
	check_todo_group(c, w);
}

/* The groups in todo, ascending (a group may add the next one), and those they share blocks with. */
static void check_todo(struct ck *c)
{
	struct ck_state *st = c->st;
	size_t n;

	/* todo_hi is read again at each step: a group may add the next one */
	for (uint64_t w = next_set(st->todo, 0, st->todo_hi); w < st->todo_hi;
	     w = next_set(st->todo, w + 1, st->todo_hi))
		check_closed(c, w);
	n = (st->todo_hi + 63) / 64 * sizeof(uint64_t);
	memset(st->todo, 0, n);
	memset(st->done, 0, n);
	st->todo_hi = 0;
}

static void check_changed_pages(struct ck *c)
{
	struct ck_state *st = c->st;
	const uint64_t *seen = st->seen, *prev_seen = st->prev_seen;
	uint64_t w, n = max_u64(st->seen_hi, st->prev_hi);

	/* local pointers: the stores to todo cannot alias them, so the loop runs from registers */
	for (w = 0; w < n; w++)
		if (seen[w] != prev_seen[w])
			todo_set(st, w);
	check_todo(c);
}

/*
 * The free lists are what the zones' list heads and the frames on them
 * (prev_seen) say, and the sections' states (a section nothing touched is
 * walked from boot's order): when none of those changed since the last walk,
 * it would find what it found then.
 */
static bool free_lists_changed(struct ck *c)
{
	struct machine *m = c->m;
	struct ck_state *st = c->st;
	uint64_t w;

	if (!st->zones || st->nr_zones != (uint64_t)m->nr_zones || st->nr_sections != m->nr_sections ||
	    memcmp(st->zones, m->zones, m->nr_zones * sizeof(*m->zones)) ||
	    memcmp(st->sections, m->sections, m->nr_sections))
		return true;
	for (w = next_set(st->todo, 0, st->todo_hi); w < st->todo_hi; w = next_set(st->todo, w + 1, st->todo_hi))
		if (st->prev_seen[w])
			return true;
	return false;
}

static void free_lists_seen(struct ck *c)
{
	struct machine *m = c->m;
	struct ck_state *st = c->st;

	if (!st->zones || st->nr_zones != (uint64_t)m->nr_zones || st->nr_sections != m->nr_sections) {
		struct mf_arena *arena = mf_arena_enter(NULL);	/* the checker's state is the host's */
		free(st->zones);
		free(st->sections);
		st->zones = xmalloc(m->nr_zones * sizeof(*m->zones), "the invariant checker");
		st->sections = xmalloc(m->nr_sections, "the invariant checker");
		st->nr_zones = (uint64_t)m->nr_zones;
		st->nr_sections = m->nr_sections;
		mf_arena_enter(arena);
	}
	memcpy(st->zones, m->zones, m->nr_zones * sizeof(*m->zones));
	memcpy(st->sections, m->sections, m->nr_sections);
}

/* The free lists: walked, or as the last walk found them (todo must hold what was written). */
static void check_free(struct ck *c, bool full)
{
	if (full || free_lists_changed(c)) {
		check_free_lists(c);
		free_lists_seen(c);
	} else {
		memcpy(c->seen, c->st->prev_seen, c->st->prev_hi * sizeof(uint64_t));
		c->st->seen_hi = c->st->prev_hi;
	}
}

/* The LRU lists: walked, unless no frame on them changed and neither did their heads. */
static void check_lru_lists(struct ck *c, bool full)
{
	struct ck_state *st = c->st;

	if (!full && !c->lru_touched && !memcmp(&st->lruvec, &c->m->lruvec, sizeof(st->lruvec)))
		return;
	check_lru(c, st->nr_lru);
	st->lruvec = c->m->lruvec;
}

static int run_checks(struct machine *m, FILE *report, bool full)
{
	struct ck c = { .m = m, .out = report };

	if (ck_state_get(&c))
		full = true;
	if (!full)
		todo_written(&c);
	check_free(&c, full);
	check_page_tables(&c, full);
	if (full) {
		check_pages(&c);
		memset(c.st->todo, 0, (c.st->todo_hi + 63) / 64 * sizeof(uint64_t));
		c.st->todo_hi = 0;
	} else {
		check_changed_pages(&c);
	}
	if (c.suspect && !c.ptes_all) {
		/* an entry that did not change may map a frame that did: read them all */
		check_page_tables_rest(&c);
		check_todo(&c);
	}
	check_page_tables_done(&c);
	check_lru_lists(&c, full);
	check_hstate(&c, c.st->nr_huge);
	check_page_cache(&c);
	c.bad += ksm_check(m, report, c.st->nr_ksm);
	ck_state_put(&c);
	swap_log_clear(m);
	return c.bad;
}

int check_invariants(struct machine *m, FILE *report)
{
	return run_checks(m, report, true);
}

/*
 * The bits a frame pass would keep for a machine no process, file or KSM has
 * used: PG_lru frames are those on the LRU lists, hugetlb heads those in the
 * pool's free list (every pool folio is free), and nothing is KSM or mapped.
 */
static void baseline_bits(struct ck *c)
{
	struct machine *m = c->m;
	struct ck_state *st = c->st;
	uint64_t n = 0;

	for (int l = 0; l < NR_LRU_LISTS; l++)
		for (uint32_t p = m->lruvec.lists[l].head; p != NO_PFN && n < st->nr; p = m->pages[p].lru_next, n++) {
			set_pfn(st->lru, p);
			st->bits_hi = max_u64(st->bits_hi, p / 64 + 1);
		}
	st->nr_lru = n;
	n = 0;
	for (uint32_t f = m->hstate.freelist.head; f != NO_PFN && n < st->nr; f = m->pages[f].lru_next, n++) {
		set_pfn(st->huge, f);
		st->bits_hi = max_u64(st->bits_hi, f / 64 + 1);
	}
	st->nr_huge = n;
}

int check_invariants_begin(struct machine *m, FILE *report)
{
	struct ck c = { .m = m, .out = report };

	if (m->ck || m->tasks || m->nr_inodes || m->ksm)
		return check_invariants_changed(m, report);
	ck_state_get(&c);
	check_free_lists(&c);
	free_lists_seen(&c);
	check_page_tables(&c, true);	/* no process: the counts start at zero */
	check_page_tables_done(&c);
	baseline_bits(&c);
	check_lru(&c, c.st->nr_lru);	/* the lists hold PG_lru frames only */
	c.st->lruvec = m->lruvec;
	check_hstate(&c, c.st->nr_huge);
	ck_state_put(&c);
	swap_log_clear(m);
	sparse_track_start(m);
	return c.bad;
}

int check_invariants_changed(struct machine *m, FILE *report)
{
	bool full = !m->wp_on || m->wp_lost || !m->ck || ++m->ck->since_full >= CK_FULL_EVERY ||
		    (m->swap && m->swap->ck_lost);
	int bad;

	sparse_track_collect(m);
	bad = run_checks(m, report, full);

	if (full)
		m->ck->since_full = 0;
	sparse_track_start(m);
	return bad;
}
