/* SPDX-License-Identifier: GPL-2.0-only */
/* fs/proc/page.c: /proc/kpageflags, the stable flag word user space sees for a pfn. */
#ifndef MEMFAIL_KPAGEFLAGS_H
#define MEMFAIL_KPAGEFLAGS_H

#include <stdint.h>

#include "memfail/memfail.h"	/* the KPF_* bit numbers */

struct machine;

uint64_t stable_page_flags(struct machine *m, unsigned long pfn);

#endif
