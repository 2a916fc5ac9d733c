/* SPDX-License-Identifier: GPL-2.0-only */
/* The model's struct mf_conc_ops (backend.h): concurrently blocks run as coroutines. */
#include "memfail/array.h"
#include "memfail/sched_explore.h"
#include "model.h"

static struct mf_machine *M(struct mf_backend *be)
{
	return ((struct model *)be->priv)->m;
}

static void *conc_save(struct mf_backend *be)
{
	return mf_ctx_save(M(be));
}

static void conc_restore(struct mf_backend *be, void *saved)
{
	mf_ctx_restore(M(be), saved);
}

static uint64_t conc_hash(struct mf_backend *be)
{
	return mf_state_hash(M(be));
}

static unsigned long conc_losses(struct mf_backend *be)
{
	return mf_dax_lock_losses(M(be));
}

/* A check broken at a scheduling point first, then the whole checker. */
static int conc_check(struct mf_backend *be, char **report)
{
	if (mf_point_violation()) {
		*report = xstrdup(mf_point_violation(), "a scheduling-point report");
		return 1;
	}
	return mf_check_invariants(M(be), report);
}

const struct mf_conc_ops mb_conc_ops = {
	.set_hook = mf_set_sched_hook,
	.save = conc_save,
	.restore = conc_restore,
	.state_hash = conc_hash,
	.lock_losses = conc_losses,
	.check = conc_check,
};
