// SPDX-License-Identifier: GPL-2.0-only
/*
 * One trial: one machine of the fleet over its share of the horizon. The
 * faults and their errors are drawn once and fed, in time order, to every
 * policy, each with its own copy of the machine (paired comparison). A copy
 * is restored from the recipe's checkpoint only when an error needs the
 * kernel (a UE, or a soft offline), so quiet trials cost no restore.
 *
 * What the kernel sees:
 *  - a CE is counted by the policy, which may soft offline pages through
 *    /sys/devices/system/memory/soft_offline_page (mf_soft_offline); the
 *    kernel may refuse (EBUSY on a pinned page, EIO, ...);
 *  - a UE on a free page, or one the patrol scrubber reports first
 *    (scrub-first), is an action-optional machine check; a task that maps
 *    the page then touches it again, as it eventually would;
 *  - any other UE is consumed: by a task mapping the page (action required,
 *    on that task), or by the kernel itself (a kernel page, unmapped page
 *    cache read by read(2)): 6.1 cannot recover that, the machine crashes.
 * After a crash the machine reboots with its faulty DIMMs replaced (what an
 * operator does after a UE crash): faults that began before the crash stop,
 * the next error that needs the machine gets a fresh copy, and the policy
 * starts again with empty counters.
 */
#include <math.h>
#include <string.h>

#include "memfail/array.h"
#include "internal.h"

#define HOURS_PER_YEAR 8766.0
#define MAX_CE_EVENTS 2000
#define MAX_ROW_PFNS 64

struct pstate {
	const struct cp_policy *pol;
	struct cp_policy_state *ps;
	struct mf_machine *m;
	struct cp_rmap offlined;	/* pfn set: soft offlined by this policy */
	struct cp_rmap moved;		/* pfn -> mapping, for pages soft offline moved */
	struct cp_outcome *o;
	long ce_events;
	double replaced_h;		/* DIMMs replaced after a crash: older faults gone */
	int index;
};

struct tctx {
	const struct cp_campaign *c;
	struct cp_built *b;
	struct cp_results *res;
	long t;
	bool keep;			/* store this trial's events */
	char *err;
	size_t errlen;
};

static void event(struct tctx *x, struct pstate *s, double t_h, int kind, uint64_t pfn,
		  long result)
{
	struct cp_results *r = x->res;

	if (!x->keep || (kind == CP_EV_CE && s->ce_events++ >= MAX_CE_EVENTS))
		return;
	ARRAY_GROW(r->events, r->nevents, r->cevents, "campaign events");
	r->events[r->nevents++] = (struct cp_event){ .trial = x->t, .policy = s->index,
		.kind = kind, .pfn = (int64_t)pfn, .result = result, .t_h = t_h };
}

static int machine(struct tctx *x, struct pstate *s)
{
	int ret;

	if (s->m)
		return 0;
	ret = cp_built_machine(x->b, s->index, &s->m);
	if (ret) {
		snprintf(x->err, x->errlen, "restore of machine %s: error %d", x->b->mc->name, ret);
		return -1;
	}
	s->o->restores++;
	return 0;
}

static int64_t corrupted_pages(struct mf_machine *m)
{
	struct mf_meminfo mi;

	return mf_meminfo(m, &mi) ? 0 : (int64_t)(mi.hardware_corrupted_kb / 4);
}

/* The machine goes away (crash or end of trial): count what it retired. */
static void retire(struct pstate *s)
{
	if (!s->m)
		return;
	s->o->pages_retired += corrupted_pages(s->m);
	s->m = NULL;	/* the slot's machine, reset at its next use */
	cp_rmap_clear(&s->offlined);
	cp_rmap_clear(&s->moved);
	cp_policy_reset(s->ps);
}

/* A user mapping of pfn that still maps it, or NULL. */
static const struct cp_rmap_ent *mapper(struct tctx *x, struct pstate *s, uint64_t pfn)
{
	const struct cp_rmap_ent *e = cp_rmap_get(&s->moved, pfn);
	uint64_t now;

	if (!e)
		e = cp_rmap_get(&x->b->rmap, pfn);
	if (!e || mf_virt_to_pfn(s->m, e->pid, e->addr, &now) || now != pfn)
		return NULL;
	return e;
}

static int offline_one(struct tctx *x, struct pstate *s, double t_h, uint64_t pfn)
{
	const struct cp_rmap_ent *e;
	uint64_t to, flags;
	int ret;


	/* a page the kernel already retired at a UE is not the policy's to claim */
	if (cp_rmap_get(&s->offlined, pfn) || mf_kpageflags(s->m, pfn, &flags) ||
	    CP_BIT(flags, KPF_HWPOISON))
		return 0;
	e = mapper(x, s, pfn);
	ret = mf_soft_offline(s->m, pfn * MF_PAGE_SIZE);
	event(x, s, t_h, CP_EV_OFFLINE, pfn, ret);
	if (ret) {
		s->o->offline_fail++;
		return 0;
	}
	s->o->offline_ok++;
	cp_rmap_put(&s->offlined, pfn, 0, 0);
	if (e && !mf_virt_to_pfn(s->m, e->pid, e->addr, &to) && to != pfn)
		cp_rmap_put(&s->moved, to, e->pid, e->addr);
	return 0;
}

static int corrected(struct tctx *x, struct pstate *s, const struct cp_error *e)
{
	const struct cp_dram *d = &x->b->mc->dram;
	uint64_t pfns[MAX_ROW_PFNS];
	struct cp_dram_addr a;
	size_t n = 1;

	s->o->ces++;
	event(x, s, e->t_h, CP_EV_CE, e->pfn, 0);
	if (!cp_policy_ce(s->ps, e))
		return 0;
	if (machine(x, s))
		return -1;
	pfns[0] = e->pfn;
	if (s->pol->kind == CP_POL_ROW) {
		cp_dram_decode(d, e->pfn * MF_PAGE_SIZE, &a);
		n = cp_dram_row_pfns(d, &a, pfns, MAX_ROW_PFNS);
	}
	for (size_t i = 0; i < n; i++)
		if (offline_one(x, s, e->t_h, pfns[i]))
			return -1;
	return 0;
}

const char *const cp_kind_name[CP_NR_KINDS] = {
	"anon", "thp", "shmem", "file", "hugetlb", "ksm", "other",
};

/*
 * 6.12's kpageflags sets KSM on every anonymous page (snapshot/classify.c
 * says why), and 6.12 recovers a KSM page as an anonymous one: there a KSM
 * page counts as anonymous memory.
 */
static enum cp_kind classify(uint64_t f, enum mf_kernel k)
{
	if (CP_BIT(f, KPF_KSM) && mf_kpf_ksm_is_ksm(k))
		return CP_KIND_KSM;
	if (CP_BIT(f, KPF_HUGE))
		return CP_KIND_HUGETLB;
	if (CP_BIT(f, KPF_THP))
		return CP_KIND_THP;
	if (CP_BIT(f, KPF_ANON))
		return CP_KIND_ANON;
	if (CP_BIT(f, KPF_SWAPBACKED))
		return CP_KIND_SHMEM;
	if (CP_BIT(f, KPF_LRU) || CP_BIT(f, KPF_MMAP))
		return CP_KIND_FILE;
	return CP_KIND_OTHER;
}

/* Page-cache data with no other copy: dirty file pages, and all of shmem. */
static bool loses_data(uint64_t f)
{
	if (CP_BIT(f, KPF_ANON) || CP_BIT(f, KPF_KSM) || CP_BIT(f, KPF_HUGE))
		return false;
	return CP_BIT(f, KPF_SWAPBACKED) || (CP_BIT(f, KPF_DIRTY) && CP_BIT(f, KPF_LRU));
}

static void crash(struct tctx *x, struct pstate *s, double t_h, uint64_t pfn)
{
	s->o->crashes++;
	s->replaced_h = t_h;
	event(x, s, t_h, CP_EV_CRASH, pfn, 0);
	retire(s);
}

static void deaths(struct tctx *x, struct pstate *s, double t_h, enum cp_kind kind)
{
	struct mf_death d;
	struct mf_sig sig;

	while (mf_death_next(s->m, &d)) {
		s->o->kills++;
		s->o->kills_by[kind]++;
		event(x, s, t_h, CP_EV_KILL, (uint64_t)d.pid, d.signo);
	}
	while (mf_signal_next(s->m, &sig))
		;
}

static int uncorrectable(struct tctx *x, struct pstate *s, const struct cp_error *e, double u)
{
	const struct cp_rmap_ent *who;
	uint64_t flags;
	uint8_t byte;
	int ret;

	s->o->ues++;
	if (cp_rmap_get(&s->offlined, e->pfn)) {
		s->o->ues_avoided++;
		event(x, s, e->t_h, CP_EV_UE, e->pfn, 1);
		return 0;
	}
	if (machine(x, s) || mf_kpageflags(s->m, e->pfn, &flags))
		return -1;
	if (CP_BIT(flags, KPF_HWPOISON)) {
		s->o->ues_dead_page++;	/* the kernel retired it at an earlier UE */
		return 0;
	}
	who = mapper(x, s, e->pfn);
	if (!who && !CP_BIT(flags, KPF_BUDDY) && u >= x->c->em.scrub_first) {
		crash(x, s, e->t_h, e->pfn);
		return 0;
	}
	if (who && u >= x->c->em.scrub_first) {
		s->o->ar++;
		ret = mf_mce(s->m, MF_MCE_AR, e->pfn, who->pid);
	} else {
		s->o->ao++;
		ret = mf_mce(s->m, MF_MCE_AO, e->pfn, 0);
		if (who && mf_proc_state(s->m, who->pid, NULL) == MF_PROC_ALIVE)
			mf_load(s->m, who->pid, who->addr, &byte, NULL);
	}
	event(x, s, e->t_h, CP_EV_UE, e->pfn, ret);
	if (loses_data(flags))
		s->o->data_loss++;
	deaths(x, s, e->t_h, classify(flags, x->c->kernel));
	if (mf_machine_panicked(s->m))
		crash(x, s, e->t_h, e->pfn);
	return 0;
}

static int trial_loop(struct tctx *x, struct pstate *st, size_t np, struct cp_rng *r,
		      struct cp_draw *dr)
{
	const struct cp_dram *d = &x->b->mc->dram;
	double hours = x->c->horizon / (double)x->c->trials * HOURS_PER_YEAR;
	struct cp_fault *f;
	struct cp_error e;
	size_t nf = cp_draw_faults(&x->c->em, d, hours, r, &f);
	int ret = 0;

	if (nf == SIZE_MAX) {
		snprintf(x->err, x->errlen, "trial %ld: more than %d DRAM faults in %g hours (lower fit-scale, "
			 "or the horizon a trial)", x->t, CP_MAX_FAULTS, hours);
		return -1;
	}
	dr->faults = (int64_t)nf;
	for (size_t i = 0; i < nf; i++)
		dr->permanent += f[i].permanent;
	while (!ret && cp_next_error(&x->c->em, d, hours, f, nf, r, &e)) {
		double u = cp_rng_uniform(r);

		if (e.pfn >= x->b->pages)
			continue;	/* above the OS's RAM (a snapshot machine's firmware, holes) */
		if (++dr->errors > CP_MAX_ERRORS) {
			snprintf(x->err, x->errlen, "trial %ld: more than %d memory errors (lower fit-scale, "
				 "or the horizon a trial)", x->t, CP_MAX_ERRORS);
			ret = -1;
			break;
		}
		for (size_t p = 0; p < np && !ret; p++) {
			if ((cp_rmap_get(&st[p].offlined, e.pfn) && !e.ue) ||
			    e.onset_h < st[p].replaced_h)
				continue;	/* nobody reads a retired page or a replaced DIMM */
			ret = e.ue ? uncorrectable(x, &st[p], &e, u) : corrected(x, &st[p], &e);
		}
	}
	free(f);
	if (ret && !x->err[0])
		snprintf(x->err, x->errlen, "trial %ld: the model failed", x->t);
	return ret;
}

static size_t pick_machine(const struct cp_campaign *c, struct cp_rng *r)
{
	double w = 0, u;

	for (size_t i = 0; i < c->nmachines; i++)
		w += c->machines[i].weight;
	u = cp_rng_uniform(r) * w;
	for (size_t i = 0; i < c->nmachines; i++) {
		if (u < c->machines[i].weight)
			return i;
		u -= c->machines[i].weight;
	}
	return c->nmachines - 1;
}

int cp_run_trial(const struct cp_campaign *c, struct cp_built **built, long t,
		 struct cp_results *res, char *err, size_t errlen)
{
	size_t np = c->npolicies;
	struct pstate *st = xcalloc(np, sizeof(*st), "campaign trial");
	uint64_t sm = c->seed ^ ((uint64_t)t * 0xd1b54a32d192ed03ull);
	struct tctx x = { .c = c, .res = res, .t = t, .keep = t < c->timeline_trials,
			  .err = err, .errlen = errlen };
	struct cp_rng r;
	size_t mi;
	int ret;

	cp_rng_seed(&r, cp_splitmix64(&sm));
	mi = pick_machine(c, &r);
	x.b = built[mi];
	err[0] = 0;
	res->draws[t].machine = (int64_t)mi;
	for (size_t p = 0; p < np; p++) {
		st[p] = (struct pstate){ .pol = &c->policies[p], .index = (int)p,
					 .ps = cp_policy_new(&c->policies[p]),
					 .o = &res->outcomes[t * (long)np + (long)p] };
	}
	ret = trial_loop(&x, st, np, &r, &res->draws[t]);
	for (size_t p = 0; p < np; p++) {
		retire(&st[p]);
		cp_policy_free(st[p].ps);
		cp_rmap_free(&st[p].offlined);
		cp_rmap_free(&st[p].moved);
	}
	free(st);
	return ret;
}
