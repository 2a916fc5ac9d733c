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

/* One machine per policy, kept across trials and reset in place from its own checkpoint. */
struct cp_slot {
	struct mf_machine *m;
	struct mf_checkpoint *cp;
};

struct cp_built {
	const struct cp_machine *mc;
	enum mf_kernel kernel;
	struct mf_checkpoint *cp;
	struct cp_rmap rmap;		/* at checkpoint time */
	uint64_t pages;
	struct cp_slot *slots;		/* by policy index */
	int nslots, cslots;
};

/* A snapshot machine, built and filled, its rmap learned (campaign/snapshot.c). */
int cp_build_snapshot(struct cp_built *b, struct mf_machine **out, char *err, size_t errlen);

/* Slot i's machine in the state of the recipe's checkpoint (campaign/recipe.c). */
int cp_built_machine(struct cp_built *b, int i, struct mf_machine **out);

#define CP_BIT(f, b) (((f) >> (b)) & 1)

#endif
