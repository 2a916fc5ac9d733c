/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser: header settings (machine, sysctl) and declarations (file, task, thread). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/memfail.h"
#include "stmt.h"

/* ---- header ---- */

int kv_split(struct pctx *p, const struct tok *t, char *key, size_t klen,
		    const char **val, const char *what)
{
	const char *eq = t && t->kind == T_WORD ? strchr(t->s, '=') : NULL;

	if (!eq || eq == t->s || (size_t)(eq - t->s) >= klen)
		return p_err(p, t, "%s", what);
	snprintf(key, klen, "%.*s", (int)(eq - t->s), t->s);
	*val = eq + 1;
	return 0;
}

int p_machine(struct pctx *p)
{
	static const char *const thp[] = { "never", "madvise", "always", NULL };
	static const char *const sthp[] = { "never", "advise", "within_size", "always", NULL };
	const char *what = "a machine setting memory=, swap=, hugepages=, overcommit=, thp=, "
			   "shmem_thp=, nodes= or pmem=";
	struct mf_machine_cfg *m = &p->sc->machine;
	struct tok *t;

	while ((t = p_next(p))) {
		char key[32];
		const char *val = NULL;	/* kv_split sets it (-O3 cannot tell) */
		uint64_t v;

		if (kv_split(p, t, key, sizeof(key), &val, what))
			return -1;
		if (!strcmp(key, "thp") || !strcmp(key, "shmem_thp")) {
			bool s = key[0] == 's';
			int i = word_index(val, s ? sthp : thp);

			if (i < 0)
				return p_err(p, t, s ? "shmem_thp=always|within_size|advise|never"
						     : "thp=always|madvise|never");
			if (s)
				m->shmem_thp = i;
			else
				m->thp = i;
			continue;
		}
		if (!strcmp(key, "pmem")) {
			/* legacy pmem (memmap=SIZE!1G in the guest), after RAM in the model */
			int rc = p_number(val, true, &v);

			if (rc)
				return p_err(p, t, "pmem=SIZE (%s)", p_number_problem(rc, val));
			if (!v || v % (2ull << 20))
				return p_err(p, t, "pmem=SIZE, a multiple of 2M");
			if (v > (8ull << 40))
				return p_err(p, t, "pmem= of at most 8T");
			m->pmem = v;
			continue;
		}
		if (!strcmp(key, "memory") || !strcmp(key, "swap")) {
			int rc = p_number(val, true, &v);

			if (rc)
				return p_err(p, t, "%s=SIZE (%s)", key, p_number_problem(rc, val));
			if (v % 4096)
				return p_err(p, t, "%s=SIZE, a multiple of 4K", key);
			if (key[0] == 'm' && v < (16ull << 20))
				return p_err(p, t, "memory= of at least 16M");
			if (v > (8ull << 40))
				return p_err(p, t, "%s= of at most 8T", key);
			if (key[0] == 'm')
				m->memory = v;
			else
				m->swap = v;
			continue;
		}
		if (strcmp(key, "hugepages") && strcmp(key, "overcommit") && strcmp(key, "nodes"))
			return p_err(p, t, "%s", what);
		if (p_number(val, false, &v) || v > 1000000)
			return p_err(p, t, "%s=N, a count", key);
		if (key[0] == 'h')
			m->hugepages = (long)v;
		else if (key[0] == 'o')
			m->overcommit = (long)v;
		else if (v < 1 || v > MF_MAX_NUMNODES)
			return p_err(p, t, "nodes=N with N from 1 to 64");
		else
			m->nodes = (int)v;
	}
	return 0;
}

/* The sysctls a scenario may set, and their values (NULL: a number, ignored). */
static const struct {
	const char *key;
	const char *const vals[3];
} sysctls[] = {
	{ "vm.memory_failure_early_kill", { "0", "1" } },
	{ "vm.memory_failure_recovery", { "0", "1" } },
	{ "vm.enable_soft_offline", { "0", "1" } },	/* 6.12 */
	/* accepted and ignored: write-back happens only when a scenario asks */
	{ "vm.dirty_background_bytes", { NULL } }, { "vm.dirty_background_ratio", { NULL } },
	{ "vm.dirty_bytes", { NULL } }, { "vm.dirty_ratio", { NULL } },
	{ "vm.dirty_expire_centisecs", { NULL } }, { "vm.dirty_writeback_centisecs", { NULL } },
	/* model-only knobs (docs/scenario-language.md, "memfail extensions") */
	{ "memfail.soft_offline_order", { "poison_then_put", "put_then_poison" } },
	{ "memfail.soft_offline_pause", { "0", "1" } },
	{ "memfail.dax_lookup", { "conflict", "load" } },
};

/* A known sysctl with a value it takes; else an error at t. */
static int sysctl_known(struct pctx *p, const struct tok *t, const char *key, const char *val)
{
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++) {
		const char *const *ok = sysctls[i].vals;

		if (strcmp(key, sysctls[i].key))
			continue;
		if (!ok[0] ? !p_number(val, false, &v) : !strcmp(val, ok[0]) || !strcmp(val, ok[1]))
			return 0;
		if (!ok[0])
			return p_err(p, t, "%s=N, a number", key);
		return p_err(p, t, "%s=%s or %s", key, ok[0], ok[1]);
	}
	return p_err(p, t, "a sysctl memfail knows (vm.memory_failure_early_kill, "
		     "vm.memory_failure_recovery, vm.enable_soft_offline, vm.dirty_*, "
		     "memfail.soft_offline_order, memfail.soft_offline_pause or "
		     "memfail.dax_lookup): %s is unknown", key);
}

int p_sysctl(struct pctx *p, char *key, char *val)
{
	struct tok *t = p_next(p);
	const char *v = NULL;	/* kv_split sets it (-O3 cannot tell) */

	if (kv_split(p, t, key, 64, &v, "KEY=VALUE, e.g. vm.memory_failure_early_kill=1"))
		return -1;
	if (!*v || strlen(v) >= 32)
		return p_err(p, t, "KEY=VALUE with a value of 1 to 31 bytes");
	if (sysctl_known(p, t, key, v))
		return -1;
	strcpy(val, v);
	return p_end(p, "end of line after the sysctl");
}

/* ---- declarations ---- */

int p_file_decl(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p);
	struct sym_file *f;
	bool have_size = false, have_state = false;

	(void)tk;
	if (p_fsname(p, t, &st->fs, &st->file, false))
		return -1;
	if (sym_file(&p->sym, st->fs, st->file))
		return p_err(p, t, "a new file name (%s is already declared)", t->s);
	if (MF_FS_IS_PMEM(st->fs)) {
		if (!p->sc->machine.pmem)
			return p_err(p, t, "a file system the machine has (pmem files need machine pmem=)");
		if (p->sym.pmem_fs && p->sym.pmem_fs != (int)st->fs)
			return p_err(p, t, "one pmem file system per scenario (%s files are "
				     "declared)", mf_fs_names[p->sym.pmem_fs]);
		p->sym.pmem_fs = (int)st->fs;
	}
	st->pat.kind = MF_PAT_INDEX;
	st->fstate = st->fs == MF_FS_DISK || MF_FS_IS_PMEM(st->fs) ? MF_FILE_SYNCED : MF_FILE_DIRTY;
	while ((t = p_next(p))) {
		int i;

		if (!strncmp(t->s, "size=", 5) && t->kind == T_WORD) {
			struct tok v = *t;

			v.s += 5;
			v.len -= 5;
			if (p_size(p, &v, "size=SIZE", st->fs == MF_FS_HUGETLBFS ? 2u << 20 : 4096,
				   &st->size))
				return -1;
			have_size = true;
		} else if (!strncmp(t->s, "fill=", 5) && t->kind == T_WORD) {
			struct tok v = *t;

			v.s += 5;
			v.len -= 5;
			if (p_pattern(p, &v, &st->pat))
				return -1;
		} else if (t->kind == T_WORD && !strcmp(t->s, "aligned") && MF_FS_IS_PMEM(st->fs)) {
			st->aligned = true;	/* 2 MiB-aligned extents: PMD mappings possible */
		} else if (t->kind == T_WORD && (i = word_index(t->s, mf_state_names)) >= 0) {
			if (have_state)
				return p_err(p, t, "one state only (synced, dirty, hole or uncached)");
			if (MF_FS_IS_PMEM(st->fs) && (i == MF_FILE_DIRTY || i == MF_FILE_UNCACHED))
				return p_err(p, t, "synced or hole (DAX files have no page cache)");
			if (st->fs != MF_FS_DISK && !MF_FS_IS_PMEM(st->fs) &&
			    (i == MF_FILE_SYNCED || i == MF_FILE_UNCACHED))
				return p_err(p, t, "dirty or hole (tmpfs and hugetlbfs have no "
					     "backing store)");
			st->fstate = (enum mf_file_state)i;
			have_state = true;
		} else {
			return p_err(p, t, "size=, fill=, synced, dirty, hole or uncached");
		}
	}
	if (!have_size)
		return p_err(p, NULL, "size=SIZE");
	f = sym_file_add(&p->sym, st->fs, st->file);
	f->size = st->size;
	return 0;
}

int p_task_decl(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_next(p);
	struct sym_task *parent = NULL;

	(void)tk;
	if (p_name(p, t, "task", st->task))
		return -1;
	if (sym_task(&p->sym, st->task))
		return p_err(p, t, "a new task name (%s is already declared)", st->task);
	if (p_accept(p, "fork")) {
		t = p_next(p);
		if (p_name(p, t, "task", st->parent))
			return -1;
		parent = sym_task(&p->sym, st->parent);
		if (!parent)
			return p_err(p, t, "a declared task to fork");
		if (parent->exited)
			return p_err(p, t, "a task that has not exited (%s exited)", st->parent);
	}
	if (p_accept(p, "sigbus=default"))
		st->sigbus_default = true;
	else if (p_accept(p, "sigbus=handler"))
		st->sigbus_default = false;
	if (p_end(p, parent ? "sigbus=default or end of line"
			    : "fork TASK, sigbus=default or end of line"))
		return -1;
	sym_task_add(&p->sym, st->task, parent);
	return 0;
}

int p_thread_decl(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	struct tok *t = p_word(p, "a thread TASK.NAME");
	char *dot;
	char task[MF_NAME_MAX];

	if (!t)
		return -1;
	dot = strchr(t->s, '.');
	if (!dot)
		return p_err(p, t, "a thread TASK.NAME");
	if (p_name_part(p, t, (size_t)(dot - t->s), "task", task))
		return -1;
	tk = sym_task(&p->sym, task);
	if (!tk)
		return p_err(p, t, "a thread of a declared task");
	if (tk->exited)
		return p_err(p, t, "a task that has not exited (%s exited)", task);
	strcpy(st->task, task);
	{
		struct tok n = *t;

		n.s = dot + 1;
		n.len = strlen(n.s);
		if (p_name(p, &n, "thread", st->thread))
			return -1;
	}
	if (!strcmp(st->thread, "main") || sym_thread(tk, st->thread))
		return p_err(p, t, "a new thread name (%s is taken)", st->thread);
	sym_thread_add(tk, st->thread);
	return p_end(p, NULL);
}


int p_sysctl_stmt(struct pctx *p, struct mf_stmt *st, struct sym_task *tk)
{
	char key[64], val[32];

	(void)tk;
	if (p_sysctl(p, key, val))
		return -1;
	st->sysctl_key = sc_strdup(p->sc, key);
	st->sysctl_val = sc_strdup(p->sc, val);
	return 0;
}
