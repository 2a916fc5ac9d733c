/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser: "=> RESULT" after a step and the "expect" statements (spec section 7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/memfail.h"
#include "parse.h"

static const struct {
	const char *sig, *code, *full;
} sig_codes[] = {
	{ "SIGBUS", "AR", "BUS_MCEERR_AR" },	 { "SIGBUS", "AO", "BUS_MCEERR_AO" },
	{ "SIGBUS", "ADRERR", "BUS_ADRERR" },	 { "SIGBUS", "ADRALN", "BUS_ADRALN" },
	{ "SIGBUS", "OBJERR", "BUS_OBJERR" },	 { "SIGSEGV", "MAPERR", "SEGV_MAPERR" },
	{ "SIGSEGV", "ACCERR", "SEGV_ACCERR" },
};

static bool is_signame(const char *s)
{
	return !strcmp(s, "SIGBUS") || !strcmp(s, "SIGSEGV");
}

/*
 * SIGNAME CODE [addr=REGION+OFF] [lsb=N]. Region names refer to task tk
 * (any region it ever had: the signal may follow an munmap).
 */
static int p_signal(struct pctx *p, struct sym_task *tk, char *signame, char *code,
		    bool *has_addr, struct mf_addr *addr, bool *has_lsb, int *lsb)
{
	struct tok *t = p_word(p, "a signal SIGBUS or SIGSEGV");
	size_t i;

	if (!t)
		return -1;
	if (!is_signame(t->s))
		return p_err(p, t, "a signal SIGBUS or SIGSEGV");
	strcpy(signame, t->s);
	t = p_word(p, "a signal code (AR, AO, ADRERR, ACCERR, MAPERR, ...)");
	if (!t)
		return -1;
	for (i = 0; i < sizeof(sig_codes) / sizeof(sig_codes[0]); i++)
		if (!strcmp(sig_codes[i].sig, signame) &&
		    (!strcmp(t->s, sig_codes[i].code) || !strcmp(t->s, sig_codes[i].full)))
			break;
	if (i == sizeof(sig_codes) / sizeof(sig_codes[0]))
		return p_err(p, t, "a %s code (%s)", signame,
			     signame[3] == 'B' ? "AR, AO, ADRERR, ADRALN or OBJERR"
					       : "MAPERR or ACCERR");
	strcpy(code, sig_codes[i].code);
	while ((t = p_more(p)) && t->kind == T_WORD) {
		if (!strncmp(t->s, "addr=", 5)) {
			struct tok v = *t;

			v.s += 5;
			v.len -= 5;
			if (!tk)
				return p_err(p, t, "no addr= (no task to name a region of)");
			if (p_addr(p, &v, tk, 0, true, addr, NULL))
				return -1;
			*has_addr = true;
		} else if (!strncmp(t->s, "lsb=", 4)) {
			uint64_t v;

			if (p_number(t->s + 4, false, &v) || v > 63)
				return p_err(p, t, "lsb=N with N from 0 to 63");
			*lsb = (int)v;
			*has_lsb = true;
		} else {
			break;
		}
		p->i++;
	}
	return 0;
}

static int p_expres(struct pctx *p, struct mf_stmt *st, struct sym_task *tk, struct mf_expres *e)
{
	struct tok *t = p_word(p, "an expected result");
	uint64_t v;

	if (!t)
		return -1;
	if (!tk && st->ref.kind == MF_PREF_TASK)
		tk = sym_task(&p->sym, st->ref.task);
	if (is_signame(t->s)) {
		p->i--;
		e->kind = MF_EXP_SIGNAL;
		if (p_signal(p, tk, e->text, e->code, &e->has_addr, &e->addr, &e->has_lsb,
			     &e->lsb))
			return -1;
	} else if (!strcmp(t->s, "killed")) {
		e->kind = MF_EXP_KILLED;
		t = p_word(p, "a signal name (SIGBUS, SIGKILL, SIGSEGV)");
		if (!t)
			return -1;
		if (strncmp(t->s, "SIG", 3) || t->len >= 16)
			return p_err(p, t, "a signal name (SIGBUS, SIGKILL, SIGSEGV)");
		strcpy(e->text, t->s);
	} else if (t->len >= sizeof(e->text)) {
		return p_err(p, t, "an expected result (at most %zu bytes)", sizeof(e->text) - 1);
	} else if (!p_number(t->s, true, &v) && p_more(p) && p_peek(p)->kind == T_WORD &&
		   st->op == MF_OP_READ) {
		/* "2K index": a short read */
		e->kind = MF_EXP_SHORT;
		e->short_len = v;
		t = p_next(p);
		if (t->len >= sizeof(e->text))
			return p_err(p, t, "a read result (index, 0xNN, data, EOF)");
		strcpy(e->text, t->s);
	} else {
		e->kind = MF_EXP_TEXT;
		strcpy(e->text, t->s);
	}
	return 0;
}

int p_results(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct mf_expres **tail = &st->expres;
	struct tok *t;

	while ((t = p_peek(p)) && t->kind == T_WORD && !strncmp(t->s, "=>", 2)) {
		char k[8] = "";
		struct mf_expres *e;

		if (t->s[2] && (t->s[2] != '@' || p_kernel_tag(p, t, 3, k)))
			return t->s[2] == '@' ? -1 :
			       p_err(p, t, "=> or =>@KERNEL before an expected result");
		for (e = st->expres; e; e = e->next)
			if (!strcmp(e->kernel, k))
				return p_err(p, t, "one expected result per kernel (%s%s has one)",
					     k[0] ? "=>@" : "=>", k);
		p->i++;
		e = *tail = xcalloc(1, sizeof(*e), "parsing an expected result");
		tail = &e->next;
		strcpy(e->kernel, k);
		if (p_expres(p, st, tk, e))
			return -1;
	}
	return p_end(p, st->expres ? "end of line after the expected result" : NULL);
}

const struct mf_expres *mf_expres_for(const struct mf_stmt *st, const char *kernel)
{
	const struct mf_expres *e, *dflt = NULL;

	for (e = st->expres; e; e = e->next) {
		if (!strcmp(e->kernel, kernel))
			return e;
		if (!e->kernel[0])
			dflt = e;
	}
	return dflt;
}

static int p_exp_signals(struct pctx *p, struct mf_expect *e, struct sym_task *tk)
{
	struct tok *t = p_peek(p);

	if (t && t->kind == T_WORD && !strcmp(t->s, "none")) {
		p->i++;
		return p_end(p, NULL);
	}
	for (;;) {
		struct mf_expsig *s;

		if (e->nsig == MF_MAX_EXPSIG)
			return p_err(p, p_peek(p), "at most %d signals", MF_MAX_EXPSIG);
		s = &e->sig[e->nsig++];
		if (p_signal(p, tk, s->signame, s->code, &s->has_addr, &s->addr, &s->has_lsb,
			     &s->lsb))
			return -1;
		t = p_next(p);
		if (!t)
			return 0;
		if (t->kind != T_COMMA)
			return p_err(p, t, "',', addr=, lsb= or end of line");
	}
}

const char *const mf_stat_names[MF_STAT_NR] = { "total", "ignored", "failed", "delayed",
						 "recovered" };

/* One word of "expect memory-failure-stats": node=N or COUNTER=+N (a change, never negative). */
static int p_mf_stat_word(struct pctx *p, struct mf_expect *e, const struct tok *t)
{
	const char *eq = t->kind == T_WORD ? strchr(t->s, '=') : NULL;
	size_t klen = eq ? (size_t)(eq - t->s) : 0;
	uint64_t v;

	if (eq && klen == 4 && !strncmp(t->s, "node", 4)) {
		if (p_number(eq + 1, false, &v) || v >= MF_MAX_NUMNODES)
			return p_err(p, t, "node=N, N from 0 to 63");
		e->mfs_node = (int)v;
		return 0;
	}
	for (int i = 0; eq && i < MF_STAT_NR; i++) {
		if (strlen(mf_stat_names[i]) != klen || strncmp(t->s, mf_stat_names[i], klen))
			continue;
		if (p_number(eq[1] == '+' ? eq + 2 : eq + 1, false, &v) || v > 1000000)
			return p_err(p, t, "%s=+N, its change since the scenario started",
				     mf_stat_names[i]);
		e->mfs_mask |= 1u << i;
		e->mfs_delta[i] = v;
		return 0;
	}
	return p_err(p, t, "node=N or total|ignored|failed|delayed|recovered=+N");
}

/* expect memory-failure-stats [node=N] total=+N ignored=+N ... (6.12's per-node sysfs files) */
static int p_exp_mf_stats(struct pctx *p, struct mf_expect *e)
{
	struct tok *t;

	e->kind = MF_EXPECT_MF_STATS;
	while ((t = p_next(p)))
		if (p_mf_stat_word(p, e, t))
			return -1;
	if (!e->mfs_mask)
		return p_err(p, NULL, "total|ignored|failed|delayed|recovered=+N");
	return 0;
}

static int p_exp_task(struct pctx *p, struct mf_stmt *st, struct tok *t)
{
	struct mf_expect *e = st->expect;
	struct sym_task *tk;
	const char *dot = strchr(t->s, '.');
	struct tok n = *t;

	if (p_name_part(p, t, dot ? (size_t)(dot - t->s) : t->len, "task", e->task))
		return -1;
	tk = sym_task(&p->sym, e->task);
	if (!tk)
		return p_err(p, t, "an expectation: log, no-log, hardware-corrupted, page, "
			     "hugepages, memory-failure-stats, TASK:ADDR is, or a declared task");
	if (dot) {
		n.s = (char *)dot + 1;
		n.len = strlen(n.s);
		if (p_name(p, &n, "thread", e->thread))
			return -1;
		if (strcmp(e->thread, "main") && !sym_thread(tk, e->thread))
			return p_err(p, t, "a declared thread of %s", e->task);
	}
	t = p_word(p, dot ? "signals" : "signals, alive, killed or exited");
	if (!t)
		return -1;
	if (!strcmp(t->s, "signals")) {
		e->kind = MF_EXPECT_SIGNALS;
		return p_exp_signals(p, e, tk);
	}
	if (dot)
		return p_err(p, t, "signals (a thread has no state of its own)");
	if (!strcmp(t->s, "alive")) {
		e->kind = MF_EXPECT_ALIVE;
	} else if (!strcmp(t->s, "killed")) {
		e->kind = MF_EXPECT_KILLED;
		t = p_word(p, "a signal name (SIGBUS, SIGKILL, ...)");
		if (!t)
			return -1;
		if (strncmp(t->s, "SIG", 3) || t->len >= sizeof(e->signame))
			return p_err(p, t, "a signal name (SIGBUS, SIGKILL, ...)");
		strcpy(e->signame, t->s);
	} else if (!strcmp(t->s, "exited")) {
		uint64_t v;

		e->kind = MF_EXPECT_EXITED;
		t = p_next(p);
		if (t) {
			if (t->kind != T_WORD || p_number(t->s, false, &v) || v > 255)
				return p_err(p, t, "an exit status 0..255 or end of line");
			e->exit_code = (int)v;
			e->has_exit_code = true;
		}
	} else {
		return p_err(p, t, "signals, alive, killed or exited");
	}
	return p_end(p, NULL);
}

static int p_exp_is(struct pctx *p, struct mf_stmt *st)
{
	struct mf_expect *e = st->expect;
	struct tok *t;

	if (p_pageref(p, &e->ref))
		return -1;
	t = p_word(p, "is or is-not");
	if (!t)
		return -1;
	if (!strcmp(t->s, "is"))
		e->kind = MF_EXPECT_IS;
	else if (!strcmp(t->s, "is-not"))
		e->kind = MF_EXPECT_IS_NOT;
	else
		return p_err(p, t, "is or is-not");
	if (p_pageref(p, &e->rhs))
		return -1;
	if (e->rhs.kind == MF_PREF_LABEL)
		strcpy(e->label, e->rhs.label);
	return p_end(p, NULL);
}

static int p_exp_page(struct pctx *p, struct mf_expect *e)
{
	struct tok *t;

	e->kind = MF_EXPECT_PAGE;
	if (p_pageref(p, &e->ref))
		return -1;
	if (e->ref.kind == MF_PREF_LABEL)
		strcpy(e->label, e->ref.label);
	while ((t = p_next(p))) {
		bool set = true;
		const char *n = t->s;
		int b;

		if (t->kind != T_WORD)
			return p_err(p, t, "a page-types flag name (hwpoison, buddy, ...)");
		if (*n == '!') {
			set = false;
			n++;
		}
		b = mf_kpf_bit(n);
		if (b < 0)
			return p_err(p, t, "a page-types flag name (hwpoison, buddy, lru, ...), "
				     "or !name");
		if (e->nflags == MF_MAX_FLAGS)
			return p_err(p, t, "at most %d flags", MF_MAX_FLAGS);
		e->flag_bit[e->nflags] = b;
		e->flag_set[e->nflags++] = set;
	}
	if (!e->nflags)
		return p_err(p, NULL, "a page-types flag name (hwpoison, buddy, ...)");
	return 0;
}

int p_expect(struct pctx *p, struct mf_stmt *st)
{
	struct mf_expect *e = st->expect = xcalloc(1, sizeof(*e), "parsing an expect statement");
	struct tok *t = p_word(p, "an expectation");

	if (!t)
		return -1;
	if (!strcmp(t->s, "log") || !strcmp(t->s, "no-log")) {
		e->kind = t->s[0] == 'l' ? MF_EXPECT_LOG : MF_EXPECT_NO_LOG;
		t = p_next(p);
		if (!t || t->kind != T_STR || !t->len)
			return p_err(p, t, "a non-empty string \"...\"");
		e->log = xstrdup(t->s, "parsing an expected log line");
		return p_end(p, NULL);
	}
	if (!strcmp(t->s, "hardware-corrupted")) {
		uint64_t v;
		const char *s;

		e->kind = MF_EXPECT_HWCORRUPT;
		t = p_next(p);
		s = t && t->kind == T_WORD ? t->s : "";
		if (*s == '+' || *s == '-')
			s++;
		if (p_number(s, true, &v) || v % 1024 || v > (1ull << 50))
			return p_err(p, t, "a change such as +4K, -4K or +0");
		e->hwcorrupt_bytes = t->s[0] == '-' ? -(int64_t)v : (int64_t)v;
		return p_end(p, NULL);
	}
	if (!strcmp(t->s, "page"))
		return p_exp_page(p, e);
	if (!strcmp(t->s, "hugepages")) {
		e->kind = MF_EXPECT_HUGEPAGES;
		while ((t = p_next(p))) {
			uint64_t v;
			bool fr = t->kind == T_WORD && !strncmp(t->s, "free=", 5);
			bool to = t->kind == T_WORD && !strncmp(t->s, "total=", 6);

			if ((!fr && !to) || p_number(t->s + (fr ? 5 : 6), false, &v) ||
			    v > 1000000)
				return p_err(p, t, "free=N or total=N");
			if (fr) {
				e->has_free = true;
				e->hp_free = (long)v;
			} else {
				e->has_total = true;
				e->hp_total = (long)v;
			}
		}
		if (!e->has_free && !e->has_total)
			return p_err(p, NULL, "free=N or total=N");
		return 0;
	}
	if (!strcmp(t->s, "memory-failure-stats"))
		return p_exp_mf_stats(p, e);
	if (strchr(t->s, ':')) {
		p->i--;
		return p_exp_is(p, st);
	}
	return p_exp_task(p, st, t);
}
