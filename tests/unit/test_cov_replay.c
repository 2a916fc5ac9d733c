/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Checkpoint and restore over the whole scenario catalogue: every scenario of
 * tests/scenarios runs on the model back end; at its end the machine is
 * checkpointed and restored, and the restored machine must equal the
 * original: the same page flags and counts of every pfn, the same pagemap of
 * every region, the same process states and the same kernel log. This
 * replays every kind of recorded call (kernel/sys_*.c) with the arguments
 * real scenarios give it.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "memfail/driver.h"
#include "memfail/memfail.h"
#include "../../backend/model.h"

static struct {
	struct mf_backend_ops ops;
	void (*destroy)(struct mf_backend *be);
	int compared, restored, mismatched;
	char *file;	/* the scenario running */
} R;

#define FINGERPRINT_PFNS (4ULL << (30 - 12))	/* pfns, and pages of a region */

/* Everything the API observes of machine m, with the model's names for it. */
static char *fingerprint(struct mf_machine *m, const struct model *mo)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	uint64_t pfn, v, c, addr;
	int i, j, st, val;

	assert_non_null(f);
	mf_dump_state(m, f);
	/* the first 4 GiB of pfns: all of a terabyte machine's (dax/pmem-4t-device) would back it all */
	for (pfn = 0; pfn < FINGERPRINT_PFNS && mf_kpageflags(m, pfn, &v) == 0; pfn++) {
		mf_kpagecount(m, pfn, &c);
		fprintf(f, "%llx %llx %llu\n", (unsigned long long)pfn, (unsigned long long)v,
			(unsigned long long)c);
	}
	for (i = 0; i < mo->nproc; i++) {
		const struct mb_proc *p = mo->procs[i];

		val = 0;
		st = mf_proc_state(m, p->pid, &val);
		fprintf(f, "%s pid %d state %d %d\n", p->name, p->pid, st, st >= 0 ? val : 0);
		for (j = 0; j < p->nreg; j++)	/* at most 4 GiB of a region (edge-errnos maps 64G) */
			for (addr = p->reg[j].addr; addr < p->reg[j].addr + p->reg[j].len &&
			     addr - p->reg[j].addr < FINGERPRINT_PFNS * MF_PAGE_SIZE; addr += MF_PAGE_SIZE) {
				v = 0;
				mf_pagemap(m, p->pid, addr, &v);
				fprintf(f, "%s %llx %llx\n", p->reg[j].name, (unsigned long long)addr,
					(unsigned long long)v);
			}
	}
	fprintf(f, "%s", mf_log_text(m) ? mf_log_text(m) : "(no log)");
	fclose(f);
	return text;
}

static void checked_destroy(struct mf_backend *be)
{
	struct model *mo = be->priv;
	struct mf_checkpoint *cp;
	struct mf_machine *r;
	char *a, *b;

	if (mo->m && mf_checkpoint(mo->m, &cp) == 0) {
		R.compared++;
		if (mf_restore(cp, &r) == 0) {
			R.restored++;
			a = fingerprint(mo->m, mo);
			b = fingerprint(r, mo);
			if (strcmp(a, b)) {
				R.mismatched++;
				fprintf(stderr, "%s: the restored machine differs\n", R.file);
			}
			free(a);
			free(b);
			mf_machine_destroy(r);
		}
		mf_checkpoint_free(cp);
	}
	R.destroy(be);
}

static struct mf_backend *make_backend(void *ctx)
{
	struct mf_backend *be = mf_model_backend_new(0, false);

	(void)ctx;
	R.ops = *be->ops;
	R.destroy = be->ops->destroy;
	R.ops.destroy = checked_destroy;
	be->ops = &R.ops;
	return be;
}

static void test_restore_every_scenario(void **state)
{
	struct mf_run_opts o = { .quiet = true };
	FILE *null = fopen("/dev/null", "w");
	glob_t g;
	size_t i;

	(void)state;
	assert_non_null(null);
	o.err = null;
	assert_int_equal(glob("tests/scenarios/*/*.mf", 0, NULL, &g), 0);
	assert_true(g.gl_pathc > 100);
	for (i = 0; i < g.gl_pathc; i++) {
		R.file = g.gl_pathv[i];
		mf_run_files(make_backend, NULL, &g.gl_pathv[i], 1, &o, null);
	}
	/* every scenario whose model started ends in a machine that restores */
	assert_true(R.compared > 100);
	assert_int_equal(R.restored, R.compared);
	assert_int_equal(R.mismatched, 0);
	globfree(&g);
	fclose(null);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_every_scenario),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
