/* SPDX-License-Identifier: GPL-2.0-only */
/* prctl(PR_MCE_KILL) and prctl(PR_MCE_KILL_GET), with 6.1's per-thread flags. */
#include <errno.h>

#include "memfail/sched.h"

#define PR_MCE_KILL_CLEAR 0
#define PR_MCE_KILL_SET 1
#define PR_MCE_KILL_LATE 0
#define PR_MCE_KILL_EARLY 1
#define PR_MCE_KILL_DEFAULT 2

int sys_prctl_mce_kill(struct task_struct *t, unsigned long arg2, unsigned long arg3)
{
	switch (arg2) {
	case PR_MCE_KILL_CLEAR:
		if (arg3 != 0)
			return -EINVAL;
		t->flags &= ~PF_MCE_PROCESS;
		return 0;
	case PR_MCE_KILL_SET:
		/* The kernel sets PF_MCE_PROCESS before validating arg3. */
		t->flags |= PF_MCE_PROCESS;
		if (arg3 == PR_MCE_KILL_EARLY)
			t->flags |= PF_MCE_EARLY;
		else if (arg3 == PR_MCE_KILL_LATE)
			t->flags &= ~PF_MCE_EARLY;
		else if (arg3 == PR_MCE_KILL_DEFAULT)
			t->flags &= ~(PF_MCE_EARLY | PF_MCE_PROCESS);
		else
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

int sys_prctl_mce_kill_get(struct task_struct *t)
{
	if (t->flags & PF_MCE_PROCESS)
		return (t->flags & PF_MCE_EARLY) ? PR_MCE_KILL_EARLY : PR_MCE_KILL_LATE;
	return PR_MCE_KILL_DEFAULT;
}
