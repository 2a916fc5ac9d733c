/* SPDX-License-Identifier: GPL-2.0-only */
/* fs/proc_task_mmu.c: /proc/<pid>/pagemap, one 64-bit word per virtual page. */
#ifndef MEMFAIL_PAGEMAP_H
#define MEMFAIL_PAGEMAP_H

#include <stdint.h>

struct machine;
struct mm_struct;

/* The pagemap word for the user address addr of mm, encoded as the real file encodes it. */
uint64_t pagemap_entry(struct machine *m, struct mm_struct *mm, uint64_t addr);

#endif
