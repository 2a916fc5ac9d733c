/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a concurrently block (memfail/explore.h): each step is a coroutine
 * (ucontext) on one model machine; the model's scheduling points call hook(),
 * which takes a decision and switches contexts. Decisions come from the
 * explorer (mf_run_opts.conc), else from the block's schedule, else the
 * default: the running context goes on while it can, then the lowest-numbered
 * one that can run. Without a schedule or explorer the steps simply run one
 * after the other in listed order, on any back end.
 */
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "drv.h"
#include "memfail/explore.h"

#define CONC_STACK (1u << 20)

/*
 * AddressSanitizer must be told about every stack switch (its fiber
 * annotations); elsewhere these do nothing.
 */
#if CONC_ASAN_BUILD
#include <pthread.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

static void *main_bottom;
static size_t main_size;

static void fiber_to(void **save, const void *bottom, size_t size)
{
	if (!bottom && !main_bottom) {
		pthread_attr_t a;

		pthread_getattr_np(pthread_self(), &a);
		pthread_attr_getstack(&a, &main_bottom, &main_size);
		pthread_attr_destroy(&a);
	}
	__sanitizer_start_switch_fiber(save, bottom ? bottom : main_bottom,
				       bottom ? size : main_size);
}

static void fiber_back(void *save)
{
	__sanitizer_finish_switch_fiber(save, NULL, NULL);
}

/* A context abandoned mid-call (a deadlock) leaves its frames' redzones behind. */
static void stack_free(char *stack)
{
	if (stack)
		__asan_unpoison_memory_region(stack, CONC_STACK);
	free(stack);
}
#else
static void fiber_to(void **save, const void *bottom, size_t size)
{
	(void)save, (void)bottom, (void)size;
}

static void fiber_back(void *save)
{
	(void)save;
}

static void stack_free(char *stack)
{
	free(stack);
}
#endif

struct cctx {
	ucontext_t uc;
	char *stack;
	const struct mf_stmt *st;
	const char *step_task;
	void *current;		/* the task making its system call (conc->save) */
	const void *wait;	/* blocked on this lock's object, or NULL */
	uint32_t points;
	int ret;
	bool done;
	struct mf_events evs;
};

struct crun {
	struct drv *d;
	struct mf_backend *be;
	const struct mf_conc_ops *ops;
	struct mf_conc_ctl *ctl, local;
	int n, cur;
	struct cctx c[MF_CONC_MAX];
	ucontext_t main;
};

static struct crun *active;	/* makecontext passes ints only */

int mf_schedule_decode(const char *s, int8_t **out)
{
	int n = 0, cap = 0;
	int8_t *v = NULL;

	while (s && *s) {
		char *end;
		int c = *s++ - '1';
		long k = 1;

		if (c < 0 || c >= MF_CONC_MAX)
			return free(v), -1;
		if (*s == 'x')
			k = strtol(s + 1, &end, 10), s = end;
		while (k-- > 0)
			ARRAY_PUSH(v, n, cap, (int8_t)c, "decoding a schedule");
		while (*s == ' ')
			s++;
	}
	*out = v;
	return n;
}

void mf_schedule_encode(const struct mf_decision *dec, int n, char *buf, size_t len)
{
	size_t o = 0;
	int last = -1;

	for (int i = 0; i < n; i++)
		if (dec[i].chosen != dec[i].def)
			last = i;
	buf[0] = 0;
	for (int i = 0; i <= last && o + 16 < len;) {
		int j = i;

		while (j <= last && dec[j].chosen == dec[i].chosen)
			j++;
		o += (size_t)snprintf(buf + o, len - o, j - i > 1 ? "%s%dx%d" : "%s%d",
				      o ? " " : "", dec[i].chosen + 1, j - i);
		i = j;
	}
}

static unsigned runnable(const struct crun *r)
{
	unsigned mask = 0;

	for (int i = 0; i < r->n; i++)
		if (!r->c[i].done && !r->c[i].wait)
			mask |= 1u << i;
	return mask;
}

/* The next context at a point of kind what (cur -1: the start); -1: none can run. */
static int decide(struct crun *r, int cur, enum mf_sp what)
{
	struct mf_conc_ctl *ctl = r->ctl;
	unsigned mask = runnable(r);
	struct mf_decision dc = { .runnable = (uint8_t)mask, .cur = (int8_t)cur,
				  .what = (uint8_t)what };
	uint32_t pts[MF_CONC_MAX] = { 0 };
	int def = -1;

	if (!mask)
		return -1;
	if (cur >= 0 && (mask & (1u << cur)))
		def = cur;
	for (int i = 0; def < 0 && i < r->n; i++)
		if (mask & (1u << i))
			def = i;
	dc.def = dc.chosen = (int8_t)def;
	if (ctl->ndec < ctl->nforced && (mask & (1u << ctl->forced[ctl->ndec])))
		dc.chosen = ctl->forced[ctl->ndec];
	dc.preempt = def == cur && dc.chosen != cur;
	for (int i = 0; i < r->n; i++)
		pts[i] = r->c[i].done ? UINT32_MAX : r->c[i].points;
	if (ctl->at_point)
		ctl->at_point(ctl->ctx, r->be, &dc, pts, r->n);
	ARRAY_PUSH(ctl->dec, ctl->ndec, ctl->capdec, dc, "recording a schedule");
	return dc.chosen;
}

static void switch_to(struct crun *r, int next)
{
	struct cctx *from = &r->c[r->cur], *to = &r->c[next];
	void *save = NULL;

	if (next == r->cur)
		return;
	from->current = r->ops->save(r->be);
	from->step_task = r->d->step_task;
	r->cur = next;
	r->ops->restore(r->be, to->current);
	r->d->st = to->st;
	r->d->step_task = to->step_task;
	fiber_to(&save, to->stack, CONC_STACK);
	swapcontext(&from->uc, &to->uc);
	fiber_back(save);
}

/* The running context gives up the CPU for good (finished, or every context is blocked). */
static void leave(struct crun *r)
{
	fiber_to(NULL, NULL, 0);	/* this context's stack is done with */
	setcontext(&r->main);
}

static void hook(struct machine *m, enum mf_sp what, const void *obj, void *ctx)
{
	struct crun *r = ctx;
	struct cctx *c = &r->c[r->cur];
	int next;

	(void)m;
	c->points++;
	/* a waiter looks again whenever someone else moved: no wake-up is lost */
	for (int i = 0; i < r->n && what != MF_SP_WAIT; i++)
		if (i != r->cur)
			r->c[i].wait = NULL;
	if (what == MF_SP_WAIT)
		c->wait = obj;
	next = decide(r, r->cur, what);
	if (next < 0) {
		r->ctl->deadlock = true;
		leave(r);
	}
	switch_to(r, next);
}

static void entry(void)
{
	struct crun *r = active;
	struct cctx *c = &r->c[r->cur];
	int next;

	fiber_back(NULL);
	c->current = r->ops->save(r->be);
	c->ret = drv_run_step(r->d, c->st, &c->evs);
	c->done = true;
	next = decide(r, r->cur, MF_SP__COUNT);
	if (next < 0)
		leave(r);
	switch_to(r, next);	/* never comes back: done contexts are not chosen */
}

/* Its own function: getcontext returns twice, nothing of a caller's loop may live across it. */
static void make_ctx(struct cctx *c)
{
	c->stack = xmalloc(CONC_STACK, "a context's stack");
	getcontext(&c->uc);
	c->uc.uc_stack.ss_sp = c->stack;
	c->uc.uc_stack.ss_size = CONC_STACK;
	c->uc.uc_link = NULL;
	makecontext(&c->uc, entry, 0);
}

static void start(struct crun *r)
{
	void *save = NULL;
	int first;

	for (int i = 0; i < r->n; i++) {
		make_ctx(&r->c[i]);
		r->c[i].current = r->ops->save(r->be);
	}
	first = decide(r, -1, MF_SP__COUNT);
	r->cur = first;
	r->d->st = r->c[first].st;
	active = r;
	r->ops->set_hook(hook, r);
	fiber_to(&save, r->c[first].stack, CONC_STACK);
	swapcontext(&r->main, &r->c[first].uc);
	fiber_back(save);
	r->ops->set_hook(NULL, NULL);
	active = NULL;
}

/* A race the model saw during the block: the scenario fails even if nothing else does. */
static const char *race_seen(struct crun *r, unsigned long erased0)
{
	if (r->ops->lock_losses(r->be) != erased0)
		return "a locked DAX entry was replaced while its owner held it (6.1: BUG_ON in "
		       "dax_unlock_entry)";
	return NULL;
}

/* The invariant checker, skipped inside the block (mid-operation states), runs here. */
static int check_after(struct drv *d, const struct mf_stmt *st)
{
	char *report = NULL, msg[600];
	int bad;

	if (!d->be->check_invariants)
		return DRV_CONTINUE;
	bad = d->be->ops->conc->check(d->be, &report);
	if (bad) {
		snprintf(msg, sizeof(msg), "invariant violated: %s", report ? report : "?");
		tr_error(d, st->line, msg);
	}
	free(report);
	return bad ? MF_ERROR : DRV_CONTINUE;
}

static int run_coroutines(struct drv *d, const struct mf_stmt *st)
{
	struct crun r = { .d = d, .be = d->be, .ops = d->be->ops->conc, .n = st->nctx };
	unsigned long erased0 = r.ops->lock_losses(r.be);
	void *cur0 = r.ops->save(r.be);
	/*
	 * API calls arm and disarm the out-of-memory unwinding in a nest; contexts
	 * interleave their calls, so the nest is put back by hand afterwards. (An
	 * out-of-memory inside the block unwinds into whichever call armed last.)
	 */
	mf_oom_handler_t oom0 = mf_set_oom_handler(NULL);
	const char *race;
	int ret = DRV_CONTINUE;

	r.ctl = d->o->conc ? d->o->conc : &r.local;
	if (!d->o->conc)
		r.local.nforced = mf_schedule_decode(st->schedule, (int8_t **)&r.local.forced);
	for (int i = 0; i < r.n; i++)
		r.c[i].st = st + 1 + i;
	mf_set_oom_handler(oom0);
	start(&r);
	mf_set_oom_handler(oom0);
	r.ops->restore(r.be, cur0);
	for (int i = 0; i < r.n; i++) {
		if (ret == DRV_CONTINUE && r.c[i].done && r.c[i].ret != DRV_CONTINUE)
			ret = r.c[i].ret;
		stack_free(r.c[i].stack);
		free(r.c[i].evs.ev);
	}
	if (!d->o->conc) {
		free((void *)r.local.forced);
		free(r.local.dec);
	}
	race = r.ctl->deadlock ? "deadlock: every unfinished context waits for a lock" :
	       race_seen(&r, erased0);
	if (race) {
		tr_error(d, st->line, race);
		return MF_ERROR;
	}
	return ret == DRV_CONTINUE ? check_after(d, st) : ret;
}

int drv_run_conc(struct drv *d, const struct mf_stmt *st, struct mf_events *evs)
{
	int r;

	if (st->schedule || d->o->conc) {
		if (!d->be->ops->conc) {
			tr_error(d, st->line, "a concurrently schedule needs the model back end");
			return MF_ERROR;
		}
		return run_coroutines(d, st);
	}
	for (int i = 1; i <= st->nctx; i++) {	/* listed order, each step to its end */
		d->st = st + i;
		r = drv_run_step(d, st + i, evs);
		if (r != DRV_CONTINUE)
			return r;
	}
	return DRV_CONTINUE;
}
