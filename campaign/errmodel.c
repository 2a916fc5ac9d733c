// SPDX-License-Identifier: GPL-2.0-only
/*
 * The error model (docs/campaign.md cites every default):
 *  - faults arrive per DRAM device at the FIT rates Sridharan & Liberty (SC12)
 *    measured on Jaguar, by mode and transient/permanent, as AMD's FaultSim
 *    tabulates them; a transient fault gives one error, a permanent one keeps
 *    giving errors until the horizon;
 *  - the errors of a permanent fault cluster in time (Schroeder, Pinheiro,
 *    Weber: most CEs are followed by another within a month): each gap is
 *    short (a burst) with probability cluster_p, long otherwise;
 *  - how often a fault errs varies by orders of magnitude between faults
 *    (Meza et al.: errors per machine are Pareto-distributed): every gap of a
 *    fault is divided by a truncated Pareto factor drawn once per fault;
 *  - each error lands on one address of the fault's footprint (a row fault on
 *    one column of its row, a column fault in one row of its column...), and
 *    a fault ECC cannot always correct (ue_frac of its mode) gives a UE in
 *    ue_share of its errors and CEs otherwise.
 */
#include <math.h>
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/campaign.h"

const char *const cp_mode_name[CP_NR_MODES] = {
	"single-bit", "single-word", "single-column", "single-row",
	"single-bank", "multi-bank", "multi-rank",
};

void cp_errmodel_default(struct cp_errmodel *em)
{
	static const double fit[CP_NR_MODES][2] = {
		{ 14.2, 18.6 }, { 1.4, 0.3 }, { 1.4, 5.6 }, { 0.2, 8.2 },
		{ 0.8, 10.0 }, { 0.3, 1.4 }, { 0.9, 2.8 },
	};
	/* SECDED: a one-bit fault is always corrected; a fault spanning several
	 * bits of a word defeats it for part of its errors (an assumption, see
	 * docs/campaign.md). */
	static const double ue[CP_NR_MODES] = { 0, 0.1, 0.05, 0.05, 0.05, 0.1, 0.1 };

	for (int m = 0; m < CP_NR_MODES; m++) {
		em->fit[m][0] = fit[m][0];
		em->fit[m][1] = fit[m][1];
		em->ue_frac[m] = ue[m];
	}
	em->ue_share = 0.5;
	em->fit_scale = 1.0;
	em->cluster_p = 0.85;
	em->burst_gap_h = 24.0;
	em->quiet_gap_h = 2000.0;
	em->pareto_alpha = 1.1;
	em->pareto_max = 1000.0;
	em->scrub_first = 0.5;
}

static double pareto(const struct cp_errmodel *em, struct cp_rng *r)
{
	double x = pow(1.0 - cp_rng_uniform(r), -1.0 / em->pareto_alpha);

	return x > em->pareto_max ? em->pareto_max : x;
}

static double gap(const struct cp_errmodel *em, const struct cp_fault *f, struct cp_rng *r)
{
	double mean = cp_rng_uniform(r) < em->cluster_p ? em->burst_gap_h : em->quiet_gap_h;

	return cp_rng_exp(r, mean / f->rate);
}

static void random_addr(const struct cp_dram *d, struct cp_rng *r, struct cp_dram_addr *a)
{
	a->dimm = (unsigned)cp_rng_below(r, d->dimms);
	a->rank = (unsigned)cp_rng_below(r, d->ranks);
	a->bank = (unsigned)cp_rng_below(r, d->banks);
	a->col = (unsigned)cp_rng_below(r, d->columns);
	a->row = cp_rng_below(r, cp_dram_rows(d));
}

size_t cp_draw_faults(const struct cp_errmodel *em, const struct cp_dram *d, double hours,
		      struct cp_rng *r, struct cp_fault **out)
{
	double devices = (double)d->dimms * d->ranks * d->devices;
	struct cp_fault *f = NULL;
	size_t n = 0, cap = 0;

	for (int m = 0; m < CP_NR_MODES; m++)
		for (int k = 0; k < 2; k++) {
			double mean = em->fit[m][k] * em->fit_scale * 1e-9 * devices * hours;
			long nr = mean > CP_MAX_FAULTS ? CP_MAX_FAULTS + 1 : cp_rng_poisson(r, mean);

			if (n + (size_t)nr > CP_MAX_FAULTS) {
				free(f);
				*out = NULL;
				return SIZE_MAX;
			}
			while (nr-- > 0) {
				ARRAY_GROW(f, n, cap, "campaign faults");
				f[n].mode = m;
				f[n].permanent = k;
				random_addr(d, r, &f[n].at);
				f[n].next_h = f[n].onset_h = cp_rng_uniform(r) * hours;
				f[n].rate = k ? pareto(em, r) : 1.0;
				f[n].uncorrectable = cp_rng_uniform(r) < em->ue_frac[m];
				n++;
			}
		}
	*out = f;
	return n;
}

/* Where this error of the fault lands: the free coordinates are drawn. */
static void locate(const struct cp_dram *d, const struct cp_fault *f, struct cp_rng *r,
		   struct cp_dram_addr *a)
{
	struct cp_dram_addr x;

	*a = f->at;
	random_addr(d, r, &x);
	switch (f->mode) {
	case CP_SINGLE_BIT:
	case CP_SINGLE_WORD:
		break;
	case CP_SINGLE_COLUMN:
		a->row = x.row;
		break;
	case CP_SINGLE_ROW:
		a->col = x.col;
		break;
	case CP_MULTI_RANK:
		a->rank = x.rank;
		/* fall through */
	case CP_MULTI_BANK:
		a->bank = x.bank;
		/* fall through */
	case CP_SINGLE_BANK:
		a->row = x.row;
		a->col = x.col;
		break;
	case CP_NR_MODES:
		break;
	}
}

bool cp_next_error(const struct cp_errmodel *em, const struct cp_dram *d, double hours,
		   struct cp_fault *f, size_t n, struct cp_rng *r, struct cp_error *e)
{
	struct cp_dram_addr a;
	size_t best = n;

	for (size_t i = 0; i < n; i++)
		if (f[i].next_h < hours && (best == n || f[i].next_h < f[best].next_h))
			best = i;
	if (best == n)
		return false;
	locate(d, &f[best], r, &a);
	e->t_h = f[best].next_h;
	e->pfn = cp_dram_encode(d, &a) / MF_PAGE_SIZE;
	e->row_key = cp_dram_row_key(&a);
	e->ue = f[best].uncorrectable && cp_rng_uniform(r) < em->ue_share;
	e->fault = (int)best;
	e->onset_h = f[best].onset_h;
	f[best].next_h = f[best].permanent ? e->t_h + gap(em, &f[best], r) : INFINITY;
	return true;
}
