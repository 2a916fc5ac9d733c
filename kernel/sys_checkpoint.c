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
	void *arena;
	size_t arena_len;
	struct page *pages;		/* where the frame array was */
	uint64_t nr_sections;
	uint8_t *sections;		/* their states */
	struct page *frames;		/* the SECTION_PRESENT ones, in order */
};

static void *dup_blob(const void *p, size_t len, const char *what)
{
	return p ? memcpy(xmalloc(len, what), p, len) : NULL;
}

static void rec_copy(struct sys_rec *dst, const struct sys_rec *src)
{
	int i;

	*dst = *src;
	for (i = 0; i < 2; i++)
		dst->s[i] = src->s[i] ? xstrdup(src->s[i], "copying a recorded call") : NULL;
	dst->blob = dup_blob(src->blob, src->blob_len, "copying a recorded call");
}

void sys_record(struct mf_machine *mm, sys_replay_fn fn, const int64_t *a, int na, const char *s0,
		const char *s1, const void *blob, size_t blob_len)
{
	struct sys_rec r = { .fn = fn, .s = { (char *)s0, (char *)s1 }, .blob = (void *)blob,
			     .blob_len = blob_len };
	int i;

	/* the record is sequential: calls that interleaved cannot be replayed in order */
	if (mf_sched_active())
		mm->interleaved = true;
	for (i = 0; i < na && i < (int)ARRAY_SIZE(r.a); i++)
		r.a[i] = a[i];
	ARRAY_GROW(mm->rec, mm->nr_rec, mm->cap_rec, "recording a call");
	rec_copy(&mm->rec[mm->nr_rec], &r);
	mm->nr_rec++;
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
	cp->arena_len = mf_arena_used(mm->arena);
	cp->arena = xmalloc(cp->arena_len, "making a checkpoint");
	mf_arena_save(mm->arena, cp->arena);
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

	*mm = cp->wrapper;
	mm->arena = keep.arena;
	mm->prev_arena = keep.prev_arena;
	mm->prev_current = keep.prev_current;
	mm->prev_oom = keep.prev_oom;
	memcpy(mm->oom_jmp, keep.oom_jmp, sizeof(mm->oom_jmp));
	mf_arena_load(mm->arena, cp->arena, cp->arena_len);
	m->sparse_next = sparse_next;
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
	free(cp->arena);
	free(cp->sections);
	free(cp->frames);
	free(cp);
}
