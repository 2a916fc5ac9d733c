/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Static symbol tables: what the parser knows about tasks, regions, fds,
 * files and labels at each point of the file, for the static checks.
 */
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static void *grow(void *p, int n, size_t sz)
{
	/* Arrays grow one element at a time: scenarios are small. */
	p = realloc(p, (size_t)(n + 1) * sz);
	if (!p)
		abort();
	memset((char *)p + (size_t)n * sz, 0, sz);
	return p;
}

static void task_free(struct sym_task *t)
{
	free(t->reg);
	free(t->fd);
	free(t->thr);
}

void sym_free(struct symtab *s)
{
	for (int i = 0; i < s->ntask; i++)
		task_free(&s->task[i]);
	free(s->task);
	free(s->file);
	free(s->label);
	memset(s, 0, sizeof(*s));
}

struct sym_task *sym_task(struct symtab *s, const char *name)
{
	for (int i = 0; i < s->ntask; i++)
		if (!strcmp(s->task[i].name, name))
			return &s->task[i];
	return NULL;
}

struct sym_task *sym_task_add(struct symtab *s, const char *name, const struct sym_task *parent)
{
	struct sym_task *t;
	int pi = parent ? (int)(parent - s->task) : -1;

	s->task = grow(s->task, s->ntask, sizeof(*s->task));
	t = &s->task[s->ntask++];
	strcpy(t->name, name);
	if (pi >= 0) {
		/* fork: same regions and fds; only the main thread */
		const struct sym_task *pt = &s->task[pi];

		t->nreg = pt->nreg;
		t->nfd = pt->nfd;
		if (pt->nreg) {
			t->reg = malloc(pt->nreg * sizeof(*t->reg));
			memcpy(t->reg, pt->reg, pt->nreg * sizeof(*t->reg));
		}
		if (pt->nfd) {
			t->fd = malloc(pt->nfd * sizeof(*t->fd));
			memcpy(t->fd, pt->fd, pt->nfd * sizeof(*t->fd));
		}
	}
	return t;
}

bool sym_thread(const struct sym_task *t, const char *name)
{
	for (int i = 0; i < t->nthr; i++)
		if (!strcmp(t->thr[i], name))
			return true;
	return false;
}

void sym_thread_add(struct sym_task *t, const char *name)
{
	t->thr = grow(t->thr, t->nthr, sizeof(*t->thr));
	strcpy(t->thr[t->nthr++], name);
}

struct sym_region *sym_region(struct sym_task *t, const char *name, bool ever)
{
	struct sym_region *found = NULL;

	for (int i = 0; i < t->nreg; i++) {
		if (strcmp(t->reg[i].name, name))
			continue;
		if (t->reg[i].live)
			return &t->reg[i];
		if (ever)
			found = &t->reg[i];
	}
	return found;
}

struct sym_region *sym_region_add(struct sym_task *t, const char *name)
{
	struct sym_region *r;

	t->reg = grow(t->reg, t->nreg, sizeof(*t->reg));
	r = &t->reg[t->nreg++];
	strcpy(r->name, name);
	r->live = true;
	return r;
}

struct sym_fd *sym_fd(struct sym_task *t, const char *name, bool open_only)
{
	for (int i = 0; i < t->nfd; i++)
		if (!strcmp(t->fd[i].name, name) && (t->fd[i].open || !open_only))
			return &t->fd[i];
	return NULL;
}

struct sym_fd *sym_fd_add(struct sym_task *t, const char *name)
{
	struct sym_fd *f;

	t->fd = grow(t->fd, t->nfd, sizeof(*t->fd));
	f = &t->fd[t->nfd++];
	strcpy(f->name, name);
	f->open = true;
	return f;
}

struct sym_file *sym_file(struct symtab *s, enum mf_fs fs, const char *name)
{
	for (int i = 0; i < s->nfile; i++)
		if (s->file[i].fs == fs && !strcmp(s->file[i].name, name))
			return &s->file[i];
	return NULL;
}

struct sym_file *sym_file_add(struct symtab *s, enum mf_fs fs, const char *name)
{
	struct sym_file *f;

	s->file = grow(s->file, s->nfile, sizeof(*s->file));
	f = &s->file[s->nfile++];
	f->fs = fs;
	strcpy(f->name, name);
	return f;
}

bool sym_label(const struct symtab *s, const char *name)
{
	for (int i = 0; i < s->nlabel; i++)
		if (!strcmp(s->label[i], name))
			return true;
	return false;
}

void sym_label_add(struct symtab *s, const char *name)
{
	s->label = grow(s->label, s->nlabel, sizeof(*s->label));
	strcpy(s->label[s->nlabel++], name);
}
