/* SPDX-License-Identifier: GPL-2.0-only */
/* The driver's expectations: "=> RESULT" (spec section 7) and "expect" statements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv.h"
#include "parse.h"

int mf_resolve(struct drv *d, const struct mf_pageref *ref, uint64_t *pfn, struct sbuf *msg)
{
	char m[256] = "";

	if (ref->kind == MF_PREF_LABEL) {
		*pfn = mf_label_pfn(d, ref->label);
		if (*pfn != MF_PFN_NONE)
			return 0;
		sb_printf(msg, "label %s is bound to no page", ref->label);
		return -1;
	}
	if (!d->be->ops->resolve) {
		sb_printf(msg, "the %s back end cannot resolve page references", d->be->ops->name);
		return -1;
	}
	if (d->be->ops->resolve(d->be, ref, pfn, m, sizeof(m)) == 0)
		return 0;
	if (ref->kind == MF_PREF_TASK && mf_failed_mmap(d, ref->task, ref->addr.region, msg))
		return -1;
	if (!m[0]) {
		sb_printf(msg, "page reference ");
		mf_fmt_pageref(msg, ref);
		sb_printf(msg, " resolves to no page");
	} else {
		sb_printf(msg, "%s", m);
	}
	return -1;
}

static int fail_expect(const struct mf_stmt *st, struct sbuf *msg, const char *got)
{
	sb_printf(msg, "expected ");
	mf_fmt_expect(msg, st);
	sb_printf(msg, ", got %s", got);
	return 1;
}

static bool sig_match(const struct mf_expsig *e, const struct sigrec *r)
{
	if (mf_signo_of(e->signame) != r->si.signo ||
	    mf_sicode_of(e->signame, e->code) != r->si.code)
		return false;
	if (e->has_addr && (!r->addr_ok || strcmp(e->addr.region, r->region) ||
			    e->addr.off != r->off))
		return false;
	return !e->has_lsb || e->lsb == r->si.lsb;
}

static int check_signals(struct drv *d, const struct mf_stmt *st, struct sbuf *msg)
{
	const struct mf_expect *e = st->expect;
	char key[sizeof(d->cur[0].key)];
	const char *thr = !strcmp(e->thread, "main") ? "" : e->thread;
	struct cursor *c = NULL;
	struct sbuf got = { 0 };
	int n = 0, r = 0;
	bool ok = true;

	snprintf(key, sizeof(key), "%s%s%s", e->task, e->thread[0] ? "." : "", e->thread);
	for (int i = 0; i < d->ncur; i++)
		if (!strcmp(d->cur[i].key, key))
			c = &d->cur[i];
	if (!c) {
		ARRAY_GROW(d->cur, d->ncur, d->capcur, "checking signal expectations");
		c = &d->cur[d->ncur++];
		memset(c, 0, sizeof(*c));
		strcpy(c->key, key);
	}
	for (int i = c->pos; i < d->nsig; i++) {
		const struct sigrec *s = &d->sig[i];

		if (strcmp(s->proc, e->task) || (e->thread[0] && strcmp(s->thread, thr)))
			continue;
		if (n)
			sb_printf(&got, ", ");
		mf_fmt_sigrec(&got, s, true);
		if (n >= e->nsig || !sig_match(&e->sig[n], s))
			ok = false;
		n++;
	}
	c->pos = d->nsig;
	if (!ok || n != e->nsig)
		r = fail_expect(st, msg, n ? got.s : "none");
	sb_free(&got);
	return r;
}

static int check_log(struct drv *d, const struct mf_stmt *st, struct sbuf *msg)
{
	const struct mf_expect *e = st->expect;
	struct sbuf got = { 0 };
	int hit = -1, r = 0;

	if (!d->in_group) {
		d->win_start = d->group_end;
		d->win_end = d->nlog;
		d->in_group = true;
	}
	for (int i = d->win_start; i < d->win_end && hit < 0; i++)
		if (strstr(d->log[i], e->log))
			hit = i;
	if (e->kind == MF_EXPECT_LOG && hit < 0) {
		if (d->win_start == d->win_end)
			sb_printf(&got, "no log lines");
		for (int i = d->win_start; i < d->win_end; i++)
			sb_printf(&got, "%s\"%s\"", i > d->win_start ? ", " : "", d->log[i]);
		r = fail_expect(st, msg, got.s);
	} else if (e->kind == MF_EXPECT_NO_LOG && hit >= 0) {
		sb_printf(&got, "\"%s\"", d->log[hit]);
		r = fail_expect(st, msg, got.s);
	}
	sb_free(&got);
	return r;
}

static int check_task(struct drv *d, const struct mf_stmt *st, struct sbuf *msg)
{
	const struct mf_expect *e = st->expect;
	int x = 0;
	enum mf_task_state s;
	char got[64], sn[16];
	bool ok;

	if (!d->be->ops->task_state) {
		sb_printf(msg, "the %s back end cannot report task states", d->be->ops->name);
		return -1;
	}
	s = d->be->ops->task_state(d->be, e->task, &x);
	switch (s) {
	case MF_TASK_ALIVE: snprintf(got, sizeof(got), "alive"); break;
	case MF_TASK_KILLED:
		snprintf(got, sizeof(got), "killed %s", mf_signame(x, sn, sizeof(sn)));
		break;
	case MF_TASK_EXITED: snprintf(got, sizeof(got), "exited %d", x); break;
	default: snprintf(got, sizeof(got), "unknown"); break;
	}
	if (e->kind == MF_EXPECT_ALIVE)
		ok = s == MF_TASK_ALIVE;
	else if (e->kind == MF_EXPECT_KILLED)
		ok = s == MF_TASK_KILLED && x == mf_signo_of(e->signame);
	else
		ok = s == MF_TASK_EXITED && (!e->has_exit_code || x == e->exit_code);
	return ok ? 0 : fail_expect(st, msg, got);
}

static int check_page(struct drv *d, const struct mf_stmt *st, struct sbuf *msg)
{
	const struct mf_expect *e = st->expect;
	uint64_t pfn, flags;
	struct sbuf got = { 0 };
	bool ok = true;
	int r = 0;

	if (mf_resolve(d, &e->ref, &pfn, msg))
		return -1;
	if (!d->be->ops->kpageflags || d->be->ops->kpageflags(d->be, pfn, &flags)) {
		sb_printf(msg, "cannot read the page flags of %s", mf_pfn_name(d, pfn));
		return -1;
	}
	sb_printf(&got, "page ");
	mf_fmt_pageref(&got, &e->ref);
	for (int i = 0; i < e->nflags; i++) {
		bool set = (flags >> e->flag_bit[i]) & 1;

		ok &= set == e->flag_set[i];
		sb_printf(&got, " %s%s", set ? "" : "!", mf_kpf_name(e->flag_bit[i]));
	}
	if (!ok)
		r = fail_expect(st, msg, got.s);
	sb_free(&got);
	return r;
}

/* The node's statistics now, as changes since the scenario started (the kernel's count since boot). */
static int check_mf_stats(struct drv *d, const struct mf_stmt *st, struct sbuf *msg)
{
	const struct mf_expect *e = st->expect;
	uint64_t now[MF_STAT_NR];
	struct sbuf g = { 0 };
	bool same = true;
	int r = 0;

	if (!(d->mfs_nodes & (1ull << e->mfs_node)) ||
	    d->be->ops->mf_stats(d->be, e->mfs_node, now)) {
		sb_printf(msg, "the back end has no memory_failure statistics for node %d (6.12 has them)",
			  e->mfs_node);
		return -1;
	}
	sb_printf(&g, "memory-failure-stats node=%d", e->mfs_node);
	for (int i = 0; i < MF_STAT_NR; i++) {
		uint64_t delta = now[i] - d->mfs_base[e->mfs_node][i];

		if (!(e->mfs_mask & (1u << i)))
			continue;
		same = same && delta == e->mfs_delta[i];
		sb_printf(&g, " %s=+%llu", mf_stat_names[i], (unsigned long long)delta);
	}
	if (!same)
		r = fail_expect(st, msg, g.s);
	sb_free(&g);
	return r;
}

int mf_check_expect(struct drv *d, const struct mf_stmt *st, struct sbuf *msg)
{
	const struct mf_expect *e = st->expect;
	char got[128];

	switch (e->kind) {
	case MF_EXPECT_SIGNALS:
		return check_signals(d, st, msg);
	case MF_EXPECT_ALIVE: case MF_EXPECT_KILLED: case MF_EXPECT_EXITED:
		return check_task(d, st, msg);
	case MF_EXPECT_LOG: case MF_EXPECT_NO_LOG:
		return check_log(d, st, msg);
	case MF_EXPECT_HWCORRUPT: {
		int64_t now;
		char v[32];

		if (!d->be->ops->hardware_corrupted_kb) {
			sb_printf(msg, "the back end cannot report HardwareCorrupted");
			return -1;
		}
		now = ((int64_t)d->be->ops->hardware_corrupted_kb(d->be) - (int64_t)d->hwc_base) *
		      1024;
		if (now == e->hwcorrupt_bytes)
			return 0;
		snprintf(got, sizeof(got), "hardware-corrupted %s", mf_fmt_delta(v, sizeof(v), now));
		return fail_expect(st, msg, got);
	}
	case MF_EXPECT_PAGE:
		return check_page(d, st, msg);
	case MF_EXPECT_IS: case MF_EXPECT_IS_NOT: {
		uint64_t pfn, want;
		struct sbuf g = { 0 };
		int r = 0;

		if (mf_resolve(d, &e->ref, &pfn, msg) || mf_resolve(d, &e->rhs, &want, msg))
			return -1;
		if ((pfn == want) != (e->kind == MF_EXPECT_IS)) {
			mf_fmt_pageref(&g, &e->ref);
			sb_printf(&g, " is %s", mf_pfn_name(d, pfn));
			r = fail_expect(st, msg, g.s);
		}
		sb_free(&g);
		return r;
	}
	case MF_EXPECT_MF_STATS:
		return check_mf_stats(d, st, msg);
	case MF_EXPECT_HUGEPAGES: {
		long fr = 0, to = 0;

		if (!d->be->ops->hugepages || d->be->ops->hugepages(d->be, &fr, &to)) {
			sb_printf(msg, "the back end cannot report the hugetlb pool");
			return -1;
		}
		if ((!e->has_free || fr == e->hp_free) && (!e->has_total || to == e->hp_total))
			return 0;
		snprintf(got, sizeof(got), "hugepages free=%ld total=%ld", fr, to);
		return fail_expect(st, msg, got);
	}
	}
	return 0;
}

/* Equal results: "ok" == "0"; numbers compare by value ("4K" == "4096"). */
static bool text_match(const char *want, const char *got)
{
	uint64_t a, b;
	bool wz = !strcmp(want, "ok") || !strcmp(want, "0");
	bool gz = !strcmp(got, "ok") || !strcmp(got, "0");

	if (wz || gz)
		return wz && gz;
	if (!p_number(want, true, &a) && !p_number(got, true, &b))
		return a == b;
	return !strcmp(want, got);
}

static void fmt_expres(struct sbuf *b, const struct mf_expres *e)
{
	char s[32];

	switch (e->kind) {
	case MF_EXP_SIGNAL:
		sb_printf(b, "%s %s", e->text, e->code);
		if (e->has_addr)
			sb_printf(b, " addr=%s+0x%llx", e->addr.region, (unsigned long long)e->addr.off);
		if (e->has_lsb)
			sb_printf(b, " lsb=%d", e->lsb);
		break;
	case MF_EXP_KILLED: sb_printf(b, "killed %s", e->text); break;
	case MF_EXP_SHORT:
		sb_printf(b, "%s %s", mf_fmt_size(s, sizeof(s), e->short_len), e->text);
		break;
	default: sb_printf(b, "%s", e->text); break;
	}
}

int mf_check_expres(struct drv *d, const struct mf_stmt *st, const struct mf_result *res,
		    const char *restext, struct sbuf *msg)
{
	static const struct mf_expres none;
	const struct mf_expres *e = mf_expres_for(st, d->sc->kernel);
	bool ok = false;

	if (!e)
		e = &none;

	switch (e->kind) {
	case MF_EXP_NONE:
		return 0;
	case MF_EXP_TEXT:
		ok = text_match(e->text, restext);
		break;
	case MF_EXP_SIGNAL:
		if (res->kind == MF_RES_SIGNAL) {
			struct mf_expsig es = { .has_addr = e->has_addr, .has_lsb = e->has_lsb,
						.addr = e->addr, .lsb = e->lsb };
			struct sigrec r = { .si = res->sig };

			strcpy(es.code, e->code);
			memcpy(es.signame, e->text, sizeof(es.signame) - 1);
			r.addr_ok = mf_norm_addr(d, d->step_task, res->sig.addr, r.region, &r.off);
			ok = sig_match(&es, &r);
		}
		break;
	case MF_EXP_KILLED:
		ok = res->kind == MF_RES_KILLED && res->killed_signo == mf_signo_of(e->text);
		break;
	case MF_EXP_SHORT:
		if (res->kind == MF_RES_READ && res->read_short && res->read_len == e->short_len) {
			char w[16];

			if (res->read_kind == MF_READ_BYTE)
				snprintf(w, sizeof(w), "0x%02x", res->read_byte);
			else
				snprintf(w, sizeof(w), "%s", res->read_kind == MF_READ_INDEX ? "index" :
					 res->read_kind == MF_READ_DATA ? "data" : "EOF");
			ok = text_match(e->text, w);
		}
		break;
	}
	if (ok)
		return 0;
	sb_printf(msg, "expected ");
	fmt_expres(msg, e);
	sb_printf(msg, ", got %s", restext);
	return 1;
}
