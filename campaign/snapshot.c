// SPDX-License-Identifier: GPL-2.0-only
/*
 * Machines from `memfail snapshot` files: the model whatif builds of the
 * snapshot (snapshot/whatif.c: its RAM, processes, threads, SIGBUS
 * dispositions, mappings and files), filled with every page the snapshot
 * shows present (whatif_populate), then checkpointed like a recipe's
 * machine. Who maps which pfn is read back from the populated runs.
 */
#include <string.h>

#include "memfail/array.h"
#include "memfail/whatif.h"
#include "internal.h"

int cp_snapshot_ram(const char *path, uint64_t *ram, char *err, size_t errlen)
{
	struct snapshot s;
	char why[256];

	if (snapshot_read(path, &s, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);	/* names the file */
		return -1;
	}
	*ram = whatif_memory(&s);
	snapshot_free(&s);
	return 0;
}

struct learn_ctx {
	struct mf_machine *m;
	struct cp_rmap *rmap;
};

static void learn_run(void *ctx, int pid, uint64_t addr, uint64_t len)
{
	struct learn_ctx *l = ctx;

	for (uint64_t a = addr; a < addr + len; a += MF_PAGE_SIZE) {
		uint64_t pfn;

		if (!mf_virt_to_pfn(l->m, pid, a, &pfn) && !cp_rmap_get(l->rmap, pfn))
			cp_rmap_put(l->rmap, pfn, pid, a);
	}
}

/* Build and fill the model of b's snapshot; *out is the caller's. */
int cp_build_snapshot(struct cp_built *b, struct mf_machine **out, char *err, size_t errlen)
{
	const struct cp_machine *mc = b->mc;
	struct snapshot s;
	struct exposure e;
	struct whatif w;
	struct learn_ctx l = { .rmap = &b->rmap };
	char why[256];
	int ret = -1;

	*out = NULL;
	if (snapshot_read(mc->snapshot, &s, why, sizeof(why))) {
		snprintf(err, errlen, "machine %s: %s", mc->name, why);
		return -1;
	}
	if (exposure_build(&e, &s, b->kernel, why, sizeof(why)))
		goto out_snap;
	if (!whatif_build(&w, &s, &e, WI_MCE_AO, 0, NULL, 0, why, sizeof(why))) {
		l.m = w.m;
		if (!whatif_populate(&w, learn_run, &l, why, sizeof(why))) {
			*out = w.m;	/* the machine outlives the snapshot it was built from */
			w.m = NULL;
			ret = 0;
		}
	}
	whatif_free(&w);
	exposure_free(&e);
out_snap:
	snapshot_free(&s);
	if (ret)
		snprintf(err, errlen, "machine %s: snapshot %s: %s", mc->name, mc->snapshot, why);
	return ret;
}
