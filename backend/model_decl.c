// SPDX-License-Identifier: GPL-2.0-only
/* The model back end's declarations: files, tasks, threads, sysctls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* The sentence a failed sysctl gets in a scenario. */
void mb_sysctl_msg(struct mf_result *res, const char *key, const char *val, int err)
{
	res->kind = MF_RES_ERROR;
	if (!strncmp(key, "memfail.", 8))
		snprintf(res->msg, sizeof(res->msg), "sysctl %s=%s: %s", key, val,
			 err == -ENOENT ? "no such memfail knob" : "bad value");
	else if (err == -EINVAL)
		snprintf(res->msg, sizeof(res->msg), "sysctl %s=%s: expected 0 or 1", key, val);
	else
		snprintf(res->msg, sizeof(res->msg), "sysctl %s: not modelled", key);
}

void mb_decl_file(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
		  struct mf_result *res)
{
	static const int state[] = {
		[MF_FILE_SYNCED] = MF_FILE_INIT_SYNCED, [MF_FILE_DIRTY] = MF_FILE_INIT_DIRTY,
		[MF_FILE_HOLE] = MF_FILE_INIT_HOLE, [MF_FILE_UNCACHED] = MF_FILE_INIT_UNCACHED,
	};
	struct mf_file_init init = {
		st->size, state[st->fstate],
		{ st->pat.kind == MF_PAT_BYTE ? MF_FILL_BYTE : MF_FILL_INDEX, st->pat.byte, 0, 0 },
		st->aligned,
	};
	char path[MF_PATH_MAX + 16];
	int ret;

	(void)pfns;
	mb_path(path, sizeof(path), st->fs, st->file);
	ret = mf_file_create(mo->m, path, &init);
	if (ret == -EEXIST) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "cannot create file %s", st->file);
	} else if (ret && st->fs == MF_FS_HUGETLBFS) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "file %s: no free huge page", st->file);
	} else if (ret) {
		mb_set_errno(res, ret, false);
	}
}

static struct mb_proc *proc_new(struct model *mo, const char *name, int pid, const struct mb_proc *parent)
{
	struct mb_proc *p = xcalloc(1, sizeof(*p), "adding a task");
	int i;

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->pid = pid;
	for (i = 0; parent && i < parent->nreg; i++) {
		ARRAY_PUSH(p->reg, p->nreg, p->cap_reg, parent->reg[i], "copying regions");
		mb_names_put(&p->reg_idx, parent->reg[i].name, i);
	}
	for (i = 0; parent && i < parent->nfd; i++) {
		ARRAY_PUSH(p->fds, p->nfd, p->cap_fd, parent->fds[i], "copying fds");
		mb_names_put(&p->fd_idx, parent->fds[i].name, i);
	}
	for (i = 0; parent && i < parent->npin; i++)
		ARRAY_PUSH(p->pins, p->npin, p->cap_pin, parent->pins[i], "copying pins");
	mb_names_put(&mo->proc_idx, name, mo->nproc);
	ARRAY_PUSH(mo->procs, mo->nproc, mo->cap_proc, p, "adding a task");
	return p;
}

static void thread_new(struct model *mo, const char *name, int tid, struct mb_proc *p)
{
	struct mb_thread t = { .tid = tid, .proc = p };
	char key[16];

	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(key, sizeof(key), "%d", tid);
	mb_names_put(&mo->thread_idx, t.name, mo->nthread);
	mb_names_put(&mo->tid_idx, key, mo->nthread);
	ARRAY_PUSH(mo->threads, mo->nthread, mo->cap_thread, t, "adding a thread");
}

void mb_decl_task(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
		  struct mf_result *res)
{
	struct mb_proc *parent = st->parent[0] ? mb_proc(mo, st->parent) : NULL;
	int sigbus = st->sigbus_default ? MF_SIGBUS_DEFAULT : parent ? MF_SIGBUS_INHERIT : MF_SIGBUS_HANDLER;
	int pid = parent ? mf_fork(mo->m, parent->pid, st->task, sigbus) :
			   mf_task_create(mo->m, st->task, sigbus);

	(void)pfns;
	if (pid < 0) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "cannot create task %s", st->task);
		return;
	}
	thread_new(mo, st->task, pid, proc_new(mo, st->task, pid, parent));
}

void mb_decl_thread(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
		  struct mf_result *res)
{
	struct mb_proc *p = mb_proc(mo, st->task);
	char name[2 * MF_NAME_MAX];
	int tid = p ? mf_thread_create(mo->m, p->pid) : -ESRCH;

	(void)pfns;
	if (tid < 0) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "cannot create thread %s.%s", st->task, st->thread);
		return;
	}
	snprintf(name, sizeof(name), "%s.%s", st->task, st->thread);
	thread_new(mo, name, tid, p);
}

void mb_decl_sysctl(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
		  struct mf_result *res)
{
	int err = mf_sysctl_set(mo->m, st->sysctl_key, st->sysctl_val);

	(void)pfns;
	/* a vm.* sysctl this kernel lacks: open() of its /proc/sys file fails, as on Linux */
	if (err == -ENOENT && !strncmp(st->sysctl_key, "vm.", 3))
		mb_set_errno(res, err, false);
	else if (err)
		mb_sysctl_msg(res, st->sysctl_key, st->sysctl_val, err);
}
