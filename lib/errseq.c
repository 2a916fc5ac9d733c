/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * errseq_t: an error code, a "seen" flag and a counter packed in 32 bits, so
 * that every subscriber (an open file) learns of each write-back error once.
 *
 * Layout (as in Linux): bits 0..11 hold -errno (MAX_ERRNO is 4095), bit 12 is
 * SEEN, bits 13..31 are a counter. The counter is bumped only when a new error
 * replaces one somebody has already observed: until then, a file opened after
 * the error still sees it (errseq_sample returns 0 for an unseen error).
 */
#include "memfail/errseq.h"

#define MAX_ERRNO 4095u
#define ERRSEQ_SHIFT 12
#define ERRSEQ_SEEN (1u << ERRSEQ_SHIFT)
#define ERRSEQ_CTR_INC (1u << (ERRSEQ_SHIFT + 1))

/* Record err (negative errno). Returns the previous value. */
errseq_t errseq_set(errseq_t *eseq, int err)
{
	errseq_t old = *eseq, new;

	/* 0 would erase an error; a positive or huge value does not fit. */
	if (err >= 0 || (unsigned)-err > MAX_ERRNO)
		return old;
	new = (old & ~(MAX_ERRNO | ERRSEQ_SEEN)) | (unsigned)-err;
	/* Nobody saw the last error: reuse its sequence number. */
	if (old & ERRSEQ_SEEN)
		new += ERRSEQ_CTR_INC;
	*eseq = new;
	return old;
}

/* What a new subscriber starts from: 0 if the current error is unseen. */
errseq_t errseq_sample(const errseq_t *eseq)
{
	errseq_t old = *eseq;

	return (old & ERRSEQ_SEEN) ? old : 0;
}

/* -errno if something was recorded since "since", else 0. Marks nothing. */
int errseq_check(const errseq_t *eseq, errseq_t since)
{
	errseq_t cur = *eseq;

	if (cur == since)
		return 0;
	return -(int)(cur & MAX_ERRNO);
}

/*
 * Report an error recorded since *since (once), mark it seen so later errors
 * bump the counter, and move *since up to date.
 */
int errseq_check_and_advance(errseq_t *eseq, errseq_t *since)
{
	errseq_t old = *eseq, new;

	if (old == *since)
		return 0;
	new = old | ERRSEQ_SEEN;
	*eseq = new;
	*since = new;
	return -(int)(new & MAX_ERRNO);
}
