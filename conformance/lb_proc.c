/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The controller's side of the task processes (lb_task.c is theirs): start a
 * task (a fork of the runner or of another task) and its threads, one RPC per
 * step over the task's socket, reap the dead, and the steps a task runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lb.h"
#include "memfail/array.h"

struct lb_task *lb_task_find(struct lb *lb, const char *name)
{
	for (int i = 0; i < lb->ntask; i++)
		if (!strcmp(lb->task[i]->name, name))
			return lb->task[i];
	return NULL;
}

struct lb_thread *lb_thread_find(struct lb_task *t, const char *thread)
{
	if (!thread || !thread[0] || !strcmp(thread, "main"))
		return &t->thr[0];
	for (int i = 1; i < t->nthr; i++)
		if (!strcmp(t->thr[i].name, thread))
			return &t->thr[i];
	return NULL;
}

void lb_close_channels(struct lb_task *t)
{
	for (int i = 0; i < t->nthr; i++) {
		if (t->thr[i].fd >= 0)
			close(t->thr[i].fd);
		t->thr[i].fd = -1;
	}
}

/* the process is gone (or going): wait for it and record how it ended */
void lb_reap(struct lb_task *t)
{
	int st = 0;

	lb_close_channels(t);
	if (t->state != MF_TASK_ALIVE)
		return;
	while (waitpid(t->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			t->state = MF_TASK_UNKNOWN;
			return;
		}
	}
	if (WIFSIGNALED(st)) {
		t->state = MF_TASK_KILLED;
		t->code = WTERMSIG(st);
	} else {
		t->state = MF_TASK_EXITED;
		t->code = WEXITSTATUS(st);
	}
}

/* one request, one reply: 0, or -1 when the channel is dead */
int lb_rpc(struct lb_thread *th, const struct lb_req *rq, struct lb_rep *rp, int *fd)
{
	if (th->fd < 0)
		return -1;
	if (lb_send_fd(th->fd, rq, sizeof(*rq), -1) < 0)
		return -1;
	memset(rp, 0, sizeof(*rp));
	if (lb_recv_fd(th->fd, rp, sizeof(*rp), fd) <= 0)
		return -1;
	return 0;
}

static int hello(int fd, int *id)
{
	return lb_recv_fd(fd, id, sizeof(*id), NULL) == (ssize_t)sizeof(*id) ? 0 : -1;
}

static struct lb_task *task_new(struct lb *lb, const char *name, int pid, int fd)
{
	struct lb_task *t = xcalloc(1, sizeof(*t), "a task");

	ARRAY_PUSH(lb->task, lb->ntask, lb->cap_task, t, "the task table");
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->pid = pid;
	t->state = MF_TASK_ALIVE;
	ARRAY_GROW(t->thr, t->nthr, t->cap_thr, "a task's threads");
	t->nthr = 1;
	snprintf(t->thr[0].name, sizeof(t->thr[0].name), "main");
	snprintf(t->thr[0].full, sizeof(t->thr[0].full), "%s", name);
	t->thr[0].tid = pid;
	t->thr[0].fd = fd;
	return t;
}

void lb_decl_task(struct lb *lb, const struct mf_stmt *st, struct mf_result *res)
{
	struct lb_req rq;
	struct lb_rep rp;
	int fd = -1, pid;

	if (st->parent[0]) {
		struct lb_task *p = lb_task_find(lb, st->parent);

		if (!p || p->state != MF_TASK_ALIVE) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "task %s is not alive", st->parent);
			return;
		}
		memset(&rq, 0, sizeof(rq));
		rq.op = LB_REQ_FORK;
		snprintf(rq.name, sizeof(rq.name), "%s", st->task);
		rq.sigbus_default = st->sigbus_default;
		if (lb_rpc(&p->thr[0], &rq, &rp, &fd) || rp.res.kind != MF_RES_OK || fd < 0 ||
		    hello(fd, &pid)) {
			if (fd >= 0)
				close(fd);
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "fork of %s failed", st->parent);
			return;
		}
		struct lb_task *t = task_new(lb, st->task, pid, fd);

		for (int i = 0; i < p->nreg; i++)
			ARRAY_PUSH(t->reg, t->nreg, t->cap_reg, p->reg[i], "a task's regions");
		res->kind = MF_RES_OK;
		return;
	}
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		lb_set_errno(res, errno);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		lb_set_errno(res, errno);
		close(sp[0]);
		close(sp[1]);
		return;
	}
	if (pid == 0) {
		int c = sp[1];

		if (c != 3) {
			dup2(c, 3);
			c = 3;
		}
		close_range(4, ~0U, 0);
		lb_task_main(c, st->task, st->sigbus_default);
	}
	close(sp[1]);
	if (hello(sp[0], &pid) < 0) {
		close(sp[0]);
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "task %s did not start", st->task);
		return;
	}
	task_new(lb, st->task, pid, sp[0]);
	res->kind = MF_RES_OK;
}

void lb_decl_thread(struct lb *lb, const struct mf_stmt *st, struct mf_result *res)
{
	struct lb_task *t = lb_task_find(lb, st->task);
	struct lb_req rq;
	struct lb_rep rp;
	int fd = -1, tid;

	if (!t || t->state != MF_TASK_ALIVE) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "cannot start thread %s.%s", st->task, st->thread);
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = LB_REQ_THREAD;
	snprintf(rq.name, sizeof(rq.name), "%s", st->thread);
	if (lb_rpc(&t->thr[0], &rq, &rp, &fd) || rp.res.kind != MF_RES_OK || fd < 0 || hello(fd, &tid)) {
		if (fd >= 0)
			close(fd);
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "thread %s.%s did not start", st->task, st->thread);
		return;
	}
	ARRAY_GROW(t->thr, t->nthr, t->cap_thr, "a task's threads");
	struct lb_thread *th = &t->thr[t->nthr++];

	snprintf(th->name, sizeof(th->name), "%s", st->thread);
	snprintf(th->full, sizeof(th->full), "%s.%s", st->task, st->thread);
	th->tid = tid;
	th->fd = fd;
	res->kind = MF_RES_OK;
}

static void region_forget(struct lb_task *t, const char *name)
{
	for (int i = 0; i < t->nreg; i++) {
		if (!strcmp(t->reg[i].name, name)) {
			t->reg[i] = t->reg[--t->nreg];
			return;
		}
	}
}

void lb_task_step(struct lb *lb, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		      struct mf_result *res)
{
	struct lb_task *t = lb_task_find(lb, st->task);
	struct lb_thread *th = t ? lb_thread_find(t, st->thread) : NULL;
	static struct lb_req rq;
	static struct lb_rep rp;

	if (!th || t->state != MF_TASK_ALIVE || th->fd < 0) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "task %s is not alive", st->task);
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = LB_REQ_STEP;
	rq.st = *st;
	rq.st.expect = NULL;
	if ((st->op == MF_OP_MMAP && st->mkind == MF_MAP_FILE) || st->op == MF_OP_OPEN ||
	    st->op == MF_OP_UNLINK)
		lb_file_path(st->fs, st->file, rq.path, sizeof(rq.path));
	if (st->op == MF_OP_MADVISE &&
	    (st->madv == MF_MADV_HWPOISON || st->madv == MF_MADV_SOFT_OFFLINE))
		for (int i = 0; i < nr; i++)
			if (pfns[i] != UINT64_MAX)	/* the driver's "not mapped yet" */
				lb_note_poison(lb, pfns[i]);
	if (lb_rpc(th, &rq, &rp, NULL)) {
		lb_reap(t);
		if (t->state == MF_TASK_KILLED) {
			res->kind = MF_RES_KILLED;
			res->killed_signo = t->code;
		} else {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "task %s exited during its step", st->task);
		}
		return;
	}
	*res = rp.res;
	if (st->op == MF_OP_MMAP && res->kind == MF_RES_OK) {
		ARRAY_GROW(t->reg, t->nreg, t->cap_reg, "a task's regions");
		struct lb_region *r = &t->reg[t->nreg++];

		snprintf(r->name, sizeof(r->name), "%s", st->name);
		r->addr = rp.addr;
		r->size = rp.size;
	}
	if (st->op == MF_OP_MUNMAP && res->kind == MF_RES_VALUE)
		region_forget(t, st->name);
	if (st->op == MF_OP_EXIT && res->kind == MF_RES_OK) {
		if (th == &t->thr[0]) {
			lb_reap(t);
		} else {
			close(th->fd);
			th->fd = -1;
		}
	}
}

void lb_reclaim_step(struct lb *lb, const struct mf_stmt *st, struct mf_result *res)
{
	struct lb_task *t = lb_task_find(lb, st->ref.task);
	struct lb_req rq;
	struct lb_rep rp;

	if (st->ref.kind == MF_PREF_FILE) {
		lb_reclaim_file(&st->ref, res);
		return;
	}
	if (st->ref.kind != MF_PREF_TASK || !t || t->state != MF_TASK_ALIVE) {
		res->kind = MF_RES_SKIP;
		snprintf(res->msg, sizeof(res->msg), "reclaim of this page reference");
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = LB_REQ_RECLAIM;
	rq.st = *st;
	rq.st.expect = NULL;
	if (lb_rpc(&t->thr[0], &rq, &rp, NULL)) {
		lb_reap(t);
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "task %s died", t->name);
		return;
	}
	*res = rp.res;
	if (res->kind == MF_RES_OK && rp.id)
		lb_set_errno(res, EAGAIN);
}
