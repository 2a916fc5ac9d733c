/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser: file names, addresses, page references (spec section 6), labels and page flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stmt.h"

int p_fsname(struct pctx *p, const struct tok *t, enum mf_fs *fs, const char **file,
	     bool declared)
{
	const char *c = t && t->kind == T_WORD ? strchr(t->s, ':') : NULL;
	struct sym_file *f;
	int i;

	if (!c)
		return p_err(p, t, "a file disk:NAME, tmpfs:NAME or hugetlbfs:NAME");
	for (i = 0; mf_fs_names[i]; i++)
		if ((size_t)(c - t->s) == strlen(mf_fs_names[i]) &&
		    !strncmp(t->s, mf_fs_names[i], c - t->s))
			break;
	if (!mf_fs_names[i])
		return p_err(p, t, "a file system disk, tmpfs or hugetlbfs before ':'");
	if (!name_okn(c + 1, strlen(c + 1), true))
		return p_err(p, t, "a file name ([A-Za-z_][A-Za-z0-9_.-]*)");
	if (strlen(c + 1) > MF_PATH_MAX - 1)
		return p_err(p, t, "a file name of at most %d bytes", MF_PATH_MAX - 1);
	*fs = (enum mf_fs)i;
	*file = sc_strdup(p->sc, c + 1);
	if (!declared)
		return 0;
	f = sym_file(&p->sym, *fs, *file);
	if (!f)
		return p_err(p, t, "a declared file (declare it with 'file %s size=...')", t->s);
	if (f->unlinked)
		return p_err(p, t, "a file that exists (%s was unlinked)", t->s);
	return 0;
}

int p_addr(struct pctx *p, const struct tok *t, struct sym_task *task, uint64_t len,
	   bool ever, struct mf_addr *a, struct sym_region **rp)
{
	char name[MF_NAME_MAX];
	const char *plus;
	struct sym_region *r;
	size_t n;

	if (!t || t->kind != T_WORD)
		return p_err(p, t, "an address REGION+OFFSET");
	plus = strchr(t->s, '+');
	n = plus ? (size_t)(plus - t->s) : t->len;
	if (!name_okn(t->s, n, false))
		return p_err(p, t, "an address REGION+OFFSET");
	if (n > MF_NAME_MAX - 1)
		return p_err(p, t, "an address REGION+OFFSET with a region name of at most %d bytes",
			     MF_NAME_MAX - 1);
	memcpy(name, t->s, n);
	name[n] = 0;
	a->off = 0;
	if (plus && p_number(plus + 1, true, &a->off))
		return p_err(p, t, "an address REGION+OFFSET (offset: a number, may end in K, M, G or T)");
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
					     "metadata-busy", "file", "pmem", NULL };

bool p_reserved_ref(const char *name)
{
	return word_index(name, reserved_refs) >= 0;
}

/* file FS:NAME+OFFSET */
static int p_fileref(struct pctx *p, struct mf_pageref *ref)
{
	struct tok *f = p_word(p, "a file FS:NAME+OFFSET");
	char buf[MF_PATH_MAX + 32];
	const char *plus;
	struct tok tmp;

	if (!f)
		return -1;
	plus = strchr(f->s, '+');
	if ((plus ? (size_t)(plus - f->s) : f->len) >= sizeof(buf))
		return p_err(p, f, "a file FS:NAME+OFFSET with a name of at most %d bytes",
			     MF_PATH_MAX - 1);
	snprintf(buf, sizeof(buf), "%.*s", plus ? (int)(plus - f->s) : (int)f->len, f->s);
	tmp = *f;
	tmp.s = buf;
	tmp.len = strlen(buf);
	ref->kind = MF_PREF_FILE;
	if (p_fsname(p, &tmp, &ref->fs, &ref->file, false))
		return -1;
	if (!sym_file(&p->sym, ref->fs, ref->file))
		return p_err(p, f, "a declared file");
	if (plus && p_number(plus + 1, true, &ref->file_off))
		return p_err(p, f, "a file offset (a number, may end in K, M, G or T)");
	return 0;
}

/* TASK:REGION+OFFSET (c: the ':') */
static int p_taskref(struct pctx *p, const struct tok *t, const char *c, struct mf_pageref *ref)
{
	char task[MF_NAME_MAX];
	struct sym_task *tk;
	struct tok tmp = *t;

	ref->kind = MF_PREF_TASK;
	if ((size_t)(c - t->s) >= sizeof(task))
		return p_err(p, t, "a task name of at most %d bytes before ':'", MF_NAME_MAX - 1);
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
}

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
			return p_err(p, t, "pmem+OFFSET (a number, may end in K, M, G or T)");
		if (ref->file_off >= p->sc->machine.pmem)
			return p_err(p, t, "an offset inside the pmem (%llu bytes)",
				     (unsigned long long)p->sc->machine.pmem);
	} else if (!strcmp(t->s, "file")) {
		return p_fileref(p, ref);
	} else if ((c = strchr(t->s, ':'))) {
		return p_taskref(p, t, c, ref);
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
	if (p_reserved_ref(out))
		return p_err(p, t, "a label name that is not a page-reference keyword");
	if (sym_label(&p->sym, out))
		return p_err(p, t, "a new label name (%s is already bound)", out);
	sym_label_add(&p->sym, out);
	return 0;
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

