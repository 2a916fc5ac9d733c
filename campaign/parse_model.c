// SPDX-License-Identifier: GPL-2.0-only
/* The error-model statements of a campaign file: fit, ue, cluster, pareto (docs/campaign.md). */
#include <string.h>

#include "parse.h"

static int find_mode(struct pctx *p, const char *s)
{
	for (int m = 0; m < CP_NR_MODES; m++)
		if (!strcmp(s, cp_mode_name[m]))
			return m;
	return cpp_fail(p, "found '%s', expected a fault mode (single-bit, single-word, "
		    "single-column, single-row, single-bank, multi-bank, multi-rank)", s);
}

int cpp_st_fit(struct pctx *p)
{
	int m;

	if (cpp_want_args(p, 3, 3) || (m = find_mode(p, p->tok[1])) < 0)
		return -1;
	if (cpp_num(p, "fit (transient)", p->tok[2], &p->c->em.fit[m][0]) ||
	    cpp_num(p, "fit (permanent)", p->tok[3], &p->c->em.fit[m][1]))
		return -1;
	return 0;
}

int cpp_prob(struct pctx *p, const char *what, const char *s, double *out)
{
	if (cpp_num(p, what, s, out))
		return -1;
	if (*out > 1)
		return cpp_fail(p, "%s is a probability, not '%s'", what, s);
	return 0;
}

int cpp_st_ue(struct pctx *p)
{
	int m;

	if (cpp_want_args(p, 2, 2) || (m = find_mode(p, p->tok[1])) < 0)
		return -1;
	return cpp_prob(p, "ue", p->tok[2], &p->c->em.ue_frac[m]);
}

int cpp_st_cluster(struct pctx *p)
{
	struct cp_errmodel *em = &p->c->em;
	const char *v;

	if (cpp_want_args(p, 1, 3))
		return -1;
	for (int i = 1; i < p->ntok; i++) {
		if (!(v = cpp_value(p, p->tok[i])))
			return -1;
		if (!strcmp(p->tok[i], "p")) {
			if (cpp_prob(p, "p", v, &em->cluster_p))
				return -1;
		} else if (!strcmp(p->tok[i], "burst") || !strcmp(p->tok[i], "quiet")) {
			if (cpp_duration(p, p->tok[i], v,
				     p->tok[i][0] == 'b' ? &em->burst_gap_h : &em->quiet_gap_h))
				return -1;
		} else {
			return cpp_fail(p, "cluster: unknown option '%s' (p, burst, quiet)", p->tok[i]);
		}
	}
	return 0;
}

int cpp_st_pareto(struct pctx *p)
{
	struct cp_errmodel *em = &p->c->em;
	const char *v;

	if (cpp_want_args(p, 1, 2))
		return -1;
	for (int i = 1; i < p->ntok; i++) {
		double *dst = !strncmp(p->tok[i], "alpha=", 6) ? &em->pareto_alpha
			      : !strncmp(p->tok[i], "max=", 4) ? &em->pareto_max : NULL;

		if (!(v = cpp_value(p, p->tok[i])))
			return -1;
		if (!dst)
			return cpp_fail(p, "pareto: unknown option '%s' (alpha, max)", p->tok[i]);
		if (cpp_num(p, p->tok[i], v, dst))
			return -1;
	}
	if (em->pareto_alpha <= 0 || em->pareto_max < 1)
		return cpp_fail(p, "pareto: alpha must be > 0 and max >= 1");
	return 0;
}
