/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Growable arrays of pointers (lib/ptr_array.c): the model's lists of VMAs,
 * anon_vmas, KSM rmap items and stable nodes. Removal keeps the order, as
 * rmap walks and ksmd's scan order depend on it.
 */
#ifndef MEMFAIL_PTR_ARRAY_H
#define MEMFAIL_PTR_ARRAY_H

/* Room for one more element: 0, or -ENOMEM. */
int ptr_array_reserve(void ***arr, int *cap, int nr);
/* Append p: 0, or -ENOMEM. */
int ptr_push(void ***arr, int *nr, int *cap, void *p);
/* Remove element i. */
void ptr_del(void **arr, int *nr, int i);
/* Remove the first element equal to p, if any. */
void ptr_remove(void **arr, int *nr, void *p);

#endif
