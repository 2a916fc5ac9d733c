/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running out of modelled memory. When a user page fault or a read/write
 * finds no free page, 6.1 reclaims (page cache, swap) and, failing that, the
 * OOM killer picks a victim by oom_badness() and SIGKILLs it. The model has
 * neither direct reclaim nor an OOM killer, and any answer it gave instead
 * (an error, a signal) would differ from the kernel's: it records what ran out
 * and the back end stops the run with a run-time error at the end of the step.
 */
#include "memfail/mm.h"

void out_of_memory(struct machine *m, const char *where)
{
	if (!m->oom_stop)
		m->oom_stop = where;
}
