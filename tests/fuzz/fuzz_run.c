/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: parse, then run on the model back end as `memfail run`
 * does, with the invariant checker after every statement. A violated
 * invariant aborts, so the fuzzer keeps it as a crash: the model's exec is
 * wrapped to look at each result (the trace may quote any text).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/driver.h"

/*
 * The invariant checker walks every page after every statement, so a big
 * machine makes the fuzzer slow (256M: 8 runs a second): memory is cut to
 * 32M plus the hugetlb pool. Odd answers (ENOMEM) are fine; crashes and
 * broken invariants are what this target looks for.
 */
#define FUZZ_MEMORY (32ULL << 20)
#define FUZZ_MEMORY_MAX (512ULL << 20)
#define FUZZ_STMT_MAX 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * memfail.soft_offline_order=put_then_poison models the pre-2016 kernel bug
 * (seed 001): without a scripted window it poisons a page already back in
 * buddy, which is that bug, and the invariant checker says so every time.
 */
static bool unsafe_order(const char *key, const char *val)
{
	return !strcmp(key, "memfail.soft_offline_order") && strcmp(val, "poison_then_put");
}

/* a read or write of up to 2 GiB costs the host that much: the fuzzer's RSS limit */
static bool big_io(const struct mf_stmt *st)
{
	return !st->is_expect && (st->op == MF_OP_READ || st->op == MF_OP_WRITE) &&
	       st->size > FUZZ_MEMORY_MAX;
}

static bool skipped(const struct mf_scenario *sc)
{
	for (int i = 0; i < sc->nstmt; i++)
		if (big_io(&sc->stmt[i]))
			return true;
	for (int i = 0; i < sc->nsysctl; i++)
		if (unsafe_order(sc->sysctl[i].key, sc->sysctl[i].val))
			return true;
	for (int i = 0; i < sc->nstmt; i++)
		if (!sc->stmt[i].is_expect && sc->stmt[i].op == MF_OP_SYSCTL &&
		    unsafe_order(sc->stmt[i].sysctl_key, sc->stmt[i].sysctl_val))
			return true;
	return sc->machine.hugepages > 64 || sc->machine.pmem > FUZZ_MEMORY_MAX ||
	       sc->machine.swap > FUZZ_MEMORY_MAX || sc->nstmt > FUZZ_STMT_MAX;
}

static struct mf_backend_ops ops;
static void (*model_exec)(struct mf_backend *be, const struct mf_stmt *st, const uint64_t *pfns,
			  int nr, struct mf_result *res, struct mf_events *evs);

static void checked_exec(struct mf_backend *be, const struct mf_stmt *st, const uint64_t *pfns,
			 int nr, struct mf_result *res, struct mf_events *evs)
{
	model_exec(be, st, pfns, nr, res, evs);
	if (res->kind == MF_RES_ERROR && !strncmp(res->msg, "invariant violated", 18)) {
		fprintf(stderr, "line %d: %s\n", st->line, res->msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_parse_error err;
	struct mf_run_opts o = { .log = true, .state = true };
	struct mf_scenario *sc;
	struct mf_backend *be;
	char *trace = NULL;
	size_t n = 0;
	FILE *out;

	memset(&err, 0, sizeof(err));
	sc = mf_scenario_parse_buf("fuzz.mf", (const char *)data, size, &err);
	if (!sc)
		return 0;
	if (skipped(sc)) {
		mf_scenario_free(sc);
		return 0;
	}
	if (sc->machine.memory > FUZZ_MEMORY + ((uint64_t)sc->machine.hugepages << 21))
		sc->machine.memory = FUZZ_MEMORY + ((uint64_t)sc->machine.hugepages << 21);
	out = open_memstream(&trace, &n);
	o.err = out;
	be = mf_model_backend_new(1, true);
	if (!out || !be)
		abort();
	if (!model_exec) {
		ops = *be->ops;
		model_exec = ops.exec;
		ops.exec = checked_exec;
	}
	be->ops = &ops;
	mf_run_scenario(be, sc, &o, out);
	be->ops->destroy(be);
	fclose(out);
	free(trace);
	mf_scenario_free(sc);
	return 0;
}
