/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A raw driver for the Linux back end (memfail-linux --raw FILE): runs a
 * scenario statement by statement and prints the back end's raw facts (pfns,
 * addresses, pids, unnormalized kernel log lines). No expectation is checked.
 * A debugging aid for the back end, independent of scenario/driver.c.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"
#include "memfail/array.h"
#include "memfail/linux_backend.h"

struct raw_label {
	char name[512];
	uint64_t pfn;
};
static struct raw_label labels[256];
static int nlabels;

static void bind(const char *name, uint64_t pfn)
{
	if (nlabels < 256) {
		snprintf(labels[nlabels].name, sizeof(labels[0].name), "%s", name);
		labels[nlabels++].pfn = pfn;
	}
}

static int lookup(const char *name, uint64_t *pfn)
{
	for (int i = nlabels; i-- > 0;)
		if (!strcmp(labels[i].name, name)) {
			*pfn = labels[i].pfn;
			return 0;
		}
	return -1;
}

static void print_res(const struct mf_result *r)
{
	switch (r->kind) {
	case MF_RES_OK: printf("ok"); break;
	case MF_RES_ERRNO: printf("%s", strerrorname_np(r->err)); break;
	case MF_RES_VALUE: printf("%" PRId64, r->value); break;
	case MF_RES_BYTE: printf("0x%02x", (unsigned int)r->value); break;
	case MF_RES_CHECK: printf("%s", r->value ? "ok" : "mismatch"); break;
	case MF_RES_READ:
		if (r->read_kind == MF_READ_INDEX) printf("index");
		else if (r->read_kind == MF_READ_BYTE) printf("0x%02x", r->read_byte);
		else if (r->read_kind == MF_READ_DATA) printf("data");
		else printf("EOF");
		if (r->read_short) printf(" (short: %" PRIu64 " bytes)", r->read_len);
		break;
	case MF_RES_SIGNAL:
		printf("SIG%s code=%d addr=%#" PRIx64 " lsb=%d", sigabbrev_np(r->sig.signo),
		       r->sig.code, r->sig.addr, r->sig.lsb);
		break;
	case MF_RES_KILLED: printf("killed SIG%s", sigabbrev_np(r->killed_signo)); break;
	case MF_RES_SKIP: printf("skip: %s", r->msg); break;
	case MF_RES_ERROR: printf("error: %s", r->msg); break;
	}
}

static int resolve(struct mf_backend *be, const struct mf_pageref *ref, uint64_t *pfn)
{
	char msg[256];

	if (ref->kind == MF_PREF_LABEL) {
		if (!lookup(ref->label, pfn))
			return 0;
		printf("  resolve: no label %s\n", ref->label);
		return -1;
	}
	if (be->ops->resolve(be, ref, pfn, msg, sizeof(msg))) {
		printf("  resolve: %s\n", msg);
		return -1;
	}
	return 0;
}

static bool has_ref(enum mf_op op)
{
	return op == MF_OP_CORRUPT_PFN || op == MF_OP_UNPOISON || op == MF_OP_HARD_OFFLINE ||
	       op == MF_OP_SOFT_OFFLINE || op == MF_OP_LABEL || op == MF_OP_RECLAIM ||
	       op == MF_OP_MCE_SRAO || op == MF_OP_MCE_SRAR;
}

/*
 * The pfns a statement works on, resolved before it runs (bound to its label
 * or canonical text): one for a page reference, one per page of an injecting
 * madvise. Returns how many, or -1 when a reference does not resolve.
 */
static int stmt_pfns(struct mf_backend *be, const struct mf_stmt *st, uint64_t *pfns, int max)
{
	char text[512];
	int nr = 0;

	if (st->is_expect)
		return 0;
	if (has_ref(st->op)) {
		if (resolve(be, &st->ref, &pfns[0]))
			return -1;
		mf_stmt_canonical(st, text, sizeof(text));
		bind(st->as[0] ? st->as : text, pfns[0]);
		return 1;
	}
	if (st->op == MF_OP_MADVISE && (st->madv == MF_MADV_HWPOISON || st->madv == MF_MADV_SOFT_OFFLINE)) {
		struct mf_pageref r = { .kind = MF_PREF_TASK };

		snprintf(r.task, sizeof(r.task), "%s", st->task);
		r.addr = st->addr;
		for (uint64_t o = 0; o < st->size && nr < max; o += LB_PAGE, nr++) {
			r.addr.off = st->addr.off + o;
			if (resolve(be, &r, &pfns[nr]))
				break;
			if (st->as[0])
				bind(st->as, pfns[nr]);
		}
	}
	return nr;
}

/* One step's raw facts: its result, the first pfns, then every event it collected. */
static void print_step(struct mf_backend *be, const struct mf_stmt *st, const struct mf_result *res,
		       const uint64_t *pfns, int nr, const struct mf_events *evs)
{
	char text[512];

	mf_stmt_canonical(st, text, sizeof(text));
	printf("step %d %s = ", st->line, st->is_expect ? "(expect)" : text);
	print_res(res);
	for (int k = 0; k < nr && k < 4; k++)
		printf(" [pfn %#" PRIx64 "]", pfns[k]);
	printf("\n");
	for (int k = 0; k < evs->n; k++) {
		const struct mf_event *e = &evs->ev[k];
		const char *who = be->ops->name_of_tid(be, e->tid);

		if (e->kind == MF_EV_LOG)
			printf("  log %s\n", e->text);
		else if (e->kind == MF_EV_SIGNAL)
			printf("  signal %s(%d) SIG%s code=%d addr=%#" PRIx64 " lsb=%d\n",
			       who ? who : "?", e->tid, sigabbrev_np(e->sig.signo),
			       e->sig.code, e->sig.addr, e->sig.lsb);
		else if (e->kind == MF_EV_KILLED)
			printf("  killed %s SIG%s\n", who ? who : "?", sigabbrev_np(e->sig.signo));
		else if (e->kind == MF_EV_EXITED)
			printf("  killed %s exited %d\n", who ? who : "?", e->exit_code);
	}
}

int lb_raw_run(const char *path)
{
	struct mf_parse_error perr;
	struct mf_scenario *sc = mf_scenario_parse_file(path, &perr);
	struct mf_backend *be;
	struct mf_result res;
	struct mf_events evs = { 0 };
	uint64_t pfns[1024];
	int rc = 0;

	if (!sc) {
		printf("%s\n", perr.msg);
		return 2;
	}
	be = mf_linux_backend_new();
	memset(&res, 0, sizeof(res));
	nlabels = 0;
	printf("raw %s: %s\n", path, sc->title);
	if (be->ops->start(be, sc, &res)) {
		printf("start: ");
		print_res(&res);
		printf("\n");
		be->ops->destroy(be);
		mf_scenario_free(sc);
		return res.kind == MF_RES_SKIP ? 77 : 1;
	}
	uint64_t hw0 = be->ops->hardware_corrupted_kb(be), hwl = hw0;

	for (int i = 0; i < sc->nstmt; i++) {
		const struct mf_stmt *st = &sc->stmt[i];

		if (!st->is_expect && (st->op == MF_OP_CONCURRENTLY || st->op == MF_OP_END_CONCURRENTLY))
			continue;	/* the block's steps run one after the other, as listed */
		int nr = stmt_pfns(be, st, pfns, (int)ARRAY_SIZE(pfns));

		if (nr < 0) {
			rc = 1;
			break;
		}
		mf_events_clear(&evs);
		be->ops->exec(be, st, pfns, nr, &res, &evs);
		if (st->is_expect && !evs.n)
			continue;
		print_step(be, st, &res, pfns, nr, &evs);
		uint64_t hw = be->ops->hardware_corrupted_kb(be);

		if (hw != hwl)
			printf("  hardware-corrupted %+lldK\n", (long long)hw - (long long)hw0);
		hwl = hw;
		if (res.kind == MF_RES_ERROR) {
			rc = 1;
			break;
		}
	}
	free(evs.ev);
	be->ops->destroy(be);
	mf_scenario_free(sc);
	return rc;
}
