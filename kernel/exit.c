/* SPDX-License-Identifier: GPL-2.0-only */
/* Process exit: tear down the address space and drop every reference it held. */
#include <stdlib.h>

#include "memfail/mm.h"

static void close_files(struct task_struct *t)
{
	struct files_struct *f = t->files;
	int i;

	for (i = 0; i < f->nr; i++)
		if (f->fd[i])
			fput(f->fd[i]);
	free(f->fd);
	f->fd = NULL;
	f->nr = 0;
}

/* The whole thread group dies: by a signal (signo) or exit(code). */
void do_exit_group(struct task_struct *t, int signo, int code)
{
	struct task_struct *leader = t->group_leader;
	struct signal_struct *sig = leader->signal;
	int i;

	if (sig->dead)
		return;
	sig->dead = true;
	sig->exit_signal = signo;
	sig->exit_code = code;
	if (leader->m->exit_hook)
		leader->m->exit_hook(leader->m->exit_hook_ctx, leader);
	close_files(leader);
	if (leader->mm) {
		mmput(leader->m, leader->mm);
		for (i = 0; i < sig->nr_threads; i++)
			sig->threads[i]->mm = NULL;
	}
}

/* Forget a process entirely (after it died, or at machine teardown). */
void task_release(struct task_struct *leader)
{
	struct machine *m = leader->m;
	struct signal_struct *sig = leader->signal;
	int i;

	do_exit_group(leader, 0, 0);
	if (leader->prev_all)
		leader->prev_all->next_all = leader->next_all;
	else
		m->tasks = leader->next_all;
	if (leader->next_all)
		leader->next_all->prev_all = leader->prev_all;
	else
		m->tasks_tail = leader->prev_all;
	m->nr_threads -= sig->nr_threads;
	for (i = 0; i < sig->nr_threads; i++)
		if (sig->threads[i] != leader)
			free(sig->threads[i]);
	free(sig->threads);
	free(sig);
	free(leader->files);
	free(leader);
}
