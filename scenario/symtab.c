/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Static symbol tables: what the parser knows about tasks, regions, fds,
 * files and labels at each point of the file, for the static checks. Every
 * lookup goes through a hash map (name -> latest index), so parsing stays
 * linear in the number of names a scenario declares.
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "parse.h"

static uint32_t hash_str(const char *s, uint32_t h)
{
	for (; *s; s++)		/* FNV-1a */
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static uint32_t hash_key(const char *key, int tag)
{
	return hash_str(key, 2166136261u ^ (uint32_t)tag);
}

static void map_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->e[i].key);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static struct strmap_ent *map_slot(const struct strmap *m, const char *key, int tag)
{
	size_t mask = m->cap - 1, i = hash_key(key, tag) & mask;

	while (m->e[i].key && (m->e[i].tag != tag || strcmp(m->e[i].key, key)))
		i = (i + 1) & mask;
	return &m->e[i];
}

/* Index of key (with tag: the file system of a file name), or -1. */
static int map_get(const struct strmap *m, const char *key, int tag)
{
	const struct strmap_ent *e = m->cap ? map_slot(m, key, tag) : NULL;

	return e && e->key ? e->idx : -1;
}

static void map_put(struct strmap *m, const char *key, int tag, int idx)
{
	struct strmap_ent *e;

	if (2 * (m->n + 1) > m->cap) {
		struct strmap old = *m;

		m->cap = old.cap ? 2 * old.cap : 16;
		m->n = 0;
		m->e = xcalloc(m->cap, sizeof(*m->e), "growing a parser symbol table");
		for (size_t i = 0; i < old.cap; i++)
			if (old.e[i].key) {
				*map_slot(m, old.e[i].key, old.e[i].tag) = old.e[i];
				m->n++;
			}
		free(old.e);
	}
	e = map_slot(m, key, tag);
	if (!e->key) {
		e->key = xstrdup(key, "growing a parser symbol table");
		e->tag = tag;
		m->n++;
	}
	e->idx = idx;
}

static void task_free(struct sym_task *t)
{
	free(t->reg);
	free(t->fd);
	map_free(&t->reg_map);
	map_free(&t->fd_map);
	map_free(&t->thr_map);
}

void sym_free(struct symtab *s)
{
	for (int i = 0; i < s->ntask; i++)
		task_free(&s->task[i]);
	free(s->task);
	free(s->file);
	map_free(&s->task_map);
	map_free(&s->file_map);
	map_free(&s->label_map);
	memset(s, 0, sizeof(*s));
}

struct sym_task *sym_task(struct symtab *s, const char *name)
{
	int i = map_get(&s->task_map, name, 0);

	return i < 0 ? NULL : &s->task[i];
}

/* fork: the child has the parent's regions and fds, and only the main thread */
static void task_copy(struct sym_task *t, const struct sym_task *pt)
{
	t->nreg = t->capreg = pt->nreg;
	t->nfd = t->capfd = pt->nfd;
	t->reg = xrealloc_array(NULL, pt->nreg + 1, sizeof(*t->reg), "forking a task");
	t->fd = xrealloc_array(NULL, pt->nfd + 1, sizeof(*t->fd), "forking a task");
	if (pt->nreg)
		memcpy(t->reg, pt->reg, pt->nreg * sizeof(*t->reg));
	if (pt->nfd)
		memcpy(t->fd, pt->fd, pt->nfd * sizeof(*t->fd));
	for (int i = 0; i < t->nreg; i++)
		map_put(&t->reg_map, t->reg[i].name, 0, i);
	for (int i = 0; i < t->nfd; i++)
		map_put(&t->fd_map, t->fd[i].name, 0, i);
}

struct sym_task *sym_task_add(struct symtab *s, const char *name, const struct sym_task *parent)
{
	struct sym_task *t;
	int pi = parent ? (int)(parent - s->task) : -1;

	ARRAY_GROW(s->task, s->ntask, s->captask, "declaring a task");
	t = &s->task[s->ntask];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	map_put(&s->task_map, name, 0, s->ntask++);
	if (pi >= 0)
		task_copy(t, &s->task[pi]);
	return t;
}

bool sym_thread(const struct sym_task *t, const char *name)
{
	return map_get(&t->thr_map, name, 0) >= 0;
}

void sym_thread_add(struct sym_task *t, const char *name)
{
	map_put(&t->thr_map, name, 0, t->nthr++);
}

struct sym_region *sym_region(struct sym_task *t, const char *name, bool ever)
{
	/* A name is mapped again only when no region of that name is live: the
	 * latest region of a name is the live one, if any. */
	int i = map_get(&t->reg_map, name, 0);

	if (i < 0 || (!t->reg[i].live && !ever))
		return NULL;
	return &t->reg[i];
}

struct sym_region *sym_region_add(struct sym_task *t, const char *name)
{
	struct sym_region *r;

	ARRAY_GROW(t->reg, t->nreg, t->capreg, "declaring a region");
	r = &t->reg[t->nreg];
	memset(r, 0, sizeof(*r));
	strcpy(r->name, name);
	r->live = true;
	map_put(&t->reg_map, name, 0, t->nreg++);
	return r;
}

struct sym_fd *sym_fd(struct sym_task *t, const char *name, bool open_only)
{
	int i = map_get(&t->fd_map, name, 0);

	if (i < 0 || (!t->fd[i].open && open_only))
		return NULL;
	return &t->fd[i];
}

struct sym_fd *sym_fd_add(struct sym_task *t, const char *name)
{
	struct sym_fd *f;

	ARRAY_GROW(t->fd, t->nfd, t->capfd, "opening an fd");
	f = &t->fd[t->nfd];
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	f->open = true;
	map_put(&t->fd_map, name, 0, t->nfd++);
	return f;
}

struct sym_file *sym_file(struct symtab *s, enum mf_fs fs, const char *name)
{
	int i = map_get(&s->file_map, name, (int)fs);

	return i < 0 ? NULL : &s->file[i];
}

struct sym_file *sym_file_add(struct symtab *s, enum mf_fs fs, const char *name)
{
	struct sym_file *f;

	ARRAY_GROW(s->file, s->nfile, s->capfile, "declaring a file");
	f = &s->file[s->nfile];
	memset(f, 0, sizeof(*f));
	f->fs = fs;
	strcpy(f->name, name);
	map_put(&s->file_map, name, (int)fs, s->nfile++);
	return f;
}

bool sym_label(const struct symtab *s, const char *name)
{
	return map_get(&s->label_map, name, 0) >= 0;
}

void sym_label_add(struct symtab *s, const char *name)
{
	map_put(&s->label_map, name, 0, s->nlabel++);
}
