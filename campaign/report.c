// SPDX-License-Identifier: GPL-2.0-only
/*
 * The summary table: each outcome per 1,000 machine-years with a 95%
 * interval. With at least 30 events the interval is the normal one over the
 * per-trial counts (it carries the clustering of errors inside trials);
 * below that, the count is treated as Poisson (Wilson-Hilferty bounds), which
 * stays sensible for 0 or a handful of events.
 */
#include <math.h>

#include <string.h>

#include "memfail/array.h"
#include "internal.h"

#define PER 1000.0

static double poisson_bound(double k, bool upper)
{
	double z = 1.959964;

	if (!upper) {
		if (k <= 0)
			return 0;
		return k * pow(1 - 1 / (9 * k) - z / (3 * sqrt(k)), 3);
	}
	k += 1;
	return k * pow(1 - 1 / (9 * k) + z / (3 * sqrt(k)), 3);
}

void cp_stat_of(const struct cp_campaign *c, const struct cp_results *res, size_t policy,
		size_t field, struct cp_stat *st)
{
	double years = c->horizon / (double)c->trials, sum = 0, sq = 0, n = (double)res->trials;

	for (long t = 0; t < res->trials; t++) {
		const int64_t *v = (const int64_t *)&res->outcomes[t * (long)res->npolicies +
								   (long)policy];
		double x = (double)v[field];

		sum += x;
		sq += x * x;
	}
	st->mean = sum / (n * years) * PER;
	if (sum >= 30 && n > 1) {
		double var = (sq - sum * sum / n) / (n - 1);
		double half = 1.959964 * sqrt(var / n) / years * PER;

		st->lo = fmax(0, st->mean - half);
		st->hi = st->mean + half;
	} else {
		st->lo = poisson_bound(sum, false) / (n * years) * PER;
		st->hi = poisson_bound(sum, true) / (n * years) * PER;
	}
}

static size_t field(const char *name)
{
	for (size_t i = 0; i < CP_OUTCOME_FIELDS; i++)
		if (!strcmp(cp_outcome_name[i], name))
			return i;
	return 0;
}

static void cell(FILE *f, const struct cp_stat *s)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.3g [%.3g, %.3g]", s->mean, s->lo, s->hi);
	fprintf(f, " %-24s", buf);
}

static void table(const struct cp_campaign *c, const struct cp_results *res, FILE *f,
		  const char *const *cols, size_t ncols)
{
	struct cp_stat s;

	fprintf(f, "%-14s", "policy");
	for (size_t i = 0; i < ncols; i++)
		fprintf(f, " %-24s", cols[i]);
	fputc('\n', f);
	for (size_t p = 0; p < c->npolicies; p++) {
		fprintf(f, "%-14s", c->policies[p].name);
		for (size_t i = 0; i < ncols; i++) {
			cp_stat_of(c, res, p, field(cols[i]), &s);
			cell(f, &s);
		}
		fputc('\n', f);
	}
}

void cp_report(const struct cp_campaign *c, const struct cp_results *res, FILE *f)
{
	static const char *const main_cols[] = { "kills", "data_loss", "crashes", "ues" };
	static const char *const more_cols[] = { "ues_avoided", "pages_retired", "offline_ok",
						 "offline_fail" };
	static const char *const kill_cols[] = { "kills_anon", "kills_thp", "kills_shmem",
						 "kills_file", "kills_ksm", "kills_other" };
	int64_t faults = 0, perm = 0, errors = 0;

	for (long t = 0; t < res->trials; t++) {
		faults += res->draws[t].faults;
		perm += res->draws[t].permanent;
		errors += res->draws[t].errors;
	}
	fprintf(f, "campaign \"%s\": Linux %s, %ld trials, %.6g machine-years, seed %llu\n", c->title,
		mf_kernel_name(c->kernel), c->trials, c->horizon, (unsigned long long)c->seed);
	fprintf(f, "faults drawn: %lld (%lld permanent), errors: %lld\n", (long long)faults,
		(long long)perm, (long long)errors);
	fprintf(f, "\nper 1,000 machine-years, mean [95%% interval]:\n");
	table(c, res, f, main_cols, ARRAY_SIZE(main_cols));
	fputc('\n', f);
	table(c, res, f, more_cols, ARRAY_SIZE(more_cols));
	fprintf(f, "\nkills by the memory that failed:\n");
	table(c, res, f, kill_cols, ARRAY_SIZE(kill_cols));
}
