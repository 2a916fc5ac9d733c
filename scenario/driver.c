/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The driver: runs one scenario statement by statement on a back end,
 * resolving page references, binding labels, normalizing what the back end
 * reports and checking expectations (spec sections 6-9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "drv.h"

#define CONTINUE DRV_CONTINUE

static bool is_task_step(const struct mf_stmt *st)
{
	return !st->is_expect && mf_op_class(st->op) == MF_CLASS_TASK;
}

static bool is_decl(const struct mf_stmt *st)
{
	return mf_op_class(st->op) == MF_CLASS_DECL;
}

static bool has_ref(const struct mf_stmt *st)
{
	return !st->is_expect && (mf_op_flags(st->op) & MF_OPF_PAGEREF);
}

/* Why a statement needs the model, or NULL. */
static const char *model_only(const struct mf_stmt *st)
{
	if (st->is_expect)
		return (st->expect->kind == MF_EXPECT_PAGE || st->expect->kind == MF_EXPECT_IS ||
			st->expect->kind == MF_EXPECT_IS_NOT) &&
		       (mf_pref_model_only(st->expect->ref.kind) ||
			mf_pref_model_only(st->expect->rhs.kind)) ?
			       "a model-only page reference" : NULL;
	if (st->op == MF_OP_SYSCTL && !strncmp(st->sysctl_key, "memfail.", 8))
		return "a memfail.* sysctl";
	if (st->op == MF_OP_CONCURRENTLY && st->schedule)
		return "a concurrently schedule";
	if (mf_op_flags(st->op) & MF_OPF_MODEL_ONLY)
		return mf_op_name(st->op);
	if (has_ref(st) && mf_pref_model_only(st->ref.kind))
		return "a model-only page reference";
	return NULL;
}

/* Remember which mmaps failed, and forget a region name mapped again. */
static void note_mmap(struct drv *d, const struct mf_stmt *st, const struct mf_result *res)
{
	struct failed_mmap *f = NULL;

	for (int i = 0; i < d->nfailed && !f; i++)
		if (!strcmp(d->failed[i].task, st->task) && !strcmp(d->failed[i].region, st->name))
			f = &d->failed[i];
	if (res->kind == MF_RES_OK) {
		if (f)
			*f = d->failed[--d->nfailed];
		return;
	}
	if (!f) {
		ARRAY_GROW(d->failed, d->nfailed, d->capfailed, "noting a failed mmap");
		f = &d->failed[d->nfailed++];
		snprintf(f->task, sizeof(f->task), "%s", st->task);
		snprintf(f->region, sizeof(f->region), "%s", st->name);
	}
	f->line = st->line;
}

bool mf_failed_mmap(struct drv *d, const char *task, const char *region, struct sbuf *msg)
{
	for (int i = 0; i < d->nfailed; i++) {
		const struct failed_mmap *f = &d->failed[i];

		if (!strcmp(f->task, task) && !strcmp(f->region, region)) {
			sb_printf(msg, "%s has no region %s: its mmap at %s:%d failed", task, region,
				  d->sc->path, f->line);
			return true;
		}
	}
	return false;
}

/* A task step on the region of a failed mmap: a run-time error naming that mmap. */
static int check_mapped(struct drv *d, const struct mf_stmt *st)
{
	const char *region = st->op == MF_OP_MUNMAP ? st->name : st->addr.region;
	struct sbuf msg = { 0 };

	if (st->op == MF_OP_MMAP || !region[0] || !mf_failed_mmap(d, st->task, region, &msg))
		return 0;
	tr_error(d, st->line, msg.s);
	sb_free(&msg);
	return -1;
}

static void result_text(struct drv *d, const struct mf_result *res, struct sbuf *b)
{
	char n[32];

	switch (res->kind) {
	case MF_RES_OK: sb_printf(b, "ok"); break;
	case MF_RES_ERRNO: sb_printf(b, "%s", mf_errno_name(res->err, n, sizeof(n))); break;
	case MF_RES_VALUE: sb_printf(b, "%lld", (long long)res->value); break;
	case MF_RES_BYTE: sb_printf(b, "0x%02x", (unsigned)(res->value & 0xff)); break;
	case MF_RES_CHECK: sb_printf(b, "%s", res->value ? "ok" : "mismatch"); break;
	case MF_RES_READ:
		if (res->read_kind == MF_READ_BYTE)
			sb_printf(b, "0x%02x", res->read_byte);
		else
			sb_printf(b, "%s", res->read_kind == MF_READ_INDEX ? "index" :
				  res->read_kind == MF_READ_DATA ? "data" : "EOF");
		if (res->read_short)
			sb_printf(b, " (short: %llu bytes)", (unsigned long long)res->read_len);
		break;
	case MF_RES_SIGNAL: {
		struct sigrec r = { .si = res->sig };

		r.addr_ok = mf_norm_addr(d, d->step_task, res->sig.addr, r.region, &r.off);
		mf_fmt_sigrec(b, &r, false);
		break;
	}
	case MF_RES_KILLED:
		sb_printf(b, "killed %s", mf_signame(res->killed_signo, n, sizeof(n)));
		break;
	default:
		sb_printf(b, "?");
		break;
	}
}

/* Record a signal received by "A" or "A.t2"; returns the record. */
static struct sigrec *record_sig(struct drv *d, const char *who, const struct mf_siginfo *si)
{
	struct sigrec *r;
	const char *dot = strchr(who, '.');
	size_t pl = dot ? (size_t)(dot - who) : strlen(who);

	ARRAY_GROW(d->sig, d->nsig, d->capsig, "recording a signal");
	r = &d->sig[d->nsig++];
	memset(r, 0, sizeof(*r));
	snprintf(r->proc, sizeof(r->proc), "%.*s", (int)(pl < 15 ? pl : 15), who);
	if (dot)
		snprintf(r->thread, sizeof(r->thread), "%s", dot + 1);
	r->si = *si;
	r->addr_ok = mf_norm_addr(d, r->proc, si->addr, r->region, &r->off);
	return r;
}

static const char *tid_name(struct drv *d, int tid)
{
	const char *n = d->be->ops->name_of_tid ? d->be->ops->name_of_tid(d->be, tid) : NULL;

	return n ? n : "pid?";
}

static int check_alive(struct drv *d, const struct mf_stmt *st, const char *task)
{
	int x = 0;
	enum mf_task_state s;
	char buf[128], sn[16];

	if (!d->be->ops->task_state)
		return 0;
	s = d->be->ops->task_state(d->be, task, &x);
	if (s == MF_TASK_ALIVE || s == MF_TASK_UNKNOWN)
		return 0;
	if (s == MF_TASK_KILLED)
		snprintf(buf, sizeof(buf), "task %s was killed by %s", task,
			 mf_signame(x, sn, sizeof(sn)));
	else
		snprintf(buf, sizeof(buf), "task %s has exited", task);
	tr_error(d, st->line, buf);
	return -1;
}

/* Resolve the pages a statement names; madvise pages may be MF_PFN_NONE. */
static int resolve_pages(struct drv *d, const struct mf_stmt *st, uint64_t **pfns, int *nr)
{
	struct sbuf msg = { 0 };

	*nr = 0;
	*pfns = NULL;
	if (has_ref(st)) {
		*pfns = xmalloc(sizeof(uint64_t), "resolving a page reference");
		*nr = 1;
		if (mf_resolve(d, &st->ref, *pfns, &msg)) {
			tr_error(d, st->line, msg.s);
			sb_free(&msg);
			free(*pfns);
			return -1;
		}
	} else if (st->op == MF_OP_MADVISE && mf_madv_injects(st->madv)) {
		struct mf_pageref ref = { .kind = MF_PREF_TASK, .addr = st->addr };

		strcpy(ref.task, st->task);
		*nr = (int)((st->size + 4095) / 4096);
		*pfns = xrealloc_array(NULL, *nr, sizeof(uint64_t), "resolving a range");
		for (int i = 0; i < *nr; i++) {
			ref.addr.off = st->addr.off + (uint64_t)i * 4096;
			msg.len = 0;
			if (mf_resolve(d, &ref, &(*pfns)[i], &msg))
				(*pfns)[i] = MF_PFN_NONE;
		}
	}
	sb_free(&msg);
	return 0;
}

/* Labels of an injection: implicit (the reference text) and "as NAME". */
static void bind_labels(struct drv *d, const struct mf_stmt *st, uint64_t *pfns, int nr)
{
	struct sbuf t = { 0 };

	if (st->op == MF_OP_MADVISE && nr) {
		struct mf_pageref ref = { .kind = MF_PREF_TASK, .addr = st->addr };

		strcpy(ref.task, st->task);
		for (int i = 0; i < nr; i++) {
			ref.addr.off = st->addr.off + (uint64_t)i * 4096;
			t.len = 0;
			if (pfns[i] == MF_PFN_NONE && mf_resolve(d, &ref, &pfns[i], &t))
				pfns[i] = MF_PFN_NONE;	/* faulted in by the step: now known */
			t.len = 0;
			mf_fmt_pageref(&t, &ref);
			mf_label_bind(d, t.s, pfns[i], false);
		}
	} else if (has_ref(st) && st->op != MF_OP_LABEL && st->ref.kind != MF_PREF_LABEL) {
		mf_fmt_pageref(&t, &st->ref);
		mf_label_bind(d, t.s, pfns[0], false);
	}
	if (st->as[0] && nr)
		mf_label_bind(d, st->as, pfns[0], true);
	sb_free(&t);
}

struct out_lines {
	struct sbuf sig, killed;	/* "who\ttext\n" records */
	int nlog0;			/* first log line of this step in d->log */
	const char *panic;
	const char *oops;		/* MF_EV_OOPS: the function */
};

static void take_events(struct drv *d, const struct mf_events *evs, struct out_lines *ol)
{
	for (int i = 0; i < evs->n; i++) {
		const struct mf_event *e = &evs->ev[i];
		struct sbuf t = { 0 };
		char sn[16];

		switch (e->kind) {
		case MF_EV_LOG:
			if (!mf_log_kept(e->text))
				break;
			mf_norm_log(d, e->text, &t);
			ARRAY_PUSH(d->log, d->nlog, d->caplog, xstrdup(t.s ? t.s : "", "keeping the log"),
				   "keeping the log");
			break;
		case MF_EV_SIGNAL: {
			const char *who = tid_name(d, e->tid);
			struct sigrec *r = record_sig(d, who, &e->sig);

			mf_fmt_sigrec(&t, r, false);
			sb_printf(&ol->sig, "%s\t%s\n", who, t.s);
			break;
		}
		case MF_EV_KILLED:
			sb_printf(&ol->killed, "%s\t%s\n", tid_name(d, e->tid),
				  mf_signame(e->sig.signo, sn, sizeof(sn)));
			break;
		case MF_EV_EXITED:
			sb_printf(&ol->killed, "%s\texited %d\n", tid_name(d, e->tid), e->exit_code);
			break;
		case MF_EV_PANIC:
			d->panicked = true;
			ol->panic = e->text;
			break;
		case MF_EV_OOPS:
			ol->oops = e->text;
			break;
		}
		sb_free(&t);
	}
}

/* "who\ttext\n" records to trace lines. */
static void print_records(struct drv *d, const char *recs, bool killed)
{
	for (const char *p = recs; p && *p;) {
		const char *tab = strchr(p, '\t'), *nl = strchr(tab, '\n');
		char who[64], what[256];

		snprintf(who, sizeof(who), "%.*s", (int)(tab - p), p);
		snprintf(what, sizeof(what), "%.*s", (int)(nl - tab - 1), tab + 1);
		if (killed)
			tr_killed(d, who, what, !strncmp(what, "exited", 6));
		else
			tr_signal(d, who, what);
		p = nl + 1;
	}
}

/* Before a step runs: the stepping task is alive, its region was mapped. */
static int step_begin(struct drv *d, const struct mf_stmt *st)
{
	if (d->in_group) {	/* a step ends a group of log expectations */
		d->group_end = d->win_end;
		d->in_group = false;
	}
	d->step_task = is_task_step(st) ? st->task :
		       has_ref(st) && st->ref.kind == MF_PREF_TASK ? st->ref.task : NULL;
	if ((is_task_step(st) || st->op == MF_OP_THREAD) && check_alive(d, st, st->task))
		return -1;
	if (is_task_step(st) && check_mapped(d, st))
		return -1;
	if (st->op == MF_OP_TASK && st->parent[0] && check_alive(d, st, st->parent))
		return -1;
	return 0;
}

/* The step line and what happened during it (declarations only if something did). */
static void print_step(struct drv *d, const struct mf_stmt *st, const struct mf_result *res,
		       const struct out_lines *ol, const char *result)
{
	char text[1024], ctr[32] = "";

	if (d->be->ops->hardware_corrupted_kb) {
		uint64_t now = d->be->ops->hardware_corrupted_kb(d->be);

		if (now != d->hwc_prev)
			mf_fmt_delta(ctr, sizeof(ctr), ((int64_t)now - (int64_t)d->hwc_base) * 1024);
		d->hwc_prev = now;
	}
	if (is_decl(st) && d->nlog == ol->nlog0 && !ol->sig.len && !ol->killed.len && !ctr[0] &&
	    !ol->panic && !ol->oops &&
	    (res->kind == MF_RES_OK || (res->kind == MF_RES_VALUE && !res->value)))
		return;
	tr_step(d, st->line, mf_stmt_canonical(st, text, sizeof(text)), result);
	/* concurrent contexts: a line belongs to the first step that ends after it */
	for (int i = ol->nlog0 > d->log_printed ? ol->nlog0 : d->log_printed; i < d->nlog; i++)
		tr_log(d, d->log[i]);
	d->log_printed = d->nlog;
	print_records(d, ol->sig.s, false);
	print_records(d, ol->killed.s, true);
	if (ctr[0])
		tr_counter(d, ctr);
	if (ol->oops)
		tr_oops(d, ol->oops);
}

int drv_run_step(struct drv *d, const struct mf_stmt *st, struct mf_events *evs)
{
	struct mf_result res;
	struct out_lines ol = { .nlog0 = d->nlog };
	struct sbuf rt = { 0 }, msg = { 0 };
	char text[1024];
	uint64_t *pfns;
	int nr, ret = CONTINUE;

	if (step_begin(d, st) || resolve_pages(d, st, &pfns, &nr))
		return MF_ERROR;
	memset(&res, 0, sizeof(res));
	mf_events_clear(evs);
	if (st->op == MF_OP_LABEL) {
		mf_label_bind(d, st->name, pfns[0], true);
		res.kind = MF_RES_OK;
	} else {
		d->be->ops->exec(d->be, st, pfns, nr, &res, evs);
	}
	if (res.kind == MF_RES_SKIP || res.kind == MF_RES_ERROR) {
		if (res.kind == MF_RES_SKIP) {
			snprintf(text, sizeof(text), "%s:%d: %s", d->sc->path, st->line, res.msg);
			tr_skip(d, st->line, text);
		} else {
			tr_error(d, st->line, res.msg[0] ? res.msg : "the back end failed");
		}
		free(pfns);
		return res.kind == MF_RES_SKIP ? MF_SKIP : MF_ERROR;
	}
	if (st->op == MF_OP_MMAP)
		note_mmap(d, st, &res);
	bind_labels(d, st, pfns, nr);
	free(pfns);
	take_events(d, evs, &ol);
	if (res.kind == MF_RES_SIGNAL) {
		char who[2 * MF_NAME_MAX + 1];

		snprintf(who, sizeof(who), "%s%s%s", st->task, st->thread[0] ? "." : "",
			 st->thread);
		record_sig(d, who, &res.sig);
	}
	if (ol.panic)
		sb_printf(&rt, "panic");
	else
		result_text(d, &res, &rt);
	print_step(d, st, &res, &ol, rt.s);
	if (mf_check_expres(d, st, &res, rt.s, &msg)) {
		tr_fail(d, st->line, msg.s);
		ret = MF_FAIL;
	} else if (ol.panic) {
		int left = (int)(d->sc->stmt + d->sc->nstmt - st) - 1;

		/* nothing runs on a panicked machine; the panic itself is no failure */
		snprintf(text, sizeof(text), "the machine panicked (%s); %d statement%s not run",
			 ol.panic, left, left == 1 ? "" : "s");
		tr_note(d, text);
		ret = MF_PASS;
	}
	sb_free(&rt);
	sb_free(&msg);
	sb_free(&ol.sig);
	sb_free(&ol.killed);
	return ret;
}

static int run_stmt(struct drv *d, const struct mf_stmt *st, struct mf_events *evs)
{
	struct sbuf msg = { 0 };
	int r;

	d->st = st;
	if (st->on_kernel[0] && strcmp(st->on_kernel, d->sc->kernel))
		return CONTINUE;	/* another kernel's step or expectation */
	if (!st->is_expect && st->op == MF_OP_CONCURRENTLY)
		return drv_run_conc(d, st, evs);
	if (!st->is_expect && st->op == MF_OP_END_CONCURRENTLY)
		return CONTINUE;
	if (!st->is_expect)
		return drv_run_step(d, st, evs);
	d->step_task = NULL;
	r = mf_check_expect(d, st, &msg);
	if (r > 0)
		tr_fail(d, st->line, msg.s);
	else if (r < 0)
		tr_error(d, st->line, msg.s ? msg.s : "cannot check");
	sb_free(&msg);
	return r > 0 ? MF_FAIL : r < 0 ? MF_ERROR : CONTINUE;
}

static void drv_free(struct drv *d)
{
	for (int i = 0; i < d->nlog; i++)
		free(d->log[i]);
	free(d->log);
	free(d->label);
	free(d->sig);
	free(d->cur);
	free(d->failed);
}

enum mf_outcome mf_run_scenario(struct mf_backend *be, const struct mf_scenario *sc,
				const struct mf_run_opts *o, FILE *out)
{
	struct drv d = { .be = be, .sc = sc, .o = o, .out = out };
	struct mf_events evs = { 0 };
	struct mf_result res;
	int r = MF_PASS;
	bool failed = false;
	char buf[256];

	if (!be->ops->model_only_ok) {
		const char *why = sc->requires_model ? "requires model" : NULL;

		for (int i = 0; !why && i < sc->nsysctl; i++)
			if (!strncmp(sc->sysctl[i].key, "memfail.", 8))
				why = "a memfail.* sysctl is model-only";

		for (int i = 0; !why && i < sc->nstmt; i++) {
			if ((why = model_only(&sc->stmt[i]))) {
				snprintf(buf, sizeof(buf), "%s:%d: %s is model-only", sc->path,
					 sc->stmt[i].line, why);
				why = buf;
			}
		}
		if (why) {
			tr_skip(&d, 0, why);
			return MF_SKIP;
		}
	}
	if (be->ops->limits) {
		const struct mf_stmt *bad = mf_check_limits(sc, be->ops->name, be->ops->limits, buf,
							     sizeof(buf));

		if (bad) {
			tr_error(&d, bad->line, buf);
			return MF_ERROR;
		}
	}
	memset(&res, 0, sizeof(res));
	if (be->ops->start(be, sc, &res)) {
		if (res.kind == MF_RES_SKIP) {
			tr_skip(&d, 0, res.msg);
			return MF_SKIP;
		}
		tr_error(&d, 1, res.msg[0] ? res.msg : "the back end could not start");
		return MF_ERROR;
	}
	if (be->ops->hardware_corrupted_kb)
		d.hwc_base = d.hwc_prev = be->ops->hardware_corrupted_kb(be);
	for (int n = 0; be->ops->mf_stats && n < MF_MAX_NUMNODES; n++)
		if (!be->ops->mf_stats(be, n, d.mfs_base[n]))
			d.mfs_nodes |= 1ull << n;
	for (int i = 0; i < sc->nstmt; i++) {
		r = run_stmt(&d, &sc->stmt[i], &evs);
		if (!sc->stmt[i].is_expect && sc->stmt[i].op == MF_OP_CONCURRENTLY)
			i += sc->stmt[i].nctx;	/* its contexts ran inside it */
		if (r == MF_FAIL && o->keep_going) {
			failed = true;
			continue;
		}
		if (r != CONTINUE)
			break;
		r = MF_PASS;
	}
	if (failed && r == MF_PASS)
		r = MF_FAIL;
	if (o->log && be->ops->dmesg) {
		const char *t = be->ops->dmesg(be);

		if (t)
			tr_dmesg(&d, t);
	}
	if (o->state && be->ops->dump_state)
		tr_state(&d);
	free(evs.ev);
	drv_free(&d);
	return (enum mf_outcome)r;
}
