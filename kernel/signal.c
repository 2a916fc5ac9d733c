/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Signal delivery. The model has no scheduler: a signal is delivered as soon
 * as it is sent. A task with a SIGBUS handler records it (m->sigs) and goes on;
 * the default action kills the whole thread group.
 */
#include <errno.h>
#include "memfail/array.h"
#include "memfail/mm.h"

static void record(struct machine *m, struct task_struct *t, const struct kernel_siginfo *info)
{
	ARRAY_GROW(m->sigs, m->nr_sigs, m->cap_sigs, "recording a signal");
	m->sigs[m->nr_sigs].tid = t->pid;
	m->sigs[m->nr_sigs].info = *info;
	m->nr_sigs++;
}

int send_sig_info(int signo, const struct kernel_siginfo *info, struct task_struct *t, bool force)
{
	struct signal_struct *sig = t->signal;
	struct machine *m = t->m;

	if (sig->dead)
		return -ESRCH;
	if (signo == SIGKILL) {
		do_exit_group(t, SIGKILL, 0);
		return 0;
	}
	if (signo == SIGBUS) {
		/* force_sig: an ignored SIGBUS is reset to the default action */
		if (sig->sigbus == SIG_IGNORE) {
			if (!force)
				return 0;
			sig->sigbus = SIG_DEFAULT;
		}
		if (sig->sigbus == SIG_HANDLER) {
			record(m, t, info);
			return 0;
		}
	}
	do_exit_group(t, signo, 0);
	return 0;
}

int force_sig_mceerr(int code, uint64_t addr, int lsb, struct task_struct *t)
{
	struct kernel_siginfo info = { SIGBUS, code, addr, lsb };

	return send_sig_info(SIGBUS, &info, t, true);
}

int send_sig_mceerr(int code, uint64_t addr, int lsb, struct task_struct *t)
{
	struct kernel_siginfo info = { SIGBUS, code, addr, lsb };

	return send_sig_info(SIGBUS, &info, t, false);
}
