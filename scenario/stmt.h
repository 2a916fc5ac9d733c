/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private: the one table of statement kinds (stmt_table.c). The parser finds
 * a statement's parse function here, the canonical printer its text, `memfail
 * help` its syntax and the driver and back ends its class and flags (through
 * mf_op_class()/mf_op_flags() in memfail/scenario.h). Adding a statement
 * means adding one row.
 */
#ifndef MEMFAIL_SCENARIO_STMT_H
#define MEMFAIL_SCENARIO_STMT_H

#include "parse.h"
#include "text.h"

struct stmt_kind {
	const char *name;	 /* canonical name: "mmap", "prctl mce_kill", "mce srao" */
	enum mf_stmt_class cls;
	unsigned flags;		 /* MF_OPF_* */
	/* Parse the words after the name into st (tk: the stepping task, or NULL). */
	int (*parse)(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
	/* Canonical text after the name. */
	void (*print)(struct sbuf *b, const struct mf_stmt *st);
	const char *syntax;	 /* for `memfail help statements` */
};

extern const struct stmt_kind stmt_kinds[MF_OP__COUNT];

/*
 * The kind a statement of class cls starting with word w names; when that
 * is the first word of two-word names ("prctl", "mce", "filter"), the second
 * word is taken from the line. NULL: no such kind, error in p->err when it
 * was the second word (*known set), else for the caller to report.
 */
const struct stmt_kind *stmt_lookup(struct pctx *p, enum mf_stmt_class cls, const char *w,
				    bool *known);
/* Some kind of class cls starts with word w. */
bool stmt_known(enum mf_stmt_class cls, const char *w);
/* "a, b, c or d": the first words of class cls, for error messages. */
void stmt_word_list(struct sbuf *b, enum mf_stmt_class cls);

/* Word lists indexed by their enums (NULL-terminated). */
extern const char *const mf_fs_names[];
extern const char *const mf_madv_names[];
extern const char *const mf_kill_names[];
extern const char *const mf_state_names[];
int word_index(const char *s, const char *const *words);

/* Per-statement parse functions (parse_step.c, parse_sys.c, parse_decl.c). */
int p_mmap(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_munmap(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_mlock(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_pin(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_nothing(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_madvise(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_load(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_store(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_fill(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_mce_kill(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_exit(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_open(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_rw(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_fdop(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_close(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_ftruncate(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_msync(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_unlink(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_inject(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_ref(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_mce(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_filter(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_drop_caches(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_label(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_reflink(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_file_decl(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_task_decl(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_thread_decl(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_sysctl_stmt(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
int p_conc(struct pctx *p, struct mf_stmt *st, struct sym_task *tk);
/* parse_conc.c: block structure of each parsed statement, and at end of file. */
int conc_track(struct pctx *p, const struct mf_stmt *st);
int conc_eof(struct pctx *p, int line, int col);

/* Per-statement canonical printers (canonical_step.c). */
void c_none(struct sbuf *b, const struct mf_stmt *st);
void c_file(struct sbuf *b, const struct mf_stmt *st);
void c_task(struct sbuf *b, const struct mf_stmt *st);
void c_thread(struct sbuf *b, const struct mf_stmt *st);
void c_sysctl(struct sbuf *b, const struct mf_stmt *st);
void c_mmap(struct sbuf *b, const struct mf_stmt *st);
void c_region(struct sbuf *b, const struct mf_stmt *st);
void c_range(struct sbuf *b, const struct mf_stmt *st);
void c_madvise(struct sbuf *b, const struct mf_stmt *st);
void c_addr(struct sbuf *b, const struct mf_stmt *st);
void c_store(struct sbuf *b, const struct mf_stmt *st);
void c_fill(struct sbuf *b, const struct mf_stmt *st);
void c_mce_kill(struct sbuf *b, const struct mf_stmt *st);
void c_open(struct sbuf *b, const struct mf_stmt *st);
void c_rw(struct sbuf *b, const struct mf_stmt *st);
void c_fd(struct sbuf *b, const struct mf_stmt *st);
void c_ftruncate(struct sbuf *b, const struct mf_stmt *st);
void c_unlink(struct sbuf *b, const struct mf_stmt *st);
void c_ref(struct sbuf *b, const struct mf_stmt *st);
void c_filter(struct sbuf *b, const struct mf_stmt *st);
void c_drop_caches(struct sbuf *b, const struct mf_stmt *st);
void c_reflink(struct sbuf *b, const struct mf_stmt *st);
void c_label(struct sbuf *b, const struct mf_stmt *st);
void c_conc(struct sbuf *b, const struct mf_stmt *st);

#endif
