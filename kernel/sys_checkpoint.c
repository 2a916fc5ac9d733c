// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint and restore by record and replay: a machine keeps its
 * description and every call that changed it (arguments copied); a checkpoint
 * copies both; a restore boots a new machine from the description and makes
 * the same calls again. The model is deterministic, so the new machine's
 * state equals the old one's at the checkpoint. The replayed calls record
 * themselves again, so a restored machine can be checkpointed in turn.
 */
#include <stdlib.h>
#include <string.h>

#include "sys-internal.h"

struct mf_checkpoint {
	struct mf_machine_desc desc;
	struct sys_rec *rec;
	size_t nr_rec;
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

static int checkpoint(struct mf_machine *mm, struct mf_checkpoint **out)
{
	struct mf_checkpoint *cp;
	size_t i;

	if (!out)
		return -EINVAL;
	if (mm->interleaved)
		return -EOPNOTSUPP;
	cp = xcalloc(1, sizeof(*cp), "making a checkpoint");
	cp->desc = mm->desc;
	cp->rec = xrealloc_array(NULL, mm->nr_rec, sizeof(*cp->rec), "making a checkpoint");
	for (i = 0; i < mm->nr_rec; i++) {
		rec_copy(&cp->rec[i], &mm->rec[i]);
		cp->nr_rec = i + 1;
	}
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

void mf_checkpoint_free(struct mf_checkpoint *cp)
{
	if (!cp)
		return;
	sys_records_free(cp->rec, cp->nr_rec);
	free(cp);
}
