/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to snapshot/capture.c, capture_proc.c and kpage.c. */
#ifndef SNAPSHOT_CAPTURE_H
#define SNAPSHOT_CAPTURE_H

#include "memfail/snapshot.h"

/* Read size for /proc/kpage* and pagemap */
#define SNAP_CHUNK (1 << 20)

/* A whole /proc or /sys file as a string, or NULL with errno set. */
char *snap_slurp(const char *path);
/* Every process but memfail itself, then memfail itself. */
void snap_capture_procs(struct snapshot *s);
void snap_capture_self(struct snapshot *s);
/*
 * The first nr of kpageflags, kpagecount, kpagecgroup into s (s->nr_pfns and
 * s->ranges set); meanwhile(s, o) runs in the calling thread as the flags are read.
 */
void snap_capture_kpages(struct snapshot *s, int nr,
			 void (*meanwhile)(struct snapshot *, const struct snap_capture_opts *),
			 const struct snap_capture_opts *o);

#endif
