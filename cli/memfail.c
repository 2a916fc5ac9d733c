/* SPDX-License-Identifier: GPL-2.0-only */
/* memfail: command-line front end. Everything of substance is in scenario/driver.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_kernels.h"
#include "memfail/campaign.h"
#include "memfail/driver.h"
#include "memfail/snapshot.h"
#include "memfail/whatif.h"

#define VERSION "0.1.0"

struct model_ctx {
	bool check_invariants;
	bool check_full;	/* --check-invariants=full */
	bool warned;
};

static struct mf_backend *make_model(void *ctx)
{
	struct model_ctx *m = ctx;
	struct mf_backend *be = mf_model_backend_new(1, m->check_invariants);

	if (be)
		be->check_full = m->check_full;

	if (!be && !m->warned) {
		fprintf(stderr, "memfail: the model back end is not available in this build\n");
		m->warned = true;
	}
	return be;
}

static const struct {
	const char *topic, *text;
} help[] = {
	{ "run",
	  "memfail run [-q] [--json] [--check-invariants[=full]|--no-check-invariants]\n"
	  "            [--log] [--state] [--kernel 6.1|6.12] [--tap] FILE...\n"
	  "  Run scenarios on the model and print the normalized trace. FILE is a\n"
	  "  regular file or a pipe of at most 64 MiB; - is standard input.\n"
	  "  -q, --quiet        print only failures and errors\n"
	  "  --json             everything printed is JSON: one object per line\n"
	  "  --check-invariants run the model's invariant checker after every statement\n"
	  "                     on what the statement changed, and on everything after\n"
	  "                     the last and every 64th (default; =full: on everything\n"
	  "                     after every statement; --no-check-invariants: off)\n"
	  "  --log              print the full kernel log after each scenario\n"
	  "  --state            print a page-types-like summary after each scenario\n"
	  "  --kernel K         follow kernel profile K (6.1 or 6.12) and its expectations\n"
	  "  --tap              TAP 13 as kselftest prints it (traces as \"# \" lines)\n"
	  "  Exit: 0 every expectation held, 1 a failed expectation, a run-time error or\n"
	  "  an error writing the trace, 2 a usage, parse or static error (nothing runs),\n"
	  "  77 every scenario skipped.\n" },
	{ "diff-kernels",
	  "memfail diff-kernels FILE...\n"
	  "  Run each scenario on the model under the 6.1 and the 6.12 kernel profiles (on\n"
	  "  past failed expectations) and print, step by step, where they differ as a\n"
	  "  small unified diff: '-' lines only on 6.1, '+' lines only on 6.12.\n"
	  "  Exit: 0 no scenario differs, 1 some differ, 2 a usage or parse error.\n" },
	{ "campaign",
	  "memfail campaign [--db FILE] [--plot PREFIX] [--quiet] [--no-progress] [--digest] FILE\n"
	  "  Run a fleet campaign (docs/campaign.md): DRAM faults drawn from field-study\n"
	  "  rates over many machine-years, each error run on model machines under each OS\n"
	  "  offlining policy; a report with intervals and an SQLite database. Under\n"
	  "  `mpirun -n N` the trials are split over N ranks, with the same results.\n"
	  "  Exit: 0, 1 a run-time error, 2 a usage or campaign-file error.\n" },
	{ "check", "memfail check [--json] FILE...\n"
		   "  Parse and statically check scenarios; run nothing. Exit 0 or 2.\n"
		   "  --json             each error one JSON object\n" },
	{ "language",
	  "A scenario: header (scenario \"TITLE\", kernel 6.1 6.12, machine, sysctl,\n"
	  "requires model), declarations (file, task, thread), task steps (TASK: OP ...),\n"
	  "system steps and expect statements; where the kernels differ, =>@6.12 RESULT,\n"
	  "expect@6.12 ..., @6.1 STEP (and ';' between statements of a line).\n"
	  "`man memfail` and docs/scenario-language.md tell the whole language. Example:\n\n"
	  "  scenario \"anon page, late kill\"\n"
	  "  kernel 6.1 6.12\n"
	  "  task A\n"
	  "  A: mmap buf anon private 16K fill=index\n"
	  "  A: madvise buf+0 4K hwpoison as P => 0\n"
	  "  expect@6.1 A signals none ; expect@6.12 A signals SIGBUS AR addr=buf+0x0 lsb=12\n"
	  "  A: load buf+0x123 => SIGBUS AR addr=buf+0x123 lsb=12\n"
	  "  expect page P hwpoison\n"
	  "  expect hardware-corrupted +4K\n" },
	{ "statements",	/* preceded by the table of statement kinds (mf_stmt_help) */
	  "Page references: T:REGION+OFF, file FS:NAME+OFF, free, free-huge, kernel, slab,\n"
	  "  metadata, metadata-busy, pmem+OFF, LABEL\n"
	  "Expectations: STEP => RESULT; expect T signals ...|none; expect T alive|killed\n"
	  "  SIG|exited [N]; expect log|no-log \"TEXT\"; expect hardware-corrupted +N;\n"
	  "  expect page REF [!]FLAG...; expect T:REGION+OFF is|is-not LABEL;\n"
	  "  expect hugepages [free=N] [total=N]\n" },
	{ "trace",
	  "The trace: `step LINE TEXT = RESULT`, then indented `log`, `signal`, `killed`\n"
	  "and `hardware-corrupted` lines. pids become task names, pfns labels and user\n"
	  "addresses REGION+0xOFF, so the model and a real kernel print the same bytes.\n" },
};

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: memfail run [OPTIONS] FILE...\n"
		   "       memfail check [--json] FILE...\n"
		   "       memfail diff-kernels FILE...\n"
		   "       memfail snapshot [-o FILE] [--anonymize]\n"
		   "       memfail exposure SNAPSHOT|--live [--kernel 6.1|6.12] [--json] [--plot FILE]\n"
		   "       memfail whatif --pfn N|--sample K SNAPSHOT|--live [--ar PID] [--json]\n"
		   "       memfail campaign [--db FILE] [--plot PREFIX] [--quiet] [--digest] FILE\n"
		   "       memfail explore FILE [--preemptions K] [--max-states N] [--json] [-o PREFIX]\n"
		   "       memfail help [run|check|diff-kernels|campaign|language|statements|trace]\n"
		   "       memfail --version\n");
	return code;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2)
		return usage(stdout, 0);
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		if (!strcmp(argv[1], help[i].topic)) {
			if (!strcmp(argv[1], "statements"))
				mf_stmt_help(stdout);
			fputs(help[i].text, stdout);
			return 0;
		}
	fprintf(stderr, "memfail: no help topic '%s'\n", argv[1]);
	return usage(stderr, MF_EXIT_USAGE);
}

/* Options of run (all) and check (json only); returns optind or -1. */
static int parse_opts(int argc, char **argv, bool run, struct mf_run_opts *o, struct model_ctx *m)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check-invariants", optional_argument, NULL, 'c' },
		{ "no-check-invariants", no_argument, NULL, 'C' },
		{ "log", no_argument, NULL, 'l' },
		{ "state", no_argument, NULL, 'S' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "tap", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option check_lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, run ? "q" : "", run ? lo : check_lo, NULL)) != -1) {
		switch (c) {
		case 'q': o->quiet = true; break;
		case 'j': o->json = true; break;
		case 'l': o->log = true; break;
		case 'S': o->state = true; break;
		case 't': o->tap = true; break;
		case 'c':
			if (optarg && strcmp(optarg, "full")) {
				fprintf(stderr, "memfail run: --check-invariants takes =full or nothing\n");
				return -1;
			}
			m->check_invariants = true;
			m->check_full = optarg != NULL;
			break;
		case 'C': m->check_invariants = false; break;
		case 'k':
			if (strcmp(optarg, "6.1") && strcmp(optarg, "6.12")) {
				fprintf(stderr, "memfail: --kernel wants 6.1 or 6.12, not '%s'\n", optarg);
				return -1;
			}
			o->kernel = optarg;
			break;
		default: return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "memfail %s: no scenario file\n", argv[0]);
		return -1;
	}
	return optind;
}

static int cmd_run(int argc, char **argv)
{
	struct mf_run_opts o = { .err = stderr };
	struct model_ctx m = { .check_invariants = true };
	int i = parse_opts(argc, argv, true, &o, &m);

	if (i < 0)
		return usage(stderr, MF_EXIT_USAGE);
	return mf_run_files(make_model, &m, argv + i, argc - i, &o, stdout);
}

static int cmd_check(int argc, char **argv)
{
	struct mf_run_opts o = { .err = stderr };
	struct model_ctx m = { 0 };
	int i = parse_opts(argc, argv, false, &o, &m);

	if (i < 0)
		return usage(stderr, MF_EXIT_USAGE);
	return mf_check_files_opts(argv + i, argc - i, &o);
}

static int cmd_diff_kernels(int argc, char **argv)
{
	struct model_ctx m = { .check_invariants = true };
	struct diffk_ctx c = { make_model, &m };

	if (argc < 2) {
		fprintf(stderr, "memfail diff-kernels: no scenario file\n");
		return usage(stderr, MF_EXIT_USAGE);
	}
	return memfail_diff_kernels(&c, argv + 1, argc - 1, stdout);
}

/*
 * help and --version print to stdout too: a failed write is an error there as
 * well (run reports its own; a failed command has said why already).
 */
static int finish(int code)
{
	if (code)
		return code;
	errno = 0;
	if (!fflush(stdout) && !ferror(stdout))
		return code;
	if (errno != EPIPE)
		fprintf(stderr, "memfail: cannot write to standard output: %s\n",
			errno ? strerror(errno) : "write error");
	return MF_EXIT_FAIL;
}

static int dispatch(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, MF_EXIT_USAGE);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("memfail %s\n", VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "explore"))	/* cli/explore.c */
		return memfail_cmd_explore(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff-kernels"))
		return cmd_diff_kernels(argc - 1, argv + 1);
	if (!strcmp(argv[1], "snapshot"))
		return memfail_cmd_snapshot(argc - 1, argv + 1);
	if (!strcmp(argv[1], "exposure"))
		return memfail_cmd_exposure(argc - 1, argv + 1);
	if (!strcmp(argv[1], "whatif"))
		return memfail_cmd_whatif(argc - 1, argv + 1);
	if (!strcmp(argv[1], "campaign"))
		return cp_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	fprintf(stderr, "memfail: unknown command '%s'\n", argv[1]);
	return usage(stderr, MF_EXIT_USAGE);
}

int main(int argc, char **argv)
{
	return finish(dispatch(argc, argv));
}
