// SPDX-License-Identifier: GPL-2.0-only
/*
 * memfail whatif: a model machine built from a snapshot (or a capture of this
 * machine, kept in memory), an error injected into it at each pfn asked for,
 * and the trace (docs/exposure.md, "whatif"). Never injects into the live
 * machine: --live only reads /proc, as memfail snapshot does.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "memfail/array.h"
#include "memfail/driver.h"
#include "memfail/whatif.h"

struct wi_opts {
	const char *snap;
	bool live, json;
	unsigned sample;
	int inject, inject_pid;
	uint64_t *pfns;
	size_t nr_pfns, cap_pfns;
	int *early;
	size_t nr_early, cap_early;
	enum mf_kernel kernel;
};

static const char usage_text[] =
	"usage: memfail whatif --pfn N [--pfn N ...] | --sample K  SNAPSHOT|--live\n"
	"                      [--ar PID | --madvise PID] [--kernel 6.1|6.12] [--json]\n"
	"  Build a model of the snapshot's machine (processes, mappings, the page at\n"
	"  each pfn), inject a memory error into the model and print the trace.\n"
	"  An error is never injected into the live machine (--live only reads /proc).\n"
	"  --pfn N      a pfn of the snapshot (decimal or 0x hex); repeatable\n"
	"  --sample K   K pfns spread over the outcome classes exposure finds\n"
	"  --ar PID     an action-required machine check consumed by process PID\n"
	"               (default: an action-optional machine check, MCE AO)\n"
	"  --madvise PID  madvise(MADV_HWPOISON) by process PID instead\n"
	"  --early-kill PID  process PID set prctl(PR_MCE_KILL) early kill, which\n"
	"               /proc does not show; repeatable\n"
	"  --kernel K   predict as Linux K (6.1, the default, or 6.12) handles the page\n"
	"  --json       one JSON object per pfn\n"
	"  Exit: 0 every outcome agrees with exposure's class, 1 a disagreement or an\n"
	"  error, 2 a usage error.\n";

static int parse(int argc, char **argv, struct wi_opts *o)
{
	static const struct option lo[] = {
		{ "pfn", required_argument, NULL, 'p' }, { "sample", required_argument, NULL, 'S' },
		{ "live", no_argument, NULL, 'l' },	  { "json", no_argument, NULL, 'j' },
		{ "ar", required_argument, NULL, 'a' },	  { "madvise", required_argument, NULL, 'm' },
		{ "early-kill", required_argument, NULL, 'e' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },	  { NULL, 0, NULL, 0 },
	};
	char *e;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		uint64_t v = 0;

		if (c == 'p' || c == 'S' || c == 'a' || c == 'm' || c == 'e') {
			v = strtoull(optarg, &e, 0);
			if (*e || !*optarg || (c == 'S' && (!v || v > 10000)))
				return -1;
		}
		switch (c) {
		case 'p': ARRAY_PUSH(o->pfns, o->nr_pfns, o->cap_pfns, v, "pfns"); break;
		case 'S': o->sample = (unsigned)v; break;
		case 'l': o->live = true; break;
		case 'j': o->json = true; break;
		case 'a': o->inject = WI_MCE_AR, o->inject_pid = (int)v; break;
		case 'm': o->inject = WI_MADVISE, o->inject_pid = (int)v; break;
		case 'e': ARRAY_PUSH(o->early, o->nr_early, o->cap_early, (int)v, "pids"); break;
		case 'k':
			if (exp_parse_kernel("whatif", optarg, &o->kernel))
				return -1;
			break;
		case 'h': fputs(usage_text, stdout); return 1;
		default: return -1;
		}
	}
	if (optind < argc)
		o->snap = argv[optind++];
	if (optind != argc || o->live == (o->snap != NULL) || !o->nr_pfns == !o->sample)
		return -1;
	return 0;
}

static int run_pfns(struct whatif *w, const struct wi_opts *o, const uint64_t *pfns, size_t n)
{
	int ret = 0, agree = 0, ran = 0;
	char err[512];

	for (size_t i = 0; i < n; i++) {
		struct wi_result r;
		int x;

		if (pfns[i] >= w->e->nr_pfns) {
			fprintf(stderr, "memfail whatif: pfn %#" PRIx64 " is beyond the snapshot's "
				"%#" PRIx64 " pfns\n", pfns[i], w->e->nr_pfns);
			ret = 1;
			continue;
		}
		if (w->e->cls[pfns[i]] == EXP_NOT_RAM) {
			fprintf(stderr, "memfail whatif: pfn %#" PRIx64 " is not RAM in the snapshot "
				"(no System RAM range holds it, or the kernel has no page for it); "
				"memory_failure would only say \"memory outside kernel control\"\n",
				pfns[i]);
			ret = 1;
			continue;
		}
		x = whatif_pfn(w, pfns[i], stdout, o->json, &r, err, sizeof(err));
		if (x) {
			fprintf(stderr, "memfail whatif: %s\n", err);
			ret = 1;
			if (x < 0)
				break;
			continue;
		}
		agree += r.agrees, ran++;
		ret |= !r.agrees;
	}
	if (!o->json)
		printf("whatif: %d of %d outcomes agree with exposure (%zu pfns asked for)\n", agree,
		       ran, n);
	return ret;
}

/* The assumptions first: as "# " lines, or with --json as the first object. */
static void print_assumptions(const struct whatif *w, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	json_object *o;

	if (!json) {
		whatif_print_assumptions(w, stdout);
		return;
	}
	f = open_memstream(&text, &len);
	if (!f)
		mf_oom("whatif assumptions");
	whatif_print_assumptions(w, f);
	fclose(f);
	o = json_object_new_object();
	json_object_object_add(o, "assumptions", json_object_new_string(text));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	free(text);
}

int memfail_cmd_whatif(int argc, char **argv)
{
	struct wi_opts o = { 0 };
	struct snapshot s;
	struct exposure e;
	struct whatif w;
	char err[512];
	int ret = parse(argc, argv, &o);

	if (ret) {
		free(o.pfns);
		free(o.early);
		fputs(usage_text, ret < 0 ? stderr : stdout);
		return ret < 0 ? MF_EXIT_USAGE : 0;
	}
	if (o.live) {
		struct snap_capture_opts co = { .with_procs = true };

		snapshot_capture(&s, &co);
	} else if (snapshot_read(o.snap, &s, err, sizeof(err))) {
		fprintf(stderr, "memfail whatif: %s\n", err);
		free(o.pfns);
		free(o.early);
		return 1;
	}
	ret = 1;
	if (exposure_build(&e, &s, o.kernel, err, sizeof(err)))
		goto out_snap;
	if (whatif_build(&w, &s, &e, o.inject, o.inject_pid, o.early, o.nr_early, err,
			 sizeof(err)))
		goto out;
	print_assumptions(&w, o.json);
	if (o.sample) {
		o.pfns = xrealloc_array(o.pfns, o.sample, sizeof(*o.pfns), "pfns");
		o.nr_pfns = whatif_sample(&e, o.sample, o.pfns);
	}
	ret = run_pfns(&w, &o, o.pfns, o.nr_pfns);
	err[0] = 0;
out:
	whatif_free(&w);
	exposure_free(&e);
out_snap:
	if (ret && err[0])
		fprintf(stderr, "memfail whatif: %s\n", err);
	snapshot_free(&s);
	free(o.pfns);
	free(o.early);
	return ret;
}
