/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel oopses seen in the guest's log. An oops is a fact of the scenario
 * (6.12 oopses in dax_lock_folio for a reflinked page on XFS without rmapbt):
 * the runner reports the function the oops names, keeps the oops report out of
 * the scenario's log events, and does not enter memory-failure code again in
 * that boot, since the dead task may still hold mf_mutex (a later injection or
 * unpoison would never return).
 */
#include <stdio.h>
#include <string.h>

#include "lb.h"

/* TAINT_DIE ('D'): some task died in an oops since the boot */
#define LB_TAINT_DIE 128

/* The header of an oops report: 6.12 "Oops: ...: 0002 [#1]", 6.1 also a bare
 * "general protection fault, ...: 0000 [#1]" or "invalid opcode: 0000 [#1]". */
static bool oops_header(const char *s)
{
	if (!strstr(s, " [#"))
		return false;
	return !strncmp(s, "Oops: ", 6) || !strncmp(s, "general protection fault", 24) ||
	       !strncmp(s, "invalid opcode:", 15);
}

bool lb_oops_scan(struct lb *lb, const char *text)
{
	if (oops_header(text)) {
		lb->in_oops = true;
		return true;
	}
	if (!lb->in_oops)
		return false;
	if (!strncmp(text, "---[ end trace", 14)) {
		lb->in_oops = false;
		return true;
	}
	/* "RIP: 0010:dax_lock_folio+0x2c/0x110": the first kernel RIP names it */
	if (!lb->oops[0] && !strncmp(text, "RIP: 0010:", 10)) {
		size_t n = strcspn(text + 10, "+ ");

		if (n >= sizeof(lb->oops))
			n = sizeof(lb->oops) - 1;
		memcpy(lb->oops, text + 10, n);
		lb->oops[n] = 0;
	}
	return true;
}

/* The oops as the step's MF_EV_OOPS event, once: the driver prints "  oops FUNCTION"
 * after the step's lines, as for the model's 6.12 profile. */
void lb_oops_report(struct lb *lb, struct mf_events *evs)
{
	struct mf_event e = { .kind = MF_EV_OOPS };

	if (!lb->oops[0] || lb->oops_told)
		return;
	lb->oops_told = true;
	snprintf(e.text, sizeof(e.text), "%s", lb->oops);
	mf_events_push(evs, &e);
}

bool lb_oops_blocks(const struct lb *lb, const struct mf_stmt *st, struct mf_result *res)
{
	bool mf = st->op == MF_OP_CORRUPT_PFN || st->op == MF_OP_UNPOISON ||
		  st->op == MF_OP_HARD_OFFLINE || st->op == MF_OP_SOFT_OFFLINE ||
		  (st->op == MF_OP_MADVISE &&
		   (st->madv == MF_MADV_HWPOISON || st->madv == MF_MADV_SOFT_OFFLINE));

	if (!lb->oops[0] || !mf)
		return false;
	res->kind = MF_RES_ERROR;
	snprintf(res->msg, sizeof(res->msg),
		 "not run: the kernel oopsed in %s (memory_failure's mutex may be held)", lb->oops);
	return true;
}

bool lb_tainted_by_oops(void)
{
	char buf[32];
	unsigned long t;

	if (lb_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%lu", &t) != 1)
		return false;
	return t & LB_TAINT_DIE;
}
