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
