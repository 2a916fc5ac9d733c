/* SPDX-License-Identifier: GPL-2.0-only */
/* Campaign internals, shared by the files of campaign/ only. */
#ifndef CAMPAIGN_INTERNAL_H
#define CAMPAIGN_INTERNAL_H

#include <stdlib.h>

#include "memfail/campaign.h"

/* pfn -> one user mapping of it (pid, address): the consumer of an AR. */
struct cp_rmap_ent {
	uint64_t key;		/* pfn + 1; 0 = empty */
	int pid;
	uint64_t addr;
};
struct cp_rmap {
	struct cp_rmap_ent *t;
	size_t cap, used;
};
void cp_rmap_put(struct cp_rmap *r, uint64_t pfn, int pid, uint64_t addr);
const struct cp_rmap_ent *cp_rmap_get(const struct cp_rmap *r, uint64_t pfn);
void cp_rmap_clear(struct cp_rmap *r);
void cp_rmap_free(struct cp_rmap *r);

struct cp_built {
	const struct cp_machine *mc;
	struct mf_checkpoint *cp;
	struct cp_rmap rmap;		/* at checkpoint time */
	uint64_t pages;
};

#define CP_BIT(f, b) (((f) >> (b)) & 1)

#endif
