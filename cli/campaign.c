// SPDX-License-Identifier: GPL-2.0-only
/*
 * memfail campaign [OPTIONS] FILE: run a fleet campaign (docs/campaign.md),
 * write its results to SQLite, print the summary, optionally draw plots.
 * Under mpirun the trials are split across ranks; rank 0 writes and prints.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memfail/cairo_dl.h"
#include "memfail/campaign.h"

struct opts {
	const char *db, *plot, *file;
	bool quiet, progress, digest;
};

struct bar {
	double start, last;
	int size;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Rank 0's own share stands for everyone's: the ranks run at the same pace. */
static void progress(void *ctx, long done, long total)
{
	struct bar *b = ctx;
	double t = now(), eta;
	int width = 30, fill;

	if (done < total && t - b->last < 0.2)
		return;
	b->last = t;
	eta = done ? (t - b->start) / (double)done * (double)(total - done) : 0;
	fill = total ? (int)((double)width * (double)done / (double)total) : width;
	fprintf(stderr, "\r[%.*s%*s] %3d%% %ld/%ld trials  ETA %4.0fs ", fill,
		"##############################", width - fill, "",
		total ? (int)(100 * done / total) : 100, done * b->size, total * b->size, eta);
	if (done == total)
		fputc('\n', stderr);
}

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: memfail campaign [--db FILE] [--plot PREFIX] [--quiet] [--no-progress]\n"
		   "                        [--digest] FILE\n"
		   "  --db FILE      SQLite results (default: FILE's name with .db, here)\n"
		   "  --plot PREFIX  draw PREFIX-outcomes.png and PREFIX-timeline.png\n"
		   "  --quiet        no summary table\n"
		   "  --no-progress  no progress bar (it shows only when stderr is a terminal)\n"
		   "  --digest       print a digest of every row written (same seed: same digest)\n"
		   "  Under mpirun -n N the trials are split across N ranks; results do not\n"
		   "  depend on N. Exit 0, 1 (run-time error), 2 (usage or campaign file error).\n");
	return code;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "plot", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' }, { "no-progress", no_argument, NULL, 'n' },
		{ "digest", no_argument, NULL, 'g' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'p': o->plot = optarg; break;
		case 'q': o->quiet = true; break;
		case 'n': o->progress = false; break;
		case 'g': o->digest = true; break;
		case 'h': exit(usage(stdout, 0));
		default: return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	o->file = argv[optind];
	return 0;
}

static char *default_db(const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char *db = malloc(n + 4);

	if (db)
		snprintf(db, n + 4, "%.*s.db", (int)n, base);
	return db;
}

/* UEs that reached the kernel as machine checks, over every policy. */
static long long injected(const struct cp_results *res)
{
	long long n = 0;

	for (size_t i = 0; i < (size_t)res->trials * res->npolicies; i++)
		n += res->outcomes[i].ao + res->outcomes[i].ar;
	return n;
}

static int finish(const struct cp_campaign *c, const struct cp_results *res, const struct opts *o,
		  double secs)
{
	char *db = o->db ? NULL : default_db(o->file), err[512];
	const char *path = o->db ? o->db : db;
	uint64_t digest;
	int ret = 0;

	if (!path || cp_results_write(c, res, path, err, sizeof(err)) ||
	    (o->plot && cp_plot(c, res, o->plot, err, sizeof(err))) ||
	    (o->digest && cp_results_digest(path, &digest, err, sizeof(err)))) {
		fprintf(stderr, "memfail campaign: %s\n", path ? err : "out of memory");
		ret = 1;
	} else {
		if (!o->quiet)
			cp_report(c, res, stdout);
		if (o->digest)
			printf("results digest: %016llx\n", (unsigned long long)digest);
		fprintf(stderr, "memfail campaign: %ld trials in %.2f s, %lld machine checks, "
			"results in %s\n", c->trials, secs, injected(res), path);
	}
	free(db);
	return ret;
}

int cp_main(int argc, char **argv)
{
	struct opts o = { .progress = true };
	struct cp_campaign c;
	struct cp_results res;
	struct bar b = { .start = now() };
	int rank, size, ret;
	char err[512];
	double secs;

	if (cp_mpi_init(&argc, &argv, &rank, &size)) {
		fprintf(stderr, "memfail campaign: cannot start the ranks\n");
		return 1;
	}
	b.size = size;
	ret = parse_args(argc, argv, &o) ? usage(stderr, 2) : 0;
	if (!ret) {
		/* every rank parses; only rank 0 reports */
		FILE *perr = rank ? fopen("/dev/null", "w") : stderr;

		if (cp_parse_file(o.file, &c, perr ? perr : stderr))
			ret = 2;
		if (perr && perr != stderr)
			fclose(perr);
	}
	/* before the trials: a static memfail draws in memfail-dynamic (cli/cairo_exec.c) */
	if (!ret && o.plot && mf_cairo_load("--plot", err, sizeof(err))) {
		fprintf(stderr, "memfail campaign: %s\n", err);
		cp_campaign_free(&c);
		ret = 1;
	}
	if (ret) {
		cp_mpi_finalize();
		return ret;
	}
	cp_results_init(&res, c.trials, c.npolicies);
	ret = cp_run_range(&c, rank, size, &res, !rank && o.progress && isatty(2) ? progress : NULL,
			   &b, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "memfail campaign: rank %d: %s\n", rank, err);
		ret = 1;	/* a run-time error (docs/campaign.md) */
	}
	secs = cp_mpi_max(now() - b.start);
	cp_mpi_merge(&res, rank, size);
	if (!ret && !rank)
		ret = finish(&c, &res, &o, secs);
	cp_results_free(&res);
	cp_campaign_free(&c);
	cp_mpi_finalize();
	return ret;
}
