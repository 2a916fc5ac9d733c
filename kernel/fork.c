/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Processes and threads. The machine keeps the process list in creation
 * order because memory_failure's collect_procs walks it in that order, which
 * fixes the order of the SIGBUS signals it sends.
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/mm.h"

static void add_thread(struct machine *m, struct signal_struct *sig, struct task_struct *t)
{
	ARRAY_PUSH(sig->threads, sig->nr_threads, sig->cap_threads, t, "a thread list");
	m->nr_threads++;
}

static struct task_struct *alloc_task(struct machine *m, const char *comm)
{
	struct task_struct *t = xcalloc(1, sizeof(*t), "allocating a task");

	t->pid = m->next_pid++;
	t->m = m;
	strncpy(t->comm, comm, TASK_COMM_LEN - 1);
	return t;
}

static void link_process(struct machine *m, struct task_struct *t)
{
	t->prev_all = m->tasks_tail;
	if (m->tasks_tail)
		m->tasks_tail->next_all = t;
	else
		m->tasks = t;
	m->tasks_tail = t;
}

struct task_struct *task_create(struct machine *m, const char *comm)
{
	struct task_struct *t = alloc_task(m, comm);

	t->tgid = t->pid;
	t->group_leader = t;
	t->signal = xcalloc(1, sizeof(*t->signal), "allocating a signal_struct");
	t->files = xcalloc(1, sizeof(*t->files), "allocating a files_struct");
	t->mm = mm_alloc();
	add_thread(m, t->signal, t);
	t->mm->owner = t;
	t->signal->seq = m->next_seq++;
	link_process(m, t);
	return t;
}

/* fork(): the calling thread's flags (PF_MCE_*) are inherited, as in the kernel. */
struct task_struct *task_fork(struct task_struct *parent, const char *comm)
{
	struct machine *m = parent->m;
	struct task_struct *c = task_create(m, comm);
	int i;

	c->flags = parent->flags;
	c->signal->sigbus = parent->signal->sigbus;
	dup_mmap(c->mm, parent->mm, c);
	if (parent->files->nr) {
		c->files->fd = xcalloc((size_t)parent->files->nr, sizeof(struct file *),
				       "copying a file table");
		c->files->nr = parent->files->nr;
		for (i = 0; i < parent->files->nr; i++) {
			c->files->fd[i] = parent->files->fd[i];
			if (c->files->fd[i])
				c->files->fd[i]->f_count++;
		}
	}
	return c;
}

struct task_struct *thread_create(struct task_struct *leader, const char *comm)
{
	struct machine *m = leader->m;
	struct task_struct *t = alloc_task(m, comm);

	t->tgid = leader->tgid;
	t->group_leader = leader;
	t->signal = leader->signal;
	t->files = leader->files;
	t->mm = leader->mm;
	t->flags = leader->flags;	/* clone() copies the creator's flags */
	add_thread(m, t->signal, t);
	return t;
}

