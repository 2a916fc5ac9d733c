/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Back-end limits (struct mf_limits): a scenario that needs more tasks,
 * threads, regions, fds or pins than a back end has is refused before
 * anything runs, at the statement that goes beyond, naming the back end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/driver.h"

struct task_use {
	const char *name;
	int threads, regions, fds, pins;
};

struct use {
	struct task_use *t;
	int n, cap;
};

/* Tasks are at most lim->tasks when limited (else no per-task limits apply to many). */
static struct task_use *task_of(struct use *u, const char *name)
{
	for (int i = u->n - 1; i >= 0; i--)
		if (!strcmp(u->t[i].name, name))
			return &u->t[i];
	return NULL;
}

static int over(const char *name, int limit, const char *what, const char *task, char *msg,
		size_t len)
{
	snprintf(msg, len, "the %s back end runs at most %d %s%s%s; this statement needs one more",
		 name, limit, what, task ? " of task " : "", task ? task : "");
	return -1;
}

/* One statement's use; -1 with msg when it goes beyond lim. */
static int use_stmt(struct use *u, const struct mf_stmt *st, const char *name, const struct mf_limits *lim, char *msg, size_t len)
{
	struct task_use *t = st->op == MF_OP_TASK ? NULL : task_of(u, st->task);

	if (st->op == MF_OP_TASK) {
		struct task_use *parent = st->parent[0] ? task_of(u, st->parent) : NULL;
		struct task_use copy = parent ? *parent : (struct task_use){ 0 };

		if (lim->tasks && u->n >= lim->tasks)
			return over(name, lim->tasks, "tasks", NULL, msg, len);
		ARRAY_GROW(u->t, u->n, u->cap, "checking back-end limits");
		t = &u->t[u->n++];
		*t = copy;
		t->name = st->task;
		t->threads = 1;	/* fork: the child has the main thread only */
		t->pins = 0;
		return 0;
	}
	if (!t)
		return 0;
	switch (st->op) {
	case MF_OP_THREAD:
		if (lim->threads && t->threads >= lim->threads)
			return over(name, lim->threads, "threads", t->name, msg, len);
		t->threads++;
		break;
	case MF_OP_MMAP:
		if (lim->regions && t->regions >= lim->regions)
			return over(name, lim->regions, "regions mapped at once", t->name,
				    msg, len);
		t->regions++;
		break;
	case MF_OP_MUNMAP: t->regions--; break;
	case MF_OP_OPEN:
		if (lim->fds && t->fds >= lim->fds)
			return over(name, lim->fds, "fds open at once", t->name, msg, len);
		t->fds++;
		break;
	case MF_OP_CLOSE: t->fds--; break;
	case MF_OP_PIN:
		if (lim->pins && t->pins >= lim->pins)
			return over(name, lim->pins, "pins before an unpin", t->name, msg,
				    len);
		t->pins++;
		break;
	case MF_OP_UNPIN: t->pins = 0; break;
	default: break;
	}
	return 0;
}

const struct mf_stmt *mf_check_limits(const struct mf_scenario *sc, const char *name,
				      const struct mf_limits *lim, char *msg, size_t len)
{
	const struct mf_stmt *bad = NULL;
	struct use u = { 0 };

	for (int i = 0; i < sc->nstmt && !bad; i++)
		if (!sc->stmt[i].is_expect && use_stmt(&u, &sc->stmt[i], name, lim, msg, len))
			bad = &sc->stmt[i];
	free(u.t);
	return bad;
}

int mf_check_files_limits(char **files, int n, const char *name, const struct mf_limits *lim,
			  FILE *err)
{
	int rc = mf_check_files(files, n, err);

	for (int i = 0; i < n && !rc && lim; i++) {
		struct mf_parse_error perr;
		struct mf_scenario *sc = mf_scenario_parse_file(files[i], &perr);
		const struct mf_stmt *bad;
		char msg[256];

		if (sc && !sc->requires_model && (bad = mf_check_limits(sc, name, lim, msg, sizeof(msg)))) {
			fprintf(err, "%s:%d:%d: error: %s\n", sc->path, bad->line, bad->col, msg);
			rc = MF_EXIT_USAGE;
		}
		mf_scenario_free(sc);
	}
	return rc;
}
