/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lib/errseq.c: the kernel's write-back error cursor, an error number, a
 * "seen" bit and a counter in one word, so that every opener of a file
 * learns of an error once.
 */
#ifndef MEMFAIL_ERRSEQ_H
#define MEMFAIL_ERRSEQ_H

#include <stdint.h>

typedef uint32_t errseq_t;

errseq_t errseq_set(errseq_t *eseq, int err);
errseq_t errseq_sample(const errseq_t *eseq);
int errseq_check(const errseq_t *eseq, errseq_t since);
int errseq_check_and_advance(errseq_t *eseq, errseq_t *since);

#endif
