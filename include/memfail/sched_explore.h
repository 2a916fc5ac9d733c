/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The model-internal side of the race explorer: the scheduling-point API
 * itself (enum mf_sp, the hook, state hash, context save/restore) is public,
 * in memfail.h; this header adds what only the model calls.
 */
#ifndef MEMFAIL_SCHED_EXPLORE_H
#define MEMFAIL_SCHED_EXPLORE_H

#include "memfail/memfail.h"

/* Run at each point of a block: the checks valid between any two atomic steps. */
void mf_point_check(struct machine *m);

#endif
