// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs a campaign's trials. Trial t draws from its own generator seeded by
 * (seed, t), so a trial's result does not depend on which rank runs it or in
 * what order: any split of the trials gives the same results.
 */
#include <string.h>

#include "memfail/array.h"
#include "internal.h"

const char *const cp_outcome_name[CP_OUTCOME_FIELDS] = {
	"ces", "ues", "ues_avoided", "ues_dead_page", "kills",
	"kills_anon", "kills_thp", "kills_shmem", "kills_file", "kills_hugetlb", "kills_ksm",
	"kills_other", "data_loss", "crashes", "pages_retired", "offline_ok", "offline_fail",
	"ao", "ar", "restores",
};

_Static_assert(CP_OUTCOME_FIELDS == 20, "cp_outcome_name lists every field");

void cp_results_init(struct cp_results *res, long trials, size_t npolicies)
{
	memset(res, 0, sizeof(*res));
	res->trials = trials;
	res->npolicies = npolicies;
	res->draws = xcalloc((size_t)trials, sizeof(*res->draws), "campaign draws");
	res->outcomes = xcalloc((size_t)trials * npolicies, sizeof(*res->outcomes),
				"campaign outcomes");
}

void cp_results_free(struct cp_results *res)
{
	free(res->draws);
	free(res->outcomes);
	free(res->events);
	memset(res, 0, sizeof(*res));
}

int cp_run_range(const struct cp_campaign *c, int rank, int nranks, struct cp_results *res,
		 cp_progress_fn progress, void *ctx, char *err, size_t errlen)
{
	struct cp_built **built = xcalloc(c->nmachines, sizeof(*built), "campaign machines");
	long mine = (c->trials - rank + nranks - 1) / nranks, done = 0;
	int ret = 0;

	for (size_t i = 0; i < c->nmachines && !ret; i++)
		ret = cp_build(&c->machines[i], c->kernel, &built[i], err, errlen);
	for (long t = rank; t < c->trials && !ret; t += nranks) {
		ret = cp_run_trial(c, built, t, res, err, errlen);
		if (progress)
			progress(ctx, ++done, mine);
	}
	for (size_t i = 0; i < c->nmachines; i++)
		cp_built_free(built[i]);
	free(built);
	return ret;
}
