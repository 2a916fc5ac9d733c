/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memfail explore (docs/explore.md): stateless depth-first search over the
 * decisions of a scenario's concurrently block. Every run starts from a fresh
 * model machine and replays the scenario, taking a forced prefix of decisions
 * and the default after it; backtracking changes the deepest decision that
 * still has an untried context within the preemption bound. Bounds grow from 0
 * to K, so the first violation found has the fewest preemptions. A state
 * (machine frames, each context's progress, the runnable set) seen before with
 * at least as much preemption budget left is not branched from again.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drv.h"
#include "memfail/explore.h"
#include "memfail/u64map.h"

struct xp {
	const struct mf_explore_opts *o;
	struct mf_conc_ctl *ctl;
	struct u64map seen;	/* state hash -> preemption budget left + 1 */
	int bound, nforced, preempts;
	bool pruning;
	long states, points;
};

static uint64_t mix(uint64_t h, uint64_t w)
{
	return (h ^ w) * 0x100000001b3ULL + (h >> 29);
}

static void at_point(void *ctx, struct mf_backend *be, struct mf_decision *d, const uint32_t *pts,
		     int n)
{
	struct xp *x = ctx;
	uint64_t h, *slot, left;

	x->points++;
	if (d->preempt)
		x->preempts++;
	if (x->ctl->ndec < x->nforced)
		return;		/* the path being extended: its states are ours */
	if (x->pruning) {
		d->pruned = true;
		return;
	}
	h = mix(be->ops->conc->state_hash(be), ((uint64_t)d->runnable << 8) | (uint8_t)d->cur);
	for (int i = 0; i < n; i++)
		h = mix(h, pts[i]);
	left = (uint64_t)(x->bound - x->preempts + 1);
	slot = u64map_slot(&x->seen, h);
	if (slot && *slot >= left) {
		d->pruned = x->pruning = true;
		return;
	}
	if (!slot)
		x->states++;
	u64map_put(&x->seen, h, left);
}

/* One run from a fresh machine; the trace goes to *text. */
static enum mf_outcome run_once(struct xp *x, const struct mf_scenario *sc, struct mf_conc_ctl *ctl,
				char **text)
{
	struct mf_run_opts ro = { .conc = ctl };
	struct mf_backend *be = mf_model_backend_new(1, true);
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	enum mf_outcome r;

	if (!f)
		mf_oom("opening a memory stream");
	ctl->ndec = 0;
	ctl->deadlock = false;
	x->preempts = 0;
	x->pruning = false;
	r = mf_run_scenario(be, sc, &ro, f);
	be->ops->destroy(be);
	fclose(f);
	return r;
}

/*
 * Change the deepest decision that has an untried runnable context within the
 * bound. tried[i]: contexts tried at decision i on the current path.
 */
static bool backtrack(struct xp *x, struct mf_conc_ctl *ctl, uint8_t *tried, int8_t *forced)
{
	for (int i = ctl->ndec - 1; i >= 0; i--) {
		const struct mf_decision *d = &ctl->dec[i];
		int before = 0;

		if (d->pruned)
			continue;
		for (int j = 0; j < i; j++)
			before += ctl->dec[j].preempt;
		for (int c = 0; c < MF_CONC_MAX; c++) {
			bool pre = d->def == d->cur && c != d->cur;

			if (!(d->runnable & (1u << c)) || (tried[i] & (1u << c)))
				continue;
			if (before + pre > x->bound)
				continue;
			for (int j = 0; j < i; j++)
				forced[j] = ctl->dec[j].chosen;
			forced[i] = (int8_t)c;
			tried[i] |= (uint8_t)(1u << c);
			x->nforced = i + 1;
			return true;
		}
	}
	return false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The scenario file with its concurrently line replaced by one with the schedule. */
static int write_cex(const char *path, const char *out, int line, const struct mf_violation *v)
{
	FILE *in = fopen(path, "r"), *f = fopen(out, "w");
	char *buf = NULL;
	size_t cap = 0;
	int ln = 0;

	if (!in || !f) {
		if (in)
			fclose(in);
		if (f)
			fclose(f);
		return -1;
	}
	while (getline(&buf, &cap, in) > 0) {
		if (++ln == line)
			fprintf(f, "# memfail explore: %d preemption%s, then %s\n"
				"concurrently schedule %s\n", v->preemptions,
				v->preemptions == 1 ? "" : "s", v->what,
				v->schedule[0] ? v->schedule : "1");
		else
			fputs(buf, f);
	}
	free(buf);
	fclose(in);
	return fclose(f) ? -1 : 0;
}

/* The one concurrently block; NULL if none or several (*n: how many). */
static const struct mf_stmt *conc_stmt(const struct mf_scenario *sc, int *n)
{
	const struct mf_stmt *c = NULL;

	*n = 0;
	for (int i = 0; i < sc->nstmt; i++)
		if (!sc->stmt[i].is_expect && sc->stmt[i].op == MF_OP_CONCURRENTLY && !(*n)++)
			c = &sc->stmt[i];
	return *n == 1 ? c : NULL;
}

/* The switches of a schedule, for people: "1 -> 2 at set PG_hwpoison (point 7 of 1)". */
static void print_switches(FILE *out, const struct mf_stmt *c, const struct mf_conc_ctl *ctl)
{
	uint32_t pts[MF_CONC_MAX] = { 0 };
	char text[256];

	for (int i = 0; i < ctl->ndec; i++) {
		const struct mf_decision *d = &ctl->dec[i];

		if (d->cur >= 0)
			pts[d->cur]++;
		if (d->chosen == d->cur || !d->preempt)
			continue;
		fprintf(out, "  preempt: context %d (%s) at its point %u (%s) -> context %d (%s)\n",
			d->cur + 1, mf_stmt_canonical(c + 1 + d->cur, text, sizeof(text)),
			pts[d->cur], mf_sp_name((enum mf_sp)d->what), d->chosen + 1,
			mf_stmt_canonical(c + 1 + d->chosen, text + 128, 128));
	}
}

/* A failing run's first failure or error line ("PATH:LINE: ..."), without the path. */
static void first_failure(const char *text, const char *path, char *what, size_t len)
{
	size_t n = strlen(path);

	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');

		if (!strncmp(l, path, n) && l[n] == ':') {
			snprintf(what, len, "line %.*s", (int)(e ? (size_t)(e - l) - n - 1 : strlen(l + n + 1)),
				 l + n + 1);
			return;
		}
		l = e ? e + 1 : NULL;
	}
	snprintf(what, len, "the scenario failed");
}

/* Messages equal but for numbers (pfns, addresses) are one violation. */
static bool same_violation(const char *a, const char *b)
{
	for (;; a++, b++) {
		while (*a >= '0' && *a <= '9')
			a++;
		while (*b >= '0' && *b <= '9')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
	}
}

/* A failing run: keep it if its violation is new (bounds grow, so it has the fewest preemptions). */
static void note_violation(struct xp *x, const struct mf_scenario *sc, const struct mf_conc_ctl *ctl,
			   const char *text,
			   struct mf_explore_result *res)
{
	struct mf_violation v = { .preemptions = x->preempts };

	first_failure(text, sc->path, v.what, sizeof(v.what));
	for (int i = 0; i < res->violations; i++)
		if (same_violation(res->v[i].what, v.what))
			return;
	if (res->violations == MF_EXPLORE_MAX_VIOLATIONS)
		return;
	mf_schedule_encode(ctl->dec, ctl->ndec, v.schedule, sizeof(v.schedule));
	res->v[res->violations++] = v;
}

static void search(struct xp *x, const struct mf_scenario *sc, struct mf_conc_ctl *ctl,
		   struct mf_explore_result *res)
{
	uint8_t *tried = NULL;
	int8_t *forced = NULL;
	int cap = 0;

	x->nforced = 0;
	for (;;) {
		char *text = NULL;
		enum mf_outcome r;

		ctl->forced = forced;
		ctl->nforced = x->nforced;
		r = run_once(x, sc, ctl, &text);
		res->runs++;
		if (r == MF_FAIL || r == MF_ERROR)
			note_violation(x, sc, ctl, text, res);
		free(text);
		if (ctl->ndec > cap) {
			cap = ctl->ndec;
			tried = xrealloc_array(tried, (size_t)cap, 1, "exploring");
			forced = xrealloc_array(forced, (size_t)cap, 1, "exploring");
		}
		for (int j = x->nforced; j < ctl->ndec; j++)
			tried[j] = (uint8_t)(1u << ctl->dec[j].chosen);
		if ((x->o->max_states && x->states >= x->o->max_states) ||
		    !backtrack(x, ctl, tried, forced))
			break;
	}
	res->exhaustive = !(x->o->max_states && x->states >= x->o->max_states);
	free(tried);
	free(forced);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	fputc('"', out);
}

static void report_json(FILE *out, const char *path, const struct mf_explore_opts *o,
			const struct mf_explore_result *res)
{
	fprintf(out, "{\"file\": ");
	json_str(out, path);
	fprintf(out, ", \"preemption_bound\": %d, \"interleavings\": %ld, \"states\": %ld, "
		"\"points\": %ld, \"seconds\": %.3f, \"exhaustive\": %s, \"violations\": [",
		o->preemptions, res->runs, res->states, res->points, res->seconds,
		res->exhaustive ? "true" : "false");
	for (int i = 0; i < res->violations; i++) {
		fprintf(out, "%s{\"what\": ", i ? ", " : "");
		json_str(out, res->v[i].what);
		fprintf(out, ", \"preemptions\": %d, \"schedule\": ", res->v[i].preemptions);
		json_str(out, res->v[i].schedule);
		fprintf(out, ", \"counterexample\": ");
		json_str(out, res->v[i].cex);
		fprintf(out, "}");
	}
	fprintf(out, "]}\n");
}

/* Replay a violation's schedule once more, to name its switch points (and check it). */
static void describe(FILE *out, struct xp *x, const struct mf_scenario *sc, const struct mf_stmt *c,
		     const struct mf_violation *v)
{
	struct mf_conc_ctl ctl = { .at_point = at_point, .ctx = x };
	int8_t *forced = NULL;
	char *text = NULL;

	x->ctl = &ctl;
	x->bound = 1 << 20;
	ctl.nforced = mf_schedule_decode(v->schedule, &forced);
	ctl.forced = forced;
	x->nforced = ctl.nforced;
	run_once(x, sc, &ctl, &text);
	fprintf(out, "VIOLATION (%d preemption%s): %s\n", v->preemptions,
		v->preemptions == 1 ? "" : "s", v->what);
	fprintf(out, "  schedule: %s\n", v->schedule[0] ? v->schedule : "(listed order)");
	print_switches(out, c, &ctl);
	fprintf(out, "  counterexample: %s\n", v->cex[0] ? v->cex : "(could not be written)");
	free(text);
	free(forced);
	free(ctl.dec);
}

static void write_cexes(const char *path, const struct mf_explore_opts *o, const struct mf_stmt *c,
			struct mf_explore_result *res)
{
	const char *base = o->cex_prefix ? o->cex_prefix : path;
	size_t n = strlen(base);

	if (!o->cex_prefix && n > 3 && !strcmp(base + n - 3, ".mf"))
		n -= 3;
	for (int i = 0; i < res->violations; i++) {
		struct mf_violation *v = &res->v[i];

		if (i)
			snprintf(v->cex, sizeof(v->cex), "%.*s.cex%d.mf", (int)n, base, i + 1);
		else
			snprintf(v->cex, sizeof(v->cex), "%.*s.cex.mf", (int)n, base);
		if (write_cex(path, v->cex, c->line, v))
			v->cex[0] = 0;
	}
}

static int explore_sc(const char *path, const struct mf_scenario *sc, const struct mf_explore_opts *o,
		      FILE *out, struct mf_explore_result *res)
{
	struct mf_conc_ctl ctl = { .at_point = at_point };
	struct xp x = { .o = o, .ctl = &ctl };
	double t0 = now_s();
	int nblocks;
	const struct mf_stmt *c = conc_stmt(sc, &nblocks);

	ctl.ctx = &x;
	if (!c) {
		fprintf(stderr, "memfail: %s has %s concurrently block: explore takes exactly one\n",
			path, nblocks ? "more than one" : "no");
		return MF_EXIT_USAGE;
	}
	for (x.bound = 0; x.bound <= o->preemptions; x.bound++) {
		u64map_init(&x.seen);
		x.states = 0;
		search(&x, sc, &ctl, res);
		res->states = x.states > res->states ? x.states : res->states;
		u64map_free(&x.seen);
	}
	res->points = x.points;
	res->seconds = now_s() - t0;
	free(ctl.dec);
	write_cexes(path, o, c, res);
	if (o->json) {
		report_json(out, path, o, res);
	} else {
		fprintf(out, "explored %s: %ld interleavings, %ld distinct states, %ld scheduling "
			"points, %.2f s\n", path, res->runs, res->states, res->points, res->seconds);
		if (!res->violations)
			fprintf(out, "no violation within %d preemption%s%s\n", o->preemptions,
				o->preemptions == 1 ? "" : "s",
				res->exhaustive ? " (exhaustive)" : " (stopped at --max-states)");
		u64map_init(&x.seen);	/* the replays hash their states too */
		for (int i = 0; i < res->violations; i++)
			describe(out, &x, sc, c, &res->v[i]);
		u64map_free(&x.seen);
	}
	return res->violations ? MF_EXIT_FAIL : MF_EXIT_OK;
}

int mf_explore_file(const char *path, const struct mf_explore_opts *o, FILE *out,
		    struct mf_explore_result *res)
{
	struct mf_parse_error err;
	struct mf_scenario *sc;
	int r;

	memset(res, 0, sizeof(*res));
	sc = mf_scenario_parse_file(path, &err);
	if (!sc) {
		fprintf(stderr, "%s\n", err.msg);
		return MF_EXIT_USAGE;
	}
	r = explore_sc(path, sc, o, out, res);
	mf_scenario_free(sc);
	return r;
}
