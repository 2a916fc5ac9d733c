// SPDX-License-Identifier: GPL-2.0-only
/* Campaigns: parser errors, error-model statistics, DRAM map, policies, determinism, schema. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "memfail/campaign.h"

#define HEAD "campaign \"t\"\nhorizon 10\ntrials 5\n"
#define MACHINE "machine m memory=64M\nprocess p anon=1M\n"
#define POLICY "policy none none\n"

static char *parse_err(const char *text)
{
	static char buf[512];
	struct cp_campaign c;
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	int ret = cp_parse_string("t.mfc", text, &c, f);

	fclose(f);
	if (!ret) {
		cp_campaign_free(&c);
		return NULL;
	}
	return buf;
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ HEAD MACHINE "policy x page threshold=0\n",
		  "t.mfc:6: error: threshold wants an integer >= 1, not '0'\n" },
		{ HEAD "process p anon=1M\n", "t.mfc:4: error: process before any machine statement\n" },
		{ HEAD "machine m memory=3M\n", "t.mfc:4: error: machine m: memory must be a "
		  "power-of-two multiple of columns*8*banks*ranks*dimms (131072 bytes)\n" },
		{ HEAD MACHINE "frobnicate\n", "t.mfc:6: error: unknown statement 'frobnicate'\n" },
		{ HEAD MACHINE "fit double-bit 1 2\n", "t.mfc:6: error: found 'double-bit', expected "
		  "a fault mode (single-bit, single-word, single-column, single-row, single-bank, "
		  "multi-bank, multi-rank)\n" },
		{ HEAD MACHINE POLICY "kernel 5.10\n", "t.mfc:7: error: kernel: 6.1 or 6.12, not '5.10'\n" },
		{ HEAD MACHINE "process q map=disk:nope\n", "t.mfc:6: error: map=disk:nope: no such "
		  "file in machine m\n" },
		{ HEAD MACHINE, "t.mfc:5: error: no policy statement\n" },
		{ "horizon 1\n", "t.mfc:1: error: no campaign \"TITLE\" statement\n" },
		{ HEAD MACHINE "scrub-first 1.5\n", "t.mfc:6: error: scrub-first is a probability, "
		  "not '1.5'\n" },
		{ HEAD MACHINE "cluster p=0.9 burst=0h\n", "t.mfc:6: error: burst must be positive\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = parse_err(cases[i].text);

		assert_non_null(got);
		assert_string_equal(got, cases[i].want);
	}
	assert_null(parse_err(HEAD MACHINE POLICY "policy r row threshold=4 window=2d\n"));
}

static const struct cp_dram dram = { .dimms = 2, .ranks = 2, .banks = 16, .devices = 18,
				     .columns = 1024, .memory = 4ull << 30 };

static void test_dram_map(void **state)
{
	struct cp_dram_addr a = { .dimm = 1, .rank = 0, .bank = 5, .col = 700, .row = 1234 }, b;
	uint64_t pfns[8];
	size_t n;

	(void)state;
	assert_int_equal(cp_dram_check(&dram, (char[80]){ 0 }, 80), 0);
	assert_int_equal(cp_dram_rows(&dram), 8192);
	cp_dram_decode(&dram, cp_dram_encode(&dram, &a), &b);
	assert_memory_equal(&a, &b, sizeof(a));
	/* a 8 KiB row is two pages, both decoding to the same row, bank, rank, dimm */
	n = cp_dram_row_pfns(&dram, &a, pfns, 8);
	assert_int_equal(n, 2);
	assert_int_equal(pfns[1], pfns[0] + 1);
	for (size_t i = 0; i < n; i++) {
		cp_dram_decode(&dram, pfns[i] * MF_PAGE_SIZE, &b);
		assert_int_equal(cp_dram_row_key(&b), cp_dram_row_key(&a));
	}
}

/* Fault counts follow the FIT table; most CEs are followed by another within 30 days. */
static void test_errmodel_stats(void **state)
{
	struct cp_errmodel em;
	struct cp_rng r;
	double hours = 5 * 8766.0, devices = 2 * 2 * 18, followed = 0, counted = 0, want = 0;
	long faults = 0, machines = 20000, perm = 0;
	long *per = calloc((size_t)machines, sizeof(long));

	(void)state;
	cp_errmodel_default(&em);
	em.fit_scale = 20;
	cp_rng_seed(&r, 42);
	for (int m = 0; m < CP_NR_MODES; m++)
		want += (em.fit[m][0] + em.fit[m][1]) * 20e-9 * devices * hours * (double)machines;
	for (long i = 0; i < machines; i++) {
		struct cp_fault *f;
		struct cp_error e;
		size_t n = cp_draw_faults(&em, &dram, hours, &r, &f);
		double last = -1;

		faults += (long)n;
		for (size_t k = 0; k < n; k++)
			perm += f[k].permanent;
		/* one fault per machine at most keeps the gap statistic per fault */
		while (n == 1 && cp_next_error(&em, &dram, hours, f, n, &r, &e)) {
			if (last >= 0) {
				counted++;
				followed += e.t_h - last <= 720;
			}
			last = e.t_h;
			per[i]++;
		}
		free(f);
	}
	assert_true(fabs((double)faults - want) < 4 * sqrt(want));
	assert_true(fabs((double)perm / (double)faults - 46.9 / 66.1) < 0.03);
	assert_true(followed / counted > 0.85);
	free(per);
}

static void test_policies(void **state)
{
	struct cp_policy page = { .kind = CP_POL_PAGE, .threshold = 3, .window_h = 24 };
	struct cp_policy bucket = { .kind = CP_POL_BUCKET, .threshold = 2, .window_h = 24 };
	struct cp_policy row = { .kind = CP_POL_ROW, .threshold = 2, .window_h = 24 };
	struct cp_policy_state *s = cp_policy_new(&page);
	struct cp_error e = { .pfn = 7, .row_key = 99 };

	(void)state;
	/* two CEs, then a new refresh cycle: the count starts again */
	e.t_h = 0; assert_false(cp_policy_ce(s, &e));
	e.t_h = 1; assert_false(cp_policy_ce(s, &e));
	e.t_h = 30; assert_false(cp_policy_ce(s, &e));
	e.t_h = 31; assert_false(cp_policy_ce(s, &e));
	e.t_h = 32; assert_true(cp_policy_ce(s, &e));
	e.t_h = 33; assert_false(cp_policy_ce(s, &e));	/* fires once */
	cp_policy_free(s);
	/* leaky bucket, 2 per 24 h: a full day halves the count */
	s = cp_policy_new(&bucket);
	e.t_h = 0; assert_false(cp_policy_ce(s, &e));
	e.t_h = 30; assert_false(cp_policy_ce(s, &e));	/* 0.5 + 1 */
	e.t_h = 31; assert_true(cp_policy_ce(s, &e));	/* 2.5 */
	cp_policy_free(s);
	s = cp_policy_new(&bucket);
	e.t_h = 0; assert_false(cp_policy_ce(s, &e));
	e.t_h = 20; assert_true(cp_policy_ce(s, &e));
	cp_policy_free(s);
	/* row: different pages of one row add up */
	s = cp_policy_new(&row);
	e.t_h = 0; assert_false(cp_policy_ce(s, &e));
	e.pfn = 8; e.t_h = 1; assert_true(cp_policy_ce(s, &e));
	cp_policy_free(s);
}

static const char *fleet =
	"campaign \"unit\"\nseed 7\nhorizon 200\ntrials 40\ntimeline 40\nfit-scale 300\n"
	"machine a memory=32M\nfile disk:log size=1M dirty\n"
	"process w count=2 anon=1M map=disk:log\nprocess db anon=4M pin=64K sigbus=handler\n"
	"policy none none\npolicy page page threshold=2\npolicy row row threshold=2\n";

static void run(struct cp_campaign *c, struct cp_results *res, int nranks)
{
	char err[256];

	cp_results_init(res, c->trials, c->npolicies);
	for (int r = 0; r < nranks; r++) {
		struct cp_results part;

		cp_results_init(&part, c->trials, c->npolicies);
		assert_int_equal(cp_run_range(c, r, nranks, &part, NULL, NULL, err, sizeof(err)), 0);
		for (long t = r; t < c->trials; t += nranks) {
			res->draws[t] = part.draws[t];
			for (size_t p = 0; p < c->npolicies; p++)
				res->outcomes[t * 3 + (long)p] = part.outcomes[t * 3 + (long)p];
		}
		cp_results_free(&part);
	}
}

/* The same trials give the same outcomes whichever rank runs them. */
static void test_determinism(void **state)
{
	struct cp_campaign c;
	struct cp_results one, two;
	int64_t ues = 0;

	(void)state;
	assert_int_equal(cp_parse_string("unit", fleet, &c, stderr), 0);
	run(&c, &one, 1);
	run(&c, &two, 2);
	assert_memory_equal(one.draws, two.draws, sizeof(*one.draws) * 40);
	assert_memory_equal(one.outcomes, two.outcomes, sizeof(*one.outcomes) * 120);
	for (long i = 0; i < 120; i++)
		ues += one.outcomes[i].ues;
	assert_true(ues > 0);
	cp_results_free(&one);
	cp_results_free(&two);
	cp_campaign_free(&c);
}

static void test_schema(void **state)
{
	static const char *const want[] = { "campaign", "event", "machine", "outcome", "policy",
					    "summary", "trial" };
	char path[] = "/tmp/memfail-campaign-XXXXXX", err[256];
	struct cp_campaign c;
	struct cp_results res;
	sqlite3_stmt *st;
	sqlite3 *db;
	uint64_t d1, d2;
	int fd = mkstemp(path), i = 0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(cp_parse_string("unit", fleet, &c, stderr), 0);
	run(&c, &res, 1);
	assert_int_equal(cp_results_write(&c, &res, path, err, sizeof(err)), 0);
	assert_int_equal(cp_results_digest(path, &d1, err, sizeof(err)), 0);
	assert_int_equal(cp_results_write(&c, &res, path, err, sizeof(err)), 0);
	assert_int_equal(cp_results_digest(path, &d2, err, sizeof(err)), 0);
	assert_true(d1 == d2);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type IN "
					    "('table','view') ORDER BY name", -1, &st, NULL), 0);
	while (sqlite3_step(st) == SQLITE_ROW)
		assert_string_equal((const char *)sqlite3_column_text(st, 0), want[i++]);
	assert_int_equal(i, 7);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM outcome", -1, &st, NULL), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 120);
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
	cp_results_free(&res);
	cp_campaign_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),	cmocka_unit_test(test_dram_map),
		cmocka_unit_test(test_errmodel_stats),	cmocka_unit_test(test_policies),
		cmocka_unit_test(test_determinism),	cmocka_unit_test(test_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
