/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser: task steps (spec section 5) and system steps (section 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define SZ_4K 4096ull
#define SZ_2M (2ull << 20)

static int word_in(const char *s, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return i;
	return -1;
}

/* "key=VALUE" word: the value as a token of its own (for error columns). */
static bool kv(const struct tok *t, const char *key, struct tok *val)
{
	size_t n = strlen(key);

	if (t->kind != T_WORD || strncmp(t->s, key, n) || t->s[n] != '=')
		return false;
	*val = *t;
	val->s = t->s + n + 1;
	val->len = t->len - n - 1;
	return true;
}

static int p_mmap(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p), v, *szt;
	struct sym_region *r;
	bool hugefs = false, tmpfs = false;
	uint64_t align;

	if (p_name(p, t, "region", st->name))
		return -1;
	if (sym_region(tk, st->name, false))
		return p_err(p, t, "a new region name (%s is mapped already in %s)", st->name,
			     tk->name);
	t = p_word(p, "anon, file FS:NAME, fd FD or sysv");
	if (!t)
		return -1;
	if (!strcmp(t->s, "anon")) {
		st->mkind = MF_MAP_ANON;
	} else if (!strcmp(t->s, "file")) {
		st->mkind = MF_MAP_FILE;
		t = p_next(p);
		if (p_fsname(p, t, &st->fs, st->file, true))
			return -1;
		hugefs = st->fs == MF_FS_HUGETLBFS;
		tmpfs = st->fs == MF_FS_TMPFS;
	} else if (!strcmp(t->s, "fd")) {
		struct sym_fd *f;

		st->mkind = MF_MAP_FD;
		t = p_next(p);
		if (p_name(p, t, "fd", st->fd))
			return -1;
		f = sym_fd(tk, st->fd, true);
		if (!f)
			return p_err(p, t, "an fd that %s opened", tk->name);
		st->fs = f->fs;
		strcpy(st->file, f->file);
		hugefs = f->fs == MF_FS_HUGETLBFS;
		tmpfs = f->fs == MF_FS_TMPFS;
	} else if (!strcmp(t->s, "sysv")) {
		st->mkind = MF_MAP_SYSV;
		st->shared = true;
	} else {
		return p_err(p, t, "anon, file FS:NAME, fd FD or sysv");
	}
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

		if (kv(t, "offset", &v) && file) {
			if (p_size(p, &v, "offset=SIZE", hugefs ? SZ_2M : SZ_4K, &st->offset))
				return -1;
		} else if (kv(t, "fill", &v) && anon) {
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

static int p_task_op(struct pctx *p, struct mf_stmt *st, struct sym_task *tk, struct tok *opt)
{
	static const char *const madv[] = { "hwpoison", "soft_offline", "hugepage", "nohugepage",
					    "dontneed", "pageout", "willneed", "collapse", "mergeable",
					    "unmergeable", NULL };
	static const char *const kill[] = { "early", "late", "clear", NULL };
	const char *op = opt->s;
	struct tok *t, v;
	int i;

	if (!strcmp(op, "mmap")) {
		st->op = MF_OP_MMAP;
		return p_mmap(p, st, tk);
	}
	if (!strcmp(op, "munmap")) {
		struct sym_region *r;

		st->op = MF_OP_MUNMAP;
		t = p_next(p);
		if (p_name(p, t, "region", st->name))
			return -1;
		r = sym_region(tk, st->name, false);
		if (!r)
			return p_err(p, t, "a region of task %s", tk->name);
		r->live = false;
		return 0;
	}
	if (!strcmp(op, "mlock") || !strcmp(op, "munlock")) {
		st->op = op[1] == 'l' ? MF_OP_MLOCK : MF_OP_MUNLOCK;
		return p_range(p, st, tk, true);
	}
	if (!strcmp(op, "pin")) {
		st->op = MF_OP_PIN;
		if (p_range(p, st, tk, false))
			return -1;
		/* one pipe per pin: vmsplice would block beyond its 16 buffers */
		if (st->size > 16 * SZ_4K || st->size % SZ_4K)
			return p_err(p, &p->ll->t[p->i - 1], "a pin size of at most 64K in 4K pages");
		return 0;
	}
	if (!strcmp(op, "unpin")) {
		st->op = MF_OP_UNPIN;
		return 0;
	}
	if (!strcmp(op, "madvise")) {
		st->op = MF_OP_MADVISE;
		if (p_range(p, st, tk, false))
			return -1;
		t = p_word(p, "an advice: hwpoison, soft_offline, hugepage, nohugepage, "
			   "dontneed, pageout, willneed, collapse, mergeable or unmergeable");
		if (!t)
			return -1;
		i = word_in(t->s, madv);
		if (i < 0)
			return p_err(p, t, "an advice: hwpoison, soft_offline, hugepage, "
				     "nohugepage, dontneed, pageout, willneed, collapse, mergeable "
				     "or unmergeable");
		st->madv = (enum mf_madv)i;
		if (i <= MF_MADV_SOFT_OFFLINE)
			return p_as(p, st->as);
		return 0;
	}
	if (!strcmp(op, "load") || !strcmp(op, "store")) {
		st->op = op[0] == 'l' ? MF_OP_LOAD : MF_OP_STORE;
		if (p_addr(p, p_next(p), tk, 1, false, &st->addr, NULL))
			return -1;
		if (st->op == MF_OP_STORE) {
			uint64_t b;

			t = p_next(p);
			if (!t || t->kind != T_WORD || p_number(t->s, false, &b) || b > 0xff)
				return p_err(p, t, "a byte value 0xNN");
			st->byte = (uint8_t)b;
		}
		return 0;
	}
	if (!strcmp(op, "fill") || !strcmp(op, "check")) {
		st->op = op[0] == 'f' ? MF_OP_FILL : MF_OP_CHECK;
		if (p_range(p, st, tk, false))
			return -1;
		return p_pattern(p, p_next(p), &st->pat);
	}
	if (!strcmp(op, "prctl")) {
		t = p_word(p, "mce_kill or mce_kill_get");
		if (!t)
			return -1;
		if (!strcmp(t->s, "mce_kill_get")) {
			st->op = MF_OP_PRCTL_MCE_KILL_GET;
			return 0;
		}
		if (strcmp(t->s, "mce_kill"))
			return p_err(p, t, "mce_kill or mce_kill_get");
		st->op = MF_OP_PRCTL_MCE_KILL;
		t = p_word(p, "early, late or clear");
		if (!t)
			return -1;
		i = word_in(t->s, kill);
		if (i < 0)
			return p_err(p, t, "early, late or clear");
		st->mce_kill = (enum mf_mce_kill)i;
		return 0;
	}
	if (!strcmp(op, "exit")) {
		st->op = MF_OP_EXIT;
		if (st->thread[0])
			return p_err(p, opt, "a step of the process (exit is written '%s: exit')",
				     tk->name);
		tk->exited = true;
		return 0;
	}
	if (!strcmp(op, "open")) {
		struct sym_fd *f;

		st->op = MF_OP_OPEN;
		t = p_next(p);
		if (p_name(p, t, "fd", st->fd))
			return -1;
		if (sym_fd(tk, st->fd, true))
			return p_err(p, t, "a new fd name (%s is open in %s)", st->fd, tk->name);
		strcpy(st->name, st->fd);
		if (p_fsname(p, p_next(p), &st->fs, st->file, true))
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
		strcpy(f->file, st->file);
		return 0;
	}
	if (!strcmp(op, "read") || !strcmp(op, "write") || !strcmp(op, "punch")) {
		st->op = op[0] == 'r' ? MF_OP_READ : op[0] == 'w' ? MF_OP_WRITE : MF_OP_PUNCH;
		if (p_fdname(p, st, tk))
			return -1;
		if (p_size(p, p_next(p), "a file offset", 0, &st->offset))
			return -1;
		t = p_next(p);
		if (p_size(p, t, "a length", 0, &st->size))
			return -1;
		if (!st->size)
			return p_err(p, t, "a length above 0");
		if (st->op == MF_OP_WRITE) {
			st->pat.kind = MF_PAT_INDEX;
			t = p_more(p);
			if (t) {
				if (!kv(t, "fill", &v))
					return p_err(p, t, "fill=index|0xNN or end of line");
				p->i++;
				return p_pattern(p, &v, &st->pat);
			}
		}
		return 0;
	}
	if (!strcmp(op, "fsync") || !strcmp(op, "fdatasync") || !strcmp(op, "close")) {
		st->op = op[0] == 'c' ? MF_OP_CLOSE : op[1] == 's' ? MF_OP_FSYNC : MF_OP_FDATASYNC;
		if (p_fdname(p, st, tk))
			return -1;
		if (st->op == MF_OP_CLOSE)
			sym_fd(tk, st->fd, true)->open = false;
		return 0;
	}
	if (!strcmp(op, "ftruncate")) {
		st->op = MF_OP_FTRUNCATE;
		if (p_fdname(p, st, tk))
			return -1;
		return p_size(p, p_next(p), "a file size", 0, &st->size);
	}
	if (!strcmp(op, "msync")) {
		struct sym_region *r;

		st->op = MF_OP_MSYNC;
		t = p_next(p);
		if (p_name(p, t, "region", st->name))
			return -1;
		r = sym_region(tk, st->name, false);
		if (!r)
			return p_err(p, t, "a region of task %s", tk->name);
		st->addr.off = 0;
		strcpy(st->addr.region, st->name);
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
	if (!strcmp(op, "unlink")) {
		st->op = MF_OP_UNLINK;
		if (p_fsname(p, p_next(p), &st->fs, st->file, true))
			return -1;
		sym_file(&p->sym, st->fs, st->file)->unlinked = true;
		return 0;
	}
	return p_err(p, opt, "a task operation: mmap, munmap, mlock, munlock, madvise, load, "
		     "store, fill, check, prctl, exit, open, read, write, fsync, fdatasync, "
		     "msync, ftruncate, punch, close or unlink");
}

/* Optional "=> EXPECTATION", then the end of the line. */
static int p_tail(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	if (p_accept(p, "=>"))
		return p_expres(p, st, tk);
	return p_end(p, NULL);
}

int p_task_step(struct pctx *p, struct mf_stmt *st)
{
	struct tok *t = p_next(p), n;
	char who[64];
	char *dot;
	struct sym_task *tk;
	struct tok *opt;

	if (t->len >= sizeof(who))
		return p_err(p, t, "TASK: or TASK.THREAD:");
	snprintf(who, sizeof(who), "%.*s", (int)t->len - 1, t->s);
	dot = strchr(who, '.');
	if (dot)
		*dot = 0;
	n = *t;
	n.s = who;
	n.len = strlen(who);
	if (p_name(p, &n, "task", st->task))
		return -1;
	tk = sym_task(&p->sym, st->task);
	if (!tk)
		return p_err(p, t, "a declared task before ':'");
	if (tk->exited)
		return p_err(p, t, "a task that has not exited (%s exited)", st->task);
	if (dot) {
		n.s = dot + 1;
		n.len = strlen(n.s);
		if (p_name(p, &n, "thread", st->thread))
			return -1;
		if (!strcmp(st->thread, "main"))
			st->thread[0] = 0;
		else if (!sym_thread(tk, st->thread))
			return p_err(p, t, "a declared thread of %s", st->task);
	}
	opt = p_word(p, "a task operation");
	if (!opt)
		return -1;
	if (p_task_op(p, st, tk, opt))
		return -1;
	return p_tail(p, st, tk);
}

static int p_filter(struct pctx *p, struct mf_stmt *st)
{
	struct tok *t = p_word(p, "enable or disable"), v;

	if (!t)
		return -1;
	if (!strcmp(t->s, "disable")) {
		st->op = MF_OP_FILTER_DISABLE;
		return 0;
	}
	if (strcmp(t->s, "enable"))
		return p_err(p, t, "enable or disable");
	st->op = MF_OP_FILTER_ENABLE;
	while ((t = p_more(p))) {
		if (kv(t, "flags-mask", &v)) {
			if (p_kpf_flags(p, t, v.s, &st->flags_mask))
				return -1;
		} else if (kv(t, "flags-value", &v)) {
			if (p_kpf_flags(p, t, v.s, &st->flags_value))
				return -1;
		} else {
			return p_err(p, t, "flags-mask=FLAGS, flags-value=FLAGS or end of line");
		}
		p->i++;
	}
	return 0;
}

/* reflink SRC DST [SRC_OFF LEN DST_OFF]: FICLONE, or FICLONERANGE of 4K-aligned ranges */
static int p_reflink(struct pctx *p, struct mf_stmt *st)
{
	struct tok *t = p_next(p);
	enum mf_fs fs2;
	struct sym_file *f;

	st->op = MF_OP_REFLINK;
	if (p_fsname(p, t, &st->fs, st->file, true))
		return -1;
	if (!MF_FS_IS_PMEM(st->fs))
		return p_err(p, t, "a pmem file (pmem-xfs:NAME ...) to clone");
	t = p_next(p);
	if (p_fsname(p, t, &fs2, st->file2, true))
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
	struct tok *opt = p_next(p), *t;
	const char *op = opt->s;

	if (!strcmp(op, "corrupt-pfn") || !strcmp(op, "hard-offline") ||
	    !strcmp(op, "soft-offline")) {
		st->op = op[0] == 'c' ? MF_OP_CORRUPT_PFN : op[0] == 'h' ? MF_OP_HARD_OFFLINE
								     : MF_OP_SOFT_OFFLINE;
		if (p_pageref(p, &st->ref) || p_as(p, st->as))
			return -1;
	} else if (!strcmp(op, "unpoison") || !strcmp(op, "reclaim")) {
		st->op = op[0] == 'u' ? MF_OP_UNPOISON : MF_OP_RECLAIM;
		if (p_pageref(p, &st->ref))
			return -1;
	} else if (!strcmp(op, "mce")) {
		t = p_word(p, "srao or srar");
		if (!t)
			return -1;
		if (!strcmp(t->s, "srao"))
			st->op = MF_OP_MCE_SRAO;
		else if (!strcmp(t->s, "srar"))
			st->op = MF_OP_MCE_SRAR;
		else
			return p_err(p, t, "srao or srar");
		t = p_peek(p);
		if (p_pageref(p, &st->ref))
			return -1;
		if (st->op == MF_OP_MCE_SRAR && st->ref.kind != MF_PREF_TASK)
			return p_err(p, t, "TASK:REGION+OFF (srar is consumed by that task's load)");
		if (p_as(p, st->as))
			return -1;
	} else if (!strcmp(op, "filter")) {
		if (p_filter(p, st))
			return -1;
	} else if (!strcmp(op, "reflink")) {
		if (p_reflink(p, st))
			return -1;
	} else if (!strcmp(op, "sync")) {
		st->op = MF_OP_SYNC;
	} else if (!strcmp(op, "ksm-scan")) {
		st->op = MF_OP_KSM_SCAN;
	} else if (!strcmp(op, "drop_caches")) {
		st->op = MF_OP_DROP_CACHES;
		t = p_next(p);
		if (!t || t->kind != T_WORD || strlen(t->s) != 1 || t->s[0] < '1' || t->s[0] > '3')
			return p_err(p, t, "1, 2 or 3");
		st->drop_caches = t->s[0] - '0';
	} else if (!strcmp(op, "label")) {
		struct tok *name = p_next(p);
		char tmp[MF_NAME_MAX];

		st->op = MF_OP_LABEL;
		if (p_name(p, name, "label", tmp))
			return -1;
		t = p_next(p);
		if (!t || t->kind != T_WORD || strcmp(t->s, "="))
			return p_err(p, t, "'='");
		if (p_pageref(p, &st->ref))
			return -1;
		/* bound after the reference, so "label P = P" is an error */
		if (sym_label(&p->sym, tmp))
			return p_err(p, name, "a new label name (%s is already bound)", tmp);
		{
			static const char *const res[] = { "free", "free-huge", "kernel", "slab",
							   "metadata", "metadata-busy", "file", "pmem",
							   NULL };

			if (word_in(tmp, res) >= 0)
				return p_err(p, name, "a label name that is not a page-reference "
					     "keyword");
		}
		sym_label_add(&p->sym, tmp);
		strcpy(st->name, tmp);
	}
	if (p_accept(p, "=>"))
		return p_expres(p, st, NULL);
	return p_end(p, NULL);
}
