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

#include "parse.h"

struct tok *p_peek(struct pctx *p)
{
	return p->i < p->ll->n ? &p->ll->t[p->i] : NULL;
}

struct tok *p_next(struct pctx *p)
{
	return p->i < p->ll->n ? &p->ll->t[p->i++] : NULL;
}

int p_err(struct pctx *p, const struct tok *t, const char *fmt, ...)
{
	char found[256];
	int line, col;
	va_list ap;

	tok_describe(t, found, sizeof(found));
	if (t) {
		line = t->line;
		col = t->col;
	} else if (p->ll->n) {
		/* end of line: just after the last token */
		const struct tok *l = &p->ll->t[p->ll->n - 1];

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

static bool name_ok(const char *s, size_t max, bool dot)
{
	size_t n = strlen(s);

	if (!n || n > max || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
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
	if (!t || t->kind != T_WORD || !name_ok(t->s, 1000, false))
		return p_err(p, t, "a %s name ([A-Za-z_][A-Za-z0-9_-]*)", what);
	if (t->len > MF_NAME_MAX - 1)
		return p_err(p, t, "a %s name of at most %d bytes", what, MF_NAME_MAX - 1);
	strcpy(out, t->s);
	return 0;
}

int p_number(const char *s, bool suffix, uint64_t *v)
{
	uint64_t x = 0, mul = 1;
	int base = 10;
	size_t n = strlen(s), i = 0;

	if (suffix && n > 1) {
		char c = s[n - 1];

		if (c == 'K' || c == 'M' || c == 'G') {
			mul = c == 'K' ? 1ull << 10 : c == 'M' ? 1ull << 20 : 1ull << 30;
			n--;
		}
	}
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
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
			return -1;
		x = x * base + d;
	}
	if (x > UINT64_MAX / mul)
		return -1;
	*v = x * mul;
	return 0;
}

int p_size(struct pctx *p, const struct tok *t, const char *what, uint64_t align, uint64_t *v)
{
	if (!t || t->kind != T_WORD || p_number(t->s, true, v))
		return p_err(p, t, "%s (a number, may end in K, M or G)", what);
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

static const char *const fs_names[] = { "disk", "tmpfs", "hugetlbfs", "pmem-xfs", "pmem-xfs-normap",
					"pmem-ext4" };
#define NR_FS (int)(sizeof(fs_names) / sizeof(fs_names[0]))

int p_fsname(struct pctx *p, const struct tok *t, enum mf_fs *fs, char *file, bool declared)
{
	const char *c = t && t->kind == T_WORD ? strchr(t->s, ':') : NULL;
	struct sym_file *f;
	int i;

	if (!c)
		return p_err(p, t, "a file disk:NAME, tmpfs:NAME or hugetlbfs:NAME");
	for (i = 0; i < NR_FS; i++)
		if ((size_t)(c - t->s) == strlen(fs_names[i]) &&
		    !strncmp(t->s, fs_names[i], c - t->s))
			break;
	if (i == NR_FS)
		return p_err(p, t, "a file system disk, tmpfs or hugetlbfs before ':'");
	if (!name_ok(c + 1, MF_PATH_MAX - 1, true))
		return p_err(p, t, "a file name ([A-Za-z_][A-Za-z0-9_.-]*, at most %d bytes)",
			     MF_PATH_MAX - 1);
	*fs = (enum mf_fs)i;
	strcpy(file, c + 1);
	if (!declared)
		return 0;
	f = sym_file(&p->sym, *fs, file);
	if (!f)
		return p_err(p, t, "a declared file (declare it with 'file %s size=...')", t->s);
	if (f->unlinked)
		return p_err(p, t, "a file that exists (%s was unlinked)", t->s);
	return 0;
}

int p_addr(struct pctx *p, const struct tok *t, struct sym_task *task, uint64_t len,
	   bool ever, struct mf_addr *a, struct sym_region **rp)
{
	char name[64];
	const char *plus;
	struct sym_region *r;
	size_t n;

	if (!t || t->kind != T_WORD)
		return p_err(p, t, "an address REGION+OFFSET");
	plus = strchr(t->s, '+');
	n = plus ? (size_t)(plus - t->s) : t->len;
	if (n >= sizeof(name) || !n)
		return p_err(p, t, "an address REGION+OFFSET");
	memcpy(name, t->s, n);
	name[n] = 0;
	if (!name_ok(name, MF_NAME_MAX - 1, false))
		return p_err(p, t, "an address REGION+OFFSET");
	a->off = 0;
	if (plus && p_number(plus + 1, true, &a->off))
		return p_err(p, t, "an address REGION+OFFSET (offset: a number, may end in K, M or G)");
	r = sym_region(task, name, ever);
	if (!r)
		return p_err(p, t, "a region of task %s", task->name);
	if (a->off >= r->size || len > r->size - a->off)
		return p_err(p, t, "an address inside region %s (0x%llx bytes)", name,
			     (unsigned long long)r->size);
	strcpy(a->region, name);
	if (rp)
		*rp = r;
	return 0;
}

static const char *const reserved_refs[] = { "free", "free-huge", "kernel", "slab", "metadata",
					     "metadata-busy", "file", "pmem" };

int p_pageref(struct pctx *p, struct mf_pageref *ref)
{
	struct tok *t = p_next(p);
	const char *what = "a page reference (TASK:REGION+OFF, file FS:NAME+OFF, free, "
			   "free-huge, kernel, slab, metadata, metadata-busy or a label)";
	const char *c;

	memset(ref, 0, sizeof(*ref));
	if (!t || t->kind != T_WORD)
		return p_err(p, t, "%s", what);
	if (!strcmp(t->s, "free")) {
		ref->kind = MF_PREF_FREE;
	} else if (!strcmp(t->s, "free-huge")) {
		ref->kind = MF_PREF_FREE_HUGE;
	} else if (!strcmp(t->s, "kernel")) {
		ref->kind = MF_PREF_KERNEL;
	} else if (!strcmp(t->s, "slab")) {
		ref->kind = MF_PREF_SLAB;
	} else if (!strcmp(t->s, "metadata")) {
		ref->kind = MF_PREF_METADATA;
	} else if (!strcmp(t->s, "metadata-busy")) {
		ref->kind = MF_PREF_METADATA_BUSY;
	} else if (!strncmp(t->s, "pmem+", 5) || !strcmp(t->s, "pmem")) {
		/* a pmem device offset: metadata, free blocks, anything FIEMAP names */
		ref->kind = MF_PREF_PMEM;
		if (!p->sc->machine.pmem)
			return p_err(p, t, "a machine with pmem= before a pmem+OFFSET reference");
		if (t->s[4] && p_number(t->s + 5, true, &ref->file_off))
			return p_err(p, t, "pmem+OFFSET (a number, may end in K, M or G)");
		if (ref->file_off >= p->sc->machine.pmem)
			return p_err(p, t, "an offset inside the pmem (%llu bytes)",
				     (unsigned long long)p->sc->machine.pmem);
	} else if (!strcmp(t->s, "file")) {
		struct tok *f = p_word(p, "a file FS:NAME+OFFSET");
		char buf[128];
		const char *plus;
		struct tok tmp;

		if (!f)
			return -1;
		plus = strchr(f->s, '+');
		if ((plus ? (size_t)(plus - f->s) : f->len) >= sizeof(buf))
			return p_err(p, f, "a file FS:NAME+OFFSET");
		snprintf(buf, sizeof(buf), "%.*s", plus ? (int)(plus - f->s) : (int)f->len, f->s);
		tmp = *f;
		tmp.s = buf;
		tmp.len = strlen(buf);
		ref->kind = MF_PREF_FILE;
		if (p_fsname(p, &tmp, &ref->fs, ref->file, false))
			return -1;
		if (!sym_file(&p->sym, ref->fs, ref->file))
			return p_err(p, f, "a declared file");
		if (plus && p_number(plus + 1, true, &ref->file_off))
			return p_err(p, f, "a file offset (a number, may end in K, M or G)");
	} else if ((c = strchr(t->s, ':'))) {
		char task[64];
		struct sym_task *tk;
		struct tok tmp = *t;

		ref->kind = MF_PREF_TASK;
		if ((size_t)(c - t->s) >= sizeof(task))
			return p_err(p, t, "%s", what);
		snprintf(task, sizeof(task), "%.*s", (int)(c - t->s), t->s);
		tk = sym_task(&p->sym, task);
		if (!tk)
			return p_err(p, t, "a declared task before ':'");
		if (tk->exited)
			return p_err(p, t, "a task that has not exited (%s exited)", task);
		strcpy(ref->task, task);
		tmp.s = (char *)c + 1;
		tmp.len = strlen(tmp.s);
		return p_addr(p, &tmp, tk, 0, false, &ref->addr, NULL);
	} else {
		ref->kind = MF_PREF_LABEL;
		if (p_name(p, t, "label", ref->label))
			return -1;
		if (!sym_label(&p->sym, ref->label))
			return p_err(p, t, "%s; no label %s is bound before this line", what,
				     ref->label);
	}
	return 0;
}

/* A label name: valid, not a page-reference keyword, not bound already. */
static int p_newlabel(struct pctx *p, const struct tok *t, char *out)
{
	if (p_name(p, t, "label", out))
		return -1;
	for (size_t i = 0; i < sizeof(reserved_refs) / sizeof(reserved_refs[0]); i++)
		if (!strcmp(out, reserved_refs[i]))
			return p_err(p, t, "a label name that is not a page-reference keyword");
	if (sym_label(&p->sym, out))
		return p_err(p, t, "a new label name (%s is already bound)", out);
	sym_label_add(&p->sym, out);
	return 0;
}

struct tok *p_more(struct pctx *p)
{
	struct tok *t = p_peek(p);

	return t && !(t->kind == T_WORD && !strcmp(t->s, "=>")) ? t : NULL;
}

int p_as(struct pctx *p, char *as)
{
	if (!p_accept(p, "as"))
		return 0;
	return p_newlabel(p, p_next(p), as);
}

int p_kpf_flags(struct pctx *p, const struct tok *t, const char *val, uint64_t *v)
{
	char buf[256];
	char *save, *w;

	if (!p_number(val, false, v))
		return 0;
	if (strlen(val) >= sizeof(buf) || !*val)
		return p_err(p, t, "page-types flag names joined by '|', or a number");
	strcpy(buf, val);
	*v = 0;
	for (w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
		int b = mf_kpf_bit(w);

		if (b < 0)
			return p_err(p, t, "page-types flag names joined by '|' (unknown flag '%s'), "
				     "or a number", w);
		*v |= 1ull << b;
	}
	return 0;
}

static const char *const system_words[] = {
	"corrupt-pfn", "unpoison", "hard-offline", "soft-offline", "filter", "mce", "sync",
	"drop_caches", "reclaim", "label", "reflink", "ksm-scan", NULL
};

static int p_statement(struct pctx *p, struct mf_stmt *st)
{
	struct tok *t = p_peek(p);
	const char *w = t->s;
	size_t n = t->len;

	st->line = t->line;
	st->col = t->col;
	if (t->kind != T_WORD)
		return p_err(p, t, "a statement");
	if (!strcmp(w, "scenario"))
		return p_err(p, t, "a statement (scenario is the first statement only)");
	if (!strcmp(w, "kernel") || !strcmp(w, "machine") || !strcmp(w, "requires"))
		return p_err(p, t, "a step (%s belongs to the header, before the first "
			     "declaration or step)", w);
	if (!strcmp(w, "sysctl")) {
		p->i++;
		st->op = MF_OP_SYSCTL;
		return p_sysctl(p, st->sysctl_key, st->sysctl_val);
	}
	if (!strcmp(w, "file")) {
		p->i++;
		st->op = MF_OP_FILE;
		return p_file_decl(p, st);
	}
	if (!strcmp(w, "task")) {
		p->i++;
		st->op = MF_OP_TASK;
		return p_task_decl(p, st);
	}
	if (!strcmp(w, "thread")) {
		p->i++;
		st->op = MF_OP_THREAD;
		return p_thread_decl(p, st);
	}
	if (!strcmp(w, "expect")) {
		p->i++;
		st->is_expect = true;
		return p_expect(p, st);
	}
	if (word_index(w, system_words) >= 0)
		return p_system_step(p, st);
	if (n > 1 && w[n - 1] == ':')
		return p_task_step(p, st);
	return p_err(p, t, "a statement: file, task, thread, sysctl, expect, a system step "
		     "or TASK: step");
}

static int p_header(struct pctx *p, struct tok *t)
{
	struct mf_scenario *sc = p->sc;

	if (!strcmp(t->s, "kernel")) {
		p->i++;
		t = p_word(p, "a kernel version: 6.1 or 6.12");
		if (!t)
			return -1;
		if (strcmp(t->s, "6.1") && strcmp(t->s, "6.12"))
			return p_err(p, t, "6.1 or 6.12 (the kernel profiles)");
		strcpy(sc->kernel, t->s);
		return p_end(p, NULL);
	}
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
	sc->sysctl = realloc(sc->sysctl, (sc->nsysctl + 1) * sizeof(*sc->sysctl));
	if (!sc->sysctl)
		abort();
	memset(&sc->sysctl[sc->nsysctl], 0, sizeof(sc->sysctl[0]));
	sc->nsysctl++;
	return p_sysctl(p, sc->sysctl[sc->nsysctl - 1].key, sc->sysctl[sc->nsysctl - 1].val);
}

static void add_stmt(struct mf_scenario *sc, const struct mf_stmt *st)
{
	if ((sc->nstmt & (sc->nstmt - 1)) == 0) {
		sc->stmt = realloc(sc->stmt, (sc->nstmt ? 2 * sc->nstmt : 1) * sizeof(*st));
		if (!sc->stmt)
			abort();
	}
	sc->stmt[sc->nstmt++] = *st;
}

struct mf_scenario *mf_scenario_parse_buf(const char *path, const char *buf, size_t len,
					  struct mf_parse_error *err)
{
	struct mf_scenario *sc = calloc(1, sizeof(*sc));
	struct lexline ll = { 0 };
	struct lexer lx;
	struct pctx p = { .path = path, .err = err, .ll = &ll, .sc = sc, .header = true };
	int r;

	memset(err, 0, sizeof(*err));
	sc->path = strdup(path);
	strcpy(sc->kernel, "6.1");
	sc->machine = (struct mf_machine_cfg){ .memory = 256ull << 20, .thp = 1, .nodes = 1 };
	lex_init(&lx, path, buf, len);
	while ((r = lex_line(&lx, &ll, err)) == 1) {
		struct tok *t = &ll.t[0];

		p.i = 0;
		if (!sc->title) {
			if (t->kind != T_WORD || strcmp(t->s, "scenario"))
				goto bad_title;
			p.i++;
			t = p_next(&p);
			if (!t || t->kind != T_STR) {
				p_err(&p, t, "a title string \"...\"");
				goto fail;
			}
			sc->title = strdup(t->s);
			if (p_end(&p, NULL))
				goto fail;
			continue;
		}
		if (p.header && t->kind == T_WORD &&
		    (!strcmp(t->s, "kernel") || !strcmp(t->s, "machine") ||
		     !strcmp(t->s, "requires") || !strcmp(t->s, "sysctl"))) {
			if (p_header(&p, t))
				goto fail;
			continue;
		}
		p.header = false;
		{
			struct mf_stmt st;

			memset(&st, 0, sizeof(st));
			if (p_statement(&p, &st)) {
				free(st.expect.log);
				goto fail;
			}
			add_stmt(sc, &st);
		}
	}
	if (r < 0)
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
bad_title:
	p_err(&p, &ll.t[0], "'scenario \"TITLE\"' as the first statement");
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
			buf = realloc(buf, cap);
			if (!buf)
				abort();
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
		free(sc->stmt[i].expect.log);
	free(sc->stmt);
	free(sc->sysctl);
	free(sc->title);
	free(sc->path);
	free(sc);
}
