/* SPDX-License-Identifier: GPL-2.0-only */
/* Tasks, threads and signals (kernel/fork.c, kernel/exit.c, kernel/signal.c, kernel/sys.c). */
#ifndef MEMFAIL_SCHED_H
#define MEMFAIL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct mm_struct;
struct file;

#define TASK_COMM_LEN 16
#define SIGKILL 9
#define SIGBUS 7
#define SIGSEGV 11

/* Per-thread flags consulted by memory failure (kernel values). */
#define PF_MCE_PROCESS 0x00000080u
#define PF_MCE_EARLY 0x08000000u

enum sig_disposition { SIG_HANDLER, SIG_DEFAULT, SIG_IGNORE };

struct kernel_siginfo {
	int si_signo, si_code;
	uint64_t si_addr;
	int si_addr_lsb;
};

/* A delivered signal as user space saw it (the model runs every handler at once). */
struct sigrecord {
	int tid;
	struct kernel_siginfo info;
};

struct task_struct;
struct signal_struct {
	struct task_struct **threads;	/* thread list, leader first */
	int nr_threads, cap_threads;
	enum sig_disposition sigbus;	/* process-wide disposition of SIGBUS */
	bool dead;			/* the process has exited or been killed */
	int exit_signal;		/* signal that killed it (0 if exited) */
	int exit_code;
	int fatal_signal;		/* sent, default action: kills the group on return to user space */
	uint64_t seq;			/* creation order: the kernel's process list order */
};

struct files_struct {
	struct file **fd;
	int nr;
};

struct task_struct {
	int pid;			/* the thread's id (tid) */
	int tgid;			/* the process id: the leader's pid */
	char comm[TASK_COMM_LEN];
	unsigned flags;			/* PF_MCE_* */
	struct mm_struct *mm;
	struct signal_struct *signal;
	struct files_struct *files;	/* shared by the thread group */
	struct task_struct *group_leader;
	struct machine *m;
	struct task_struct *next_all, *prev_all; /* machine-wide list of processes (leaders) */
};

/* kernel/fork.c, kernel/exit.c */
struct task_struct *task_create(struct machine *m, const char *comm);
struct task_struct *task_fork(struct task_struct *parent, const char *comm);
struct task_struct *thread_create(struct task_struct *leader, const char *comm);
void do_exit_group(struct task_struct *t, int signo, int code);
void task_release(struct task_struct *leader);	/* free a dead (or, at teardown, any) process */

/*
 * kernel/signal.c: a signal is pending until its thread returns to user space
 * (the end of the system call or access, the model has no scheduler). A
 * handler records it; the default action kills the thread group then
 * (deliver_fatal_signals). SIGKILL kills at once. force: the kernel's
 * force_sig semantics (reset a blocked/ignored handler).
 */
int send_sig_info(int signo, const struct kernel_siginfo *info, struct task_struct *t, bool force);
void deliver_fatal_signals(struct machine *m);
int force_sig_mceerr(int code, uint64_t addr, int lsb, struct task_struct *t);
int send_sig_mceerr(int code, uint64_t addr, int lsb, struct task_struct *t);

/* kernel/sys.c */
int sys_prctl_mce_kill(struct task_struct *t, unsigned long arg2, unsigned long arg3);
int sys_prctl_mce_kill_get(struct task_struct *t);

#endif
