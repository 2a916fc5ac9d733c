// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint and restore. A checkpoint holds two things:
 *
 * - an image of the machine's state: the used part of its arena (every
 *   object the model allocated for it: lib/arena.c), the API's wrapper, and
 *   the backed sections of its frame array. mf_restore_into() copies them
 *   back at the same addresses, so a restore costs what the state weighs;
 * - the machine's description and every call that changed it (arguments
 *   copied), for mf_restore(), which boots a new machine (at other
 *   addresses) and makes the same calls again. The model is deterministic, so
 *   that machine's state equals the old one's at the checkpoint. Replayed
 *   calls record themselves again, so it can be checkpointed in turn.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sys-internal.h"

struct mf_checkpoint {
	struct mf_machine_desc desc;
	struct sys_rec *rec;
	size_t nr_rec;
	/* the image, for mf_restore_into() on the machine it was taken from */
	uint64_t machine_id;
	struct mf_machine wrapper;
	struct mf_arena_image arena;
	struct page *pages;		/* where the frame array was */
	uint64_t nr_sections;
	uint8_t *sections;		/* their states */
	struct page *frames;		/* the SECTION_PRESENT ones, in order */
};

/* A run of one byte value in a recorded buffer. */
struct blob_run {
	uint64_t len;
	uint8_t byte;
};

/* The end of the run of b starting at p (a word at a time: buffers of megabytes). */
static const uint8_t *run_end(const uint8_t *p, const uint8_t *end, uint8_t b)
{
	uint64_t w = 0x0101010101010101ULL * b, x;

	while (end - p >= 8 && (memcpy(&x, p, 8), x == w))
		p += 8;
	while (p < end && *p == b)
		p++;
	return p;
}

/* The runs of buf into *out, or false when there are more than max. */
static bool blob_runs(const uint8_t *buf, size_t len, size_t max, struct blob_run **out, size_t *nr)
{
	const uint8_t *p = buf, *end = buf + len;
	struct blob_run *runs = xrealloc_array(NULL, max, sizeof(*runs), "recording a call");
	size_t n = 0;

	while (p < end && n < max) {
		const uint8_t *q = run_end(p, end, *p);
		runs[n++] = (struct blob_run){ (uint64_t)(q - p), *p };
		p = q;
	}
	if (p < end) {
		free(runs);
		return false;
	}
	*out = xrealloc_array(runs, n, sizeof(*runs), "recording a call");
	*nr = n;
	return true;
}

/* The blob of a call being recorded: its runs when they take a sixteenth of it or less. */
static void rec_blob(struct sys_rec *r, const void *blob, size_t len)
{
	struct blob_run *runs;
	size_t nr;

	r->blob_len = len;
	r->blob_size = blob ? len : 0;
	r->blob_runs = false;
	r->blob = NULL;
	if (!blob)
		return;
	if (len >= 4096 && blob_runs(blob, len, len / 16 / sizeof(*runs), &runs, &nr)) {
		r->blob = runs;
		r->blob_size = nr * sizeof(*runs);
		r->blob_runs = true;
		return;
	}
	r->blob = memcpy(xmalloc(len, "recording a call"), blob, len);
}

void *sys_rec_blob(const struct sys_rec *r)
{
	const struct blob_run *runs = r->blob;
	uint8_t *buf, *p;
	size_t i;

	if (!r->blob_runs)
		return r->blob;
	buf = p = xmalloc(r->blob_len, "replaying a call");
	for (i = 0; i < r->blob_size / sizeof(*runs); p += runs[i].len, i++)
		memset(p, runs[i].byte, runs[i].len);
	return buf;
}

void sys_rec_blob_put(const struct sys_rec *r, void *buf)
{
	if (buf != r->blob)
		free(buf);
}

static void rec_copy(struct sys_rec *dst, const struct sys_rec *src)
{
	int i;

	*dst = *src;
	for (i = 0; i < 2; i++)
		dst->s[i] = src->s[i] ? xstrdup(src->s[i], "copying a recorded call") : NULL;
	if (src->blob)
		dst->blob = memcpy(xmalloc(src->blob_size, "copying a recorded call"), src->blob,
				   src->blob_size);
}

void sys_record(struct mf_machine *mm, sys_replay_fn fn, const int64_t *a, int na, const char *s0,
		const char *s1, const void *blob, size_t blob_len)
{
	struct sys_rec *r;
	int i;

	/* the record is sequential: calls that interleaved cannot be replayed in order */
	if (mf_sched_active())
		mm->interleaved = true;
	ARRAY_GROW(mm->rec, mm->nr_rec, mm->cap_rec, "recording a call");
	r = &mm->rec[mm->nr_rec++];
	*r = (struct sys_rec){ .fn = fn };
	for (i = 0; i < na && i < (int)ARRAY_SIZE(r->a); i++)
		r->a[i] = a[i];
	r->s[0] = s0 ? xstrdup(s0, "recording a call") : NULL;
	r->s[1] = s1 ? xstrdup(s1, "recording a call") : NULL;
	rec_blob(r, blob, blob_len);
}

void sys_records_free(struct sys_rec *rec, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(rec[i].s[0]);
		free(rec[i].s[1]);
		free(rec[i].blob);
	}
	free(rec);
}

static void save_frames(struct mf_checkpoint *cp, const struct machine *m)
{
	uint64_t sec, n = 0;

	cp->pages = m->pages;
	cp->nr_sections = m->nr_sections;
	cp->sections = memcpy(xmalloc(m->nr_sections, "making a checkpoint"), m->sections,
			      m->nr_sections);
	for (sec = 0; sec < m->nr_sections; sec++)
		n += m->sections[sec] == SECTION_PRESENT;
	cp->frames = xrealloc_array(NULL, n * PAGES_PER_SECTION, sizeof(struct page),
				    "making a checkpoint");
	for (sec = 0, n = 0; sec < m->nr_sections; sec++)
		if (m->sections[sec] == SECTION_PRESENT)
			memcpy(cp->frames + n++ * PAGES_PER_SECTION, m->pages + sec * PAGES_PER_SECTION,
			       SECTION_BYTES);
}

static void save_image(struct mf_checkpoint *cp, struct mf_machine *mm)
{
	cp->machine_id = mm->id;
	cp->wrapper = *mm;
	mf_arena_save(mm->arena, &cp->arena);
	save_frames(cp, mm->m);
}

static int checkpoint(struct mf_machine *mm, struct mf_checkpoint **out)
{
	/* the checkpoint is the caller's, not the machine's: not in its arena */
	struct mf_arena *arena = mf_arena_enter(NULL);
	struct mf_checkpoint *cp;
	size_t i;

	if (!out || mm->interleaved) {
		mf_arena_enter(arena);
		return out ? -EOPNOTSUPP : -EINVAL;
	}
	cp = xcalloc(1, sizeof(*cp), "making a checkpoint");
	save_image(cp, mm);
	cp->desc = mm->desc;
	cp->rec = xrealloc_array(NULL, mm->nr_rec, sizeof(*cp->rec), "making a checkpoint");
	for (i = 0; i < mm->nr_rec; i++) {
		rec_copy(&cp->rec[i], &mm->rec[i]);
		cp->nr_rec = i + 1;
	}
	mf_arena_enter(arena);
	*out = cp;
	return 0;
}

int mf_checkpoint(struct mf_machine *mm, struct mf_checkpoint **out)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, checkpoint(mm, out));
}

int mf_restore(const struct mf_checkpoint *cp, struct mf_machine **out)
{
	struct mf_machine *mm;
	size_t i;
	int ret;

	if (!cp || !out)
		return -EINVAL;
	*out = NULL;
	ret = mf_machine_create(&cp->desc, &mm, NULL, 0);
	if (ret)
		return ret;
	for (i = 0; i < cp->nr_rec && !mm->broken; i++)
		cp->rec[i].fn(mm, &cp->rec[i]);
	if (mm->broken) {
		mf_machine_destroy(mm);
		return -ENOTRECOVERABLE;
	}
	*out = mm;
	return 0;
}

/*
 * Sections backed in the checkpoint get its frames; those backed since go
 * back to boot's state. The checker's write tracking (sparse_track_start)
 * restarts from scratch: every section is writable, the next check is whole.
 */
static void load_frames(struct machine *m, const struct mf_checkpoint *cp, const uint8_t *now)
{
	uint64_t sec, n = 0;

	for (sec = 0; sec < cp->nr_sections; sec++) {
		struct page *f = m->pages + sec * PAGES_PER_SECTION;

		if (cp->sections[sec] == SECTION_PRESENT) {
			if (mprotect(f, SECTION_BYTES, PROT_READ | PROT_WRITE))
				mf_oom("restoring the frame array");
			memcpy(f, cp->frames + n++ * PAGES_PER_SECTION, SECTION_BYTES);
		} else if (now[sec] == SECTION_PRESENT) {
			/* unbacked again: the fault handler rewrites boot's frames on first touch */
			if (madvise(f, SECTION_BYTES, MADV_DONTNEED) || mprotect(f, SECTION_BYTES, PROT_NONE))
				mf_oom("restoring the frame array");
		}
	}
	m->wp_on = false;
}

/* Copy the image back; what belongs to the host process, not the state, stays. */
static void restore_image(struct mf_machine *mm, const struct mf_checkpoint *cp, const uint8_t *now)
{
	struct mf_machine keep = *mm;
	struct machine *m = mm->m;
	struct machine *sparse_next = m->sparse_next;
	struct ck_state *ck = m->ck;	/* the checker's state is the host's (mm/debug_changed.c) */

	*mm = cp->wrapper;
	mm->arena = keep.arena;
	mm->prev_arena = keep.prev_arena;
	mm->prev_current = keep.prev_current;
	mm->prev_oom = keep.prev_oom;
	memcpy(mm->oom_jmp, keep.oom_jmp, sizeof(mm->oom_jmp));
	mf_arena_load(mm->arena, &cp->arena);
	m->sparse_next = sparse_next;
	m->ck = ck;
	load_frames(m, cp, now);
}

int mf_restore_into(struct mf_machine *mm, const struct mf_checkpoint *cp)
{
	struct mf_arena *arena;
	uint8_t *now;

	if (!mm || !cp)
		return -EINVAL;
	if (mf_sched_active())
		return -EBUSY;	/* other contexts are suspended inside calls on the machine */
	if (cp->machine_id != mm->id || cp->pages != mm->m->pages ||
	    cp->nr_sections != mm->m->nr_sections || cp->wrapper.m != mm->m)
		return -EXDEV;
	arena = mf_arena_enter(NULL);	/* the scratch copy must not be in the arena it rewrites */
	now = memcpy(xmalloc(cp->nr_sections, "restoring a checkpoint"), mm->m->sections,
		     cp->nr_sections);
	restore_image(mm, cp, now);
	free(now);
	mf_arena_enter(arena);
	return 0;
}

void mf_checkpoint_free(struct mf_checkpoint *cp)
{
	if (!cp)
		return;
	sys_records_free(cp->rec, cp->nr_rec);
	mf_arena_image_free(&cp->arena);
	free(cp->sections);
	free(cp->frames);
	free(cp);
}
