/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Growable arrays of pointers (lib/ptr_array.c): the model's lists of VMAs,
 * anon_vmas, KSM rmap items and stable nodes. Removal keeps the order, as
 * rmap walks and ksmd's scan order depend on it. Growing follows the one
 * out-of-memory policy (memfail/array.h): mf_oom(what), never an error return.
 */
#ifndef MEMFAIL_PTR_ARRAY_H
#define MEMFAIL_PTR_ARRAY_H

/* Room for one more element after the nr in use. */
void ptr_array_reserve(void ***arr, int *cap, int nr, const char *what);
/* Append p. */
void ptr_push(void ***arr, int *nr, int *cap, void *p, const char *what);
/* Remove element i. */
void ptr_del(void **arr, int *nr, int i);
/* Remove the first element equal to p, if any. */
void ptr_remove(void **arr, int *nr, void *p);

#endif
