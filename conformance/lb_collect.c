/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Linux back end's controller after every statement: the signals each
 * live task recorded, the tasks that died, and the kernel log, with the
 * signals put in the kernel's send order (its "Sending SIGBUS to" lines).
 */
#include <stdlib.h>
#include <string.h>

#include "lb.h"
#include "memfail/array.h"

/* The pid in a "Sending SIGBUS to COMM:PID due to" kernel log line, or -1. */
static int sendlog_pid(const char *text)
{
	const char *p = strstr(text, "Sending SIGBUS to "), *end, *colon = NULL;

	if (!p || !(end = strstr(p, " due to")))
		return -1;
	for (const char *q = p; q < end; q++)
		if (*q == ':')
			colon = q;
	return colon ? atoi(colon + 1) : -1;
}

/*
 * The step's signals come in the kernel's send order: each "Sending SIGBUS to"
 * line of the log takes the first signal of that thread not taken yet (a second
 * line for a thread whose SIGBUS was still pending finds none: legacy_queue
 * dropped it). Signals no line speaks of follow in the order collected.
 */
static void sort_by_sendlog(const struct mf_events *log, struct mf_events *sigs)
{
	struct mf_event *out = xcalloc((size_t)sigs->n + 1, sizeof(*out), "the step's signals");
	bool *taken = xcalloc((size_t)sigs->n + 1, sizeof(*taken), "the step's signals");
	int n = 0;

	for (int i = 0; i < log->n; i++) {
		int pid = log->ev[i].kind == MF_EV_LOG ? sendlog_pid(log->ev[i].text) : -1;

		for (int k = 0; pid > 0 && k < sigs->n; k++) {
			if (!taken[k] && sigs->ev[k].kind == MF_EV_SIGNAL && sigs->ev[k].tid == pid) {
				taken[k] = true;
				out[n++] = sigs->ev[k];
				break;
			}
		}
	}
	for (int k = 0; k < sigs->n; k++)
		if (!taken[k])
			out[n++] = sigs->ev[k];
	memcpy(sigs->ev, out, (size_t)n * sizeof(*out));
	free(out);
	free(taken);
}

/* after every statement: signals of every live process, deaths, kernel log */
void lb_collect(struct lb *lb, const struct mf_stmt *st, struct mf_result *res,
		struct mf_events *evs)
{
	struct mf_events late = { 0 };
	struct lb_req rq;
	static struct lb_rep rp;

	for (int i = 0; i < lb->ntask; i++) {
		struct lb_task *t = lb->task[i];
		bool dead = false;

		if (t->state != MF_TASK_ALIVE)
			continue;
		memset(&rq, 0, sizeof(rq));
		rq.op = LB_REQ_PING;
		for (int k = 1; k < t->nthr && !dead; k++)
			if (t->thr[k].fd >= 0 && lb_rpc(&t->thr[k], &rq, &rp, NULL))
				dead = true;
		for (;;) {
			if (dead)
				break;
			rq.op = LB_REQ_SIGS;
			rq.cursor = t->sigcur;
			if (lb_rpc(&t->thr[0], &rq, &rp, NULL)) {
				dead = true;
				break;
			}
			for (int k = 0; k < rp.nsig; k++) {
				struct mf_event e;

				memset(&e, 0, sizeof(e));
				e.kind = MF_EV_SIGNAL;
				e.tid = rp.sig[k].tid;
				e.sig.signo = rp.sig[k].signo;
				e.sig.code = rp.sig[k].code;
				e.sig.addr = rp.sig[k].addr;
				e.sig.lsb = rp.sig[k].lsb;
				mf_events_push(&late, &e);
			}
			if (rp.res.kind == MF_RES_ERROR)	/* the ring overflowed: never drop quietly */
				*res = rp.res;
			t->sigcur = rp.first + rp.nsig;
			if (rp.nsig < LB_MAX_SIG || t->sigcur >= rp.total)
				break;
		}
		if (!dead)
			continue;
		lb_reap(t);
		bool stepper = !st->is_expect && !strcmp(st->task, t->name) &&
			       res->kind == MF_RES_KILLED;
		if (stepper)
			continue;
		struct mf_event e;

		memset(&e, 0, sizeof(e));
		e.tid = t->pid;
		if (t->state == MF_TASK_KILLED) {
			e.kind = MF_EV_KILLED;
			e.sig.signo = t->code;
		} else {
			e.kind = MF_EV_EXITED;
			e.exit_code = t->code;
		}
		mf_events_push(&late, &e);
	}
	lb_kmsg_drain(lb, evs);
	lb_oops_report(lb, evs);
	sort_by_sendlog(evs, &late);
	for (int i = 0; i < late.n; i++)
		mf_events_push(evs, &late.ev[i]);
	free(late.ev);
}
