/* SPDX-License-Identifier: GPL-2.0-only */
/* The event list a back end fills during one statement. */
#include "memfail/array.h"
#include "memfail/backend.h"

void mf_events_push(struct mf_events *evs, const struct mf_event *e)
{
	ARRAY_PUSH(evs->ev, evs->n, evs->cap, *e, "the events of a statement");
}

void mf_events_clear(struct mf_events *evs)
{
	evs->n = 0;
}
