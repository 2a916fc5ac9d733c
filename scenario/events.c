/* SPDX-License-Identifier: GPL-2.0-only */
/* The event list a back end fills during one statement. */
#include <stdlib.h>
#include <string.h>

#include "memfail/backend.h"

void mf_events_push(struct mf_events *evs, const struct mf_event *e)
{
	if (evs->n == evs->cap) {
		int cap = evs->cap ? 2 * evs->cap : 16;
		struct mf_event *ev = realloc(evs->ev, cap * sizeof(*ev));

		if (!ev)
			abort();
		evs->ev = ev;
		evs->cap = cap;
	}
	evs->ev[evs->n++] = *e;
}

void mf_events_clear(struct mf_events *evs)
{
	evs->n = 0;
}
