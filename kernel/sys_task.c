// SPDX-License-Identifier: GPL-2.0-only
/*
 * Task system calls of the public API: processes, threads, exit, prctl, and
 * the two ledgers a caller reads: signals handlers received, processes that
 * died.
 */
#include <stdlib.h>
#include <string.h>

#include "sys-internal.h"

static int sigbus_ok(int sigbus, bool fork)
{
	return sigbus == MF_SIGBUS_HANDLER || sigbus == MF_SIGBUS_DEFAULT ||
	       (fork && sigbus == MF_SIGBUS_INHERIT);
}

static int task_new(struct mf_machine *mm, int ppid, const char *comm, int sigbus)
{
	struct task_struct *parent = NULL, *t;

	if (!comm || !sigbus_ok(sigbus, ppid != 0))
		return -EINVAL;
	if (ppid) {
		parent = sys_task(mm, ppid);
		if (!parent || parent->group_leader != parent)
			return -ESRCH;
	}
	t = parent ? task_fork(parent, comm) : task_create(mm->m, comm);
	if (sigbus != MF_SIGBUS_INHERIT)
		t->signal->sigbus = sigbus == MF_SIGBUS_DEFAULT ? SIG_DEFAULT : SIG_HANDLER;
	sys_task_add(mm, t);
	return t->pid;
}

static void replay_task(struct mf_machine *mm, const struct sys_rec *r)
{
	if (r->a[0])
		mf_fork(mm, (int)r->a[0], r->s[0], (int)r->a[1]);
	else
		mf_task_create(mm, r->s[0], (int)r->a[1]);
}

int mf_task_create(struct mf_machine *mm, const char *comm, int sigbus)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_task, (int64_t[]){ 0, sigbus }, 2, comm, NULL, NULL, 0);
	return (int)sys_leave(mm, task_new(mm, 0, comm, sigbus));
}

int mf_fork(struct mf_machine *mm, int pid, const char *comm, int sigbus)
{
	SYS_ENTER(mm);
	if (pid <= 0)
		return (int)sys_leave(mm, -ESRCH);
	sys_record(mm, replay_task, (int64_t[]){ pid, sigbus }, 2, comm, NULL, NULL, 0);
	return (int)sys_leave(mm, task_new(mm, pid, comm, sigbus));
}

static int thread_new(struct mf_machine *mm, int pid)
{
	struct task_struct *leader = sys_task(mm, pid), *t;

	if (!leader || leader->group_leader != leader)
		return -ESRCH;
	t = thread_create(leader, leader->comm);
	sys_task_add(mm, t);
	return t->pid;
}

static void replay_thread(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_thread_create(mm, (int)r->a[0]);
}

int mf_thread_create(struct mf_machine *mm, int pid)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_thread, (int64_t[]){ pid }, 1, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, thread_new(mm, pid));
}

static int exit_group(struct mf_machine *mm, int tid, int code)
{
	struct task_struct *t = sys_task(mm, tid);

	if (!t)
		return -ESRCH;
	do_exit_group(t, 0, code);
	return 0;
}

static void replay_exit(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_exit_group(mm, (int)r->a[0], (int)r->a[1]);
}

int mf_exit_group(struct mf_machine *mm, int tid, int code)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_exit, (int64_t[]){ tid, code }, 2, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, exit_group(mm, tid, code));
}

static int prctl(struct mf_machine *mm, int tid, unsigned long arg2, unsigned long arg3, bool get)
{
	struct task_struct *t = sys_task(mm, tid);

	if (!t)
		return -ESRCH;
	return get ? sys_prctl_mce_kill_get(t) : sys_prctl_mce_kill(t, arg2, arg3);
}

static void replay_prctl(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_prctl_mce_kill(mm, (int)r->a[0], (unsigned long)r->a[1], (unsigned long)r->a[2]);
}

int mf_prctl_mce_kill(struct mf_machine *mm, int tid, unsigned long arg2, unsigned long arg3)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_prctl, (int64_t[]){ tid, (int64_t)arg2, (int64_t)arg3 }, 3, NULL, NULL,
		   NULL, 0);
	return (int)sys_leave(mm, prctl(mm, tid, arg2, arg3, false));
}

int mf_prctl_mce_kill_get(struct mf_machine *mm, int tid)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, prctl(mm, tid, 0, 0, true));
}

static int proc_state(struct mf_machine *mm, int pid, int *value)
{
	struct task_struct *t = sys_task_any(mm, pid);
	struct signal_struct *sig;
	int v;

	if (!t || t->group_leader != t)
		return -ESRCH;
	sig = t->signal;
	if (!sig->dead)
		return MF_PROC_ALIVE;
	v = sig->exit_signal ? sig->exit_signal : sig->exit_code;
	if (value)
		*value = v;
	return sig->exit_signal ? MF_PROC_KILLED : MF_PROC_EXITED;
}

int mf_proc_state(struct mf_machine *mm, int pid, int *value)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, proc_state(mm, pid, value));
}

/* ---- the ledgers ---------------------------------------------------------------------- */

static int signal_next(struct mf_machine *mm, struct mf_sig *out)
{
	struct machine *m = mm->m;
	const struct sigrecord *s;

	if (mm->sig_pos >= m->nr_sigs) {
		m->nr_sigs = mm->sig_pos = 0;
		return 0;
	}
	s = &m->sigs[mm->sig_pos++];
	*out = (struct mf_sig){ s->tid, s->info.si_signo, s->info.si_code, s->info.si_addr,
				s->info.si_addr_lsb };
	if (mm->sig_pos == m->nr_sigs)
		m->nr_sigs = mm->sig_pos = 0;
	return 1;
}

static void replay_signal_next(struct mf_machine *mm, const struct sys_rec *r)
{
	struct mf_sig s;

	(void)r;
	mf_signal_next(mm, &s);
}

int mf_signal_next(struct mf_machine *mm, struct mf_sig *out)
{
	SYS_ENTER(mm);
	if (!out)
		return (int)sys_leave(mm, -EINVAL);
	sys_record(mm, replay_signal_next, NULL, 0, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, signal_next(mm, out));
}

void sys_exit_hook(void *ctx, struct task_struct *leader)
{
	struct mf_machine *mm = ctx;
	struct signal_struct *sig = leader->signal;
	struct sys_death d = { { leader->pid, sig->exit_signal, sig->exit_code }, sig->seq };

	ARRAY_PUSH(mm->deaths, mm->nr_deaths, mm->cap_deaths, d, "recording a death");
}

/* The pending death of the earliest-created process (the task list's order). */
static int death_next(struct mf_machine *mm, struct mf_death *out)
{
	int i, best = 0;

	if (!mm->nr_deaths)
		return 0;
	for (i = 1; i < mm->nr_deaths; i++)
		if (mm->deaths[i].seq < mm->deaths[best].seq)
			best = i;
	*out = mm->deaths[best].d;
	memmove(&mm->deaths[best], &mm->deaths[best + 1],
		(size_t)(mm->nr_deaths - best - 1) * sizeof(mm->deaths[0]));
	mm->nr_deaths--;
	return 1;
}

static void replay_death_next(struct mf_machine *mm, const struct sys_rec *r)
{
	struct mf_death d;

	(void)r;
	mf_death_next(mm, &d);
}

int mf_death_next(struct mf_machine *mm, struct mf_death *out)
{
	SYS_ENTER(mm);
	if (!out)
		return (int)sys_leave(mm, -EINVAL);
	sys_record(mm, replay_death_next, NULL, 0, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, death_next(mm, out));
}
