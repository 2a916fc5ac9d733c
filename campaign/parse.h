/* SPDX-License-Identifier: GPL-2.0-only */
/* The campaign-file parser's state and helpers, shared by parse.c and parse_model.c. */
#ifndef CAMPAIGN_PARSE_H
#define CAMPAIGN_PARSE_H

#include <stdio.h>

#include "memfail/campaign.h"

#define MAX_TOK 24

struct pctx {
	const char *file;
	int line;
	FILE *err;
	struct cp_campaign *c;
	char *tok[MAX_TOK];
	int ntok;
	bool seen_title;
};

/* Each reports "FILE:LINE: error: ..." and returns -1 on bad input, else 0. */
int cpp_fail(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cpp_num(struct pctx *p, const char *what, const char *s, double *out);
int cpp_integer(struct pctx *p, const char *what, const char *s, long lo, long *out);
int cpp_size(struct pctx *p, const char *what, const char *s, uint64_t *out);
int cpp_duration(struct pctx *p, const char *what, const char *s, double *out);
int cpp_prob(struct pctx *p, const char *what, const char *s, double *out);
int cpp_want_args(struct pctx *p, int lo, int hi);
/* The VALUE of KEY=VALUE (tok is cut at '='), or NULL after reporting. */
const char *cpp_value(struct pctx *p, char *tok);

int cpp_st_fit(struct pctx *p);
int cpp_st_ue(struct pctx *p);
int cpp_st_cluster(struct pctx *p);
int cpp_st_pareto(struct pctx *p);

#endif
