/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Signal delivery. The model has no scheduler: a caught SIGBUS stays pending
 * for its thread in m->sigs until the thread returns to user space, which is
 * the step boundary (the back end drains m->sigs; a faulting access takes its
 * own signal at once). The default action kills the whole thread group then
 * too, not at the send: 6.1 kills on the way back to user space, so a kill
 * list walked later in the same call still finds the dying task mapped.
 */
#include <errno.h>
#include "memfail/array.h"
#include "memfail/mm.h"

/*
 * 6.1's legacy_queue(): a non-realtime signal already pending for the thread
 * is not queued again, so a second SIGBUS before the thread runs is lost.
 */
static bool legacy_pending(const struct machine *m, const struct task_struct *t, int signo)
{
	int i;

	for (i = 0; i < m->nr_sigs; i++)
		if (m->sigs[i].tid == t->pid && m->sigs[i].info.si_signo == signo)
			return true;
	return false;
}

static void record(struct machine *m, struct task_struct *t, const struct kernel_siginfo *info)
{
	if (legacy_pending(m, t, info->si_signo))
		return;
	ARRAY_PUSH(m->sigs, m->nr_sigs, m->cap_sigs,
		   ((struct sigrecord){ .tid = t->pid, .info = *info }), "a pending signal");
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
	/* a second one finds the first pending (legacy_queue): nothing changes */
	if (!sig->fatal_signal) {
		sig->fatal_signal = signo;
		m->nr_fatal++;
	}
	return 0;
}

/* Return to user space: every process with a default-action signal pending dies. */
void deliver_fatal_signals(struct machine *m)
{
	struct task_struct *t, *next;

	if (!m->nr_fatal)
		return;
	m->nr_fatal = 0;
	for (t = m->tasks; t; t = next) {
		next = t->next_all;
		if (t->signal->fatal_signal && !t->signal->dead)
			do_exit_group(t, t->signal->fatal_signal, 0);
	}
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
