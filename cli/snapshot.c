// SPDX-License-Identifier: GPL-2.0-only
/* memfail snapshot / memfail exposure: the live-machine commands (docs/exposure.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memfail/cairo_dl.h"
#include "memfail/driver.h"
#include "memfail/snapshot.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_missing(const struct snapshot *s)
{
	for (const char *l = s->missing; l && *l;) {
		size_t n = strcspn(l, "\n");

		fprintf(stderr, "memfail snapshot: not read: %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
}

int memfail_cmd_snapshot(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "anonymize", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct snap_capture_opts o = { .with_cgroup = true, .with_procs = true };
	const char *path = "memfail.snap";
	struct snapshot s;
	char err[512];
	double t0 = now();
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		if (c == 'o')
			path = optarg;
		else if (c == 'a')
			o.anonymize = true;
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	snapshot_capture(&s, &o);
	if (snapshot_write(&s, path, err, sizeof(err))) {
		fprintf(stderr, "memfail snapshot: %s\n", err);
		snapshot_free(&s);
		return 1;
	}
	print_missing(&s);
	fprintf(stderr, "memfail snapshot: wrote %s (%llu pfns, %zu processes%s) in %.2f s\n",
		path, (unsigned long long)s.nr_pfns, s.nr_procs,
		o.anonymize ? ", anonymized" : "", now() - t0);
	snapshot_free(&s);
	return 0;
usage:
	fprintf(stderr, "usage: memfail snapshot [-o FILE] [--anonymize]\n");
	return MF_EXIT_USAGE;
}

struct exp_opts {
	const char *snap, *plot;
	bool live, json, summary;
	unsigned sample;
	enum mf_kernel kernel;
};

int exp_parse_kernel(const char *cmd, const char *arg, enum mf_kernel *k)
{
	if (!mf_kernel_from_release(arg, k))
		return 0;
	fprintf(stderr, "memfail %s: no '%s' profile; --kernel takes 6.1 or 6.12\n", cmd, arg);
	return -1;
}

static int exposure_run(const struct exp_opts *o)
{
	struct snap_capture_opts co = { .with_procs = !o->summary };
	struct snapshot s;
	struct exposure e;
	char err[512];
	int ret = 0;

	if (o->live)
		snapshot_capture(&s, &co);
	else if (snapshot_read(o->snap, &s, err, sizeof(err))) {
		fprintf(stderr, "memfail exposure: %s\n", err);
		return 1;
	}
	if (exposure_build(&e, &s, o->kernel, err, sizeof(err))) {
		fprintf(stderr, "memfail exposure: %s\n", err);
		snapshot_free(&s);
		return 1;
	}
	if (o->sample)
		exposure_print_sample(&e, o->sample, stdout);
	else if (o->json)
		exposure_print_json(&e, stdout);
	else
		exposure_print(&e, stdout, !o->summary);
	if (o->plot && exposure_plot(&e, o->plot, err, sizeof(err))) {
		fprintf(stderr, "memfail exposure: %s\n", err);
		ret = 1;
	}
	exposure_free(&e);
	snapshot_free(&s);
	return ret;
}

int memfail_cmd_exposure(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "live", no_argument, NULL, 'l' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "plot", required_argument, NULL, 'p' },
		{ "summary", no_argument, NULL, 's' },
		{ "sample", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct exp_opts o = { 0 };
	char err[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': o.live = true; break;
		case 'j': o.json = true; break;
		case 'p': o.plot = optarg; break;
		case 's': o.summary = true; break;
		case 'S':
			o.sample = (unsigned)strtoul(optarg, NULL, 10);
			if (!o.sample)
				goto usage;
			break;
		case 'k':
			if (exp_parse_kernel("exposure", optarg, &o.kernel))
				return MF_EXIT_USAGE;
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc)
		o.snap = argv[optind++];
	if (optind != argc || o.live == (o.snap != NULL))
		goto usage;
	/* before the snapshot is read: a static memfail draws in memfail-dynamic (cli/cairo_exec.c) */
	if (o.plot && mf_cairo_load("--plot", err, sizeof(err))) {
		fprintf(stderr, "memfail exposure: %s\n", err);
		return 1;
	}
	return exposure_run(&o);
usage:
	fprintf(stderr, "usage: memfail exposure SNAPSHOT|--live [--kernel 6.1|6.12] [--json] "
			"[--summary] [--sample K] [--plot FILE.png|FILE.svg]\n");
	return MF_EXIT_USAGE;
}
