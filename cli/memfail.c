/* SPDX-License-Identifier: GPL-2.0-only */
/* memfail: command-line front end. Everything of substance is in scenario/driver.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/campaign.h"
#include "memfail/driver.h"

#define VERSION "0.1.0"

struct model_ctx {
	uint64_t seed;
	bool check_invariants;
	bool warned;
};

static struct mf_backend *make_model(void *ctx)
{
	struct model_ctx *m = ctx;
	struct mf_backend *be = mf_model_backend_new(m->seed, m->check_invariants);

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
	  "memfail run [-q] [--json] [--seed N] [--check-invariants|--no-check-invariants]\n"
	  "            [--log] [--state] FILE...\n"
	  "  Run scenarios on the model and print the normalized trace.\n"
	  "  -q, --quiet        print only failures and errors\n"
	  "  --json             one JSON object per event\n"
	  "  --seed N           seed of the model's choices (default 1)\n"
	  "  --check-invariants run the model's invariant checker after every statement\n"
	  "                     (default; --no-check-invariants turns it off)\n"
	  "  --log              print the full kernel log after each scenario\n"
	  "  --state            print a page-types-like summary after each scenario\n"
	  "  Exit: 0 every expectation held, 1 a failed expectation or run-time error,\n"
	  "  2 a usage, parse or static error (nothing runs), 77 every scenario skipped.\n" },
	{ "check", "memfail check FILE...\n"
		   "  Parse and statically check scenarios; run nothing. Exit 0 or 2.\n" },
	{ "language",
	  "A scenario: header (scenario \"TITLE\", kernel 6.1, machine, sysctl, requires\n"
	  "model), declarations (file, task, thread), task steps (TASK: OP ...), system\n"
	  "steps and expect statements. `man memfail` and docs/scenario-language.md tell\n"
	  "the whole language. Example:\n\n"
	  "  scenario \"anon page, late kill\"\n"
	  "  task A\n"
	  "  A: mmap buf anon private 16K fill=index\n"
	  "  A: madvise buf+0 4K hwpoison as P => 0\n"
	  "  A: load buf+0x123 => SIGBUS AR addr=buf+0x123 lsb=12\n"
	  "  expect page P hwpoison\n"
	  "  expect hardware-corrupted +4K\n" },
	{ "statements",
	  "Declarations: file FS:NAME size=S [fill=index|0xNN] [synced|dirty|hole|uncached];\n"
	  "  task T [fork P] [sigbus=default]; thread T.NAME; sysctl KEY=VALUE\n"
	  "Task steps (T: or T.THREAD:): mmap, munmap, mlock, munlock, madvise, load, store,\n"
	  "  fill, check, prctl mce_kill early|late|clear, prctl mce_kill_get, exit, pin,\n"
	  "  unpin, open, read, write, fsync, fdatasync, msync, ftruncate, punch, close, unlink\n"
	  "madvise advice: hwpoison, soft_offline, hugepage, nohugepage, dontneed, pageout,\n"
	  "  willneed, collapse, mergeable, unmergeable\n"
	  "System steps: corrupt-pfn, unpoison, hard-offline, soft-offline, filter\n"
	  "  enable|disable, mce srao|srar, sync, drop_caches 1|2|3, reclaim, label, ksm-scan,\n"
	  "  reflink\n"
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
		   "       memfail check FILE...\n"
		   "       memfail help [run|check|language|statements|trace]\n"
		   "       memfail --version\n");
	return code;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2)
		return usage(stdout, 0);
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		if (!strcmp(argv[1], help[i].topic)) {
			fputs(help[i].text, stdout);
			return 0;
		}
	fprintf(stderr, "memfail: no help topic '%s'\n", argv[1]);
	return usage(stderr, MF_EXIT_USAGE);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "seed", required_argument, NULL, 's' },
		{ "check-invariants", no_argument, NULL, 'c' },
		{ "no-check-invariants", no_argument, NULL, 'C' },
		{ "log", no_argument, NULL, 'l' },
		{ "state", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct mf_run_opts o = { .err = stderr };
	struct model_ctx m = { .seed = 1, .check_invariants = true };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'q': o.quiet = true; break;
		case 'j': o.json = true; break;
		case 'l': o.log = true; break;
		case 'S': o.state = true; break;
		case 'c': m.check_invariants = true; break;
		case 'C': m.check_invariants = false; break;
		case 's':
			m.seed = strtoull(optarg, &end, 0);
			if (!*optarg || *end) {
				fprintf(stderr, "memfail: --seed wants a number, not '%s'\n", optarg);
				return MF_EXIT_USAGE;
			}
			break;
		default:
			return usage(stderr, MF_EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "memfail run: no scenario file\n");
		return usage(stderr, MF_EXIT_USAGE);
	}
	return mf_run_files(make_model, &m, argv + optind, argc - optind, &o, stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, MF_EXIT_USAGE);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("memfail %s\n", VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check")) {
		if (argc < 3) {
			fprintf(stderr, "memfail check: no scenario file\n");
			return usage(stderr, MF_EXIT_USAGE);
		}
		return mf_check_files(argv + 2, argc - 2, stderr);
	}
	if (!strcmp(argv[1], "campaign"))
		return cp_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	fprintf(stderr, "memfail: unknown command '%s'\n", argv[1]);
	return usage(stderr, MF_EXIT_USAGE);
}
