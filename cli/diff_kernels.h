/* SPDX-License-Identifier: GPL-2.0-only */
/* memfail diff-kernels (cli/diff_kernels.c): each scenario under two kernel profiles. */
#ifndef MEMFAIL_CLI_DIFF_KERNELS_H
#define MEMFAIL_CLI_DIFF_KERNELS_H

#include <stdio.h>

#include "memfail/driver.h"

struct diffk_ctx {
	struct mf_backend *(*make_backend)(void *ctx);
	void *ctx;
};

/*
 * Run each file under 6.1 and 6.12 and print the steps whose traces differ.
 * Returns 0 (no scenario differs), 1 (some differ) or 2 (a parse error).
 */
int memfail_diff_kernels(const struct diffk_ctx *c, char **files, int n, FILE *out);

#endif
