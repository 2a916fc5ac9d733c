// SPDX-License-Identifier: GPL-2.0-only
/*
 * User loads and stores of the public API: through the page tables, as the
 * CPU does, ending with the signal the access raised when it raised one.
 */
#include <string.h>

#include "sys-internal.h"

/* How an access that raised a signal ended: killed, or the signal its handler took. */
static int signal_outcome(struct mf_machine *mm, struct task_struct *t, struct mf_sig *out)
{
	struct machine *m = mm->m;
	struct mf_sig dummy;
	int i;

	if (!out)
		out = &dummy;
	deliver_fatal_signals(m);	/* the access returns to user space */
	if (t->signal->dead) {
		memset(out, 0, sizeof(*out));
		out->tid = t->pid;
		out->signo = t->signal->exit_signal;
		return MF_ACCESS_KILLED;
	}
	for (i = m->nr_sigs - 1; i >= mm->sig_pos; i--) {
		if (m->sigs[i].tid == t->pid) {
			const struct kernel_siginfo *si = &m->sigs[i].info;
			*out = (struct mf_sig){ t->pid, si->si_signo, si->si_code, si->si_addr,
						si->si_addr_lsb };
			memmove(&m->sigs[i], &m->sigs[i + 1], (size_t)(m->nr_sigs - i - 1) * sizeof(m->sigs[0]));
			m->nr_sigs--;
			return MF_ACCESS_SIGNAL;
		}
	}
	return -EFAULT;
}

static int access1(struct mf_machine *mm, int tid, uint64_t addr, uint8_t *byte, bool write,
		   struct mf_sig *sig)
{
	struct task_struct *t = sys_task(mm, tid);

	if (!t)
		return -ESRCH;
	if (!byte)
		return -EINVAL;
	return access_user(t, addr, byte, write) ? signal_outcome(mm, t, sig) : 0;
}

static void replay_access(struct mf_machine *mm, const struct sys_rec *r)
{
	uint8_t b = (uint8_t)r->a[3];
	struct mf_sig s;

	if (r->a[0])
		mf_store(mm, (int)r->a[1], (uint64_t)r->a[2], b, &s);
	else
		mf_load(mm, (int)r->a[1], (uint64_t)r->a[2], &b, &s);
}

int mf_load(struct mf_machine *mm, int tid, uint64_t addr, uint8_t *byte, struct mf_sig *sig)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_access, (int64_t[]){ 0, tid, (int64_t)addr, 0 }, 4, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, access1(mm, tid, addr, byte, false, sig));
}

int mf_store(struct mf_machine *mm, int tid, uint64_t addr, uint8_t byte, struct mf_sig *sig)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_access, (int64_t[]){ 1, tid, (int64_t)addr, byte }, 4, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, access1(mm, tid, addr, &byte, true, sig));
}

static uint8_t pattern_byte(const struct mf_fill *pat, uint64_t a)
{
	if (pat->kind == MF_FILL_BYTE)
		return pat->byte;
	return (uint8_t)(((a - pat->base) >> PAGE_SHIFT) + pat->first_page + 1);
}

/* fill/check [addr, addr+len) through the page tables, a page at a time. */
static int fill_check(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len,
		      const struct mf_fill *pat, bool *match, struct mf_sig *sig)
{
	struct task_struct *t = sys_task(mm, tid);
	uint64_t done, n;

	if (!t)
		return -ESRCH;
	if (!pat || (pat->kind != MF_FILL_BYTE && pat->kind != MF_FILL_INDEX) ||
	    (pat->kind == MF_FILL_INDEX && addr < pat->base))
		return -EINVAL;
	if (match)
		*match = true;
	for (done = 0; done < len; done += n) {
		uint64_t a = addr + done;

		n = PAGE_SIZE - (a & (PAGE_SIZE - 1));
		if (n > len - done)
			n = len - done;
		/* the pattern is one byte per page: the whole chunk wants the same one */
		if (access_user_byte(t, a, pattern_byte(pat, a), n, match))
			return signal_outcome(mm, t, sig);
	}
	return 0;
}

static void replay_fill(struct mf_machine *mm, const struct sys_rec *r)
{
	struct mf_sig s;
	bool match;

	if (r->a[0])
		mf_check(mm, (int)r->a[1], (uint64_t)r->a[2], (uint64_t)r->a[3], r->blob, &match, &s);
	else
		mf_fill(mm, (int)r->a[1], (uint64_t)r->a[2], (uint64_t)r->a[3], r->blob, &s);
}

int mf_fill(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len, const struct mf_fill *pat,
	    struct mf_sig *sig)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_fill, (int64_t[]){ 0, tid, (int64_t)addr, (int64_t)len }, 4, NULL, NULL,
		   pat, pat ? sizeof(*pat) : 0);
	return (int)sys_leave(mm, fill_check(mm, tid, addr, len, pat, NULL, sig));
}

int mf_check(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len, const struct mf_fill *pat,
	     bool *match, struct mf_sig *sig)
{
	SYS_ENTER(mm);
	if (!match)
		return (int)sys_leave(mm, -EINVAL);
	sys_record(mm, replay_fill, (int64_t[]){ 1, tid, (int64_t)addr, (int64_t)len }, 4, NULL, NULL,
		   pat, pat ? sizeof(*pat) : 0);
	return (int)sys_leave(mm, fill_check(mm, tid, addr, len, pat, match, sig));
}
