/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The concurrently block (docs/scenario-language.md, "Concurrency"):
 *
 *   concurrently [schedule 1x4 2 1x3]
 *   A: madvise buf 4K soft_offline
 *   B: read fd 0 4K
 *   end
 *
 * Each step between the two lines is one kernel context (2 or 3 of them).
 * The schedule, when given, names who runs at each scheduling point.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stmt.h"

#define CONC_MAX_CTX 3

/* "C" or "CxN": C a context number 1..3, N >= 1 decisions. */
static bool sched_word_ok(const char *s)
{
	char *end;
	long n;

	if (s[0] < '1' || s[0] > '0' + CONC_MAX_CTX)
		return false;
	if (!s[1])
		return true;
	if (s[1] != 'x' || !isdigit((unsigned char)s[2]))
		return false;
	n = strtol(s + 2, &end, 10);
	return !*end && n >= 1 && n <= 1000000;
}

int p_conc(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct sbuf b = { 0 };
	struct tok *t;

	(void)tk;
	if (!p_accept(p, "schedule"))
		return 0;
	while ((t = p_next(p))) {
		if (t->kind != T_WORD || !sched_word_ok(t->s)) {
			sb_free(&b);
			return p_err(p, t, "a schedule word: C or CxN (C: a context 1..%d, N: how "
				     "many scheduling points it runs)", CONC_MAX_CTX);
		}
		sb_printf(&b, "%s%s", b.len ? " " : "", t->s);
	}
	if (!b.len)
		return p_err(p, NULL, "a schedule: C or CxN words");
	st->schedule = sc_strdup(p->sc, b.s);
	sb_free(&b);
	return 0;
}

void c_conc(struct sbuf *b, const struct mf_stmt *st)
{
	if (st->schedule)
		sb_printf(b, " schedule %s", st->schedule);
}

/* A statement that may not be one context of a block. */
static const char *not_a_context(const struct mf_stmt *st)
{
	if (st->is_expect)
		return "an expect";
	if (mf_op_class(st->op) == MF_CLASS_DECL)
		return "a declaration";
	if (st->op == MF_OP_LABEL)
		return "a label";
	if (st->op == MF_OP_CONCURRENTLY)
		return "a nested concurrently";
	return NULL;
}

int conc_track(struct pctx *p, const struct mf_stmt *st)
{
	struct mf_scenario *sc = p->sc;
	struct tok *t = &p->ll->t[0];
	const char *why;

	if (!p->conc_open) {
		if (st->op == MF_OP_END_CONCURRENTLY && !st->is_expect)
			return p_err(p, t, "a statement (end closes a concurrently block; none is "
				     "open)");
		if (st->op == MF_OP_CONCURRENTLY && !st->is_expect)
			p->conc_open = sc->nstmt + 1;	/* index + 1 of the statement to come */
		return 0;
	}
	if (st->op == MF_OP_END_CONCURRENTLY && !st->is_expect) {
		struct mf_stmt *c = &sc->stmt[p->conc_open - 1];

		if (c->nctx < 2)
			return p_err(p, t, "another step (a concurrently block has 2 or 3 "
				     "contexts)");
		p->conc_open = 0;
		return 0;
	}
	if ((why = not_a_context(st)))
		return p_err(p, t, "a task or system step or end (%s cannot be a context of "
			     "a concurrently block)", why);
	if (sc->stmt[p->conc_open - 1].nctx == CONC_MAX_CTX)
		return p_err(p, t, "end (a concurrently block has at most %d contexts)",
			     CONC_MAX_CTX);
	sc->stmt[p->conc_open - 1].nctx++;
	return 0;
}

int conc_eof(struct pctx *p, int line, int col)
{
	if (!p->conc_open)
		return 0;
	p->err->line = line;
	p->err->col = col;
	snprintf(p->err->msg, sizeof(p->err->msg),
		 "%s:%d:%d: error: found end of file, expected end (the concurrently block of "
		 "line %d is open)", p->path, line, col, p->sc->stmt[p->conc_open - 1].line);
	return -1;
}
