/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser: system steps (spec section 6), one function per statement kind (stmt_table.c). */
#include <stdio.h>
#include <string.h>

#include "stmt.h"

#define SZ_4K 4096ull

/* corrupt-pfn, hard-offline, soft-offline: PAGE [as NAME] */
int p_inject(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	(void)tk;
	return p_pageref(p, &st->ref) || p_as(p, st->as) ? -1 : 0;
}

/* unpoison, reclaim: PAGE */
int p_ref(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	(void)tk;
	return p_pageref(p, &st->ref);
}

int p_mce(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_peek(p);

	(void)tk;
	if (p_pageref(p, &st->ref))
		return -1;
	if (st->op == MF_OP_MCE_SRAR && st->ref.kind != MF_PREF_TASK)
		return p_err(p, t, "TASK:REGION+OFF (srar is consumed by that task's load)");
	return p_as(p, st->as);
}

/* filter enable [flags-mask=FLAGS] [flags-value=FLAGS] */
int p_filter(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t, v;

	(void)tk;
	while ((t = p_more(p))) {
		if (tok_kv(t, "flags-mask", &v)) {
			if (p_kpf_flags(p, t, v.s, &st->flags_mask))
				return -1;
		} else if (tok_kv(t, "flags-value", &v)) {
			if (p_kpf_flags(p, t, v.s, &st->flags_value))
				return -1;
		} else {
			return p_err(p, t, "flags-mask=FLAGS, flags-value=FLAGS or end of line");
		}
		p->i++;
	}
	return 0;
}

int p_drop_caches(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p);

	(void)tk;
	if (!t || t->kind != T_WORD || strlen(t->s) != 1 || t->s[0] < '1' || t->s[0] > '3')
		return p_err(p, t, "1, 2 or 3");
	st->drop_caches = t->s[0] - '0';
	return 0;
}

/* label NAME = PAGE: bound after the reference, so "label P = P" is an error */
int p_label(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *name = p_next(p), *t;
	char tmp[MF_NAME_MAX];

	(void)tk;
	if (p_name(p, name, "label", tmp))
		return -1;
	t = p_next(p);
	if (!t || t->kind != T_WORD || strcmp(t->s, "="))
		return p_err(p, t, "'='");
	if (p_pageref(p, &st->ref))
		return -1;
	if (sym_label(&p->sym, tmp))
		return p_err(p, name, "a new label name (%s is already bound)", tmp);
	if (p_reserved_ref(tmp))
		return p_err(p, name, "a label name that is not a page-reference keyword");
	sym_label_add(&p->sym, tmp);
	strcpy(st->name, tmp);
	return 0;
}

/* reflink SRC DST [SRC_OFF LEN DST_OFF]: FICLONE, or FICLONERANGE of 4K-aligned ranges */
int p_reflink(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p);
	enum mf_fs fs2;
	struct sym_file *f;

	(void)tk;
	if (p_fsname(p, t, &st->fs, &st->file, true))
		return -1;
	if (!MF_FS_IS_PMEM(st->fs))
		return p_err(p, t, "a pmem file (pmem-xfs:NAME ...) to clone");
	t = p_next(p);
	if (p_fsname(p, t, &fs2, &st->file2, true))
		return -1;
	if (fs2 != st->fs || !strcmp(st->file, st->file2))
		return p_err(p, t, "another file of the same filesystem");
	if (!p_more(p)) {
		sym_file(&p->sym, fs2, st->file2)->size = sym_file(&p->sym, st->fs, st->file)->size;
		return 0;
	}
	t = p_next(p);
	if (p_size(p, t, "SRC_OFFSET", SZ_4K, &st->offset))
		return -1;
	t = p_next(p);
	if (p_size(p, t, "LENGTH", SZ_4K, &st->size) || !st->size)
		return st->size ? -1 : p_err(p, t, "a length of at least 4K");
	t = p_next(p);
	if (p_size(p, t, "DST_OFFSET", SZ_4K, &st->offset2))
		return -1;
	f = sym_file(&p->sym, fs2, st->file2);
	if (f->size < st->offset2 + st->size)
		f->size = st->offset2 + st->size;
	return 0;
}

int p_system_step(struct pctx *p, struct mf_stmt *st)
{
	struct tok *opt = p_next(p);
	const struct stmt_kind *k;
	bool known;

	k = stmt_lookup(p, MF_CLASS_SYSTEM, opt->s, &known);
	if (!k)
		return -1;
	st->op = (enum mf_op)(k - stmt_kinds);
	if (k->parse(p, st, NULL))
		return -1;
	return p_results(p, st, NULL);
}
