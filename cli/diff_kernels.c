// SPDX-License-Identifier: GPL-2.0-only
/*
 * memfail diff-kernels: run each scenario under the 6.1 and the 6.12 kernel
 * profiles and print, step by step, where the two behave differently: the
 * answer to "what changes for this workload when I upgrade?".
 *
 * Both runs go on after a failed expectation (the file's expectations are
 * usually written for one kernel), so every step is compared. A trace is cut
 * into blocks: a step line with its indented event lines, or a failure line
 * (FILE:LINE: ...). Blocks are matched by their scenario line; a pair that
 * differs is printed as a small unified diff ("-" 6.1 only, "+" 6.12 only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "diff_kernels.h"

static const char *const kernels[2] = { "6.1", "6.12" };

struct block {
	int line;		/* scenario line (0: none, e.g. a skip note) */
	char **text;		/* the block's lines, without newline */
	int n, cap;
};

struct trace {
	struct block *b;
	int n, cap;
};

/* The scenario line of a block's first line: "step N ..." or "PATH:N: ...". */
static int block_line(const char *s)
{
	const char *c;

	if (!strncmp(s, "step ", 5))
		return atoi(s + 5);
	c = strstr(s, ".mf:");
	return c ? atoi(c + 4) : 0;
}

static void parse_trace(char *buf, struct trace *t)
{
	for (char *save = NULL, *s = strtok_r(buf, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
		struct block *b;

		if (s[0] != ' ' || !t->n) {
			ARRAY_GROW(t->b, t->n, t->cap, "a trace block");
			t->b[t->n++] = (struct block){ block_line(s), NULL, 0, 0 };
		}
		b = &t->b[t->n - 1];
		ARRAY_PUSH(b->text, b->n, b->cap, s, "a trace line");
	}
}

static void free_trace(struct trace *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->b[i].text);
	free(t->b);
}

/* Run file under kernel k; the trace text (caller frees) or NULL. */
static char *run_under(const struct diffk_ctx *c, char *file, const char *k)
{
	struct mf_run_opts o = { .err = stderr, .kernel = k, .keep_going = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		mf_oom("a trace buffer");
	mf_run_files(c->make_backend, c->ctx, &file, 1, &o, f);
	fclose(f);
	return buf;
}

static bool blocks_equal(const struct block *a, const struct block *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->text[i], b->text[i]))
			return false;
	return true;
}

/* A line-by-line diff of two small blocks (longest common subsequence). */
static void print_block_diff(FILE *out, const struct block *a, const struct block *b)
{
	int n = a ? a->n : 0, m = b ? b->n : 0, i, j;
	int *l = xcalloc((size_t)(n + 1) * (size_t)(m + 1), sizeof(*l), "a block diff");

#define L(x, y) l[(x) * (m + 1) + (y)]
	for (i = n - 1; i >= 0; i--)
		for (j = m - 1; j >= 0; j--)
			L(i, j) = !strcmp(a->text[i], b->text[j]) ? L(i + 1, j + 1) + 1 :
				  L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) : L(i, j + 1);
	for (i = 0, j = 0; i < n || j < m;) {
		if (i < n && j < m && !strcmp(a->text[i], b->text[j])) {
			fprintf(out, " %s\n", a->text[i]);
			i++, j++;
		} else if (i < n && (j == m || L(i + 1, j) >= L(i, j + 1))) {
			fprintf(out, "-%s\n", a->text[i++]);
		} else {
			fprintf(out, "+%s\n", b->text[j++]);
		}
	}
#undef L
	free(l);
}

/* The block of t for scenario line `line` from *pos on, or NULL. */
static const struct block *take(const struct trace *t, int *pos, int line)
{
	if (*pos < t->n && t->b[*pos].line == line)
		return &t->b[(*pos)++];
	return NULL;
}

/* Compare two traces; returns how many scenario lines behave differently. */
static int diff_traces(FILE *out, const struct trace *a, const struct trace *b)
{
	int i = 0, j = 0, ndiff = 0;

	while (i < a->n || j < b->n) {
		int la = i < a->n ? a->b[i].line : -1, lb = j < b->n ? b->b[j].line : -1;
		/* blocks come in scenario order: take the earlier line, both when equal */
		int line = la < 0 ? lb : lb < 0 ? la : la < lb ? la : lb;
		const struct block *x = take(a, &i, line), *y = take(b, &j, line);

		if (x && y && blocks_equal(x, y))
			continue;
		if (!x && !y) {	/* unnumbered blocks (notes) out of step: compare in order */
			x = i < a->n ? &a->b[i++] : NULL;
			y = j < b->n ? &b->b[j++] : NULL;
			if (x && y && blocks_equal(x, y))
				continue;
		}
		fprintf(out, "@@ line %d: %s @@\n", line,
			!x ? "only on 6.12" : !y ? "only on 6.1" : "differs");
		print_block_diff(out, x, y);
		ndiff++;
	}
	return ndiff;
}

int memfail_diff_kernels(const struct diffk_ctx *c, char **files, int n, FILE *out)
{
	int changed = 0;

	if (mf_check_files(files, n, stderr))
		return MF_EXIT_USAGE;
	for (int f = 0; f < n; f++) {
		struct trace t[2] = { 0 };
		char *buf[2];
		int nd;

		for (int k = 0; k < 2; k++) {
			buf[k] = run_under(c, files[f], kernels[k]);
			parse_trace(buf[k], &t[k]);
		}
		fprintf(out, "=== %s\n--- %s\n+++ %s\n", files[f], kernels[0], kernels[1]);
		nd = diff_traces(out, &t[0], &t[1]);
		fprintf(out, "=== %s: %s\n", files[f], nd ? "differs" : "same");
		changed += nd > 0;
		for (int k = 0; k < 2; k++) {
			free_trace(&t[k]);
			free(buf[k]);
		}
	}
	fprintf(out, "=== %d of %d scenarios behave differently on %s and %s\n", changed, n,
		kernels[0], kernels[1]);
	return changed ? MF_EXIT_FAIL : MF_EXIT_OK;
}
