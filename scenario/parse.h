/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to the parser (scenario/lex.c, parse*.c, symtab.c): tokens of one
 * logical line, the parse context and the static symbol tables.
 */
#ifndef MEMFAIL_SCENARIO_PARSE_H
#define MEMFAIL_SCENARIO_PARSE_H

#include <stdarg.h>
#include "memfail/array.h"
#include "memfail/scenario.h"

enum tok_kind { T_WORD, T_STR, T_COMMA, T_SEMI /* ';' between statements of a line */ };

struct tok {
	enum tok_kind kind;
	char *s;		/* NUL-terminated; strings unescaped */
	size_t len;		/* bytes of s (strings may hold no NUL: rejected) */
	int line, col;		/* where it starts in the source */
	int width;		/* source bytes it spans (error column after it) */
};

/* The tokens of one logical line (continuations joined). */
struct lexline {
	struct tok *t;
	int n, cap;
};

struct lexer {
	const char *path;
	const char *buf;
	size_t len, pos;
	int line;		/* current physical line, 1-based */
	int eof_line, eof_col;	/* where "end of file" is */
};

void lex_init(struct lexer *lx, const char *path, const char *buf, size_t len);
/* 1: a non-empty logical line in ll; 0: end of file; -1: error in err. */
int lex_line(struct lexer *lx, struct lexline *ll, struct mf_parse_error *err);
void lexline_reset(struct lexline *ll);
void lexline_free(struct lexline *ll);

/* Fill err with "path:line:col: error: found FOUND, expected ...". */
void perr_at(struct mf_parse_error *err, const char *path, int line, int col,
	     const char *found, const char *fmt, va_list ap);
/* FOUND text for a token: 'word', "string", ',' (buf >= 64 bytes). */
void tok_describe(const struct tok *t, char *buf, size_t len);

/* ---- static symbol tables (symtab.c) ---- */
/* name (+ tag) -> index into an array, open addressing */
struct strmap_ent {
	char *key;
	int tag, idx;
};
struct strmap {
	struct strmap_ent *e;
	size_t cap, n;
};
struct sym_region {
	char name[MF_NAME_MAX];
	uint64_t size;
	bool live;		/* mapped now (false after munmap) */
	bool hugetlb;
};
struct sym_fd {
	char name[MF_NAME_MAX];
	bool open;
	enum mf_fs fs;
	const char *file;	/* a scenario string */
};
struct sym_task {
	char name[MF_NAME_MAX];
	bool exited;
	int nreg, capreg, nfd, capfd, nthr;
	struct sym_region *reg;
	struct sym_fd *fd;
	struct strmap reg_map, fd_map, thr_map;
};
struct sym_file {
	enum mf_fs fs;
	char name[MF_PATH_MAX];
	uint64_t size;
	bool unlinked;
};
struct symtab {
	int ntask, captask, nfile, capfile, nlabel;
	struct sym_task *task;
	struct sym_file *file;
	struct strmap task_map, file_map, label_map;
	int pmem_fs;		/* the pmem file system files were declared on, or 0 */
};

void sym_free(struct symtab *s);
struct sym_task *sym_task(struct symtab *s, const char *name);
struct sym_task *sym_task_add(struct symtab *s, const char *name, const struct sym_task *parent);
bool sym_thread(const struct sym_task *t, const char *name);
void sym_thread_add(struct sym_task *t, const char *name);
/* Live region by name; with ever, also an unmapped one. */
struct sym_region *sym_region(struct sym_task *t, const char *name, bool ever);
struct sym_region *sym_region_add(struct sym_task *t, const char *name);
struct sym_fd *sym_fd(struct sym_task *t, const char *name, bool open_only);
struct sym_fd *sym_fd_add(struct sym_task *t, const char *name);
struct sym_file *sym_file(struct symtab *s, enum mf_fs fs, const char *name);
struct sym_file *sym_file_add(struct symtab *s, enum mf_fs fs, const char *name);
bool sym_label(const struct symtab *s, const char *name);
void sym_label_add(struct symtab *s, const char *name);

/* ---- the parse context (parse.c) ---- */
struct pctx {
	const char *path;
	struct mf_parse_error *err;
	struct lexline *ll;
	int i;			/* next token of ll */
	int end;		/* the current statement's end: its ';' or ll->n */
	struct mf_scenario *sc;
	struct symtab sym;
	bool header;		/* still in the header */
	bool kernel_named;	/* the header's kernel statement was seen */
	int conc_open;		/* index + 1 of an open concurrently statement, 0: none */
};

struct tok *p_peek(struct pctx *p);
struct tok *p_next(struct pctx *p);
/* Error at token t (NULL: end of line). Always returns -1. */
int p_err(struct pctx *p, const struct tok *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Next token must be a word; else error "expected WHAT". */
struct tok *p_word(struct pctx *p, const char *what);
bool p_accept(struct pctx *p, const char *kw);
int p_end(struct pctx *p, const char *what);

/* s[0..n) matches [A-Za-z_][A-Za-z0-9_-]* (dot: '.' too), whatever its length */
bool name_okn(const char *s, size_t n, bool dot);
int p_name(struct pctx *p, const struct tok *t, const char *what, char *out);
/* The first n bytes of t as a name (TASK of "TASK.THREAD:", ...). */
int p_name_part(struct pctx *p, const struct tok *t, size_t n, const char *what, char *out);
/* 0, or -1 not a number, -2 too large, -3 an unknown unit letter (suffix: K M G T). */
int p_number(const char *s, bool suffix, uint64_t *v);
/* What is wrong with s, for p_number's error rc (a static buffer). */
const char *p_number_problem(int rc, const char *s);
int p_size(struct pctx *p, const struct tok *t, const char *what, uint64_t align, uint64_t *v);
int p_pattern(struct pctx *p, const struct tok *t, struct mf_pattern *pat);
/* FS:NAME into *fs and *file (a scenario string); declared: a file declared and not unlinked */
int p_fsname(struct pctx *p, const struct tok *t, enum mf_fs *fs, const char **file,
	     bool declared);
/* strpool.c: a copy of s that lives as long as sc */
const char *sc_strdup(struct mf_scenario *sc, const char *s);
void sc_strpool_free(struct mf_scenario *sc);
/* REGION[+OFF] of task; len bytes from there must lie inside the region. */
int p_addr(struct pctx *p, const struct tok *t, struct sym_task *task, uint64_t len,
	   bool ever, struct mf_addr *a, struct sym_region **rp);
int p_pageref(struct pctx *p, struct mf_pageref *ref);
/* Optional "as NAME": binds a new label. */
int p_as(struct pctx *p, char *as);
/* The next token, unless the line ends or "=>" (or "=>@KERNEL") follows. */
struct tok *p_more(struct pctx *p);
/* The kernel named in word t after its byte off ("expect@6.12"): one the header names. */
int p_kernel_tag(struct pctx *p, const struct tok *t, size_t off, char *out);
/* "=> RESULT [=>@KERNEL RESULT]...", if any, then the end of the line. */
int p_results(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_kpf_flags(struct pctx *p, const struct tok *t, const char *val, uint64_t *v);

/* "key=VALUE" word t: the value as a token of its own (for error columns). */
bool tok_kv(const struct tok *t, const char *key, struct tok *val);
/* A page-reference keyword (free, kernel, file, ...): not a label name. */
bool p_reserved_ref(const char *name);

/* parse_decl.c */
int kv_split(struct pctx *p, const struct tok *t, char *key, size_t klen, const char **val,
	     const char *what);
int p_machine(struct pctx *p);
int p_sysctl(struct pctx *p, char *key, char *val);

/* parse_step.c, parse_sys.c, parse_expect.c */
int p_task_step(struct pctx *p, struct mf_stmt *st);
int p_system_step(struct pctx *p, struct mf_stmt *st);
int p_expect(struct pctx *p, struct mf_stmt *st);

#endif
