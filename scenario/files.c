/* SPDX-License-Identifier: GPL-2.0-only */
/* Running a list of scenario files: parse all first, then run each, framed. */
#include <stdio.h>
#include <stdlib.h>

#include "drv.h"

const char *mf_outcome_name(enum mf_outcome r)
{
	static const char *const n[] = { "pass", "FAIL", "skip", "ERROR" };

	return r >= MF_PASS && r <= MF_ERROR ? n[r] : "?";
}

/* Parse every file; NULL if any failed (errors printed). */
static struct mf_scenario **parse_all(char **files, int n, FILE *err)
{
	struct mf_scenario **sc = calloc(n ? n : 1, sizeof(*sc));
	bool bad = false;

	for (int i = 0; i < n; i++) {
		struct mf_parse_error pe;

		sc[i] = mf_scenario_parse_file(files[i], &pe);
		if (!sc[i]) {
			fprintf(err, "%s\n", pe.msg);
			bad = true;
		}
	}
	if (!bad)
		return sc;
	for (int i = 0; i < n; i++)
		mf_scenario_free(sc[i]);
	free(sc);
	return NULL;
}

int mf_check_files(char **files, int n, FILE *err)
{
	struct mf_scenario **sc = parse_all(files, n, err ? err : stderr);

	if (!sc)
		return MF_EXIT_USAGE;
	for (int i = 0; i < n; i++)
		mf_scenario_free(sc[i]);
	free(sc);
	return MF_EXIT_OK;
}

int mf_run_files(struct mf_backend *(*make_backend)(void *ctx), void *ctx, char **files, int n,
		 const struct mf_run_opts *o, FILE *out)
{
	struct mf_scenario **sc = parse_all(files, n, o->err ? o->err : stderr);
	int count[4] = { 0 };
	bool multi = n > 1;

	if (!sc)
		return MF_EXIT_USAGE;
	for (int i = 0; i < n && o->kernel; i++)
		snprintf(sc[i]->kernel, sizeof(sc[i]->kernel), "%s", o->kernel);
	for (int i = 0; i < n; i++) {
		struct mf_backend *be = make_backend(ctx);
		enum mf_outcome r;

		if (multi)
			tr_frame(out, o, files[i], NULL);
		if (!be) {
			struct drv d = { .sc = sc[i], .o = o, .out = out };

			tr_error(&d, 1, "no back end to run the scenario on");
			r = MF_ERROR;
		} else {
			r = mf_run_scenario(be, sc[i], o, out);
			be->ops->destroy(be);
		}
		count[r]++;
		if (multi)
			tr_frame(out, o, files[i], mf_outcome_name(r));
		mf_scenario_free(sc[i]);
		fflush(out);
	}
	free(sc);
	if (multi)
		tr_summary(out, o, n, count[MF_PASS], count[MF_FAIL], count[MF_SKIP],
			   count[MF_ERROR]);
	if (count[MF_FAIL] || count[MF_ERROR])
		return MF_EXIT_FAIL;
	if (n && count[MF_SKIP] == n)
		return MF_EXIT_SKIP;
	return MF_EXIT_OK;
}
