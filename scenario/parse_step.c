/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser: task steps (spec section 5), one function per statement kind (stmt_table.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stmt.h"

#define SZ_4K 4096ull
#define SZ_2M (2ull << 20)

/* "key=VALUE" word: the value as a token of its own (for error columns). */
bool tok_kv(const struct tok *t, const char *key, struct tok *val)
{
	size_t n = strlen(key);

	if (t->kind != T_WORD || strncmp(t->s, key, n) || t->s[n] != '=')
		return false;
	*val = *t;
	val->s = t->s + n + 1;
	val->len = t->len - n - 1;
	return true;
}

/* anon | file FS:NAME | fd FD | sysv; *fs_out: the file's, or -1 */
static int p_map_kind(struct pctx *p, struct mf_stmt *st, struct sym_task *tk, int *fs_out)
{
	struct tok *t = p_word(p, "anon, file FS:NAME, fd FD or sysv");
	struct sym_fd *f;

	*fs_out = -1;
	if (!t)
		return -1;
	if (!strcmp(t->s, "anon")) {
		st->mkind = MF_MAP_ANON;
	} else if (!strcmp(t->s, "file")) {
		st->mkind = MF_MAP_FILE;
		if (p_fsname(p, p_next(p), &st->fs, &st->file, true))
			return -1;
		*fs_out = (int)st->fs;
	} else if (!strcmp(t->s, "fd")) {
		st->mkind = MF_MAP_FD;
		t = p_next(p);
		if (p_name(p, t, "fd", st->fd))
			return -1;
		f = sym_fd(tk, st->fd, true);
		if (!f)
			return p_err(p, t, "an fd that %s opened", tk->name);
		st->fs = f->fs;
		st->file = f->file;
		*fs_out = (int)f->fs;
	} else if (!strcmp(t->s, "sysv")) {
		st->mkind = MF_MAP_SYSV;
		st->shared = true;
	} else {
		return p_err(p, t, "anon, file FS:NAME, fd FD or sysv");
	}
	return 0;
}

int p_mmap(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p), v, *szt;
	struct sym_region *r;
	bool hugefs, tmpfs;
	uint64_t align;
	int fs;

	if (p_name(p, t, "region", st->name))
		return -1;
	if (sym_region(tk, st->name, false))
		return p_err(p, t, "a new region name (%s is mapped already in %s)", st->name,
			     tk->name);
	if (p_map_kind(p, st, tk, &fs))
		return -1;
	hugefs = fs == MF_FS_HUGETLBFS;
	tmpfs = fs == MF_FS_TMPFS;
	if (st->mkind != MF_MAP_SYSV) {
		t = p_word(p, "private or shared");
		if (!t)
			return -1;
		if (!strcmp(t->s, "shared"))
			st->shared = true;
		else if (strcmp(t->s, "private"))
			return p_err(p, t, "private or shared");
	}
	t = szt = p_next(p);
	if (p_size(p, t, "a region size", SZ_4K, &st->size))
		return -1;
	if (!st->size)
		return p_err(p, t, "a region size above 0");
	while ((t = p_more(p))) {
		bool file = st->mkind == MF_MAP_FILE || st->mkind == MF_MAP_FD;
		bool anon = st->mkind == MF_MAP_ANON || st->mkind == MF_MAP_SYSV;

		if (tok_kv(t, "offset", &v) && file) {
			if (p_size(p, &v, "offset=SIZE", hugefs ? SZ_2M : SZ_4K, &st->offset))
				return -1;
		} else if (tok_kv(t, "fill", &v) && anon) {
			if (p_pattern(p, &v, &st->pat))
				return -1;
		} else if (!strcmp(t->s, "ro") && file) {
			st->ro = true;
		} else if (!strcmp(t->s, "populate")) {
			st->populate = true;
		} else if (!strcmp(t->s, "locked")) {
			st->locked = true;
		} else if (!strcmp(t->s, "hugetlb") && anon) {
			st->hugetlb = true;
		} else if (!strcmp(t->s, "thp") && (st->mkind == MF_MAP_ANON || tmpfs)) {
			st->thp = true;
		} else {
			return p_err(p, t, "%s", file ? "offset=, ro, populate, locked, thp (tmpfs) "
						 "or end of line"
					  : "populate, locked, hugetlb, thp (anon), fill= or end "
					    "of line");
		}
		p->i++;
	}
	if (st->hugetlb && st->thp)
		return p_err(p, NULL, "hugetlb or thp, not both");
	align = st->hugetlb || hugefs ? SZ_2M : SZ_4K;
	if (st->size % align)
		return p_err(p, szt, "a region size that is a multiple of 2M (hugetlb)");
	r = sym_region_add(tk, st->name);
	r->size = st->size;
	r->hugetlb = st->hugetlb || hugefs;
	return 0;
}

/* ADDR [SIZE]: size default = rest of the region (mlock, munlock). */
static int p_range(struct pctx *p, struct mf_stmt *st, struct sym_task *tk, bool size_opt)
{
	struct tok *at = p_next(p), *t;
	struct sym_region *r;

	if (p_addr(p, at, tk, 0, false, &st->addr, &r))
		return -1;
	t = p_more(p);
	if (!t && size_opt) {
		st->size = r->size - st->addr.off;
		return 0;
	}
	p->i++;
	if (p_size(p, t, "a range size", r->hugetlb ? 0 : SZ_4K, &st->size))
		return -1;
	if (!st->size)
		return p_err(p, t, "a range size above 0");
	if (st->size > r->size - st->addr.off)
		return p_err(p, t, "a range inside region %s (0x%llx bytes from offset 0x%llx)",
			     r->name, (unsigned long long)(r->size - st->addr.off),
			     (unsigned long long)st->addr.off);
	return 0;
}

static int p_fdname(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p);

	if (p_name(p, t, "fd", st->fd))
		return -1;
	if (!sym_fd(tk, st->fd, true))
		return p_err(p, t, "an fd that %s opened and did not close", tk->name);
	return 0;
}

int p_munmap(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p);
	struct sym_region *r;

	if (p_name(p, t, "region", st->name))
		return -1;
	r = sym_region(tk, st->name, false);
	if (!r)
		return p_err(p, t, "a region of task %s", tk->name);
	r->live = false;
	return 0;
}

int p_mlock(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	return p_range(p, st, tk, true);
}

int p_pin(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	if (p_range(p, st, tk, false))
		return -1;
	/* one pipe per pin: vmsplice would block beyond its 16 buffers */
	if (st->size > 16 * SZ_4K || st->size % SZ_4K)
		return p_err(p, &p->ll->t[p->i - 1], "a pin size of at most 64K in 4K pages");
	return 0;
}

int p_nothing(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	(void)p;
	(void)st;
	(void)tk;
	return 0;
}

int p_madvise(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	const char *what = "an advice: hwpoison, soft_offline, hugepage, nohugepage, dontneed, "
			   "pageout, willneed, collapse, mergeable or unmergeable";
	struct tok *t;
	int i;

	if (p_range(p, st, tk, false))
		return -1;
	t = p_word(p, what);
	if (!t)
		return -1;
	i = word_index(t->s, mf_madv_names);
	if (i < 0)
		return p_err(p, t, "%s", what);
	st->madv = (enum mf_madv)i;
	if (mf_madv_injects(st->madv))
		return p_as(p, st->as);
	return 0;
}

int p_load(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	return p_addr(p, p_next(p), tk, 1, false, &st->addr, NULL);
}

int p_store(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t;
	uint64_t b;

	if (p_load(p, st, tk))
		return -1;
	t = p_next(p);
	if (!t || t->kind != T_WORD || p_number(t->s, false, &b) || b > 0xff)
		return p_err(p, t, "a byte value 0xNN");
	st->byte = (uint8_t)b;
	return 0;
}

int p_fill(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	if (p_range(p, st, tk, false))
		return -1;
	return p_pattern(p, p_next(p), &st->pat);
}

int p_mce_kill(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_word(p, "early, late or clear");
	int i;

	(void)tk;
	if (!t)
		return -1;
	i = word_index(t->s, mf_kill_names);
	if (i < 0)
		return p_err(p, t, "early, late or clear");
	st->mce_kill = (enum mf_mce_kill)i;
	return 0;
}

int p_exit(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	if (st->thread[0])
		return p_err(p, &p->ll->t[p->i - 1],
			     "a step of the process (exit is written '%s: exit')", tk->name);
	tk->exited = true;
	return 0;
}

int p_open(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p);
	struct sym_fd *f;

	if (p_name(p, t, "fd", st->fd))
		return -1;
	if (sym_fd(tk, st->fd, true))
		return p_err(p, t, "a new fd name (%s is open in %s)", st->fd, tk->name);
	strcpy(st->name, st->fd);
	if (p_fsname(p, p_next(p), &st->fs, &st->file, true))
		return -1;
	t = p_word(p, "rw or ro");
	if (!t)
		return -1;
	if (!strcmp(t->s, "rw"))
		st->rw = true;
	else if (strcmp(t->s, "ro"))
		return p_err(p, t, "rw or ro");
	f = sym_fd_add(tk, st->fd);
	f->fs = st->fs;
	f->file = st->file;
	return 0;
}

/* read, write, punch: FD OFFSET LENGTH (write: [fill=]) */
int p_rw(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t, v;

	if (p_fdname(p, st, tk))
		return -1;
	if (p_size(p, p_next(p), "a file offset", 0, &st->offset))
		return -1;
	t = p_next(p);
	if (p_size(p, t, "a length", 0, &st->size))
		return -1;
	if (!st->size)
		return p_err(p, t, "a length above 0");
	if (st->op != MF_OP_WRITE)
		return 0;
	st->pat.kind = MF_PAT_INDEX;
	t = p_more(p);
	if (!t)
		return 0;
	if (!tok_kv(t, "fill", &v))
		return p_err(p, t, "fill=index|0xNN or end of line");
	p->i++;
	return p_pattern(p, &v, &st->pat);
}

int p_fdop(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	return p_fdname(p, st, tk);
}

int p_close(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	if (p_fdname(p, st, tk))
		return -1;
	sym_fd(tk, st->fd, true)->open = false;
	return 0;
}

int p_ftruncate(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	if (p_fdname(p, st, tk))
		return -1;
	return p_size(p, p_next(p), "a file size", 0, &st->size);
}

/*
 * msync REGION[+0] [SIZE]: from the start of the region (both back ends sync
 * from there), printed REGION+0x0 like every address.
 */
int p_msync(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *at = p_next(p), *t;
	struct sym_region *r;

	if (at && at->kind == T_WORD && strchr(at->s, '+')) {
		if (p_addr(p, at, tk, 0, false, &st->addr, &r))
			return -1;
		if (st->addr.off)
			return p_err(p, at, "the start of a region (msync REGION or REGION+0)");
	} else {
		if (p_name(p, at, "region", st->addr.region))
			return -1;
		r = sym_region(tk, st->addr.region, false);
		if (!r)
			return p_err(p, at, "a region of task %s", tk->name);
	}
	strcpy(st->name, st->addr.region);
	t = p_more(p);
	if (!t) {
		st->size = r->size;
		return 0;
	}
	p->i++;
	if (p_size(p, t, "a range size", SZ_4K, &st->size))
		return -1;
	if (!st->size || st->size > r->size)
		return p_err(p, t, "a range size inside region %s (0x%llx bytes)", r->name,
			     (unsigned long long)r->size);
	return 0;
}

int p_unlink(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	(void)tk;
	if (p_fsname(p, p_next(p), &st->fs, &st->file, true))
		return -1;
	sym_file(&p->sym, st->fs, st->file)->unlinked = true;
	return 0;
}

/* Optional "=> EXPECTATION", then the end of the line. */
static int p_tail(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	return p_results(p, st, tk);
}

int p_task_step(struct pctx *p, struct mf_stmt *st)
{
	struct tok *t = p_next(p), n;
	const char *dot = memchr(t->s, '.', t->len - 1);
	struct sym_task *tk;
	struct tok *opt;
	const struct stmt_kind *k;
	bool known;

	if (p_name_part(p, t, dot ? (size_t)(dot - t->s) : t->len - 1, "task", st->task))
		return -1;
	tk = sym_task(&p->sym, st->task);
	if (!tk)
		return p_err(p, t, "a declared task before ':'");
	if (tk->exited)
		return p_err(p, t, "a task that has not exited (%s exited)", st->task);
	if (dot) {
		n = *t;
		n.s = (char *)dot + 1;
		if (p_name_part(p, &n, t->len - 1 - (size_t)(dot + 1 - t->s), "thread", st->thread))
			return -1;
		if (!strcmp(st->thread, "main"))
			st->thread[0] = 0;
		else if (!sym_thread(tk, st->thread))
			return p_err(p, t, "a declared thread of %s", st->task);
	}
	opt = p_word(p, "a task operation");
	if (!opt)
		return -1;
	k = stmt_lookup(p, MF_CLASS_TASK, opt->s, &known);
	if (!k) {
		struct sbuf ops = { 0 };

		if (!known) {
			stmt_word_list(&ops, MF_CLASS_TASK);
			p_err(p, opt, "a task operation: %s", ops.s);
			sb_free(&ops);
		}
		return -1;
	}
	st->op = (enum mf_op)(k - stmt_kinds);
	if (k->parse(p, st, tk))
		return -1;
	return p_tail(p, st, tk);
}

