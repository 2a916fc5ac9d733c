// SPDX-License-Identifier: GPL-2.0-only
/*
 * Write tracking of the frame array, for the invariant checker's check of
 * what a step changed (machine.h, sparse_track_start). Present sections are
 * read-only between checks; the first write to a host page faults into the
 * sparse map's handler, which marks it (and its chunk) in wp_dirty and makes
 * the chunk writable.
 *
 * A chunk written again and again (a free list's head, the LRU's tail) would
 * take a fault and two protection changes at every step, each with a TLB
 * flush: a hot chunk stays writable instead, with a copy of what the last
 * check saw, and a check marks its host pages that differ from the copy.
 * Once it went unchanged for a few checks it is write-protected again.
 *
 * Writes that run through the array (a populate's allocations, an exit's
 * frees) would take a fault and a protection change per chunk: a range opened
 * right after the last one opens twice as many host pages, up to a section's,
 * as readahead grows its window. At most about as much is marked as the run
 * wrote.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memfail/arena.h"
#include "memfail/array.h"
#include "memfail/mm.h"

#define TRACK_CHUNK 4	/* host pages made writable by a fault (a run grows it: seq_window) */
#define HOT_MAX 32	/* chunks kept writable (a copy each) */
#define HOT_IDLE 8	/* checks a hot chunk may go unchanged before it is protected again */

struct wp_hot {
	uint64_t hp;	/* its first host page */
	int idle;	/* checks since it last changed */
	uint8_t *copy;	/* its bytes at the last check */
};

static uint64_t track_bits(const struct machine *m)
{
	return m->nr_sections * SECTION_BYTES / mf_host_page_size();
}

static char *host_page(struct machine *m, uint64_t hp)
{
	return (char *)m->pages + hp * mf_host_page_size();
}

static bool test_bit64(const uint64_t *bm, uint64_t i) { return bm[i / 64] >> (i % 64) & 1; }
static void set_bit64(uint64_t *bm, uint64_t i) { bm[i / 64] |= 1ULL << (i % 64); }
static void clear_bit64(uint64_t *bm, uint64_t i) { bm[i / 64] &= ~(1ULL << (i % 64)); }

/* A written host page (terabytes of pmem make wp_dirty megabytes: only its low end is scanned). */
static void mark_dirty(struct machine *m, uint64_t hp)
{
	set_bit64(m->wp_dirty, hp);
	if (hp >= m->wp_dirty_hi)
		m->wp_dirty_hi = hp + 1;
}

/*
 * Host pages [first, end) are to be opened: the end to open to. A range that
 * follows the last one opened continues a run; from the third range of a run
 * on, twice the last one's length is opened, within the section. (The second
 * does not grow: a block split writes the head of the block after it.)
 */
static uint64_t seq_window(struct machine *m, uint64_t first, uint64_t end)
{
	uint64_t per = SECTION_BYTES / mf_host_page_size(), sec_end = (first / per + 1) * per;
	uint64_t grown = first + 2 * m->wp_seq_len;

	m->wp_seq_run = first == m->wp_seq_next ? m->wp_seq_run + 1 : 0;
	if (m->wp_seq_run >= 2 && grown > end)
		end = grown < sec_end ? grown : sec_end > end ? sec_end : end;
	m->wp_seq_next = end;
	m->wp_seq_len = end - first;
	return end;
}

/* Stop tracking: every present section writable again; the next check walks everything. */
void sparse_track_lose(struct machine *m)
{
	uint64_t sec;

	if (!m->wp_on)
		return;
	m->wp_on = false;
	m->wp_lost = true;
	m->nr_wp_hot = 0;
	for (sec = 0; sec < m->nr_sections; sec++)
		if (m->sections[sec] == SECTION_PRESENT &&
		    mprotect(m->pages + sec * PAGES_PER_SECTION, SECTION_BYTES, PROT_READ | PROT_WRITE))
			mf_oom("making the frame array writable");
}

/* A write to a protected host page of a present section: note it, let it through. */
bool sparse_track_fault(struct machine *m, uint64_t off)
{
	uint64_t hp = off / mf_host_page_size(), first = hp - hp % TRACK_CHUNK, end, i;

	if (!m->wp_on || test_bit64(m->wp_rw, hp))
		return false;	/* writable already: a real fault */
	end = seq_window(m, first, first + TRACK_CHUNK);
	for (i = first; i < end; i++) {
		mark_dirty(m, i);
		set_bit64(m->wp_rw, i);
	}
	if (mprotect(host_page(m, first), (end - first) * mf_host_page_size(), PROT_READ | PROT_WRITE))
		sparse_track_lose(m);	/* the host's map count: stop tracking rather than fail */
	else if (end - first == TRACK_CHUNK && m->nr_wp_hot < HOT_MAX) {
		struct wp_hot *w = &m->wp_hot[m->nr_wp_hot++];	/* its copy: taken after the check */
		w->hp = first;
		w->idle = 0;
	}
	return true;
}

/*
 * Frames [pfn, pfn + n) of a present section are about to be written (a free
 * block being split): their chunks are marked and made writable with one
 * protection change, instead of a fault and a change per chunk.
 */
void sparse_track_open(struct machine *m, uint64_t pfn, uint64_t n)
{
	uint64_t per = sparse_host_page_frames(), first = pfn / per, end = (pfn + n + per - 1) / per, i;

	if (!m->wp_on || sparse_section_state(m, pfn) != SECTION_PRESENT)
		return;	/* a section not backed yet is backed by the fault its first write takes */
	first -= first % TRACK_CHUNK;
	end = (end + TRACK_CHUNK - 1) / TRACK_CHUNK * TRACK_CHUNK;
	for (i = first; i < end && test_bit64(m->wp_rw, i); i++)
		;
	if (i == end)
		return;
	end = seq_window(m, first, end);
	for (i = first; i < end; i++) {
		mark_dirty(m, i);
		set_bit64(m->wp_rw, i);
	}
	if (mprotect(host_page(m, first), (end - first) * mf_host_page_size(), PROT_READ | PROT_WRITE))
		sparse_track_lose(m);
}

void sparse_track_collect(struct machine *m)
{
	uint64_t hpb = mf_host_page_size(), i;
	int h;

	for (h = 0; m->wp_on && h < m->nr_wp_hot; h++) {
		struct wp_hot *w = &m->wp_hot[h];
		for (i = 0; i < TRACK_CHUNK; i++)
			if (!test_bit64(m->wp_dirty, w->hp + i) &&
			    memcmp(host_page(m, w->hp + i), w->copy + i * hpb, hpb))
				mark_dirty(m, w->hp + i);
	}
}

/* Protect [from, to) host pages; false if the host refused. */
static bool track_protect(struct machine *m, uint64_t from, uint64_t to)
{
	uint64_t i;

	for (i = from; i < to; i++)
		clear_bit64(m->wp_rw, i);
	return !mprotect(host_page(m, from), (to - from) * mf_host_page_size(), PROT_READ);
}

/*
 * After a check, hot chunks: copy what changed (the check read it), protect
 * those idle too long. Their pages leave wp_dirty, so only other chunks'
 * pages are protected again by the caller.
 */
static bool track_hot(struct machine *m)
{
	uint64_t hpb = mf_host_page_size(), i;
	bool ok = true;
	int h = 0;

	while (h < m->nr_wp_hot) {
		struct wp_hot *w = &m->wp_hot[h], t;
		bool changed = false;
		for (i = 0; i < TRACK_CHUNK; i++) {
			if (!test_bit64(m->wp_dirty, w->hp + i))
				continue;
			if (!w->copy)	/* here, not in the fault handler: a signal handler must not malloc */
				w->copy = xmalloc(TRACK_CHUNK * hpb, "the frame array's write tracking");
			memcpy(w->copy + i * hpb, host_page(m, w->hp + i), hpb);
			clear_bit64(m->wp_dirty, w->hp + i);
			changed = true;
		}
		w->idle = changed ? 0 : w->idle + 1;
		if (w->idle <= HOT_IDLE) {
			h++;
			continue;
		}
		ok = track_protect(m, w->hp, w->hp + TRACK_CHUNK) && ok;
		t = *w;	/* the last one takes its place; its slot (and copy buffer) goes idle */
		*w = m->wp_hot[--m->nr_wp_hot];
		m->wp_hot[m->nr_wp_hot] = t;
	}
	return ok;
}

static void track_alloc(struct machine *m, uint64_t n)
{
	m->wp_dirty = xcalloc((n + 63) / 64, sizeof(uint64_t), "the frame array's write tracking");
	m->wp_rw = xcalloc((n + 63) / 64, sizeof(uint64_t), "the frame array's write tracking");
	m->wp_hot = xcalloc(HOT_MAX, sizeof(*m->wp_hot), "the frame array's write tracking");
}

void sparse_track_start(struct machine *m)
{
	uint64_t n = track_bits(m), hp, sec, per = SECTION_BYTES / mf_host_page_size();
	bool ok = true, was_on = m->wp_on;

	if (!m->wp_dirty)
		track_alloc(m, n);
	if (!m->wp_on) {
		m->nr_wp_hot = 0;
		for (sec = 0; sec < m->nr_sections && ok; sec++)
			if (m->sections[sec] == SECTION_PRESENT)
				ok = track_protect(m, sec * per, (sec + 1) * per);
	} else {
		ok = track_hot(m);
		for (hp = 0; hp < n && hp < m->wp_dirty_hi && ok; hp++) {
			uint64_t end = hp;
			if (!m->wp_dirty[hp / 64]) {	/* a word at a time where nothing was written */
				hp = hp / 64 * 64 + 63;
				continue;
			}
			if (!test_bit64(m->wp_dirty, hp))
				continue;
			while (end < n && test_bit64(m->wp_dirty, end))
				end++;
			ok = track_protect(m, hp, end);
			hp = end;
		}
	}
	/* a start from scratch clears it all: a restore brings back an older wp_dirty_hi */
	memset(m->wp_dirty, 0, (was_on && m->wp_dirty_hi < n ? m->wp_dirty_hi + 63 : n + 63) / 64 *
				  sizeof(uint64_t));
	m->wp_dirty_hi = 0;
	m->wp_on = true;
	m->wp_lost = false;
	m->wp_seq_next = UINT64_MAX;	/* a step's runs start small */
	m->wp_seq_run = 0;
	if (!ok)
		sparse_track_lose(m);
}

void sparse_track_free(struct machine *m)
{
	int h;

	for (h = 0; m->wp_hot && h < HOT_MAX; h++)
		free(m->wp_hot[h].copy);
	free(m->wp_hot);
	free(m->wp_rw);
	free(m->wp_dirty);
	m->wp_hot = NULL;
	m->wp_rw = m->wp_dirty = NULL;
	m->wp_dirty_hi = 0;
	m->nr_wp_hot = 0;
}
