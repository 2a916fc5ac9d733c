/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parser: header, declarations, the statement dispatch and the shared token
 * helpers. Static checks run here, in file order, while the symbol tables
 * (symtab.c) describe the state at that point of the file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stmt.h"

struct tok *p_peek(struct pctx *p)
{
	return p->i < p->end ? &p->ll->t[p->i] : NULL;
}

struct tok *p_next(struct pctx *p)
{
	return p->i < p->end ? &p->ll->t[p->i++] : NULL;
}

/* The statement starting at token i ends at the next ';' or the end of the line. */
static void p_stmt_at(struct pctx *p, int i)
{
	p->i = p->end = i;
	while (p->end < p->ll->n && p->ll->t[p->end].kind != T_SEMI)
		p->end++;
}

int p_err(struct pctx *p, const struct tok *t, const char *fmt, ...)
{
	char found[256];
	int line, col;
	va_list ap;

	if (!t && p->end < p->ll->n)
		t = &p->ll->t[p->end];	/* the ';' ending the statement */
	tok_describe(t, found, sizeof(found));
	if (t) {
		line = t->line;
		col = t->col;
	} else if (p->end) {
		/* end of line: just after the last token */
		const struct tok *l = &p->ll->t[p->end - 1];

		line = l->line;
		col = l->col + l->width;
	} else {
		line = col = 1;
	}
	va_start(ap, fmt);
	perr_at(p->err, p->path, line, col, found, fmt, ap);
	va_end(ap);
	return -1;
}

struct tok *p_word(struct pctx *p, const char *what)
{
	struct tok *t = p_next(p);

	if (!t || t->kind != T_WORD) {
		p_err(p, t, "%s", what);
		return NULL;
	}
	return t;
}

bool p_accept(struct pctx *p, const char *kw)
{
	struct tok *t = p_peek(p);

	if (t && t->kind == T_WORD && !strcmp(t->s, kw)) {
		p->i++;
		return true;
	}
	return false;
}

int p_end(struct pctx *p, const char *what)
{
	struct tok *t = p_peek(p);

	if (t)
		return p_err(p, t, "%s", what ? what : "end of line");
	return 0;
}

/* s[0..n) matches [A-Za-z_][A-Za-z0-9_-]* (with dot: also '.'), any length */
bool name_okn(const char *s, size_t n, bool dot)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = s[i];

		if (!isalnum(c) && c != '_' && c != '-' && !(dot && c == '.'))
			return false;
	}
	return true;
}

int p_name(struct pctx *p, const struct tok *t, const char *what, char *out)
{
	if (!t || t->kind != T_WORD || !name_okn(t->s, t->len, false))
		return p_err(p, t, "a %s name ([A-Za-z_][A-Za-z0-9_-]*)", what);
	if (t->len > MF_NAME_MAX - 1)
		return p_err(p, t, "a %s name of at most %d bytes", what, MF_NAME_MAX - 1);
	strcpy(out, t->s);
	return 0;
}

int p_name_part(struct pctx *p, const struct tok *t, size_t n, const char *what, char *out)
{
	struct tok part = *t;
	int r;

	part.s = xmalloc(n + 1, "reading a name");
	memcpy(part.s, t->s, n);
	part.s[n] = 0;
	part.len = n;
	r = p_name(p, &part, what, out);
	free(part.s);
	return r;
}

int p_number(const char *s, bool suffix, uint64_t *v)
{
	static const char units[] = "KMGT";	/* 2^10, 2^20, 2^30, 2^40 */
	uint64_t x = 0, mul = 1;
	int base = 10;
	size_t n = strlen(s), i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (suffix && n > 1) {
		const char *u = strchr(units, s[n - 1]);

		if (s[n - 1] && u) {
			mul = 1ull << (10 * (u - units + 1));
			n--;
		} else if (isalpha((unsigned char)s[n - 1]) &&
			   !(base == 16 && isxdigit((unsigned char)s[n - 1]))) {
			return -3;
		}
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		int d;
		unsigned char c = s[i];

		if (isdigit(c))
			d = c - '0';
		else if (base == 16 && isxdigit(c))
			d = tolower(c) - 'a' + 10;
		else
			return -1;
		if (x > (UINT64_MAX - d) / base)
			return -2;
		x = x * base + d;
	}
	if (x > UINT64_MAX / mul)
		return -2;
	*v = x * mul;
	return 0;
}

const char *p_number_problem(int rc, const char *s)
{
	static char buf[96];

	if (rc == -3)
		snprintf(buf, sizeof(buf), "'%c' is not a size unit: K, M, G or T", s[strlen(s) - 1]);
	else if (rc == -2)
		snprintf(buf, sizeof(buf), "too large for 64 bits");
	else
		snprintf(buf, sizeof(buf), "a number, may end in K, M, G or T");
	return buf;
}

int p_size(struct pctx *p, const struct tok *t, const char *what, uint64_t align, uint64_t *v)
{
	int rc = t && t->kind == T_WORD ? p_number(t->s, true, v) : -1;

	if (rc)
		return p_err(p, t, "%s (%s)", what, p_number_problem(rc, t ? t->s : ""));
	if (align && *v % align)
		return p_err(p, t, "%s that is a multiple of %s", what,
			     align == 4096 ? "4K" : "2M");
	return 0;
}

int p_pattern(struct pctx *p, const struct tok *t, struct mf_pattern *pat)
{
	uint64_t v;

	if (t && t->kind == T_WORD && !strcmp(t->s, "index")) {
		pat->kind = MF_PAT_INDEX;
		return 0;
	}
	if (!t || t->kind != T_WORD || p_number(t->s, false, &v) || v > 0xff)
		return p_err(p, t, "a pattern: index or a byte 0xNN");
	pat->kind = MF_PAT_BYTE;
	pat->byte = (uint8_t)v;
	return 0;
}

struct tok *p_more(struct pctx *p)
{
	struct tok *t = p_peek(p);

	return t && !(t->kind == T_WORD && !strncmp(t->s, "=>", 2)) ? t : NULL;
}

static bool known_kernel(const char *s)
{
	return !strcmp(s, "6.1") || !strcmp(s, "6.12");
}

/* The kernel named after '@' in word t (at byte off): a profile the header names. */
int p_kernel_tag(struct pctx *p, const struct tok *t, size_t off, char *out)
{
	struct tok k = *t;
	int i;

	k.s = t->s + off;
	k.len = t->len - off;
	k.col = t->col + (int)off;
	k.width = t->width - (int)off;
	if (!known_kernel(k.s))
		return p_err(p, &k, "a kernel after '@': 6.1 or 6.12 (the kernel profiles)");
	for (i = 0; i < p->sc->nkernels; i++)
		if (!strcmp(p->sc->kernels[i], k.s))
			break;
	if (i == p->sc->nkernels)
		return p_err(p, &k, "a kernel the header names (kernel %s%s%s)", p->sc->kernels[0],
			     p->sc->nkernels > 1 ? " " : "", p->sc->nkernels > 1 ? p->sc->kernels[1] : "");
	strcpy(out, k.s);
	return 0;
}

/* Header statements: before the first declaration or step only (sysctl: also after). */
static const char *const header_words[] = { "kernel", "machine", "requires", "sysctl", NULL };

/* A declaration: file, task, thread, sysctl. */
static int p_decl(struct pctx *p, struct mf_stmt *st)
{
	const char *w = p_next(p)->s;
	const struct stmt_kind *k;
	bool known;

	k = stmt_lookup(p, MF_CLASS_DECL, w, &known);
	st->op = (enum mf_op)(k - stmt_kinds);
	return k->parse(p, st, NULL);
}

static int p_statement(struct pctx *p, struct mf_stmt *st)
{
	struct tok *t = p_peek(p);
	const char *w = t->s;
	size_t n = t->len;

	st->line = t->line;
	st->col = t->col;
	if (t->kind == T_WORD && t->s[0] == '@') {
		/* "@6.1 STEP": a step or expectation of one kernel only */
		if (p_kernel_tag(p, t, 1, st->on_kernel))
			return -1;
		p->i++;
		t = p_peek(p);
		if (!t || t->kind != T_WORD || stmt_known(MF_CLASS_DECL, t->s) ||
		    !strncmp(t->s, "expect@", 7) || t->s[0] == '@')
			return p_err(p, t, "a step or expect after @%s (declarations are for "
				     "every kernel)", st->on_kernel);
		w = t->s;
		n = t->len;
	}
	if (t->kind != T_WORD)
		return p_err(p, t, "a statement");
	if (!strcmp(w, "scenario"))
		return p_err(p, t, "a statement (scenario is the first statement only)");
	if (word_index(w, header_words) >= 0 && strcmp(w, "sysctl"))
		return p_err(p, t, "a step (%s belongs to the header, before the first "
			     "declaration or step)", w);
	if (!strcmp(w, "expect") || !strncmp(w, "expect@", 7)) {
		if (w[6] && p_kernel_tag(p, t, 7, st->on_kernel))
			return -1;
		p->i++;
		st->is_expect = true;
		return p_expect(p, st);
	}
	if (stmt_known(MF_CLASS_DECL, w))
		return p_decl(p, st);
	if (stmt_known(MF_CLASS_SYSTEM, w))
		return p_system_step(p, st);
	if (n > 1 && w[n - 1] == ':')
		return p_task_step(p, st);
	return p_err(p, t, "a statement: file, task, thread, sysctl, expect, a system step "
		     "or TASK: step");
}

/* "kernel 6.1 [6.12]": the profiles the file describes; the first is the default. */
static int p_kernels(struct pctx *p)
{
	struct mf_scenario *sc = p->sc;
	struct tok *t = p_peek(p);

	if (p->kernel_named)
		return p_err(p, t, "one kernel statement (it names every kernel: kernel 6.1 6.12)");
	p->kernel_named = true;
	p->i++;
	sc->nkernels = 0;
	do {
		t = p_word(p, "a kernel version: 6.1 or 6.12");
		if (!t)
			return -1;
		if (!known_kernel(t->s))
			return p_err(p, t, "6.1 or 6.12 (the kernel profiles)");
		for (int i = 0; i < sc->nkernels; i++)
			if (!strcmp(sc->kernels[i], t->s))
				return p_err(p, t, "another kernel (%s is named twice)", t->s);
		strcpy(sc->kernels[sc->nkernels++], t->s);
	} while (sc->nkernels < MF_MAX_KERNELS && p_peek(p));
	strcpy(sc->kernel, sc->kernels[0]);
	return p_end(p, NULL);
}

static int p_header(struct pctx *p, struct tok *t)
{
	struct mf_scenario *sc = p->sc;

	if (!strcmp(t->s, "kernel"))
		return p_kernels(p);
	if (!strcmp(t->s, "machine")) {
		p->i++;
		return p_machine(p);
	}
	if (!strcmp(t->s, "requires")) {
		p->i++;
		t = p_word(p, "model");
		if (!t)
			return -1;
		if (strcmp(t->s, "model"))
			return p_err(p, t, "model");
		sc->requires_model = true;
		return p_end(p, NULL);
	}
	/* sysctl */
	p->i++;
	sc->sysctl = xrealloc_array(sc->sysctl, sc->nsysctl + 1, sizeof(*sc->sysctl),
				    "parsing a header sysctl");
	memset(&sc->sysctl[sc->nsysctl], 0, sizeof(sc->sysctl[0]));
	sc->nsysctl++;
	return p_sysctl(p, sc->sysctl[sc->nsysctl - 1].key, sc->sysctl[sc->nsysctl - 1].val);
}

/* What a statement owns out of line. */
static void stmt_free(struct mf_stmt *st)
{
	if (st->expect)
		free(st->expect->log);
	free(st->expect);
	while (st->expres) {
		struct mf_expres *next = st->expres->next;

		free(st->expres);
		st->expres = next;
	}
}

static void add_stmt(struct mf_scenario *sc, int *cap, const struct mf_stmt *st)
{
	ARRAY_PUSH(sc->stmt, sc->nstmt, *cap, *st, "parsing a statement");
}

/* One statement of the line: the title, a header statement or a statement. */
static int p_one(struct pctx *p, int *cap)
{
	struct mf_scenario *sc = p->sc;
	struct tok *t = p_peek(p);
	struct mf_stmt st;

	if (!t)
		return p_err(p, NULL, "a statement after ';'");
	if (!sc->title) {
		if (t->kind != T_WORD || strcmp(t->s, "scenario"))
			return p_err(p, t, "'scenario \"TITLE\"' as the first statement");
		p->i++;
		t = p_next(p);
		if (!t || t->kind != T_STR)
			return p_err(p, t, "a title string \"...\"");
		sc->title = xstrdup(t->s, "parsing a scenario");
		return p_end(p, NULL);
	}
	if (p->header && t->kind == T_WORD && word_index(t->s, header_words) >= 0)
		return p_header(p, t);
	p->header = false;
	memset(&st, 0, sizeof(st));
	if (p_statement(p, &st) || conc_track(p, &st)) {
		stmt_free(&st);
		return -1;
	}
	add_stmt(sc, cap, &st);
	return 0;
}

struct mf_scenario *mf_scenario_parse_buf(const char *path, const char *buf, size_t len,
					  struct mf_parse_error *err)
{
	struct mf_scenario *sc = xcalloc(1, sizeof(*sc), "parsing a scenario");
	struct lexline ll = { 0 };
	int cap = 0;
	struct lexer lx;
	struct pctx p = { .path = path, .err = err, .ll = &ll, .sc = sc, .header = true };
	int r;

	memset(err, 0, sizeof(*err));
	sc->path = xstrdup(path, "parsing a scenario");
	strcpy(sc->kernel, "6.1");
	strcpy(sc->kernels[0], "6.1");
	sc->nkernels = 1;
	sc->machine = (struct mf_machine_cfg){ .memory = 256ull << 20, .thp = 1, .nodes = 1 };
	lex_init(&lx, path, buf, len);
	while ((r = lex_line(&lx, &ll, err)) == 1) {
		p_stmt_at(&p, 0);
		while (!p_one(&p, &cap) && p.end < ll.n)
			p_stmt_at(&p, p.end + 1);	/* "STATEMENT ; STATEMENT" */
		if (p.err->msg[0])
			goto fail;
	}
	if (r < 0 || conc_eof(&p, lx.eof_line, lx.eof_col))
		goto fail;
	if (!sc->title) {
		err->line = lx.eof_line;
		err->col = lx.eof_col;
		snprintf(err->msg, sizeof(err->msg),
			 "%s:%d:%d: error: found end of file, expected 'scenario \"TITLE\"'", path,
			 lx.eof_line, lx.eof_col);
		goto fail;
	}
	lexline_free(&ll);
	sym_free(&p.sym);
	return sc;
fail:
	lexline_free(&ll);
	sym_free(&p.sym);
	mf_scenario_free(sc);
	return NULL;
}

struct mf_scenario *mf_scenario_parse_file(const char *path, struct mf_parse_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	struct mf_scenario *sc;

	if (!f) {
		memset(err, 0, sizeof(*err));
		snprintf(err->msg, sizeof(err->msg), "%s: error: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (len + 4096 > cap) {
			cap = cap ? 2 * cap : 65536;
			buf = xrealloc_array(buf, cap, 1, "reading a scenario file");
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	sc = mf_scenario_parse_buf(path, buf ? buf : "", len, err);
	free(buf);
	return sc;
}

void mf_scenario_free(struct mf_scenario *sc)
{
	if (!sc)
		return;
	for (int i = 0; i < sc->nstmt; i++)
		stmt_free(&sc->stmt[i]);
	free(sc->stmt);
	sc_strpool_free(sc);
	free(sc->sysctl);
	free(sc->title);
	free(sc->path);
	free(sc);
}
